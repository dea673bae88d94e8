"""Exchange trading days (``--calendar XNYS``) through the exchange_calendars library.

Why exchange_calendars: it is the maintained source of exchange holiday rules that
pandas_market_calendars itself builds on, names calendars by ISO MIC code (XNYS, XLON,
XBOM), computes sessions for any range from rules, and adds no dependency we lack
beyond two small calendar-arithmetic packages.

A series on an exchange calendar has ``freq = "sessions:MIC"``; its next dates are the
exchange's next sessions. The NSE has no calendar of its own there: NSE and BSE close on
the same SEBI-notified trading holidays, so XNSE is an alias of XBOM (BSE). Imports of
exchange_calendars (and so pandas) happen only for such series.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from forecast.errors import ConfigError, DataError

if TYPE_CHECKING:
    import pandas as pd

PREFIX = "sessions:"
ALIASES = {"XNSE": "XBOM"}  # the library's name for a calendar it lacks under this MIC
# Yahoo ticker suffix -> MIC ("" = no suffix: a US listing)
SUFFIXES = {
    "": "XNYS", "NS": "XNSE", "BO": "XBOM", "L": "XLON", "DE": "XETR", "F": "XFRA", "PA": "XPAR",
    "AS": "XAMS", "MI": "XMIL", "MC": "XMAD", "SW": "XSWX", "T": "XTKS", "HK": "XHKG", "TO": "XTSE",
    "AX": "XASX", "SS": "XSHG", "KS": "XKRX", "SA": "BVMF", "ST": "XSTO", "CO": "XCSE", "OL": "XOSL",
    "HE": "XHEL", "VI": "XWBO", "BR": "XBRU", "LS": "XLIS", "IR": "XDUB", "NZ": "XNZE", "JO": "XJSE",
    "TW": "XTAI", "SI": "XSES", "MX": "XMEX", "IS": "XIST", "WA": "XWAR", "BK": "XBKK", "KL": "XKLS",
    "JK": "XIDX", "TA": "XTAE",
}


def freq_of(mic: str) -> str:
    return PREFIX + mic


def mic_of(freq: str | None) -> str | None:
    """'sessions:XNSE' -> 'XNSE'; None for any other frequency."""
    return freq[len(PREFIX):] if freq and freq.startswith(PREFIX) else None


def check(name: str) -> str:
    """The calendar's MIC code, upper-cased, or a ConfigError naming a few valid ones."""
    import exchange_calendars as xc

    mic = name.strip().upper()
    if mic in ALIASES or mic in xc.get_calendar_names():
        return mic
    raise ConfigError(f"--calendar {name!r}: no such exchange calendar; use an ISO MIC code such as "
                      "XNYS, XNAS, XNSE, XBOM, XLON, XETR, XTKS, XHKG")


def for_ticker(symbol: str) -> str:
    """The exchange a Yahoo ticker trades on, from its suffix (AAPL: XNYS, TATAGLOBAL.NS: XNSE)."""
    suffix = symbol.rsplit(".", 1)[1].upper() if "." in symbol else ""
    return SUFFIXES.get(suffix, "")


def _sessions(mic: str, start: "pd.Timestamp", end: "pd.Timestamp") -> "pd.DatetimeIndex":
    import warnings

    import exchange_calendars as xc

    try:
        with warnings.catch_warnings():  # the library's own pandas deprecations, not the user's
            warnings.simplefilter("ignore")
            calendar = xc.get_calendar(ALIASES.get(mic, mic), start=start, end=end)
    except (ValueError, xc.errors.CalendarError) as err:
        detail = str(err).strip().splitlines()[0]
        raise DataError(f"--calendar {mic}: no sessions for {start:%Y-%m-%d}..{end:%Y-%m-%d} "
                        f"({detail}); drop --calendar for plain weekdays") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return calendar.sessions


def next_sessions(dates: np.ndarray, mic: str, n: int) -> np.ndarray:
    """The ``n`` sessions of ``mic`` after the last date (its time of day kept), same unit."""
    import pandas as pd

    if n <= 0:
        return dates[:0]
    last = pd.Timestamp(dates.max())
    day = last.normalize()
    span = 2 * n + 30
    while True:
        sessions = _sessions(mic, day - pd.Timedelta(days=7), day + pd.Timedelta(days=span))
        after = sessions[sessions > day]
        if len(after) >= n:
            break
        span *= 2
    days = after[:n].tz_localize(None) if after.tz is not None else after[:n]
    return (days + (last - day)).to_numpy().astype(dates.dtype)


__all__ = ["PREFIX", "check", "for_ticker", "freq_of", "mic_of", "next_sessions"]
