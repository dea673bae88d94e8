"""forecast.train: seeding, determinism, early stopping, clipping, devices and truncated BPTT."""

from __future__ import annotations

import copy
import random
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast.train
from forecast.config import ModelConfig, RunConfig, TrainConfig, WindowConfig
from forecast.data.series import SeriesData
from forecast.errors import ConfigError
from forecast.forecaster import Forecaster, fit, split_validation
from forecast.models.registry import build_model
from forecast.optim import Adam
from forecast.train import EpochStats, resolve_device, seed_everything, train_network

torch.set_num_threads(1)


def make_series(n: int = 80, phase: float = 0.0) -> SeriesData:
    index = pd.bdate_range("2020-01-01", periods=n, name="ds")
    t = np.arange(n, dtype=np.float64)
    frame = pd.DataFrame(
        {"Close": 20 + 3 * np.sin(t / 4 + phase) + 0.05 * t, "Volume": 1000 + 50 * np.cos(t / 7)},
        index=index,
    )
    return SeriesData.from_frame(frame, "Close", ("Volume",), "B", "synthetic.csv", "synthetic")


def run_config(seed: int = 0, **train: Any) -> RunConfig:
    settings_ = dict(epochs=3, batch_size=16, seed=seed, device="cpu")
    settings_.update(train)
    return RunConfig(
        window=WindowConfig(input_len=10, horizon=3, transform="logret"),
        model=ModelConfig(hidden=6, layers=2, dropout=0.3),
        train=TrainConfig(**settings_),  # type: ignore[arg-type]
    )


def weights(forecaster: Forecaster) -> dict[str, bytes]:
    return {k: v.detach().cpu().numpy().tobytes() for k, v in forecaster.net.state_dict().items()}


# ---------------------------------------------------------------- determinism


def test_same_seed_same_data_gives_byte_identical_weights_and_predictions() -> None:
    series = make_series()
    first, second = fit(series, run_config(seed=7)), fit(series, run_config(seed=7))
    assert weights(first) == weights(second)
    a, b = first.predict(series), second.predict(series)
    assert a.point.tobytes() == b.point.tobytes()
    assert first.report is not None and second.report is not None
    assert first.report.history == second.report.history
    np.testing.assert_array_equal(first.residuals, second.residuals)


def test_global_random_state_does_not_leak_into_training() -> None:
    series = make_series()
    first = fit(series, run_config(seed=3))
    torch.manual_seed(12345)
    np.random.seed(99)
    random.seed(5)
    torch.rand(10)  # whatever ran before must not matter
    second = fit(series, run_config(seed=3))
    assert weights(first) == weights(second)


def test_different_seed_gives_different_weights() -> None:
    series = make_series()
    # no validation tail: the trainer keeps its best trained epoch, never the untouched start
    a, b = fit(series, run_config(seed=1, val_fraction=0.0)), fit(series, run_config(seed=2, val_fraction=0.0))
    assert weights(a) != weights(b)
    assert not np.array_equal(a.predict(series).point, b.predict(series).point)


def test_seed_everything_seeds_python_numpy_and_torch() -> None:
    seed_everything(11)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    seed_everything(11)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first
    seed_everything(2**40)  # seeds wider than numpy's 32 bits still work


def test_predictions_are_deterministic_in_eval_mode() -> None:
    """Dropout acts in training only: predicting twice gives the same forecast."""
    series = make_series()
    forecaster = fit(series, run_config(epochs=1))
    assert not forecaster.net.training
    a, b = forecaster.predict(series), forecaster.predict(series)
    np.testing.assert_array_equal(a.point, b.point)


# ---------------------------------------------------------------- early stopping


def _net(hidden: int = 4, horizon: int = 2, features: int = 1) -> torch.nn.Module:
    seed_everything(0)
    return build_model(ModelConfig(hidden=hidden, layers=1, dropout=0.0, n_features=features, horizon=horizon))


def test_early_stopping_stops_and_restores_the_best_epoch() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6, 1))
    # training pulls the output towards 1; validation wants 0.3 on the same inputs, so its
    # loss falls while the output passes 0.3 and rises after: the best epoch comes early
    y_train, y_val = np.ones((64, 2)), np.full((16, 2), 0.3)
    net = _net()
    with torch.no_grad():
        start_val = float(net.loss(torch.tensor(x[:16], dtype=torch.float32), torch.tensor(y_val, dtype=torch.float32)))
    snapshots: dict[int, dict[str, torch.Tensor]] = {}

    def remember(stats: EpochStats) -> None:
        snapshots[stats.epoch] = copy.deepcopy(net.state_dict())

    config = TrainConfig(epochs=40, batch_size=16, lr=0.02, patience=3, device="cpu")
    report = train_network(net, x, y_train, x[:16], y_val, config, on_epoch=remember)
    val = [v for _, v in report.history]
    assert report.stopped_early
    assert min(val) < start_val  # training did help at first
    assert report.best_epoch == int(np.argmin(val)) + 1
    assert report.epochs_run == report.best_epoch + config.patience < config.epochs
    assert report.best_val_loss == min(val)
    final = net.state_dict()
    best, last = snapshots[report.best_epoch], snapshots[report.epochs_run]
    assert all(torch.equal(final[k], best[k]) for k in final)
    assert not all(torch.equal(final[k], last[k]) for k in final)
    assert not net.training


def test_patience_zero_runs_every_epoch() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 5, 1))
    config = TrainConfig(epochs=6, batch_size=8, lr=0.02, patience=0, device="cpu")
    report = train_network(_net(), x, np.ones((32, 2)), x[:8], -np.ones((8, 2)), config)
    assert report.epochs_run == 6 and not report.stopped_early
    assert len(report.history) == 6


def test_without_a_validation_tail_the_best_training_epoch_is_kept() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(24, 5, 1))
    empty_x, empty_y = np.zeros((0, 5, 1)), np.zeros((0, 2))
    config = TrainConfig(epochs=4, batch_size=8, device="cpu")
    report = train_network(_net(), x, np.ones((24, 2)), empty_x, empty_y, config)
    assert report.n_val == 0 and report.best_val_loss is None
    assert all(v is None for _, v in report.history)
    assert report.epochs_run == 4


@settings(max_examples=100, deadline=None)
@given(n=st.integers(8, 400), horizon=st.integers(1, 24), fraction=st.sampled_from([0.0, 0.1, 0.2, 0.3]))
def test_validation_tail_is_time_ordered_with_a_gap(n: int, horizon: int, fraction: float) -> None:
    train, val = split_validation(n, horizon, fraction)
    assert train.start == 0 and val.stop == n
    if val.start == val.stop:  # no validation tail
        assert train.stop == n
        return
    assert train.stop <= val.start  # every training window comes before every validation one
    if train.stop > 8:  # the gap holds unless the training part is at its minimum size
        # the last training window's targets end before the first validation window's start
        assert (train.stop - 1) + horizon - 1 < val.start


# ---------------------------------------------------------------- clipping


class _NormSpy:
    """Records the global gradient norm each time the optimizer steps."""

    def __init__(self) -> None:
        self.norms: list[float] = []
        spy = self

        class SpyAdam(Adam):
            def step(self) -> None:
                grads = [p.grad.detach().flatten() for p in self.params if p.grad is not None]
                spy.norms.append(float(torch.cat(grads).norm()))
                super().step()

        self.cls = SpyAdam


@pytest.mark.parametrize("clip_norm", [0.0, 1e-3])
def test_clip_norm_bounds_every_update(monkeypatch: pytest.MonkeyPatch, clip_norm: float) -> None:
    spy = _NormSpy()
    monkeypatch.setattr(forecast.train, "Adam", spy.cls)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(32, 6, 1)) * 5
    config = TrainConfig(epochs=2, batch_size=8, clip_norm=clip_norm, device="cpu")
    train_network(_net(), x, np.full((32, 2), 10.0), x[:0], np.zeros((0, 2)), config)
    assert len(spy.norms) == 8
    if clip_norm:
        assert max(spy.norms) <= clip_norm * (1 + 1e-4)
    else:
        assert max(spy.norms) > 1e-3  # unclipped gradients are far larger: the check above can fail


# ---------------------------------------------------------------- devices


def test_device_cuda_without_a_gpu_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="no CUDA GPU") as info:
        resolve_device("cuda")
    assert "\n" not in str(info.value) and "--device cpu" in str(info.value)
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ConfigError, match="choose auto, cpu or cuda"):
        resolve_device("tpu")
    with pytest.raises(ConfigError):  # before any training starts
        fit(make_series(), run_config(device="cuda"))


def test_device_auto_picks_cuda_when_there_is_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_training_on_cuda_reports_the_device() -> None:
    forecaster = fit(make_series(), run_config(device="cuda", epochs=1))
    assert forecaster.report is not None and forecaster.report.device.startswith("cuda")
    assert np.isfinite(forecaster.predict(make_series()).point).all()


# ---------------------------------------------------------------- mixed precision


def _learnable(n: int = 96) -> tuple[np.ndarray, np.ndarray]:
    """Windows whose target is their own mean: a net that trains at all beats the fresh one."""
    x = np.random.default_rng(3).normal(size=(n, 8, 1))
    return x, np.repeat(x.mean(axis=1), 2, axis=1)  # (N, 8, 1), (N, 2)


@pytest.mark.parametrize("name", ["lstm", "peephole"])
def test_bf16_mixed_precision_trains_and_keeps_fp32_weights(name: str) -> None:
    x, y = _learnable()
    net = build_model(ModelConfig(name=name, hidden=8, layers=1, dropout=0.0, n_features=1, horizon=2))
    config = TrainConfig(epochs=15, batch_size=16, device="cpu", precision="bf16", patience=0, lr=1e-2)
    report = train_network(net, x[:80], y[:80], x[80:], y[80:], config)
    assert report.precision == "bf16" and report.skipped_steps == 0
    assert not report.kept_initial
    assert report.best_val_loss < 0.25 * float((y[80:] ** 2).mean())  # a fresh net forecasts ~0
    assert {p.dtype for p in net.parameters()} == {torch.float32}
    with torch.no_grad():
        assert net(torch.from_numpy(x[:4]).float()).dtype == torch.float32  # outside autocast: fp32


def test_fp16_on_a_cpu_is_refused_with_the_fix() -> None:
    x, y = _learnable()
    with pytest.raises(ConfigError, match=r"--precision fp16 needs a CUDA GPU.*use --precision bf16 or fp32"):
        train_network(_net(), x[:80], y[:80], x[80:], y[80:], TrainConfig(epochs=1, device="cpu", precision="fp16"))


def test_loss_scale_skips_overflowing_steps_and_grows_after_clean_ones() -> None:
    param = torch.nn.Parameter(torch.ones(3))
    scale = forecast.train.LossScale(True, scale=8.0, growth_interval=2)
    scale.backward((param * 2.0).sum())  # d/dp of 8 x 2p = 16 each
    assert scale.unscale([param]) and torch.equal(param.grad, torch.full((3,), 2.0))
    param.grad = torch.tensor([1.0, float("inf"), 0.0])
    assert not scale.unscale([param]) and scale.scale == 4.0 and scale.skipped == 1 and scale.clean_steps == 0
    for _ in range(2):
        param.grad = torch.ones(3)
        assert scale.unscale([param])
    assert scale.scale == 8.0 and scale.clean_steps == 0  # two clean steps doubled it
    plain = forecast.train.LossScale(False)
    param.grad = torch.tensor([float("nan"), 0.0, 0.0])
    assert plain.scale == 1.0 and plain.unscale([param])  # fp32/bf16: no scaling, no checks


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("precision", ["bf16", "fp16"])
@pytest.mark.parametrize("name", ["lstm", "gru", "peephole", "indrnn"])
def test_mixed_precision_on_cuda_trains_and_matches_fp32_closely(name: str, precision: str) -> None:
    x, y = _learnable()
    results = {}
    for p in ("fp32", precision):
        seed_everything(0)
        net = build_model(ModelConfig(name=name, hidden=8, layers=1, dropout=0.0, n_features=1, horizon=2))
        config = TrainConfig(epochs=15, batch_size=16, device="cuda", precision=p, patience=0, lr=1e-2)
        results[p] = train_network(net, x[:80], y[:80], x[80:], y[80:], config)
        assert {q.dtype for q in net.parameters()} == {torch.float32}
    mixed = results[precision]
    assert mixed.precision == precision and not mixed.kept_initial
    assert mixed.best_val_loss <= 1.25 * results["fp32"].best_val_loss + 1e-3  # no real accuracy cost


# ---------------------------------------------------------------- truncated BPTT


def test_tbptt_stops_gradients_at_chunk_boundaries() -> None:
    net = _net(hidden=5, horizon=1)
    with torch.no_grad():  # the head may start at zero (the mean forecast): give it weights
        for param in net.parameters():
            param.normal_(0.0, 0.5)
    x = torch.randn(3, 12, 1, requires_grad=True)
    full = net(x)
    net.tbptt = 4
    truncated = net(x)
    torch.testing.assert_close(truncated, full)  # same forward values, state carried across chunks
    truncated.sum().backward()
    assert x.grad is not None
    assert torch.count_nonzero(x.grad[:, :8]) == 0  # nothing flows past the last chunk
    assert torch.count_nonzero(x.grad[:, 8:]) > 0
    x.grad = None
    net.tbptt = 0
    net(x).sum().backward()
    assert torch.count_nonzero(x.grad[:, :8]) > 0  # with full BPTT it does


def test_training_with_tbptt() -> None:
    series = make_series()
    forecaster = fit(series, run_config(tbptt=3, epochs=2, val_fraction=0.0))
    assert forecaster.net.tbptt == 3
    assert forecaster.report is not None
    assert all(np.isfinite(t) for t, _ in forecaster.report.history)
    plain = fit(series, run_config(tbptt=0, epochs=2, val_fraction=0.0))
    assert weights(forecaster) != weights(plain)  # truncation changes the gradients
    assert np.isfinite(forecaster.predict(series).point).all()


def test_report_counts_match_the_split() -> None:
    series = make_series(120)
    forecaster = fit(series, run_config(epochs=1))
    report = forecaster.report
    assert report is not None
    n = 120 - 1 - 10 - 3 + 1  # logret loses a row
    train, val = split_validation(n, 3, 0.1)
    assert (report.n_train, report.n_val) == (train.stop - train.start, val.stop - val.start)
    assert report.device == "cpu" and report.seconds >= 0
