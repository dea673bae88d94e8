"""Run the real CLI in process (``forecast.cli.main``): exit code, stdout, stderr."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecast.cli import main


def invoke(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """``forecast ARGS`` as a user types it; what it printed before is discarded first."""
    capsys.readouterr()
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err
