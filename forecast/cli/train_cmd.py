"""forecast train: fit a model on a CSV file or a ticker and save it."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from forecast.cli import app, render
from forecast.cli import options as o
from forecast.cli import series_cmd as many
from forecast.errors import Interrupted

if TYPE_CHECKING:
    from forecast.train import StepStats

LogEvery = Annotated[
    float | None,
    typer.Option("--log-every", min=0.0, metavar="SECONDS", help="A progress line on stderr this often (default: 10 when stderr is not a terminal, else a progress bar; 0: none).", rich_help_panel=o.OUTPUT),
]
SaveOnInterrupt = Annotated[
    bool,
    typer.Option("--save-on-interrupt/--no-save-on-interrupt", help="Ctrl-C stops after the current step and saves the best weights so far (exit 130); a second Ctrl-C quits at once.", rich_help_panel=o.OUTPUT),
]


@app.command()
@o.run_options("train")
def train(
    path: Annotated[str | None, typer.Argument(help="CSV or Parquet file with a date column and the series, or duckdb:FILE?table=NAME.")] = None,
    options: o.RunOptions = o.RUN_OPTIONS,  # every run option (forecast/config.py), in place
    threads: o.Threads = None,
    all_series: many.AllSeries = False,
    global_model: many.GlobalOpt = False,
    jobs: many.Jobs = 1,
    backend: many.Backend = None,
    scheduler: many.Scheduler = None,
    name: Annotated[str | None, typer.Option(help="Model name (default: <series>-<model>).")] = None,
    plot: Annotated[str | None, typer.Option(help="Also draw recent history, the forecast and its 80/90% bands to this .png/.svg/.pdf.", rich_help_panel=o.OUTPUT)] = None,
    model_dir: o.ModelDir = None,
    json_out: o.Json = False,
    quiet: o.Quiet = False,
    log_every: LogEvery = None,
    save_on_interrupt: SaveOnInterrupt = True,
) -> None:
    """Train a recurrent network and save it as a new model version.

    Example: forecast train sample_data/pmdarima_msft.csv --epochs 20
    """
    from forecast import api

    render.set_quiet(quiet)
    run = o.build_run_config(path=path, **options)
    targets = run.data.targets
    if plot:  # a bad name fails now, not after the training
        from forecast.forecastplot import check_plot_path
        from forecast.outputs import check_outputs

        check_plot_path(plot)
        check_outputs({"--plot": plot}, [run.data.path])
    if many.wants_many(all_series or bool(targets), global_model, jobs, backend, scheduler):
        from forecast.errors import ConfigError

        if threads is not None:
            raise ConfigError("--threads is for one series; drop it with --all-series / --global")
        if plot:
            raise ConfigError("--plot draws one series; after --all-series use forecast predict "
                              "--series NAME --plot FILE")
        many.train_many(
            run, all_series=all_series or (bool(targets) and not global_model), global_model=global_model, name=name, jobs=jobs,
            backend=backend, scheduler=scheduler, model_dir=model_dir, json_out=json_out, quiet=quiet,
        )
        return
    try:
        with render.training_progress(not quiet and not json_out, log_every=log_every) as progress, \
                _stop_on_interrupt(save_on_interrupt, progress) as on_step:
            result = api.train(run, name=name, model_dir=model_dir, on_step=on_step,
                               threads=threads, on_epoch=progress.on_epoch if progress else None)
    except KeyboardInterrupt:  # before the first step, a second Ctrl-C, or --no-save-on-interrupt
        render.err.print("interrupted: stopped at once, nothing saved", highlight=False)
        raise typer.Exit(Interrupted.exit_code) from None
    fc, rep = result.forecaster, result.forecaster.report
    assert rep is not None
    choice = result.threads
    summary = {
        "model": result.name,
        "path": str(result.path),
        "network": fc.run.model.name,
        "series": result.series.name,
        "target": result.series.target,
        "rows": len(result.series),
        "input_len": fc.run.window.input_len,
        "horizon": fc.run.window.horizon,
        "transform": fc.pipeline.transform,
        "seeds": fc.run.model.seeds or 1,
        "epochs_run": rep.epochs_run,
        "best_epoch": rep.best_epoch,
        "train_loss": rep.final_train_loss,
        "val_loss": rep.best_val_loss,
        "seconds": round(rep.seconds, 2),
        "device": rep.device,
        "precision": rep.precision,
        "skipped_steps": rep.skipped_steps,
        "threads": choice.threads if choice else None,
        "threads_reason": choice.reason if choice else None,
        "interrupted": rep.interrupted,
        "kept_initial": rep.kept_initial,
        "calibration_windows": len(fc.calibration),
        "chosen": fc.chosen.member,
        "choice_scores": fc.chosen.scores,
        "distribution": _distribution_json(fc),
    }
    if plot:
        from forecast.forecastplot import plot_forecast

        plot_forecast(plot, result.series, result.forecast, model=result.name)
        summary["plot"] = plot
    if json_out:
        render.print_json({**summary, "notes": list(result.series.notes),
                           "forecast": render.frame_records(result.forecast.to_frame())})
        _exit_if_interrupted(rep.interrupted)
        return
    mean = ("no seasonal change: seasonal naive"
            if fc.pipeline.transform in ("sdiff", "slogret") else "the mean (for log returns: the drift)")
    net_out = result.series.price_like and fc.run.model.name not in fc.chosen.scores
    consequence = ("learned nothing: its forecast, the training part's mean log return, is log_drift's "
                   "from fewer rows, and it took no part in the choice" if net_out else
                   f"forecasts {mean}; forecast evaluate compares the model with the baselines")
    kept = [fc.chosen.note()] + (
        [f"no epoch beat the training-mean forecast by 1% on the validation tail, so the network {consequence}"]
        if rep.kept_initial else [])
    refit = ([f"the chosen net was then trained again on all {rep.refit_windows} windows, the validation "
              f"tail included, for the {rep.best_epoch} epochs the tail chose (a short series: the "
              "newest rows train it too)"] if rep.refit_windows else [])
    from forecast.horizon import band_note

    render.notes([*result.series.notes, *kept, *refit, *_interval_note(fc),
                  *band_note(result.forecast, fc.chosen.member), *_interrupt_note(rep)])
    val = f", val loss {rep.best_val_loss:.4f}" if rep.best_val_loss is not None else ""
    stop = " (interrupted)" if rep.interrupted else " (early stop)" if rep.stopped_early else ""
    render.out.print(
        f"trained [bold]{result.name}[/bold] ({fc.run.model.name}{_seeds_text(summary['seeds'])}, {summary['transform']}, "
        f"window {summary['input_len']} -> {summary['horizon']}) on {len(result.series)} rows of "
        f"{result.series.target}: {rep.epochs_run} epochs{stop}, best {rep.best_epoch}{val}, "
        f"{rep.seconds:.1f}s on {rep.device}{_precision_text(rep)}{_threads_text(rep.device, choice)}",
        highlight=False,
    )
    render.out.print(f"saved to {result.path}", highlight=False)
    render.print_table(result.forecast.to_frame(), title=f"forecast for {result.series.name}")
    if plot:
        render.out.print(f"plotted {plot}", highlight=False)
    _exit_if_interrupted(rep.interrupted)


def _precision_text(rep: Any) -> str:
    """', bf16 mixed precision (3 fp16 steps skipped)' when not fp32."""
    if rep.precision == "fp32":
        return ""
    skipped = f" ({rep.skipped_steps} overflowing fp16 steps skipped)" if rep.skipped_steps else ""
    return f", {rep.precision} mixed precision{skipped}"


def _threads_text(device: str, choice: Any) -> str:
    """', 2 threads (why)' for a CPU fit; nothing on a GPU, where they do not matter."""
    return f", {choice.describe()}" if choice is not None and device == "cpu" else ""


@contextmanager
def _stop_on_interrupt(enabled: bool, progress: Any) -> Iterator["Any"]:
    """The on_step hook: progress, and after a Ctrl-C, stop after the current step.

    The first Ctrl-C only sets a flag (the hook says so in one line and asks training to
    stop, which keeps the best weights so far); a second one, or one before the first step,
    interrupts at once. Disabled: Ctrl-C interrupts at once (exit 130, nothing saved).
    """
    state = {"started": False, "requested": False, "said": False}

    def on_sigint(signum: int, frame: Any) -> None:
        if not state["started"] or state["requested"]:
            raise KeyboardInterrupt
        state["requested"] = True
        signal.signal(signal.SIGINT, signal.default_int_handler)  # the next Ctrl-C: at once

    def on_step(stats: "StepStats") -> bool:
        state["started"] = True
        if progress is not None:
            progress.on_step(stats)
        if state["requested"] and not state["said"]:
            state["said"] = True
            render.err.print(
                f"interrupted: stopping after step {stats.step:,}/{stats.steps:,} of epoch "
                f"{stats.epoch}; saving the best weights so far (Ctrl-C again to quit at once)",
                highlight=False,
            )
        return state["requested"]

    main = threading.current_thread() is threading.main_thread()  # where signals are handled
    if not enabled or not main or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield progress.on_step if progress is not None else None
        return
    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield on_step
    finally:
        signal.signal(signal.SIGINT, previous)


def _interrupt_note(report: Any) -> list[str]:
    if not report.interrupted:
        return []
    best = (f"those of epoch {report.best_epoch}" if report.best_epoch else
            "the starting ones, which forecast the training mean")
    return [f"interrupted in epoch {report.epochs_run}: saved the best weights so far "
            f"on validation, {best}; exit code 130"]


def _exit_if_interrupted(interrupted: bool) -> None:
    if interrupted:
        raise typer.Exit(Interrupted.exit_code)


def _interval_note(forecaster: Any) -> list[str]:
    """Where a point model's intervals come from, or why it has none."""
    from forecast.forecaster import MIN_CALIBRATION_WINDOWS
    from forecast.pricedist import describe

    state = forecaster.conformal
    dist = forecaster.choice.get("distribution")
    if dist and dist["kind"] != "conformal":  # a price fit's choice (forecast.pricedist)
        return [describe(dist)]
    if state:
        kept = [describe(dist)] if dist else []
        scaled = (f", each scaled to the volatility of the {int(state['scale'][0])} steps before its origin"
                  if state.get("scale") else "")
        return [f"intervals q0.05..q0.95: conformal, on {state['n']} out-of-sample error rows "
                f"({state['where']}){scaled}, adapted to the recent ones (DtACI)", *kept]
    if forecaster.run.model.head != "point" or forecaster.pipeline.categorical:
        return []
    n = len(forecaster.calibration)
    return [f"no intervals: {n} out-of-sample errors, under the {MIN_CALIBRATION_WINDOWS} needed to "
            "calibrate them; --head gaussian, studentt or quantile forecast intervals directly"]


def _seeds_text(seeds: int) -> str:
    """' x 3 seeds (averaged)' for a seed ensemble (--seeds), nothing for one net."""
    return f" x {seeds} seeds (averaged)" if seeds > 1 else ""


def _distribution_json(forecaster: Any) -> dict[str, Any] | None:
    """Which distribution the intervals come from and why: a price fit's choice
    (forecast.pricedist), else conformal or the head's own, or None without intervals."""
    dist = forecaster.choice.get("distribution")
    if dist:
        return {k: dist[k] for k in ("kind", "scores", "origins", "alpha", "beta", "dof", "centre", "scale")
                if k in dist}
    if forecaster.conformal:
        return {"kind": "conformal"}
    head = forecaster.run.model.head
    return {"kind": head} if head in ("gaussian", "studentt", "quantile") else None
