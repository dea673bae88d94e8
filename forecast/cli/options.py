"""Typer options: the run options derived from the config schema, and the few verbs share.

The data, window, model and training options of train and evaluate are not declared
here: each is a config field with ``option(...)`` metadata (forecast/config.py), read by
forecast/schema.py. A verb asks for them with one placeholder parameter::

    @app.command()
    @o.run_options("train")
    def train(path: ... = None, options: o.RunOptions = o.RUN_OPTIONS, name: ... = None):
        run = o.build_run_config(**options)

and :func:`run_options` puts one typer option per schema key in its place (so --help keeps
the order), then hands the verb their values as one dict.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Mapping
from enum import Enum
from types import MappingProxyType
from typing import Annotated, Any, TypeVar

import typer

from forecast import schema
from forecast.config import RunConfig
from forecast.schema import Key, keys_for
from forecast.schema import build_run_config as _build
from forecast.schema import split_list as split_list  # used by the verbs

OUTPUT = "Output"

RunOptions = Mapping[str, Any]
RUN_OPTIONS: RunOptions = MappingProxyType({})  # the placeholder run_options replaces

F = TypeVar("F", bound=Callable[..., Any])
_TYPES: dict[str, type] = {"int": int, "float": float, "bool": bool, "str": str, "list": str}

Threads = Annotated[  # not a config field: how this process runs, never saved
    int | None,
    typer.Option(min=1, help="Torch CPU threads (default: from the idle CPUs, affinity, cgroup quota and the network's size; printed after training).", rich_help_panel=schema.PANELS["train"]),
]
ModelDir = Annotated[
    str | None,
    typer.Option("--model-dir", envvar="FORECAST_HOME", help="Where models live (default: the user data folder).", show_envvar=True),
]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.", rich_help_panel=OUTPUT)]
Quiet = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress and no notes: only results and errors.", rich_help_panel=OUTPUT)
]


@functools.cache
def _choice_enum(key: Key) -> type[Enum]:
    """A str Enum of a key's choices: typer makes it a click choice listed in --help."""
    choices = key.choices or ()
    return Enum(key.name.title().replace("_", ""), {c: c for c in choices}, type=str)  # type: ignore[return-value]


def typer_parameter(key: Key) -> inspect.Parameter:
    """One schema key as the typer option of a generated signature."""
    dashed = key.name.replace("_", "-")
    tri_state = key.kind == "bool" and key.default is None  # --dayfirst/--no-dayfirst, default: unset
    decls = [f"--{dashed}/--no-{dashed}" if tri_state else f"--{dashed}", *([key.short] if key.short else [])]
    cli_type: Any = _TYPES[key.kind]
    default = None if key.kind == "list" else key.default  # lists: comma-separated text
    if key.listed:
        cli_type = _choice_enum(key)
        default = cli_type(default)
    if default is None:
        cli_type = cli_type | None
    info = typer.Option(*decls, help=key.help, rich_help_panel=key.panel, min=key.low, max=key.high)
    return inspect.Parameter(key.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default,
                             annotation=Annotated[cli_type, info])


def run_options(verb: str, into: str = "options", run_cls: type[RunConfig] = RunConfig) -> Callable[[F], F]:
    """Replace a verb's ``into`` parameter with the schema's options for ``verb``.

    The command typer builds sees those options in place of the placeholder; the verb is
    called with their values as one dict in ``into`` (pass it to :func:`build_run_config`).
    """
    keys = keys_for(verb, run_cls)

    def decorate(func: F) -> F:
        own = inspect.signature(func).parameters
        clash = sorted(set(own) & set(keys))
        if into not in own or clash:
            raise TypeError(f"{func.__name__}: needs a parameter {into!r}, and no parameter named "
                            f"like a run option ({', '.join(clash)})")
        hints = typing.get_type_hints(func, include_extras=True)
        params: list[inspect.Parameter] = []
        for param in own.values():
            if param.name == into:
                params.extend(typer_parameter(key) for key in keys.values())
            else:
                params.append(param.replace(annotation=hints.get(param.name, param.annotation)))

        @functools.wraps(func)
        def verb_with_options(**kwargs: Any) -> Any:
            shared = {name: kwargs.pop(name) for name in keys}
            return func(**kwargs, **{into: shared})

        verb_with_options.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        verb_with_options.__annotations__ = {p.name: p.annotation for p in params}
        return verb_with_options  # type: ignore[return-value]

    return decorate


def build_run_config(**opts: Any) -> RunConfig:
    """One RunConfig from the run options (names as in the CLI, snake_case); forecast.schema's
    builder, which also reads retrain's TOML and the notebook API's keywords; errors name the
    option (``--fill``)."""
    return _build(opts)
