"""The calendar of real series: frequency aliases, future dates, season lengths."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.data.calendar import future_dates, infer_freq, season_length


def _dates(path: Path, column: str | None = None) -> pd.DatetimeIndex:
    """The date column of a real file, parsed directly (independent of the CSV reader)."""
    frame = pd.read_csv(path, dtype=str)
    text = frame[column or frame.columns[0]].str.replace(r"[+-]\d\d:\d\d$", "", regex=True)
    return pd.DatetimeIndex(pd.to_datetime(text, format="mixed")).sort_values()


@pytest.mark.parametrize(
    ("name", "freq"),
    [
        ("pmdarima_msft.csv", "B"),
        ("sktime_airline.csv", "MS"),
        ("statsmodels_co2_weekly.csv", "W-SAT"),
        ("pmdarima_taylor_halfhourly.csv", "30min"),
        ("statsmodels_macrodata.csv", "QS-JAN"),
        ("vega_seattle_weather.csv", "D"),
    ],
)
def test_infer_freq_on_sample_files(sample_data: Path, name: str, freq: str) -> None:
    assert infer_freq(_dates(sample_data / name)) == freq


def test_business_days_survive_holidays_where_pandas_gives_up(sample_data: Path) -> None:
    index = _dates(sample_data / "pmdarima_msft.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert pd.infer_freq(index) is None  # holidays break pandas' own inference
    assert infer_freq(index) == "B"


def test_nse_weekend_sessions_and_holiday_gaps_stay_business_daily(shared_data: Path) -> None:
    index = _dates(shared_data / "NSE-TATAGLOBAL.csv")
    assert (index.day_of_week >= 5).sum() == 9  # real weekend sessions
    assert infer_freq(index) == "B"


def test_tz_aware_daily_bars_are_business_daily(shared_data: Path) -> None:
    text = pd.read_csv(shared_data / "yahoo_fixtures" / "CALM-1d-no-bad-divs.csv")["Datetime"]
    index = pd.DatetimeIndex(pd.to_datetime(text, utc=True)).tz_convert("America/New_York")
    assert infer_freq(index) == "B"


def test_intraday_bars_with_overnight_gaps(shared_data: Path) -> None:
    assert infer_freq(_dates(shared_data / "yahoo_fixtures" / "EA-15m-no-bad-divs.csv")) == "15min"


def test_hourly_and_month_end_and_quarter_end_and_yearly(sample_data: Path) -> None:
    taylor = _dates(sample_data / "pmdarima_taylor_halfhourly.csv")
    assert infer_freq(taylor[::2]) == "h"
    airline = _dates(sample_data / "sktime_airline.csv")
    assert infer_freq(airline + pd.offsets.MonthEnd(0)) == "ME"
    macro = _dates(sample_data / "statsmodels_macrodata.csv")
    assert infer_freq(macro + pd.offsets.QuarterEnd(0)) == "QE-DEC"
    assert infer_freq(macro[macro.month == 1]) == "YS"
    assert infer_freq(macro[macro.month == 1] + pd.offsets.YearEnd(0)) == "YE"


def test_no_regular_step_gives_none(sample_data: Path) -> None:
    index = _dates(sample_data / "pmdarima_msft.csv")
    rng = np.random.default_rng(0)
    irregular = index[np.cumsum(rng.integers(1, 60, size=100))]
    assert infer_freq(irregular) is None
    assert infer_freq(index[:1]) is None


def test_future_business_days_skip_the_weekend(sample_data: Path) -> None:
    index = _dates(sample_data / "pmdarima_msft.csv")
    assert index[-1] == pd.Timestamp("2017-11-10")  # a Friday
    future = future_dates(index, "B", 6)
    assert list(future.strftime("%Y-%m-%d")) == [
        "2017-11-13", "2017-11-14", "2017-11-15", "2017-11-16", "2017-11-17", "2017-11-20",
    ]


def test_future_business_days_cover_the_next_real_file(shared_data: Path) -> None:
    train = _dates(shared_data / "NSE-TATAGLOBAL.csv")
    test = _dates(shared_data / "tatatest.csv")
    future = future_dates(train, infer_freq(train), 18)
    assert future[0] == test[0]
    assert set(test) <= set(future)  # the 2 missing days are Indian market holidays


def test_future_month_starts(sample_data: Path) -> None:
    future = future_dates(_dates(sample_data / "sktime_airline.csv"), "MS", 3)
    assert list(future.strftime("%Y-%m-%d")) == ["1961-01-01", "1961-02-01", "1961-03-01"]


def test_future_half_hours_cross_midnight_and_keep_tz(sample_data: Path) -> None:
    index = _dates(sample_data / "pmdarima_taylor_halfhourly.csv")
    future = future_dates(index, "30min", 3)
    assert list(future.strftime("%Y-%m-%d %H:%M")) == [
        "2000-08-28 00:00", "2000-08-28 00:30", "2000-08-28 01:00",
    ]
    local = future_dates(index.tz_localize("Europe/London"), "30min", 2)
    assert str(local.tz) == "Europe/London"
    assert local[0] == pd.Timestamp("2000-08-28 00:00", tz="Europe/London")


def test_future_weekly_and_modal_step_when_freq_is_none(sample_data: Path) -> None:
    co2 = _dates(sample_data / "statsmodels_co2_weekly.csv")
    assert list(future_dates(co2, "W-SAT", 2).strftime("%Y-%m-%d")) == ["2002-01-05", "2002-01-12"]
    assert list(future_dates(co2, None, 2).strftime("%Y-%m-%d")) == ["2002-01-05", "2002-01-12"]


def test_future_business_day_after_a_weekend_session(shared_data: Path) -> None:
    index = _dates(shared_data / "NSE-TATAGLOBAL.csv")
    saturday = index[index.day_of_week == 5][0]
    future = future_dates(index[index <= saturday], "B", 1)
    assert future[0].day_of_week == 0 and future[0] > saturday


@pytest.mark.parametrize(
    ("freq", "length"),
    [
        ("MS", 12), ("ME", 12), ("QS-JAN", 4), ("QE-DEC", 4), ("W-SAT", 52), ("B", 5),
        ("D", 7), ("h", 24), ("30min", 48), ("15min", 96), ("YS", 1), ("YE", 1), (None, None),
    ],
)
def test_season_length(freq: str | None, length: int | None) -> None:
    assert season_length(freq) == length


def test_season_length_of_nonsense_is_none() -> None:
    assert season_length("not-a-freq") is None
