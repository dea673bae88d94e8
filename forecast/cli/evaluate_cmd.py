"""forecast evaluate: walk-forward backtest of zoo models beside the baselines."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from forecast.cli import app, render
from forecast.cli import options as o

if TYPE_CHECKING:
    from forecast.leaderboard import Leaderboard
    from forecast.walkforward import Backtest

EVAL = "Walk-forward"
SHOWN = {  # score -> column header (JSON and --output keep every score)
    "model": "model", "accuracy": "acc", "macro_f1": "F1", "mase": "MASE", "skill": "skill",
    "beats_naive": "beats naive", "dm_p": "DM p", "mae": "MAE", "rmse": "RMSE", "smape": "sMAPE",
    "mape": "MAPE", "directional_accuracy": "dir", "coverage_80": "cov80",
    "coverage_90": "cov90", "pinball": "pinball", "lag_mimic": "lag",
}


@contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
    """A progress bar over model chains on stderr; yields the on_task callback."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress("backtest", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=render.err, transient=True) as progress:
        task = progress.add_task("backtest", total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "-" if value != value else f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def print_leaderboard(board: "Leaderboard", title: str) -> None:
    """The leaderboard as a compact rich table (zoo models in bold)."""
    from rich import box
    from rich.measure import Measurement
    from rich.table import Table

    scores = board.scores
    headers = {**SHOWN, "beats_naive": f"beats {board.reference}"}
    columns = [c for c in headers if c in scores and scores[c].notna().any()]
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for c in columns:
        table.add_column(headers[c], justify="left" if c in ("model", "beats_naive") else "right")
    for row in scores.to_dict(orient="records"):
        style = "bold" if row["kind"] == "model" else None
        table.add_row(*(_cell(row[c]) for c in columns), style=style)
    console = render.out
    natural = Measurement.get(console, console.options.update(width=10_000), table).maximum
    if natural > console.width:  # never squeeze numbers to "1.…"; let the terminal wrap
        table.width = natural
    console.print(table)


def _settings(bt: "Backtest", n_rows: int) -> dict[str, Any]:
    first = bt.folds.iloc[0]
    return {
        "folds": len(bt.folds), "horizon": bt.horizon, "step": bt.step, "window": bt.window,
        "season": bt.season, "rows": n_rows, "first_train_rows": int(first.cutoff_row - first.train_start),
        "input_len": bt.run.window.input_len, "transform": bt.run.window.transform,
        "seconds": round(bt.seconds, 2),
    }


@app.command()
def evaluate(
    path: Annotated[str | None, typer.Argument(help="CSV file with a date column and the series.")] = None,
    models: Annotated[str, typer.Option("--models", "-m", help="Zoo models, comma-separated (forecast models lists them).", rich_help_panel=EVAL)] = "lstm",
    folds: Annotated[int, typer.Option(min=1, help="Number of walk-forward folds (at the end of the series).", rich_help_panel=EVAL)] = 5,
    step: Annotated[int | None, typer.Option(min=1, help="Rows between fold cutoffs (default: the horizon).", rich_help_panel=EVAL)] = None,
    window_kind: Annotated[str, typer.Option("--window", help="expanding (train from row 1) or sliding (the last --train-size rows).", rich_help_panel=EVAL)] = "expanding",
    train_size: Annotated[int | None, typer.Option("--train-size", min=2, help="Sliding window length (expanding: the least rows of fold 1).", rich_help_panel=EVAL)] = None,
    refit_every: Annotated[int, typer.Option("--refit-every", min=1, help="Refit every K folds; in between the fitted model forecasts from the new rows.", rich_help_panel=EVAL)] = 1,
    warm_start: Annotated[bool, typer.Option("--warm-start", help="Refits fine-tune the previous fold's weights (1/8 of the epochs at 1/10 of --lr; folds then run in order).", rich_help_panel=EVAL)] = False,
    season: Annotated[int | None, typer.Option(min=1, help="Season length for seasonal naive and MASE (default: from the frequency).", rich_help_panel=EVAL)] = None,
    jobs: Annotated[int, typer.Option(help="Parallel fold chains (joblib; -1: all cores). Results do not depend on it.", rich_help_panel=EVAL)] = 1,
    plot: Annotated[str | None, typer.Option(help="Write a PNG of forecasts and error per fold.", rich_help_panel=o.OUTPUT)] = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the per-fold long table (.csv or .parquet).", rich_help_panel=o.OUTPUT)] = None,
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
    json_out: o.Json = False,
    quiet: o.Quiet = False,
) -> None:
    """Backtest models on walk-forward folds beside naive, seasonal naive, drift and mean.

    Example: forecast evaluate sample_data/sktime_airline.csv --models lstm,gru --folds 4
    """
    from forecast import api
    from forecast.leaderboard import leaderboard
    from forecast.walkforward import backtest

    names = o.split_list(models)
    run = o.build_run_config(**{k: v for k, v in locals().items() if k != "models"})
    _check_paths(output, plot)  # before minutes of training, not after
    data = api.load_series(run.data)
    with _progress(not quiet and not json_out and render.err.is_terminal) as on_task:
        bt = backtest(data, run, models=names, folds=folds, horizon=horizon, step=step,
                      window=window_kind, train_size=train_size, refit_every=refit_every,
                      warm_start=warm_start, jobs=jobs, season=season, on_task=on_task)
    board = leaderboard(bt)
    _write_files(bt, board, output, plot, data.name)
    if json_out:
        render.print_json({"series": data.name, "target": data.target, "classes": list(data.classes),
                           **_settings(bt, len(data)), **board.summary(), "notes": list(data.notes),
                           "chosen": _chosen(bt)})
        return
    s = _settings(bt, len(data))
    render.notes([*data.notes, f"input length {s['input_len']}, transform {s['transform']}: "
                  f"chosen on fold 1's {s['first_train_rows']} training rows, kept for every fold"])
    for line in board.warnings:
        render.err.print(f"[yellow]warning:[/yellow] {line}", highlight=False)
    print_leaderboard(board, title=(
        f"{data.name}: {s['folds']} folds x horizon {s['horizon']} (step {s['step']}, {s['window']}, "
        f"season {s['season']}), ranked by {board.key}; skill vs {board.best_baseline}"))
    for kind, name in (("wrote", output), ("plotted", plot)):
        if name:
            render.out.print(f"{kind} {name}", highlight=False)


def _chosen(bt: "Backtest") -> dict[str, list[str]]:
    """What each model's fit forecast with on each fold (the net or a baseline it lost to)."""
    if "chosen" not in bt.fits or bt.fits.empty:
        return {}
    return {str(m): [str(c) for c in f.sort_values("fold")["chosen"]]
            for m, f in bt.fits.groupby("model", sort=False)}


def _check_paths(output: str | None, plot: str | None) -> None:
    from pathlib import Path

    from forecast.errors import ConfigError
    from forecast.plots import check_path

    if plot:
        check_path(plot)
    if output and Path(output).suffix.lower() not in (".csv", ".parquet"):
        raise ConfigError(f"--output {output}: use a .csv or .parquet file name")
    if output and not Path(output).parent.exists():
        raise ConfigError(f"--output {output}: folder {Path(output).parent} does not exist")


def _write_files(bt: "Backtest", board: "Leaderboard", output: str | None, plot: str | None,
                 name: str) -> None:
    if output:
        from forecast.outputs import write_table

        table = bt.table
        if bt.categorical:  # class codes back to their labels for people reading the file
            labels = dict(enumerate(bt.classes))
            table = table.assign(y=table["y"].astype(int).map(labels),
                                 yhat=table["yhat"].astype(int).map(labels))
        write_table(table, output)
    if plot:
        from forecast.plots import plot_backtest

        plot_backtest(bt, plot, baselines=(board.reference, board.best_baseline),
                      title=f"{name}: walk-forward backtest ({len(bt.folds)} folds, horizon {bt.horizon})")
