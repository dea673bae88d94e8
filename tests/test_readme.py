"""The README stays true: every command is documented, every documented option exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer

from forecast.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _command_tree() -> dict[tuple[str, ...], object]:
    """Every command path of the app and its click command."""
    tree: dict[tuple[str, ...], object] = {}

    def walk(command: object, path: tuple[str, ...]) -> None:
        tree[path] = command
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return tree


TREE = _command_tree()


def _usage_lines() -> list[str]:
    """Command lines in the README's code blocks that start with ``forecast``."""
    blocks = re.findall(r"```[^\n]*\n(.*?)```", README, re.DOTALL)
    lines = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("forecast ")]


def _options(command: object) -> set[str]:
    names: set[str] = set()
    for param in getattr(command, "params", []):
        names.update(getattr(param, "opts", []))
        names.update(getattr(param, "secondary_opts", []))
    return names


def _alternatives(line: str) -> list[list[str]]:
    """Words of each command a usage line shows ("models list | show NAME" shows two)."""
    parts = line.split(" | ")
    prefix = shlex.split(parts[0])[:2]  # "forecast models"
    return [shlex.split(part) if part.startswith("forecast ") else [*prefix, *shlex.split(part)] for part in parts]


def _command_path(words: list[str]) -> tuple[str, ...]:
    """The longest command path the words start with (after ``forecast``)."""
    path: tuple[str, ...] = ()
    for word in words[1:]:
        if (*path, word) not in TREE:
            break
        path = (*path, word)
    return path


USAGE = _usage_lines()
DOCUMENTED = {_command_path(words)[:n] for line in USAGE for words in _alternatives(line)
              for n in range(1, len(_command_path(words)) + 1)}


@pytest.mark.parametrize("path", [p for p in TREE if p], ids=" ".join)
def test_every_command_has_a_usage_line_in_the_readme(path: tuple[str, ...]) -> None:
    assert path in DOCUMENTED, f"README shows no `forecast {' '.join(path)}` line"


def test_the_readme_has_usage_lines() -> None:
    assert len(USAGE) >= 15  # the parse below found the code blocks


@pytest.mark.parametrize("line", USAGE)
def test_every_option_in_the_readme_exists(line: str) -> None:
    for words in _alternatives(line):
        path = _command_path(words)
        assert path, f"no command in {' '.join(words)!r}"
        known = _options(TREE[path])
        for word in words[1:]:
            if word.startswith("--"):
                assert word.split("=")[0] in known, f"forecast {' '.join(path)} has no option {word}"
