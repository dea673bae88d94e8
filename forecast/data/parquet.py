"""Reading a Parquet file into a table of text cells; forecast.data.frame validates it.

Cells become the text a CSV would hold (floats as their shortest round-trip repr, so
every value parses back to the same float64), so Parquet and CSV share one validation
and give the same series. Row numbers in messages count data rows from 1.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast.errors import DataError


def as_cells(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """A typed frame (Parquet, SQL) as stripped text cells, rows numbered from 1."""
    if frame.empty:
        raise DataError(f"{where}: no rows; give a table with a header and rows")
    cells = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            midnight = bool((values.dropna() == values.dropna().dt.normalize()).all())
            aware = values.dt.tz is not None  # an offset is read only after a time: 00:00:00+0100
            shape = "%Y-%m-%d %H:%M:%S" if midnight and aware else "%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M:%S.%f"
            text = values.dt.strftime(shape + ("%z" if aware else ""))
        else:
            text = values.map(lambda v: "" if v is None or v is pd.NA or v != v  # pd.NA: nullable Int64, boolean
                              else repr(v) if isinstance(v, float) else str(v))
        cells[str(column).strip()] = text.where(values.notna(), "").astype(object).str.strip()
    raw = pd.DataFrame(cells)
    raw.index = pd.RangeIndex(1, len(raw) + 1)
    return raw


def read_parquet_cells(path: Path, where: str) -> pd.DataFrame:
    """All columns of a Parquet file as text cells."""
    try:
        frame = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises its own error types for damaged files
        raise DataError(f"{where}: cannot read as Parquet ({type(err).__name__}); "
                        "check the file is a complete Parquet file") from None
    if not isinstance(frame.index, pd.RangeIndex):  # a date index saved by pandas
        frame = frame.reset_index()
    return as_cells(frame, where)


__all__ = ["read_parquet_cells", "as_cells"]
