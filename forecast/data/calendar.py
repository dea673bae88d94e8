"""A series' own calendar: its frequency alias, its next dates, its season length.

The frequency comes from the modal step between consecutive timestamps, so
holidays, missing bars and a few odd sessions do not hide it (``pd.infer_freq``
gives up on any irregularity).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from forecast.errors import DataError

_DAY = 86_400  # seconds
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_MIN_SHARE = 0.5  # the modal step must cover at least this share of the steps
_MAX_WEEKEND_SHARE = 0.02  # daily data with fewer weekend rows than this is business-daily


def _wall_clock(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The index as tz-naive wall-clock times (DST does not bend daily steps)."""
    index = pd.DatetimeIndex(index)
    return index.tz_localize(None) if index.tz is not None else index


def _step_seconds(index: pd.DatetimeIndex) -> np.ndarray:
    """Seconds between consecutive timestamps of the sorted index."""
    seconds = _wall_clock(index).as_unit("s").asi8
    return np.diff(np.sort(seconds))


def _step_kind(seconds: int) -> str | int:
    """A calendar bucket for one step: months and years vary in length."""
    days = seconds / _DAY
    if 28 <= days <= 31:
        return "month"
    if 89 <= days <= 92:
        return "quarter"
    if 365 <= days <= 366:
        return "year"
    return int(seconds)


def _modal_step(index: pd.DatetimeIndex) -> str | int | None:
    """The most common step bucket, or None when no step covers half the steps."""
    steps = _step_seconds(index)
    steps = steps[steps > 0]
    if len(steps) == 0:
        return None
    # bucket the distinct steps only (a 2M-row minute file has a handful), then count per bucket;
    # a tie goes to the bucket seen first
    values, first, counts = np.unique(steps, return_index=True, return_counts=True)
    totals: dict[str | int, list[int]] = {}
    for value, seen, count in zip(values.tolist(), first.tolist(), counts.tolist()):
        kind = _step_kind(int(value))
        total = totals.setdefault(kind, [0, seen])
        total[0] += count
        total[1] = min(total[1], seen)
    kind, (count, _) = min(totals.items(), key=lambda item: (-item[1][0], item[1][1]))
    if count / len(steps) >= _MIN_SHARE:
        return kind
    return _DAY if _is_business_daily(steps) else None


def _is_business_daily(steps: np.ndarray) -> bool:
    """Steps of one day or over a weekend (Friday to Monday) dominate."""
    return bool(np.isin(steps, (_DAY, 3 * _DAY)).mean() >= _MIN_SHARE)


def _intraday_alias(seconds: int) -> str:
    """An alias for a fixed sub-daily step: "h", "2h", "30min", "15s"."""
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return "h" if hours == 1 else f"{hours}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}min"
    return f"{seconds}s"


def _mode(values: pd.Index) -> int:
    return int(pd.Series(values).mode().iloc[0])


def _calendar_alias(kind: str, index: pd.DatetimeIndex) -> str:
    """Month, quarter or year aliases anchored on the data's own dates."""
    starts = bool((index.day == 1).mean() >= 0.5)
    month = _mode(index.month)
    if kind == "month":
        return "MS" if starts else "ME"
    if kind == "quarter":
        anchor = (month - 1) % 3 + (0 if starts else 9)
        return f"{'QS' if starts else 'QE'}-{_MONTHS[anchor]}"
    if starts:
        return "YS" if month == 1 else f"YS-{_MONTHS[month - 1]}"
    return "YE" if month == 12 else f"YE-{_MONTHS[month - 1]}"


def infer_freq(index: pd.DatetimeIndex) -> str | None:
    """A pandas offset alias for the index's calendar ("B", "D", "W-SAT", "MS", "30min", ...).

    None when there are fewer than two distinct timestamps or no regular step.
    """
    index = _wall_clock(index)
    step = _modal_step(index)
    if step is None:
        return None
    if isinstance(step, str):
        return _calendar_alias(step, index)
    if step < _DAY:
        return _intraday_alias(step)
    if step == _DAY:
        weekend = float((index.day_of_week >= 5).mean())
        return "B" if weekend < _MAX_WEEKEND_SHARE else "D"
    if step == 7 * _DAY:
        return f"W-{_WEEKDAYS[_mode(index.day_of_week)]}"
    if step % _DAY == 0:
        return f"{step // _DAY}D"
    return _intraday_alias(step)


def future_dates(index: pd.Index, freq: str | None, n: int) -> pd.Index:
    """The next ``n`` dates after ``index[-1]`` on ``freq`` (the modal step when None).

    Business days skip weekends; the index's time zone is kept.
    """
    if freq == "steps" or not hasattr(index, "tz"):  # step numbers: 1001, 1002, ...
        from forecast.data.dates import STEPS, from_index, next_dates, to_index

        return to_index(next_dates(from_index(index)[0], "steps", n, STEPS), STEPS, index.name)
    if freq and freq.startswith("sessions:"):  # an exchange's trading days
        from forecast.data.dates import from_index, next_dates, to_index

        dates, tz = from_index(pd.DatetimeIndex(index))
        return to_index(next_dates(dates, freq, n, tz), tz, index.name)
    index = pd.DatetimeIndex(index)
    if len(index) == 0:
        raise DataError("cannot extend an empty series with future dates; load some data first")
    last = index.max()
    if n <= 0:
        return pd.DatetimeIndex([], tz=index.tz, name=index.name).as_unit(index.unit)
    if freq is None:
        return _future_by_step(index, last, n)
    offset = to_offset(freq)
    first = last + offset  # rolls an off-calendar last date to the next on-calendar one
    dates = pd.date_range(start=first, periods=n, freq=offset, name=index.name)
    return dates.as_unit(index.unit)


def _future_by_step(index: pd.DatetimeIndex, last: pd.Timestamp, n: int) -> pd.DatetimeIndex:
    """Dates spaced by the modal step in seconds (no calendar to follow)."""
    steps = _step_seconds(index)
    steps = steps[steps > 0]
    if len(steps) == 0:
        raise DataError(
            "cannot tell the step between dates from one timestamp; "
            "give the frequency explicitly or load more rows"
        )
    step = pd.Timedelta(seconds=int(pd.Series(steps).mode().iloc[0]))
    dates = pd.DatetimeIndex([last + step * (i + 1) for i in range(n)], name=index.name)
    return dates.as_unit(index.unit)


def season_length(freq: str | None) -> int | None:
    """Steps per season: 12 monthly, 4 quarterly, 52 weekly, 5 business, 7 daily, 24 hourly,
    48 half-hourly, 96 quarter-hourly (steps per day for other sub-daily steps), 1 yearly.

    None when ``freq`` is None or not understood.
    """
    if freq is None:
        return None
    if freq.startswith("sessions:"):  # exchange trading days: a week of sessions
        return 5
    try:
        offset = to_offset(freq)
    except ValueError:
        return None
    by_type: dict[type, int] = {
        pd.offsets.MonthBegin: 12,
        pd.offsets.MonthEnd: 12,
        pd.offsets.QuarterBegin: 4,
        pd.offsets.QuarterEnd: 4,
        pd.offsets.Week: 52,
        pd.offsets.YearBegin: 1,
        pd.offsets.YearEnd: 1,
    }
    for kind, length in by_type.items():
        if isinstance(offset, kind) and offset.n == 1:
            return length
    if isinstance(offset, pd.offsets.BusinessDay) and offset.n == 1:
        return 5
    if isinstance(offset, pd.offsets.Day):
        return 7 if offset.n == 1 else None
    return _steps_per_day(offset)


def _steps_per_day(offset: pd.offsets.BaseOffset) -> int | None:
    """For a fixed sub-daily step, how many fit in a day (24 hourly, 48 for 30min)."""
    if not isinstance(offset, pd.offsets.Tick):
        return None
    seconds = pd.Timedelta(offset).total_seconds()
    if seconds <= 0 or seconds >= _DAY or _DAY % seconds:
        return None
    return int(_DAY // seconds)


__all__ = ["infer_freq", "future_dates", "season_length"]
