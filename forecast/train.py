"""The training loop: device, seeding, batching, clipping, early stopping."""

from __future__ import annotations

import contextlib
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from forecast.config import TrainConfig
from forecast.errors import ConfigError
from forecast.models.base import ForecastNet
from forecast.optim import Adam


@dataclass(frozen=True)
class EpochStats:
    """What one epoch did, for progress display."""

    epoch: int
    epochs: int
    train_loss: float
    val_loss: float | None
    best_epoch: int


@dataclass(frozen=True)
class StepStats:
    """Where training is after one optimizer step; an ``on_step`` hook returning True stops it."""

    epoch: int
    epochs: int
    step: int
    steps: int


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
    kept_initial: bool = False  # training never beat the starting weights on validation
    interrupted: bool = False  # an on_step hook stopped it (Ctrl-C); the best weights so far are kept
    precision: str = "fp32"  # the arithmetic of the training forward passes (weights are fp32)
    skipped_steps: int = 0  # fp16 steps skipped for gradients that overflowed
    refit_windows: int = 0  # then retrained on this many windows, the tail included (forecaster._refit)


STEP_BUDGET, MIN_EPOCHS, MAX_EPOCHS = 600, 5, 300
# An epoch draws at most this many batches of windows (without replacement): on a long series
# training cost follows the step budget, not the number of rows.
EPOCH_BATCHES = 250
# ... of windows up to REF_LEN steps; longer windows cost more per step (a recurrent net runs
# every step of the window), so an epoch of L-step windows draws EPOCH_BATCHES x REF_LEN / L
# batches (at least MIN_EPOCH_BATCHES). Epochs still give about STEP_BUDGET steps, so a long
# series of short windows trains 1,250 steps and one of 168-step windows ~600 (issue 15: a
# 2M-row one-minute series spent 1,250 steps x 336 window steps, ~110 s of a busy core).
REF_LEN, MIN_EPOCH_BATCHES = 64, 50
VAL_WINDOWS = 4096  # early stopping scores at most this many validation windows, evenly spaced
# ... and at most this many recurrent steps' worth of them (4,096 windows of 64 steps), at least
# 1,024 windows: 336-step windows of one-minute data score 1,024 (an epoch's validation then costs
# about what 1,024 x 336 steps forward do, not four times that)
VAL_STEPS, MIN_VAL_WINDOWS = VAL_WINDOWS * 64, 1024
# Above this many bytes of float32 windows, batches are gathered from the strided window views
# one at a time instead of copying every window into one tensor (rows x window would not fit).
DENSE_BYTES = 256 * 2**20


def val_windows(input_len: int) -> int:
    """How many validation windows early stopping scores for windows of ``input_len`` steps."""
    return max(MIN_VAL_WINDOWS, min(VAL_WINDOWS, VAL_STEPS // max(1, input_len)))


def epoch_batches(n_train: int, batch_size: int, input_len: int = 0) -> int:
    """Batches in one epoch: every window once, or a sample on long series: EPOCH_BATCHES of
    them for windows up to REF_LEN steps, proportionally fewer for longer ones."""
    most = EPOCH_BATCHES
    if input_len > REF_LEN:
        most = max(MIN_EPOCH_BATCHES, EPOCH_BATCHES * REF_LEN // input_len)
    return max(1, min(most, math.ceil(n_train / batch_size)))


def resolve_training(train: TrainConfig, windows: int, input_len: int = 0) -> TrainConfig:
    """Fill epochs, patience, lr. Epochs: about STEP_BUDGET optimizer steps (small data needs
    more passes), MIN_EPOCHS to MAX_EPOCHS; an epoch is at most EPOCH_BATCHES batches (fewer for
    windows over REF_LEN steps), so a long series trains MIN_EPOCHS x EPOCH_BATCHES = 1,250
    steps whatever its length (about STEP_BUDGET for long windows)."""
    epochs = train.epochs
    if epochs is None:
        batches = epoch_batches(int(windows * (1 - train.val_fraction)), train.batch_size, input_len)
        epochs = int(min(MAX_EPOCHS, max(MIN_EPOCHS, math.ceil(STEP_BUDGET / batches))))
    patience = train.patience if train.patience is not None else max(8, epochs // 4)
    if train.lr is not None and not train.lr > 0:
        raise ConfigError(f"--lr {train.lr:g}: the learning rate must be above 0 (e.g. --lr 1e-3)")
    return replace(train, epochs=epochs, patience=patience, lr=1e-3 if train.lr is None else train.lr)


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


def _snapshot(net: ForecastNet) -> dict[str, torch.Tensor]:
    """A copy of the weights (cheaper than deepcopy, which also copies Python-side metadata)."""
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


class Windows:
    """Windows x (N, L, F), y (N, H) on a device: one dense tensor when small, else the numpy
    (strided view) arrays with each batch gathered and copied on demand."""

    def __init__(self, x: np.ndarray, y: np.ndarray, device: torch.device) -> None:
        self.device, self.n, self.input_len = device, len(x), int(x.shape[1])
        self.dense = x.size * 4 <= DENSE_BYTES
        if self.dense:
            self.x, self.y = to_tensor(x, device), to_tensor(y, device)  # (N, L, F), (N, H)
        else:
            self.x_np, self.y_np = x, y

    def __len__(self) -> int:
        return self.n

    def batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Windows at positions idx (B,) -> (B, L, F), (B, H)."""
        if self.dense:
            return self.x[idx], self.y[idx]
        rows = idx.cpu().numpy()
        return to_tensor(self.x_np[rows], self.device), to_tensor(self.y_np[rows], self.device)


def _val_picks(n: int, input_len: int) -> np.ndarray:
    """The validation windows early stopping scores: all, or val_windows(input_len) evenly
    spaced ones, the same every epoch (only those are ever copied: issue 15's 2M-row minute
    series held 200,000 x 168 validation windows, 134 MB, to score 1,024 of them)."""
    most = val_windows(input_len)
    if n <= most:
        return np.arange(n)
    return torch.linspace(0, n - 1, most).round().long().numpy()


def _evaluate(net: ForecastNet, data: Windows, batch: int) -> float:
    net.eval()
    total = 0.0
    picks = torch.arange(len(data))
    picks = picks.to(data.device) if data.dense else picks
    with torch.no_grad():
        for start in range(0, len(picks), batch * 8):
            xb, yb = data.batch(picks[start : start + batch * 8])
            total += float(net.loss(xb, yb)) * len(xb)
    return total / max(1, len(picks))


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager[object]:
    """Mixed precision for a forward pass and its loss (``fp32``: none). Matrix products and
    recurrent kernels run in bf16/fp16 where torch's autocast lists them; the weights, their
    gradients and Adam's state stay fp32, so a bundle saved after mixed-precision training is the
    same kind of file as any other."""
    if precision == "fp32":
        return contextlib.nullcontext()
    dtypes = {"bf16": torch.bfloat16, "fp16": torch.float16}
    if precision not in dtypes:
        raise ConfigError(f"--precision {precision!r}: choose fp32, bf16 or fp16")
    return torch.autocast(device.type, dtype=dtypes[precision])


class LossScale:
    """Dynamic loss scaling for fp16 training, the rule of ``torch.amp.GradScaler``: gradients of
    ``loss x scale`` keep small values out of fp16's underflow; a step whose unscaled gradients are
    not finite is skipped and the scale halved; after ``growth_interval`` clean steps it doubles.
    (GradScaler itself wants a ``torch.optim.Optimizer``; forecast.optim.Adam is not one.) With
    ``enabled=False`` (fp32, bf16: bf16 has fp32's exponent range) it is the plain step."""

    def __init__(self, enabled: bool, scale: float = 2.0**16, growth_interval: int = 2000) -> None:
        self.enabled, self.scale, self.growth_interval = enabled, scale if enabled else 1.0, growth_interval
        self.clean_steps, self.skipped = 0, 0

    def backward(self, loss: torch.Tensor) -> None:
        (loss * self.scale if self.enabled else loss).backward()

    def unscale(self, params: list[torch.nn.Parameter]) -> bool:
        """Divide the gradients by the scale; False (and a smaller scale) when one is inf/nan."""
        if not self.enabled:
            return True
        grads = [p.grad for p in params if p.grad is not None]
        torch._foreach_mul_(grads, 1.0 / self.scale)
        finite = bool(torch.stack([torch.isfinite(g).all() for g in grads]).all()) if grads else True
        if not finite:
            self.scale, self.clean_steps, self.skipped = self.scale / 2, 0, self.skipped + 1
            return False
        self.clean_steps += 1
        if self.clean_steps >= self.growth_interval:
            self.scale, self.clean_steps = self.scale * 2, 0
        return True


def _train_epoch(
    net: ForecastNet,
    optimizer: Adam,
    data: Windows,
    config: TrainConfig,
    generator: torch.Generator,
    on_step: Callable[[int, int], bool] | None = None,
    scaler: LossScale | None = None,
) -> tuple[float, bool]:
    """One pass over shuffled batches (at most EPOCH_BATCHES of them): (mean training loss,
    stopped by ``on_step(step, steps)``)."""
    net.train()
    scaler = scaler or LossScale(False)
    order = torch.randperm(len(data), generator=generator)
    order = order[: epoch_batches(len(data), config.batch_size, data.input_len) * config.batch_size]
    order = order.to(data.device) if data.dense else order
    total, seen = torch.zeros((), device=data.device), 0
    steps = math.ceil(len(order) / config.batch_size)
    for step, start in enumerate(range(0, len(order), config.batch_size), 1):
        idx = order[start : start + config.batch_size]
        xb, yb = data.batch(idx)
        with autocast(data.device, config.precision):
            loss = net.loss(xb, yb)
        optimizer.zero_grad()
        scaler.backward(loss)
        if scaler.unscale(optimizer.params):  # False: fp16 overflow, the step is skipped
            if config.clip_norm > 0:
                torch.nn.utils.clip_grad_norm_(net.parameters(), config.clip_norm)
            optimizer.step()
        total += loss.detach().float() * len(idx)
        seen += len(idx)
        if on_step is not None and on_step(step, steps):
            return float(total) / seen, True
    return float(total) / max(1, seen), False


def train_network(
    net: ForecastNet,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    config: TrainConfig,
    *,
    on_epoch: Callable[[EpochStats], None] | None = None,
    on_step: Callable[[StepStats], bool] | None = None,
) -> TrainReport:
    """Fit ``net`` in place on windows x (N, L, F), y (N, H); keep the best-validation weights."""
    config = resolve_training(config, len(x_train) + len(x_val), x_train.shape[1])
    assert config.epochs is not None and config.patience is not None
    device = resolve_device(config.device)
    if config.precision == "fp16" and device.type != "cuda":
        raise ConfigError(f"--precision fp16 needs a CUDA GPU (training here runs on {device.type}, where torch "
                          "has no fp16 recurrent kernels); use --precision bf16 or fp32")
    net.to(device)
    net.tbptt = config.tbptt
    picks = _val_picks(len(x_val), x_val.shape[1])  # (V,) the scored ones, gathered once
    train_data, val_data = Windows(x_train, y_train, device), Windows(x_val[picks], y_val[picks], device)
    optimizer = Adam(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    generator = torch.Generator().manual_seed(config.seed)
    scaler = LossScale(config.precision == "fp16")
    use_val = len(val_data) > 0
    # Epoch 0 competes: a fresh net (zero output projection) forecasts the training mean,
    # which for returns is the drift forecast; trained weights must beat it on validation.
    initial_loss = _evaluate(net, val_data, config.batch_size) if use_val else float("inf")
    initial_state = _snapshot(net) if use_val else None
    best_loss, best_epoch, best_state = initial_loss, 0, initial_state
    history: list[tuple[float, float | None]] = []
    started, stopped_early, train_loss = time.perf_counter(), False, float("nan")
    epoch, interrupted, epochs = 0, False, config.epochs
    step_hook = None if on_step is None else (lambda s, n: on_step(StepStats(epoch, epochs, s, n)))
    for epoch in range(1, config.epochs + 1):
        net.epoch_fraction = (epoch - 1) / max(1, config.epochs - 1)  # teacher-forcing decay
        train_loss, interrupted = _train_epoch(
            net, optimizer, train_data, config, generator, step_hook, scaler)
        val_loss = _evaluate(net, val_data, config.batch_size) if use_val else None
        score = val_loss if val_loss is not None else train_loss
        if score < best_loss:
            best_loss, best_epoch = score, epoch
            best_state = _snapshot(net)
        history.append((train_loss, val_loss))
        if on_epoch is not None:
            on_epoch(EpochStats(epoch, config.epochs, train_loss, val_loss, best_epoch))
        if interrupted:  # the partial epoch was validated like a whole one
            break
        if use_val and config.patience > 0 and epoch - best_epoch >= config.patience:
            stopped_early = True
            break
    kept_initial = use_val and best_loss > initial_loss * (1 - config.min_improvement)
    if kept_initial:
        best_loss, best_epoch, best_state = initial_loss, 0, initial_state
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
        kept_initial=kept_initial,
        interrupted=interrupted,
        precision=config.precision,
        skipped_steps=scaler.skipped,
        n_train=len(train_data),
        n_val=len(x_val),
        history=history,
    )


def train_members(
    build: Callable[[], ForecastNet],
    seeds: int,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    config: TrainConfig,
    *,
    starts: list[dict[str, torch.Tensor]] | None = None,
    on_epoch: Callable[[EpochStats], None] | None = None,
    on_step: Callable[[StepStats], bool] | None = None,
) -> tuple[list[ForecastNet], TrainReport]:
    """The members of a seed ensemble: ``seeds`` nets from ``build``, net k seeded with
    config.seed + k (its weights and its batch order) and trained on its own by
    :func:`train_network` (its own early stopping), from ``starts[k]`` when given (warm start).
    Net 0 is the net one seed trains. An interrupted member ends the loop: fewer nets come back.
    The report is net 0's with every net's seconds and flags; progress counts epochs over all
    nets (net k's epoch e is k x epochs + e)."""
    nets: list[ForecastNet] = []
    reports: list[TrainReport] = []
    epochs = int(config.epochs or 1)
    total = seeds * epochs
    for k in range(seeds):
        seed_everything(config.seed + k)
        net = build()
        if starts is not None:
            net.load_state_dict(starts[k])
        epoch_hook = None if on_epoch is None else _shifted_epochs(on_epoch, k * epochs, total)
        step_hook = None if on_step is None else _shifted_steps(on_step, k * epochs, total)
        reports.append(train_network(net, x_train, y_train, x_val, y_val, replace(config, seed=config.seed + k),
                                     on_epoch=epoch_hook, on_step=step_hook))
        nets.append(net)
        if reports[-1].interrupted:
            break
    first = reports[0]
    return nets, replace(first, seconds=sum(r.seconds for r in reports),
                         kept_initial=all(r.kept_initial for r in reports),
                         interrupted=any(r.interrupted for r in reports),
                         stopped_early=all(r.stopped_early for r in reports),
                         skipped_steps=sum(r.skipped_steps for r in reports))


def _shifted_epochs(hook: Callable[[EpochStats], None], shift: int, total: int) -> Callable[[EpochStats], None]:
    """Net k's epoch e reported as epoch shift + e of ``total`` (the ensemble's progress)."""
    return lambda s: hook(replace(s, epoch=s.epoch + shift, epochs=total, best_epoch=s.best_epoch + shift))


def _shifted_steps(hook: Callable[[StepStats], bool], shift: int, total: int) -> Callable[[StepStats], bool]:
    return lambda s: hook(replace(s, epoch=s.epoch + shift, epochs=total))
