"""Shared fixtures: where the real data lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# One thread per test process: the suite runs two xdist workers on two cores, and torch's
# default thread pool thrashes when the machine is shared (an LSTM step went 1 ms -> 1.4 s).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def pytest_configure(config: pytest.Config) -> None:
    import torch

    torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def sample_data() -> Path:
    """The real CSVs bundled with the project (from Python packages)."""
    return SAMPLE_DATA


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (files from GitHub repositories that may not be copied in); skip if absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is absent: the GitHub-sourced data stays outside the project")
    return SHARED_DATA


@pytest.fixture()
def model_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty FORECAST_HOME for one test."""
    home = tmp_path / "home"
    monkeypatch.setenv("FORECAST_HOME", str(home))
    return home
