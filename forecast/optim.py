"""Adam through torch's functional kernel, without the Optimizer class's start-up cost.

``torch.optim.Optimizer.step`` (and ``zero_grad``) import ``torch._dynamo`` on first use:
1.2 s on these machines, longer than a whole default fit of a monthly series, paid by
every ``forecast train``, ``evaluate`` (and each of its worker processes) and ``retrain``.
:class:`Adam` keeps the same state as ``torch.optim.Adam`` and calls the same function
its ``step`` calls, ``torch.optim.adam.adam``, so updates are bit-identical (tested);
only the wrapper that imports the compiler is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch.optim.adam import adam


class Adam:
    """``torch.optim.Adam(params, lr, betas, eps, weight_decay)`` for one parameter group."""

    def __init__(
        self,
        params: Iterable[torch.nn.Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        self.params = [p for p in params if p.requires_grad]
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.exp_avgs = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]
        self.exp_avg_sqs = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]
        self.steps = [torch.zeros((), dtype=_scalar_dtype()) for _ in self.params]  # CPU, as torch does

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        """One Adam update of every parameter that has a gradient."""
        live = [i for i, p in enumerate(self.params) if p.grad is not None]
        if not live:
            return
        adam(
            [self.params[i] for i in live],
            [self.params[i].grad for i in live],  # type: ignore[misc]
            [self.exp_avgs[i] for i in live],
            [self.exp_avg_sqs[i] for i in live],
            [],
            [self.steps[i] for i in live],
            foreach=None,  # torch's own default: foreach kernels on CUDA, per tensor on CPU
            amsgrad=False,
            beta1=self.betas[0],
            beta2=self.betas[1],
            lr=self.lr,
            weight_decay=self.weight_decay,
            eps=self.eps,
            maximize=False,
        )


def _scalar_dtype() -> torch.dtype:
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
