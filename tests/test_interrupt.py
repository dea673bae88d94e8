"""Stopping training: the on_step hook of forecast.train, Ctrl-C through a real `forecast train`
process (SIGINT), and the progress lines printed when stderr is not a terminal."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from cli_runner import invoke

from forecast.config import ModelConfig, TrainConfig
from forecast.models.registry import build_model
from forecast.train import StepStats, seed_everything, train_network

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parent.parent
PROGRESS = re.compile(r"^training: epoch \d+/\d+(, step [\d,]+/[\d,]+| done), \d+ s")


def _windows(n: int = 120, length: int = 12, horizon: int = 3) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(n + length + horizon, dtype=np.float64)
    wave = np.sin(t / 5)
    x = np.stack([wave[i : i + length] for i in range(n)])[..., None]  # (N, L, 1)
    y = np.stack([wave[i + length : i + length + horizon] for i in range(n)])  # (N, H)
    return x, y


def test_on_step_stops_after_that_step_and_validates_the_partial_epoch() -> None:
    x, y = _windows()
    seed_everything(0)
    net = build_model(ModelConfig(name="gru", hidden=8, layers=1, horizon=3))
    seen: list[StepStats] = []

    def on_step(stats: StepStats) -> bool:
        seen.append(stats)
        return stats.epoch == 2 and stats.step == 3

    config = TrainConfig(epochs=10, batch_size=10, patience=0, device="cpu")
    report = train_network(net, x[:100], y[:100], x[100:], y[100:], config, on_step=on_step)
    assert report.interrupted and not report.stopped_early
    assert report.epochs_run == 2 and len(report.history) == 2
    assert report.history[1][1] is not None  # the partial epoch was validated
    assert [(s.epoch, s.step) for s in seen][-4:] == [(1, 10), (2, 1), (2, 2), (2, 3)]
    assert seen[0] == StepStats(epoch=1, epochs=10, step=1, steps=10)


def test_without_a_stop_every_epoch_runs() -> None:
    x, y = _windows()
    seed_everything(0)
    net = build_model(ModelConfig(name="lstm", hidden=8, layers=1, horizon=3))
    config = TrainConfig(epochs=3, batch_size=32, patience=0, device="cpu")
    report = train_network(net, x[:100], y[:100], x[100:], y[100:], config, on_step=lambda s: False)
    assert report.epochs_run == 3 and not report.interrupted


def _train_process(home: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "FORECAST_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    args = [sys.executable, "-m", "forecast", "train", str(ROOT / "sample_data" / "pmdarima_msft.csv"),
            "--epochs", "20", "--patience", "0", "--hidden", "8", "--layers", "1",
            "--batch-size", "4", "--threads", "1", "--name", "msft", *extra]
    # Ctrl-C at a terminal: SIGINT at its default. A test run started in the background by a shell
    # without job control (`make test &`) ignores SIGINT, its children inherit that, and Python
    # then leaves it ignored (as it should: `nohup forecast train &` must not stop on Ctrl-C).
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _interrupt_once_training(process: subprocess.Popen[str]) -> list[str]:
    """Wait for the first progress line (training runs), send SIGINT, return stderr's lines."""
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line.rstrip("\n"))
        if PROGRESS.match(line):
            process.send_signal(signal.SIGINT)
            break
    lines += process.stderr.read().splitlines()
    process.wait(timeout=120)
    return lines


def test_ctrl_c_stops_after_the_step_saves_the_best_weights_and_exits_130(tmp_path: Path) -> None:
    process = _train_process(tmp_path, "--log-every", "0.05")
    try:
        lines = _interrupt_once_training(process)
        out = process.stdout.read() if process.stdout else ""
    finally:
        process.kill()
    assert process.returncode == 130, "\n".join(lines)
    said = [line for line in lines if line.startswith("interrupted: stopping after step")]
    assert len(said) == 1, lines
    assert any(line.startswith("note: interrupted in epoch 1: saved the best weights so far")
               for line in lines), lines
    assert "(interrupted)" in out
    saved = sorted(tmp_path.glob("models/msft/*.joblib"))
    assert len(saved) == 1 and f"saved to {saved[0]}" in out
    from forecast.api import load_model

    name, _, forecaster = load_model(str(saved[0]))
    assert name == "msft" and forecaster.report is not None and forecaster.report.interrupted
    assert forecaster.report.epochs_run == 1


def test_ctrl_c_without_save_on_interrupt_saves_nothing(tmp_path: Path) -> None:
    process = _train_process(tmp_path, "--log-every", "0.05", "--no-save-on-interrupt")
    try:
        lines = _interrupt_once_training(process)
    finally:
        process.kill()
    assert process.returncode == 130, "\n".join(lines)
    assert lines[-1] == "interrupted: stopped at once, nothing saved"
    assert not list(tmp_path.glob("models/msft/*.joblib"))


def test_progress_lines_when_stderr_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str], model_home: Path, sample_data: Path
) -> None:
    csv = sample_data / "sktime_airline.csv"
    tiny = ("--epochs", "40", "--hidden", "8", "--layers", "1", "--batch-size", "16", "--threads", "1")
    code, _, err = invoke(capsys, "train", csv, *tiny, "--log-every", "0.001")
    assert code == 0, err
    lines = [line for line in err.splitlines() if PROGRESS.match(line)]
    assert len(lines) >= 2, err
    assert any("last epoch loss" in line for line in lines)
    code, _, err = invoke(capsys, "train", csv, *tiny, "--log-every", "0")
    assert code == 0 and not any(PROGRESS.match(line) for line in err.splitlines())
    code, _, err = invoke(capsys, "train", csv, *tiny, "--quiet", "--log-every", "0.001")
    assert code == 0 and not any(PROGRESS.match(line) for line in err.splitlines())
