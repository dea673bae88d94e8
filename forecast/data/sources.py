"""Where a series comes from: one seam from a source description to SeriesData.

Every verb (train, predict, evaluate, generate, retrain, the multi-series paths) reads
data through :func:`load_series` / :func:`load_all`. A source is ``DataSpec.path``: a
file (CSV or Parquet, chosen by suffix, else by content), a DuckDB database
(``duckdb:FILE?table=NAME``, or ``duckdb:FILE`` with ``--query``), or ``--ticker`` for
the Yahoo price cache. Each file reader only turns bytes into a table of text cells;
:mod:`forecast.data.frame` validates that table into a SeriesData with the same
one-line errors for every source. Adding a source is one reader in ``_READERS`` plus
its tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from forecast.config import DataSpec
from forecast.data.series import SeriesData
from forecast.errors import ConfigError, NotFoundError

if TYPE_CHECKING:
    import pandas as pd

# reader name -> (module, function): function(path, where) -> text cells
_READERS: dict[str, tuple[str, str]] = {
    "csv": ("forecast.data.csv", "read_csv_cells"),
    "parquet": ("forecast.data.parquet", "read_parquet_cells"),
}
_SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet"}
_MAGIC = {b"PAR1": "parquet"}
_SQL = "duckdb:"  # duckdb:FILE?table=NAME, or duckdb:FILE with --query (forecast.data.sql)
READER_MODULES = ("sources.py", "frame.py", "numbers.py", "csv.py", "parquet.py", "sql.py",  # snapshot key
                  "jumps.py", "gaps.py")


def _kind(path: Path) -> str:
    """The reader for a file: by suffix, else by its first bytes, else CSV."""
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind:
        return kind
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
    except OSError:
        return "csv"
    return _MAGIC.get(head, "csv")


def _file(spec: DataSpec) -> Path:
    if spec.path is None:
        raise ConfigError("no data: give a file (forecast train prices.csv) or --ticker SYMBOL")
    path = Path(spec.path).expanduser()
    if path.is_dir():  # "not found" sent users looking for a typo in a path that exists
        inside = sorted(p.name for p in path.iterdir() if p.suffix.lower() in (".csv", ".parquet"))
        hint = f" (it holds {', '.join(inside[:3])}{' ...' if len(inside) > 3 else ''})" if inside else ""
        raise NotFoundError(f"data file '{spec.path}' is a folder, not a file; name one file in it{hint}")
    if not path.is_file():
        raise NotFoundError(f"data file '{spec.path}' not found; check the path")
    return path


def is_file(spec: DataSpec) -> bool:
    """The source is one local file (CSV, Parquet): snapshots can key on its bytes."""
    return bool(spec.path) and not spec.path.startswith(_SQL) and spec.query is None


def absolute(location: str) -> str:
    """A source with its file made absolute (saved with models, resolved in job files)."""
    if location.startswith(_SQL):
        from forecast.data.sql import split, with_file

        file = split(location)[0]
        return location if file in ("", ":memory:") else with_file(location, str(Path(file).expanduser().resolve()))
    return str(Path(location).expanduser().resolve())


def resolve_against(location: str, folder: Path) -> str:
    """A job file's source: relative files resolve against the job file's folder."""
    if location.startswith(_SQL):
        from forecast.data.sql import split, with_file

        file = split(location)[0]
        if file in ("", ":memory:") or Path(file).expanduser().is_absolute():
            return location
        return with_file(location, str((folder / file).resolve()))
    path = Path(location).expanduser()
    return str(path if path.is_absolute() else (folder / path).resolve())


def read_cells(spec: DataSpec) -> tuple["pd.DataFrame", str, Path]:
    """The source's table of text cells, how to name it in messages, and its path."""
    if spec.path and spec.path.startswith(_SQL):
        from forecast.data.sql import read_sql_cells, split

        where = spec.path + (f" --query {spec.query!r}" if spec.query else "")
        file = split(spec.path)[0] or "duckdb"
        return read_sql_cells(spec.path, spec.query, where), where, Path(file)
    if spec.query is not None:
        raise ConfigError(f"--query runs on a DuckDB source; give duckdb:FILE, not {spec.path}")
    path = _file(spec)
    module, function = _READERS[_kind(path)]
    read: Callable[[Path, str], pd.DataFrame] = getattr(import_module(module), function)
    return read(path, str(spec.path)), str(spec.path), path


def read_series(spec: DataSpec) -> SeriesData:
    """Read and validate the one series ``spec`` names from its file.

    With ``targets`` (a wide file), ``series`` names one of those columns: its series.
    """
    from forecast.data.frame import series_from_cells

    if spec.targets and spec.series:
        column = replace(spec, target=spec.series, series=None, targets=())
        raw, where, path = read_cells(column)
        source = spec.path if spec.path and spec.path.startswith(_SQL) else str(path)
        return series_from_cells(raw, column, where, source=source, name=spec.series)
    raw, where, path = read_cells(spec)
    source = spec.path if spec.path and spec.path.startswith(_SQL) else str(path)
    series = series_from_cells(raw, spec, where, source=source, name=path.stem)
    if len(raw) >= RELEASE_ROWS:
        del raw
        release_memory()
    return series


RELEASE_ROWS = 100_000


def release_memory() -> None:
    """Hand freed heap pages back to the OS: pyarrow's pool (pandas' str columns) and glibc's
    (malloc_trim; nothing elsewhere). Reading a long file frees its text cells, but both keep
    the pages: after the 2M-row minute CSV ~270 MB that then counted in every later peak of
    the process (issue 15: <= 1 GB)."""
    import ctypes
    import gc
    import sys

    gc.collect()
    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl, Windows)
        pass


def series_names(spec: DataSpec) -> list[str]:
    """The series of a source: the ``targets`` columns of a wide file, else the symbols of a
    long-format one, sorted; [] when it holds one series."""
    from forecast.data.frame import symbols_in, value_columns

    raw, where, _ = read_cells(replace(spec, series=None))
    return value_columns(raw, spec, where) if spec.targets else symbols_in(raw, spec, where)


def load_series(spec: DataSpec, snapshots: Path | None = None) -> SeriesData:
    """The series a DataSpec names: a file's, or a cached Yahoo ticker's.

    With ``snapshots`` (a folder), an unchanged file is loaded from its parsed snapshot
    there (numpy only) instead of being parsed again with pandas.
    """
    if spec.ticker and spec.path:
        raise ConfigError("give either a data file or --ticker, not both")
    if spec.ticker:
        from forecast.data.cache import series_from_cache

        return series_from_cache(spec)
    if not spec.path:
        raise ConfigError("no data: give a file (forecast train prices.csv) or --ticker SYMBOL")
    if snapshots is None or not is_file(spec):
        return read_series(spec)
    from forecast.data.snapshot import read_with_snapshot

    return read_with_snapshot(spec, snapshots, read_series)


def load_all(spec: DataSpec, only: list[str] | None = None,
             snapshots: Path | None = None) -> list[SeriesData]:
    """Every series of a long-format source, or every ``targets`` column of a wide one (or the
    ``only`` ones), read and validated. The source is parsed once, then split by symbol
    (with ``snapshots``, each series goes through its own snapshot instead)."""
    if spec.ticker or not spec.path:
        raise ConfigError("--all-series / --global / --targets read a long or wide file; give its path")
    if snapshots is not None:
        names = only or series_names(spec)
        _check_names(spec, names)
        return [load_series(replace(spec, series=name), snapshots) for name in names]
    from forecast.data.frame import series_from_cells, symbol_rows, value_columns

    raw, where, path = read_cells(replace(spec, series=None))
    source = spec.path if spec.path.startswith(_SQL) else str(path)
    if spec.targets:
        names = only or value_columns(raw, spec, where)
        _check_names(spec, names)
        return [series_from_cells(raw, replace(spec, target=name, series=None, targets=()), where,
                                  source=source, name=name) for name in names]
    groups = symbol_rows(raw, spec, where)
    names = only or list(groups)
    _check_names(spec, names)
    out = []
    for name in names:
        key = name if name in groups else next((g for g in groups if g.lower() == name.lower()), None)
        rows = raw if key is None else groups[key]  # unknown: the whole table says what there is
        out.append(series_from_cells(rows, replace(spec, series=name), where, source=source,
                                     name=path.stem))
    return out


def _check_names(spec: DataSpec, names: list[str]) -> None:
    if not names:
        raise ConfigError(f"{spec.path}: no symbol column (one series); --all-series and --global "
                          "need a long-format file with a symbol/ticker column")


__all__ = ["load_series", "load_all", "read_series", "read_cells", "series_names", "is_file", "absolute",
           "resolve_against", "READER_MODULES"]
