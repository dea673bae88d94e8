"""A seed ensemble: K copies of one registered network, trained from different seeds, whose
head outputs are averaged.

    out(x) = 1/K sum_k net_k(x)        (B, H, P): the mean point forecast for a point head

Why: a recurrent forecaster's result moves between fits that differ only in their seed, and
a few-seed average cuts that variance (Hewamalage, Bergmeir & Bandara, IJF 2021; N-BEATS,
Oreshkin et al. 2020, ensembles 180 nets). Every member is a whole registered network with
the same config (``seeds=1``), so the state dict is ``members.{k}.<the net's own keys>``: a
saved ensemble loads through the same strict ``load_state_dict`` as one net, which refuses a
missing member, an extra key or a mismatched shape. For probabilistic heads the members' raw
parameters are averaged (not a mixture); for a class head, their logits.

The fit trains each member on its own (forecaster.fit: its own early stopping and batch
order); :meth:`loss`, the mean of the members' losses, serves a caller that trains the whole
module at once (the global model), which is then the same K nets on the same batches.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import torch
from torch import Tensor, nn

from forecast.config import ModelConfig
from forecast.models.base import ForecastNet


class SeedEnsemble(ForecastNet):
    """``config.seeds`` nets of class ``member``, their head outputs averaged."""

    def __init__(self, config: ModelConfig, member: type[ForecastNet]) -> None:
        super().__init__(config)
        one = replace(config, seeds=1)
        self.members = nn.ModuleList(member(one) for _ in range(int(config.seeds or 1)))
        self.supports_step = bool(self.members[0].supports_step)

    @classmethod
    def of(cls, config: ModelConfig, nets: list[ForecastNet]) -> "SeedEnsemble":
        """The ensemble of nets already trained (each built from ``config`` with seeds=1)."""
        ensemble = cls(replace(config, seeds=len(nets)), type(nets[0]))
        ensemble.members = nn.ModuleList(nets)
        return ensemble

    def _sync(self) -> None:
        for net in self.members:  # what the trainer sets on the module it trains
            net.tbptt, net.epoch_fraction = self.tbptt, self.epoch_fraction

    def forward(self, x: Tensor) -> Tensor:
        """x (B, L, F) -> the mean of the members' outputs (B, H, P)."""
        self._sync()
        return torch.stack([net(x) for net in self.members]).mean(dim=0)  # (K, B, H, P) -> (B, H, P)

    def loss(self, x: Tensor, y: Tensor) -> Tensor:
        """The mean of the members' own losses: each is trained as if alone."""
        self._sync()
        return torch.stack([net.loss(x, y) for net in self.members]).mean()

    def encode(self, x: Tensor) -> tuple[Tensor, Any]:
        """Each member's encode; the state is the list of their states. -> (B, P), [state_k]"""
        pairs = [net.encode(x) for net in self.members]
        return torch.stack([out for out, _ in pairs]).mean(dim=0), [state for _, state in pairs]

    def step(self, x_t: Tensor, state: Any) -> tuple[Tensor, Any]:
        """x_t (B, F), [state_k] -> the mean next-step output (B, P), [state_k]."""
        pairs = [net.step(x_t, s) for net, s in zip(self.members, state)]
        return torch.stack([out for out, _ in pairs]).mean(dim=0), [s for _, s in pairs]
