"""Issue 12: default `forecast evaluate` on every tuning series against the reference scores.

Runs `forecast evaluate FILE <tool_args from reference.json> --output folds.csv --json` on
every series of ../shared/data/tuning (exactly the arguments in REFERENCE.md, plus --jobs 1),
recomputes MASE with reference.json's per-fold scales (mean over folds), and compares it with
the best simple baseline (naive, seasonal naive, drift) and the best statsforecast model there.

    python -m bench.run --only tuning
    BENCH_TUNING_ONLY=a10,ausbeer python -m bench.run --only tuning    # a subset while iterating
    BENCH_TUNING_EXTRA="--seeds 3" python -m bench.run --only tuning   # extra evaluate arguments
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

PY = sys.executable
ROOT = Path(__file__).resolve().parent.parent
TUNING = ROOT.parent / "shared" / "data" / "tuning"
SIMPLE = ("naive", "seasonal_naive", "drift")
OURS = "lstm"


def reference() -> dict:
    return json.loads((TUNING / "reference.json").read_text())


def best(methods: dict, names) -> tuple[str, float]:
    scores = {n: methods[n]["MASE"] for n in names
              if n in methods and methods[n].get("MASE") is not None and math.isfinite(methods[n]["MASE"])}
    name = min(scores, key=scores.get)
    return name, float(scores[name])


def mase(table: pd.DataFrame, model: str, scales: list[float]) -> float:
    """Mean over folds (in cutoff order) of MAE / the fold's reference scale."""
    rows = table[table["model"] == model]
    cutoffs = sorted(rows["cutoff"].unique())
    if len(cutoffs) != len(scales):
        raise ValueError(f"{len(cutoffs)} folds in the table, {len(scales)} reference scales")
    per = [float(np.mean(np.abs(f["y"] - f["yhat"]))) / s
           for c, s in zip(cutoffs, scales) for f in [rows[rows["cutoff"] == c]]]
    return float(np.mean(per))


def evaluate(key: str, settings: dict, home: Path) -> dict:
    """One whole `forecast evaluate` process on one series."""
    file = (ROOT / settings["file"]).resolve()
    folds_csv = home / f"{key}-folds.csv"
    args = [PY, "-m", "forecast", "evaluate", str(file), *settings["tool_args"].split(),
            "--output", str(folds_csv), "--json", "--jobs", "1", "--quiet",
            *os.environ.get("BENCH_TUNING_EXTRA", "").split()]
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "FORECAST_HOME": str(home)})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        line = (done.stderr.strip().splitlines() or ["?"])[-1]
        kind = "unreadable (reader)" if done.returncode in (3, 4) else f"failed (exit {done.returncode})"
        return {"error": f"{kind}: {line[:140]}", "seconds": seconds}
    summary = json.loads(done.stdout)
    table = pd.read_csv(folds_csv, parse_dates=["cutoff", "ds"])
    return {"mase": mase(table, OURS, settings["mase_scale_per_fold"]), "seconds": seconds,
            "chosen": summary.get("chosen", {}).get(OURS)}


def run(quick: bool = False) -> str:
    if not (TUNING / "reference.json").exists():
        return "## Tuning set (issue 12)\n\nskipped: ../shared/data/tuning is absent\n"
    ref = reference()
    only = [k for k in os.environ.get("BENCH_TUNING_ONLY", "").split(",") if k]
    keys = [k for k in ref if not only or k in only]
    if quick:
        keys = keys[:3]
    load_before = os.getloadavg()[0]
    home = Path(tempfile.mkdtemp(prefix="bench-tuning-"))
    rows, ratios, floor, ahead, readable, unreadable, total = [], [], 0, 0, 0, [], 0.0
    for key in keys:
        settings, methods = ref[key]["settings"], ref[key]["methods"]
        base_name, base = best(methods, SIMPLE)
        stat_name, stat = best(methods, [m for m in methods if m.startswith("sf_")])
        print(f"   {key} ...", file=sys.stderr, flush=True)
        result = evaluate(key, settings, home)
        total += result["seconds"]
        if "error" in result:
            unreadable.append(key)
            rows.append(f"| {key} | {result['error']} | {base:.3f} ({base_name}) | "
                        f"{stat:.3f} ({stat_name.removeprefix('sf_')}) | | | {result['seconds']:.1f} s | |")
            continue
        ours = result["mase"]
        readable += 1
        floor += ours <= base + 1e-9
        ahead += ours <= stat + 1e-9
        ratios.append(ours / stat)
        chosen = result.get("chosen")
        chosen_text = ", ".join(chosen) if isinstance(chosen, list) else ""
        rows.append(f"| {key} | **{ours:.3f}** | {base:.3f} ({base_name}) | {stat:.3f} "
                    f"({stat_name.removeprefix('sf_')}) | {ours / base:.2f} | {ours / stat:.2f} | "
                    f"{result['seconds']:.1f} s | {chosen_text} |")
    geo = float(np.exp(np.mean(np.log(ratios)))) if ratios else float("nan")
    need = math.ceil(2 * readable / 3)
    verdict = (
        f"Readable series: {readable} of {len(keys)}"
        + (f" (unreadable: {', '.join(unreadable)})" if unreadable else "") + ". "
        f"Floor (MASE <= best of naive/snaive/drift): **{floor} of {readable}**. "
        f"Ahead (MASE <= best statsforecast model): **{ahead} of {readable}** (goal >= {need}). "
        f"Geometric mean ours / best statistical: **{geo:.3f}** (goal <= 0.95). "
        f"Total evaluate time {total:.0f} s. Load average (1 min) {load_before:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} CPUs (other work shares them)."
    )
    return (
        "## Tuning set: default `forecast evaluate` against the reference (issue 12)\n\n"
        "Each row is one whole `forecast evaluate FILE ARGS --jobs 1` process with exactly the "
        "arguments of `../shared/data/tuning/REFERENCE.md`; MASE is recomputed from the `--output` "
        "fold table with reference.json's per-fold scales. Reference columns: the best simple "
        "baseline and the best statsforecast model from reference.json (same folds). `chosen` is "
        "what each fold's fit chose on its validation windows.\n\n"
        "| series | ours MASE | best simple | best statistical | ours / simple | ours / stat | "
        "time | chosen per fold |\n|---|---|---|---|---|---|---|---|\n"
        + "\n".join(rows) + "\n\n" + verdict + "\n"
    )
