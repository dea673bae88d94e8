"""Dates without pandas: numpy's next dates equal pandas' on every calendar we infer."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.config import DataSpec
from forecast.data.calendar import future_dates
from forecast.data.csv import read_csv_series
from forecast.data.dates import _numpy_next, as_datetimes, from_index, next_dates, to_index

INFERRED = [
    "B", "D", "3D", "h", "2h", "30min", "15s",
    *(f"W-{d}" for d in ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")),
    "MS", "ME", "QS", "QE", "YS", "YE",
    *(f"QS-{m}" for m in ("JAN", "FEB", "MAR", "OCT", "NOV", "DEC")),
    *(f"QE-{m}" for m in ("JAN", "FEB", "MAR", "SEP", "NOV", "DEC")),
    "YS-JUL", "YE-JUN", "YE-JAN", "YS-DEC",
]


@settings(max_examples=300, deadline=None)
@given(
    freq=st.sampled_from(INFERRED),
    day=st.integers(0, 20_000),
    seconds=st.one_of(st.just(0), st.integers(1, 86_399)),
    unit=st.sampled_from(["s", "ms", "us", "ns"]),
    n=st.integers(1, 40),
)
def test_numpy_next_dates_equal_pandas(freq: str, day: int, seconds: int, unit: str, n: int) -> None:
    last = pd.Timestamp("1980-01-01") + pd.Timedelta(days=day, seconds=seconds)
    index = pd.DatetimeIndex([last - pd.Timedelta(days=3), last]).as_unit(unit)
    dates, _ = from_index(index)
    expected = from_index(future_dates(index, freq, n))[0]
    got = next_dates(dates, freq, n)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_numpy_path_covers_midnight_calendars() -> None:
    """The fast path really is taken for midnight dates on every inferred calendar."""
    dates = np.array(["2021-03-15", "2021-03-16"], dtype="M8[s]")
    assert all(_numpy_next(dates, freq, 3) is not None for freq in INFERRED)
    assert _numpy_next(dates, "2MS", 3) is None  # a multiple: left to pandas


@pytest.mark.parametrize(("name", "freq"), [("pmdarima_msft.csv", "B"), ("sktime_airline.csv", "MS"),
                                            ("statsmodels_co2_weekly.csv", "W-SAT"),
                                            ("pmdarima_taylor_halfhourly.csv", "30min"),
                                            ("statsmodels_macrodata.csv", "QS-JAN")])
def test_series_future_dates_on_real_files(sample_data: Path, name: str, freq: str) -> None:
    target = "realgdp" if "macrodata" in name else None
    series = read_csv_series(DataSpec(path=str(sample_data / name), target=target))
    assert series.freq == freq
    expected = future_dates(series.index, series.freq, 30)
    assert list(to_index(series.future_dates(30), name=None)) == list(expected)


def test_time_zones_go_through_pandas_and_keep_the_zone() -> None:
    index = pd.date_range("2023-03-24", periods=5, freq="B", tz="Europe/Berlin")  # DST on the 26th
    dates, tz = from_index(index)
    got = to_index(next_dates(dates, "B", 3, tz), tz, name=None)
    assert list(got) == list(future_dates(index, "B", 3))
    assert [d.utcoffset() for d in got] == [pd.Timedelta(hours=2)] * 3


def test_round_trip_and_python_datetimes() -> None:
    index = pd.DatetimeIndex(["2020-01-02 09:30", "2020-01-03 16:00"], tz="America/New_York")
    dates, tz = from_index(index)
    assert to_index(dates, tz, name=None).equals(index)
    aware = as_datetimes(dates, tz)
    assert aware == list(index.to_pydatetime())
    assert aware[0].isoformat() == index[0].isoformat() == "2020-01-02T09:30:00-05:00"
    naive = as_datetimes(np.array(["1969-12-31T23:59:59.5"], dtype="M8[ms]"))
    assert naive == [datetime(1969, 12, 31, 23, 59, 59, 500_000)]
    assert as_datetimes(np.array([0], dtype="M8[s]"), timezone.utc)[0] == datetime(1970, 1, 1, tzinfo=timezone.utc)
