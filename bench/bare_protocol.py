"""The peers' bare PyTorch LSTM on min-max scaled levels, run on one protocol (for scale).

hidden 64, 2 layers, Adam 1e-3, batch 32, the peers' window and epochs, min-max scaling
fitted per fold, a linear head emitting the horizon. Prints JSON: mean MASE and seconds.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import torch
from torch import nn

from bench.protocols import PROTOCOLS


def forecast_fold(train: np.ndarray, window: int, horizon: int, epochs: int) -> np.ndarray:
    lo, hi = train.min(), train.max()
    z = (train - lo) / (hi - lo)
    n = len(z) - window - horizon + 1
    x = torch.tensor(np.stack([z[i : i + window] for i in range(n)])[:, :, None], dtype=torch.float32)
    y = torch.tensor(np.stack([z[i + window : i + window + horizon] for i in range(n)]), dtype=torch.float32)
    lstm, head = nn.LSTM(1, 64, 2, batch_first=True), nn.Linear(64, horizon)
    params = [*lstm.parameters(), *head.parameters()]
    opt = torch.optim.Adam(params, lr=1e-3)
    for _ in range(epochs):
        order = torch.randperm(n)
        for s in range(0, n, 32):
            idx = order[s : s + 32]
            _, (h, _) = lstm(x[idx])
            loss = nn.functional.mse_loss(head(h[-1]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        last = torch.tensor(z[-window:], dtype=torch.float32)[None, :, None]
        _, (h, _) = lstm(last)
        return head(h[-1])[0].numpy() * (hi - lo) + lo


def main(name: str) -> None:
    torch.manual_seed(0)
    protocol = next(p for p in PROTOCOLS if p.name == name)
    y = protocol.frame()[protocol.target].to_numpy(dtype=np.float64)
    started = time.perf_counter()
    scores = [
        protocol.mase(y, c, forecast_fold(y[:c], protocol.peer_window, protocol.horizon, protocol.peer_epochs))
        for c in protocol.cutoffs
    ]
    print(json.dumps({"mase": float(np.mean(scores)), "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main(sys.argv[1])
