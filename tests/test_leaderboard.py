"""forecast.leaderboard on hand-built backtests of real data: scores equal forecast.metrics."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast import metrics as M
from forecast.api import load_series
from forecast.config import DataSpec, RunConfig
from forecast.data.series import SeriesData
from forecast.leaderboard import leaderboard, ranking_score
from forecast.stats import diebold_mariano
from forecast.walkforward import Backtest, baseline_frames, fold_info, splits

H, SEASON = 12, 12
LEVELS = (0.05, 0.1, 0.5, 0.9, 0.95)


@pytest.fixture(scope="module")
def airline(sample_data: Path) -> SeriesData:
    return load_series(DataSpec(path=str(sample_data / "sktime_airline.csv")))


def hand_backtest(series: SeriesData, models: dict[str, object], season: int = SEASON) -> Backtest:
    """A Backtest of 4 folds whose zoo forecasts come from f(fold, y_test, last) -> (yhat, spread)."""
    folds = list(splits(len(series), folds=4, horizon=H, step=H))
    frames = baseline_frames(series, folds, season)
    for name, make in models.items():
        for f in folds:
            y = series.y[f.test]
            yhat, spread = make(f, y, series.y[f.cutoff - 1])  # type: ignore[operator]
            frame = pd.DataFrame({"fold": f.index, "cutoff": series.index[f.cutoff - 1],
                                  "ds": series.index[f.test], "y": y, "yhat": yhat, "model": name})
            if spread is not None:
                for lv in LEVELS:
                    frame[f"q{lv:g}"] = yhat + spread * (lv - 0.5) * 4
            frames.append(frame)
    names = (*models, *(b for b in ("naive", "seasonal_naive", "drift", "mean")))
    table = pd.concat(frames, ignore_index=True)
    return Backtest(table, fold_info(series, folds, season), pd.DataFrame(), RunConfig(),
                    tuple(models), names[len(models):], H, H, "expanding", season, series.classes)


def good(f: object, y: np.ndarray, last: float) -> tuple[np.ndarray, float]:
    return y + np.random.default_rng(1).normal(0, 5, len(y)), 10.0


def echo(f: object, y: np.ndarray, last: float) -> tuple[np.ndarray, None]:
    return np.full(len(y), last) - 2.0, None  # naive, a little worse on a rising series


def test_scores_match_metrics_on_the_raw_values(airline: SeriesData) -> None:
    bt = hand_backtest(airline, {"good": good})
    scores = leaderboard(bt).scores.set_index("model")
    rows = bt.table[bt.table["model"] == "good"]
    y, yhat = rows["y"].to_numpy(), rows["yhat"].to_numpy()
    last = np.repeat([airline.y[c - 1] for c in (96, 108, 120, 132)], H)
    assert scores.loc["good", "mae"] == pytest.approx(M.mae(y, yhat))
    assert scores.loc["good", "rmse"] == pytest.approx(M.rmse(y, yhat))
    assert scores.loc["good", "mape"] == pytest.approx(M.mape(y, yhat))
    assert scores.loc["good", "smape"] == pytest.approx(M.smape(y, yhat))
    assert scores.loc["good", "directional_accuracy"] == pytest.approx(
        M.directional_accuracy(y, yhat, last=last))
    per_fold = [M.mase(y[i * H:(i + 1) * H], yhat[i * H:(i + 1) * H], insample=airline.y[:c], m=SEASON)
                for i, c in enumerate((96, 108, 120, 132))]
    assert scores.loc["good", "mase"] == pytest.approx(np.mean(per_fold))
    q = rows[[f"q{lv:g}" for lv in LEVELS]].to_numpy()
    assert scores.loc["good", "coverage_80"] == pytest.approx(M.coverage(y, q[:, 1], q[:, 3]))
    assert scores.loc["good", "coverage_90"] == pytest.approx(M.coverage(y, q[:, 0], q[:, 4]))
    assert scores.loc["good", "pinball"] == pytest.approx(M.pinball(y, q, np.array(LEVELS)))
    assert np.isnan(scores.loc["naive", "coverage_80"])


def test_skill_verdict_and_diebold_mariano(airline: SeriesData) -> None:
    bt = hand_backtest(airline, {"good": good, "echo": echo})
    board = leaderboard(bt)
    scores = board.scores.set_index("model")
    assert board.scores["model"].iloc[0] == "good"  # ranked by MASE
    assert board.best_baseline == "seasonal_naive" and board.reference == "naive"
    assert scores.loc["seasonal_naive", "skill"] == 0
    assert scores.loc["good", "skill"] == pytest.approx(
        1 - scores.loc["good", "mase"] / scores.loc["seasonal_naive", "mase"])
    assert scores.loc["good", "beats_naive"] is True and scores.loc["good", "verdict"] == "yes"
    assert scores.loc["echo", "beats_naive"] is False and scores.loc["echo", "verdict"].startswith("no")
    t = bt.table
    err = {n: (g["y"] - g["yhat"]).to_numpy() for n, g in t.groupby("model")}
    stat, p = diebold_mariano(err["good"], err["naive"], horizon=H, power=1)
    assert scores.loc["good", "dm_stat"] == pytest.approx(stat)
    assert scores.loc["good", "dm_p"] == pytest.approx(p)


def test_lag_mimic_warning_names_the_echoing_model(airline: SeriesData) -> None:
    board = leaderboard(hand_backtest(airline, {"good": good, "echo": echo}))
    assert len(board.warnings) == 1 and board.warnings[0].startswith("echo: ")
    assert "lag-mimic" in board.warnings[0]


def test_a_model_that_kept_its_starting_weights_gets_one_warning_not_two(airline: SeriesData) -> None:
    """All fits kept the training mean: say that, not that the model learned to echo its input."""
    bt = hand_backtest(airline, {"good": good, "echo": echo})
    fits = pd.DataFrame({"model": ["echo"] * 4 + ["good"] * 4, "fold": list(range(4)) * 2,
                         "kind": "fresh", "seconds": 0.1, "epochs": 5,
                         "kept_initial": [True] * 4 + [True, False, False, False]})
    board = leaderboard(replace(bt, fits=fits))
    assert [w.split(":")[0] for w in board.warnings] == ["echo", "good"]
    assert "all 4 fits kept" in board.warnings[0] and "lag-mimic" not in board.warnings[0]
    assert "1 of 4 fits kept" in board.warnings[1]
    fits["kept_initial"] = [True, True, False, True] + [False] * 4
    board = leaderboard(replace(bt, fits=fits))
    assert "lag-mimic" in board.warnings[0] and "3 of 4 fits kept" in board.warnings[1]


def test_mase_uses_the_plain_naive_scale_without_a_season(airline: SeriesData) -> None:
    bt = hand_backtest(airline, {"good": good}, season=1)
    rows = bt.table[(bt.table["model"] == "good") & (bt.table["fold"] == 0)]
    expected = M.mase(rows["y"].to_numpy(), rows["yhat"].to_numpy(), insample=airline.y[:96], m=1)
    per_fold = M.mae(rows["y"].to_numpy(), rows["yhat"].to_numpy()) / bt.folds["scale"].iloc[0]
    assert per_fold == pytest.approx(expected)


def test_classification_scores_accuracy_f1_against_persistence(sample_data: Path) -> None:
    weather = load_series(DataSpec(path=str(sample_data / "vega_seattle_weather.csv"), target="weather"))
    series = weather.head(200)
    right = {"oracle": lambda f, y, last: (y.copy(), None)}
    folds = list(splits(len(series), folds=4, horizon=7, step=7))
    frames = baseline_frames(series, folds, 7)
    for f in folds:
        y = series.y[f.test]
        frames.append(pd.DataFrame({"fold": f.index, "cutoff": series.index[f.cutoff - 1],
                                    "ds": series.index[f.test], "y": y, "yhat": y, "model": "oracle"}))
    bt = Backtest(pd.concat(frames, ignore_index=True), fold_info(series, folds, 7), pd.DataFrame(),
                  RunConfig(), tuple(right), ("persistence", "majority"), 7, 7, "expanding", 7,
                  series.classes)
    board = leaderboard(bt)
    scores = board.scores.set_index("model")
    assert board.key == "accuracy" and board.reference == "persistence"
    assert scores.loc["oracle", "accuracy"] == 1.0 and scores.loc["oracle", "macro_f1"] == 1.0
    rows = bt.table[bt.table["model"] == "majority"]
    assert scores.loc["majority", "macro_f1"] == pytest.approx(M.macro_f1(rows["y"], rows["yhat"]))
    assert board.scores["model"].iloc[0] == "oracle" and scores.loc["oracle", "skill"] == 1.0
    # retrain's promotion rule reads the same registry: the error rate, lower is better
    assert ranking_score(bt, "majority") == ("error_rate", pytest.approx(1 - scores.loc["majority", "accuracy"]))


def test_summary_is_strict_json(airline: SeriesData) -> None:
    summary = leaderboard(hand_backtest(airline, {"good": good, "echo": echo})).summary()
    text = json.dumps(summary, allow_nan=False)
    assert json.loads(text)["models"][0]["model"] == "good"


def test_a_new_metric_is_one_registration(airline: SeriesData, monkeypatch: pytest.MonkeyPatch) -> None:
    """The leaderboard, its JSON, per-step scores and the table's columns read the registry."""
    from forecast.leaderboard import columns

    extra = M.Metric("max_error", "maxerr", lambda r: float(np.max(np.abs(r.y - r.yhat))), per_step=True)
    monkeypatch.setitem(M.METRICS, "max_error", extra)
    board = leaderboard(hand_backtest(airline, {"good": good}))
    scores = board.scores.set_index("model")
    rows = hand_backtest(airline, {"good": good}).table
    good_rows = rows[rows["model"] == "good"]
    assert scores.loc["good", "max_error"] == np.max(np.abs(good_rows["y"] - good_rows["yhat"]))
    assert "maxerr" in columns(board).values()
    record = next(m for m in board.summary()["models"] if m["model"] == "good")
    assert record["max_error"] == scores.loc["good", "max_error"]
    assert len(record["by_step"]["max_error"]) == H and len(record["by_step"]["crps"]) == H
    assert max(record["by_step"]["max_error"]) == record["max_error"]


def test_distribution_scores_per_model_and_step(airline: SeriesData) -> None:
    board = leaderboard(hand_backtest(airline, {"good": good, "echo": echo}))
    scores = board.scores.set_index("model")
    assert scores.loc["good", "crps"] > 0 and scores.loc["good", "winkler_90"] >= scores.loc["good", "width_90"]
    assert np.isnan(scores.loc["echo", "crps"]) and np.isnan(scores.loc["naive", "winkler_80"])
    # hand_backtest's quantiles are yhat + 10 * (level - 0.5) * 4: the 80% interval is 32 wide, 90% 36
    assert scores.loc["good", "width_80"] == pytest.approx(32.0)
    assert scores.loc["good", "width_90"] == pytest.approx(36.0)
    steps = board.by_step["good"]
    assert len(steps["coverage_80"]) == H
    assert np.mean(steps["coverage_80"]) == pytest.approx(scores.loc["good", "coverage_80"])  # 4 rows a step


def test_promotion_score_is_the_boards_ranking_metric(airline: SeriesData) -> None:
    from forecast.retrain import score

    bt = hand_backtest(airline, {"good": good})
    scores = leaderboard(bt).scores.set_index("model")
    assert score(bt, "good") == ("mase", scores.loc["good", "mase"])
    flat = replace(bt, folds=bt.folds.assign(scale=float("nan")))  # MASE undefined: MAE ranks
    assert score(flat, "good") == ("mae", pytest.approx(scores.loc["good", "mae"]))
