"""forecast.baselines on hand-made and real (airline) series."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from forecast import baselines as B


@pytest.fixture(scope="module")
def airline() -> np.ndarray:
    path = Path(__file__).resolve().parent.parent / "sample_data" / "sktime_airline.csv"
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["Date"] == "1949-01" and rows[-1]["Date"] == "1960-12"
    return np.array([float(r["Passengers"]) for r in rows])


def test_registries() -> None:
    assert B.BASELINES == {
        "naive": B.naive,
        "seasonal_naive": B.seasonal_naive,
        "drift": B.drift,
        "mean": B.mean,
    }
    assert B.CLASS_BASELINES == {"persistence": B.persistence, "majority": B.majority}
    assert B.PRICE_BASELINES == {"log_drift": B.log_drift}


def test_seasonal_naive_on_airline_is_value_twelve_steps_back(airline: np.ndarray) -> None:
    for origin in (24, 60, 120, 132):
        history = airline[:origin]
        fc = B.seasonal_naive(history, 12, season=12)
        assert fc.shape == (12,)
        np.testing.assert_array_equal(fc, airline[origin - 12 : origin])
    # horizon longer than a season wraps: step h uses the value 12*(1 + h//12) steps back
    fc = B.seasonal_naive(airline[:120], 24, season=12)
    np.testing.assert_array_equal(fc, np.tile(airline[108:120], 2))


def test_seasonal_naive_beats_naive_on_airline(airline: np.ndarray) -> None:
    """The real series is seasonal: the seasonal baseline has the lower error over the last 3 years."""
    err_seasonal = err_naive = 0.0
    for origin in range(108, 144, 12):
        actual = airline[origin : origin + 12]
        err_seasonal += np.abs(B.seasonal_naive(airline[:origin], 12, season=12) - actual).sum()
        err_naive += np.abs(B.naive(airline[:origin], 12, season=12) - actual).sum()
    assert err_seasonal < 0.8 * err_naive


def test_numeric_baselines_on_airline(airline: np.ndarray) -> None:
    history = airline[:132]
    np.testing.assert_array_equal(B.naive(history, 5), np.full(5, 405.0))  # Dec 1959
    assert B.mean(history, 3) == pytest.approx(np.full(3, history.sum() / 132))
    slope = (405.0 - 112.0) / 131
    assert B.drift(history, 3) == pytest.approx(405.0 + slope * np.array([1, 2, 3]))


def test_seasonal_naive_falls_back_to_naive() -> None:
    history = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    naive = np.full(4, 5.0)
    for season in (None, 1, 6):
        np.testing.assert_array_equal(B.seasonal_naive(history, 4, season=season), naive)
    np.testing.assert_array_equal(B.seasonal_naive(history, 4, season=5), [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(B.seasonal_naive(history, 3, season=2), [4.0, 5.0, 4.0])


def test_log_drift_continues_a_geometric_series_and_is_the_mean_log_return(airline: np.ndarray) -> None:
    growth = 100 * 1.01 ** np.arange(50)
    assert np.allclose(B.log_drift(growth, 4), 100 * 1.01 ** np.arange(50, 54))
    history = airline[:100]
    mu = np.mean(np.diff(np.log(history)))  # the mean log return: y_T exp(h mu)
    assert np.allclose(B.log_drift(history, 3), history[-1] * np.exp(mu * np.arange(1, 4)))
    assert np.array_equal(B.log_drift(np.array([7.0]), 2), [7.0, 7.0])
    with pytest.raises(ValueError, match="positive"):
        B.log_drift(np.array([3.0, 0.0, 4.0]), 2)


def test_drift_single_value_and_line() -> None:
    np.testing.assert_array_equal(B.drift(np.array([7.0]), 3), [7.0, 7.0, 7.0])
    np.testing.assert_allclose(B.drift(np.array([0.0, 5.0, 2.0]), 2), [3.0, 4.0])


@given(
    hnp.arrays(np.float64, st.integers(1, 40), elements=st.floats(-1e6, 1e6)),
    st.integers(1, 30),
    st.one_of(st.none(), st.integers(1, 13)),
)
def test_every_baseline_returns_horizon_values(history: np.ndarray, horizon: int, season: int | None) -> None:
    for fn in B.BASELINES.values():
        out = fn(history, horizon, season=season)
        assert out.shape == (horizon,)
        assert np.all(np.isfinite(out))
    sn = B.seasonal_naive(history, horizon, season=season)
    period = season if season and season > 1 and season <= history.size else 1
    for h in range(horizon):
        assert sn[h] == history[history.size - period + h % period]


def test_class_baselines() -> None:
    history = np.array([2.0, 0.0, 1.0, 1.0, 0.0, 2.0, 2.0, 0.0])  # 0 and 2 tie (3 each)
    np.testing.assert_array_equal(B.persistence(history, 3), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(B.majority(history, 2), [0.0, 0.0])  # tie -> smallest
    np.testing.assert_array_equal(B.majority(np.array([3.0, 1.0, 3.0]), 1), [3.0])
    np.testing.assert_array_equal(B.persistence(history, 2, season=4), [0.0, 0.0])


@given(st.lists(st.integers(0, 4), min_size=1, max_size=30), st.integers(1, 5))
def test_majority_matches_counting_loop(labels: list[int], horizon: int) -> None:
    counts: dict[int, int] = {}
    for c in labels:
        counts[c] = counts.get(c, 0) + 1
    best = min(c for c, k in counts.items() if k == max(counts.values()))
    out = B.majority(np.array(labels, dtype=float), horizon)
    np.testing.assert_array_equal(out, np.full(horizon, float(best)))


@pytest.mark.parametrize("fn", [*B.BASELINES.values(), *B.CLASS_BASELINES.values()])
def test_bad_arguments_raise(fn) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="non-empty"):
        fn(np.array([]), 3)
    with pytest.raises(ValueError, match="horizon"):
        fn(np.array([1.0, 2.0]), 0)
    with pytest.raises(ValueError, match="1-D"):
        fn(np.ones((2, 2)), 1)
