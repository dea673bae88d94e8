"""Rendering results: rich tables for people, JSON for programs. The only module that prints."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    import pandas as pd

    from forecast.train import EpochStats, StepStats

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
LOG_EVERY_S = 10.0  # a progress line this often when stderr is not a terminal


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
        table.add_column(str(column), justify="right" if numeric else "left", no_wrap=frame[column].dtype.kind in "iufcM",
                         overflow="fold" if column in whole else "ellipsis", min_width=len(str(column)))
    for row in frame.itertuples(index=False):
        table.add_row(*(format_value(v) for v in row))
    print_whole(table)


def column_records(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Row dicts (JSON-safe) of a table held as equal-length columns."""
    names = list(columns)
    return [_plain(dict(zip(names, row))) for row in zip(*columns.values())]


def print_columns(columns: dict[str, list[Any]], title: str | None = None) -> None:
    """A table held as columns (no pandas): numbers right-aligned, the rest left."""
    table = Table(title=title, title_justify="left")
    for name, values in columns.items():
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        table.add_column(name, justify="right" if numeric else "left", no_wrap=True)  # "2026-06-03 14:30" on one line
    for row in zip(*columns.values()):
        table.add_row(*(format_value(v) for v in row))
    print_whole(table)


def print_whole(table: Table) -> None:
    """Print a table no narrower than its longest words when the console is narrower (a pipe: 80).

    Rich would otherwise squeeze cells to "-443.26…" and "1961-01…": a forecast cut short
    reads as a different number (seen on a negated Airline series: 7 columns of 10 characters).
    """
    from rich.measure import Measurement

    needs = Measurement.get(out, out.options.update(width=10_000), table)
    if needs.maximum > out.width:  # text columns still wrap; no cell is cut below its longest word
        wraps = any(not column.no_wrap for column in table.columns)
        table.width = max(out.width, needs.minimum if wraps else needs.maximum)
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


class TrainingProgress:
    """One training run's progress on stderr: a rich bar on a terminal, else (logs, cron, CI)
    a plain line about every ``log_every`` seconds. Feed it ``on_epoch`` and ``on_step``."""

    BAR_REFRESH_S = 0.1

    def __init__(self, label: str, log_every: float | None, bar: bool) -> None:
        self.label, self.log_every = label, log_every
        self.started = self.last = time.monotonic()
        self.epoch: "EpochStats | None" = None
        self.bar: Any = None
        if bar:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(
                TextColumn("{task.description}"), BarColumn(), TextColumn("epoch {task.fields[at]}"),
                TextColumn("{task.fields[loss]}"), TimeElapsedColumn(), console=err, transient=False,
            )
            self.task = self.bar.add_task(label, total=1, at="", loss="")
        self.bar_started = False

    def _loss(self) -> str:
        if self.epoch is None:
            return ""
        val = f" val {self.epoch.val_loss:.4f}" if self.epoch.val_loss is not None else ""
        return f"loss {self.epoch.train_loss:.4f}{val}"

    def _show(self, epoch: int, epochs: int, step: int, steps: int) -> None:
        if self.bar is not None:
            if not self.bar_started:  # open the bar only once training runs, so errors print alone
                self.bar.start()
                self.bar_started = True
            at = f"{epoch}/{epochs}" if step >= steps else f"{epoch}/{epochs} step {step:,}/{steps:,}"
            done = epoch - 1 + step / max(1, steps)
            self.bar.update(self.task, total=epochs, completed=done, at=at, loss=self._loss())
            return
        where = f", step {step:,}/{steps:,}" if step < steps else " done"
        last = f", last epoch {self._loss()}" if self.epoch is not None else ""
        err.print(
            f"{self.label}: epoch {epoch}/{epochs}{where}, {time.monotonic() - self.started:.0f} s{last}",
            highlight=False,
        )

    def _tick(self, epoch: int, epochs: int, step: int, steps: int) -> None:
        now = time.monotonic()
        every = self.BAR_REFRESH_S if self.bar is not None else self.log_every
        if every and now - self.last >= every:
            self.last = now
            self._show(epoch, epochs, step, steps)

    def on_epoch(self, stats: "EpochStats") -> None:
        self.epoch = stats
        if self.bar is not None:
            self._show(stats.epoch, stats.epochs, 1, 1)
        else:
            self._tick(stats.epoch, stats.epochs, 1, 1)

    def on_step(self, stats: "StepStats") -> bool:
        """Show the step when it is time; never asks to stop (returns False)."""
        self._tick(stats.epoch, stats.epochs, stats.step, stats.steps)
        return False

    def close(self) -> None:
        if self.bar_started:
            self.bar.stop()


@contextmanager
def training_progress(
    enabled: bool, label: str = "training", log_every: float | None = None
) -> Iterator[TrainingProgress | None]:
    """Progress for one fit (None when quiet): a bar on a terminal unless ``log_every`` is
    given; lines every ``log_every`` seconds (default LOG_EVERY_S) when stderr is not a terminal."""
    if not enabled:
        yield None
        return
    bar = err.is_terminal and log_every is None
    progress = TrainingProgress(label, LOG_EVERY_S if log_every is None else log_every, bar)
    try:
        yield progress
    finally:
        progress.close()


@contextmanager
def epoch_progress(enabled: bool, label: str = "training") -> Iterator[Any]:
    """:func:`training_progress` fed per epoch only; yields the on_epoch callback (None when quiet)."""
    with training_progress(enabled, label) as progress:
        yield progress.on_epoch if progress is not None else None
