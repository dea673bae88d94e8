"""Normalised conformal intervals (forecast.conformal.local_scale / rescale): the local scale
against a direct loop, coverage on a simulated heteroscedastic random walk (a GARCH(1,1)-t
price with known parameters) within binomial tolerance, and the mechanics of a fit's state
(rescaled predictions, save and load)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast import conformal
from forecast.bundle import from_payload, to_payload
from forecast.config import ModelConfig, RunConfig, TrainConfig, WindowConfig
from forecast.data.series import SeriesData
from forecast.forecaster import QUANTILE_LEVELS, fit
from forecast.selection import baseline_forecasts, levels_to_model
from forecast.transforms import Scaler, TargetPipeline
from tests.test_conformal import garch_returns


def test_local_scale_matches_a_direct_loop() -> None:
    rng = np.random.default_rng(0)
    y = 50 + np.cumsum(rng.normal(0, 1, 120))
    origins = np.array([1, 2, 5, 30, 77, 120])
    got = conformal.local_scale(y, origins, 10, log=False)
    for o, s in zip(origins, got, strict=True):
        d = np.abs(np.diff(y[max(0, o - 10) : o]))
        assert np.isclose(s, d.mean()) if len(d) else s > 0  # no history: a positive fill
    logged = conformal.local_scale(y, origins[3:], 10, log=True)
    assert np.allclose(logged, [np.abs(np.diff(np.log(y[o - 10 : o]))).mean() for o in origins[3:]])


def test_rescale_puts_rows_at_the_scale_of_the_end() -> None:
    """Rows measured where the series moved half as much as at its end come out doubled."""
    y = np.concatenate([np.arange(0, 40, 1.0), 40 + np.arange(0, 80, 2.0)])  # 40 steps of 1, then 40 of 2
    errors = np.ones((3, 2))
    rows, s_end = conformal.rescale(errors, np.array([30, 40, 80]), y, 10, False, 1.0)
    assert s_end == 2.0
    assert np.allclose(rows[:, 0], [2.0, 2.0, 1.0])
    half, _ = conformal.rescale(errors, np.array([30]), y, 10, False, 0.5)
    assert np.isclose(half[0, 0], np.sqrt(2.0))


def _walk_coverage(r: np.ndarray, power: float, horizon: int = 5, every: int = 20,
                   start: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """Hits (O, H) of the 80% and 90% bands of a random-walk forecast of the price exp(cumsum r),
    calibrated at each origin on the naive forecast's errors at the previous
    conformal.MAX_ORIGINS origins, as a fit that chose the naive baseline does."""
    y = 100 * np.exp(np.cumsum(r))
    pipeline = TargetPipeline(transform="logret", scaler=Scaler("standard")).fit(y[:start, None])
    window = conformal.scale_window(1)
    h80, h90 = [], []
    for o in range(start, len(y) - horizon, every):
        past = y[:o]
        errors, at = conformal.baseline_errors(pipeline, past, "naive", 1, horizon, o - horizon)
        rows, _ = conformal.rescale(errors, at, past, window, True, power)
        state = conformal.calibrate(rows, "logret", 1, QUANTILE_LEVELS, "test")
        last = pipeline.anchor(past)
        point = baseline_forecasts("naive", y, np.array([o]), horizon, 1, False)
        z = levels_to_model(pipeline, point, np.asarray(last)[None, ...])  # (1, H)
        q = conformal.quantiles(pipeline.to_levels(z + rows, last), state, QUANTILE_LEVELS)
        future = y[o : o + horizon]
        h80.append((future >= q[0.1]) & (future <= q[0.9]))
        h90.append((future >= q[0.05]) & (future <= q[0.95]))
    return np.array(h80), np.array(h90)


def _true_sigma(r: np.ndarray, omega: float, alpha: float, beta: float) -> np.ndarray:
    var = np.empty(len(r))
    var[0] = omega / (1 - alpha - beta)
    for t in range(1, len(r)):
        var[t] = omega + alpha * r[t - 1] ** 2 + beta * var[t - 1]
    return np.sqrt(var)


def test_normalised_intervals_cover_a_heteroscedastic_random_walk() -> None:
    """A GARCH(1,1)-t price (alpha 0.12, beta 0.86: long volatility clusters), 3 seeds, 5-day
    bands at 120 origins each: the normalised bands cover 80% / 90% within 2.5 binomial sd
    (origins 20 days apart are nearly independent), and in the most volatile third of the
    origins (by the true sigma) they miss less than the unnormalised bands, whose errors pool
    200 days of mixed regimes."""
    omega, alpha, beta = 2e-6, 0.12, 0.86
    hits: dict[float, dict[int, list[np.ndarray]]] = {p: {80: [], 90: []} for p in (0.0, 1.0)}
    wild = []
    for seed in range(3):
        r = garch_returns(3000, 10 + seed, omega, alpha, beta, 5.0)
        for p in hits:
            h80, h90 = _walk_coverage(r, p)
            hits[p][80].append(h80)
            hits[p][90].append(h90)
        sigma = _true_sigma(r, omega, alpha, beta)[np.arange(600, 3000 - 5, 20)]
        wild.append(sigma >= np.quantile(sigma, 2 / 3))
    top = np.concatenate(wild)
    for level, nominal in ((80, 0.8), (90, 0.9)):
        normed, plain = np.concatenate(hits[1.0][level]), np.concatenate(hits[0.0][level])  # (O, H)
        sd = np.sqrt(nominal * (1 - nominal) / len(normed))
        assert abs(normed.mean() - nominal) < 2.5 * sd + 0.01, (level, normed.mean())
        miss_normed, miss_plain = abs(normed[top].mean() - nominal), abs(plain[top].mean() - nominal)
        assert miss_normed < miss_plain, (level, normed[top].mean(), plain[top].mean())


def test_a_fit_keeps_the_scale_and_predictions_follow_the_recent_volatility() -> None:
    """A random walk whose steps double in its last 60 rows: the fitted state carries the scale
    at the end of the training series; predicting from a copy whose last 60 steps are halved
    again narrows the band about twofold; a saved and loaded bundle predicts
    the same (rescaled) bands."""
    rng = np.random.default_rng(4)
    steps = rng.normal(0, 1, 400)
    steps[-60:] *= 2
    frame = pd.DataFrame({"v": 1000 + np.cumsum(steps)},
                         index=pd.bdate_range("2020-01-01", periods=400, name="ds"))
    series = SeriesData.from_frame(frame, "v", (), "B", "walk.csv", "walk")
    run = RunConfig(window=WindowConfig(10, 3, "diff"), model=ModelConfig(hidden=4, layers=1),
                    train=TrainConfig(epochs=1, device="cpu"))
    fitted = fit(series, run)
    window, log, s_fit, power = fitted.conformal["scale"]
    assert power == conformal.SCALE_POWER and not log
    assert np.isclose(s_fit, np.abs(np.diff(series.y[-int(window):])).mean())
    # rows stay as measured (generate bootstraps them); rows from the calm stretch get ~2x
    factors = fitted.conformal["row_scale"]
    assert factors.shape == (len(fitted.calibration),) and np.median(factors) > 1.5
    wide = fitted.predict(series)
    calm_frame = frame.copy()
    calm_frame.iloc[-60:, 0] = calm_frame["v"].iloc[-61] + np.cumsum(steps[-60:] / 2)
    calm_series = SeriesData.from_frame(calm_frame, "v", (), "B", "walk.csv", "walk")
    calm = fitted.predict(calm_series)
    ratio = (calm.quantiles[0.95] - calm.quantiles[0.05]) / (wide.quantiles[0.95] - wide.quantiles[0.05])
    expected = (np.abs(np.diff(calm_frame["v"].to_numpy()[-int(window):])).mean() / s_fit) ** power
    assert np.allclose(ratio, expected, rtol=0.05) and expected < 0.75
    loaded = from_payload(to_payload(fitted, series, "walk"))
    again = loaded.predict(calm_series)  # rescaled as before saving, not at the fit's scale
    for q in QUANTILE_LEVELS:
        assert np.allclose(again.quantiles[q], calm.quantiles[q])
