"""The Typer app: one thin module per verb over the library.

Commands import torch, pandas and yfinance inside their bodies so that
``forecast --help`` stays fast. Errors from the library are ForecastError
subclasses; :func:`main` turns them into one line on stderr and their exit
code (see forecast.errors), with the traceback only under ``--debug``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from forecast import __version__

app = typer.Typer(
    name="forecast",
    help="Time-series forecasting with recurrent neural networks.\n\n"
    "Example: forecast train prices.csv && forecast predict",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"forecast {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Time-series forecasting with recurrent neural networks."""
    _state["debug"] = debug


def debug_enabled() -> bool:
    return _state["debug"] or "--debug" in sys.argv


# Register the verbs (each module adds its commands to ``app``).
from forecast.cli import evaluate_cmd as _evaluate_cmd  # noqa: E402,F401
from forecast.cli import fetch_cmd as _fetch_cmd  # noqa: E402,F401
from forecast.cli import generate_cmd as _generate_cmd  # noqa: E402,F401
from forecast.cli import models_cmd as _models_cmd  # noqa: E402,F401
from forecast.cli import predict_cmd as _predict_cmd  # noqa: E402,F401
from forecast.cli import retrain_cmd as _retrain_cmd  # noqa: E402,F401
from forecast.cli import train_cmd as _train_cmd  # noqa: E402,F401


def _ctrl_c(done: SystemExit) -> bool:
    """Typer turns a Ctrl-C inside a command into ``Exit(130) from KeyboardInterrupt`` and exits
    without a word (evaluate, predict, generate ... said nothing); train's own handler, which
    prints its line, raises ``Exit(130) from None``."""
    return isinstance(getattr(done.__context__, "__cause__", None), KeyboardInterrupt)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app (Typer handles usage errors, exit 2), map library errors."""
    import warnings

    from forecast.cli import render
    from forecast.errors import ForecastError

    render._warned.clear()
    render.set_quiet(False)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = render.warning_line  # one channel for every note and warning
            app(args=argv, prog_name="forecast")
    except ForecastError as err:
        if debug_enabled():
            import traceback

            traceback.print_exc()
        typer.echo(f"error: {err}", err=True)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except SystemExit as done:
        if _ctrl_c(done):
            typer.echo("interrupted (Ctrl-C): stopped; files are written whole or not at all", err=True)
        raise
    except OSError as exc:  # disk full, permissions: the environment, not a bug
        if debug_enabled():
            raise
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        typer.echo(f"error: {exc.strerror or exc}{where}; nothing was overwritten", err=True)
        sys.exit(1)
    except Exception as exc:  # a bug: say so in one line unless --debug
        if debug_enabled():
            raise
        typer.echo(
            f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
            err=True,
        )
        sys.exit(1)
