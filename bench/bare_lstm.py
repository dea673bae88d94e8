"""A bare PyTorch nn.LSTM training loop: the yardstick for `forecast train`'s throughput.

Same data and settings as the spine benchmark: pmdarima_msft.csv Close, log returns,
standard scaling, window 60, horizon 5, hidden 64, 2 layers, batch 32, Adam 1e-3,
clipping at norm 1. Prints JSON: seconds of the training loop and windows trained.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pandas as pd
import torch
from torch import nn


def main(path: str, epochs: int) -> None:
    torch.manual_seed(0)
    close = pd.read_csv(path)["Close"].to_numpy(dtype=np.float64)
    z = np.diff(np.log(close))
    z = (z - z.mean()) / z.std()
    L, H = 60, 5
    n = len(z) - L - H + 1
    x = np.stack([z[i : i + L] for i in range(n)])[:, :, None].astype(np.float32)
    y = np.stack([z[i + L : i + L + H] for i in range(n)]).astype(np.float32)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    lstm = nn.LSTM(1, 64, num_layers=2, batch_first=True, dropout=0.1)
    head = nn.Linear(64, H)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    started = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(n)
        for s in range(0, n, 32):
            idx = order[s : s + 32]
            _, (h, _) = lstm(xt[idx])
            loss = nn.functional.mse_loss(head(h[-1]), yt[idx])
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "windows": n * epochs}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
