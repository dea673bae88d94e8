"""A forecast of exactly the steps asked for, and never a non-finite one.

Past the trained horizon H, :func:`forecast_steps` extends the forecast in blocks: the chosen
member's own H-step point forecast is appended to the series and it forecasts again (the
iterated direct strategy). That works for whatever the fit chose (the net, a baseline, a
statistical peer, a combination); forecast.rollout is the one-step loop of the network alone
that ``generate`` samples with, so it is not used here.
"""

from __future__ import annotations

from forecast.data.series import SeriesData
from forecast.errors import ConfigError

if False:  # typing only; keeps torch out of import time
    from forecast.forecaster import Forecast, Forecaster


def checked_forecast(forecaster: "Forecaster", series: SeriesData, what: str,
                     notes: list[str] | None = None) -> "Forecast":
    """Forecast, refusing NaN or infinite values; numpy's overflow warnings become one note.

    From a saved model that is a broken model file (exit 5); from a fresh fit it is a
    diverged training run (exit 1), with the cause named either way.
    """
    import warnings

    import numpy as np

    from forecast.errors import ForecastError, ModelFileError

    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        forecast = forecaster.predict(series)
    values = [np.asarray(forecast.point, dtype=float)]
    values += [np.asarray(v, dtype=float) for v in forecast.quantiles.values()]
    if forecast.class_probs is not None:
        values.append(np.asarray(forecast.class_probs, dtype=float))
    if not all(np.isfinite(v).all() for v in values):
        if notes is None:
            raise ForecastError(
                f"{what} forecasts NaN or infinite values (training diverged: lower --lr, "
                "set --clip-norm, or check the data for extreme values)"
            )
        raise ModelFileError(
            f"{what} forecasts NaN or infinite values: its weights or scaler state are broken, "
            "or the data is far outside what it was trained on; retrain it"
        )
    if caught and notes is not None:
        notes.append(f"numeric overflow while mapping the forecast back to levels "
                     f"({caught[0].message}); the values are finite but extreme")
    return forecast


def band_note(forecast: "Forecast", member: str) -> list[str]:
    """Say where the point lies outside its own 80% band (q0.1..q0.9), and why.

    The band is calibrated on the chosen member's signed out-of-sample errors, so when those
    lean one way (a member that kept under-forecasting growth) the band leans with them and
    can leave the point outside. Rare: on the dense intervals design (30 series, 9,270 test
    steps, --epochs 10) 10 steps, all airline's, and none outside the 90% band; Airline
    trained with --epochs 3 (``median`` chosen) puts 1961-12 at 460.3 under q0.1 461.0.
    """
    import numpy as np

    low, high = forecast.quantiles.get(0.1), forecast.quantiles.get(0.9)
    if low is None or high is None:
        return []
    point = np.asarray(forecast.point, dtype=float)  # (H,)
    below, above = point < np.asarray(low), point > np.asarray(high)  # (H,) each
    if not (below.any() or above.any()):
        return []
    where = np.flatnonzero(below | above)
    lean = ("under-forecast at its recent origins, so the band sits above the point"
            if below.sum() >= above.sum() else "over-forecast at its recent origins, so the band sits below the point")
    return [f"the point forecast lies outside its own 80% band (q0.1..q0.9) at {len(where)} of {len(point)} "
            f"steps (the first is step {where[0] + 1}): the chosen {member} {lean}; the band is calibrated "
            "on those out-of-sample errors, the point is the member's own forecast"]


def forecast_steps(forecaster: "Forecaster", series: SeriesData, steps: int | None, what: str,
                   notes: list[str]) -> "Forecast":
    """``steps`` ahead: the first ones of the trained horizon, or beyond it by rolling out.

    Past the trained horizon H the model's own point forecasts are appended to the series
    and it forecasts again (recursive rollout); those steps have no intervals, and a note says so.
    """
    from dataclasses import replace as replace_fields

    import numpy as np

    trained = forecaster.run.window.horizon or 1
    first = checked_forecast(forecaster, series, what, notes)
    if steps is None or steps == trained:
        notes.extend(band_note(first, forecaster.chosen.member))
        return first
    if steps < 1:
        raise ConfigError(f"--horizon {steps}: give 1 or more steps")
    if steps < trained:
        first = replace_fields(
            first, dates=first.dates[:steps], point=first.point[:steps],
            quantiles={k: np.asarray(v)[:steps] for k, v in first.quantiles.items()},
            class_probs=None if first.class_probs is None else first.class_probs[:steps],
        )
        notes.extend(band_note(first, forecaster.chosen.member))
        return first
    notes.extend(band_note(first, forecaster.chosen.member))  # the rolled-out steps have no band
    if series.features:
        raise ConfigError(
            f"--horizon {steps}: the model was trained for {trained} steps and uses features "
            f"({', '.join(series.features)}) whose future values are unknown; ask for at most {trained}"
        )
    dates, points, probs, history, step = [first.dates], [first.point], [first.class_probs], series, first
    while sum(len(p) for p in points) < steps:
        history = SeriesData(
            np.concatenate([history.dates, step.dates]),
            np.concatenate([history.values, np.asarray(step.point, dtype=float)[:, None]]),
            history.target, history.features, history.freq, history.source, history.name,
            history.classes, history.notes, history.tz,
        )
        step = checked_forecast(forecaster, history, what, notes)
        dates.append(step.dates)
        points.append(step.point)
        probs.append(step.class_probs)
    notes.append(
        f"--horizon {steps}: the model was trained for {trained} steps; steps {trained + 1}..{steps} "
        "are rolled out (its own forecasts fed back as inputs) and have no intervals (empty q cells)"
    )
    beyond = np.full(steps - len(first.point), np.nan)  # (steps - H,): no calibrated band out there
    return replace_fields(
        first, dates=np.concatenate(dates)[:steps], point=np.concatenate(points)[:steps],
        quantiles={k: np.concatenate([np.asarray(v, dtype=float), beyond]) for k, v in first.quantiles.items()},
        class_probs=None if first.class_probs is None else np.concatenate(probs)[:steps],
    )
