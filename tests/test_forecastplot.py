"""predict --plot: the chart has history, forecast, bands and labels (checked as objects, not pixels)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from cli_runner import invoke

from forecast import api
from forecast.forecastplot import forecast_figure

ROOT = Path(__file__).resolve().parent.parent
CO2 = ROOT / "sample_data" / "statsmodels_co2_weekly.csv"
AIRLINE = ROOT / "sample_data" / "sktime_airline.csv"
WEATHER = ROOT / "sample_data" / "vega_seattle_weather.csv"
FAST = ["--epochs", "1", "--hidden", "4", "-q"]


def _parts(fig: object) -> tuple[list[str], str, int, str]:
    ax = fig.axes[0]  # type: ignore[attr-defined]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    return legend, ax.get_ylabel(), len(ax.collections), ax.get_title(loc="left")


def test_chart_of_a_model_with_intervals(model_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke(capsys, "train", CO2, "--name", "co2", *FAST)[0] == 0
    result = api.predict(model="co2")
    assert {0.05, 0.1, 0.9, 0.95} <= set(result.forecast.quantiles)
    legend, ylabel, bands, title = _parts(forecast_figure(result.series, result.forecast, model="co2"))
    assert legend == ["co2 (history)", "90% interval", "80% interval", "co2 forecast"]
    assert ylabel == "co2" and bands == 2 and "co2" in title and "12 steps ahead" in title
    line = forecast_figure(result.series, result.forecast, model="co2").axes[0].lines[1]
    assert np.allclose(line.get_ydata()[1:], result.forecast.point)  # the forecast, joined to the last value
    assert line.get_ydata()[0] == result.series.y[-1]


def test_chart_without_intervals_says_so(model_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Rolled out past the trained horizon, a forecast has intervals only on its first H steps:
    the chart says so (and a forecast with none says that)."""
    assert invoke(capsys, "train", AIRLINE, "--name", "air", *FAST)[0] == 0
    assert api.predict(model="air").forecast.quantiles  # conformal intervals at any length
    result = api.predict(model="air", horizon=30)
    low = result.forecast.quantiles[0.1]
    assert np.isfinite(low[:12]).all() and np.isnan(low[12:]).all()  # the trained 12 keep their band
    legend, ylabel, bands, title = _parts(forecast_figure(result.series, result.forecast, model="air"))
    assert bands == 2 and "(intervals for the first 12 steps)" in title and ylabel == "Passengers"
    bare = replace(result.forecast, quantiles={})
    assert "(no intervals)" in _parts(forecast_figure(result.series, bare, model="air"))[3]


def test_chart_of_classes(model_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke(capsys, "train", WEATHER, "--target", "weather", "--name", "wx", *FAST)[0] == 0
    result = api.predict(model="wx")
    fig = forecast_figure(result.series, result.forecast, model="wx")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == list(result.forecast.classes) and fig.axes[0].get_ylabel() == "weather"


def test_predict_plot_writes_the_file(tmp_path: Path, model_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke(capsys, "train", CO2, "--name", "co2", *FAST)[0] == 0
    code, out, err = invoke(capsys, "predict", "--plot", tmp_path / "f.png")
    assert code == 0, err
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG" and "plotted" in out
    code, _, err = invoke(capsys, "predict", "--plot", tmp_path / "f.txt")
    assert code == 2 and "--plot" in err


def test_predict_horizon_shorter_and_longer(model_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke(capsys, "train", CO2, "--name", "co2", *FAST)[0] == 0
    full = json.loads(invoke(capsys, "predict", "--json")[1])
    short = json.loads(invoke(capsys, "predict", "--json", "--horizon", "3")[1])
    assert short["forecast"] == full["forecast"][:3]
    code, out, err = invoke(capsys, "predict", "--json", "--horizon", "30")
    assert code == 0, err
    long = json.loads(out)
    assert len(long["forecast"]) == 30
    assert [r["yhat"] for r in long["forecast"][:12]] == [r["yhat"] for r in full["forecast"]]
    assert any("rolled out" in note for note in long["notes"])
    dates = [r["ds"] for r in long["forecast"]]
    assert len(set(dates)) == 30 and dates == sorted(dates)
    # rolled out = the model's own forecast fed back: recompute step 13 independently
    result = api.predict(model="co2")
    from forecast.data.series import SeriesData

    s = result.series
    grown = SeriesData(np.concatenate([s.dates, result.forecast.dates]),
                       np.concatenate([s.values, result.forecast.point[:, None]]),
                       s.target, s.features, s.freq, s.source, s.name)
    _, _, forecaster = api.load_model("co2")
    assert long["forecast"][12]["yhat"] == pytest.approx(float(forecaster.predict(grown).point[0]))


def test_train_plot(tmp_path: Path, model_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = invoke(capsys, "train", CO2, *FAST, "--plot", tmp_path / "t.svg")
    assert code == 0, err
    assert (tmp_path / "t.svg").read_text().lstrip().startswith("<?xml") and "plotted" in out
    code, _, err = invoke(capsys, "train", CO2, *FAST, "--plot", tmp_path / "t.txt")
    assert code == 2 and "--plot" in err and not (model_home / "models" / "statsmodels_co2_weekly-lstm"
                                                   / "v0002.joblib").exists()
