"""Writing result tables to files: CSV or Parquet by extension, atomically."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast.atomic import atomic_path
from forecast.errors import ConfigError


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` to .csv or .parquet via a temporary file, so a failure leaves no half file."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ConfigError(f"--output {path}: use a .csv or .parquet file name")
    if not target.parent.exists():
        raise ConfigError(f"--output {path}: folder {target.parent} does not exist")
    with atomic_path(target) as tmp:
        if suffix == ".csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
    return target
