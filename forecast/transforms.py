"""Target transforms and scalers: small reversible objects fitted on training data only.

A TargetPipeline turns a matrix of levels (T, 1 + n_features) into the scaled
model space (T', 1 + n_features) and maps model-space forecasts back to levels.
``diff`` and ``logret`` lose the first row (T' = T - 1).

The seasonal transforms deseasonalise the target with its season m (from the calendar),
so the network learns what is left after the season (issue 12)::

    sdiff:    d_t = y_t - y_{t-m}                 inverse  y_{T+h} = y_{T+h-m} + d_{T+h}
    slogret:  d_t = log y_t - log y_{t-m}          inverse  y_{T+h} = y_{T+h-m} exp(d_{T+h})

for h = 1..H, where y_{T+h-m} is an observed level when h <= m and a forecast one after. They
lose the first m rows (T' = T - m) and need the last m levels (the *anchor*,
:meth:`TargetPipeline.anchor`) to map forecasts back. The scaler (fitted on the training rows
only) divides the changes by their standard deviation but does not centre them:

    z_t = d_t / sd(d_train)

so a network whose output is zero forecasts no seasonal change, which is seasonal naive: an
untrained net is already a seasonal forecaster, and training learns the growth and what else
the window says (centring on the mean change, i.e. seasonal naive plus the average growth of
the whole history, scored worse on the tuning set: geometric mean of MASE over the best
statistical model 1.30 against 1.23, Airline 1.40 against 0.87).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forecast.errors import DataError

SEASONAL = ("sdiff", "slogret")


def lost_rows(kind: str, season: int = 1) -> int:
    """Rows a transform drops at the start: 0 for level, 1 for diff/logret, m for seasonal ones."""
    if kind == "level":
        return 0
    return max(1, season) if kind in SEASONAL else 1


def apply_transform(kind: str, y: np.ndarray, season: int = 1) -> np.ndarray:
    """Levels (T,) -> transformed (T - lost_rows,)."""
    if kind == "level":
        return y.copy()
    if kind == "diff":
        return np.diff(y)
    if kind == "logret":
        return np.diff(np.log(y))
    m = max(1, season)
    if kind == "sdiff":
        return y[m:] - y[:-m]
    if kind == "slogret":
        logs = np.log(y)
        return logs[m:] - logs[:-m]
    raise ValueError(f"unknown transform {kind!r}")


def invert_transform(kind: str, z: np.ndarray, last_level: np.ndarray | float) -> np.ndarray:
    """Transformed future steps (..., H) -> levels (..., H), continuing from ``last_level``:
    the last level (...) for diff/logret, the last m levels (..., m) for seasonal ones."""
    if kind == "level":
        return z
    if kind in SEASONAL:
        anchor = np.asarray(last_level, dtype=np.float64)  # (..., m)
        m, horizon = anchor.shape[-1], z.shape[-1]
        shape = np.broadcast_shapes(anchor.shape[:-1], z.shape[:-1])
        full = np.empty((*shape, m + horizon))  # the anchor, then the forecasts
        full[..., :m] = anchor
        for h in range(horizon):
            base = full[..., h]  # y_{T+h+1-m}
            full[..., m + h] = base + z[..., h] if kind == "sdiff" else base * np.exp(z[..., h])
        return full[..., m:]
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
    season: int = 1  # m of the seasonal transforms
    # a class target's past enters as one-hot columns (so a net can learn persistence); 0: as
    # one column of codes (bundles saved before issue 12)
    n_classes: int = 0

    def _transformed(self, x: np.ndarray, source: str = "data") -> np.ndarray:
        """Levels (T, F) -> transformed, unscaled (T', F)."""
        if self.transform in ("logret", "slogret") and np.any(x[:, 0] <= 0):
            row = int(np.argmax(x[:, 0] <= 0))
            raise DataError(
                f"{source}: target has a value <= 0 at data row {row + 1}, so log returns are "
                "undefined; use --transform level or --transform diff"
            )
        target = apply_transform(self.transform, x[:, 0], self.season)
        offset = len(x) - len(target)
        return np.column_stack([target, x[offset:, 1:]]) if x.shape[1] > 1 else target[:, None]

    def fit(self, x_train: np.ndarray, source: str = "data") -> "TargetPipeline":
        """Fit the scaler on the training rows only, x_train (T, F) in levels."""
        self.scaler.fit(self._transformed(x_train, source))
        if self.transform in SEASONAL:  # zero output = no seasonal change: seasonal naive
            self.scaler.center[0] = 0.0
        if self.categorical:  # codes are inputs, but keep them unscaled-comparable
            self.scaler.center[0], self.scaler.scale[0] = 0.0, 1.0
        return self

    def to_model_space(self, x: np.ndarray, source: str = "data") -> tuple[np.ndarray, np.ndarray]:
        """Levels (T, F) -> (inputs (T', F) scaled, targets (T',) for the loss)."""
        scaled = self.scaler.transform(self._transformed(x, source))
        if self.one_hot:
            return np.hstack([self.encode_classes(scaled[:, 0]), scaled[:, 1:]]), scaled[:, 0].copy()
        return scaled, scaled[:, 0].copy()

    @property
    def one_hot(self) -> bool:
        return self.categorical and self.n_classes > 0

    def encode_classes(self, codes: np.ndarray) -> np.ndarray:
        """Class codes (...,) -> one-hot (..., C) inputs."""
        return np.eye(self.n_classes)[np.rint(codes).astype(int)]

    def to_levels(self, z: np.ndarray, last_level: np.ndarray | float) -> np.ndarray:
        """Model-space target steps (..., H) -> levels (..., H)."""
        if self.categorical:
            return z
        return invert_transform(self.transform, self.scaler.inverse_column(z), last_level)

    @property
    def rows_lost(self) -> int:
        """Rows the transform drops at the start (1 for diff/logret, m for seasonal ones)."""
        return lost_rows(self.transform, self.season)

    def anchor(self, levels: np.ndarray) -> np.ndarray | float:
        """What :meth:`to_levels` continues from, given the levels (..., T) up to the origin:
        the last level, or the last m levels (..., m) for a seasonal transform."""
        levels = np.asarray(levels, dtype=np.float64)
        if self.transform in SEASONAL and not self.categorical:
            return levels[..., -self.season :]
        return levels[..., -1] if levels.ndim > 1 else float(levels[-1])

    def state(self) -> dict[str, Any]:
        return {
            "transform": self.transform,
            "scaler": self.scaler.state(),
            "categorical": self.categorical,
            "season": int(self.season),
            "n_classes": int(self.n_classes),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "TargetPipeline":
        return cls(
            transform=str(state["transform"]),
            scaler=Scaler.from_state(state["scaler"]),
            categorical=bool(state["categorical"]),
            season=int(state.get("season", 1)),
            n_classes=int(state.get("n_classes", 0)),
        )
