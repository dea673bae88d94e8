"""Many series of one long-format file: a model per series (parallel) and one global model."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from cli_runner import invoke

from forecast import api, registry
from forecast import multiseries as M
from forecast.config import DataSpec, ModelConfig, RunConfig, TrainConfig, WindowConfig
from forecast.errors import ConfigError, ModelFileError, NotFoundError
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
    assert code == 0, err
    assert "trained global" in out and "the network forecasts" in out and " of 4 series" in out
    code, out, err = run_cli(["train", str(prices), "--global", *TINY, "--json"])
    assert code == 0, err
    assert sum(json.loads(out)["chosen"].values()) == 4  # each series: the network or a baseline
    code, out, err = run_cli(["predict", "--model", "nyse_prices_split_adjusted_4sym-global-lstm",
                              "--series", "DOW", "--json"])
    assert code == 0, err
    assert json.loads(out)["series"] == "DOW"


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every time the source file is parsed."""
    from forecast.data import sources

    calls: list[str] = []
    real = sources.read_cells

    def counted(spec: DataSpec):  # type: ignore[no-untyped-def]
        calls.append(str(spec.path))
        return real(spec)

    monkeypatch.setattr(sources, "read_cells", counted)
    return calls


def test_all_series_parse_a_long_file_once(prices: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from forecast.data.sources import load_series

    run = tiny_run(prices)
    calls = _count_reads(monkeypatch)
    every = M.load_all(run)
    assert len(calls) == 1 and [s.name for s in every] == SYMBOLS
    picked = M.load_all(run, ["zion", "AAL"])  # case-insensitive, in the order asked
    assert len(calls) == 2 and [s.name for s in picked] == ["ZION", "AAL"]
    for series in every:  # the same series as reading each one on its own
        alone = load_series(replace(run.data, series=series.name))
        assert alone.fingerprint() == series.fingerprint() and alone.notes == series.notes
        assert alone.freq == series.freq and alone.source == series.source
    with pytest.raises(NotFoundError, match="no series 'MSFT' in column 'symbol'; available: AAL"):
        M.load_all(run, ["MSFT"])


def test_wide_file_columns_parse_once(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from forecast.data.sources import load_series

    wide = shared_data / "tuning" / "fpp2_visnights_wide_quarterly.csv"
    spec = DataSpec(path=str(wide), targets=("all",))
    calls = _count_reads(monkeypatch)
    every = M.load_all(RunConfig(spec))
    assert len(calls) == 1 and len(every) == 20 and every[0].name == "NSWMetro"
    alone = load_series(replace(spec, series="QLDMetro"))
    series = next(s for s in every if s.name == "QLDMetro")
    assert alone.fingerprint() == series.fingerprint() and series.freq == alone.freq


def test_embedded_ids_save_load_and_predict(prices: Path, tmp_path: Path) -> None:
    from forecast.persistence import save_bundle

    run = tiny_run(prices)
    model = M.fit_global(M.load_all(run), run, ids="embedding")
    width = M.embedding_dim(4)
    assert model.net.encoding == "embedding" and model.run.model.n_features == 1 + width
    table = model.net.embedding.weight.detach().numpy()  # type: ignore[union-attr]
    assert table.shape == (4, width)
    assert {len(r) for r in model.residuals.values()} == {M.GLOBAL_RESIDUAL_WINDOWS}  # the recent ones
    payload = M.to_global_payload(model, M.load_all(run), "emb")
    assert payload["series_ids"] == {"encoding": "embedding", "columns": width}
    np.testing.assert_array_equal(payload["weights"][M.EMBEDDING_KEY], table)
    path = tmp_path / "emb.joblib"
    save_bundle(payload, path)
    loaded = load_bundle(path)  # the safe format: plain data and arrays only
    for symbol in SYMBOLS:
        series = api.load_series(replace(run.data, series=symbol))
        again = M.forecaster_for(loaded, symbol).predict(series).point
        np.testing.assert_allclose(again, model.forecaster(symbol).predict(series).point, rtol=1e-6)
    # what the shared network reads: each window's inputs followed by its series' embedding row
    x = torch.zeros(4, 3, 2)  # (B, L, F + 1): one feature, then the series index
    x[:, :, 1] = torch.arange(4.0)[:, None]
    codes = model.net.with_ids(x).detach().numpy()  # (B, L, F + D)
    np.testing.assert_array_equal(codes[:, :, 1:], np.repeat(table[:, None, :], 3, axis=1))
    loaded["weights"][M.EMBEDDING_KEY] = table[:3]
    with pytest.raises(ModelFileError, match="damaged or from another forecast version"):
        M.from_global_payload(loaded)


def test_auto_ids_and_one_hot_bundles_from_before_the_embedding(prices: Path) -> None:
    assert M.id_encoding(4) == ("onehot", 4)
    assert M.id_encoding(M.ONEHOT_MAX + 1) == ("embedding", M.embedding_dim(M.ONEHOT_MAX + 1))
    assert M.id_encoding(1000, "onehot") == ("onehot", 1000)
    with pytest.raises(ConfigError, match="choose auto, onehot, embedding"):
        M.id_encoding(4, "hash")
    run = tiny_run(prices)
    all_series = M.load_all(run)
    model = M.fit_global(all_series, run)
    payload = M.to_global_payload(model, all_series, "old")
    assert M.EMBEDDING_KEY not in payload["weights"]
    del payload["series_ids"]  # what forecast saved before the embedding: one-hot, same weights
    old = M.from_global_payload(payload)
    assert old.net.encoding == "onehot"
    series = all_series[1]
    np.testing.assert_allclose(old.forecaster(series.name).predict(series).point,
                               model.forecaster(series.name).predict(series).point, rtol=1e-6)


def test_global_size_and_schedule_come_from_all_windows(prices: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from forecast.train import resolve_training
    from forecast.windows import n_windows

    all_series = M.load_all(tiny_run(prices))
    run = RunConfig(DataSpec(path=str(prices)), WindowConfig(input_len=5, horizon=2),
                    train=TrainConfig(device="cpu"))
    windows = sum(n_windows(len(s), 5, 2) for s in all_series)
    resolved = M.global_run(all_series, run, 3)
    assert (resolved.model.hidden, resolved.model.layers) == (64, 2)  # 7,000 windows: not small data
    assert resolved.train.epochs == resolve_training(replace(run.train, lr=1e-3), windows).epochs
    assert resolved.train.batch_size == 32 and resolved.model.n_features == 1 + 3
    monkeypatch.setattr(M, "EPOCH_BATCHES", windows // (2 * M.GLOBAL_BATCH))  # more windows than an epoch
    assert M.global_run(all_series, run).train.batch_size == M.GLOBAL_BATCH
    asked = replace(run, train=replace(run.train, batch_size=48))
    assert M.global_run(all_series, asked).train.batch_size == 48  # what the user asked stays


def test_each_series_of_a_global_model_has_the_floor(prices: Path, tmp_path: Path) -> None:
    """Per series, the global net is used only where it beats the simple baselines on that
    series' validation windows; elsewhere the best baseline forecasts, saved and reloaded."""
    from forecast.persistence import save_bundle
    from forecast.selection import baseline_forecast, table

    run = tiny_run(prices)
    all_series = M.load_all(run)
    model = M.fit_global(all_series, run)
    assert set(model.choices) == set(SYMBOLS)
    for series in all_series:
        choice = model.choices[series.name]
        assert choice["windows"] >= M.MIN_SERIES_ORIGINS and {"lstm", "naive", "drift"} <= set(choice["scores"])
        best_baseline = min((k for k in choice["scores"] if k in table(False)), key=choice["scores"].get)
        net_wins = choice["scores"]["lstm"] < choice["scores"][best_baseline]
        assert choice["member"] == ("lstm" if net_wins else best_baseline)
        point = model.forecaster(series.name).predict(series).point
        if not net_wins:  # the forecast is that baseline's, from the series' own rows
            expected = baseline_forecast(best_baseline, series.y, 2, choice["season"], False)
            np.testing.assert_allclose(point, expected, rtol=1e-9)
    # a network scrambled past usefulness loses to a baseline on every series
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.net.parameters():
            p.normal_(0.0, 3.0)
    parts = []
    for k, series in enumerate(all_series):
        x, y = M._series_windows(series, k, model.run, model.pipelines[series.name])
        train, val = M.split_validation(len(x), model.run.model.horizon, model.run.train.val_fraction)
        parts.append((x, y, train, val))
    scrambled = {s.name: M.series_choice(s, model.net, model.pipelines[s.name], p, model.run)
                 for s, p in zip(all_series, parts)}
    assert all(c["kind"] == "baseline" for c in scrambled.values()), scrambled
    # the choices travel in the bundle, checked exactly on the way back
    model.choices = scrambled
    payload = M.to_global_payload(model, all_series, "floor")
    path = tmp_path / "floor.joblib"
    save_bundle(payload, path)
    loaded = load_bundle(path)
    aal, chosen = all_series[0], scrambled["AAL"]
    assert M.forecaster_for(loaded, "AAL").chosen.member == chosen["member"]
    np.testing.assert_allclose(M.forecaster_for(loaded, "AAL").predict(aal).point,
                               baseline_forecast(chosen["member"], aal.y, 2, chosen["season"], False), rtol=1e-9)
    for bad in ({"AAL": {"member": "autoets", "kind": "peer"}}, {"MSFT": {"member": "naive", "kind": "baseline"}},
                {"AAL": ["naive"]}, ["AAL"], {"AAL": {"member": "naive", "kind": "net"}}):
        with pytest.raises(ModelFileError, match="damaged or from another forecast version"):
            M.from_global_payload({**loaded, "choices": bad})
