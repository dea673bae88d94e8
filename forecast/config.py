"""Frozen configuration dataclasses, one per concern, passed whole.

``None`` in a field means "choose from the data"; the resolved value is what
gets saved with a model, so a saved bundle always holds concrete numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal, TypeVar

Transform = Literal["auto", "level", "diff", "logret", "sdiff", "slogret"]
ScalerName = Literal["standard", "minmax", "robust"]
FillPolicy = Literal["ffill", "interpolate", "drop", "error"]
HeadName = Literal["point", "gaussian", "studentt", "quantile", "class"]
LossName = Literal["mse", "mae", "huber"]
Regime = Literal["seq2vec", "seq2seq"]
DeviceName = Literal["auto", "cpu", "cuda"]

TRANSFORMS: tuple[str, ...] = ("auto", "level", "diff", "logret", "sdiff", "slogret")
SCALERS: tuple[str, ...] = ("standard", "minmax", "robust")
FILL_POLICIES: tuple[str, ...] = ("ffill", "interpolate", "drop", "error")
HEADS: tuple[str, ...] = ("point", "gaussian", "studentt", "quantile", "class")
LOSSES: tuple[str, ...] = ("mse", "mae", "huber")
REGIMES: tuple[str, ...] = ("seq2vec", "seq2seq")
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class DataSpec:
    """Where the series comes from and which columns to use."""

    path: str | None = None
    ticker: str | None = None
    target: str | None = None  # None: Close / Adj Close / price / the single numeric column
    series: str | None = None  # one symbol of a long-format file
    features: tuple[str, ...] = ()
    date_column: str | None = None  # None: found by name or content
    dayfirst: bool | None = None  # None: decided from the data when unambiguous
    fill: FillPolicy = "interpolate"
    interval: str = "1d"  # Yahoo bar interval, with ticker


@dataclass(frozen=True)
class WindowConfig:
    """How the series is cut into (input window, horizon) pairs and scaled."""

    input_len: int | None = None  # None: from the season and the length of the data
    horizon: int | None = None  # None: from the frequency (12 monthly, 5 business days, ...)
    transform: Transform = "auto"  # auto: logret for positive price-like series, else level
    scaler: ScalerName = "standard"


@dataclass(frozen=True)
class ModelConfig:
    """The network: which registry member and its sizes.

    ``n_features``, ``horizon`` and ``n_classes`` follow from the data and are
    filled in by the trainer, never asked of the user.
    """

    name: str = "lstm"
    hidden: int | None = None  # None: 32 for small data (< 500 windows), else 64
    layers: int | None = None  # None: 1 for small data, else 2
    dropout: float = 0.1
    bidirectional: bool = False
    activation: str = "tanh"
    head: HeadName = "point"
    loss: LossName = "mse"
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)
    attention: Literal["additive", "dot"] = "additive"
    regime: Regime = "seq2vec"
    teacher_forcing: float = 0.5
    teacher_forcing_end: float | None = None  # None: constant ratio; else linear decay to it
    reverse_input: bool = False
    n_features: int = 1
    horizon: int = 1
    n_classes: int = 0


@dataclass(frozen=True)
class TrainConfig:
    """The optimisation loop."""

    epochs: int | None = None  # None: enough epochs for about 600 optimizer steps (5..300)
    batch_size: int = 32
    lr: float | None = None  # None: 3e-3 for small data (< 500 windows), else 1e-3
    seed: int = 0
    patience: int | None = None  # early stopping on the validation tail; None: epochs / 4, >= 8
    min_improvement: float = 0.01  # trained weights must beat the starting ones by 1% on validation
    val_fraction: float = 0.1
    clip_norm: float = 1.0  # gradient clipping by global norm; 0 disables it
    tbptt: int = 0  # truncated BPTT chunk length; 0: full BPTT over the window
    device: DeviceName = "auto"
    weight_decay: float = 0.0


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
    "to_dict",
    "from_dict",
    "run_config_from_dict",
    "replace",
]
