"""Issue 2's figures: training throughput vs a bare loop, --help time, predict time, memory."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MSFT = ROOT / "sample_data" / "pmdarima_msft.csv"
PY = sys.executable


def _run(args: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    return time.perf_counter() - started, done.stdout


def _median_wall(args: list[str], repeats: int, env: dict[str, str] | None = None) -> float:
    return statistics.median(_run(args, env)[0] for _ in range(repeats))


def _interleaved_medians(
    commands: dict[str, list[str]], repeats: int, env: dict[str, str], before: dict | None = None
) -> dict[str, float]:
    """Median wall time of each command, run in turns so machine noise hits them alike.

    ``before[name]`` (a callable) runs before each timing of that command, untimed.
    """
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, args in commands.items():
            if before and name in before:
                before[name]()
            times[name].append(_run(args, env)[0])
    return {name: statistics.median(values) for name, values in times.items()}


def _peak_rss_mb(args: list[str], env: dict[str, str]) -> float:
    """Peak resident memory of one child process (getrusage of waited children)."""
    code = (
        "import resource,subprocess,sys;"
        f"subprocess.run({args!r},check=True,capture_output=True);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, env=env, check=True)
    return int(out.stdout.strip()) / 1024


def run(quick: bool = False) -> str:
    epochs = 2 if quick else 5
    home = tempfile.mkdtemp(prefix="bench-home-")
    env = {**os.environ, "FORECAST_HOME": home}
    train = [
        PY, "-m", "forecast", "train", str(MSFT), "--model", "lstm", "--hidden", "64",
        "--layers", "2", "--input-len", "60", "--horizon", "5", "--batch-size", "32",
        "--epochs", str(epochs), "--patience", "0", "--device", "cpu", "--json",
    ]
    ours_wall, out = _run(train, env)
    ours = json.loads(out)
    n_train_windows = None
    bare_wall, bare_out = _run([PY, str(ROOT / "bench" / "bare_lstm.py"), str(MSFT), str(epochs)])
    bare = json.loads(bare_out)
    info = subprocess.run(
        [PY, "-m", "forecast", "models", "show", ours["model"], "--json"],
        capture_output=True, text=True, env=env, check=True,
    )
    n_train_windows = json.loads(info.stdout)["training"]["n_train"]
    ours_tp = n_train_windows * epochs / ours["seconds"]
    bare_tp = bare["windows"] / bare["seconds"]
    help_s = _median_wall([PY, "-m", "forecast", "--help"], 5)
    heavy = subprocess.run(
        [PY, "-c", "import sys; from forecast.cli import app\n"
         "try:\n app(['--help'])\nexcept SystemExit: pass\n"
         "print(sorted(m for m in ('torch','yfinance','matplotlib','pandas') if m in sys.modules))"],
        capture_output=True, text=True, cwd=ROOT,
    ).stdout.strip().splitlines()[-1]
    predict = [PY, "-m", "forecast", "predict", "--json"]
    snapshots = Path(home) / "snapshots"
    walls = _interleaved_medians(
        {"torch": [PY, "-c", "import torch"], "predict": predict, "changed": predict},
        9, env, before={"changed": lambda: shutil.rmtree(snapshots, ignore_errors=True)},
    )
    torch_s, predict_s, changed_s = walls["torch"], walls["predict"], walls["changed"]
    uses_pandas = subprocess.run(
        [PY, "-c", "import sys; from forecast.cli import main\n"
         "try:\n main(['predict', '--json'])\nexcept SystemExit: pass\n"
         "print('pandas' in sys.modules, file=sys.stderr)"],
        capture_output=True, text=True, cwd=ROOT, env=env,
    ).stderr.strip().splitlines()[-1]
    peak = _peak_rss_mb(train, env)
    rows = [
        ("training throughput, forecast train (windows/s)", f"{ours_tp:,.0f}"),
        ("training throughput, bare nn.LSTM loop (windows/s)", f"{bare_tp:,.0f}"),
        ("time per window, ours / bare (target <= 1.15)", f"{bare_tp / ours_tp:.2f}"),
        ("`forecast --help` wall, median of 5 (target <= 0.3 s)", f"{help_s:.3f} s"),
        ("heavy modules loaded by --help (target: none)", heavy),
        ("bare `python -c 'import torch'`, median of 9", f"{torch_s:.2f} s"),
        ("`forecast predict --json` process, CSV unchanged since last read, median of 9",
         f"{predict_s:.2f} s"),
        ("predict minus import torch (target <= 0.5 s)", f"{predict_s - torch_s:+.2f} s"),
        ("predict imports pandas (CSV unchanged)", uses_pandas),
        ("`forecast predict --json` process, CSV changed (parsed again with pandas), median of 9",
         f"{changed_s:.2f} s"),
        ("changed-CSV predict minus import torch", f"{changed_s - torch_s:+.2f} s"),
        ("peak RSS of the training run (target <= 600 MB)", f"{peak:.0f} MB"),
    ]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return (
        "## Train and predict (issue 2)\n\n"
        f"`forecast train sample_data/pmdarima_msft.csv --model lstm --hidden 64 --layers 2 "
        f"--input-len 60 --horizon 5 --batch-size 32 --epochs {epochs} --patience 0` against "
        f"`bench/bare_lstm.py` (same data, log returns, same sizes, {epochs} epochs). Ours also "
        "evaluates the validation tail each epoch and copies the best weights; both are counted. "
        "Start-up times are interleaved runs (torch, predict, predict on a changed CSV, in turn); "
        "a changed CSV is simulated by deleting the parsed-CSV snapshots before each run.\n\n"
        "| measure | value |\n|---|---|\n" + table + "\n"
    )
