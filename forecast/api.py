"""The library's front door: what each CLI verb calls. Never prints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from forecast.config import DataSpec, RunConfig
from forecast.data.series import SeriesData
from forecast.errors import ConfigError

if False:  # typing only; keeps torch out of import time
    from forecast.forecaster import Forecast, Forecaster
    from forecast.threads import ThreadChoice
    from forecast.train import EpochStats, StepStats


def load_series(spec: DataSpec, snapshots: Path | None = None) -> SeriesData:
    """Read the series a DataSpec names: a CSV file or a cached Yahoo ticker.

    With ``snapshots`` (a folder), an unchanged CSV is loaded from its parsed
    snapshot there (numpy only) instead of being parsed again with pandas.
    """
    if spec.ticker and spec.path:
        raise ConfigError("give either a CSV path or --ticker, not both")
    if spec.ticker:
        from forecast.data.cache import series_from_cache

        return series_from_cache(spec)
    if not spec.path:
        raise ConfigError("no data: give a CSV path (forecast train prices.csv) or --ticker SYMBOL")
    def read_csv(spec: DataSpec) -> SeriesData:
        from forecast.data.csv import read_csv_series

        return read_csv_series(spec)

    if snapshots is None:
        return read_csv(spec)
    from forecast.data.snapshot import read_with_snapshot

    return read_with_snapshot(spec, snapshots, read_csv)


@dataclass(frozen=True)
class TrainResult:
    name: str
    path: Path
    forecaster: "Forecaster"
    series: SeriesData
    forecast: "Forecast"
    threads: "ThreadChoice | None" = None  # torch's intra-op threads for the fit, and why


def default_model_name(series: SeriesData, model: str) -> str:
    from forecast.registry import safe_name

    return safe_name(f"{series.name}-{model}")


def train(
    run: RunConfig,
    *,
    name: str | None = None,
    model_dir: str | Path | None = None,
    on_epoch: Callable[["EpochStats"], None] | None = None,
    on_step: Callable[["StepStats"], bool] | None = None,
    threads: int | None = None,
) -> TrainResult:
    """Read the data, fit, save a new version and make it current; forecast once.

    ``threads`` sets torch's intra-op threads (None: decided from the machine and the
    network, see forecast.threads); ``on_step`` returning True stops training after that
    step, keeping the best weights so far (the report says ``interrupted``).
    """
    from forecast import paths, registry
    from forecast.bundle import to_payload
    from forecast.forecaster import fit
    from forecast.parallel import torch_threads
    from forecast.persistence import save_bundle
    from forecast.threads import for_training

    if run.data.path:  # saved absolute, so predict and cron work from any folder
        absolute = str(Path(run.data.path).expanduser().resolve())
        run = replace(run, data=replace(run.data, path=absolute))
    series = load_series(run.data, paths.snapshots_dir(model_dir))
    name = registry.check_name(name) if name else default_model_name(series, run.model.name)
    choice = for_training(run, series, threads)
    with torch_threads(choice.threads):
        forecaster = fit(series, run, on_epoch=on_epoch, on_step=on_step)
        forecast = forecaster.predict(series)
    root = paths.models_dir(model_dir)
    path = save_bundle(to_payload(forecaster, series, name), registry.next_version_path(root, name))
    registry.set_current(root, name, path)
    return TrainResult(name, path, forecaster, series, forecast, choice)


@dataclass(frozen=True)
class PredictResult:
    name: str
    path: Path
    forecast: "Forecast"
    series: SeriesData
    payload: dict[str, Any]


def load_model(
    model: str | None = None,
    model_dir: str | Path | None = None,
    device: str = "cpu",
    series: str | None = None,
) -> tuple[str, Path, "Forecaster"]:
    """Load a saved model by name (the latest trained when None) or by file path.

    A global (multi-series) model becomes the Forecaster of one ``series``.
    """
    from forecast import paths, registry
    from forecast.bundle import from_payload
    from forecast.persistence import load_bundle
    from forecast.train import resolve_device

    root = paths.models_dir(model_dir)
    if model and (model.endswith(".joblib") or "/" in model):
        path = Path(model)
    else:
        path = registry.current_path(root, model)
    payload = load_bundle(path)
    if payload.get("kind") == "global":
        from forecast.multiseries import forecaster_for

        forecaster = forecaster_for(payload, series, str(resolve_device(device)))
    else:
        forecaster = from_payload(payload, str(resolve_device(device)))
    return str(payload.get("name", path.stem)), path, forecaster


def predict(
    *,
    model: str | None = None,
    data: str | None = None,
    model_dir: str | Path | None = None,
    device: str = "cpu",
    series: str | None = None,
) -> PredictResult:
    """Forecast from a saved model on its data source, re-read (or on ``data``)."""
    name, path, forecaster = load_model(model, model_dir, device, series)
    spec = forecaster.run.data
    if data:
        spec = replace(spec, path=data, ticker=None)
    if series:
        spec = replace(spec, series=forecaster.run.data.series or series)
    from forecast import paths

    series = load_series(spec, paths.snapshots_dir(model_dir))
    return PredictResult(
        name, path, forecaster.predict(series), series, forecaster.extra["payload"]
    )


def saved_models(model_dir: str | Path | None = None) -> list[dict[str, Any]]:
    """One row per saved model: name, current version, number of versions."""
    from forecast import paths, registry

    root = paths.models_dir(model_dir)
    rows = []
    for name in registry.model_names(root):
        current = registry.current_path(root, name)
        rows.append(
            {
                "name": name,
                "current": current.stem,
                "versions": len(registry.versions(root, name)),
                "path": str(current),
            }
        )
    return rows


def model_info(name: str, model_dir: str | Path | None = None) -> dict[str, Any]:
    """A saved model's payload summary (no weights)."""
    from forecast import paths, registry
    from forecast.persistence import load_bundle

    root = paths.models_dir(model_dir)
    path = registry.current_path(root, name)
    payload = load_bundle(path)
    report = dict(payload.get("report", {}))
    report.pop("history", None)
    return {
        "name": payload.get("name"),
        "path": str(path),
        "created": payload.get("created"),
        "versions": [p.stem for p in registry.versions(root, name)],
        "run": payload.get("run"),
        "data": payload.get("data"),
        "training": report,
        "metrics": payload.get("metrics"),
        "library_versions": payload.get("versions"),
    }


def rollback(
    name: str, to: str | None = None, model_dir: str | Path | None = None
) -> tuple[str, str]:
    """Point a model's CURRENT at an earlier version; returns (old, new) version names."""
    from forecast import paths, registry

    root = paths.models_dir(model_dir)
    current = registry.current_path(root, name)
    all_versions = registry.versions(root, name)
    if to is None:
        earlier = all_versions[: all_versions.index(current)] if current in all_versions else []
        if not earlier:
            raise ConfigError(f"{name}: {current.stem} is the oldest version; nothing to roll back to")
        target = earlier[-1]
    else:
        matches = [p for p in all_versions if p.stem == to or p.name == to]
        if not matches:
            names = ", ".join(p.stem for p in all_versions)
            raise ConfigError(f"{name}: no version {to!r} (versions: {names})")
        target = matches[0]
    registry.set_current(root, name, target, latest=False)
    return current.stem, target.stem
