"""Recurrent networks over torch.nn's fused RNN/LSTM/GRU and the hand-written cells.

Two training regimes share one class:

- seq2vec: the last hidden state of the top layer (both directions when
  bidirectional) feeds a head that emits the whole horizon at once.
- seq2seq: one output projection shared across all time steps predicts each
  step's next value ("the series shifted by one"); the loss covers every step,
  and the horizon is produced by feeding predictions back one step at a time.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from forecast.config import ModelConfig
from forecast.errors import ConfigError
from forecast.models.base import ForecastNet

State = Any  # Tensor (layers*D, B, hidden) or a tuple (h, c) of them


def make_layer(config: ModelConfig) -> nn.Module:
    """The stacked recurrent layer a config names, batch_first, torch.nn-compatible."""
    dropout = config.dropout if config.layers > 1 else 0.0
    common = dict(
        input_size=config.n_features,
        hidden_size=config.hidden,
        num_layers=config.layers,
        dropout=dropout,
        bidirectional=config.bidirectional,
        batch_first=True,
    )
    if config.name in ("lstm", "attention", "seq2seq"):
        return nn.LSTM(**common)
    if config.name == "gru":
        return nn.GRU(**common)
    if config.name == "rnn":
        if config.activation not in ("tanh", "relu"):
            raise ConfigError(f"--activation {config.activation!r}: rnn takes tanh or relu")
        return nn.RNN(nonlinearity=config.activation, **common)
    from forecast.models import cells

    if config.name == "peephole":
        return cells.PeepholeLSTM(**common)
    if config.name == "indrnn":
        act = config.activation if config.activation in ("relu", "tanh") else "relu"
        return cells.IndRNN(nonlinearity=act, **common)
    raise ConfigError(f"no recurrent layer for model {config.name!r}")


def top_hidden(state: State, directions: int) -> Tensor:
    """Final hidden state of the top layer, both directions: -> (B, D*hidden)."""
    h = state[0] if isinstance(state, tuple) else state  # (layers*D, B, hidden)
    return torch.cat(list(h[-directions:]), dim=-1)


def detach_state(state: State) -> State:
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def run_layer(layer: nn.Module, x: Tensor, state: State, tbptt: int) -> tuple[Tensor, State]:
    """Run a recurrent layer over x (B, L, F), truncating BPTT every ``tbptt`` steps."""
    if tbptt <= 0 or x.shape[1] <= tbptt or not torch.is_grad_enabled():
        return layer(x, state)
    outs = []
    for start in range(0, x.shape[1], tbptt):
        if state is not None:
            state = detach_state(state)  # gradients stop at chunk boundaries
        out, state = layer(x[:, start : start + tbptt], state)  # (B, K, D*hidden)
        outs.append(out)
    return torch.cat(outs, dim=1), state


class RecurrentNet(ForecastNet):
    """rnn, lstm, gru, peephole, indrnn: a stacked recurrent layer plus a head."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        self.directions = 2 if config.bidirectional else 1
        self.seq2seq = config.regime == "seq2seq"
        if self.seq2seq and config.bidirectional:
            raise ConfigError(
                "--regime seq2seq predicts each next step, which a bidirectional layer "
                "cannot do (it reads the future); drop --bidirectional"
            )
        self.rnn = make_layer(config)
        width = self.directions * config.hidden
        p = self.head.n_params
        if self.seq2seq:
            self.proj = nn.Linear(width, p)  # shared across time steps
        else:
            self.proj = nn.Linear(width, config.horizon * p)
        # Start from the training mean (zero in scaled space): for a random walk in returns
        # that is the drift forecast, and early stopping keeps it unless training beats it.
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)
        self.supports_step = not config.bidirectional

    def _head_out(self, state: State) -> Tensor:
        """Top hidden state -> (B, H, P) for seq2vec."""
        feat = top_hidden(state, self.directions)  # (B, D*hidden)
        return self.proj(feat).view(feat.shape[0], self.config.horizon, -1)

    def forward(self, x: Tensor) -> Tensor:
        if not self.seq2seq:
            _, state = run_layer(self.rnn, x, None, self.tbptt)
            return self._head_out(state)  # (B, H, P)
        out_t, state = self.encode(x)
        outs = [out_t]
        for _ in range(self.config.horizon - 1):
            x_t = x[:, -1, :].clone()  # features held at their last observed values
            x_t[:, 0] = self.head.point(out_t[:, None, :])[:, 0]
            out_t, state = self.step(x_t, state)
            outs.append(out_t)
        return torch.stack(outs, dim=1)  # (B, H, P)

    def loss(self, x: Tensor, y: Tensor) -> Tensor:
        if not self.seq2seq:
            return self.head.loss(self(x), y)
        out, _ = run_layer(self.rnn, x, None, self.tbptt)  # (B, L, hidden)
        pred = self.proj(out)  # (B, L, P): every step predicts its next value
        nxt = torch.cat([x[:, 1:, 0], y[:, :1]], dim=1)  # (B, L) the series shifted by one
        if self.config.head == "class":
            nxt = torch.cat([x[:, 1:, 0].round(), y[:, :1]], dim=1)
        return self.head.loss(pred, nxt)

    def encode(self, x: Tensor) -> tuple[Tensor, State]:
        if not self.supports_step:  # bidirectional: the window is the state (base class)
            return super().encode(x)
        out, state = self.rnn(x)  # (B, L, D*hidden)
        if self.seq2seq:
            return self.proj(out[:, -1]), state  # (B, P)
        return self._head_out(state)[:, 0, :], state

    def step(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        if not self.supports_step:
            return super().step(x_t, state)
        out, state = self.rnn(x_t[:, None, :], state)  # (B, 1, hidden)
        if self.seq2seq:
            return self.proj(out[:, 0]), state
        return self._head_out(state)[:, 0, :], state
