"""Forecast dates on an exchange's trading days (--calendar, or a Yahoo ticker's suffix)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cli_runner import invoke

from forecast.config import DataSpec
from forecast.data.dates import next_dates
from forecast.data.exchanges import for_ticker, next_sessions
from forecast.data.sources import read_series

SMALL = ("--epochs", "1", "--hidden", "8", "--layers", "1")


def _dates(out: str) -> list[str]:
    return [row["ds"][:10] for row in json.loads(out)["forecast"]]


def test_tata_skips_nse_holidays_with_calendar_xnse(
    shared_data: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tata = shared_data / "NSE-TATAGLOBAL.csv"  # last row 2018-09-28, a Friday
    code, out, err = invoke(capsys, "train", tata, "--calendar", "XNSE", "--horizon", "14", *SMALL, "--json")
    assert code == 0, err
    days = _dates(out)
    assert "2018-10-02" not in days and "2018-10-18" not in days  # Gandhi Jayanti, Dussehra
    assert days[:3] == ["2018-10-01", "2018-10-03", "2018-10-04"] and len(days) == 14
    code, out, err = invoke(capsys, "predict", "--json")  # re-read through the snapshot
    assert code == 0, err
    assert _dates(out) == days


def test_plain_weekdays_stay_the_default_for_csvs(shared_data: Path) -> None:
    tata = read_series(DataSpec(path=str(shared_data / "NSE-TATAGLOBAL.csv")))
    assert tata.freq == "B"
    assert [str(d)[:10] for d in tata.future_dates(2)] == ["2018-10-01", "2018-10-02"]


def test_nyse_new_year_holiday(shared_data: Path) -> None:
    spec = DataSpec(path=str(shared_data / "nyse_prices_split_adjusted_4sym.csv"), series="AAL")
    assert str(read_series(spec).future_dates(1)[0])[:10] == "2017-01-02"  # weekdays: a holiday
    nyse = read_series(DataSpec(**{**spec.__dict__, "calendar": "xnys"}))  # case does not matter
    assert nyse.freq == "sessions:XNYS" and str(nyse.future_dates(1)[0])[:10] == "2017-01-03"


def test_sessions_keep_the_unit_and_time_of_day() -> None:
    last = np.array(["2018-09-28T09:15"], dtype="M8[m]")
    days = next_sessions(last, "XNSE", 2)
    assert days.dtype == last.dtype and [str(d) for d in days] == ["2018-10-01T09:15", "2018-10-03T09:15"]
    assert next_dates(last, "sessions:XNSE", 2).tolist() == days.tolist()


@pytest.mark.parametrize(("ticker", "mic"), [("AAPL", "XNYS"), ("TATAGLOBAL.NS", "XNSE"), ("WSU.DE", "XETR"),
                                             ("VOD.L", "XLON"), ("7203.T", "XTKS"), ("X.UNKNOWN", "")])
def test_exchange_from_the_yahoo_suffix(ticker: str, mic: str) -> None:
    assert for_ticker(ticker) == mic


def test_bad_calendar_and_calendar_on_monthly_data(
    sample_data: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = invoke(capsys, "train", sample_data / "pmdarima_msft.csv", "--calendar", "XNOPE", *SMALL)
    assert code == 2 and "no such exchange calendar" in err and "\n" not in err.strip()
    code, _, err = invoke(capsys, "train", sample_data / "sktime_airline.csv", "--calendar", "XNYS", *SMALL)
    assert code == 2 and "data steps by MS; drop --calendar" in err


def test_calendar_in_a_job_file(shared_data: Path, tmp_path: Path, model_home: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    job = tmp_path / "job.toml"
    job.write_text(f'[[series]]\nname = "tata"\npath = "{shared_data / "NSE-TATAGLOBAL.csv"}"\n'
                   'calendar = "XNSE"\nhorizon = 14\nepochs = 1\nhidden = 8\nlayers = 1\n', encoding="utf-8")
    code, out, err = invoke(capsys, "retrain", "--config", job)
    assert code == 0, out + err
    code, out, err = invoke(capsys, "predict", "--model", "tata", "--json")
    assert code == 0, err
    assert "2018-10-02" not in _dates(out) and "2018-10-18" not in _dates(out)
