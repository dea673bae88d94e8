"""How many threads torch's CPU kernels get: decided from the machine and the work.

An OpenMP team meets at the end of every parallel region, so each step of a recurrent
net waits for its slowest thread. When other processes hold the cores, a thread that
lost its core stalls the others (which spin for it): ``forecast train`` on a 2-core
machine ran 5.5x slower than quiet with two threads while two other CPU-bound processes
ran, 1.6x slower with one. And a small net's matrices are too small to split at all.
So the count is the smallest of

- the CPUs this process may run on (``os.sched_getaffinity``) and its cgroup CPU quota,
- the CPUs nobody else wants right now: the CPU count minus the other runnable tasks,
  sampled over a few milliseconds (the 1-minute load average lags a minute behind and
  counts our own earlier runs),
- what the work can use: one thread per MIN_WORK_PER_THREAD of parameters x batch,

unless ``--threads N`` says otherwise. :func:`choose_threads` is the pure decision;
:func:`decide` reads the machine (sampling the load only when more than one thread is
possible at all). The library returns the :class:`ThreadChoice`; the CLI shows it.
"""

from __future__ import annotations

import math
import os
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.errors import ConfigError

if TYPE_CHECKING:
    from forecast.config import RunConfig
    from forecast.data.series import SeriesData

# Parameters x batch size per extra thread. Measured on an idle 2-core machine (2026-11-27,
# windows/s of the training loop, bench_gpu.throughput on the CPU, 1 vs 2 threads): an LSTM 64 x 2
# (50,757 parameters) at batch 32 is 1.6M work and ran 0.89x as fast on two threads (GRU 0.82x),
# so one; 128 x 2 (199,813) at batch 32, 6.4M, ran 1.26x (GRU 1.07x), and 64 x 2 at batch 128,
# 6.5M, 1.23x (GRU 0.97x), so two. A 32 x 1 one (4,645), what short series get, is 0.15M.
MIN_WORK_PER_THREAD = 2_000_000
LOAD_SAMPLES, LOAD_INTERVAL_S = 8, 0.005
CGROUP = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Machine:
    """What the machine allows: CPU counts, quota and the other runnable tasks."""

    cpus: int  # CPUs the system has (what the load is counted against)
    affinity: int  # CPUs this process may run on
    quota: float | None = None  # cgroup CPU limit in CPUs; None: no limit
    load: float | None = None  # other runnable tasks right now; None: not sampled


@dataclass(frozen=True)
class ThreadChoice:
    """How many intra-op threads, and why (one short phrase for verbose output)."""

    threads: int
    reason: str

    def describe(self) -> str:
        return f"{self.threads} thread{'s' if self.threads != 1 else ''} ({self.reason})"


def work_cap(work: int) -> int:
    """Threads the work can use: one per MIN_WORK_PER_THREAD, at least one."""
    return max(1, int(work // MIN_WORK_PER_THREAD))


def allowed(machine: Machine) -> int:
    """CPUs this process may use at all: affinity, capped by a cgroup quota (rounded down, >= 1)."""
    cpus = machine.affinity
    if machine.quota is not None:
        cpus = min(cpus, max(1, math.floor(machine.quota)))
    return max(1, cpus)


def choose_threads(machine: Machine, work: int, requested: int | None = None) -> ThreadChoice:
    """The thread count for ``work`` (parameters x batch) on ``machine``: a pure function.

    ``requested`` (``--threads``) wins. Otherwise the smallest of what the work can use,
    what affinity and quota allow, and the idle CPUs (the CPU count minus the other
    runnable tasks, rounded to the nearest whole CPU).
    """
    if requested is not None:
        if requested < 1:
            raise ConfigError(f"--threads {requested}: give 1 or more (leave it out to decide from the machine)")
        return ThreadChoice(requested, "--threads")
    by_work, by_machine = work_cap(work), allowed(machine)
    if by_work == 1:
        return ThreadChoice(1, f"a small network: {work:,} parameters x batch, under the "
                               f"{2 * MIN_WORK_PER_THREAD:,} that pay for two threads")
    if by_machine == 1:
        quota = f", quota {machine.quota:g}" if machine.quota is not None else ""
        return ThreadChoice(1, f"1 CPU allowed (affinity {machine.affinity}{quota})")
    if machine.load is None:
        return ThreadChoice(min(by_work, by_machine), f"{by_machine} CPUs allowed, load not sampled")
    idle = max(1, math.floor(machine.cpus - machine.load + 0.5))
    threads = min(by_work, by_machine, idle)
    busy = f"{machine.load:.1f} other runnable tasks on {machine.cpus} CPUs"
    if threads == idle and idle < min(by_work, by_machine):
        return ThreadChoice(threads, f"machine busy: {busy}")
    limit = "the network's size" if threads == by_work else f"{by_machine} CPUs allowed"
    return ThreadChoice(threads, f"{limit}; {busy}")


def parse_cpu_max(text: str) -> float | None:
    """cgroup v2 ``cpu.max`` ("200000 100000" -> 2.0; "max 100000" -> None)."""
    parts = text.split()
    if len(parts) < 1 or parts[0] == "max":
        return None
    period = float(parts[1]) if len(parts) > 1 else 100_000.0
    return float(parts[0]) / period if period > 0 else None


def parse_cfs(quota_us: str, period_us: str) -> float | None:
    """cgroup v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` ("-1": no limit)."""
    quota, period = float(quota_us), float(period_us)
    return quota / period if quota > 0 and period > 0 else None


def cgroup_quota(root: Path = CGROUP) -> float | None:
    """This process's cgroup CPU limit in CPUs (v2 cpu.max, else v1 cfs files); None: none found."""
    candidates = [root / "cpu.max"]
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            if line.startswith("0::/") and line.strip() != "0::/":
                candidates.insert(0, root / line[4:].strip() / "cpu.max")
    except OSError:
        pass
    for path in candidates:
        try:
            return parse_cpu_max(path.read_text())
        except (OSError, ValueError):
            continue
    try:
        v1 = root / "cpu"
        return parse_cfs((v1 / "cpu.cfs_quota_us").read_text(), (v1 / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None


def _own_running() -> int:
    """Threads of this process in state R (running or runnable) right now."""
    count = 0
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return 1
    for task in tasks:
        try:
            stat = Path(f"/proc/self/task/{task}/stat").read_text()
        except OSError:
            continue
        if stat[stat.rfind(")") + 2 :].startswith("R"):
            count += 1
    return max(1, count)


def parse_running(loadavg: str) -> int:
    """Runnable tasks in ``/proc/loadavg`` ("0.52 0.58 0.59 3/467 12345" -> 3)."""
    return int(loadavg.split()[3].split("/")[0])


def sample_load(samples: int = LOAD_SAMPLES, interval: float = LOAD_INTERVAL_S) -> float:
    """Other processes' runnable tasks now: the mean over a few samples, ours taken out.

    Linux reports the runnable count in /proc/loadavg; elsewhere the 1-minute load
    average stands in.
    """
    total = 0.0
    try:
        for i in range(samples):
            if i:
                time.sleep(interval)
            total += parse_running(Path("/proc/loadavg").read_text()) - _own_running()
    except (OSError, ValueError, IndexError):
        try:
            return os.getloadavg()[0]
        except OSError:
            return 0.0
    return max(0.0, total / samples)


def machine(load: bool = True) -> Machine:
    """This machine now (``load=False`` skips the sampling, a few milliseconds)."""
    cpus = os.cpu_count() or 1
    try:
        affinity = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        affinity = cpus
    return Machine(cpus, affinity, cgroup_quota(), sample_load() if load else None)


def decide(work: int, requested: int | None = None) -> ThreadChoice:
    """:func:`choose_threads` for this machine; the load is sampled only when it could matter."""
    if requested is not None:
        return choose_threads(Machine(1, 1), work, requested)
    static = machine(load=False)
    if work_cap(work) == 1 or allowed(static) == 1:
        return choose_threads(static, work)
    return choose_threads(Machine(static.cpus, static.affinity, static.quota, sample_load()), work)


def for_training(run: RunConfig, series: SeriesData, requested: int | None = None) -> ThreadChoice:
    """The choice for fitting ``run`` on ``series``: the resolved network's parameters x batch."""
    if requested is not None:
        return decide(0, requested)
    import torch

    from forecast.forecaster import resolve_run
    from forecast.models.registry import build_model

    resolved = resolve_run(run, series)
    with torch.random.fork_rng(devices=[]):  # counting must not move the seeded stream
        params = sum(p.numel() for p in build_model(resolved.model).parameters())
    return decide(params * resolved.train.batch_size)


def threads_for(net: Any, batch: int) -> AbstractContextManager[None]:
    """torch's threads set, inside the block, for running ``net`` on batches of ``batch``."""
    from forecast.parallel import torch_threads

    params = sum(p.numel() for p in net.parameters())
    return torch_threads(decide(params * batch).threads)


__all__ = [
    "MIN_WORK_PER_THREAD",
    "Machine",
    "ThreadChoice",
    "allowed",
    "cgroup_quota",
    "choose_threads",
    "decide",
    "for_training",
    "threads_for",
    "machine",
    "parse_cfs",
    "parse_cpu_max",
    "parse_running",
    "sample_load",
    "work_cap",
]
