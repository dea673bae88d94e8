"""Conformal intervals from a model's own out-of-sample errors, per horizon step, normalised
by the local volatility, with an adaptive update from the most recent errors.

Scores. A fit keeps model-space errors ``E`` (N, H) at N time-ordered origins whose forecasts
nothing was fitted or chosen on: a chosen baseline's, statistical peer's or peers' median's own
forecasts at up to :data:`MAX_ORIGINS` rolling origins (:func:`baseline_origins`: consecutive
on short series, strided up to one horizon apart on long ones; a peer refit before each of
:data:`PEER_REFITS` runs of them, as a prediction refits it); a chosen net's are borrowed from
the best such member, mirrored, and the net-and-peers combination's from its peers' median,
each scaled by the validation MAE ratio (forecaster._borrowed_errors), since their own
validation errors chose them and early-stopped the net. A candidate future is
``to_levels(z + e_i)``: the point forecast z (H,) plus one whole error row, so the steps of a
path keep the errors' joint structure (differences and log returns add up). Every transform
maps model space to levels through a positive linear cumulation ``C`` (identity for levels,
cumulative sums for diff/logret, sums every m steps for the seasonal ones) followed by an
increasing map, so the level at step h is increasing in the score

    s_i[h] = (C e_i)[h],

and an order statistic of the paths at step h is the path of that order statistic of s[:, h].

Normalised scores (Papadopoulos et al. 2008; Lei et al. 2018, "locally weighted"): with
sigma(o) the mean absolute first difference of y (of log y for log transforms) over the
:func:`scale_window` steps before origin o, each row becomes e_i * (sigma(T) / sigma(o_i)) ** p
(p = :data:`SCALE_POWER`), T the end of the training series, and a prediction from origin t
multiplies the rows by (sigma(t) / sigma(T)) ** p: exchangeability is asked of errors in units
of the recent volatility, so a calm stretch of history does not set the band of a wild one.

Split conformal (Vovk et al. 2005; Lei et al. 2018), one-sided at every quantile level tau and
step h: with s_(1) <= ... <= s_(n) the sorted scores,

    upper (tau > 1/2):  Q(tau) = s_(k),  k = ceil((n + 1) tau)
    lower (tau < 1/2):  Q(tau) = s_(k),  k = floor((n + 1) tau)

so that P(s_new <= Q(tau)) >= tau (upper) and P(s_new < Q(tau)) <= tau (lower) when scores
are exchangeable. Where k falls outside 1..n (too few errors for the level), the bound is the
normal quantile mean + sd * Phi^-1(tau) of the scores, or the extreme score if that is wider.

Adaptive conformal inference (Gibbs and Candes 2021), written for quantile levels: walking
through the origins in time order, each level tau_t (per step) moves after each outcome by

    tau_{t+1} = tau_t + gamma * (tau - 1[s_t <= Q_t(tau_t)])

(a miss above an upper bound raises it, a miss below a lower bound lowers it), where
Q_t is the conformal bound of the other N - 1 scores. Over the sequence the miss rate is
held at the nominal one, so when the recent errors grew (a volatility regime) the levels end
wider than split conformal alone would put them. One step is a compromise: a small one (0.01)
barely moves, a large one (0.1) follows shifts but ends wherever the last few misses left it
(stationary GARCH-t, 5 seeds: 0.759 coverage at 80%). A fit therefore walks with DtACI
(:func:`dtaci_levels`, Gibbs and Candes 2022): ACI experts at the steps
:data:`DTACI_GAMMAS` side by side, weighted by their pinball loss, the level their weighted
mean (the same GARCH-t test: 0.778 / 0.880 at 80 / 90%; after a doubling of the volatility,
0.822 at 90% against split conformal's 0.735). The final levels (Q, H) are what the fit keeps
and what predictions use. After the fit, ``predict --rolling`` and ``evaluate --test`` keep
walking: as each test row arrives, every earlier forecast with a step on that row updates that
step's levels once (:func:`update_online`), so the bands follow the test period's own misses;
the saved model is not changed.

Weighted conformal (Barber, Candes, Ramdas & Tibshirani 2023), opt-in: each row weighted by
the age of its origin (:func:`weighted_levels`, WEIGHT_HALF_LIFE or WEIGHT_N_EFF), so growing
or settling errors are tracked by the recent rows. Not the default: on session 8's 30 cached
fits no decay beat the unweighted bound on both halves (tuning 3.8 / 2.6 at best against 3.9 /
2.7, check 4.7 / 3.3 at best against 5.3 / 3.7; a10 -11 -> -6 at strong decay, but gasoline
-2 -> +8 and usaccdeaths +0 -> +12; docs/benchmarks.md, step 6).

Everything here is plain numpy; the state a fit saves is plain data (:func:`calibrate`).
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np

GAMMA = 0.01  # ACI step: a sustained 10-point excess of misses moves tau by 0.1 in 100 origins
# how a fit adapts its levels: "dtaci" (DtACI, :func:`dtaci_levels`: experts at DTACI_GAMMAS
# weighted by their pinball loss) or "aci" (one step, GAMMA); online updates use GAMMA either way
ADAPT = "dtaci"
DTACI_GAMMAS = (0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128)  # Gibbs & Candes 2022's grid
DTACI_WINDOW = 100  # their interval length I: weights mix by sigma = 1 / (2 I), eta from I
MIN_ERRORS = 3  # fewer out-of-sample error rows than this: no intervals
# a net (or the net-and-peers combination) borrows the error rows of the best member that
# refits at every origin, scaled by their validation MAE ratio shrunk towards 1 as if SHRINK
# more validation windows had said 1 (the ratio is measured on the windows that early-stopped
# the net and chose it: optimistic)
SHRINK = 30
# who borrows from whom (bench/interval_lab.py). "own": the median of the peers calibrates on
# its own rolling-origin errors, the combination borrows the median's (its statistical part,
# unmirrored), a net the best reference's (mirrored); "own_mirror": the same, the comb's
# mirrored; "reference": the median and comb borrow like a net; "baselines": ... from the best
# baseline only (before 2026-11: peers were not reference members)
BORROW = "own"
# a statistical peer's rolling calibration errors: refit before each of this many equal runs of
# origins (forecaster._refit_forecasts)
PEER_REFITS = 4
MAX_ORIGINS = 200  # calibration origins of a chosen baseline (its forecasts are cheap)
ACI_ORIGINS = 2000  # the ACI walk covers at most this many of the most recent origins
# normalised scores: each error row is divided by the local scale at its origin (the mean
# absolute first difference of the last SCALE_WINDOW steps, at least two seasons) raised to
# SCALE_POWER, and multiplied back by the scale at the forecast origin (1: fully scale-free)
SCALE_WINDOW = 60
SCALE_POWER = 1.0
# weighted conformal (Barber, Candes, Ramdas & Tibshirani 2023, :func:`weighted_levels`): a row
# weighs 2 ** (-age / (WEIGHT_HALF_LIFE x the distinct origins)), age 1 for the most recent
# origin; 0: every row weighs 1 (split conformal). Or, with WEIGHT_N_EFF > 0, the decay whose
# effective sample size over the distinct origins is WEIGHT_N_EFF (rows beyond it are spared
# from the oldest; fewer origins than that: no weights)
WEIGHT_HALF_LIFE = 0.0
WEIGHT_N_EFF = 0.0
WEIGHT_TEST = 1.0  # the test point's weight (the paper's 1; 0: a plain weighted quantile, bench only)
# weights only on rows whose later half's mean |score| is above WEIGHT_GROWTH x the earlier
# half's (growing errors); 0: on every fit
WEIGHT_GROWTH = 0.0


def cumulate(errors: np.ndarray, transform: str, season: int = 1) -> np.ndarray:
    """Scores s = C e: model-space error rows (N, H) -> (N, H), increasing with the level at
    every step (see the module docstring)."""
    e = np.asarray(errors, dtype=np.float64)
    if transform in ("diff", "logret"):
        return np.cumsum(e, axis=1)
    if transform in ("sdiff", "slogret"):
        out = e.copy()
        for h in range(season, e.shape[1]):
            out[:, h] += out[:, h - season]
        return out
    return e.copy()  # level (and class codes, which never get here)


def _normal_bound(sorted_scores: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """mean + sd * Phi^-1(tau) per column: (n, H) sorted, tau (H,) -> (H,)."""
    z = np.array([NormalDist().inv_cdf(float(min(max(t, 1e-6), 1 - 1e-6))) for t in np.ravel(tau)])
    sd = sorted_scores.std(axis=0, ddof=1) if len(sorted_scores) > 1 else np.zeros(sorted_scores.shape[1])
    return sorted_scores.mean(axis=0) + sd * z.reshape(np.shape(tau))


def bound(sorted_scores: np.ndarray, tau: np.ndarray, upper: bool) -> np.ndarray:
    """The conformal bound per column at levels tau (H,) of sorted scores (n, H): (H,)."""
    n, width = sorted_scores.shape
    tau = np.broadcast_to(np.asarray(tau, dtype=np.float64), (width,))
    k = np.ceil((n + 1) * tau - 1e-9) if upper else np.floor((n + 1) * tau + 1e-9)
    inside = (k >= 1) & (k <= n)
    cols = np.arange(width)
    out = sorted_scores[np.clip(k, 1, n).astype(int) - 1, cols]  # (H,)
    if not inside.all():  # beyond the sample: a normal tail, never narrower than the extreme
        normal = _normal_bound(sorted_scores, tau)
        extreme = np.maximum(normal, sorted_scores[-1]) if upper else np.minimum(normal, sorted_scores[0])
        out = np.where(inside, out, extreme)
    return out


def aci_levels(scores: np.ndarray, levels: tuple[float, ...], gamma: float = GAMMA) -> np.ndarray:
    """Adaptive levels (Q, H) after walking through the time-ordered scores (N, H): the update
    of the module docstring, each outcome judged against the other N - 1 scores' bound."""
    scores = np.asarray(scores, dtype=np.float64)[-ACI_ORIGINS:]
    n, width = scores.shape
    nominal = np.array(levels, dtype=np.float64)[:, None] * np.ones((1, width))  # (Q, H)
    taus = nominal.copy()
    if n < 2 or gamma <= 0:
        return taus
    order = np.argsort(scores, axis=0, kind="stable")  # (n, H)
    ranks = np.empty_like(order)
    ranks[order, np.arange(width)] = np.arange(n)[:, None]  # rank of each score in its column
    srt = np.take_along_axis(scores, order, axis=0)  # (n, H)
    cols = np.arange(width)
    for i in range(n):
        for j, tau0 in enumerate(levels):
            if tau0 == 0.5:
                continue
            upper = tau0 > 0.5
            # the k-th smallest of the other n - 1 scores: skip over score i's own rank
            m = n - 1
            k = np.ceil((m + 1) * taus[j] - 1e-9) if upper else np.floor((m + 1) * taus[j] + 1e-9)
            idx = np.clip(k, 1, m).astype(int) - 1  # 0-based among the others
            idx = np.where(idx >= ranks[i], idx + 1, idx)
            q = srt[idx, cols]
            beyond = (k > m) if upper else (k < 1)
            q = np.where(beyond, np.inf if upper else -np.inf, q)  # ACI: an infinite bound
            below = (scores[i] <= q).astype(np.float64)  # (H,)
            taus[j] = taus[j] + gamma * (tau0 - below)
    return taus


def dtaci_levels(scores: np.ndarray, levels: tuple[float, ...], gammas: tuple[float, ...] = DTACI_GAMMAS,
                 window: int = DTACI_WINDOW) -> np.ndarray:
    """Adaptive levels (Q, H) by DtACI (Gibbs and Candes 2022, "Conformal inference for online
    prediction with arbitrary distribution shifts", Algorithm 1): one ACI expert per step size
    in ``gammas``, walked through the time-ordered scores (N, H) as :func:`aci_levels` walks
    (each outcome against the other N - 1 scores), each weighted by exp(-eta x its pinball
    loss) with a share sigma of the weight spread evenly after every outcome; the level is the
    weighted mean of the experts'. A large step follows a shift, a small one does not chase
    noise, and the weights pick whichever has been calibrating better lately. An outcome's
    level beta is where its score sits among the others, (rank + 1) / N, so expert tau covers
    it when tau >= beta (lower bounds; tau > rank / N for upper ones, the bound's own rule).
    Its weak side, measured: on strongly autocorrelated scores (AR(1) 0.9, 200 rows, as
    overlapping horizons make them) its final 80% band covers 0.59 of fresh draws from the
    same law, ACI 0.01's 0.74, ACI 0.1's 0.59: the fast experts end where the last rows were."""
    scores = np.asarray(scores, dtype=np.float64)[-ACI_ORIGINS:]
    n, width = scores.shape
    tau0 = np.array(levels, dtype=np.float64)[:, None] * np.ones((1, width))  # (Q, H)
    if n < 2:
        return tau0
    order = np.argsort(scores, axis=0, kind="stable")  # (n, H)
    ranks = np.empty_like(order)
    ranks[order, np.arange(width)] = np.arange(n)[:, None]  # others below score i: its rank
    upper = (tau0 > 0.5)[None]  # (1, Q, H)
    fixed = (tau0 == 0.5)[None]
    g = np.asarray(gammas, dtype=np.float64)[:, None, None]  # (G, 1, 1)
    experts = np.broadcast_to(tau0, (len(gammas), *tau0.shape)).copy()  # (G, Q, H)
    weights = np.full(experts.shape, 1.0 / len(gammas))
    miss = np.minimum(tau0, 1 - tau0)[None]  # the nominal miss rate of each bound
    eta = np.sqrt(3 / window) * np.sqrt((np.log(len(gammas) * window) + 2)
                                        / ((1 - miss) ** 2 * miss**3 + miss**2 * (1 - miss) ** 3))
    sigma = 1 / (2 * window)
    for i in range(n):
        r = ranks[i][None, None, :].astype(np.float64)  # (1, 1, H)
        beta = np.where(upper, r / n, (r + 1) / n)
        below = np.where(upper, experts > beta + 1e-12, experts >= beta - 1e-12).astype(np.float64)  # (G, Q, H)
        pinball = (beta - experts) * (tau0[None] - (beta < experts))
        weights = weights * np.exp(-eta * (pinball - pinball.min(axis=0, keepdims=True)))
        weights = (1 - sigma) * weights / weights.sum(axis=0, keepdims=True) + sigma / len(gammas)
        experts = np.where(fixed, experts, experts + g * (tau0[None] - below))
    return np.sum(weights * experts, axis=0)


def age_weights(origins: np.ndarray, half_life: float) -> np.ndarray:
    """Weights (N,) of rows measured at time-ordered ``origins`` (N,; repeats allowed, as
    mirrored rows repeat theirs): 2 ** (-age / h), age 1 for the most recent distinct origin,
    2 for the one before, ..., h = ``half_life`` x the number of distinct origins; ones when
    ``half_life`` <= 0."""
    o = np.asarray(origins)
    if half_life <= 0 or not len(o):
        return np.ones(len(o))
    distinct = np.unique(o)  # sorted
    age = len(distinct) - np.searchsorted(distinct, o)  # (N,) 1 .. D
    return 0.5 ** (age / (half_life * len(distinct)))


def n_eff_half_life(distinct: int, n_eff: float) -> float:
    """The half-life (a share of ``distinct`` origins, as :func:`age_weights` takes it) whose
    weights 2 ** (-age / h), ages 1 .. D, have the effective sample size (sum w) ** 2 / sum w ** 2
    of ``n_eff``; 0 (no weights) where D <= n_eff."""
    if n_eff <= 0 or distinct <= n_eff:
        return 0.0
    age = np.arange(1, distinct + 1, dtype=np.float64)
    lo, hi = 1e-3, 1e3  # half-lives in origins; n_eff rises with the half-life
    for _ in range(60):
        mid = np.sqrt(lo * hi)
        w = 0.5 ** (age / mid)
        lo, hi = (mid, hi) if w.sum() ** 2 / (w**2).sum() < n_eff else (lo, mid)
    return float(np.sqrt(lo * hi)) / distinct


def weighted_levels(scores: np.ndarray, taus: np.ndarray, weights: np.ndarray,
                    test: float = 1.0) -> np.ndarray:
    """Levels (Q, H) at which the plain conformal bound (:func:`bound`) of the scores (N, H)
    is their weighted one (Barber, Candes, Ramdas & Tibshirani 2023, "Conformal prediction
    beyond exchangeability"): the tau-quantile of sum_i w_i delta(s_i) + 1 delta(+inf), over
    sum w + 1 (the test point weighs 1; -inf for lower bounds), at levels ``taus`` (Q, H) and
    row weights (N,). Upper: the first sorted score whose cumulative weight reaches tau;
    lower: the last whose weight at or above it reaches 1 - tau; its rank k becomes the level
    k / (N + 1), the bound's own rule, so predictions and saved bundles read it unchanged.
    Where the finite weights fall short of the level, a level beyond the sample (the bound's
    normal tail). With equal weights the levels give the same bounds as ``taus``."""
    scores = np.asarray(scores, dtype=np.float64)
    n, width = scores.shape
    w = np.asarray(weights, dtype=np.float64)
    total = float(w.sum()) + test
    out = np.array(taus, dtype=np.float64)  # (Q, H)
    for h in range(width):
        cum = np.concatenate([[0.0], np.cumsum(w[np.argsort(scores[:, h], kind="stable")])]) / total  # (N + 1,)
        for j in range(len(out)):
            t = out[j, h]
            if t > 0.5:  # the first k with cum[k] >= t
                k = int(np.searchsorted(cum[1:], t - 1e-9, side="left")) + 1
                out[j, h] = k / (n + 1) if k <= n else t if t > n / (n + 1) else (n + 0.5) / (n + 1)
            elif t < 0.5:  # the last k with mass(rows k..n) = cum[n] - cum[k - 1] >= 1 - t
                k = int(np.searchsorted(cum[:n], t - test / total + 1e-9, side="right"))
                out[j, h] = k / (n + 1) if k >= 1 else t if t < 1 / (n + 1) else 0.5 / (n + 1)
    return out


def calibrate(errors: np.ndarray, transform: str, season: int, levels: tuple[float, ...],
              where: str, gamma: float | None = None, origins: np.ndarray | None = None) -> dict[str, Any]:
    """The plain-data state predictions need: the adaptive levels per nominal level and step
    (DtACI, or ACI with step ``gamma`` when one is given or ADAPT is "aci"; nominal with ADAPT
    "none"), with rows measured at time-ordered ``origins`` weighted by age when
    WEIGHT_HALF_LIFE or WEIGHT_N_EFF > 0 (:func:`weighted_levels`; with WEIGHT_GROWTH only
    where the later half of the rows is that much larger), the online step, how many error rows,
    where they were measured; {} when there are too few rows."""
    errors = np.asarray(errors, dtype=np.float64)
    if errors.ndim != 2 or len(errors) < MIN_ERRORS:
        return {}
    scores = cumulate(errors, transform, season)
    if gamma is None and ADAPT == "dtaci":
        taus = dtaci_levels(scores, levels)
    elif gamma is None and ADAPT == "none":
        taus = np.array(levels, dtype=np.float64)[:, None] * np.ones((1, scores.shape[1]))
    else:
        taus = aci_levels(scores, levels, GAMMA if gamma is None else gamma)
    if (WEIGHT_HALF_LIFE > 0 or WEIGHT_N_EFF > 0) and origins is not None and len(origins) == len(scores):
        half = WEIGHT_HALF_LIFE or n_eff_half_life(len(np.unique(origins)), WEIGHT_N_EFF)
        mid = len(scores) // 2
        growing = np.abs(scores[mid:]).mean() > WEIGHT_GROWTH * np.abs(scores[:mid]).mean()
        if half > 0 and (WEIGHT_GROWTH <= 0 or growing):
            taus = weighted_levels(scores, taus, age_weights(origins, half), WEIGHT_TEST)
    return {"levels": [float(q) for q in levels], "taus": taus.astype(np.float64),
            "gamma": float(GAMMA if gamma is None else gamma), "n": int(len(errors)), "where": where}


def update_online(state: dict[str, Any], bounds: dict[float, np.ndarray], actual: float, step: int) -> None:
    """One ACI step as an outcome arrives after the fit (``predict --rolling``, ``evaluate
    --test``): ``actual`` is the value at ``step`` (0-based) of a forecast whose bounds per
    level were ``bounds`` (level -> (H,)); each level's tau at that step moves by the update of
    the module docstring, judged in level space (the bounds are increasing in the score, so
    the indicator is the same). Changes ``state`` in place; a state without levels is left."""
    if not state or not np.isfinite(actual):
        return
    gamma = float(state.get("gamma", GAMMA))
    gamma = gamma if 0.0 <= gamma <= 1.0 else GAMMA  # a file's step outside [0, 1] (or NaN) is not trusted
    taus = np.asarray(state["taus"], dtype=np.float64).copy()  # (Q, H)
    for j, tau0 in enumerate(float(q) for q in state["levels"]):
        bound_h = np.asarray(bounds.get(tau0, ()), dtype=np.float64)
        if tau0 == 0.5 or step >= min(len(bound_h), taus.shape[1]):
            continue
        below = 1.0 if actual <= bound_h[step] else 0.0
        taus[j, step] += gamma * (tau0 - below)
    state["taus"] = taus


def quantiles(paths: np.ndarray, state: dict[str, Any], levels: tuple[float, ...]) -> dict[float, np.ndarray]:
    """Quantiles per level (H,) of candidate level paths (N, H), one per error row: the
    conformal bound at each step's adapted level; plain empirical quantiles without a state
    (bundles saved before conformal intervals). Non-crossing: sorted across levels per step."""
    paths = np.asarray(paths, dtype=np.float64)
    if not state:
        return {q: np.quantile(paths, q, axis=0) for q in levels}
    srt = np.sort(paths, axis=0)  # (N, H)
    saved = dict(zip([float(q) for q in state["levels"]], np.asarray(state["taus"]), strict=True))
    width = paths.shape[1]
    out = {}
    for q in levels:
        if q == 0.5:
            out[q] = np.quantile(paths, 0.5, axis=0)
            continue
        tau = np.asarray(saved.get(float(q), np.full(width, q)))[:width]
        tau = np.pad(tau, (0, width - len(tau)), mode="edge") if len(tau) < width else tau
        out[q] = bound(srt, tau, upper=q > 0.5)
    stacked = np.sort(np.stack([out[q] for q in levels]), axis=0)  # (Q, H)
    return {q: stacked[j] for j, q in enumerate(levels)}


def scale_window(season: int) -> int:
    """Steps the local scale averages over: SCALE_WINDOW, at least two seasons."""
    return max(SCALE_WINDOW, 2 * max(int(season), 1))


def local_scale(y: np.ndarray, origins: np.ndarray, window: int, log: bool) -> np.ndarray:
    """Mean absolute first difference of y (of log y when ``log``) over the ``window`` rows
    before each origin (exclusive end): (N,). Non-finite or zero scales (a flat stretch, too
    little history) become the median of the positive ones (1 when there are none)."""
    v = np.asarray(y, dtype=np.float64)
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.log(v)
    d = np.abs(np.diff(v))  # d[t] = |v[t+1] - v[t]|
    d = np.where(np.isfinite(d), d, 0.0)
    csum = np.concatenate([[0.0], np.cumsum(d)])  # csum[k] = sum d[:k]
    o = np.asarray(origins, dtype=np.int64)
    hi = np.clip(o - 1, 0, len(d))  # differences inside rows [o - window, o): d[o-window .. o-2]
    lo = np.clip(o - window, 0, len(d))
    count = np.maximum(hi - lo, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(count > 0, (csum[hi] - csum[lo]) / np.maximum(count, 1), np.nan)
    good = np.isfinite(out) & (out > 0)
    fill = float(np.median(out[good])) if good.any() else 1.0
    return np.where(good, out, fill)


def row_factors(origins: np.ndarray, y: np.ndarray, window: int, log: bool,
                power: float = SCALE_POWER) -> tuple[np.ndarray, float]:
    """Per-row factors (s_end / s(o_i)) ** power (N,) that put error rows measured at
    ``origins`` at the scale of the end of ``y``, and s_end (what a prediction rescales from)."""
    s_end = float(local_scale(y, np.array([len(y)]), window, log)[0])
    if power == 0 or not len(origins):
        return np.ones(len(origins)), s_end
    return (s_end / local_scale(y, origins, window, log)) ** power, s_end


def rescale(errors: np.ndarray, origins: np.ndarray, y: np.ndarray, window: int, log: bool,
            power: float = SCALE_POWER) -> tuple[np.ndarray, float]:
    """Error rows (N, H) measured at ``origins`` expressed at the scale of the end of ``y``:
    e_i * (s_end / s(o_i)) ** power, and s_end (:func:`row_factors`)."""
    errors = np.asarray(errors, dtype=np.float64)
    factors, s_end = row_factors(origins, y, window, log, power)
    return errors * factors[:, None], s_end


def rows_at_origins(calibration: np.ndarray, state: dict[str, Any], y: np.ndarray,
                    origins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A fit's calibration rows (N_cal, H) at its end-of-training scale (each row times its
    saved factor) and each origin's multiplier (N,) to that origin's local volatility,
    (s(o) / s_fit) ** power; the rows as saved and ones when the state has no scale (bundles
    from before normalised scores). Predictions (one origin: the end of the series) and a price
    fit's conformal candidate (forecast.pricedist, every validation origin) both read this."""
    rows = np.asarray(calibration, dtype=np.float64)
    scale = state.get("scale") if state else None
    if not scale or not len(rows):
        return rows, np.ones(len(origins))
    window, log, s_fit, power = scale
    factors = np.asarray(state.get("row_scale", ()), dtype=np.float64)
    rows = rows * factors[:, None] if len(factors) == len(rows) else rows
    if s_fit <= 0:
        return rows, np.ones(len(origins))
    return rows, (local_scale(y, np.asarray(origins), int(window), bool(log)) / s_fit) ** power


def baseline_origins(pipeline: Any, y: np.ndarray, season: int, horizon: int, last_origin: int,
                     most: int = MAX_ORIGINS) -> np.ndarray:
    """Up to ``most`` time-ordered origins ending at ``last_origin`` (exclusive ends of the
    history, forecasting rows [o, o + H) inside y) where a baseline and the transform's anchor
    are defined: consecutive where the history is short, else every ``stride``-th step
    (stride = available origins / most, at most H), so that on long series the errors span
    up to ``most`` horizons of time rather than a few days of half-hours: (N,) ints."""
    first = max(2, pipeline.rows_lost + 1, season)
    stop = min(last_origin, len(y) - horizon)
    if stop < first:
        return np.zeros(0, dtype=np.int64)
    stride = int(min(max(1, (stop - first + 1) // most), max(1, horizon)))
    return np.arange(stop, first - 1, -stride)[:most][::-1].astype(np.int64)


def member_errors(pipeline: Any, y: np.ndarray, forecasts: np.ndarray | None, origins: np.ndarray,
                  horizon: int) -> np.ndarray:
    """Model-space errors (N, H) of level forecasts (N, H) made at ``origins``; (0, H) where
    there are none or the transform is undefined on them (log of <= 0)."""
    from forecast.selection import actuals, levels_to_model

    if forecasts is None or not len(origins):
        return np.zeros((0, horizon))
    depth = max(1, pipeline.rows_lost)
    anchors = np.asarray(pipeline.anchor(np.stack([y[o - depth : o] for o in origins])))
    z = levels_to_model(pipeline, forecasts, anchors)
    truth = levels_to_model(pipeline, actuals(y, origins, horizon), anchors)
    if z is None or truth is None:
        return np.zeros((0, horizon))
    return np.asarray(truth - z, dtype=np.float64)


def baseline_errors(pipeline: Any, y: np.ndarray, member: str, season: int, horizon: int,
                    last_origin: int) -> tuple[np.ndarray, np.ndarray]:
    """Model-space errors (N, H) of a baseline at up to MAX_ORIGINS origins ending at
    ``last_origin`` and those origins (N,): out of sample, since a baseline fits nothing.
    Empty where the transform is undefined (log of <= 0)."""
    from forecast.selection import baseline_forecasts

    origins = baseline_origins(pipeline, y, season, horizon, last_origin)
    if not len(origins):
        return np.zeros((0, horizon)), origins
    forecast = baseline_forecasts(member, y, origins, horizon, season, False)  # (N, H) levels
    errors = member_errors(pipeline, y, forecast, origins, horizon)
    return errors, origins[: len(errors)] if len(errors) else origins[:0]
