"""The two accuracy protocols of issue 7, shared by the accuracy benchmark and its bare loop.

Airline: sktime_airline.csv, horizon 12, expanding folds training on the first 108, 120, 132
points; MASE scaled by the in-sample seasonal-naive (m=12) error of each fold's training part.
MSFT: the last 1500 rows of pmdarima_msft.csv (Close), horizon 5, folds whose training parts
end after rows 1475..1495; MASE scaled by the in-sample naive one-step error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Protocol:
    name: str
    csv: Path
    target: str
    rows: int | None  # keep the last N rows
    horizon: int
    cutoffs: tuple[int, ...]
    m: int  # MASE scale: in-sample (seasonal) naive lag
    peer_window: int
    peer_epochs: int

    def frame(self) -> pd.DataFrame:
        frame = pd.read_csv(self.csv)
        return frame.iloc[-self.rows :] if self.rows else frame

    def write_csv(self, folder: Path) -> Path:
        """The protocol's data as a CSV file (a real slice of the real file)."""
        path = folder / f"{self.name}.csv"
        self.frame().to_csv(path, index=False)
        return path

    def mase(self, y: np.ndarray, cutoff: int, forecast: np.ndarray) -> float:
        train = y[:cutoff]
        scale = np.mean(np.abs(train[self.m :] - train[: -self.m]))
        actual = y[cutoff : cutoff + self.horizon]
        return float(np.mean(np.abs(actual - forecast)) / scale)


AIRLINE = Protocol(
    "airline", ROOT / "sample_data" / "sktime_airline.csv", "Passengers", None, 12,
    (108, 120, 132), 12, 24, 200,
)
MSFT = Protocol(
    "msft", ROOT / "sample_data" / "pmdarima_msft.csv", "Close", 1500, 5,
    (1475, 1480, 1485, 1490, 1495), 1, 60, 20,
)
PROTOCOLS = (AIRLINE, MSFT)
