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


def forecast(name: str, history: np.ndarray, horizon: int, season: int, *, member: bool = False
             ) -> tuple[np.ndarray, dict[float, np.ndarray], np.ndarray | None]:
    """Fit peer ``name`` on ``history`` (1-D, oldest first) and forecast ``horizon`` steps
    (``member``: the model a fit's statistical member uses, :func:`model`).

    Only the last MAX_HISTORY rows are read. Returns the point forecast (H,), the quantiles
    {level: (H,)} of its 80% and 90% intervals, and the standard deviation (H,) of its normal
    predictive distribution where its intervals are mean +- z * sigma (else None). A fit that
    statsforecast refuses raises DataError.
    """
    y = np.asarray(history, dtype=np.float64)[-MAX_HISTORY:]
    member = member and bool(PEERS[name].member_options)
    key = (name, int(season), int(horizon), hashlib.sha1(y.tobytes()).hexdigest(), member)
    if key not in _FITTED:
        if len(_FITTED) >= CACHE_SIZE:
            _FITTED.pop(next(iter(_FITTED)))  # the oldest
        _FITTED[key] = _forecast(name, y, horizon, season, member)
    point, quantiles, sigma = _FITTED[key]
    return (point.copy(), {q: v.copy() for q, v in quantiles.items()},
            None if sigma is None else sigma.copy())


CACHE_SIZE = 32
_FITTED: dict[tuple[str, int, int, str, bool], tuple[np.ndarray, dict[float, np.ndarray], np.ndarray | None]] = {}
"""The last CACHE_SIZE peer forecasts by (peer, season, horizon, history): a fold's default
evaluate fits each peer on the same rows twice, once for the leaderboard and once when the
fold's model forecasts with it (a chosen peer or the median), so the second is a look-up."""


def _forecast(name: str, y: np.ndarray, horizon: int, season: int, member: bool
              ) -> tuple[np.ndarray, dict[float, np.ndarray], np.ndarray | None]:
    fitted = model(name, season, member=member)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # statsforecast warns on its own fallbacks
            out = fitted.forecast(y=y, h=horizon, level=list(LEVELS))
    except Exception as err:  # statsforecast raises bare ValueError/LinAlgError on odd data
        raise DataError(f"{name} could not fit {y.size} rows ({type(err).__name__}: {err})") from None
    point = np.asarray(out["mean"], dtype=np.float64)  # (H,)
    quantiles = {}
    for level in LEVELS:
        tail = round((100 - level) / 200, 6)
        quantiles[tail] = np.asarray(out[f"lo-{level}"], dtype=np.float64)  # (H,)
        quantiles[round(1 - tail, 6)] = np.asarray(out[f"hi-{level}"], dtype=np.float64)
    quantiles[0.5] = point  # the median of the normal ones; AutoTheta gives no median
    if not PEERS[name].normal:
        return point, quantiles, None
    return point, quantiles, (quantiles[0.9] - point) / NormalDist().inv_cdf(0.9)  # (H,)
