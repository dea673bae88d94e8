"""The option schema: every run option is one config field, asked alike by train, evaluate
and retrain's TOML; a field added with metadata shows up in all three."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import pytest
import typer
from cli_runner import invoke
from typer.testing import CliRunner

from forecast import schema
from forecast.cli import app
from forecast.cli import options as o
from forecast.config import EVERYWHERE, ModelConfig, RunConfig, option
from forecast.errors import ConfigError
from forecast.jobconfig import parse_job_config, train_keys

# Options not asked everywhere, and why; a new exception must be written down here.
ONLY_SOME = {
    "path": ("toml",),  # the CLI's PATH argument
    "interval": ("toml",),  # Yahoo bars of a retrained ticker
    "targets": ("train",),  # one model per column of a wide file
    "model": ("train", "toml"),  # evaluate compares several: --models
}
# Config fields that follow from the data or are fixed, never asked.
NOT_ASKED = {"model.quantiles", "model.n_features", "model.horizon", "model.n_classes",
             "train.min_improvement", "train.val_fraction", "train.weight_decay"}


def _params(verb: str, cli_app: typer.Typer = app) -> dict[str, Any]:
    command = typer.main.get_command(cli_app)
    command = getattr(command, "commands", {}).get(verb, command)
    return {p.name: p for p in command.params}


def _check_param(param: Any, key: schema.Key) -> None:
    """The click parameter typer built says what the schema key says."""
    dashed = "--" + key.name.replace("_", "-")
    assert dashed in param.opts, (key.name, param.opts)
    bounds = param if hasattr(param, "min") else param.type  # typer's option, or click's range type
    assert (getattr(bounds, "min", None), getattr(bounds, "max", None)) == (key.low, key.high), key.name
    assert param.help == key.help and "{choices}" not in param.help, key.name
    assert param.rich_help_panel == key.panel, key.name
    default = getattr(param.default, "value", param.default)
    assert default == (None if key.kind == "list" else key.default), key.name
    if key.listed:  # a click choice
        descriptor = getattr(param, "type_descriptor", None)  # typer >= 0.29; before it, click's Choice
        members = descriptor.annotation if descriptor else param.type.choices
        listed = [getattr(m, "value", m) for m in members]
        assert listed == list(key.choices or ()), key.name


def _toml(table: str, run_cls: type[RunConfig] = RunConfig) -> Any:
    return parse_job_config(f'[[series]]\nname = "s"\npath = "a.csv"\n{table}\n', Path("/j.toml"), run_cls)


def _bad_toml(table: str, run_cls: type[RunConfig] = RunConfig) -> str:
    with pytest.raises(ConfigError) as caught:
        _toml(table, run_cls)
    return str(caught.value)


def _toml_value(key: schema.Key, value: Any) -> str:
    return repr(value).replace("'", '"') if isinstance(value, str) else str(value).lower()


def test_every_config_field_is_an_option_or_said_not_to_be() -> None:
    keys = schema.keys()
    for section, cls in schema.sections().items():
        for f in fields(cls):
            asked = "option" in f.metadata
            assert asked != (f"{section}.{f.name}" in NOT_ASKED), f"{section}.{f.name}: add option(...) or list it"
    for name, key in keys.items():
        assert key.places == ONLY_SOME.get(name, EVERYWHERE), name


@pytest.mark.parametrize("place", EVERYWHERE)
def test_every_option_is_asked_alike(place: str) -> None:
    """Same names, defaults, help, panels, ranges and choices on train, evaluate and in TOML."""
    keys = schema.keys_for(place)
    assert keys, place
    if place == "toml":
        table = train_keys()
        for name, key in keys.items():
            assert table[name] is key
        return
    params = _params(place)
    for name, key in keys.items():
        _check_param(params[name], key)


def test_ranges_and_choices_are_enforced_the_same_way(capsys: pytest.CaptureFixture[str]) -> None:
    """Outside a range: click (exit 2) and the TOML reader both refuse; outside the choices, the
    builder names the option on the CLI and the reader names the key in TOML."""
    for key in schema.keys_for("toml").values():
        if key.low is not None and key.kind in ("int", "float"):
            below = key.low - (1 if key.kind == "int" else 0.5)
            assert f"key '{key.name}' = {below!r} must be" in _bad_toml(f"{key.name} = {below}")
            if "train" in key.places:
                code, _, err = invoke(capsys, "train", "a.csv", f"--{key.name.replace('_', '-')}", str(below))
                assert code == 2 and key.name.replace("_", "-") in err, (key.name, err)
        if key.kind == "str" and key.choices is not None:
            message = _bad_toml(f'{key.name} = "nope"')
            assert f"key '{key.name}' = 'nope': choose one of {', '.join(key.choices)}" in message
            good = key.choices[-1]
            assert _toml(f"{key.name} = {_toml_value(key, good)}") is not None
            if key.listed or "train" not in key.places:
                continue
            with pytest.raises(ConfigError, match=f"--{key.name.replace('_', '-')} 'nope': choose one of "
                               f"{', '.join(key.choices)}"):
                o.build_run_config(**{key.name: "nope"})


def test_builder_fills_every_field_from_its_option() -> None:
    """Each option lands in its own field (a typo in a field name or section would not)."""
    values = {"int": 7, "float": 0.25, "bool": True, "list": "a, b"}
    opts: dict[str, Any] = {}
    for key in schema.keys().values():
        opts[key.name] = key.choices[-1] if key.choices else values.get(key.kind, f"x-{key.name}")
    run = schema.build_run_config(opts)
    for key in schema.keys().values():
        got = getattr(getattr(run, key.section), key.field)
        assert got == (("a", "b") if key.kind == "list" else opts[key.name]), key.name


# ---------------------------------------------------------------- adding a hyper-parameter


@dataclass(frozen=True)
class KernelModel(ModelConfig):
    """ModelConfig plus two new hyper-parameters, written the way a contributor would."""

    kernel: int = option(3, "Convolution width before the recurrent layers.", low=1, high=9)
    norm: Literal["none", "layer"] = option("none", "Normalisation inside the cell: {choices}.")


@dataclass(frozen=True)
class KernelRun(RunConfig):
    model: KernelModel = field(default_factory=KernelModel)


def _verb(verb: str) -> tuple[typer.Typer, list[RunConfig]]:
    """A one-command app whose options come from KernelRun's schema; it records the RunConfig."""
    seen: list[RunConfig] = []
    cli = typer.Typer(add_completion=False)

    @cli.command()
    @o.run_options(verb, run_cls=KernelRun)
    def fit(path: str, options: o.RunOptions = o.RUN_OPTIONS, name: str = "x") -> None:
        seen.append(schema.build_run_config({"path": path, **options}, run_cls=KernelRun))

    return cli, seen


@pytest.mark.parametrize("verb", ["train", "evaluate"])
def test_a_new_model_field_is_a_cli_option_of_both_verbs(verb: str) -> None:
    cli, seen = _verb(verb)
    params = _params(verb, cli)
    assert list(params)[:2] == ["path", "ticker"] and list(params)[-1] == "name"  # in place
    for name in ("kernel", "norm"):
        _check_param(params[name], schema.keys(KernelRun)[name])
    runner = CliRunner()
    result = runner.invoke(cli, ["a.csv", "--kernel", "5", "--norm", "layer", "--hidden", "8"])
    assert result.exit_code == 0, result.output
    assert (seen[-1].model.kernel, seen[-1].model.norm, seen[-1].model.hidden) == (5, "layer", 8)
    assert seen[-1].data.path == "a.csv"
    assert runner.invoke(cli, ["a.csv"]).exit_code == 0 and seen[-1].model == KernelModel()
    assert runner.invoke(cli, ["a.csv", "--kernel", "10"]).exit_code == 2  # out of 1..9
    refused = runner.invoke(cli, ["a.csv", "--norm", "batch"])
    assert isinstance(refused.exception, ConfigError)
    assert str(refused.exception) == "--norm 'batch': choose one of none, layer"
    help_text = runner.invoke(cli, ["--help"], env={"COLUMNS": "200"}).output
    assert "Normalisation inside the cell: none or layer." in help_text


def test_a_new_model_field_is_a_toml_key() -> None:
    run = _toml("kernel = 4\nnorm = \"layer\"\nepochs = 2", KernelRun).series[0].run
    assert isinstance(run.model, KernelModel) and (run.model.kernel, run.model.norm) == (4, "layer")
    assert run.train.epochs == 2
    assert "key 'kernel' = 0 must be between 1 and 9" in _bad_toml("kernel = 0", KernelRun)
    assert "key 'norm' = 'batch': choose one of none, layer" in _bad_toml('norm = "batch"', KernelRun)
    assert "unknown key 'kernel'" in _bad_toml("kernel = 4")  # the stock schema has no such key


def test_a_verb_must_leave_the_run_options_to_the_schema() -> None:
    with pytest.raises(TypeError, match="no parameter named like a run option \\(hidden\\)"):
        @o.run_options("train")
        def clash(options: o.RunOptions = o.RUN_OPTIONS, hidden: int = 1) -> None: ...
    with pytest.raises(TypeError, match="needs a parameter 'options'"):
        @o.run_options("train")
        def missing(hidden2: int = 1) -> None: ...
