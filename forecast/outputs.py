"""Writing result tables to files: CSV or Parquet by extension, atomically."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from forecast.atomic import atomic_path
from forecast.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd


def _same_file(a: Path, b: Path) -> bool:
    """Same file: same resolved path, or (both existing) the same inode (links, bind mounts)."""
    if a.expanduser().resolve() == b.expanduser().resolve():
        return True
    try:
        return os.path.samefile(a.expanduser(), b.expanduser())
    except OSError:
        return False


def check_outputs(outputs: dict[str, str | Path | None], inputs: Iterable[str | Path | None]) -> None:
    """Refuse an output path that is one of the command's inputs (data, model, job file).

    ``outputs`` maps the option (``--output``) to its path; checked before any work,
    so a user's input file is never overwritten by the answer.
    """
    sources = [Path(p) for p in inputs if p and not str(p).startswith("yahoo:")]
    named = [(flag, Path(path)) for flag, path in outputs.items() if path]
    for flag, target in named:
        for source in sources:
            if _same_file(target, source):
                raise ConfigError(
                    f"{flag} {target}: that is an input of this command ({source}); "
                    "writing there would overwrite it. Pick another file name"
                )
    for i, (flag, target) in enumerate(named):
        for other_flag, other in named[i + 1 :]:
            if _same_file(target, other):
                raise ConfigError(f"{flag} and {other_flag} name the same file {target}; pick two names")


IDENTITY = ("series", "model", "target")  # a forecast file's first columns: what it forecasts


def identified(frame: "pd.DataFrame", series: str, model: str, target: str) -> "pd.DataFrame":
    """``frame`` with the series, model and target in front (predict --output, as --all-series),
    so a forecast file that leaves the terminal says what it is."""
    out = frame.copy()
    for i, (key, value) in enumerate(zip(IDENTITY, (series, model, target))):
        out.insert(i, key, value)
    return out


def write_table(frame: "pd.DataFrame", path: str | Path) -> Path:
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
