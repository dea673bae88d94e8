"""Issue 15 section 4: CUDA against CPU, mixed precision, and a GPU-trained bundle on a CPU-only process.

Three parts, all in one run on one machine:

1. Training throughput (windows per second) of the training loop itself
   (forecast.train.train_network) on the same real windows: the bundled half-hourly demand
   (Taylor), standardised, for lstm, gru and the hand-written peephole and indrnn cells; the default size (hidden 64,
   2 layers, window 60, batch 32) and a large one (hidden 256, 2 layers, window 168, batch 512).
   CPU (every core of the machine) against CUDA in fp32, bf16 and fp16, each with its
   validation loss after the same optimizer steps (mixed precision must not cost accuracy).
2. ``forecast train`` as a whole process on the bundled MSFT file, ``--device cpu`` against
   ``--device cuda``: what a user waits for.
3. The CUDA-trained bundle predicted by a process that sees no GPU (``CUDA_VISIBLE_DEVICES=``),
   against the same bundle predicted on CUDA.

    python -m bench.run --only gpu [--quick]

Without a CUDA GPU the section says so and measures nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MSFT = ROOT / "sample_data" / "pmdarima_msft.csv"
TAYLOR = ROOT / "sample_data" / "pmdarima_taylor_halfhourly.csv"
PY = sys.executable
MODELS = ("lstm", "gru", "peephole", "indrnn")
SIZES = {  # name: (hidden, layers, window, batch)
    "default": (64, 2, 60, 32),
    "large": (256, 2, 168, 512),
}
HORIZON = 5


def taylor_windows(window: int) -> tuple[np.ndarray, np.ndarray]:
    """x (N, window, 1), y (N, HORIZON): the bundled half-hourly electricity demand, standardised
    (real and learnable, so the validation loss shows what lower precision costs)."""
    import pandas as pd

    demand = pd.read_csv(TAYLOR)["demand_mw"].to_numpy(dtype=np.float64)
    r = (demand - demand.mean()) / demand.std()
    view = np.lib.stride_tricks.sliding_window_view(r, window + HORIZON)  # (N, window + H)
    return np.ascontiguousarray(view[:, :window, None]), np.ascontiguousarray(view[:, window:])


def throughput(model: str, size: str, device: str, precision: str, steps: int) -> dict[str, Any]:
    """Windows per second over ``steps`` optimizer steps (after one warm-up epoch of the same)."""
    import torch

    from forecast.config import ModelConfig, TrainConfig
    from forecast.models.registry import build_model
    from forecast.train import seed_everything, train_network

    hidden, layers, window, batch = SIZES[size]
    x, y = taylor_windows(window)
    cut = int(len(x) * 0.9)
    x_val, y_val = x[cut : cut + 256], y[cut : cut + 256]  # a small validation set: time the training
    seed_everything(0)  # the same starting weights in every cell: only device and precision differ
    net = build_model(ModelConfig(name=model, hidden=hidden, layers=layers, n_features=1, horizon=HORIZON))
    # epochs of exactly `steps` batches: EPOCH_BATCHES caps an epoch, so take that many windows
    n_train = min(cut, steps * batch)
    config = TrainConfig(epochs=1, batch_size=batch, patience=0, device=device, precision=precision, lr=1e-3)
    train_network(net, x[:n_train], y[:n_train], x_val, y_val, config)  # warm-up: kernels, caches
    if device == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    report = train_network(net, x[:n_train], y[:n_train], x_val, y_val, replace(config, epochs=2))
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - started
    return {"model": model, "size": size, "device": device, "precision": precision,
            "windows_per_s": 2 * n_train / seconds, "seconds": seconds, "val_loss": report.history[-1][1],
            "skipped": report.skipped_steps}


def cli(*args: str, env: dict[str, str] | None = None) -> tuple[float, dict[str, Any] | None, str]:
    started = time.perf_counter()
    done = subprocess.run([PY, "-m", "forecast", *args], capture_output=True, text=True,
                          env=env or os.environ.copy(), cwd=ROOT, timeout=600)
    wall = time.perf_counter() - started
    try:
        data = json.loads(done.stdout) if done.returncode == 0 else None
    except json.JSONDecodeError:
        data = None
    return wall, data, (done.stderr.strip().splitlines() or [""])[-1]


def gpu_name() -> str:
    import torch

    return f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}, CUDA {torch.version.cuda}"


def run(quick: bool = False) -> str:
    import torch

    lines = ["## CUDA, mixed precision and GPU-trained bundles on CPU (issue 15, section 4)", ""]
    if not torch.cuda.is_available():
        return "\n".join(lines + ["No CUDA GPU on this machine: nothing measured. Run on a GPU machine."])
    steps = 10 if quick else 30
    models = MODELS[:2] if quick else MODELS
    lines += [f"GPU: {gpu_name()}; CPU rows use all {os.cpu_count()} cores of the same machine "
              f"(torch threads {torch.get_num_threads()}).", "",
              "### 1. Training loop throughput (windows/s; same real windows, same steps)", "",
              f"Each cell: 2 epochs of {steps} optimizer steps ({steps // 3} for the large size) after a "
              "1-epoch warm-up; validation "
              "loss (MSE on standardised half-hourly demand, the 256 windows after the training ones) "
              "after them, to show what mixed precision costs.", "",
              "| size (hidden, layers, window, batch) | model | CPU fp32 | CUDA fp32 | CUDA bf16 | CUDA fp16 | "
              "CUDA / CPU | bf16 / fp32 | val loss cpu / fp32 / bf16 / fp16 |",
              "|---|---|---|---|---|---|---|---|---|"]
    rows: list[dict[str, Any]] = []
    for size in SIZES:
        for model in models:
            cells = {}
            for device, precision in (("cpu", "fp32"), ("cuda", "fp32"), ("cuda", "bf16"), ("cuda", "fp16")):
                try:
                    cells[(device, precision)] = throughput(
                        model, size, device, precision, steps if size == "default" else steps // 3)
                except Exception as exc:  # a kernel without this dtype: say so, keep measuring
                    cells[(device, precision)] = {"error": f"{type(exc).__name__}: {exc}"[:80]}
                print(size, model, device, precision, cells[(device, precision)], file=sys.stderr, flush=True)
            rows.extend(cells.values())

            def rate(key: tuple[str, str], cells: dict = cells) -> str:
                cell = cells[key]
                return f"{cell['windows_per_s']:,.0f}" if "windows_per_s" in cell else "error"

            def ratio(a: tuple[str, str], b: tuple[str, str], cells: dict = cells) -> str:
                if "windows_per_s" in cells[a] and "windows_per_s" in cells[b]:
                    return f"{cells[a]['windows_per_s'] / cells[b]['windows_per_s']:.2f}x"
                return "-"

            losses = " / ".join(f"{c['val_loss']:.4f}" if c.get("val_loss") is not None else "-"
                                for c in cells.values())
            hidden, layers, window, batch = SIZES[size]
            lines.append(f"| {size} ({hidden}, {layers}, {window}, {batch}) | {model} | {rate(('cpu', 'fp32'))} | "
                         f"{rate(('cuda', 'fp32'))} | {rate(('cuda', 'bf16'))} | {rate(('cuda', 'fp16'))} | "
                         f"{ratio(('cuda', 'fp32'), ('cpu', 'fp32'))} | {ratio(('cuda', 'bf16'), ('cuda', 'fp32'))} | "
                         f"{losses} |")
    errors = [r for r in rows if "error" in r]
    if errors:
        lines += ["", "Errors: " + "; ".join(sorted({r["error"] for r in errors}))]

    lines += ["", "### 2. `forecast train sample_data/pmdarima_msft.csv` as a whole process", "",
              "| device | wall s | fit s | epochs | val loss |", "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "FORECAST_HOME": tmp}
        bundles = {}
        for device in ("cpu", "cuda"):
            path = f"msft-{device}"
            wall, data, err = cli("train", str(MSFT), "--device", device, "--json", "--name", path, env=env)
            if data is None:
                lines.append(f"| {device} | failed: {err} | | | |")
                continue
            bundles[device] = path
            lines.append(f"| {device} | {wall:.1f} | {data['seconds']:.1f} | {data['epochs_run']} | "
                         f"{data['val_loss']:.4f} |")
        lines += ["", "### 3. The CUDA-trained bundle predicted without a GPU", ""]
        if "cuda" in bundles:
            _, on_gpu, err_gpu = cli("predict", "--model", bundles["cuda"], "--device", "cuda", "--json", env=env)
            no_gpu = {**env, "CUDA_VISIBLE_DEVICES": ""}
            wall, on_cpu, err_cpu = cli("predict", "--model", bundles["cuda"], "--json", env=no_gpu)
            if on_gpu is None or on_cpu is None:
                lines.append(f"predict failed: cuda: {err_gpu!r}; cpu-only: {err_cpu!r}")
            else:
                a = np.array([r["yhat"] for r in on_gpu["forecast"]], dtype=float)
                b = np.array([r["yhat"] for r in on_cpu["forecast"]], dtype=float)
                lines.append(f"`CUDA_VISIBLE_DEVICES= forecast predict --model msft-cuda`: exit 0 in "
                             f"{wall:.1f} s, {len(b)} steps, largest difference from the CUDA prediction "
                             f"{np.max(np.abs(a - b)):.2e} (relative {np.max(np.abs(a - b) / np.abs(a)):.2e}).")
        else:
            lines.append("no CUDA bundle to load (training on CUDA failed above)")
    return "\n".join(lines) + "\n"
