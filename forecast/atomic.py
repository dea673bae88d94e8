"""Atomic file writes: readers see the old file or the new one, never half of one.

Every file forecast writes (models, pointers, the price cache, tables, charts, logs) goes
through :func:`atomic_path`: write a temporary file beside the target, fsync it, rename it
over the target, fsync the folder. A failure removes the temporary file and leaves the
target as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync(path: str | Path, flags: int = os.O_RDONLY) -> None:
    """fsync a file or folder (a no-op where it cannot be opened, e.g. folders on some systems)."""
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_path(target: str | Path, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` when the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; the result reads like any file
        yield tmp
        _fsync(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync(target.parent)


def write_text(target: str | Path, text: str) -> Path:
    """Write a small text file (a pointer, a JSON summary) atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text)
    return Path(target)
