"""Forecast comparison statistics (pure numpy + math, no scipy).

``diebold_mariano`` tests whether two forecasts have equal expected loss;
``t_cdf`` is the Student t CDF it needs, computed from the regularized
incomplete beta function (continued fraction, modified Lentz) for every dof,
with no normal approximation (checked against mpmath: tail probabilities
agree to a relative 1e-10 up to 1e6 dof, 1e-7 up to 1e9). ``lag_mimic_score`` flags forecasts
that merely echo the last observed value.
"""

from __future__ import annotations

import math

import numpy as np

from forecast.metrics import align_last

__all__ = ["LAG_MIMIC_WARN", "diebold_mariano", "lag_mimic_score", "t_cdf"]

_EPS = 1e-15
_TINY = 1e-300


def _beta_cf(x: float, a: float, b: float) -> float:
    """Continued fraction for I_x(a, b) (Numerical Recipes ``betacf``, modified Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    max_iter = 10_000 + int(10 * math.sqrt(max(a, b)))
    for m in range(1, max_iter + 1):
        m2 = 2 * m
        for num in (
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + num / c
            c = c if abs(c) > _TINY else _TINY
            delta = c * d
            h *= delta
        if abs(delta - 1.0) < _EPS:
            return h
    raise ArithmeticError(f"incomplete beta continued fraction did not converge (a={a}, b={b}, x={x})")


def _stirling_corr(z: float) -> float:
    """lgamma(z) - [(z - 1/2) ln z - z + ln(2 pi) / 2], asymptotic series for z >= 20."""
    iz2 = 1.0 / (z * z)
    return (1.0 / 12 - iz2 * (1.0 / 360 - iz2 * (1.0 / 1260 - iz2 / 1680))) / z


def _log_beta(a: float, b: float) -> float:
    """ln B(a, b), without the cancellation of lgamma differences when one argument is large."""
    small, big = min(a, b), max(a, b)
    if big < 20.0:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    # lgamma(big) - lgamma(big + small) from Stirling, with the large terms cancelled by hand.
    diff = (
        -(big - 0.5) * math.log1p(small / big) - small * math.log(big + small) + small
        + _stirling_corr(big) - _stirling_corr(big + small)
    )
    return math.lgamma(small) + diff


def _betainc(a: float, b: float, x: float, y: float) -> float:
    """Regularized incomplete beta I_x(a, b) for a, b > 0; y = 1 - x, given to full precision."""
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return 1.0
    front = math.exp(a * math.log(x) + b * math.log(y) - _log_beta(a, b))
    # The fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_cf(x, a, b) / a
    return 1.0 - front * _beta_cf(y, b, a) / b


def _t_tail2(t: float, dof: float) -> float:
    """P(|T| >= |t|) = I_x(dof/2, 1/2) with x = dof / (dof + t^2)."""
    den = dof + t * t
    return _betainc(dof / 2.0, 0.5, dof / den, t * t / den)


def t_cdf(t: float, dof: float) -> float:
    """Student t CDF P(T <= t) with ``dof`` > 0 degrees of freedom.

    The tail P(T > |t|) is I_x(dof/2, 1/2) / 2 with x = dof / (dof + t^2), for
    every dof (no normal approximation).
    """
    if not dof > 0:
        raise ValueError(f"t_cdf: dof must be > 0, got {dof}")
    if math.isnan(t):
        return float("nan")
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    tail = 0.5 * _t_tail2(t, dof)
    return 1.0 - tail if t > 0 else tail


def _dm_variance(d: np.ndarray, horizon: int) -> float:
    """Var(mean d) from autocovariances 0..horizon-1 (divisor n, rectangular weights)."""
    n = d.size
    dev = d - d.mean()
    gamma = [float(dev[k:] @ dev[: n - k]) / n for k in range(min(horizon, n))]
    return (gamma[0] + 2.0 * sum(gamma[1:])) / n


def diebold_mariano(
    e1: np.ndarray, e2: np.ndarray, *, horizon: int = 1, power: int = 2
) -> tuple[float, float]:
    """Diebold-Mariano test of equal accuracy; returns (statistic, two-sided p-value).

    Loss differential d_t = |e1_t|^power - |e2_t|^power over the forecast
    errors of the two models for the same targets (pairs with NaN dropped).
    The variance of mean(d) sums autocovariances up to lag horizon-1 (an
    h-step forecast's errors are MA(h-1)); if that estimate is not positive
    the test falls back to horizon 1, as R's ``forecast::dm.test`` does. The
    statistic gets the Harvey-Leybourne-Newbold (1997) correction
    sqrt((n + 1 - 2h + h(h-1)/n) / n) and is referred to Student t with n-1
    dof. A positive statistic means model 1 has the larger loss (model 2 is
    better). Identical losses give (0.0, 1.0); a constant non-zero
    differential gives (+-inf, 0.0); fewer than 2 pairs give (nan, nan).
    """
    if horizon < 1:
        raise ValueError(f"diebold_mariano: horizon must be >= 1, got {horizon}")
    a = np.asarray(e1, dtype=np.float64).ravel()
    b = np.asarray(e2, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"diebold_mariano: e1 has {a.size} errors, e2 has {b.size}")
    keep = ~(np.isnan(a) | np.isnan(b))
    d = np.abs(a[keep]) ** power - np.abs(b[keep]) ** power
    n = d.size
    if n < 2:
        return float("nan"), float("nan")
    mean_d = float(d.mean())
    if np.all(d == d[0]):
        if mean_d == 0.0:
            return 0.0, 1.0
        return math.copysign(math.inf, mean_d), 0.0
    h = horizon
    var = _dm_variance(d, h)
    if not var > 0:
        h = 1
        var = _dm_variance(d, h)
    stat = mean_d / math.sqrt(var)
    stat *= math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    return stat, _t_tail2(stat, n - 1)


LAG_MIMIC_WARN = 1.0
"""``lag_mimic_score`` above this: the forecast sits closer to the last value than to the outcome."""


def lag_mimic_score(y: np.ndarray, yhat: np.ndarray, last: np.ndarray | float) -> float:
    """Ratio mean|yhat - y| / mean|yhat - last|: how much the forecast echoes the last value.

    ``last`` is the last observed value before the horizon (scalar, one per
    row of y, or y's shape). Above 1 the forecast is on average closer to
    the last observed value than to the outcome it should predict (a lagged
    copy of the input); the evaluate command warns then. ``inf`` when the
    forecast equals ``last`` everywhere yet misses y; ``nan`` when both means
    are 0 or no pair is free of NaN.
    """
    y = np.asarray(y, dtype=np.float64)
    yhat = np.asarray(yhat, dtype=np.float64)
    if y.shape != yhat.shape:
        raise ValueError(f"lag_mimic_score: y shape {y.shape} != yhat shape {yhat.shape}")
    ref = align_last(y, last).ravel()
    y, yhat = y.ravel(), yhat.ravel()
    keep = ~(np.isnan(y) | np.isnan(yhat) | np.isnan(ref))
    if not keep.any():
        return float("nan")
    to_outcome = float(np.mean(np.abs(yhat[keep] - y[keep])))
    to_last = float(np.mean(np.abs(yhat[keep] - ref[keep])))
    if to_last == 0.0:
        return float("nan") if to_outcome == 0.0 else math.inf
    return to_outcome / to_last
