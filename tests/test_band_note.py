"""A point forecast outside its own 80% band is said, never left for the user to puzzle over.

The band is calibrated on the chosen member's signed errors; when those lean one way the
band leans with them (the audit's Airline fit with ``--epochs 3``: 1961-12 at 460.3 under
q0.1 461.0).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_runner import invoke

from forecast.forecaster import Forecast
from forecast.horizon import band_note


def _airline_forecast(shift: np.ndarray) -> Forecast:
    """The last year of Airline as a 'forecast', its band shifted by ``shift`` (per step)."""
    frame = pd.read_csv(Path(__file__).resolve().parent.parent / "sample_data" / "sktime_airline.csv")
    point = frame.iloc[-12:, 1].to_numpy(dtype=float)  # (12,)
    dates = pd.to_datetime(frame.iloc[-12:, 0]).to_numpy()
    width = 0.1 * point
    return Forecast(dates, point, {0.05: point - 2 * width + shift, 0.1: point - width + shift,
                                   0.9: point + width + shift, 0.95: point + 2 * width + shift})


def test_no_note_when_the_point_is_inside_its_band() -> None:
    assert band_note(_airline_forecast(np.zeros(12)), "median") == []


def test_a_band_above_the_point_is_named_with_its_steps_and_member() -> None:
    point = _airline_forecast(np.zeros(12)).point
    shift = np.zeros(12)
    shift[[4, 11]] = 0.2 * point[[4, 11]]  # q0.1 above the point at steps 5 and 12
    (note,) = band_note(_airline_forecast(shift), "median")
    assert "at 2 of 12 steps" in note and "the first is step 5" in note
    assert "median under-forecast" in note and "band sits above the point" in note


def test_a_band_below_the_point_says_over_forecast() -> None:
    point = _airline_forecast(np.zeros(12)).point
    (note,) = band_note(_airline_forecast(-0.2 * point), "autoets")
    assert "at 12 of 12 steps" in note and "autoets over-forecast" in note


def test_no_band_no_note() -> None:
    fc = _airline_forecast(np.zeros(12))
    assert band_note(Forecast(fc.dates, fc.point), "lstm") == []


@pytest.fixture(scope="module")
def audit_fit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The audit's fit, trained once for the module: Airline with --epochs 3."""
    from forecast.cli import main

    models = tmp_path_factory.mktemp("band") / "m"
    airline = Path(__file__).resolve().parent.parent / "sample_data" / "sktime_airline.csv"
    try:
        main(["train", str(airline), "--epochs", "3", "--model-dir", str(models), "--quiet"])
    except SystemExit as done:
        assert not done.code, done.code
    return models


@pytest.mark.parametrize("horizon", ["12", "6", "20"])
def test_predict_notes_a_point_outside_its_band_exactly_when_there_is_one(
        audit_fit: Path, capsys: pytest.CaptureFixture[str], horizon: str) -> None:
    """Through the CLI on the audit's fit: the note appears exactly when a point printed in the
    JSON lies outside its printed q0.1..q0.9, whatever the fit chose."""
    code, out, err = invoke(capsys, "predict", "--model-dir", audit_fit, "--json", "--horizon", horizon)
    assert code == 0, err
    got = json.loads(out)
    rows = [r for r in got["forecast"] if r.get("q0.1") is not None]
    assert len(rows) == min(int(horizon), 12)  # rolled-out steps past the trained 12 have no band
    outside = [r for r in rows if not r["q0.1"] <= r["yhat"] <= r["q0.9"]]
    said = [n for n in got["notes"] if "outside its own 80% band" in n]
    assert len(said) == (1 if outside else 0)
    if outside:
        assert f"at {len(outside)} of {len(rows)} steps" in said[0]
