"""Every registered model through the real CLI: train, predict, heads, classes, explain, listing."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_runner import invoke

from forecast.models.registry import MODELS

NAMES = list(MODELS)
RECURRENT_CELLS = [n for n, spec in MODELS.items() if spec.builder.endswith(":RecurrentNet")]
ROOT = Path(__file__).resolve().parent.parent
FAST = ["--epochs", "2", "--hidden", "8", "--layers", "1", "--quiet", "--device", "cpu"]


@pytest.fixture(scope="module")
def msft_tail(tmp_path_factory: pytest.TempPathFactory, sample_data: Path) -> Path:
    """The last 160 trading days of pmdarima_msft.csv (a prices file: Close, log returns)."""
    lines = (sample_data / "pmdarima_msft.csv").read_text().splitlines()
    path = tmp_path_factory.mktemp("data") / "msft_tail.csv"
    path.write_text("\n".join([lines[0], *lines[-160:]]) + "\n")
    return path


@pytest.fixture(scope="module")
def datasets(msft_tail: Path, sample_data: Path) -> dict[str, list[str]]:
    return {
        "airline": [str(sample_data / "sktime_airline.csv"), "--input-len", "12"],
        "msft": [str(msft_tail), "--input-len", "10"],
    }


cli = invoke  # forecast ARGS in process: (exit code, stdout, stderr)


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = cli(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def finite(records: list[dict[str, Any]], key: str = "yhat") -> bool:
    return all(isinstance(r[key], float) and math.isfinite(r[key]) for r in records)


@pytest.mark.parametrize("data", ["airline", "msft"])
@pytest.mark.parametrize("name", NAMES)
def test_train_and_predict_every_model(
    name: str, data: str, datasets: dict[str, list[str]], model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trained = cli_json(capsys, "train", *datasets[data], "--model", name, *FAST)
    assert trained["network"] == name
    predicted = cli_json(capsys, "predict", "--model", trained["model"])
    assert len(predicted["forecast"]) == trained["horizon"]
    assert finite(predicted["forecast"])
    assert predicted["forecast"] == trained["forecast"]  # the saved model predicts as trained


@pytest.mark.parametrize("name", NAMES)
def test_layers_dropout_bidirectional_for_every_model(
    name: str, datasets: dict[str, list[str]], model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--layers", "2", "--dropout", "0.2", "--bidirectional", "--epochs", "1", "--hidden", "6"]
    trained = cli_json(capsys, "train", *datasets["airline"], "--model", name, *args, "--quiet")
    info = cli_json(capsys, "models", "show", trained["model"])
    model = info["run"]["model"]
    assert (model["layers"], model["dropout"], model["bidirectional"]) == (2, 0.2, True)
    assert finite(cli_json(capsys, "predict", "--model", trained["model"])["forecast"])


@pytest.mark.parametrize("name", RECURRENT_CELLS)
def test_seq2seq_regime_for_the_cells(
    name: str, datasets: dict[str, list[str]], model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trained = cli_json(capsys, "train", *datasets["msft"], "--model", name, "--regime", "seq2seq", *FAST)
    assert cli_json(capsys, "models", "show", trained["model"])["run"]["model"]["regime"] == "seq2seq"
    assert finite(cli_json(capsys, "predict", "--model", trained["model"])["forecast"])


@pytest.mark.parametrize("head", ["gaussian", "studentt", "quantile"])
def test_probabilistic_heads_print_intervals(
    head: str, datasets: dict[str, list[str]], model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, "train", *datasets["airline"], "--model", "gru", "--head", head, *FAST)
    assert code == 0, err
    code, out, err = cli(capsys, "predict")
    assert code == 0, err
    assert "q0.05" in out and "q0.95" in out
    records = cli_json(capsys, "predict")["forecast"]
    for row in records:
        assert row["q0.05"] <= row["q0.5"] <= row["q0.95"]


def test_classification_prints_class_probabilities(
    sample_data: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weather = str(sample_data / "vega_seattle_weather.csv")
    args = ["--target", "weather", "--features", "precipitation,temp_max,temp_min,wind"]
    sizes = ["--input-len", "7", "--horizon", "3", "--epochs", "1", "--hidden", "8", "--layers", "1"]
    code, _, err = cli(capsys, "train", weather, *args, *sizes, "--model", "attention", "--quiet")
    assert code == 0, err
    records = cli_json(capsys, "predict")["forecast"]
    classes = {"drizzle", "fog", "rain", "snow", "sun"}
    assert len(records) == 3
    for row in records:
        probs = {k[2:]: v for k, v in row.items() if k.startswith("p_")}
        assert set(probs) == classes and row["yhat"] in classes
        assert sum(probs.values()) == pytest.approx(1.0, abs=1e-6)
        assert row["yhat"] == max(probs, key=probs.__getitem__)
    code, out, _ = cli(capsys, "predict")
    assert code == 0 and "p_rain" in out


def test_models_lists_every_member_with_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    rows = cli_json(capsys, "models", "--hidden", "16", "--layers", "1")
    assert [r["model"] for r in rows] == NAMES
    assert all(r["parameters"] > 0 and r["description"] for r in rows)
    code, out, _ = cli(capsys, "models")
    assert code == 0 and all(name in out for name in NAMES)


def test_train_help_lists_every_model(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "train", "--help")
    assert code == 0
    assert all(name in out for name in NAMES)


def test_predict_explain_on_attention(
    datasets: dict[str, list[str]], model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, "train", *datasets["airline"], "--model", "attention", *FAST)
    assert code == 0, err
    code, out, err = cli(capsys, "predict", "--explain")
    assert code == 0, err
    assert "attention" in out and "1960-12-01" in out  # input dates in the window are named
    document = cli_json(capsys, "predict", "--explain")
    steps = document["attention"]
    assert len(steps) == len(document["forecast"]) == 12
    for step in steps:
        assert len(step["weights"]) == 12 and sum(step["weights"]) == pytest.approx(1.0)
        assert len(step["top"]) == 3 and step["top"][0]["ds"] < "1961"


def test_explain_needs_an_attention_model(
    datasets: dict[str, list[str]], model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, "train", *datasets["airline"], "--model", "lstm", *FAST)
    assert code == 0, err
    code, _, err = cli(capsys, "predict", "--explain")
    assert code == 2 and "--model attention" in err


def run_forecast(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}  # tiny nets: one thread
    command = [sys.executable, "-m", "forecast", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def test_subprocess_train_then_explain(datasets: dict[str, list[str]], model_home: Path) -> None:
    trained = run_forecast("train", *datasets["msft"], "--model", "attention", *FAST)
    assert trained.returncode == 0, trained.stderr
    explained = run_forecast("predict", "--explain", "--json")
    assert explained.returncode == 0, explained.stderr
    document = json.loads(explained.stdout)
    assert len(document["attention"]) == len(document["forecast"]) == 5


def test_decoder_options_reach_the_saved_model(
    capsys: pytest.CaptureFixture[str], datasets: dict[str, list[str]], model_home: Path
) -> None:
    args = ["--epochs", "2", "--hidden", "8", "--layers", "1"]
    cli_json(capsys, "train", *datasets["airline"], "--model", "seq2seq", "--teacher-forcing", "0.9",
             "--teacher-forcing-end", "0.1", "--reverse-input", "--name", "s2s", *args)
    cli_json(capsys, "train", *datasets["airline"], "--model", "attention", "--attention", "dot",
             "--name", "att", *args)
    s2s = cli_json(capsys, "models", "show", "s2s")["run"]["model"]
    att = cli_json(capsys, "models", "show", "att")["run"]["model"]
    assert (s2s["teacher_forcing"], s2s["teacher_forcing_end"], s2s["reverse_input"]) == (0.9, 0.1, True)
    assert att["attention"] == "dot"
    code, _, err = cli(capsys, "train", *datasets["airline"], "--model", "attention", "--attention", "cosine")
    assert code == 2 and "--attention" in err
