"""The CLI's frame: light --help, an example in every command's help, exit codes as documented."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
import typer
from cli_runner import invoke

import forecast
from forecast import errors
from forecast.cli import app, main

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "yfinance", "matplotlib")


def _commands() -> list[tuple[str, ...]]:
    """Every command path of the app: (), ('train',), ('models',), ('models', 'list'), ..."""
    paths: list[tuple[str, ...]] = []

    def walk(command: object, path: tuple[str, ...]) -> None:
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():  # a group (typer vendors click)
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return paths


_run_main = invoke


# ---------------------------------------------------------------- --help is light


HELP_PROBE = """
import contextlib, io, json, sys
from forecast.cli import main
report = []
for argv in json.loads(sys.argv[1]):
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        try:
            main(argv)
            code = 0
        except SystemExit as done:
            code = done.code
    heavy = sorted(m for m in {heavy} if m in sys.modules)
    report.append({{"argv": argv, "code": code, "heavy": heavy, "help": text.getvalue()}})
print(json.dumps(report))
"""


def test_help_loads_no_heavy_module() -> None:
    """`forecast --help` first in a fresh process, then every command's help in the same one.

    typer is on the watch list too: it is always loaded, which shows the probe sees modules.
    """
    argvs = [["--help"]] + [[*path, "--help"] for path in _commands() if path]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", HELP_PROBE.format(heavy=(*HEAVY, "typer")), json.dumps(argvs)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert len(report) == len(argvs)
    for entry in report:
        assert entry["code"] == 0, entry
        assert "Usage:" in entry["help"], entry["argv"]
        assert entry["heavy"] == ["typer"], f"{entry['argv']} loaded {entry['heavy']}"


def test_python_dash_m_forecast_help() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "forecast", "--help"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "Example: forecast train" in done.stdout
    for command in ("train", "predict", "models"):
        assert re.search(rf"^\W*{command}\b", done.stdout, re.MULTILINE), command


# ---------------------------------------------------------------- every command has an example


def test_the_app_has_the_spine_commands() -> None:
    paths = set(_commands())
    assert {(), ("train",), ("predict",), ("models",), ("models", "list"), ("models", "show")} <= paths


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p) or "forecast")
def test_every_command_has_help_with_an_example(capsys: pytest.CaptureFixture[str], path: tuple[str, ...]) -> None:
    code, out, err = _run_main(capsys, *path, "--help")
    assert code == 0, err
    examples = re.findall(r"^\W*Example: (forecast\b.*?)\W*$", out, re.MULTILINE)
    assert examples, out
    # the example runs this very command
    assert any(example.split()[1 : 1 + len(path)] == list(path) for example in examples), examples


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run_main(capsys, "--version")
    assert code == 0 and out.strip() == f"forecast {forecast.__version__}"


def test_console_script_points_at_main() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["forecast"] == "forecast.cli:main"


# ---------------------------------------------------------------- exit codes


def _documented_codes() -> dict[int, str]:
    doc = errors.__doc__ or ""
    return {int(code): meaning for code, meaning in re.findall(r"^\s+(\d+)\s{2,}(.+)$", doc, re.MULTILINE)}


def _error_classes() -> list[type[errors.ForecastError]]:
    found: list[type[errors.ForecastError]] = []
    todo: list[type[errors.ForecastError]] = [errors.ForecastError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_documented_exit_codes_match_the_classes() -> None:
    documented = _documented_codes()
    assert sorted(documented) == [*range(0, 11), 130]
    classes = [c for c in _error_classes() if c.__module__ == "forecast.errors"]
    assert errors.EXIT_CODES == {c.__name__: c.exit_code for c in classes}
    codes = [c.exit_code for c in classes if c is not errors.ForecastError]
    assert len(codes) == len(set(codes)), "two classes share an exit code"
    assert set(codes) | {0, 1} == set(documented)
    words = {  # each class's code is documented with what the class is about
        "ConfigError": "config",
        "NotFoundError": "not exist",
        "DataError": "bad data",
        "ModelFileError": "saved model",
        "NetworkError": "network",
        "RateLimitError": "rate limit",
        "TickerError": "ticker",
        "LockHeldError": "lock",
        "PartialFailureError": "failed",
        "Interrupted": "interrupted",
    }
    for cls in classes:
        if cls is not errors.ForecastError:
            assert words[cls.__name__] in documented[cls.exit_code].lower(), cls
    for cls in _error_classes():  # classes defined elsewhere reuse a documented code
        assert cls.exit_code in documented, cls


OWN_CLASSES = [c for c in _error_classes() if c.__module__ == "forecast.errors"]


@pytest.mark.parametrize("cls", OWN_CLASSES, ids=lambda c: c.__name__)
def test_cli_exits_with_each_class_code(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, cls: type[errors.ForecastError]
) -> None:
    from forecast import api

    def fail(**kwargs: object) -> None:
        raise cls("something specific went wrong; do this about it")

    monkeypatch.setattr(api, "predict", fail)
    code, out, err = _run_main(capsys, "predict")
    assert code == cls.exit_code
    assert err == "error: something specific went wrong; do this about it\n" and out == ""


def test_a_bug_is_exit_1_in_one_line_and_a_traceback_with_debug(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from forecast import api

    def bug(**kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(api, "predict", bug)
    code, out, err = _run_main(capsys, "predict")
    assert code == 1 and out == ""
    assert err.strip() == "internal error: ZeroDivisionError: division by zero (rerun with --debug for the traceback)"
    with pytest.raises(ZeroDivisionError):  # --debug lets the traceback through
        main(["--debug", "predict"])
