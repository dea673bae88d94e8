"""Scores and verdicts from a backtest's long table.

Point scores pool every (fold, step) row of a model; MASE is each fold's MAE
over that fold's in-sample naive error (seasonal naive when the season > 1),
averaged over folds. Skill is ``1 - MASE / MASE of the best baseline``; a
model "beats naive" when its MASE is lower and the Diebold-Mariano test on
absolute errors (against the naive forecast, same rows) gives p < ``alpha``.
A lag-mimic warning names a zoo model whose forecasts sit closer to the last
observed value than to the outcome and that does not beat naive.
Categorical targets score accuracy and macro-F1, skill on the error rate, and
compare with persistence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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

    def summary(self) -> dict[str, Any]:
        """JSON-able: ranking metric, reference, best baseline, rows, warnings."""
        records = [
            {k: _plain(v) for k, v in row.items()} for row in self.scores.to_dict(orient="records")
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


def mase_by_fold(model_rows: pd.DataFrame, folds: pd.DataFrame) -> float:
    """Mean over folds of the fold's MAE over its in-sample naive scale."""
    scale = folds.set_index("fold")["scale"]
    per_fold = [M.mae(g["y"].to_numpy(), g["yhat"].to_numpy()) / scale[f]
                for f, g in model_rows.groupby("fold", sort=True)]
    return float(np.mean(per_fold)) if per_fold else float("nan")


def interval_scores(rows: pd.DataFrame) -> dict[str, float]:
    """Coverage of each central interval the quantiles give, and mean pinball loss."""
    levels = [lv for lv in quantile_levels(rows) if rows[f"q{lv:g}"].notna().all()]
    if not levels:
        return {}
    y = rows["y"].to_numpy()
    out: dict[str, float] = {}
    for lo in (lv for lv in levels if lv < 0.5 and round(1 - lv, 6) in levels):
        width = round(100 * (1 - 2 * lo))
        out[f"coverage_{width}"] = M.coverage(y, rows[f"q{lo:g}"].to_numpy(),
                                              rows[f"q{1 - lo:g}"].to_numpy())
    q = np.stack([rows[f"q{lv:g}"].to_numpy() for lv in levels], axis=-1)  # (N, Q)
    out["pinball"] = M.pinball(y, q, np.array(levels))
    return out


def model_scores(rows: pd.DataFrame, folds: pd.DataFrame, categorical: bool) -> dict[str, float]:
    """Every score of one model's rows."""
    y, yhat = rows["y"].to_numpy(), rows["yhat"].to_numpy()
    if categorical:
        return {"accuracy": M.accuracy(y, yhat), "macro_f1": M.macro_f1(y, yhat)}
    last = rows["fold"].map(folds.set_index("fold")["last"]).to_numpy()
    return {
        "mae": M.mae(y, yhat), "rmse": M.rmse(y, yhat), "mape": M.mape(y, yhat),
        "smape": M.smape(y, yhat), "mase": mase_by_fold(rows, folds),
        "directional_accuracy": M.directional_accuracy(y, yhat, last=last),
        **interval_scores(rows),
    }


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
    groups = {name: g.sort_values(["fold", "ds"]) for name, g in table.groupby("model", sort=False)}
    scores = pd.DataFrame([{"model": name, "kind": "model" if name in bt.models else "baseline",
                            **model_scores(g, bt.folds, cat)} for name, g in groups.items()])
    key = "accuracy" if cat else ("mase" if scores["mase"].notna().all() else "mae")
    loss = (1 - scores[key]) if cat else scores[key]  # lower is better
    base = scores["kind"] == "baseline"
    best_baseline = str(scores.loc[loss[base].idxmin(), "model"])
    scores["skill"] = 1 - loss / float(loss[scores["model"] == best_baseline].iloc[0])
    reference = "persistence" if cat else "naive"
    ref_loss = float(loss[scores["model"] == reference].iloc[0])
    ref_err = _errors(groups[reference], cat)
    tests = [diebold_mariano(_errors(groups[n], cat), ref_err, horizon=bt.horizon, power=1)
             for n in scores["model"]]
    scores["dm_stat"] = [t[0] for t in tests]
    scores["dm_p"] = [t[1] for t in tests]
    scores["beats_naive"] = [
        "-" if n == reference else _verdict(lv < ref_loss, p, alpha)
        for n, lv, (_, p) in zip(scores["model"], loss, tests)
    ]
    warnings = [] if cat else _lag_mimic(scores, groups, bt)
    warnings += _scale_warnings(bt) + _kept_initial(bt)
    order = loss.sort_values(kind="stable").index
    return Leaderboard(scores.loc[order].reset_index(drop=True), key, reference, best_baseline,
                       tuple(warnings))


def _lag_mimic(scores: pd.DataFrame, groups: dict[str, pd.DataFrame], bt: Backtest) -> list[str]:
    """Add a lag_mimic column (zoo models); warn where forecasts echo the last value and the
    model does not beat naive (the chart looks good, the forecast adds nothing)."""
    last = bt.folds.set_index("fold")["last"]
    values, warnings = [], []
    for name, verdict in zip(scores["model"], scores["beats_naive"]):
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
