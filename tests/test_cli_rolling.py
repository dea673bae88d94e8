"""predict --data TEST.csv [--rolling]: the test file right after the training file (the classic
TATA recipe), joined to the model's own data; every rolling forecast recomputed independently."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_runner import invoke

from forecast import api
from forecast.data.series import SeriesData

TRAIN = ["--target", "Open", "--input-len", "60", "--horizon", "1", "--epochs", "1", "--hidden", "4", "-q"]


@pytest.fixture()
def tata(shared_data: Path, model_home: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    train, test = shared_data / "NSE-TATAGLOBAL.csv", shared_data / "tatatest.csv"
    code, _, err = invoke(capsys, "train", train, "--name", "tata", *TRAIN)
    assert code == 0, err
    return train, test


def test_a_short_test_file_after_the_training_file_predicts(
    tata: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = invoke(capsys, "predict", "--model", "tata", "--data", tata[1], "--json")
    assert code == 0, err  # 16 rows alone are fewer than the 61 the model reads
    document = json.loads(out)
    assert document["last_date"].startswith("2018-10-24")
    assert any("joined after the model's own data" in n for n in document["notes"])


def test_rolling_forecasts_equal_forecasts_from_each_origin(
    tata: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = invoke(capsys, "predict", "--model", "tata", "--data", tata[1], "--rolling",
                          "--output", tmp_path / "rolling.csv")
    assert code == 0, err
    table = pd.read_csv(tmp_path / "rolling.csv", parse_dates=["cutoff", "ds"])
    # independently: both files through pandas, joined by date, and the saved model on each prefix
    frames = [pd.read_csv(p, parse_dates=["Date"]) for p in tata]
    joined = pd.concat(frames).sort_values("Date").drop_duplicates("Date").set_index("Date")
    assert len(table) == 17  # the last training day plus the 16 test days
    assert table["cutoff"].iloc[0] == pd.Timestamp("2018-09-28") and table["cutoff"].iloc[-1] == pd.Timestamp(
        "2018-10-24")
    _, _, forecaster = api.load_model("tata")
    for _, row in table.iloc[[0, 5, 16]].iterrows():
        history = joined.loc[: row["cutoff"], ["Open"]]
        series = SeriesData.from_frame(history, "Open", (), "B", "x", "x")
        assert row["yhat"] == pytest.approx(float(forecaster.predict(series).point[0]), rel=1e-9)
        actual = joined["Open"].get(row["ds"], np.nan)
        assert (np.isnan(actual) and np.isnan(row["y"])) or row["y"] == pytest.approx(actual)


def test_a_gap_or_another_series_is_refused(
    tata: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    test = pd.read_csv(tata[1], parse_dates=["Date"]).sort_values("Date")
    late = tmp_path / "late.csv"
    test.iloc[8:].to_csv(late, index=False)  # starts two weeks after the training file ends
    code, _, err = invoke(capsys, "predict", "--model", "tata", "--data", late, "--rolling")
    assert code == 4 and "missing in between" in err and len(err.strip().splitlines()) == 1
    train = pd.read_csv(tata[0], parse_dates=["Date"]).sort_values("Date")
    other = pd.concat([train.tail(3).assign(Open=lambda f: f["Open"] + 1.0), test])
    other.to_csv(tmp_path / "other.csv", index=False)
    code, _, err = invoke(capsys, "predict", "--model", "tata", "--data", tmp_path / "other.csv", "--rolling")
    assert code == 4 and "not the same series" in err
    code, _, err = invoke(capsys, "predict", "--model", "tata", "--rolling")
    assert code == 2 and "--data" in err


def _assert_equals_predict_rolling(ours: pd.DataFrame, test: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str], rtol: float) -> None:
    """A backtest's forecasts (cutoff, ds, yhat) equal the saved model 'tata' rolled through the
    test file by `predict --rolling`, on all 16 test days."""
    code, _, err = invoke(capsys, "predict", "--model", "tata", "--data", test, "--rolling",
                          "--output", tmp_path / "rolling.csv")
    assert code == 0, err
    rolling = pd.read_csv(tmp_path / "rolling.csv", parse_dates=["cutoff", "ds"]).dropna(subset=["y"])
    merged = ours.merge(rolling, on=["cutoff", "ds"], suffixes=("", "_cli"))
    assert len(merged) == 16
    np.testing.assert_allclose(merged["yhat"], merged["yhat_cli"], rtol=rtol)


def test_evaluate_test_file_recomputed_independently(
    tata: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """evaluate TRAIN --test TEST: one fit on TRAIN, a forecast from every origin, scored beside naive.

    Checked against (a) naive's MAE computed with pandas from the two files and (b) the same
    network trained by `forecast train` on TRAIN and rolled through TEST by `predict --rolling`.
    """
    train, test = tata
    code, out, err = invoke(capsys, "evaluate", train, "--test", test, "--models", "lstm", "--json",
                            "--output", tmp_path / "folds.csv", *TRAIN[:-1])
    assert code == 0, err
    board = {row["model"]: row for row in json.loads(out)["models"]}
    frames = [pd.read_csv(p, parse_dates=["Date"]).sort_values("Date") for p in tata]
    joined = pd.concat(frames).drop_duplicates("Date").set_index("Date")["Open"]
    n_train = len(frames[0])
    errors = (joined.iloc[n_train:].to_numpy() - joined.iloc[n_train - 1:-1].to_numpy())
    assert board["naive"]["mae"] == pytest.approx(np.abs(errors).mean())
    folds = pd.read_csv(tmp_path / "folds.csv", parse_dates=["cutoff", "ds"])
    ours = folds[folds["model"] == "lstm"].sort_values("cutoff")
    assert len(ours) == 16 and ours["cutoff"].iloc[0] == pd.Timestamp("2018-09-28")
    _assert_equals_predict_rolling(ours, test, tmp_path, capsys, rtol=1e-9)  # one fit, the same network


def test_evaluate_test_refuses_rows_inside_the_training_file(
    tata: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train = pd.read_csv(tata[0], parse_dates=["Date"]).sort_values("Date")
    train.tail(30).to_csv(tmp_path / "inside.csv", index=False)
    code, _, err = invoke(capsys, "evaluate", tata[0], "--test", tmp_path / "inside.csv", *TRAIN[:-1])
    assert code == 4 and "inside the training file" in err


def test_evaluate_a_saved_model_on_the_test_file(
    tata: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """evaluate TRAIN --test TEST --model NAME: the saved model, not refit, scored beside the
    baselines; its forecasts equal predict --rolling's."""
    train, test = tata
    code, out, err = invoke(capsys, "evaluate", train, "--test", test, "--model", "tata", "--models", "lstm",
                            "--json", "--output", tmp_path / "folds.csv")
    assert code == 0, err
    board = {row["model"]: row for row in json.loads(out)["models"]}
    assert {"lstm", "naive", "seasonal_naive"} <= set(board)
    folds = pd.read_csv(tmp_path / "folds.csv", parse_dates=["cutoff", "ds"])
    ours = folds[folds["model"] == "lstm"]
    _assert_equals_predict_rolling(ours, test, tmp_path, capsys, rtol=1e-12)
    code, _, err = invoke(capsys, "evaluate", train, "--model", "tata")
    assert code == 2 and "--test" in err
    code, _, err = invoke(capsys, "evaluate", train, "--test", test, "--model", "tata", "--models", "gru")
    assert code == 2 and "gru" in err
