"""forecast evaluate: walk-forward backtest of zoo models beside the baselines."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from forecast.cli import app, render
from forecast.cli import options as o

if TYPE_CHECKING:
    from forecast.config import RunConfig
    from forecast.data.series import SeriesData
    from forecast.leaderboard import Leaderboard
    from forecast.walkforward import Backtest

EVAL = "Walk-forward"


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
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if value != value else f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def print_leaderboard(board: "Leaderboard", title: str) -> None:
    """The leaderboard as a compact rich table (zoo models in bold, statistical peers in cyan)."""
    from rich import box
    from rich.measure import Measurement
    from rich.table import Table

    from forecast.leaderboard import columns as board_columns

    scores = board.scores
    headers = board_columns(board)  # from the metric registry
    columns = [c for c in headers if c in scores and scores[c].notna().any()]
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for c in columns:
        table.add_column(headers[c], justify="left" if c in ("model", "chosen", "verdict") else "right")
    for row in scores.to_dict(orient="records"):
        style = {"model": "bold", "peer": "cyan"}.get(row["kind"])
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
@o.run_options("evaluate")
def evaluate(
    path: Annotated[str | None, typer.Argument(help="CSV file with a date column and the series.")] = None,
    models: Annotated[str | None, typer.Option("--models", "-m", help="Models, comma-separated: networks of the zoo (forecast models lists them) and statistical peers autoets, autoarima, autotheta, mstl (pip install 'forecast[stats]'). Default: lstm, plus autoets, autotheta and mstl (where the season > 1) when that extra is installed.", rich_help_panel=EVAL, show_default=False)] = None,
    folds: Annotated[int, typer.Option(help="Number of walk-forward folds (at the end of the series).", rich_help_panel=EVAL)] = 5,
    step: Annotated[int | None, typer.Option(help="Rows between fold cutoffs (default: the horizon).", rich_help_panel=EVAL)] = None,
    window_kind: Annotated[str, typer.Option("--window", help="expanding (train from row 1) or sliding (the last --train-size rows).", rich_help_panel=EVAL)] = "expanding",
    train_size: Annotated[int | None, typer.Option("--train-size", min=2, help="Sliding window length (expanding: the least rows of fold 1).", rich_help_panel=EVAL)] = None,
    refit_every: Annotated[int, typer.Option("--refit-every", min=1, help="Refit every K folds; in between the fitted model forecasts from the new rows.", rich_help_panel=EVAL)] = 1,
    warm_start: Annotated[bool, typer.Option("--warm-start", help="Refits fine-tune the previous fold's weights (1/8 of the epochs at 1/10 of --lr; folds then run in order).", rich_help_panel=EVAL)] = False,
    season: Annotated[int | None, typer.Option(min=1, help="Season length for seasonal naive and MASE (default: from the frequency).", rich_help_panel=EVAL)] = None,
    jobs: Annotated[int, typer.Option(help="Parallel fold chains (joblib; -1: all cores). Results do not depend on it.", rich_help_panel=EVAL)] = 1,
    model: Annotated[str | None, typer.Option("--model", help="With --test: a saved model (name or .joblib) forecasts the test rows as it is, instead of a fit on PATH.", rich_help_panel=EVAL)] = None,
    test: Annotated[str | None, typer.Option("--test", help="Fit once on PATH, then forecast from every row of this test file (it follows or overlaps PATH); scored beside the baselines.", rich_help_panel=EVAL)] = None,
    plot: Annotated[str | None, typer.Option(help="Write a PNG of forecasts and error per fold.", rich_help_panel=o.OUTPUT)] = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the per-fold long table (.csv or .parquet): fold, cutoff, ds, y, yhat, model, series, target, q....", rich_help_panel=o.OUTPUT)] = None,
    options: o.RunOptions = o.RUN_OPTIONS,  # every run option (forecast/config.py), in place
    json_out: o.Json = False,
    quiet: o.Quiet = False,
) -> None:
    """Backtest models on walk-forward folds beside naive, seasonal naive, drift and mean.

    Networks of the zoo and statsforecast's AutoETS, AutoARIMA, AutoTheta and MSTL run on the
    same folds.

    Columns: skill = 1 - score / the best baseline's; "beats naive" = lower error than naive
    with a Diebold-Mariano p-value (DM p) under 0.05; lag = lag-mimic score, mean|yhat - y| /
    mean|yhat - last value|: above 1 the forecasts sit closer to the last observed value than to
    the outcome (a lagged copy of the input that only looks good on a chart).

    Example: forecast evaluate sample_data/sktime_airline.csv --models lstm,autoets --folds 4
    """
    from forecast import api
    from forecast.leaderboard import leaderboard
    from forecast.walkforward import backtest, default_models

    render.set_quiet(quiet)
    run = o.build_run_config(path=path, **options)
    horizon = run.window.horizon
    _check_paths(output, plot)  # before minutes of training, not after
    from forecast.outputs import check_outputs

    prefit = None
    if model:  # a saved model, evaluated as it is on the test file
        from dataclasses import replace

        from forecast.errors import ConfigError

        if not test:
            raise ConfigError("--model evaluates a saved model on --test TEST.csv; give the test file")
        model = api.model_for_target(model, run.data.target, None, []) or model  # a named one: checked
        _, model_path, prefit = api.load_model(model)
        own = str((prefit.extra["payload"].get("data") or {}).get("target") or "")
        if run.data.target and own.lower() != run.data.target.lower():  # a .joblib path of another column
            raise ConfigError(f"--target {run.data.target}: model {model!r} forecasts another column; "
                              "name a model of that target")
        check_outputs({"--output": output, "--plot": plot}, [model_path])
        trained = prefit.run.window.horizon
        if horizon and horizon != trained:
            raise ConfigError(f"--horizon {horizon}: model {model!r} forecasts {trained} steps; drop --horizon")
        horizon = trained
        if not (run.data.path or run.data.ticker or run.data.query):  # it said "no data: ... forecast train"
            run = replace(run, data=replace(prefit.run.data, target=run.data.target or prefit.run.data.target))
        if not run.data.target:
            run = replace(run, data=replace(run.data, target=prefit.run.data.target or
                                            (prefit.extra["payload"].get("data") or {}).get("target")))
    if not (run.data.path or run.data.ticker or run.data.query):
        from forecast.errors import ConfigError

        raise ConfigError("no data: give the training file (forecast evaluate TRAIN.csv [--test TEST.csv]), "
                          "--ticker SYMBOL, or a saved model and its test rows (--model NAME --test TEST.csv)")
    check_outputs({"--output": output, "--plot": plot}, [run.data.path, test])
    data = api.load_series(run.data)
    if test:  # the classic recipe: fit once on the training file, roll through the test file
        data, folds, step, refit_every, horizon = _with_test(data, run, test, horizon, model if prefit else None)
    names = o.split_list(models) if models else list(default_models(data, season))
    if prefit is not None and not models:  # the saved model is the network; default peers beside it
        from forecast import statpeers

        names = [n for n in names if n in statpeers.PEERS]
    with _progress(not quiet and not json_out and render.err.is_terminal) as on_task:
        bt = backtest(data, run, models=names, folds=folds, horizon=horizon, step=step,
                      window=window_kind, train_size=train_size, refit_every=refit_every,
                      warm_start=warm_start, jobs=jobs, season=season, on_task=on_task, prefit=prefit)
    board = leaderboard(bt)
    _write_files(bt, board, output, plot, data.name, data.target)
    if json_out:
        render.print_json({"series": data.name, "target": data.target, "classes": list(data.classes),
                           **_settings(bt, len(data)), **board.summary(), "notes": list(data.notes),
                           "chosen": _chosen(bt)})
        return
    s = _settings(bt, len(data))
    chosen = [f"input length {s['input_len']}, transform {s['transform']}: chosen on fold 1's "
              f"{s['first_train_rows']} training rows, kept for every fold"] if bt.models else []
    picks = []
    for model, members in _chosen(bt).items():
        if set(members) - {model}:  # the fits did not all keep the network: say what was scored
            counts = ", ".join(f"{m} {members.count(m)}" for m in dict.fromkeys(members))
            picks.append(f"{model}: the row scores what each fold's fit chose on its validation "
                         f"windows ({counts} of {len(members)} fits; column 'chosen'); --keep-net "
                         "scores the network as trained")
    render.notes([*data.notes, *chosen, *picks])
    for line in board.warnings:
        render.err.print(f"[yellow]warning:[/yellow] {line}", highlight=False)
    print_leaderboard(board, title=(
        f"{data.name}: {s['folds']} folds x horizon {s['horizon']} (step {s['step']}, {s['window']}, "
        f"season {s['season']}), ranked by {board.key}; skill vs {board.best_baseline}"))
    for kind, name in (("wrote", output), ("plotted", plot)):
        if name:
            render.out.print(f"{kind} {name}", highlight=False)


def _with_test(
    train: "SeriesData", run: "RunConfig", test: str, horizon: int | None, saved: str | None = None
) -> tuple["SeriesData", int, int, int, int]:
    """TRAIN then TEST as one history, and the folds that make the backtest fit once on TRAIN
    and forecast from every origin from TRAIN's last row on: (history, folds, step 1, refit_every, horizon).
    ``saved``: the saved model whose trained horizon ``horizon`` is (no --horizon can change it)."""
    from dataclasses import replace

    from forecast import api
    from forecast.errors import DataError
    from forecast.forecaster import default_horizon

    spec = replace(run.data, path=test, ticker=None, query=None, target=train.target,
                   features=train.features, series=run.data.series)
    joined, first = api.join_to_model_data(train, api.load_series(spec), test)
    if first < len(train):
        raise DataError(f"{test}: starts {str(joined.dates[first])[:10]}, inside the training file "
                        f"(which ends {str(train.dates[-1])[:10]}); give test rows that come after it")
    if joined.freq != train.freq:
        raise DataError(f"{test}: rows are {joined.freq or 'irregular'}-spaced, the training file is {train.freq}")
    h = horizon or default_horizon(train.freq)
    origins = len(joined) - first - h + 1
    rows = len(joined) - first
    if origins < 1:
        fix = (f"give at least {h} test rows (model {saved!r} forecasts {h} steps)" if saved
               else f"give at least {h} test rows, or --horizon {rows} or less")
        raise DataError(f"{test}: {rows} test row{'s' if rows != 1 else ''}, fewer than the horizon {h}; {fix}")
    return replace(joined, notes=(*joined.notes, f"--test: fitted once on the {first} rows of the training "
                                  f"file, then forecast from {origins} origins ({h} step{'s' if h > 1 else ''} each)")), \
        origins, 1, origins, h


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
                 name: str, target: str) -> None:
    if output:
        from forecast.outputs import write_table

        table = bt.table
        if bt.categorical:  # class codes back to their labels for people reading the file
            labels = dict(enumerate(bt.classes))
            table = table.assign(y=table["y"].astype(int).map(labels),
                                 yhat=table["yhat"].astype(int).map(labels))
        at = list(table.columns).index("model") + 1  # what the rows forecast, as predict's files say it
        table = table.copy()
        table.insert(at, "series", name)
        table.insert(at + 1, "target", target)
        write_table(table, output)
    if plot:
        from forecast.plots import plot_backtest

        plot_backtest(bt, plot, baselines=(board.reference, board.best_baseline), target_name=target,
                      title=f"{name}: walk-forward backtest ({len(bt.folds)} folds, horizon {bt.horizon})")
