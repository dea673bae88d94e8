"""Yahoo Finance bars from recorded real chart answers, offline (forecast.data.yahoo)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from yahoo_replay import FakeResponse, UnexpectedRequest, YahooReplay

from forecast.data import yahoo
from forecast.data.yahoo import EmptyRangeError, UnknownTickerError, YahooBars, fetch_bars
from forecast.errors import ConfigError, NetworkError, RateLimitError, TickerError

ROOT = Path(__file__).resolve().parent.parent
AAPL_2020 = "chart-AAPL-2020-08-31-to-2020-11-07.json"
CHART_URL = "https://query2.finance.yahoo.com/v8/finance/chart/AAPL"


@pytest.fixture()
def fixtures(shared_data: Path) -> Path:
    return shared_data / "yahoo_fixtures"


def _recorded(fixtures: Path, name: str) -> dict:
    return json.loads((fixtures / name).read_text())["response"]["bodyJson"]["chart"]["result"][0]


def _local_dates(stamps: list[int], tz: str) -> list[pd.Timestamp]:
    """The exchange-local dates of Yahoo's epoch-second bar times."""
    index = pd.to_datetime(stamps, unit="s", utc=True).tz_convert(tz)
    return list(index.tz_localize(None).normalize())


def test_aapl_split_and_dividend_daily_bars(fixtures: Path) -> None:
    recorded = _recorded(fixtures, AAPL_2020)
    with YahooReplay(fixtures) as replay:
        bars = fetch_bars("aapl", start="2020-08-31", end="2020-11-07")
    assert isinstance(bars, YahooBars)
    assert (bars.ticker, bars.timezone, bars.currency, bars.interval) == (
        "AAPL", "America/New_York", "USD", "1d")
    frame = bars.frame
    assert len(frame) == 49
    assert list(frame.columns) == ["Open", "High", "Low", "Close", "Volume", "Dividends", "Stock Splits"]
    assert str(frame.index.tz) == "America/New_York"
    local = frame.index.tz_localize(None)
    assert (local == local.normalize()).all()  # local midnight: one bar per trading date
    assert list(local) == _local_dates(recorded["timestamp"], "America/New_York")
    assert (local.day_of_week < 5).all()
    assert frame.loc["2020-08-31", "Stock Splits"].item() == 4.0
    assert frame.loc["2020-11-06", "Dividends"].item() == pytest.approx(0.205)
    assert frame["Stock Splits"].sum() == 4.0 and frame["Dividends"].sum() == pytest.approx(0.205)
    # auto_adjust: Close is Yahoo's dividend-adjusted close
    np.testing.assert_allclose(frame["Close"], recorded["indicators"]["adjclose"][0]["adjclose"])
    asked = replay.chart_requests("AAPL")
    assert len(asked) == 1 and asked[0]["interval"] == "1d" and asked[0]["includePrePost"] is False


def test_unadjusted_bars_keep_adj_close(fixtures: Path) -> None:
    recorded = _recorded(fixtures, AAPL_2020)
    with YahooReplay(fixtures):
        bars = fetch_bars("AAPL", start="2020-08-31", end="2020-11-07", auto_adjust=False)
    assert bars.auto_adjust is False
    assert "Adj Close" in bars.frame.columns
    np.testing.assert_allclose(bars.frame["Close"], recorded["indicators"]["quote"][0]["close"])


def test_end_is_exclusive_and_range_is_cut(fixtures: Path) -> None:
    with YahooReplay(fixtures):
        bars = fetch_bars("AAPL", start="2020-09-01", end="2020-09-08")
    dates = [str(d.date()) for d in bars.frame.index]
    assert dates == ["2020-09-01", "2020-09-02", "2020-09-03", "2020-09-04"]  # 7th: Labor Day


def test_xetra_ticker_in_berlin_time(fixtures: Path) -> None:
    with YahooReplay(fixtures):
        bars = fetch_bars("WSU.DE", start="2023-08-04", end="2023-08-09")
    assert (bars.timezone, bars.currency) == ("Europe/Berlin", "EUR")
    assert [str(d.date()) for d in bars.frame.index] == ["2023-08-04", "2023-08-07", "2023-08-08"]
    assert all(d.utcoffset() == pd.Timedelta(hours=2) for d in bars.frame.index)  # CEST


def test_crypto_trades_every_day_in_utc(fixtures: Path) -> None:
    with YahooReplay(fixtures):
        bars = fetch_bars("BTC-USD", start="2020-01-01", end="2020-01-04")
    assert (bars.timezone, bars.currency) == ("UTC", "USD")
    assert [str(d.date()) for d in bars.frame.index] == ["2020-01-01", "2020-01-02", "2020-01-03"]
    assert bars.frame["Close"].iloc[0] == pytest.approx(7200.17431640625)


def test_empty_minute_answer_says_no_bars(fixtures: Path) -> None:
    with YahooReplay(fixtures), pytest.raises(EmptyRangeError) as info:
        fetch_bars("AAPL", start="2025-02-01", end="2025-02-02", interval="1m")
    assert isinstance(info.value, TickerError) and info.value.exit_code == 8
    assert not isinstance(info.value, UnknownTickerError)
    assert "no bars" in str(info.value) and "--start" in str(info.value)


def test_range_before_any_bar_says_widen_start(fixtures: Path) -> None:
    with YahooReplay(fixtures), pytest.raises(EmptyRangeError, match="no bars.*widen --start"):
        fetch_bars("AAPL", start="2019-01-01", end="2019-02-01")


@pytest.mark.parametrize("info_lookups_done", [0, 2])
def test_unknown_ticker(fixtures: Path, monkeypatch: pytest.MonkeyPatch, info_lookups_done: int) -> None:
    """yfinance asks the quote endpoint for the time zone twice per process, then gives up."""
    import yfinance.base

    monkeypatch.setattr(yfinance.base, "_tz_info_fetch_ctr", info_lookups_done)
    with YahooReplay(fixtures), pytest.raises(UnknownTickerError) as info:
        fetch_bars("NOSUCHTICKERX", start="2020-01-01")
    assert info.value.exit_code == 8
    assert "NOSUCHTICKERX" in str(info.value) and "unknown or delisted" in str(info.value)


def test_chart_errors_are_told_apart() -> None:
    from yfinance.exceptions import YFPricesMissingError

    where = ("2020-01-01", None, "1d")
    delisted = YFPricesMissingError("X", "", yahoo_reason="No data found, symbol may be delisted")
    assert isinstance(yahoo._classify(delisted, "X", where), UnknownTickerError)
    too_early = YFPricesMissingError("X", "", yahoo_reason="Data doesn't exist for startDate = 1, endDate = 2")
    empty = yahoo._classify(too_early, "X", where)
    assert isinstance(empty, EmptyRangeError) and "Data doesn't exist" in str(empty)


def test_rate_limit_retried_with_backoff_then_error(fixtures: Path) -> None:
    slept: list[float] = []
    with YahooReplay(fixtures, rate_limit=-1) as replay, pytest.raises(RateLimitError) as info:
        fetch_bars("AAPL", start="2020-08-31", end="2020-11-07", sleep=slept.append)
    assert slept == [2.0, 4.0]
    assert len(replay.requests) == 3
    assert info.value.exit_code == 7 and "after 3 tries" in str(info.value)


def test_rate_limit_then_success(fixtures: Path) -> None:
    slept: list[float] = []
    with YahooReplay(fixtures, rate_limit=2):
        bars = fetch_bars("AAPL", start="2020-08-31", end="2020-11-07", sleep=slept.append, backoff=0.5)
    assert slept == [0.5, 1.0] and len(bars.frame) == 49


def test_http_429_counts_as_rate_limit() -> None:
    from yfinance._http import HTTPError

    err = HTTPError("429", response=FakeResponse({}, 429, "https://query2.finance.yahoo.com/x"))
    assert yahoo._classify(err, "AAPL", (None, None, "1d")) is None


def test_connection_failure_is_network_error(fixtures: Path) -> None:
    with YahooReplay(fixtures, offline=True), pytest.raises(NetworkError) as info:
        fetch_bars("AAPL", start="2020-08-31", sleep=lambda s: None)
    assert not isinstance(info.value, RateLimitError)
    assert info.value.exit_code == 6 and "network failure" in str(info.value)


@pytest.mark.parametrize("error", ["requests-timeout", "curl-timeout", "http-503", "html-page"])
def test_timeouts_and_server_errors_are_network_errors(fixtures: Path, error: str) -> None:
    import requests
    from curl_cffi.requests.exceptions import Timeout
    from yfinance._http import HTTPError

    exc = {
        "requests-timeout": requests.exceptions.ReadTimeout("read timed out"),
        "curl-timeout": Timeout("Operation timed out after 30000 milliseconds"),
        "http-503": HTTPError("503", response=FakeResponse({}, 503, CHART_URL)),
        "html-page": json.JSONDecodeError("Expecting value", "<html>consent</html>", 0),
    }[error]
    with YahooReplay(fixtures, error=exc), pytest.raises(NetworkError) as info:
        fetch_bars("AAPL", start="2020-08-31")
    assert type(info.value) is NetworkError


@pytest.mark.parametrize(
    "kwargs",
    [{"interval": "2d"}, {"start": "last tuesday"}, {"start": "2020-02-01", "end": "2020-01-01"}],
)
def test_bad_options_are_config_errors(kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        fetch_bars("AAPL", **kwargs)


@pytest.mark.parametrize("ticker", ["", "  ", "AA PL", "a/b"])
def test_bad_tickers_are_config_errors(ticker: str) -> None:
    with pytest.raises(ConfigError):
        fetch_bars(ticker)


def test_download_multiindex_columns_are_flattened(fixtures: Path) -> None:
    import yfinance as yf

    with YahooReplay(fixtures), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # yfinance's own pandas deprecations
        raw = yf.download("AAPL", start="2020-08-31", end="2020-11-07", auto_adjust=True,
                          actions=True, progress=False, threads=False)
    assert isinstance(raw.columns, pd.MultiIndex)  # (Price, Ticker), even for one ticker
    flat = yahoo._flatten(raw)
    assert list(flat.columns) == ["Open", "High", "Low", "Close", "Volume", "Dividends", "Stock Splits"]
    assert len(flat) == 49


def test_library_prints_nothing(fixtures: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with YahooReplay(fixtures):
        fetch_bars("AAPL", start="2020-08-31", end="2020-11-07")
        with pytest.raises(UnknownTickerError):
            fetch_bars("NOSUCHTICKERX", start="2020-01-01")
    assert capsys.readouterr() == ("", "")


def test_replay_refuses_other_requests(fixtures: Path) -> None:
    from yfinance.data import YfData

    with YahooReplay(fixtures):
        with pytest.raises(UnexpectedRequest):
            YfData().get("https://example.com/anything")
        with pytest.raises(UnexpectedRequest):
            YfData().post("https://query2.finance.yahoo.com/v1/finance/screener")
        with pytest.raises(UnexpectedRequest):
            socket.create_connection(("127.0.0.1", 9), timeout=1)


def test_importing_the_data_modules_does_not_load_yfinance() -> None:
    code = "import sys, forecast.data.cache, forecast.data.yahoo; print('yfinance' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
