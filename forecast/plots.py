"""A backtest as a picture: actuals against each model's forecasts, and the error per fold.

matplotlib is imported inside the function (Agg canvas, no pyplot, no display),
so importing this module stays light. The chart is written atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.atomic import atomic_path
from forecast.forecastplot import check_plot_path
from forecast.walkforward import Backtest

check_path = check_plot_path  # the one --plot checker: .png, .svg or .pdf, in an existing folder


def fold_errors(bt: Backtest) -> pd.DataFrame:
    """Error per fold and model: MAE (error rate for classes), one column per model."""
    t = bt.table
    err = (t["y"] != t["yhat"]).astype(float) if bt.categorical else (t["y"] - t["yhat"]).abs()
    frame = t.assign(err=err).groupby(["cutoff", "model"], sort=False)["err"].mean()
    return frame.unstack("model")


def _draw_forecasts(ax: Any, bt: Backtest, shown: Sequence[str], colors: dict[str, Any], ylabel: str) -> None:
    actual = bt.table.drop_duplicates("ds").sort_values("ds")
    steps = {"drawstyle": "steps-mid"} if bt.categorical else {}
    ax.plot(actual["ds"], actual["y"], color="black", lw=1.6, label="actual", zorder=5, **steps)
    for name in shown:
        rows = bt.table[bt.table["model"] == name]
        style = {"ls": "-", "lw": 1.3} if name in bt.models else {"ls": "--", "lw": 1.0}
        style.update(steps)
        # horizon 1: one point per fold, which a line cannot draw; join the folds' one-step
        # forecasts instead (with markers), and their bands likewise
        parts = [rows.sort_values("ds")] if bt.horizon == 1 else [g for _, g in rows.groupby("fold", sort=True)]
        marker = {"marker": "o", "ms": 3} if bt.horizon == 1 else {}
        for i, g in enumerate(parts):
            ax.plot(g["ds"], g["yhat"], color=colors[name], label=name if i == 0 else None, **style, **marker)
            if "q0.1" in g and "q0.9" in g and g["q0.1"].notna().all():
                ax.fill_between(g["ds"], g["q0.1"], g["q0.9"], color=colors[name], alpha=0.15, lw=0,
                                label="80% interval" if i == 0 and name == shown[0] else None)
    for cutoff in bt.folds["cutoff"]:
        ax.axvline(cutoff, color="0.85", lw=0.6, zorder=0)
    if bt.categorical:
        ax.set_yticks(range(len(bt.classes)), bt.classes)
    ax.set_ylabel(ylabel)
    bands = "; bands: 80% interval" if "q0.1" in bt.table else ""
    ax.set_title(f"actuals and forecasts (grey lines: fold cutoffs{bands})", loc="left", fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)


def _draw_errors(ax: Any, bt: Backtest, colors: dict[str, Any]) -> None:
    errors = fold_errors(bt)
    spread = errors.replace(0, np.nan).stack()
    log = bool(not bt.categorical and len(spread) and spread.max() / spread.min() > LOG_SPREAD)
    if log:  # a zero error has no place on a log axis: left out of the line, not drawn at -inf
        errors = errors.replace(0, np.nan)
    for name in (*bt.models, *bt.peers, *bt.baselines):
        if name in errors:
            style = {"ls": "-", "marker": "o"} if name in bt.models else {"ls": "--", "marker": "."}
            ax.plot(errors.index, errors[name], color=colors[name], lw=1.1, ms=4, label=name, **style)
    ax.set_ylabel("error rate" if bt.categorical else "MAE")
    ax.set_xlabel("fold cutoff")
    if log:  # one far worse baseline (the mean, often) would flatten every other line
        ax.set_yscale("log")
    ax.set_title("error per fold (all models and baselines" + (", log scale" if log else "") + ")",
                 loc="left", fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)


LOG_SPREAD = 20.0  # largest / smallest fold error above this: the error panel goes log scale


def plot_backtest(
    bt: Backtest, path: str | Path, *, baselines: Sequence[str] = ("naive",), title: str = "",
    target_name: str | None = None,
) -> Path:
    """Write the two panels of :func:`backtest_figure` as .png, .svg or .pdf (by the suffix, as
    train, predict and generate do: evaluate alone refused .svg and .pdf)."""
    target = check_path(path)
    fig = backtest_figure(bt, baselines=baselines, title=title, target_name=target_name)
    with atomic_path(target) as tmp:
        fig.savefig(tmp, dpi=110, format=target.suffix.lower().lstrip("."))
    return target


def backtest_figure(
    bt: Backtest, *, baselines: Sequence[str] = ("naive",), title: str = "", target_name: str | None = None
) -> Any:
    """Two panels: the zoo models, the peers and ``baselines`` against the actuals; error per fold."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    names = (*bt.models, *bt.peers, *bt.baselines)
    palette = [f"C{i}" for i in range(10)]
    colors = {name: palette[i % 10] for i, name in enumerate(names)}
    shown = [*bt.models, *bt.peers, *(b for b in dict.fromkeys(baselines) if b in bt.baselines)]
    fig = Figure(figsize=(11, 7.5), layout="constrained")
    top, bottom = fig.subplots(2, 1, height_ratios=(3, 2), sharex=True)
    _draw_forecasts(top, bt, shown, colors, target_name or ("class" if bt.categorical else "value"))
    _draw_errors(bottom, bt, colors)
    if pd.api.types.is_datetime64_any_dtype(bt.table["ds"]):
        locator = AutoDateLocator()  # short labels: year once, then months/days (no overlaps)
        bottom.xaxis.set_major_locator(locator)
        bottom.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    else:  # step numbers: dates' labels read step 124 as day 124 of 1970 ('1970-May')
        bottom.set_xlabel("fold cutoff (step)")
    if title:
        fig.suptitle(title, fontsize=11)
    return fig
