"""forecast train: fit a model on a CSV file or a ticker and save it."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from forecast.cli import app, render
from forecast.cli import options as o
from forecast.cli import series_cmd as many


@app.command()
def train(
    path: Annotated[str | None, typer.Argument(help="CSV file with a date column and the series.")] = None,
    target: o.Target = None,
    series: o.Series = None,
    features: o.Features = None,
    date_column: o.DateColumn = None,
    dayfirst: o.Dayfirst = None,
    fill: o.Fill = o.DEFAULTS.data.fill,
    ticker: o.Ticker = None,
    input_len: o.InputLen = None,
    horizon: o.Horizon = None,
    transform: o.TransformOpt = o.DEFAULTS.window.transform,
    scaler: o.ScalerOpt = o.DEFAULTS.window.scaler,
    model: o.Model = o.ModelName(o.DEFAULTS.model.name),  # type: ignore[assignment]
    hidden: o.Hidden = None,
    layers: o.Layers = None,
    dropout: o.Dropout = o.DEFAULTS.model.dropout,
    bidirectional: o.Bidirectional = o.DEFAULTS.model.bidirectional,
    activation: o.Activation = o.DEFAULTS.model.activation,
    head: o.Head = o.DEFAULTS.model.head,
    loss: o.Loss = o.DEFAULTS.model.loss,
    regime: o.Regime = o.DEFAULTS.model.regime,
    attention: o.AttentionKind = o.DEFAULTS.model.attention,
    teacher_forcing: o.TeacherForcing = o.DEFAULTS.model.teacher_forcing,
    teacher_forcing_end: o.TeacherForcingEnd = None,
    reverse_input: o.ReverseInput = o.DEFAULTS.model.reverse_input,
    epochs: o.Epochs = None,
    batch_size: o.BatchSize = o.DEFAULTS.train.batch_size,
    lr: o.Lr = None,
    seed: o.Seed = o.DEFAULTS.train.seed,
    patience: o.Patience = None,
    clip_norm: o.ClipNorm = o.DEFAULTS.train.clip_norm,
    tbptt: o.Tbptt = o.DEFAULTS.train.tbptt,
    device: o.Device = o.DEFAULTS.train.device,
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

    run = o.build_run_config(**locals())
    if many.wants_many(all_series, global_model, jobs, backend, scheduler):
        many.train_many(
            run, all_series=all_series, global_model=global_model, name=name, jobs=jobs,
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
        "transform": fc.pipeline.transform,
        "epochs_run": rep.epochs_run,
        "best_epoch": rep.best_epoch,
        "train_loss": rep.final_train_loss,
        "val_loss": rep.best_val_loss,
        "seconds": round(rep.seconds, 2),
        "device": rep.device,
        "kept_initial": rep.kept_initial,
        "calibration_windows": len(fc.calibration),
        "chosen": fc.chosen.member,
        "choice_scores": fc.chosen.scores,
    }
    if json_out:
        render.print_json({**summary, "notes": list(result.series.notes),
                           "forecast": render.frame_records(result.forecast.to_frame())})
        return
    mean = ("no seasonal change: seasonal naive"
            if fc.pipeline.transform in ("sdiff", "slogret") else "the mean (for log returns: the drift)")
    kept = [fc.chosen.note()] + (
        ["no epoch beat the training-mean forecast by 1% on the validation tail, so the network "
         f"forecasts {mean}; forecast evaluate compares the model with the baselines"]
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

    state = forecaster.conformal
    if state:
        return [f"intervals q0.05..q0.95: conformal, on {state['n']} out-of-sample error rows "
                f"({state['where']}), adapted to the recent ones (ACI)"]
    if forecaster.run.model.head != "point" or forecaster.pipeline.categorical:
        return []
    n = len(forecaster.calibration)
    return [f"no intervals: {n} out-of-sample errors, under the {MIN_CALIBRATION_WINDOWS} needed to "
            "calibrate them; --head gaussian, studentt or quantile forecast intervals directly"]
