"""Find and load a saved model: a name, a CURRENT pointer or a path, read by the safe loader.

Every command that reads a model comes through :func:`load_model`: the bundle is checked
(forecast.persistence), its weights must be finite, a global model becomes the Forecaster of
one series, and a model asked for by ``--series`` or ``--target`` is the one trained on that
series or column (the same file's other models are found by name, then checked by loading).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from forecast.errors import ConfigError, ForecastError, NotFoundError

if False:  # typing only; keeps torch out of import time
    from forecast.forecaster import Forecaster


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
    path, note = bundle_path(model, root)
    payload = load_bundle(path) if note is None else _load_newest_valid(root, path, note, notes)
    check_finite_weights(payload, path)
    if payload.get("kind") == "global":
        from forecast.multiseries import forecaster_for

        forecaster = forecaster_for(payload, series, str(resolve_device(device)))
    else:
        forecaster = from_payload(payload, str(resolve_device(device)))
    return str(payload.get("name", path.stem)), path, forecaster


def bundle_path(model: str | None, root: Path) -> tuple[Path, str | None]:
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


def model_for_series(
    model: str | None, series: str | None, model_dir: str | Path | None, notes: list[str]
) -> str | None:
    """With --series: the per-series model trained on that series, when ``model`` is not it.

    A global model (one for all series) is left to load_model. A named model trained on
    another series is an error that names the right one; with no name, the model of that
    series is found among the saved ones (exactly one, else the error lists them).
    """
    if not series or _is_path(model):
        return model
    from forecast import registry

    root, path, payload = _current_payload(model, model_dir)
    if payload is None:
        return model  # load_model reports it
    run_series = (payload.get("run", {}).get("data", {}) or {}).get("series")
    if payload.get("kind") == "global" or not run_series or run_series.lower() == series.lower():
        return model
    marker = f"-{registry.safe_name(series)}-".lower()
    matches = [n for n in registry.model_names(root) if marker in f"{n}-".lower()]
    which = f"model {model!r}" if model else f"the latest model ({path.parent.name})"
    return _pick(model, matches, notes, f"--series {series}",
                 used=f"the latest model, {path.parent.name}, was trained on {run_series}",
                 missing=f"no saved model of series {series} ({which} is of {run_series}); train one with "
                         f"--series {series} (--targets {series} for a column of a wide file)",
                 other=f"{which} was trained on series {run_series}, not {series}")


def _is_path(model: str | None) -> bool:
    """A model given as a file path is loaded (and checked) as it is, never swapped."""
    return bool(model and (model.endswith(".joblib") or "/" in model))


def _current_payload(model: str | None, model_dir: str | Path | None) -> tuple[Path, Path, dict[str, Any] | None]:
    """The models folder, the current version of ``model`` (the latest when None) and its
    payload, read by the safe loader; None when it does not load (load_model reports why)."""
    from forecast import paths, registry
    from forecast.persistence import load_bundle

    root = paths.models_dir(model_dir)
    path, _ = registry.current_version(root, model)
    try:
        return root, path, load_bundle(path)
    except Exception:  # noqa: BLE001 -- whatever is wrong with it, load_model says so on its own
        return root, path, None


def _pick(model: str | None, matches: list[str], notes: list[str], asked: str, *, used: str,
          missing: str, other: str) -> str:
    """The one model among ``matches`` that fits what was ``asked`` (--series X, --target X)
    when no name was given (a note says so); none is a NotFoundError (exit 3); a named model
    that does not fit, or several candidates, is a ConfigError naming them (exit 2)."""
    if len(matches) == 1 and model is None:
        notes.append(f"{asked}: using model {matches[0]}; {used}")
        return matches[0]
    if not matches:
        raise NotFoundError(f"{asked}: {missing}")
    hint = (f"use --model {matches[0]}" if len(matches) == 1 else
            f"pick one with --model ({', '.join(matches[:10])})")
    raise ConfigError(f"{asked}: {other}; {hint}")


def first_global_series(model: str | None, model_dir: str | Path | None = None) -> str | None:
    """A global model loads as one of its series (any one shows the whole model): its first
    series; None for a per-series model, or a file load_model will report as broken."""
    from forecast import paths
    from forecast.persistence import load_bundle

    try:
        path, _ = bundle_path(model, paths.models_dir(model_dir))
        payload = load_bundle(path)
    except Exception:
        return None  # load_model reports it
    data = payload.get("data")
    if payload.get("kind") == "global" and isinstance(data, dict) and data:
        return str(next(iter(data)))
    return None


def trained_on(payload: dict[str, Any], forecaster: "Forecaster") -> dict[str, Any]:
    """Target and frequency of the data the forecaster was trained on (global: of its series)."""
    run = forecaster.run.data
    info = payload.get("data")
    if payload.get("kind") == "global" and isinstance(info, dict):
        info = info.get(run.series or "")
    info = info if isinstance(info, dict) else {}
    return {"target": info.get("target") or run.target, "freq": info.get("freq")}


def same_file_models(root: Path, payload: dict[str, Any], exclude: str) -> list[tuple[str, str]]:
    """(name, target) of the other saved models of the same file and series as ``payload``:
    ``train FILE --target X`` and ``--targets`` models of its columns (never another series)."""
    from forecast import registry
    from forecast.persistence import load_bundle

    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    source, series_name = data.get("source"), data.get("name")
    if payload.get("kind") == "global" or not source:
        return []
    stems = {f"{registry.safe_name(str(series_name))}-", f"{registry.safe_name(Path(str(source)).stem)}-"}
    found = []
    for other in registry.model_names(root):  # the names narrow it first: loading is ~10 ms a model
        if other == exclude or not any(other.startswith(s) for s in stems):
            continue
        try:
            theirs = load_bundle(registry.current_version(root, other)[0])
        except ForecastError:
            continue  # reported when that model is used on its own
        info, run = theirs.get("data"), theirs.get("run") or {}
        wide = bool((run.get("data") or {}).get("targets"))
        if (isinstance(info, dict) and theirs.get("kind") != "global" and info.get("source") == source
                and (info.get("name") == series_name or wide) and info.get("target")):
            found.append((other, str(info["target"])))
    return found


def model_for_target(model: str | None, target: str | None, model_dir: str | Path | None,
                     notes: list[str]) -> str | None:
    """With --target: the model of that column of the same file, when ``model`` (the latest
    model when None) forecasts another one.

    No name and exactly one such model: it is used, and a note says so. A named model of
    another target, or several candidates, is a ConfigError naming them; none is a
    NotFoundError (exit 3) that says how to train one. A .joblib path is checked on load.
    """
    if not target or _is_path(model):
        return model
    root, path, payload = _current_payload(model, model_dir)
    if payload is None:
        return model  # load_model reports it
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    own = str(data.get("target") or "")
    if own.lower() == target.lower():
        return model
    matches = [n for n, t in same_file_models(root, payload, path.parent.name) if t.lower() == target.lower()]
    which = f"model {model!r}" if model else f"the latest model {path.parent.name!r}"
    source = data.get("source") or "FILE"
    return _pick(model, matches, notes, f"--target {target}",
                 used=f"the latest model, {path.parent.name}, forecasts {own}",
                 missing=f"no saved model of {target} in {source} ({which} forecasts {own}); "
                         f"train one with: forecast train {source} --target {target}",
                 other=f"{which} forecasts {own}, not {target}")


def other_targets_note(root: Path, name: str, payload: dict[str, Any]) -> list[str]:
    """A plain predict (or generate) of a file with models of several targets says which one
    it used and names the others."""
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    own = str(data.get("target") or "")
    others = [(n, t) for n, t in same_file_models(root, payload, name) if t != own]
    if not others:
        return []
    listed = ", ".join(f"{t} ({n})" for n, t in others[:6]) + (" ..." if len(others) > 6 else "")
    return [f"{name}, the model trained last, forecasts {own}; this file also has models of "
            f"{listed}: pick one with --target COL or --model NAME"]
