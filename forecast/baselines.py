"""Baseline forecasters as plain functions (pure numpy).

Every baseline has one signature ``f(history, horizon, *, season=None)`` and
returns an array of shape ``(horizon,)``. ``history`` is the 1-D series up to
the forecast origin, oldest first, without NaN (``SeriesData`` guarantees
that). ``season`` is the seasonal period in steps from the calendar; baselines
that have no use for it ignore it. Bad arguments are caller bugs and raise
``ValueError``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "BASELINES",
    "CLASS_BASELINES",
    "PRICE_BASELINES",
    "drift",
    "log_drift",
    "majority",
    "mean",
    "naive",
    "persistence",
    "seasonal_naive",
]

Baseline = Callable[..., np.ndarray]


def _check(history: np.ndarray, horizon: int) -> np.ndarray:
    hist = np.asarray(history, dtype=np.float64)
    if hist.ndim != 1 or hist.size == 0:
        raise ValueError(f"baseline history must be a non-empty 1-D array, got shape {hist.shape}")
    if horizon < 1:
        raise ValueError(f"baseline horizon must be >= 1, got {horizon}")
    return hist


def naive(history: np.ndarray, horizon: int, *, season: int | None = None) -> np.ndarray:
    """Repeat the last observed value."""
    hist = _check(history, horizon)
    return np.full(horizon, hist[-1])


def seasonal_naive(history: np.ndarray, horizon: int, *, season: int | None = None) -> np.ndarray:
    """Repeat the last full season: step h takes the value ``season`` steps before it.

    Falls back to ``naive`` when season is None or 1, or history is shorter
    than one season.
    """
    hist = _check(history, horizon)
    if season is None or season <= 1 or hist.size < season:
        return naive(hist, horizon)
    last_season = hist[-season:]
    return last_season[np.arange(horizon) % season]


def drift(history: np.ndarray, horizon: int, *, season: int | None = None) -> np.ndarray:
    """Extend the line through the first and last values (naive for one value)."""
    hist = _check(history, horizon)
    if hist.size == 1:
        return naive(hist, horizon)
    slope = (hist[-1] - hist[0]) / (hist.size - 1)
    return hist[-1] + slope * np.arange(1, horizon + 1)


def log_drift(history: np.ndarray, horizon: int, *, season: int | None = None) -> np.ndarray:
    """The random walk with drift on log values, for prices: step h is y_T (y_T / y_1)^(h / (T - 1)),
    i.e. y_T exp(h mu) with mu the mean log return of the history (the median of a log-normal
    random walk's level h steps on). Needs every value positive (naive for one value)."""
    hist = _check(history, horizon)
    if np.any(hist <= 0):
        raise ValueError("log_drift needs positive values")
    if hist.size == 1:
        return naive(hist, horizon)
    mu = (np.log(hist[-1]) - np.log(hist[0])) / (hist.size - 1)
    return hist[-1] * np.exp(mu * np.arange(1, horizon + 1))


def mean(history: np.ndarray, horizon: int, *, season: int | None = None) -> np.ndarray:
    """Repeat the historical mean."""
    hist = _check(history, horizon)
    return np.full(horizon, hist.mean())


def persistence(history: np.ndarray, horizon: int, *, season: int | None = None) -> np.ndarray:
    """Repeat the last observed class label."""
    hist = _check(history, horizon)
    return np.full(horizon, hist[-1])


def majority(history: np.ndarray, horizon: int, *, season: int | None = None) -> np.ndarray:
    """Repeat the most frequent class label; ties go to the smallest label."""
    hist = _check(history, horizon)
    labels, counts = np.unique(hist, return_counts=True)  # labels sorted ascending
    return np.full(horizon, labels[np.argmax(counts)])  # argmax takes the first maximum


BASELINES: dict[str, Baseline] = {
    "naive": naive,
    "seasonal_naive": seasonal_naive,
    "drift": drift,
    "mean": mean,
}
"""Baselines for numeric targets: name -> f(history, horizon, *, season=None)."""

PRICE_BASELINES: dict[str, Baseline] = {
    "log_drift": log_drift,
}
"""Candidates of a price-like fit (positive values) beside BASELINES: not in the leaderboard."""

CLASS_BASELINES: dict[str, Baseline] = {
    "persistence": persistence,
    "majority": majority,
}
"""Baselines for class-label targets (codes 0..C-1): name -> f(history, horizon, *, season=None)."""
