"""The one contract every registered network honours.

    forward(x)          x (B, L, F) scaled inputs, column 0 the target  ->  (B, H, P)
    loss(x, y)          y (B, H) model-space targets (class codes for the class head) -> scalar
    encode(x)           -> (out_t (B, P), state): next-step head output after the window
    step(x_t, state)    x_t (B, F) -> (out_t (B, P), state): one recurrent update

P is ``head.n_params``. A fresh network outputs zeros (its output projection starts at
zero), i.e. the training mean in scaled space: the trainer keeps that forecast unless
training beats it on the validation tail. ``supports_step`` is True when encode/step carry real
recurrent state (unidirectional recurrent models); the rollout loop re-feeds
windows through ``forward`` for the others.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from forecast.config import ModelConfig
from forecast.models.heads import Head, build_head


class ForecastNet(nn.Module):
    """Base class: holds the config and the head; subclasses implement forward."""

    supports_step: bool = False

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.head: Head = build_head(config)
        self.tbptt = 0  # set by the trainer; 0 = full backpropagation through time
        self.epoch_fraction = 0.0  # training progress in [0, 1], set by the trainer

    def forward(self, x: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def loss(self, x: Tensor, y: Tensor) -> Tensor:
        """Training loss on one batch; seq2seq-regime models override it."""
        return self.head.loss(self(x), y)

    def encode(self, x: Tensor) -> tuple[Tensor, Any]:
        """Default for models without a step: the window is the state."""
        return self(x)[:, 0, :], x

    def step(self, x_t: Tensor, state: Any) -> tuple[Tensor, Any]:
        """Default: slide the window by one step and re-run forward."""
        window = state[:, 1:, :].new_empty(state.shape)
        window[:, :-1] = state[:, 1:]
        window[:, -1] = x_t
        return self(window)[:, 0, :], window
