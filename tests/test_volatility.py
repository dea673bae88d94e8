"""forecast.volatility: the ARCH test, the EWMA filter and clustered draws on processes with a
known answer (GARCH(1,1), i.i.d. and merely autocorrelated errors), then through generate on
real MSFT closes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import forecast.cli.generate_cmd  # noqa: F401  (registers the verb)
from forecast import volatility as V
from forecast.cli import main

ROOT = Path(__file__).resolve().parent.parent


def garch(n: int, seed: int, omega: float = 0.05, alpha: float = 0.12, beta: float = 0.85) -> np.ndarray:
    """A GARCH(1,1) series with Student-t(6) shocks scaled to unit variance: (n,)."""
    rng = np.random.default_rng(seed)
    shocks = rng.standard_t(6, size=n) / np.sqrt(6 / 4)
    out, var = np.empty(n), omega / (1 - alpha - beta)
    for t in range(n):
        out[t] = np.sqrt(var) * shocks[t]
        var = omega + alpha * out[t] ** 2 + beta * var
    return out


def square_autocorr(x: np.ndarray, lag: int = 1) -> float:
    """Lag autocorrelation of squares pooled over paths and steps: x (N, S)."""
    s = x**2 - (x**2).mean()
    return float((s[:, lag:] * s[:, :-lag]).mean() / (s**2).mean())


def test_chi_squared_tail_matches_the_textbook_table() -> None:
    # 95% and 99% points of chi-squared with 4 and 2 degrees of freedom
    assert V.chi2_sf_even(9.488, 4) == pytest.approx(0.05, abs=2e-4)
    assert V.chi2_sf_even(13.277, 4) == pytest.approx(0.01, abs=1e-4)
    assert V.chi2_sf_even(5.991, 2) == pytest.approx(0.05, abs=2e-4)


def test_arch_test_finds_garch_and_not_iid_or_autocorrelated_errors() -> None:
    assert all(V.arch_lm_pvalue(garch(1500, s)) < 1e-3 for s in range(5))
    rng = np.random.default_rng(0)
    iid = [V.arch_lm_pvalue(rng.standard_t(6, size=1500)) for _ in range(20)]
    assert sum(p < V.ARCH_P for p in iid) <= 2  # about 1% of them by chance
    ar = []  # AR(1) errors, phi 0.9: autocorrelated, constant variance
    for _ in range(20):
        e, shocks = np.zeros(1500), rng.normal(size=1500)
        for t in range(1, 1500):
            e[t] = 0.9 * e[t - 1] + shocks[t]
        ar.append(V.arch_lm_pvalue(e))
    assert sum(p < V.ARCH_P for p in ar) <= 2


def test_noise_model_needs_enough_errors() -> None:
    assert V.noise_model(garch(V.MIN_ERRORS - 1, 0)).kind == "bootstrap"
    model = V.noise_model(garch(2000, 1))
    assert model.kind == "clustered" and 0.80 <= model.lam <= 0.99
    assert "clusters" in model.describe() and "independently" in V.noise_model(np.ones(10)).describe()


def test_lambda_tracks_the_persistence_of_the_process() -> None:
    slow = V.best_lambda(garch(4000, 2, omega=0.01, alpha=0.04, beta=0.95))
    fast = V.best_lambda(garch(4000, 2, omega=0.3, alpha=0.3, beta=0.4))
    assert slow > fast


def test_clustered_draws_cluster_and_start_at_todays_volatility() -> None:
    errors = garch(2000, 3)
    model = V.noise_model(errors)
    rng = np.random.default_rng(0)
    clustered = V.draw(errors, model, 2000, 60, rng)  # (N, S)
    plain = V.draw(errors, V.NoiseModel("bootstrap", 0.5), 2000, 60, rng)
    data = square_autocorr(errors[None, :])  # about 0.19 for this process
    assert square_autocorr(clustered) > 0.5 * data and abs(square_autocorr(plain)) < 0.03
    # the spread of the first step follows the volatility at the end of the errors
    calm = np.concatenate([errors, 0.2 * errors[-200:]])
    wild = np.concatenate([errors, 3.0 * errors[-200:]])
    first_calm = V.draw(calm, V.noise_model(calm), 4000, 1, rng)[:, 0].std()
    first_wild = V.draw(wild, V.noise_model(wild), 4000, 1, rng)[:, 0].std()
    assert first_calm < 0.6 * errors.std() and first_wild > 1.8 * errors.std()
    # the EWMA variance is a martingale: the mean square stays at the starting variance
    start = V.ewma_variance(errors, model.lam)[-1]
    assert np.mean(clustered[:, -10:] ** 2) == pytest.approx(start, rel=0.3)


def test_generate_on_real_prices_draws_clustered_volatility(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MSFT's daily log returns cluster: generate says so and its paths' returns cluster too,
    where the same model's independent draws (the test switched off) do not."""
    import pandas as pd

    main_args = ["train", str(ROOT / "sample_data" / "pmdarima_msft.csv"), "--transform", "logret",
                 "--epochs", "2", "--hidden", "8", "--layers", "1", "--quiet", "--model-dir", str(tmp_path)]
    with pytest.raises(SystemExit) as done:
        main(main_args)
    assert done.value.code in (0, None)
    capsys.readouterr()

    def generated() -> tuple[str, float]:
        out_csv = tmp_path / "paths.csv"
        with pytest.raises(SystemExit) as done:
            main(["generate", "--model-dir", str(tmp_path), "--steps", "120", "--paths", "400", "--json",
                  "--output", str(out_csv)])
        assert done.value.code in (0, None)
        doc = json.loads(capsys.readouterr().out)
        table = pd.read_csv(out_csv)
        levels = table.pivot(index="path", columns="step", values="value").to_numpy()  # (N, S)
        returns = np.diff(np.log(levels), axis=1)
        return doc["noise"], square_autocorr(returns - returns.mean(axis=1, keepdims=True))

    noise, clustered = generated()
    monkeypatch.setattr(V, "ARCH_P", 0.0)  # never clustered: the plain bootstrap
    plain_noise, plain = generated()
    assert noise.startswith("volatility clusters") and plain_noise.startswith("errors drawn independently")
    assert clustered > 0.02 > abs(plain), (clustered, plain)
