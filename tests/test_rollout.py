"""forecast/rollout.py and forecast/fanchart.py: the generation loop, seeds, levels, summaries.

When do stateful and window mode agree? Stateful mode encodes the seed once and carries the
state, so after t steps that state has read L + t values; window mode re-reads only the last
L from a zero state. So:

- the first step always agrees (both read exactly the seed window);
- every step agrees exactly when the state is a function of the last L inputs alone: a
  tanh RNN whose hidden-to-hidden weights are zero (h_t = tanh(W x_t + b) reads one input),
  and, to float precision, one whose recurrence is contractive: with ||W_hh|| <= 0.05 and
  tanh 1-Lipschitz, what came before the window is damped by 0.05^L (1e-26 at L = 20);
- nets without a real step (bidirectional) roll out by window re-feed in both modes;
- an LSTM with a strong memory (forget gates open) really differs after step 1.

The noise agrees too: both modes draw from one generator in the same order and shapes.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from forecast.config import DataSpec, ModelConfig, RunConfig, TrainConfig, WindowConfig
from forecast.data.csv import read_csv_series
from forecast.data.series import SeriesData
from forecast.errors import ConfigError, DataError, NotFoundError
from forecast.fanchart import max_drawdowns, plot_fan, summarize
from forecast.forecaster import Forecaster, fit
from forecast.models.registry import MODELS
from forecast.rollout import generate, resolve_seed, rollout

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


def _tail_csv(tmp: Path, name: str, rows: int) -> Path:
    lines = (SAMPLE / name).read_text().splitlines()
    path = tmp / name
    path.write_text("\n".join([lines[0], *lines[-rows:]]) + "\n")
    return path


def _fit(series: SeriesData, path: Path, name: str = "lstm", **model: object) -> Forecaster:
    run = RunConfig(
        data=DataSpec(path=str(path)),
        window=WindowConfig(**model.pop("window", {})),  # type: ignore[arg-type]
        model=ModelConfig(name=name, hidden=8, layers=1, **model),  # type: ignore[arg-type]
        train=TrainConfig(epochs=2, batch_size=64, device="cpu"),
    )
    return fit(series, run)


@pytest.fixture(scope="module")
def msft(tmp_path_factory: pytest.TempPathFactory) -> tuple[SeriesData, Path]:
    path = _tail_csv(tmp_path_factory.mktemp("msft"), "pmdarima_msft.csv", 400)
    return read_csv_series(DataSpec(path=str(path))), path


@pytest.fixture(scope="module")
def airline() -> tuple[SeriesData, Path]:
    path = SAMPLE / "sktime_airline.csv"
    return read_csv_series(DataSpec(path=str(path))), path


@pytest.fixture(scope="module")
def msft_lstm(msft: tuple[SeriesData, Path]) -> Forecaster:
    return _fit(*msft, window={"transform": "logret"})  # point head, window 20


@pytest.fixture(scope="module")
def air_gauss(airline: tuple[SeriesData, Path]) -> Forecaster:
    return _fit(*airline, "rnn", head="gaussian", window={"transform": "level"})  # window 24


def _randomized(fc: Forecaster, scale: float = 0.4) -> Forecaster:
    """A copy with random weights of order one, so outputs really depend on the inputs (a
    net trained for 2 epochs may keep its zero-initialised output layer)."""
    net = copy.deepcopy(fc.net)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * scale)
    return replace(fc, net=net)


def _both(fc: Forecaster, **kw: object) -> tuple[np.ndarray, np.ndarray]:
    seed = np.random.default_rng(0).normal(size=(fc.input_len, 1))
    return (rollout(fc, seed, mode="stateful", **kw), rollout(fc, seed, mode="window", **kw))  # type: ignore[arg-type]


# --- stateful vs window -------------------------------------------------------------------

def test_first_step_always_agrees(msft_lstm: Forecaster) -> None:
    stateful, window = _both(_randomized(msft_lstm), steps=6, paths=16, seed=3)
    np.testing.assert_allclose(stateful[:, 0], window[:, 0], atol=1e-6)


def test_strong_memory_lstm_differs_after_step_one(msft_lstm: Forecaster) -> None:
    fc = _randomized(msft_lstm)
    with torch.no_grad():
        fc.net.rnn.bias_hh_l0[8:16] = 6.0  # forget gates open: the cell keeps what came before
    stateful, window = _both(fc, steps=6, temperature=0.0)
    np.testing.assert_allclose(stateful[:, 0], window[:, 0], atol=1e-6)
    assert np.abs(stateful[:, 1:] - window[:, 1:]).max() > 1e-4


@pytest.mark.parametrize("norm", [0.0, 0.05])
def test_all_steps_agree_when_state_depends_only_on_window(air_gauss: Forecaster, norm: float) -> None:
    fc = _randomized(air_gauss)
    with torch.no_grad():
        w = fc.net.rnn.weight_hh_l0
        w.mul_(norm / max(float(torch.linalg.matrix_norm(w, 2)), 1e-12))
    stateful, window = _both(fc, steps=40, paths=32, seed=5, temperature=1.0)
    np.testing.assert_allclose(stateful, window, atol=1e-5)


def test_bidirectional_net_rolls_out_by_window_in_both_modes(airline: tuple[SeriesData, Path]) -> None:
    fc = _randomized(_fit(*airline, "gru", bidirectional=True, head="quantile"))
    assert not fc.net.supports_step
    stateful, window = _both(fc, steps=10, paths=8, seed=1)
    np.testing.assert_allclose(stateful, window, atol=1e-6)


# --- sampling -----------------------------------------------------------------------------

@pytest.mark.parametrize("head", ["point", "gaussian", "studentt", "quantile"])
def test_same_seed_same_paths(airline: tuple[SeriesData, Path], head: str) -> None:
    fc = _randomized(_fit(*airline, "gru", head=head))
    seed = np.zeros((fc.input_len, 1))
    before = torch.random.get_rng_state()
    a = rollout(fc, seed, steps=12, paths=20, seed=7)
    assert torch.equal(torch.random.get_rng_state(), before)  # the global RNG is left alone
    b = rollout(fc, seed, steps=12, paths=20, seed=7)
    c = rollout(fc, seed, steps=12, paths=20, seed=8)
    assert a.shape == (20, 12) and np.array_equal(a, b)
    assert not np.allclose(a, c)
    assert np.std(a[:, -1]) > 0  # paths really differ


def test_temperature_zero_is_one_deterministic_path(msft_lstm: Forecaster, msft: tuple[SeriesData, Path]) -> None:
    series, _ = msft
    seed = resolve_seed(msft_lstm, series)
    gen = generate(msft_lstm, series, seed, steps=5, paths=50, temperature=0.0)
    assert gen.values.shape == (1, 5)
    first = msft_lstm.predict(series).point[0]  # the same one-step forecast from the same window
    assert gen.values[0, 0] == pytest.approx(first, rel=1e-6)


def test_temperature_scales_bootstrap_noise(msft_lstm: Forecaster) -> None:
    seed = np.zeros((msft_lstm.input_len, 1))
    point = rollout(msft_lstm, seed, steps=1, temperature=0.0)[0, 0]
    hot = rollout(msft_lstm, seed, steps=1, paths=400, temperature=1.0, seed=2)[:, 0]
    cool = rollout(msft_lstm, seed, steps=1, paths=400, temperature=0.5, seed=2)[:, 0]
    np.testing.assert_allclose(cool - point, 0.5 * (hot - point), atol=1e-5)
    assert np.std(hot) == pytest.approx(np.std(msft_lstm.step_errors()), rel=0.25)


def test_point_models_bootstrap_their_out_of_sample_errors(msft_lstm: Forecaster) -> None:
    """A calibrated model's noise comes from its validation errors, not its training fit."""
    seed = np.zeros((msft_lstm.input_len, 1))
    point = rollout(msft_lstm, seed, steps=1, temperature=0.0)[0, 0]
    calibration = np.full((30, msft_lstm.run.model.horizon), 0.25)
    calibrated = replace(msft_lstm, calibration=calibration)
    np.testing.assert_allclose(rollout(calibrated, seed, steps=1, paths=50)[:, 0] - point, 0.25, atol=1e-5)
    uncalibrated = replace(msft_lstm, calibration=np.zeros((0, 0)))
    np.testing.assert_array_equal(uncalibrated.step_errors(), msft_lstm.residuals)


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"steps": 0}, "--steps 0"),
        ({"paths": 0}, "--paths 0"),
        ({"steps": 100_000, "paths": 1000}, "keep it under"),
        ({"temperature": -1.0}, "--temperature"),
        ({"mode": "sideways"}, "--mode"),
    ],
)
def test_out_of_range_is_config_error(msft_lstm: Forecaster, kw: dict[str, object], match: str) -> None:
    args = {"steps": 5, "paths": 2, **kw}
    with pytest.raises(ConfigError, match=match):
        rollout(msft_lstm, np.zeros((msft_lstm.input_len, 1)), **args)  # type: ignore[arg-type]


def test_features_model_cannot_generate(msft_lstm: Forecaster) -> None:
    run = msft_lstm.run
    fc = replace(msft_lstm, run=replace(run, data=replace(run.data, features=("Open",)),
                                        model=replace(run.model, n_features=2)))
    with pytest.raises(ConfigError, match="features"):
        rollout(fc, np.zeros((fc.input_len, 2)), steps=3)


def test_class_model_generates_labels(tmp_path: Path) -> None:
    path = _tail_csv(tmp_path, "vega_seattle_weather.csv", 200)
    series = read_csv_series(DataSpec(path=str(path), target="weather"))
    fc = _fit(series, path, "gru", window={"input_len": 10, "horizon": 1})
    gen = generate(fc, series, resolve_seed(fc, series, seed_values="sun,rain,sun,fog", pad=True),
                   steps=8, paths=30, random_seed=1)
    table = gen.table()
    assert set(table["value"]) <= set(series.classes) and len(set(table["value"])) > 1


@pytest.mark.parametrize("name", list(MODELS))
def test_every_registered_model_generates(airline: tuple[SeriesData, Path], name: str) -> None:
    series, path = airline
    fc = _fit(series, path, name, head="gaussian", window={"input_len": 12, "horizon": 2})
    seed = resolve_seed(fc, series)
    for mode in ("stateful", "window"):
        gen = generate(fc, series, seed, steps=4, paths=5, mode=mode)
        assert gen.values.shape == (5, 4) and np.isfinite(gen.values).all()


# --- seeds --------------------------------------------------------------------------------

def test_zero_seed_anchors(msft_lstm: Forecaster, air_gauss: Forecaster, msft, airline) -> None:  # type: ignore[no-untyped-def]
    seed = resolve_seed(msft_lstm, msft[0], "zeros")  # logret: no change from the last level
    assert not seed.window.any() and seed.last_level == msft[0].y[-1]
    seed = resolve_seed(air_gauss, airline[0], "zeros")  # level: zero = the training mean
    assert seed.last_level == pytest.approx(airline[0].y.mean())
    diff = _fit(*airline, "gru", window={"transform": "diff"})  # diff: the mean change, to the end
    seed = resolve_seed(diff, airline[0], "zeros")
    steps = np.diff(seed.history.to_numpy())
    assert seed.last_level == airline[0].y[-1] and len(seed.history) == diff.input_len + 1
    np.testing.assert_allclose(steps, np.diff(airline[0].y).mean())


def test_data_seed_is_the_real_window(msft_lstm: Forecaster, msft: tuple[SeriesData, Path]) -> None:
    series, _ = msft
    seed = resolve_seed(msft_lstm, series, "data:2016-06-30")
    pos = int(np.flatnonzero(series.index == pd.Timestamp("2016-06-30"))[0])
    np.testing.assert_allclose(seed.window[:, 0], msft_lstm.model_inputs(series.head(pos + 1))[0, :, 0], atol=1e-6)
    assert seed.last_level == series.y[pos] and seed.label == "data:2016-06-30"
    gen = generate(msft_lstm, series, seed, steps=10, paths=3)
    assert list(gen.dates[:2]) == [pd.Timestamp("2016-07-01"), pd.Timestamp("2016-07-04")]
    assert (gen.dates.day_of_week < 5).all()  # business days continue


def test_unknown_date_lists_nearest(msft_lstm: Forecaster, msft: tuple[SeriesData, Path]) -> None:
    with pytest.raises(DataError, match=r"nearest: .*2016-07-01, 2016-07-05") as err:
        resolve_seed(msft_lstm, msft[0], "data:2016-07-02")
    assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="not a date"):  # the command line's, not the file's
        resolve_seed(msft_lstm, msft[0], "data:yesterdayish")


def test_csv_and_inline_seeds_match_the_data_seed(msft_lstm: Forecaster, msft, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    series, _ = msft
    levels = series.y[-(msft_lstm.input_len + 1) :]
    expected = resolve_seed(msft_lstm, series).window
    csv = tmp_path / "seed.csv"
    pd.DataFrame({"Date": series.index[-len(levels) :], "Close": levels, "Volume": 1.0}).to_csv(csv, index=False)
    inline = ",".join(repr(float(v)) for v in levels)
    for seed in (
        resolve_seed(msft_lstm, series, str(csv)),  # the target's column by name
        resolve_seed(msft_lstm, series, f"{csv}:Close"),
        resolve_seed(msft_lstm, series, seed_values=inline),
    ):
        np.testing.assert_allclose(seed.window, expected, atol=1e-9)
        assert seed.last_level == levels[-1]
    pd.DataFrame({"a": levels, "b": levels}).to_csv(csv, index=False)
    with pytest.raises(DataError, match="which column"):
        resolve_seed(msft_lstm, series, str(csv))
    with pytest.raises(NotFoundError, match="no such file"):
        resolve_seed(msft_lstm, series, str(tmp_path / "missing.csv"))


def test_short_seed_needs_pad(msft_lstm: Forecaster, msft: tuple[SeriesData, Path]) -> None:
    series, _ = msft
    with pytest.raises(DataError, match=r"3 values, but this model reads 21 .*give 18 more.*--pad zeros"):
        resolve_seed(msft_lstm, series, seed_values="80,81,82")
    seed = resolve_seed(msft_lstm, series, seed_values="80,81,82", pad=True)
    assert not seed.window[:-2].any() and seed.window[-2:].all() and seed.last_level == 82.0
    gen = generate(msft_lstm, series, seed, steps=3, paths=4)
    assert np.isfinite(gen.values).all()


def test_bad_seed_values(msft_lstm: Forecaster, msft: tuple[SeriesData, Path]) -> None:
    with pytest.raises(ConfigError, match=r"position 2 \('x'\)"):
        resolve_seed(msft_lstm, msft[0], seed_values="80,x,82", pad=True)
    with pytest.raises(ConfigError, match="not both"):
        resolve_seed(msft_lstm, msft[0], "zeros", "1,2")


# --- levels, calendar, summary, chart -----------------------------------------------------

def test_levels_and_monthly_calendar(air_gauss: Forecaster, airline: tuple[SeriesData, Path]) -> None:
    series, _ = airline
    gen = generate(air_gauss, series, resolve_seed(air_gauss, series), steps=14, paths=200, random_seed=3)
    assert gen.dates[0] == pd.Timestamp("1961-01-01") and (gen.dates.day == 1).all()
    assert gen.dates[-1] == pd.Timestamp("1962-02-01")
    assert 50 < np.median(gen.values) < 1000  # passengers, not scaled units
    table = gen.table()
    assert list(table.columns) == ["path", "step", "ds", "value"] and len(table) == 200 * 14
    assert table["ds"].iloc[13] == gen.dates[-1] and table["path"].iloc[14] == 2


def test_drawdown_against_a_naive_loop() -> None:
    values = np.random.default_rng(0).lognormal(0, 0.1, size=(20, 30)).cumprod(axis=1)
    got, kind = max_drawdowns(values, 1.0)
    for row, dd in zip(values, got):
        peak, worst = 1.0, 0.0
        for v in row:
            peak = max(peak, v)
            worst = max(worst, (peak - v) / peak)
        assert dd == pytest.approx(worst)
    assert kind == "fraction"
    assert max_drawdowns(values - 5, -4.0)[1] == "absolute"


def test_summary() -> None:
    values = np.tile(np.arange(1.0, 101.0)[:, None], (1, 3))  # 100 paths, 3 steps
    dates = pd.date_range("2020-01-01", periods=3, freq="MS")
    out = summarize(values, dates, start=50.0, threshold=90.5)
    assert out["threshold"]["p_above"] == pytest.approx(0.10) and out["threshold"]["p_below"] == pytest.approx(0.90)
    assert out["quantiles"][0]["q50"] == pytest.approx(50.5) and len(out["quantiles"]) == 3
    assert summarize(values, dates, start=50.0)["threshold"]["value"] == 50.0


def test_fan_chart_writes_png(tmp_path: Path) -> None:
    dates = pd.date_range("2020-01-01", periods=30, freq="B")
    history = pd.Series(np.linspace(90, 100, 40), index=pd.date_range(end="2019-12-31", periods=40, freq="B"))
    values = 100 + np.random.default_rng(0).normal(size=(50, 30)).cumsum(axis=1)
    out = plot_fan(tmp_path / "fan.png", history, dates, values, title="t", threshold=100.0)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["fan.png"]  # no temporary file left
    with pytest.raises(ConfigError, match="png"):
        plot_fan(tmp_path / "fan.txt", history, dates, values, title="t")
