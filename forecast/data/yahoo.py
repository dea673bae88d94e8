"""Yahoo Finance bars: the only module that imports yfinance (inside functions).

We ask ``yfinance.Ticker(t).history(...)`` rather than ``yfinance.download``:
one ticker per call gives flat columns, the chart metadata (exchange time
zone, currency) and real exceptions, where ``download`` returns ``(Price,
Ticker)`` MultiIndex columns and files failures in a shared dict. Columns are
still flattened defensively.

yfinance logs and returns an empty frame on most failures; we switch
``yf.config.debug.hide_exceptions`` off for the call so that it raises, and map:

- ``YFTzMissingError`` (the time-zone probe got Yahoo's "No data found, symbol
  may be delisted"), a chart error naming delisting, or HTTP 404 -> unknown ticker;
- ``YFPricesMissingError`` without such a reason (an empty chart answer) -> no bars
  in the range;
- ``YFRateLimitError`` or HTTP 429 -> retried with exponential backoff, then
  :class:`RateLimitError`;
- connection errors and timeouts (curl_cffi and requests errors are ``OSError``),
  other HTTP statuses, "Yahoo is down" -> :class:`NetworkError`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import math
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from forecast.errors import ConfigError, NetworkError, RateLimitError, TickerError

INTERVALS: tuple[str, ...] = (
    "1m", "2m", "5m", "15m", "30m", "60m", "90m", "1h", "1d", "5d", "1wk", "1mo", "3mo",
)
DAILY_OR_LONGER: frozenset[str] = frozenset({"1d", "5d", "1wk", "1mo", "3mo"})
COLUMNS: tuple[str, ...] = (
    "Open", "High", "Low", "Close", "Adj Close", "Volume", "Dividends", "Stock Splits",
    "Capital Gains",
)
_DELISTED_HINTS = ("delisted", "not found", "no data found")
_QUOTE_FALLBACK = ("/v10/finance/quoteSummary", "/v7/finance/quote")

DateLike = str | dt.date | dt.datetime | pd.Timestamp | None


class UnknownTickerError(TickerError):
    """Yahoo Finance does not know the ticker (mistyped or delisted)."""


class EmptyRangeError(TickerError):
    """The ticker exists but Yahoo Finance had no bars in the asked range."""


@dataclass(frozen=True)
class YahooBars:
    """Bars of one ticker as Yahoo gave them.

    ``frame`` has a tz-aware DatetimeIndex in the exchange time zone (daily bars
    at local midnight) and flat float columns Open, High, Low, Close, Volume
    [, Adj Close, Dividends, Stock Splits, Capital Gains].
    """

    ticker: str
    frame: pd.DataFrame
    timezone: str  # IANA exchange time zone, e.g. "America/New_York"
    interval: str
    auto_adjust: bool
    currency: str | None = None


def normalize_ticker(ticker: str) -> str:
    """Upper-case, stripped ticker; ConfigError for empty or odd symbols."""
    symbol = (ticker or "").strip().upper()
    if not symbol or any(ch.isspace() or ch in "/\\" for ch in symbol):
        raise ConfigError(f"bad ticker {ticker!r}: give a Yahoo symbol such as AAPL, WSU.DE or BTC-USD")
    return symbol


def check_interval(interval: str) -> str:
    """The interval if Yahoo knows it, else ConfigError listing the valid ones."""
    if interval not in INTERVALS:
        raise ConfigError(f"bad --interval {interval!r}: use one of {', '.join(INTERVALS)}")
    return interval


def _as_when(value: DateLike, name: str) -> dt.date | dt.datetime | None:
    """A user date (YYYY-MM-DD or a timestamp) as a date or datetime for yfinance."""
    if value is None or value == "":
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as err:
        raise ConfigError(f"bad {name} {value!r}: use a date like 2020-01-31 ({err})") from None
    if stamp is pd.NaT:
        raise ConfigError(f"bad {name} {value!r}: use a date like 2020-01-31")
    if stamp.tzinfo is None and stamp == stamp.normalize():
        return stamp.date()
    return stamp.to_pydatetime()


def _naive(value: dt.date | dt.datetime) -> pd.Timestamp:
    """A comparable tz-naive timestamp (UTC wall time for tz-aware values)."""
    stamp = pd.Timestamp(value)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp


@contextlib.contextmanager
def _raising_yfinance() -> Iterator[None]:
    """yfinance raises its errors instead of logging them, and keeps its warnings."""
    import yfinance as yf

    log = logging.getLogger("yfinance")
    if not log.handlers:  # its records still propagate; it just never prints on its own
        log.addHandler(logging.NullHandler())
    debug = yf.config.debug
    before = debug.hide_exceptions
    debug.hide_exceptions = False
    try:
        with warnings.catch_warnings():  # yfinance's pandas deprecation noise
            warnings.simplefilter("ignore")
            yield
    finally:
        debug.hide_exceptions = before


def _empty(ticker: str, where: tuple[DateLike, DateLike, str], reason: str | None) -> EmptyRangeError:
    start, end, interval = where
    said = f" (Yahoo: {reason})" if reason else ""
    hint = "widen --start (an earlier date) or --end" if interval in DAILY_OR_LONGER else (
        "move --start closer: Yahoo keeps 1m bars 8 days, other intraday bars 60 days, 1h 730 days"
    )
    return EmptyRangeError(
        f"no bars for {ticker}: the range {start or 'first bar'} to {end or 'now'} "
        f"(interval {interval}) had no bars{said}; {hint}"
    )


def _http_status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _classify(exc: Exception, ticker: str, where: tuple[DateLike, DateLike, str]) -> Exception | None:
    """The ForecastError for a yfinance/network exception; None means rate limited."""
    from yfinance.exceptions import (
        YFDataException,
        YFPricesMissingError,
        YFRateLimitError,
        YFTzMissingError,
    )

    unknown = UnknownTickerError(
        f"unknown or delisted ticker {ticker}: Yahoo Finance has no data for it; "
        "check the symbol and its exchange suffix (e.g. WSU.DE, VOD.L)"
    )
    if isinstance(exc, YFRateLimitError):
        return None
    if isinstance(exc, YFTzMissingError):
        return unknown
    if isinstance(exc, YFPricesMissingError):
        reason = exc.yahoo_reason
        if reason and any(hint in reason.lower() for hint in _DELISTED_HINTS):
            return unknown
        return _empty(ticker, where, reason)
    status = _http_status(exc)
    if status == 429:
        return None
    url = str(getattr(getattr(exc, "response", None), "url", ""))
    if status == 404 or (status is not None and any(p in url for p in _QUOTE_FALLBACK)):
        # yfinance asks the quote endpoints only after the chart said "no such symbol"
        return unknown
    if status == 0:  # curl's placeholder when no HTTP answer came at all
        return NetworkError(
            f"network failure fetching {ticker}: no answer from Yahoo Finance (the connection "
            "failed or was refused); check the connection or proxy"
        )
    if status is not None:
        return NetworkError(f"Yahoo Finance answered HTTP {status} for {ticker}; try again later")
    if isinstance(exc, YFDataException):
        return NetworkError(f"Yahoo Finance failed for {ticker}: {exc}; try again later")
    if isinstance(exc, json.JSONDecodeError):  # an HTML page (consent, block) instead of JSON
        return NetworkError(f"Yahoo Finance sent an unreadable answer for {ticker}; try again later")
    if isinstance(exc, OSError):  # curl_cffi and requests errors, timeouts, DNS
        detail = " ".join(str(exc).split())[:120]
        return NetworkError(
            f"network failure fetching {ticker} from Yahoo Finance "
            f"({type(exc).__name__}: {detail}); check the connection or use cached data"
        )
    return exc  # a bug or an unforeseen yfinance change: let it surface


def _flatten(frame: pd.DataFrame) -> pd.DataFrame:
    """Flat column names: level 'Price' of download()'s (Price, Ticker) columns."""
    if isinstance(frame.columns, pd.MultiIndex):
        frame = frame.copy()
        frame.columns = frame.columns.get_level_values(0)
    frame = frame.loc[:, ~frame.columns.duplicated()]
    return frame[[c for c in COLUMNS if c in frame.columns]].astype("float64")


def _history_once(
    ticker: str,
    start: dt.date | dt.datetime | None,
    end: dt.date | dt.datetime | None,
    interval: str,
    auto_adjust: bool,
    timeout: float,
) -> tuple[pd.DataFrame, str | None]:
    """One yfinance call: (frame, currency)."""
    import yfinance as yf

    tkr = yf.Ticker(ticker)
    frame = tkr.history(
        period=None if start is not None else "max",
        start=start,
        end=end,
        interval=interval,
        auto_adjust=auto_adjust,
        actions=True,
        prepost=False,
        repair=False,
        keepna=False,
        rounding=False,
        timeout=timeout,
    )
    currency = None
    with contextlib.suppress(Exception):  # metadata is a nicety, never a failure
        currency = tkr.get_history_metadata().get("currency")
    return frame, currency


def default_timeout() -> float:
    """Seconds one Yahoo attempt may take in all: $FORECAST_YAHOO_TIMEOUT, else 30."""
    raw = os.environ.get("FORECAST_YAHOO_TIMEOUT", "")
    try:
        value = float(raw) if raw else 30.0
    except ValueError:
        raise ConfigError(f"FORECAST_YAHOO_TIMEOUT={raw!r}: give seconds, e.g. 30") from None
    if not (value > 0 and math.isfinite(value)):
        raise ConfigError(f"FORECAST_YAHOO_TIMEOUT={raw!r}: give a positive number of seconds")
    return value


def _within(seconds: float, symbol: str, func: Callable[..., Any], *args: Any) -> Any:
    """``func(*args)`` under _raising_yfinance, abandoned after ``seconds`` (NetworkError).

    yfinance makes several requests per history call, each with its own timeout, so a
    proxy that accepts connections and never answers could hold a cron job for minutes;
    this bounds the whole attempt. The abandoned thread is a daemon: it never blocks exit.
    """
    done: dict[str, Any] = {}

    def work() -> None:
        try:
            with _raising_yfinance():
                done["value"] = func(*args)
        except BaseException as exc:  # handed to the caller's thread
            done["error"] = exc

    thread = threading.Thread(target=work, name=f"yahoo-{symbol}", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise NetworkError(
            f"network failure fetching {symbol}: Yahoo Finance did not answer within {seconds:g} s "
            "(set FORECAST_YAHOO_TIMEOUT to wait longer); check the connection or proxy"
        )
    if "error" in done:
        raise done["error"]
    return done["value"]


def fetch_bars(
    ticker: str,
    *,
    start: DateLike = None,
    end: DateLike = None,
    interval: str = "1d",
    auto_adjust: bool = True,
    tries: int = 3,
    backoff: float = 2.0,
    sleep: Callable[[float], None] | None = None,
    timeout: float | None = None,
) -> YahooBars:
    """Bars of ``ticker`` from ``start`` (inclusive) to ``end`` (exclusive; None: now).

    ``start=None`` asks for the whole history. Rate limits are retried ``tries``
    times in all, sleeping ``backoff * 2**k`` seconds between tries (``sleep``,
    default ``time.sleep``).
    """
    symbol = normalize_ticker(ticker)
    check_interval(interval)
    timeout = default_timeout() if timeout is None else timeout
    when_start, when_end = _as_when(start, "--start"), _as_when(end, "--end")
    if when_start is not None and when_end is not None and _naive(when_end) <= _naive(when_start):
        raise ConfigError(f"--end {end} is not after --start {start}: give a later --end")
    where = (start, end, interval)
    for attempt in range(max(1, tries)):
        try:
            frame, currency = _within(
                timeout, symbol, _history_once, symbol, when_start, when_end, interval, auto_adjust, timeout
            )
            break
        except Exception as exc:  # mapped below; unknown kinds re-raised as they are
            mapped = _classify(exc, symbol, where)
            if mapped is exc:
                raise
            if mapped is not None:
                raise mapped from exc
            if attempt + 1 >= max(1, tries):
                raise RateLimitError(
                    f"Yahoo Finance rate limit for {symbol}, still refused after {tries} tries; "
                    "wait a few minutes and run again"
                ) from exc
            (sleep or time.sleep)(backoff * 2**attempt)
    frame = _flatten(frame)
    if frame.empty:
        raise _empty(symbol, where, None)
    index = pd.DatetimeIndex(frame.index).as_unit("ns")  # one unit, whatever yfinance chose
    if index.tz is None:  # yfinance always localises; keep the promise if it stops
        index = index.tz_localize("UTC")
    frame.index = index.rename("Date" if interval in DAILY_OR_LONGER else "Datetime")
    frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    return YahooBars(
        ticker=symbol,
        frame=frame,
        timezone=str(index.tz),
        interval=interval,
        auto_adjust=auto_adjust,
        currency=currency,
    )
