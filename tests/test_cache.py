"""The local price cache on recorded Yahoo answers and saved yfinance frames (offline)."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from yahoo_replay import YahooReplay

from forecast.config import DataSpec
from forecast.data import cache
from forecast.data.cache import CacheMeta, UpdateReport
from forecast.data.yahoo import UnknownTickerError, fetch_bars
from forecast.errors import ConfigError, DataError, NetworkError, NotFoundError

MID = pd.Timestamp("2020-10-01", tz="UTC")  # the cache's first look: bars of Aug 31 to Sep 30
LATE = pd.Timestamp("2020-11-07", tz="UTC")  # the second look: through Nov 6
NO_WAIT = functools.partial(fetch_bars, sleep=lambda s: None)


@pytest.fixture()
def fixtures(shared_data: Path) -> Path:
    return shared_data / "yahoo_fixtures"


def _update(home: Path, now: pd.Timestamp, **kwargs: object) -> UpdateReport:
    kwargs.setdefault("start", "2020-08-31")
    return cache.update("AAPL", root=home, now=now, **kwargs)  # type: ignore[arg-type]


def test_new_cache_holds_the_bars_and_their_metadata(fixtures: Path, tmp_path: Path) -> None:
    with YahooReplay(fixtures):
        report = _update(tmp_path, LATE)
    assert (report.rows_added, report.rows_total, report.refetched_full, report.reason) == (49, 49, False, "new")
    assert report.path == str(tmp_path / "prices" / "AAPL_1d.parquet")
    assert str(report.first.date()) == "2020-08-31" and str(report.last.date()) == "2020-11-06"
    frame, meta = cache.load("AAPL", "1d", root=tmp_path)
    assert (meta.ticker, meta.timezone, meta.currency, meta.auto_adjust) == ("AAPL", "America/New_York", "USD", True)
    assert meta.start == "2020-08-31" and pd.Timestamp(meta.fetched_at) == LATE
    assert str(frame.index.tz) == "America/New_York" and len(frame) == 49
    assert report.to_dict()["first"].startswith("2020-08-31")
    assert [p.name for p in (tmp_path / "prices").iterdir()] == ["AAPL_1d.parquet"]  # no temp files left


def test_incremental_update_fetches_and_adds_only_new_bars(fixtures: Path, tmp_path: Path) -> None:
    with YahooReplay(fixtures) as replay:
        first = _update(tmp_path, MID)
        second = _update(tmp_path, LATE)
        third = _update(tmp_path, LATE)
        full = fetch_bars("AAPL", start="2020-08-31", end="2020-11-07").frame
    assert first.rows_added == 22 and str(first.last.date()) == "2020-09-30"
    assert (second.rows_added, second.rows_total, second.reason) == (27, 49, "incremental")
    assert not second.refetched_full
    assert (third.rows_added, third.rows_total) == (0, 49)
    asked = replay.chart_requests("AAPL")
    since = pd.Timestamp(asked[1]["period1"], unit="s", tz="UTC").tz_convert("America/New_York")
    assert str(since.date()) == "2020-09-23"  # last cached bar minus a week of overlap
    frame, _ = cache.load("AAPL", root=tmp_path)
    pd.testing.assert_frame_equal(frame, full, check_freq=False)


def test_rewritten_history_triggers_full_refetch(fixtures: Path, tmp_path: Path) -> None:
    with YahooReplay(fixtures) as replay:
        _update(tmp_path, MID)
        frame, meta = cache.load("AAPL", root=tmp_path)
        frame.loc["2020-09-25", "Close"] *= 0.25  # as if a 4:1 split had been back-adjusted since
        cache.save(frame, meta, root=tmp_path)
        report = _update(tmp_path, LATE)
        fresh = fetch_bars("AAPL", start="2020-08-31", end="2020-11-07").frame
    assert report.refetched_full and "2020-09-25" in report.reason and "refetched" in report.reason
    assert (report.rows_added, report.rows_total) == (27, 49)
    asked = replay.chart_requests("AAPL")
    full = pd.Timestamp(asked[-2]["period1"], unit="s", tz="UTC").tz_convert("America/New_York")
    assert str(full.date()) == "2020-08-31"
    stored, _ = cache.load("AAPL", root=tmp_path)
    pd.testing.assert_frame_equal(stored, fresh, check_freq=False)


def test_a_changed_last_bar_is_not_a_rewrite(fixtures: Path, tmp_path: Path) -> None:
    """The last cached bar may have been a live, unfinished one: it is replaced, not compared."""
    with YahooReplay(fixtures):
        _update(tmp_path, MID)
        frame, meta = cache.load("AAPL", root=tmp_path)
        true_close = frame["Close"].iloc[-1]
        frame.iloc[-1, frame.columns.get_loc("Close")] = true_close * 1.02
        cache.save(frame, meta, root=tmp_path)
        report = _update(tmp_path, LATE)
    assert report.reason == "incremental" and not report.refetched_full
    stored, _ = cache.load("AAPL", root=tmp_path)
    assert stored.loc["2020-09-30", "Close"].item() == pytest.approx(true_close)


def test_earlier_start_refetches_in_full(fixtures: Path, tmp_path: Path) -> None:
    with YahooReplay(fixtures):
        first = _update(tmp_path, LATE, start="2020-09-15")
        report = _update(tmp_path, LATE, start="2020-08-31")
    assert first.rows_total == 39
    assert report.refetched_full and "before the cached start" in report.reason
    assert (report.rows_added, report.rows_total) == (10, 49)
    assert cache.load("AAPL", root=tmp_path)[1].start == "2020-08-31"


def test_update_many_stores_good_tickers_and_names_the_bad(fixtures: Path, tmp_path: Path) -> None:
    with YahooReplay(fixtures):
        results = cache.update_many(["AAPL", "nosuchtickerx", "aapl", "WSU.DE"], start="2020-08-31",
                                    root=tmp_path, now=pd.Timestamp("2023-08-09", tz="UTC"))
    assert len(results) == 3  # duplicates asked once
    good, bad, xetra = results
    assert isinstance(good, UpdateReport) and good.rows_total == 49
    assert isinstance(bad, UnknownTickerError) and "NOSUCHTICKERX" in str(bad)
    assert isinstance(xetra, UpdateReport) and (xetra.ticker, xetra.rows_total) == ("WSU.DE", 3)
    assert sorted(p.name for p in (tmp_path / "prices").iterdir()) == ["AAPL_1d.parquet", "WSU.DE_1d.parquet"]


def test_cache_age_and_missing_cache(fixtures: Path, tmp_path: Path) -> None:
    assert cache.cache_age("AAPL", "1d", root=tmp_path) is None
    with pytest.raises(NotFoundError, match="forecast fetch AAPL"):
        cache.load("AAPL", "1d", root=tmp_path)
    with YahooReplay(fixtures):
        _update(tmp_path, LATE)
    age = cache.cache_age("AAPL", "1d", root=tmp_path, now=LATE + pd.Timedelta(days=3, hours=2))
    assert age == pd.Timedelta(days=3, hours=2)
    assert cache.describe_age(age) == "3 days"


def test_damaged_cache_file_is_named_and_refetched(fixtures: Path, tmp_path: Path) -> None:
    path = cache.cache_path("AAPL", "1d", root=tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PAR1 not really parquet")
    with pytest.raises(DataError, match="AAPL_1d.parquet"):
        cache.load("AAPL", root=tmp_path)
    with YahooReplay(fixtures):
        report = _update(tmp_path, LATE)
    assert report.rows_total == 49 and report.reason == "new"


def test_failed_write_keeps_the_old_file(fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow.parquet as pq

    with YahooReplay(fixtures):
        _update(tmp_path, MID)
    before = cache.cache_path("AAPL", "1d", root=tmp_path).read_bytes()

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", broken)
    with YahooReplay(fixtures), pytest.raises(OSError, match="disk full"):
        _update(tmp_path, LATE)
    assert cache.cache_path("AAPL", "1d", root=tmp_path).read_bytes() == before
    assert [p.name for p in (tmp_path / "prices").iterdir()] == ["AAPL_1d.parquet"]


def test_odd_ticker_symbols_get_safe_file_names(tmp_path: Path) -> None:
    assert cache.cache_path("^gspc", "1wk", root=tmp_path).name == "%5EGSPC_1wk.parquet"
    assert cache.cache_path("EURUSD=X", "1d", root=tmp_path).name == "EURUSD%3DX_1d.parquet"
    with pytest.raises(ConfigError):
        cache.cache_path("AAPL", "2d", root=tmp_path)


# -- timestamps to trading dates, on yfinance's own saved frames ---------------------------


def _saved_frame(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """A saved yfinance frame with tz-aware UTC times, and the local time strings as written."""
    raw = pd.read_csv(path, dtype={0: str})
    text = raw.iloc[:, 0]
    frame = raw.drop(columns=raw.columns[0]).astype("float64")
    frame.index = pd.DatetimeIndex(pd.to_datetime(text, utc=True))
    return frame, [t[:19] for t in text]


@pytest.mark.parametrize(
    "name, tz",
    [("CALM-1d-no-bad-divs.csv", "America/New_York"), ("EWG-1d-no-bad-divs.csv", "America/New_York"),
     ("IBE-MC-1d-no-bad-divs.csv", "Europe/Madrid")],
)
def test_daily_bars_become_local_trading_dates(shared_data: Path, name: str, tz: str) -> None:
    frame, written = _saved_frame(shared_data / "yahoo_fixtures" / name)
    offsets = {t[-6:] for t in pd.read_csv(shared_data / "yahoo_fixtures" / name).iloc[:, 0]}
    assert len(offsets) == 2  # the UTC offset changes with daylight saving time
    dates = cache.local_index(frame.index, "1d", tz)
    assert dates.name == "ds" and dates.tz is None
    assert [str(d) for d in dates] == written  # midnight of the written local date
    assert (dates.day_of_week < 5).all() and dates.is_unique and dates.is_monotonic_increasing


def test_utc_dates_would_be_wrong_for_madrid(shared_data: Path) -> None:
    frame, _ = _saved_frame(shared_data / "yahoo_fixtures" / "IBE-MC-1d-no-bad-divs.csv")
    utc_dates = frame.index.tz_localize(None).normalize()
    assert (utc_dates.day_of_week == 6).any()  # local midnight is the evening before in UTC
    assert (cache.local_index(frame.index, "1d", "Europe/Madrid").day_of_week < 5).all()


def test_intraday_bars_keep_exchange_wall_time(shared_data: Path, tmp_path: Path) -> None:
    frame, written = _saved_frame(shared_data / "yahoo_fixtures" / "EA-15m-no-bad-divs.csv")
    local = frame.tz_convert("America/New_York")
    meta = CacheMeta("EA", "15m", "America/New_York", True, "USD", "2026-06-01T00:00:00+00:00", None)
    cache.save(local, meta, root=tmp_path)
    series = cache.series_from_cache(DataSpec(ticker="EA", interval="15m"), refresh=False, root=tmp_path)
    assert [str(t) for t in series.index] == written
    assert any("wall-clock" in note and "America/New_York" in note for note in series.notes)


def test_saved_frame_round_trips_with_its_time_zone(shared_data: Path, tmp_path: Path) -> None:
    frame, _ = _saved_frame(shared_data / "yahoo_fixtures" / "IBE-MC-1d-no-bad-divs.csv")
    frame = frame.tz_convert("Europe/Madrid")
    meta = CacheMeta("IBE.MC", "1d", "Europe/Madrid", True, "EUR", "2024-08-01T00:00:00+00:00", None)
    cache.save(frame, meta, root=tmp_path)
    back, back_meta = cache.load("ibe.mc", "1d", root=tmp_path)
    frame.index = frame.index.as_unit("ns")  # the cache reads back nanoseconds, as the CSV reader does
    pd.testing.assert_frame_equal(back, frame, check_freq=False)
    assert back_meta == meta


# -- series_from_cache --------------------------------------------------------------------


def test_series_from_cache_for_training(fixtures: Path, tmp_path: Path) -> None:
    from forecast.data.calendar import infer_freq

    with YahooReplay(fixtures):
        series = cache.series_from_cache(DataSpec(ticker="aapl"), root=tmp_path, now=LATE)
    assert (series.target, series.name, series.source) == ("Close", "AAPL", "yahoo:AAPL:1d")
    assert len(series) == 49 and series.frame.index.name == "ds" and series.index.tz is None
    assert str(series.index[0]) == "2020-08-31 00:00:00" and str(series.index[-1]) == "2020-11-06 00:00:00"
    assert infer_freq(series.index) == "B" and series.freq == "sessions:XNYS"  # AAPL: no suffix, NYSE days
    assert "calendar: XNYS trading days (from the ticker; --calendar to change; exchange_calendars)" in series.notes
    assert series.frame.dtypes.eq(np.float64).all()
    assert "target: Close (default)" in series.notes
    assert any("America/New_York" in n and "trading dates" in n for n in series.notes)
    assert any(n.startswith("prices: new, 49 new bars") for n in series.notes)


def test_series_with_features_and_bad_target(fixtures: Path, tmp_path: Path) -> None:
    with YahooReplay(fixtures):
        series = cache.series_from_cache(DataSpec(ticker="BTC-USD", features=("Volume",)), root=tmp_path,
                                         now=pd.Timestamp("2020-01-04", tz="UTC"))
    assert series.x.shape == (3, 2) and series.features == ("Volume",)
    assert [str(d.date()) for d in series.index] == ["2020-01-01", "2020-01-02", "2020-01-03"]
    with pytest.raises(ConfigError, match="no column 'Price' for --target"):
        cache.series_from_cache(DataSpec(ticker="BTC-USD", target="Price"), refresh=False, root=tmp_path)


@pytest.mark.parametrize("outage", ["offline", "rate_limit"])
def test_offline_falls_back_to_cache_with_its_age(fixtures: Path, tmp_path: Path, outage: str) -> None:
    with YahooReplay(fixtures):
        _update(tmp_path, LATE)
    later = LATE + pd.Timedelta(days=3)
    with YahooReplay(fixtures, offline=outage == "offline", rate_limit=-1 if outage == "rate_limit" else 0):
        series = cache.series_from_cache(DataSpec(ticker="AAPL"), root=tmp_path, now=later, fetcher=NO_WAIT)
    assert len(series) == 49
    note = next(n for n in series.notes if n.startswith("offline"))
    assert "3 days old" in note


def test_offline_without_cache_raises(fixtures: Path, tmp_path: Path) -> None:
    with YahooReplay(fixtures, offline=True), pytest.raises(NetworkError):
        cache.series_from_cache(DataSpec(ticker="AAPL"), root=tmp_path, now=LATE)
    with pytest.raises(NotFoundError):
        cache.series_from_cache(DataSpec(ticker="AAPL"), refresh=False, root=tmp_path)


def test_freq_and_calendar_for_cached_bars(fixtures: Path, tmp_path: Path) -> None:
    with YahooReplay(fixtures):
        daily = cache.series_from_cache(DataSpec(ticker="AAPL", freq="D"), root=tmp_path, now=LATE)
        assert daily.freq == "D" and "frequency: D (from --freq)" in daily.notes
        with pytest.raises(DataError, match="dates off the --freq W-SUN calendar"):
            cache.series_from_cache(DataSpec(ticker="AAPL", freq="W-SUN"), root=tmp_path, now=LATE)
        with pytest.raises(ConfigError, match="--freq steps is for files"):
            cache.series_from_cache(DataSpec(ticker="AAPL", freq="steps"), root=tmp_path, now=LATE)
        london = cache.series_from_cache(DataSpec(ticker="AAPL", calendar="XLON"), root=tmp_path, now=LATE)
    assert london.freq == "sessions:XLON"
    assert [str(d)[:10] for d in london.future_dates(1)] == ["2020-11-09"]
