"""Scores and verdicts from a backtest's long table.

Which scores exist, what they need and which way is better is the metric registry's
(``forecast.metrics.METRICS``); this module turns each model's rows into ``metrics.Rows``,
scores them overall and per horizon step, and adds what compares models.

Point scores pool every (fold, step) row of a model; MASE is each fold's MAE
over that fold's in-sample naive error (seasonal naive when the season > 1),
averaged over folds. Skill is ``1 - MASE / MASE of the best baseline``; a
model "beats naive" when its MASE is lower and the Diebold-Mariano test on
absolute errors (against the naive forecast, same rows) gives p < ``alpha``.
A lag-mimic warning names a zoo model whose forecasts sit closer to the last
observed value than to the outcome and that does not beat naive.
Categorical targets score accuracy and macro-F1, skill on the error rate, and
compare with persistence. Rows have a kind: model (a network), peer (a statistical
model) or baseline; the best baseline is the best of the baselines only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecast import metrics as M
from forecast.stats import LAG_MIMIC_WARN, diebold_mariano, lag_mimic_score
from forecast.walkforward import Backtest

ALPHA = 0.05


@dataclass(frozen=True)
class Leaderboard:
    """One row per model (zoo and baselines), best first, plus warnings."""

    scores: pd.DataFrame
    key: str  # the ranking metric: mase (mae when a scale is undefined) or accuracy
    reference: str  # naive or persistence
    best_baseline: str
    warnings: tuple[str, ...]
    by_step: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # model -> metric -> (H,)

    def summary(self) -> dict[str, Any]:
        """JSON-able: ranking metric, reference, best baseline, rows (with by_step), warnings."""
        records = [
            {**{k: _plain(v) for k, v in row.items()},
             "by_step": {m: [_plain(v) for v in vs] for m, vs in self.by_step.get(row["model"], {}).items()}}
            for row in self.scores.to_dict(orient="records")
        ]
        return {"key": self.key, "reference": self.reference, "best_baseline": self.best_baseline,
                "models": records, "warnings": list(self.warnings)}


def _plain(value: Any) -> Any:
    if isinstance(value, (np.generic,)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def quantile_levels(table: pd.DataFrame) -> list[float]:
    """Levels of the q<level> columns, ascending."""
    return sorted(float(c[1:]) for c in table.columns if c.startswith("q"))


def metric_rows(rows: pd.DataFrame, folds: pd.DataFrame) -> M.Rows:
    """One model's rows (sorted by fold and ds) as what registered metrics read."""
    info = folds.set_index("fold")
    levels = [lv for lv in quantile_levels(rows) if rows[f"q{lv:g}"].notna().all()]
    has_sigma = "sigma" in rows and bool(rows["sigma"].notna().all())
    return M.Rows(
        y=rows["y"].to_numpy(dtype=np.float64), yhat=rows["yhat"].to_numpy(dtype=np.float64),
        fold=rows["fold"].to_numpy(), step=rows.groupby("fold").cumcount().to_numpy() + 1,
        scale=rows["fold"].map(info["scale"]).to_numpy(dtype=np.float64),
        last=rows["fold"].map(info["last"]).to_numpy(dtype=np.float64),
        quantiles={lv: rows[f"q{lv:g}"].to_numpy(dtype=np.float64) for lv in levels},
        sigma=rows["sigma"].to_numpy(dtype=np.float64) if has_sigma else None,
    )


def ranking_key(scores: pd.DataFrame, categorical: bool) -> str:
    """The registry's ranking metric: the first that every model has a finite value of."""
    keys = M.RANKING["class" if categorical else "numeric"]
    return next((k for k in keys if k in scores and scores[k].notna().all()), keys[-1])


def ranking_score(bt: Backtest, model: str) -> tuple[str, float]:
    """(name, loss) of ``model`` on the ranking metric, lower is better (retrain's rule)."""
    rows = bt.table[bt.table["model"] == model].sort_values(["fold", "ds"])
    target = "class" if bt.categorical else "numeric"
    values = M.evaluate(metric_rows(rows, bt.folds), target)
    key = next((k for k in M.RANKING[target] if math.isfinite(values[k])), M.RANKING[target][-1])
    metric = M.METRICS[key]
    return metric.loss_name or key, metric.loss(values[key])


def _errors(rows: pd.DataFrame, categorical: bool) -> np.ndarray:
    y, yhat = rows["y"].to_numpy(), rows["yhat"].to_numpy()
    return (y != yhat).astype(np.float64) if categorical else y - yhat


def _verdict(better: bool, p: float, alpha: float) -> str:
    if better and p < alpha:
        return "yes"
    return "no (n.s.)" if better else "no"


def leaderboard(bt: Backtest, *, alpha: float = ALPHA) -> Leaderboard:
    """Score every model of ``bt``; rank; compare each zoo model with the reference."""
    table, cat = bt.table, bt.categorical
    target = "class" if cat else "numeric"
    groups = {name: g.sort_values(["fold", "ds"]) for name, g in table.groupby("model", sort=False)}
    rows = {name: metric_rows(g, bt.folds) for name, g in groups.items()}
    scores = pd.DataFrame([{"model": name, "kind": model_kind(bt, name), **M.evaluate(r, target)}
                           for name, r in rows.items()])
    key = ranking_key(scores, cat)
    loss = M.METRICS[key].loss(scores[key])  # lower is better
    base = scores["kind"] == "baseline"
    best_baseline = str(scores.loc[loss[base].idxmin(), "model"])
    scores["skill"] = 1 - loss / float(loss[scores["model"] == best_baseline].iloc[0])
    scores["chosen"] = [chosen_text(bt, n) for n in scores["model"]]
    reference = "persistence" if cat else "naive"
    ref_loss = float(loss[scores["model"] == reference].iloc[0])
    ref_err = _errors(groups[reference], cat)
    tests = [diebold_mariano(_errors(groups[n], cat), ref_err, horizon=bt.horizon, power=1)
             for n in scores["model"]]
    scores["dm_stat"] = [t[0] for t in tests]
    scores["dm_p"] = [t[1] for t in tests]
    verdicts = ["-" if n == reference else _verdict(lv < ref_loss, p, alpha)
                for n, lv, (_, p) in zip(scores["model"], loss, tests)]
    scores["verdict"] = verdicts  # the table's words: yes / no (n.s.) / no
    scores["beats_naive"] = [None if v == "-" else v == "yes" for v in verdicts]  # JSON: a boolean
    warnings = [] if cat else _lag_mimic(scores, groups, bt)
    warnings += _scale_warnings(bt) + _kept_initial(bt) + list(bt.notes)
    order = loss.sort_values(kind="stable").index
    steps = {name: M.by_step(r, target) for name, r in rows.items()}
    return Leaderboard(scores.loc[order].reset_index(drop=True), key, reference, best_baseline,
                       tuple(warnings), steps)


def model_kind(bt: Backtest, name: str) -> str:
    """model (a network of the zoo), peer (a statistical model) or baseline."""
    if name in bt.models:
        return "model"
    return "peer" if name in bt.peers else "baseline"


def chosen_text(bt: Backtest, name: str) -> str | None:
    """What a zoo model's row scored: each fit forecasts with what won on its validation tail
    (the net, a baseline, a peer, ``median`` or ``comb``), e.g. "comb 3/5, median 2/5" (of 5
    fits); None for baselines and peers, which are what they say."""
    if name not in bt.models or "chosen" not in bt.fits or bt.fits.empty:
        return None
    picks = [str(c) for c in bt.fits[bt.fits["model"] == name].sort_values("fold")["chosen"]]
    counts = {pick: picks.count(pick) for pick in picks}
    return ", ".join(f"{pick} {n}/{len(picks)}" for pick, n in sorted(counts.items(), key=lambda kv: -kv[1]))


BOARD_COLUMNS = {"skill": "skill", "verdict": "beats naive", "dm_p": "DM p"}
"""Columns the leaderboard adds beside the registered metrics (after the ranking metric)."""


def columns(board: Leaderboard) -> dict[str, str]:
    """The terminal table's columns in order (name -> header): model, what it chose, the ranking metrics,
    skill and the naive test, the other shown metrics of the registry, lag-mimic."""
    target = M.METRICS[board.key].target
    shown = {n: m.header for n, m in M.METRICS.items() if m.shown and m.target == target}
    first = {n: shown.pop(n) for n in (list(shown) if target == "class" else [board.key]) if n in shown}
    board_cols = {**BOARD_COLUMNS, "verdict": f"beats {board.reference}"}
    return {"model": "model", "chosen": "chosen", **first, **board_cols, **shown, "lag_mimic": "lag"}


def _lag_mimic(scores: pd.DataFrame, groups: dict[str, pd.DataFrame], bt: Backtest) -> list[str]:
    """Add a lag_mimic column (zoo models); warn where forecasts echo the last value and the
    model does not beat naive (the chart looks good, the forecast adds nothing)."""
    last = bt.folds.set_index("fold")["last"]
    values, warnings = [], []
    for name, verdict in zip(scores["model"], scores["verdict"]):
        if name not in bt.models:
            values.append(float("nan"))
            continue
        g = groups[name]
        score = lag_mimic_score(g["y"].to_numpy(), g["yhat"].to_numpy(), g["fold"].map(last).to_numpy())
        values.append(score)
        if score > LAG_MIMIC_WARN and verdict != "yes" and name not in _all_kept_initial(bt):
            warnings.append(
                f"{name}: forecasts sit closer to the last observed value than to the outcome "
                f"(lag-mimic score {score:.2f} > {LAG_MIMIC_WARN:g}) and do not beat naive: "
                "it mostly echoes its input, which only looks good on a chart"
            )
    scores["lag_mimic"] = values
    return warnings


def _scale_warnings(bt: Backtest) -> list[str]:
    bad = bt.folds.loc[bt.folds["scale"].isna(), "fold"].tolist()
    if bt.categorical or not bad:
        return []
    return [f"folds {', '.join(str(f + 1) for f in bad[:5])}: the training part is constant "
            "(naive error 0), so MASE is undefined there; ranking by MAE"]


def _all_kept_initial(bt: Backtest) -> set[str]:
    """Models none of whose fits moved from the starting weights: their forecast is the training
    mean by construction (the drift forecast for returns), so it echoes nothing it learned."""
    if "kept_initial" not in bt.fits or bt.fits.empty:
        return set()
    kept = bt.fits.groupby("model", sort=False)["kept_initial"].all()
    return set(kept[kept].index)


def _kept_initial(bt: Backtest) -> list[str]:
    """Models whose training never beat the weights it started from, on validation."""
    if "kept_initial" not in bt.fits:
        return []
    out = []
    for name, fits in bt.fits.groupby("model", sort=False):
        kept = int(fits["kept_initial"].sum())
        if kept == len(fits):
            out.append(f"{name}: all {kept} fits kept their starting weights (no epoch beat them on "
                       "the validation tail), so its forecasts are the training mean: the drift "
                       "forecast for returns, a flat line for levels; nothing was learned")
        elif kept:
            out.append(f"{name}: {kept} of {len(fits)} fits kept their starting weights (no epoch "
                       "beat them on the validation tail); a fresh net starts at the training "
                       "mean, which is the drift forecast for returns")
    return out
