"""What the output commands say about themselves (session 10): which target a model forecasts,
what a forecast file holds, what an evaluate row scored, and retrain / generate / job files as
cron and a new user run them. Every test here failed before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_runner import invoke
from csv_rows import read_rows, write_rows

TINY = ("--epochs", "2", "--hidden", "8", "--layers", "1", "--batch-size", "128", "--quiet")


def test_each_target_of_a_file_keeps_its_own_model(
    capsys: pytest.CaptureFixture[str], model_home: Path, sample_data: Path, tmp_path: Path
) -> None:
    """macrodata has no default column: `train --target realgdp` then `--target realcons` both
    saved `statsmodels_macrodata-lstm` before (the second a new version of the first), and a
    plain predict forecast realcons without a word. Now each target is its own model, named as
    --targets names it, and predict finds it by --target."""
    macro = sample_data / "statsmodels_macrodata.csv"
    for target in ("realgdp", "realcons"):
        code, out, err = invoke(capsys, "train", macro, "--target", target, *TINY, "--json")
        assert code == 0, err
        assert json.loads(out)["model"] == f"statsmodels_macrodata-{target}-lstm"
    code, out, err = invoke(capsys, "predict", "--json")  # the latest: realcons, and it says so
    assert code == 0, err
    doc = json.loads(out)
    assert doc["target"] == "realcons"
    assert any("also has models of realgdp (statsmodels_macrodata-realgdp-lstm)" in n for n in doc["notes"])
    code, out, err = invoke(capsys, "predict", "--target", "realgdp", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["model"], doc["target"]) == ("statsmodels_macrodata-realgdp-lstm", "realgdp")
    assert abs(doc["last_value"] - float(read_rows(macro)[-1][3])) < 1e-9  # column 3 is realgdp
    code, _, err = invoke(capsys, "predict", "--target", "infl")
    assert code == 3 and "no saved model of infl" in err and "--target infl" in err
    code, _, err = invoke(capsys, "predict", "--model", "statsmodels_macrodata-realcons-lstm",
                          "--target", "realgdp")
    assert code == 2 and "use --model statsmodels_macrodata-realgdp-lstm" in err
    code, out, err = invoke(capsys, "generate", "--target", "realgdp", "--steps", "3", "--paths", "4", "--json")
    assert code == 0 and (json.loads(out)["model"], json.loads(out)["target"]) == (
        "statsmodels_macrodata-realgdp-lstm", "realgdp"), err
    code, out, err = invoke(capsys, "generate", "--steps", "3", "--paths", "4", "--json")  # the latest, said
    assert code == 0 and json.loads(out)["target"] == "realcons", err
    assert any("also has models of realgdp" in n for n in json.loads(out)["notes"])


def test_the_default_target_keeps_its_old_name_and_evaluate_checks_the_target(
    capsys: pytest.CaptureFixture[str], model_home: Path, sample_data: Path, tmp_path: Path
) -> None:
    """Airline's only column named by --target keeps `<file>-lstm` (names saved before still
    load); `evaluate --model M --target X` of a model of another column said nothing before
    and scored M's forecasts against X; now exit 2 names the model of X."""
    header, *rows = read_rows(sample_data / "statsmodels_macrodata.csv")
    train = write_rows(tmp_path / "macro.csv", [header, *rows[:180]])
    test = write_rows(tmp_path / "macro_test.csv", [header, *rows[180:]])
    code, out, err = invoke(capsys, "train", sample_data / "sktime_airline.csv", "--target", "Passengers",
                            *TINY, "--json")
    assert code == 0 and json.loads(out)["model"] == "sktime_airline-lstm", err
    for target in ("realgdp", "realcons"):
        assert invoke(capsys, "train", train, "--target", target, *TINY)[0] == 0
    code, _, err = invoke(capsys, "evaluate", train, "--test", test, "--model", "macro-realcons-lstm",
                          "--target", "realgdp", "--models", "lstm")
    assert code == 2 and "use --model macro-realgdp-lstm" in err
    code, out, err = invoke(capsys, "predict", "--model", "sktime_airline-lstm", "--json")
    assert code == 0 and json.loads(out)["target"] == "Passengers", err


def test_a_forecast_file_says_what_it_forecasts(
    capsys: pytest.CaptureFixture[str], model_home: Path, sample_data: Path, tmp_path: Path
) -> None:
    """`predict --output` of one series wrote only ds, yhat, q... before: nothing in the file said
    which series, target or model it was. Now series, model, target come first, as in
    --all-series, equal to the JSON's, in the plain and the --rolling file alike."""
    import pandas as pd

    header, *rows = read_rows(sample_data / "statsmodels_macrodata.csv")
    train = write_rows(tmp_path / "macro.csv", [header, *rows[:190]])
    test = write_rows(tmp_path / "later.csv", [header, *rows[190:]])
    assert invoke(capsys, "train", train, "--target", "realcons", *TINY)[0] == 0
    code, out, err = invoke(capsys, "predict", "--json", "--output", tmp_path / "f.csv")
    assert code == 0, err
    doc, written = json.loads(out), pd.read_csv(tmp_path / "f.csv")
    assert list(written.columns[:5]) == ["series", "model", "target", "ds", "yhat"]
    assert (doc["series"], doc["model"], doc["target"]) == ("macro", "macro-realcons-lstm", "realcons")
    assert set(zip(written["series"], written["model"], written["target"])) == {("macro", "macro-realcons-lstm",
                                                                                  "realcons")}
    assert written["yhat"].tolist() == pytest.approx([r["yhat"] for r in doc["forecast"]], rel=1e-12)
    code, out, err = invoke(capsys, "predict", "--data", test, "--rolling", "--output", tmp_path / "r.parquet")
    assert code == 0, err
    rolled = pd.read_parquet(tmp_path / "r.parquet")
    assert list(rolled.columns[:4]) == ["series", "model", "target", "cutoff"]
    assert set(rolled["target"]) == {"realcons"} and set(rolled["model"]) == {"macro-realcons-lstm"}
    assert rolled["cutoff"].nunique() == len(rows) - 190 + 1  # the last training row and each test row


def test_an_evaluate_row_says_what_it_scored_and_keep_net_scores_the_network(
    capsys: pytest.CaptureFixture[str], model_home: Path, sample_data: Path
) -> None:
    """Airline, 3 epochs: the fits chose median or comb over the net, yet the row said "lstm"
    and only a note told. Now a 'chosen' column (table and --json rows) says what each row
    scored, and --keep-net scores the network as trained (every fit keeps it)."""
    args = ("evaluate", sample_data / "sktime_airline.csv", "--models", "lstm", "--folds", "3",
            "--epochs", "3", "--json", "--quiet")
    code, out, err = invoke(capsys, *args)
    assert code == 0, err
    doc = json.loads(out)
    rows = {row["model"]: row for row in doc["models"]}
    picks = doc["chosen"]["lstm"]
    assert set(picks) - {"lstm"}  # the setting this test is about: some fit did not keep the net
    order = sorted(set(picks), key=lambda p: (-picks.count(p), picks.index(p)))  # most first, then fold order
    assert rows["lstm"]["chosen"] == ", ".join(f"{p} {picks.count(p)}/{len(picks)}" for p in order)
    assert rows["naive"]["chosen"] is None
    code, out, err = invoke(capsys, *args, "--keep-net")
    assert code == 0, err
    bare = json.loads(out)
    assert bare["chosen"]["lstm"] == ["lstm"] * 3
    assert {r["model"]: r for r in bare["models"]}["lstm"]["chosen"] == "lstm 3/3"
    assert {r["model"]: r for r in bare["models"]}["lstm"]["mase"] != rows["lstm"]["mase"]
    code, out, err = invoke(capsys, *args[:-2])  # the table: the column, and the note names it
    assert code == 0 and "chosen" in out and f"{picks[0]} " in out and "--keep-net" in err


def test_models_list_says_which_model_a_plain_predict_uses(
    capsys: pytest.CaptureFixture[str], model_home: Path, sample_data: Path
) -> None:
    """`models list` listed names, versions and current ones, but not which model a predict
    without --model forecasts with (the one trained last). Now the title names it and --json
    marks it ("latest")."""
    for network in ("gru", "lstm"):
        assert invoke(capsys, "train", sample_data / "sktime_airline.csv", "--model", network, *TINY)[0] == 0
    code, out, err = invoke(capsys, "models", "list", "--json")
    assert code == 0, err
    assert {row["name"]: row["latest"] for row in json.loads(out)} == {"sktime_airline-gru": False,
                                                                       "sktime_airline-lstm": True}
    code, out, err = invoke(capsys, "models", "list")
    assert code == 0 and "predict without --model uses sktime_airline-lstm" in out, err
    code, out, err = invoke(capsys, "predict", "--json")
    assert code == 0 and json.loads(out)["model"] == "sktime_airline-lstm", err
