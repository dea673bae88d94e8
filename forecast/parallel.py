"""Where independent jobs run: this machine (joblib's loky processes) or a Dask cluster.

Per-series jobs (``--all-series``, ``retrain``) and per-fold jobs (walk-forward)
are plain ``joblib.Parallel`` calls; :func:`backend` picks where they go::

    with backend("dask", scheduler="tcp://10.0.0.5:8786"):
        Parallel(n_jobs=-1)(...)          # the tasks run on the cluster's workers

dask and distributed are an optional extra (``pip install 'forecast[dask]'``),
imported only when the Dask backend is asked for. Jobs return their results
(payloads, tables) to this process, which alone writes files, so remote
workers need the forecast package but no access to the forecast home.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

from forecast.errors import ConfigError

BACKENDS: tuple[str, ...] = ("local", "dask")
T = TypeVar("T")
R = TypeVar("R")


def check_backend(name: str, scheduler: str | None, jobs: int = 1) -> None:
    """A one-line ConfigError for a bad backend, scheduler or job count."""
    if name not in BACKENDS:
        raise ConfigError(f"--backend {name!r}: choose {' or '.join(BACKENDS)}")
    if name == "dask" and not scheduler:
        raise ConfigError("--backend dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
    if name == "local" and scheduler:
        raise ConfigError("--scheduler is for --backend dask; add --backend dask or drop it")
    if jobs == 0 or jobs < -1:
        raise ConfigError(f"--jobs {jobs}: use a positive number of processes, or -1 for all cores")


def _client(scheduler: str) -> Any:
    """A distributed.Client connected to ``scheduler``; ConfigError when dask is missing or away."""
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError(
            "--backend dask needs the optional packages dask and distributed: "
            "pip install 'forecast[dask]'"
        ) from None
    try:
        return Client(scheduler, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError) as err:
        raise ConfigError(
            f"--scheduler {scheduler}: no Dask scheduler answered ({type(err).__name__}); "
            "start one (dask scheduler) or check the address"
        ) from None


@contextmanager
def backend(name: str = "local", scheduler: str | None = None, jobs: int = 1) -> Iterator[int]:
    """Route joblib.Parallel calls inside the block; yields the n_jobs to pass them."""
    check_backend(name, scheduler, jobs)
    if name == "local":
        yield jobs
        return
    import joblib

    assert scheduler is not None
    client = _client(scheduler)
    try:
        with joblib.parallel_config(backend="dask", client=client):
            yield -1  # as many as the cluster has worker threads
    finally:
        client.close()


_TORCH = threading.RLock()  # re-entrant: a one_thread block may sit inside another


@contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """Torch's intra-op thread count set to ``threads`` inside the block, restored after.

    The count is process-wide, so blocks in threads of one process (a Dask worker
    with several threads) take turns instead of racing.
    """
    import torch

    with _TORCH:
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            yield
        finally:
            torch.set_num_threads(before)


def one_thread() -> AbstractContextManager[None]:
    """Torch to itself on one thread: the same numbers whichever process or backend runs a job."""
    return torch_threads(1)


def run_jobs(
    fn: Callable[[T], R],
    items: Sequence[T] | Iterable[T],
    *,
    jobs: int = 1,
    name: str = "local",
    scheduler: str | None = None,
) -> list[R]:
    """``[fn(item) for item in items]``, in order, on the chosen backend.

    Locally, one job or one item runs in this process (no worker start-up);
    ``fn`` must be a module-level function so workers can import it.
    """
    items = list(items)
    check_backend(name, scheduler, jobs)
    if name == "local" and (jobs == 1 or len(items) <= 1):
        return [fn(item) for item in items]
    from joblib import Parallel, delayed

    with backend(name, scheduler, jobs) as n_jobs:
        if name == "local":
            n_jobs = min(n_jobs, len(items)) if n_jobs > 0 else n_jobs
        return list(Parallel(n_jobs=n_jobs)(delayed(fn)(item) for item in items))


__all__ = ["BACKENDS", "backend", "check_backend", "one_thread", "run_jobs", "torch_threads"]
