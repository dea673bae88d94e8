"""The distribution of a price forecast: conformal bounds, a Student-t with GARCH volatility, or both.

Every price fit (a price-like target on log returns) forecasts with the member its floor chose
(the net, drift, a statistical peer, ...), and its intervals are conformal by default
(forecast.conformal: the member's out-of-sample errors, normalised by a 60-step volatility).
Volatility clusters, though, and a model of the volatility can be sharper. The candidate here
is a Student-t around the chosen member's point forecast, on log returns r_t (demeaned by
their mean mu), with a GARCH(1,1) variance that targets the sample variance V:

    v_{t+1} = V (1 - a - b) + a (r_t - mu)^2 + b v_t         (a + b = p, the persistence)
    log y_{o+h} = log yhat_{o+h} + sqrt(sum_{j=1..h} v_{o+j}) * T_h,
    v_{o+j} = V + p^{j-1} (v_{o+1} - V)                          (the variance forecast)

where T_h is the sum of h unit-variance Student-t(nu) draws divided by sqrt(h) (its quantiles
come from a fixed-seed simulation, so predictions are repeatable). a, p and nu maximise the
Student-t likelihood of the fit's last MAX_RETURNS log returns over a grid (p = 1 is
RiskMetrics' EWMA); V and mu are those returns' variance and mean. Fitting on a grid keeps
this plain numpy (arch, which fits GARCH by numerical optimisation, is a bench-only package).

The choice: on the fit's validation origins (time-ordered, the ones the floor scored the
members on), three distributions around the same point forecasts are scored by the quantile
score (2/Q sum over QUANTILE_LEVELS of the pinball loss: CRPS over q0.05..q0.95): the
conformal bounds, the Student-t, and "blend", the mean of the two at every level (the pinball
loss is convex in the quantile, so the mean never scores worse than the mean of the two
scores). The lowest is used (a tie goes to the simpler). The choice, the scores and the fitted
parameters are plain data saved in the fit's choice ("distribution").

Why a scale model around the chosen point and not a Student-t net: on 12 price series, 30
cutoffs each (`python -m bench.run --only volatility`, docs/benchmarks.md), the `--head
studentt` net scored 1.045 of GARCH(1,1)-t's quantile score (90% coverage 0.872), this model
around the chosen point at every cutoff 1.012 (0.889), the conformal bounds alone 1.029
(0.907), and the choice 1.017 (0.904; rolling-20 random walk 0.994 of it), for +1.2% of
evaluate time. A GJR leverage term in the grid scored 1.014 against 1.010 without: left out.
"""

from __future__ import annotations

from functools import lru_cache
from math import lgamma, log, pi
from typing import Any

import numpy as np

from forecast import conformal

KINDS = ("conformal", "blend", "studentt")  # the candidates, simplest first (ties go to it)
MAX_RETURNS = 2000  # the log returns the volatility model is fitted on and filtered through
MIN_RETURNS = 250  # fewer: no volatility model (a year of trading days)
ALPHAS = (0.02, 0.04, 0.06, 0.08, 0.10, 0.13, 0.16, 0.20)
PERSISTENCE = (0.90, 0.94, 0.97, 0.985, 0.995, 1.0)
DOFS = (3.0, 4.0, 5.0, 6.0, 8.0, 12.0, 20.0, 50.0)
DRAWS = 20_000  # simulated unit-variance Student-t sums per (nu, H) table


def log_returns(y: np.ndarray) -> np.ndarray:
    """Log returns of positive levels (T,) -> (T - 1,)."""
    return np.diff(np.log(np.asarray(y, dtype=np.float64)))


def _filter(r: np.ndarray, alpha: np.ndarray, beta: np.ndarray, var: float) -> np.ndarray:
    """GARCH variances before each return and after the last, for every grid point:
    demeaned returns r (T,), alpha and beta (G,) -> (T + 1, G), started at ``var``."""
    omega = var * (1.0 - alpha - beta)  # (G,)
    out = np.empty((len(r) + 1, len(alpha)))
    out[0] = var
    r2 = r * r
    for t in range(len(r)):
        out[t + 1] = omega + alpha * r2[t] + beta * out[t]
    return np.maximum(out, 1e-12 * var)


def _grid() -> np.ndarray:
    """(G, 2): alpha, beta with alpha + beta in PERSISTENCE."""
    return np.array([(a, p - a) for p in PERSISTENCE for a in ALPHAS if p - a >= 0.0])


def persistence(params: dict[str, float]) -> float:
    """alpha + beta: how much of today's variance surprise is left tomorrow."""
    return params["alpha"] + params["beta"]


def t_loglik(r: np.ndarray, var: np.ndarray, dof: float) -> np.ndarray:
    """Student-t log-likelihood of returns r (T,) with variances var (T, G), summed: (G,)."""
    scale2 = var * (dof - 2.0) / dof
    const = lgamma((dof + 1) / 2) - lgamma(dof / 2) - 0.5 * log(pi * dof)
    z2 = (r * r)[:, None] / scale2
    return (const - 0.5 * np.log(scale2) - (dof + 1) / 2 * np.log1p(z2 / dof)).sum(axis=0)


def fit(y: np.ndarray) -> dict[str, float] | None:
    """The volatility model of the last MAX_RETURNS log returns of positive levels y (T,):
    {alpha, beta, dof, var, mean}, or None with fewer than MIN_RETURNS returns."""
    r = log_returns(y)[-MAX_RETURNS:]
    r = r[np.isfinite(r)]
    if len(r) < MIN_RETURNS or np.var(r) <= 0:
        return None
    mean, var = float(r.mean()), float(r.var())
    grid = _grid()
    v = _filter(r - mean, grid[:, 0], grid[:, 1], var)[:-1]  # (T, G) the variance before each return
    best = (-np.inf, 0, DOFS[0])
    for dof in DOFS:
        ll = t_loglik(r - mean, v, dof)  # (G,)
        g = int(np.argmax(ll))
        best = max(best, (float(ll[g]), g, dof))
    _, g, dof = best
    return {"alpha": float(grid[g, 0]), "beta": float(grid[g, 1]), "dof": float(dof), "var": var, "mean": mean}


def next_variance(params: dict[str, float], y: np.ndarray, origins: np.ndarray) -> np.ndarray:
    """v_{o+1}: the variance of the first return after each origin (exclusive end of the
    history), filtered through up to MAX_RETURNS returns before the first origin and on: (N,)."""
    origins = np.asarray(origins, dtype=np.int64)
    start = max(0, int(origins.min()) - 1 - MAX_RETURNS) if len(origins) else 0
    r = log_returns(y[start : int(origins.max())] if len(origins) else y) - params["mean"]
    v = _filter(r, np.array([params["alpha"]]), np.array([params["beta"]]), params["var"])[:, 0]
    return v[origins - 1 - start]  # v[k]: after k returns, i.e. after level row start + k


@lru_cache(maxsize=32)
def _unit_table(dof: float, horizon: int, levels: tuple[float, ...]) -> np.ndarray:
    """Quantiles (Q, H) of the sum of h unit-variance Student-t(dof) draws over sqrt(h)."""
    rng = np.random.default_rng(0)
    draws = rng.standard_t(dof, size=(DRAWS, horizon)) * np.sqrt((dof - 2.0) / dof)  # (S, H)
    sums = np.cumsum(draws, axis=1) / np.sqrt(np.arange(1, horizon + 1))  # (S, H)
    return np.quantile(sums, levels, axis=0)


def quantiles(params: dict[str, float], v_next: np.ndarray, point: np.ndarray,
              levels: tuple[float, ...]) -> np.ndarray:
    """Level quantiles (N, Q, H) around point forecasts (N, H) from next variances (N,)."""
    point = np.asarray(point, dtype=np.float64)
    horizon = point.shape[1]
    p = persistence(params)
    decay = p ** np.arange(horizon)  # (H,)
    var_path = params["var"] + decay[None, :] * (np.asarray(v_next)[:, None] - params["var"])  # (N, H)
    sd = np.sqrt(np.cumsum(np.maximum(var_path, 0.0), axis=1))  # (N, H) of the h-step log return
    table = _unit_table(float(params["dof"]), horizon, tuple(levels))  # (Q, H)
    return point[:, None, :] * np.exp(sd[:, None, :] * table[None, :, :])


def quantile_score(y: np.ndarray, q: np.ndarray, levels: tuple[float, ...]) -> float:
    """2/Q sum of pinball losses, mean over origins and steps: y (N, H), q (N, Q, H)."""
    tau = np.asarray(levels, dtype=np.float64)[None, :, None]
    diff = np.asarray(y, dtype=np.float64)[:, None, :] - q
    return float(np.mean(2 * np.maximum(tau * diff, (tau - 1) * diff)))


def describe(state: dict[str, Any]) -> str:
    """One line for the train command: which distribution and why."""
    scores = state.get("scores", {})
    versus = "validation quantile score " + ", ".join(
        f"{k} {scores[k]:.4g}" for k in KINDS if k in scores) + f" at {state.get('origins', 0)} origins"
    model = (f"Student-t({state['dof']:g}) on log returns with GARCH(1,1) volatility (alpha "
             f"{state['alpha']:.2f}, persistence {persistence(state):.3f})")
    if state.get("kind") == "studentt":
        return f"intervals: a {model}; {versus}"
    if state.get("kind") == "blend":
        return f"intervals: the mean of the conformal bounds and a {model}; {versus}"
    return f"intervals: conformal, over a {model} and the mean of both; {versus}"


def choose(params: dict[str, float] | None, y: np.ndarray, origins: np.ndarray, point: np.ndarray,
           conformal_q: np.ndarray, levels: tuple[float, ...]) -> dict[str, Any]:
    """Conformal, blend or Student-t, by the quantile score at the time-ordered origins (N,) of point
    forecasts (N, H) whose conformal quantiles are ``conformal_q`` (N, Q, H): the plain-data
    state a fit saves ({} without a volatility model)."""
    origins = np.asarray(origins, dtype=np.int64)
    horizon = point.shape[1]
    if params is None or not len(origins) or int(origins.max()) + horizon > len(y):
        return {}
    truth = np.stack([y[o : o + horizon] for o in origins])  # (N, H)
    student = quantiles(params, next_variance(params, y, origins), point, levels)
    candidates = {"conformal": conformal_q, "blend": (conformal_q + student) / 2, "studentt": student}
    scores = {k: quantile_score(truth, q, levels) for k, q in candidates.items()}
    kind = min(scores, key=lambda k: (scores[k], KINDS.index(k)))  # a tie goes to the simpler
    return {"kind": kind, **params, "scores": scores, "origins": int(len(origins))}


def predict_quantiles(state: dict[str, Any], y: np.ndarray, point: np.ndarray,
                      levels: tuple[float, ...], bounds: dict[float, np.ndarray]) -> dict[float, np.ndarray]:
    """The chosen distribution's quantiles per level (H,) for the point forecast (H,) made
    after the last row of levels y (T,), given its conformal ``bounds`` (level -> (H,)): those
    bounds as they are where the state chose them or the Student-t is undefined (a level <= 0)."""
    if not state or state["kind"] == "conformal" or not bounds:
        return bounds
    with np.errstate(divide="ignore", invalid="ignore"):
        v_next = next_variance(state, y, np.array([len(y)]))
        q = quantiles(state, v_next, np.asarray(point, dtype=np.float64)[None, :], levels)[0]  # (Q, H)
    if not np.all(np.isfinite(q)):
        return bounds
    if state["kind"] == "blend":
        return {level: (q[j] + bounds[level]) / 2 for j, level in enumerate(levels)}
    return {level: q[j] for j, level in enumerate(levels)}


def check(state: dict[str, Any] | None) -> None:
    """Raise ValueError for a saved distribution state this version cannot use."""
    if not state:
        return
    kind = state.get("kind")
    if kind not in KINDS:
        raise ValueError(f"unknown distribution {kind!r}")
    a, b, dof, var, mean = (float(state[k]) for k in ("alpha", "beta", "dof", "var", "mean"))
    if not (0 <= a <= 1 and 0 <= b <= 1 and a + b <= 1 and 2 < dof < 1e6 and 0 < var < np.inf
            and np.isfinite(mean)):
        raise ValueError("distribution parameters out of range")


def for_fit(y: np.ndarray, origins: np.ndarray, point: np.ndarray, pipeline: Any,
            calibration: np.ndarray, state: dict[str, Any], levels: tuple[float, ...]) -> dict[str, Any]:
    """A price fit's distribution (:func:`choose`): the volatility model of its levels y (T,)
    against its conformal bounds, around its chosen member's forecasts (N, H) at the
    validation origins (N,)."""
    origins = np.asarray(origins, dtype=np.int64)
    if not len(origins) or not len(calibration):
        return {}
    q = conformal_at(pipeline, y, origins, point, calibration, state, levels)
    return choose(fit(y), y, origins, point, q, levels)


def conformal_at(pipeline: Any, y: np.ndarray, origins: np.ndarray, point: np.ndarray,
                 calibration: np.ndarray, state: dict[str, Any], levels: tuple[float, ...]) -> np.ndarray:
    """The conformal quantiles (N, Q, H) a fit's predictions would give at each origin (N,)
    around its point forecasts (N, H) in levels: the calibration rows (N_cal, H) at the local
    volatility of each origin (conformal.rows_at_origins, as predictions rescale them), plus the point
    in model space, mapped to levels, at the state's adapted levels."""
    from forecast.forecaster import anchors as anchors_at
    from forecast.selection import levels_to_model

    rows, mult = conformal.rows_at_origins(calibration, state, y, origins)  # (N_cal, H), (N,)
    anchors = anchors_at(pipeline, y, origins)
    z = levels_to_model(pipeline, np.asarray(point, dtype=np.float64), anchors)  # (N, H)
    if z is None:
        return np.full((len(origins), len(levels), point.shape[1]), np.nan)
    out = []
    for i in range(len(origins)):
        paths = pipeline.to_levels(z[i][None, :] + mult[i] * rows[:, : z.shape[1]], anchors[i])  # (N_cal, H)
        q = conformal.quantiles(paths, state, levels)
        out.append(np.stack([q[level] for level in levels]))
    return np.stack(out)  # (N, Q, H)
