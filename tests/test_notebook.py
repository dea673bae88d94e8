"""The Python API, used the way a notebook would: DataFrames in and out, the CLI's defaults,
errors as exceptions, the CLI's bundles."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_runner import invoke

import forecast
from forecast.errors import ConfigError, DataError

ROOT = Path(__file__).resolve().parent.parent
AIRLINE = ROOT / "sample_data" / "sktime_airline.csv"
MSFT = ROOT / "sample_data" / "pmdarima_msft.csv"
SMALL = {"epochs": 2, "hidden": 4, "layers": 1, "device": "cpu"}  # predictions compared to 1e-10: one device


def test_fit_predict_equals_the_cli_on_the_same_data(model_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    df = pd.read_csv(AIRLINE)  # Date, Passengers: as a user loads it
    model = forecast.fit(df, "lstm", horizon=6, **SMALL)
    table = model.predict()
    assert list(table.columns[:3]) == ["unique_id", "ds", "yhat"] and len(table) == 6
    assert pd.api.types.is_datetime64_any_dtype(table["ds"]) and table["ds"].iloc[0] == pd.Timestamp("1961-01-01")
    code, out, err = invoke(capsys, "train", AIRLINE, "--horizon", "6", "--epochs", "2", "--hidden", "4",
                            "--layers", "1", "--device", "cpu", "--json")
    assert code == 0, err
    cli = [row["yhat"] for row in json.loads(out)["forecast"]]
    np.testing.assert_allclose(table["yhat"].to_numpy(), cli, rtol=1e-10)  # same defaults, same answer


def test_long_frame_one_model_per_id_equals_each_alone() -> None:
    raw = pd.read_csv(MSFT).tail(300)
    long = pd.concat([raw[["Date", c]].rename(columns={"Date": "ds", c: "y"}).assign(unique_id=c)
                      for c in ("Open", "Close")])[["unique_id", "ds", "y"]]
    model = forecast.fit(long, horizon=3, **SMALL)
    both = model.predict()
    assert sorted(both["unique_id"].unique()) == ["Close", "Open"]
    alone = forecast.fit(raw[["Date", "Close"]], horizon=3, **SMALL).predict()
    np.testing.assert_allclose(both.loc[both["unique_id"] == "Close", "yhat"].to_numpy(), alone["yhat"].to_numpy(),
                               rtol=1e-10)


def test_a_series_with_a_date_index_and_new_data() -> None:
    frame = pd.read_csv(AIRLINE, parse_dates=["Date"]).set_index("Date")["Passengers"]
    model = forecast.fit(frame.iloc[:120], horizon=12, **SMALL)
    first = model.predict()
    later = model.predict(frame)  # the same model on the longer history
    assert first["ds"].iloc[0] == pd.Timestamp("1959-01-01") and later["ds"].iloc[0] == pd.Timestamp("1961-01-01")
    assert len(model.predict(horizon=3)) == 3


def test_evaluate_gives_the_leaderboard_as_a_frame() -> None:
    df = pd.read_csv(AIRLINE)
    result = forecast.evaluate(df, ["lstm"], folds=2, horizon=12, **SMALL)
    board = result.to_frame()
    assert {"lstm", "naive", "seasonal_naive", "drift", "mean"} <= set(board["model"])
    assert "mase" in board.columns
    folds = result.forecasts
    naive = folds[folds["model"] == "naive"]
    # naive repeats the last value before each cutoff: recompute it from the frame
    y = df["Passengers"].to_numpy()
    for cutoff, rows in naive.groupby("cutoff"):
        last = y[pd.to_datetime(df["Date"]) <= cutoff][-1]
        assert (rows["yhat"] == last).all()


def test_errors_are_exceptions_not_exits() -> None:
    bad = pd.DataFrame({"ds": pd.date_range("2020-01-01", periods=40, freq="D").astype(str),
                        "y": ["1.5"] * 20 + ["abc"] + ["2.0"] * 19})
    with pytest.raises(DataError, match="abc|text|number"):
        forecast.fit(bad, **SMALL)
    with pytest.raises(ConfigError, match="hiddn|unknown"):
        forecast.fit(pd.read_csv(AIRLINE), hiddn=4)
    with pytest.raises(ConfigError):
        forecast.fit(pd.read_csv(AIRLINE), lr=float("inf"))


def test_saved_model_is_the_clis_bundle(model_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    df = pd.read_csv(AIRLINE)
    model = forecast.fit(df, horizon=4, **SMALL)
    assert model.save("nb") == ["nb"]
    code, out, err = invoke(capsys, "predict", "--model", "nb", "--data", AIRLINE, "--json")
    assert code == 0, err
    cli = [row["yhat"] for row in json.loads(out)["forecast"]]
    np.testing.assert_allclose(model.predict()["yhat"].to_numpy(), cli, rtol=1e-10)
    with pytest.raises(ConfigError, match="fitted on a DataFrame"):
        forecast.load("nb").predict()  # no file to re-read: the message says to pass the data
    code, _, _ = invoke(capsys, "train", AIRLINE, "--name", "fromcli", "--epochs", "1", "--hidden", "4", "-q")
    assert code == 0
    loaded = forecast.load("fromcli")
    assert len(loaded.predict()) == 12 and len(forecast.generate(loaded, steps=3, paths=2)) == 6


def test_import_forecast_stays_light() -> None:
    code = "import sys, forecast; print(sorted({'torch', 'pandas'} & set(sys.modules))); forecast.fit"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"


def test_option_ranges_are_the_clis() -> None:
    with pytest.raises(ConfigError, match="dropout=0.95: must be between"):
        forecast.fit(pd.read_csv(AIRLINE), dropout=0.95)
    with pytest.raises(ConfigError, match="hidden=0: must be >= 1"):
        forecast.fit(pd.read_csv(AIRLINE), hidden=0)
