"""A forecast as a picture: recent history, the forecast, its 80% and 90% bands.

matplotlib is imported inside the function (Agg canvas, no pyplot, no display), so
importing this module stays light; the PNG is written atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast.atomic import atomic_path
from forecast.errors import ConfigError

if TYPE_CHECKING:
    from forecast.data.series import SeriesData
    from forecast.forecaster import Forecast

BANDS = ((0.05, 0.95, "90% interval", 0.18), (0.1, 0.9, "80% interval", 0.32))


def check_plot_path(path: str | Path) -> Path:
    """A .png/.svg/.pdf path whose folder exists (ConfigError otherwise): every verb's --plot,
    checked before the work."""
    target = Path(path)
    if target.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ConfigError(f"--plot {path}: use a .png, .svg or .pdf file name")
    if not target.parent.exists():
        raise ConfigError(f"--plot {path}: folder {target.parent} does not exist")
    return target


def history_length(horizon: int, available: int) -> int:
    """How much history to show: enough to see the pattern the forecast continues."""
    return int(min(available, max(8 * horizon, 60)))


def plot_forecast(path: str | Path, series: "SeriesData", forecast: "Forecast", *, model: str) -> Path:
    """Write the chart; returns its path."""
    target = check_plot_path(path)
    fig = forecast_figure(series, forecast, model=model)
    with atomic_path(target) as tmp:
        fig.savefig(tmp, dpi=110, format=target.suffix.lower().lstrip("."))
    return target


def forecast_figure(series: "SeriesData", forecast: "Forecast", *, model: str) -> Any:
    """The chart as a matplotlib Figure. Bands are drawn only where the forecast has them."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    shown = history_length(len(forecast.point), len(series))
    history = series.rows(len(series) - shown, None)
    steps = not hasattr(history.index, "tz")  # step numbers (t = 1..1000): a plain axis
    hist_x = history.index if steps else history.index.tz_localize(None)
    fut_x = forecast.index if steps else forecast.index.tz_localize(None)
    fig = Figure(figsize=(10, 4.8), layout="constrained")
    ax = fig.add_subplot()
    categorical = forecast.class_probs is not None
    if categorical:
        _draw_classes(ax, history, forecast, hist_x, fut_x)
    else:
        ax.plot(hist_x, history.y, color="black", lw=1.3, label=f"{series.target} (history)")
        # join the forecast to the last observation so the eye follows it
        join_x = np.concatenate([hist_x[-1:].to_numpy(), fut_x.to_numpy()])
        join_y = np.concatenate([history.y[-1:], forecast.point])
        for low, high, label, alpha in BANDS:
            if low in forecast.quantiles and high in forecast.quantiles:
                ax.fill_between(fut_x, forecast.quantiles[low], forecast.quantiles[high], color="tab:blue",
                                alpha=alpha, lw=0, label=label)
        ax.plot(join_x, join_y, color="tab:blue", lw=1.8, marker="o" if len(fut_x) <= 30 else None,
                ms=3, label=f"{model} forecast")
        ax.set_ylabel(series.target)
    ax.axvline(hist_x[-1], color="0.6", lw=0.8, ls=":")
    if steps:
        ax.set_xlabel("step")  # the file's step numbers, not dates
    else:
        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    bands = [label for low, high, label, _ in BANDS if low in forecast.quantiles and high in forecast.quantiles]
    banded = int(np.isfinite(forecast.quantiles[0.1]).sum()) if 0.1 in forecast.quantiles else 0
    note = ("" if categorical or (bands and banded == len(fut_x)) else
            f" (intervals for the first {banded} steps)" if bands else " (no intervals)")
    ax.set_title(f"{series.name}: {series.target}, {len(fut_x)} steps ahead (model {model}){note}",
                 loc="left", fontsize=11)
    ax.legend(loc="best" if categorical else "upper left", fontsize=8, framealpha=0.85 if categorical else 0,
              frameon=categorical)
    ax.grid(alpha=0.25)
    return fig


def _draw_classes(ax: Any, history: "SeriesData", forecast: "Forecast", hist_x: Any, fut_x: Any) -> None:
    classes = forecast.classes
    ax.plot(hist_x, history.y, color="black", lw=1.0, drawstyle="steps-mid", label="history")
    ax.plot(fut_x, forecast.point, color="tab:blue", lw=1.8, drawstyle="steps-mid", marker="o", ms=3,
            label="most likely class")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_ylabel(history.target)
