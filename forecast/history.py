"""New rows against a model's own data: joined into one history, and a forecast from every origin.

``predict --data TEST --rolling`` and ``evaluate --test`` read a test file that overlaps or
follows the model's training data; :func:`join_to_model_data` checks they are the same series
with no silent gap, and :func:`rolling_forecasts` forecasts from each test origin.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from forecast.data.series import SeriesData
from forecast.errors import DataError

if False:  # typing only; keeps torch out of import time
    from forecast.forecaster import Forecaster


def join_to_model_data(own: SeriesData, new: SeriesData, where: str) -> tuple[SeriesData, int]:
    """The model's own rows before ``new`` starts, then ``new``: (history, index of new's first row).

    ``new`` may overlap the model's data (overlapping dates must hold the same values) or
    follow it; a gap larger than any between the model's own rows is an error, since the
    windows would silently skip it.
    """
    import numpy as np

    before = int(np.searchsorted(own.dates, new.dates[0]))
    overlap = np.intersect1d(own.dates, new.dates, return_indices=True)
    if len(overlap[0]):
        a, b = own.y[overlap[1]], new.y[overlap[2]]
        differs = ~np.isclose(a, b, rtol=1e-9, atol=0.0)
        if differs.any():
            k = int(np.flatnonzero(differs)[0])
            raise DataError(
                f"{where}: row dated {str(overlap[0][k])[:10]} has {new.target} = {b[k]:g}, but the model's "
                f"data ({own.source}) has {a[k]:g} there; it is not the same series"
            )
    elif before == len(own):  # new starts after the model's data: no gap allowed beyond the usual
        missing, usual = _missing_steps(own, new.dates[0]), _largest_gap(own)
        if missing is None or missing > usual:
            between = "the calendar cannot bridge them" if missing is None else (
                f"{missing} steps are missing in between")
            raise DataError(
                f"{where}: starts {str(new.dates[0])[:10]}, but the model's data ends "
                f"{str(own.dates[-1])[:10]} and {between}; give the rows in between (or a file that "
                "includes them)"
            )
    history = SeriesData(
        np.concatenate([own.dates[:before], new.dates]),
        np.concatenate([own.values[:before], new.values]),
        new.target, new.features, new.freq or own.freq, new.source, new.name, new.classes,
        (*new.notes, f"joined after the model's own data: {before} rows of {own.source} up to "
         f"{str(own.dates[before - 1])[:10] if before else '-'}"), new.tz,
    )
    return history, before


def _missing_steps(series: SeriesData, date: Any, limit: int = 400) -> int | None:
    """Calendar steps of ``series.freq`` strictly between its last row and ``date`` (None: beyond)."""
    import numpy as np

    ahead = series.future_dates(limit)
    position = int(np.searchsorted(ahead, date))
    return position if position < limit and ahead[position] == date else None


def _largest_gap(series: SeriesData, tail: int = 500) -> int:
    """The most calendar steps missing between consecutive rows of the series' last ``tail`` rows."""
    import numpy as np

    dates = series.dates[-tail:]
    if len(dates) < 2:
        return 0
    start = series.rows(len(series) - len(dates), len(series) - len(dates) + 1)
    try:
        calendar = np.concatenate([start.dates, start.future_dates(4 * len(dates))])
    except Exception:
        return 0
    positions = np.searchsorted(calendar, dates)
    return int(max(0, np.diff(positions).max() - 1))


def rolling_forecasts(forecaster: "Forecaster", history: SeriesData, first: int) -> dict[str, list[Any]]:
    """A forecast from every origin from row ``first - 1`` to the last row: the long table
    (cutoff, step, ds, y, yhat, quantiles...); y is the actual where the data has it."""
    import numpy as np

    window = forecaster.run.window.input_len or 1
    start = max(first - 1, window + (forecaster.run.window.transform != "level") - 1)
    if start >= len(history):
        raise DataError(
            f"{history.source}: {len(history)} rows in all, but the model reads {window} rows before "
            "a forecast; give more history"
        )
    table: dict[str, list[Any]] = {}
    saved = forecaster.conformal
    state = {**saved, "taus": np.asarray(saved["taus"], dtype=np.float64)} if saved else {}
    live = replace(forecaster, conformal=state)  # the loop's own levels; the model's stay as saved
    pending: list[tuple[int, dict[float, np.ndarray]]] = []  # (origin, bounds) awaiting outcomes
    for origin in range(start, len(history)):
        _learn_outcomes(state, pending, history.y, origin)
        forecast = live.predict(history.head(origin + 1))
        if state and forecast.quantiles:
            pending.append((origin, {float(q): np.asarray(v, dtype=np.float64)
                                     for q, v in forecast.quantiles.items()}))
        _append_rows(table, forecast, history, origin)
    order = ["cutoff", "step", "ds", "y", *[k for k in table if k not in ("cutoff", "step", "ds", "y")]]
    if history.classes:
        table["y"] = [history.classes[int(v)] if np.isfinite(v) else None for v in table["y"]]
    return {k: table[k] for k in order}


def _learn_outcomes(state: dict[str, Any], pending: list[tuple[int, dict[float, Any]]], y: Any,
                    origin: int) -> None:
    """Online ACI (conformal.update_online): before forecasting from ``origin``, every earlier
    forecast whose step lands on row ``origin`` (now known) updates that step's levels once."""
    from forecast.conformal import update_online

    keep = []
    for made, bounds in pending:
        step = origin - made - 1  # the newest known row, ``origin``, is step origin - made of it
        if 0 <= step:
            update_online(state, bounds, float(y[origin]), step)
        width = len(next(iter(bounds.values()))) if bounds else 0
        if step + 1 < width:
            keep.append((made, bounds))
    pending[:] = keep


def _append_rows(table: dict[str, list[Any]], forecast: Any, history: SeriesData, origin: int) -> None:
    """One origin's forecast as rows of the long table (cutoff, step, ds, y, yhat, quantiles...)."""
    from forecast.data.dates import as_datetimes

    columns = forecast.columns()
    rows = len(columns["ds"])
    # step k is the k-th next row where the data has it (its own trading days), else the calendar's
    known_dates = history.dates[origin + 1 : origin + 1 + rows]
    known_y = history.y[origin + 1 : origin + 1 + rows].tolist()
    columns["ds"] = [*as_datetimes(known_dates, history.tz), *columns["ds"][len(known_y):]]
    extra = {
        "cutoff": as_datetimes(history.dates[origin : origin + 1], history.tz) * rows,
        "step": list(range(1, rows + 1)),
        "y": [*known_y, *[float("nan")] * (rows - len(known_y))],
    }
    for key, values in {**extra, **columns}.items():
        table.setdefault(key, []).extend(values)
