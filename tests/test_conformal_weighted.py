"""Weighted conformal levels (forecast.conformal.weighted_levels, age_weights): equal weights
give the plain bounds, any weights give the weighted quantile of a direct loop, ages follow the
distinct origins, and on simulated errors: growing errors are covered closer to nominal than by
the plain bound, exchangeable ones still at nominal."""

from __future__ import annotations

import numpy as np

from forecast import conformal


def _bounds(scores: np.ndarray, taus: np.ndarray) -> np.ndarray:
    """Plain conformal bounds (Q, H) of scores (N, H) at levels (Q, H), upper where tau > 1/2."""
    srt = np.sort(scores, axis=0)
    return np.array([[conformal.bound(srt[:, [h]], t, upper=t > 0.5)[0] for h, t in enumerate(row)]
                     for row in taus])


def _direct(scores: np.ndarray, weights: np.ndarray, tau: float) -> float:
    """The weighted quantile of sum_i w_i delta(s_i) + delta(+-inf) over sum w + 1 by a loop over
    the candidates; nan where it is infinite."""
    total = weights.sum() + 1.0
    if tau > 0.5:  # smallest s with weight(scores <= s) >= tau
        good = [s for s in np.sort(scores) if weights[scores <= s].sum() / total >= tau - 1e-12]
        return float(good[0]) if good else np.nan
    good = [s for s in np.sort(scores) if weights[scores >= s].sum() / total >= 1 - tau - 1e-12]
    return float(good[-1]) if good else np.nan


def test_equal_weights_give_the_plain_bounds() -> None:
    rng = np.random.default_rng(0)
    for n in (3, 7, 40, 199):
        scores = rng.standard_normal((n, 3))
        taus = rng.uniform(0.0, 1.0, (6, 3))
        taus[taus == 0.5] = 0.4
        got = conformal.weighted_levels(scores, taus, np.ones(n))
        np.testing.assert_allclose(_bounds(scores, got), _bounds(scores, taus))


def test_weighted_levels_give_the_weighted_quantile_of_a_direct_loop() -> None:
    rng = np.random.default_rng(1)
    for n in (5, 30, 120):
        scores = rng.standard_normal((n, 2))
        weights = rng.uniform(0.05, 1.0, n)
        taus = np.array([[0.05, 0.1], [0.2, 0.35], [0.8, 0.9], [0.95, 0.97]])
        got = _bounds(scores, conformal.weighted_levels(scores, taus, weights))
        for j in range(len(taus)):
            for h in range(2):
                want = _direct(scores[:, h], weights, taus[j, h])
                if np.isfinite(want):
                    assert got[j, h] == want, (n, taus[j, h])
                else:  # beyond the weights: the bound's tail, outside every score
                    assert got[j, h] >= scores[:, h].max() if taus[j, h] > 0.5 else got[j, h] <= scores[:, h].min()


def test_ages_follow_the_distinct_origins() -> None:
    origins = np.array([10, 10, 20, 20, 30, 30])  # mirrored rows share their origin
    w = conformal.age_weights(origins, 0.5)  # half-life 1.5 origins: ages 3, 2, 1
    np.testing.assert_allclose(w, 0.5 ** (np.array([3, 3, 2, 2, 1, 1]) / 1.5))
    np.testing.assert_array_equal(conformal.age_weights(origins, 0.0), np.ones(6))


def test_weights_cover_growing_errors_closer_than_the_plain_bound() -> None:
    """200 error rows whose sd grows linearly from 1 to 2 (a10's and elecdemand's later rows
    are 1.2 to 1.5x the earlier ones), 30 seeds, the next rows drawn at sd 2: the plain 80%
    band under-covers them, the weighted one (half-life a quarter of the rows) less."""
    levels = (0.1, 0.9)
    plain, weighted = [], []
    for seed in range(30):
        rng = np.random.default_rng(seed)
        errors = (rng.standard_normal(200) * np.linspace(1, 2, 200))[:, None]
        future = 2 * rng.standard_normal(2000)
        taus = np.array(levels)[:, None]
        w = conformal.age_weights(np.arange(200), 0.25)
        for out, t in ((plain, taus), (weighted, conformal.weighted_levels(errors, taus, w))):
            lo, hi = _bounds(errors, t)[:, 0]
            out.append(np.mean((future >= lo) & (future <= hi)))
    assert np.mean(plain) < 0.75 and np.mean(weighted) > np.mean(plain) + 0.02
    assert abs(np.mean(weighted) - 0.8) < abs(np.mean(plain) - 0.8)


def test_weights_keep_nominal_coverage_on_exchangeable_errors() -> None:
    """Exchangeable errors (the weighted bound's guarantee, Barber et al. 2023: coverage at
    least nominal, here within 2 points on average over 40 seeds of 100 rows)."""
    cover = []
    for seed in range(40):
        rng = np.random.default_rng(100 + seed)
        errors = rng.standard_t(5, (100, 1))
        future = rng.standard_t(5, 2000)
        t = conformal.weighted_levels(errors, np.array([[0.1], [0.9]]), conformal.age_weights(np.arange(100), 0.25))
        lo, hi = _bounds(errors, t)[:, 0]
        cover.append(np.mean((future >= lo) & (future <= hi)))
    assert 0.78 < np.mean(cover) < 0.86



def test_a_fit_weights_its_rows_by_the_age_of_their_origins(monkeypatch) -> None:  # noqa: ANN001
    """A fit hands calibrate its rows' time-ordered origins; with a half-life set, its saved
    levels are the weighted ones of its own scores at those origins, else DtACI's."""
    from forecast.forecaster import fit
    from tests.test_conformal import short_walk

    series, run = short_walk()
    seen: list[np.ndarray] = []
    calibrate = conformal.calibrate

    def spy(*args, **kw):  # noqa: ANN002, ANN003, ANN202
        seen.append(np.asarray(kw["origins"]))
        return calibrate(*args, **kw)

    monkeypatch.setattr(conformal, "calibrate", spy)
    plain = fit(series, run)
    monkeypatch.setattr(conformal, "WEIGHT_HALF_LIFE", 0.25)
    weighted = fit(series, run)
    assert plain.baseline is not None and len(seen) == 2
    origins = seen[-1]
    assert len(origins) == len(weighted.calibration) >= 10 and np.all(np.diff(origins) > 0)
    rows = np.asarray(weighted.calibration) * np.asarray(weighted.conformal["row_scale"])[:, None]
    scores = conformal.cumulate(rows, weighted.pipeline.transform, weighted.pipeline.season)
    want = conformal.weighted_levels(scores, np.asarray(plain.conformal["taus"]),
                                     conformal.age_weights(origins, 0.25))
    np.testing.assert_allclose(weighted.conformal["taus"], want)
    assert not np.allclose(weighted.conformal["taus"], plain.conformal["taus"])


def test_the_growth_gate_weights_only_growing_rows(monkeypatch) -> None:  # noqa: ANN001
    """WEIGHT_GROWTH 1: rows whose later half is larger get the weighted levels, rows that
    settle keep the unweighted ones."""
    rng = np.random.default_rng(7)
    base = rng.standard_normal((120, 2))
    growing, settling = base * np.linspace(1, 2, 120)[:, None], base * np.linspace(2, 1, 120)[:, None]
    levels, origins = (0.1, 0.9), np.arange(120)
    plain = {k: conformal.calibrate(e, "level", 1, levels, "t", origins=origins)["taus"]
             for k, e in (("g", growing), ("s", settling))}
    monkeypatch.setattr(conformal, "WEIGHT_HALF_LIFE", 0.25)
    monkeypatch.setattr(conformal, "WEIGHT_GROWTH", 1.0)
    gated = {k: conformal.calibrate(e, "level", 1, levels, "t", origins=origins)["taus"]
             for k, e in (("g", growing), ("s", settling))}
    np.testing.assert_array_equal(gated["s"], plain["s"])
    want = conformal.weighted_levels(growing, plain["g"], conformal.age_weights(origins, 0.25))
    np.testing.assert_allclose(gated["g"], want)
    assert not np.allclose(gated["g"], plain["g"])
