"""The local Yahoo price cache: one Parquet file per ticker and interval.

Files live under ``paths.prices_dir(root)`` as ``<TICKER>_<interval>.parquet``
(the ticker percent-encoded: ``^GSPC`` -> ``%5EGSPC``). Bars keep yfinance's
tz-aware index in the exchange time zone; the metadata (ticker, interval,
timezone, auto_adjust, currency, fetched_at, start) rides in the Parquet
schema metadata, so data and metadata are replaced together, atomically
(temp file + ``os.replace``).

:func:`update` is incremental: it fetches from the last cached bar minus a few
days of overlap, and if the overlapping bars disagree (a split or dividend
rewrote adjusted history) it refetches the ticker in full. The last cached bar
is left out of that check: it may have been a live, unfinished bar.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from forecast import paths
from forecast.atomic import atomic_path
from forecast.config import DataSpec
from forecast.data.jumps import check_splits
from forecast.data.series import SeriesData
from forecast.data.yahoo import (
    DAILY_OR_LONGER,
    EmptyRangeError,
    YahooBars,
    check_interval,
    fetch_bars,
    normalize_ticker,
)
from forecast.errors import (
    ConfigError,
    DataError,
    ForecastError,
    NetworkError,
    NotFoundError,
)

Fetcher = Callable[..., YahooBars]
META_KEY = b"forecast.cache"
CACHE_VERSION = 1
RTOL = 1e-6  # overlapping bars differing by more than this mean history was rewritten
PRICE_COLUMNS = ("Open", "High", "Low", "Close", "Adj Close")
_OVERLAP = {"1d": 7, "5d": 15, "1wk": 21, "1mo": 93, "3mo": 280}  # days; intraday: 2


@dataclass(frozen=True)
class CacheMeta:
    """What a cache file says about its bars."""

    ticker: str
    interval: str
    timezone: str
    auto_adjust: bool
    currency: str | None
    fetched_at: str  # ISO UTC time of the last successful check with Yahoo
    start: str | None  # the earliest start ever asked (None: the whole history)
    version: int = CACHE_VERSION


@dataclass(frozen=True)
class UpdateReport:
    """What one :func:`update` did to one ticker's cache file."""

    ticker: str
    interval: str
    rows_added: int
    rows_total: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    refetched_full: bool  # an existing cache was replaced by a full download
    reason: str  # "new", "incremental", "up to date", or why it refetched
    path: str

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("first", "last"):
            out[key] = None if out[key] is None else out[key].isoformat()
        return out


def cache_path(ticker: str, interval: str, root: str | Path | None = None) -> Path:
    """The cache file of one ticker and interval (``root`` is the forecast home)."""
    name = quote(normalize_ticker(ticker), safe="-._")
    return paths.prices_dir(root) / f"{name}_{check_interval(interval)}.parquet"


def save(frame: pd.DataFrame, meta: CacheMeta, root: str | Path | None = None) -> Path:
    """Write bars and metadata atomically; returns the file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = cache_path(meta.ticker, meta.interval, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=True)
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), META_KEY: json.dumps(asdict(meta)).encode()}
    )
    with atomic_path(path) as tmp:
        pq.write_table(table, str(tmp))
    return path


def load(ticker: str, interval: str = "1d", root: str | Path | None = None) -> tuple[pd.DataFrame, CacheMeta]:
    """The cached bars (tz-aware, exchange time zone) and their metadata."""
    import pyarrow.parquet as pq

    path = cache_path(ticker, interval, root)
    if not path.is_file():
        raise NotFoundError(
            f"no cached prices for {normalize_ticker(ticker)} at interval {interval} in {path.parent}; "
            f"run: forecast fetch {normalize_ticker(ticker)} --interval {interval}"
        )
    try:
        table = pq.read_table(path)
        raw = json.loads((table.schema.metadata or {})[META_KEY])
        meta = CacheMeta(**raw)
        frame = table.to_pandas()
        frame.index = pd.DatetimeIndex(frame.index).as_unit("ns")
    except Exception as err:  # any damage: say which file and what to do
        raise DataError(
            f"price cache {path} is unreadable ({type(err).__name__}); delete it and run forecast fetch"
        ) from None
    if meta.version > CACHE_VERSION:
        raise DataError(f"price cache {path} is from a newer forecast (v{meta.version}); upgrade forecast")
    return frame, meta


def cache_age(
    ticker: str, interval: str = "1d", root: str | Path | None = None, now: pd.Timestamp | None = None
) -> pd.Timedelta | None:
    """Time since the cache last heard from Yahoo; None when there is no cache."""
    try:
        _, meta = load(ticker, interval, root)
    except NotFoundError:
        return None
    return _utc(now) - pd.Timestamp(meta.fetched_at)


def describe_age(age: pd.Timedelta) -> str:
    """'3 days', '5 hours', '12 minutes'."""
    seconds = max(0, int(age.total_seconds()))
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"


def local_index(index: pd.DatetimeIndex, interval: str, timezone: str) -> pd.DatetimeIndex:
    """Bars' times as tz-naive exchange-local values: dates for daily bars, wall time intraday."""
    index = pd.DatetimeIndex(index)
    if index.tz is not None:
        index = index.tz_convert(timezone).tz_localize(None)
    if interval in DAILY_OR_LONGER:
        index = index.normalize()
    return index.as_unit("ns").rename("ds")


def _utc(now: Any) -> pd.Timestamp:
    stamp = pd.Timestamp.now("UTC") if now is None else pd.Timestamp(now)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _earliest(cached: str | None, asked: str | None, had_cache: bool) -> str | None:
    """The start of a full download: the earlier of the cached and the asked start."""
    if not had_cache or asked is None:
        return asked if not had_cache else cached
    if cached is None:
        return None
    return min(cached, asked, key=pd.Timestamp)


def _changed_at(old: pd.DataFrame, new: pd.DataFrame) -> pd.Timestamp | None:
    """The first overlapping bar (the last cached one excepted) whose prices differ."""
    common = old.index[:-1].intersection(new.index)
    cols = [c for c in PRICE_COLUMNS if c in old.columns and c in new.columns]
    if len(common) == 0 or not cols:
        return None
    a = old.loc[common, cols].to_numpy(dtype=np.float64)
    b = new.loc[common, cols].to_numpy(dtype=np.float64)
    bad = ~np.isclose(a, b, rtol=RTOL, atol=1e-9, equal_nan=True).all(axis=1)
    return common[bad][0] if bad.any() else None


def _report(ticker: str, interval: str, frame: pd.DataFrame, added: int, full: bool, reason: str,
            path: Path) -> UpdateReport:
    first = frame.index[0] if len(frame) else None
    last = frame.index[-1] if len(frame) else None
    return UpdateReport(ticker, interval, added, len(frame), first, last, full, reason, str(path))


def _why_full(meta: CacheMeta, start: str | None, auto_adjust: bool) -> str:
    """Why the cached bars cannot simply be extended ('' when they can)."""
    if meta.auto_adjust != auto_adjust:
        return "the adjustment setting changed: refetched in full"
    if start is not None and meta.start is not None and pd.Timestamp(start) < pd.Timestamp(meta.start):
        return f"--start {start} is before the cached start {meta.start}: refetched in full"
    return ""


def _extend(old: pd.DataFrame, meta: CacheMeta, until: Any, fetched_at: str, root: str | Path | None,
            fetcher: Fetcher) -> UpdateReport | str:
    """Fetch from the last cached bar minus the overlap and append; a reason string if history changed."""
    path = cache_path(meta.ticker, meta.interval, root)
    since = old.index[-1] - pd.Timedelta(days=_OVERLAP.get(meta.interval, 2))
    if until is not None and _utc(until) <= since.tz_convert("UTC"):
        return _report(meta.ticker, meta.interval, old, 0, False, "up to date", path)
    try:
        bars = fetcher(meta.ticker, start=since.date() if meta.interval in DAILY_OR_LONGER else
                       since.to_pydatetime(), end=until, interval=meta.interval, auto_adjust=meta.auto_adjust)
    except EmptyRangeError:  # nothing new (a long holiday): still a successful check
        save(old, replace(meta, fetched_at=fetched_at), root)
        return _report(meta.ticker, meta.interval, old, 0, False, "up to date", path)
    new = bars.frame.tz_convert(meta.timezone)
    changed = _changed_at(old, new)
    if changed is not None:
        return f"cached prices changed from {changed.date()} (split or dividend): refetched in full"
    merged = pd.concat([old[old.index < new.index[0]], new])
    merged = merged[~merged.index.duplicated(keep="last")].sort_index()
    save(merged, replace(meta, fetched_at=fetched_at, currency=bars.currency or meta.currency), root)
    return _report(meta.ticker, meta.interval, merged, len(merged) - len(old), False, "incremental", path)


def update(
    ticker: str,
    *,
    start: str | None = None,
    end: str | None = None,
    interval: str = "1d",
    root: str | Path | None = None,
    fetcher: Fetcher = fetch_bars,
    now: Any = None,
    auto_adjust: bool = True,
) -> UpdateReport:
    """Bring one ticker's cache up to date and report what changed.

    ``start``: first date of a new cache (None: the whole history); an earlier
    start than the cached one refetches in full. ``end`` is exclusive (default
    ``now``, itself default the clock). ``root`` is the forecast home. A network
    failure says what the cache already holds for the ticker.
    """
    symbol, interval = normalize_ticker(ticker), check_interval(interval)
    try:
        return _update(symbol, start, end, interval, root, fetcher, now, auto_adjust)
    except NetworkError as err:
        raise type(err)(f"{err}; {_cached_summary(symbol, interval, root, now)}") from err


def _cached_summary(symbol: str, interval: str, root: str | Path | None, now: Any) -> str:
    """What the cache holds for a ticker, for an error message."""
    try:
        frame, _ = load(symbol, interval, root)
        age = cache_age(symbol, interval, root, now)
    except Exception:
        return f"nothing cached for {symbol} ({interval}) yet"
    if frame.empty:
        return f"nothing cached for {symbol} ({interval}) yet"
    when = describe_age(age) + " old" if age is not None else "age unknown"
    return (f"cached: {len(frame)} {interval} bars of {symbol} up to {frame.index[-1].date()} "
            f"({when}), which train --ticker {symbol} uses offline")


def _update(symbol: str, start: str | None, end: str | None, interval: str, root: str | Path | None,
            fetcher: Fetcher, now: Any, auto_adjust: bool) -> UpdateReport:
    path = cache_path(symbol, interval, root)
    fetched_at = _utc(now).isoformat()
    until = end if end is not None else now
    try:
        old, meta = load(symbol, interval, root) if path.is_file() else (None, None)
    except DataError:
        old, meta = None, None  # a damaged file is simply refetched
    reason = "new"
    if old is not None and meta is not None:
        reason = _why_full(meta, start, auto_adjust)
        if not reason:
            done = _extend(old, meta, until, fetched_at, root, fetcher)
            if isinstance(done, UpdateReport):
                return done
            reason = done
    first_start = _earliest(meta.start if meta else None, start, old is not None)
    bars = fetcher(symbol, start=first_start, end=until, interval=interval, auto_adjust=auto_adjust)
    meta = CacheMeta(symbol, interval, bars.timezone, auto_adjust, bars.currency, fetched_at, first_start)
    save(bars.frame, meta, root)
    added = len(bars.frame) - (0 if old is None else len(old))
    return _report(symbol, interval, bars.frame, added, old is not None, reason, path)


def update_many(tickers: Iterable[str], **kwargs: Any) -> list[UpdateReport | ForecastError]:
    """:func:`update` each ticker (same options); a failure is returned in its place, not raised."""
    results: list[UpdateReport | ForecastError] = []
    for ticker in dict.fromkeys(t.strip().upper() for t in tickers):
        try:
            results.append(update(ticker, **kwargs))
        except ForecastError as err:
            results.append(err)
    return results


def _fill(frame: pd.DataFrame, policy: str, name: str) -> tuple[pd.DataFrame, str | None]:
    """Apply the DataSpec fill policy to missing values; a note when any were filled."""
    missing = int(frame.isna().any(axis=1).sum())
    if not missing:
        return frame, None
    if policy == "error":
        rows = ", ".join(str(d.date()) for d in frame.index[frame.isna().any(axis=1)][:3])
        raise DataError(f"{name}: {missing} bars with missing values (first: {rows}); use --fill ffill")
    if policy == "drop":
        return frame.dropna(), f"dropped {missing} bars with missing values"
    filled = frame.ffill() if policy == "ffill" else frame.interpolate(limit_direction="both")
    return filled.dropna(), f"filled {missing} bars with missing values ({policy})"


def _infer_freq(index: pd.DatetimeIndex) -> str | None:
    try:
        from forecast.data.calendar import infer_freq
    except ImportError:  # the calendar module is optional here
        return None
    return infer_freq(index) if len(index) > 2 else None


def series_from_cache(
    spec: DataSpec,
    *,
    refresh: bool = True,
    root: str | Path | None = None,
    fetcher: Fetcher = fetch_bars,
    now: Any = None,
) -> SeriesData:
    """A SeriesData for ``spec.ticker`` from the cache, refreshed first unless ``refresh=False``.

    Offline (NetworkError or RateLimitError) it falls back to the cache and says
    in ``notes`` how old it is; with no cache the error is raised.
    """
    if not spec.ticker:
        raise ConfigError("no ticker given; pass --ticker SYMBOL or a CSV path")
    symbol, interval = normalize_ticker(spec.ticker), check_interval(spec.interval)
    notes: list[str] = []
    if refresh:
        try:
            rep = update(symbol, interval=interval, root=root, fetcher=fetcher, now=now)
            notes.append(f"prices: {rep.reason}, {rep.rows_added} new bars, {rep.rows_total} in cache")
        except NetworkError as err:
            age = cache_age(symbol, interval, root, now)
            if age is None:
                raise
            notes.append(f"offline ({type(err).__name__}): using cached prices {describe_age(age)} old")
    frame, meta = load(symbol, interval, root)
    target = spec.target or "Close"
    wanted = [target, *spec.features]
    for name, option in zip(wanted, ["--target", *["--features"] * len(spec.features)]):
        if name not in frame.columns:
            raise ConfigError(f"yahoo:{symbol}: no column '{name}' for {option}; "
                              f"columns: {', '.join(frame.columns)}")
    out = frame[wanted].astype("float64")
    out.index = local_index(out.index, interval, meta.timezone)
    out = out[~out.index.duplicated(keep="last")].sort_index()
    out, filled = _fill(out, spec.fill, f"yahoo:{symbol}")
    if spec.target is None:
        notes.append("target: Close (default)")
    if meta.auto_adjust:
        notes.append("prices adjusted for splits and dividends")
    kind = "local trading dates" if interval in DAILY_OR_LONGER else "exchange wall-clock times"
    notes.append(f"exchange time zone {meta.timezone}: bars indexed by {kind}")
    if meta.currency:
        notes.append(f"currency: {meta.currency}")
    if filled:
        notes.append(filled)
    freq = _infer_freq(pd.DatetimeIndex(out.index))
    if spec.freq:
        freq = _asked_freq(spec, symbol, pd.DatetimeIndex(out.index), notes)
    freq = _exchange_days(spec, symbol, interval, freq, notes)
    days = pd.DatetimeIndex(out.index)
    when = days.strftime("%Y-%m-%d") if (days == days.normalize()).all() else days.astype(str)
    split = check_splits(out[target].to_numpy(), f"yahoo:{symbol}", target, lambda i: when[i],
                         spec.allow_jumps)  # a bar repair=False left unadjusted
    notes.extend([split] if split else [])
    return SeriesData.from_frame(
        out,
        target=target,
        features=tuple(spec.features),
        freq=freq,
        source=f"yahoo:{symbol}:{interval}",
        name=symbol,
        notes=tuple(notes),
        quotes=True,
    )


def _asked_freq(spec: DataSpec, symbol: str, index: pd.DatetimeIndex, notes: list[str]) -> str | None:
    """``--freq`` for bars, checked like a file's (every bar on its calendar)."""
    from forecast.data.frame import frequency

    if spec.freq == "steps":
        raise ConfigError(f"yahoo:{symbol}: --freq steps is for files with a step index; drop it")
    wall = index.tz_localize(None) if index.tz is not None else index
    return frequency(wall, spec, f"yahoo:{symbol}", "date", np.arange(1, len(index) + 1), notes)


def _exchange_days(spec: DataSpec, symbol: str, interval: str, freq: str | None,
                   notes: list[str]) -> str | None:
    """Daily bars follow the exchange's trading days: ``--calendar``, else the ticker's suffix."""
    from forecast.data.exchanges import for_ticker
    from forecast.data.frame import exchange_freq

    if spec.calendar:
        return exchange_freq(spec.calendar, freq, f"yahoo:{symbol}", notes)
    mic = for_ticker(symbol)
    if interval != "1d" or freq != "B" or not mic:  # weekends traded (crypto), or intraday bars
        return freq
    return exchange_freq(mic, freq, f"yahoo:{symbol}", notes, how="from the ticker; --calendar to change")
