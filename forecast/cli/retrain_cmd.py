"""forecast retrain (the cron entry point) and forecast schedule (its crontab line)."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from forecast.cli import app, render
from forecast.cli import options as o
from forecast.cli.series_cmd import Backend, JobsOrConfig, Scheduler

if TYPE_CHECKING:
    from forecast.retrain import RetrainReport

Config = Annotated[
    str, typer.Option("--config", "-c", help="The job file (TOML): [[series]] tables with path or ticker and train options.")
]


@app.command()
def retrain(
    config: Config,
    jobs: JobsOrConfig = None,
    backend: Backend = None,
    scheduler: Scheduler = None,
    model_dir: o.ModelDir = None,
    json_out: o.Json = False,
    quiet: o.Quiet = False,
) -> None:
    """Retrain every series of a job file; keep a challenger only if it is not worse.

    Unchanged data is a no-op. A log and a JSON summary go to <home>/logs. Exit 9: another
    retrain holds the lock; exit 10: some series failed (the others were saved).

    Example: forecast retrain --config forecast.toml
    """
    from forecast.errors import PartialFailureError
    from forecast.retrain import retrain as run_retrain

    report = run_retrain(config, home=model_dir, jobs=jobs, backend=backend, scheduler=scheduler)
    if json_out:
        render.print_json(report.to_dict())
    elif not quiet or report.failed:
        _print_report(report)
    if report.failed:
        names = ", ".join(failed.name for failed in report.failed[:5])
        raise PartialFailureError(
            f"{len(report.failed)} of {len(report.outcomes)} series failed ({names}); "
            f"{_the_others(report)}; see {report.log}"
        )


def _the_others(report: "RetrainReport") -> str:
    """What became of the series that did not fail: saved, or unchanged (or there are none)."""
    others = [x for x in report.outcomes if x.status != "failed"]
    saved = sum(x.version is not None for x in others)
    if not others:
        return "nothing was saved"
    if saved == len(others):
        return "the others were saved"
    return f"the others are current ({saved} saved, {len(others) - saved} with no change)"


def _print_report(report: "RetrainReport") -> None:
    """One row per series (never squeezed: the terminal wraps), then notes and errors."""
    from rich import box
    from rich.measure import Measurement
    from rich.table import Table

    metric = next((x.metric for x in report.outcomes if x.challenger is not None), "mase")
    table = Table(title=f"retrain {report.config}", title_justify="left", box=box.SIMPLE_HEAD)
    for header in ("series", "status", "saved", "current", f"challenger {metric.upper()}",
                   f"champion {metric.upper()}", "rows", "seconds"):
        table.add_column(header, justify="left" if header in ("series", "status") else "right")
    for x in report.outcomes:
        table.add_row(x.name, x.status, x.version or "-", x.current or "-",
                      render.format_value(x.challenger) if x.challenger is not None else "-",
                      render.format_value(x.champion) if x.champion is not None else "-",
                      str(x.rows), f"{x.seconds:.1f}")
    console = render.out
    natural = Measurement.get(console, console.options.update(width=10_000), table).maximum
    if natural > console.width:
        table.width = natural
    console.print(table)
    for outcome in report.outcomes:
        render.notes([f"{outcome.name}: {note}" for note in outcome.notes])
        if outcome.error:
            render.err.print(f"{outcome.name}: {outcome.error}", highlight=False, markup=False)
    render.out.print(f"log {report.log}\nsummary {report.summary}", highlight=False)


def _cron_quote(text: str) -> str:
    """Shell-quoted, with cron's '%' (a newline in crontab commands) escaped."""
    return shlex.quote(text).replace("%", "\\%")


def crontab_line(config: Path, cron: str, home: Path, python: str | None = None,
                 extra: tuple[str, ...] = ()) -> str:
    """One crontab line: schedule, environment, absolute command, log redirection."""
    from forecast.jobconfig import check_cron

    python = python or sys.executable
    search = os.pathsep.join(dict.fromkeys([str(Path(python).parent), "/usr/local/bin",
                                            "/usr/bin", "/bin"]))
    command = [python, "-m", "forecast", "retrain", "--config", str(config), "--quiet", *extra]
    log = home / "logs" / "cron.log"
    return (f"{check_cron(cron)} FORECAST_HOME={_cron_quote(str(home))} "
            f"PATH={_cron_quote(search)} {' '.join(_cron_quote(c) for c in command)} "
            f">> {_cron_quote(str(log))} 2>&1")


@app.command()
def schedule(
    config: Config,
    cron: Annotated[str, typer.Option(help='When to run: 5 cron fields, e.g. "30 18 * * 1-5" (18:30 on weekdays).')],
    jobs: JobsOrConfig = None,
    model_dir: o.ModelDir = None,
    json_out: o.Json = False,
) -> None:
    """Print the crontab line that runs forecast retrain on a schedule (absolute paths).

    Example: forecast schedule --config forecast.toml --cron "30 18 * * 1-5"
    """
    from forecast import paths
    from forecast.jobconfig import load_job_config

    job = load_job_config(config)  # a bad config fails now, not at 18:30
    home = paths.home_dir(model_dir)
    (home / "logs").mkdir(parents=True, exist_ok=True)  # cron's redirection needs the folder
    extra = ("--jobs", str(jobs)) if jobs is not None else ()
    line = crontab_line(job.path, cron, home, extra=extra)
    if json_out:
        render.print_json({"line": line, "config": str(job.path), "home": str(home),
                           "log": str(home / "logs" / "cron.log"), "python": sys.executable})
        return
    render.out.print(line, markup=False, highlight=False)
    render.notes([f"install it with: crontab -e (paste the line), or: (crontab -l; forecast "
                  f"schedule --config {shlex.quote(str(job.path))} --cron {shlex.quote(cron)}) "
                  "| crontab -",
                  f"each run also writes {home / 'logs'}/retrain-*.log and a JSON summary"])
