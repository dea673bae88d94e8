"""Pure metric functions over numpy arrays (no torch, no pandas).

Point metrics share one signature ``f(y, yhat, **kw) -> float``: ``y`` and
``yhat`` have the same shape (any shape; they are flattened). Pairs where
either value is NaN are skipped; a metric with nothing left to average
returns ``nan``. Percent metrics are on a 0..100 scale (sMAPE 0..200).
A shape mismatch is a caller bug and raises ``ValueError``.

The bottom of the module is the one metric registry (``METRICS``): every
score the leaderboard, ``--json`` and retrain's promotion rule know is one
:class:`Metric`, a declaration (name, header, what it needs from a
backtest, higher or lower is better, shown in the table or JSON only, scored
per horizon step) around one pure function of :class:`Rows`. A new score is
one function and one ``register`` call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "HIGHER_IS_BETTER",
    "METRICS",
    "Metric",
    "RANKING",
    "Rows",
    "accuracy",
    "align_last",
    "by_step",
    "coverage",
    "crps_from_quantiles",
    "crps_from_samples",
    "directional_accuracy",
    "evaluate",
    "interval_width",
    "log_score_normal",
    "macro_f1",
    "mae",
    "mape",
    "mase",
    "mase_per_fold",
    "register",
    "pinball",
    "rmse",
    "smape",
    "winkler",
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


def crps_from_quantiles(y: np.ndarray, q_pred: np.ndarray, levels: np.ndarray) -> float:
    """Mean CRPS from quantile forecasts: twice the mean pinball loss over the levels.

    CRPS(F, y) = 2 * integral over tau in (0, 1) of the pinball loss of F's tau-quantile
    (Laio & Tamea 2007); the mean over Q levels is that integral's quadrature on the
    levels given, exact in the limit of a fine uniform grid. On a coarse grid such as
    0.05, 0.1, 0.5, 0.9, 0.95 it is a consistent score to rank models on the same
    levels, not the exact CRPS. ``q_pred`` has shape ``y.shape + (Q,)``.
    """
    return 2.0 * pinball(y, q_pred, levels)


def interval_width(lo: np.ndarray, hi: np.ndarray) -> float:
    """Mean width hi - lo of an interval forecast (NaN positions skipped)."""
    lo, hi = _pairs(lo, hi)
    return _mean(hi - lo)


def winkler(y: np.ndarray, lo: np.ndarray, hi: np.ndarray, *, level: float) -> float:
    """Mean Winkler (interval) score of central ``level`` intervals [lo, hi], level in (0, 1).

    With alpha = 1 - level: (hi - lo) + (2 / alpha) * (lo - y) when y < lo,
    + (2 / alpha) * (y - hi) when y > hi (Winkler 1972; Gneiting & Raftery 2007).
    Lower is better: narrow intervals that still hold the outcome.
    """
    if not 0 < level < 1:
        raise ValueError(f"winkler: level must lie in (0, 1), got {level}")
    y, lo, hi = _as_float(y), _as_float(lo), _as_float(hi)
    _same_shape(y=y, lo=lo, hi=hi)
    y, lo, hi = y.ravel(), lo.ravel(), hi.ravel()
    keep = ~(np.isnan(y) | np.isnan(lo) | np.isnan(hi))
    y, lo, hi = y[keep], lo[keep], hi[keep]
    alpha = 1.0 - level
    penalty = np.maximum(lo - y, 0.0) + np.maximum(y - hi, 0.0)  # at most one is non-zero
    return _mean((hi - lo) + (2.0 / alpha) * penalty)


def log_score_normal(y: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> float:
    """Mean negative log density of y under Normal(loc, scale): the log score, lower is better.

    -log p(y) = log(scale) + log(2 pi) / 2 + ((y - loc) / scale)^2 / 2. Positions with NaN or a
    scale <= 0 are skipped.
    """
    y, loc, scale = _as_float(y), _as_float(loc), _as_float(scale)
    _same_shape(y=y, loc=loc, scale=scale)
    y, loc, scale = y.ravel(), loc.ravel(), scale.ravel()
    keep = ~(np.isnan(y) | np.isnan(loc) | np.isnan(scale)) & (scale > 0)
    z = (y[keep] - loc[keep]) / scale[keep]
    return _mean(np.log(scale[keep]) + 0.5 * np.log(2.0 * np.pi) + 0.5 * z * z)


def mase_per_fold(y: np.ndarray, yhat: np.ndarray, *, fold: np.ndarray, scale: np.ndarray) -> float:
    """MASE of a walk-forward backtest: mean over folds of the fold's MAE / the fold's scale.

    ``fold`` and ``scale`` are one value per position (the fold's in-sample naive
    MAE, see :func:`mase`); every fold weighs the same whatever its length. ``nan``
    when any fold's scale is ``nan`` or 0 (a constant training part).
    """
    y, yhat, fold, scale = _as_float(y), _as_float(yhat), np.asarray(fold), _as_float(scale)
    _same_shape(y=y, yhat=yhat, fold=fold, scale=scale)
    per_fold = []
    for f in np.unique(fold.ravel()):
        at = fold.ravel() == f
        s = scale.ravel()[at][0]
        per_fold.append(mae(y.ravel()[at], yhat.ravel()[at]) / s if s > 0 else float("nan"))
    return float(np.mean(per_fold)) if per_fold else float("nan")


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


# ---------------------------------------------------------------------------------------------
# The metric registry: what the leaderboard, --json and retrain's promotion rule score.

NEEDS = ("scale", "last", "quantiles", "samples", "density")
"""What a metric may need beyond y and yhat: the fold's MASE scale (and fold ids), the last
observed value before the horizon, quantile forecasts, sample paths, a predictive density
(a normal one: its mean is yhat, its standard deviation ``sigma``)."""


@dataclass(frozen=True)
class Rows:
    """One model's backtest rows as aligned numpy arrays: everything a metric may read.

    ``y``, ``yhat``, ``fold``, ``step`` (1-based horizon step), ``scale`` and ``last``
    are ``(N,)``; ``quantiles`` maps a level in (0, 1) to ``(N,)``; ``samples`` is
    ``(N, S)``; ``sigma`` ``(N,)`` is the standard deviation of a normal predictive
    distribution centred on yhat. What a backtest cannot give is ``None`` (or empty).
    """

    y: np.ndarray
    yhat: np.ndarray
    fold: np.ndarray | None = None
    step: np.ndarray | None = None
    scale: np.ndarray | None = None
    last: np.ndarray | None = None
    quantiles: Mapping[float, np.ndarray] = field(default_factory=dict)
    samples: np.ndarray | None = None
    sigma: np.ndarray | None = None

    def has(self, need: str) -> bool:
        """Whether these rows carry what ``need`` (one of ``NEEDS``) names."""
        if need == "scale":
            return self.scale is not None and self.fold is not None
        if need == "quantiles":
            return bool(self.quantiles)
        if need == "density":
            return self.sigma is not None
        return getattr(self, need) is not None

    def take(self, keep: np.ndarray) -> "Rows":
        """The rows where the boolean mask ``keep`` (N,) is true."""
        def cut(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[keep]
        return Rows(self.y[keep], self.yhat[keep], cut(self.fold), cut(self.step), cut(self.scale),
                    cut(self.last), {lv: q[keep] for lv, q in self.quantiles.items()},
                    cut(self.samples), cut(self.sigma))

    def interval(self, level: float) -> tuple[np.ndarray, np.ndarray] | None:
        """(lo, hi) of the central ``level`` interval from the quantiles, or None."""
        lo = round((1.0 - level) / 2.0, 6)
        qs = {round(lv, 6): q for lv, q in self.quantiles.items()}
        if lo not in qs or round(1.0 - lo, 6) not in qs:
            return None
        return qs[lo], qs[round(1.0 - lo, 6)]

    def quantile_matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """(levels (Q,), forecasts (N, Q)), levels ascending."""
        levels = np.array(sorted(self.quantiles))
        return levels, np.stack([self.quantiles[lv] for lv in levels], axis=-1)  # (N, Q)


@dataclass(frozen=True)
class Metric:
    """A registered score: a pure function of :class:`Rows` plus what the tools need to know.

    ``needs`` names what it reads beyond y and yhat (see ``NEEDS``); a model whose rows
    lack one gets no value (``nan``). ``higher_is_better`` metrics are shares in 0..1,
    so their loss is ``1 - value`` (``loss_name`` names it, e.g. error_rate).
    ``shown`` puts it in the terminal table (JSON and --output keep every score);
    ``per_step`` also scores it on each horizon step (JSON ``by_step``).
    """

    name: str
    header: str
    score: Callable[[Rows], float]
    target: str = "numeric"  # numeric or class
    needs: frozenset[str] = frozenset()
    higher_is_better: bool = False
    shown: bool = True
    per_step: bool = False
    loss_name: str = ""

    def loss(self, value: float) -> float:
        """Lower is better, whatever the metric's direction."""
        return 1.0 - value if self.higher_is_better else value


METRICS: dict[str, Metric] = {}
"""Every score, in table order: name -> Metric."""

RANKING: dict[str, tuple[str, ...]] = {"numeric": ("mase", "mae"), "class": ("accuracy",)}
"""Ranking metric by target kind: the first one every model has a finite value of."""


def register(metric: Metric) -> Metric:
    """Add ``metric`` to ``METRICS`` (a name may be registered once)."""
    if metric.name in METRICS:
        raise ValueError(f"metric {metric.name!r} is already registered")
    unknown = set(metric.needs) - set(NEEDS)
    if unknown:
        raise ValueError(f"metric {metric.name!r} needs unknown inputs {sorted(unknown)}")
    METRICS[metric.name] = metric
    return metric


def evaluate(rows: Rows, target: str = "numeric") -> dict[str, float]:
    """Every registered metric of ``target`` kind on ``rows``; ``nan`` where a need is missing."""
    return {m.name: m.score(rows) if all(rows.has(n) for n in m.needs) else float("nan")
            for m in METRICS.values() if m.target == target}


def by_step(rows: Rows, target: str = "numeric") -> dict[str, list[float]]:
    """The ``per_step`` metrics on each horizon step (rows.step 1..H): name -> H values."""
    if rows.step is None:
        return {}
    steps = np.unique(rows.step)
    chosen = [m for m in METRICS.values() if m.per_step and m.target == target
              and all(rows.has(n) for n in m.needs)]
    per = [rows.take(rows.step == h) for h in steps]
    return {m.name: [m.score(r) for r in per] for m in chosen}


def _interval_metric(level: float, fn: Callable[[Rows, np.ndarray, np.ndarray], float]
                     ) -> Callable[[Rows], float]:
    def score(rows: Rows) -> float:
        bounds = rows.interval(level)
        return float("nan") if bounds is None else fn(rows, *bounds)
    return score


def _crps(rows: Rows) -> float:
    if rows.samples is not None:
        return crps_from_samples(rows.y, rows.samples)
    levels, q = rows.quantile_matrix()
    return crps_from_quantiles(rows.y, q, levels)


def _crps_score(rows: Rows) -> float:
    return _crps(rows) if rows.has("samples") or rows.has("quantiles") else float("nan")


def _register_defaults() -> None:
    point = [
        ("mase", "MASE", lambda r: mase_per_fold(r.y, r.yhat, fold=r.fold, scale=r.scale), {"scale"}),
        ("mae", "MAE", lambda r: mae(r.y, r.yhat), set()),
        ("rmse", "RMSE", lambda r: rmse(r.y, r.yhat), set()),
        ("smape", "sMAPE", lambda r: smape(r.y, r.yhat), set()),
        ("mape", "MAPE", lambda r: mape(r.y, r.yhat), set()),
    ]
    for name, header, fn, needs in point:
        register(Metric(name, header, fn, needs=frozenset(needs), per_step=name in ("mase", "mae")))
    register(Metric("directional_accuracy", "dir", lambda r: directional_accuracy(r.y, r.yhat, last=r.last),
                    needs=frozenset({"last"}), higher_is_better=True, loss_name="direction_error_rate"))
    for pct in (80, 90):
        lv = pct / 100
        register(Metric(f"coverage_{pct}", f"cov{pct}",
                        _interval_metric(lv, lambda r, lo, hi: coverage(r.y, lo, hi)),
                        needs=frozenset({"quantiles"}), per_step=True))
    register(Metric("pinball", "pinball", lambda r: pinball(r.y, *reversed(r.quantile_matrix())),
                    needs=frozenset({"quantiles"})))
    # CRPS reads samples where rows carry them, else quantiles: its needs are checked inside.
    register(Metric("crps", "CRPS", _crps_score, per_step=True))
    for pct in (80, 90):
        lv = pct / 100
        register(Metric(f"width_{pct}", f"width{pct}",
                        _interval_metric(lv, lambda r, lo, hi: interval_width(lo, hi)),
                        needs=frozenset({"quantiles"}), shown=False, per_step=True))
        register(Metric(f"winkler_{pct}", f"winkler{pct}",
                        _interval_metric(lv, lambda r, lo, hi, lv=lv: winkler(r.y, lo, hi, level=lv)),
                        needs=frozenset({"quantiles"}), shown=pct == 90, per_step=True))
    register(Metric("log_score", "logS", lambda r: log_score_normal(r.y, r.yhat, r.sigma),
                    needs=frozenset({"density"}), shown=False, per_step=True))
    register(Metric("accuracy", "acc", lambda r: accuracy(r.y, r.yhat), target="class",
                    higher_is_better=True, loss_name="error_rate"))
    register(Metric("macro_f1", "F1", lambda r: macro_f1(r.y, r.yhat), target="class",
                    higher_is_better=True, loss_name="1-macro_f1"))


_register_defaults()

HIGHER_IS_BETTER: frozenset[str] = frozenset(n for n, m in METRICS.items() if m.higher_is_better)
"""Metric names ranked descending; every other metric is an error (lower is better)."""
