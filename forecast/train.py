"""The training loop: device, seeding, batching, clipping, early stopping."""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from forecast.config import TrainConfig
from forecast.errors import ConfigError
from forecast.models.base import ForecastNet


@dataclass(frozen=True)
class EpochStats:
    """What one epoch did, for progress display."""

    epoch: int
    epochs: int
    train_loss: float
    val_loss: float | None
    best_epoch: int


@dataclass(frozen=True)
class TrainReport:
    """How training went."""

    epochs_run: int
    best_epoch: int
    best_val_loss: float | None
    final_train_loss: float
    seconds: float
    device: str
    stopped_early: bool
    n_train: int
    n_val: int
    history: list[tuple[float, float | None]] = field(default_factory=list)


def resolve_device(name: str) -> torch.device:
    """auto -> cuda when available, else cpu; cuda without a GPU is a ConfigError."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda: no CUDA GPU is available here; use --device cpu or auto")
    if name not in ("cpu", "cuda"):
        raise ConfigError(f"--device {name!r}: choose auto, cpu or cuda")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def to_tensor(array: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)).to(device)


def _evaluate(net: ForecastNet, x: torch.Tensor, y: torch.Tensor, batch: int) -> float:
    net.eval()
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(x), batch * 8):
            xb, yb = x[start : start + batch * 8], y[start : start + batch * 8]
            total += float(net.loss(xb, yb)) * len(xb)
    return total / max(1, len(x))


def train_network(
    net: ForecastNet,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    config: TrainConfig,
    *,
    on_epoch: Callable[[EpochStats], None] | None = None,
) -> TrainReport:
    """Fit ``net`` in place on windows x (N, L, F), y (N, H); keep the best-validation weights."""
    device = resolve_device(config.device)
    net.to(device)
    net.tbptt = config.tbptt
    xt, yt = to_tensor(x_train, device), to_tensor(y_train, device)  # (N, L, F), (N, H)
    xv, yv = to_tensor(x_val, device), to_tensor(y_val, device)
    optimizer = torch.optim.Adam(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    generator = torch.Generator().manual_seed(config.seed)
    use_val = len(xv) > 0
    best_loss, best_epoch, best_state = float("inf"), 0, None
    history: list[tuple[float, float | None]] = []
    started, stopped_early, train_loss = time.perf_counter(), False, float("nan")
    epoch = 0
    for epoch in range(1, config.epochs + 1):
        net.train()
        order = torch.randperm(len(xt), generator=generator).to(device)
        total = 0.0
        for start in range(0, len(xt), config.batch_size):
            idx = order[start : start + config.batch_size]
            loss = net.loss(xt[idx], yt[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.clip_norm > 0:
                torch.nn.utils.clip_grad_norm_(net.parameters(), config.clip_norm)
            optimizer.step()
            total += loss.detach() * len(idx)
        train_loss = float(total) / len(xt)
        val_loss = _evaluate(net, xv, yv, config.batch_size) if use_val else None
        score = val_loss if val_loss is not None else train_loss
        if score < best_loss:
            best_loss, best_epoch = score, epoch
            best_state = copy.deepcopy(net.state_dict())
        history.append((train_loss, val_loss))
        if on_epoch is not None:
            on_epoch(EpochStats(epoch, config.epochs, train_loss, val_loss, best_epoch))
        if use_val and config.patience > 0 and epoch - best_epoch >= config.patience:
            stopped_early = True
            break
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    return TrainReport(
        epochs_run=epoch,
        best_epoch=best_epoch,
        best_val_loss=best_loss if use_val else None,
        final_train_loss=train_loss,
        seconds=time.perf_counter() - started,
        device=str(device),
        stopped_early=stopped_early,
        n_train=len(xt),
        n_val=len(xv),
        history=history,
    )
