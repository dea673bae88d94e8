"""The Dask backend on a local loopback cluster gives the local backend's numbers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed", reason="dask[distributed] is an optional extra (forecast[dask])")

from distributed import LocalCluster  # noqa: E402

from forecast import retrain as R  # noqa: E402
from forecast.api import load_series  # noqa: E402
from forecast.config import DataSpec, ModelConfig, RunConfig, TrainConfig, WindowConfig  # noqa: E402
from forecast.multiseries import fit_payload  # noqa: E402
from forecast.parallel import run_jobs  # noqa: E402
from forecast.persistence import load_bundle  # noqa: E402

TINY = 'epochs = 1\nhidden = 8\nlayers = 1\nbatch_size = 64\ndevice = "cpu"\n'


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """Two single-thread worker processes on 127.0.0.1 (joblib runs a 1-thread cluster's jobs here)."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as local:
        yield local


def tasks_seen(cluster: LocalCluster) -> int:
    """Tasks the cluster's workers have run so far."""
    from distributed import Client

    with Client(cluster.scheduler_address, set_as_default=False) as client:
        counts = client.run(lambda dask_worker: dask_worker.state.executed_count)
    return int(sum(counts.values()))


def test_per_series_jobs_match_local(cluster: LocalCluster, sample_data: Path) -> None:
    run = RunConfig(window=WindowConfig(input_len=12, horizon=4), model=ModelConfig(hidden=8, layers=1),
                    train=TrainConfig(epochs=1, batch_size=64, device="cpu"))
    airline = load_series(DataSpec(path=str(sample_data / "sktime_airline.csv")))
    msft = load_series(DataSpec(path=str(sample_data / "pmdarima_msft.csv")))
    msft = msft.rows(-200, None)
    items = [(airline, run, "air"), (msft, run, "msft")]
    before = tasks_seen(cluster)
    remote = run_jobs(fit_payload, items, name="dask", scheduler=cluster.scheduler_address)
    assert tasks_seen(cluster) > before  # the jobs went through the cluster
    local = run_jobs(fit_payload, items)
    for a, b in zip(remote, local):
        assert a.error is None and a.payload is not None and b.payload is not None
        for key, weights in a.payload["weights"].items():
            np.testing.assert_array_equal(weights, b.payload["weights"][key])


def _job(folder: Path, sample_data: Path, two: bool) -> Path:
    (folder / "air.csv").write_bytes((sample_data / "sktime_airline.csv").read_bytes())
    text = f"folds = 2\n[defaults]\n{TINY}input_len = 12\nhorizon = 6\n"
    text += '[[series]]\nname = "air"\npath = "air.csv"\n'
    if two:
        text += '[[series]]\nname = "air-gru"\npath = "air.csv"\nmodel = "gru"\n'
    (folder / "forecast.toml").write_text(text)
    return folder / "forecast.toml"


@pytest.mark.parametrize("two", [False, True], ids=["per-fold", "per-series"])
def test_retrain_on_dask_equals_local(cluster: LocalCluster, sample_data: Path, tmp_path: Path,
                                      two: bool) -> None:
    config = _job(tmp_path, sample_data, two)
    before = tasks_seen(cluster)
    remote = R.retrain(config, home=tmp_path / "dask", backend="dask",
                       scheduler=cluster.scheduler_address)
    assert tasks_seen(cluster) > before
    local = R.retrain(config, home=tmp_path / "local")
    assert [o.status for o in remote.outcomes] == ["first"] * (2 if two else 1)
    for a, b in zip(remote.outcomes, local.outcomes):
        assert (a.name, a.status, a.challenger) == (b.name, b.status, b.challenger)
        wa = load_bundle(tmp_path / "dask" / "models" / a.name / "v0001.joblib")["weights"]
        wb = load_bundle(tmp_path / "local" / "models" / b.name / "v0001.joblib")["weights"]
        for key in wa:
            np.testing.assert_array_equal(wa[key], wb[key])
