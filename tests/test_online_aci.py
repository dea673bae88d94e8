"""Online adaptive conformal inference while test rows arrive (predict --rolling, evaluate
--test): the update rule by hand, and on real Airline months after the fit the rolling
intervals move the way the outcomes say, against the same model's levels frozen at the fit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from forecast import api
from forecast import conformal as C
from forecast.config import DataSpec, ModelConfig, RunConfig, TrainConfig, WindowConfig

ROOT = Path(__file__).resolve().parent.parent


def test_update_moves_only_the_step_and_levels_the_outcome_judges() -> None:
    levels = (0.05, 0.5, 0.95)
    state = {"levels": list(levels), "taus": np.array([[0.05, 0.05], [0.5, 0.5], [0.95, 0.95]]), "gamma": 0.1}
    bounds = {0.05: np.array([1.0, 1.0]), 0.5: np.array([2.0, 2.0]), 0.95: np.array([3.0, 3.0])}
    C.update_online(state, bounds, actual=5.0, step=1)  # above the upper bound at step 2
    np.testing.assert_allclose(state["taus"][:, 0], [0.05, 0.5, 0.95])  # step 1 untouched
    # upper: missed above -> tau + 0.1 * 0.95; lower: not below -> tau + 0.1 * 0.05
    np.testing.assert_allclose(state["taus"][:, 1], [0.05 + 0.005, 0.5, 0.95 + 0.095])
    C.update_online(state, bounds, actual=0.0, step=0)  # below the lower bound at step 1
    np.testing.assert_allclose(state["taus"][:, 0], [0.05 - 0.095, 0.5, 0.95 - 0.005])
    before = state["taus"].copy()
    C.update_online(state, bounds, actual=float("nan"), step=0)  # unknown outcome: no update
    C.update_online({}, bounds, actual=1.0, step=0)  # no state (no intervals): nothing to do
    np.testing.assert_array_equal(state["taus"], before)


def _coverage(table: dict[str, list[float]]) -> float:
    y = np.asarray(table["y"], dtype=float)
    lo, hi = np.asarray(table["q0.05"], dtype=float), np.asarray(table["q0.95"], dtype=float)
    known = np.isfinite(y)
    return float(np.mean((y[known] >= lo[known]) & (y[known] <= hi[known])))


def _width(table: dict[str, list[float]]) -> float:
    return float(np.mean(np.asarray(table["q0.95"], dtype=float) - np.asarray(table["q0.05"], dtype=float)))


@pytest.mark.parametrize("regime", ["wilder", "as it was"])
def test_rolling_intervals_adapt_to_the_test_rows(regime: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real Airline months after the fit, as they were (the fit's 90% band over-covers them:
    online ACI narrows it) or with 30% multiplicative noise and a 30% level shift (the band
    under-covers: online ACI widens it and covers at least as much)."""
    lines = (ROOT / "sample_data" / "sktime_airline.csv").read_text().splitlines()
    head, rows = lines[0], lines[1:]
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    train.write_text("\n".join([head, *rows[:96]]) + "\n")
    rng = np.random.default_rng(0)
    factor = (lambda: 1.3 + 0.3 * rng.standard_normal()) if regime == "wilder" else (lambda: 1.0)
    test.write_text("\n".join([head, *[f"{r.split(',')[0]},{float(r.split(',')[1]) * factor():g}"
                                        for r in rows[96:]]]) + "\n")
    run = RunConfig(DataSpec(path=str(train)), WindowConfig(horizon=6), ModelConfig(hidden=8, layers=1),
                    TrainConfig(epochs=3, device="cpu"))
    api.train(run, name="air", model_dir=tmp_path)
    before = api.predict(model="air", model_dir=tmp_path).forecast.quantiles[0.95]
    online = api.predict(model="air", data=str(test), rolling=True, model_dir=tmp_path).rolling
    monkeypatch.setattr(C, "update_online", lambda *args, **kwargs: None)  # levels frozen at the fit
    frozen = api.predict(model="air", data=str(test), rolling=True, model_dir=tmp_path).rolling
    assert online is not None and frozen is not None
    assert frozen["yhat"] == online["yhat"]  # the points do not change, only the levels
    if regime == "wilder":
        assert _coverage(frozen) < 0.9 and _width(online) > 1.05 * _width(frozen)
        assert _coverage(online) >= _coverage(frozen)
    else:
        assert _coverage(frozen) > 0.9 and _width(online) < _width(frozen)
    # the saved model is untouched: a plain predict after the rolling runs gives the fit's bands
    after = api.predict(model="air", model_dir=tmp_path).forecast.quantiles[0.95]
    np.testing.assert_array_equal(after, before)
