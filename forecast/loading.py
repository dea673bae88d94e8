"""Find and load a saved model: a name, a CURRENT pointer or a path, read by the safe loader.

Every command that reads a model comes through :func:`load_model`: the bundle is checked
(forecast.persistence), its weights must be finite, a global model becomes the Forecaster of
one series, and a model asked for by ``--series`` is the one trained on that series.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from forecast.errors import ConfigError, NotFoundError

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
    if not matches:  # no model of that series at all: a missing model (exit 3), as documented
        raise NotFoundError(f"--series {series}: no saved model of series {series} ({which} is of "
                            f"{run_series}); train one with --series {series} (--targets {series} "
                            "for a column of a wide file)")
    hint = (f"use --model {matches[0]}" if len(matches) == 1 else
            f"pick one with --model ({', '.join(matches[:10])})")
    raise ConfigError(f"--series {series}: {which} was trained on series {run_series}, not {series}; {hint}")


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
