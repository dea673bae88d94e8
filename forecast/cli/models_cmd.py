"""forecast models: the model zoo, and the saved models (list, show, rollback)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from forecast.cli import app, render
from forecast.cli import options as o

models_app = typer.Typer(
    help="The model zoo (no subcommand) and saved models: list, show, rollback.\n\n"
    "Example: forecast models --hidden 32 --layers 1",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(models_app, name="models")


@models_app.callback()
def zoo(
    ctx: typer.Context,
    hidden: Annotated[int, typer.Option(min=1, help="Hidden units for the parameter count.")] = 64,
    layers: Annotated[int, typer.Option(min=1, help="Layers for the parameter count.")] = 2,
    horizon: Annotated[int, typer.Option(min=1, help="Horizon for the parameter count.")] = 5,
    json_out: o.Json = False,
) -> None:
    """List every network in the zoo with a description and its parameter count.

    Example: forecast models --hidden 32 --layers 1
    """
    if ctx.invoked_subcommand is not None:
        return
    from forecast.models.catalog import describe_models

    rows = describe_models(hidden=hidden, layers=layers, horizon=horizon)
    if json_out:
        render.print_json(rows)
        return
    import pandas as pd

    render.print_table(
        pd.DataFrame(rows), title=f"models (hidden {hidden}, {layers} layers, horizon {horizon})"
    )


@models_app.command("list")
def list_models(model_dir: o.ModelDir = None, json_out: o.Json = False) -> None:
    """List saved models with their versions and the current one.

    Example: forecast models list
    """
    from forecast import api

    rows = api.saved_models(model_dir)
    if json_out:
        render.print_json(rows)
        return
    import pandas as pd

    if not rows:
        render.out.print("no saved models yet: forecast train DATA.csv")
        return
    latest = next((row["name"] for row in rows if row["latest"]), None)
    title = f"saved models (predict without --model uses {latest}, trained last)" if latest else "saved models"
    render.print_table(pd.DataFrame(rows).drop(columns=["path", "latest"]), title=title, whole=("name",))


@models_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Model name (forecast models list).")],
    model_dir: o.ModelDir = None,
    json_out: o.Json = False,
) -> None:
    """Show a saved model's configuration, data, training and versions.

    Example: forecast models show pmdarima_msft-lstm
    """
    from forecast import api, paths, registry

    info = api.model_info(name, model_dir)
    _, fallback = registry.current_version(paths.models_dir(model_dir), name)  # a note: no CURRENT pointer
    summary = _summary(info, pointer=fallback is None)
    if json_out:
        render.print_json({**summary, **info})
        return
    render.notes(info.get("notes", []))
    for title, rows in _sections(info, summary["current"]):
        render.print_pairs(rows, title=title)


def _summary(info: dict[str, Any], *, pointer: bool = True) -> dict[str, Any]:
    """The keys train, predict and generate --json name these things by (model, current, series,
    target, horizon, chosen), put first; the payload's own sections follow unchanged. Without
    a CURRENT ``pointer``, current reads as models list says it: 'none (newest: v0003)'."""
    data = info.get("data") or {}
    glob = bool(data) and all(isinstance(v, dict) for v in data.values())  # one entry per series
    first = next(iter(data.values())) if glob else data
    window = (info.get("run") or {}).get("window") or {}
    return {
        "model": info.get("name"),
        "current": Path(str(info.get("path"))).stem if pointer else f"none (newest: {Path(str(info.get('path'))).stem})",
        "series": list(data) if glob else data.get("name"),
        "target": first.get("target"),
        "horizon": window.get("horizon"),
        # a global model chooses per series; forecasts_with is its first series' choice only
        "chosen": None if glob else (info.get("forecasts_with") or {}).get("member"),
    }


def _day(stamp: Any) -> Any:
    """'1958-03-29 00:00:00' -> '1958-03-29': midnight is noise on daily and coarser data."""
    return stamp[:-9] if isinstance(stamp, str) and stamp.endswith(" 00:00:00") else stamp


def _sections(info: dict[str, Any], current: str) -> list[tuple[str, list[tuple[str, Any]]]]:
    """A saved model as a few small two-column tables a person reads top to bottom."""
    run = info.get("run") or {}
    data = info.get("data") or {}
    if data and all(isinstance(v, dict) for v in data.values()):  # a global model: one per series
        data = {"series": ", ".join(data), **next(iter(data.values()))}
    model, window, train = run.get("model", {}), run.get("window", {}), run.get("train", {})
    sizes = f"hidden {model.get('hidden')} x {model.get('layers')} layers"
    extras = [k for k in ("bidirectional", "reverse_input") if model.get(k)]
    training = info.get("training") or {}
    chosen = info.get("forecasts_with") or {}
    return [
        (f"model {info.get('name')}", [
            ("file", info.get("path")), ("created", info.get("created")),
            ("current", current), ("versions", ", ".join(info.get("versions") or [])),
        ]),
        ("data", [
            ("source", data.get("source")), ("series", data.get("series") or data.get("name")),
            ("target", data.get("target")), ("features", ", ".join(data.get("features") or []) or "-"),
            ("frequency", data.get("freq")), ("rows", data.get("n_rows")),
            ("dates", f"{_day(data.get('first_date'))} .. {_day(data.get('last_date'))}"),
            ("classes", ", ".join(data.get("classes") or []) or "-"),
        ]),
        ("network", [
            ("model", f"{model.get('name')} ({sizes}{', ' + ', '.join(extras) if extras else ''})"),
            ("head", f"{model.get('head')} (loss {model.get('loss')})"),
            ("dropout", model.get("dropout")),
            ("window", f"{window.get('input_len')} steps in -> {window.get('horizon')} out"),
            ("transform", f"{window.get('transform')}, scaler {window.get('scaler')}"),
        ]),
        ("forecasts with", [
            ("member", f"{chosen.get('member')} ({chosen.get('kind')})"),
            ("why", chosen.get("note")),
        ]),
        ("training", [
            ("epochs", f"{training.get('epochs_run')} run, best {training.get('best_epoch')} "
                       f"(max {train.get('epochs')}, patience {train.get('patience')})"),
            ("validation loss", training.get("best_val_loss")),
            ("kept the starting forecast", training.get("kept_initial")),
            ("retrained on every window", training.get("refit_windows") or "no"),
            ("learning rate", train.get("lr")), ("batch size", train.get("batch_size")),
            ("seconds", training.get("seconds")), ("device", training.get("device")),
            *[(f"metric {k}", v) for k, v in (info.get("metrics") or {}).items()],
        ]),
        ("software", list((info.get("library_versions") or {}).items())),
    ]


@models_app.command("rollback")
def rollback(
    name: Annotated[str, typer.Argument(help="Model name.")],
    to: Annotated[str | None, typer.Option(help="Version to make current, e.g. v0002 (default: the one before).")] = None,
    model_dir: o.ModelDir = None,
    json_out: o.Json = False,
) -> None:
    """Make an earlier version of a model current again (nothing is deleted).

    Example: forecast models rollback pmdarima_msft-lstm --to v0001
    """
    from forecast import api

    old, new = api.rollback(name, to, model_dir)
    if json_out:
        render.print_json({"model": name, "previous": old, "current": new})
        return
    render.out.print(f"{name}: current {old} -> {new}", highlight=False)
