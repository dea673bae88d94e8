"""The model zoo's speed: training epoch time per member relative to nn.LSTM, and inference.

Every registered member at the same size (hidden 64, 2 layers, window 60, horizon 5,
batch 32, point head) trains on the log returns of pmdarima_msft.csv's Close, in one
process with ``torch.set_num_threads(2)``.

Timing on a shared machine: the epoch is cut into blocks of BLOCK batches and the members
take turns block by block, so load from other processes falls on all of them alike; each
block counts at the faster of ``rounds`` passes, and a member's epoch time is the sum of
its blocks. Inference: each member is saved as a model bundle and loaded back (load ms),
then ``Forecaster.predict`` (one horizon, in process) is timed with the members taking
turns, median of 20.

    python -m bench.bench_zoo [--quick] [--threads N]
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from forecast.api import load_series
from forecast.bundle import from_payload, to_payload
from forecast.config import DataSpec, ModelConfig, RunConfig, TrainConfig, WindowConfig
from forecast.data.series import SeriesData
from forecast.forecaster import Forecaster, resolve_run, training_windows
from forecast.models.base import ForecastNet
from forecast.models.registry import MODELS, build_model
from forecast.persistence import load_bundle, save_bundle
from forecast.train import seed_everything
from forecast.transforms import Scaler, TargetPipeline

DATA = Path(__file__).resolve().parent.parent / "sample_data" / "pmdarima_msft.csv"
HIDDEN, LAYERS, INPUT_LEN, HORIZON, BATCH = 64, 2, 60, 5, 32
BLOCK = 8  # batches per timed block
PREDICT_REPEATS = 20
TARGET_MS = 50.0


class Trainee:
    """One member with its optimizer; trains a block of batches as train.train_network does."""

    def __init__(self, config: ModelConfig, x: torch.Tensor, y: torch.Tensor) -> None:
        seed_everything(0)
        self.net: ForecastNet = build_model(config)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=1e-3)
        self.x, self.y = x, y  # (N, L, 1), (N, H)
        self.order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))

    def block(self, first_batch: int) -> float:
        """Train BLOCK batches starting at ``first_batch``; seconds."""
        self.net.train()
        started = time.perf_counter()
        for b in range(first_batch, first_batch + BLOCK):
            idx = self.order[b * BATCH : (b + 1) * BATCH]
            if len(idx) == 0:
                break
            loss = self.net.loss(self.x[idx], self.y[idx])
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
            self.optimizer.step()
        return time.perf_counter() - started


def _data(quick: bool) -> tuple[RunConfig, TargetPipeline, SeriesData, torch.Tensor, torch.Tensor]:
    series = load_series(DataSpec(path=str(DATA), target="Close"))
    run = resolve_run(
        RunConfig(
            window=WindowConfig(INPUT_LEN, HORIZON, "logret"),
            model=ModelConfig(hidden=HIDDEN, layers=LAYERS),
            train=TrainConfig(batch_size=BATCH, device="cpu"),
        ),
        series,
    )
    pipeline = TargetPipeline("logret", Scaler("standard")).fit(series.x, series.source)
    x_np, y_np = training_windows(pipeline, series, run)
    if quick:
        x_np, y_np = x_np[-1024:], y_np[-1024:]
    x = torch.from_numpy(np.ascontiguousarray(x_np, np.float32))  # (N, L, 1)
    y = torch.from_numpy(np.ascontiguousarray(y_np, np.float32))  # (N, H)
    return run, pipeline, series, x, y


def run(quick: bool = False, threads: int = 2) -> str:
    """Measure every registered member; a markdown section."""
    torch.set_num_threads(threads)
    run_config, pipeline, series, x, y = _data(quick)
    trainees = {name: Trainee(replace(run_config.model, name=name), x, y) for name in MODELS}
    for trainee in trainees.values():
        trainee.block(0)  # warm-up: allocators, kernels
    n_blocks = -(-len(x) // (BATCH * BLOCK))
    rounds = 1 if quick else 2
    best = {name: [float("inf")] * n_blocks for name in MODELS}  # seconds per block
    for _ in range(rounds):
        for k in range(n_blocks):
            for name, trainee in trainees.items():
                best[name][k] = min(best[name][k], trainee.block(k * BLOCK))
    epoch_s = {name: sum(blocks) for name, blocks in best.items()}

    load_ms: dict[str, float] = {}
    loaded: dict[str, Forecaster] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, trainee in trainees.items():
            net = trainee.net.eval()
            fitted = Forecaster(replace(run_config, model=net.config), pipeline, net, np.zeros(0))
            path = save_bundle(to_payload(fitted, series, name), Path(tmp) / f"{name}.joblib")
            started = time.perf_counter()
            loaded[name] = from_payload(load_bundle(path), "cpu")
            load_ms[name] = (time.perf_counter() - started) * 1e3
            loaded[name].predict(series)  # warm-up
    predict_ms: dict[str, list[float]] = {name: [] for name in MODELS}
    for _ in range(PREDICT_REPEATS):
        for name, forecaster in loaded.items():
            started = time.perf_counter()
            forecaster.predict(series)
            predict_ms[name].append((time.perf_counter() - started) * 1e3)

    rows = []
    for name, trainee in trainees.items():
        params = sum(p.numel() for p in trainee.net.parameters())
        median = statistics.median(predict_ms[name])
        rows.append(
            f"| {name} | {params:,} | {epoch_s[name]:.2f} | {epoch_s[name] / epoch_s['lstm']:.2f}x "
            f"| {median:.1f} | {load_ms[name]:.0f} | {'yes' if median <= TARGET_MS else 'NO'} |"
        )
    flags = (" --quick" if quick else "") + (f" --threads {threads}" if threads != 2 else "")
    return "\n".join(
        [
            "## Model zoo: training and inference speed",
            "",
            f"`python -m bench.bench_zoo{flags}`: {DATA.name} Close, log returns, {len(x)} windows; "
            f"hidden {HIDDEN}, {LAYERS} layers, window {INPUT_LEN}, horizon {HORIZON}, batch {BATCH}, "
            f"point head, Adam + clipping; CPU, torch.set_num_threads({threads}), torch "
            f"{torch.__version__}, {platform.machine()}, {os.cpu_count()} CPUs, load average "
            f"{os.getloadavg()[0]:.1f} at the end. Members take turns every {BLOCK} batches; each "
            f"block counts at the faster of {rounds} pass(es).",
            "",
            "| model | parameters | epoch s | vs lstm | predict ms (median of 20) | load ms | <= 50 ms |",
            "|---|---:|---:|---:|---:|---:|:---:|",
            *rows,
            "",
        ]
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    n_threads = int(args[args.index("--threads") + 1]) if "--threads" in args else 2
    print(run(quick="--quick" in args, threads=n_threads))
