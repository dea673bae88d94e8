"""The step budget: training cost follows a step budget, not the number of rows (issues 12 and 15)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import forecast.train as T
from forecast.config import DataSpec, ModelConfig, TrainConfig
from forecast.data.csv import read_csv_series
from forecast.models.registry import build_model
from forecast.train import epoch_batches, resolve_training, train_network
from forecast.windows import make_windows

torch.set_num_threads(1)


def test_epochs_give_about_the_step_budget_and_long_series_sample_their_epochs() -> None:
    config = TrainConfig(batch_size=32, val_fraction=0.1)
    small = resolve_training(config, 100)  # 90 training windows: 3 batches an epoch
    assert small.epochs == 200
    medium = resolve_training(config, 3000)  # 2,700 windows: 85 batches, 8 epochs
    assert medium.epochs == 8 and epoch_batches(2700, 32) == 85
    # 2M windows train as many steps as 80,000: an epoch is EPOCH_BATCHES sampled batches
    huge, long = resolve_training(config, 2_000_000), resolve_training(config, 80_000)
    assert huge.epochs == long.epochs == T.MIN_EPOCHS
    assert epoch_batches(1_800_000, 32) == epoch_batches(72_000, 32) == T.EPOCH_BATCHES


def _windows(sample_data: Path, rows: int, input_len: int) -> tuple[np.ndarray, np.ndarray]:
    taylor = read_csv_series(DataSpec(path=str(sample_data / "pmdarima_taylor_halfhourly.csv")))
    z = (taylor.y[:rows] - taylor.y[:rows].mean()) / taylor.y[:rows].std()
    return make_windows(z[:, None], z, input_len, 4)  # strided views, no copy


def test_gathered_batches_train_exactly_like_one_dense_tensor(
    sample_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    x, y = _windows(sample_data, 600, 48)
    config = TrainConfig(epochs=2, device="cpu", seed=3)

    def trained() -> list[np.ndarray]:
        torch.manual_seed(0)
        net = build_model(ModelConfig(hidden=4, layers=1, dropout=0.0, horizon=4))
        train_network(net, x[:450], y[:450], x[500:], y[500:], config)
        return [p.detach().numpy().copy() for p in net.parameters()]

    dense = trained()
    monkeypatch.setattr(T, "DENSE_BYTES", 0)  # every batch gathered from the views
    for a, b in zip(dense, trained(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_sampled_epoch_draws_epoch_batches(sample_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    x, y = _windows(sample_data, 3000, 48)
    monkeypatch.setattr(T, "EPOCH_BATCHES", 5)
    seen: list[int] = []
    real = T.Windows.batch

    def counting(self: T.Windows, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        seen.append(len(idx))
        return real(self, idx)

    monkeypatch.setattr(T.Windows, "batch", counting)
    net = build_model(ModelConfig(hidden=4, layers=1, dropout=0.0, horizon=4))
    train_network(net, x, y, x[:0], y[:0], TrainConfig(epochs=1, batch_size=32, device="cpu"))
    assert seen == [32] * 5  # 5 batches of 32 from 2,900 windows, not 91 batches


def test_the_default_window_of_high_frequency_data_is_capped() -> None:
    from forecast.forecaster import MAX_INPUT_LEN, default_input_len

    # a season longer than the cap (1,440 minutes) is the seasonal transform's: the window
    # holds the horizon's worth of recent steps (at least 20), never 2 x 1,440
    assert default_input_len("min", 168, 2_000_000) == 168
    assert default_input_len("min", 5, 2_000_000) == 20
    assert default_input_len("min", 600, 2_000_000) == MAX_INPUT_LEN
    assert default_input_len("30min", 48, 17_000) == 96  # two daily seasons, as before
    assert default_input_len("h", 168, 17_000) == MAX_INPUT_LEN  # 2 x 168 hours, as before


def test_long_windows_draw_fewer_batches_an_epoch_and_train_about_the_step_budget() -> None:
    config = TrainConfig(batch_size=32, val_fraction=0.1)
    assert epoch_batches(1_800_000, 32, T.REF_LEN) == T.EPOCH_BATCHES
    assert epoch_batches(1_800_000, 32, 168) == T.EPOCH_BATCHES * T.REF_LEN // 168  # 95
    assert epoch_batches(1_800_000, 32, 10_000) == T.MIN_EPOCH_BATCHES
    assert epoch_batches(640, 32, 168) == 20  # short data: every window once, as before
    short, long = resolve_training(config, 2_000_000, 20), resolve_training(config, 2_000_000, 168)
    assert short.epochs * epoch_batches(1_800_000, 32, 20) == 1250
    steps = long.epochs * epoch_batches(1_800_000, 32, 168)
    assert T.STEP_BUDGET <= steps < 1250  # about the step budget, a ceiling of epochs above it


def test_validation_scores_fewer_windows_when_they_are_long() -> None:
    assert T.val_windows(20) == T.VAL_WINDOWS
    assert T.val_windows(336) == T.MIN_VAL_WINDOWS  # 4,096 x 64 / 336 = 780, raised to 1,024
    assert T.val_windows(128) == 2048
