"""``forecast fetch``: download Yahoo Finance prices into the local cache."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from forecast.cli import app

if TYPE_CHECKING:
    from forecast.data.cache import UpdateReport
    from forecast.errors import ForecastError


def _when(stamp: object, interval: str) -> str:
    """A bar time for display: the local date for daily bars, local wall time intraday."""
    if stamp is None:
        return "-"
    import pandas as pd

    from forecast.data.yahoo import DAILY_OR_LONGER

    stamp = pd.Timestamp(stamp)  # type: ignore[arg-type]
    return str(stamp.date()) if interval in DAILY_OR_LONGER else stamp.strftime("%Y-%m-%d %H:%M %Z")


def _rows(results: list[UpdateReport | ForecastError], tickers: list[str]) -> list[dict[str, object]]:
    """One plain dict per ticker, for the table and for --json."""
    from forecast.data.cache import UpdateReport

    rows: list[dict[str, object]] = []
    for ticker, result in zip(tickers, results):
        if isinstance(result, UpdateReport):
            row = result.to_dict()
            row["ok"] = True
        else:
            row = {"ticker": ticker, "ok": False, "error": str(result),
                   "error_class": type(result).__name__, "exit_code": result.exit_code}
        rows.append(row)
    return rows


def _table(results: list[UpdateReport | ForecastError], tickers: list[str], interval: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from forecast.data.cache import UpdateReport

    table = Table(title=f"Yahoo Finance prices ({interval} bars)")
    for name in ("Ticker", "Added", "Total", "First", "Last", "Note"):
        table.add_column(name, justify="right" if name in ("Added", "Total") else "left")
    for ticker, result in zip(tickers, results):
        if isinstance(result, UpdateReport):
            table.add_row(ticker, str(result.rows_added), str(result.rows_total),
                          _when(result.first, interval), _when(result.last, interval), result.reason)
        else:
            table.add_row(ticker, "-", "-", "-", "-", f"failed (exit {result.exit_code}): see below")
    Console().print(table)


@app.command()
def fetch(
    tickers: Annotated[
        list[str], typer.Argument(help="Yahoo Finance symbols, e.g. AAPL WSU.DE BTC-USD ^GSPC.")
    ],
    start: Annotated[
        str | None,
        typer.Option("--start", help="First date to download (YYYY-MM-DD). Default: the whole "
                     "history for a new ticker, else from the last cached bar."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--end", help="Stop before this date (exclusive, YYYY-MM-DD). Default: now."),
    ] = None,
    interval: Annotated[
        str,
        typer.Option("--interval", help="Bar size: 1d, 5d, 1wk, 1mo, 3mo, or intraday 1m..90m, 1h "
                     "(Yahoo keeps 1m bars 8 days, other intraday bars 60 days)."),
    ] = "1d",
    model_dir: Annotated[
        Path | None,
        typer.Option("--model-dir", envvar="FORECAST_HOME",
                     help="Folder for models and the price cache (prices/ inside it). "
                     "Default: $FORECAST_HOME, else the user data folder."),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON instead of a table.")
    ] = False,
) -> None:
    """Download Yahoo Finance prices into the local cache, adding only new bars.

    A ticker whose cached history changed (a split or dividend) is downloaded
    again in full. If a ticker fails the others are still stored, and the exit
    code is the failure's (6 network, 7 rate limit, 8 unknown ticker).

    Example: forecast fetch AAPL WSU.DE BTC-USD --start 2015-01-01
    """
    import json

    from forecast.data.cache import UpdateReport, update_many
    from forecast.data.yahoo import check_interval

    check_interval(interval)
    unique = list(dict.fromkeys(t.strip().upper() for t in tickers))
    results = update_many(unique, start=start, end=end, interval=interval, root=model_dir)
    if json_out:
        typer.echo(json.dumps({"interval": interval, "results": _rows(results, unique)}, indent=2))
    else:
        _table(results, unique, interval)
    stored = [t for t, r in zip(unique, results) if isinstance(r, UpdateReport)]
    failures = [r for r in results if not isinstance(r, UpdateReport)]
    if not failures:
        return
    if len(unique) == 1:
        raise failures[0]
    kept = f"stored: {', '.join(stored)}" if stored else "none stored"
    detail = " | ".join(str(err) for err in failures)
    raise type(failures[0])(f"{len(failures)} of {len(unique)} tickers failed ({kept}): {detail}")
