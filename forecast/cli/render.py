"""Rendering results: rich tables for people, JSON for programs. The only module that prints."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    import pandas as pd

    from forecast.train import EpochStats

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _plain(value: Any) -> Any:
    """JSON-safe values: numpy scalars/arrays to Python, NaN to null, dates to ISO strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


_warned: list[str] = []  # warnings raised while this command ran, in order, once each


def warning_line(message: Any, category: type, filename: str, lineno: int, file: Any = None,
                 line: str | None = None) -> None:
    """warnings.showwarning for the CLI: one 'note:' line per distinct warning, never numpy's
    two-line dump with a source line; JSON documents carry them under "warnings"."""
    text = f"{category.__name__}: {message}"
    if text in _warned:
        return
    _warned.append(text)
    err.print(f"[dim]note:[/dim] {text}", highlight=False)


def print_pairs(rows: list[tuple[str, Any]], title: str) -> None:
    """A two-column table (what, value): for a thing's properties."""
    table = Table(title=title, title_justify="left", show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(key, format_value(value) if not isinstance(value, str) else value)
    out.print(table)
    out.print()


def print_json(document: Any) -> None:
    """Exactly one JSON document on stdout (with the run's warnings, when there were any)."""
    if isinstance(document, dict) and _warned:
        document = {**document, "warnings": list(_warned)}
    print(json.dumps(_plain(document), indent=2))


def frame_records(frame: "pd.DataFrame") -> list[dict[str, Any]]:
    records = frame.to_dict(orient="records")
    return [_plain(r) for r in records]


def format_value(value: Any) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            return "-"
        return f"{value:,.4f}" if abs(value) < 1000 else f"{value:,.2f}"
    if hasattr(value, "strftime"):
        text = value.strftime("%Y-%m-%d %H:%M")
        return text[:-6] if text.endswith("00:00") else text
    return str(value)


def print_table(frame: "pd.DataFrame", title: str | None = None, whole: tuple[str, ...] = ()) -> None:
    """A frame as a table; ``whole`` columns are never cut short (names wrap instead)."""
    table = Table(title=title, title_justify="left")
    for column in frame.columns:
        numeric = frame[column].dtype.kind in "iufc"
        table.add_column(str(column), justify="right" if numeric else "left",
                         overflow="fold" if column in whole else "ellipsis", min_width=len(str(column)))
    for row in frame.itertuples(index=False):
        table.add_row(*(format_value(v) for v in row))
    out.print(table)


def column_records(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Row dicts (JSON-safe) of a table held as equal-length columns."""
    names = list(columns)
    return [_plain(dict(zip(names, row))) for row in zip(*columns.values())]


def print_columns(columns: dict[str, list[Any]], title: str | None = None) -> None:
    """A table held as columns (no pandas): numbers right-aligned, the rest left."""
    table = Table(title=title, title_justify="left")
    for name, values in columns.items():
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        table.add_column(name, justify="right" if numeric else "left")
    for row in zip(*columns.values()):
        table.add_row(*(format_value(v) for v in row))
    out.print(table)


_quiet = {"on": False}


def set_quiet(quiet: bool) -> None:
    """-q, the same in every command: no progress and no notes; results and errors still print."""
    _quiet["on"] = bool(quiet)


def notes(lines: tuple[str, ...] | list[str]) -> None:
    """What the tool decided on its own (to stderr, so --json stays clean); silent under -q."""
    if _quiet["on"]:
        return
    for line in lines:
        err.print(f"[dim]note:[/dim] {line}", highlight=False)


@contextmanager
def epoch_progress(enabled: bool, label: str = "training") -> Iterator[Any]:
    """A rich progress bar on stderr fed by EpochStats; yields the callback (None when quiet)."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("epoch {task.completed}/{task.total}"),
        TextColumn("{task.fields[loss]}"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )
    started = False

    def update(stats: "EpochStats") -> None:
        nonlocal started
        if not started:  # open the bar only once training runs, so errors print alone
            progress.start()
            started = True
        val = f" val {stats.val_loss:.4f}" if stats.val_loss is not None else ""
        progress.update(
            task,
            total=stats.epochs,
            completed=stats.epoch,
            loss=f"loss {stats.train_loss:.4f}{val}",
        )

    task = progress.add_task(label, total=1, loss="")
    try:
        yield update
    finally:
        if started:
            progress.stop()
