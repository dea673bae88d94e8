"""The floor inside every fit: net against baselines on the same validation windows (issue 12)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from forecast import baselines as B
from forecast import statpeers
from forecast.bundle import from_payload, to_payload
from forecast.config import DataSpec, ModelConfig, RunConfig, TrainConfig, WindowConfig
from forecast.data.csv import read_csv_series
from forecast.forecaster import Forecaster, fit
from forecast.rollout import data_seed, generate
from forecast.selection import (
    ARIMA_MAX_SEASON,
    MARGIN,
    MIN_NET_ORIGINS,
    NET_MARGIN,
    STAT_ORIGINS,
    Choice,
    baseline_paths,
    check_choice,
    choose,
    choose_with_peers,
    levels_to_model,
    peer_names,
    widen,
)
from forecast.transforms import Scaler, TargetPipeline

torch.set_num_threads(1)

WEAK = RunConfig(model=ModelConfig(hidden=4, layers=1, dropout=0.0),
                 train=TrainConfig(epochs=1, device="cpu"))


@pytest.fixture(scope="module")
def airline(sample_data: Path):
    return read_csv_series(DataSpec(path=str(sample_data / "sktime_airline.csv")))


def without_statsforecast(mp: pytest.MonkeyPatch) -> None:
    """As where the ``stats`` extra is not installed: the import fails and available() says so."""
    mp.setitem(sys.modules, "statsforecast", None)  # `import statsforecast` raises ImportError
    mp.setitem(sys.modules, "statsforecast.models", None)
    mp.setattr(statpeers, "available", lambda: False)


@pytest.fixture(scope="module")
def weak_fit(airline):
    """One epoch of a 4-unit LSTM on the levels of a strongly seasonal monthly series: it cannot beat
    seasonal naive on the validation windows (statsforecast absent: the baselines' floor alone)."""
    with pytest.MonkeyPatch.context() as mp:
        without_statsforecast(mp)
        return fit(airline, replace(WEAK, window=WindowConfig(None, 12, "level")))


@pytest.fixture(scope="module")
def peer_fit(airline):
    """The same weak net with statsforecast installed: AutoETS, AutoTheta and their equal-weight
    combination with the net compete on the same validation origins."""
    pytest.importorskip("statsforecast", reason="the stats extra is not installed")
    return fit(airline, replace(WEAK, window=WindowConfig(None, 12, "level")))


def test_without_statsforecast_the_choice_is_the_nets_and_baselines_only(weak_fit) -> None:
    assert not set(weak_fit.chosen.scores) & {"autoets", "autotheta", "mstl", "median", "comb"}


def test_a_statistical_member_anchors_the_choice_with_the_peers(peer_fit, weak_fit, airline) -> None:
    chosen = peer_fit.chosen
    peers = {"autoets", "autotheta", "mstl", "autoarima"}  # a monthly season: AutoARIMA is a member
    assert set(peer_names(12)) == peers
    assert {*peers, "median", "comb", "lstm", *B.BASELINES} == set(chosen.scores)
    assert chosen.anchor == "median" and set(chosen.members) == peers
    # the statistical members and baselines were scored at more origins than the net's tail
    assert chosen.wide_windows >= max(chosen.windows, 24) and set(chosen.wide) == {*peers, "median", *B.BASELINES}
    # the same baselines' scores at the tail as without statsforecast: the same origins
    for name in B.BASELINES:
        assert chosen.scores[name] == pytest.approx(weak_fit.chosen.scores[name])
    # what was chosen is the anchor unless it beat the anchor by more than the margin
    if chosen.kind in ("peer", "baseline"):
        assert chosen.wide[chosen.member] < (1 - MARGIN) * chosen.wide["median"]
    elif chosen.kind in ("net", "comb"):  # the better of the two on the tail
        assert chosen.scores[chosen.member] == min(chosen.scores["lstm"], chosen.scores["comb"])
    assert chosen.member in chosen.note() and "median" in chosen.note()
    said = {"median": "nothing beat it", "net": "lower on the net's validation tail",
            "comb": "lower on the net's validation tail"}.get(chosen.kind, "it beat median by more than 20%")
    assert said in chosen.note()
    point = peer_fit.predict(airline).point
    if chosen.kind == "median":  # the median of the peers refit on every row at predict time
        expected = np.median([statpeers.forecast(n, airline.y, 12, 12, member=True)[0] for n in chosen.members],
                             axis=0)
        np.testing.assert_allclose(point, expected)


def test_choose_with_peers_keeps_the_anchor_within_the_margin() -> None:
    pytest.importorskip("statsforecast", reason="the stats extra is not installed")
    rng = np.random.default_rng(0)
    t = np.arange(140, dtype=np.float64)
    y = 10 + np.sin(2 * np.pi * t / 12) + 0.1 * rng.standard_normal(140)  # a season of 12
    tail = np.arange(110, 110 + MIN_NET_ORIGINS + 2)
    wide = widen(tail, 24)
    assert len(wide) == STAT_ORIGINS and np.array_equal(wide[-len(tail):], tail)
    truth = np.stack([y[o : o + 12] for o in tail])
    stat, forecasts = choose_with_peers(y, tail, wide, 12, 12, {"lstm": None})
    assert stat.kind in ("median", "peer", "baseline") and forecasts["median"].shape == (len(tail), 12)
    if stat.member != stat.anchor:  # it beat the anchor by the margin at the wide origins
        assert stat.wide[stat.member] < (1 - MARGIN) * stat.wide[stat.anchor]
    mae = stat.scores[stat.member]
    offset = np.where(np.arange(12) % 2 == 0, 1.0, -1.0)  # a net whose MAE is a chosen share of it
    worse, _ = choose_with_peers(y, tail, wide, 12, 12, {"lstm": truth + 1.1 * mae * offset})
    better, _ = choose_with_peers(y, tail, wide, 12, 12, {"lstm": truth + 0.5 * (1 - NET_MARGIN) * mae * offset})
    assert worse.member != "lstm" and better.member == "lstm"
    if worse.member == "comb":  # the mean of that net and the peers may beat it by itself
        assert worse.scores["comb"] < (1 - NET_MARGIN) * worse.scores[stat.member]
    else:
        assert worse.member == stat.member
    short = tail[-(MIN_NET_ORIGINS - 1):]  # too few windows to trust even a perfect net
    perfect, _ = choose_with_peers(y, short, widen(short, 24), 12, 12, {"lstm": truth[-len(short):]})
    assert perfect.member not in ("lstm", "comb") and perfect.scores["lstm"] == 0.0
    # a price-like series: the random walk with drift on log prices is the anchor
    walk = 100 * np.exp(np.cumsum(0.01 * rng.standard_normal(300)))
    tail = np.arange(280, 289)
    rw, forecasts = choose_with_peers(walk, tail, widen(tail, 24), 5, 1, {"lstm": None}, price_like=True)
    assert rw.anchor == "log_drift" and "mstl" not in rw.members
    assert np.allclose(forecasts["log_drift"][0], B.log_drift(walk[:280], 5))
    if rw.member != "log_drift":  # only a member over MARGIN better than it at the wide origins
        assert rw.kind in ("net", "comb") or rw.wide[rw.member] < (1 - MARGIN) * rw.wide["log_drift"]
    # ... and the linear drift where a value is not positive (no log); not for other series
    level = walk - walk[100]
    assert level[100] == 0
    flat, _ = choose_with_peers(level, tail, widen(tail, 24), 5, 1, {"lstm": None}, price_like=True)
    assert flat.anchor == "drift" and "log_drift" not in flat.wide
    other, _ = choose_with_peers(walk, tail, widen(tail, 24), 5, 1, {"lstm": None})
    assert other.anchor != "log_drift" and "log_drift" not in other.wide


def test_autoarima_is_a_member_up_to_its_season_cap_with_the_fast_search() -> None:
    assert "autoarima" in peer_names(1, price_like=True) and "mstl" not in peer_names(1, price_like=True)
    assert "autoarima" in peer_names(ARIMA_MAX_SEASON) and "autoarima" not in peer_names(ARIMA_MAX_SEASON + 1)
    assert set(peer_names(52)) == {"autoets", "autotheta", "mstl"}
    pytest.importorskip("statsforecast", reason="the stats extra is not installed")
    # the leaderboard's AutoARIMA is statsforecast's default (exact likelihood), the member's not
    assert statpeers.model("autoarima", 12, member=True).approximation is True
    assert statpeers.model("autoarima", 12).approximation is False
    assert statpeers.model("autoets", 12, member=True).season_length == 12


def test_a_peer_choice_survives_saving_and_loading(peer_fit, airline) -> None:
    loaded = from_payload(to_payload(peer_fit, airline, "airline-lstm"))
    assert loaded.chosen == peer_fit.chosen
    np.testing.assert_allclose(loaded.predict(airline).point, peer_fit.predict(airline).point)


def test_the_combination_is_the_mean_of_the_net_and_the_peers(peer_fit, airline) -> None:
    comb = Forecaster(peer_fit.run, peer_fit.pipeline, peer_fit.net, peer_fit.residuals,
                      choice={**peer_fit.choice, "member": "comb", "kind": "comb"})
    net = Forecaster(peer_fit.run, peer_fit.pipeline, peer_fit.net, peer_fit.residuals,
                     choice={**peer_fit.choice, "member": "lstm", "kind": "net"})
    peers = [statpeers.forecast(n, airline.y, 12, 12, member=True)[0] for n in peer_names(12)]
    expected = np.mean([net.predict(airline).point, *peers], axis=0)
    np.testing.assert_allclose(comb.predict(airline).point, expected)
    loaded = from_payload(to_payload(comb, airline, "airline-lstm"))
    np.testing.assert_allclose(loaded.predict(airline).point, expected)


def test_generate_with_a_chosen_peer(peer_fit, airline) -> None:
    peer = Forecaster(peer_fit.run, peer_fit.pipeline, peer_fit.net, peer_fit.residuals,
                      calibration=peer_fit.calibration,
                      choice={**peer_fit.choice, "member": "autotheta", "kind": "peer"})
    seed = data_seed(peer, airline, None, False)
    flat = generate(peer, airline, seed, steps=24, paths=20, temperature=0.0)
    np.testing.assert_allclose(flat.values[0], statpeers.forecast("autotheta", airline.y, 24, 12)[0])
    paths = generate(peer, airline, seed, steps=24, paths=20, temperature=1.0, random_seed=3)
    assert paths.values.shape == (20, 24) and np.isfinite(paths.values).all()
    assert len(np.unique(paths.values[:, 0])) > 1  # bootstrapped one-step errors
    median = Forecaster(peer_fit.run, peer_fit.pipeline, peer_fit.net, peer_fit.residuals,
                        calibration=peer_fit.calibration,
                        choice={**peer_fit.choice, "member": "median", "kind": "median"})
    flat = generate(median, airline, data_seed(median, airline, None, False), steps=24, paths=20,
                    temperature=0.0)
    expected = np.median([statpeers.forecast(n, airline.y, 24, 12, member=True)[0] for n in peer_names(12)],
                         axis=0)
    np.testing.assert_allclose(flat.values[0], expected)


def test_a_net_that_loses_on_validation_forecasts_with_the_best_baseline(weak_fit, airline) -> None:
    chosen = weak_fit.chosen
    assert chosen.kind == "baseline" and weak_fit.baseline == chosen.member
    assert chosen.where == "validation tail" and chosen.windows == weak_fit.report.n_val
    baselines = {k: v for k, v in chosen.scores.items() if k in B.BASELINES}
    assert set(baselines) == set(B.BASELINES) and "lstm" in chosen.scores
    assert chosen.scores[chosen.member] == min(baselines.values()) < chosen.scores["lstm"]
    # the forecast is that baseline's, from every row of the series, with the series' season
    expected = B.BASELINES[chosen.member](airline.y, 12, season=12)
    np.testing.assert_allclose(weak_fit.predict(airline).point, expected)
    assert "chose " + chosen.member in chosen.note() and "lstm" in chosen.note()


def test_the_choice_survives_saving_and_loading(weak_fit, airline) -> None:
    payload = to_payload(weak_fit, airline, "airline-lstm")
    loaded = from_payload(payload)
    assert loaded.choice["member"] == weak_fit.choice["member"]
    assert loaded.chosen.scores == pytest.approx(weak_fit.chosen.scores)
    np.testing.assert_array_equal(loaded.predict(airline).point, weak_fit.predict(airline).point)


def test_old_bundles_without_a_choice_use_their_network(weak_fit, airline) -> None:
    payload = to_payload(weak_fit, airline, "airline-lstm")
    del payload["choice"]
    loaded = from_payload(payload)
    assert loaded.baseline is None and loaded.chosen.member == "lstm"
    assert len(loaded.predict(airline).point) == 12


def test_choose_takes_the_net_only_when_it_beats_every_baseline() -> None:
    y = np.arange(40, dtype=np.float64) % 4  # a pure season of 4
    origins = np.arange(30, 36)
    truth = np.stack([y[o : o + 4] for o in origins])
    good, bad = truth + 0.0, truth + 1.0
    # seasonal naive is exact here, so even a perfect net only ties and does not win
    assert choose(y, origins, 4, 4, False, {"lstm": good})[0].member == "seasonal_naive"
    assert choose(y, origins, 4, 1, False, {"lstm": good})[0].member == "lstm"  # no season known
    assert choose(y, origins, 4, 1, False, {"lstm": bad})[0].kind == "baseline"
    assert choose(y, origins, 4, 4, False, {"gaussian-net": bad}, keep_net=True)[0].kind == "net"
    # two nets: the better one, and only if it beats every baseline
    both = {"lstm (slogret)": bad, "lstm (logret)": good}
    assert choose(y, origins, 4, 1, False, both)[0].member == "lstm (logret)"


@pytest.mark.parametrize("transform", ["level", "diff", "logret"])
def test_levels_to_model_inverts_to_levels(transform: str) -> None:
    rng = np.random.default_rng(0)
    levels = 100 + np.cumsum(rng.normal(0, 1, 200))
    pipe = TargetPipeline(transform, Scaler("standard")).fit(levels[:, None])
    forecast, last = 100 + rng.normal(0, 3, (5, 7)), 100 + rng.normal(0, 3, 5)
    z = levels_to_model(pipe, forecast, last)
    assert z is not None
    np.testing.assert_allclose(pipe.to_levels(z, last), forecast, rtol=1e-10)
    if transform == "logret":
        assert levels_to_model(pipe, -forecast, last) is None


def test_baseline_paths_continue_the_baseline_plus_bootstrapped_errors() -> None:
    history = np.array([1.0, 2.0, 3.0, 4.0] * 3)
    plain = baseline_paths("seasonal_naive", history, 8, 50, season=4, errors=np.array([0.5, -0.5]),
                           transform="level", temperature=0.0, seed=1)
    np.testing.assert_array_equal(plain, [[1.0, 2.0, 3.0, 4.0] * 2])  # one deterministic path
    noisy = baseline_paths("seasonal_naive", history, 8, 50, season=4, errors=np.array([0.5, -0.5]),
                           transform="level", temperature=1.0, seed=1)
    assert noisy.shape == (50, 8)
    np.testing.assert_allclose(np.abs(noisy[:, :4] - [1.0, 2.0, 3.0, 4.0]), 0.5)  # one error each
    again = baseline_paths("seasonal_naive", history, 8, 50, season=4, errors=np.array([0.5, -0.5]),
                           transform="level", temperature=1.0, seed=1)
    np.testing.assert_array_equal(noisy, again)
    drift = baseline_paths("drift", np.array([0.0, 1.0, 2.0]), 3, 1, season=1, errors=np.zeros(0),
                           transform="level", temperature=1.0, seed=0)
    np.testing.assert_allclose(drift, [[3.0, 4.0, 5.0]])


def test_generate_with_a_chosen_baseline(weak_fit, airline) -> None:
    seed = data_seed(weak_fit, airline, None, False)
    flat = generate(weak_fit, airline, seed, steps=24, paths=20, temperature=0.0)
    member = weak_fit.baseline
    np.testing.assert_allclose(flat.values[0], B.BASELINES[member](airline.y, 24, season=12))
    paths = generate(weak_fit, airline, seed, steps=24, paths=20, temperature=1.0, random_seed=3)
    assert paths.values.shape == (20, 24) and np.isfinite(paths.values).all()
    assert len(np.unique(paths.values[:, 0])) > 1  # bootstrapped one-step validation errors


def test_a_baseline_with_enough_validation_windows_gives_intervals(sample_data: Path) -> None:
    co2 = read_csv_series(DataSpec(path=str(sample_data / "statsmodels_co2_weekly.csv")))
    co2 = co2.rows(len(co2) - 600, len(co2))
    fc = fit(co2, replace(WEAK, window=WindowConfig(20, 4, "level")))
    if fc.baseline is None:
        pytest.skip("the one-epoch net won on this fit; the interval path of a baseline is not reached")
    assert len(fc.calibration) >= 20
    forecast = fc.predict(co2)
    lo, hi = forecast.quantiles[0.05], forecast.quantiles[0.95]
    assert np.all(lo <= forecast.point + 1e-9) and np.all(forecast.point <= hi + 1e-9)


def test_weather_classes_floor_is_persistence_or_majority(sample_data: Path) -> None:
    weather = read_csv_series(DataSpec(path=str(sample_data / "vega_seattle_weather.csv"),
                                       target="weather"))
    weather = weather.rows(0, 300)
    fc = fit(weather, replace(WEAK, window=WindowConfig(14, 3, "auto")))
    chosen = fc.chosen
    assert chosen.metric == "error_rate"
    assert {"persistence", "majority"} <= set(chosen.scores)
    best = min(chosen.scores.values())
    assert chosen.scores[chosen.member] == best
    forecast = fc.predict(weather)
    assert forecast.class_probs is not None and forecast.class_probs.shape == (3, len(weather.classes))


def test_choice_round_trips_as_plain_data() -> None:
    choice = Choice("naive", "baseline", "mae", {"naive": 1.0, "lstm": 2.0}, 10, "validation tail", 7)
    assert Choice.from_dict(choice.as_dict(), "lstm") == choice
    assert Choice.from_dict({}, "gru").member == "gru"
    anchored = Choice("median", "median", "mae", {"median": 1.0}, 9, "validation tail", 12,
                      {"median": 1.1, "naive": 2.0}, 24, ("autoets", "autotheta", "mstl"), "median")
    data = anchored.as_dict()
    assert Choice.from_dict(data, "lstm") == anchored
    assert all(isinstance(v, (str, int, float, list, dict)) for v in data.values())  # plain data
    # a "comb" saved before members were recorded averaged AutoETS and AutoTheta
    old = Choice.from_dict({"member": "comb", "kind": "comb", "scores": {"comb": 1.0}}, "lstm")
    assert old.members == ("autoets", "autotheta")


def test_class_targets_see_their_own_past_as_one_hot_inputs(sample_data: Path) -> None:
    weather = read_csv_series(DataSpec(path=str(sample_data / "vega_seattle_weather.csv"),
                                       target="weather")).rows(0, 120)
    no_tail = replace(WEAK.train, val_fraction=0.0)  # keeps the net: this test is about its inputs
    fc = fit(weather, RunConfig(window=WindowConfig(14, 3, "auto"), model=WEAK.model, train=no_tail))
    n_classes = len(weather.classes)
    assert fc.baseline is None and fc.run.model.n_features == n_classes
    window = fc.model_inputs(weather)[0]  # (L, C)
    assert window.shape == (14, n_classes)
    np.testing.assert_array_equal(window.argmax(axis=1), weather.y[-14:])  # the past classes
    np.testing.assert_array_equal(window.sum(axis=1), 1.0)
    # a one-hot class net still generates: each generated class is fed back one-hot
    paths = generate(fc, weather, data_seed(fc, weather, None, False), steps=6, paths=4, random_seed=1)
    assert paths.values.shape == (4, 6) and set(np.unique(paths.values)) <= set(range(n_classes))


def test_train_prints_the_choice_and_evaluate_reports_it_per_fold(
    capsys: pytest.CaptureFixture[str], model_home: Path, sample_data: Path
) -> None:
    import json

    from tests.cli_runner import invoke

    airline = str(sample_data / "sktime_airline.csv")
    tiny = ("--epochs", "1", "--hidden", "4", "--layers", "1", "--transform", "level")
    code, out, err = invoke(capsys, "train", airline, *tiny)  # not --quiet: it hides notes
    assert code == 0, err
    note = next(line for line in err.splitlines() if "chose " in line)
    assert "validation MAE" in note and "lstm" in note and "seasonal_naive" in note
    code, out, err = invoke(capsys, "evaluate", airline, *tiny, "--folds", "2", "--json")
    assert code == 0, err
    chosen = json.loads(out)["chosen"]["lstm"]
    assert len(chosen) == 2 and set(chosen) <= {"lstm", "comb", "median", *statpeers.PEERS, *B.BASELINES}


def test_a_price_fit_scores_the_log_drift_and_other_fits_do_not() -> None:
    rng = np.random.default_rng(3)
    walk = 50 * np.exp(np.cumsum(0.01 * rng.standard_normal(200)))
    origins = np.arange(180, 190)
    price, forecasts = choose(walk, origins, 5, 1, False, {"lstm": None}, price_like=True)
    assert "log_drift" in price.scores and np.allclose(forecasts["log_drift"][-1], B.log_drift(walk[:189], 5))
    assert "log_drift" not in choose(walk, origins, 5, 1, False, {"lstm": None})[0].scores
    codes = np.rint(walk) % 3  # classes: never the price candidate
    assert "log_drift" not in choose(codes, origins, 5, 1, True, {"lstm": None}, price_like=True)[0].scores
    exact = 100 * 1.002 ** np.arange(200)  # a geometric series: the log drift is exact and wins
    assert choose(exact, origins, 5, 1, False, {"lstm": None}, price_like=True)[0].member == "log_drift"


def test_a_price_net_that_kept_its_starting_weights_is_not_a_candidate(sample_data: Path) -> None:
    """Its forecast is the training part's mean log return, the log_drift anchor from fewer rows:
    it takes no part in the choice (nor in comb). Trained weights had to beat the starting ones by
    99% here, so the net keeps them."""
    msft = read_csv_series(DataSpec(path=str(sample_data / "pmdarima_msft.csv"), target="Close"))
    msft = msft.head(600)
    stuck = replace(WEAK, window=WindowConfig(20, 5, "logret"),
                    train=replace(WEAK.train, min_improvement=0.99))
    fc = fit(msft, stuck)
    assert msft.price_like and fc.report is not None and fc.report.kept_initial
    assert fc.chosen.kind != "net" and "lstm" not in fc.chosen.scores and "comb" not in fc.chosen.scores
    assert fc.chosen.member == "log_drift"  # the anchor: nothing beat it by 20% on these 600 days
    # a baseline: generate's volatility test reads its one-step errors at every window
    y, windows = msft.y, len(msft) - 1 - 20 - 5 + 1  # logret drops a row
    assert fc.residuals.shape == (windows,)
    last = len(y) - 5  # the last window's origin: its first target is y[last]
    step = B.log_drift(y[:last], 1)[0]
    assert fc.residuals[-1] == pytest.approx(np.log(y[last] / step) / fc.pipeline.scaler.scale[0])
    learned = fit(msft, replace(stuck, train=replace(WEAK.train, min_improvement=-1.0)))  # any epoch counts
    assert not learned.report.kept_initial and "lstm" in learned.chosen.scores


@pytest.mark.parametrize("fields", [
    {"member": "lstm", "kind": "net"},
    {"member": "lstm (slogret)", "kind": "net"},
    {"member": "naive", "kind": "baseline"},
    {"member": "log_drift", "kind": "baseline", "anchor": "log_drift"},
    {"member": "autoarima", "kind": "peer", "members": ["autoets", "autoarima"], "anchor": "median"},
    {"member": "comb", "kind": "comb", "members": ["autoets", "autotheta"], "anchor": "drift"},
    {"member": "persistence", "kind": "baseline", "metric": "error_rate"},
])
def test_check_choice_accepts_every_kind_a_fit_saves(fields: dict) -> None:
    check_choice(Choice.from_dict({"metric": "mae", **fields}, "lstm"), "lstm")


@pytest.mark.parametrize("fields", [
    {"member": "gru", "kind": "net"},
    {"member": "lstm (eval)", "kind": "net"},
    {"member": "os.system", "kind": "baseline"},
    {"member": "autoets", "kind": "baseline"},
    {"member": "naive", "kind": "peer"},
    {"member": "naive", "kind": "median"},
    {"member": "majority", "kind": "baseline"},
    {"member": "naive", "kind": "baseline", "metric": "error_rate"},
    {"member": "naive", "kind": "baseline", "metric": "rmse"},
    {"member": "median", "kind": "median", "members": ["autoets", "eval"]},
    {"member": "median", "kind": "median", "members": ["autoets", "autoets"]},
    {"member": "median", "kind": "median", "anchor": "os"},
    {"member": "naive", "kind": "baseline", "season": 0},
    {"member": "naive", "kind": "baseline", "season": -12},
])
def test_check_choice_refuses_anything_else(fields: dict) -> None:
    with pytest.raises(ValueError):
        check_choice(Choice.from_dict({"metric": "mae", **fields}, "lstm"), "lstm")


def test_a_log_drift_path_at_temperature_zero_is_its_forecast() -> None:
    history = 100 * np.exp(np.cumsum(np.full(30, 0.01)))
    path = baseline_paths("log_drift", history, 4, 3, season=1, errors=np.zeros(0), transform="logret",
                          temperature=0.0, seed=0)
    assert path.shape == (1, 4) and np.allclose(path[0], B.log_drift(history, 4))


def test_the_note_names_the_statistical_choice_the_net_beat() -> None:
    def chosen(autoets: float) -> Choice:
        return Choice("lstm", "net", "mae", {"lstm": 1.0, "median": 2.5, "autoets": 1.8}, 8, "validation tail", 12,
                      {"median": 2.0, "autoets": autoets, "naive": 3.0}, 24, ("autoets", "autotheta"), "median")

    assert chosen(1.5).statistical_pick() == "autoets"  # 20% better than the anchor at the wide origins
    assert chosen(1.7).statistical_pick() == "median"  # not enough: the anchor stays
    assert "than autoets (1.8), the statistical members' choice at 24 origins" in chosen(1.5).note()
    assert "than median (2.5), the statistical members' choice at 24 origins" in chosen(1.7).note()
