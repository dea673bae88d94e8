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
(:func:`check_arima`) has no longer season."""


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
    (``member``: the model a fit's statistical member uses, :func:`model`; ``saved``: an
    AutoARIMA a fit saved (:func:`fitted_arima`), run on ``history`` with its orders and
    coefficients instead of searching again).

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
        _FITTED[key] = _forecast(name, y, horizon, season, member, saved)
    point, quantiles, sigma = _FITTED[key]
    return (point.copy(), {q: v.copy() for q, v in quantiles.items()},
            None if sigma is None else sigma.copy())


CACHE_SIZE = 32
_FITTED: dict[tuple[str, int, int, str, bool, str], tuple[np.ndarray, dict[float, np.ndarray], np.ndarray | None]] = {}
"""The last CACHE_SIZE peer forecasts by (peer, season, horizon, history): a fold's default
evaluate fits each peer on the same rows twice, once for the leaderboard and once when the
fold's model forecasts with it (a chosen peer or the median), so the second is a look-up."""


def _forecast(name: str, y: np.ndarray, horizon: int, season: int, member: bool,
              saved: dict[str, Any] | None = None
              ) -> tuple[np.ndarray, dict[float, np.ndarray], np.ndarray | None]:
    fitted = _saved_arima(saved) if saved and name == "autoarima" else model(name, season, member=member)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # statsforecast warns on its own fallbacks
            out = fitted.forecast(y=y, h=horizon, level=list(LEVELS))
    except Exception as err:  # statsforecast raises bare ValueError/LinAlgError on odd data
        raise DataError(f"{name} could not fit {y.size} rows ({type(err).__name__}: {err})") from None
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


# AutoARIMA as a fit saves it: its search (0.1 to 0.4 s on monthly data, more under load) runs
# once at fit time, not at every prediction. A prediction runs the saved orders and
# coefficients over the rows it is given (statsforecast ARIMA with every coefficient fixed:
# about 3 ms), which is what statsforecast's ``forward`` does in the walk-forward choice
# (selection.peer_forecasts), and what R's ``Arima(y, model=fit)`` does.
ARIMA_MAX_ORDERS = {"p": 5, "d": 2, "q": 5, "P": 2, "D": 1, "Q": 2}
"""statsforecast's AutoARIMA search bounds (max_p, max_d, max_q, max_P, max_D, max_Q): a saved
model outside them was not made by a fit."""


def fitted_arima(history: np.ndarray, season: int) -> dict[str, Any]:
    """The member AutoARIMA fitted on ``history`` (its last MAX_HISTORY rows) as plain data:
    {"order": [p, d, q], "seasonal_order": [P, D, Q], "season": m, "coef": {name: value}}.
    Raises DataError where statsforecast cannot fit it."""
    y = np.asarray(history, dtype=np.float64)[-MAX_HISTORY:]
    search = model("autoarima", season, member=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            search.fit(y)
    except Exception as err:  # statsforecast raises bare ValueError/LinAlgError on odd data
        raise DataError(f"autoarima could not fit {y.size} rows ({type(err).__name__}: {err})") from None
    p, q, big_p, big_q, m, d, big_d = (int(v) for v in search.model_["arma"])
    coef = {str(k): float(v) for k, v in search.model_["coef"].items()}
    saved = {"order": [p, d, q], "seasonal_order": [big_p, big_d, big_q], "season": m, "coef": coef}
    check_arima(saved)
    return saved


def check_arima(saved: Any) -> None:
    """Raise ValueError for a saved AutoARIMA (:func:`fitted_arima`) this version cannot run:
    the exact keys, integer orders within the search's bounds and ARIMA_MAX_SEASON, exactly the
    coefficients those orders name (ar1..arp, ma1..maq, sar1..sarP, sma1..smaQ, and an
    ``intercept`` only without differencing, a ``drift`` only with one difference at most),
    each a finite number. A saved file is hostile input: nothing in it reaches statsforecast
    unchecked, and no order can make a prediction allocate or loop more than a fit would."""
    if saved is None:
        return
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


def _saved_arima(saved: dict[str, Any]) -> Any:
    """statsforecast's ARIMA with a saved AutoARIMA's orders and every coefficient fixed."""
    import statsforecast.models as sf

    check_arima(saved)
    p, d, q = saved["order"]
    big_p, big_d, big_q = saved["seasonal_order"]
    coef = saved["coef"]
    return sf.ARIMA(order=(p, d, q), season_length=saved["season"], seasonal_order=(big_p, big_d, big_q),
                    include_mean="intercept" in coef, include_drift="drift" in coef, fixed=dict(coef))
