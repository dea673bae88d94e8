"""forecast.threads: the thread count from CPUs, quota, load and network size (a pure function),
the readers of the machine's facts, and --threads through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from cli_runner import invoke
from hypothesis import given
from hypothesis import strategies as st

from forecast import threads as T
from forecast.api import load_series
from forecast.config import DataSpec, ModelConfig, RunConfig, TrainConfig
from forecast.errors import ConfigError
from forecast.parallel import one_thread, torch_threads
from forecast.threads import MIN_WORK_PER_THREAD, Machine, choose_threads

BIG = 100 * MIN_WORK_PER_THREAD  # work any number of threads could share
LSTM_64X2 = 50_757 * 32  # the default LSTM for a long series (horizon 5), batch 32
LSTM_128X2 = 199_813 * 32  # a wider one (horizon 5), batch 32: two threads pay for it


def test_requested_threads_win() -> None:
    busy = Machine(cpus=2, affinity=2, load=6.0)
    assert choose_threads(busy, BIG, requested=3) == T.ThreadChoice(3, "--threads")
    with pytest.raises(ConfigError, match="--threads 0"):
        choose_threads(busy, BIG, requested=0)


def test_quiet_two_core_machine_gives_a_wide_lstm_two_threads_and_the_default_one() -> None:
    assert choose_threads(Machine(cpus=2, affinity=2, load=0.0), LSTM_128X2).threads == 2
    default = choose_threads(Machine(cpus=2, affinity=2, load=0.0), LSTM_64X2)
    assert default.threads == 1 and "small network" in default.reason  # two threads were 0.89x


def test_two_competing_processes_give_one_thread() -> None:
    choice = choose_threads(Machine(cpus=2, affinity=2, load=2.0), LSTM_128X2)
    assert choice.threads == 1
    assert "busy" in choice.reason and "2.0" in choice.reason


@pytest.mark.parametrize(("load", "threads"), [(0.0, 2), (0.4, 2), (0.6, 1), (1.0, 1), (9.0, 1)])
def test_idle_cpus_round_to_the_nearest_whole_cpu(load: float, threads: int) -> None:
    assert choose_threads(Machine(cpus=2, affinity=2, load=load), BIG).threads == threads


def test_a_small_network_stays_on_one_thread_on_an_idle_machine() -> None:
    small = 4_645 * 32  # LSTM 32 x 1, what short series get
    choice = choose_threads(Machine(cpus=16, affinity=16, load=0.0), small)
    assert choice.threads == 1 and "small network" in choice.reason


def test_the_work_caps_the_count_on_a_big_machine() -> None:
    assert choose_threads(Machine(cpus=64, affinity=64, load=0.0), 3 * MIN_WORK_PER_THREAD).threads == 3


def test_affinity_and_quota_cap_the_count() -> None:
    assert choose_threads(Machine(cpus=8, affinity=1, load=0.0), BIG).threads == 1
    assert choose_threads(Machine(cpus=8, affinity=8, quota=1.5, load=0.0), BIG).threads == 1
    assert choose_threads(Machine(cpus=8, affinity=8, quota=4.0, load=0.0), BIG).threads == 4
    assert choose_threads(Machine(cpus=8, affinity=3, quota=4.0, load=0.0), BIG).threads == 3


def test_load_on_a_big_host_leaves_the_idle_cpus() -> None:
    choice = choose_threads(Machine(cpus=16, affinity=16, load=10.0), BIG)
    assert choice.threads == 6 and "busy" in choice.reason


def test_unsampled_load_uses_what_is_allowed() -> None:
    assert choose_threads(Machine(cpus=4, affinity=4), BIG).threads == 4


machines = st.builds(
    Machine,
    cpus=st.integers(1, 256),
    affinity=st.integers(1, 256),
    quota=st.none() | st.floats(0.1, 256.0),
    load=st.none() | st.floats(0.0, 500.0),
)


@given(machines, st.integers(0, 10**9), st.floats(0.0, 50.0), st.integers(0, 10**8))
def test_more_load_never_more_threads_more_work_never_fewer(
    machine: Machine, work: int, extra_load: float, extra_work: int
) -> None:
    choice = choose_threads(machine, work)
    assert 1 <= choice.threads <= T.allowed(machine)
    assert choice.reason
    if machine.load is not None:
        busier = Machine(machine.cpus, machine.affinity, machine.quota, machine.load + extra_load)
        assert choose_threads(busier, work).threads <= choice.threads
    assert choose_threads(machine, work + extra_work).threads >= choice.threads


def test_cgroup_files() -> None:
    assert T.parse_cpu_max("max 100000\n") is None
    assert T.parse_cpu_max("150000 100000\n") == 1.5
    assert T.parse_cfs("-1\n", "100000\n") is None
    assert T.parse_cfs("200000\n", "100000\n") == 2.0


def test_cgroup_quota_reads_v2_then_v1(tmp_path: Path) -> None:
    assert T.cgroup_quota(tmp_path) is None
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("300000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert T.cgroup_quota(tmp_path) == 3.0
    (tmp_path / "cpu.max").write_text("50000 100000\n")
    assert T.cgroup_quota(tmp_path) == 0.5


def test_runnable_count_from_loadavg() -> None:
    assert T.parse_running("0.52 0.58 0.59 3/467 12345\n") == 3


def test_this_machine_is_read() -> None:
    machine = T.machine()
    assert machine.cpus >= machine.affinity >= 1
    assert machine.load is not None and machine.load >= 0.0
    assert T.machine(load=False).load is None


def test_decide_skips_sampling_when_one_thread_is_all_there_can_be() -> None:
    assert T.decide(1, None).threads == 1
    assert T.decide(BIG, 5) == T.ThreadChoice(5, "--threads")


def test_for_training_counts_the_resolved_network_without_moving_the_seed(sample_data: Path) -> None:
    series = load_series(DataSpec(path=str(sample_data / "sktime_airline.csv")))
    run = RunConfig(model=ModelConfig(name="lstm"), train=TrainConfig(batch_size=32))
    torch.manual_seed(0)
    choice = T.for_training(run, series)
    after = torch.rand(3)
    torch.manual_seed(0)
    assert torch.equal(after, torch.rand(3))
    assert choice.threads == 1 and "small network" in choice.reason  # airline: LSTM 32 x 1
    big = RunConfig(model=ModelConfig(name="lstm", hidden=256, layers=3), train=TrainConfig(batch_size=256))
    # the big network is given more than one thread wherever the machine has them (on 2 CPUs: all
    # of them; on 16, the work need not fill every core)
    assert T.for_training(big, series).threads >= min(2, T.decide(BIG).threads)


def test_torch_threads_restores_the_count() -> None:
    before = torch.get_num_threads()
    with torch_threads(2):
        assert torch.get_num_threads() == 2
        with one_thread():
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
    assert torch.get_num_threads() == before


TINY = ("--epochs", "2", "--hidden", "8", "--layers", "1", "--batch-size", "64", "--device", "cpu")  # threads: CPU


def test_cli_threads_option_and_json(capsys: pytest.CaptureFixture[str], model_home: Path,
                                     sample_data: Path) -> None:
    csv = sample_data / "sktime_airline.csv"
    code, out, err = invoke(capsys, "train", csv, *TINY, "--threads", "1", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["threads"] == 1 and doc["threads_reason"] == "--threads" and doc["interrupted"] is False
    code, out, err = invoke(capsys, "train", csv, *TINY, "--quiet")
    assert code == 0, err
    assert "on cpu, 1 thread (a small network" in out
    code, _, err = invoke(capsys, "train", csv, *TINY, "--threads", "0")
    assert code == 2
    code, _, err = invoke(capsys, "train", csv, "--global", "--threads", "2")
    assert code == 2 and "--threads is for one series; drop it" in err


def test_threads_for_a_small_batch_is_one_and_restored() -> None:
    net = torch.nn.LSTM(8, 8)
    before = torch.get_num_threads()
    with T.threads_for(net, batch=4):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
