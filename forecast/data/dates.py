"""Dates as numpy datetime64 arrays: conversions and next dates, without pandas.

A series keeps its timestamps as one ``datetime64`` array (UTC instants when it
has a time zone) so that ``forecast predict`` never imports pandas. The calendars
``forecast.data.calendar.infer_freq`` names are extended here with numpy; anything
else (a time zone, a multiple like ``2MS``, a month-based step at a time of day)
goes to pandas, and tests check both ways give the same dates.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_FIXED = re.compile(r"^(\d*)(D|h|min|s)$")
_FIXED_UNITS = {"D": "D", "h": "h", "min": "m", "s": "s"}
_MONTHLY = re.compile(r"^(MS|ME|QS|QE|YS|YE)(?:-([A-Z]{3}))?$")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
STEPS_FREQ = "steps"  # the frequency of a series indexed by step numbers, not times


class _Steps:
    """The "time zone" of a step-indexed series: its datetime64 seconds are step numbers
    (whole or fractional, to the nanosecond: 0.5 s steps of a sensor).

    Passed where a tz goes (SeriesData.tz, Forecast.tz), it makes dates print, index and
    extend as plain integers (t = 1001, 1002, ...) with no change to the code in between.
    """

    def __repr__(self) -> str:
        return "STEPS"

    def __reduce__(self) -> str:
        return "STEPS"  # pickled by name: the one instance survives worker processes


STEPS = _Steps()


def step_dates(steps: np.ndarray) -> np.ndarray:
    """Step numbers as the datetime64 array a SeriesData holds (seconds = steps, in ns)."""
    steps = np.asarray(steps)
    if steps.dtype.kind in "iu":
        return (steps.astype(np.int64) * 10**9).astype("M8[ns]")
    return np.round(steps.astype(np.float64) * 1e9).astype(np.int64).astype("M8[ns]")


def _step_numbers(dates: np.ndarray) -> np.ndarray:
    """The step numbers of step dates: int64 when all are whole, else float64."""
    nanos = dates.astype("M8[ns]").astype(np.int64)
    whole = nanos // 10**9
    return whole if bool((nanos % 10**9 == 0).all()) else nanos / 1e9


def from_index(index: "pd.DatetimeIndex") -> tuple[np.ndarray, Any]:
    """(dates, tz): the index's values as datetime64 in its own unit (UTC when tz-aware)."""
    if not hasattr(index, "tz"):  # a step index (to_index of a STEPS series)
        return step_dates(np.asarray(index)), STEPS
    return np.asarray(index.asi8).view(f"M8[{index.unit}]"), index.tz


def to_index(dates: np.ndarray, tz: Any = None, name: str | None = "ds") -> "pd.DatetimeIndex":
    """The pandas index of ``dates`` (converted from UTC to ``tz`` when given)."""
    import pandas as pd

    if tz is STEPS:
        return pd.Index(_step_numbers(dates), name=name)
    index = pd.DatetimeIndex(dates, name=name)
    return index.tz_localize("UTC").tz_convert(tz) if tz is not None else index


def as_datetimes(dates: np.ndarray, tz: Any = None) -> list[datetime]:
    """Python datetimes (to the microsecond) for printing and JSON; aware when ``tz`` is set."""
    if tz is STEPS:
        return _step_numbers(dates).tolist()  # type: ignore[no-any-return]
    micros = dates.astype("M8[us]").astype(np.int64)
    if tz is None:
        return [datetime(1970, 1, 1) + timedelta(microseconds=int(us)) for us in micros]
    return [(_EPOCH + timedelta(microseconds=int(us))).astimezone(tz) for us in micros]


def next_dates(dates: np.ndarray, freq: str | None, n: int, tz: Any = None) -> np.ndarray:
    """The ``n`` dates after the last of ``dates`` on ``freq``, in the same unit.

    The same dates as :func:`forecast.data.calendar.future_dates` (which this falls
    back to for calendars numpy cannot follow exactly).
    """
    if tz is STEPS:
        return _next_steps(dates, n)
    if freq and freq.startswith("sessions:"):  # an exchange's trading days
        from forecast.data.exchanges import mic_of, next_sessions

        local = dates if tz is None else from_index(to_index(dates, tz).tz_localize(None))[0]
        days = next_sessions(local, str(mic_of(freq)), n)
        return days if tz is None else from_index(to_index(days).tz_localize(tz))[0]
    fast = _numpy_next(dates, freq, n) if tz is None and len(dates) and n > 0 else None
    if fast is not None:
        return fast
    from forecast.data.calendar import future_dates

    return from_index(future_dates(to_index(dates, tz), freq, n))[0]


def _next_steps(dates: np.ndarray, n: int) -> np.ndarray:
    """The next ``n`` step numbers, spaced by the most common step between rows."""
    nanos = dates.astype("M8[ns]").astype(np.int64)
    gaps = np.diff(nanos)
    gaps = gaps[gaps > 0]
    values, counts = np.unique(gaps, return_counts=True)
    step = int(values[np.argmax(counts)]) if len(values) else 10**9
    return (nanos[-1] + step * np.arange(1, n + 1)).astype("M8[ns]").astype(dates.dtype)


def _numpy_next(dates: np.ndarray, freq: str | None, n: int) -> np.ndarray | None:
    """next_dates by numpy for the calendars we infer, or None to ask pandas."""
    if freq is None:
        return None
    last = dates.max()
    steps = np.arange(1, n + 1)
    fixed = _FIXED.match(freq)
    if fixed:
        step = np.timedelta64(int(fixed.group(1) or 1), _FIXED_UNITS[fixed.group(2)])
        return (last + step * steps).astype(dates.dtype)
    day = last.astype("M8[D]")
    time_of_day = last - day
    if freq == "B":
        days = np.busday_offset(day, steps, roll="backward")  # Saturday + 1 = Monday
        return (days + time_of_day).astype(dates.dtype)
    if freq.startswith("W-") and freq[2:] in _WEEKDAYS:
        weekday = (day.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        ahead = (_WEEKDAYS.index(freq[2:]) - weekday) % 7 or 7
        return (last + np.timedelta64(int(ahead), "D") + np.timedelta64(7, "D") * (steps - 1)).astype(
            dates.dtype
        )
    monthly = _MONTHLY.match(freq)
    if monthly and time_of_day == np.timedelta64(0):
        return _month_anchored(day, monthly.group(1), monthly.group(2), n).astype(dates.dtype)
    return None


def _month_anchored(day: np.datetime64, kind: str, anchor: str | None, n: int) -> np.ndarray:
    """Month, quarter or year starts/ends strictly after ``day`` (midnight), n of them."""
    period = {"M": 1, "Q": 3, "Y": 12}[kind[0]]
    at_start = kind.endswith("S")
    if anchor is None:  # pandas' defaults: QS/YS anchored on January, QE/YE on December
        month = 11 if not at_start and period > 1 else 0
    else:
        month = _MONTHS.index(anchor)
    residue = month % period

    def point(m: int) -> np.datetime64:  # the start or the last day of month index m
        start = np.datetime64(m, "M")
        return start.astype("M8[D]") if at_start else (start + 1).astype("M8[D]") - 1

    m = int(day.astype("M8[M]").astype(np.int64)) - period
    m += (residue - m) % period  # the first anchored month at or after m
    while point(m) <= day:
        m += period
    months = (m + period * np.arange(n)).astype("M8[M]")
    return months.astype("M8[D]") if at_start else (months + 1).astype("M8[D]") - np.timedelta64(1, "D")


__all__ = ["from_index", "to_index", "as_datetimes", "next_dates", "step_dates", "STEPS", "STEPS_FREQ"]


def day_text(when: Any) -> str:
    """A row's time as messages show it: 2016-06-30 for a midnight timestamp, the full time
    otherwise, a step number as it is."""
    if not hasattr(when, "normalize"):  # a step-indexed series' number
        return str(when)
    return str(when.date()) if when == when.normalize() else str(when)
