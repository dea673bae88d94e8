"""Walk-forward evaluation: one split generator and one backtest loop.

Folds sit at the end of the series, ``step`` rows apart, on the series' own rows::

    expanding                              sliding (train_size rows)
    fold 0 [train.........)[test]          [train.....)[test]
    fold 1 [train.............)[test]          [train.....)[test]
                           <step>                  <step>

Every fold refits everything on its training part only (scalers, transforms,
early stopping's validation tail) through :func:`forecast.forecaster.fit`, so
no value after a cutoff reaches that fold's forecast. Zoo models and baselines
share the folds. A task is one model's *chain* of folds: with ``refit_every=1``
and no warm start each fold is its own chain and chains run in parallel
(joblib); ``refit_every=K`` groups K folds on one fitted model, and
``warm_start`` links every refit to the previous one (fine-tuning it), so such
folds run in order. Each fit is seeded from (seed, fold) and runs on one torch thread, so
``jobs`` never changes a number. Statistical peers (forecast.statpeers: statsforecast's
AutoETS, AutoARIMA, AutoTheta, MSTL) are a third kind of model in the same loop: one task per
fold, refit on the fold's training rows, their intervals written as the same quantile columns.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from forecast import baselines as B
from forecast import statpeers
from forecast.config import RunConfig
from forecast.data.series import SeriesData
from forecast.errors import ConfigError, DataError, shortfall

Window = Literal["expanding", "sliding"]
# A warm refit fine-tunes weights that already fit all but the newest rows: an eighth of the
# epochs at a tenth of the learning rate. Adam's moments start afresh, so full-rate steps knock a
# fitted model off (bench/bench_walkforward.py on MSFT: +6-9% MASE at full rate, < 1.5% so).
WARM_EPOCH_SHARE = 0.125
WARM_LR_SHARE = 0.1
MIN_FOLD_ROWS = 2  # the least fold 1 may train on here; a network's fit needs more (resolve_run says how many)


@dataclass(frozen=True)
class Fold:
    """One split: training rows [train_start, cutoff), test rows ``test``."""

    index: int
    train_start: int
    cutoff: int  # exclusive end of the training rows = first test row
    test: slice


def splits(
    n_rows: int,
    *,
    folds: int,
    horizon: int,
    step: int | None = None,
    window: str = "expanding",
    train_size: int | None = None,
) -> Iterator[Fold]:
    """The folds over ``n_rows`` rows, the last test ending at the last row.

    ``step`` defaults to ``horizon``; a sliding window defaults to the rows
    before the first cutoff; with an expanding window ``train_size`` is the
    least the first fold may train on.
    """
    step = horizon if step is None else step  # --step 0 was read as "the default"
    meaning = {"folds": "the walk-forward folds", "horizon": "steps forecast", "step": "rows between fold cutoffs"}
    bad = [f"--{k} {v}: give 1 or more ({meaning[k]})" for k, v in
           (("folds", folds), ("horizon", horizon), ("step", step)) if v < 1]
    if bad:
        raise ConfigError("; ".join(bad))
    if window not in ("expanding", "sliding"):
        raise ConfigError(f"--window {window!r}: choose expanding or sliding")
    first = n_rows - horizon - (folds - 1) * step
    if first < MIN_FOLD_ROWS:
        raise DataError(f"{n_rows} rows are too few for {folds} fold{'s' if folds > 1 else ''} of horizon {horizon} "
                        f"every {step} row{'s' if step > 1 else ''}: {_fold_sum(n_rows, folds, horizon, step)}")
    if train_size and train_size > first:
        raise DataError(
            f"--train-size {train_size}: fold 1 has only {first} rows before its cutoff "
            f"({n_rows} rows - horizon {horizon} - {folds - 1} steps of {step}); "
            f"use --train-size {first} or less, fewer --folds or a smaller --step"
        )
    size = (train_size or first) if window == "sliding" else None
    return _generate(first, folds, horizon, step, size)


def _fold_sum(n_rows: int, folds: int, horizon: int, step: int) -> str:
    """The rows the folds need, spelled out as resolve_run's too-short message does, and the
    most --folds (else the largest --horizon) that fits ``n_rows``."""
    spare = n_rows - horizon - MIN_FOLD_ROWS  # rows left for the steps between folds
    most = spare // step + 1 if spare >= 0 else 0
    fix = (f"use --folds {most}{' or fewer' if most > 1 else ''}, a smaller --step or --horizon, or more data"
           if most else f"use --horizon {n_rows - MIN_FOLD_ROWS} or less with --folds 1, or more data"
           if n_rows > MIN_FOLD_ROWS else "use more data")
    between = f"{folds - 1} step{'s' if folds > 2 else ''} of {step} row{'s' if step > 1 else ''} between the folds"
    parts = [f"{MIN_FOLD_ROWS} rows for fold 1 to train on", *([between] if folds > 1 else []), f"horizon {horizon}"]
    return shortfall(parts, MIN_FOLD_ROWS + (folds - 1) * step + horizon, fix)


def _generate(first: int, folds: int, horizon: int, step: int, size: int | None) -> Iterator[Fold]:
    for k in range(folds):
        cutoff = first + k * step
        start = 0 if size is None else cutoff - size
        yield Fold(k, start, cutoff, slice(cutoff, cutoff + horizon))


@dataclass(frozen=True)
class Backtest:
    """A backtest's results: the long table plus what scoring needs about each fold."""

    table: pd.DataFrame  # fold, cutoff, ds, y, yhat, model [, q0.05 ...] [, sigma]
    folds: pd.DataFrame  # fold, train_start, cutoff_row, cutoff, last, scale
    fits: pd.DataFrame  # model, fold, kind (fresh/warm), seconds, epochs, kept_initial, chosen
    run: RunConfig  # resolved on the first fold's training part
    models: tuple[str, ...]  # networks of the zoo
    baselines: tuple[str, ...]
    horizon: int
    step: int
    window: str
    season: int
    classes: tuple[str, ...] = ()
    seconds: float = 0.0
    peers: tuple[str, ...] = ()  # statistical peers that ran on every fold
    notes: tuple[str, ...] = ()  # e.g. a peer that could not fit a fold and was left out

    @property
    def categorical(self) -> bool:
        return bool(self.classes)


def rows(series: SeriesData, start: int, stop: int) -> SeriesData:
    """Rows [start, stop) of ``series`` (a fold's training part)."""
    return series.rows(start, stop)


def fold_seed(seed: int, fold: int) -> int:
    """A fit's seed from (seed, fold), the same in every process."""
    return seed * 1000 + fold


def naive_scale(history: np.ndarray, m: int) -> float:
    """MASE's denominator: the in-sample MAE of the m-step naive forecast (nan if undefined)."""
    if history.size <= m:
        return float("nan")
    scale = float(np.mean(np.abs(history[m:] - history[:-m])))
    return scale if scale > 0 else float("nan")


def _frame(series: SeriesData, fold: Fold, model: str, point: np.ndarray,
           quantiles: dict[float, np.ndarray] | None = None, sigma: np.ndarray | None = None
           ) -> pd.DataFrame:
    frame = pd.DataFrame({
        "fold": fold.index,
        "cutoff": series.index[fold.cutoff - 1],
        "ds": series.index[fold.test],
        "y": series.y[fold.test],
        "yhat": np.asarray(point, dtype=np.float64),
        "model": model,
    })
    for level, values in sorted((quantiles or {}).items()):
        frame[f"q{level:g}"] = values
    if sigma is not None:  # a normal predictive distribution's standard deviation (peers)
        frame["sigma"] = np.asarray(sigma, dtype=np.float64)
    return frame


def _fold_run(run: RunConfig, model: str, fold: int, warm: bool) -> RunConfig:
    train = replace(run.train, seed=fold_seed(run.train.seed, fold))
    if warm:
        epochs = max(1, math.ceil((run.train.epochs or 1) * WARM_EPOCH_SHARE))
        train = replace(train, epochs=epochs, patience=min(train.patience or 0, epochs),
                        lr=train.lr * WARM_LR_SHARE)
    return replace(run, model=replace(run.model, name=model), train=train)


def run_chain(series: SeriesData, run: RunConfig, model: str, chain: list[Fold],
              refit_every: int, warm_start: bool, season: int = 1, prefit: Any = None
              ) -> tuple[list[pd.DataFrame], list[dict[str, Any]]]:
    """Fit and forecast one model over a chain of folds, in order (one joblib task); a
    ``prefit`` Forecaster (a saved model) forecasts every fold without being refit."""
    if model in statpeers.PEERS:
        return run_peer(series, model, chain, season)
    from forecast.forecaster import fit
    from forecast.parallel import one_thread

    with one_thread():  # the same arithmetic whatever --jobs is
        frames, fits, fitted = [], [], prefit
        if prefit is not None:  # no fit: the saved model, as it was trained
            fits.append({"model": model, "fold": chain[0].index, "kind": "saved", "seconds": 0.0,
                         "epochs": 0, "kept_initial": bool(getattr(prefit.report, "kept_initial", False)),
                         "chosen": prefit.chosen.member})
        for fold in chain:
            part = rows(series, fold.train_start, fold.cutoff)
            if prefit is None and (fitted is None or fold.index % refit_every == 0):
                warm = warm_start and fitted is not None
                started = time.perf_counter()
                fold_run = _fold_run(run, model, fold.index, warm)
                fitted = fit(part, fold_run, init_from=fitted if warm else None)
                report = fitted.report
                fits.append({"model": model, "fold": fold.index, "kind": "warm" if warm else "fresh",
                             "seconds": time.perf_counter() - started,
                             "epochs": report.epochs_run if report else 0,
                             "kept_initial": bool(getattr(report, "kept_initial", False)),
                             "chosen": fitted.chosen.member})
            forecast = fitted.predict(part)
            frames.append(_frame(series, fold, model, forecast.point, forecast.quantiles))
        return frames, fits


def run_peer(series: SeriesData, model: str, chain: list[Fold], season: int
             ) -> tuple[list[pd.DataFrame], list[dict[str, Any]]]:
    """A statistical peer on each fold of ``chain``, refit on that fold's training rows."""
    frames, fits = [], []
    for fold in chain:
        started = time.perf_counter()
        history = series.y[fold.train_start : fold.cutoff]
        try:
            point, quantiles, sigma = statpeers.forecast(model, history, fold.test.stop - fold.test.start,
                                                         season)
        except DataError as err:
            return [], [{"model": model, "fold": fold.index, "kind": "failed", "seconds": 0.0,
                         "epochs": 0, "kept_initial": False, "chosen": model, "error": str(err)}]
        frames.append(_frame(series, fold, model, point, quantiles, sigma))
        fits.append({"model": model, "fold": fold.index, "kind": "fresh",
                     "seconds": time.perf_counter() - started, "epochs": 0, "kept_initial": False,
                     "chosen": model})
    return frames, fits


def chains(all_folds: list[Fold], refit_every: int, warm_start: bool) -> list[list[Fold]]:
    """Folds that share fitted weights: one chain with a warm start, else groups of K."""
    if warm_start:
        return [all_folds]
    return [all_folds[i : i + refit_every] for i in range(0, len(all_folds), refit_every)]


def leaderboard_baselines(classes: tuple[str, ...]) -> dict[str, B.Baseline]:
    """The simple baselines every leaderboard scores beside the models asked for."""
    return B.CLASS_BASELINES if classes else B.BASELINES


def baseline_frames(series: SeriesData, all_folds: list[Fold], season: int) -> list[pd.DataFrame]:
    """Every baseline on every fold, from the fold's training rows only."""
    table = leaderboard_baselines(series.classes)
    y, frames = series.y, []
    for fold in all_folds:
        history = y[fold.train_start : fold.cutoff]
        horizon = fold.test.stop - fold.test.start
        for name, baseline in table.items():
            frames.append(_frame(series, fold, name, baseline(history, horizon, season=season)))
    return frames


def fold_info(series: SeriesData, all_folds: list[Fold], season: int) -> pd.DataFrame:
    """Per fold: training rows, cutoff date, last observed value, MASE scale."""
    y, m = series.y, season if season > 1 else 1
    return pd.DataFrame([{
        "fold": f.index, "train_start": f.train_start, "cutoff_row": f.cutoff,
        "cutoff": series.index[f.cutoff - 1], "last": y[f.cutoff - 1],
        "scale": naive_scale(y[f.train_start : f.cutoff], m),
    } for f in all_folds])


def resolve_for_backtest(series: SeriesData, run: RunConfig, first: Fold) -> RunConfig:
    """Resolve the run once, on the first training part only (no later value decides it)."""
    from forecast.forecaster import resolve_run

    try:
        return resolve_run(run, rows(series, first.train_start, first.cutoff))
    except DataError as err:
        raise DataError(
            f"fold 1 trains on rows {first.train_start + 1}-{first.cutoff} of {len(series)} "
            f"({first.cutoff - first.train_start} rows): {err}; or fewer --folds / a smaller --step"
        ) from None


def backtest(
    series: SeriesData,
    run: RunConfig,
    *,
    models: tuple[str, ...] | list[str] = ("lstm",),
    folds: int = 5,
    horizon: int | None = None,
    step: int | None = None,
    window: str = "expanding",
    train_size: int | None = None,
    refit_every: int = 1,
    warm_start: bool = False,
    jobs: int = 1,
    season: int | None = None,
    seed: int | None = None,
    on_task: Callable[[int, int], None] | None = None,
    prefit: Any = None,
) -> Backtest:
    """Walk forward over ``series``: every model (networks of the zoo and statistical peers)
    and every baseline on the same folds. With ``prefit`` (a saved model's Forecaster) the
    network is that model, forecasting every fold as it is, never refit."""
    from joblib import Parallel, delayed

    from forecast.data.calendar import season_length
    from forecast.forecaster import default_horizon

    if refit_every < 1:
        raise ConfigError(f"--refit-every {refit_every}: must be >= 1 (1 refits every fold)")
    season = season or season_length(series.freq) or 1
    if prefit is not None:  # the saved model is the one network; peers may run beside it
        _named_once(models)  # said before the saved model's own name is dropped below
        extra = [m for m in models if m not in statpeers.PEERS and m != prefit.run.model.name]
        if extra:
            raise ConfigError("a saved model is evaluated alone (peers and baselines run beside it); "
                              f"drop the networks {', '.join(extra)} from --models")
        models = (prefit.run.model.name, *[m for m in models if m in statpeers.PEERS])
    nets, peers = split_models(models, season, series.classes)
    started = time.perf_counter()
    horizon = horizon or run.window.horizon or default_horizon(series.freq)
    all_folds = list(splits(len(series), folds=folds, horizon=horizon, step=step,
                            window=window, train_size=train_size))
    run = replace(run, window=replace(run.window, horizon=horizon))
    if seed is not None:
        run = replace(run, train=replace(run.train, seed=seed))
    if prefit is not None:
        run = replace(prefit.run, window=replace(prefit.run.window, horizon=horizon))
    elif nets:
        run = resolve_for_backtest(series, run, all_folds[0])
    tasks = [(m, c) for m in nets for c in chains(all_folds, refit_every, warm_start)]
    tasks += [(m, [f]) for m in peers for f in all_folds]
    frames, fits = baseline_frames(series, all_folds, season), []
    parallel = Parallel(n_jobs=jobs, return_as="generator_unordered")
    results = parallel(delayed(run_chain)(series, run, m, c, refit_every, warm_start, season,
                                          prefit if m not in statpeers.PEERS else None)
                       for m, c in tasks)
    for done, (chain_frames, chain_fits) in enumerate(results, 1):
        frames += chain_frames
        fits += chain_fits
        if on_task is not None:
            on_task(done, len(tasks))
    table, fits_table, peers, notes = _drop_failed_peers(pd.concat(frames, ignore_index=True),
                                                         pd.DataFrame(fits), peers)
    names = (*nets, *peers, *leaderboard_baselines(series.classes))
    return Backtest(
        table=_sorted(table, names), folds=fold_info(series, all_folds, season), fits=fits_table,
        run=run, models=nets, baselines=names[len(nets) + len(peers):], horizon=horizon,
        step=step or horizon, window=window, season=season, classes=series.classes,
        seconds=time.perf_counter() - started, peers=peers, notes=notes,
    )


def _named_once(models: tuple[str, ...] | list[str]) -> None:
    """A model named twice ran twice and crashed the leaderboard's Diebold-Mariano test (exit 1)."""
    twice = [m for m in dict.fromkeys(models) if list(models).count(m) > 1]
    if twice:
        raise ConfigError(f"--models {','.join(models)}: {', '.join(twice)} named twice; name each model once")


def split_models(models: tuple[str, ...] | list[str], season: int, classes: tuple[str, ...]
                 ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(networks, statistical peers) of ``models``; a one-line ConfigError for any other name."""
    from forecast.models.registry import MODELS

    _named_once(models)
    unknown = [m for m in models if m not in MODELS and m not in statpeers.PEERS]
    simple = [m for m in unknown if m in leaderboard_baselines(classes)]  # log_drift is not: unknown
    if simple:  # they always run: every leaderboard scores them beside the models asked for
        raise ConfigError(f"--models {','.join(models)}: {', '.join(simple)} "
                          f"{'is a simple baseline' if len(simple) == 1 else 'are simple baselines'}, "
                          "which every evaluate scores beside the models; leave "
                          f"{'it' if len(simple) == 1 else 'them'} out of --models")
    if unknown or not models:
        choices = ", ".join([*MODELS, *statpeers.PEERS])
        raise ConfigError(f"--models {','.join(models)}: unknown model {', '.join(unknown or ['(none)'])}; "
                          f"choose from {choices} (forecast models lists the networks)")
    statpeers.check(models, season=season, categorical=bool(classes))
    return (tuple(m for m in models if m in MODELS), tuple(m for m in models if m in statpeers.PEERS))


def default_models(series: SeriesData, season: int | None = None) -> tuple[str, ...]:
    """What ``forecast evaluate`` runs without --models: lstm, plus the default statistical
    peers when the ``stats`` extra is installed."""
    from forecast.data.calendar import season_length

    season = season or season_length(series.freq) or 1
    return ("lstm", *statpeers.defaults(season, bool(series.classes)))


FIT_COLUMNS = ["model", "fold", "kind", "seconds", "epochs", "kept_initial", "chosen"]


def _drop_failed_peers(table: pd.DataFrame, fits: pd.DataFrame, peers: tuple[str, ...]
                       ) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...], tuple[str, ...]]:
    """Leave out a peer that could not fit some fold (it would have no score there), with a note."""
    fits = fits.reindex(columns=[*FIT_COLUMNS, "error"])
    failed = fits[fits["kind"] == "failed"]
    notes = tuple(f"{r.model} left out: fold {r.fold + 1}: {r.error}"
                  for r in failed.drop_duplicates("model").itertuples())
    bad = set(failed["model"])
    table = table[~table["model"].isin(bad)]
    return table, fits[~fits["model"].isin(bad)][FIT_COLUMNS].reset_index(drop=True), \
        tuple(p for p in peers if p not in bad), notes


def _sorted(table: pd.DataFrame, names: tuple[str, ...]) -> pd.DataFrame:
    """Models in the order asked (zoo first, then baselines), then fold and date."""
    order = table["model"].map({name: i for i, name in enumerate(names)})
    table = table.assign(_order=order).sort_values(["_order", "fold", "ds"], kind="stable")
    return table.drop(columns="_order").reset_index(drop=True)
