"""Offline study behind the statistical members' pool (not a bench topic; ~3 min on 2 cores).

1. Every fixed combination (median or mean of 2 to 5) of the reference's own statsforecast
   forecasts (../shared/data/tuning/reference.json, fit on each fold's whole training part),
   scored as MASE with the reference's per-fold scales, as a geometric mean over series of
   MASE / the best single statsforecast model in hindsight.
2. AutoARIMA searches (exact, approximation=True) on the same folds, for series with a season up
   to selection.ARIMA_MAX_SEASON: fit time, and the median of AutoETS, AutoTheta, MSTL and it.

    python -m bench.peer_pool_study
"""

from __future__ import annotations

import itertools
import json
import math
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
TUNING = ROOT.parent / "shared" / "data" / "tuning"
MODELS = ("sf_autoets", "sf_autoarima", "sf_mstl", "sf_theta", "sf_autotheta")


def series(settings: dict) -> np.ndarray:
    raw = pd.read_csv((ROOT / settings["file"]).resolve())
    for column, value in (settings["filter"] or {}).items():
        raw = raw[raw[column] == value]
    return pd.to_numeric(raw[settings["value_column"]], errors="coerce").interpolate().to_numpy()


def geo(values: list[float]) -> float:
    return math.exp(float(np.mean(np.log(values))))


def main() -> None:
    import statsforecast.models as sf

    from forecast.selection import ARIMA_MAX_SEASON

    reference = json.loads((TUNING / "reference.json").read_text())
    combos: dict[str, list[float]] = {}
    arima: dict[str, list[float]] = {"without": [], "exact": [], "approximation": []}
    seconds = {"exact": 0.0, "approximation": 0.0}
    for item in reference.values():
        s, methods = item["settings"], item["methods"]
        y, horizon = series(s), s["horizon"]
        truth = [y[end : end + horizon] for end in s["fold_train_ends"]]

        def mase(forecasts, truth=truth, scales=s["mase_scale_per_fold"]) -> float:
            return float(np.mean([np.mean(np.abs(t - f)) / c for t, f, c in zip(truth, forecasts, scales)]))

        own = {m: [np.asarray(f["forecast"]) for f in methods[m]["per_fold"]] for m in MODELS
               if methods[m].get("per_fold") and all(f.get("forecast") for f in methods[m]["per_fold"])}
        best = min(methods[m]["MASE"] for m in MODELS if methods[m].get("MASE") is not None)
        for r in range(1, len(own) + 1):
            for combo in itertools.combinations(own, r):
                for how, f in (("median", np.median), ("mean", np.mean)):
                    name = f"{how}:{'+'.join(c[3:] for c in combo)}" if r > 1 else combo[0][3:]
                    score = mase([f([own[c][i] for c in combo], axis=0) for i in range(len(truth))])
                    combos.setdefault(name, []).append(score / best)
        if s["m"] > ARIMA_MAX_SEASON:
            continue
        members = [own[m] for m in ("sf_autoets", "sf_autotheta", "sf_mstl") if m in own]
        arima["without"].append(mase([np.median([m[i] for m in members], axis=0) for i in range(len(truth))]) / best)
        for search, options in (("exact", {}), ("approximation", {"approximation": True})):
            started, forecasts = time.perf_counter(), []
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for end in s["fold_train_ends"]:
                    model = sf.AutoARIMA(season_length=s["m"], **options)
                    forecasts.append(np.asarray(model.forecast(y=y[:end][-1024:], h=horizon)["mean"]))
            seconds[search] += time.perf_counter() - started
            arima[search].append(mase([np.median([*(m[i] for m in members), forecasts[i]], axis=0)
                                       for i in range(len(truth))]) / best)
    print("fixed combinations of the reference's forecasts (geometric mean of MASE / best, series, at or under best):")
    for name, values in sorted(combos.items(), key=lambda kv: geo(kv[1]))[:15]:
        print(f"  {geo(values):.3f}  {len(values):2d}  {sum(v <= 1 + 1e-9 for v in values):2d}  {name}")
    print(f"median of AutoETS, AutoTheta, MSTL on {len(arima['without'])} series: {geo(arima['without']):.3f}")
    for search in ("exact", "approximation"):
        print(f"  with AutoARIMA ({search}): {geo(arima[search]):.3f}, its fits {seconds[search]:.1f} s")


if __name__ == "__main__":
    main()
