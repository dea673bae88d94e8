"""Option types shared by the verbs, and turning them into configs.

train, evaluate and retrain take the same data, window, model and training
options with the same defaults; they are declared once here, and the defaults
come from the config dataclasses (``DEFAULTS``), the one place that sets them.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import typer

from forecast.config import RunConfig
from forecast.jobconfig import split_list as split_list  # used by the verbs
from forecast.models.registry import MODELS

DATA = "Data"
WINDOW = "Window and transform"
MODEL = "Model"
TRAINING = "Training"
OUTPUT = "Output"

DEFAULTS = RunConfig()  # verbs write `dropout: o.Dropout = o.DEFAULTS.model.dropout`

ModelName = Enum("ModelName", {name: name for name in MODELS}, type=str)  # type: ignore[misc]


Target = Annotated[
    str | None,
    typer.Option(help="Target column (default: Close / Adj Close / price / the one numeric column).", rich_help_panel=DATA),
]
Series = Annotated[
    str | None, typer.Option(help="One series of a long-format file (a symbol column).", rich_help_panel=DATA)
]
Features = Annotated[
    str | None,
    typer.Option(help="Extra input columns beside the target, comma-separated: open,high,low,volume.", rich_help_panel=DATA),
]
DateColumn = Annotated[
    str | None, typer.Option("--date-column", help="Date column (default: found by name or content).", rich_help_panel=DATA)
]
Dayfirst = Annotated[
    bool | None,
    typer.Option("--dayfirst/--no-dayfirst", help="Read ambiguous dates as dd/mm (default: decided from the data).", rich_help_panel=DATA),
]
Fill = Annotated[
    str, typer.Option(help="Missing values: ffill, interpolate, drop or error.", rich_help_panel=DATA)
]
Ticker = Annotated[
    str | None, typer.Option(help="Yahoo Finance ticker instead of a CSV (uses the price cache).", rich_help_panel=DATA)
]
InputLen = Annotated[
    int | None, typer.Option("--input-len", min=2, help="Input window length (default: from the season and data length).", rich_help_panel=WINDOW)
]
Horizon = Annotated[
    int | None, typer.Option(min=1, help="Steps to forecast (default: one season, or 5 business days).", rich_help_panel=WINDOW)
]
TransformOpt = Annotated[
    str, typer.Option("--transform", help="Target transform: auto, level, diff or logret (auto: logret for prices).", rich_help_panel=WINDOW)
]
ScalerOpt = Annotated[
    str, typer.Option("--scaler", help="Scaler fitted on training data: standard, minmax or robust.", rich_help_panel=WINDOW)
]
Model = Annotated[
    ModelName, typer.Option("--model", "-m", help="Network (forecast models lists them).", rich_help_panel=MODEL)
]
Hidden = Annotated[
    int | None, typer.Option(min=1, help="Hidden units per layer (default: 32 for short series, else 64).", rich_help_panel=MODEL)
]
Layers = Annotated[
    int | None, typer.Option(min=1, help="Stacked recurrent layers (default: 1 for short series, else 2).", rich_help_panel=MODEL)
]
Dropout = Annotated[
    float, typer.Option(min=0.0, max=0.9, help="Dropout between layers (training only).", rich_help_panel=MODEL)
]
Bidirectional = Annotated[
    bool, typer.Option("--bidirectional", help="Read the window in both directions.", rich_help_panel=MODEL)
]
Activation = Annotated[str, typer.Option(help="rnn / indrnn activation: tanh or relu.", rich_help_panel=MODEL)]
Head = Annotated[
    str, typer.Option(help="Output head: point, gaussian, studentt or quantile (class for categorical targets).", rich_help_panel=MODEL)
]
Loss = Annotated[str, typer.Option(help="Point-head loss: mse, mae or huber.", rich_help_panel=MODEL)]
Regime = Annotated[
    str, typer.Option(help="seq2vec (last state -> horizon) or seq2seq (next value at every step).", rich_help_panel=MODEL)
]
AttentionKind = Annotated[
    str, typer.Option("--attention", help="attention model's score: additive (Bahdanau) or dot (scaled dot product).", rich_help_panel=MODEL)
]
TeacherForcing = Annotated[
    float, typer.Option("--teacher-forcing", min=0.0, max=1.0, help="attention/seq2seq: share of decoder steps fed the true previous value in training.", rich_help_panel=MODEL)
]
TeacherForcingEnd = Annotated[
    float | None, typer.Option("--teacher-forcing-end", min=0.0, max=1.0, help="Decay the teacher-forcing ratio linearly to this by the last epoch.", rich_help_panel=MODEL)
]
ReverseInput = Annotated[
    bool, typer.Option("--reverse-input", help="attention/seq2seq: the encoder reads the window newest first.", rich_help_panel=MODEL)
]
Epochs = Annotated[
    int | None,
    typer.Option(min=1, help="Maximum training epochs (default: about 600 optimizer steps' worth, 5..300).", rich_help_panel=TRAINING),
]
BatchSize = Annotated[int, typer.Option("--batch-size", min=1, help="Windows per batch.", rich_help_panel=TRAINING)]
Lr = Annotated[
    float | None, typer.Option("--lr", help="Adam learning rate (default: 3e-3 for short series, else 1e-3).", rich_help_panel=TRAINING)
]
Seed = Annotated[int, typer.Option(help="Random seed (same seed, same data, CPU: same weights).", rich_help_panel=TRAINING)]
Patience = Annotated[
    int | None,
    typer.Option(min=0, help="Early stopping: epochs without validation improvement (default: epochs/4, at least 8; 0: off).", rich_help_panel=TRAINING),
]
ClipNorm = Annotated[
    float, typer.Option("--clip-norm", min=0.0, help="Gradient clipping by global norm (0: off).", rich_help_panel=TRAINING)
]
Tbptt = Annotated[
    int, typer.Option(min=0, help="Truncated BPTT chunk length (0: full backpropagation).", rich_help_panel=TRAINING)
]
Device = Annotated[str, typer.Option(help="auto, cpu or cuda.", rich_help_panel=TRAINING)]
Threads = Annotated[
    int | None,
    typer.Option(min=1, help="Torch CPU threads (default: from the idle CPUs, affinity, cgroup quota and the network's size; printed after training).", rich_help_panel=TRAINING),
]
ModelDir = Annotated[
    str | None,
    typer.Option("--model-dir", envvar="FORECAST_HOME", help="Where models live (default: the user data folder).", show_envvar=True),
]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.", rich_help_panel=OUTPUT)]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.", rich_help_panel=OUTPUT)]


def build_run_config(**opts: Any) -> RunConfig:
    """One RunConfig from the shared options (names as in the CLI, snake_case).

    The same typer-free builder reads retrain's TOML job files, so both spell and check
    every option alike; errors name the option (``--fill``).
    """
    from forecast.jobconfig import build_run_config as build

    return build(opts)
