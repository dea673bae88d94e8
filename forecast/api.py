"""The library's front door: what each CLI verb calls. Never prints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from forecast.config import DataSpec, RunConfig
from forecast.data.series import SeriesData
from forecast.errors import ConfigError, DataError, ForecastError

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
            row, column = divmod(int(np.nanargmax(np.abs(values))), values.shape[1])
            name = ([series.target, *series.features])[column]
            raise DataError(
                f"{series.source}: column '{name}' holds values up to {peak:.3g} (row dated "
                f"{str(series.dates[row])[:19]}), too large to compute "
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
    from forecast.threads import for_training

    if run.data.path:  # saved absolute, so predict and cron work from any folder
        from forecast.data.sources import absolute

        run = replace(run, data=replace(run.data, path=absolute(run.data.path)))
    series = load_series(run.data, paths.snapshots_dir(model_dir))
    name = registry.check_name(name) if name else default_model_name(series, run.model.name)
    choice = for_training(run, series, threads)
    with torch_threads(choice.threads):
        forecaster = fit(series, run, on_epoch=on_epoch, on_step=on_step)
        forecast = checked_forecast(forecaster, series, f"the {run.model.name} just trained on {series.source}")
    root = paths.models_dir(model_dir)
    path = registry.publish(root, name, to_payload(forecaster, series, name))
    return TrainResult(name, path, forecaster, series, forecast, choice)


def checked_forecast(forecaster: "Forecaster", series: SeriesData, what: str,
                     notes: list[str] | None = None) -> "Forecast":
    """Forecast, refusing NaN or infinite values; numpy's overflow warnings become one note.

    From a saved model that is a broken model file (exit 5); from a fresh fit it is a
    diverged training run (exit 1), with the cause named either way.
    """
    import warnings

    import numpy as np

    from forecast.errors import ForecastError, ModelFileError

    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        forecast = forecaster.predict(series)
    values = [np.asarray(forecast.point, dtype=float)]
    values += [np.asarray(v, dtype=float) for v in forecast.quantiles.values()]
    if forecast.class_probs is not None:
        values.append(np.asarray(forecast.class_probs, dtype=float))
    if not all(np.isfinite(v).all() for v in values):
        if notes is None:
            raise ForecastError(
                f"{what} forecasts NaN or infinite values (training diverged: lower --lr, "
                "set --clip-norm, or check the data for extreme values)"
            )
        raise ModelFileError(
            f"{what} forecasts NaN or infinite values: its weights or scaler state are broken, "
            "or the data is far outside what it was trained on; retrain it"
        )
    if caught and notes is not None:
        notes.append(f"numeric overflow while mapping the forecast back to levels "
                     f"({caught[0].message}); the values are finite but extreme")
    return forecast


@dataclass(frozen=True)
class PredictResult:
    name: str
    path: Path
    forecast: "Forecast"
    series: SeriesData
    payload: dict[str, Any]
    notes: tuple[str, ...] = ()  # what the user should know beside the series' own notes
    rolling: dict[str, list[Any]] | None = None  # --rolling: a forecast from every test row


def load_model(
    model: str | None = None,
    model_dir: str | Path | None = None,
    device: str = "cpu",
    series: str | None = None,
    notes: list[str] | None = None,
) -> tuple[str, Path, "Forecaster"]:
    """Load a saved model by name (the latest trained when None) or by file path.

    A global (multi-series) model becomes the Forecaster of one ``series``. What the
    caller should be told (a model used without its CURRENT pointer) goes to ``notes``.
    """
    from forecast import paths
    from forecast.bundle import from_payload
    from forecast.persistence import load_bundle
    from forecast.train import resolve_device

    root = paths.models_dir(model_dir)
    path, note = _bundle_path(model, root)
    payload = load_bundle(path) if note is None else _load_newest_valid(root, path, note, notes)
    check_finite_weights(payload, path)
    if payload.get("kind") == "global":
        from forecast.multiseries import forecaster_for

        forecaster = forecaster_for(payload, series, str(resolve_device(device)))
    else:
        forecaster = from_payload(payload, str(resolve_device(device)))
    return str(payload.get("name", path.stem)), path, forecaster


def _bundle_path(model: str | None, root: Path) -> tuple[Path, str | None]:
    """The file a model argument names: a .joblib path the user gave (theirs to choose), else
    the CURRENT version of that model name (the latest model when None), with a note when a
    missing pointer made it fall back to the newest version."""
    if model and (model.endswith(".joblib") or "/" in model):
        return Path(model), None
    from forecast import registry

    return registry.current_version(root, model)


def _load_newest_valid(root: Path, path: Path, note: str | None, notes: list[str] | None) -> dict[str, Any]:
    """The CURRENT version; with no pointer, the newest version that loads (said in a note)."""
    from forecast import registry
    from forecast.errors import ModelFileError
    from forecast.persistence import load_bundle

    if note is None:
        return load_bundle(path)
    candidates = [p for p in reversed(registry.versions(root, path.parent.name))]
    errors = []
    for candidate in candidates:
        try:
            payload = load_bundle(candidate)
        except ModelFileError as err:
            errors.append(f"{candidate.stem}: {str(err).split(': ', 1)[-1][:80]}")
            continue
        if notes is not None:
            skipped = f" (skipped unreadable {', '.join(e.split(':')[0] for e in errors)})" if errors else ""
            notes.append(note.replace(f"version {path.stem}", f"version {candidate.stem}") + skipped)
        return payload
    raise ModelFileError(f"{path.parent}: no version of this model loads ({'; '.join(errors)}); retrain it")


def check_finite_weights(payload: dict[str, Any], path: Path) -> None:
    """A model whose weights hold NaN or infinity is broken, whatever its checksum says."""
    import numpy as np

    from forecast.errors import ModelFileError

    def arrays(value: Any) -> Any:
        if isinstance(value, dict):
            for item in value.values():
                yield from arrays(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                yield from arrays(item)
        elif isinstance(value, np.ndarray) and value.dtype.kind == "f":
            yield value

    for key in ("weights", "pipeline", "pipelines", "calibration", "residuals"):
        if any(not np.isfinite(a).all() for a in arrays(payload.get(key))):
            raise ModelFileError(
                f"{path}: the model's {key} contain NaN or infinite values (a diverged or damaged "
                "model); retrain it"
            )


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
) -> PredictResult:
    """Forecast from a saved model on its data source, re-read (or on ``data``).

    The forecast is always of the model's own target (and series): ``data`` is read
    for that column, and data of another frequency is refused unless ``ignore_freq``.
    With ``series`` and a per-series model, the model trained on that series is used.
    """
    from forecast import paths
    from forecast.errors import DataError

    notes: list[str] = []
    model = _model_for_series(model, series, model_dir, notes)
    name, path, forecaster = load_model(model, model_dir, device, series, notes)
    payload = forecaster.extra["payload"]
    trained = _trained_on(payload, forecaster)
    spec = forecaster.run.data
    target = trained.get("target")
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
    table = rolling_forecasts(forecaster, loaded, first) if rolling else None
    forecast = forecast_steps(forecaster, loaded, horizon, f"model {name!r} ({path})", notes)
    return PredictResult(name, path, forecast, loaded, payload, tuple(notes), table)


def join_to_model_data(own: SeriesData, new: SeriesData, where: str) -> tuple[SeriesData, int]:
    """The model's own rows before ``new`` starts, then ``new``: (history, index of new's first row).

    ``new`` may overlap the model's data (overlapping dates must hold the same values) or
    follow it; a gap larger than any between the model's own rows is an error, since the
    windows would silently skip it.
    """
    import numpy as np

    before = int(np.searchsorted(own.dates, new.dates[0]))
    overlap = np.intersect1d(own.dates, new.dates, return_indices=True)
    if len(overlap[0]):
        a, b = own.y[overlap[1]], new.y[overlap[2]]
        differs = ~np.isclose(a, b, rtol=1e-9, atol=0.0)
        if differs.any():
            k = int(np.flatnonzero(differs)[0])
            raise DataError(
                f"{where}: row dated {str(overlap[0][k])[:10]} has {new.target} = {b[k]:g}, but the model's "
                f"data ({own.source}) has {a[k]:g} there; it is not the same series"
            )
    elif before == len(own):  # new starts after the model's data: no gap allowed beyond the usual
        missing, usual = _missing_steps(own, new.dates[0]), _largest_gap(own)
        if missing is None or missing > usual:
            between = "the calendar cannot bridge them" if missing is None else (
                f"{missing} steps are missing in between")
            raise DataError(
                f"{where}: starts {str(new.dates[0])[:10]}, but the model's data ends "
                f"{str(own.dates[-1])[:10]} and {between}; give the rows in between (or a file that "
                "includes them)"
            )
    history = SeriesData(
        np.concatenate([own.dates[:before], new.dates]),
        np.concatenate([own.values[:before], new.values]),
        new.target, new.features, new.freq or own.freq, new.source, new.name, new.classes,
        (*new.notes, f"joined after the model's own data: {before} rows of {own.source} up to "
         f"{str(own.dates[before - 1])[:10] if before else '-'}"), new.tz,
    )
    return history, before


def _missing_steps(series: SeriesData, date: Any, limit: int = 400) -> int | None:
    """Calendar steps of ``series.freq`` strictly between its last row and ``date`` (None: beyond)."""
    import numpy as np

    ahead = series.future_dates(limit)
    position = int(np.searchsorted(ahead, date))
    return position if position < limit and ahead[position] == date else None


def _largest_gap(series: SeriesData, tail: int = 500) -> int:
    """The most calendar steps missing between consecutive rows of the series' last ``tail`` rows."""
    import numpy as np

    dates = series.dates[-tail:]
    if len(dates) < 2:
        return 0
    start = series.rows(len(series) - len(dates), len(series) - len(dates) + 1)
    try:
        calendar = np.concatenate([start.dates, start.future_dates(4 * len(dates))])
    except Exception:
        return 0
    positions = np.searchsorted(calendar, dates)
    return int(max(0, np.diff(positions).max() - 1))


def rolling_forecasts(forecaster: "Forecaster", history: SeriesData, first: int) -> dict[str, list[Any]]:
    """A forecast from every origin from row ``first - 1`` to the last row: the long table
    (cutoff, step, ds, y, yhat, quantiles...); y is the actual where the data has it."""
    import numpy as np

    from forecast.data.dates import as_datetimes

    window = forecaster.run.window.input_len or 1
    start = max(first - 1, window + (forecaster.run.window.transform != "level") - 1)
    if start >= len(history):
        raise DataError(
            f"{history.source}: {len(history)} rows in all, but the model reads {window} rows before "
            "a forecast; give more history"
        )
    table: dict[str, list[Any]] = {}
    for origin in range(start, len(history)):
        forecast = forecaster.predict(history.head(origin + 1))
        columns = forecast.columns()
        rows = len(columns["ds"])
        # step k is the k-th next row where the data has it (its own trading days), else the calendar's
        known_dates = history.dates[origin + 1 : origin + 1 + rows]
        known_y = history.y[origin + 1 : origin + 1 + rows].tolist()
        columns["ds"] = [*as_datetimes(known_dates, history.tz), *columns["ds"][len(known_y):]]
        extra = {
            "cutoff": as_datetimes(history.dates[origin : origin + 1], history.tz) * rows,
            "step": list(range(1, rows + 1)),
            "y": [*known_y, *[float("nan")] * (rows - len(known_y))],
        }
        for key, values in {**extra, **columns}.items():
            table.setdefault(key, []).extend(values)
    order = ["cutoff", "step", "ds", "y", *[k for k in table if k not in ("cutoff", "step", "ds", "y")]]
    if history.classes:
        table["y"] = [history.classes[int(v)] if np.isfinite(v) else None for v in table["y"]]
    return {k: table[k] for k in order}


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


def forecast_steps(forecaster: "Forecaster", series: SeriesData, steps: int | None, what: str,
                   notes: list[str]) -> "Forecast":
    """``steps`` ahead: the first ones of the trained horizon, or beyond it by rolling out.

    Past the trained horizon H the model's own point forecasts are appended to the series
    and it forecasts again (recursive rollout); those steps have no intervals, and a note says so.
    """
    from dataclasses import replace as replace_fields

    import numpy as np

    trained = forecaster.run.window.horizon or 1
    first = checked_forecast(forecaster, series, what, notes)
    if steps is None or steps == trained:
        return first
    if steps < 1:
        raise ConfigError(f"--horizon {steps}: give 1 or more steps")
    if steps < trained:
        return replace_fields(
            first, dates=first.dates[:steps], point=first.point[:steps],
            quantiles={k: np.asarray(v)[:steps] for k, v in first.quantiles.items()},
            class_probs=None if first.class_probs is None else first.class_probs[:steps],
        )
    if series.features:
        raise ConfigError(
            f"--horizon {steps}: the model was trained for {trained} steps and uses features "
            f"({', '.join(series.features)}) whose future values are unknown; ask for at most {trained}"
        )
    dates, points, probs, history, step = [first.dates], [first.point], [first.class_probs], series, first
    while sum(len(p) for p in points) < steps:
        history = SeriesData(
            np.concatenate([history.dates, step.dates]),
            np.concatenate([history.values, np.asarray(step.point, dtype=float)[:, None]]),
            history.target, history.features, history.freq, history.source, history.name,
            history.classes, history.notes, history.tz,
        )
        step = checked_forecast(forecaster, history, what, notes)
        dates.append(step.dates)
        points.append(step.point)
        probs.append(step.class_probs)
    notes.append(
        f"--horizon {steps}: the model was trained for {trained} steps; steps {trained + 1}..{steps} "
        "are rolled out (its own forecasts fed back as inputs) and have no intervals"
    )
    return replace_fields(
        first, dates=np.concatenate(dates)[:steps], point=np.concatenate(points)[:steps],
        quantiles={}, class_probs=None if first.class_probs is None else np.concatenate(probs)[:steps],
    )


def _trained_on(payload: dict[str, Any], forecaster: "Forecaster") -> dict[str, Any]:
    """Target and frequency of the data the forecaster was trained on (global: of its series)."""
    run = forecaster.run.data
    info = payload.get("data")
    if payload.get("kind") == "global" and isinstance(info, dict):
        info = info.get(run.series or "")
    info = info if isinstance(info, dict) else {}
    return {"target": info.get("target") or run.target, "freq": info.get("freq")}


def _model_for_series(
    model: str | None, series: str | None, model_dir: str | Path | None, notes: list[str]
) -> str | None:
    """With --series: the per-series model trained on that series, when ``model`` is not it.

    A global model (one for all series) is left to load_model. A named model trained on
    another series is an error that names the right one; with no name, the model of that
    series is found among the saved ones (exactly one, else the error lists them).
    """
    if not series or (model and (model.endswith(".joblib") or "/" in model)):
        return model
    from forecast import paths, registry
    from forecast.persistence import load_bundle

    root = paths.models_dir(model_dir)
    path, _ = registry.current_version(root, model)
    try:
        payload = load_bundle(path)
    except Exception:
        return model  # load_model reports it
    run_series = (payload.get("run", {}).get("data", {}) or {}).get("series")
    if payload.get("kind") == "global" or not run_series or run_series.lower() == series.lower():
        return model
    marker = f"-{registry.safe_name(series)}-".lower()
    matches = [n for n in registry.model_names(root) if marker in f"{n}-".lower()]
    if len(matches) == 1 and model is None:
        notes.append(f"--series {series}: using model {matches[0]} (the latest model, "
                     f"{path.parent.name}, was trained on {run_series})")
        return matches[0]
    which = f"model {model!r}" if model else f"the latest model ({path.parent.name})"
    hint = (f"use --model {matches[0]}" if len(matches) == 1 else
            f"pick one with --model ({', '.join(matches[:10])})" if matches else
            "train one with --series " + series)
    raise ConfigError(f"--series {series}: {which} was trained on series {run_series}, not {series}; {hint}")


def saved_models(model_dir: str | Path | None = None) -> list[dict[str, Any]]:
    """One row per saved model: name, current version, number of versions.

    A model whose CURRENT pointer is missing (a save interrupted before it) is listed
    with ``current`` "none" and the newest version that predict would use.
    """
    from forecast import paths, registry
    from forecast.errors import ForecastError

    root = paths.models_dir(model_dir)
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
        "metrics": payload.get("metrics"),
        "library_versions": payload.get("versions"),
        "notes": notes,
    }


def first_global_series(model: str | None, model_dir: str | Path | None = None) -> str | None:
    """A global model loads as one of its series (any one shows the whole model): its first
    series; None for a per-series model, or a file load_model will report as broken."""
    from forecast import paths
    from forecast.persistence import load_bundle

    try:
        path, _ = _bundle_path(model, paths.models_dir(model_dir))
        payload = load_bundle(path)
    except Exception:
        return None  # load_model reports it
    data = payload.get("data")
    if payload.get("kind") == "global" and isinstance(data, dict) and data:
        return str(next(iter(data)))
    return None


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
