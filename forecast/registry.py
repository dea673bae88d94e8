"""Model versions on disk: every training run adds a version, a pointer names the current one.

    <models dir>/
      LATEST                 name of the model trained last
      <name>/
        v0001.joblib ...     versions, never overwritten
        CURRENT              the version predict uses (swapped atomically)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from forecast.atomic import write_text
from forecast.errors import ConfigError, ModelFileError, NotFoundError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_VERSION = re.compile(r"^v(\d{4,})\.joblib$")
_RESERVED = {"LATEST"}  # the pointer file beside the model folders


def check_name(name: str) -> str:
    """Model names become folder names: letters, digits, '.', '_' and '-'."""
    if not _NAME.match(name):
        raise ConfigError(
            f"model name {name!r}: use letters, digits, '.', '_' or '-' (at most 100 characters)"
        )
    if name in _RESERVED:
        raise ConfigError(f"model name {name!r} is reserved; pick another --name")
    return name


def safe_name(text: str) -> str:
    """A model name derived from free text (a file stem, a symbol)."""
    cleaned = re.sub(r"(?:[^A-Za-z0-9._-]|-)+", "-", text).strip("-._")[:100].rstrip("-._") or "model"
    return f"{cleaned}-model" if cleaned in _RESERVED else cleaned


def version_number(path: Path) -> int:
    """v0012.joblib -> 12 (-1 for a name that is not a version file)."""
    match = _VERSION.match(path.name)
    return int(match.group(1)) if match else -1


def versions(root: Path, name: str) -> list[Path]:
    """All saved versions of a model, oldest first (by number: v9999 before v10000)."""
    folder = root / name
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if version_number(p) >= 0), key=version_number)


def next_version_path(root: Path, name: str) -> Path:
    existing = versions(root, check_name(name))
    number = version_number(existing[-1]) + 1 if existing else 1
    return root / name / f"v{number:04d}.joblib"


def set_current(root: Path, name: str, version_path: Path, *, latest: bool = True) -> None:
    """Point CURRENT (and LATEST) at a saved version, atomically."""
    write_text(root / name / "CURRENT", version_path.name + "\n")
    if latest:
        write_text(root / "LATEST", name + "\n")


def publish(root: Path, name: str, payload: dict[str, Any], *, make_current: bool = True) -> Path:
    """Save ``payload`` as the model's next version (and make it current); returns its path.

    A save that fails (disk full, interrupted) leaves no empty model folder behind.
    """
    from forecast.persistence import save_bundle

    path = next_version_path(root, name)
    folder_existed = path.parent.is_dir()
    try:
        save_bundle(payload, path)
    except BaseException:
        if not folder_existed:
            try:
                path.parent.rmdir()  # only when empty: nothing the user had is removed
            except OSError:
                pass
        raise
    if make_current:
        set_current(root, name, path)
    return path


def _read_pointer(pointer: Path) -> str:
    """A pointer file's one line; a pointer that is not UTF-8 text is corrupted."""
    try:
        return pointer.read_bytes().decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ModelFileError(
            f"{pointer}: corrupted pointer (not UTF-8 text); delete it, or point it with "
            "forecast models rollback NAME"
        ) from None


def model_names(root: Path) -> list[str]:
    """Every model folder with a version in it (with or without a CURRENT pointer)."""
    if not root.is_dir():
        return []
    return sorted(
        p.name for p in root.iterdir() if p.is_dir() and _NAME.match(p.name) and (
            (p / "CURRENT").is_file() or versions(root, p.name))
    )


def latest_name(root: Path) -> str:
    pointer = root / "LATEST"
    if not pointer.is_file():
        raise NotFoundError(
            f"no trained model in {root}; train one first: forecast train DATA.csv"
        )
    name = _read_pointer(pointer)
    if not _NAME.match(name) or name in _RESERVED:
        raise ModelFileError(
            f"{pointer}: corrupted pointer ({name[:60]!r} is not a model name); delete it and "
            "pick a model with --model NAME"
        )
    return name


def current_version(root: Path, name: str | None = None) -> tuple[Path, str | None]:
    """The version predict should load and a note when it is not the CURRENT one.

    Names come from the user or the LATEST pointer and must be model names; a CURRENT
    pointer must name a version file in the model's own folder (never a path). A model
    with versions but no CURRENT (a save interrupted before the pointer) uses its newest
    version, and says so.
    """
    name = check_name(name) if name else latest_name(root)
    pointer = root / name / "CURRENT"
    if not pointer.is_file():
        saved = versions(root, name)
        if saved:
            return saved[-1], (
                f"{name} has no CURRENT pointer (a save was interrupted); using its newest "
                f"version {saved[-1].stem}; forecast models rollback {name} --to VERSION fixes it"
            )
        known = ", ".join(model_names(root)) or "none"
        raise NotFoundError(f"no model named {name!r} in {root} (models: {known})")
    version = _read_pointer(pointer)
    if not _VERSION.match(version):
        raise ModelFileError(
            f"{pointer}: corrupted pointer ({version[:60]!r} is not a version file name like "
            f"v0001.joblib); fix it with forecast models rollback {name} --to VERSION"
        )
    return root / name / version, None


def current_path(root: Path, name: str | None = None) -> Path:
    """The file predict should load: the model's CURRENT version (the latest model if no name)."""
    return current_version(root, name)[0]
