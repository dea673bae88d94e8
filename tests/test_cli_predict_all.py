"""predict --all-series: one long table for every series of a multi-series run, checked row by
row against forecasting each series on its own."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from cli_runner import invoke

FAST = ["--epochs", "1", "--hidden", "4", "-q", "--target", "close"]


@pytest.mark.parametrize("mode", ["--all-series", "--global"])
def test_all_series_table_equals_each_series_alone(
    mode: str, shared_data: Path, tmp_path: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nyse = shared_data / "nyse_prices_split_adjusted_4sym.csv"
    code, _, err = invoke(capsys, "train", nyse, mode, *FAST)
    assert code == 0, err
    for output in (tmp_path / "all.csv", tmp_path / "all.parquet"):
        code, out, err = invoke(capsys, "predict", "--all-series", "--output", output)
        assert code == 0, err
    table = pd.read_csv(tmp_path / "all.csv")
    pd.testing.assert_frame_equal(table, pd.read_parquet(tmp_path / "all.parquet").assign(
        ds=lambda f: f["ds"].dt.strftime("%Y-%m-%d")), check_dtype=False)
    assert list(table.columns[:5]) == ["series", "model", "target", "ds", "yhat"]
    assert set(table["target"]) == {"close"}
    assert sorted(table["series"].unique()) == ["AAL", "DOW", "EQIX", "ZION"]
    for symbol, rows in table.groupby("series"):
        args = ["predict", "--series", symbol, "--json"]
        code, out, err = invoke(capsys, *args)
        assert code == 0, err
        alone = json.loads(out)
        assert alone["series"] == symbol
        assert rows["yhat"].tolist() == pytest.approx([r["yhat"] for r in alone["forecast"]], rel=1e-12)
        assert rows["ds"].tolist() == [r["ds"][:10] for r in alone["forecast"]]
        banded = any(k.startswith("q") for k in alone["forecast"][0])  # a global model has no band
        assert banded == (mode == "--all-series")
        assert any(n.startswith("no intervals: ") for n in alone["notes"]) == (not banded)
    code, out, _ = invoke(capsys, "predict", "--all-series", "--json")
    got = json.loads(out)
    assert code == 0 and len(got["forecast"]) == len(table)
    said = [n for n in got["notes"] if "no intervals" in n]  # once for all series, not once a series
    assert said == (["all 4 series: " + said[0].split(": ", 1)[1]] if mode == "--global" else [])


def test_all_series_needs_a_multi_series_model(model_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).resolve().parent.parent
    code, _, err = invoke(capsys, "train", root / "sample_data" / "sktime_airline.csv", "--epochs", "1", "-q")
    assert code == 0, err
    code, _, err = invoke(capsys, "predict", "--all-series")
    assert code == 2 and "--all-series" in err


def test_all_series_training_says_per_series_what_each_fit_uses(
    shared_data: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nyse = shared_data / "nyse_prices_split_adjusted_4sym.csv"
    code, out, err = invoke(capsys, "train", nyse, "--all-series", "--json", *FAST)
    assert code == 0, err
    document = json.loads(out)
    for row in document["models"]:
        kept = row["kept_initial"] and row["chosen"] == "lstm"
        said = [n for n in document["notes"] if n.startswith(f"{row['series']}: ")]
        assert bool([n for n in said if "training-mean" in n]) == kept
        assert bool([n for n in said if "forecasts with" in n]) == (row["chosen"] != "lstm")
        code, shown, _ = invoke(capsys, "models", "show", row["model"], "--json")
        assert json.loads(shown)["training"]["kept_initial"] == row["kept_initial"]
