"""``forecast evaluate`` end to end on real data with tiny models."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from cli_runner import invoke

import forecast.cli.evaluate_cmd  # noqa: F401  (registers the command)

TINY = ["--epochs", "2", "--hidden", "8", "--layers", "1", "--device", "cpu"]


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return invoke(capsys, "evaluate", *args)


def test_airline_json_output_and_plot(sample_data: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    csv, png = tmp_path / "folds.csv", tmp_path / "backtest.png"
    code, out, err = run_cli([str(sample_data / "sktime_airline.csv"), "--models", "lstm,gru",
                              "--folds", "2", *TINY, "--json", "--output", str(csv),
                              "--plot", str(png)], capsys)
    assert code == 0, err
    doc = json.loads(out)  # one JSON document, nothing else on stdout
    assert (doc["folds"], doc["horizon"], doc["season"], doc["key"]) == (2, 12, 12, "mase")
    names = {m["model"] for m in doc["models"]}
    assert names == {"lstm", "gru", "naive", "seasonal_naive", "drift", "mean"}
    assert all("beats_naive" in m and "skill" in m for m in doc["models"])
    assert {type(m["beats_naive"]) for m in doc["models"]} <= {bool, type(None)}  # a boolean, with dm_p beside it
    assert all("dm_p" in m for m in doc["models"])
    table = pd.read_csv(csv)
    assert list(table.columns)[:8] == ["fold", "cutoff", "ds", "y", "yhat", "model", "series", "target"]
    assert set(table.columns[8:]) <= {"q0.05", "q0.1", "q0.5", "q0.9", "q0.95"}
    assert set(zip(table["series"], table["target"])) == {(doc["series"], doc["target"])}
    assert len(table) == 6 * 2 * 12
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_airline_sliding_refit_warm_prints_a_leaderboard(sample_data: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli([str(sample_data / "sktime_airline.csv"), "--window", "sliding",
                              "--train-size", "96", "--folds", "3", "--refit-every", "2",
                              "--warm-start", "--models", "gru", *TINY], capsys)  # not -q: it hides notes
    assert code == 0, err
    assert "beats naive" in out and "seasonal_naive" in out and "gru" in out
    assert "skill vs seasonal_naive" in out
    assert "note: input length" in err and "fold 1's 96 training rows" in err


def test_msft_tail_gaussian_head_scores_intervals(sample_data: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    lines = (sample_data / "pmdarima_msft.csv").read_text().splitlines()
    tail = tmp_path / "msft_tail.csv"
    tail.write_text("\n".join([lines[0], *lines[-400:]]) + "\n")
    code, out, err = run_cli([str(tail), "--folds", "3", "--horizon", "5", "--head", "gaussian",
                              *TINY, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["transform"] == "logret" and doc["season"] == 5
    lstm = next(m for m in doc["models"] if m["model"] == "lstm")
    assert 0 <= lstm["coverage_80"] <= 1 and 0 <= lstm["coverage_90"] <= 1
    assert lstm["pinball"] > 0 and 0 <= lstm["directional_accuracy"] <= 1


def test_nse_tataglobal(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli([str(shared_data / "NSE-TATAGLOBAL.csv"), "--folds", "2",
                              "--input-len", "20", *TINY, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["target"] == "Close" and doc["rows"] == 2035 and doc["reference"] == "naive"


def test_weather_classification(sample_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli([str(sample_data / "vega_seattle_weather.csv"), "--target", "weather",
                              "--folds", "2", *TINY, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["key"] == "accuracy" and doc["reference"] == "persistence"
    assert {m["model"] for m in doc["models"]} == {"lstm", "persistence", "majority"}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--models", "lstm,nope"], 2, "unknown model nope; choose from"),
        (["--models", "lstm,naive,drift"], 2, "naive, drift are simple baselines, which every evaluate scores"),
        (["--models", "log_drift"], 2, "unknown model log_drift; choose from"),  # not in any leaderboard
        (["--folds", "40"], 4, "144 rows are too few for 40 folds of horizon 12"),
        (["--window", "rolling"], 2, "--window 'rolling': choose expanding or sliding"),
        (["--plot", "out.jpg"], 2, "--plot out.jpg: use a .png, .svg or .pdf file name"),
        (["--output", "nowhere/f.csv"], 2, "--output nowhere/f.csv: folder nowhere does not exist"),
    ],
)
def test_bad_options_are_one_line_errors(sample_data: Path, capsys: pytest.CaptureFixture[str],
                                         args: list[str], code: int, message: str) -> None:
    got, out, err = run_cli([str(sample_data / "sktime_airline.csv"), *args, *TINY], capsys)
    assert got == code and out == ""
    assert err.count("\n") == 1 and message in err


def test_help_explains_the_columns(capsys: pytest.CaptureFixture[str]) -> None:
    from cli_runner import invoke

    code, out, _ = invoke(capsys, "evaluate", "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "lag = lag-mimic score" in text and "Diebold-Mariano" in text and "skill =" in text


def test_backtest_figure_at_horizon_one_draws_every_model(sample_data: Path) -> None:
    """Horizon 1: one point per fold; the forecasts are joined across folds so they show, the y
    axis names the target, and a far worse baseline puts the error panel on a log scale."""
    from forecast import api
    from forecast.config import DataSpec, ModelConfig, RunConfig, TrainConfig
    from forecast.plots import backtest_figure
    from forecast.walkforward import backtest

    series = api.load_series(DataSpec(path=str(sample_data / "sktime_airline.csv")))
    run = RunConfig(model=ModelConfig(hidden=4, layers=1, head="gaussian"), train=TrainConfig(epochs=1))
    bt = backtest(series, run, models=["lstm"], folds=6, horizon=1, step=1, refit_every=6)
    fig = backtest_figure(bt, baselines=("naive", "mean"), target_name=series.target)
    top, bottom = fig.axes
    lines = {line.get_label(): line for line in top.get_lines()}
    assert {"actual", "lstm", "naive", "mean"} <= set(lines)
    assert len(lines["lstm"].get_xdata()) == 6 and len(lines["naive"].get_xdata()) == 6
    assert top.get_ylabel() == "Passengers" and len(top.collections) >= 1  # the 80% band
    assert bottom.get_yscale() == "log" and "log scale" in bottom.get_title(loc="left")


def test_data_options_reach_evaluate(sample_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--freq, --calendar and --query are read by evaluate as by train (the same data seam)."""
    msft = sample_data / "pmdarima_msft.csv"
    tail = tmp_path / "msft.csv"
    pd.read_csv(msft).tail(300).to_csv(tail, index=False)
    code, out, err = run_cli([str(tail), "--models", "lstm", "--folds", "2", "--horizon", "2", "--freq", "D",
                              "--json", *TINY], capsys)
    assert code == 0, err
    assert any("frequency: D (from --freq)" in n for n in json.loads(out)["notes"])
    code, _, err = run_cli([str(tail), "--freq", "W-SUN", "--folds", "2", *TINY], capsys)
    assert code == 4 and "--freq W-SUN" in err
    code, _, err = run_cli([str(tail), "--calendar", "NOPE", "--folds", "2", *TINY], capsys)
    assert code == 2 and "--calendar" in err
    code, _, err = run_cli([str(tail), "--query", "SELECT 1", "--folds", "2", *TINY], capsys)
    assert code == 2 and "--query runs on a DuckDB source" in err
