"""Noise for generated paths: a plain bootstrap of one-step errors, or volatility that clusters.

Every generated path adds one-step errors r drawn from the model's own out-of-sample errors
(time-ordered, oldest first). Drawn independently, those errors give every step the same
spread, while real returns cluster: calm weeks follow calm weeks, wild ones wild ones. When the
errors show that (Engle's ARCH LM test), paths use filtered historical simulation (Barone-Adesi,
Giannopoulos & Vosper 1999) with an exponentially weighted variance (RiskMetrics):

    s2_0     = mean of the first k squared errors
    s2_{i+1} = lam * s2_i + (1 - lam) * r_i^2            (the variance before error i + 1)
    z_i      = r_i / s_i                                  (standardised errors: close to i.i.d.)

and along each generated path, starting from the variance after the last error (the volatility
now), with z* drawn with replacement from the z_i:

    r_t = s_t * z*,   s2_{t+1} = lam * s2_t + (1 - lam) * r_t^2

so a large draw raises the spread of the steps after it. ``lam`` maximises the Gaussian
quasi-likelihood of the errors over a grid (0.80 to 0.99; RiskMetrics' daily value is 0.94).

The test: take what an AR(4) fit leaves of the errors (so errors that are only autocorrelated
do not pass for clustered), regress its squares e_i^2 on e_{i-1}^2 .. e_{i-4}^2; LM = n R^2 is
chi-squared with 4 degrees of freedom when the errors do not cluster. The test and lam use the
longest time-ordered run of one-step errors the model has (a net's training residuals; a
baseline's validation errors); the draws standardise the errors that are sampled today.
With at least MIN_ERRORS errors and p < ARCH_P the filtered draw is used; otherwise the plain
bootstrap, since filtering noise adds noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_ERRORS = 100  # fewer errors cannot show clustering reliably
ARCH_P = 0.01  # p-value of the ARCH LM test under which the filtered draw is used
ARCH_LAGS = 4  # even, so the chi-squared tail has a closed form
LAMBDAS = np.round(np.arange(0.80, 0.995, 0.01), 2)


@dataclass(frozen=True)
class NoiseModel:
    """How generated paths draw their one-step errors, and why."""

    kind: str  # "bootstrap" or "clustered"
    arch_p: float  # ARCH LM p-value of the errors (nan: too few to test)
    lam: float = float("nan")  # EWMA decay when clustered

    def describe(self) -> str:
        if self.kind == "clustered":
            return (f"volatility clusters (ARCH LM p={self.arch_p:.2g}): errors drawn with an "
                    f"EWMA volatility, lambda {self.lam:.2f}, starting at today's")
        if np.isnan(self.arch_p):
            return f"errors drawn independently (under {MIN_ERRORS} errors to test for clustering)"
        return f"errors drawn independently (no volatility clustering: ARCH LM p={self.arch_p:.2g})"


def chi2_sf_even(x: float, dof: int) -> float:
    """P(X > x) for X chi-squared with an even number of degrees of freedom (closed form)."""
    half, term, total = x / 2.0, 1.0, 1.0
    for i in range(1, dof // 2):
        term *= half / i
        total += term
    return float(np.exp(-half) * total)


def ar_residuals(errors: np.ndarray, lags: int = ARCH_LAGS) -> np.ndarray:
    """What an AR(lags) fit by least squares leaves of the errors: (R - lags,). Errors that are
    merely autocorrelated (a seasonal naive's persist) would otherwise look like clustering."""
    e = np.asarray(errors, dtype=np.float64)
    n = len(e) - lags
    x = np.column_stack([np.ones(n), *[e[lags - k : len(e) - k] for k in range(1, lags + 1)]])  # (n, 1+p)
    coef, *_ = np.linalg.lstsq(x, e[lags:], rcond=None)
    return e[lags:] - x @ coef


def arch_lm_pvalue(errors: np.ndarray, lags: int = ARCH_LAGS) -> float:
    """Engle's ARCH LM test on errors (R,), after removing their own autocorrelation (AR(lags)):
    small p-values mean the squared errors are predictable."""
    if len(errors) <= 3 * lags + 2:
        return float("nan")
    r2 = ar_residuals(errors, lags) ** 2
    r2 = r2 - r2.mean()
    n = len(r2) - lags
    if n <= lags + 1:
        return float("nan")
    y = r2[lags:]  # (n,)
    x = np.column_stack([np.ones(n), *[r2[lags - k : len(r2) - k] for k in range(1, lags + 1)]])  # (n, 1+p)
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ coef
    total = float(((y - y.mean()) ** 2).sum())
    if total <= 0:
        return float("nan")
    r_squared = 1.0 - float((resid**2).sum()) / total
    return chi2_sf_even(n * max(r_squared, 0.0), lags)


def ewma_variance(errors: np.ndarray, lam: float, warmup: int = 20) -> np.ndarray:
    """Variance before each error and after the last: (R + 1,)."""
    r2 = np.asarray(errors, dtype=np.float64) ** 2
    out = np.empty(len(r2) + 1)
    out[0] = max(float(r2[:warmup].mean()), 1e-300)
    for i, value in enumerate(r2):
        out[i + 1] = lam * out[i] + (1.0 - lam) * value
    return out


def best_lambda(errors: np.ndarray) -> float:
    """The EWMA decay with the highest Gaussian quasi-likelihood of the errors."""
    r2 = np.asarray(errors, dtype=np.float64) ** 2

    def loglik(lam: float) -> float:
        var = np.maximum(ewma_variance(errors, lam)[:-1], 1e-300)  # (R,)
        return float(-(np.log(var) + r2 / var).sum())

    return float(max(LAMBDAS, key=loglik))


def noise_model(errors: np.ndarray) -> NoiseModel:
    """Clustered when the (time-ordered) errors are many enough and their squares are predictable."""
    errors = np.asarray(errors, dtype=np.float64).ravel()
    errors = errors[np.isfinite(errors)]
    if len(errors) < MIN_ERRORS:
        return NoiseModel("bootstrap", float("nan"))
    p = arch_lm_pvalue(errors)
    if np.isfinite(p) and p < ARCH_P:
        return NoiseModel("clustered", p, best_lambda(errors))
    return NoiseModel("bootstrap", p)


def draw(errors: np.ndarray, model: NoiseModel, paths: int, steps: int,
         rng: np.random.Generator) -> np.ndarray:
    """One-step errors for each path and step: (paths, steps), before any temperature."""
    errors = np.asarray(errors, dtype=np.float64)
    errors = errors[np.isfinite(errors)]
    idx = rng.integers(len(errors), size=(paths, steps))  # (N, S)
    if model.kind != "clustered":
        return errors[idx]
    var = ewma_variance(errors, model.lam)  # (R + 1,)
    z = errors / np.sqrt(np.maximum(var[:-1], 1e-300))  # (R,) standardised
    z = z / np.sqrt(np.mean(z**2))  # unit variance, so the filter neither inflates nor shrinks
    draws = z[idx]  # (N, S)
    out = np.empty((paths, steps))
    s2 = np.full(paths, var[-1])  # (N,) the variance now
    for t in range(steps):
        out[:, t] = np.sqrt(s2) * draws[:, t]
        s2 = model.lam * s2 + (1.0 - model.lam) * out[:, t] ** 2
    return out
