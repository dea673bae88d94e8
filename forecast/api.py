"""The library's front door: what each CLI verb calls. Never prints.

Finding and loading a model file lives in forecast.loading, joining test rows to a model's
data in forecast.history, and the horizon a forecast is cut or extended to in forecast.horizon;
the names used by callers are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from forecast.config import DataSpec, RunConfig
from forecast.data.series import SeriesData
from forecast.errors import ConfigError, DataError, ForecastError
from forecast.history import join_to_model_data, rolling_forecasts
from forecast.horizon import checked_forecast, forecast_steps
from forecast.loading import (
    first_global_series,
    load_model,
    model_for_series,
    model_for_target,
    other_targets_note,
    trained_on,
)

if False:  # typing only; keeps torch out of import time
    from forecast.forecaster import Forecast, Forecaster
    from forecast.threads import ThreadChoice
    from forecast.train import EpochStats, StepStats


def load_series(spec: DataSpec, snapshots: Path | None = None) -> SeriesData:
    """Read the series a DataSpec names (forecast.data.sources: a file or a cached ticker).

    With ``snapshots`` (a folder), an unchanged file is loaded from its parsed
    snapshot there (numpy only) instead of being parsed again with pandas.
    """
    from forecast.data.sources import load_series as load

    return check_magnitude(load(spec, snapshots))


MAX_MAGNITUDE = 1e150  # squares (variances, MSE) of larger values overflow float64


def check_magnitude(series: SeriesData) -> SeriesData:
    """Values too large to compute with are bad data, not a silent NaN model."""
    import numpy as np

    values = np.asarray(series.values, dtype=float)
    if values.size and not series.classes:
        peak = float(np.nanmax(np.abs(values)))
        if peak > MAX_MAGNITUDE:
            from forecast.data.dates import STEPS, as_datetimes

            row, column = divmod(int(np.nanargmax(np.abs(values))), values.shape[1])
            name = ([series.target, *series.features])[column]
            when = as_datetimes(series.dates[row : row + 1], series.tz)[0]  # a step stays a number
            where = f"step {when}" if series.tz is STEPS else f"the row dated {str(when).removesuffix(' 00:00:00')}"
            raise DataError(
                f"{series.source}: column '{name}' holds values up to {peak:.3g} (at {where}), too large to compute "
                f"with (their squares overflow); rescale it (e.g. divide by 1e{int(np.log10(peak)) - 3})"
            )
    return series


@dataclass(frozen=True)
class TrainResult:
    name: str
    path: Path
    forecaster: "Forecaster"
    series: SeriesData
    forecast: "Forecast"
    threads: "ThreadChoice | None" = None  # torch's intra-op threads for the fit, and why


def default_model_name(series: SeriesData, model: str, *, named_target: bool = False) -> str:
    """``<series>-<model>``; ``<series>-<target>-<model>`` for a target that is not the file's
    default, the name ``--targets`` gives the same column (so targets never share a model)."""
    from forecast.registry import safe_name

    return safe_name(f"{series.name}-{series.target}-{model}" if named_target else f"{series.name}-{model}")


def not_default_target(spec: DataSpec, series: SeriesData, snapshots: Path | None = None) -> bool:
    """True when ``--target`` picked a column the file would not pick by itself (its Close,
    its only numeric column), or the file has no default; the file is read once more."""
    if not spec.target or spec.targets:
        return False
    try:
        return load_series(replace(spec, target=None), snapshots).target != series.target
    except ForecastError:  # no default column (several numeric ones), or it does not load
        return True


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
    from forecast.threads import for_training

    if run.data.path:  # saved absolute, so predict and cron work from any folder
        from forecast.data.sources import absolute

        run = replace(run, data=replace(run.data, path=absolute(run.data.path)))
    snapshots = paths.snapshots_dir(model_dir)
    series = load_series(run.data, snapshots)
    name = registry.check_name(name) if name else default_model_name(
        series, run.model.name, named_target=not_default_target(run.data, series, snapshots))
    choice = for_training(run, series, threads)
    with torch_threads(choice.threads):
        forecaster = fit(series, run, on_epoch=on_epoch, on_step=on_step)
        forecast = checked_forecast(forecaster, series, f"the {run.model.name} just trained on {series.source}")
    root = paths.models_dir(model_dir)
    path = registry.publish(root, name, to_payload(forecaster, series, name))
    return TrainResult(name, path, forecaster, series, forecast, choice)


@dataclass(frozen=True)
class PredictResult:
    name: str
    path: Path
    forecast: "Forecast"
    series: SeriesData
    payload: dict[str, Any]
    notes: tuple[str, ...] = ()  # what the user should know beside the series' own notes
    rolling: dict[str, list[Any]] | None = None  # --rolling: a forecast from every test row


def predict(
    *,
    model: str | None = None,
    data: str | None = None,
    model_dir: str | Path | None = None,
    device: str = "cpu",
    series: str | None = None,
    ignore_freq: bool = False,
    horizon: int | None = None,
    rolling: bool = False,
    target: str | None = None,
) -> PredictResult:
    """Forecast from a saved model on its data source, re-read (or on ``data``).

    The forecast is always of the model's own target (and series): ``data`` is read
    for that column, and data of another frequency is refused unless ``ignore_freq``.
    With ``series`` and a per-series model, the model trained on that series is used; with
    ``target``, the model of that column (see :func:`model_for_target`).
    """
    from forecast import paths
    from forecast.errors import DataError
    from forecast.threads import threads_for

    notes: list[str] = []
    model = model_for_series(model, series, model_dir, notes)
    model = model_for_target(model, target, model_dir, notes)
    name, path, forecaster = load_model(model, model_dir, device, series, notes)
    payload = forecaster.extra["payload"]
    trained = trained_on(payload, forecaster)
    if target and str(trained.get("target") or "").lower() != target.lower():  # a .joblib path
        raise ConfigError(f"--target {target}: model {name!r} ({path}) forecasts {trained.get('target')!r}; "
                          "name a model of that target")
    if model is None and target is None and series is None:
        notes.extend(other_targets_note(paths.models_dir(model_dir), path.parent.name, payload))
    spec = forecaster.run.data
    target = trained.get("target")
    if not data and not spec.path and not spec.ticker:  # fitted in Python on a frame, which is not saved
        raise ConfigError(f"model {name!r} was fitted on a pandas DataFrame, which is not saved with it; "
                          "give its data: --data FILE")
    if series and spec.series is None:  # a global model: the series asked for
        spec = replace(spec, series=series)
    if data:  # another file: read the model's own column, never a default one
        spec = replace(spec, path=data, ticker=None, query=None, target=target or spec.target)
    try:
        loaded = load_series(spec, paths.snapshots_dir(model_dir))
    except ConfigError as err:  # e.g. no such column: the file does not fit this model
        if not data:
            raise
        raise DataError(f"{str(err).replace(' for --target', '')}; model {name!r} forecasts "
                        f"{target!r}, so --data needs that column") from None
    if target and loaded.target != target:  # the default column moved since training
        loaded = load_series(replace(spec, target=target), paths.snapshots_dir(model_dir))
    freq = trained.get("freq")
    if data and freq and loaded.freq != freq and not ignore_freq:
        raise DataError(
            f"{data}: rows are {loaded.freq or 'irregular'}-spaced but model {name!r} was trained on "
            f"{freq} data; give data of the same frequency, or --ignore-freq to forecast anyway"
        )
    if data and freq and loaded.freq != freq:
        notes.append(f"--ignore-freq: {data} is {loaded.freq or 'irregular'}, the model was trained on {freq}")
    if rolling and not data:
        raise ConfigError("--rolling forecasts through the rows of --data FILE (a test file); give one")
    first = 0
    if data and (rolling or len(loaded) <= (forecaster.run.window.input_len or 0)):
        own_spec = replace(forecaster.run.data, target=target or forecaster.run.data.target)
        own = load_series(own_spec, paths.snapshots_dir(model_dir))
        loaded, first = join_to_model_data(own, loaded, data)  # its note says so
    # one window a forward: a small net's matrices are too small to split, and a second
    # thread that lost its core stalls the first (predict --rolling over 61 a10 origins at
    # load 6: 18.6 s on one thread against 27.6 s on two)
    with threads_for(forecaster.net, 1):
        table = rolling_forecasts(forecaster, loaded, first) if rolling else None
        forecast = forecast_steps(forecaster, loaded, horizon, f"model {name!r} ({path})", notes)
    if forecast.class_probs is None and not forecast.quantiles and payload.get("kind") == "global":
        notes.append(f"no intervals: model {name!r} is a global model, which gives point forecasts only; "
                     "train one model per series (--all-series) for calibrated intervals")
    return PredictResult(name, path, forecast, loaded, payload, tuple(notes), table)


def predict_all_series(
    *,
    model: str | None = None,
    model_dir: str | Path | None = None,
    device: str = "cpu",
    horizon: int | None = None,
) -> list[PredictResult]:
    """One forecast per series of a multi-series run: every series of a global model, or
    every per-series model trained by the same ``--all-series`` run as ``model`` (the latest
    model when None): same data file, same network, names ``<prefix>-<series>-<network>``."""
    from forecast import paths, registry
    from forecast.persistence import load_bundle

    root = paths.models_dir(model_dir)
    path, _ = registry.current_version(root, model)
    payload = load_bundle(path)
    if payload.get("kind") == "global":
        names = list(payload.get("data") or {})
        return [predict(model=model, model_dir=model_dir, device=device, series=s, horizon=horizon)
                for s in names]
    run = payload.get("run") or {}
    series, network = (run.get("data") or {}).get("series"), (run.get("model") or {}).get("name")
    name = path.parent.name
    suffix = f"-{registry.safe_name(series or '')}-{network}"
    if not series or not name.endswith(suffix):
        raise ConfigError(
            f"--all-series: model {name!r} was not trained with --all-series or --global; "
            "name one that was with --model"
        )
    prefix = name[: -len(suffix)] + "-"
    family = []
    for other in registry.model_names(root):
        if not (other.startswith(prefix) and other.endswith(f"-{network}")):
            continue
        try:
            other_run = load_bundle(registry.current_version(root, other)[0]).get("run") or {}
        except ForecastError:
            continue  # reported when that model is used on its own
        data = other_run.get("data") or {}
        if data.get("path") == (run.get("data") or {}).get("path") and data.get("series"):
            family.append(other)
    return [predict(model=m, model_dir=model_dir, device=device, horizon=horizon) for m in sorted(family)]


def saved_models(model_dir: str | Path | None = None) -> list[dict[str, Any]]:
    """One row per saved model: name, current version, number of versions, and whether it is
    the latest (the one ``predict`` without --model uses).

    A model whose CURRENT pointer is missing (a save interrupted before it) is listed
    with ``current`` "none" and the newest version that predict would use.
    """
    from forecast import paths, registry
    from forecast.errors import ForecastError

    root = paths.models_dir(model_dir)
    try:
        latest: str | None = registry.latest_name(root)
    except ForecastError:  # none yet, or a damaged pointer (predict says which)
        latest = None
    rows = []
    for name in registry.model_names(root):
        try:
            current, note = registry.current_version(root, name)
            label = current.stem if note is None else f"none (newest: {current.stem})"
        except ForecastError as err:  # a damaged pointer: list the model, say what is wrong
            current, label = root / name, f"unreadable pointer ({str(err).split('(')[-1].split(')')[0]})"
        rows.append(
            {
                "name": name,
                "current": label,
                "versions": len(registry.versions(root, name)),
                "latest": name == latest,
                "path": str(current),
            }
        )
    return rows


def model_info(name: str, model_dir: str | Path | None = None) -> dict[str, Any]:
    """A saved model's payload summary (no weights); the model is loaded whole, so a broken
    or unsafe file is reported here as it would be by predict."""
    from forecast import paths, registry

    root = paths.models_dir(model_dir)
    registry.check_name(name)  # a name, never a path
    notes: list[str] = []
    _, path, forecaster = load_model(name, model_dir, notes=notes, series=first_global_series(name, model_dir))
    payload = forecaster.extra["payload"]
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
        "forecasts_with": {**forecaster.chosen.as_dict(), "note": forecaster.chosen.note()},
        "metrics": payload.get("metrics"),
        "library_versions": payload.get("versions"),
        "notes": notes,
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
