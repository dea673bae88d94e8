"""Many series of one file: the ``--all-series`` / ``--global`` half of ``forecast train``.

Also the parallel options (``--jobs``, ``--backend``, ``--scheduler``) shared by
train, retrain and evaluate. No command is registered here: ``train`` calls
:func:`train_many` when one of the two flags is given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from forecast.cli import render
from forecast.schema import PANELS

if TYPE_CHECKING:
    from forecast.config import RunConfig

PARALLEL = "Parallel"
Jobs = Annotated[
    int, typer.Option("--jobs", "-j", min=-1, help="Parallel jobs: series (or folds) at once; -1: all cores.", rich_help_panel=PARALLEL)
]
JobsOrConfig = Annotated[
    int | None, typer.Option("--jobs", "-j", min=-1, help="Series retrained at once (default: the config's jobs, else 1).", rich_help_panel=PARALLEL)
]
Backend = Annotated[
    str | None, typer.Option(help="Where jobs run: local (joblib processes) or dask (needs --scheduler; pip install 'forecast[dask]').", rich_help_panel=PARALLEL)
]
Scheduler = Annotated[
    str | None, typer.Option(help="Dask scheduler address for --backend dask, e.g. tcp://10.0.0.5:8786.", rich_help_panel=PARALLEL)
]
AllSeries = Annotated[
    bool, typer.Option("--all-series", help="Long-format file: one model per series, in parallel (--jobs).", rich_help_panel=PANELS["data"])
]
GlobalOpt = Annotated[
    bool, typer.Option("--global", help="Long-format file: ONE model across all series (per-series scaling, a series-id input).", rich_help_panel=PANELS["data"])
]


def wants_many(all_series: bool, global_model: bool, jobs: int = 1, backend: str | None = None,
               scheduler: str | None = None) -> bool:
    """True for --all-series / --global; the parallel options without them are an error."""
    from forecast.errors import ConfigError

    if all_series or global_model:
        return True
    if jobs != 1 or backend or scheduler:
        raise ConfigError("--jobs, --backend and --scheduler go with --all-series (one model "
                          "per series); drop them to train one series")
    return False


def train_many(
    run: "RunConfig",
    *,
    all_series: bool,
    global_model: bool,
    name: str | None = None,
    jobs: int = 1,
    backend: str | None = None,
    scheduler: str | None = None,
    model_dir: str | None = None,
    json_out: bool = False,
    quiet: bool = False,
) -> None:
    """Train per-series models or one global model; render; exit 10 when some series failed."""
    from forecast.errors import ConfigError

    if all_series == global_model:
        raise ConfigError("give one of --all-series (a model per series) or --global (one model)")
    if run.data.series:
        raise ConfigError(f"--series {run.data.series} picks one series; drop it with "
                          "--all-series / --global")
    if global_model:
        if jobs != 1 or backend not in (None, "local") or scheduler:
            raise ConfigError("--global trains one network in this process; drop --jobs, "
                              "--backend and --scheduler")
        _train_global(run, name, model_dir, json_out, quiet)
    else:
        if name:
            raise ConfigError("--name names one model; --all-series names each "
                              "<file>-<symbol>-<model>")
        _train_all(run, jobs, backend or "local", scheduler, model_dir, json_out)


def _train_all(run: "RunConfig", jobs: int, backend: str, scheduler: str | None,
               model_dir: str | None, json_out: bool) -> None:
    import pandas as pd

    from forecast.errors import PartialFailureError
    from forecast.multiseries import train_all_series

    results = train_all_series(run, jobs=jobs, backend=backend, scheduler=scheduler,
                               model_dir=model_dir)
    rows = [{"series": r.symbol, "model": r.name, "rows": r.rows, "epochs": r.epochs,
             "val_loss": r.val_loss, "seconds": round(r.seconds, 2), "chosen": r.chosen,
             "kept_initial": r.kept_initial, "path": r.path, "error": r.error} for r in results]
    network = run.model.name
    notes = [f"{r.symbol}: no epoch beat the training-mean forecast on the validation tail, so "
             f"{r.name} forecasts the mean (for log returns: the drift)"
             for r in results if r.kept_initial and r.chosen == network and not r.error]
    notes += [f"{r.symbol}: the fit forecasts with {r.chosen}, which beat the {network} on validation"
              for r in results if r.chosen and r.chosen != network and not r.error]
    if json_out:
        render.print_json({"models": rows, "notes": notes})
    else:
        render.notes(notes)
        shown = pd.DataFrame(rows).drop(columns=["path", "error", "kept_initial"])
        shown.insert(1, "status", ["failed" if r.error else "saved" for r in results])
        render.print_table(shown, title=f"{len(results)} series of {run.data.path}", whole=("model",))
        for r in results:
            if r.error:
                render.err.print(f"{r.symbol}: {r.error}", highlight=False)
    failed = [r.symbol for r in results if r.error]
    if failed:
        raise PartialFailureError(f"{len(failed)} of {len(results)} series failed "
                                  f"({', '.join(failed[:5])}); "
                                  + ("the others were saved" if len(failed) < len(results) else "nothing was saved"))


def _train_global(run: "RunConfig", name: str | None, model_dir: str | None, json_out: bool,
                  quiet: bool) -> None:
    from forecast.multiseries import train_global

    with render.epoch_progress(not quiet and not json_out, "training (global)") as on_epoch:
        model_name, path, model = train_global(run, name=name, model_dir=model_dir,
                                               on_epoch=on_epoch)
    rep = model.report
    assert rep is not None
    summary = {
        "model": model_name, "path": str(path), "network": model.run.model.name,
        "series": list(model.names), "input_len": model.run.window.input_len,
        "horizon": model.run.window.horizon, "transform": model.run.window.transform,
        "windows": rep.n_train + rep.n_val, "epochs_run": rep.epochs_run,
        "best_epoch": rep.best_epoch, "train_loss": rep.final_train_loss,
        "val_loss": rep.best_val_loss, "seconds": round(rep.seconds, 2),
        "chosen": model.chosen_counts(),
    }
    if json_out:
        render.print_json(summary)
        return
    render.out.print(
        f"trained global [bold]{model_name}[/bold] ({summary['network']}, "
        f"{summary['transform']}, window {summary['input_len']} -> {summary['horizon']}) on "
        f"{len(model.names)} series ({summary['windows']} windows): {rep.epochs_run} epochs, "
        f"{rep.seconds:.1f}s", highlight=False)
    net_count = summary["chosen"].get(model.run.model.name, 0)
    others = ", ".join(f"{k} {v}" for k, v in summary["chosen"].items() if k != model.run.model.name)
    render.out.print(
        f"the network forecasts {net_count} of {len(model.names)} series"
        + (f"; a simple baseline beat it on the validation windows of the others ({others})" if others else ""),
        highlight=False)
    render.out.print(f"saved to {path}; predict one series with: forecast predict --model "
                     f"{model_name} --series {model.names[0]}", highlight=False)
