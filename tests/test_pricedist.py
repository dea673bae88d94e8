"""The price distribution (forecast.pricedist): on simulated GARCH(1,1)-t prices with known
parameters the fit finds them, its volatility tracks the true one and its intervals cover
what they say; then the choice, the saved state, prediction and the train command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast import pricedist as P
from forecast.config import ModelConfig, RunConfig, TrainConfig
from forecast.data.series import SeriesData
from forecast.forecaster import QUANTILE_LEVELS, fit
from tests.cli_runner import invoke
from tests.test_conformal import garch_returns

OMEGA, ALPHA, BETA, DOF = 5e-6, 0.10, 0.85, 6.0


def garch_price(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Levels (n + 1,) of a GARCH(1,1)-t price and the true variance of each return (n,)."""
    r = garch_returns(n, seed, OMEGA, ALPHA, BETA, DOF)
    var = np.empty(n)
    var[0] = OMEGA / (1 - ALPHA - BETA)
    for t in range(1, n):
        var[t] = OMEGA + ALPHA * r[t - 1] ** 2 + BETA * var[t - 1]
    return 100 * np.exp(np.concatenate([[0.0], np.cumsum(r)])), var


def test_fit_finds_the_garch_parameters_and_tracks_the_true_volatility() -> None:
    for seed in range(3):
        y, var = garch_price(3000, seed)
        params = P.fit(y)
        assert params is not None
        assert abs(params["alpha"] - ALPHA) <= 0.04 and abs(params["alpha"] + params["beta"] - 0.95) <= 0.04
        assert 5.0 <= params["dof"] <= 8.0
        origins = np.arange(1000, 3001)  # v_{o+1}: the variance of the return from level o - 1 to o
        learned = np.sqrt(P.next_variance(params, y, origins))
        assert np.corrcoef(learned, np.sqrt(var[origins - 1]))[0, 1] > 0.95


def test_intervals_cover_what_they_say_on_a_garch_price() -> None:
    """Fitted on 2,000 returns, then at 600 origins one week apart over 3 seeds (1,800 weeks):
    the 80% and 90% bands of every step cover within 3 points of nominal."""
    hits80, hits90 = [], []
    for seed in range(3):
        y, _ = garch_price(5200, 10 + seed)
        params = P.fit(y[:2001], 5)
        assert params is not None and 0.85 <= params["scale"] <= 1.15
        origins = np.arange(2001, 5195, 5)[:600]
        centre = P.centres(params, y[origins - 1], np.zeros((len(origins), 5)))  # (N, H) the drift
        q = P.quantiles(params, P.next_variance(params, y, origins), centre, QUANTILE_LEVELS)  # (N, Q, H)
        truth = np.stack([y[o : o + 5] for o in origins])
        hits80.append((truth >= q[:, 1]) & (truth <= q[:, 3]))
        hits90.append((truth >= q[:, 0]) & (truth <= q[:, 4]))
    assert abs(np.mean(hits80) - 0.80) <= 0.03 and abs(np.mean(hits90) - 0.90) <= 0.03


def test_quantiles_centre_on_the_drift_and_widen_with_the_horizon() -> None:
    y, _ = garch_price(1500, 4)
    params = P.fit(y, 5)
    assert params is not None and params["centre"] == "drift"
    point = np.linspace(100, 101, 5)
    state = {**params, "kind": "studentt"}
    bounds = {level: point * (1 + level) for level in QUANTILE_LEVELS}  # stand-ins for conformal
    q = P.predict_quantiles(state, y, point, QUANTILE_LEVELS, bounds)
    stacked = np.stack([q[level] for level in QUANTILE_LEVELS])  # (Q, H)
    assert np.all(np.diff(stacked, axis=0) > 0)
    np.testing.assert_allclose(q[0.5], y[-1] * np.exp(np.arange(1, 6) * params["mean"]), rtol=2e-3)
    assert np.all(np.diff(q[0.95] / q[0.05]) > 0)
    older = {k: v for k, v in state.items() if k not in ("centre", "scale")}  # a bundle before the drift
    np.testing.assert_allclose(P.predict_quantiles(older, y, point, QUANTILE_LEVELS, bounds)[0.5], point, rtol=2e-3)
    wider = P.predict_quantiles({**state, "scale": 1.1}, y, point, QUANTILE_LEVELS, bounds)
    assert np.all(wider[0.95] - wider[0.05] > q[0.95] - q[0.05])
    assert P.predict_quantiles(state, np.concatenate([y, [0.0]]), point, QUANTILE_LEVELS, bounds) is bounds
    assert P.predict_quantiles({**state, "kind": "conformal"}, y, point, QUANTILE_LEVELS, bounds) is bounds
    assert P.fit(y[: P.MIN_RETURNS]) is None  # MIN_RETURNS levels: one return too few


def test_the_choice_keeps_the_student_t_unless_another_scores_clearly_lower(monkeypatch: pytest.MonkeyPatch) -> None:
    y, _ = garch_price(2500, 5)
    params = P.fit(y[:2000], 5)
    origins = np.arange(2000, 2400, 5)
    point = np.repeat(y[origins - 1][:, None], 5, axis=1)
    centre = P.centres(params, y[origins - 1], point)
    exact = P.quantiles(params, P.next_variance(params, y, origins), centre, QUANTILE_LEVELS)

    def widened(factor: float) -> np.ndarray:
        return centre[:, None, :] * np.exp(factor * np.log(exact / centre[:, None, :]))

    for factor in (0.3, 0.9, 1.1, 3.0):  # worse or within noise: the Student-t stays
        state = P.choose(params, y, origins, point, widened(factor), QUANTILE_LEVELS)
        assert state["kind"] == "studentt"
        scores = state["scores"]
        assert scores["blend"] <= (scores["conformal"] + scores["studentt"]) / 2 + 1e-12  # convexity
    same = P.choose(params, y, origins, point, exact, QUANTILE_LEVELS)
    assert same["kind"] == "studentt" and same["origins"] == len(origins)  # a tie keeps the Student-t
    assert len(set(same["scores"].values())) == 1
    # a Student-t three times too wide: it stays by default (nothing is CHOOSABLE) and says so in
    # its scores; where alternatives are allowed, the better one replaces it
    loose = {**params, "scale": 3.0 * params["scale"]}
    state = P.choose(loose, y, origins, point, exact, QUANTILE_LEVELS)
    assert state["kind"] == "studentt"
    assert state["scores"]["conformal"] < state["scores"]["blend"] < state["scores"]["studentt"]
    for allowed, kind in ((("conformal", "blend"), "conformal"), (("blend",), "blend")):
        monkeypatch.setattr(P, "CHOOSABLE", allowed)
        assert P.choose(loose, y, origins, point, exact, QUANTILE_LEVELS)["kind"] == kind
    assert P.choose(None, y, origins, point, exact, QUANTILE_LEVELS) == {}


@pytest.mark.parametrize("bad", [{"kind": "normal"}, {"alpha": 0.6, "beta": 0.6}, {"dof": 2.0}, {"var": -1.0},
                                 {"scale": 0.0}, {"scale": float("nan")}, {"centre": "median"}])
def test_a_damaged_state_is_refused(bad: dict) -> None:
    state = {"kind": "studentt", "alpha": 0.1, "beta": 0.85, "dof": 6.0, "var": 1e-4, "mean": 0.0, **bad}
    with pytest.raises(ValueError):
        P.check(state)
    P.check({k: v for k, v in state.items() if k not in bad} | {"kind": "studentt", "alpha": 0.1,
                                                                "beta": 0.85, "dof": 6.0, "var": 1e-4})


def _series(y: np.ndarray) -> SeriesData:
    frame = pd.DataFrame({"Close": y}, index=pd.bdate_range("2010-01-04", periods=len(y), name="ds"))
    return SeriesData.from_frame(frame, "Close", (), "B", "garch.csv", "garch")


def test_a_price_fit_saves_its_choice_and_predicts_with_it() -> None:
    y, _ = garch_price(1400, 6)
    series = _series(y)
    forecaster = fit(series, RunConfig(model=ModelConfig(hidden=8, layers=1),
                                       train=TrainConfig(epochs=1, device="cpu")))
    dist = forecaster.choice["distribution"]
    assert dist["kind"] in P.KINDS and dist["origins"] >= 20 and set(dist["scores"]) == set(P.KINDS)
    forecast = forecaster.predict(series)
    forecaster.choice["distribution"] = {**dist, "kind": "conformal"}
    bounds = forecaster.predict(series).quantiles
    student = P.predict_quantiles({**dist, "kind": "studentt"}, series.y, forecast.point, QUANTILE_LEVELS, bounds)
    expected = {"conformal": bounds, "studentt": student,
                "blend": {q: (bounds[q] + student[q]) / 2 for q in QUANTILE_LEVELS}}[dist["kind"]]
    assert all(np.allclose(forecast.quantiles[q], expected[q]) for q in QUANTILE_LEVELS)
    assert not any(np.allclose(bounds[q], student[q]) for q in (0.05, 0.95))


def test_not_a_price_no_choice() -> None:
    y, _ = garch_price(1400, 6)
    frame = pd.DataFrame({"load": y}, index=pd.bdate_range("2010-01-04", periods=len(y), name="ds"))
    series = SeriesData.from_frame(frame, "load", (), "B", "load.csv", "load")
    forecaster = fit(series, RunConfig(model=ModelConfig(hidden=8, layers=1),
                                       train=TrainConfig(epochs=1, device="cpu")))
    assert "distribution" not in forecaster.choice


def test_train_says_which_distribution_and_why(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORECAST_HOME", str(tmp_path / "home"))
    y, _ = garch_price(1400, 8)
    csv = tmp_path / "garch.csv"
    pd.DataFrame({"Date": pd.bdate_range("2010-01-04", periods=len(y)).strftime("%Y-%m-%d"),
                  "Close": y}).to_csv(csv, index=False)
    code, out, _ = invoke(capsys, "train", csv, "--epochs", "1", "--hidden", "8", "--json")
    assert code == 0
    doc = json.loads(out)
    dist = doc["distribution"]
    assert dist["kind"] in P.KINDS and set(dist["scores"]) == set(P.KINDS)
    assert dist["centre"] == "drift" and 0.85 <= dist["scale"] <= 1.15  # what the Student-t is around, and its spread
    code, out, err = invoke(capsys, "train", csv, "--epochs", "1", "--hidden", "8")
    assert code == 0
    said = [line for line in (out + err).splitlines() if "validation quantile score" in line]
    opening = {"studentt": "intervals: a Student-t", "blend": "intervals: the mean",
               "conformal": "intervals: conformal"}
    assert len(said) == 1 and opening[dist["kind"]] in said[0]
    code, out, _ = invoke(capsys, "predict", "--json")
    assert code == 0, out


def test_the_choice_counts_overlapping_horizons_in_its_standard_error() -> None:
    assert P.overlap_lags(np.arange(0, 100, 5), 5) == 0  # one horizon apart: nothing shared
    assert P.overlap_lags(np.arange(0, 100, 3), 5) == 1
    assert P.overlap_lags(np.arange(0, 100, 1), 5) == 4
    rng = np.random.default_rng(0)
    iid = rng.normal(size=400)
    assert P.mean_se(iid, 0) == pytest.approx(np.std(iid, ddof=1) / np.sqrt(400))
    shared = np.convolve(rng.normal(size=404), np.ones(5) / 5, mode="valid")  # (400,) MA(4): overlapping rows
    assert P.mean_se(shared, 4) > 1.5 * P.mean_se(shared, 0)  # an MA(4): the autocovariances count
    assert P.mean_se(-np.diff(iid), 4) >= P.mean_se(-np.diff(iid), 0)  # never below the iid error
    assert P.mean_se(iid[:1], 4) == np.inf


@pytest.mark.skipif(not __import__("forecast.statpeers", fromlist=["available"]).available(),
                    reason="needs statsforecast (the stats extra): the peer that beats the random walk")
def test_a_price_whose_peer_beat_the_random_walk_keeps_bands_around_its_point(shared_data: Path) -> None:
    """Yahoo's EA 15-minute bars: AutoETS beats log_drift by over 20% (step 1 of the choice), so
    a Student-t centred on the drift would contradict the point (its q0.05 sat above it, and it
    scored 0.528 on validation against conformal's 0.125): conformal bounds around the point."""
    from forecast.config import DataSpec
    from forecast.data.sources import load_series

    series = load_series(DataSpec(path=str(shared_data / "yahoo_fixtures" / "EA-15m-no-bad-divs.csv")))
    forecaster = fit(series, RunConfig(train=TrainConfig(device="cpu")))
    assert series.price_like and forecaster.chosen.statistical_pick() != forecaster.chosen.anchor
    assert "distribution" not in forecaster.choice
    forecast = forecaster.predict(series)
    assert np.all(forecast.quantiles[0.05] <= forecast.point) and np.all(forecast.point <= forecast.quantiles[0.95])


def test_a_price_that_kept_the_random_walk_keeps_the_student_t() -> None:
    """The other side of the rule: a simulated GARCH-t price, where nothing beats log_drift by
    the margin (or no statsforecast: no anchor), fits the Student-t."""
    y, _ = garch_price(1400, 6)
    forecaster = fit(_series(y), RunConfig(model=ModelConfig(hidden=8, layers=1),
                                           train=TrainConfig(epochs=1, device="cpu")))
    chosen = forecaster.chosen
    assert not chosen.anchor or chosen.statistical_pick() == chosen.anchor
    assert forecaster.choice["distribution"]["kind"] == "studentt"
