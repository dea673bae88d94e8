"""The retrain job file (TOML); its train keys and the RunConfig builder are forecast.schema's.

    folds = 3                 # walk-forward folds for champion vs challenger (default 3)
    tolerance = 0.02          # promote when challenger MASE <= champion MASE * (1 + tolerance)
    jobs = 2                  # series retrained in parallel (default 1)

    [defaults]                # any train option, for every series
    epochs = 20

    [[series]]
    name = "nile"             # the model name (default: file stem or ticker)
    path = "data/nile.csv"    # relative to this file's folder; or: ticker = "AAPL"
    input_len = 10
    horizon = 5

Keys are the CLI's option names in snake_case; a series' own keys win over
``[defaults]``, which win over the top level's evaluation settings. A wrong key
or type is a one-line ConfigError naming the file, the series and the key.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.config import DataSpec, RunConfig
from forecast.errors import ConfigError, NotFoundError
from forecast.schema import Key, build_run_config, keys_for, of_kind, split_list

if TYPE_CHECKING:
    from forecast.data.series import SeriesData

EVAL_KEYS: dict[str, Key] = {
    "folds": Key("folds", "int", low=1), "tolerance": Key("tolerance", "float", low=0.0),
    "step": Key("step", "int", low=1),
}
RUN_KEYS: dict[str, Key] = {
    "jobs": Key("jobs", "int", low=-1), "backend": Key("backend", "str", choices_from=("local", "dask")),
    "scheduler": Key("scheduler", "str"),
}


def train_keys(run_cls: type[RunConfig] = RunConfig) -> dict[str, Key]:
    """The keys of [defaults] and [[series]]: the train options (forecast.schema) and evaluation."""
    return {**keys_for("toml", run_cls), **EVAL_KEYS}


def series_keys(run_cls: type[RunConfig] = RunConfig) -> dict[str, Key]:
    return {"name": Key("name", "str"), **train_keys(run_cls)}


SERIES_KEYS = series_keys()
_TYPE_WORDS = {"int": "an integer", "float": "a number", "bool": "true or false",
               "str": "a string", "list": "a list of strings or a comma-separated string"}


@dataclass(frozen=True)
class Evaluation:
    """How a challenger is judged against the champion."""

    folds: int = 3
    tolerance: float = 0.0  # relative: 0.02 lets a challenger be up to 2% worse
    step: int | None = None  # rows between fold cutoffs (default: the horizon)


@dataclass(frozen=True)
class SeriesJob:
    """One [[series]] table: the model name, its RunConfig and its evaluation."""

    name: str
    run: RunConfig
    evaluation: Evaluation


@dataclass(frozen=True)
class JobConfig:
    """A whole job file."""

    path: Path  # absolute
    series: tuple[SeriesJob, ...]
    jobs: int = 1
    backend: str = "local"
    scheduler: str | None = None


def _check(value: Any, spec: Key, where: str, key: str) -> Any:
    """``value`` of the key's type, choices and range, else a one-line ConfigError."""
    kind, low, high = spec.kind, spec.low, spec.high
    ok, typed = of_kind(value, kind)  # messages quote the value as written
    if not ok:
        raise ConfigError(f"{where}: key '{key}' must be {_TYPE_WORDS[kind]}, got {value!r}")
    if kind == "float" and not math.isfinite(value):
        raise ConfigError(f"{where}: key '{key}' = {value!r} must be a finite number")
    choices = spec.choices if kind == "str" else None
    if choices is not None and value not in choices:
        raise ConfigError(f"{where}: key '{key}' = {value!r}: choose one of {', '.join(choices)}")
    if low is not None and value < low or high is not None and value > high:
        bounds = f">= {low}" if high is None else f"between {low} and {high}"
        raise ConfigError(f"{where}: key '{key}' = {value!r} must be {bounds}")
    return typed


def _checked(table: Any, allowed: Mapping[str, Key], where: str,
             known: str = "the train options in snake_case (input_len, epochs, ...)",
             tables: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every key of a TOML table known and well typed (``tables``: the tables it may hold, as
    written, offered for a misspelt key: [default] -> [defaults])."""
    tables = tables or {}
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table of keys, got {table!r}")
    for key in table:
        if key in allowed:
            continue
        near = difflib.get_close_matches(key, [*allowed, *tables], n=1)
        hint = (f" (did you mean {tables[near[0]]}?)" if near and near[0] in tables else
                f" (did you mean '{near[0]}'?)" if near else "")
        if key in SERIES_KEYS and "epochs" not in allowed:
            hint = " (a train option: put it in [defaults] or a [[series]] table)"
        raise ConfigError(f"{where}: unknown key '{key}'{hint}; keys are {known}")
    return {key: _check(value, allowed[key], where, key) for key, value in table.items()}


def _default_name(opts: dict[str, Any], with_target: bool = False) -> str | None:
    """<file stem or TICKER>[-<series>][-<target>] (None without a source): the target only
    where two unnamed tables of one source would otherwise share a name, so the names of jobs
    that ran before never change."""
    from forecast.registry import safe_name

    if not (opts.get("path") or opts.get("ticker")):
        return None
    stem = Path(str(opts["path"])).stem if opts.get("path") else str(opts["ticker"]).upper()
    target = f"-{opts['target']}" if with_target and opts.get("target") else ""
    return safe_name(stem + (f"-{opts['series']}" if opts.get("series") else "") + target)


def _series_job(table: dict[str, Any], defaults: dict[str, Any], folder: Path,
                where: str, run_cls: type[RunConfig], with_target: bool = False) -> SeriesJob:
    from forecast.registry import check_name

    opts = {**defaults, **table}
    if bool(opts.get("path")) == bool(opts.get("ticker")):
        raise ConfigError(f"{where}: give exactly one of 'path' (a CSV file) or 'ticker'")
    if opts.get("path"):
        from forecast.data.sources import resolve_against

        opts["path"] = resolve_against(opts["path"], folder)
    name = str(opts.pop("name", None) or _default_name(opts, with_target))
    try:
        check_name(name)
    except ConfigError as err:
        raise ConfigError(f"{where}: key 'name': {err}") from None
    evaluation = Evaluation(**{k: opts.pop(k) for k in list(opts) if k in EVAL_KEYS})
    label: Callable[[str], str] = lambda key: f"{where}: key '{key}' ="  # noqa: E731
    return SeriesJob(name, build_run_config(opts, label, run_cls), evaluation)


def parse_job_config(text: str, path: Path, run_cls: type[RunConfig] = RunConfig) -> JobConfig:
    """A JobConfig from TOML text; relative data paths resolve against ``path``'s folder.

    The train keys are the options of ``run_cls`` (forecast.schema).
    """
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err})") from None
    top = {k: v for k, v in doc.items() if k not in ("defaults", "series")}
    scalars = _checked(top, {**EVAL_KEYS, **RUN_KEYS}, f"{path} (top level)",
                       f"{', '.join([*EVAL_KEYS, *RUN_KEYS])}, [defaults] and [[series]]",
                       tables={"defaults": "[defaults]", "series": "[[series]]"})
    tables = doc.get("series")
    if isinstance(tables, dict):  # [series] where [[series]] was meant: it read as "no series"
        raise ConfigError(f"{path}: write [[series]] (two brackets) for each series, not [series]")
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"{path}: no [[series]] tables; add one with name and path or ticker")
    defaults = _checked(doc.get("defaults", {}), train_keys(run_cls), f"{path} [defaults]")
    for key in EVAL_KEYS:
        if key in scalars:
            defaults.setdefault(key, scalars[key])
    jobs: list[SeriesJob] = []
    plain = [None if not isinstance(t, dict) or t.get("name") else _default_name({**defaults, **t})
             for t in tables]  # two tables of one file for two targets: each name gets its target
    for i, table in enumerate(tables, 1):
        label = table.get("name") if isinstance(table, dict) else None
        where = f"{path}: series {label!r}" if label else f"{path}: series #{i}"
        shared = plain[i - 1] is not None and plain.count(plain[i - 1]) > 1
        job = _series_job(_checked(table, series_keys(run_cls), where), defaults, path.parent,
                          where, run_cls, with_target=shared)
        if any(j.name == job.name for j in jobs):
            raise ConfigError(f"{where}: the name {job.name!r} is used twice; give each series "
                              "its own name")
        jobs.append(job)
    return JobConfig(path, tuple(jobs), scalars.get("jobs", 1), scalars.get("backend", "local"),
                     scalars.get("scheduler"))


def load_job_series(spec: DataSpec, home: str | Path, fetcher: Any = None, now: Any = None) -> SeriesData:
    """A job's series: the file re-read, or the ticker's price cache refreshed first.

    Files go through the parsed snapshots, so a ``forecast predict`` after a retrain
    finds the file already parsed (and skips pandas).
    """
    if spec.ticker:
        from forecast.data.cache import series_from_cache

        extra = {"fetcher": fetcher} if fetcher is not None else {}
        return series_from_cache(spec, root=home, now=now, **extra)
    from forecast import paths
    from forecast.data.sources import load_series

    return load_series(spec, paths.snapshots_dir(home))


def load_job_config(path: str | Path) -> JobConfig:
    """Read and check a job file (absolute paths throughout)."""
    file = Path(path).expanduser().resolve()
    if file.is_dir():
        raise NotFoundError(f"config file '{path}' is a folder, not a file; name the .toml file in it")
    if not file.is_file():
        raise NotFoundError(f"config file '{path}' not found; check the path")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {err.start}); save the job file as UTF-8 TOML"
        ) from None
    return parse_job_config(text, file)


_CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12),
                ("day of week", 0, 7))
_NAMES = {3: "jan feb mar apr may jun jul aug sep oct nov dec".split(),
          4: "sun mon tue wed thu fri sat".split()}
_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_ITEM = re.compile(r"^(\*|(\w+)(?:-(\w+))?)(?:/(\d+))?$")


def check_cron(expression: str) -> str:
    """A cron schedule, checked field by field; ConfigError naming the bad field."""
    text = " ".join(expression.split())
    if text.lower() in _MACROS:
        return text.lower()
    fields = text.split(" ")
    if len(fields) != 5:
        raise ConfigError(f"--cron {expression!r}: needs 5 fields (minute hour day-of-month month "
                          f"day-of-week), got {len(fields)}; e.g. \"30 18 * * 1-5\"")
    for i, (field, (what, low, high)) in enumerate(zip(fields, _CRON_FIELDS)):
        for item in field.split(","):
            match = _ITEM.match(item.lower())
            values = [] if not match else [v for v in match.group(2, 3) if v is not None]
            numbers = [_NAMES[i].index(v) + (i == 3) if v in _NAMES.get(i, ()) else
                       int(v) if v.isdigit() else -1 for v in values]
            step = match.group(4) if match else None
            if (not match or any(not low <= n <= high for n in numbers)
                    or (len(numbers) == 2 and numbers[0] > numbers[1]) or step == "0"):
                raise ConfigError(f"--cron {expression!r}: bad {what} field {field!r} "
                                  f"(use *, {low}-{high}, lists a,b, ranges a-b and steps */n)")
    return text


__all__ = ["build_run_config", "load_job_config", "parse_job_config", "check_cron", "JobConfig",
           "SeriesJob", "Evaluation", "split_list", "load_job_series", "train_keys", "series_keys"]
