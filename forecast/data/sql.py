"""Reading a table or a query from DuckDB into a table of text cells (``forecast[sql]``).

Spelled ``duckdb:FILE?table=NAME`` (or ``duckdb:FILE`` for its only table), with
``--query "SELECT ..."`` (``query`` in a job file) for anything else; DuckDB itself can
read CSV/Parquet globs and attach SQLite or Postgres in that query. The database is
opened read-only. The rows go through forecast.data.frame like a CSV's.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import pandas as pd

from forecast.data.parquet import as_cells
from forecast.errors import ConfigError, DataError, NotFoundError

SCHEME = "duckdb:"
INSTALL = "pip install 'forecast[sql]'"


def split(location: str) -> tuple[str, str | None]:
    """'duckdb:prices.duckdb?table=prices' -> ('prices.duckdb', 'prices')."""
    body = location[len(SCHEME):]
    file, _, query = body.partition("?")
    table = parse_qs(query).get("table", [None])[0]
    return file, table


def with_file(location: str, file: str) -> str:
    """The same source with its database file replaced (made absolute, say)."""
    _, _, query = location[len(SCHEME):].partition("?")
    return SCHEME + file + (f"?{query}" if query else "")


def read_sql_cells(location: str, query: str | None, where: str) -> pd.DataFrame:
    """The rows of the table or query as text cells."""
    try:
        import duckdb
    except ImportError:
        raise ConfigError(f"{where}: DuckDB sources need the sql extra; install it with {INSTALL}") from None
    file, table = split(location)
    if file not in ("", ":memory:") and not Path(file).expanduser().is_file():
        raise NotFoundError(f"{where}: database file '{file}' not found; check the path")
    path = str(Path(file).expanduser()) if file not in ("", ":memory:") else ":memory:"
    try:
        with duckdb.connect(path, read_only=path != ":memory:") as con:
            if query is None:
                query = f'SELECT * FROM "{_table(con, table, where)}"'
            frame = con.execute(query).df()
    except duckdb.Error as err:
        detail = str(err).strip().splitlines()[0]
        raise DataError(f"{where}: DuckDB could not run the query ({detail}); check the table "
                        "and --query") from None
    return as_cells(frame, where)


def _table(con: object, table: str | None, where: str) -> str:
    """The table asked for, or the database's only table."""
    names = [row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]  # type: ignore[attr-defined]
    if table is None and len(names) == 1:
        return str(names[0])
    if table in names:
        return str(table)
    shown = ", ".join(sorted(names)) or "none"
    ask = "name one with ?table=NAME" if table is None else f"no table '{table}'"
    raise NotFoundError(f"{where}: {ask} (tables: {shown}) or give --query \"SELECT ...\"")


__all__ = ["read_sql_cells", "split", "with_file", "SCHEME"]
