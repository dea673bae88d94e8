"""Every shape of real data trains and predicts from the CLI with the right future dates."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from cli_runner import invoke

from forecast.config import DataSpec
from forecast.data.sources import read_series

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"

# file -> (data options, the first forecast date or step, worked out by hand from the last row)
FILES: dict[str, tuple[tuple[str, ...], str]] = {
    "NSE-TATAGLOBAL.csv": ((), "2018-10-01T00:00:00"),  # Friday 2018-09-28 -> Monday
    "nyse_prices_split_adjusted_4sym.csv": (("--series", "AAL"), "2017-01-02T00:00:00"),
    "pmdarima_msft.csv": ((), "2017-11-13T00:00:00"),  # Friday -> Monday
    "pmdarima_taylor_halfhourly.csv": ((), "2000-08-28T00:00:00"),  # 23:30 -> midnight
    "sktime_airline.csv": ((), "1961-01-01T00:00:00"),
    "statsmodels_co2_weekly.csv": ((), "2002-01-05T00:00:00"),  # Saturdays
    "statsmodels_macrodata.csv": (("--target", "realgdp"), "2009-10-01T00:00:00"),
    "tatatest.csv": ((), "2018-10-25T00:00:00"),
    "vega_seattle_weather.csv": (("--target", "temp_max"), "2016-01-01T00:00:00"),
    "tuning/datasets_nottem_monthly.csv": ((), "1940-01-01T00:00:00"),
    "tuning/datasets_ukgas_quarterly.csv": ((), "1987-01-01T00:00:00"),
    "tuning/datasets_usaccdeaths_monthly.csv": ((), "1979-01-01T00:00:00"),
    "tuning/forecast_gas_monthly.csv": ((), "1995-09-01T00:00:00"),
    "tuning/fpp2_a10_monthly.csv": ((), "2008-07-01T00:00:00"),
    "tuning/fpp2_ausbeer_quarterly.csv": ((), "2010-07-01T00:00:00"),
    "tuning/fpp2_auscafe_monthly.csv": ((), "2017-10-01T00:00:00"),
    "tuning/fpp2_elecdaily_daily.csv": (("--target", "demand_gwh"), "2015-01-01T00:00:00"),
    "tuning/fpp2_elecdemand_halfhourly.csv": (("--target", "demand_gw"), "2015-01-01T00:00:00"),
    "tuning/fpp2_euretail_quarterly.csv": ((), "2012-01-01T00:00:00"),
    "tuning/fpp2_gasoline_weekly.csv": ((), "2017-01-21T00:00:00"),
    "tuning/fpp2_h02_monthly.csv": ((), "2008-07-01T00:00:00"),
    "tuning/fpp2_hyndsight_daily.csv": ((), "2015-04-30T00:00:00"),  # dd/mm/YYYY dates
    "tuning/fpp2_qcement_quarterly.csv": ((), "2014-04-01T00:00:00"),
    "tuning/fpp2_usmelec_monthly.csv": ((), "2013-07-01T00:00:00"),
    "tuning/fpp2_visnights_wide_quarterly.csv": (("--target", "NSWMetro"), "2017-01-01T00:00:00"),  # 2016 Q4
    "tuning/fpp2_goog_trading_days.csv": ((), "1001"),  # integer index t = 1..1000
    "tuning/forecast_gold_daily_missing.csv": ((), "1109"),
    "tuning/datasets_eustockmarkets_long.csv": (("--series", "DAX"), "1861"),
}
SMALL = ("--epochs", "1", "--hidden", "8", "--layers", "1", "--horizon", "3")  # quick, not accurate


def test_every_shared_file_is_listed(shared_data: Path) -> None:
    on_disk = {str(p.relative_to(shared_data)) for p in [*shared_data.glob("*.csv"), *shared_data.glob("tuning/*.csv")]}
    assert on_disk == set(FILES)


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_shared_file_trains_and_predicts(
    name: str, shared_data: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    options, first = FILES[name]
    code, out, err = invoke(capsys, "train", shared_data / name, *options, *SMALL, "--json", "--name", "m")
    assert code == 0, err
    assert str(json.loads(out)["forecast"][0]["ds"]) == first
    code, out, err = invoke(capsys, "predict", "--model", "m", "--json")
    assert code == 0, err
    steps = json.loads(out)["forecast"]
    assert [str(row["ds"]) for row in steps][:1] == [first] and len(steps) == 3


QUARTERS = ["{y} Q{q}", "{y}Q{q}", "{y}-Q{q}", "Q{q} {y}", "{y}-q{q}", "Q{q}-{y}"]


@pytest.mark.parametrize("spelling", QUARTERS)
def test_quarters_in_every_spelling(spelling: str, sample_data: Path, tmp_path: Path) -> None:
    macro = pd.read_csv(sample_data / "statsmodels_macrodata.csv")
    when = [spelling.format(y=int(y), q=int(q)) for y, q in zip(macro["year"], macro["quarter"])]
    path = tmp_path / "macro_quarters.csv"
    pd.DataFrame({"when": when, "realgdp": macro["realgdp"]}).to_csv(path, index=False)
    series = read_series(DataSpec(path=str(path)))
    assert series.freq == "QS-JAN" and len(series) == len(macro)
    assert str(series.dates[0])[:10] == "1959-01-01" and str(series.future_dates(1)[0])[:10] == "2009-10-01"


def test_held_out_quarterly_file_trains_from_the_cli(
    sample_data: Path, tmp_path: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    macro = pd.read_csv(sample_data / "statsmodels_macrodata.csv")
    path = tmp_path / "macro.csv"
    pd.DataFrame({"date": [f"{int(y)} Q{int(q)}" for y, q in zip(macro["year"], macro["quarter"])],
                  "unemp": macro["unemp"]}).to_csv(path, index=False)
    code, out, err = invoke(capsys, "train", path, *SMALL, "--json")
    assert code == 0, err
    assert [row["ds"] for row in json.loads(out)["forecast"]] == [
        "2009-10-01T00:00:00", "2010-01-01T00:00:00", "2010-04-01T00:00:00"]


def _wide(shared_data: Path) -> Path:
    return shared_data / "tuning" / "fpp2_visnights_wide_quarterly.csv"


def test_targets_train_one_model_per_column(
    shared_data: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = invoke(capsys, "train", _wide(shared_data), "--targets", "NSWMetro,QLDMetro", *SMALL, "--json")
    assert code == 0, err
    models = json.loads(out)["models"]
    assert [m["series"] for m in models] == ["NSWMetro", "QLDMetro"] and all(m["rows"] == 76 for m in models)
    code, out, err = invoke(capsys, "predict", "--model", models[1]["model"], "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["target"] == "QLDMetro" and result["forecast"][0]["ds"] == "2017-01-01T00:00:00"


def test_targets_all_with_global_is_one_model_across_columns(
    shared_data: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    columns = pd.read_csv(_wide(shared_data), nrows=1).columns[1:].tolist()
    code, out, err = invoke(capsys, "train", _wide(shared_data), "--targets", "all", "--global", *SMALL,
                            "--json", "--name", "g")
    assert code == 0, err
    assert json.loads(out)["series"] == columns and len(columns) == 20
    code, out, err = invoke(capsys, "predict", "--model", "g", "--series", "VICMetro", "--json")
    assert code == 0, err
    assert json.loads(out)["target"] == "VICMetro"


def test_unknown_target_column_is_named(
    shared_data: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = invoke(capsys, "train", _wide(shared_data), "--targets", "NSWMetro,Atlantis", *SMALL)
    assert code == 2 and "no column 'Atlantis' for --targets" in err and "\n" not in err.strip()


def test_step_index_prints_numbered_steps(
    shared_data: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold = shared_data / "tuning" / "forecast_gold_daily_missing.csv"
    code, out, err = invoke(capsys, "train", gold, *SMALL)
    assert code == 0, err
    assert "1109" in out and "1970" not in out and "is a step index" in out + err
    code, out, err = invoke(capsys, "predict", "--json")  # the second read comes from the snapshot
    assert code == 0, err
    assert [row["ds"] for row in json.loads(out)["forecast"]] == [1109, 1110, 1111]


def test_freq_steps_forces_a_step_index(sample_data: Path, tmp_path: Path) -> None:
    macro = pd.read_csv(sample_data / "statsmodels_macrodata.csv")
    path = tmp_path / "years.csv"
    pd.DataFrame({"year": range(1901, 1901 + len(macro)), "realgdp": macro["realgdp"]}).to_csv(path, index=False)
    assert read_series(DataSpec(path=str(path))).freq == "YS"  # bare years are dates
    steps = read_series(DataSpec(path=str(path), freq="steps"))
    from forecast.data.dates import as_datetimes

    n = len(macro)
    assert steps.freq == "steps" and as_datetimes(steps.future_dates(2), steps.tz) == [1901 + n, 1902 + n]


def test_freq_override_and_contradiction(sample_data: Path) -> None:
    msft = str(sample_data / "pmdarima_msft.csv")
    daily = read_series(DataSpec(path=msft, freq="D"))  # business days lie on the daily calendar
    assert daily.freq == "D" and str(daily.future_dates(1)[0])[:10] == "2017-11-11"
    assert "frequency: D (from --freq)" in daily.notes
    from forecast.errors import ConfigError, DataError

    off = r"dates off the --freq W-SUN calendar at rows 2, 3, 4, 5, 6 and \d+ more.*says B"
    with pytest.raises(DataError, match=off):
        read_series(DataSpec(path=msft, freq="W-SUN"))
    with pytest.raises(ConfigError, match="--freq 'fortnightly' is not a frequency"):
        read_series(DataSpec(path=msft, freq="fortnightly"))


def test_generate_and_evaluate_on_a_step_index(
    shared_data: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    goog = shared_data / "tuning" / "fpp2_goog_trading_days.csv"
    code, _, err = invoke(capsys, "train", goog, *SMALL)
    assert code == 0, err
    code, out, err = invoke(capsys, "generate", "--steps", "3", "--paths", "5")
    assert code == 0, err
    assert "1001" in out and "1970" not in out
    code, out, err = invoke(capsys, "evaluate", goog, "--folds", "2", "--models", "lstm", *SMALL)
    assert code == 0, err


def test_fractional_steps_and_yyyymmdd_days(sample_data: Path, tmp_path: Path) -> None:
    air = pd.read_csv(sample_data / "sktime_airline.csv")
    sensor = tmp_path / "sensor.csv"  # a reading every half second since the start
    seconds = [0.5 * i for i in range(len(air))]
    pd.DataFrame({"seconds": seconds, "value": air["Passengers"]}).to_csv(sensor, index=False)
    series = read_series(DataSpec(path=str(sensor)))
    from forecast.data.dates import as_datetimes

    assert series.freq == "steps" and as_datetimes(series.future_dates(2), series.tz) == [72.0, 72.5]
    days = tmp_path / "days.csv"
    stamps = pd.to_datetime(air["Date"]).dt.strftime("%Y%m%d")
    pd.DataFrame({"date": stamps, "value": air["Passengers"]}).to_csv(days, index=False)
    assert read_series(DataSpec(path=str(days))).freq == "MS"  # 19490101: a date, not a step
