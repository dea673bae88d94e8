"""The intervals bench's noise figures (bench/bench_intervals.py): what a perfectly calibrated
band would score on a series' distinct target rows."""

from __future__ import annotations

import numpy as np
import pytest

from bench.bench_intervals import noise_summary, perfect_band


def test_a_perfect_band_on_one_row_is_all_or_nothing() -> None:
    within, mae = perfect_band(1, 0.8, 8.0)
    assert within == 0.0
    assert mae == pytest.approx(0.8 * 20 + 0.2 * 80)


def test_a_perfect_band_matches_a_simulation() -> None:
    rng = np.random.default_rng(0)
    off = 100 * np.abs(rng.binomial(33, 0.8, size=200_000) / 33 - 0.8)
    within, mae = perfect_band(33, 0.8, 8.0)
    assert within == pytest.approx(np.mean(off <= 8.0 + 1e-9), abs=0.005)
    assert mae == pytest.approx(off.mean(), abs=0.05)
    assert perfect_band(1440, 0.9, 8.0)[0] > 0.999 > perfect_band(33, 0.9, 8.0)[0]


def test_the_noise_summary_names_the_series_outside_noise() -> None:
    text = noise_summary({"short": (12.5, 6.7), "long": (-11.4, -8.6), "calm": (0.0, 0.0)},
                         {"short": 33, "long": 99, "calm": 360})
    assert "2 of 3" in text and "long -11 (99 rows" in text and "short" not in text.split("outside:")[1].split(".")[0]
    assert "short alone, 33 rows" in text
