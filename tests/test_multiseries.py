"""Many series of one long-format file: a model per series (parallel) and one global model."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from cli_runner import invoke

from forecast import api, registry
from forecast import multiseries as M
from forecast.config import DataSpec, ModelConfig, RunConfig, TrainConfig, WindowConfig
from forecast.errors import ConfigError, NotFoundError
from forecast.persistence import load_bundle

FILE = "nyse_prices_split_adjusted_4sym.csv"
SYMBOLS = ["AAL", "DOW", "EQIX", "ZION"]
TINY = ["--input-len", "5", "--horizon", "2", "--hidden", "4", "--layers", "1", "--epochs", "1",
        "--batch-size", "512", "--device", "cpu"]


def tiny_run(path: Path) -> RunConfig:
    return RunConfig(DataSpec(path=str(path)), WindowConfig(input_len=5, horizon=2),
                     ModelConfig(hidden=4, layers=1), TrainConfig(epochs=1, batch_size=512, device="cpu"))


@pytest.fixture()
def prices(shared_data: Path) -> Path:
    return shared_data / FILE


def test_all_series_in_parallel_match_a_serial_fit(prices: Path, tmp_path: Path) -> None:
    run = tiny_run(prices)
    done = M.train_all_series(run, jobs=2, model_dir=tmp_path)
    names = [f"nyse_prices_split_adjusted_4sym-{s}-lstm" for s in SYMBOLS]
    assert [(d.symbol, d.name, d.error) for d in done] == [(s, n, None) for s, n in zip(SYMBOLS, names)]
    assert registry.model_names(tmp_path / "models") == names
    parallel = load_bundle(Path(done[2].path))  # type: ignore[arg-type]
    eqix = M.load_all(run, ["EQIX"])[0]
    serial = M.fit_payload((eqix, replace(run, data=replace(run.data, series="EQIX")), names[2]))
    assert serial.payload is not None and parallel["data"]["fingerprint"] == eqix.fingerprint()
    for key, weights in serial.payload["weights"].items():
        np.testing.assert_array_equal(weights, parallel["weights"][key])  # --jobs changes nothing
    result = api.predict(model=names[0], model_dir=tmp_path)  # re-reads AAL's rows of the file
    assert result.series.name == "AAL" and result.forecast.point.shape == (2,)


def test_global_model_predicts_for_any_series(prices: Path, tmp_path: Path) -> None:
    run = tiny_run(prices)
    name, path, model = M.train_global(run, model_dir=tmp_path)
    assert name == "nyse_prices_split_adjusted_4sym-global-lstm"
    assert model.names == tuple(SYMBOLS) and model.run.model.n_features == 1 + 4
    assert {p.transform for p in model.pipelines.values()} == {"logret"}  # auto: prices
    centers = {s: float(p.scaler.center[0]) for s, p in model.pipelines.items()}
    assert len(set(centers.values())) == 4  # each series scaled by its own pipeline
    payload = load_bundle(path)
    assert payload["kind"] == "global" and payload["series"] == SYMBOLS
    assert set(payload["data"]) == set(SYMBOLS) and "pipeline" not in payload
    for symbol in ("aal", "ZION"):
        forecaster = M.forecaster_for(payload, symbol)
        series = api.load_series(forecaster.run.data)
        assert series.name == symbol.upper()
        forecast = forecaster.predict(series)
        assert forecast.index[0] > series.index[-1] and forecast.point.shape == (2,)
        direct = model.forecaster(symbol.upper()).predict(series).point
        np.testing.assert_allclose(forecast.point, direct, rtol=1e-6)
        assert abs(np.log(forecast.point[0] / series.y[-1])) < 0.5  # on the series' own scale
    with pytest.raises(NotFoundError, match="knows no series 'MSFT'; it predicts for AAL, DOW"):
        M.forecaster_for(payload, "MSFT")
    with pytest.raises(ConfigError, match="global model of 4 series; pick one with --series"):
        M.forecaster_for(payload, None)


def test_single_series_file_is_refused(sample_data: Path) -> None:
    with pytest.raises(ConfigError, match="no symbol column"):
        M.symbols(sample_data / "sktime_airline.csv")


def test_train_many_renders_and_checks_flags(prices: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from forecast.cli.series_cmd import train_many

    run = tiny_run(prices)
    train_many(run, all_series=False, global_model=True, model_dir=str(tmp_path), json_out=True)
    doc = json.loads(capsys.readouterr().out)
    assert doc["series"] == SYMBOLS and doc["model"].endswith("-global-lstm")
    with pytest.raises(ConfigError, match="give one of --all-series"):
        train_many(run, all_series=True, global_model=True)
    with pytest.raises(ConfigError, match="--series AAL picks one series"):
        train_many(replace(run, data=replace(run.data, series="AAL")), all_series=True,
                   global_model=False)


def test_cli_all_series_and_global(prices: Path, model_home: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    def run_cli(args: list[str]) -> tuple[int, str, str]:
        return invoke(capsys, *args)

    code, out, err = run_cli(["train", str(prices), "--all-series", "--jobs", "2", *TINY, "--json"])
    assert code == 0, err
    assert [m["series"] for m in json.loads(out)["models"]] == SYMBOLS
    code, out, err = run_cli(["train", str(prices), "--global", *TINY, "-q"])
    assert code == 0, err and "trained global" in out
    code, out, err = run_cli(["predict", "--model", "nyse_prices_split_adjusted_4sym-global-lstm",
                              "--series", "DOW", "--json"])
    assert code == 0, err
    assert json.loads(out)["series"] == "DOW"
