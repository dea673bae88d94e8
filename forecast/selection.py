"""The floor inside every fit: the trained net against the simple forecasters, on the same windows.

After training, :func:`choose` scores the net and every simple baseline (naive, seasonal naive
with the series' season, drift, mean; persistence and majority for classes) on the SAME
forecast origins: the time-ordered validation tail of the fit (windows the weights never
trained on). Every origin ``o`` forecasts rows ``[o, o + H)`` from rows ``[0, o)`` only, so no
value at or after an origin reaches its forecasts. Scores are on the data's own scale:

    numeric:  MAE = mean over origins o and steps h of |y[o + h] - yhat_o[h]|
    classes:  error rate = mean over origins and steps of [y[o + h] != yhat_o[h]]

The net is used only when it beats the best baseline (strictly lower score); otherwise the
best baseline is what the fit forecasts with. When the fit has no validation tail (under 20
windows), the net cannot be scored out of sample: the baselines are scored on the last few
origins of the training part (they fit nothing, so those forecasts are out of sample) and the
best of them is used. The choice, its scores and where they were measured are plain data
(:class:`Choice`.as_dict), saved in the model bundle.

With statsforecast installed (the ``stats`` extra), a numeric fit with a point head chooses
with :func:`choose_with_peers` instead: AutoETS, AutoTheta, MSTL (season > 1, not for prices),
AutoARIMA (season <= ARIMA_MAX_SEASON) and ``median`` (their step-wise median) with the
baselines at >= STAT_ORIGINS origins, the median (drift for prices) kept unless another is over
MARGIN better; then the net and ``comb`` (the equal-weight mean of the net and the peers, M4's
Comb idea) on the net's tail. On the tuning set this moved the floor from 15 to 16 of 19 series
and the geometric mean of ours / best statsforecast model from 1.118 to 1.099
(docs/benchmarks.md); AutoARIMA as a member then 1.0995 to 1.094.

Why a fixed combination as the anchor and not a validation-weighted one: the validation tails
are short (a monthly fold has 10 to 15 windows, overlapping in time), so weights fitted on
them are noisy, and picking the single lowest score among many candidates is noisy too; a
median of a few decent models rarely loses much to the best of them in hindsight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, get_args

import numpy as np

from forecast import baselines as B
from forecast.config import Transform
from forecast.statpeers import ARIMA_MAX_SEASON, MAX_HISTORY
from forecast.transforms import TargetPipeline
from forecast.volatility import NoiseModel, draw, noise_model

INNER_ORIGINS = 8  # baseline-only scoring origins at the end of a fit too short for a tail


@dataclass(frozen=True)
class Choice:
    """What a fit forecasts with and why."""

    member: str  # the network's name (e.g. "lstm") or a baseline's
    kind: str  # "net" or "baseline"
    metric: str  # "mae" or "error_rate"
    scores: dict[str, float] = field(default_factory=dict)  # member -> validation score
    windows: int = 0  # forecast origins scored
    where: str = "validation tail"  # or "inner origins"
    season: int = 1
    # with the statistical peers: the scores of the statistical members and baselines at the
    # wider set of origins that chose among them, how many, the peers in "median"/"comb", and
    # the member every other had to beat by MARGIN
    wide: dict[str, float] = field(default_factory=dict)
    wide_windows: int = 0
    members: tuple[str, ...] = ()
    anchor: str = ""

    @property
    def peers(self) -> tuple[str, ...]:
        """The statistical peers a prediction runs: the chosen peer, or those of ``median`` and
        ``comb``; none for a net or a baseline."""
        if self.kind == "peer":
            return (self.member,)
        return self.members if self.kind in (MEDIAN, COMB) else ()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "member": self.member, "kind": self.kind, "metric": self.metric,
            "scores": {k: float(v) for k, v in self.scores.items()}, "windows": int(self.windows),
            "where": self.where, "season": int(self.season)}
        if self.anchor:
            out.update(wide={k: float(v) for k, v in self.wide.items()}, wide_windows=int(self.wide_windows),
                       members=list(self.members), anchor=self.anchor)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, net_name: str) -> "Choice":
        if not data:  # bundles saved before the floor: the net
            return cls(net_name, "net", "mae")
        return cls(str(data["member"]), str(data["kind"]), str(data.get("metric", "mae")),
                   {str(k): float(v) for k, v in dict(data.get("scores", {})).items()},
                   int(data.get("windows", 0)), str(data.get("where", "validation tail")),
                   int(data.get("season", 1)),
                   {str(k): float(v) for k, v in dict(data.get("wide", {})).items()},
                   int(data.get("wide_windows", 0)),
                   tuple(str(m) for m in data.get("members", ()))
                   or (OLD_COMB_MEMBERS if data["kind"] == "comb" else ()),
                   str(data.get("anchor", "")))

    def statistical_pick(self) -> str:
        """Step 1's member (choose_with_peers): the lowest at the wide origins when it beat the
        anchor by more than MARGIN there, else the anchor."""
        return statistical_pick(self.wide, self.anchor) if self.anchor in self.wide else self.anchor

    def note(self) -> str:
        """'chose seasonal_naive: validation MAE 12.1 vs lstm 14.3, ...' for the train command."""
        label = "MAE" if self.metric == "mae" else "error rate"
        others = sorted((v, k) for k, v in self.scores.items() if k != self.member)
        rest = ", ".join(f"{k} {v:.4g}" for v, k in others)
        if self.member not in self.scores:
            return f"kept {self.member} (no validation windows to score it on); baselines' {label}: {rest}"
        mine = self.scores[self.member]
        where = ("validation" if self.where == "validation tail"
                 else "inner-origin (no validation tail; the net could not be scored)")
        text = f"chose {self.member}: {where} {label} {mine:.4g} vs {rest} ({self.windows} windows)"
        if self.anchor and self.member == self.anchor:
            text += f"; nothing beat it by more than {MARGIN:.0%} at {self.wide_windows} origins"
        elif self.anchor and self.kind in ("net", "comb"):
            step1 = self.statistical_pick()
            text += (f"; lower on the net's validation tail than {step1} ({self.scores[step1]:.4g}), "
                     f"the statistical members' choice at {self.wide_windows} origins"
                     if step1 in self.scores else "; lower on the net's validation tail than the "
                     "statistical members' choice")
        elif self.anchor:
            text += f"; it beat {self.anchor} by more than {MARGIN:.0%} at {self.wide_windows} origins"
        if self.wide and self.wide_windows > self.windows:
            wide = ", ".join(f"{k} {v:.4g}" for v, k in sorted((v, k) for k, v in self.wide.items()))
            text += f"; statistical members and baselines at {self.wide_windows} origins: {wide}"
        return text


def table(categorical: bool) -> dict[str, B.Baseline]:
    return B.CLASS_BASELINES if categorical else B.BASELINES


def baseline_forecast(name: str, history: np.ndarray, horizon: int, season: int,
                      categorical: bool) -> np.ndarray:
    """One baseline's forecast (H,) from ``history`` (T,) levels or class codes; a price fit's
    ``log_drift`` too (B.PRICE_BASELINES)."""
    known = table(categorical) if categorical else {**B.BASELINES, **B.PRICE_BASELINES}
    return known[name](history, horizon, season=season)


def price_baselines(y: np.ndarray, origins: np.ndarray, price_like: bool) -> tuple[str, ...]:
    """A price fit's extra candidates (B.PRICE_BASELINES) where every value before the last
    origin is positive; none otherwise."""
    if not price_like or not len(origins) or not np.all(y[: int(origins[-1])] > 0):
        return ()
    return tuple(B.PRICE_BASELINES)


def baseline_forecasts(name: str, y: np.ndarray, origins: np.ndarray, horizon: int, season: int,
                       categorical: bool) -> np.ndarray:
    """A baseline at each origin: y (T,), origins (N,) exclusive ends -> (N, H)."""
    out = np.empty((len(origins), horizon))
    for i, o in enumerate(origins):
        out[i] = baseline_forecast(name, y[:o], horizon, season, categorical)
    return out


def levels_to_model(pipeline: TargetPipeline, forecast: np.ndarray, last: np.ndarray) -> np.ndarray | None:
    """Level forecasts (N, H) continuing from ``last`` (the pipeline's anchors: (N,), or (N, m)
    for a seasonal transform) -> model space (N, H), so that ``pipeline.to_levels`` maps them
    back; None where the transform is undefined (a level <= 0 under log changes)."""
    if pipeline.categorical:
        return forecast.astype(np.float64)
    anchor = np.asarray(last, dtype=np.float64)
    anchor = anchor[:, None] if anchor.ndim == 1 else anchor  # (N, K)
    lag, horizon = anchor.shape[1], forecast.shape[1]
    full = np.concatenate([anchor, forecast], axis=1)  # (N, K + H)
    if pipeline.transform == "level":
        changed = forecast
    elif pipeline.transform in ("diff", "sdiff"):
        changed = full[:, lag:] - full[:, lag - (1 if pipeline.transform == "diff" else lag) :][:, :horizon]
    elif pipeline.transform in ("logret", "slogret"):
        if np.any(full <= 0):
            return None
        logs = np.log(full)
        changed = logs[:, lag:] - logs[:, lag - (1 if pipeline.transform == "logret" else lag) :][:, :horizon]
    else:
        raise ValueError(f"unknown transform {pipeline.transform!r}")
    return (changed - pipeline.scaler.center[0]) / pipeline.scaler.scale[0]


PEER_MEMBERS = ("autoets", "autotheta", "mstl", "autoarima")  # statistical candidates (peer_names)
OLD_COMB_MEMBERS = ("autoets", "autotheta")  # what "comb" averaged in bundles saved before "members"
COMB = "comb"  # the equal-weight mean of the net and the peers (M4's Comb idea)
MEDIAN = "median"  # the median of the peers' forecasts, step by step: the anchor of the choice
MARGIN = 0.2  # another member is chosen over the anchor only when its MAE is this much lower
NET_MARGIN = 0.0  # ... and a net or comb over the statistical choice (on a long enough tail)
STAT_ORIGINS = 24  # the fewest origins the statistical members and baselines are scored on
PEER_HISTORY = MAX_HISTORY  # the most recent rows a peer is fit on and run forward over (long series)
PRICE_ANCHOR = "log_drift"  # a price fit's anchor: the random walk with drift on log prices
MIN_NET_ORIGINS = 6  # a shorter validation tail scores the nets and comb but cannot choose them


def peer_names(season: int, price_like: bool = False) -> tuple[str, ...]:
    """The statistical members of a fit with this season: MSTL needs a season > 1, and a price's
    calendar (5 trading days) is no season to decompose; AutoARIMA up to ARIMA_MAX_SEASON."""
    return tuple(n for n in PEER_MEMBERS
                 if (n != "mstl" or (season > 1 and not price_like))
                 and (n != "autoarima" or season <= ARIMA_MAX_SEASON))


# [issue 15, long series] a season longer than this is not modelled by the peers: they read one
# season of rows at most, so statsforecast fits no seasonal term (it drops it when rows <= m).
# AutoETS with one-minute data's 1,440-step season took 249 s on 2,048 rows (its admissibility
# check finds the roots of a degree-1,440 polynomial), the whole 200,000-row fit's other work ~60 s.
PEER_MAX_SEASON = 168


def peer_history(season: int) -> int:
    """[issue 15] The most recent rows a peer reads: PEER_HISTORY, or for a season above
    PEER_MAX_SEASON one season of them (no seasonal term then)."""
    return PEER_HISTORY if season <= PEER_MAX_SEASON else min(PEER_HISTORY, int(season))


def peer_forecasts(name: str, y: np.ndarray, origins: np.ndarray, horizon: int,
                   season: int) -> np.ndarray | None:
    """Statistical peer ``name`` at each origin: (N, H) levels, None where it cannot fit.

    Fit once (parameters and form) on the rows before the first origin, then each origin's
    forecast runs that fitted model forward over rows [0, o) (statsforecast's ``forward``:
    the states are filtered again from that history, nothing is re-estimated), so no value at
    or after an origin reaches its forecast. Only the last PEER_HISTORY rows are read (the
    fit, each forward run, and predict's refit alike): a half-hourly series of 17,000 rows
    would otherwise cost a pass over all of them per origin."""
    import warnings

    from forecast.statpeers import model as peer_model

    model = peer_model(name, season, member=True)
    out = np.empty((len(origins), horizon))
    rows = peer_history(season)  # [issue 15]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(np.asarray(y[max(0, origins[0] - rows) : origins[0]], dtype=np.float64))
            for i, o in enumerate(origins):
                recent = np.asarray(y[max(0, o - rows) : o], dtype=np.float64)
                out[i] = model.forward(y=recent, h=horizon)["mean"]
    except Exception:  # statsforecast raises bare ValueError/LinAlgError on odd data
        return None
    return out if np.all(np.isfinite(out)) else None


def score(forecast: np.ndarray, actual: np.ndarray, categorical: bool) -> float:
    """MAE, or the error rate for class codes, of forecast vs actual (N, H)."""
    if categorical:
        return float(np.mean(np.rint(forecast) != np.rint(actual)))
    return float(np.mean(np.abs(actual - forecast)))


def actuals(y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """Rows [o, o + H) of y for every origin: (N, H)."""
    return np.stack([y[o : o + horizon] for o in origins]) if len(origins) else np.zeros((0, horizon))


def choose(
    y: np.ndarray,
    origins: np.ndarray,
    horizon: int,
    season: int,
    categorical: bool,
    nets: dict[str, np.ndarray | None],
    where: str = "validation tail",
    *,
    keep_net: bool = False,
    price_like: bool = False,
) -> tuple[Choice, dict[str, np.ndarray]]:
    """Score the nets (name -> forecasts (N, H) in levels, None when it cannot be scored) and
    every baseline at ``origins`` (a price's ``log_drift`` too); return the choice and each
    member's forecasts (N, H). ``keep_net``: score everything, but the first net is what the fit
    forecasts with."""
    truth = actuals(y, origins, horizon)
    names = [*table(categorical), *price_baselines(y, origins, price_like and not categorical)]
    forecasts = {name: baseline_forecasts(name, y, origins, horizon, season, categorical)
                 for name in names}
    scores = {name: score(f, truth, categorical) for name, f in forecasts.items()}
    best = min(scores, key=lambda k: scores[k])
    metric = "error_rate" if categorical else "mae"
    scored = {name: f for name, f in nets.items() if f is not None}
    for name, forecast in scored.items():
        forecasts[name] = forecast
        scores[name] = score(forecast, truth, categorical)
    kinds = {name: "net" for name in scored}
    best_net = min(kinds, key=lambda k: scores[k]) if kinds else None
    if keep_net:
        return Choice(next(iter(nets)), "net", metric, scores, len(origins), where, season), forecasts
    if best_net is not None and scores[best_net] < scores[best]:
        return Choice(best_net, kinds[best_net], metric, scores, len(origins), where, season), forecasts
    return Choice(best, "baseline", metric, scores, len(origins), where, season), forecasts


def check_choice(choice: Choice, net_name: str) -> None:
    """A saved choice, exactly (ValueError otherwise: a damaged or crafted bundle): the net; a
    class baseline for class targets (metric error_rate); for numbers a simple or price baseline,
    a statistical peer, ``median`` or ``comb``; peers among PEER_MEMBERS; an anchor among them."""
    numeric = (*B.BASELINES, *B.PRICE_BASELINES)
    # bundles of 2026-11-26 trained a net per transform, named "lstm (logret)"
    nets = {(net_name, "net"), *((f"{net_name} ({t})", "net") for t in get_args(Transform) if t != "auto")}
    if choice.metric == "error_rate":
        allowed = {*nets, *((b, "baseline") for b in B.CLASS_BASELINES)}
    elif choice.metric == "mae":
        allowed = {*nets, *((b, "baseline") for b in numeric),
                   *((p, "peer") for p in PEER_MEMBERS), (MEDIAN, "median"), (COMB, "comb")}
    else:
        raise ValueError(f"unknown choice metric {choice.metric!r}")
    if (choice.member, choice.kind) not in allowed:
        raise ValueError(f"unknown chosen member {choice.member!r} ({choice.kind!r})")
    if not set(choice.members) <= set(PEER_MEMBERS) or len(set(choice.members)) != len(choice.members):
        raise ValueError("unknown statistical members")
    if choice.anchor not in ("", MEDIAN, *numeric):
        raise ValueError(f"unknown anchor {choice.anchor!r}")
    if not 1 <= choice.season <= 10**6:
        raise ValueError(f"season {choice.season} out of range")


def statistical_pick(wide: dict[str, float], anchor: str) -> str:
    """Step 1 of choose_with_peers: the member lowest at the wide origins when its MAE there is
    over MARGIN lower than the anchor's, else the anchor."""
    first = min(wide, key=lambda k: wide[k])
    return first if wide[first] < (1 - MARGIN) * wide[anchor] else anchor


def widen(tail: np.ndarray, first_allowed: int) -> np.ndarray:
    """The tail's origins (N,), preceded by earlier consecutive ones down to STAT_ORIGINS in all
    (none before ``first_allowed``): where the statistical members and baselines are scored.
    The tail is always the suffix of the result."""
    if not len(tail) or len(tail) >= STAT_ORIGINS:
        return tail
    start = max(int(first_allowed), int(tail[0]) - (STAT_ORIGINS - len(tail)))
    return np.concatenate([np.arange(start, int(tail[0])), tail]).astype(tail.dtype)


def choose_with_peers(
    y: np.ndarray,
    tail: np.ndarray,
    wide: np.ndarray,
    horizon: int,
    season: int,
    nets: dict[str, np.ndarray | None],
    *,
    price_like: bool = False,
    keep_net: bool = False,
) -> tuple[Choice, dict[str, np.ndarray]]:
    """The choice when the statistical peers compete: forecasts (N_tail, H) of every member.

    1. At the ``wide`` origins (the validation tail ``tail`` widened to STAT_ORIGINS, since
       the peers and baselines refit cheaply at any origin): the baselines, each peer
       (:func:`peer_forecasts`) and ``median``, the step-wise median of the peers. The anchor is
       ``median`` (``log_drift`` for a price-like series with positive values: the random walk
       with drift on log prices, y_T exp(h mu) with mu the mean log return, is the forecast to
       beat there; the fit leaves out a price net that kept its starting weights, whose forecast
       is that mean return from fewer rows: goog 2.263 -> 2.237, the MSFT protocol unchanged at
       1.3085, README "What the tool decides"); another member replaces it only when its MAE is
       over MARGIN lower.
    2. At the tail (the only origins the nets were not trained on): the nets and ``comb`` (the
       equal-weight mean of the first net and the peers) replace step 1's member when their MAE
       is lower than its MAE there (NET_MARGIN 0: a 20% margin there cost the Airline and MSFT
       protocols, 0.868 -> 0.999 and 1.308 -> 1.451, where the net is good, for 1.086 against
       1.099 and the floor on 17 against 16 of 19 on the tuning set), and only on a tail
       of at least MIN_NET_ORIGINS origins (a short series' two or three overlapping windows say
       nothing: on the tuning set the net won such tails and lost the test on usaccdeaths and
       euretail).

    Why an anchor and a margin: in an offline study of the tuning set's folds (19 series,
    REFERENCE.md; statistical members only, no net; not a bench topic) picking the lowest
    validation MAE among singles and combinations scored a geometric mean of 1.15 of the best
    statistical model in hindsight, the median of AutoETS, AutoTheta and MSTL alone 1.10, the
    median kept unless beaten by 20% at 24 origins 1.07 (floor on 18 of 19). With the net in
    step 2, `python -m bench.run --only tuning` gives 1.099 and the floor on 16 of 19
    (docs/benchmarks.md). Differences within the noise of a short tail go to the robust
    combination (Petropoulos & Svetunkov's SCUM, M4's Comb: a median of a few decent models
    rarely loses much to the best one)."""
    offset = len(wide) - len(tail)  # the tail is the suffix of wide
    truth = actuals(y, wide, horizon)
    stat: dict[str, np.ndarray] = {name: baseline_forecasts(name, y, wide, horizon, season, False)
                                   for name in table(False)}
    for name in price_baselines(y, wide, price_like):  # the random walk with drift on log prices
        stat[name] = baseline_forecasts(name, y, wide, horizon, season, False)
    kinds = {name: "baseline" for name in stat}
    peers: dict[str, np.ndarray] = {}
    for name in peer_names(season, price_like):
        forecast = peer_forecasts(name, y, wide, horizon, season)
        if forecast is not None:
            peers[name] = stat[name] = forecast
            kinds[name] = "peer"
    if len(peers) >= 2:
        stat[MEDIAN], kinds[MEDIAN] = np.median(np.stack(list(peers.values())), axis=0), "median"
    wide_scores = {name: score(f, truth, False) for name, f in stat.items()}
    anchor = (PRICE_ANCHOR if PRICE_ANCHOR in stat else "drift") if price_like else (
        "naive" if MEDIAN not in stat else MEDIAN)
    pick = statistical_pick(wide_scores, anchor)
    forecasts = {name: f[offset:] for name, f in stat.items()}
    tail_truth = truth[offset:]
    scored = {name: f for name, f in nets.items() if f is not None}
    lead = next(iter(scored.values()), None)
    if lead is not None and len(peers) == len(peer_names(season, price_like)):
        scored[COMB] = np.mean([lead, *(f[offset:] for f in peers.values())], axis=0)
    for name, forecast in scored.items():
        forecasts[name] = forecast
        kinds[name] = "comb" if name == COMB else "net"
    scores = {name: score(f, tail_truth, False) for name, f in forecasts.items()}
    challengers = [name for name in scored] if len(tail) >= MIN_NET_ORIGINS else []
    if challengers:
        best = min(challengers, key=lambda k: scores[k])
        if scores[best] < (1 - NET_MARGIN) * scores[pick]:
            pick = best
    if keep_net:
        pick = next(iter(nets))
        kinds.setdefault(pick, "net")
    choice = Choice(pick, kinds[pick], "mae", scores, len(tail), "validation tail", season,
                    wide_scores, len(wide), tuple(peers), anchor)
    return choice, forecasts


def baseline_paths(
    name: str,
    history: np.ndarray,
    steps: int,
    paths: int,
    *,
    season: int,
    errors: np.ndarray,
    transform: str,
    temperature: float,
    seed: int,
    members: tuple[str, ...] = (),
    noise: NoiseModel | None = None,
) -> np.ndarray:
    """Generated continuations of a numeric baseline: (paths, steps) levels. ``noise``: how the
    errors are drawn (forecast.volatility; default: tested on ``errors`` themselves).

    A statistical peer (autoets, autotheta, mstl) or their median is fit once on the seed history and its
    ``steps``-step forecast is perturbed by the running sum of the drawn errors (a random walk
    of one-step errors: no refit per step and path, which would cost a fit per draw).
    Each step forecasts one step with the baseline from the seed history and the path so far,
    then adds a one-step validation error drawn with replacement (``errors`` (R,) in the
    transform's unscaled space: added to levels for level/diff/sdiff, a log-ratio for logret/slogret),
    scaled by ``temperature``. Temperature 0 (or no errors) gives one deterministic path.
    """
    hist = np.asarray(history, dtype=np.float64)
    paths = paths if temperature > 0 and len(errors) else 1
    rng = np.random.default_rng(seed)
    drawn = (temperature * draw(errors, noise or noise_model(errors), paths, steps, rng)  # forecast.volatility
             if temperature > 0 and len(errors) else np.zeros((paths, steps)))
    if name in PEER_MEMBERS or name == MEDIAN:  # the peer's forecast, plus accumulated errors
        from forecast.statpeers import forecast as peer_forecast

        names = (members or peer_names(season)) if name == MEDIAN else (name,)
        point = np.median([peer_forecast(n, hist[-peer_history(season):], steps, season, member=True)[0]
                           for n in names],
                          axis=0)[None, :]  # (1, steps)
        walk = np.cumsum(drawn, axis=1)  # (paths, steps)
        return point * np.exp(walk) if transform in ("logret", "slogret") else point + walk
    buf = np.empty((paths, len(hist) + steps))
    buf[:, : len(hist)] = hist
    total = np.full(paths, hist.sum())
    for t in range(steps):
        n = len(hist) + t  # values known so far
        if name == "naive" or (name == "seasonal_naive" and (season <= 1 or n < season)):
            point = buf[:, n - 1]
        elif name == "seasonal_naive":
            point = buf[:, n - season]
        elif name == "drift":
            point = buf[:, n - 1] + ((buf[:, n - 1] - buf[:, 0]) / (n - 1) if n > 1 else 0.0)
        elif name == PRICE_ANCHOR:  # y_{n-1} (y_{n-1} / y_0)^(1 / (n - 1)): positive paths only
            point = buf[:, n - 1] * (np.abs(buf[:, n - 1] / buf[:, 0]) ** (1.0 / (n - 1)) if n > 1 else 1.0)
        elif name == "mean":
            point = total / n
        else:
            raise ValueError(f"no generator for baseline {name!r}")
        value = point * np.exp(drawn[:, t]) if transform in ("logret", "slogret") else point + drawn[:, t]
        buf[:, n] = value
        total += value
    return buf[:, len(hist) :]


def class_baseline_paths(
    name: str, history: np.ndarray, steps: int, paths: int, *, pairs: np.ndarray,
    temperature: float, seed: int,
) -> np.ndarray:
    """Generated class codes of a class baseline: (paths, steps).

    Each step takes the baseline's class c, then (temperature > 0) draws the class that actually
    followed among the validation origins where it forecast c (``pairs`` (R, 2) of (forecast,
    actual) first-step codes); c itself when it never forecast c there.
    """
    hist = np.rint(np.asarray(history, dtype=np.float64))
    paths = paths if temperature > 0 and len(pairs) else 1
    rng = np.random.default_rng(seed)
    out = np.empty((paths, steps))
    current = [hist.copy() for _ in range(paths)] if name == "majority" else None
    last = np.full(paths, hist[-1])
    for t in range(steps):
        if name == "persistence":
            point = last
        else:
            assert current is not None
            point = np.array([B.majority(h, 1)[0] for h in current])
        value = point.copy()
        if temperature > 0 and len(pairs):
            for p in range(paths):
                seen = pairs[pairs[:, 0] == point[p], 1]
                if len(seen):
                    value[p] = seen[rng.integers(len(seen))]
        out[:, t] = value
        last = value
        if current is not None:
            current = [np.append(h, v) for h, v in zip(current, value, strict=True)]
    return out
