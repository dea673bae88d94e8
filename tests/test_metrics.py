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


# ------------------------------------------------- distribution scores (issue 16)


@given(st.data())
def test_crps_from_quantiles_matches_loop(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 6))
    levels = sorted(data.draw(st.sets(st.floats(0.01, 0.99), min_size=1, max_size=5)))
    y = data.draw(hnp.arrays(np.float64, n, elements=FINITE))
    q = data.draw(hnp.arrays(np.float64, (n, len(levels)), elements=FINITE))
    loop = []
    for i in range(n):
        for j, tau in enumerate(levels):
            d = y[i] - q[i, j]
            loop.append(max(tau * d, (tau - 1) * d))
    assert close(M.crps_from_quantiles(y, q, np.array(levels)), 2 * loop_mean(loop), 1e-7)


def test_crps_from_quantiles_textbook_normal_value() -> None:
    # CRPS(N(mu, sigma), y) = sigma * (z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi)), z = (y - mu) / sigma
    # (Gneiting & Raftery 2007); on a fine grid of the normal's own quantiles it converges there.
    from statistics import NormalDist

    levels = np.arange(1, 2000) / 2000
    norm = NormalDist(10.0, 2.0)
    q = np.array([[norm.inv_cdf(t) for t in levels]] * 2)  # (2, Q)
    y = np.array([10.0, 13.0])
    z = (y - 10.0) / 2.0
    phi = np.array([NormalDist().pdf(v) for v in z])
    cdf = np.array([NormalDist().cdf(v) for v in z])
    exact = 2.0 * (z * (2 * cdf - 1) + 2 * phi - 1 / math.sqrt(math.pi))
    assert M.crps_from_quantiles(y, q, levels) == pytest.approx(exact.mean(), rel=2e-3)
    assert exact[0] == pytest.approx(2.0 * (math.sqrt(2) - 1) / math.sqrt(math.pi))


@given(same_shape(3))
def test_width_and_winkler_match_loops(arrs: list[np.ndarray]) -> None:
    y, a, b = arrs
    lo, hi = np.fmin(a, b), np.fmax(a, b)
    for level in (0.8, 0.9):
        scores = []
        for yi, li, hi_ in pairs(y, lo, hi):
            s = hi_ - li
            if yi < li:
                s += 2 / (1 - level) * (li - yi)
            elif yi > hi_:
                s += 2 / (1 - level) * (yi - hi_)
            scores.append(s)
        assert close(M.winkler(y, lo, hi, level=level), loop_mean(scores), 1e-7)
    assert close(M.interval_width(lo, hi), loop_mean([h - lw for lw, h in pairs(lo, hi)]), 1e-7)


def test_winkler_hand_worked() -> None:
    # 80% interval [10, 20]: inside -> the width; 5 above -> 10 + (2 / 0.2) * 5 = 60
    y, lo, hi = np.array([15.0, 25.0, 8.0]), np.full(3, 10.0), np.full(3, 20.0)
    assert M.winkler(y[:1], lo[:1], hi[:1], level=0.8) == 10.0
    assert M.winkler(y[1:2], lo[1:2], hi[1:2], level=0.8) == pytest.approx(60.0)
    assert M.winkler(y, lo, hi, level=0.9) == pytest.approx((10 + 110 + 50) / 3)  # 2/0.1 = 20
    with pytest.raises(ValueError, match="level"):
        M.winkler(y, lo, hi, level=80)


@given(same_shape(3, elements=FINITE))
def test_log_score_normal_matches_loop(arrs: list[np.ndarray]) -> None:
    y, loc, raw = arrs
    scale = np.abs(raw) + 0.1
    loop = [math.log(s) + 0.5 * math.log(2 * math.pi) + 0.5 * ((v - m) / s) ** 2
            for v, m, s in pairs(y, loc, scale)]
    assert close(M.log_score_normal(y, loc, scale), loop_mean(loop), 1e-7)


def test_log_score_normal_textbook_values() -> None:
    from statistics import NormalDist

    # -log of the standard normal density at its mean is log(2 pi) / 2 = 0.9189...
    assert M.log_score_normal(np.zeros(1), np.zeros(1), np.ones(1)) == pytest.approx(0.918938533)
    # one and a half standard deviations out, scale 2: -log(NormalDist(5, 2).pdf(8))
    assert M.log_score_normal(np.array([8.0]), np.array([5.0]), np.array([2.0])) == pytest.approx(
        -math.log(NormalDist(5, 2).pdf(8)))
    assert math.isnan(M.log_score_normal(np.ones(2), np.ones(2), np.zeros(2)))  # no valid scale


@given(st.data())
def test_mase_per_fold_matches_loop(data: st.DataObject) -> None:
    k = data.draw(st.integers(1, 4))
    h = data.draw(st.integers(1, 5))
    y = data.draw(hnp.arrays(np.float64, k * h, elements=FINITE))
    yhat = data.draw(hnp.arrays(np.float64, k * h, elements=FINITE))
    scales = data.draw(hnp.arrays(np.float64, k, elements=st.floats(0.1, 100)))
    fold = np.repeat(np.arange(k), h)
    per = [sum(abs(y[f * h + i] - yhat[f * h + i]) for i in range(h)) / h / scales[f] for f in range(k)]
    got = M.mase_per_fold(y, yhat, fold=fold, scale=scales[fold])
    assert close(got, sum(per) / k, 1e-7)


def test_mase_per_fold_equals_mase_with_the_insample_scale() -> None:
    series = airline()
    y, yhat, hist = series[132:], series[120:132] * 1.1, series[:132]
    got = M.mase_per_fold(y, yhat, fold=np.zeros(12), scale=np.full(12, np.mean(np.abs(hist[12:] - hist[:-12]))))
    assert got == pytest.approx(M.mase(y, yhat, insample=hist, m=12))


# ------------------------------------------------------------ the registry


def airline_rows(with_quantiles: bool = True) -> M.Rows:
    """Two folds of a seasonal-naive forecast of Airline with +-10% / +-20% bounds."""
    series = airline()
    ys, yhats, folds, last = [], [], [], []
    for f, cut in enumerate((120, 132)):
        ys.append(series[cut : cut + 12])
        yhats.append(series[cut - 12 : cut])
        folds.append(np.full(12, f))
        last.append(np.full(12, series[cut - 1]))
    y, yhat = np.concatenate(ys), np.concatenate(yhats)
    q = {0.05: yhat * 0.8, 0.1: yhat * 0.9, 0.5: yhat, 0.9: yhat * 1.1, 0.95: yhat * 1.2}
    return M.Rows(y, yhat, fold=np.concatenate(folds), step=np.tile(np.arange(1, 13), 2),
                  scale=np.repeat([1.0, 2.0], 12), last=np.concatenate(last),
                  quantiles=q if with_quantiles else {})


def test_registry_declares_every_score_once() -> None:
    assert {"mase", "mae", "rmse", "smape", "mape", "directional_accuracy", "coverage_80", "coverage_90",
            "pinball", "crps", "width_80", "width_90", "winkler_80", "winkler_90", "log_score",
            "accuracy", "macro_f1"} <= set(M.METRICS)
    assert M.HIGHER_IS_BETTER == {"directional_accuracy", "accuracy", "macro_f1"}
    for target, keys in M.RANKING.items():
        assert all(M.METRICS[k].target == target for k in keys)
    assert M.METRICS["accuracy"].loss(0.75) == 0.25 and M.METRICS["mase"].loss(0.75) == 0.75
    with pytest.raises(ValueError, match="already"):
        M.register(M.METRICS["mae"])


def test_evaluate_equals_the_pure_functions_and_nan_where_a_need_is_missing() -> None:
    rows = airline_rows()
    got = M.evaluate(rows)
    assert got["mae"] == M.mae(rows.y, rows.yhat)
    fold0, fold1 = M.mae(rows.y[:12], rows.yhat[:12]), M.mae(rows.y[12:], rows.yhat[12:])
    assert got["mase"] == pytest.approx((fold0 / 1.0 + fold1 / 2.0) / 2)  # scales 1 and 2
    assert got["directional_accuracy"] == M.directional_accuracy(rows.y, rows.yhat, last=rows.last)
    assert got["coverage_80"] == M.coverage(rows.y, rows.yhat * 0.9, rows.yhat * 1.1)
    assert got["winkler_90"] == M.winkler(rows.y, rows.yhat * 0.8, rows.yhat * 1.2, level=0.9)
    assert got["width_80"] == pytest.approx(M.mae(rows.yhat * 0.2, np.zeros(24)))
    levels = np.array([0.05, 0.1, 0.5, 0.9, 0.95])
    q = np.stack([rows.quantiles[lv] for lv in levels], axis=-1)
    assert got["crps"] == M.crps_from_quantiles(rows.y, q, levels) and got["pinball"] == got["crps"] / 2
    assert math.isnan(got["log_score"])  # no density in these rows
    sigma = np.full(24, 15.0)
    dense = M.Rows(rows.y, rows.yhat, step=rows.step, sigma=sigma)
    assert M.evaluate(dense)["log_score"] == M.log_score_normal(rows.y, rows.yhat, sigma)
    assert len(M.by_step(dense)["log_score"]) == 12
    bare = M.evaluate(airline_rows(with_quantiles=False))
    assert all(math.isnan(bare[k]) for k in ("coverage_80", "crps", "winkler_90", "pinball"))
    assert bare["mae"] == got["mae"]
    assert set(M.evaluate(rows, "class")) == {"accuracy", "macro_f1"}


def test_crps_prefers_samples_where_rows_carry_them() -> None:
    rows = airline_rows()
    samples = rows.yhat[:, None] + np.linspace(-20, 20, 41)  # (N, S)
    with_samples = M.Rows(rows.y, rows.yhat, quantiles=rows.quantiles, samples=samples)
    assert M.evaluate(with_samples)["crps"] == M.crps_from_samples(rows.y, samples)


def test_by_step_equals_each_steps_rows_scored_alone() -> None:
    rows = airline_rows()
    steps = M.by_step(rows)
    assert {"mase", "mae", "coverage_90", "crps", "winkler_80", "width_90"} <= set(steps)
    for h in (1, 7, 12):
        at = [h - 1, 12 + h - 1]  # that step in each fold, by hand
        assert steps["mae"][h - 1] == pytest.approx(loop_mean([abs(rows.y[i] - rows.yhat[i]) for i in at]))
        hits = [rows.yhat[i] * 0.8 <= rows.y[i] <= rows.yhat[i] * 1.2 for i in at]
        assert steps["coverage_90"][h - 1] == loop_mean([float(v) for v in hits])
    assert all(len(v) == 12 for v in steps.values())


@settings(max_examples=30)
@given(same_shape(1, elements=FINITE))
def test_perfect_forecast_scores(arrs: list[np.ndarray]) -> None:
    (y,) = arrs
    for name in ("mae", "rmse", "smape"):
        assert M.METRICS[name].score(M.Rows(y, y.copy())) == 0.0
    assert M.directional_accuracy(y, y.copy(), last=0.0) == 1.0


def test_crps_rejects_bad_shapes() -> None:
    for y, x in itertools.product([np.zeros(3)], [np.zeros(3), np.zeros((4, 2))]):
        with pytest.raises(ValueError):
            M.crps_from_samples(y, x)
