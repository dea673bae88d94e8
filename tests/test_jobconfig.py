"""The retrain job file: TOML keys, types, relative paths, and the cron check."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecast.config import DataSpec
from forecast.errors import ConfigError, NotFoundError
from forecast.jobconfig import build_run_config, check_cron, load_job_config, parse_job_config

GOOD = """
folds = 2
tolerance = 0.05
jobs = 2

[defaults]
epochs = 3
hidden = 8

[[series]]
name = "nile"
path = "data/nile.csv"
input_len = 10
horizon = 5
epochs = 2
features = ["open", "high"]

[[series]]
ticker = "aapl"
folds = 4
features = "open, volume"
dropout = 0
"""


def parse(text: str, where: Path = Path("/jobs/forecast.toml")) -> object:
    return parse_job_config(text, where)


def test_keys_defaults_and_overrides(tmp_path: Path) -> None:
    folder = tmp_path / "cron jobs"
    folder.mkdir()
    (folder / "forecast.toml").write_text(GOOD)
    job = load_job_config(folder / "forecast.toml")
    nile, aapl = job.series
    assert (job.jobs, job.backend, job.scheduler) == (2, "local", None)
    assert nile.name == "nile" and nile.run.data.path == str(folder / "data" / "nile.csv")
    assert (nile.run.window.input_len, nile.run.window.horizon) == (10, 5)
    assert (nile.run.train.epochs, nile.run.model.hidden) == (2, 8)  # series beats [defaults]
    assert nile.run.data.features == ("open", "high")
    assert (nile.evaluation.folds, nile.evaluation.tolerance) == (2, 0.05)
    assert aapl.name == "AAPL" and aapl.run.data.ticker == "aapl" and aapl.run.data.path is None
    assert aapl.run.train.epochs == 3 and aapl.evaluation.folds == 4
    assert aapl.run.data.features == ("open", "volume") and aapl.run.model.dropout == 0.0


def test_absolute_and_home_paths_stay(tmp_path: Path) -> None:
    job = parse(f'[[series]]\npath = "{tmp_path}/x.csv"\n[[series]]\npath = "~/y.csv"\n')
    assert job.series[0].run.data.path == f"{tmp_path}/x.csv"  # type: ignore[attr-defined]
    assert job.series[1].run.data.path == str(Path("~/y.csv").expanduser())  # type: ignore[attr-defined]
    assert [s.name for s in job.series] == ["x", "y"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[[series]]\nname = "nile"\npath = "a.csv"\nepoch = 2\n',
         "series 'nile': unknown key 'epoch' (did you mean 'epochs'?)"),
        ('[[series]]\nname = "nile"\npath = "a.csv"\nepochs = "two"\n',
         "series 'nile': key 'epochs' must be an integer, got 'two'"),
        ('[[series]]\nname = "nile"\npath = "a.csv"\nepochs = 2.5\n', "key 'epochs' must be an integer"),
        ('[[series]]\nname = "nile"\npath = "a.csv"\nbidirectional = 1\n',
         "key 'bidirectional' must be true or false"),
        ('[[series]]\nname = "nile"\npath = "a.csv"\ndropout = 2\n',
         "key 'dropout' = 2 must be between 0.0 and 0.9"),
        ('[[series]]\nname = "nile"\npath = "a.csv"\nmodel = "xlstm"\n',
         "key 'model' = 'xlstm': choose one of rnn, lstm, gru"),
        ('[[series]]\nname = "nile"\npath = "a.csv"\nfeatures = [1, 2]\n', "key 'features' must be a list"),
        ('[[series]]\npath = "a.csv"\n[[series]]\npath = "b/a.csv"\n', "the name 'a' is used twice"),
        ('[[series]]\nname = "nile"\n', "series 'nile': give exactly one of 'path'"),
        ('[[series]]\nname = "x"\npath = "a.csv"\nticker = "AAPL"\n', "give exactly one of 'path'"),
        ('[[series]]\nname = "bad name!"\npath = "a.csv"\n', "key 'name': model name 'bad name!'"),
        ('epochs = 2\n[[series]]\npath = "a.csv"\n',
         "(top level): unknown key 'epochs' (a train option: put it in [defaults]"),
        ('[defaults]\nhorizn = 3\n[[series]]\npath = "a.csv"\n',
         "[defaults]: unknown key 'horizn' (did you mean 'horizon'?)"),
        ("folds = 2\n", "no [[series]] tables"),
        ('backend = "spark"\n[[series]]\npath = "a.csv"\n', "key 'backend' = 'spark': choose one of local, dask"),
        ('[[series]]\npath = "a.csv"\nfolds = 0\n', "series #1: key 'folds' = 0 must be >= 1"),
        ("[[series]\npath = 1\n", "not valid TOML"),
        ('[[series]]\nticker = "AAPL"\ninterval = "1day"\n', "key 'interval' = '1day': choose one of"),
        # misspelt tables: "unknown key 'default'" gave no hint, [series] said "no [[series]] tables"
        ('[default]\nepochs = 1\n[[series]]\npath = "a.csv"\n',
         "(top level): unknown key 'default' (did you mean [defaults]?)"),
        ('[[serie]]\npath = "a.csv"\n', "unknown key 'serie' (did you mean [[series]]?)"),
        ('[series]\npath = "a.csv"\n', "write [[series]] (two brackets) for each series, not [series]"),
    ],
)
def test_bad_config_is_one_line_naming_the_key(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    message = str(caught.value)
    assert expected in message and "\n" not in message
    assert message.startswith("/jobs/forecast.toml")


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="config file .*nope.toml' not found"):
        load_job_config(tmp_path / "nope.toml")


def test_builder_matches_the_cli_builder() -> None:
    from forecast.cli.options import build_run_config as cli_build

    opts = {"path": "a.csv", "features": "open,high", "input_len": 12, "horizon": 3,
            "transform": "diff", "model": "gru", "hidden": 16, "layers": 1, "epochs": 5,
            "batch_size": 8, "lr": 0.01, "seed": 3, "patience": 2, "device": "cpu", "head": "gaussian"}
    assert build_run_config(opts) == cli_build(**opts)
    assert build_run_config({}).data == DataSpec()
    with pytest.raises(ConfigError, match="--scaler 'zscore': choose one of"):
        build_run_config({"scaler": "zscore"})


@pytest.mark.parametrize("expression", ["30 18 * * 1-5", "*/15 * * * *", "0 0 1,15 jan-jun sun",
                                        "5 4 * * 7", "0 9-17/2 * * MON-FRI", "@daily", " 1  2 3 4 5 "])
def test_good_cron_expressions(expression: str) -> None:
    assert check_cron(expression)


@pytest.mark.parametrize(("expression", "field"), [
    ("30 18 * *", "needs 5 fields"), ("60 * * * *", "bad minute field '60'"),
    ("* 24 * * *", "bad hour field"), ("* * 0 * *", "bad day of month field"),
    ("* * * 13 *", "bad month field"), ("* * * * 8", "bad day of week field"),
    ("*/0 * * * *", "bad minute field"), ("5-1 * * * *", "bad minute field"),
    ("* * * foo *", "bad month field"), ("@reboot", "needs 5 fields"),
])
def test_bad_cron_names_the_field(expression: str, field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        check_cron(expression)


def test_two_targets_of_one_file_get_their_own_names() -> None:
    """Two unnamed tables of macrodata for realgdp and realcons stopped with "the name
    'statsmodels_macrodata' is used twice"; each now gets its target in its name. A lone table
    keeps the name it always had, so a cron job's model is found again."""
    text = ('[[series]]\npath = "statsmodels_macrodata.csv"\ntarget = "realgdp"\n'
            '[[series]]\npath = "statsmodels_macrodata.csv"\ntarget = "realcons"\n'
            '[[series]]\npath = "sktime_airline.csv"\ntarget = "Passengers"\n')
    job = parse_job_config(text, Path("/jobs/forecast.toml"))
    assert [j.name for j in job.series] == ["statsmodels_macrodata-realgdp", "statsmodels_macrodata-realcons",
                                            "sktime_airline"]
    assert [j.run.data.target for j in job.series] == ["realgdp", "realcons", "Passengers"]
