"""Where forecast keeps its files: models, the price cache, CSV snapshots, retrain logs.

``FORECAST_HOME`` (or ``--model-dir``) overrides the per-user data directory,
which is stable under cron because it does not depend on the working folder.
"""

from __future__ import annotations

import os
from pathlib import Path


def home_dir(override: str | Path | None = None) -> Path:
    """The root folder: the override, else $FORECAST_HOME, else the user data dir."""
    if override:
        return Path(override).expanduser().resolve()
    env = os.environ.get("FORECAST_HOME")
    if env:
        return Path(env).expanduser().resolve()
    from platformdirs import user_data_dir

    return Path(user_data_dir("forecast", appauthor=False))


def models_dir(override: str | Path | None = None) -> Path:
    """Saved model bundles live here."""
    return home_dir(override) / "models"


def snapshots_dir(override: str | Path | None = None) -> Path:
    """Parsed CSV snapshots that let predict skip pandas while a file is unchanged."""
    return home_dir(override) / "snapshots"


def prices_dir(override: str | Path | None = None) -> Path:
    """The local Yahoo price cache: one file per ticker and interval."""
    return home_dir(override) / "prices"
