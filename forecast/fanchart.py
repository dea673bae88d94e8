"""A bundle of generated paths summarised: quantiles per step, the terminal distribution,
threshold probabilities, maximum drawdowns, and the fan chart (matplotlib's Agg canvas, imported lazily)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.atomic import atomic_path
from forecast.forecastplot import check_plot_path

if TYPE_CHECKING:
    from forecast.data.series import SeriesData
    from forecast.rollout import Generation

LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)


def _qname(level: float) -> str:
    return f"q{round(level * 100):02d}"


def step_quantiles(values: np.ndarray) -> np.ndarray:
    """(N, S) paths -> (Q, S) quantiles at LEVELS for every step."""
    return np.quantile(values, LEVELS, axis=0)


def max_drawdowns(values: np.ndarray, start: float) -> tuple[np.ndarray, str]:
    """Largest peak-to-trough fall of each path (N,), counting ``start`` as the first peak.

    A fraction of the peak for positive series, else in the data's units ("absolute").
    """
    full = np.concatenate([np.full((len(values), 1), start), values], axis=1)  # (N, 1 + S)
    peaks = np.maximum.accumulate(full, axis=1)  # (N, 1 + S)
    if np.all(full > 0):
        return ((peaks - full) / peaks).max(axis=1), "fraction"
    return (peaks - full).max(axis=1), "absolute"


RISK_LEVELS = (0.95, 0.99)


def value_at_risk(values: np.ndarray, start: float) -> dict[str, Any]:
    """Value-at-risk and expected shortfall of the change from ``start`` to the last step.

    Losses are positive: VaR_a is the loss exceeded by a share 1 - a of the paths, ES_a the
    mean loss over those paths. As a fraction of ``start`` for positive series (returns),
    else in the data's units.
    """
    end = values[:, -1]  # (N,)
    positive = bool(np.all(values > 0) and start > 0)
    change = end / start - 1.0 if positive else end - start  # (N,)
    out: dict[str, Any] = {"kind": "fraction" if positive else "absolute"}
    for level in RISK_LEVELS:
        cut = np.quantile(change, 1.0 - level)
        tail = change[change <= cut]
        out[f"var{round(level * 100)}"] = float(-cut)
        out[f"es{round(level * 100)}"] = float(-tail.mean()) if tail.size else float(-cut)
    return out


def _stats(x: np.ndarray) -> dict[str, float]:
    qs = np.quantile(x, LEVELS)
    out = {"mean": float(x.mean()), "std": float(x.std()), "min": float(x.min()), "max": float(x.max())}
    return out | {_qname(lvl): float(q) for lvl, q in zip(LEVELS, qs)}


def summarize(
    values: np.ndarray, dates: pd.DatetimeIndex, start: float, threshold: float | None = None
) -> dict[str, Any]:
    """Quantiles per step, terminal stats, P(end above/below threshold), max drawdown stats.

    ``threshold`` defaults to ``start`` (the seed's last level): P(ending higher than now).
    """
    quants = step_quantiles(values)  # (Q, S)
    per_step = [
        {"step": s + 1, "ds": dates[s], **{_qname(lvl): float(quants[i, s]) for i, lvl in enumerate(LEVELS)}}
        for s in range(values.shape[1])
    ]
    end = values[:, -1]  # (N,)
    level = start if threshold is None else float(threshold)
    drawdowns, kind = max_drawdowns(values, start)
    return {
        "paths": int(values.shape[0]),
        "steps": int(values.shape[1]),
        "start": float(start),
        "quantiles": per_step,
        "terminal": _stats(end),
        "threshold": {
            "value": level,
            "p_above": float((end > level).mean()),
            "p_below": float((end < level).mean()),
        },
        "max_drawdown": {"kind": kind, **_stats(drawdowns)},
        "risk": value_at_risk(values, start),
    }


def class_summary(codes: np.ndarray, dates: pd.DatetimeIndex, classes: tuple[str, ...]) -> dict[str, Any]:
    """Share of paths in each class per step, and at the last step."""
    shares = np.stack([(codes == k).mean(axis=0) for k in range(len(classes))], axis=1)  # (S, C)
    per_step = [
        {"step": s + 1, "ds": dates[s], **{c: float(shares[s, k]) for k, c in enumerate(classes)}}
        for s in range(codes.shape[1])
    ]
    return {
        "paths": int(codes.shape[0]),
        "steps": int(codes.shape[1]),
        "class_shares": per_step,
        "terminal": {c: float(shares[-1, k]) for k, c in enumerate(classes)},
    }


def summarize_generation(gen: "Generation", threshold: float | None = None) -> dict[str, Any]:
    """The summary that fits the model: class shares, or quantiles, threshold and drawdowns."""
    if gen.classes:
        return class_summary(gen.values, gen.dates, gen.classes)
    return summarize(gen.values, gen.dates, gen.seed.last_level, threshold)


def plot_generation(
    path: str | Path, gen: "Generation", series: "SeriesData", *, title: str, threshold: float | None = None
) -> Path:
    """Write the fan chart of a generation (:func:`generation_figure`) to .png/.svg/.pdf."""
    history, drawn = _fan_parts(gen, series)
    return plot_fan(path, history, gen.dates, gen.values, title=title, threshold=threshold, **drawn)


def generation_figure(gen: "Generation", series: "SeriesData", *, title: str, threshold: float | None = None) -> Any:
    """The fan chart of a generation: about as much history as future, and for a seed from
    the data, what really followed."""
    history, drawn = _fan_parts(gen, series)
    return fan_figure(history, gen.dates, gen.values, title=title, threshold=threshold, **drawn)


def _fan_parts(gen: "Generation", series: "SeriesData") -> tuple[pd.Series, dict[str, Any]]:
    """(the history drawn before the fan, the rest of plot_fan's keywords)."""
    seed = gen.seed
    from_data = seed.label.startswith("data")
    steps = len(gen.dates)
    history = seed.history.iloc[-max(len(seed.window) + 1, min(steps, 500)) :]
    label = "history" if from_data else f"seed ({seed.label}), in levels"
    if seed.label == "zeros":  # no data behind it: only the level the paths start from is real
        history = seed.history.iloc[-1:]
        label = f"start level {seed.last_level:g} (seed: zeros in model space, i.e. average inputs; no history)"
    after = series.frame[series.target][series.index > seed.history.index[-1]].iloc[:steps]
    return history, {"classes": gen.classes, "ylabel": series.target, "history_label": label,
                     "actual": after if from_data else None}


def plot_fan(path: str | Path, history: pd.Series, dates: pd.DatetimeIndex, values: np.ndarray,
             **chart: Any) -> Path:
    """Write a fan chart (history, median, 50% and 90% bands, a few paths, and what really
    followed when ``actual`` is given) to .png/.svg/.pdf; ``chart``: :func:`fan_figure`'s keywords."""
    target = check_plot_path(path)
    _save_atomic(fan_figure(history, dates, values, **chart), target)
    return target


def fan_figure(
    history: pd.Series,
    dates: pd.Index,
    values: np.ndarray,
    *,
    title: str,
    threshold: float | None = None,
    classes: tuple[str, ...] = (),
    ylabel: str = "",
    history_label: str = "history",
    actual: pd.Series | None = None,
    n_samples: int = 5,
) -> Any:
    """The fan chart as a matplotlib Figure (see :func:`plot_fan`)."""
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    fig = Figure(figsize=(11, 5.5), dpi=110)
    ax = fig.subplots()
    if classes:
        _draw_classes(ax, dates, values, classes)
    else:
        _draw_fan(ax, history, dates, values, threshold, n_samples, history_label)
        if actual is not None and len(actual := actual[actual.index <= dates[-1]]):
            ax.plot(actual.index, actual.to_numpy(), color="black", lw=1.2, ls="--", label="actual")
        ax.legend(loc="best", fontsize=9, framealpha=0.85)
        ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(True, alpha=0.3)
    if isinstance(dates, pd.DatetimeIndex):
        fig.autofmt_xdate()
    else:
        ax.set_xlabel("step")  # the file's step numbers, not dates
    fig.tight_layout()
    return fig


def _draw_fan(
    ax: Any, history: pd.Series, dates: pd.DatetimeIndex, values: np.ndarray,
    threshold: float | None, n_samples: int, history_label: str,
) -> None:
    q = step_quantiles(values)  # (5, S)
    # Join the fan to the last history point so there is no gap at the seam. A step index stays
    # numbers: as a DatetimeIndex, step 144 became 144 ns after 1970 and the fan sat at the epoch.
    seam = pd.DatetimeIndex if isinstance(dates, pd.DatetimeIndex) else pd.Index
    x = seam([history.index[-1]]).append(dates) if len(history) else dates
    join = (lambda row: np.concatenate([[history.iloc[-1]], row])) if len(history) else (lambda row: row)
    ax.plot(history.index, history.to_numpy(), color="black", lw=1.4, label=history_label,
            marker="o" if len(history) == 1 else None)
    ax.fill_between(x, join(q[0]), join(q[4]), color="tab:blue", alpha=0.18, lw=0, label="90% band")
    ax.fill_between(x, join(q[1]), join(q[3]), color="tab:blue", alpha=0.35, lw=0, label="50% band")
    for i in range(min(n_samples, len(values))):
        ax.plot(x, join(values[i]), color="tab:orange", lw=0.7, alpha=0.7,
                label="sample paths" if i == 0 else None)
    ax.plot(x, join(q[2]), color="tab:blue", lw=2.0, label="median")
    if threshold is not None:
        ax.axhline(threshold, color="tab:red", lw=1.0, ls="--", label=f"threshold {threshold:g}")
    ax.axvline(x[0], color="grey", lw=0.8, ls=":")


def _draw_classes(ax: Any, dates: pd.DatetimeIndex, codes: np.ndarray, classes: tuple[str, ...]) -> None:
    shares = [(codes == k).mean(axis=0) for k in range(len(classes))]  # C x (S,)
    ax.stackplot(dates, *shares, labels=list(classes), alpha=0.85)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of paths")
    ax.margins(x=0)
    ax.legend(loc="upper left", fontsize=9, framealpha=0.85, ncol=min(len(classes), 6))


def _save_atomic(fig: Any, target: Path) -> None:
    """Write to a temporary file beside the target, then rename: no half-written chart."""
    with atomic_path(target) as tmp:
        fig.savefig(tmp, format=target.suffix.lower().lstrip("."))
