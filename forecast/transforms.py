"""Target transforms and scalers: small reversible objects fitted on training data only.

A TargetPipeline turns a matrix of levels (T, 1 + n_features) into the scaled
model space (T', 1 + n_features) and maps model-space forecasts back to levels.
``diff`` and ``logret`` lose the first row (T' = T - 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forecast.errors import DataError


def apply_transform(kind: str, y: np.ndarray) -> np.ndarray:
    """Levels (T,) -> transformed (T - 1,) for diff/logret, (T,) for level."""
    if kind == "level":
        return y.copy()
    if kind == "diff":
        return np.diff(y)
    if kind == "logret":
        return np.diff(np.log(y))
    raise ValueError(f"unknown transform {kind!r}")


def invert_transform(kind: str, z: np.ndarray, last_level: np.ndarray | float) -> np.ndarray:
    """Transformed future steps (..., H) -> levels (..., H), continuing from ``last_level``."""
    if kind == "level":
        return z
    last = np.asarray(last_level, dtype=np.float64)[..., None]
    if kind == "diff":
        return last + np.cumsum(z, axis=-1)
    if kind == "logret":
        return last * np.exp(np.cumsum(z, axis=-1))
    raise ValueError(f"unknown transform {kind!r}")


@dataclass
class Scaler:
    """Per-column affine scaler: standard, minmax or robust."""

    kind: str = "standard"
    center: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scale: np.ndarray = field(default_factory=lambda: np.ones(0))

    def fit(self, data: np.ndarray) -> "Scaler":
        """Fit on training rows (T, F)."""
        if self.kind == "standard":
            center, scale = np.nanmean(data, axis=0), np.nanstd(data, axis=0)
        elif self.kind == "minmax":
            lo, hi = np.nanmin(data, axis=0), np.nanmax(data, axis=0)
            center, scale = lo, hi - lo
        elif self.kind == "robust":
            q1, med, q3 = np.nanpercentile(data, [25, 50, 75], axis=0)
            center, scale = med, q3 - q1
        else:
            raise ValueError(f"unknown scaler {self.kind!r}")
        scale = np.where(np.isfinite(scale) & (scale > 1e-12), scale, 1.0)
        self.center, self.scale = center.astype(np.float64), scale.astype(np.float64)
        return self

    def transform(self, data: np.ndarray) -> np.ndarray:
        return (data - self.center) / self.scale

    def inverse_column(self, values: np.ndarray, column: int = 0) -> np.ndarray:
        return values * self.scale[column] + self.center[column]

    def state(self) -> dict[str, Any]:
        return {"kind": self.kind, "center": self.center, "scale": self.scale}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "Scaler":
        return cls(str(state["kind"]), np.asarray(state["center"]), np.asarray(state["scale"]))


@dataclass
class TargetPipeline:
    """Transform the target, then scale every column; the inverse for forecasts.

    For a categorical target (``categorical=True``) the target is never
    transformed and the loss targets stay class codes.
    """

    transform: str = "level"
    scaler: Scaler = field(default_factory=Scaler)
    categorical: bool = False

    def _transformed(self, x: np.ndarray, source: str = "data") -> np.ndarray:
        """Levels (T, F) -> transformed, unscaled (T', F)."""
        if self.transform == "logret" and np.any(x[:, 0] <= 0):
            row = int(np.argmax(x[:, 0] <= 0))
            raise DataError(
                f"{source}: target has a value <= 0 at data row {row + 1}, so log returns are "
                "undefined; use --transform level or --transform diff"
            )
        target = apply_transform(self.transform, x[:, 0])
        offset = len(x) - len(target)
        return np.column_stack([target, x[offset:, 1:]]) if x.shape[1] > 1 else target[:, None]

    def fit(self, x_train: np.ndarray, source: str = "data") -> "TargetPipeline":
        """Fit the scaler on the training rows only, x_train (T, F) in levels."""
        self.scaler.fit(self._transformed(x_train, source))
        if self.categorical:  # codes are inputs, but keep them unscaled-comparable
            self.scaler.center[0], self.scaler.scale[0] = 0.0, 1.0
        return self

    def to_model_space(self, x: np.ndarray, source: str = "data") -> tuple[np.ndarray, np.ndarray]:
        """Levels (T, F) -> (inputs (T', F) scaled, targets (T',) for the loss)."""
        scaled = self.scaler.transform(self._transformed(x, source))
        return scaled, scaled[:, 0].copy()

    def to_levels(self, z: np.ndarray, last_level: np.ndarray | float) -> np.ndarray:
        """Model-space target steps (..., H) -> levels (..., H)."""
        if self.categorical:
            return z
        return invert_transform(self.transform, self.scaler.inverse_column(z), last_level)

    @property
    def rows_lost(self) -> int:
        """Rows the transform drops at the start (1 for diff/logret)."""
        return 0 if self.transform == "level" else 1

    def state(self) -> dict[str, Any]:
        return {
            "transform": self.transform,
            "scaler": self.scaler.state(),
            "categorical": self.categorical,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "TargetPipeline":
        return cls(
            transform=str(state["transform"]),
            scaler=Scaler.from_state(state["scaler"]),
            categorical=bool(state["categorical"]),
        )
