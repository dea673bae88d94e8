"""forecast.transforms: target transforms and scalers round-trip; scalers fit on training rows only."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from forecast.errors import DataError
from forecast.transforms import Scaler, TargetPipeline, apply_transform, invert_transform

KINDS = ("level", "diff", "logret")
SCALERS = ("standard", "minmax", "robust")

POSITIVE = st.floats(0.01, 1e4, allow_nan=False, allow_infinity=False)
FINITE = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
LEVELS = hnp.arrays(np.float64, st.integers(2, 50), elements=POSITIVE)


@st.composite
def level_matrix(draw: st.DrawFn, min_rows: int = 3) -> np.ndarray:
    """Levels (T, F): a positive target, then 0 to 2 free features."""
    rows = draw(st.integers(min_rows, 40))
    target = draw(hnp.arrays(np.float64, rows, elements=POSITIVE))
    features = draw(hnp.arrays(np.float64, (rows, draw(st.integers(0, 2))), elements=FINITE))
    return np.column_stack([target, features])


def naive_transform(kind: str, y: np.ndarray) -> list[float]:
    if kind == "level":
        return list(y)
    if kind == "diff":
        return [y[t + 1] - y[t] for t in range(len(y) - 1)]
    return [float(np.log(y[t + 1] / y[t])) for t in range(len(y) - 1)]


# ---------------------------------------------------------------- transforms


@settings(deadline=None)
@given(y=LEVELS, kind=st.sampled_from(KINDS))
def test_transform_matches_a_loop(y: np.ndarray, kind: str) -> None:
    np.testing.assert_allclose(apply_transform(kind, y), naive_transform(kind, y), rtol=1e-12, atol=1e-12)


@settings(deadline=None)
@given(y=LEVELS, kind=st.sampled_from(KINDS), data=st.data())
def test_transform_round_trip(y: np.ndarray, kind: str, data: st.DataObject) -> None:
    z = apply_transform(kind, y)
    if kind == "level":
        assert len(z) == len(y)
        np.testing.assert_array_equal(invert_transform(kind, z, y[-1]), y)
        return
    assert len(z) == len(y) - 1
    k = data.draw(st.integers(0, len(y) - 2), label="continue from row")
    # the transformed steps after row k, continued from the level at k, give back rows k+1..
    np.testing.assert_allclose(invert_transform(kind, z[k:], y[k]), y[k + 1 :], rtol=1e-9)


@settings(deadline=None)
@given(paths=hnp.arrays(np.float64, (4, 6), elements=POSITIVE), kind=st.sampled_from(KINDS))
def test_inverse_over_a_batch_is_row_by_row(paths: np.ndarray, kind: str) -> None:
    """Sampled paths (S, H) with one last level each invert like single rows."""
    z = np.stack([apply_transform(kind, row)[-3:] for row in paths])  # (S, 3)
    last = paths[:, -4]
    batch = invert_transform(kind, z, last)
    for s in range(len(paths)):
        np.testing.assert_allclose(batch[s], invert_transform(kind, z[s], last[s]), rtol=1e-12)
    if kind != "level":
        np.testing.assert_allclose(batch, paths[:, -3:], rtol=1e-9)
    shared = invert_transform(kind, z, 5.0)  # one scalar last level for every path
    assert shared.shape == z.shape


def test_unknown_transform_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown transform"):
        apply_transform("sqrt", np.ones(3))
    with pytest.raises(ValueError, match="unknown transform"):
        invert_transform("sqrt", np.ones(3), 1.0)


# ---------------------------------------------------------------- scalers


@settings(max_examples=60, deadline=None)
@given(
    data=hnp.arrays(np.float64, st.tuples(st.integers(2, 40), st.integers(1, 3)), elements=FINITE),
    kind=st.sampled_from(SCALERS),
)
def test_scaler_round_trip_and_statistics(data: np.ndarray, kind: str) -> None:
    scaler = Scaler(kind).fit(data)
    scaled = scaler.transform(data)
    assert scaled.shape == data.shape
    for col in range(data.shape[1]):
        np.testing.assert_allclose(scaler.inverse_column(scaled[:, col], col), data[:, col], atol=1e-9)
    assert np.all(np.isfinite(scaler.scale)) and np.all(scaler.scale > 0)
    for col in range(data.shape[1]):
        raw, out = data[:, col], scaled[:, col]
        if kind == "standard":
            spread, stats = raw.std(), (out.mean(), out.std())
        elif kind == "minmax":
            spread, stats = np.ptp(raw), (out.min(), out.max() - 1.0)
        else:
            q1, q3 = np.percentile(raw, [25, 75])
            spread = q3 - q1
            o1, med, o3 = np.percentile(out, [25, 50, 75])
            stats = (med, o3 - o1 - 1.0)
        if spread > 1e-6:
            np.testing.assert_allclose(stats, (0.0, 1.0 if kind == "standard" else 0.0), atol=1e-6)
        elif spread <= 1e-12:
            assert scaler.scale[col] == 1.0  # a constant column is centred, never divided by ~0


def test_scaler_state_round_trip() -> None:
    data = np.array([[1.0, 10.0], [2.0, 30.0], [4.0, 20.0], [8.0, 60.0]])
    for kind in SCALERS:
        scaler = Scaler(kind).fit(data)
        again = Scaler.from_state(scaler.state())
        assert again.kind == kind
        np.testing.assert_array_equal(again.transform(data), scaler.transform(data))


def test_unknown_scaler_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scaler"):
        Scaler("zscore").fit(np.ones((3, 1)))


# ---------------------------------------------------------------- pipeline


@settings(max_examples=60, deadline=None)
@given(x=level_matrix(), kind=st.sampled_from(KINDS), scaler=st.sampled_from(SCALERS), data=st.data())
def test_pipeline_round_trip(x: np.ndarray, kind: str, scaler: str, data: st.DataObject) -> None:
    """Levels -> model space -> levels, with the pipeline fitted on a training prefix."""
    n_train = data.draw(st.integers(2, len(x)), label="training rows")
    pipe = TargetPipeline(kind, Scaler(scaler)).fit(x[:n_train])
    inputs, targets = pipe.to_model_space(x)
    assert inputs.shape == (len(x) - pipe.rows_lost, x.shape[1])
    np.testing.assert_array_equal(inputs[:, 0], targets)
    if kind == "level":
        np.testing.assert_allclose(pipe.to_levels(targets, x[-1, 0]), x[:, 0], rtol=1e-9, atol=1e-9)
        return
    # model-space row j is the step from level row j to j + 1
    k = data.draw(st.integers(0, len(x) - 2), label="continue from row")
    np.testing.assert_allclose(pipe.to_levels(targets[k:], x[k, 0]), x[k + 1 :, 0], rtol=1e-8)
    # features are scaled, never transformed: they stay aligned with the target's step
    for col in range(1, x.shape[1]):
        np.testing.assert_allclose(
            pipe.scaler.inverse_column(inputs[:, col], col), x[1:, col], atol=1e-9
        )


@settings(deadline=None)
@given(x=level_matrix(min_rows=6), kind=st.sampled_from(KINDS), scaler=st.sampled_from(SCALERS))
def test_pipeline_fits_on_training_rows_only(x: np.ndarray, kind: str, scaler: str) -> None:
    n_train = len(x) // 2
    pipe = TargetPipeline(kind, Scaler(scaler)).fit(x[:n_train])
    expected = Scaler(scaler).fit(pipe._transformed(x[:n_train]))
    np.testing.assert_array_equal(pipe.scaler.center, expected.center)
    np.testing.assert_array_equal(pipe.scaler.scale, expected.scale)
    before = pipe.state()
    pipe.to_model_space(x * 3.0 + 1.0)  # transforming other data never refits
    after = pipe.state()
    np.testing.assert_array_equal(before["scaler"]["center"], after["scaler"]["center"])
    np.testing.assert_array_equal(before["scaler"]["scale"], after["scaler"]["scale"])


def test_pipeline_state_round_trip() -> None:
    x = np.column_stack([np.linspace(10.0, 20.0, 12), np.arange(12.0)])
    for kind in KINDS:
        pipe = TargetPipeline(kind, Scaler("robust")).fit(x[:8])
        again = TargetPipeline.from_state(pipe.state())
        np.testing.assert_array_equal(again.to_model_space(x)[0], pipe.to_model_space(x)[0])
        assert (again.transform, again.categorical, again.rows_lost) == (
            kind,
            False,
            0 if kind == "level" else 1,
        )


def test_logret_on_non_positive_target_names_the_row_and_the_fix() -> None:
    x = np.array([[3.0], [2.0], [0.0], [-1.0]])
    with pytest.raises(DataError) as info:
        TargetPipeline("logret").fit(x, "prices.csv")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("prices.csv:") and "data row 3" in message
    assert "--transform level" in message
    # features may be anything: only the target is log-transformed
    ok = TargetPipeline("logret").fit(np.array([[1.0, -5.0], [2.0, 0.0], [3.0, -1.0]]))
    assert ok.scaler.center.shape == (2,)


def test_categorical_target_is_never_transformed_or_scaled() -> None:
    codes = np.array([[0.0, 5.0], [2.0, 7.0], [1.0, 9.0], [2.0, 4.0]])
    pipe = TargetPipeline("level", Scaler("standard"), categorical=True).fit(codes)
    assert (pipe.scaler.center[0], pipe.scaler.scale[0]) == (0.0, 1.0)
    inputs, targets = pipe.to_model_space(codes)
    np.testing.assert_array_equal(targets, codes[:, 0])
    assert pipe.scaler.scale[1] != 1.0  # features are still scaled
    np.testing.assert_array_equal(pipe.to_levels(np.array([2.0, 0.0]), 1.0), [2.0, 0.0])
