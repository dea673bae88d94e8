"""The retrain lock: exclusive, names its holder, and dies with its process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from forecast.errors import LockHeldError
from forecast.lock import RunLock, read_holder, retrain_lock

HOLD = """
import sys, time
from forecast.lock import RunLock
lock = RunLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
time.sleep(120)
"""


def hold_in_subprocess(path: Path) -> subprocess.Popen[str]:
    """A child process that takes the lock and sleeps; returns once it holds it."""
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE,
                             text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    return child


def test_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    lock = retrain_lock(tmp_path)
    with lock:
        holder = read_holder(tmp_path / "retrain.lock")
        assert holder is not None and holder.pid == os.getpid()
        assert holder.host == socket.gethostname() and holder.started.endswith("+00:00")
        with pytest.raises(LockHeldError, match=f"pid {os.getpid()} on"):
            RunLock(tmp_path / "retrain.lock").acquire()  # another open file: refused
    assert not lock.held and read_holder(tmp_path / "retrain.lock") is None
    with retrain_lock(tmp_path):  # free again
        pass


def test_held_by_another_process_names_it(tmp_path: Path) -> None:
    child = hold_in_subprocess(tmp_path / "retrain.lock")
    try:
        with pytest.raises(LockHeldError) as caught:
            retrain_lock(tmp_path).acquire()
        message = str(caught.value)
        assert f"pid {child.pid} on {socket.gethostname()}" in message and "\n" not in message
        assert caught.value.exit_code == 9
    finally:
        child.kill()
        child.wait()


def test_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    child = hold_in_subprocess(tmp_path / "retrain.lock")
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert read_holder(tmp_path / "retrain.lock").pid == child.pid  # type: ignore[union-attr]
    with retrain_lock(tmp_path) as lock:  # the kernel dropped the flock with the process
        assert lock.held
        assert read_holder(tmp_path / "retrain.lock").pid == os.getpid()  # type: ignore[union-attr]
