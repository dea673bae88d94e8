"""Issue 7: MASE and time of `forecast evaluate` with default settings on the peers' protocols."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.protocols import PROTOCOLS, Protocol

PY = sys.executable
ROOT = Path(__file__).resolve().parent.parent

PEERS = """| neuralforecast 3.3 GRU / LSTM | 0.907 / 0.942 | 5.07 / 6.31 | 12 to 30 s | 87 to 145 s |
| statsforecast AutoARIMA / AutoETS | 0.946 / 1.109 | 1.332 / 1.336 | | |
| darts 0.48 RNNModel (LSTM) / BlockRNNModel (LSTM) | 1.097 / 1.423 | 2.57 / 7.35 | about 12 s | about 60 s |
| seasonal naive / naive (issue's figures) | 1.213 / 2.468 | 4.74 / 1.451 | | |
| a bare PyTorch LSTM on min-max scaled levels (issue's figures) | 1.546 | 6.76 | | |"""

# What a user may add beyond the defaults, documented in the README; empty = pure defaults.
RECIPES: dict[str, list[str]] = {
    "defaults (lstm)": [],
    "gru": ["--models", "gru"],
}


def evaluate(protocol: Protocol, csv: Path, extra: list[str], home: str) -> tuple[float, float, dict]:
    """Run the whole `forecast evaluate` process; MASE per the protocol from its fold table."""
    folds_csv = Path(home) / f"{protocol.name}-folds.csv"
    args = [
        PY, "-m", "forecast", "evaluate", str(csv), "--horizon", str(protocol.horizon),
        "--folds", str(len(protocol.cutoffs)), "--step", str(protocol.horizon),
        "--output", str(folds_csv), "--json", *extra,
    ]
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "FORECAST_HOME": home}, check=True)
    seconds = time.perf_counter() - started
    summary = json.loads(done.stdout)
    table = pd.read_csv(folds_csv, parse_dates=["cutoff", "ds"])
    y = protocol.frame()[protocol.target].to_numpy(dtype=np.float64)
    scores: dict[str, float] = {}
    for model, rows in table.groupby("model"):
        per_fold = []
        for cutoff, fold in zip(protocol.cutoffs, sorted(rows["cutoff"].unique()), strict=True):
            per_fold.append(protocol.mase(y, cutoff, rows[rows["cutoff"] == fold]["yhat"].to_numpy()))
        scores[str(model)] = float(np.mean(per_fold))
    return seconds, scores, summary


def bare(protocol: Protocol) -> dict[str, float]:
    out = subprocess.run([PY, "-m", "bench.bare_protocol", protocol.name], capture_output=True,
                         text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout)


def run(quick: bool = False) -> str:
    home = tempfile.mkdtemp(prefix="bench-accuracy-")
    rows, notes = [], []
    results: dict[str, dict[str, tuple[float, float]]] = {}
    baselines: dict[str, dict[str, float]] = {}
    for protocol in PROTOCOLS:
        csv = protocol.write_csv(Path(home))
        for label, extra in RECIPES.items():
            seconds, scores, summary = evaluate(protocol, csv, extra, home)
            kinds = {m["model"]: m["kind"] for m in summary["models"]}  # model, peer or baseline
            zoo = [m for m in scores if kinds[m] == "model"]
            results.setdefault(label, {})[protocol.name] = (scores[zoo[0]], seconds)
            baselines[protocol.name] = {k: v for k, v in scores.items() if kinds[k] == "baseline"}
            notes.extend(f"{protocol.name} ({label}): {w}" for w in summary.get("warnings", []))
        if quick:  # the bare loop's MSFT row alone ran 24 minutes on a busy machine
            continue
        bare_result = bare(protocol)
        results.setdefault("bare PyTorch LSTM, min-max levels (this run)", {})[protocol.name] = (
            bare_result["mase"], bare_result["seconds"])
    for label, by_protocol in results.items():
        (a_mase, a_s), (m_mase, m_s) = by_protocol["airline"], by_protocol["msft"]
        who = label if label.startswith("bare") else f"**ours: {label}**"
        rows.append(f"| {who} | {a_mase:.3f} | {m_mase:.3f} | {a_s:.1f} s | {m_s:.1f} s |")
    base_rows = [
        f"| ours, baseline {name} (same folds) | {baselines['airline'][name]:.3f} | "
        f"{baselines['msft'][name]:.3f} | | |"
        for name in ("seasonal_naive", "naive", "drift") if name in baselines["airline"]
    ]
    (a, a_s), (m, m_s) = results["defaults (lstm)"]["airline"], results["defaults (lstm)"]["msft"]
    verdict = (
        f"Targets: Airline MASE <= 0.85: **{a:.3f}** ({'met' if a <= 0.85 else 'missed'}); "
        f"MSFT MASE <= 1.33: **{m:.3f}** ({'met' if m <= 1.33 else 'missed'}); "
        f"whole process <= half the fastest peer (6 s Airline, 30 s MSFT): **{a_s:.1f} s** "
        f"({'met' if a_s <= 6 else 'missed'}), **{m_s:.1f} s** ({'met' if m_s <= 30 else 'missed'})."
    )
    return (
        "## Accuracy against the peers (issue 7)\n\n"
        "Protocols in `bench/protocols.py`. Our rows run the whole `forecast evaluate` process "
        "(start-up included) with `--horizon H --folds K --step H` and nothing else (the recipe "
        "rows add only what they name); MASE is recomputed from the `--output` fold table exactly "
        "as the protocol says. Peer figures are the issue's, measured earlier on these machines.\n\n"
        "| method | Airline MASE | MSFT MASE | Airline time | MSFT time |\n|---|---|---|---|---|\n"
        + "\n".join(rows + base_rows) + "\n" + PEERS + "\n\n" + verdict + "\n"
        + ("\nRun with `--quick`: the bare PyTorch LSTM was not rerun (the peers' rows above have its "
           "earlier figures).\n" if quick else "")
        + ("\n" + "\n".join(f"- {n}" for n in notes) + "\n" if notes else "")
    )
