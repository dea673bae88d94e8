"""forecast.models.ensemble and the seed ensemble of a fit (forecast.forecaster.fit, train.train_members).

Claims:
- build_model with seeds K holds K nets of the registered class; its output is the mean of
  theirs; its state dict is members.{k}.<the net's keys>; its parameter count is K times one;
- encode/step of the ensemble continue a window as the mean of its members' steps;
- seeds out of 1..MAX_SEEDS (or not an integer) are refused before anything is built;
- a fit with --seeds K trains net 0 exactly as the one-seed fit does, and net k from seed k;
- an ensemble Forecaster round-trips through the bundle and predicts the same;
- a warm start keeps the member count; an interrupted ensemble keeps the nets it finished
  and saves as what it holds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from forecast.bundle import from_payload, to_payload
from forecast.config import MAX_SEEDS, ModelConfig, RunConfig, TrainConfig, WindowConfig
from forecast.data.series import SeriesData
from forecast.errors import ConfigError
from forecast.forecaster import SEEDS_LARGE, SEEDS_SMALL, default_seeds, fit, resolve_run
from forecast.models.ensemble import SeedEnsemble
from forecast.models.registry import build_model
from forecast.persistence import load_bundle, save_bundle
from forecast.train import seed_everything, train_members

B, L, F, H = 3, 9, 1, 4


def config(name: str = "lstm", seeds: int | None = 3, **more: object) -> ModelConfig:
    return ModelConfig(name=name, hidden=8, layers=1, dropout=0.0, horizon=H, n_features=F,  # type: ignore[arg-type]
                       seeds=seeds, **more)


def sine(n: int = 160, seed: int = 0) -> SeriesData:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = 10 + np.sin(2 * np.pi * t / 12) + 0.1 * rng.standard_normal(n)
    frame = pd.DataFrame({"y": values}, index=pd.date_range("2000-01-01", periods=n, freq="MS"))
    return SeriesData.from_frame(frame, "y", freq="MS", source="sine", name="y")


def small_run(seeds: int | None) -> RunConfig:
    return RunConfig(window=WindowConfig(input_len=12, horizon=H, transform="level"),
                     model=ModelConfig(hidden=8, layers=1, seeds=seeds),
                     train=TrainConfig(epochs=3, device="cpu"))


@pytest.mark.parametrize("name", ["lstm", "gru", "seq2seq", "attention"])
def test_the_ensemble_averages_its_members(name: str) -> None:
    seed_everything(0)
    net = build_model(config(name))
    assert isinstance(net, SeedEnsemble) and len(net.members) == 3
    one = build_model(config(name, seeds=1))
    assert not isinstance(one, SeedEnsemble)
    assert set(net.state_dict()) == {f"members.{k}.{key}" for k in range(3) for key in one.state_dict()}
    assert sum(p.numel() for p in net.parameters()) == 3 * sum(p.numel() for p in one.parameters())
    for member in net.members:  # a fresh net outputs zeros: give the members different outputs
        for p in member.parameters():
            torch.nn.init.normal_(p, std=0.3)
    net.eval()
    x = torch.randn(B, L, F, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        out = net(x)  # (B, H, P)
        each = torch.stack([m(x) for m in net.members])  # (K, B, H, P)
    assert out.shape == (B, H, 1)
    assert torch.allclose(out, each.mean(dim=0))
    assert not torch.allclose(each[0], each[1])


def test_encode_and_step_are_the_mean_of_the_members_steps() -> None:
    seed_everything(0)
    net = build_model(config("lstm"))
    for p in net.parameters():
        torch.nn.init.normal_(p, std=0.3)
    net.eval()
    x = torch.randn(B, L, F, generator=torch.Generator().manual_seed(2))
    x_t = torch.randn(B, F, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        out0, state = net.encode(x)
        out1, _ = net.step(x_t, state)
        singles = [m.step(x_t, m.encode(x)[1])[0] for m in net.members]
    assert net.supports_step and out0.shape == (B, 1)
    assert torch.allclose(out1, torch.stack(singles).mean(dim=0))


def test_the_loss_is_the_mean_of_the_members_losses() -> None:
    net = build_model(config("gru"))
    x, y = torch.randn(B, L, F), torch.randn(B, H)
    assert torch.allclose(net.loss(x, y), torch.stack([m.loss(x, y) for m in net.members]).mean())


@pytest.mark.parametrize("seeds", [0, -1, MAX_SEEDS + 1, 10**9, 2.0, "2", True])
def test_seeds_out_of_range_are_refused(seeds: object) -> None:
    with pytest.raises(ConfigError, match="seed ensemble holds 1 to"):
        build_model(config(seeds=seeds))  # type: ignore[arg-type]


def test_no_seeds_field_is_one_net() -> None:
    """Bundles saved before the field have no seeds: one net, keys as before."""
    net = build_model(config(seeds=None))
    assert not isinstance(net, SeedEnsemble) and not any(k.startswith("members.") for k in net.state_dict())


def test_default_seeds_follow_the_length_and_the_head() -> None:
    short, long = sine(160), sine(800)  # 145 and 785 windows of 12 -> 4
    assert resolve_run(small_run(None), short).model.seeds == SEEDS_SMALL
    assert resolve_run(small_run(None), long).model.seeds == SEEDS_LARGE
    assert resolve_run(small_run(5), long).model.seeds == 5
    gaussian = RunConfig(window=small_run(None).window, model=ModelConfig(head="gaussian"))
    assert resolve_run(gaussian, long).model.seeds == 1 and default_seeds("point", 10) == SEEDS_SMALL


def test_member_zero_is_the_one_seed_net_and_the_others_differ() -> None:
    series = sine()
    single = fit(series, small_run(1))
    ensemble = fit(series, small_run(3))
    assert isinstance(ensemble.net, SeedEnsemble) and ensemble.run.model.seeds == 3
    first = ensemble.net.members[0].state_dict()
    for key, value in single.net.state_dict().items():
        assert torch.equal(first[key], value), key
    second = ensemble.net.members[1].state_dict()
    assert any(not torch.equal(second[k], v) for k, v in first.items())


def test_an_ensemble_round_trips_through_a_bundle(tmp_path: Path) -> None:
    series = sine()
    fitted = fit(series, small_run(2))
    path = tmp_path / "ens.joblib"
    save_bundle(to_payload(fitted, series, "ens"), path)
    loaded = from_payload(load_bundle(path))
    assert isinstance(loaded.net, SeedEnsemble) and loaded.run.model.seeds == 2
    np.testing.assert_allclose(loaded.predict(series).point, fitted.predict(series).point, rtol=1e-6)
    with torch.no_grad():
        x = torch.from_numpy(fitted.model_inputs(series))
        assert torch.equal(loaded.net(x), fitted.net(x))


def test_a_warm_start_keeps_the_member_count() -> None:
    series = sine()
    first = fit(series, small_run(2))
    again = fit(series, small_run(5), init_from=first)
    assert isinstance(again.net, SeedEnsemble) and len(again.net.members) == 2 and again.run.model.seeds == 2


def test_an_interrupted_ensemble_keeps_the_nets_it_finished(tmp_path: Path) -> None:
    series = sine()
    calls = {"epochs": []}

    def stop_in_second_net(step: object) -> bool:
        calls["epochs"].append(step.epoch)  # type: ignore[attr-defined]
        return bool(step.epoch > 3)  # type: ignore[attr-defined]  # net 1's first epoch is 4

    fitted = fit(series, small_run(3), on_step=stop_in_second_net)
    assert fitted.report is not None and fitted.report.interrupted
    assert isinstance(fitted.net, SeedEnsemble) and len(fitted.net.members) == 2
    assert fitted.run.model.seeds == 2 and max(calls["epochs"]) == 4
    path = tmp_path / "cut.joblib"
    save_bundle(to_payload(fitted, series, "cut"), path)
    assert from_payload(load_bundle(path)).run.model.seeds == 2


def test_train_members_one_net_is_train_network() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, L, F)).astype(np.float32)
    y = rng.standard_normal((60, H)).astype(np.float32)
    one = config(seeds=1)
    nets, report = train_members(lambda: build_model(one), 1, x[:50], y[:50], x[50:], y[50:],
                                 TrainConfig(epochs=2, patience=2, lr=1e-3, device="cpu"))
    assert len(nets) == 1 and report.epochs_run <= 2


@pytest.mark.parametrize("place", ["train", "evaluate", "toml"])
def test_seeds_is_an_option_with_its_range(place: str) -> None:
    from forecast.schema import keys_for

    key = keys_for(place)["seeds"]
    assert (key.low, key.high) == (1, MAX_SEEDS)


def test_explain_on_an_ensemble_shows_its_nets_mean_attention() -> None:
    from forecast.models.attention import explain

    series = sine(60)
    run = RunConfig(window=WindowConfig(input_len=8, horizon=3, transform="level"),
                    model=ModelConfig(name="attention", hidden=6, layers=1, seeds=2),
                    train=TrainConfig(epochs=1, device="cpu"))
    fitted = fit(series, run)
    assert isinstance(fitted.net, SeedEnsemble)
    for member in fitted.net.members:  # trained one epoch: make the members' attention differ
        for p in member.parameters():
            torch.nn.init.normal_(p, std=0.5)
    rows = explain(fitted, series)  # type: ignore[arg-type]
    each = [m.last_attention[0].double().numpy() for m in fitted.net.members]  # (H, L) each
    assert not np.allclose(each[0], each[1])
    np.testing.assert_allclose(np.stack([r["weights"] for r in rows]), np.mean(each, axis=0))


def test_train_says_how_many_nets_it_averaged(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from cli_runner import invoke

    monkeypatch.setenv("FORECAST_HOME", str(tmp_path / "home"))
    airline = Path(__file__).resolve().parent.parent / "sample_data" / "sktime_airline.csv"
    tiny = ["--epochs", "2", "--hidden", "8", "--layers", "1"]
    code, out, err = invoke(capsys, "train", airline, *tiny, "--seeds", "2", "--json")
    assert code == 0, err
    assert json.loads(out)["seeds"] == 2
    code, out, err = invoke(capsys, "train", airline, *tiny, "--seeds", "2", "--name", "two")
    assert code == 0 and "lstm x 2 seeds (averaged)" in out + err
    code, out, err = invoke(capsys, "train", airline, *tiny, "--name", "one")
    assert code == 0 and " seeds" not in out + err  # one net says nothing of seeds
    code, out, err = invoke(capsys, "predict", "--model", "two", "--json")
    assert code == 0, err
