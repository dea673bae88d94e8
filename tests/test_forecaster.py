"""forecast.forecaster: defaults resolved from the data, fitting and predicting on the data's calendar."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from forecast import conformal
from forecast import forecaster as F
from forecast.config import DataSpec, ModelConfig, RunConfig, TrainConfig, WindowConfig
from forecast.data.csv import read_csv_series
from forecast.data.series import SeriesData
from forecast.errors import ConfigError, DataError
from forecast.forecaster import (
    MIN_CALIBRATION_WINDOWS,
    MIN_TRAIN_WINDOWS,
    QUANTILE_LEVELS,
    Forecaster,
    choose_transform,
    default_horizon,
    fit,
    resolve_run,
)

torch.set_num_threads(1)

TINY = RunConfig(
    model=ModelConfig(hidden=4, layers=1, dropout=0.0),
    train=TrainConfig(epochs=1, device="cpu"),
)


def series_of(values: np.ndarray, freq: str = "B", target: str = "Close", **extra: np.ndarray) -> SeriesData:
    index = pd.date_range("2021-01-04", periods=len(values), freq=freq, name="ds")
    frame = pd.DataFrame({target: values, **extra}, index=index)
    return SeriesData.from_frame(frame, target, tuple(extra), freq, "data.csv", "data")


def wave(n: int) -> np.ndarray:
    return 30 + 5 * np.sin(np.arange(n) / 3.0)


def with_window(input_len: int | None, horizon: int | None, transform: str = "auto") -> RunConfig:
    return RunConfig(
        window=WindowConfig(input_len, horizon, transform),  # type: ignore[arg-type]
        model=TINY.model,
        train=TINY.train,
    )


# ---------------------------------------------------------------- defaults from the data


@pytest.mark.parametrize(
    ("freq", "horizon"),
    [("B", 5), ("D", 7), ("MS", 12), ("QS-JAN", 4), ("W-SAT", 12), ("30min", 48), ("h", 24), ("15min", 96),
     ("min", 168), (None, 5)],
)
def test_default_horizon_follows_the_calendar(freq: str | None, horizon: int) -> None:
    assert default_horizon(freq) == horizon


def test_resolve_run_fills_every_choice_from_the_data() -> None:
    series = series_of(wave(300), volume=np.arange(300.0))
    run = resolve_run(TINY, series)
    assert run.window.horizon == 5 and run.window.input_len is not None and run.window.input_len >= 10
    assert run.window.transform == "logret"  # a positive Close is price-like
    assert (run.model.n_features, run.model.horizon, run.model.n_classes) == (2, 5, 0)
    assert run.model.head == "point"
    # resolving again changes nothing: a saved run holds concrete values
    assert resolve_run(run, series) == run


def test_user_choices_win_over_defaults() -> None:
    run = resolve_run(with_window(7, 2, "diff"), series_of(wave(100)))
    assert (run.window.input_len, run.window.horizon, run.window.transform) == (7, 2, "diff")


@pytest.mark.parametrize(
    ("target", "shift", "expected"),
    [("Close", 0.0, "logret"), ("Adj Close", 0.0, "logret"), ("demand", 0.0, "level"), ("Close", -40.0, "level")],
)
def test_auto_transform(target: str, shift: float, expected: str) -> None:
    assert choose_transform(series_of(wave(50) + shift, target=target)) == expected


def test_too_short_series_is_a_one_line_data_error() -> None:
    series = series_of(wave(20))
    with pytest.raises(DataError) as info:
        resolve_run(with_window(10, 5, "level"), series)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("data.csv:") and "20 rows" in message
    assert f"= {10 + 5 + MIN_TRAIN_WINDOWS - 1};" in message
    assert "--input-len" in message
    resolve_run(with_window(10, 5, "level"), series_of(wave(10 + 5 + MIN_TRAIN_WINDOWS - 1)))


def test_logret_needs_one_more_row() -> None:
    rows = 10 + 5 + MIN_TRAIN_WINDOWS - 1
    resolve_run(with_window(10, 5, "level"), series_of(wave(rows)))
    with pytest.raises(DataError, match=f"1 row the logret transform uses up = {rows + 1};"):
        resolve_run(with_window(10, 5, "logret"), series_of(wave(rows)))


def test_class_head_needs_a_categorical_target() -> None:
    run = RunConfig(model=ModelConfig(head="class"))
    with pytest.raises(ConfigError, match="categorical"):
        resolve_run(run, series_of(wave(100)))


# ---------------------------------------------------------------- predicting


@pytest.fixture(scope="module")
def fitted() -> tuple[Forecaster, SeriesData]:
    """The net's own fit: statsforecast's peers (which a pure wave suits) left out of the choice."""
    series = series_of(wave(120))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("forecast.statpeers.available", lambda: False)
        return fit(series, with_window(12, 4)), series


def test_forecast_dates_follow_business_days(fitted: tuple[Forecaster, SeriesData]) -> None:
    forecaster, series = fitted
    forecast = forecaster.predict(series)
    expected = pd.bdate_range(series.index[-1] + pd.offsets.BDay(1), periods=4)
    assert list(forecast.index) == list(expected)
    assert all(d.day_of_week < 5 for d in forecast.index)
    assert forecast.point.shape == (4,) and np.isfinite(forecast.point).all()
    frame = forecast.to_frame()
    assert list(frame.columns)[:2] == ["ds", "yhat"] and len(frame) == 4


def test_forecast_starts_after_the_last_row(fitted: tuple[Forecaster, SeriesData]) -> None:
    forecaster, series = fitted
    shorter = series.head(len(series) - 3)
    assert forecaster.predict(shorter).index[0] == series.index[-3]
    assert not np.array_equal(forecaster.predict(shorter).point, forecaster.predict(series).point)


def test_model_inputs_are_the_last_window_in_model_space(fitted: tuple[Forecaster, SeriesData]) -> None:
    forecaster, series = fitted
    window = forecaster.model_inputs(series)
    assert window.shape == (1, 12, 1) and window.dtype == np.float32
    scaled, _ = forecaster.pipeline.to_model_space(series.x)
    np.testing.assert_allclose(window[0], scaled[-12:], rtol=1e-6)
    with pytest.raises(DataError, match="reads the last 13"):
        forecaster.model_inputs(series.head(12))


def test_gaussian_head_gives_ordered_reproducible_quantiles() -> None:
    series = series_of(wave(90))
    run = RunConfig(
        window=WindowConfig(10, 3, "level"),
        model=ModelConfig(hidden=4, layers=1, dropout=0.0, head="gaussian"),
        train=TrainConfig(epochs=1, device="cpu"),
    )
    forecaster = fit(series, run)
    first, second = forecaster.predict(series), forecaster.predict(series)
    assert sorted(first.quantiles) == sorted(QUANTILE_LEVELS)
    stacked = np.stack([first.quantiles[q] for q in sorted(first.quantiles)])  # (Q, H)
    assert np.all(np.diff(stacked, axis=0) >= 0)
    for level in first.quantiles:
        np.testing.assert_array_equal(first.quantiles[level], second.quantiles[level])
    assert {"q0.05", "q0.5", "q0.95"} <= set(first.to_frame().columns)


def test_categorical_target_predicts_class_probabilities() -> None:
    codes = np.tile([0.0, 1.0, 2.0, 1.0], 30)
    index = pd.date_range("2021-01-01", periods=len(codes), freq="D", name="ds")
    frame = pd.DataFrame({"weather": codes}, index=index)
    series = SeriesData.from_frame(frame, "weather", (), "D", "w.csv", "w", classes=("fog", "rain", "sun"))
    forecaster = fit(series, with_window(8, 2))
    assert forecaster.run.model.head == "class" and forecaster.run.window.transform == "level"
    forecast = forecaster.predict(series)
    assert forecast.class_probs is not None and forecast.class_probs.shape == (2, 3)
    np.testing.assert_allclose(forecast.class_probs.sum(axis=1), 1.0, rtol=1e-6)
    frame = forecast.to_frame()
    assert set(frame["yhat"]) <= {"fog", "rain", "sun"}
    assert {"p_fog", "p_rain", "p_sun"} <= set(frame.columns)
    with pytest.raises(ConfigError, match="categorical target takes --transform level"):
        fit(series, with_window(8, 2, "logret"))


def test_warm_start_begins_from_the_earlier_weights() -> None:
    series = series_of(wave(80))
    window = WindowConfig(8, 2)
    moved = RunConfig(window=window, model=TINY.model, train=TrainConfig(epochs=2, val_fraction=0.0, device="cpu"))
    first = fit(series, moved)  # no validation tail: trained weights, not the starting ones
    still = TrainConfig(epochs=1, lr=1e-9, val_fraction=0.0, device="cpu")
    frozen = RunConfig(window=window, model=TINY.model, train=still)
    warm = fit(series, frozen, init_from=first)  # a tiny lr: the weights stay where they started
    cold = fit(series, frozen)
    for key, value in first.net.state_dict().items():
        torch.testing.assert_close(warm.net.state_dict()[key], value, atol=1e-7, rtol=0)
    gaps = [float((cold.net.state_dict()[k] - v).abs().max()) for k, v in first.net.state_dict().items()]
    assert max(gaps) > 1e-2


def test_residuals_are_one_per_training_window(fitted: tuple[Forecaster, SeriesData]) -> None:
    forecaster, series = fitted
    n_windows = len(series) - 1 - 12 - 4 + 1  # logret drops a row
    assert forecaster.residuals.shape == (n_windows,)
    assert np.isfinite(forecaster.residuals).all()


# ---------------------------------------------------------------- intervals of point models


@pytest.fixture(scope="module")
def calibrated(sample_data: Path) -> tuple[Forecaster, SeriesData]:
    """A point LSTM on the last 600 real MSFT closes: 57 validation windows, enough to calibrate."""
    series = read_csv_series(DataSpec(path=str(sample_data / "pmdarima_msft.csv"))).rows(-600, None)
    return fit(series, with_window(20, 5)), series


def test_point_models_calibrate_on_errors_no_choice_looked_at(calibrated: tuple[Forecaster, SeriesData]) -> None:
    """A chosen net borrows the best baseline's or peer's rolling-origin errors (+-e: twice as
    many rows), the combination its peers' median's, not the validation windows that chose
    them; a baseline, peer or the median calibrates on its own errors at rolling origins."""
    forecaster, series = calibrated
    state = forecaster.conformal
    if forecaster.chosen.kind == "net":
        assert state["where"].startswith("+-") and len(forecaster.calibration) % 2 == 0
        np.testing.assert_allclose(forecaster.calibration[0::2], -forecaster.calibration[1::2])
    elif forecaster.chosen.kind == "comb":
        assert state["where"].startswith("median at recent origins x")
    else:
        assert state["where"] == f"{forecaster.chosen.member} at recent origins"
    assert forecaster.calibration.shape[1] == 5 and state["n"] == len(forecaster.calibration) >= 20
    forecast = forecaster.predict(series)
    stacked = np.stack([forecast.quantiles[q] for q in QUANTILE_LEVELS])  # (Q, H)
    assert sorted(forecast.quantiles) == sorted(QUANTILE_LEVELS) and np.all(np.diff(stacked, axis=0) >= 0)
    assert np.all(stacked[0] < forecast.point) and np.all(forecast.point < stacked[-1])
    width = stacked[-1] - stacked[0]
    assert width[-1] > width[0]  # log returns add up: the band widens with the horizon
    assert list(forecast.to_frame().columns) == ["ds", "yhat", "q0.05", "q0.1", "q0.5", "q0.9", "q0.95"]


def test_interval_paths_are_point_plus_each_joint_error_row(calibrated: tuple[Forecaster, SeriesData]) -> None:
    forecaster, series = calibrated
    # the conformal mechanics alone: a price fit's distribution replaces them (tests/test_pricedist.py)
    forecaster = replace(forecaster, choice={k: v for k, v in forecaster.choice.items() if k != "distribution"})
    exact = replace(forecaster, calibration=np.zeros((MIN_CALIBRATION_WINDOWS, 5)))
    zero = exact.predict(series)
    for level in QUANTILE_LEVELS:
        np.testing.assert_allclose(zero.quantiles[level], zero.point, rtol=1e-12)
    errors = np.random.default_rng(0).normal(0, 0.5, (40, 5))
    state = conformal.calibrate(errors, forecaster.pipeline.transform, 1, QUANTILE_LEVELS, "test")
    forecast = replace(forecaster, calibration=errors, conformal=state).predict(series)
    z = forecaster.net.head.point(forecaster.raw_output(series)).double().numpy()[0]  # (H,) model space
    paths = forecaster.pipeline.to_levels(z[None, :] + errors, series.y[-1])  # (40, H)
    taus = dict(zip(state["levels"], state["taus"], strict=True))
    expected = conformal.bound(np.sort(paths, axis=0), taus[0.9], upper=True)  # (H,)
    np.testing.assert_allclose(forecast.quantiles[0.9], expected, rtol=1e-9)
    plain = replace(forecaster, calibration=errors, conformal={}).predict(series)  # older bundles
    np.testing.assert_allclose(plain.quantiles[0.9], np.quantile(paths, 0.9, axis=0), rtol=1e-9)
    too_few = replace(forecaster, calibration=errors[: MIN_CALIBRATION_WINDOWS - 1]).predict(series)
    assert too_few.quantiles == {}


def test_short_series_calibrate_but_probabilistic_heads_and_classes_do_not(
    fitted: tuple[Forecaster, SeriesData],
) -> None:
    forecaster, series = fitted  # 120 rows: 10 validation windows, once under the 20 needed
    assert len(forecaster.calibration) >= 10 and forecaster.conformal["n"] == len(forecaster.calibration)
    forecast = forecaster.predict(series)
    assert forecast.quantiles[0.05].shape == (4,)
    assert np.all(forecast.quantiles[0.05] <= forecast.quantiles[0.95])
    series = series_of(wave(400))
    run = RunConfig(window=WindowConfig(10, 3, "level"),
                    model=ModelConfig(hidden=4, layers=1, dropout=0.0, head="gaussian"),
                    train=TrainConfig(epochs=1, device="cpu"))
    assert fit(series, run).calibration.shape == (0, 0)


def test_a_never_negative_series_is_never_forecast_negative(
    sample_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seattle's daily precipitation (real, never negative, mostly zero): whatever the model's raw
    forecast and bounds, the forecast the tool gives is clipped at zero, and only there; a series
    with negative values (minimum temperatures) keeps its negative forecasts."""
    from dataclasses import replace

    from forecast.api import load_series
    from forecast.config import DataSpec, ModelConfig, RunConfig, TrainConfig, WindowConfig

    run = RunConfig(window=WindowConfig(transform="level"), model=ModelConfig(hidden=4, layers=1),
                    train=TrainConfig(epochs=1, device="cpu"))
    for target, clipped in (("precipitation", True), ("temp_min", False)):
        series = load_series(DataSpec(path=str(sample_data / "vega_seattle_weather.csv"), target=target))
        assert (float(series.y.min()) >= 0) == clipped
        forecaster = fit(series, run)
        raw = forecaster._predict(series, 400)
        shifted = replace(raw, point=raw.point - 50.0, quantiles={q: v - 50.0 for q, v in raw.quantiles.items()})
        monkeypatch.setattr(forecaster, "_predict", lambda s, n, f=shifted: f)
        given = forecaster.predict(series)
        expect = (lambda v: np.maximum(v, 0.0)) if clipped else (lambda v: v)
        np.testing.assert_array_equal(given.point, expect(shifted.point))
        for q, values in shifted.quantiles.items():
            np.testing.assert_array_equal(given.quantiles[q], expect(values))
        assert (float(given.point.min()) >= 0) == clipped


# ---------------------------------------------------------------- the chosen net refit on every window


Calls = list[tuple[int, int, int]]


def _validated(monkeypatch: pytest.MonkeyPatch) -> tuple[SeriesData, "F._Candidate", Forecaster, Calls]:
    """A trained candidate on a short series, the fit around it forced to use its net, and a
    record (training windows, validation windows, epochs) of each later train_members call."""
    series = series_of(wave(120))
    run = resolve_run(RunConfig(window=WindowConfig(8, 2, "level"), model=TINY.model,
                                train=TrainConfig(epochs=12, patience=0, device="cpu")), series)
    candidate = F._train_one(series, run, "lstm", None, None)
    assert candidate.report.best_epoch >= 1 and not candidate.report.kept_initial
    fitted = F._floor(series, run, [candidate])
    forced = replace(fitted, choice=fitted.choice | {"member": "lstm", "kind": "net"})
    calls: list[tuple[int, int, int]] = []
    real = F.train_members

    def recorded(build, seeds, x_train, y_train, x_val, y_val, config, **kw):  # type: ignore[no-untyped-def]
        calls.append((len(x_train), len(x_val), int(config.epochs)))
        return real(build, seeds, x_train, y_train, x_val, y_val, config, **kw)

    monkeypatch.setattr(F, "train_members", recorded)
    return series, candidate, forced, calls


def test_a_chosen_net_is_refit_on_every_window_for_its_best_epochs(monkeypatch: pytest.MonkeyPatch) -> None:
    series, candidate, forced, calls = _validated(monkeypatch)
    refit = F._refit(series, forced, candidate, None)
    assert calls == [(len(candidate.x), 0, candidate.report.best_epoch)]  # the tail and the gap too
    gaps = [float((refit.net.state_dict()[k] - v).abs().max()) for k, v in candidate.net.state_dict().items()]
    assert max(gaps) > 1e-4  # a new net, not the validated one
    np.testing.assert_array_equal(refit.calibration, forced.calibration)  # out-of-sample rows kept
    assert refit.residuals.shape == (len(candidate.x),)  # the refit net's one-step errors
    assert refit.report.refit_windows == len(candidate.x) and forced.report.refit_windows == 0  # train says so
    assert refit.predict(series).point.shape == (2,)


@pytest.mark.parametrize("why", ["baseline", "kept_initial", "long"])
def test_a_net_is_not_refit_when_it_is_not_used_learned_nothing_or_has_many_windows(
    monkeypatch: pytest.MonkeyPatch, why: str
) -> None:
    series, candidate, forced, calls = _validated(monkeypatch)
    if why == "baseline":
        forced = replace(forced, choice=forced.choice | {"member": "naive", "kind": "baseline"})
    elif why == "kept_initial":
        candidate = replace(candidate, report=replace(candidate.report, kept_initial=True))
    else:
        monkeypatch.setattr(F, "REFIT_WINDOWS", len(candidate.x))
    assert F._refit(series, forced, candidate, None) is forced
    assert calls == []


def test_a_refit_stopped_by_ctrl_c_keeps_the_validated_net_and_says_interrupted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    series, candidate, forced, calls = _validated(monkeypatch)
    stopped = F._refit(series, forced, candidate, lambda stats: True)  # stop after the first step
    assert len(calls) == 1 and stopped.net is forced.net
    assert stopped.report is not None and stopped.report.interrupted
