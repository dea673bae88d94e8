"""The one in-memory form of a series that every command works on.

It holds numpy arrays, not a DataFrame, so the predict path never imports pandas
(about 0.4 s of start-up); ``frame`` and ``index`` build the pandas views on demand.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast.data.dates import as_datetimes, from_index, next_dates, to_index

if TYPE_CHECKING:
    import pandas as pd

PRICE_NAMES = frozenset({"close", "adj close", "adj_close", "adjclose", "price", "open", "high", "low",
                         "last"})


@dataclass(frozen=True, eq=False)
class SeriesData:
    """A validated, time-sorted series: a target, optional features, a calendar.

    ``dates`` are sorted and unique; ``values`` holds the target in column 0, then
    the features in order. A categorical target (classification) keeps its labels
    in ``classes`` and its codes (0..n_classes-1, as float) in column 0.
    """

    dates: np.ndarray  # (T,) datetime64, UTC instants when tz is set
    values: np.ndarray  # (T, 1 + n_features) float64, read-only
    target: str
    features: tuple[str, ...]
    freq: str | None  # pandas offset alias: "B", "D", "W-SAT", "MS", "QS-OCT", "30min", ...
    source: str  # file path or "yahoo:TICKER:interval"
    name: str  # series name for display (file stem, symbol or ticker)
    classes: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what reading decided, e.g. "target: Close (default)"
    tz: Any = None  # the tzinfo of time-zone-aware timestamps
    quotes: bool = False  # exchange quotes (a Yahoo ticker): price-like whatever the column's name

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=np.float64).reshape(len(self.dates), -1)
        if values.shape[1] != 1 + len(self.features):
            raise ValueError(f"{values.shape[1]} value columns for 1 target + {len(self.features)} features")
        if values.flags.writeable:  # a private, read-only copy: nobody edits a series in place
            values = values.copy()
            values.flags.writeable = False
        object.__setattr__(self, "values", values)

    @classmethod
    def from_frame(
        cls,
        frame: "pd.DataFrame",
        target: str,
        features: tuple[str, ...] = (),
        freq: str | None = None,
        source: str = "",
        name: str = "",
        classes: tuple[str, ...] = (),
        notes: tuple[str, ...] = (),
        quotes: bool = False,
    ) -> "SeriesData":
        """From a frame with a sorted DatetimeIndex and the target and feature columns."""
        import pandas as pd

        dates, tz = from_index(pd.DatetimeIndex(frame.index))
        values = frame[[target, *features]].to_numpy(dtype=np.float64, copy=True)
        return cls(dates, values, target, tuple(features), freq, source, name, classes, notes, tz, quotes)

    @property
    def price_like(self) -> bool:
        """Prices (log returns suit them): exchange quotes, or a target named like a price."""
        return self.quotes or self.target.strip().lower() in PRICE_NAMES

    @property
    def y(self) -> np.ndarray:
        """The target values, shape (T,)."""
        return self.values[:, 0]

    @property
    def x(self) -> np.ndarray:
        """Target then features, shape (T, 1 + n_features)."""
        return self.values

    @cached_property
    def index(self) -> "pd.DatetimeIndex":
        """The dates as a pandas index (in the series' time zone), named ``ds``."""
        return to_index(self.dates, self.tz)

    @cached_property
    def frame(self) -> "pd.DataFrame":
        """A pandas view: index ``ds``, the target column, then the feature columns."""
        import pandas as pd

        return pd.DataFrame(np.array(self.values), index=self.index, columns=[self.target, *self.features])

    @property
    def last_date(self) -> datetime:
        return as_datetimes(self.dates[-1:], self.tz)[0]

    def future_dates(self, n: int) -> np.ndarray:
        """The ``n`` dates after the last row on the series' calendar: (n,) datetime64."""
        return next_dates(self.dates, self.freq, n, self.tz)

    def __len__(self) -> int:
        return len(self.dates)

    def rows(self, start: int | None, stop: int | None) -> "SeriesData":
        """Rows [start:stop) (Python slice rules), e.g. a fold's training part."""
        part = slice(start, stop)
        return SeriesData(
            self.dates[part], self.values[part], self.target, self.features, self.freq,
            self.source, self.name, self.classes, self.notes, self.tz, self.quotes,
        )

    def head(self, n: int) -> "SeriesData":
        """The first ``n`` rows (a training part that ends at a cutoff)."""
        return self.rows(0, n)

    def fingerprint(self) -> str:
        """A short hash of dates and values, saved with a model to detect changed data."""
        digest = hashlib.sha256()
        digest.update(self.dates.view(np.int64).tobytes())
        digest.update(np.ascontiguousarray(self.values).tobytes())
        return digest.hexdigest()[:16]
