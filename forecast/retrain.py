"""Scheduled retraining: refresh each series, train a challenger, keep the better model.

Per series of a job file (forecast.jobconfig), under an exclusive lock:

1. Refresh the data (a CSV re-read, a ticker's price cache updated).
2. Same data fingerprint and same settings as the last successful run: "no change".
3. Walk forward over the same folds (forecast.walkforward) with the challenger's
   settings and with the champion's (the current version's saved RunConfig, on
   the challenger's horizon). Both are *refit* at every fold cutoff: the saved
   champion's own weights were trained on rows the folds test on, so scoring
   them would flatter the champion. With unchanged settings the two backtests
   are the same computation (same folds, same seeds), so the champion's score
   is the challenger's and a tie promotes: fresh data, same recipe.
4. Fit the challenger on all rows and save it as a new version (never
   overwriting one); make it current only when its score <= the champion's
   score * (1 + tolerance) (MASE; error rate for categorical targets).

Series run in parallel through forecast.parallel (joblib or Dask); workers
return payloads and only this process writes files. A failing series is
recorded and the others go on.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from forecast import paths, registry
from forecast.atomic import write_text
from forecast.config import DataSpec, RunConfig, run_config_from_dict, to_dict
from forecast.data.series import SeriesData
from forecast.errors import ForecastError, ModelFileError, NotFoundError
from forecast.jobconfig import (
    Evaluation,
    JobConfig,
    SeriesJob,
    load_job_config,
    load_job_series,
)
from forecast.lock import retrain_lock
from forecast.parallel import backend as parallel_backend
from forecast.parallel import check_backend, one_thread, run_jobs

STATE_FILE = "retrain.json"  # beside a model's versions: what the last successful run saw
STATUSES = ("first", "promoted", "kept", "no change", "failed")


@dataclass(frozen=True)
class Outcome:
    """What happened to one series."""

    name: str
    status: str  # one of STATUSES
    version: str | None = None  # the version saved by this run
    current: str | None = None  # the current version after this run
    metric: str = "mase"
    challenger: float | None = None
    champion: float | None = None
    rows: int = 0
    fingerprint: str | None = None
    seconds: float = 0.0
    error: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RetrainReport:
    """A whole run: one Outcome per series, where the log and the summary went."""

    config: str
    home: str
    started: str
    finished: str
    log: str
    summary: str
    outcomes: tuple[Outcome, ...]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def to_dict(self) -> dict[str, Any]:
        counts = {s: sum(o.status == s for o in self.outcomes) for s in STATUSES}
        return {"config": self.config, "home": self.home, "started": self.started,
                "finished": self.finished, "log": self.log, "summary": self.summary,
                "ok": not self.failed, "counts": counts,
                "series": [asdict(o) for o in self.outcomes]}


@dataclass(frozen=True)
class Task:
    """One series' challenge, sent to a worker."""

    name: str
    series: SeriesData
    run: RunConfig
    champion: RunConfig | None
    evaluation: Evaluation
    fingerprint: str
    settings: str  # digest of the job's settings
    jobs: int = 1  # per-fold jobs inside (when this is the only series)
    notes: tuple[str, ...] = ()  # what preparing it found (an unreadable champion)


@dataclass(frozen=True)
class TaskResult:
    name: str
    payload: dict[str, Any] | None = None
    metric: str = "mase"
    challenger: float | None = None
    champion: float | None = None
    notes: tuple[str, ...] = ()
    error: str | None = None
    seconds: float = 0.0


def score(bt: Any, model: str) -> tuple[str, float]:
    """(metric, loss) of ``model`` in a Backtest, lower is better: the metric registry's ranking
    metric (MASE, else MAE; error rate for classes), the leaderboard's own ranking."""
    from forecast.leaderboard import ranking_score

    return ranking_score(bt, model)


def _recipe(run: RunConfig) -> dict[str, Any]:
    """A RunConfig without its data source, to tell whether two runs train alike."""
    return to_dict(replace(run, data=DataSpec()))


def _challenge(task: Task) -> TaskResult:
    from forecast.bundle import to_payload
    from forecast.forecaster import fit
    from forecast.walkforward import backtest

    ev, run, notes = task.evaluation, task.run, []
    common = {"folds": ev.folds, "step": ev.step, "jobs": task.jobs}
    ours = backtest(task.series, run, models=[run.model.name], **common)
    metric, mine = score(ours, run.model.name)
    theirs: float | None = None
    if task.champion is not None:
        champ = replace(task.champion, data=run.data,
                        window=replace(task.champion.window, horizon=ours.horizon))
        if _recipe(champ) == _recipe(ours.run):
            theirs = mine
            notes.append("champion has the same settings: same folds and seeds, same score")
        else:
            try:
                bt = backtest(task.series, champ, models=[champ.model.name], horizon=ours.horizon,
                              **{**common, "step": ours.step})
                theirs = score(bt, champ.model.name)[1]
            except ForecastError as err:
                notes.append(f"champion's settings do not fit these folds ({err})")
    with one_thread():  # not around the backtests: their fold jobs may run in this process
        forecaster = fit(task.series, run)
    forecaster.extra["metrics"] = {metric: mine, f"champion_{metric}": theirs, "folds": ev.folds,
                                   "horizon": ours.horizon, "step": ours.step}
    payload = to_payload(forecaster, task.series, task.name)
    return TaskResult(task.name, payload, metric, mine, theirs, tuple(notes))


def challenge(task: Task) -> TaskResult:
    """Backtest challenger and champion, fit the challenger; errors come back as results."""
    started = time.perf_counter()
    try:
        result = _challenge(task)
    except ForecastError as err:
        result = TaskResult(task.name, error=str(err))
    except Exception as err:  # a bug in one series must not lose the others
        result = TaskResult(task.name, error=f"internal error: {type(err).__name__}: {err}")
    return replace(result, seconds=time.perf_counter() - started)


def promotes(challenger: float | None, champion: float | None, tolerance: float) -> bool:
    """Not worse beyond the tolerance; an unscored champion never blocks."""
    if champion is None or not math.isfinite(champion):
        return True
    if challenger is None or not math.isfinite(challenger):
        return False
    return challenger <= champion * (1 + tolerance)


def _state(root: Path, name: str) -> dict[str, Any]:
    try:
        data = json.loads((root / name / STATE_FILE).read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def settings_digest(job: SeriesJob) -> str:
    from forecast.persistence import digest

    return digest({"run": to_dict(job.run), "evaluation": asdict(job.evaluation)})[:16]


def _champion(root: Path, name: str, log: logging.Logger) -> tuple[RunConfig | None, str | None]:
    """The current version's RunConfig (None for a new model, or an unreadable one) and, for
    an unreadable one, a note saying so (the summary's "first" alone would hide it)."""
    from forecast.persistence import load_bundle

    try:
        return run_config_from_dict(load_bundle(registry.current_path(root, name))["run"]), None
    except NotFoundError:
        return None, None
    except (ModelFileError, KeyError, TypeError) as err:
        log.warning("%s: current version unreadable (%s); the challenger will replace it", name, err)
        return None, f"the current version was unreadable ({err}); the challenger replaced it"


def _finish(root: Path, task: Task, result: TaskResult, log: logging.Logger) -> Outcome:
    """Save the challenger as a new version; promote it or keep the champion; record state."""
    if result.payload is None:
        log.error("%s: failed: %s", task.name, result.error)
        return Outcome(task.name, "failed", rows=len(task.series), error=result.error,
                       seconds=result.seconds)
    first = task.champion is None
    promoted = first or promotes(result.challenger, result.champion, task.evaluation.tolerance)
    path = registry.publish(root, task.name, result.payload, make_current=promoted)
    current = registry.current_path(root, task.name).stem
    status = "first" if first else "promoted" if promoted else "kept"
    state = {"fingerprint": task.fingerprint, "settings": task.settings, "version": path.stem,
             "status": status, "at": _now()}
    write_text(root / task.name / STATE_FILE, json.dumps(state, indent=1) + "\n")
    notes = (*task.notes, *result.notes)
    log.info("%s: %s (saved %s, current %s; %s challenger %s, champion %s)%s", task.name, status,
             path.stem, current, result.metric, _fmt(result.challenger), _fmt(result.champion),
             "".join(f"; {n}" for n in notes))
    return Outcome(task.name, status, path.stem, current, result.metric, _finite(result.challenger),
                   _finite(result.champion), len(task.series), task.fingerprint, result.seconds,
                   notes=notes)


def _unsaved(task: Task, result: TaskResult, err: OSError, log: logging.Logger) -> Outcome:
    """A challenger the OS would not let us save: this series failed, the run goes on."""
    where = f" ({err.filename})" if err.filename else ""
    error = f"could not save the model: {err.strerror or err}{where}; the current version is unchanged"
    log.error("%s: failed: %s", task.name, error)
    return Outcome(task.name, "failed", rows=len(task.series), error=error, seconds=result.seconds)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _log_paths(home: Path) -> tuple[Path, Path]:
    """home/logs/retrain-YYYYmmdd-HHMMSS.{log,json}, suffixed when that second is taken."""
    folder = home / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    stem = datetime.now().strftime("retrain-%Y%m%d-%H%M%S")
    base, n = stem, 1
    while (folder / f"{stem}.log").exists() or (folder / f"{stem}.json").exists():
        n += 1
        stem = f"{base}-{n}"
    return folder / f"{stem}.log", folder / f"{stem}.json"


@contextmanager
def _run_log(path: Path) -> Iterator[logging.Logger]:
    """A logger writing to ``path`` for this run only."""
    log = logging.getLogger(f"forecast.retrain.{path.stem}")
    log.setLevel(logging.INFO)
    log.propagate = False
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    try:
        yield log
    finally:
        log.removeHandler(handler)
        handler.close()


def _prepare(job: SeriesJob, root: Path, home: Path, log: logging.Logger, fetcher: Any,
             now: Any) -> Task | Outcome:
    """Refresh one series: an Outcome when there is nothing to train, else its Task."""
    started = time.perf_counter()
    try:
        series = load_job_series(job.run.data, home, fetcher, now)
    except ForecastError as err:
        log.error("%s: failed reading its data: %s", job.name, err)
        return Outcome(job.name, "failed", error=str(err), seconds=time.perf_counter() - started)
    fingerprint, settings = series.fingerprint(), settings_digest(job)
    state = _state(root, job.name)
    if (state.get("fingerprint"), state.get("settings")) == (fingerprint, settings) and (
        root / job.name / "CURRENT"
    ).is_file() and _loads(root, job.name):
        log.info("%s: no change (%d rows, fingerprint %s)", job.name, len(series), fingerprint)
        current = registry.current_path(root, job.name).stem
        return Outcome(job.name, "no change", current=current, rows=len(series),
                       fingerprint=fingerprint, seconds=time.perf_counter() - started)
    log.info("%s: %d rows, fingerprint %s: training a challenger", job.name, len(series), fingerprint)
    champion, note = _champion(root, job.name, log)
    return Task(job.name, series, job.run, champion, job.evaluation, fingerprint, settings,
                notes=(note,) if note else ())


def _loads(root: Path, name: str) -> bool:
    """The current version reads (checksum, safe loader): unchanged data is "no change" only
    while predict can use the model; a damaged or replaced file is retrained instead."""
    from forecast.persistence import load_bundle

    try:
        load_bundle(registry.current_path(root, name))
        return True
    except ForecastError:
        return False


def _run_tasks(tasks: list[Task], jobs: int, backend: str, scheduler: str | None) -> list[TaskResult]:
    """Series in parallel; a lone series runs here with its folds in parallel instead."""
    if len(tasks) == 1 and (jobs != 1 or backend != "local"):
        with parallel_backend(backend, scheduler, jobs) as n_jobs:
            return [challenge(replace(tasks[0], jobs=n_jobs))]
    return run_jobs(challenge, tasks, jobs=jobs, name=backend, scheduler=scheduler)


def retrain(
    config: JobConfig | str | Path,
    *,
    home: str | Path | None = None,
    jobs: int | None = None,
    backend: str | None = None,
    scheduler: str | None = None,
    fetcher: Any = None,
    now: Any = None,
) -> RetrainReport:
    """Retrain every series of a job file once; never raises for one series' failure.

    ``jobs``, ``backend``, ``scheduler`` override the file's; ``fetcher`` and
    ``now`` go to the price cache (tests replay recorded Yahoo answers).
    """
    job = config if isinstance(config, JobConfig) else load_job_config(config)
    jobs = job.jobs if jobs is None else jobs
    backend = backend or job.backend
    scheduler = scheduler or job.scheduler
    check_backend(backend, scheduler, jobs)
    home_path = paths.home_dir(home)
    root = paths.models_dir(home_path)
    with retrain_lock(home_path):
        started = _now()
        log_path, summary_path = _log_paths(home_path)
        with _run_log(log_path) as log:
            log.info("retrain %s (home %s, jobs %d, backend %s)", job.path, home_path, jobs, backend)
            prepared = [_prepare(j, root, home_path, log, fetcher, now) for j in job.series]
            outcomes = {o.name: o for o in prepared if isinstance(o, Outcome)}
            tasks = [t for t in prepared if isinstance(t, Task)]
            for task, result in zip(tasks, _run_tasks(tasks, jobs, backend, scheduler)):
                try:
                    outcomes[task.name] = _finish(root, task, result, log)
                except OSError as err:  # this model's folder (read-only, full): the others go on
                    outcomes[task.name] = _unsaved(task, result, err, log)
            report = RetrainReport(str(job.path), str(home_path), started, _now(), str(log_path),
                                   str(summary_path), tuple(outcomes[j.name] for j in job.series))
            log.info("done: %d series, %d failed; summary %s", len(report.outcomes),
                     len(report.failed), summary_path)
        write_text(summary_path, json.dumps(report.to_dict(), indent=2, default=str) + "\n")
    return report


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


__all__ = ["retrain", "RetrainReport", "Outcome", "promotes", "score", "challenge", "Task",
           "STATE_FILE"]
