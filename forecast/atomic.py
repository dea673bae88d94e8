"""Atomic file writes: readers see the old file or the new one, never half of one.

Every file forecast writes (models, pointers, the price cache, tables, charts, logs) goes
through :func:`atomic_path`: write a temporary file beside the target, fsync it, rename it
over the target, fsync the folder. A failure removes the temporary file and leaves the
target as it was.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
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


# .<target name>.<writer pid>.<random>.tmp; before the pid was in the name: .<name>.<random>.tmp
_TEMPORARY = re.compile(r"^\..+?\.(?:(?P<pid>\d+)\.)?[A-Za-z0-9_]{8}\.tmp$")
_ORPHAN_AGE = 3600.0  # seconds: a temporary file without a pid this old has no writer left


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def sweep_temporaries(folder: Path) -> list[Path]:
    """Remove temporary files left in ``folder`` by writers that died (kill -9, power loss).

    A temporary file names its writer's pid; it is stale when that process is gone
    (or, for names without a pid, when it is over an hour old). Returns what was removed.
    """
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        match = _TEMPORARY.match(entry.name)
        if not match:
            continue
        try:
            pid = match.group("pid")
            stale = (not _alive(int(pid))) if pid else now - entry.stat().st_mtime > _ORPHAN_AGE
            if stale and int(pid or 0) != os.getpid() and entry.is_file():
                entry.unlink()
                removed.append(entry)
        except OSError:
            continue
    return removed


@contextmanager
def atomic_path(target: str | Path, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` when the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_temporaries(target.parent)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=suffix, dir=target.parent)
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
