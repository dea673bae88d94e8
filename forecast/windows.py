"""Cutting a series into (input window, horizon) training pairs.

One window, for input_len L = 4 and horizon H = 2, starting at row i::

    rows:     i   i+1  i+2  i+3 | i+4  i+5
    inputs:  [x   x    x    x  ]|
    targets:                    | y    y
              <----- L ------>   <- H ->

Inputs are all columns (target first, then features); targets are the target
column only. Windows are strided views of the arrays, so building them for a
fold costs no copy until a batch is gathered.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def n_windows(n_rows: int, input_len: int, horizon: int) -> int:
    """How many complete windows fit in ``n_rows`` rows."""
    return max(0, n_rows - input_len - horizon + 1)


def make_windows(
    inputs: np.ndarray, targets: np.ndarray, input_len: int, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """All complete windows, as read-only views.

    inputs (T, F), targets (T,) -> X (N, L, F), Y (N, H) with N = T - L - H + 1.
    """
    count = n_windows(len(inputs), input_len, horizon)
    if count == 0:
        return (
            np.empty((0, input_len, inputs.shape[1]), dtype=inputs.dtype),
            np.empty((0, horizon), dtype=targets.dtype),
        )
    x = sliding_window_view(inputs, input_len, axis=0)[:count]  # (N, F, L)
    x = np.moveaxis(x, 2, 1)  # (N, L, F)
    y = sliding_window_view(targets[input_len:], horizon)[:count]  # (N, H)
    return x, y


def last_window(inputs: np.ndarray, input_len: int) -> np.ndarray:
    """The window that forecasts past the end: inputs (T, F) -> (1, L, F)."""
    return inputs[-input_len:][None, :, :]
