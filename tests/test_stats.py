"""forecast.stats: the t CDF, the Diebold-Mariano test and the lag-mimic score."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from forecast.stats import LAG_MIMIC_WARN, diebold_mariano, lag_mimic_score, t_cdf


def two_sided(t: float, dof: float) -> float:
    return 2.0 * t_cdf(-abs(t), dof)


# ------------------------------------------------------------------ t CDF


@pytest.mark.parametrize(
    ("t", "dof", "p"),
    [
        (2.0, 10, 0.0733880347707),  # textbook value
        (1.96, 1000, 0.0502731849558),
        (2.228138851986, 10, 0.05),  # table critical values
        (12.70620473617, 1, 0.05),
        (2.570581835636, 5, 0.05),
        (2.004879288, 54, 0.05),
        (3.169272672617, 10, 0.01),
    ],
)
def test_t_two_sided_p_known_values(t: float, dof: float, p: float) -> None:
    assert two_sided(t, dof) == pytest.approx(p, rel=1e-8)


@given(st.floats(-1e4, 1e4))
def test_t_cdf_closed_forms_dof_1_and_2(t: float) -> None:
    # dof 1 is Cauchy; dof 2 has F(t) = 1/2 + t / (2 sqrt(2 + t^2)).
    assert t_cdf(t, 1) == pytest.approx(0.5 + math.atan(t) / math.pi, rel=1e-10, abs=1e-13)
    assert t_cdf(t, 2) == pytest.approx(0.5 + t / (2 * math.sqrt(2 + t * t)), rel=1e-10, abs=1e-13)


@given(st.floats(-50, 50), st.floats(0.5, 1e5))
def test_t_cdf_symmetry_and_range(t: float, dof: float) -> None:
    lo, hi = t_cdf(-t, dof), t_cdf(t, dof)
    assert 0.0 <= hi <= 1.0
    assert lo + hi == pytest.approx(1.0, abs=1e-12)


def test_t_cdf_tends_to_normal_and_edges() -> None:
    for t in (-3.0, -1.0, 0.5, 2.0):
        normal = 0.5 * (1 + math.erf(t / math.sqrt(2)))
        assert t_cdf(t, 1e7) == pytest.approx(normal, abs=1e-7)
        assert abs(t_cdf(t, 5) - normal) > 1e-3  # and it is not the normal at small dof
    assert t_cdf(0.0, 3) == 0.5
    assert t_cdf(math.inf, 3) == 1.0 and t_cdf(-math.inf, 3) == 0.0
    assert math.isnan(t_cdf(math.nan, 3))
    assert 0 < two_sided(40.0, 100) < 1e-60  # tiny tails stay positive, not 1 - 1
    with pytest.raises(ValueError):
        t_cdf(1.0, 0)


def test_t_cdf_against_mpmath() -> None:
    mpmath = pytest.importorskip("mpmath")
    for dof in (0.7, 3, 17, 45, 300, 5000):
        for t in (0.1, 1.3, 2.5, 6.0):
            v = mpmath.mpf(dof)
            ref = mpmath.betainc(v / 2, 0.5, 0, v / (v + t * t), regularized=True) / 2
            assert t_cdf(-t, dof) == pytest.approx(float(ref), rel=1e-10)


# ------------------------------------------------------- Diebold-Mariano


def dm_loop(e1: list[float], e2: list[float], h: int, power: int) -> tuple[float, float]:
    """Textbook DM with the HLN correction, written as plain loops."""
    d = [abs(a) ** power - abs(b) ** power for a, b in zip(e1, e2)]
    n = len(d)
    dbar = sum(d) / n
    gam = []
    for k in range(h):
        gam.append(sum((d[t] - dbar) * (d[t - k] - dbar) for t in range(k, n)) / n)
    var = (gam[0] + 2 * sum(gam[1:])) / n
    stat = dbar / math.sqrt(var) * math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    return stat, 2 * t_cdf(-abs(stat), n - 1)


@pytest.mark.parametrize(("h", "power"), [(1, 2), (3, 2), (1, 1), (4, 1)])
def test_dm_matches_loop(h: int, power: int) -> None:
    rng = np.random.default_rng(h * 10 + power)
    e1 = rng.normal(size=60)
    e2 = 0.9 * rng.normal(size=60) + 0.3 * e1
    ref_stat, ref_p = dm_loop(e1.tolist(), e2.tolist(), h, power)
    stat, p = diebold_mariano(e1, e2, horizon=h, power=power)
    assert stat == pytest.approx(ref_stat, rel=1e-10)
    assert p == pytest.approx(ref_p, rel=1e-10)


def test_dm_identical_errors() -> None:
    e = np.random.default_rng(0).normal(size=50)
    assert diebold_mariano(e, e.copy()) == (0.0, 1.0)
    assert diebold_mariano(e, -e, horizon=3) == (0.0, 1.0)  # same losses


def test_dm_clearly_better_forecast_is_significant() -> None:
    rng = np.random.default_rng(42)
    truth_noise = rng.normal(size=400)
    e_good = truth_noise
    e_bad = truth_noise + rng.normal(scale=1.0, size=400)
    stat, p = diebold_mariano(e_bad, e_good, horizon=1)
    assert stat > 0 and p < 0.05
    stat_rev, p_rev = diebold_mariano(e_good, e_bad, horizon=1)
    assert stat_rev == pytest.approx(-stat) and p_rev == pytest.approx(p)
    _, p_h = diebold_mariano(e_bad, e_good, horizon=4)
    assert p_h < 0.05


def test_dm_size_under_null() -> None:
    """Equal-accuracy forecasts: the 5% test rejects about 5% of the time."""
    rng = np.random.default_rng(7)
    rejections = 0
    reps = 400
    for _ in range(reps):
        e1, e2 = rng.normal(size=(2, 80))
        rejections += diebold_mariano(e1, e2)[1] < 0.05
    assert 0.02 <= rejections / reps <= 0.09


def test_dm_negative_variance_falls_back_to_horizon_1() -> None:
    # Alternating loss differential: lag-1 autocovariance ~ -variance, so the h=2 sum is negative.
    n = 40
    e1 = np.sqrt(np.where(np.arange(n) % 2 == 0, 3.0, 1.0) + 0.01 * np.arange(n))
    e2 = np.ones(n)
    d = e1**2 - e2**2
    dev = d - d.mean()
    assert dev @ dev + 2 * (dev[1:] @ dev[:-1]) < 0
    assert diebold_mariano(e1, e2, horizon=2) == diebold_mariano(e1, e2, horizon=1)


def test_dm_degenerate_inputs() -> None:
    stat, p = diebold_mariano(np.full(10, 2.0), np.ones(10))
    assert stat == math.inf and p == 0.0
    assert all(math.isnan(v) for v in diebold_mariano(np.array([1.0]), np.array([2.0])))
    e1 = np.array([1.0, np.nan, 2.0, 0.5, 3.0])
    e2 = np.array([0.5, 1.0, np.nan, 0.4, 1.0])
    assert diebold_mariano(e1, e2) == diebold_mariano(e1[[0, 3, 4]], e2[[0, 3, 4]])
    with pytest.raises(ValueError):
        diebold_mariano(np.ones(3), np.ones(4))
    with pytest.raises(ValueError):
        diebold_mariano(np.ones(3), np.ones(3), horizon=0)


# ------------------------------------------------------------ lag mimic


def test_lag_mimic_hand_worked() -> None:
    y = np.array([[12.0, 14.0], [5.0, 3.0]])
    last = np.array([10.0, 4.0])
    yhat = np.array([[11.0, 11.0], [4.0, 4.5]])
    # |yhat - y| = 1, 3, 1, 1.5 -> 6.5/4 ; |yhat - last| = 1, 1, 0, 0.5 -> 2.5/4
    assert lag_mimic_score(y, yhat, last) == pytest.approx(6.5 / 2.5)
    assert lag_mimic_score(y, yhat, last) > LAG_MIMIC_WARN


def test_lag_mimic_edges() -> None:
    y = np.array([1.0, 2.0, 3.0])
    assert lag_mimic_score(y, np.full(3, 0.5), 0.5) == math.inf  # pure copy of last
    assert lag_mimic_score(y, y.copy(), 0.0) == 0.0  # perfect and far from last
    assert math.isnan(lag_mimic_score(np.ones(2), np.ones(2), 1.0))
    assert math.isnan(lag_mimic_score(np.array([np.nan]), np.array([1.0]), 0.0))


def test_lag_mimic_on_airline_flags_a_lagged_copy() -> None:
    path = Path(__file__).resolve().parent.parent / "sample_data" / "sktime_airline.csv"
    with path.open(newline="") as fh:
        series = np.array([float(r["Passengers"]) for r in csv.DictReader(fh)])
    y, last = series[1:], series[:-1]
    rng = np.random.default_rng(3)
    lagged = last + rng.normal(scale=2.0, size=last.size)  # an echo of the input
    assert lag_mimic_score(y, lagged, last) > 3 * LAG_MIMIC_WARN
    informed = y + rng.normal(scale=2.0, size=y.size)  # tracks the outcome instead
    assert lag_mimic_score(y, informed, last) < LAG_MIMIC_WARN / 3
