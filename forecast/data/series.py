"""The one in-memory form of a series that every command works on."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SeriesData:
    """A validated, time-sorted series: a target, optional features, a calendar.

    ``frame`` has a sorted, unique DatetimeIndex named ``ds`` and numeric
    float64 columns: the target first, then the features in order. A
    categorical target (classification) keeps its labels in ``classes`` and
    its codes (0..n_classes-1, as float) in the target column.
    """

    frame: pd.DataFrame
    target: str
    features: tuple[str, ...]
    freq: str | None  # pandas offset alias: "B", "D", "W-SAT", "MS", "QS-OCT", "30min", ...
    source: str  # file path or "yahoo:TICKER:interval"
    name: str  # series name for display (file stem, symbol or ticker)
    classes: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what reading decided, e.g. "target: Close (default)"

    @property
    def y(self) -> np.ndarray:
        """The target values, shape (T,)."""
        return self.frame[self.target].to_numpy(dtype=np.float64)

    @property
    def x(self) -> np.ndarray:
        """Target then features, shape (T, 1 + n_features)."""
        cols = [self.target, *self.features]
        return self.frame[cols].to_numpy(dtype=np.float64)

    @property
    def index(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.frame.index)

    def __len__(self) -> int:
        return len(self.frame)

    def head(self, n: int) -> "SeriesData":
        """The first ``n`` rows (a training part that ends at a cutoff)."""
        return SeriesData(
            frame=self.frame.iloc[:n],
            target=self.target,
            features=self.features,
            freq=self.freq,
            source=self.source,
            name=self.name,
            classes=self.classes,
            notes=self.notes,
        )

    def fingerprint(self) -> str:
        """A short hash of index and values, saved with a model to detect changed data."""
        digest = hashlib.sha256()
        digest.update(self.index.asi8.tobytes())
        digest.update(np.ascontiguousarray(self.x).tobytes())
        return digest.hexdigest()[:16]
