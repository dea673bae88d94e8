"""Issue 12, checked off the tuning set: default `forecast evaluate` on the shared non-tuning files.

The selection rules (the median anchor, the margin, the wider origins) were chosen on
../shared/data/tuning; this runs the same default evaluate on the other files of
../shared/data (bench_intervals.SHARED_CASES: their arguments) and reads, from the one
leaderboard each run prints, our row beside the simple baselines and the statistical peers
scored on the same folds. MASE is the tool's (each fold's in-sample scale), equal for every
row of one run, so the ratios compare like with like.

    python -m bench.run --only heldout
    BENCH_HELDOUT_ONLY=co2,airline python -m bench.run --only heldout
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

from bench.bench_intervals import SHARED, SHARED_CASES

PY = sys.executable
ROOT = Path(__file__).resolve().parent.parent
SIMPLE = ("naive", "seasonal_naive", "drift")
STATS = ("autoets", "autotheta", "mstl")
OURS = "lstm"


def evaluate(file: Path, args: list[str], home: Path) -> dict:
    cmd = [PY, "-m", "forecast", "evaluate", str(file), *args, "--jobs", "1", "--json", "--quiet"]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "FORECAST_HOME": str(home)})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["?"])[-1][:140], "seconds": seconds}
    summary = json.loads(done.stdout)
    scores = {m["model"]: m.get("mase") for m in summary["models"]}
    return {"scores": {k: float(v) for k, v in scores.items() if v is not None and math.isfinite(v)},
            "seconds": seconds, "chosen": summary.get("chosen", {}).get(OURS, [])}


def run(quick: bool = False) -> str:
    if not SHARED.exists():
        return "## Held-out shared files (issue 12)\n\nskipped: ../shared/data is absent\n"
    only = [k for k in os.environ.get("BENCH_HELDOUT_ONLY", "").split(",") if k]
    cases = [c for c in SHARED_CASES if not only or c[0] in only]
    if quick:
        cases = cases[:2]
    load_before = os.getloadavg()[0]
    home = Path(tempfile.mkdtemp(prefix="bench-heldout-"))
    rows, floor, ahead, ratios, total, n = [], 0, 0, [], 0.0, 0
    for key, name, args in cases:
        print(f"   {key} ...", file=sys.stderr, flush=True)
        result = evaluate(SHARED / name, args.split(), home)
        total += result["seconds"]
        if "error" in result:
            rows.append(f"| {key} | {result['error']} | | | | | {result['seconds']:.0f} s | |")
            continue
        scores = result["scores"]
        ours = scores[OURS]
        base_name = min((m for m in SIMPLE if m in scores), key=scores.__getitem__)
        stat_name = min((m for m in STATS if m in scores), key=scores.__getitem__)
        base, stat = scores[base_name], scores[stat_name]
        n += 1
        floor += ours <= base + 1e-9
        ahead += ours <= stat + 1e-9
        ratios.append(ours / stat)
        peers = ", ".join(f"{m} {scores[m]:.3f}" for m in STATS if m in scores)
        picks = sorted({c: result["chosen"].count(c) for c in result["chosen"]}.items(), key=lambda kv: -kv[1])
        rows.append(f"| {key} | **{ours:.3f}** | {base:.3f} ({base_name}) | {peers} | {ours / base:.2f} | "
                    f"{ours / stat:.2f} | {result['seconds']:.0f} s | "
                    f"{', '.join(f'{c} x{k}' for c, k in picks)} |")
    geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios)) if ratios else float("nan")
    return (
        "## Held-out shared files: default `forecast evaluate` (issue 12)\n\n"
        "Files the selection rules were not tuned on (../shared/data outside tuning/, the arguments "
        "of bench_intervals.SHARED_CASES). MASE from the tool's leaderboard of the same run (same "
        "folds for every row). `chosen`: what the folds' fits chose.\n\n"
        "| series | ours MASE | best simple | statistical peers | ours / simple | ours / best peer | "
        "time | chosen (folds) |\n|---|---|---|---|---|---|---|---|\n"
        + "\n".join(rows) + "\n\n"
        f"Floor (ours <= best of naive/snaive/drift): **{floor} of {n}**. At or under the best of "
        f"AutoETS/AutoTheta/MSTL: **{ahead} of {n}**. Geometric mean ours / best peer: **{geo:.3f}**. "
        f"Total evaluate time {total:.0f} s. Load average (1 min) {load_before:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} CPUs (other work shares them).\n"
    )
