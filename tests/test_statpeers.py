"""Statistical peers (forecast.statpeers) on the backtest's own folds: equal to statsforecast
called directly, to the tuning set's reference MASE, and one-line errors when they cannot run."""

from __future__ import annotations

import json
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from cli_runner import invoke

import forecast.cli.evaluate_cmd  # noqa: F401  (registers the command)
from forecast import statpeers
from forecast.api import load_series
from forecast.config import DataSpec, RunConfig
from forecast.data.series import SeriesData
from forecast.errors import ConfigError
from forecast.leaderboard import leaderboard
from forecast.walkforward import backtest, default_models, splits

needs_stats = pytest.mark.skipif(not statpeers.available(),
                                 reason="statsforecast is not installed (pip install 'forecast[stats]')")
TINY = ["--epochs", "2", "--hidden", "8", "--layers", "1", "--device", "cpu"]


@pytest.fixture(scope="module")
def airline(sample_data: Path) -> SeriesData:
    return load_series(DataSpec(path=str(sample_data / "sktime_airline.csv")))


@needs_stats
def test_peers_equal_statsforecast_called_directly_on_each_fold(airline: SeriesData) -> None:
    import statsforecast.models as sf

    bt = backtest(airline, RunConfig(), models=["autoets", "autotheta", "mstl"], folds=3, horizon=12)
    assert bt.peers == ("autoets", "autotheta", "mstl") and bt.models == () and bt.season == 12
    board = leaderboard(bt).scores.set_index("model")
    for name, cls in (("autoets", sf.AutoETS), ("autotheta", sf.AutoTheta), ("mstl", sf.MSTL)):
        per_fold = []
        for fold in splits(len(airline), folds=3, horizon=12):
            train, test = airline.y[: fold.cutoff], airline.y[fold.test]
            direct = cls(season_length=12).forecast(y=train, h=12, level=[80, 90])
            rows = bt.table[(bt.table["model"] == name) & (bt.table["fold"] == fold.index)]
            np.testing.assert_allclose(rows["yhat"], direct["mean"], rtol=1e-10)
            np.testing.assert_allclose(rows["q0.1"], direct["lo-80"], rtol=1e-10)
            np.testing.assert_allclose(rows["q0.95"], direct["hi-90"], rtol=1e-10)
            scale = np.mean(np.abs(train[12:] - train[:-12]))  # in-sample seasonal naive
            per_fold.append(np.mean(np.abs(test - direct["mean"])) / scale)
        assert board.loc[name, "mase"] == pytest.approx(np.mean(per_fold), rel=1e-10)
        assert board.loc[name, "kind"] == "peer" and 0 <= board.loc[name, "coverage_90"] <= 1
        assert board.loc[name, "crps"] > 0
        rows = bt.table[bt.table["model"] == name]
        if name == "autotheta":  # asymmetric intervals: no normal density, no log score
            assert rows["sigma"].isna().all() and np.isnan(board.loc[name, "log_score"])
            continue
        # normal intervals: the 90% one gives the sigma the 80% one gave, on both sides
        z95 = NormalDist().inv_cdf(0.95)
        np.testing.assert_allclose((rows["q0.95"] - rows["yhat"]) / z95, rows["sigma"], rtol=1e-6)
        np.testing.assert_allclose((rows["yhat"] - rows["q0.05"]) / z95, rows["sigma"], rtol=1e-6)
        nll = [-np.log(NormalDist(m, s).pdf(v)) for v, m, s in zip(rows["y"], rows["yhat"], rows["sigma"])]
        assert board.loc[name, "log_score"] == pytest.approx(np.mean(nll))


@needs_stats
def test_a10_matches_the_tuning_reference(shared_data: Path) -> None:
    """REFERENCE.md's a10 row (`--target sales --folds 4 --horizon 12 --step 12`), same folds and scales."""
    tuning = shared_data / "tuning"
    ref = json.loads((tuning / "reference.json").read_text())["a10"]
    series = load_series(DataSpec(path=str(tuning / "fpp2_a10_monthly.csv"), target="sales"))
    bt = backtest(series, RunConfig(), models=["autoets", "autotheta"], folds=4, horizon=12, step=12)
    np.testing.assert_allclose(bt.folds["scale"], ref["settings"]["mase_scale_per_fold"], rtol=1e-9)
    scores = leaderboard(bt).scores.set_index("model")
    for ours, theirs, rounded in (("autoets", "sf_autoets", 1.430), ("autotheta", "sf_autotheta", 1.356)):
        assert round(scores.loc[ours, "mase"], 3) == rounded
        assert scores.loc[ours, "mase"] == pytest.approx(ref["methods"][theirs]["MASE"], abs=5e-4)
    assert round(scores.loc["seasonal_naive", "mase"], 3) == 2.430


@needs_stats
def test_cli_leaderboard_json_shows_networks_peers_and_baselines(sample_data: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "folds.csv"
    code, out, err = invoke(capsys, "evaluate", sample_data / "sktime_airline.csv", "--models",
                            "lstm,autoets,autoarima", "--folds", "2", *TINY, "--json", "--output", csv)
    assert code == 0, err
    doc = json.loads(out)
    kinds = {m["model"]: m["kind"] for m in doc["models"]}
    assert kinds == {"lstm": "model", "autoets": "peer", "autoarima": "peer", "naive": "baseline",
                     "seasonal_naive": "baseline", "drift": "baseline", "mean": "baseline"}
    ets = next(m for m in doc["models"] if m["model"] == "autoets")
    assert 0 <= ets["coverage_80"] <= 1 and ets["crps"] > 0 and ets["winkler_90"] >= ets["width_90"]
    assert len(ets["by_step"]["crps"]) == 12 and len(ets["by_step"]["coverage_90"]) == 12
    assert ets["log_score"] is not None and next(m for m in doc["models"] if m["model"] == "lstm")["log_score"] is None
    table = pd.read_csv(csv)
    assert set(table["model"]) == set(kinds) and len(table) == 7 * 2 * 12


@needs_stats
def test_default_models_add_the_cheap_peers_when_installed(airline: SeriesData, sample_data: Path) -> None:
    assert default_models(airline) == ("lstm", *statpeers.DEFAULT_PEERS)
    weather = load_series(DataSpec(path=str(sample_data / "vega_seattle_weather.csv"), target="weather"))
    assert default_models(weather) == ("lstm",)  # no peers for a class target


def test_missing_extra_is_one_line_with_the_install_command(
        sample_data: Path, airline: SeriesData, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(statpeers, "available", lambda: False)
    assert default_models(airline) == ("lstm",)
    code, out, err = invoke(capsys, "evaluate", sample_data / "sktime_airline.csv", "--models", "lstm,autoets")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "pip install 'forecast[stats]'" in err and "autoets" in err


@needs_stats
def test_peers_that_cannot_run_are_config_errors(airline: SeriesData, sample_data: Path) -> None:
    with pytest.raises(ConfigError, match="mstl: needs a season > 1"):
        backtest(airline, RunConfig(), models=["mstl"], folds=2, horizon=12, season=1)
    weather = load_series(DataSpec(path=str(sample_data / "vega_seattle_weather.csv"), target="weather"))
    with pytest.raises(ConfigError, match="not classes"):
        backtest(weather, RunConfig(), models=["autoets"], folds=2, horizon=7)
    with pytest.raises(ConfigError, match="unknown model ets.*autotheta"):
        backtest(airline, RunConfig(), models=["ets"], folds=2, horizon=12)


@needs_stats
def test_a_peer_that_fails_a_fold_is_left_out_with_a_warning(airline: SeriesData,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    real = statpeers.forecast

    def flaky(name: str, history: np.ndarray, horizon: int, season: int):  # type: ignore[no-untyped-def]
        if name == "autotheta" and history.size < 120:
            raise statpeers.DataError("autotheta could not fit (test)")
        return real(name, history, horizon, season)

    monkeypatch.setattr(statpeers, "forecast", flaky)
    bt = backtest(airline, RunConfig(), models=["autoets", "autotheta"], folds=3, horizon=12)
    assert bt.peers == ("autoets",) and "autotheta" not in set(bt.table["model"])
    board = leaderboard(bt)
    assert any(w.startswith("autotheta left out: fold 1: autotheta could not fit") for w in board.warnings)


@needs_stats
def test_a_repeated_fit_is_a_lookup_that_callers_cannot_corrupt(airline: SeriesData) -> None:
    import statsforecast.models as sf

    statpeers._FITTED.clear()
    first, quantiles, sigma = statpeers.forecast("autoets", airline.y, 12, 12)
    direct = sf.AutoETS(season_length=12).forecast(y=airline.y.astype(float), h=12)["mean"]
    np.testing.assert_allclose(first, direct)
    first[:] = 0.0  # a caller that writes into what it got
    quantiles[0.9][:] = 0.0
    again, quantiles_again, _ = statpeers.forecast("autoets", airline.y, 12, 12)
    np.testing.assert_allclose(again, direct)
    assert len(statpeers._FITTED) == 1 and np.all(quantiles_again[0.9] > again)
    # the last MAX_HISTORY rows only: a longer history with the same tail is the same fit
    long = np.concatenate([np.full(statpeers.MAX_HISTORY, 100.0), airline.y])
    np.testing.assert_allclose(statpeers.forecast("autotheta", long, 12, 12)[0],
                               statpeers.forecast("autotheta", long[-statpeers.MAX_HISTORY:], 12, 12)[0])


@needs_stats
def test_a_saved_arima_forecasts_what_its_search_would_and_runs_forward_without_one(
        airline: SeriesData, monkeypatch: pytest.MonkeyPatch) -> None:
    """On the fit's rows the saved model forecasts exactly what the search did; on 12 more
    rows, exactly what statsforecast's ``forward`` of that fit does (coefficients kept, states
    filtered again), and no search runs."""
    y = airline.y
    saved = statpeers.fitted("autoarima", y[:-12], 12)
    assert saved["season"] == 12 and len(saved["coef"]) >= 1
    searched = statpeers.forecast("autoarima", y[:-12], 12, 12, member=True)[0]
    np.testing.assert_allclose(statpeers.forecast("autoarima", y[:-12], 12, 12, member=True, saved=saved)[0],
                               searched, rtol=1e-9)
    search = statpeers.model("autoarima", 12, member=True).fit(y[:-12])
    forward = search.forward(y=y, h=12)["mean"]

    def no_search(*args: object, **kwargs: object) -> None:
        raise AssertionError("a saved AutoARIMA searched again")

    monkeypatch.setattr(statpeers, "model", no_search)
    later = statpeers.forecast("autoarima", y, 12, 12, member=True, saved=saved)[0]
    np.testing.assert_allclose(later, forward, rtol=1e-9)
    assert not np.allclose(later, searched)  # it read the 12 new rows


GOOD_ARIMA = {"order": [1, 1, 1], "seasonal_order": [0, 1, 1], "season": 12,
              "coef": {"ar1": 0.3, "ma1": -0.5, "sma1": -0.4}}


@pytest.mark.parametrize("broken", [
    ["not", "a", "table"],
    {**GOOD_ARIMA, "module": "os"},
    {k: v for k, v in GOOD_ARIMA.items() if k != "coef"},
    {**GOOD_ARIMA, "order": [10**6, 1, 1], "coef": {"ma1": -0.5, "sma1": -0.4}},
    {**GOOD_ARIMA, "order": [1, 3, 1]},
    {**GOOD_ARIMA, "order": [1, 1]},
    {**GOOD_ARIMA, "order": [-1, 1, 1]},
    {**GOOD_ARIMA, "order": [1.0, 1, 1]},
    {**GOOD_ARIMA, "order": [True, 1, 1]},
    {**GOOD_ARIMA, "seasonal_order": [0, 2, 1]},
    {**GOOD_ARIMA, "season": 10**9},
    {**GOOD_ARIMA, "season": 0},
    {**GOOD_ARIMA, "coef": {"ar1": 0.3, "ma1": -0.5}},  # sma1 missing
    {**GOOD_ARIMA, "coef": {**GOOD_ARIMA["coef"], "ar2": 0.1}},  # not its orders
    {**GOOD_ARIMA, "coef": {**GOOD_ARIMA["coef"], "intercept": 1.0}},  # differenced twice: no mean
    {**GOOD_ARIMA, "coef": {**GOOD_ARIMA["coef"], "drift": 1.0}},  # ... and no drift
    {**GOOD_ARIMA, "coef": {**GOOD_ARIMA["coef"], "__class__": 1.0}},
    {**GOOD_ARIMA, "coef": {**GOOD_ARIMA["coef"], "ar1": float("nan")}},
    {**GOOD_ARIMA, "coef": {**GOOD_ARIMA["coef"], "ar1": float("inf")}},
    {**GOOD_ARIMA, "coef": {**GOOD_ARIMA["coef"], "ar1": "__import__('os')"}},
    {**GOOD_ARIMA, "coef": [0.3, -0.5, -0.4]},
])
def test_a_saved_arima_is_checked_exactly(broken: object) -> None:
    statpeers.check_fitted({"autoarima": GOOD_ARIMA})  # the control: these differ from it in one field
    statpeers.check_fitted({"autoarima": {**GOOD_ARIMA, "order": [1, 0, 1], "seasonal_order": [0, 1, 1],
                                          "coef": {**GOOD_ARIMA["coef"], "drift": 0.1}}})  # drift: one difference
    with pytest.raises(ValueError, match="saved autoarima"):
        statpeers.check_fitted({"autoarima": broken})


GOOD_ETS = {"form": "MAM", "damped": True}


@pytest.mark.parametrize("broken", [
    {"autoets": ["MAM", True]},
    {"autoets": {"form": "MAM"}},
    {"autoets": {**GOOD_ETS, "alpha": 0.5}},
    {"autoets": {**GOOD_ETS, "form": "ZZZ"}},  # a search, not a form
    {"autoets": {**GOOD_ETS, "form": "NAM"}},  # no error term
    {"autoets": {**GOOD_ETS, "form": "MAMA"}},
    {"autoets": {**GOOD_ETS, "form": 3}},
    {"autoets": {**GOOD_ETS, "form": "__import__('os')"}},
    {"autoets": {**GOOD_ETS, "damped": "yes"}},
    {"autoets": {**GOOD_ETS, "damped": 1}},
    {"autoets": {"form": "MNM", "damped": True}},  # damped without a trend
    {"autotheta": {"form": "MAM", "damped": False}},  # nothing of it is saved
    {"__builtins__": {}},
    ["autoets", GOOD_ETS],
])
def test_saved_members_are_checked_exactly(broken: object) -> None:
    statpeers.check_fitted({"autoets": GOOD_ETS, "autoarima": GOOD_ARIMA})  # the control
    statpeers.check_fitted({"autoets": {"form": "ANN", "damped": False}})
    with pytest.raises(ValueError, match="saved"):
        statpeers.check_fitted(broken)


@needs_stats
def test_a_saved_ets_form_forecasts_what_its_search_would(airline: SeriesData,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import statsforecast.models as sf

    y = airline.y
    saved = statpeers.fitted("autoets", y[:-12], 12)
    search = sf.AutoETS(season_length=12).fit(y[:-12])
    assert f"ETS({saved['form'][0]},{saved['form'][1]}{'d' if saved['damped'] else ''},{saved['form'][2]})" \
        == search.model_["method"]
    np.testing.assert_allclose(statpeers.forecast("autoets", y[:-12], 12, 12, saved=saved)[0],
                               search.predict(h=12)["mean"], rtol=1e-9)
    form = sf.AutoETS(season_length=12, model=saved["form"], damped=saved["damped"]).fit(y)
    monkeypatch.setattr(statpeers, "model", lambda *a, **k: pytest.fail("a saved AutoETS searched again"))
    np.testing.assert_allclose(statpeers.forecast("autoets", y, 12, 12, saved=saved)[0],
                               form.predict(h=12)["mean"], rtol=1e-9)


@needs_stats
def test_a_median_fit_saves_its_members_and_its_predictions_do_not_search(
        airline: SeriesData, monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from forecast.config import ModelConfig, TrainConfig
    from forecast.forecaster import _saved_members, fit
    from forecast.selection import Choice, peer_history

    members = ("autoets", "autotheta", "mstl", "autoarima")
    choice = Choice("median", "median", "mae", season=12, members=members, anchor="median")
    saved = _saved_members(airline, choice)
    rows = airline.y[-peer_history(12):]
    assert saved == {"fitted": {"autoarima": statpeers.fitted("autoarima", rows, 12),
                                "autoets": statpeers.fitted("autoets", rows, 12)}}
    assert set(_saved_members(airline, replace(choice, members=members[1:3]))) == set()  # neither: nothing
    fitted = fit(airline, RunConfig(model=ModelConfig(hidden=4, layers=1), train=TrainConfig(epochs=1, device="cpu")))
    fitted.choice = {**choice.as_dict(), **saved}
    searched = np.median([statpeers.forecast(n, airline.y, 12, 12, member=True)[0] for n in members], axis=0)
    search = statpeers.model

    def no_saved_search(name: str, *args: object, **kwargs: object) -> object:
        assert name not in statpeers.SAVED, f"a prediction searched {name} again"
        return search(name, *args, **kwargs)

    monkeypatch.setattr(statpeers, "model", no_saved_search)
    statpeers._FITTED.clear()
    statpeers._MODELS.clear()
    np.testing.assert_allclose(fitted.predict(airline).point, searched, rtol=1e-9)
