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

from forecast.atomic import write_text
from forecast.errors import ConfigError, NotFoundError

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


def model_names(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "CURRENT").is_file())


def latest_name(root: Path) -> str:
    pointer = root / "LATEST"
    if not pointer.is_file():
        raise NotFoundError(
            f"no trained model in {root}; train one first: forecast train DATA.csv"
        )
    return pointer.read_text().strip()


def current_path(root: Path, name: str | None = None) -> Path:
    """The file predict should load: the model's CURRENT version (the latest model if no name)."""
    name = name or latest_name(root)
    pointer = root / name / "CURRENT"
    if not pointer.is_file():
        known = ", ".join(model_names(root)) or "none"
        raise NotFoundError(f"no model named {name!r} in {root} (models: {known})")
    return root / name / pointer.read_text().strip()
