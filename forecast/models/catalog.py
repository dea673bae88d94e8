"""The zoo as a table: name, description, parameter count for given sizes."""

from __future__ import annotations

from typing import Any

from forecast.config import ModelConfig
from forecast.models.registry import MODELS, build_model


def describe_models(
    *, hidden: int = 64, layers: int = 2, horizon: int = 5, n_features: int = 1
) -> list[dict[str, Any]]:
    """One row per registered model, parameters counted on a real instance."""
    rows = []
    for name, spec in MODELS.items():
        config = ModelConfig(
            name=name, hidden=hidden, layers=layers, horizon=horizon, n_features=n_features
        )
        net = build_model(config)
        count = sum(p.numel() for p in net.parameters())
        rows.append({"model": name, "parameters": count, "description": spec.description})
    return rows
