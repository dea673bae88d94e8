"""Encoder plus an attentive decoder: every output step looks back over all encoder states.

With encoder outputs o_j (j = 1..L, width D*hidden), keys k_j = W_k o_j and the decoder's
top-layer state d_{t-1} as the query:

    additive (Bahdanau)   e_tj = v^T tanh(W_q d_{t-1} + k_j)
    dot (Luong, scaled)   e_tj = d_{t-1} . k_j / sqrt(hidden)
    weights               a_tj = softmax_j(e_tj)            -> net.last_attention (B, H, L)
    context               c_t  = sum_j a_tj o_j
    decoder               d_t  = Decoder([y_{t-1}; c_t], d_{t-1})
    read-out              out_t = W_o [d_t; c_t] + b_o

Feedback, teacher forcing and the bridge are the encoder-decoder's (seq2seq.py).
:func:`explain` turns the weights of one forecast into the input dates each step attended to.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor, nn

from forecast.errors import ConfigError
from forecast.models.recurrent import State
from forecast.models.seq2seq import Seq2SeqNet

if TYPE_CHECKING:
    from forecast.data.series import SeriesData
    from forecast.forecaster import Forecaster


class AdditiveScore(nn.Module):
    """e_tj = v^T tanh(W_q d + k_j) (Bahdanau et al. 2015)."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.query = nn.Linear(hidden, hidden, bias=False)  # W_q
        self.v = nn.Linear(hidden, 1, bias=False)  # v

    def forward(self, query: Tensor, keys: Tensor) -> Tensor:
        """query (B, hidden), keys (B, L, hidden) -> scores (B, L)."""
        return self.v(torch.tanh(self.query(query)[:, None, :] + keys))[..., 0]  # (B, L)


class DotScore(nn.Module):
    """e_tj = d . k_j / sqrt(hidden) (Luong et al. 2015, "general", scaled)."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.scale = 1.0 / math.sqrt(hidden)

    def forward(self, query: Tensor, keys: Tensor) -> Tensor:
        """query (B, hidden), keys (B, L, hidden) -> scores (B, L)."""
        return torch.bmm(keys, query[:, :, None])[..., 0] * self.scale  # (B, L)


SCORES: dict[str, type[nn.Module]] = {"additive": AdditiveScore, "dot": DotScore}


class AttentionNet(Seq2SeqNet):
    """Recurrent encoder (optionally bidirectional) and an attentive recurrent decoder."""

    def _build_context(self) -> None:
        kind = self.config.attention
        if kind not in SCORES:
            raise ConfigError(f"attention {kind!r}: choose one of {', '.join(SCORES)}")
        self.context_size = self.memory_size
        self.key = nn.Linear(self.memory_size, self.config.hidden)  # W_k
        self.score = SCORES[kind](self.config.hidden)
        self.last_attention: Tensor | None = None  # (B, H, L) from the last forward
        self._weights: list[Tensor] = []

    def _prepare(self, memory: Tensor) -> Any:
        return memory, self.key(memory)  # (B, L, D*hidden), (B, L, hidden)

    def _decode(self, y_prev: Tensor, state: State, memory: Any) -> tuple[Tensor, State]:
        values, keys = memory
        h = state[0] if isinstance(state, tuple) else state  # (layers, B, hidden)
        weights = torch.softmax(self.score(h[-1], keys), dim=-1)  # (B, L)
        context = torch.bmm(weights[:, None, :], values)[:, 0]  # (B, D*hidden)
        self._weights.append(weights.detach())
        step_in = torch.cat([y_prev[:, None], context], dim=-1)  # (B, 1 + D*hidden)
        dec_out, state = self.decoder(step_in[:, None, :], state)  # (B, 1, hidden)
        return self.proj(torch.cat([dec_out[:, 0], context], dim=-1)), state  # (B, P)

    def _unroll(self, x: Tensor, y: Tensor | None) -> Tensor:
        self._weights = []
        out = super()._unroll(x, y)  # (B, H, P)
        self.last_attention = torch.stack(self._weights, dim=1)  # (B, H, L)
        self._weights = []
        return out


def explain(forecaster: "Forecaster", series: "SeriesData", top: int = 3) -> list[dict[str, Any]]:
    """Per forecast step: its date, the ``top`` input dates by attention weight, all weights.

    Runs the network once on the window past the end of ``series``.
    """
    net = forecaster.net
    members = list(getattr(net, "members", [net]))  # a seed ensemble: its nets' mean weights
    if not all(isinstance(m, AttentionNet) for m in members):
        raise ConfigError(
            f"--explain shows attention weights; model {forecaster.run.model.name!r} has none "
            "(train one with --model attention)"
        )
    from forecast.data.calendar import future_dates

    forecaster.raw_output(series)
    assert all(m.last_attention is not None for m in members)
    weights = np.mean([m.last_attention[0].cpu().double().numpy() for m in members], axis=0)  # (H, L)
    inputs = series.index[-weights.shape[1] :]
    outputs = future_dates(series.index, series.freq, weights.shape[0])
    rows = []
    for step, (when, row) in enumerate(zip(outputs, weights), start=1):
        order = row.argsort()[::-1][:top]
        rows.append(
            {
                "step": step,
                "ds": when,
                "top": [{"ds": inputs[j], "weight": float(row[j])} for j in order],
                "weights": row,
            }
        )
    return rows
