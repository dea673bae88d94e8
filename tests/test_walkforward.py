"""forecast.walkforward: split properties, no look-ahead, parallel == serial, refit and warm start."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast import baselines as B
from forecast.api import load_series
from forecast.config import DataSpec, ModelConfig, RunConfig, TrainConfig
from forecast.data.series import SeriesData
from forecast.errors import ConfigError, DataError
from forecast.walkforward import (
    WARM_EPOCH_SHARE,
    WARM_LR_SHARE,
    Backtest,
    backtest,
    fold_seed,
    split_models,
    splits,
)

TINY = RunConfig(  # trains enough that no fit falls back to its starting weights
    model=ModelConfig(hidden=8, layers=1, dropout=0.0),
    train=TrainConfig(epochs=3, lr=1e-2, patience=0, min_improvement=0.0, device="cpu"),
)
KW = {"folds": 3, "horizon": 12, "step": 12}


@pytest.fixture(scope="module")
def airline(sample_data: Path) -> SeriesData:
    return load_series(DataSpec(path=str(sample_data / "sktime_airline.csv")))


@pytest.fixture(scope="module")
def base_bt(airline: SeriesData) -> Backtest:
    return backtest(airline, TINY, models=["lstm"], **KW)


@pytest.fixture(scope="module")
def base(base_bt: Backtest) -> pd.DataFrame:
    return base_bt.table


def with_values(series: SeriesData, y: np.ndarray) -> SeriesData:
    values = series.values.copy()
    values[:, 0] = y
    return replace(series, values=values)


@settings(max_examples=200, deadline=None)
@given(
    n_rows=st.integers(10, 400), folds=st.integers(1, 12), horizon=st.integers(1, 15),
    step=st.integers(1, 15), sliding=st.booleans(), size=st.one_of(st.none(), st.integers(2, 100)),
)
def test_split_properties(n_rows: int, folds: int, horizon: int, step: int, sliding: bool,
                          size: int | None) -> None:
    window = "sliding" if sliding else "expanding"
    try:
        got = list(splits(n_rows, folds=folds, horizon=horizon, step=step, window=window,
                          train_size=size))
    except DataError:
        assert n_rows - horizon - (folds - 1) * step < max(2, size or 0)
        return
    assert [f.index for f in got] == list(range(folds))
    assert got[-1].test.stop == n_rows
    for f in got:
        assert 0 <= f.train_start < f.cutoff == f.test.start  # no overlap, nothing after cutoff
        assert f.test.stop - f.test.start == horizon
    assert all(b.cutoff - a.cutoff == step for a, b in zip(got, got[1:]))  # increasing
    sizes = {f.cutoff - f.train_start for f in got}
    if sliding:
        assert sizes == {size or got[0].cutoff}  # constant window
    else:
        assert {f.train_start for f in got} == {0}


def test_split_errors_name_the_numbers_and_the_fix() -> None:
    with pytest.raises(DataError, match=r"144 rows are too few for 40 folds .*= 482; use --folds 11 or fewer"):
        splits(144, folds=40, horizon=12, step=12)
    with pytest.raises(DataError, match=r"--train-size 200: fold 1 has only 120 rows.*120 or less"):
        splits(144, folds=2, horizon=12, step=12, window="sliding", train_size=200)
    with pytest.raises(ConfigError, match="expanding or sliding"):
        splits(144, folds=2, horizon=12, window="rolling")


def _needed(part: str) -> int:
    """Rows one part of the sum stands for: '2 rows for ...' 2, '4 steps of 12 rows ...' 48, 'horizon 12' 12."""
    import re

    numbers = [int(n) for n in re.findall(r"\d+", part)]
    return numbers[0] * numbers[1] if " steps of " in part or " step of " in part else numbers[0]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 400), st.integers(1, 60), st.integers(1, 50), st.integers(1, 50))
def test_too_few_rows_spells_out_its_sum_and_what_fits(n_rows: int, folds: int, horizon: int, step: int) -> None:
    """Before: '... (needs 62)' with no parts. Now every part is named, they add up to the total,
    and the --folds (or --horizon) it suggests is the largest that fits."""
    import re

    try:
        list(splits(n_rows, folds=folds, horizon=horizon, step=step))
        return
    except DataError as err:
        message = str(err)
    sum_text, fix = re.fullmatch(r".*: it needs (.*) = \d+; (.*)", message).groups()  # type: ignore[union-attr]
    total = int(re.search(r"= (\d+);", message).group(1))  # type: ignore[union-attr]
    assert sum(_needed(p) for p in sum_text.split(" + ")) == total == 2 + (folds - 1) * step + horizon
    assert total > n_rows
    if most := re.search(r"--folds (\d+)(?: or fewer)?, a smaller", fix):
        list(splits(n_rows, folds=int(most.group(1)), horizon=horizon, step=step))  # fits
        with pytest.raises(DataError):
            list(splits(n_rows, folds=int(most.group(1)) + 1, horizon=horizon, step=step))
    elif longest := re.search(r"--horizon (\d+) or less with --folds 1", fix):
        list(splits(n_rows, folds=1, horizon=int(longest.group(1)), step=step))
        with pytest.raises(DataError):
            list(splits(n_rows, folds=1, horizon=int(longest.group(1)) + 1, step=step))
    else:
        assert fix == "use more data" and n_rows <= 2


def test_table_shape_and_baselines_from_training_rows(airline: SeriesData, base: pd.DataFrame) -> None:
    assert list(base.columns)[:6] == ["fold", "cutoff", "ds", "y", "yhat", "model"]
    assert list(base.columns)[6:] == ["q0.05", "q0.1", "q0.5", "q0.9", "q0.95"]  # conformal, any length
    assert list(dict.fromkeys(base["model"])) == ["lstm", *B.BASELINES]
    assert len(base) == 5 * 3 * 12
    y = airline.y
    for fold, cutoff in enumerate((108, 120, 132)):
        rows = base[base["fold"] == fold]
        assert rows["cutoff"].iloc[0] == airline.index[cutoff - 1]
        np.testing.assert_array_equal(rows["y"].iloc[:12], y[cutoff : cutoff + 12])
        for name, fn in B.BASELINES.items():
            got = rows.loc[rows["model"] == name, "yhat"].to_numpy()
            np.testing.assert_allclose(got, fn(y[:cutoff], 12, season=12))


def test_no_look_ahead(airline: SeriesData, base_bt: Backtest, base: pd.DataFrame) -> None:
    """Changing every value after fold 2's cutoff leaves folds 1 and 2 unchanged."""
    assert not base_bt.fits["kept_initial"].any()  # the trained network is what is tested
    cutoff = 120
    y = airline.y.copy()
    rng = np.random.default_rng(0)
    y[cutoff:] = y[cutoff:] * rng.uniform(0.2, 5.0, size=len(y) - cutoff) + 1000.0
    changed = backtest(with_values(airline, y), TINY, models=["lstm"], **KW).table
    early = base["fold"] <= 1
    pd.testing.assert_series_equal(changed.loc[early, "yhat"], base.loc[early, "yhat"])
    assert not np.allclose(changed.loc[~early, "yhat"], base.loc[~early, "yhat"])


def test_parallel_equals_serial(airline: SeriesData, base: pd.DataFrame) -> None:
    parallel = backtest(airline, TINY, models=["lstm"], jobs=2, **KW).table
    pd.testing.assert_frame_equal(parallel, base)


def test_refit_every_reuses_the_model_on_new_rows(airline: SeriesData) -> None:
    from forecast.forecaster import fit

    bt = backtest(airline, TINY, models=["gru"], refit_every=2, **KW)
    assert bt.fits["fold"].tolist() == [0, 2]
    run = replace(bt.run, model=replace(bt.run.model, name="gru"))
    first = fit(airline.head(108), replace(run, train=replace(run.train, seed=fold_seed(0, 0))))
    between = bt.table[(bt.table["model"] == "gru") & (bt.table["fold"] == 1)]
    np.testing.assert_allclose(between["yhat"], first.predict(airline.head(120)).point)


def test_warm_start_continues_from_the_previous_fit(airline: SeriesData) -> None:
    from forecast.forecaster import fit

    run = replace(TINY, train=replace(TINY.train, epochs=8))
    bt = backtest(airline, run, models=["lstm"], warm_start=True, **KW)
    assert bt.fits["kind"].tolist() == ["fresh", "warm", "warm"]
    assert bt.fits["epochs"].tolist()[1:] == [int(np.ceil(8 * WARM_EPOCH_SHARE))] * 2
    seeded = replace(bt.run, train=replace(bt.run.train, seed=fold_seed(0, 0)))
    first = fit(airline.head(108), seeded)
    warm_train = replace(seeded.train, seed=fold_seed(0, 1), epochs=1, patience=0,
                         lr=seeded.train.lr * WARM_LR_SHARE)
    second = fit(airline.head(120), replace(seeded, train=warm_train), init_from=first)
    fold1 = bt.table[(bt.table["model"] == "lstm") & (bt.table["fold"] == 1)]
    np.testing.assert_allclose(fold1["yhat"], second.predict(airline.head(120)).point)


def test_bad_models_and_refit_are_config_errors(airline: SeriesData) -> None:
    with pytest.raises(ConfigError, match="unknown model nope; choose from .*lstm"):
        backtest(airline, TINY, models=["lstm", "nope"], **KW)
    with pytest.raises(ConfigError, match="--refit-every 0"):
        backtest(airline, TINY, models=["lstm"], refit_every=0, **KW)


def test_first_fold_too_short_names_the_fold(airline: SeriesData) -> None:
    with pytest.raises(DataError, match=r"fold 1 trains on rows 1-12 of 144.*fewer --folds"):
        backtest(airline, TINY, models=["lstm"], folds=11, horizon=12)


def test_a_baseline_in_models_says_it_always_runs() -> None:
    """`--models naive,drift` used to answer "unknown model naive, drift"; the baselines are in
    every leaderboard, so the error says that instead (exit 2 from the CLI, a ConfigError here)."""
    with pytest.raises(ConfigError, match="naive, drift are simple baselines, which every evaluate scores"):
        split_models(("lstm", "naive", "drift"), season=12, classes=())
    with pytest.raises(ConfigError, match="seasonal_naive is a simple baseline"):
        split_models(("seasonal_naive",), season=12, classes=())
