"""The encoder-decoder (seq2seq.py) and attention (attention.py) against their equations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch import Tensor

from forecast.config import ModelConfig, RunConfig, TrainConfig, WindowConfig
from forecast.data.series import SeriesData
from forecast.errors import ConfigError
from forecast.forecaster import fit
from forecast.models.attention import AdditiveScore, AttentionNet, DotScore, explain
from forecast.models.registry import build_model
from forecast.models.seq2seq import Seq2SeqNet
from forecast.train import seed_everything

B, L, F, H = 2, 7, 2, 3


def net(name: str, seed: int = 0, **config: object) -> Seq2SeqNet:
    sizes: dict[str, object] = dict(hidden=6, layers=1, dropout=0.0, horizon=H, n_features=F)
    sizes.update(config)
    seed_everything(seed)
    model = build_model(ModelConfig(name=name, **sizes))  # type: ignore[arg-type]
    assert isinstance(model, Seq2SeqNet)
    torch.nn.init.normal_(model.proj.weight)  # a fresh net outputs zeros; these tests need signal
    torch.nn.init.normal_(model.proj.bias)
    return model.double()


def inputs(seed: int = 1) -> tuple[Tensor, Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, L, F, generator=g, dtype=torch.float64)  # (B, L, F)
    return x, torch.randn(B, H, generator=g, dtype=torch.float64)  # (B, H)


def test_additive_score_equation() -> None:
    score = AdditiveScore(4).double()
    q, k = torch.randn(B, 4, dtype=torch.float64), torch.randn(B, L, 4, dtype=torch.float64)
    Wq, v = score.query.weight.detach(), score.v.weight[0].detach()
    expected = torch.tensor(
        [[float(v @ torch.tanh(Wq @ q[b] + k[b, j])) for j in range(L)] for b in range(B)],
        dtype=torch.float64,
    )
    torch.testing.assert_close(score(q, k), expected)


def test_dot_score_equation() -> None:
    q, k = torch.randn(B, 4, dtype=torch.float64), torch.randn(B, L, 4, dtype=torch.float64)
    expected = torch.tensor(
        [[float(q[b] @ k[b, j]) / math.sqrt(4) for j in range(L)] for b in range(B)],
        dtype=torch.float64,
    )
    torch.testing.assert_close(DotScore(4)(q, k), expected)


@pytest.mark.parametrize("kind", ["additive", "dot"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_attention_decoder_equations(kind: str, bidirectional: bool) -> None:
    """Unroll a_tj = softmax(e_tj), c_t = sum a_tj o_j, d_t = LSTM([y; c_t]), out = W[d_t; c_t]."""
    model = net("attention", attention=kind, bidirectional=bidirectional).eval()
    x, _ = inputs()
    with torch.no_grad():
        got = model(x)
        o, (h, c) = model.encoder(x)  # o (B, L, D*hidden)
        if bidirectional:
            h = torch.tanh(model.bridge(torch.cat([h[0], h[1]], -1)))[None]
            c = torch.tanh(model.bridge(torch.cat([c[0], c[1]], -1)))[None]
        keys, y_prev, outs, weights = model.key(o), x[:, -1, 0], [], []
        for _ in range(H):
            a = torch.softmax(model.score(h[-1], keys), -1)  # (B, L)
            ctx = (a[:, :, None] * o).sum(1)  # (B, D*hidden)
            d, (h, c) = model.decoder(torch.cat([y_prev[:, None], ctx], -1)[:, None], (h, c))
            out = model.proj(torch.cat([d[:, 0], ctx], -1))  # (B, 1)
            outs.append(out)
            weights.append(a)
            y_prev = out[:, 0]
    torch.testing.assert_close(got, torch.stack(outs, 1))
    assert model.last_attention is not None
    torch.testing.assert_close(model.last_attention, torch.stack(weights, 1))
    assert model.last_attention.shape == (B, H, L)
    torch.testing.assert_close(model.last_attention.sum(-1), torch.ones(B, H, dtype=torch.float64))


def test_seq2seq_decoder_equations() -> None:
    """d_0 = encoder state, d_t = LSTM(y_{t-1}, d_{t-1}), out_t = W d_t, y_0 = last target."""
    model = net("seq2seq", layers=2).eval()
    x, _ = inputs()
    with torch.no_grad():
        got = model(x)
        _, state = model.encoder(x)
        y_prev, outs = x[:, -1, 0], []
        for _ in range(H):
            d, state = model.decoder(y_prev[:, None, None], state)
            outs.append(model.proj(d[:, 0]))
            y_prev = outs[-1][:, 0]
    torch.testing.assert_close(got, torch.stack(outs, 1))


@pytest.mark.parametrize("name", ["seq2seq", "attention"])
def test_full_teacher_forcing_feeds_the_truth(name: str) -> None:
    model = net(name, teacher_forcing=1.0)
    x, y = inputs()
    with torch.no_grad():
        free = model(x)  # inference: own predictions fed back
        own = model.head.point(free)  # (B, H)
        model.train()
        # forced with the model's own predictions == free running
        assert float(model.loss(x, own)) == pytest.approx(float(model.head.loss(free, own)), abs=1e-12)
        # forced with other values: a different unroll than free running
        assert float(model.loss(x, y)) != pytest.approx(float(model.head.loss(free, y)), abs=1e-9)
        model.eval()  # validation: never forced
        assert float(model.loss(x, y)) == pytest.approx(float(model.head.loss(free, y)), abs=1e-12)


@pytest.mark.parametrize("name", ["seq2seq", "attention"])
def test_forced_output_depends_only_on_earlier_truth(name: str) -> None:
    model = net(name, teacher_forcing=1.0).train()
    x, y = inputs()
    y2 = y.clone()
    y2[:, 1] += 5.0
    with torch.no_grad():
        a, b = model._unroll(x, y), model._unroll(x, y2)
    torch.testing.assert_close(a[:, :2], b[:, :2])  # steps 1, 2 read y_0 and y_1 only
    assert not torch.allclose(a[:, 2], b[:, 2])  # step 3 reads the changed y_2


def test_no_teacher_forcing_trains_free_running() -> None:
    model = net("seq2seq", teacher_forcing=0.0)
    x, y = inputs()
    with torch.no_grad():
        train_loss = float(model.train().loss(x, y))
        assert train_loss == pytest.approx(float(model.eval().loss(x, y)), abs=1e-12)


def test_teacher_forcing_ratio() -> None:
    constant = net("seq2seq", teacher_forcing=0.8)
    decaying = net("seq2seq", teacher_forcing=0.8, teacher_forcing_end=0.2)
    for fraction, expected in ((0.0, 0.8), (0.5, 0.5), (1.0, 0.2)):
        constant.epoch_fraction = decaying.epoch_fraction = fraction
        assert constant.teacher_forcing_ratio() == pytest.approx(0.8)
        assert decaying.teacher_forcing_ratio() == pytest.approx(expected)


@pytest.mark.parametrize("name", ["seq2seq", "attention"])
def test_reverse_input_reads_the_window_backwards(name: str) -> None:
    """reverse(x) == plain(x flipped) when the last target (the decoder's y_0) is unchanged."""
    reverse, plain = net(name, reverse_input=True), net(name, reverse_input=False)
    plain.load_state_dict(reverse.state_dict())
    x, _ = inputs()
    x[:, 0, 0] = x[:, -1, 0]
    reverse.eval(), plain.eval()
    with torch.no_grad():
        torch.testing.assert_close(reverse(x), plain(x.flip(1)))
    if isinstance(reverse, AttentionNet) and isinstance(plain, AttentionNet):
        assert reverse.last_attention is not None and plain.last_attention is not None
        torch.testing.assert_close(reverse.last_attention, plain.last_attention.flip(-1))


@pytest.mark.parametrize("name", ["seq2seq", "attention"])
def test_regime_seq2seq_is_for_the_cells(name: str) -> None:
    with pytest.raises(ConfigError, match="recurrent cells"):
        net(name, regime="seq2seq")


def test_unknown_attention_kind() -> None:
    with pytest.raises(ConfigError, match="additive, dot"):
        net("attention", attention="cosine")


def _series(n: int = 60) -> SeriesData:
    index = pd.date_range("2021-01-04", periods=n, freq="D", name="ds")
    frame = pd.DataFrame({"y": 5 + np.sin(np.arange(n) / 3.0)}, index=index)
    return SeriesData.from_frame(frame, "y", (), "D", "synthetic.csv", "synthetic")


def _fit(name: str) -> tuple[SeriesData, object]:
    series = _series()
    run = RunConfig(
        window=WindowConfig(input_len=8, horizon=3, transform="level"),
        model=ModelConfig(name=name, hidden=6, layers=1),
        train=TrainConfig(epochs=1, device="cpu"),
    )
    return series, fit(series, run)


def test_explain_names_the_input_dates() -> None:
    series, forecaster = _fit("attention")
    rows = explain(forecaster, series, top=2)  # type: ignore[arg-type]
    window = set(series.index[-8:])
    assert [row["step"] for row in rows] == [1, 2, 3]
    assert rows[0]["ds"] == series.index[-1] + pd.Timedelta(days=1)
    for row in rows:
        assert len(row["top"]) == 2 and {t["ds"] for t in row["top"]} <= window
        assert row["top"][0]["weight"] >= row["top"][1]["weight"]
        assert row["weights"].shape == (8,) and row["weights"].sum() == pytest.approx(1.0)


def test_explain_refuses_models_without_attention() -> None:
    series, forecaster = _fit("gru")
    with pytest.raises(ConfigError, match="--model attention"):
        explain(forecaster, series)  # type: ignore[arg-type]
