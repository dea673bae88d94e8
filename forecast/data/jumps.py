"""Unadjusted stock splits in a price series: a one-step ratio at a split factor.

A split left unadjusted (Yahoo's 4063.T: 20,710 then 4,206, a 5:1 split) is a log return of
-1.6 among daily moves of 0.02: it trained silently, and predict's q0.05 came out at 0.035
against a forecast of 4,129. Such a step is refused (exit 4), not noted: every window, the
scaler, the volatility fit and the conformal errors that hold it are wrong, and a note above
a forecast table is easy to miss; ``--allow-jumps`` keeps a move the user knows is real.
The test is narrow so that real moves pass: the ratio lies near a split factor AND beyond
ROBUST_SDS robust sds of the series' log returns. Measured on every price column (Open,
High, Low, Close, Adj Close) of ../shared/data, tuning/, yahoo_fixtures/ and sample_data
(72 price columns, MSFT's 1987 crash and the EA 15-minute bars' overnight gaps among them): no step
of any of them lies within 0.10 of a factor, so none is refused. A 30% one-day fall is 0.34
from the nearest factor (1/2); a 50% fall far beyond the usual moves is refused like a 2:1
split, which a price alone cannot tell apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from forecast.errors import DataError

# forward splits k:1 (the price falls to 1/k) and reverse splits 1:k (it rises k times)
SPLIT_FACTORS = (2.0, 3.0, 4.0, 5.0, 10.0, 20.0, 50.0, 100.0)
# |log ratio - log factor| allowed: the day's own move rides on the split (4063.T: 0.015; AAPL's
# closes 4x before 2020-09-25, a day it rose 3.7%: 0.037), so 3 robust sds, at least 0.03, at most 0.1
TOLERANCE, TOLERANCE_SDS, MAX_TOLERANCE = 0.03, 3.0, 0.1
ROBUST_SDS = 8.0  # the step lies this many robust sds (1.4826 MAD) of the log returns out
MIN_RETURNS = 10  # fewer moves than this give no usual size to compare with


@dataclass(frozen=True)
class Jump:
    """One step whose ratio looks like an unadjusted split."""

    index: int  # the row after the jump (0-based, in the series' date order)
    before: float
    after: float
    factor: float  # the split factor it matches: 5.0 for 5:1 (the price fell to a fifth), 0.1 for 1:10
    sds: float  # how many robust sds of the log returns the step is


def split_jumps(y: np.ndarray) -> list[Jump]:
    """Steps of the positive series ``y`` (T,) whose ratio is a split factor far outside its
    usual moves; [] when ``y`` has non-positive or missing values or too few steps."""
    if len(y) <= MIN_RETURNS or not np.all(np.isfinite(y)) or not np.all(y > 0):
        return []
    r = np.diff(np.log(y))  # (T-1,) log returns
    moving = r[r != 0]  # a thinly traded price's zero moves would make the usual size 0
    if len(moving) < MIN_RETURNS:
        return []
    sd = 1.4826 * float(np.median(np.abs(moving - np.median(moving))))
    if sd <= 0:
        return []
    logs = np.log(np.array(SPLIT_FACTORS))  # (K,)
    near = np.abs(np.abs(r)[:, None] - logs[None, :])  # (T-1, K)
    tolerance = min(MAX_TOLERANCE, max(TOLERANCE, TOLERANCE_SDS * sd))
    hit = (near.min(axis=1) <= tolerance) & (np.abs(r) > ROBUST_SDS * sd)
    out = []
    for i in np.flatnonzero(hit):
        factor = SPLIT_FACTORS[int(near[i].argmin())]
        out.append(Jump(int(i) + 1, float(y[i]), float(y[i + 1]),
                        factor if r[i] < 0 else 1.0 / factor, float(abs(r[i]) / sd)))
    return out


def describe(jump: Jump) -> str:
    """'5:1 split' or '1:10 reverse split'."""
    if jump.factor >= 1:
        return f"{jump.factor:g}:1 split"
    return f"1:{1.0 / jump.factor:g} reverse split"


def check_splits(y: np.ndarray, where: str, column: str, place: Callable[[int], str],
                 allow: bool) -> str | None:
    """Refuse a price series ``y`` (T,) with a split-like step (DataError naming the place
    ``place(index)`` gives, e.g. 'row 14 (2023-03-29)'); with ``allow``, a note instead."""
    found = split_jumps(y)
    if not found:
        return None
    first = found[0]
    more = f" ({len(found)} such steps in all)" if len(found) > 1 else ""
    what = (f"column '{column}' goes from {first.before:,.6g} to {first.after:,.6g} at "
            f"{place(first.index)}, like a {describe(first)} left unadjusted "
            f"({first.sds:,.0f} robust sds beyond its usual moves){more}")
    if allow:
        return f"{what}; kept as a real move (--allow-jumps)"
    raise DataError(f"{where}: {what}; adjust the prices for the split (e.g. use Adj Close), "
                    "or pass --allow-jumps to train or evaluate if the move is real")


__all__ = ["Jump", "split_jumps", "describe", "check_splits", "SPLIT_FACTORS", "TOLERANCE", "ROBUST_SDS"]
