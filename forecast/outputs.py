"""Writing result tables to files: CSV or Parquet by extension, atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from forecast.errors import ConfigError


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` to .csv or .parquet via a temporary file, so a failure leaves no half file."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ConfigError(f"--output {path}: use a .csv or .parquet file name")
    if not target.parent.exists():
        raise ConfigError(f"--output {path}: folder {target.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a written table reads like any file
        if suffix == ".csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
