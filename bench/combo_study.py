"""Offline study: every fixed pool of the statistical members and the net on the tuning set's
folds (issue 12; not a bench topic). What can a fixed median or mean of these forecasters reach
against the best statsforecast model in hindsight, the bar of the issue's "ahead" goal?

Members: the reference's own statsforecast forecasts per fold (reference.json: AutoETS,
AutoTheta, MSTL, exact AutoARIMA; fit on each fold's whole training part) and any forecasts
saved in net_lab's ``--save`` format (``bench.net_lab --save``, ``bench.extra_members``), named
NAME=FILE. Every median and mean of every subset is scored as MASE with the reference's per-fold
scales, as the geometric mean over series of MASE / the best of the reference's five
statsforecast models, with how many series it is ahead (<= 1) and at the floor (<= the best of
naive, seasonal naive and drift).

    python -m bench.combo_study L=nets_logret.json S=nets_slogret.json ces=DIR/ces.json --top 20

Measured (2026-12-07, 18 series: elecdemand left out, as net_lab leaves out series over 2,000
rows; docs/benchmarks.md "Tuning set"): of ~1,000 pools of 9 members (the four reference peers,
AutoCES, DynamicOptimizedTheta, approximate AutoARIMA, the net on logret and on slogret) the
best scored 1.056 and none was ahead on more than 6 of 18 series; the fit's ``median`` 1.060.
Even the oracle, the best of those pools picked per series after the test, scores 0.961 (ahead on
16): no rule that selects or pools these members can reach the goal's 0.95.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np

from bench.peer_pool_study import TUNING, geo, series

REFERENCE = ("sf_autoets", "sf_autotheta", "sf_mstl", "sf_autoarima")
BEST_OF = (*REFERENCE, "sf_theta")  # the reference's "best statistical model"


def per_series(saved: dict[str, dict]) -> dict[str, dict[str, float]]:
    """series -> {pool name: MASE / best statsforecast model}, plus '_floor' (best baseline's)."""
    reference = json.loads((TUNING / "reference.json").read_text())
    results: dict[str, dict[str, float]] = {}
    for key, item in reference.items():
        if not all(key in forecasts for forecasts in saved.values()):
            continue
        s, methods = item["settings"], item["methods"]
        y, horizon, m, ends = series(s), s["horizon"], s["m"], s["fold_train_ends"]
        truth = [y[e : e + horizon] for e in ends]

        def mase(forecasts: list[np.ndarray], truth=truth, scales=s["mase_scale_per_fold"]) -> float:
            return float(np.mean([np.mean(np.abs(t - f)) / c for t, f, c in zip(truth, forecasts, scales)]))

        own = {k[3:]: [np.asarray(f["forecast"]) for f in methods[k]["per_fold"]] for k in REFERENCE
               if methods.get(k, {}).get("per_fold") and all(f.get("forecast") for f in methods[k]["per_fold"])}
        for name, forecasts in saved.items():
            first = forecasts[key]["folds"][0]["seed"]
            folds = sorted((f for f in forecasts[key]["folds"] if f["seed"] == first), key=lambda f: f["fold"])
            own[name] = [np.asarray(f["forecast"]) for f in folds]
        baselines = {"naive": [np.repeat(y[e - 1], horizon) for e in ends],
                     "seasonal_naive": [np.asarray([y[e - m + h % m] for h in range(horizon)]) for e in ends],
                     "drift": [y[e - 1] + (y[e - 1] - y[0]) / (e - 1) * np.arange(1, horizon + 1) for e in ends]}
        best = min(methods[k]["MASE"] for k in BEST_OF if methods.get(k, {}).get("MASE") is not None)
        pool = [*(k[3:] for k in REFERENCE), *saved]
        scores = {name: mase(own[name]) / best for name in pool if name in own}
        for r in range(2, len(pool) + 1):
            for combo in itertools.combinations(pool, r):
                have = [c for c in combo if c in own]  # prices have no MSTL: the pool without it
                for how, f in (("median", np.median), ("mean", np.mean)):
                    pooled = [f([own[c][i] for c in have], axis=0) for i in range(len(truth))]
                    scores[f"{how}[{'+'.join(combo)}]"] = mase(pooled) / best
        scores["_floor"] = min(mase(b) for b in baselines.values()) / best
        results[key] = scores
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("members", nargs="*", help="NAME=FILE forecasts in net_lab's --save format")
    parser.add_argument("--top", type=int, default=20)
    opts = parser.parse_args()
    saved = {}
    for arg in opts.members:
        name, _, path = arg.rpartition("=")
        saved[name or Path(path).stem] = json.loads(Path(path).read_text())
    results = per_series(saved)
    names = sorted(n for n in set.intersection(*(set(r) for r in results.values())) if n != "_floor")
    rows = []
    for name in names:
        values = [r[name] for r in results.values()]
        rows.append((geo(values), name, sum(v <= 1 + 1e-9 for v in values),
                     sum(r[name] <= r["_floor"] + 1e-9 for r in results.values())))
    rows.sort()
    print(f"{len(results)} series; geometric mean of MASE / best statsforecast model, "
          "series ahead, series at the floor")
    for g, name, ahead, floor in rows[: opts.top]:
        print(f"  {g:.3f}  ahead {ahead:2d}  floor {floor:2d}  {name}")
    singles = [r for r in rows if "[" not in r[1]]
    print("single members: " + ", ".join(f"{name} {g:.3f} ({ahead})" for g, name, ahead, _ in singles))
    for label, keep in (("every pool", names), ("single members", [n for n in names if "[" not in n])):
        best = [min(r[n] for n in keep) for r in results.values()]  # the per-series pick in hindsight
        print(f"oracle over {label} (the best per series after the test): {geo(best):.3f}, "
              f"ahead on {sum(b <= 1 + 1e-9 for b in best)}")
    print(f"most series ahead of any pool: {max(r[2] for r in rows)}; "
          f"the fit's median (median[autoets+autotheta+mstl+autoarima]): "
          f"{next(g for g, n, *_ in rows if n == 'median[autoets+autotheta+mstl+autoarima]'):.3f}")


if __name__ == "__main__":
    main()
