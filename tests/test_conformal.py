"""Conformal intervals: the ACI update against a hand-worked sequence, DtACI against ACI and
against noise, coverage on simulated data with a known distribution (a GARCH(1,1) process),
the baseline-chosen case, the peers' rolling calibration forecasts (no look-ahead), and who
borrows whose errors (comb: its peers' median's; a net: the best reference's, mirrored)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from forecast import conformal, statpeers
from forecast.config import DataSpec, ModelConfig, RunConfig, TrainConfig, WindowConfig
from forecast.data.csv import read_csv_series
from forecast.data.series import SeriesData
from forecast.forecaster import QUANTILE_LEVELS, _borrowed_errors, _refit_forecasts, _rolling_member_errors, fit
from forecast.selection import Choice, peer_forecasts
from forecast.transforms import Scaler, TargetPipeline


def garch_returns(n: int, seed: int, omega: float = 1e-5, alpha: float = 0.1, beta: float = 0.85,
                  dof: float = 5.0) -> np.ndarray:
    """r_t = sigma_t eps_t, sigma_t^2 = omega + alpha r_{t-1}^2 + beta sigma_{t-1}^2, eps
    Student t with ``dof`` degrees of freedom scaled to unit variance."""
    rng = np.random.default_rng(seed)
    eps = rng.standard_t(dof, n) * np.sqrt((dof - 2) / dof)
    r, var = np.empty(n), omega / (1 - alpha - beta)
    for t in range(n):
        r[t] = np.sqrt(var) * eps[t]
        var = omega + alpha * r[t] ** 2 + beta * var
    return r


def test_aci_update_matches_the_hand_worked_sequence() -> None:
    # scores 3 1 4 1 5 9, level 0.7, gamma 0.1: each bound is the ceil(6 tau)-th of the other 5
    # tau: 0.7 -(3<=9)-> 0.67 -(1<=9)-> 0.64 -(4<=5)-> 0.61 -(1<=5)-> 0.58 -(5>4)-> 0.65 -(9>4)-> 0.72
    scores = np.array([[3.0], [1.0], [4.0], [1.0], [5.0], [9.0]])
    taus = conformal.aci_levels(scores, (0.7,), gamma=0.1)
    np.testing.assert_allclose(taus, [[0.72]], atol=1e-12)


def _reference_aci(scores: np.ndarray, tau0: float, gamma: float) -> float:
    """The update written as a plain loop over one column (sorted lists of the others)."""
    tau = tau0
    for i, s in enumerate(scores):
        others = sorted(np.delete(scores, i))
        m = len(others)
        k = int(np.ceil((m + 1) * tau - 1e-9)) if tau0 > 0.5 else int(np.floor((m + 1) * tau + 1e-9))
        if tau0 > 0.5:
            q = np.inf if k > m else others[max(k, 1) - 1]
        else:
            q = -np.inf if k < 1 else others[min(k, m) - 1]
        tau += gamma * (tau0 - float(s <= q))
    return tau


def test_aci_update_matches_a_plain_loop_at_every_level_and_step() -> None:
    scores = np.random.default_rng(3).standard_t(3, size=(60, 4))
    levels = (0.05, 0.1, 0.9, 0.95)
    taus = conformal.aci_levels(scores, levels, gamma=0.05)
    for j, level in enumerate(levels):
        for h in range(4):
            assert abs(taus[j, h] - _reference_aci(scores[:, h], level, 0.05)) < 1e-12


def test_dtaci_with_one_step_is_aci() -> None:
    """One expert has all the weight: DtACI's walk is then ACI's, level for level."""
    scores = np.random.default_rng(1).normal(size=(60, 3))
    levels = (0.05, 0.1, 0.5, 0.9, 0.95)
    np.testing.assert_allclose(conformal.dtaci_levels(scores, levels, (0.05,)),
                               conformal.aci_levels(scores, levels, 0.05), atol=1e-12)


def test_dtaci_does_not_chase_noise_like_its_largest_step() -> None:
    """400 exchangeable scores, 20 seeds: the final 10% and 90% levels scatter about the nominal
    ones several times less under DtACI than under ACI with DtACI's largest step (0.128),
    whose level is wherever the last few misses left it."""
    runs = [np.random.default_rng(seed).normal(size=(400, 1)) for seed in range(20)]
    mixed = np.array([conformal.dtaci_levels(s, (0.1, 0.9))[:, 0] for s in runs])  # (20, 2)
    largest = np.array([conformal.aci_levels(s, (0.1, 0.9), max(conformal.DTACI_GAMMAS))[:, 0] for s in runs])
    assert np.all(mixed.std(axis=0) < 0.5 * largest.std(axis=0))
    assert np.all(np.abs(mixed.mean(axis=0) - [0.1, 0.9]) < 0.02)


def test_scores_follow_the_transform() -> None:
    e = np.arange(1.0, 7.0)[None, :]  # (1, 6)
    np.testing.assert_array_equal(conformal.cumulate(e, "level"), e)
    np.testing.assert_array_equal(conformal.cumulate(e, "logret"), np.cumsum(e, axis=1))
    np.testing.assert_array_equal(conformal.cumulate(e, "sdiff", 2), [[1, 2, 4, 6, 9, 12]])


def _coverage(errors: np.ndarray, future: np.ndarray, levels: tuple[float, float]) -> float:
    state = conformal.calibrate(errors, "level", 1, (levels[0], 0.5, levels[1]), "test")
    q = conformal.quantiles(errors, state, (levels[0], 0.5, levels[1]))
    return float(np.mean((future >= q[levels[0]]) & (future <= q[levels[1]])))


def test_coverage_is_nominal_on_a_garch_process() -> None:
    """Calibrate on 1,000 one-step returns of a GARCH(1,1)-t (the errors of a random-walk
    forecast), score the next 5,000, over 5 seeds: the mean coverage is the nominal one. One
    seed alone moves by +-5 points: volatility clusters, so 1,000 returns are few regimes."""
    runs = [garch_returns(6000, seed)[:, None] for seed in range(5)]  # (T, 1) each
    c80 = np.mean([_coverage(r[:1000], r[1000:], (0.1, 0.9)) for r in runs])
    c90 = np.mean([_coverage(r[:1000], r[1000:], (0.05, 0.95)) for r in runs])
    assert abs(c80 - 0.8) < 0.03 and abs(c90 - 0.9) < 0.03


def test_aci_widens_after_a_volatility_regime_change() -> None:
    """The last 150 of 400 errors come from a regime with twice the volatility: split conformal
    on all 400 under-covers the new regime, the ACI levels cover it closer to nominal."""
    rng = np.random.default_rng(5)
    errors = np.concatenate([rng.normal(0, 1, 250), rng.normal(0, 2, 150)])[:, None]
    future = rng.normal(0, 2, 4000)[:, None]
    split = conformal.quantiles(errors, {}, (0.05, 0.95))
    covered_split = np.mean((future >= split[0.05]) & (future <= split[0.95]))
    covered_aci = _coverage(errors, future, (0.05, 0.95))
    assert covered_split < 0.85 and covered_aci > covered_split + 0.03


def short_walk() -> tuple[SeriesData, RunConfig]:
    """25 monthly rows of a random walk and a tiny one-epoch run: too short for a validation
    tail, so a fit forecasts with a baseline calibrated on its own errors at recent origins."""
    rng = np.random.default_rng(2)
    y = 100 + np.cumsum(rng.normal(0, 1, 25))
    frame = pd.DataFrame({"v": y}, index=pd.date_range("2020-01-31", periods=25, freq="ME", name="ds"))
    series = SeriesData.from_frame(frame, "v", (), "ME", "walk.csv", "walk")
    return series, RunConfig(window=WindowConfig(6, 3, "level"), model=ModelConfig(hidden=4, layers=1),
                             train=TrainConfig(epochs=1, device="cpu"))


def test_a_chosen_baseline_on_a_short_series_gets_calibrated_intervals() -> None:
    """25 monthly rows of a random walk: too short for a validation tail, so the fit forecasts
    with a baseline; its intervals come from its own errors at recent origins."""
    series, run = short_walk()
    forecaster = fit(series, run)
    assert forecaster.baseline is not None
    assert forecaster.conformal["where"].endswith("at recent origins") and forecaster.conformal["n"] >= 10
    forecast = forecaster.predict(series)
    stacked = np.stack([forecast.quantiles[q] for q in QUANTILE_LEVELS])  # (Q, H)
    assert np.all(np.diff(stacked, axis=0) >= 0) and np.all(stacked[-1] > stacked[0])


def test_studentt_head_learns_the_garch_volatility() -> None:
    """A Student-t head on the log returns of a simulated GARCH(1,1)-t price (omega 5e-6,
    alpha 0.25, beta 0.72, 6 dof) learns a scale that follows the true conditional sigma_t."""
    import torch
    from torch.nn import functional as F

    from forecast.forecaster import training_windows
    from forecast.train import to_tensor

    n, omega, alpha, beta = 800, 5e-6, 0.25, 0.72
    r = garch_returns(n, 7, omega, alpha, beta, 6.0)
    var = np.empty(n)  # the true conditional variance of r[t]
    var[0] = omega / (1 - alpha - beta)
    for t in range(1, n):
        var[t] = omega + alpha * r[t - 1] ** 2 + beta * var[t - 1]
    frame = pd.DataFrame({"Close": 100 * np.exp(np.cumsum(r))},
                         index=pd.bdate_range("2010-01-04", periods=n, name="ds"))
    series = SeriesData.from_frame(frame, "Close", (), "B", "garch.csv", "garch")
    run = RunConfig(window=WindowConfig(20, 1, "logret"), model=ModelConfig(hidden=8, layers=1, head="studentt"),
                    train=TrainConfig(epochs=20, device="cpu"))
    forecaster = fit(series, run)
    x, _ = training_windows(forecaster.pipeline, series, forecaster.run)  # (N, 20, 1)
    with torch.no_grad():
        out = forecaster.net(to_tensor(np.ascontiguousarray(x), "cpu"))  # (N, 1, 3)
    scale = (F.softplus(out[:, 0, 1]) + 1e-4).double().numpy()  # (N,) model space
    # model row j is log p[j + 1] - log p[j] = r[j + 1]; window i forecasts row i + 20
    sigma = np.sqrt(var[np.arange(len(x)) + 21])
    assert np.corrcoef(scale, sigma)[0, 1] > 0.5


def test_peer_calibration_forecasts_never_see_their_own_future(sample_data: Path) -> None:
    """A peer refit before each run of rolling calibration origins: changing the rows from an
    origin on leaves every forecast made at or before it as it was (no look-ahead across the
    refits), and each run starts from a fit on the rows before it, not on the first third."""
    if not statpeers.available():
        pytest.skip("statsforecast is not installed")
    y = read_csv_series(DataSpec(path=str(sample_data / "sktime_airline.csv"))).y.astype(np.float64)
    origins = np.arange(60, 120, 3)  # (20,)
    got = _refit_forecasts("autotheta", y, origins, 12, 12)  # (20, 12)
    changed = y.copy()
    changed[origins[11]:] *= 1.5
    again = _refit_forecasts("autotheta", changed, origins, 12, 12)
    assert got is not None and again is not None
    np.testing.assert_allclose(again[:12], got[:12])
    assert not np.allclose(again[12:], got[12:])
    runs = np.array_split(origins, conformal.PEER_REFITS)
    later = runs[-1]
    np.testing.assert_allclose(got[-len(later):], peer_forecasts("autotheta", y, later, 12, 12))


def test_the_combination_borrows_its_peers_median_and_a_net_the_best_reference(sample_data: Path) -> None:
    """A chosen comb's rows are the peers' median's own rolling-origin errors times the shrunk
    validation MAE ratio, unmirrored; a chosen net's are the best reference's, mirrored."""
    if not statpeers.available():
        pytest.skip("statsforecast is not installed")
    series = read_csv_series(DataSpec(path=str(sample_data / "sktime_airline.csv")))
    pipeline = TargetPipeline(transform="level", scaler=Scaler("standard")).fit(series.y[:, None])
    winner = SimpleNamespace(pipeline=pipeline, run=SimpleNamespace(model=SimpleNamespace(horizon=12)))
    own = np.zeros((10, 12))  # the validation errors that chose it: never used
    last, members = len(series.y) - 12, ("autoets", "autotheta")
    scores = {"comb": 1.0, "lstm": 1.5, "median": 2.0, "autoets": 2.2, "autotheta": 2.4, "naive": 3.0}
    comb = Choice("comb", "comb", "mae", scores, 10, "validation tail", 12, members=members, anchor="median")
    rows, at, where = _borrowed_errors(series, winner, comb, own, "net validation tail", np.arange(10), last)
    median, median_at = _rolling_member_errors(series, pipeline, "median", "median", 12, 12, last, members)
    ratio = (10 * 0.5 + conformal.SHRINK) / (10 + conformal.SHRINK)
    assert where.startswith("median at recent origins x") and len(rows) == len(median) >= 20
    np.testing.assert_allclose(rows, ratio * median)
    np.testing.assert_array_equal(at, median_at)
    net = Choice("lstm", "net", "mae", scores, 10, "validation tail", 12, members=members, anchor="median")
    rows, _, where = _borrowed_errors(series, winner, net, own, "net validation tail", np.arange(10), last)
    reference, _ = _rolling_member_errors(series, pipeline, "peer", "autoets", 12, 12, last)
    assert where.startswith("+-autoets at recent origins")  # the best-scoring reference
    np.testing.assert_allclose(rows[0::2], -rows[1::2])
    ratio = (10 * 1.5 / 2.2 + conformal.SHRINK) / (10 + conformal.SHRINK)
    np.testing.assert_allclose(rows[0::2], ratio * reference)
