"""Reading real CSV files, and the errors for broken copies of them."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecast.config import DataSpec
from forecast.data.csv import list_symbols, read_csv_series
from forecast.data.series import SeriesData
from forecast.errors import ConfigError, DataError, NotFoundError

# name -> (extra spec fields, target, freq, rows)
EXPECTED: dict[str, tuple[dict[str, object], str, str, int]] = {
    "pmdarima_msft.csv": ({}, "Close", "B", 7983),
    "sktime_airline.csv": ({}, "Passengers", "MS", 144),
    "statsmodels_co2_weekly.csv": ({}, "co2", "W-SAT", 2284),
    "pmdarima_taylor_halfhourly.csv": ({}, "demand_mw", "30min", 4032),
    "statsmodels_macrodata.csv": ({"target": "realgdp"}, "realgdp", "QS-JAN", 203),
    "vega_seattle_weather.csv": ({"target": "weather"}, "weather", "D", 1461),
    "NSE-TATAGLOBAL.csv": ({}, "Close", "B", 2035),
    "tatatest.csv": ({}, "Close", "B", 16),
    "nyse_prices_split_adjusted_4sym.csv": ({"series": "AAL"}, "close", "B", 1762),
}


def _read(path: Path, **fields: object) -> SeriesData:
    return read_csv_series(DataSpec(path=str(path), **fields))  # type: ignore[arg-type]


def _check_valid(series: SeriesData) -> None:
    frame = series.frame
    assert isinstance(frame.index, pd.DatetimeIndex) and frame.index.name == "ds"
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert list(frame.columns) == [series.target, *series.features]
    assert all(dtype == np.float64 for dtype in frame.dtypes)
    assert np.isfinite(series.x).all()


def _check_expected(path: Path) -> SeriesData:
    fields, target, freq, rows = EXPECTED[path.name]
    series = _read(path, **fields)
    _check_valid(series)
    assert (series.target, series.freq, len(series)) == (target, freq, rows)
    assert series.source == str(path)
    return series


def test_every_sample_csv_loads(sample_data: Path) -> None:
    files = sorted(sample_data.glob("*.csv"))
    assert files
    for path in files:
        _check_expected(path)


def test_every_shared_csv_loads(shared_data: Path) -> None:
    files = sorted(shared_data.glob("*.csv"))
    assert {p.name for p in files} <= set(EXPECTED)
    for path in files:
        _check_expected(path)
    for path in sorted((shared_data / "yahoo_fixtures").glob("*.csv")):
        unadjusted = path.name == "4063-T-1d-bad-stock-split.csv"  # refused without (test_data_audit)
        series = _read(path, allow_jumps=unadjusted)
        _check_valid(series)
        assert series.target == "Close" and series.freq in {"B", "W-MON", "15min"}


def test_default_target_is_noted(sample_data: Path) -> None:
    msft = _read(sample_data / "pmdarima_msft.csv")
    assert msft.name == "pmdarima_msft"
    assert "target: Close (default; --target to change)" in msft.notes
    airline = _read(sample_data / "sktime_airline.csv")
    assert airline.y[:3].tolist() == [112.0, 118.0, 132.0]
    assert any("Passengers" in note for note in airline.notes)


def test_several_numeric_columns_need_target(sample_data: Path) -> None:
    with pytest.raises(ConfigError, match=r"14 numeric columns \(year, quarter, realgdp.*pass --target COL"):
        _read(sample_data / "statsmodels_macrodata.csv")


def test_unknown_target_lists_the_columns(sample_data: Path) -> None:
    with pytest.raises(ConfigError, match="no column 'Volume' for --target; columns: Date, Passengers"):
        _read(sample_data / "sktime_airline.csv", target="Volume")


def test_co2_gaps_are_filled_by_interpolation(sample_data: Path) -> None:
    series = _read(sample_data / "statsmodels_co2_weekly.csv")
    assert "filled 59 missing values in co2 by interpolation (--fill to change)" in series.notes
    # 1958-05-10 is empty, between 316.9 and 317.5 a week either side
    assert series.frame.loc["1958-05-10", "co2"] == pytest.approx((316.9 + 317.5) / 2)


def test_co2_fill_policies(sample_data: Path) -> None:
    path = sample_data / "statsmodels_co2_weekly.csv"
    assert _read(path, fill="ffill").frame.loc["1958-05-10", "co2"] == pytest.approx(316.9)
    dropped = _read(path, fill="drop")
    assert len(dropped) == 2284 - 59 and pd.Timestamp("1958-05-10") not in dropped.frame.index
    with pytest.raises(DataError) as err:
        _read(path, fill="error")
    message = str(err.value)
    assert "statsmodels_co2_weekly.csv" in message and "column 'co2'" in message
    assert "rows 8, 11, 12, 13, 14 and 54 more" in message and "--fill interpolate|ffill|drop" in message


def test_nse_is_sorted_ascending(shared_data: Path) -> None:
    series = _read(shared_data / "NSE-TATAGLOBAL.csv")
    assert series.index[0] == pd.Timestamp("2010-07-21") and series.y[0] == pytest.approx(121.55)
    assert series.index[-1] == pd.Timestamp("2018-09-28") and series.y[-1] == pytest.approx(233.75)
    assert "rows were not in date order; sorted ascending" in series.notes


def test_long_format_needs_a_series(shared_data: Path) -> None:
    path = shared_data / "nyse_prices_split_adjusted_4sym.csv"
    with pytest.raises(ConfigError, match=r"file has 4 series \(AAL, DOW, EQIX, ZION\).*--series SYMBOL"):
        _read(path)
    with pytest.raises(NotFoundError, match="no series 'IBM'.*available: AAL, DOW, EQIX, ZION"):
        _read(path, series="IBM")
    assert list_symbols(path) == ["AAL", "DOW", "EQIX", "ZION"]


def test_long_format_one_series_with_unpadded_us_dates(shared_data: Path) -> None:
    path = shared_data / "nyse_prices_split_adjusted_4sym.csv"
    assert path.read_bytes().count(b"\r\n") > 7000  # CRLF line ends
    series = _read(path, series="AAL", features=("open", "volume"))
    assert series.name == "AAL"
    assert series.index[0] == pd.Timestamp("2010-01-04")  # "1/4/2010": month first
    assert series.x[0].tolist() == [4.77, 4.84, 9837300.0]
    assert any("month/day/year" in note for note in series.notes)


def test_weather_is_a_five_class_target(sample_data: Path) -> None:
    series = _read(sample_data / "vega_seattle_weather.csv", target="weather")
    assert series.classes == ("drizzle", "fog", "rain", "snow", "sun")
    assert series.y[:3].tolist() == [0.0, 2.0, 2.0]  # drizzle, rain, rain
    assert set(np.unique(series.y)) == {0.0, 1.0, 2.0, 3.0, 4.0}


def test_features_follow_the_target(sample_data: Path) -> None:
    series = _read(sample_data / "pmdarima_msft.csv", features=("Open", "Volume"))
    assert series.features == ("Open", "Volume")
    assert list(series.frame.columns) == ["Close", "Open", "Volume"]
    with pytest.raises(ConfigError, match="no column 'Vol' for --features; columns: Date, Open"):
        _read(sample_data / "pmdarima_msft.csv", features=("Vol",))


def test_text_feature_is_refused(sample_data: Path) -> None:
    with pytest.raises(DataError, match="feature column 'weather' holds text"):
        _read(sample_data / "vega_seattle_weather.csv", target="temp_max", features=("weather",))


def test_timezone_offsets_keep_the_trading_dates(shared_data: Path) -> None:
    series = _read(shared_data / "yahoo_fixtures" / "IBE-MC-1d-no-bad-divs.csv")
    assert series.index.tz is None
    assert series.index[0] == pd.Timestamp("2022-01-03")
    assert any("+01:00, +02:00" in note for note in series.notes)


def test_missing_file() -> None:
    with pytest.raises(NotFoundError, match=r"data file 'nope/x\.csv' not found; check the path"):
        _read(Path("nope/x.csv"))


# ---- broken copies of real files -------------------------------------------------


def _airline_lines(sample_data: Path) -> list[str]:
    return (sample_data / "sktime_airline.csv").read_text().splitlines()


def _write(tmp_path: Path, lines: list[str], name: str = "airline.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _message(path: Path, error: type[Exception], **fields: object) -> str:
    with pytest.raises(error) as err:
        _read(path, **fields)
    message = str(err.value)
    assert "\n" not in message and path.name in message
    return message


def test_text_in_a_number_cell(sample_data: Path, tmp_path: Path) -> None:
    lines = _airline_lines(sample_data)
    lines[4] = lines[4].split(",")[0] + ",abc"
    message = _message(_write(tmp_path, lines), DataError)
    assert "column 'Passengers'" in message and "rows 5 " in message and "'abc'" in message
    assert "fix those cells" in message


def test_many_bad_cells_are_counted(sample_data: Path, tmp_path: Path) -> None:
    lines = _airline_lines(sample_data)
    for i in range(10, 20):
        lines[i] = lines[i].split(",")[0] + ",#VALUE!"  # an Excel error; 'n.a.' is a missing value now
    message = _message(_write(tmp_path, lines), DataError)
    assert "rows 11, 12, 13, 14, 15 and 5 more" in message


def test_infinite_value(sample_data: Path, tmp_path: Path) -> None:
    lines = _airline_lines(sample_data)
    lines[7] = lines[7].split(",")[0] + ",inf"
    message = _message(_write(tmp_path, lines), DataError)
    assert "column 'Passengers' has infinite values at rows 8" in message


def test_empty_cells_are_missing_values(sample_data: Path, tmp_path: Path) -> None:
    lines = _airline_lines(sample_data)
    lines[3] = lines[3].split(",")[0] + ","
    series = _read(_write(tmp_path, lines))
    # 1949-03 lies 28 of the 59 days from Feb (118) to Apr (129): time-linear
    assert series.y[2] == pytest.approx(118 + (129 - 118) * 28 / 59)
    assert "filled 1 missing values in Passengers by interpolation (--fill to change)" in series.notes


def test_duplicate_date(sample_data: Path, tmp_path: Path) -> None:
    lines = _airline_lines(sample_data)
    lines.insert(3, lines[2])
    message = _message(_write(tmp_path, lines), DataError)
    assert "column 'Date' has repeated dates (1 in all; e.g. 1949-02-01 at rows 3, 4)" in message
    assert "dedupe the file" in message


def test_bad_date(sample_data: Path, tmp_path: Path) -> None:
    lines = _airline_lines(sample_data)
    lines[6] = "1949-13," + lines[6].split(",")[1]
    message = _message(_write(tmp_path, lines), DataError)
    assert "column 'Date' has dates that cannot be read at rows 7 (e.g. '1949-13')" in message
    assert "YYYY-MM-DD" in message


def test_dropped_target_column(sample_data: Path, tmp_path: Path) -> None:
    lines = [line.split(",")[0] for line in _airline_lines(sample_data)]
    path = _write(tmp_path, lines)
    assert "no numeric column" in _message(path, DataError)
    assert "no column 'Passengers' for --target; columns: Date" in _message(path, ConfigError, target="Passengers")


def test_empty_and_header_only_files(sample_data: Path, tmp_path: Path) -> None:
    assert "empty" in _message(_write(tmp_path, [], "empty.csv"), DataError)
    assert "no data rows" in _message(_write(tmp_path, _airline_lines(sample_data)[:1]), DataError)


def test_crlf_and_blank_lines_read_the_same(sample_data: Path, tmp_path: Path) -> None:
    lines = _airline_lines(sample_data)
    path = tmp_path / "crlf.csv"
    path.write_bytes(("\r\n".join(lines[:5] + [""] + lines[5:]) + "\r\n").encode())
    pd.testing.assert_frame_equal(_read(path).frame, _read(sample_data / "sktime_airline.csv").frame)


def test_ambiguous_day_month_order(sample_data: Path, tmp_path: Path) -> None:
    lines = _airline_lines(sample_data)
    swapped = [lines[0]] + [re.sub(r"^(\d{4})-(\d{2})", r"01/\2/\1", line) for line in lines[1:]]
    path = _write(tmp_path, swapped)
    message = _message(path, DataError)
    assert "column 'Date'" in message and "'01/01/1949'" in message
    assert "--dayfirst or --no-dayfirst" in message
    original = _read(sample_data / "sktime_airline.csv").frame
    pd.testing.assert_frame_equal(_read(path, dayfirst=True).frame, original)


def test_two_digit_day_first_years_are_inferred(sample_data: Path, tmp_path: Path) -> None:
    lines = (sample_data / "pmdarima_msft.csv").read_text().splitlines()
    european = [lines[0]] + [
        re.sub(r"^\d{2}(\d{2})-(\d{2})-(\d{2})", r"\3/\2/\1", line) for line in lines[1:]
    ]
    assert european[1].startswith("13/03/86,")
    series = _read(_write(tmp_path, european, "msft_eu.csv"))
    pd.testing.assert_frame_equal(series.frame, _read(sample_data / "pmdarima_msft.csv").frame)
    assert any("day/month/year" in note for note in series.notes)


def test_date_column_found_by_content_and_bare_years(sample_data: Path, tmp_path: Path) -> None:
    lines = _airline_lines(sample_data)
    series = _read(_write(tmp_path, ["when,Passengers"] + lines[1:]))
    assert series.freq == "MS" and any("found by content" in note for note in series.notes)
    macro = pd.read_csv(sample_data / "statsmodels_macrodata.csv")
    yearly = macro[macro["quarter"] == 1][["year", "realgdp"]]
    path = tmp_path / "yearly.csv"
    yearly.to_csv(path, index=False)
    series = _read(path)
    assert series.freq == "YS" and series.index[0] == pd.Timestamp("1959-01-01")


def test_mixed_labels_and_numbers(sample_data: Path, tmp_path: Path) -> None:
    lines = (sample_data / "vega_seattle_weather.csv").read_text().splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0] + ",3"
    message = _message(_write(tmp_path, lines, "weather.csv"), DataError, target="weather")
    assert "column 'weather' mixes text labels and numbers (numbers at rows 3)" in message


def test_series_option_on_a_single_series_file(sample_data: Path) -> None:
    with pytest.raises(ConfigError, match="drop --series"):
        _read(sample_data / "sktime_airline.csv", series="AAL")
    assert list_symbols(sample_data / "sktime_airline.csv") == []


CO2_ROWS = 2284


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.large_base_example],
)
@given(order=st.permutations(range(CO2_ROWS)))
def test_row_order_does_not_matter(sample_data: Path, tmp_path: Path, order: list[int]) -> None:
    lines = (sample_data / "statsmodels_co2_weekly.csv").read_text().splitlines()
    assert len(lines) == CO2_ROWS + 1
    path = _write(tmp_path, [lines[0]] + [lines[1 + i] for i in order], "shuffled.csv")
    shuffled = _read(path)
    original = _read(sample_data / "statsmodels_co2_weekly.csv")
    pd.testing.assert_frame_equal(shuffled.frame, original.frame)
    assert shuffled.fingerprint() == original.fingerprint()
