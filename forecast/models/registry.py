"""The one registry of models: CLI choices, tests, loading and errors all read it.

Torch-free on purpose (builders are imported by dotted path), so the CLI can
list model names in ``--help`` without loading torch.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from forecast.config import MAX_SEEDS
from forecast.errors import ConfigError

if TYPE_CHECKING:
    from forecast.config import ModelConfig
    from forecast.models.base import ForecastNet


@dataclass(frozen=True)
class ModelSpec:
    """A registry entry: a one-line description and where its class lives."""

    description: str
    builder: str  # "module:Class", the class takes one ModelConfig


MODELS: dict[str, ModelSpec] = {
    "rnn": ModelSpec(
        "simple recurrent layer h_t = phi(x_t W_x + h_{t-1} W_h + b), tanh or relu",
        "forecast.models.recurrent:RecurrentNet",
    ),
    "lstm": ModelSpec(
        "LSTM: forget, input and output gates with a cell state (torch fused kernel)",
        "forecast.models.recurrent:RecurrentNet",
    ),
    "gru": ModelSpec(
        "GRU: update and reset gates (torch fused kernel)",
        "forecast.models.recurrent:RecurrentNet",
    ),
    "peephole": ModelSpec(
        "peephole LSTM: gates also see the cell state (Gers & Schmidhuber 2000)",
        "forecast.models.recurrent:RecurrentNet",
    ),
    "indrnn": ModelSpec(
        "IndRNN: independent neurons h_t = phi(W x_t + u * h_{t-1} + b), |u| bounded",
        "forecast.models.recurrent:RecurrentNet",
    ),
    "attention": ModelSpec(
        "LSTM encoder + decoder attending over all encoder states each step (additive or dot)",
        "forecast.models.attention:AttentionNet",
    ),
    "seq2seq": ModelSpec(
        "encoder-decoder unrolled over the horizon, teacher forcing, optional reversed input",
        "forecast.models.seq2seq:Seq2SeqNet",
    ),
}


def model_names() -> list[str]:
    return list(MODELS)


def build_model(config: ModelConfig) -> ForecastNet:
    """Instantiate the registered network for ``config.name``: a seed ensemble of
    ``config.seeds`` of them (forecast.models.ensemble) when that is above 1 (None: one net,
    what bundles saved before the field hold)."""
    seeds = 1 if config.seeds is None else config.seeds
    if not isinstance(seeds, int) or isinstance(seeds, bool) or not 1 <= seeds <= MAX_SEEDS:
        raise ConfigError(f"--seeds {seeds!r}: a seed ensemble holds 1 to {MAX_SEEDS} nets")
    spec = MODELS.get(config.name)
    if spec is None:
        raise ConfigError(
            f"unknown model {config.name!r}; choose one of: {', '.join(MODELS)} "
            "(forecast models lists them)"
        )
    if config.hidden is None or config.layers is None:  # unresolved sizes: the large-data ones
        config = replace(config, hidden=config.hidden or 64, layers=config.layers or 2)
    module_name, class_name = spec.builder.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    check_size(cls, config, copies=seeds)
    if seeds > 1:
        from forecast.models.ensemble import SeedEnsemble

        return SeedEnsemble(replace(config, seeds=seeds), cls)
    net: ForecastNet = cls(config)
    return net


# Training holds each weight about four times (value, gradient, two Adam moments).
_BYTES_PER_PARAMETER = 4 * 4


def check_size(cls: type, config: ModelConfig, budget: int | None = None, copies: int = 1) -> int:
    """The parameter count of ``copies`` such networks, built on torch's meta device (no
    memory); refuses one that would need more than half of this machine's memory to train."""
    import torch

    with torch.device("meta"):
        count = copies * sum(p.numel() for p in cls(replace(config, seeds=1)).parameters())
    need = count * _BYTES_PER_PARAMETER
    budget = budget if budget is not None else _memory_bytes() // 2
    if budget and need > budget:
        raise ConfigError(
            f"a {config.name} with --hidden {config.hidden} and --layers {config.layers} has "
            f"{count:,} parameters and would need about {_gib(need)} of memory to train "
            f"(this machine has {_gib(budget * 2)}); use a smaller --hidden or --layers"
        )
    return count


def _memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 0


def _gib(n: int) -> str:
    return f"{n / 2**30:,.1f} GB" if n >= 2**30 else f"{n / 2**20:,.0f} MB"
