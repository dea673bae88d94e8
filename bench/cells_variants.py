"""Time one training epoch of the hand-written cells against torch.nn.LSTM on CPU.

    .venv/bin/python bench/cells_variants.py [--repeats 5] [--variants]

One epoch = forward + backward + Adam step over N windows (B, L, F) with a linear head on
the last output. Prints wall and process-CPU seconds per epoch (best of --repeats, runs
interleaved so background load hits all models alike) and their ratios to nn.LSTM.
--variants adds the same cells with the time loop as a plain autograd loop instead of the
hand-written BPTT, and nn.RNN, for comparison.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
from torch import Tensor, nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing
from forecast.models import cells  # noqa: E402


def _autograd_peephole_scan(xp: Tensor, h: Tensor, c: Tensor, w_h: Tensor, peep: Tensor) -> tuple[Tensor, Tensor]:
    outs = []
    for t in range(xp.shape[1]):
        i, f, g, o = torch.addmm(xp[:, t], h, w_h.t()).chunk(4, 1)  # each (B, H)
        c = torch.sigmoid(f + peep[1] * c) * c + torch.sigmoid(i + peep[0] * c) * torch.tanh(g)
        h = torch.sigmoid(o + peep[2] * c) * torch.tanh(c)
        outs.append(h)
    return torch.stack(outs, 1), c  # (B, L, H), (B, H)


def _autograd_ind_scan(xp: Tensor, h: Tensor, u: Tensor, relu: bool) -> Tensor:
    outs = []
    for t in range(xp.shape[1]):
        h = torch.addcmul(xp[:, t], u, h)  # (B, H)
        h = torch.relu(h) if relu else torch.tanh(h)
        outs.append(h)
    return torch.stack(outs, 1)  # (B, L, H)


@contextlib.contextmanager
def _autograd_loops() -> Iterator[None]:
    """Swap the hand-written-BPTT scans for plain autograd loops."""
    saved = cells._PeepholeScan, cells._IndScan
    cells._PeepholeScan = type("S", (), {"apply": staticmethod(_autograd_peephole_scan)})  # type: ignore[misc]
    cells._IndScan = type("S", (), {"apply": staticmethod(_autograd_ind_scan)})  # type: ignore[misc]
    try:
        yield
    finally:
        cells._PeepholeScan, cells._IndScan = saved


def epoch_timer(rnn: nn.Module, x: Tensor, y: Tensor, batch: int) -> Callable[[], tuple[float, float]]:
    """A function that runs one training epoch and returns its (wall, process CPU) seconds."""
    head = nn.Linear(rnn.hidden_size * (2 if rnn.bidirectional else 1), 1)
    opt = torch.optim.Adam([*rnn.parameters(), *head.parameters()], lr=1e-3)

    def run() -> tuple[float, float]:
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(x), batch):
            out, _ = rnn(x[i : i + batch])  # (B, L, D*H)
            loss = nn.functional.mse_loss(head(out[:, -1]), y[i : i + batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
        return time.perf_counter() - start, time.process_time() - cpu

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--windows", type=int, default=1500)
    ap.add_argument("--length", type=int, default=60)
    ap.add_argument("--features", type=int, default=4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--variants", action="store_true", help="also time plain autograd loops")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.randn(args.windows, args.length, args.features)  # (N, L, F)
    y = torch.randn(args.windows, 1)  # (N, 1)
    size = (args.features, args.hidden, args.layers)
    models: dict[str, Callable[[], tuple[float, float]]] = {
        "nn.LSTM": epoch_timer(nn.LSTM(*size, batch_first=True), x, y, args.batch),
        "PeepholeLSTM": epoch_timer(cells.PeepholeLSTM(*size), x, y, args.batch),
        "IndRNN": epoch_timer(cells.IndRNN(*size), x, y, args.batch),
    }
    if args.variants:
        models["nn.RNN (relu)"] = epoch_timer(nn.RNN(*size, nonlinearity="relu", batch_first=True), x, y, args.batch)
        for name in ("PeepholeLSTM", "IndRNN"):
            run = models[name]

            def autograd_run(run: Callable[[], tuple[float, float]] = run) -> tuple[float, float]:
                with _autograd_loops():
                    return run()

            models[f"{name} (autograd loop)"] = autograd_run
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in models}
    for run in models.values():
        run()  # warm-up
    for _ in range(args.repeats):
        for name, run in models.items():
            times[name].append(run())
    base, base_cpu = (min(t[j] for t in times["nn.LSTM"]) for j in (0, 1))
    print(
        f"epoch: {args.windows} windows x {args.length} steps, batch {args.batch}, hidden {args.hidden}, "
        f"{args.layers} layers, {args.threads} threads; best of {args.repeats}"
    )
    print(f"{'':28s} {'wall s':>8s} {'ratio':>6s} {'CPU s':>8s} {'ratio':>6s}")
    for name, ts in times.items():
        wall, cpu = (min(t[j] for t in ts) for j in (0, 1))
        print(f"{name:28s} {wall:8.3f} {wall / base:5.2f}x {cpu:8.3f} {cpu / base_cpu:5.2f}x")


if __name__ == "__main__":
    main()
