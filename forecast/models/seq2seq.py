"""Encoder-decoder: a recurrent encoder reads the window, a recurrent decoder unrolls the horizon.

    encoder      (o_1..o_L), s_L = Encoder(x_1..x_L)        (x reversed when reverse_input)
    bridge       d_0 = s_L, or tanh(W_b [s_fwd; s_bwd]) per layer when bidirectional
    decoder      d_t = Decoder(y_{t-1}, d_{t-1}),  out_t = W_o d_t + b_o       t = 1..H
    feedback     y_0 = x_L (the last observed target); y_{t-1} is the previous point
                 forecast, or in training with probability r (teacher forcing) the true value

The teacher-forcing ratio r starts at ``config.teacher_forcing`` and decays linearly to
``teacher_forcing_end`` (None: no decay) as the trainer
advances ``net.epoch_fraction`` from 0 to 1. ``forward(x)`` is inference (no forcing);
``loss(x, y)`` is where the true values are available, so training goes through it.

The decoder is a torch.nn recurrent layer of the same kind and depth as the encoder, run one
step at a time; it sees only the target (future features are unknown). ``AttentionNet``
(attention.py) reuses this loop and adds a context vector to the decoder's input and read-out.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from forecast.config import ModelConfig
from forecast.errors import ConfigError
from forecast.models.base import ForecastNet
from forecast.models.recurrent import State, make_layer, run_layer


def decoder_layer(encoder: nn.Module, config: ModelConfig, input_size: int) -> nn.Module:
    """A unidirectional torch.nn layer of the encoder's kind (LSTM when it is hand-written)."""
    kind = type(encoder) if isinstance(encoder, (nn.LSTM, nn.GRU, nn.RNN)) else nn.LSTM
    return kind(
        input_size=input_size,
        hidden_size=config.hidden,
        num_layers=config.layers,
        dropout=config.dropout if config.layers > 1 else 0.0,
        batch_first=True,
    )


class Seq2SeqNet(ForecastNet):
    """Encoder-decoder over the horizon with teacher forcing and optional reversed input."""

    context_size = 0  # width of an extra vector fed to the decoder and read-out (attention)

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        if config.regime != "seq2vec":
            raise ConfigError(
                f"--regime {config.regime} is for the recurrent cells; {config.name} already "
                "decodes the horizon step by step, so drop --regime"
            )
        self.directions = 2 if config.bidirectional else 1
        self.memory_size = self.directions * config.hidden  # width of each encoder output
        self.encoder = make_layer(config)
        self._build_context()
        self.bridge = (
            nn.Linear(self.memory_size, config.hidden) if self.directions == 2 else None
        )
        self.decoder = decoder_layer(self.encoder, config, 1 + self.context_size)
        self.proj = nn.Linear(config.hidden + self.context_size, self.head.n_params)
        nn.init.zeros_(self.proj.weight)  # a fresh net forecasts the training mean (see base.py)
        nn.init.zeros_(self.proj.bias)

    def _build_context(self) -> None:
        """Subclasses create their context modules here and set ``context_size``."""

    # -- teacher forcing -------------------------------------------------------------------

    def teacher_forcing_ratio(self) -> float:
        """r = r_start + (r_end - r_start) * epoch_fraction; constant without an end value."""
        start = float(self.config.teacher_forcing)
        end = self.config.teacher_forcing_end
        if end is None:
            return start
        progress = min(max(self.epoch_fraction, 0.0), 1.0)
        return start + (float(end) - start) * progress

    # -- the contract ------------------------------------------------------------------------

    def forward(self, x: Tensor) -> Tensor:
        """x (B, L, F) -> (B, H, P), feeding back the model's own point forecasts."""
        return self._unroll(x, None)

    def loss(self, x: Tensor, y: Tensor) -> Tensor:
        """Training loss with teacher forcing on y (B, H); none in eval mode (validation)."""
        return self.head.loss(self._unroll(x, y if self.training else None), y)

    # -- encoder / decoder -----------------------------------------------------------------------

    def _bridge(self, state: Tensor) -> Tensor:
        """Encoder state (layers*D, B, hidden) -> decoder state (layers, B, hidden)."""
        if self.bridge is None:
            return state
        layers, batch = self.config.layers, state.shape[1]
        both = state.view(layers, 2, batch, -1).permute(0, 2, 1, 3)  # (layers, B, 2, hidden)
        return torch.tanh(self.bridge(both.reshape(layers, batch, -1)))  # (layers, B, hidden)

    def _encode(self, x: Tensor) -> tuple[Tensor, State]:
        """x (B, L, F) -> memory (B, L, D*hidden) in input order, decoder state d_0."""
        if self.config.reverse_input:
            x = x.flip(1)  # the encoder reads the most recent step first
        memory, state = run_layer(self.encoder, x, None, self.tbptt)  # (B, L, D*hidden)
        if self.config.reverse_input:
            memory = memory.flip(1)  # memory[:, j] belongs to input step j again
        if isinstance(state, tuple):
            return memory, tuple(self._bridge(s) for s in state)
        return memory, self._bridge(state)

    def _prepare(self, memory: Tensor) -> Any:
        """What each decoder step reads from the encoder outputs (attention: keys too)."""
        return memory

    def _decode(self, y_prev: Tensor, state: State, memory: Any) -> tuple[Tensor, State]:
        """One decoder step: y_prev (B,) -> (out_t (B, P), state)."""
        dec_out, state = self.decoder(y_prev[:, None, None], state)  # (B, 1, hidden)
        return self.proj(dec_out[:, 0]), state  # (B, P)

    def _unroll(self, x: Tensor, y: Tensor | None) -> Tensor:
        """Run the decoder over the horizon; y (B, H) enables teacher forcing."""
        memory, state = self._encode(x)
        memory = self._prepare(memory)
        ratio = self.teacher_forcing_ratio() if y is not None else 0.0
        y_prev = x[:, -1, 0]  # (B,) the last observed target
        outs = []
        for t in range(self.config.horizon):
            out_t, state = self._decode(y_prev, state, memory)  # (B, P)
            outs.append(out_t)
            y_prev = self.head.point(out_t[:, None, :])[:, 0].detach()  # (B,)
            if y is not None and ratio > 0.0:
                forced = torch.rand(y.shape[0], device=y.device) < ratio  # (B,)
                y_prev = torch.where(forced, y[:, t].to(y_prev.dtype), y_prev)
        return torch.stack(outs, dim=1)  # (B, H, P)
