"""One conformance suite over every registered model (read from the registry, never a list).

Claims checked for each member:
- forward (B, L, F) -> (B, H, P) for every head; the loss is a finite scalar whose gradient
  reaches every parameter; point / sample / quantiles have the contract's shapes;
- the same seed builds the same weights and the same outputs; eval mode is deterministic
  (dropout between layers acts in training only);
- encode/step continue a window exactly as forward would (real step or window re-feed);
- learns a noisy sine (noise variance 0.01, signal variance 0.5) to MSE < 0.05 within
  LEARN_STEPS full-batch Adam steps (hidden 16, window 16, horizon 4);
- fit -> to_payload -> save_bundle -> load_bundle -> from_payload predicts identically;
- the same on CUDA when present (marked ``cuda``, skipped cleanly without a GPU).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from forecast.bundle import from_payload, to_payload
from forecast.config import ModelConfig, RunConfig, TrainConfig, WindowConfig
from forecast.data.series import SeriesData
from forecast.forecaster import fit
from forecast.models.base import ForecastNet
from forecast.models.registry import MODELS, build_model
from forecast.persistence import load_bundle, save_bundle
from forecast.train import seed_everything

NAMES = list(MODELS)
RECURRENT_CELLS = [n for n, spec in MODELS.items() if spec.builder.endswith(":RecurrentNet")]
HEADS = {"point": 1, "gaussian": 2, "studentt": 3, "quantile": 3, "class": 4}
LAYOUTS = [(1, False), (2, False), (1, True), (2, True)]  # (layers, bidirectional)
B, L, F, H = 3, 9, 2, 4
LEARN_STEPS, LEARN_MSE = 60, 0.05

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")


def make_net(name: str, seed: int = 0, **overrides: object) -> ForecastNet:
    sizes: dict[str, object] = dict(hidden=8, layers=1, dropout=0.0, horizon=H, n_features=F)
    sizes.update(overrides)
    if sizes.get("head") == "class":
        sizes.setdefault("n_classes", HEADS["class"])
    seed_everything(seed)
    return build_model(ModelConfig(name=name, **sizes))  # type: ignore[arg-type]


def batch(head: str = "point", seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """x (B, L, F), y (B, H); class codes in the target column for the class head."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, L, F, generator=g)
    y = torch.randn(B, H, generator=g)
    if head == "class":
        x[..., 0] = torch.randint(0, HEADS["class"], (B, L), generator=g).float()
        y = torch.randint(0, HEADS["class"], (B, H), generator=g).float()
    return x, y


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("name", NAMES)
def test_heads_shapes_and_gradients(name: str, head: str) -> None:
    net = make_net(name, head=head)
    x, y = batch(head)
    out = net(x)
    assert out.shape == (B, H, HEADS[head])
    loss = net.loss(x, y)
    assert loss.dim() == 0 and torch.isfinite(loss)
    loss.backward()
    missing = [n for n, p in net.named_parameters() if p.grad is None]
    assert not missing, f"no gradient reaches {missing}"
    assert net.head.point(out).shape == (B, H)
    gen = torch.Generator().manual_seed(0)
    assert net.head.sample(out, gen, 1.0).shape == (B, H)
    q = net.head.quantiles(out, (0.1, 0.5, 0.9))
    assert q is None or q.shape == (B, H, 3)


@pytest.mark.parametrize("layers,bidirectional", LAYOUTS)
@pytest.mark.parametrize("name", NAMES)
def test_layouts(name: str, layers: int, bidirectional: bool) -> None:
    net = make_net(name, layers=layers, bidirectional=bidirectional, dropout=0.3)
    x, y = batch()
    net.train()
    net.loss(x, y).backward()
    net.eval()
    with torch.no_grad():
        first, second = net(x), net(x)
    assert first.shape == (B, H, 1)
    assert torch.equal(first, second), "eval mode must not apply dropout"


@pytest.mark.parametrize("name", RECURRENT_CELLS)
def test_seq2seq_regime(name: str) -> None:
    net = make_net(name, regime="seq2seq", layers=2)
    x, y = batch()
    assert net(x).shape == (B, H, 1)
    net.loss(x, y).backward()


@pytest.mark.parametrize("name", NAMES)
def test_determinism_under_seed(name: str) -> None:
    x, y = batch()
    a, b = make_net(name, seed=7), make_net(name, seed=7)
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb and torch.equal(va, vb)
    torch.manual_seed(3)
    loss_a = a.loss(x, y)  # training mode: teacher forcing draws from the global RNG
    torch.manual_seed(3)
    loss_b = b.loss(x, y)
    assert torch.equal(loss_a, loss_b)
    a.eval(), b.eval()
    assert torch.equal(a(x), b(x))


STEP_CASES = [(n, "seq2vec") for n in NAMES] + [(n, "seq2seq") for n in RECURRENT_CELLS]


@pytest.mark.parametrize("name,regime", STEP_CASES)
def test_encode_step_continue_the_window(name: str, regime: str) -> None:
    net = make_net(name, regime=regime).eval()
    x, _ = batch()
    with torch.no_grad():
        _, state = net.encode(x[:, :-1])
        out_t, _ = net.step(x[:, -1], state)  # (B, P)
        expected = net(x)[:, 0] if net.supports_step else net(x[:, 1:])[:, 0]
    assert out_t.shape == (B, 1)
    torch.testing.assert_close(out_t, expected, atol=1e-5, rtol=1e-5)


def noisy_sine(n: int = 64, length: int = 16, horizon: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """Windows of sin(2 pi t / 12) + N(0, 0.1^2): x (n, length, 1), y (n, horizon)."""
    g = torch.Generator().manual_seed(0)
    t = torch.arange(n + length + horizon, dtype=torch.float32)
    s = torch.sin(2 * math.pi * t / 12) + 0.1 * torch.randn(len(t), generator=g)
    rows = torch.arange(n)[:, None]
    return s[rows + torch.arange(length)][..., None], s[rows + length + torch.arange(horizon)]


@pytest.mark.parametrize("name", NAMES)
def test_learns_a_noisy_sine(name: str) -> None:
    x, y = noisy_sine()
    net = make_net(name, hidden=16, n_features=1)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.02)
    for _ in range(LEARN_STEPS):
        loss = net.loss(x, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    net.eval()
    with torch.no_grad():
        mse = float(net.head.loss(net(x), y))
    assert mse < LEARN_MSE, f"{name}: MSE {mse:.4f} after {LEARN_STEPS} steps"


def sine_series(n: int = 80) -> SeriesData:
    index = pd.date_range("2020-01-01", periods=n, freq="D", name="ds")
    t = np.arange(n)
    frame = pd.DataFrame(
        {"y": 10 + np.sin(2 * np.pi * t / 7), "temp": np.cos(2 * np.pi * t / 7)}, index=index
    )
    return SeriesData.from_frame(frame, "y", ("temp",), "D", "synthetic.csv", "synthetic")


def tiny_run(name: str, head: str = "point", device: str = "cpu", **model: object) -> RunConfig:
    sizes: dict[str, object] = dict(hidden=8, layers=1, head=head)
    sizes.update(model)
    return RunConfig(
        window=WindowConfig(input_len=10, horizon=3, transform="level"),
        model=ModelConfig(name=name, **sizes),  # type: ignore[arg-type]
        train=TrainConfig(epochs=2, batch_size=16, device=device),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("head", ["point", "gaussian"])
@pytest.mark.parametrize("name", NAMES)
def test_save_load_round_trip(name: str, head: str, tmp_path: Path) -> None:
    series = sine_series()
    fitted = fit(series, tiny_run(name, head))
    path = save_bundle(to_payload(fitted, series, "roundtrip"), tmp_path / "m.joblib")
    loaded = from_payload(load_bundle(path))
    torch.testing.assert_close(loaded.raw_output(series), fitted.raw_output(series), atol=0, rtol=0)
    before, after = fitted.predict(series), loaded.predict(series)
    np.testing.assert_array_equal(after.point, before.point)
    assert after.quantiles.keys() == before.quantiles.keys()
    for level in before.quantiles:
        np.testing.assert_array_equal(after.quantiles[level], before.quantiles[level])


@pytest.mark.parametrize("name", NAMES)
def test_bidirectional_two_layer_round_trip(name: str, tmp_path: Path) -> None:
    series = sine_series()
    fitted = fit(series, tiny_run(name, layers=2, bidirectional=True))
    path = save_bundle(to_payload(fitted, series, "roundtrip"), tmp_path / "m.joblib")
    loaded = from_payload(load_bundle(path))
    np.testing.assert_array_equal(loaded.predict(series).point, fitted.predict(series).point)


@pytest.mark.cuda
@cuda
@pytest.mark.parametrize("name", NAMES)
def test_cuda_matches_cpu(name: str) -> None:
    net = make_net(name, head="gaussian").eval()
    x, y = batch()
    with torch.no_grad():
        expected = net(x)
        net.cuda()
        got = net(x.cuda()).cpu()
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)
    net.train()
    net.loss(x.cuda(), y.cuda()).backward()


@pytest.mark.cuda
@cuda
@pytest.mark.parametrize("name", NAMES)
def test_cuda_fit_then_load_on_cpu(name: str, tmp_path: Path) -> None:
    series = sine_series()
    fitted = fit(series, tiny_run(name, device="cuda"))
    path = save_bundle(to_payload(fitted, series, "gpu"), tmp_path / "m.joblib")
    loaded = from_payload(load_bundle(path), "cpu")
    torch.testing.assert_close(
        loaded.raw_output(series), fitted.raw_output(series).cpu(), atol=1e-4, rtol=1e-4
    )


def test_every_member_builds_its_registered_class() -> None:
    assert {"attention", "seq2seq"} <= set(NAMES)
    for name in NAMES:
        assert type(make_net(name)).__name__ == MODELS[name].builder.split(":")[1]


@pytest.mark.parametrize("name", list(MODELS))
def test_a_fresh_net_forecasts_the_training_mean(name: str) -> None:
    """The contract: output projections start at zero, so early stopping can keep the mean."""
    net = build_model(ModelConfig(name=name, n_features=F, horizon=H, hidden=8, layers=1)).eval()
    x, _ = batch()
    with torch.no_grad():
        assert torch.count_nonzero(net(x)) == 0
