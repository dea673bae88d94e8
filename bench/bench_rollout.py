"""Generation speed: stateful vs window rollout, 1000 x 250 paths in-process, the whole CLI process.

    python -m bench.bench_rollout [--quick]

The in-process timings run in a fresh child process so that torch starts with the same
OpenMP settings as ``forecast generate`` (torch's defaults unless OMP_WAIT_POLICY is set in
the environment), whatever this process imported before.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MSFT = ROOT / "sample_data" / "pmdarima_msft.csv"
CLI = "import sys, forecast.cli.generate_cmd; from forecast.cli import main; main(sys.argv[1:])"


def _best(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    return min(times)


def _forecaster(input_len: int, hidden: int, layers: int, head: str = "point"):  # type: ignore[no-untyped-def]
    """An untrained network of the given size with a fitted pipeline (speed does not need training)."""
    import torch

    from forecast.config import ModelConfig, RunConfig, WindowConfig
    from forecast.forecaster import Forecaster
    from forecast.models.registry import build_model
    from forecast.transforms import Scaler, TargetPipeline

    torch.manual_seed(0)
    config = ModelConfig(name="lstm", hidden=hidden, layers=layers, head=head, horizon=5)  # type: ignore[arg-type]
    run = RunConfig(window=WindowConfig(input_len, 5, "logret"), model=config)
    levels = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, 500)))[:, None]
    pipeline = TargetPipeline("logret", Scaler()).fit(levels)
    residuals = np.random.default_rng(1).normal(0, 0.5, 400)
    return Forecaster(run, pipeline, build_model(config).eval(), residuals)


def _in_process(quick: bool) -> list[tuple[str, str, tuple[float, float]]]:
    """Run by the child: (rollout, head, best seconds) rows."""
    import torch

    from forecast.rollout import rollout

    torch.set_num_threads(2)
    rows = []
    paths, steps = (200, 20) if quick else (1000, 50)
    fc = _forecaster(60, 64, 2)
    seed = np.zeros((60, 1))
    for mode in ("stateful", "window"):
        secs = _best(lambda mode=mode: rollout(fc, seed, steps=steps, paths=paths, mode=mode), 1 if quick else 2)
        rows.append((f"{mode}, window 60, {paths} paths x {steps} steps", "point", secs))
    paths, steps = (200, 50) if quick else (1000, 250)
    for head in ("point", "gaussian", "studentt"):
        fc = _forecaster(60, 64, 2, head)
        secs = _best(lambda fc=fc: rollout(fc, seed, steps=steps, paths=paths), 1 if quick else 3)
        rows.append((f"stateful, {paths} paths x {steps} steps", head, secs))
    torch.set_num_threads(1)
    secs = _best(lambda: rollout(fc, seed, steps=steps, paths=paths), 1 if quick else 3)
    rows.append((f"stateful, {paths} paths x {steps} steps, 1 thread", "studentt", secs))
    return rows


def _train_model(home: Path, rows: int) -> None:
    """A saved LSTM (hidden 64, 2 layers) on the MSFT tail, for the process timing."""
    from forecast import api
    from forecast.config import DataSpec, ModelConfig, RunConfig, TrainConfig

    lines = MSFT.read_text().splitlines()
    csv = home / "msft.csv"
    csv.write_text("\n".join([lines[0], *lines[-rows:]]) + "\n")
    run = RunConfig(
        data=DataSpec(path=str(csv)),
        model=ModelConfig(hidden=64, layers=2),
        train=TrainConfig(epochs=1, device="cpu"),
    )
    api.train(run, name="bench", model_dir=home)


def _process(quick: bool) -> tuple[list[tuple[str, float, float]], str]:
    """Median wall and CPU time of whole processes: bare torch import vs forecast generate."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        _train_model(home, 400)
        steps, paths = (50, 200) if quick else (250, 1000)
        base = [sys.executable, "-c", CLI, "generate", "--model", "bench", "--model-dir", str(home),
                "--steps", str(steps), "--paths", str(paths), "--random-seed", "7", "--json"]
        cases = {
            'python -c "import torch"': [sys.executable, "-c", "import torch"],
            f"forecast generate --steps {steps} --paths {paths} --json": base,
            "... --output paths.parquet --plot fan.png": [
                *base, "--output", str(home / "paths.parquet"), "--plot", str(home / "fan.png"),
            ],
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for _ in range(1 if quick else 3):  # interleaved, so load changes hit every case alike
            for name, cmd in cases.items():
                start, cpu = time.perf_counter(), _children_cpu()
                subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
                times[name].append((time.perf_counter() - start, _children_cpu() - cpu))
    rows = [(name, statistics.median(w for w, _ in t), statistics.median(c for _, c in t))
            for name, t in times.items()]
    return rows, f"{steps} steps x {paths} paths"


def _in_child(quick: bool) -> tuple[list[tuple[str, str, tuple[float, float]]], str]:
    env = dict(os.environ)
    code = f"import json; from bench.bench_rollout import _in_process; print(json.dumps(_in_process({quick})))"
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT, env=env)
    return [tuple(row) for row in json.loads(done.stdout)], env.get("OMP_WAIT_POLICY", "default")  # type: ignore[misc]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(quick: bool = False) -> str:
    """Measure and return the markdown section."""
    load = os.getloadavg()[0]
    inproc, policy = _in_child(quick)
    stateful, window = inproc[0][2][0], inproc[1][2][0]
    procs, settings = _process(quick)
    lines = [
        "## Generation (forecast generate)",
        "",
        "LSTM, hidden 64, 2 layers, untrained weights, CPU, `torch.set_num_threads(2)`, "
        f"`OMP_WAIT_POLICY={policy}`; in-process times are the best of a few runs of "
        "`forecast.rollout.rollout` (start-up excluded).",
        "",
        f"Load average when the run started: {load:.1f} on {os.cpu_count()} cores (other work "
        "on a shared machine inflates wall times; CPU seconds are less sensitive).",
        "",
        "| rollout | head | wall s | CPU s |",
        "|---|---|---:|---:|",
        *[f"| {name} | {head} | {wall:.3f} | {cpu:.3f} |" for name, head, (wall, cpu) in inproc],
        "",
        f"Stateful is **{window / stateful:.1f}x** faster than window re-feed at window 60 (target >= 10x).",
        "",
        f"Whole processes ({settings}, a model trained on 400 MSFT rows; median of runs):",
        "",
        "| process | wall s | CPU s |",
        "|---|---:|---:|",
        *[f"| {name} | {wall:.2f} | {cpu:.2f} |" for name, wall, cpu in procs],
        "",
        f"`forecast generate` costs **{procs[1][1] - procs[0][1]:+.2f} s** wall "
        f"({procs[1][2] - procs[0][2]:+.2f} s CPU) over a bare torch import (target within 3 s); "
        f"with Parquet output and a fan chart {procs[2][1] - procs[0][1]:+.2f} s wall "
        f"({procs[2][2] - procs[0][2]:+.2f} s CPU).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
