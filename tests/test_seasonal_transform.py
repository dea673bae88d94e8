"""Seasonal differences (sdiff, slogret): the deseasonalised inputs of issue 12."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from forecast.config import DataSpec
from forecast.data.csv import read_csv_series
from forecast.forecaster import choose_seasonal, seasonal_strength
from forecast.transforms import Scaler, TargetPipeline, apply_transform, invert_transform


@pytest.fixture(scope="module")
def airline(sample_data: Path):
    return read_csv_series(DataSpec(path=str(sample_data / "sktime_airline.csv")))


@pytest.mark.parametrize("kind", ["sdiff", "slogret"])
def test_inverse_round_trip_on_real_data(airline, kind: str) -> None:
    y, m = airline.y, 12
    pipe = TargetPipeline(kind, Scaler("standard"), season=m).fit(y[:120, None])
    _, z = pipe.to_model_space(y[:, None])  # (T - m,)
    assert len(z) == len(y) - m and pipe.rows_lost == m
    # from the m levels before row 100, the model-space values of rows 100..135 give them back
    levels = pipe.to_levels(z[100 - m : 136 - m], pipe.anchor(y[:100]))
    np.testing.assert_allclose(levels, y[100:136], rtol=1e-10)
    # and many paths at once, each from its own anchor
    anchors = np.stack([y[o - m : o] for o in (50, 80)])  # (2, m)
    both = pipe.to_levels(np.stack([z[50 - m : 70 - m], z[80 - m : 100 - m]]), anchors)
    np.testing.assert_allclose(both, np.stack([y[50:70], y[80:100]]), rtol=1e-10)


def test_a_zero_output_is_seasonal_naive(airline) -> None:
    y, m = airline.y, 12
    for kind in ("sdiff", "slogret"):
        pipe = TargetPipeline(kind, Scaler("standard"), season=m).fit(y[:120, None])
        assert pipe.scaler.center[0] == 0.0 and pipe.scaler.scale[0] > 0  # scaled, not centred
        same = pipe.to_levels(np.zeros(24), pipe.anchor(y[:120]))
        np.testing.assert_allclose(same, np.tile(y[108:120], 2))  # seasonal naive, two seasons


def test_no_look_ahead(airline) -> None:
    y, m = airline.y.copy(), 12
    pipe = TargetPipeline("slogret", Scaler("standard"), season=m).fit(y[:100, None])
    before, _ = pipe.to_model_space(y[:, None])
    changed = y.copy()
    changed[100:] *= 3.0  # everything after the training rows
    refit = TargetPipeline("slogret", Scaler("standard"), season=m).fit(changed[:100, None])
    after, _ = refit.to_model_space(changed[:, None])
    np.testing.assert_array_equal(refit.scaler.center, pipe.scaler.center)
    np.testing.assert_array_equal(after[: 100 - m], before[: 100 - m])  # rows < 100 unchanged
    assert not np.allclose(after[100 - m :], before[100 - m :])


def test_auto_deseasonalises_seasonal_series_only(airline) -> None:
    assert seasonal_strength(airline.y, 12) > 0.5
    assert choose_seasonal(airline, 12) == "slogret"  # positive: seasonal log changes
    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.normal(0, 1, 240))
    assert seasonal_strength(walk, 12) < 0.5
    assert apply_transform("sdiff", np.arange(30.0), 12).tolist() == [12.0] * 18
    assert invert_transform("sdiff", np.array([1.0, 1.0]), np.array([5.0, 7.0])).tolist() == [6.0, 8.0]
