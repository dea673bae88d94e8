"""Reading CSV text into a table of cells; forecast.data.frame validates it.

Row numbers in messages are file line numbers (the header is line 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from forecast.data.fastcells import clean
from forecast.errors import DataError

if TYPE_CHECKING:
    from forecast.config import DataSpec
    from forecast.data.series import SeriesData


def read_csv_cells(path: Path, where: str) -> pd.DataFrame:
    """All cells as stripped text, indexed by file line number, blank lines dropped."""
    try:
        encoding = _encoding(path)
        with path.open(encoding=encoding, newline="") as fh:
            first = fh.readline()
        sep = next((s for s in (";", "\t") if s in first and "," not in first), ",")
        raw = _read_text(path, sep, encoding)
    except pd.errors.EmptyDataError:
        raise DataError(f"{where}: the file is empty; give a CSV with a header and rows") from None
    except UnicodeDecodeError:
        raise DataError(f"{where}: {_not_utf8(path)} is not UTF-8 text; save the file as UTF-8 "
                        "(Excel: CSV UTF-8)") from None
    except (pd.errors.ParserError, ValueError) as err:
        detail = str(err).strip().splitlines()[-1]
        raise DataError(f"{where}: cannot read as CSV ({detail}); check delimiters and quoting") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    raw.index = pd.RangeIndex(2, len(raw) + 2)
    unique = raw.columns.is_unique
    tidy = {c: unique and not raw[c].isna().any() and clean(raw[c]) for c in raw.columns}  # strip: no-op
    raw = raw.fillna("").apply(lambda col: col if tidy[col.name] else col.astype(object).str.strip())
    if not all(tidy.values()):  # a clean column has no empty cell, so no blank row
        raw = raw[(raw != "").any(axis=1)]
    if raw.empty:
        raise DataError(f"{where}: the file has a header but no data rows; add rows")
    _check_line_breaks(raw[[c for c in raw.columns if not tidy[c]]], where)
    raw.attrs["sep"] = sep
    return raw


CHUNK_BYTES, CHUNK_ROWS = 16 * 2**20, 200_000
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # Excel's "Unicode text" is UTF-16 LE with this mark


def _encoding(path: Path) -> str:
    """UTF-16 when the file starts with its byte-order mark, else UTF-8 (with or without one)."""
    with path.open("rb") as fh:
        return "utf-16" if fh.read(2) in _UTF16_BOMS else "utf-8-sig"


def _not_utf8(path: Path) -> str:
    """'line 3 (byte 0xe4)': where the first byte that is not UTF-8 sits."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        return f"line {line} (byte 0x{data[err.start]:02x})"
    return "it"


def _read_text(path: Path, sep: str, encoding: str = "utf-8-sig") -> pd.DataFrame:
    """Every cell as text. A file over CHUNK_BYTES is parsed CHUNK_ROWS rows at a time: the
    parser makes a Python string per cell before packing a column, so the 2M-row minute file
    read at once peaked ~300 MB above what its packed columns keep (issue 15)."""
    options = {"dtype": str, "keep_default_na": False, "skip_blank_lines": False,
               "encoding": encoding, "sep": sep}
    if path.stat().st_size <= CHUNK_BYTES:
        return _one_field_more(pd.read_csv(path, **options), path, encoding)
    with pd.read_csv(path, chunksize=CHUNK_ROWS, **options) as reader:
        chunks = list(reader)
    if not chunks:  # a header and nothing else: the one-pass read says so as it always has
        return pd.read_csv(path, **options)
    _one_field_more(chunks[0], path, encoding)
    return pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]


def _one_field_more(raw: pd.DataFrame, path: Path, encoding: str) -> pd.DataFrame:
    """``raw``, or a ValueError when its rows have one field more than the header: pandas then
    makes the first column the index, and macrodata's realgdp written 2,710.349 unquoted was
    refused as "column 'date' has repeated steps (e.g. 2 at rows 2, 3, ...)". R's row names
    (1, 2, 3, ... with no header field) stay the index pandas drops, as before."""
    if isinstance(raw.index, pd.RangeIndex) or _row_names(raw.index):
        return raw
    with path.open(encoding=encoding, newline="") as fh:
        line = [fh.readline() for _ in range(2)][1].strip()
    raise ValueError(f"its rows have one field more than the header, e.g. line 2: '{line}'; a number "
                     "written with a ',' thousands separator must be quoted (\"2,710.3\") or written without it")


def _row_names(index: pd.Index) -> bool:
    """R's write.table: row names 1, 2, 3, ... before the fields, none in the header."""
    return isinstance(index, pd.Index) and index.nlevels == 1 and list(index[:3]) == ["1", "2", "3"][: len(index)]


def _check_line_breaks(raw: pd.DataFrame, where: str) -> None:
    """A cell spanning lines is an unbalanced quote that swallowed the rows after it."""
    broken = raw.apply(lambda col: col.str.contains(r"[\r\n]"))
    if broken.any().any():
        row = int(broken.any(axis=1).idxmax())
        column = str(broken.loc[row].idxmax())
        raise DataError(
            f"{where}: column '{column}' at row {row} holds a quoted cell that runs over several "
            f"lines ('{raw.at[row, column].splitlines()[0]}...'); the file's quoting is "
            "unbalanced: close every opening \" or remove the quotes"
        )


def read_csv_series(spec: "DataSpec") -> "SeriesData":
    """One validated series of the CSV file ``spec.path`` (forecast.data.sources.read_series)."""
    from forecast.data.sources import read_series

    return read_series(spec)


def list_symbols(path: str | Path) -> list[str]:
    """The series of a long-format file, sorted; [] when it has no symbol column."""
    from forecast.config import DataSpec
    from forecast.data.sources import series_names

    return series_names(DataSpec(path=str(path)))


__all__ = ["read_csv_cells", "read_csv_series", "list_symbols"]
