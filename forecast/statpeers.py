"""Statistical peers: statsforecast's AutoETS, AutoARIMA, AutoTheta and MSTL on the backtest folds.

A peer is a model kind beside the networks and the baselines: ``walkforward.backtest`` runs it on
the same folds through the same loop, from each fold's training rows only, with the season the
tool infers for seasonal naive. Each fold refits the peer (a statistical fit takes well under a
second on monthly data), so ``--refit-every`` and ``--warm-start`` apply to the networks only.
Their 80% and 90% intervals (``level=[80, 90]``, normal for these models) become the quantile
columns the networks write (q0.05 = lo-90, q0.1 = lo-80, q0.5 = mean, q0.9 = hi-80,
q0.95 = hi-90), so coverage, pinball, CRPS and Winkler scores read them alike. AutoETS,
AutoARIMA and MSTL give normal intervals: their standard deviation goes in a ``sigma`` column,
which the log score reads. AutoTheta's intervals are asymmetric (no normal density, no log
score), and its q0.5 is its mean, not a median it does not give.

statsforecast is an optional extra (``pip install 'forecast[stats]'``), imported only when a
peer runs; ``available()`` asks without importing it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import warnings
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from forecast.errors import ConfigError, DataError

INSTALL = "pip install 'forecast[stats]'"
MAX_HISTORY = 1024
"""A peer is fit on at most the last MAX_HISTORY rows (selection.PEER_HISTORY, the rows a fit's
statistical members see): AutoETS with season 48 took 93 s to fit 17,000 half-hourly rows
against 5.6 s for 1,024 (busy 2-core machine), which made the default leaderboard of a long
sub-daily series cost minutes a fold."""
LEVELS = (80, 90)
ARIMA_MAX_SEASON = 24
"""AutoARIMA is a member (selection.peer_names) only up to this season: its seasonal search on
1,024 rows of a weekly (52) or half-hourly (48) season is what the reference itself could not
finish. Up to it, it moved the median of the members from a geometric mean of 1.081 to 1.060 of
the best statsforecast model in hindsight on the reference's folds (`python -m
bench.peer_pool_study`), and default evaluate on the tuning set from 1.0995 to 1.094 (ahead
1 -> 3 of 19; euretail 1.044 -> 0.928; docs/benchmarks.md "Tuning set"). A saved AutoARIMA
(:func:`check_fitted`) has no longer season."""


@dataclass(frozen=True)
class Peer:
    """A statsforecast model: its class name, whether it needs a season > 1, and whether its
    intervals are normal (mean +- z * sigma, so a density exists for the log score)."""

    cls: str
    description: str
    seasonal_only: bool = False
    normal: bool = True
    member_options: tuple[tuple[str, object], ...] = ()  # statsforecast arguments as a fit's member


PEERS: dict[str, Peer] = {
    "autoets": Peer("AutoETS", "exponential smoothing, the best ETS form by AICc"),
    "autoarima": Peer("AutoARIMA", "ARIMA with orders chosen by a stepwise AICc search",
                      member_options=(("approximation", True),)),
    "autotheta": Peer("AutoTheta", "the Theta method, the best variant by in-sample MSE", normal=False),
    "mstl": Peer("MSTL", "seasonal-trend decomposition by Loess, AutoETS on the trend", seasonal_only=True),
}
"""Statistical peers by the name --models takes."""

DEFAULT_PEERS = ("autoets", "autotheta", "mstl")
"""Added to the default leaderboard when statsforecast is installed (mstl only where the season
is > 1): the cheap ones. AutoARIMA is left out for its time: on a10 (4 folds x 12) 1.36 s a fold
against AutoETS 0.17 s, AutoTheta 0.04 s, MSTL 0.01 s, beside 4.2 s for the default LSTM's whole
backtest, so it alone would more than double a default evaluate (bench/bench_statpeers.py)."""


def available() -> bool:
    """Whether the ``stats`` extra is installed (without importing it)."""
    return importlib.util.find_spec("statsforecast") is not None


def check(names: list[str] | tuple[str, ...], *, season: int, categorical: bool) -> None:
    """Raise a one-line ConfigError when the peers in ``names`` cannot run here."""
    asked = [n for n in names if n in PEERS]
    if not asked:
        return
    if not available():
        raise ConfigError(f"--models {','.join(asked)}: statistical peers need statsforecast; "
                          f"install it with: {INSTALL}")
    if categorical:
        raise ConfigError(f"--models {','.join(asked)}: statistical peers forecast numbers, "
                          "not classes; drop them for a class target")
    no_season = [n for n in asked if PEERS[n].seasonal_only and season <= 1]
    if no_season:
        raise ConfigError(f"--models {','.join(no_season)}: needs a season > 1 and this series' "
                          "season is 1; give --season N or drop it")


def defaults(season: int, categorical: bool) -> tuple[str, ...]:
    """The peers the default leaderboard adds: none without the extra or for a class target."""
    if categorical or not available():
        return ()
    return tuple(n for n in DEFAULT_PEERS if season > 1 or not PEERS[n].seasonal_only)


def model(name: str, season: int, *, member: bool = False) -> Any:
    """The statsforecast model of peer ``name`` with this season; ``member``: as a statistical
    member of a fit (selection.PEER_MEMBERS), with the peer's member_options. AutoARIMA there
    searches with approximation=True (conditional sum of squares): on the tuning set's folds
    with a season up to 24 its fits took 29 s in all against 203 s for the exact search, and the
    median of AutoETS, AutoTheta, MSTL and it scored a geometric mean of 1.060 of the best
    statsforecast model against 1.057 (1.081 without it; `python -m bench.peer_pool_study`)."""
    import statsforecast.models as sf

    options = dict(PEERS[name].member_options) if member else {}
    return getattr(sf, PEERS[name].cls)(season_length=max(int(season), 1), **options)


def forecast(name: str, history: np.ndarray, horizon: int, season: int, *, member: bool = False,
             saved: dict[str, Any] | None = None
             ) -> tuple[np.ndarray, dict[float, np.ndarray], np.ndarray | None]:
    """Fit peer ``name`` on ``history`` (1-D, oldest first) and forecast ``horizon`` steps
    (``member``: the model a fit's statistical member uses, :func:`model`; ``saved``: what a
    fit saved of it (:func:`fitted`), used instead of searching again; where it cannot run on
    these rows, the search runs).

    Only the last MAX_HISTORY rows are read. Returns the point forecast (H,), the quantiles
    {level: (H,)} of its 80% and 90% intervals, and the standard deviation (H,) of its normal
    predictive distribution where its intervals are mean +- z * sigma (else None). A fit that
    statsforecast refuses, or a forecast that is not finite, raises DataError.
    """
    y = np.asarray(history, dtype=np.float64)[-MAX_HISTORY:]
    member = member and bool(PEERS[name].member_options)
    spec = repr(sorted(saved.items())) if saved else ""
    key = (name, int(season), int(horizon), hashlib.sha1(y.tobytes()).hexdigest(), member, spec)
    if key not in _FITTED:
        if len(_FITTED) >= CACHE_SIZE:
            _FITTED.pop(next(iter(_FITTED)))  # the oldest
        try:
            _FITTED[key] = _forecast(name, y, horizon, season, member, saved)
        except DataError:
            if not saved:
                raise
            _FITTED[key] = _forecast(name, y, horizon, season, member)
    point, quantiles, sigma = _FITTED[key]
    return (point.copy(), {q: v.copy() for q, v in quantiles.items()},
            None if sigma is None else sigma.copy())


CACHE_SIZE = 32
_FITTED: dict[tuple[str, int, int, str, bool, str], tuple[np.ndarray, dict[float, np.ndarray], np.ndarray | None]] = {}
"""The last CACHE_SIZE peer forecasts by (peer, season, horizon, history): a fold's default
evaluate fits each peer on the same rows twice, once for the leaderboard and once when the
fold's model forecasts with it (a chosen peer or the median), so the second is a look-up."""


_MODELS: dict[tuple[str, int, str, bool], Any] = {}
"""The last CACHE_SIZE fitted searches by (peer, season, history, member): what a fit saves of
a member (:func:`fitted`) is read from the search its leaderboard or choice already ran."""


def _searched(name: str, y: np.ndarray, season: int, member: bool) -> Any:
    """Peer ``name`` searched and fitted on ``y`` (a look-up when it was); DataError where it cannot fit."""
    key = (name, int(season), hashlib.sha1(y.tobytes()).hexdigest(), member)
    if key not in _MODELS:
        if len(_MODELS) >= CACHE_SIZE:
            _MODELS.pop(next(iter(_MODELS)))
        _MODELS[key] = _fit(name, model(name, season, member=member), y)
    return _MODELS[key]


def _fit(name: str, unfitted: Any, y: np.ndarray) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # statsforecast warns on its own fallbacks
            return unfitted.fit(y)
    except Exception as err:  # statsforecast raises bare ValueError/LinAlgError on odd data
        raise DataError(f"{name} could not fit {y.size} rows ({type(err).__name__}: {err})") from None


def _forecast(name: str, y: np.ndarray, horizon: int, season: int, member: bool,
              saved: dict[str, Any] | None = None
              ) -> tuple[np.ndarray, dict[float, np.ndarray], np.ndarray | None]:
    fitted = _fit(name, _saved_model(name, saved, season), y) if saved else _searched(name, y, season, member)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fitted.predict(h=horizon, level=list(LEVELS))  # == forecast(y=y, ...): 0.0 apart on a10
    except Exception as err:
        raise DataError(f"{name} could not forecast {y.size} rows ({type(err).__name__}: {err})") from None
    point = np.asarray(out["mean"], dtype=np.float64)  # (H,)
    if not all(np.all(np.isfinite(np.asarray(out[k], dtype=np.float64))) for k in out):
        raise DataError(f"{name} forecast non-finite values from {y.size} rows")
    quantiles = {}
    for level in LEVELS:
        tail = round((100 - level) / 200, 6)
        quantiles[tail] = np.asarray(out[f"lo-{level}"], dtype=np.float64)  # (H,)
        quantiles[round(1 - tail, 6)] = np.asarray(out[f"hi-{level}"], dtype=np.float64)
    quantiles[0.5] = point  # the median of the normal ones; AutoTheta gives no median
    if not PEERS[name].normal:
        return point, quantiles, None
    return point, quantiles, (quantiles[0.9] - point) / NormalDist().inv_cdf(0.9)  # (H,)


# What a fit saves of its statistical members, so that a prediction does not search again:
# AutoARIMA's orders and coefficients (its search took 0.1 to 0.4 s on monthly data; a run of
# statsforecast's ARIMA with every coefficient fixed over the rows a prediction is given takes
# about 3 ms and is exactly statsforecast's ``forward`` of the fit, as the walk-forward choice
# runs it, or R's ``Arima(y, model=fit)``), and AutoETS's form (its search over the forms took
# 0.37 s on a10 under load, one fit of the chosen form 0.05 s; the parameters are estimated
# again, as before). AutoTheta and MSTL fit in a few tens of milliseconds and save nothing.
SAVED = ("autoarima", "autoets")
ARIMA_MAX_ORDERS = {"p": 5, "d": 2, "q": 5, "P": 2, "D": 1, "Q": 2}
"""statsforecast's AutoARIMA search bounds (max_p, max_d, max_q, max_P, max_D, max_Q): a saved
model outside them was not made by a fit."""


def fitted(name: str, history: np.ndarray, season: int) -> dict[str, Any]:
    """What a fit saves of member ``name`` (one of SAVED) fitted on ``history`` (its last
    MAX_HISTORY rows), as plain data. AutoARIMA: {"order": [p, d, q], "seasonal_order":
    [P, D, Q], "season": m, "coef": {name: value}}; AutoETS: {"form": "MAM", "damped": bool}
    (error, trend, season: statsforecast's letters). Raises DataError where it cannot fit."""
    y = np.asarray(history, dtype=np.float64)[-MAX_HISTORY:]
    search = _searched(name, y, season, bool(PEERS[name].member_options))
    if name == "autoets":  # "ETS(M,Ad,M)"
        error, trend, seasonal = search.model_["method"].removeprefix("ETS(").removesuffix(")").split(",")
        saved: dict[str, Any] = {"form": error + trend[0] + seasonal, "damped": trend.endswith("d")}
    else:
        p, q, big_p, big_q, m, d, big_d = (int(v) for v in search.model_["arma"])
        saved = {"order": [p, d, q], "seasonal_order": [big_p, big_d, big_q], "season": m,
                 "coef": {str(k): float(v) for k, v in search.model_["coef"].items()}}
    check_fitted({name: saved})
    return saved


def check_fitted(saved: Any) -> None:
    """Raise ValueError for saved members (:func:`fitted`, {name: saved}) this version cannot
    run. A saved file is hostile input: nothing in it reaches statsforecast unchecked, and
    nothing can make a prediction allocate or loop more than a fit would.

    Exact: the names are among SAVED. AutoARIMA: exactly its four keys, integer orders within
    the search's bounds and a season up to ARIMA_MAX_SEASON, exactly the coefficients those
    orders name (ar1..arp, ma1..maq, sar1..sarP, sma1..smaQ, an ``intercept`` only without
    differencing, a ``drift`` only with one difference at most), each a finite number.
    AutoETS: exactly "form" (error A or M, trend and season N, A or M) and "damped" (a bool,
    true only with a trend)."""
    if saved is None:
        return
    if not isinstance(saved, dict) or not set(saved) <= set(SAVED):
        raise ValueError("saved members: not a table of " + " and ".join(SAVED))
    if "autoets" in saved:
        _check_ets(saved["autoets"])
    if "autoarima" in saved:
        _check_arima(saved["autoarima"])


def _check_ets(saved: Any) -> None:
    if not isinstance(saved, dict) or set(saved) != {"form", "damped"}:
        raise ValueError("saved autoets: not a table of form and damped")
    form, damped = saved["form"], saved["damped"]
    if not (type(form) is str and len(form) == 3 and form[0] in "AM" and form[1] in "NAM" and form[2] in "NAM"):
        raise ValueError("saved autoets: form is not an ETS form")
    if type(damped) is not bool or (damped and form[1] == "N"):
        raise ValueError("saved autoets: damped is not a bool of a trend")


def _check_arima(saved: Any) -> None:
    if not isinstance(saved, dict) or set(saved) != {"order", "seasonal_order", "season", "coef"}:
        raise ValueError("saved autoarima: not a table of order, seasonal_order, season and coef")
    orders = list(saved["order"]) + list(saved["seasonal_order"]) if all(
        isinstance(saved[k], (list, tuple)) and len(saved[k]) == 3 for k in ("order", "seasonal_order")) else []
    values = dict(zip("pdqPDQ", orders))
    if len(values) != 6 or not all(type(v) is int and 0 <= v <= ARIMA_MAX_ORDERS[k] for k, v in values.items()):
        raise ValueError("saved autoarima: orders out of range")
    m = saved["season"]
    if type(m) is not int or not 1 <= m <= ARIMA_MAX_SEASON:
        raise ValueError("saved autoarima: season out of range")
    coef = saved["coef"]
    if not isinstance(coef, dict):
        raise ValueError("saved autoarima: coef is not a table")
    named = {f"{kind}{i}" for kind, key in (("ar", "p"), ("ma", "q"), ("sar", "P"), ("sma", "Q"))
             for i in range(1, values[key] + 1)}
    optional = ({"intercept"} if values["d"] + values["D"] == 0 else set()) | (
        {"drift"} if values["d"] + values["D"] <= 1 else set())
    if not named <= set(coef) or not set(coef) <= named | optional:
        raise ValueError("saved autoarima: coefficients do not match its orders")
    if not all(type(v) in (int, float) and np.isfinite(v) for v in coef.values()):
        raise ValueError("saved autoarima: a coefficient is not a finite number")


def _saved_model(name: str, saved: dict[str, Any], season: int) -> Any:
    """The statsforecast model a saved member runs: ARIMA with the saved orders and every
    coefficient fixed; AutoETS restricted to the saved form."""
    import statsforecast.models as sf

    check_fitted({name: saved})
    if name == "autoets":
        return sf.AutoETS(season_length=max(int(season), 1), model=saved["form"], damped=saved["damped"])
    p, d, q = saved["order"]
    big_p, big_d, big_q = saved["seasonal_order"]
    coef = saved["coef"]
    return sf.ARIMA(order=(p, d, q), season_length=saved["season"], seasonal_order=(big_p, big_d, big_q),
                    include_mean="intercept" in coef, include_drift="drift" in coef, fixed=dict(coef))
