"""forecast.windows against a naive loop, and the no-look-ahead property of the training pipeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from forecast.config import ModelConfig, RunConfig, TrainConfig, WindowConfig
from forecast.data.series import SeriesData
from forecast.forecaster import fit, training_windows
from forecast.windows import last_window, make_windows, n_windows

torch.set_num_threads(1)  # tiny nets: threads only add contention on a shared 2-core box

FINITE = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
POSITIVE = st.floats(0.5, 1e3, allow_nan=False, allow_infinity=False)


def naive_windows(
    inputs: np.ndarray, targets: np.ndarray, input_len: int, horizon: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    xs, ys = [], []
    for start in range(len(inputs)):
        if start + input_len + horizon > len(inputs):
            break
        xs.append(inputs[start : start + input_len])
        ys.append(targets[start + input_len : start + input_len + horizon])
    return xs, ys


@st.composite
def arrays_and_sizes(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int, int]:
    rows, cols = draw(st.integers(0, 40)), draw(st.integers(1, 3))
    inputs = draw(hnp.arrays(np.float64, (rows, cols), elements=FINITE))
    targets = draw(hnp.arrays(np.float64, rows, elements=FINITE))
    return inputs, targets, draw(st.integers(1, 10)), draw(st.integers(1, 6))


@settings(max_examples=150, deadline=None)
@given(case=arrays_and_sizes())
def test_windows_match_a_naive_loop(case: tuple[np.ndarray, np.ndarray, int, int]) -> None:
    inputs, targets, input_len, horizon = case
    x, y = make_windows(inputs, targets, input_len, horizon)
    xs, ys = naive_windows(inputs, targets, input_len, horizon)
    count = n_windows(len(inputs), input_len, horizon)
    assert count == len(xs) == max(0, len(inputs) - input_len - horizon + 1)
    assert x.shape == (count, input_len, inputs.shape[1])
    assert y.shape == (count, horizon)
    for i in range(count):
        np.testing.assert_array_equal(x[i], xs[i])
        np.testing.assert_array_equal(y[i], ys[i])


def test_window_contents_by_hand() -> None:
    inputs = np.arange(14.0).reshape(7, 2)  # row r = (2r, 2r + 1)
    targets = np.arange(7.0) * 10
    x, y = make_windows(inputs, targets, 3, 2)
    assert x.shape == (3, 3, 2) and y.shape == (3, 2)
    np.testing.assert_array_equal(x[1], [[2, 3], [4, 5], [6, 7]])
    np.testing.assert_array_equal(y[1], [40, 50])
    np.testing.assert_array_equal(y[-1], [50, 60])  # the last window ends on the last row


def test_windows_are_read_only_views() -> None:
    inputs, targets = np.arange(20.0).reshape(10, 2), np.arange(10.0)
    x, y = make_windows(inputs, targets, 4, 2)
    assert not x.flags.writeable and not y.flags.writeable
    assert np.shares_memory(x, inputs) and np.shares_memory(y, targets)


def test_too_few_rows_give_empty_windows_of_the_right_shape() -> None:
    x, y = make_windows(np.ones((5, 3)), np.ones(5), 4, 2)
    assert x.shape == (0, 4, 3) and y.shape == (0, 2)
    assert n_windows(5, 4, 2) == 0 and n_windows(6, 4, 2) == 1


@settings(deadline=None)
@given(case=arrays_and_sizes())
def test_last_window_is_the_tail(case: tuple[np.ndarray, np.ndarray, int, int]) -> None:
    inputs, _, input_len, _ = case
    if len(inputs) < input_len:
        return
    window = last_window(inputs, input_len)
    assert window.shape == (1, input_len, inputs.shape[1])
    np.testing.assert_array_equal(window[0], inputs[len(inputs) - input_len :])


# ---------------------------------------------------------------- no look-ahead


def make_series(values: np.ndarray) -> SeriesData:
    """Levels (T, F) as a business-daily price series: Close, then features."""
    names = ["Close", *[f"f{i}" for i in range(1, values.shape[1])]]
    index = pd.bdate_range("2021-01-04", periods=len(values), name="ds")
    frame = pd.DataFrame(values, index=index, columns=names)
    return SeriesData.from_frame(frame, "Close", tuple(names[1:]), "B", "synthetic.csv", "synthetic")


def tiny_run(input_len: int, horizon: int, transform: str, scaler: str) -> RunConfig:
    return RunConfig(
        window=WindowConfig(input_len, horizon, transform, scaler),  # type: ignore[arg-type]
        model=ModelConfig(hidden=2, layers=1, dropout=0.0),
        train=TrainConfig(epochs=1, batch_size=256, device="cpu", patience=0),
    )


@st.composite
def look_ahead_case(draw: st.DrawFn) -> dict[str, object]:
    input_len, horizon = draw(st.integers(2, 6)), draw(st.integers(1, 3))
    cutoff = draw(st.integers(input_len + horizon + 9, input_len + horizon + 30))
    rows = cutoff + draw(st.integers(1, 15))
    values = draw(hnp.arrays(np.float64, (rows, draw(st.integers(1, 2))), elements=POSITIVE))
    changed = draw(st.lists(st.integers(cutoff, rows - 1), min_size=1, max_size=5, unique=True))
    new = draw(hnp.arrays(np.float64, (len(changed), values.shape[1]), elements=POSITIVE))
    return {
        "values": values,
        "cutoff": cutoff,
        "changed": changed,
        "new": new,
        "run": tiny_run(
            input_len,
            horizon,
            draw(st.sampled_from(["level", "diff", "logret"])),
            draw(st.sampled_from(["standard", "minmax", "robust"])),
        ),
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=look_ahead_case())
def test_no_look_ahead(case: dict[str, object]) -> None:
    """Changing any value after the training cutoff changes neither the scaler nor any window."""
    values, cutoff, run = case["values"], case["cutoff"], case["run"]
    assert isinstance(values, np.ndarray) and isinstance(cutoff, int) and isinstance(run, RunConfig)
    modified = values.copy()
    modified[case["changed"]] = case["new"]  # type: ignore[index]
    original, altered = make_series(values), make_series(modified)

    a = fit(original.head(cutoff), run)
    b = fit(altered.head(cutoff), run)
    state_a, state_b = a.pipeline.state(), b.pipeline.state()
    assert state_a["transform"] == state_b["transform"]
    np.testing.assert_array_equal(state_a["scaler"]["center"], state_b["scaler"]["center"])
    np.testing.assert_array_equal(state_a["scaler"]["scale"], state_b["scaler"]["scale"])
    xa, ya = training_windows(a.pipeline, original.head(cutoff), a.run)
    xb, yb = training_windows(b.pipeline, altered.head(cutoff), b.run)
    assert len(xa) >= 8
    np.testing.assert_array_equal(xa, xb)
    np.testing.assert_array_equal(ya, yb)
    for key, weight in a.net.state_dict().items():  # so the trained network is the same too
        assert torch.equal(weight, b.net.state_dict()[key]), key

    # The fitted pipeline applied to the whole altered series is causal: the windows whose
    # targets end by the cutoff are exactly the training windows.
    xf, yf = training_windows(a.pipeline, altered, a.run)
    np.testing.assert_array_equal(xf[: len(xa)], xa)
    np.testing.assert_array_equal(yf[: len(ya)], ya)


def test_the_look_ahead_check_would_see_a_leak() -> None:
    """Fitting on the whole series does move the scaler, so the property test can fail."""
    rng = np.random.default_rng(0)
    values = 100 + np.cumsum(rng.normal(0, 1, size=(60, 1)), axis=0)
    altered = values.copy()
    altered[-5:] *= 3.0
    run = tiny_run(4, 2, "level", "standard")
    leak_a, leak_b = fit(make_series(values), run), fit(make_series(altered), run)
    assert not np.array_equal(leak_a.pipeline.scaler.center, leak_b.pipeline.scaler.center)
    cut_a, cut_b = fit(make_series(values).head(50), run), fit(make_series(altered).head(50), run)
    np.testing.assert_array_equal(cut_a.pipeline.scaler.center, cut_b.pipeline.scaler.center)


@pytest.mark.parametrize("transform", ["level", "diff", "logret"])
def test_training_windows_are_the_pipeline_output_windowed(transform: str) -> None:
    values = np.column_stack([np.linspace(10, 40, 30), np.sin(np.arange(30.0))])
    series = make_series(values)
    fc = fit(series, tiny_run(5, 2, transform, "minmax"))
    x, y = training_windows(fc.pipeline, series, fc.run)
    inputs, targets = fc.pipeline.to_model_space(values)
    xs, ys = naive_windows(inputs, targets, 5, 2)
    assert len(x) == len(xs) == 30 - fc.pipeline.rows_lost - 5 - 2 + 1
    np.testing.assert_array_equal(x, np.stack(xs))
    np.testing.assert_array_equal(y, np.stack(ys))
