"""One seam for every source: CSV and Parquet give the same series and the same forecasts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_runner import invoke

from forecast.config import DataSpec
from forecast.data.series import SeriesData
from forecast.data.sources import load_all, read_series, series_names
from forecast.errors import DataError, NotFoundError

CASES = [("pmdarima_msft.csv", {}), ("sktime_airline.csv", {}),
         ("vega_seattle_weather.csv", {"target": "weather"}), ("statsmodels_co2_weekly.csv", {})]


def _same(a: SeriesData, b: SeriesData) -> None:
    assert np.array_equal(a.dates, b.dates)
    assert np.array_equal(a.values, b.values)
    assert (a.target, a.features, a.freq, a.classes, a.name) == (b.target, b.features, b.freq, b.classes, b.name)


@pytest.mark.parametrize(("name", "fields"), CASES)
@pytest.mark.parametrize("typed_dates", [False, True])
def test_parquet_reads_as_the_csv(name: str, fields: dict[str, str], typed_dates: bool,
                                  sample_data: Path, tmp_path: Path) -> None:
    csv = sample_data / name
    frame = pd.read_csv(csv)
    if typed_dates:  # a datetime64 column, as most tools write it
        frame[frame.columns[0]] = pd.to_datetime(frame[frame.columns[0]])
    parquet = tmp_path / f"{csv.stem}.parquet"
    frame.to_parquet(parquet)
    _same(read_series(DataSpec(path=str(parquet), **fields)), read_series(DataSpec(path=str(csv), **fields)))


def test_parquet_with_a_date_index_and_no_suffix(sample_data: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(sample_data / "sktime_airline.csv", parse_dates=["Date"]).set_index("Date")
    path = tmp_path / "sktime_airline"
    frame.to_parquet(path)  # no suffix: recognised by its PAR1 magic bytes
    _same(read_series(DataSpec(path=str(path))), read_series(DataSpec(path=str(sample_data / "sktime_airline.csv"))))


def test_parquet_long_format_lists_and_loads_every_series(shared_data: Path, tmp_path: Path) -> None:
    csv = shared_data / "nyse_prices_split_adjusted_4sym.csv"
    parquet = tmp_path / "nyse.parquet"
    pd.read_csv(csv).to_parquet(parquet)
    assert series_names(DataSpec(path=str(parquet))) == ["AAL", "DOW", "EQIX", "ZION"]
    for a, b in zip(load_all(DataSpec(path=str(parquet))), load_all(DataSpec(path=str(csv)))):
        _same(a, b)


def test_damaged_parquet_and_missing_file(sample_data: Path, tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    pd.read_csv(sample_data / "sktime_airline.csv").to_parquet(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataError, match=r"broken.parquet: cannot read as Parquet"):
        read_series(DataSpec(path=str(path)))
    with pytest.raises(NotFoundError, match="not found"):
        read_series(DataSpec(path=str(tmp_path / "absent.parquet")))


def _forecast(capsys: pytest.CaptureFixture[str], path: Path, *extra: str) -> list[dict[str, object]]:
    code, out, err = invoke(capsys, "train", path, "--epochs", "2", "--json", "--name", "m", *extra)
    assert code == 0, err
    trained = json.loads(out)["forecast"]
    code, out, err = invoke(capsys, "predict", "--model", "m", "--json")
    assert code == 0, err
    predicted = json.loads(out)
    assert json.dumps(predicted["forecast"] if isinstance(predicted, dict) else predicted)
    return trained


def test_csv_and_parquet_give_byte_identical_forecasts(
    sample_data: Path, tmp_path: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = sample_data / "sktime_airline.csv"
    parquet = tmp_path / "sktime_airline.parquet"
    frame = pd.read_csv(csv, parse_dates=["Date"])
    frame.to_parquet(parquet)
    assert json.dumps(_forecast(capsys, csv)) == json.dumps(_forecast(capsys, parquet))


def test_a_job_file_reads_parquet(sample_data: Path, tmp_path: Path, model_home: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    pd.read_csv(sample_data / "sktime_airline.csv").to_parquet(tmp_path / "air.parquet")
    job = tmp_path / "job.toml"
    job.write_text('[[series]]\nname = "air"\npath = "air.parquet"\nepochs = 2\n', encoding="utf-8")
    code, out, err = invoke(capsys, "retrain", "--config", job)
    assert code == 0, out + err
    code, out, err = invoke(capsys, "predict", "--model", "air", "--json")
    assert code == 0, err


def test_price_likeness_is_a_property_of_the_series(sample_data: Path) -> None:
    msft = read_series(DataSpec(path=str(sample_data / "pmdarima_msft.csv")))
    airline = read_series(DataSpec(path=str(sample_data / "sktime_airline.csv")))
    assert msft.price_like and not airline.price_like
    quoted = SeriesData(airline.dates, airline.values, "Passengers", (), "MS", "anywhere", "x", quotes=True)
    assert quoted.price_like and quoted.rows(0, 10).price_like


def _duckdb_file(frame: pd.DataFrame, path: Path, table: str = "prices") -> Path:
    duckdb = pytest.importorskip("duckdb", reason="the sql extra (pip install 'forecast[sql]') is not installed")
    with duckdb.connect(str(path)) as con:
        con.register("frame", frame)
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM frame")
    return path


def test_csv_parquet_and_duckdb_give_byte_identical_forecasts(
    sample_data: Path, tmp_path: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = sample_data / "sktime_airline.csv"
    frame = pd.read_csv(csv, parse_dates=["Date"])
    parquet = tmp_path / "air.parquet"
    frame.to_parquet(parquet)
    db = _duckdb_file(frame, tmp_path / "air.duckdb")
    from_csv = json.dumps(_forecast(capsys, csv))
    assert json.dumps(_forecast(capsys, parquet)) == from_csv
    assert json.dumps(_forecast(capsys, f"duckdb:{db}?table=prices")) == from_csv
    query = ("--query", "SELECT * FROM prices ORDER BY Date DESC")
    assert json.dumps(_forecast(capsys, f"duckdb:{db}", *query)) == from_csv


def test_duckdb_long_table_with_a_query_and_from_a_job_file(
    shared_data: Path, tmp_path: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pd.read_csv(shared_data / "nyse_prices_split_adjusted_4sym.csv")
    _duckdb_file(frame, tmp_path / "nyse.duckdb")
    spec = DataSpec(path=f"duckdb:{tmp_path / 'nyse.duckdb'}?table=prices")
    assert series_names(spec) == ["AAL", "DOW", "EQIX", "ZION"]
    _same(read_series(DataSpec(path=f"duckdb:{tmp_path / 'nyse.duckdb'}", series="AAL",
                               query="SELECT date, symbol, close FROM prices WHERE symbol = 'AAL'")),
          read_series(DataSpec(path=str(shared_data / "nyse_prices_split_adjusted_4sym.csv"), series="AAL")))
    job = tmp_path / "job.toml"
    job.write_text('[[series]]\nname = "aal"\npath = "duckdb:nyse.duckdb?table=prices"\nseries = "AAL"\n'
                   'epochs = 1\nhidden = 8\nlayers = 1\n', encoding="utf-8")
    code, out, err = invoke(capsys, "retrain", "--config", job)
    assert code == 0, out + err
    code, out, err = invoke(capsys, "predict", "--model", "aal", "--json")
    assert code == 0, err
    assert json.loads(out)["forecast"][0]["ds"] == "2017-01-02T00:00:00"


def test_duckdb_errors_are_one_line(sample_data: Path, tmp_path: Path, model_home: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    frame = pd.read_csv(sample_data / "sktime_airline.csv")
    db = _duckdb_file(frame, tmp_path / "air.duckdb")
    _duckdb_file(frame, db, table="other")
    cases = [
        ([f"duckdb:{db}"], 3, "name one with ?table=NAME (tables: other, prices)"),
        ([f"duckdb:{db}?table=nope"], 3, "no table 'nope'"),
        ([f"duckdb:{tmp_path / 'absent.duckdb'}?table=prices"], 3, "database file"),
        ([f"duckdb:{db}", "--query", "SELEC oops"], 4, "DuckDB could not run the query"),
        ([str(sample_data / "sktime_airline.csv"), "--query", "SELECT 1"], 2, "--query runs on a DuckDB source"),
    ]
    for args, code, words in cases:
        got, _, err = invoke(capsys, "train", *args, "--epochs", "1")
        assert (got, "\n" in err.strip()) == (code, False) and words in err, err


def test_missing_duckdb_says_how_to_install(sample_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from forecast.errors import ConfigError

    monkeypatch.setitem(sys.modules, "duckdb", None)  # as if the sql extra were absent
    with pytest.raises(ConfigError, match=r"pip install 'forecast\[sql\]'"):
        read_series(DataSpec(path="duckdb:prices.duckdb?table=prices"))
