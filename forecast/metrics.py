"""Pure metric functions over numpy arrays (no torch, no pandas).

Point metrics share one signature ``f(y, yhat, **kw) -> float``: ``y`` and
``yhat`` have the same shape (any shape; they are flattened). Pairs where
either value is NaN are skipped; a metric with nothing left to average
returns ``nan``. Percent metrics are on a 0..100 scale (sMAPE 0..200).
A shape mismatch is a caller bug and raises ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "HIGHER_IS_BETTER",
    "POINT_METRICS",
    "accuracy",
    "align_last",
    "coverage",
    "crps_from_samples",
    "directional_accuracy",
    "macro_f1",
    "mae",
    "mape",
    "mase",
    "pinball",
    "point_metrics",
    "rmse",
    "smape",
]


def _as_float(a: np.ndarray | float) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _same_shape(**arrays: np.ndarray) -> None:
    shapes = {name: np.shape(a) for name, a in arrays.items()}
    if len(set(shapes.values())) > 1:
        detail = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
        raise ValueError(f"metric inputs must have the same shape, got {detail}")


def _pairs(y: np.ndarray, yhat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flatten two same-shape arrays and drop positions where either is NaN."""
    y = _as_float(y)
    yhat = _as_float(yhat)
    _same_shape(y=y, yhat=yhat)
    y, yhat = y.ravel(), yhat.ravel()
    keep = ~(np.isnan(y) | np.isnan(yhat))
    return y[keep], yhat[keep]


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if values.size else float("nan")


def align_last(y: np.ndarray, last: np.ndarray | float) -> np.ndarray:
    """Broadcast ``last`` (scalar, one per row, or same shape) to ``y``'s shape.

    A ``last`` with one dimension fewer than ``y`` is one value per row: y
    ``(N, H)`` with last ``(N,)`` compares every step of row i to ``last[i]``.
    """
    y = np.asarray(y)
    last = _as_float(last)
    if last.ndim == y.ndim - 1 and y.ndim >= 1:
        last = last[..., np.newaxis]
    try:
        return np.broadcast_to(last, y.shape)
    except ValueError:
        raise ValueError(
            f"last of shape {np.shape(last)} does not match y of shape {y.shape}: "
            "give a scalar, one value per row, or y's shape"
        ) from None


def mae(y: np.ndarray, yhat: np.ndarray) -> float:
    """Mean absolute error."""
    y, yhat = _pairs(y, yhat)
    return _mean(np.abs(y - yhat))


def rmse(y: np.ndarray, yhat: np.ndarray) -> float:
    """Root mean squared error."""
    y, yhat = _pairs(y, yhat)
    return float(np.sqrt(np.mean((y - yhat) ** 2))) if y.size else float("nan")


def mape(y: np.ndarray, yhat: np.ndarray) -> float:
    """Mean absolute percentage error in percent, skipping positions where y == 0.

    Those positions have no defined percentage error; if every y is 0 the
    result is ``nan``. A y merely near 0 still counts and can make it huge
    (prefer sMAPE or MASE for series that cross zero).
    """
    y, yhat = _pairs(y, yhat)
    keep = y != 0
    y, yhat = y[keep], yhat[keep]
    with np.errstate(over="ignore"):  # tiny |y| -> inf, which is the honest value
        return _mean(100.0 * (np.abs(y - yhat) / np.abs(y)))


def smape(y: np.ndarray, yhat: np.ndarray) -> float:
    """Symmetric MAPE in percent, 0..200: 200 * |y - yhat| / (|y| + |yhat|).

    A position where both y and yhat are 0 is a perfect forecast and counts 0.
    """
    y, yhat = _pairs(y, yhat)
    num = np.abs(y - yhat)
    den = np.abs(y) + np.abs(yhat)
    ratio = np.divide(num, den, out=np.zeros_like(num), where=den > 0)  # 0..1, exact at 1
    return _mean(200.0 * ratio)


def mase(y: np.ndarray, yhat: np.ndarray, *, insample: np.ndarray, m: int = 1) -> float:
    """Mean absolute scaled error.

    The MAE of the forecast divided by the in-sample MAE of the m-step naive
    forecast of ``insample`` (1-D history before the horizon): mean over t >= m
    of |insample[t] - insample[t - m]| (seasonal naive when m > 1). NaN
    differences are skipped. Returns ``nan`` when that scale is 0 or cannot be
    computed (history no longer than m).
    """
    if m < 1:
        raise ValueError(f"mase: m must be >= 1, got {m}")
    hist = _as_float(insample).ravel()
    if hist.size <= m:
        return float("nan")
    diffs = np.abs(hist[m:] - hist[:-m])
    scale = _mean(diffs[~np.isnan(diffs)])
    if not np.isfinite(scale) or scale == 0:
        return float("nan")
    return mae(y, yhat) / scale


def directional_accuracy(y: np.ndarray, yhat: np.ndarray, *, last: np.ndarray | float) -> float:
    """Share (0..1) of steps where sign(yhat - last) == sign(y - last).

    ``last`` is the last observed value before the horizon: a scalar, one
    value per row (y ``(N, H)``, last ``(N,)``) or y's shape. A flat move
    (sign 0) matches only a flat move.
    """
    y = _as_float(y)
    yhat = _as_float(yhat)
    _same_shape(y=y, yhat=yhat)
    ref = align_last(y, last).ravel()
    y, yhat = y.ravel(), yhat.ravel()
    keep = ~(np.isnan(y) | np.isnan(yhat) | np.isnan(ref))
    hits = np.sign(yhat[keep] - ref[keep]) == np.sign(y[keep] - ref[keep])
    return _mean(hits.astype(np.float64))


def coverage(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """Share (0..1) of y inside the closed interval [lo, hi]."""
    y, lo, hi = _as_float(y), _as_float(lo), _as_float(hi)
    _same_shape(y=y, lo=lo, hi=hi)
    y, lo, hi = y.ravel(), lo.ravel(), hi.ravel()
    keep = ~(np.isnan(y) | np.isnan(lo) | np.isnan(hi))
    inside = (y[keep] >= lo[keep]) & (y[keep] <= hi[keep])
    return _mean(inside.astype(np.float64))


def pinball(y: np.ndarray, q_pred: np.ndarray, levels: np.ndarray) -> float:
    """Mean pinball (quantile) loss over all positions and levels.

    ``q_pred`` has shape ``y.shape + (Q,)``; ``levels`` has Q values in (0, 1).
    Loss at level tau: max(tau * (y - q), (tau - 1) * (y - q)).
    """
    y = _as_float(y)
    q_pred = _as_float(q_pred)
    tau = _as_float(levels).ravel()
    if q_pred.shape != y.shape + tau.shape:
        raise ValueError(
            f"pinball: q_pred shape {q_pred.shape} must be y shape {y.shape} + ({tau.size},)"
        )
    if np.any((tau <= 0) | (tau >= 1)):
        raise ValueError(f"pinball: levels must lie in (0, 1), got {tau.tolist()}")
    diff = y[..., np.newaxis] - q_pred  # (..., Q)
    loss = np.maximum(tau * diff, (tau - 1.0) * diff)
    return _mean(loss[~np.isnan(loss)])


def crps_from_samples(y: np.ndarray, samples: np.ndarray) -> float:
    """Mean CRPS of sample forecasts, energy form: E|X - y| - E|X - X'| / 2.

    ``samples`` has shape ``y.shape + (S,)``. The expectations are over the
    empirical distribution of the S samples (all S*S pairs), so the value is
    the exact CRPS of that empirical distribution. Positions with NaN in y or
    in any sample are skipped.
    """
    y = _as_float(y)
    samples = _as_float(samples)
    if samples.ndim != y.ndim + 1 or samples.shape[:-1] != y.shape:
        raise ValueError(
            f"crps_from_samples: samples shape {samples.shape} must be y shape {y.shape} + (S,)"
        )
    s = samples.shape[-1]
    flat_y = y.ravel()
    flat_x = samples.reshape(-1, s)
    keep = ~(np.isnan(flat_y) | np.isnan(flat_x).any(axis=1))
    flat_y, flat_x = flat_y[keep], flat_x[keep]
    if flat_y.size == 0 or s == 0:
        return float("nan")
    term1 = np.mean(np.abs(flat_x - flat_y[:, np.newaxis]), axis=1)
    # sum_{i,j} |x_i - x_j| = 2 * sum_k (2k - S + 1) x_(k) over sorted x (k = 0..S-1)
    weights = 2.0 * np.arange(s) - s + 1.0
    pair_sum = 2.0 * np.sort(flat_x, axis=1) @ weights
    term2 = pair_sum / (2.0 * s * s)
    return float(np.mean(term1 - term2))


def _labels(y: np.ndarray, yhat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y, yhat = _pairs(y, yhat)
    if np.any(y != np.round(y)) or np.any(yhat != np.round(yhat)):
        raise ValueError("class metrics need integer class labels (codes 0..C-1)")
    return y.astype(np.int64), yhat.astype(np.int64)


def accuracy(y: np.ndarray, yhat: np.ndarray) -> float:
    """Share (0..1) of positions where the predicted class equals the true class."""
    y, yhat = _labels(y, yhat)
    return _mean((y == yhat).astype(np.float64))


def macro_f1(y: np.ndarray, yhat: np.ndarray) -> float:
    """Unweighted mean of per-class F1 = 2TP / (2TP + FP + FN).

    Averages over the classes that occur in y or yhat (each has a non-zero
    denominator), so a class never seen and never predicted does not count.
    """
    y, yhat = _labels(y, yhat)
    if y.size == 0:
        return float("nan")
    scores = []
    for c in np.union1d(y, yhat):
        tp = np.sum((y == c) & (yhat == c))
        fp = np.sum((y != c) & (yhat == c))
        fn = np.sum((y == c) & (yhat != c))
        scores.append(2.0 * tp / (2.0 * tp + fp + fn))
    return float(np.mean(scores))


PointMetric = Callable[..., float]

POINT_METRICS: dict[str, PointMetric] = {
    "mae": mae,
    "rmse": rmse,
    "mape": mape,
    "smape": smape,
    "mase": mase,
    "directional_accuracy": directional_accuracy,
}
"""Leaderboard metrics: name -> f(y, yhat, **kw). mase needs insample (and m);
directional_accuracy needs last. ``point_metrics`` supplies those."""

HIGHER_IS_BETTER: frozenset[str] = frozenset({"directional_accuracy", "accuracy", "macro_f1"})
"""Metric names ranked descending; every other metric is an error (lower is better)."""


def point_metrics(
    y: np.ndarray,
    yhat: np.ndarray,
    *,
    insample: np.ndarray | None = None,
    m: int = 1,
    last: np.ndarray | float | None = None,
) -> dict[str, float]:
    """Every metric in ``POINT_METRICS``; ``nan`` for one whose context is not given."""
    out: dict[str, float] = {}
    for name, fn in POINT_METRICS.items():
        if name == "mase":
            out[name] = float("nan") if insample is None else mase(y, yhat, insample=insample, m=m)
        elif name == "directional_accuracy":
            out[name] = float("nan") if last is None else directional_accuracy(y, yhat, last=last)
        else:
            out[name] = fn(y, yhat)
    return out
