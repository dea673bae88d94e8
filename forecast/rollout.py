"""The one autoregressive generation loop: seed a network, sample the next value, feed it back.

Two modes give the same numbers where the network's state depends only on the window
(see tests/test_rollout.py) and differ in cost:

    stateful  encode(seed) once, then one step(x_t, state) per value: one cell update for
              all paths at once (paths are the batch dimension); the state carries the
              whole generated history, not just the last L values.
    window    re-run the last L values through the network every step (the textbook loop);
              L times the work.

Noise: probabilistic heads sample their distribution (``head.sample``); point heads add a
bootstrap draw of their model-space one-step errors (``Forecaster.step_errors``: on the
validation windows where there are enough, else on the training windows). Both are scaled
by the temperature; temperature 0 gives one deterministic path. Class models sample class codes.

Seeds (:func:`resolve_seed`) turn zeros, a dated window of the data, a CSV column or inline
levels into a model-space window plus the level that generated changes integrate from;
:func:`generate` maps the paths back to levels on the series' calendar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from forecast.data.calendar import future_dates
from forecast.data.dates import day_text
from forecast.data.series import SeriesData
from forecast.errors import ConfigError, DataError, NotFoundError
from forecast.forecaster import Forecaster
from forecast.models.base import ForecastNet
from forecast.transforms import SEASONAL
from forecast.volatility import NoiseModel, draw

MODES = ("stateful", "window")
MAX_STEPS, MAX_PATHS, MAX_VALUES = 100_000, 100_000, 20_000_000


def check_can_generate(forecaster: Forecaster) -> None:
    """Models that read extra features cannot run past the data: their inputs are unknown."""
    own = forecaster.pipeline.n_classes if forecaster.pipeline.one_hot else 1  # the target's columns
    if forecaster.run.model.n_features > own:
        names = ", ".join(forecaster.run.data.features) or "extra columns"
        raise ConfigError(
            f"this model reads features ({names}) besides the target; their future values are "
            "unknown, so it cannot generate; retrain without --features"
        )


def _check_sizes(steps: int, paths: int, temperature: float, mode: str) -> None:
    if not 1 <= steps <= MAX_STEPS:
        raise ConfigError(f"--steps {steps}: give 1 to {MAX_STEPS:,}")
    if not 1 <= paths <= MAX_PATHS:
        raise ConfigError(f"--paths {paths}: give 1 to {MAX_PATHS:,}")
    if steps * paths > MAX_VALUES:
        raise ConfigError(
            f"--steps {steps} x --paths {paths} = {steps * paths:,} values; keep it under "
            f"{MAX_VALUES:,} (fewer paths or steps)"
        )
    if not (np.isfinite(temperature) and temperature >= 0):
        raise ConfigError(f"--temperature {temperature}: give a number >= 0 (0: deterministic)")
    if mode not in MODES:
        raise ConfigError(f"--mode {mode!r}: choose stateful or window")


def rollout(
    forecaster: Forecaster,
    seed_window: np.ndarray,
    *,
    steps: int,
    paths: int = 1,
    temperature: float = 1.0,
    seed: int = 0,
    mode: str = "stateful",
    noise: NoiseModel | None = None,
) -> np.ndarray:
    """Generate ``steps`` model-space values after ``seed_window`` (L, F): -> (paths, steps).

    Temperature 0 gives one deterministic path (1, steps). Same seed, same paths on CPU.
    ``noise``: how a point head's errors are drawn (default: ``forecaster.noise()``).
    """
    _check_sizes(steps, paths, temperature, mode)
    check_can_generate(forecaster)
    net, residuals = forecaster.net, forecaster.step_errors()
    paths = paths if temperature > 0 else 1
    bootstrap = not net.head.probabilistic and temperature > 0
    if bootstrap and len(residuals) == 0:
        raise ConfigError(
            "this model has no saved training residuals to sample from; retrain it or use --temperature 0"
        )
    device = next(net.parameters()).device
    was_training = net.training
    net.eval()
    try:
        with torch.inference_mode(), torch.random.fork_rng(
            devices=[device] if device.type == "cuda" else []
        ):
            torch.manual_seed(seed)  # StudentT draws from the global RNG
            gen = torch.Generator(device=device).manual_seed(seed)
            window = torch.as_tensor(seed_window, dtype=torch.float32, device=device)  # (L, F)
            window = window.unsqueeze(0).expand(paths, -1, -1).contiguous()  # (N, L, F)
            noise = None
            clusters = (noise or forecaster.noise()) if bootstrap else None
            if clusters is not None and clusters.kind == "clustered":  # (N, S), see forecast.volatility
                drawn = draw(residuals, clusters, paths, steps, np.random.default_rng(seed))
                noise = temperature * torch.as_tensor(drawn, dtype=torch.float32, device=device)
            elif bootstrap:  # all bootstrap noise drawn up front: (N, S)
                res = torch.as_tensor(residuals, dtype=torch.float32, device=device)  # (R,)
                idx = torch.randint(len(res), (paths, steps), generator=gen, device=device)
                noise = temperature * res[idx]  # (N, S)
            pipe = forecaster.pipeline
            as_input = (lambda z: torch.nn.functional.one_hot(z.long(), pipe.n_classes).to(z.dtype)) \
                if pipe.one_hot else (lambda z: z[:, None])  # (N,) -> (N, F)
            out = _loop(net, window, steps, mode, gen, temperature, noise, as_input)
        return out.double().cpu().numpy()
    finally:
        net.train(was_training)


def _loop(
    net: ForecastNet, window: Tensor, steps: int, mode: str,
    gen: torch.Generator, temperature: float, noise: Tensor | None,
    as_input: Callable[[Tensor], Tensor],
) -> Tensor:
    """The loop itself: window (N, L, F) -> generated values (N, S); ``as_input`` turns a
    generated value (N,) into the next input (N, F) (one-hot for class targets)."""
    head = net.head
    result = window.new_empty(window.shape[0], steps)  # (N, S)
    out_t, state = net.encode(window)  # (N, P)
    for t in range(steps):
        if noise is not None:  # point head: bootstrap residuals
            z_t = head.point(out_t[:, None, :])[:, 0] + noise[:, t]  # (N,)
        else:
            z_t = head.sample(out_t[:, None, :], gen, temperature)[:, 0]  # (N,)
        result[:, t] = z_t
        if t + 1 == steps:
            break
        if mode == "stateful":
            out_t, state = net.step(as_input(z_t), state)  # x_t (N, F) -> (N, P)
        else:
            window = torch.cat([window[:, 1:], as_input(z_t)[:, None, :]], dim=1)  # (N, L, F)
            out_t, _ = net.encode(window)  # forward's first step, from a fresh state
    return result


@dataclass(frozen=True)
class Seed:
    """A seed window in model space, the level it continues from, and its dated levels."""

    window: np.ndarray  # (L, 1) model space
    last_level: float  # generated diffs / log returns are integrated from here
    history: pd.Series  # levels (class codes for class models) with dates, ending at the seed
    label: str


def _needed(forecaster: Forecaster) -> int:
    return forecaster.input_len + forecaster.pipeline.rows_lost


def seed_from_levels(
    forecaster: Forecaster, levels: np.ndarray, dates: pd.DatetimeIndex, label: str, pad: bool
) -> Seed:
    """A seed from level values (T,): the last L (+1 for diff/logret) of them, zero-padded if asked."""
    need, lost, length = _needed(forecaster), forecaster.pipeline.rows_lost, forecaster.input_len
    if len(levels) == 0:
        raise DataError(f"{label}: no seed values; give {need}")
    if len(levels) < need and not pad:
        extra = " (the window plus one for the transform)" if lost else ""
        raise DataError(
            f"{label}: {len(levels)} values, but this model reads {need}{extra}; give "
            f"{need - len(levels)} more, or pass --pad zeros to pad the start with zeros"
        )
    levels, dates = levels[-need:], dates[-need:]
    window = np.zeros((length, forecaster.run.model.n_features))
    if len(levels) > lost:
        scaled, _ = forecaster.pipeline.to_model_space(levels[:, None], label)  # (T', 1)
        window[length - len(scaled) :] = scaled
    return Seed(window, float(levels[-1]), pd.Series(levels, index=dates), label)


def seed_anchor(forecaster: Forecaster, seed: Seed) -> np.ndarray | float:
    """What generated changes continue from: the seed's last level, or its last m levels for a
    seasonal transform (zeros before a padded seed's start)."""
    pipe = forecaster.pipeline
    if pipe.transform not in SEASONAL:
        return seed.last_level
    levels = seed.history.to_numpy(dtype=np.float64)[-pipe.season :]
    return np.concatenate([np.zeros(pipe.season - len(levels)), levels])


def zero_seed(forecaster: Forecaster, series: SeriesData) -> Seed:
    """Zeros in model space are the scaler's center (for the standard scaler the training mean
    level, or mean change for diff/logret); diff/logret paths start at the last data level."""
    pipe, length = forecaster.pipeline, forecaster.input_len
    zeros = np.zeros(length)
    if pipe.transform in SEASONAL:  # the mean seasonal change, continuing the data's last season
        levels = series.y[-pipe.season :]
        history = pd.Series(levels, index=_dates_ending(series, len(levels)))
        return Seed(np.zeros((length, 1)), float(levels[-1]), history, "zeros")
    if pipe.transform == "level":
        levels = pipe.to_levels(zeros, 0.0)  # (L,) the center, L times
    else:  # the mean change, L times, ending at the last level (history for the chart)
        unit = 0.0 if pipe.transform == "diff" else 1.0
        walk = np.concatenate([[unit], pipe.to_levels(zeros, unit)])  # (L + 1,)
        last = series.y[-1]
        levels = walk - walk[-1] + last if pipe.transform == "diff" else walk / walk[-1] * last
    history = pd.Series(levels, index=_dates_ending(series, len(levels)))
    return Seed(np.zeros((length, forecaster.run.model.n_features)), float(levels[-1]), history, "zeros")


def _dates_ending(series: SeriesData, n: int) -> pd.DatetimeIndex:
    """The last n dates of the series' calendar (extended backwards on its frequency)."""
    if n <= len(series):
        return series.index[-n:]
    return pd.date_range(end=series.index[-1], periods=n, freq=series.freq or "D")


def data_seed(forecaster: Forecaster, series: SeriesData, date: str | None, pad: bool) -> Seed:
    """The real window ending on ``date`` (the last row when None)."""
    pos = _date_position(series, date) if date else len(series) - 1
    day = day_text(series.index[pos])
    levels, dates = series.y[: pos + 1], series.index[: pos + 1]
    seed = seed_from_levels(forecaster, levels, dates, f"{series.source} up to {day}", pad)
    return Seed(seed.window, seed.last_level, pd.Series(levels, index=dates), f"data:{day}")


def _date_position(series: SeriesData, text: str) -> int:
    index = series.index
    steps = not hasattr(index, "tz")  # a step index: data:500 (it crashed on index.tz: exit 1)
    try:
        when = float(text) if steps else pd.Timestamp(text)
    except (ValueError, TypeError):
        like = "give a step number, e.g. data:500" if steps else "write it like 2016-06-30"
        raise ConfigError(f"--seed-from data:{text}: not a {'step' if steps else 'date'}; {like}") from None
    if not steps and index.tz is not None and when.tz is None:
        when = when.tz_localize(index.tz)
    hits = np.flatnonzero(index == when)
    if len(hits):
        return int(hits[0])
    at = int(index.searchsorted(when))
    near = index[max(0, at - 2) : at + 2]
    shown = ", ".join(day_text(d) for d in near)
    raise DataError(
        f"--seed-from data:{text}: no row {'at that step' if steps else 'on that date'} in {series.source} "
        f"({day_text(index[0])} to {day_text(index[-1])}); nearest: {shown}"
    )


def parse_values(text: str, where: str, classes: tuple[str, ...] = ()) -> np.ndarray:
    """'101.2, 102.5' -> levels (T,); class labels -> codes for class models."""
    items = [part.strip() for part in text.split(",")]
    if classes:
        codes = {name: float(i) for i, name in enumerate(classes)}
        bad = [f"{i + 1} ({v!r})" for i, v in enumerate(items) if v not in codes]
        if bad:
            error = ConfigError if where.startswith("--") else DataError
            raise error(f"{where}: unknown class at {', '.join(bad[:5])}; classes: {', '.join(classes)}")
        return np.array([codes[v] for v in items])
    values = pd.to_numeric(pd.Series(items), errors="coerce").to_numpy(dtype=np.float64)
    bad_at = np.flatnonzero(~np.isfinite(values))
    if len(bad_at):
        shown = ", ".join(f"{i + 1} ({items[i]!r})" for i in bad_at[:5])
        more = f" and {len(bad_at) - 5} more" if len(bad_at) > 5 else ""
        error = ConfigError if where.startswith("--") else DataError  # typed on the command line: exit 2
        raise error(f"{where}: not a number at position {shown}{more}; give plain numbers")
    return values


def read_seed_csv(spec: str, target: str, classes: tuple[str, ...] = ()) -> np.ndarray:
    """Levels from a CSV column: FILE or FILE:COLUMN (default: the target's name, else the one
    numeric column)."""
    path, column = Path(spec), None
    if not path.exists() and ":" in spec:
        name, column = spec.rsplit(":", 1)
        path = Path(name)
    if not path.is_file():
        raise NotFoundError(f"--seed-from {spec}: no such file; give a CSV path, data[:DATE] or zeros")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as err:
        raise DataError(f"{path}: cannot read as CSV ({type(err).__name__}); give one value per row") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if column is None:
        numeric = [c for c in frame.columns if pd.to_numeric(frame[c], errors="coerce").notna().all()]
        column = target if target in frame.columns else (numeric[0] if len(numeric) == 1 else None)
    if column not in frame.columns:
        raise DataError(
            f"{path}: which column is the seed? columns: {', '.join(frame.columns)}; "
            f"use --seed-from {path}:COLUMN"
        )
    return parse_values(",".join(frame[column].str.strip()), f"{path}, column {column}, row", classes)


def seed_forms(series: SeriesData) -> str:
    """The --seed-from spellings, with this series' own last date (or step) as the example."""
    last = day_text(series.index[-1])
    at = "data:STEP (a step number" if not hasattr(series.index, "tz") else "data:DATE (a date"
    return (f"give {at}, e.g. data:{last}: the window ending there), data (the latest window), "
            "zeros, or FILE.csv[:COLUMN]")


def resolve_seed(
    forecaster: Forecaster,
    series: SeriesData,
    seed_from: str | None = None,
    seed_values: str | None = None,
    pad: bool = False,
) -> Seed:
    """zeros | data[:DATE] | FILE.csv[:COLUMN] | inline level values; default: the latest data."""
    if seed_from and seed_values:
        raise ConfigError("give either --seed-from or --seed-values, not both")
    if seed_values is not None:
        values = parse_values(seed_values, "--seed-values", series.classes)
        return seed_from_levels(forecaster, values, _dates_ending(series, len(values)), "--seed-values", pad)
    if seed_from == "zeros":
        return zero_seed(forecaster, series)
    if seed_from is None or seed_from == "data" or seed_from.startswith("data:"):
        date = seed_from[5:] if seed_from and seed_from.startswith("data:") else None
        if date is not None and not date.strip():  # 'data:' once meant the latest row, silently
            raise ConfigError(f"--seed-from {seed_from!r}: no date after 'data:'; {seed_forms(series)}")
        return data_seed(forecaster, series, date, pad)
    if not seed_from.strip():
        raise ConfigError(f"--seed-from {seed_from!r}: empty; {seed_forms(series)}")
    values = read_seed_csv(seed_from, series.target, series.classes)
    return seed_from_levels(forecaster, values, _dates_ending(series, len(values)), seed_from, pad)


@dataclass(frozen=True)
class Generation:
    """Generated paths on the data's scale and calendar."""

    values: np.ndarray  # (N, S) levels, or class codes for class models
    dates: pd.DatetimeIndex  # (S,)
    seed: Seed
    classes: tuple[str, ...] = ()
    noise: str = ""  # how the one-step errors were drawn (forecast.volatility), for numeric point models

    def table(self) -> pd.DataFrame:
        """Long table: path, step (both from 1), ds, value (class labels for class models)."""
        n, s = self.values.shape
        flat = self.values.ravel()
        value = np.asarray(self.classes, dtype=object)[flat.astype(int)] if self.classes else flat
        step = np.tile(np.arange(s), n)  # (N*S,)
        path = np.repeat(np.arange(1, n + 1), s)
        return pd.DataFrame({"path": path, "step": step + 1, "ds": self.dates[step], "value": value})


def generate(
    forecaster: Forecaster,
    series: SeriesData,
    seed: Seed,
    *,
    steps: int,
    paths: int = 1000,
    temperature: float = 1.0,
    random_seed: int = 0,
    mode: str = "stateful",
) -> Generation:
    """Roll out from ``seed`` and map back to levels; dates continue after the seed's last date.

    A model whose fit chose a simple baseline continues the seed with that baseline plus
    bootstrapped one-step validation errors (selection.baseline_paths)."""
    draws_errors = temperature > 0 and not forecaster.pipeline.categorical and not (
        forecaster.baseline is None and forecaster.net.head.probabilistic)
    noise = forecaster.noise() if draws_errors else None  # once: it draws and it is reported
    if forecaster.baseline is not None:
        values = _baseline_generation(forecaster, seed, steps, paths, temperature, random_seed, mode, noise)
    else:
        z = rollout(forecaster, seed.window, steps=steps, paths=paths, temperature=temperature,
                    seed=random_seed, mode=mode, noise=noise)  # (N, S) model space
        values = forecaster.pipeline.to_levels(z, seed_anchor(forecaster, seed))  # (N, S)
    known = series.index[series.index <= seed.history.index[-1]]  # the calendar up to the seed
    dates = future_dates(known, series.freq, steps)
    return Generation(values, dates, seed, series.classes, noise.describe() if noise else "")


def _baseline_generation(forecaster: Forecaster, seed: Seed, steps: int, paths: int,
                         temperature: float, random_seed: int, mode: str,
                         noise: NoiseModel | None) -> np.ndarray:
    """(N, S) levels or class codes from the chosen baseline, seeded by the seed's levels."""
    from forecast.selection import baseline_paths, class_baseline_paths

    _check_sizes(steps, paths, temperature, mode)
    check_can_generate(forecaster)
    chosen, history = forecaster.chosen, seed.history.to_numpy(dtype=np.float64)
    if forecaster.pipeline.categorical:
        pairs = np.asarray(forecaster.choice.get("pairs", np.zeros((0, 2))), dtype=np.float64)
        return class_baseline_paths(chosen.member, history, steps, paths, pairs=pairs,
                                    temperature=temperature, seed=random_seed)
    errors = forecaster.step_errors() * forecaster.pipeline.scaler.scale[0]  # (R,) unscaled
    if temperature > 0 and len(errors) == 0:
        raise ConfigError(
            "this model has no saved validation errors to sample from; retrain it or use --temperature 0"
        )
    return baseline_paths(chosen.member, history, steps, paths, season=chosen.season, errors=errors,
                          transform=forecaster.pipeline.transform, temperature=temperature,
                          seed=random_seed, members=chosen.members, noise=noise)
