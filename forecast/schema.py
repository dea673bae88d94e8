"""The one option schema: config fields made with ``config.option``, read three ways.

    config.py field + Option metadata
        └─> Key (name, kind, default, choices, range, help, panel, places)
              ├─ forecast/cli/options.py  run_options("train"): typer options of a verb
              ├─ forecast/jobconfig.py    retrain's TOML keys, type- and range-checked
              └─ build_run_config          options (CLI, TOML, notebook) -> RunConfig

A new hyper-parameter is a field with ``option(...)`` on its config and its use in
the model; the verbs, the TOML reader and the builder pick it up from here.
Typer-free (the library never imports typer) and light (no torch, no pandas).
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields
from enum import Enum
from functools import cache
from typing import Any

from forecast.config import EVERYWHERE, Option, RunConfig, TrainConfig
from forecast.errors import ConfigError

PANELS = {"data": "Data", "window": "Window and transform", "model": "Model", "train": "Training"}
KINDS = ("int", "float", "bool", "str", "list")  # a TOML value's type; list: strings
MAX_LR = 1.0  # Adam's useful range is about 1e-5 to 1e-1; above 1 only diverges


@dataclass(frozen=True)
class Key:
    """One option: a CLI flag (--input-len) and a TOML key (input_len) of one config field."""

    name: str  # snake_case, as typed in TOML and (with dashes) on the command line
    kind: str  # one of KINDS
    low: float | None = None  # inclusive bounds
    high: float | None = None
    choices_from: tuple[str, ...] | Callable[[], tuple[str, ...]] | None = None
    default: Any = None
    section: str = ""  # the RunConfig field it belongs to: data, window, model, train
    field: str = ""  # the config field (the option "model" is ModelConfig.name)
    text: str = ""  # help, "{choices}" not yet filled in
    places: tuple[str, ...] = EVERYWHERE
    short: str | None = None
    listed: bool = False

    @property
    def choices(self) -> tuple[str, ...] | None:
        """The allowed values (a registry's names are read when asked, not at import)."""
        return self.choices_from() if callable(self.choices_from) else self.choices_from

    @property
    def help(self) -> str:
        if "{choices}" not in self.text:
            return self.text
        *rest, last = self.choices or ("",)
        return self.text.replace("{choices}", f"{', '.join(rest)} or {last}" if rest else last)

    @property
    def panel(self) -> str | None:
        return PANELS.get(self.section, self.section.title() or None)


def _kind(hint: Any) -> tuple[str, tuple[str, ...] | None]:
    """A field's type hint -> (kind, the Literal's values or None)."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and len(args) == 1:
        hint = args[0]
    if typing.get_origin(hint) is typing.Literal:
        return "str", tuple(typing.get_args(hint))
    if typing.get_origin(hint) is tuple:
        return "list", None
    for kind, cls in (("bool", bool), ("int", int), ("float", float), ("str", str)):
        if hint is cls:
            return kind, None
    raise TypeError(f"an option field must be int, float, bool, str, a Literal or tuple[str, ...], got {hint!r}")


def sections(run_cls: type[RunConfig] = RunConfig) -> dict[str, type]:
    """RunConfig's parts: {"data": DataSpec, "window": WindowConfig, ...}."""
    hints = typing.get_type_hints(run_cls)
    return {f.name: hints[f.name] for f in fields(run_cls)}


@cache
def keys(run_cls: type[RunConfig] = RunConfig) -> dict[str, Key]:
    """Every option of a RunConfig (class), by name, in field order."""
    out: dict[str, Key] = {}
    for section, cls in sections(run_cls).items():
        hints = typing.get_type_hints(cls)
        for f in fields(cls):
            meta: Option | None = f.metadata.get("option")
            if meta is None:
                continue
            kind, literal = _kind(hints[f.name])
            name = meta.name or f.name
            if name in out:
                raise TypeError(f"option {name!r} is declared twice ({section}.{f.name})")
            out[name] = Key(
                name, kind, meta.low, meta.high, meta.choices or literal,
                f.default if f.default is not MISSING else None, section, f.name, meta.help,
                meta.places, meta.short, meta.listed,
            )
    return out


def keys_for(place: str, run_cls: type[RunConfig] = RunConfig) -> dict[str, Key]:
    """The options asked in one place: "train", "evaluate" or "toml"."""
    return {name: key for name, key in keys(run_cls).items() if place in key.places}


def of_kind(value: Any, kind: str) -> tuple[bool, Any]:
    """(True, ``value`` as an option of ``kind``) or (False, value): Python or numpy scalars
    (an int for a float, never a bool for a number), a str, or strings for a list. The TOML
    reader and the notebook API check types here and word the error each its own way."""
    import numbers

    number = isinstance(value, numbers.Real) and not isinstance(value, bool) and type(value).__name__ != "bool_"
    if kind == "int" and number and isinstance(value, numbers.Integral):
        return True, int(value)
    if kind == "float" and number:
        return True, float(value)
    if kind == "bool" and type(value).__name__ in ("bool", "bool_"):
        return True, bool(value)
    if kind == "str" and isinstance(value, str):
        return True, value
    if kind == "list" and (isinstance(value, str) or (isinstance(value, (list, tuple))
                                                      and all(isinstance(v, str) for v in value))):
        return True, value
    return False, value


def split_list(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """'a, b,c' or ['a', 'b', 'c'] -> ('a', 'b', 'c')."""
    parts = value.split(",") if isinstance(value, str) else list(value or ())
    return tuple(part.strip() for part in parts if part.strip())


def flag(key: str) -> str:
    """How errors name an option on the command line: input_len -> --input-len."""
    return "--" + key.replace("_", "-")


def build_run_config(
    opts: Mapping[str, Any], label: Callable[[str], str] = flag, run_cls: type[RunConfig] = RunConfig
) -> RunConfig:
    """One RunConfig from options named as in the CLI (snake_case); absent = the field's default.

    Names that are not options (a verb's own, like --name) are ignored. A value outside its
    choices is a ConfigError naming it through ``label`` (``--fill`` on the command line).
    """
    parts: dict[str, dict[str, Any]] = {section: {} for section in sections(run_cls)}
    for key in keys(run_cls).values():
        if key.name not in opts:
            continue
        value = opts[key.name]
        value = value.value if isinstance(value, Enum) else value  # a click choice
        if key.kind == "list":
            value = split_list(value)
        elif key.choices is not None and value not in key.choices:
            raise ConfigError(f"{label(key.name)} {value!r}: choose one of {', '.join(key.choices)}")
        parts[key.section][key.field] = value
    run = run_cls(**{section: cls(**parts[section]) for section, cls in sections(run_cls).items()})
    _check_training_numbers(run.train, label)
    return run


def _check_training_numbers(train: TrainConfig, label: Callable[[str], str]) -> None:
    """Non-finite or absurd numbers are refused like any bad option, before any work."""
    if train.lr is not None and not (math.isfinite(train.lr) and 0 < train.lr <= MAX_LR):
        raise ConfigError(
            f"{label('lr')} {train.lr:g}: the learning rate must be above 0 and at most {MAX_LR:g} "
            "(Adam works best between 1e-4 and 1e-2; e.g. --lr 1e-3)"
        )
    if not math.isfinite(train.clip_norm):
        raise ConfigError(f"{label('clip_norm')} {train.clip_norm:g}: give a finite norm, or 0 for no clipping")


__all__ = ["Key", "keys", "keys_for", "sections", "build_run_config", "split_list", "flag", "PANELS"]
