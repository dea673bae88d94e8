"""forecast train: fit a model on a CSV file or a ticker and save it."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from forecast.cli import app, render
from forecast.cli import options as o
from forecast.cli import series_cmd as many


@app.command()
@o.run_options("train")
def train(
    path: Annotated[str | None, typer.Argument(help="CSV or Parquet file with a date column and the series, or duckdb:FILE?table=NAME.")] = None,
    options: o.RunOptions = o.RUN_OPTIONS,  # every run option (forecast/config.py), in place
    all_series: many.AllSeries = False,
    global_model: many.GlobalOpt = False,
    jobs: many.Jobs = 1,
    backend: many.Backend = None,
    scheduler: many.Scheduler = None,
    name: Annotated[str | None, typer.Option(help="Model name (default: <series>-<model>).")] = None,
    model_dir: o.ModelDir = None,
    json_out: o.Json = False,
    quiet: o.Quiet = False,
) -> None:
    """Train a recurrent network and save it as a new model version.

    Example: forecast train sample_data/pmdarima_msft.csv --epochs 20
    """
    from forecast import api

    run = o.build_run_config(path=path, **options)
    targets = run.data.targets
    if many.wants_many(all_series or bool(targets), global_model, jobs, backend, scheduler):
        many.train_many(
            run, all_series=all_series or (bool(targets) and not global_model), global_model=global_model, name=name, jobs=jobs,
            backend=backend, scheduler=scheduler, model_dir=model_dir, json_out=json_out, quiet=quiet,
        )
        return
    with render.epoch_progress(not quiet and not json_out) as on_epoch:
        result = api.train(run, name=name, model_dir=model_dir, on_epoch=on_epoch)
    fc, rep = result.forecaster, result.forecaster.report
    assert rep is not None
    summary = {
        "model": result.name,
        "path": str(result.path),
        "network": fc.run.model.name,
        "series": result.series.name,
        "target": result.series.target,
        "rows": len(result.series),
        "input_len": fc.run.window.input_len,
        "horizon": fc.run.window.horizon,
        "transform": fc.run.window.transform,
        "epochs_run": rep.epochs_run,
        "best_epoch": rep.best_epoch,
        "train_loss": rep.final_train_loss,
        "val_loss": rep.best_val_loss,
        "seconds": round(rep.seconds, 2),
        "device": rep.device,
        "kept_initial": rep.kept_initial,
        "calibration_windows": len(fc.calibration),
    }
    if json_out:
        render.print_json({**summary, "notes": list(result.series.notes),
                           "forecast": render.frame_records(result.forecast.to_frame())})
        return
    kept = (
        ["no epoch beat the training-mean forecast by 1% on the validation tail, so the model "
         "forecasts the mean (for log returns: the drift); forecast evaluate compares it with naive"]
        if rep.kept_initial else []
    )
    render.notes([*result.series.notes, *kept, *_interval_note(fc)])
    val = f", val loss {rep.best_val_loss:.4f}" if rep.best_val_loss is not None else ""
    stop = " (early stop)" if rep.stopped_early else ""
    render.out.print(
        f"trained [bold]{result.name}[/bold] ({fc.run.model.name}, {summary['transform']}, "
        f"window {summary['input_len']} -> {summary['horizon']}) on {len(result.series)} rows of "
        f"{result.series.target}: {rep.epochs_run} epochs{stop}, best {rep.best_epoch}{val}, "
        f"{rep.seconds:.1f}s on {rep.device}",
        highlight=False,
    )
    render.out.print(f"saved to {result.path}", highlight=False)
    render.print_table(result.forecast.to_frame(), title=f"forecast for {result.series.name}")


def _interval_note(forecaster: Any) -> list[str]:
    """Where a point model's intervals come from, or why it has none."""
    from forecast.forecaster import MIN_CALIBRATION_WINDOWS

    if forecaster.run.model.head != "point":
        return []
    n = len(forecaster.calibration)
    if n:
        return [f"intervals q0.05..q0.95: the model's own errors on its {n} validation windows"]
    n_val = forecaster.report.n_val if forecaster.report else 0
    return [f"no intervals: {n_val} validation windows, under the {MIN_CALIBRATION_WINDOWS} needed to "
            "calibrate them; --head gaussian, studentt or quantile forecast intervals directly"]
