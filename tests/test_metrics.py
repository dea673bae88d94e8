"""forecast.metrics against plain-loop references, hand-worked cases and real data."""

from __future__ import annotations

import csv
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from forecast import metrics as M

# ---------------------------------------------------------------- helpers

FINITE = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
WITH_NAN = st.one_of(FINITE, FINITE, FINITE, st.just(math.nan))
SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)


@st.composite
def same_shape(draw: st.DrawFn, n: int, elements: st.SearchStrategy = WITH_NAN) -> list[np.ndarray]:
    shape = draw(SHAPES)
    return [draw(hnp.arrays(np.float64, shape, elements=elements)) for _ in range(n)]


def close(a: float, b: float, tol: float = 1e-9) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def pairs(*arrays: np.ndarray) -> list[tuple[float, ...]]:
    """Zip flattened arrays, keeping tuples with no NaN."""
    rows = zip(*(a.ravel().tolist() for a in arrays))
    return [r for r in rows if not any(math.isnan(v) for v in r)]


def loop_mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def sign(v: float) -> int:
    return (v > 0) - (v < 0)


def airline() -> np.ndarray:
    path = Path(__file__).resolve().parent.parent / "sample_data" / "sktime_airline.csv"
    with path.open(newline="") as fh:
        return np.array([float(row["Passengers"]) for row in csv.DictReader(fh)])


# ------------------------------------------------- loops vs vectorised code


@given(same_shape(2))
def test_mae_rmse_match_loops(arrs: list[np.ndarray]) -> None:
    y, yhat = arrs
    ok = pairs(y, yhat)
    assert close(M.mae(y, yhat), loop_mean([abs(a - b) for a, b in ok]))
    mse = loop_mean([(a - b) ** 2 for a, b in ok])
    assert close(M.rmse(y, yhat), math.sqrt(mse) if ok else math.nan)


@given(same_shape(2))
def test_mape_smape_match_loops(arrs: list[np.ndarray]) -> None:
    y, yhat = arrs
    ok = pairs(y, yhat)
    ref_mape = loop_mean([100 * abs(a - b) / abs(a) for a, b in ok if a != 0])
    ref_smape = loop_mean(
        [200 * abs(a - b) / (abs(a) + abs(b)) if abs(a) + abs(b) > 0 else 0.0 for a, b in ok]
    )
    assert close(M.mape(y, yhat), ref_mape)
    got = M.smape(y, yhat)
    assert close(got, ref_smape)
    assert math.isnan(got) or 0.0 <= got <= 200.0


@given(same_shape(2), hnp.arrays(np.float64, st.integers(1, 30), elements=WITH_NAN), st.integers(1, 4))
def test_mase_matches_loop(arrs: list[np.ndarray], insample: np.ndarray, m: int) -> None:
    y, yhat = arrs
    diffs = [
        abs(insample[t] - insample[t - m])
        for t in range(m, len(insample))
        if not (math.isnan(insample[t]) or math.isnan(insample[t - m]))
    ]
    scale = loop_mean(diffs)
    err = loop_mean([abs(a - b) for a, b in pairs(y, yhat)])
    ref = math.nan if math.isnan(scale) or scale == 0 else err / scale
    assert close(M.mase(y, yhat, insample=insample, m=m), ref)


@given(same_shape(2), st.data())
def test_directional_accuracy_matches_loop(arrs: list[np.ndarray], data: st.DataObject) -> None:
    y, yhat = arrs
    per_row = data.draw(st.booleans())
    if per_row and y.ndim >= 2:
        last = data.draw(hnp.arrays(np.float64, y.shape[:-1], elements=WITH_NAN))
        full = np.repeat(last[..., None], y.shape[-1], axis=-1)
    else:
        last = data.draw(FINITE)
        full = np.full(y.shape, last)
    ref = loop_mean(
        [float(sign(b - c) == sign(a - c)) for a, b, c in pairs(y, yhat, full)]
    )
    assert close(M.directional_accuracy(y, yhat, last=last), ref)


@given(same_shape(3))
def test_coverage_matches_loop(arrs: list[np.ndarray]) -> None:
    y, a, b = arrs
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    ref = loop_mean([float(lo_ <= v <= hi_) for v, lo_, hi_ in pairs(y, lo, hi)])
    assert close(M.coverage(y, lo, hi), ref)


@given(st.data())
def test_pinball_matches_loop(data: st.DataObject) -> None:
    shape = data.draw(SHAPES)
    levels = data.draw(
        st.lists(st.floats(0.01, 0.99), min_size=1, max_size=4).map(np.array)
    )
    y = data.draw(hnp.arrays(np.float64, shape, elements=WITH_NAN))
    q = data.draw(hnp.arrays(np.float64, shape + levels.shape, elements=WITH_NAN))
    losses = []
    for idx in np.ndindex(shape):
        for k, tau in enumerate(levels):
            u = y[idx] - q[idx + (k,)]
            if not math.isnan(u):
                losses.append(tau * u if u >= 0 else (tau - 1) * u)
    assert close(M.pinball(y, q, levels), loop_mean(losses))


@given(st.data())
def test_crps_matches_pairwise_loop(data: st.DataObject) -> None:
    shape = data.draw(SHAPES)
    s = data.draw(st.integers(1, 6))
    y = data.draw(hnp.arrays(np.float64, shape, elements=WITH_NAN))
    x = data.draw(hnp.arrays(np.float64, shape + (s,), elements=WITH_NAN))
    scores = []
    for idx in np.ndindex(shape):
        xs = x[idx].tolist()
        if math.isnan(y[idx]) or any(math.isnan(v) for v in xs):
            continue
        t1 = sum(abs(v - y[idx]) for v in xs) / s
        t2 = sum(abs(a - b) for a in xs for b in xs) / (2 * s * s)
        scores.append(t1 - t2)
    assert close(M.crps_from_samples(y, x), loop_mean(scores), tol=1e-7)


LABELS = st.integers(0, 3).map(float)


@given(same_shape(2, elements=LABELS))
def test_accuracy_macro_f1_match_loops(arrs: list[np.ndarray]) -> None:
    y, yhat = (a.ravel().astype(int).tolist() for a in arrs)
    assert close(M.accuracy(arrs[0], arrs[1]), loop_mean([float(a == b) for a, b in zip(y, yhat)]))
    f1s = []
    for c in sorted(set(y) | set(yhat)):
        tp = sum(a == c and b == c for a, b in zip(y, yhat))
        fp = sum(a != c and b == c for a, b in zip(y, yhat))
        fn = sum(a == c and b != c for a, b in zip(y, yhat))
        f1s.append(2 * tp / (2 * tp + fp + fn))
    assert close(M.macro_f1(arrs[0], arrs[1]), loop_mean(f1s))


# ------------------------------------------------------- hand-worked cases


def test_point_metrics_hand_worked() -> None:
    y = np.array([2.0, 4.0, 0.0, 5.0])
    yhat = np.array([3.0, 2.0, 1.0, 5.0])
    # errors 1, 2, 1, 0
    assert M.mae(y, yhat) == pytest.approx(1.0)
    assert M.rmse(y, yhat) == pytest.approx(math.sqrt(6 / 4))
    # y == 0 skipped: (50 + 50 + 0) / 3
    assert M.mape(y, yhat) == pytest.approx(100 / 3)
    # 200*1/5, 200*2/6, 200*1/1, 0
    assert M.smape(y, yhat) == pytest.approx((40 + 200 / 3 + 200 + 0) / 4)


def test_mape_all_zero_is_nan_and_smape_zero_zero_is_perfect() -> None:
    assert math.isnan(M.mape(np.zeros(3), np.ones(3)))
    assert M.smape(np.zeros(3), np.zeros(3)) == 0.0
    assert M.smape(np.array([1.0]), np.array([-1.0])) == pytest.approx(200.0)


def test_nan_pairs_are_skipped_and_all_nan_is_nan() -> None:
    y = np.array([1.0, np.nan, 3.0])
    yhat = np.array([2.0, 100.0, np.nan])
    assert M.mae(y, yhat) == 1.0
    assert math.isnan(M.rmse(np.array([np.nan]), np.array([1.0])))


def test_shapes_must_match() -> None:
    with pytest.raises(ValueError, match="same shape"):
        M.mae(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="same shape"):
        M.mae(np.zeros((2, 3)), np.zeros(6))


def test_mase_hand_worked_and_degenerate() -> None:
    insample = np.array([1.0, 3.0, 2.0, 6.0])  # |diffs| 2, 1, 4 -> scale 7/3
    assert M.mase(np.array([5.0]), np.array([6.0]), insample=insample) == pytest.approx(3 / 7)
    # m=2: |2-1|, |6-3| -> scale 2
    assert M.mase(np.array([5.0]), np.array([6.0]), insample=insample, m=2) == pytest.approx(0.5)
    assert math.isnan(M.mase(np.array([1.0]), np.array([2.0]), insample=np.ones(5)))
    assert math.isnan(M.mase(np.array([1.0]), np.array([2.0]), insample=np.ones(2), m=2))
    with pytest.raises(ValueError):
        M.mase(np.array([1.0]), np.array([2.0]), insample=insample, m=0)


def test_mase_on_airline_matches_hand_loop() -> None:
    series = airline()
    assert series.shape == (144,)
    insample, y = series[:132], series[132:]
    yhat = insample[-12:] * 1.05
    for m in (1, 12):
        total = 0.0
        for t in range(m, len(insample)):
            total += abs(insample[t] - insample[t - m])
        scale = total / (len(insample) - m)
        err = sum(abs(a - b) for a, b in zip(y, yhat)) / len(y)
        assert M.mase(y, yhat, insample=insample, m=m) == pytest.approx(err / scale, rel=1e-12)
    # The airline series is strongly seasonal: the seasonal scale is the larger one,
    # so the same forecast scores better against the weaker (1-step naive) benchmark.
    assert M.mase(y, yhat, insample=insample, m=12) < M.mase(y, yhat, insample=insample, m=1)


def test_directional_accuracy_hand_worked_per_row_last() -> None:
    y = np.array([[11.0, 9.0, 10.0], [1.0, 3.0, 2.0]])
    yhat = np.array([[12.0, 12.0, 10.0], [0.0, 5.0, 3.0]])
    last = np.array([10.0, 2.0])
    # row 0: up/up hit, down/up miss, flat/flat hit; row 1: down/down hit, up/up hit, flat/up miss
    assert M.directional_accuracy(y, yhat, last=last) == pytest.approx(4 / 6)
    assert M.directional_accuracy(y[0], yhat[0], last=10.0) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="last"):
        M.directional_accuracy(y, yhat, last=np.array([1.0, 2.0, 3.0]))


def test_coverage_is_inclusive() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert M.coverage(y, np.full(4, 2.0), np.full(4, 3.0)) == 0.5


def test_pinball_hand_worked_and_median_is_half_mae() -> None:
    y = np.array([10.0])
    q = np.array([[8.0, 12.0]])  # levels 0.1, 0.9
    # 0.1: u=2 -> 0.2 ; 0.9: u=-2 -> (0.9-1)*-2 = 0.2
    assert M.pinball(y, q, np.array([0.1, 0.9])) == pytest.approx(0.2)
    rng = np.random.default_rng(0)
    y, yhat = rng.normal(size=(7, 3)), rng.normal(size=(7, 3))
    assert M.pinball(y, yhat[..., None], np.array([0.5])) == pytest.approx(M.mae(y, yhat) / 2)
    with pytest.raises(ValueError):
        M.pinball(y, yhat, np.array([0.5]))
    with pytest.raises(ValueError):
        M.pinball(y, yhat[..., None], np.array([1.0]))


def test_crps_one_sample_is_mae_and_equals_integral_form() -> None:
    y = np.array([0.3, -1.0])
    x = np.array([[1.0], [2.0]])
    assert M.crps_from_samples(y, x) == pytest.approx(M.mae(y, x[:, 0]))
    # Independent definition: integral of (F(z) - 1{z >= y})^2 dz for the empirical F.
    samples = np.array([0.0, 1.0, 1.0, 4.0])
    obs = 2.0
    grid = np.linspace(-1.0, 6.0, 700_001)
    cdf = (samples[None, :] <= grid[:, None]).mean(axis=1)
    integrand = (cdf - (grid >= obs)) ** 2
    integral = float(np.sum(integrand[:-1] * np.diff(grid)))
    got = M.crps_from_samples(np.array(obs), samples)
    assert got == pytest.approx(integral, abs=1e-4)
    # by hand: E|X-y| = (2+1+1+2)/4 = 1.5 ; E|X-X'| = 2*(1+1+4+0+3+3)/16 = 1.5
    assert got == pytest.approx(1.5 - 0.75)


def test_crps_of_normal_samples_near_closed_form() -> None:
    rng = np.random.default_rng(1)
    samples = rng.normal(size=(1, 20_000))
    # CRPS(N(0,1), 0) = 2*phi(0) - 1/sqrt(pi) = (sqrt(2) - 1) / sqrt(pi)
    expected = (math.sqrt(2) - 1) / math.sqrt(math.pi)
    assert M.crps_from_samples(np.zeros(1), samples) == pytest.approx(expected, abs=0.01)


def test_class_metrics_hand_worked() -> None:
    y = np.array([0, 0, 1, 1, 2, 2])
    yhat = np.array([0, 1, 1, 1, 0, 2])
    assert M.accuracy(y, yhat) == pytest.approx(4 / 6)
    # class 0: tp1 fp1 fn1 -> 0.5 ; class 1: tp2 fp1 fn0 -> 0.8 ; class 2: tp1 fp0 fn1 -> 2/3
    assert M.macro_f1(y, yhat) == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    with pytest.raises(ValueError, match="integer"):
        M.accuracy(np.array([0.5]), np.array([0.0]))


def test_point_metrics_registry_and_helper() -> None:
    assert set(M.POINT_METRICS) == {"mae", "rmse", "mape", "smape", "mase", "directional_accuracy"}
    assert M.HIGHER_IS_BETTER & set(M.POINT_METRICS) == {"directional_accuracy"}
    y = np.array([[1.0, 2.0], [3.0, 5.0]])
    yhat = np.array([[1.5, 2.0], [2.0, 6.0]])
    bare = M.point_metrics(y, yhat)
    assert bare["mae"] == pytest.approx(M.mae(y, yhat))
    assert math.isnan(bare["mase"]) and math.isnan(bare["directional_accuracy"])
    full = M.point_metrics(y, yhat, insample=np.arange(10.0), last=np.array([0.0, 2.5]))
    assert full["mase"] == pytest.approx(M.mae(y, yhat))  # naive scale of arange is 1
    # row 0 (last 0): up/up, up/up ; row 1 (last 2.5): up/down miss, up/up
    assert full["directional_accuracy"] == pytest.approx(0.75)
    for name, fn in M.POINT_METRICS.items():
        kw = {"insample": np.arange(10.0)} if name == "mase" else {}
        kw |= {"last": 0.0} if name == "directional_accuracy" else {}
        assert isinstance(fn(y, yhat, **kw), float)


@settings(max_examples=30)
@given(same_shape(1, elements=FINITE))
def test_perfect_forecast_scores(arrs: list[np.ndarray]) -> None:
    (y,) = arrs
    for name in ("mae", "rmse", "smape"):
        assert M.POINT_METRICS[name](y, y.copy()) == 0.0
    assert M.directional_accuracy(y, y.copy(), last=0.0) == 1.0


def test_crps_rejects_bad_shapes() -> None:
    for y, x in itertools.product([np.zeros(3)], [np.zeros(3), np.zeros((4, 2))]):
        with pytest.raises(ValueError):
            M.crps_from_samples(y, x)
