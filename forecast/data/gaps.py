"""Gaps in sub-daily data: the ones a sensor dropped, not the ones a market closes for.

Taylor's half-hourly demand with a day cut out was joined without a word: every row after
the hole sat a day early in its weekly season. Intraday prices skip nights and weekends by
design, and thin pre- and post-market bars come and go (EA's 15-minute bars have 41 holes
inside their days, all outside 09:15-16:15): those are not gaps. A time of day is *usual* when
the series has a row at it on USUAL_SHARE of its days (days with no row at all do not count
against it), on a weekday it has in at least half its weeks; a hole is a gap when it misses a
usual time, except that data which stops for part of every day may skip from one day's last
row to a later day's first (nights, weekends, holidays). Measured: Taylor's and elecdemand's
half-hours and EA's bars have no gap; 100k one-minute holes in 2M rows take 0.17 s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_DAY = 86_400 * 10**9  # ns
_WEEK = 7 * _DAY
USUAL_SHARE = 0.9  # a time of day the series has on at least this share of its days is usual


@dataclass(frozen=True)
class Gaps:
    """The real gaps of a sub-daily series: where they start and end (ns), the largest."""

    starts: np.ndarray  # (G,) int64 ns: the row before each gap
    ends: np.ndarray  # (G,) int64 ns: the row after it

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def largest(self) -> int:
        """Index of the longest gap."""
        return int(np.argmax(self.ends - self.starts))


def _shares(ns: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
    """(usual time of day (S,), usual weekday (7,)) as booleans. Shares count the days that have
    rows (a day missing whole does not lower them); the first and last day count only for the
    times they cover (EA's data ends at 14:15 on its last day)."""
    per_day = _DAY // step
    day = ns // _DAY  # (T,) days since 1970 (a Thursday)
    slot = (ns - day * _DAY) // step  # (T,)
    days = day[np.r_[True, day[1:] != day[:-1]]]  # ns is sorted: no np.unique (1 s on 2M rows)
    steps = ns // step
    seen = steps[np.r_[True, steps[1:] != steps[:-1]]] % per_day  # one count per (day, slot)
    count = np.bincount(seen, minlength=per_day)  # (S,)
    times = np.arange(per_day)
    possible = len(days) - (times < slot[0]) - (times > slot[-1])  # (S,)
    usual_slot = count >= USUAL_SHARE * np.maximum(possible, 1)
    on = np.bincount((days + 3) % 7, minlength=7)  # Monday = 0
    span = np.bincount((np.arange(days[0], days[-1] + 1) + 3) % 7, minlength=7)
    usual_weekday = (on >= 0.5 * span) | (span < 2)  # a weekday the data skips week after week is off
    return usual_slot, usual_weekday


def real_gaps(ns: np.ndarray, step: int) -> Gaps:
    """The gaps of the sorted wall-clock times ``ns`` (T,) int64 on a ``step``-ns grid that
    miss a usual time (see the module docstring); none when the day is not whole steps."""
    empty = Gaps(np.zeros(0, np.int64), np.zeros(0, np.int64))
    if len(ns) < 3 or step <= 0 or _DAY % step:
        return empty
    holes = np.flatnonzero(np.diff(ns) > step)  # (J,) rows followed by a hole
    if not len(holes):
        return empty
    usual_slot, usual_weekday = _shares(ns, step)
    week = _WEEK // step  # W: steps in a week, counted from the epoch's Thursday
    at = np.arange(week) * step  # (W,) ns into the week
    usual = usual_slot[(at % _DAY) // step] & usual_weekday[(at // _DAY + 3) % 7]  # (W,)
    counts = np.r_[0, np.cumsum(np.r_[usual, usual])]  # (2W + 1,) usual steps before each position
    start, end = ns[holes], ns[holes + 1]  # (J,)
    first = (start // step + 1) % week  # the first missing step's place in the week
    missing = (end - start) // step - 1  # (J,)
    real = (missing >= week) | (counts[first + np.minimum(missing, week)] - counts[first] > 0)
    day = ns // _DAY
    if not usual_slot.all():  # the data stops for part of every day: nights, weekends, holidays
        last_of_day = np.r_[day[1:] != day[:-1], True]  # (T,)
        first_of_day = np.r_[True, day[1:] != day[:-1]]
        real &= ~(last_of_day[holes] & first_of_day[holes + 1])
    return Gaps(start[real], end[real])


__all__ = ["Gaps", "real_gaps", "USUAL_SHARE"]
