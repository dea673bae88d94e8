"""An exclusive, non-blocking run lock: one ``forecast retrain`` at a time.

The lock is ``fcntl.flock`` on a file in the forecast home. The kernel drops a
flock when its process dies, however it dies (``kill -9`` included), so a
killed run never leaves a stale lock behind; the holder's pid, host and start
time written in the file are only there to name the holder in the error. The
file itself is never deleted (deleting a flock'ed file races with the next run).
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from forecast.errors import ConfigError, LockHeldError

LOCK_NAME = "retrain.lock"


@dataclass(frozen=True)
class Holder:
    """Who holds (or last held) a lock."""

    pid: int
    host: str
    started: str  # ISO time, UTC

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}, since {self.started}"


def read_holder(path: Path) -> Holder | None:
    """The holder written in a lock file; None when empty or unreadable."""
    try:
        data: Any = json.loads(path.read_text() or "null")
        return Holder(int(data["pid"]), str(data["host"]), str(data["started"]))
    except (OSError, ValueError, TypeError, KeyError):
        return None


class RunLock:
    """``with RunLock(path):`` holds the lock or raises LockHeldError at once."""

    def __init__(self, path: Path, what: str = "forecast retrain") -> None:
        self.path = Path(path)
        self.what = what
        self._handle: IO[str] | None = None

    def acquire(self) -> Holder:
        """Take the lock without waiting; LockHeldError naming the holder if taken."""
        try:
            import fcntl
        except ImportError:  # Windows
            raise ConfigError(f"{self.what} needs a POSIX system (fcntl) for its lock") from None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # never truncate before holding the lock
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            holder = read_holder(self.path)
            who = holder.describe() if holder else "a process that is still starting"
            raise LockHeldError(
                f"another {self.what} is running ({who}; lock {self.path}); "
                "this run did nothing: wait for it to finish"
            ) from None
        me = Holder(os.getpid(), socket.gethostname(),
                    datetime.now(timezone.utc).isoformat(timespec="seconds"))
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": me.pid, "host": me.host, "started": me.started}) + "\n")
        handle.flush()
        self._handle = handle
        return me

    def release(self) -> None:
        """Empty the file and drop the lock (closing the file drops the flock)."""
        if self._handle is None:
            return
        try:
            self._handle.seek(0)
            self._handle.truncate()
            self._handle.flush()
        finally:
            self._handle.close()
            self._handle = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def __enter__(self) -> "RunLock":
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def retrain_lock(home: Path) -> RunLock:
    """The lock every retrain run in ``home`` takes."""
    return RunLock(Path(home) / LOCK_NAME)


__all__ = ["Holder", "RunLock", "read_holder", "retrain_lock", "LOCK_NAME"]
