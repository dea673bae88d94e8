"""Frozen configuration dataclasses, one per concern, passed whole.

``None`` in a field means "choose from the data"; the resolved value is what
gets saved with a model, so a saved bundle always holds concrete numbers.

A field made with :func:`option` is also a user-facing option: its metadata (help,
range, choices, where it is asked) is the one schema that ``forecast train``,
``forecast evaluate`` and retrain's TOML keys are derived from (forecast/schema.py).
Choices come from the field's ``Literal`` type unless given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal, TypeVar, get_args

Transform = Literal["auto", "level", "diff", "logret", "sdiff", "slogret"]
ScalerName = Literal["standard", "minmax", "robust"]
FillPolicy = Literal["ffill", "interpolate", "drop", "error"]
HeadName = Literal["point", "gaussian", "studentt", "quantile", "class"]
LossName = Literal["mse", "mae", "huber"]
Regime = Literal["seq2vec", "seq2seq"]
DeviceName = Literal["auto", "cpu", "cuda"]
Precision = Literal["fp32", "bf16", "fp16"]
Activation = Literal["tanh", "relu"]
AttentionScore = Literal["additive", "dot"]

TRANSFORMS: tuple[str, ...] = get_args(Transform)
SCALERS: tuple[str, ...] = get_args(ScalerName)
FILL_POLICIES: tuple[str, ...] = get_args(FillPolicy)
HEADS: tuple[str, ...] = get_args(HeadName)
LOSSES: tuple[str, ...] = get_args(LossName)
REGIMES: tuple[str, ...] = get_args(Regime)
DEVICES: tuple[str, ...] = get_args(DeviceName)

EVERYWHERE = ("train", "evaluate", "toml")  # where an option is asked: the two verbs, retrain's TOML
MAX_SEEDS = 16  # the most nets one seed ensemble holds (a saved bundle with more is refused)


@dataclass(frozen=True)
class Option:
    """How a config field is asked for; read by forecast.schema, never by the library."""

    help: str  # "{choices}" is replaced by "a, b or c"
    low: float | None = None  # inclusive range, checked by click and by the TOML reader
    high: float | None = None
    choices: tuple[str, ...] | Callable[[], tuple[str, ...]] | None = None  # None: the Literal's
    name: str | None = None  # the option's name where it is not the field's (model.name: --model)
    short: str | None = None  # a one-letter CLI alias: -m
    places: tuple[str, ...] = EVERYWHERE
    listed: bool = False  # the CLI checks it as a click choice (listed in --help)


def option(default: Any, help: str, **how: Any) -> Any:
    """A config field that is also an option of train, evaluate and the TOML job file."""
    return field(default=default, metadata={"option": Option(help, **how)})


def _model_names() -> tuple[str, ...]:
    from forecast.models.registry import MODELS  # light: names and constructors, no torch

    return tuple(MODELS)


def _intervals() -> tuple[str, ...]:
    from forecast.data.yahoo import INTERVALS

    return tuple(INTERVALS)


DATA_FILE = "CSV or Parquet file with a date column and the series, or duckdb:FILE?table=NAME."


@dataclass(frozen=True)
class DataSpec:
    """Where the series comes from and which columns to use."""

    path: str | None = option(None, DATA_FILE, places=("toml",))  # the CLI's PATH argument
    ticker: str | None = option(None, "Yahoo Finance ticker instead of a CSV (uses the price cache).")
    target: str | None = option(  # None: Close / Adj Close / price / the single numeric column
        None, "Target column (default: Close / Adj Close / price / the one numeric column).")
    series: str | None = option(None, "One series of a long-format file (a symbol column).")
    features: tuple[str, ...] = option(
        (), "Extra input columns beside the target, comma-separated: open,high,low,volume.")
    date_column: str | None = option(None, "Date column (default: found by name or content).")
    dayfirst: bool | None = option(  # None: decided from the data when unambiguous
        None, "Read ambiguous dates as dd/mm (default: decided from the data).")
    fill: FillPolicy = option("interpolate", "Missing values: {choices}.")
    interval: str = option(  # Yahoo bar interval, with ticker
        "1d", "Yahoo bar interval with ticker: {choices}.", choices=_intervals, places=("toml",))
    freq: str | None = option(  # None: inferred; "steps": a step index (t = 1, 2, ...); else a pandas alias
        None, "Frequency instead of the inferred one: steps (an integer index) or a pandas alias "
        "(D, B, W-SUN, MS, QS, h, 30min); dates off it are an error.")
    targets: tuple[str, ...] = option(  # wide files: one model per column ("all": every numeric one)
        (), "Wide file: one model per column, comma-separated, or all (every numeric column); "
        "with --global one model across them.", places=("train",))
    query: str | None = option(  # SQL for a duckdb: source (else its ?table=)
        None, "SQL for a duckdb:FILE source, e.g. \"SELECT date, close FROM prices WHERE symbol = "
        "'AAL'\" (pip install 'forecast[sql]').")
    calendar: str | None = option(  # exchange MIC (XNYS, XNSE): forecast dates are its trading days
        None, "Exchange whose trading days the forecast dates follow: XNYS, XNSE, XLON, ... "
        "(tickers: from the suffix).")
    allow_jumps: bool = option(  # a price step at a split factor (2, 3, 5, 10, ...) is refused without it
        False, "Keep a price step that looks like an unadjusted stock split (a ratio of 2, 3, 5, "
        "10, ... far beyond the usual moves) instead of refusing the data.")


@dataclass(frozen=True)
class WindowConfig:
    """How the series is cut into (input window, horizon) pairs and scaled."""

    input_len: int | None = option(  # None: from the season and the length of the data
        None, "Input window length (default: from the season and data length).", low=2)
    horizon: int | None = option(  # None: from the frequency (12 monthly, 5 business days, ...)
        None, "Steps to forecast (default: one season, or 5 business days).", low=1)
    transform: Transform = option(  # auto: logret for positive price-like series, else level
        "auto", "Target transform: {choices} (auto: logret for prices).")
    scaler: ScalerName = option("standard", "Scaler fitted on training data: {choices}.")


@dataclass(frozen=True)
class ModelConfig:
    """The network: which registry member and its sizes.

    ``n_features``, ``horizon`` and ``n_classes`` follow from the data and are
    filled in by the trainer, never asked of the user.
    """

    name: str = option("lstm", "Network (forecast models lists them).", name="model", short="-m",
                       choices=_model_names, listed=True, places=("train", "toml"))  # evaluate: --models
    hidden: int | None = option(  # None: 32 for small data (< 500 windows), else 64
        None, "Hidden units per layer (default: 32 for short series, else 64).", low=1)
    layers: int | None = option(  # None: 1 for small data, else 2
        None, "Stacked recurrent layers (default: 1 for short series, else 2).", low=1)
    dropout: float = option(0.1, "Dropout between layers (training only).", low=0.0, high=0.9)
    bidirectional: bool = option(False, "Read the window in both directions.")
    activation: Activation = option("tanh", "rnn / indrnn activation: {choices}.")
    head: HeadName = option(
        "point", "Output head: point, gaussian, studentt or quantile (class for categorical targets).")
    loss: LossName = option("mse", "Point-head loss: {choices}.")
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)
    attention: AttentionScore = option(
        "additive", "attention model's score: additive (Bahdanau) or dot (scaled dot product).")
    regime: Regime = option(
        "seq2vec", "seq2vec (last state -> horizon) or seq2seq (next value at every step).")
    teacher_forcing: float = option(
        0.5, "attention/seq2seq: share of decoder steps fed the true previous value in training.",
        low=0.0, high=1.0)
    teacher_forcing_end: float | None = option(  # None: constant ratio; else linear decay to it
        None, "Decay the teacher-forcing ratio linearly to this by the last epoch.", low=0.0, high=1.0)
    reverse_input: bool = option(False, "attention/seq2seq: the encoder reads the window newest first.")
    seeds: int | None = option(  # None: from the data (forecaster.default_seeds); 1: one net
        None, "Nets trained from different seeds whose forecasts are averaged (default: from the "
        "data length).", low=1, high=MAX_SEEDS)
    n_features: int = 1
    horizon: int = 1
    n_classes: int = 0


@dataclass(frozen=True)
class TrainConfig:
    """The optimisation loop."""

    epochs: int | None = option(  # None: enough epochs for about 600 optimizer steps (5..300)
        None, "Maximum training epochs (default: about 600 optimizer steps' worth, 5..300).", low=1)
    batch_size: int = option(32, "Windows per batch.", low=1)
    lr: float | None = option(  # None: 3e-3 for small data; range checked by schema.build_run_config
        None, "Adam learning rate (default: 3e-3 for short series, else 1e-3).")
    seed: int = option(0, "Random seed (same seed, same data, CPU: same weights).")
    patience: int | None = option(  # early stopping on the validation tail; None: epochs / 4, >= 8
        None, "Early stopping: epochs without validation improvement (default: epochs/4, at least 8; "
        "0: off).", low=0)
    min_improvement: float = 0.01  # trained weights must beat the starting ones by 1% on validation
    val_fraction: float = 0.1
    clip_norm: float = option(  # gradient clipping by global norm; 0 disables it
        1.0, "Gradient clipping by global norm (0: off).", low=0.0)
    tbptt: int = option(  # truncated BPTT chunk length; 0: full BPTT over the window
        0, "Truncated BPTT chunk length (0: full backpropagation).", low=0)
    device: DeviceName = option("auto", "{choices}.")
    weight_decay: float = 0.0
    precision: Precision = option(  # mixed precision for the forward pass and loss; weights stay fp32
        "fp32", "Training arithmetic: {choices} (bf16/fp16: mixed precision, for CUDA; weights stay fp32).")
    keep_net: bool = option(  # the network as trained, never what beat it on the validation tail
        False, "Forecast with the network as trained, never a baseline, peer, median or comb that beat it "
        "on the validation tail (they are still scored and shown).")


@dataclass(frozen=True)
class RunConfig:
    """Everything one training run needs, passed whole."""

    data: DataSpec = field(default_factory=DataSpec)
    window: WindowConfig = field(default_factory=WindowConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


C = TypeVar("C")


def to_dict(config: Any) -> dict[str, Any]:
    """A config as plain data (tuples become lists), for saving."""
    return asdict(config)


def from_dict(cls: type[C], data: dict[str, Any]) -> C:
    """Rebuild a config from plain data, ignoring unknown keys, lists back to tuples."""
    known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            continue
        if isinstance(value, list):
            value = tuple(value)
        kwargs[key] = value
    return cls(**kwargs)


def run_config_from_dict(data: dict[str, Any]) -> RunConfig:
    """Rebuild a whole RunConfig saved by :func:`to_dict`."""
    return RunConfig(
        data=from_dict(DataSpec, data.get("data", {})),
        window=from_dict(WindowConfig, data.get("window", {})),
        model=from_dict(ModelConfig, data.get("model", {})),
        train=from_dict(TrainConfig, data.get("train", {})),
    )


__all__ = [
    "DataSpec",
    "WindowConfig",
    "ModelConfig",
    "TrainConfig",
    "RunConfig",
    "Option",
    "option",
    "to_dict",
    "from_dict",
    "run_config_from_dict",
    "replace",
]
