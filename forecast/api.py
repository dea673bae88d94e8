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
    from forecast.train import EpochStats


def load_series(spec: DataSpec, snapshots: Path | None = None) -> SeriesData:
    """Read the series a DataSpec names (forecast.data.sources: a file or a cached ticker).

    With ``snapshots`` (a folder), an unchanged file is loaded from its parsed
    snapshot there (numpy only) instead of being parsed again with pandas.
    """
    from forecast.data.sources import load_series as load

    return load(spec, snapshots)


@dataclass(frozen=True)
class TrainResult:
    name: str
    path: Path
    forecaster: "Forecaster"
    series: SeriesData
    forecast: "Forecast"


def default_model_name(series: SeriesData, model: str) -> str:
    from forecast.registry import safe_name

    return safe_name(f"{series.name}-{model}")


def train(
    run: RunConfig,
    *,
    name: str | None = None,
    model_dir: str | Path | None = None,
    on_epoch: Callable[["EpochStats"], None] | None = None,
) -> TrainResult:
    """Read the data, fit, save a new version and make it current; forecast once."""
    from forecast import paths, registry
    from forecast.bundle import to_payload
    from forecast.forecaster import fit
    from forecast.persistence import save_bundle

    if run.data.path:  # saved absolute, so predict and cron work from any folder
        from forecast.data.sources import absolute

        run = replace(run, data=replace(run.data, path=absolute(run.data.path)))
    series = load_series(run.data, paths.snapshots_dir(model_dir))
    name = registry.check_name(name) if name else default_model_name(series, run.model.name)
    forecaster = fit(series, run, on_epoch=on_epoch)
    root = paths.models_dir(model_dir)
    path = save_bundle(to_payload(forecaster, series, name), registry.next_version_path(root, name))
    registry.set_current(root, name, path)
    return TrainResult(name, path, forecaster, series, forecaster.predict(series))


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
