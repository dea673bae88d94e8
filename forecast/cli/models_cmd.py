"""forecast models: the model zoo, and the saved models (list, show, rollback)."""

from __future__ import annotations

from typing import Annotated

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
    render.print_table(pd.DataFrame(rows), title="saved models")


@models_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Model name (forecast models list).")],
    model_dir: o.ModelDir = None,
    json_out: o.Json = False,
) -> None:
    """Show a saved model's configuration, data, training and versions.

    Example: forecast models show pmdarima_msft-lstm
    """
    from forecast import api

    info = api.model_info(name, model_dir)
    if json_out:
        render.print_json(info)
        return
    for key, value in info.items():
        render.out.print(f"[bold]{key}[/bold]: {value}", highlight=False)


@models_app.command("rollback")
def rollback(
    name: Annotated[str, typer.Argument(help="Model name.")],
    to: Annotated[str | None, typer.Option(help="Version to make current, e.g. v0002 (default: the one before).")] = None,
    model_dir: o.ModelDir = None,
) -> None:
    """Make an earlier version of a model current again (nothing is deleted).

    Example: forecast models rollback pmdarima_msft-lstm --to v0001
    """
    from forecast import api

    old, new = api.rollback(name, to, model_dir)
    render.out.print(f"{name}: current {old} -> {new}", highlight=False)
