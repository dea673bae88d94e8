"""forecast models list / show: readable, whole names, no Python reprs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_runner import invoke

ROOT = Path(__file__).resolve().parent.parent
CO2 = ROOT / "sample_data" / "statsmodels_co2_weekly.csv"


def test_show_is_a_readable_table(model_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke(capsys, "train", CO2, "--epochs", "1", "--hidden", "4", "-q")[0] == 0
    code, out, err = invoke(capsys, "models", "show", "statsmodels_co2_weekly-lstm")
    assert code == 0, err
    for needed in ("model statsmodels_co2_weekly-lstm", "target", "co2", "frequency", "W-SAT",
                   "lstm (hidden 4 x ", "steps in -> 12 out", "epochs", "1 run"):
        assert needed in out, needed
    assert "{" not in out and "(" + "'" not in out  # no dicts or tuples printed raw
    # what it forecasts with, as train said it (the net, a baseline, a peer, median or comb)
    code, shown, _ = invoke(capsys, "models", "show", "statsmodels_co2_weekly-lstm", "--json")
    chosen = json.loads(shown)["forecasts_with"]
    assert code == 0 and chosen["note"].startswith(f"chose {chosen['member']}")
    assert "forecasts with" in out and f"{chosen['member']} ({chosen['kind']})" in out


def test_list_shows_whole_names(model_home: Path, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    name = "a-rather-long-model-name-from-a-long-file-stem-and-symbol-lstm"
    assert invoke(capsys, "train", CO2, "--epochs", "1", "--hidden", "4", "-q", "--name", name)[0] == 0
    monkeypatch.setenv("COLUMNS", "40")
    code, out, _ = invoke(capsys, "models", "list")
    assert code == 0
    assert "…" not in out
    assert name in "".join(line.strip("│ ").split("│")[0].strip() for line in out.splitlines())


def test_train_and_show_say_when_a_short_series_net_was_retrained_on_every_window(
        model_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Airline's default fit chooses its net (a short series: under 500 windows), which is then
    trained again on every window; train's note and show's row say how many."""
    code, _, err = invoke(capsys, "train", ROOT / "sample_data" / "sktime_airline.csv")
    assert code == 0, err
    code, shown, _ = invoke(capsys, "models", "show", "sktime_airline-lstm", "--json")
    info = json.loads(shown)
    windows = info["training"]["refit_windows"]
    assert info["forecasts_with"]["kind"] in ("net", "comb") and windows > 0
    assert f"trained again on all {windows} windows" in " ".join(err.split())
