"""Parsed CSV series kept beside the models, reused while the file's bytes are unchanged.

``forecast predict`` re-reads a model's CSV each time so that new rows count.
Parsing it needs pandas (about 0.4 s to import, plus date detection); a snapshot
of the parsed arrays, keyed by the SHA-256 of the file's bytes, the reading
options and the reader's own source code, gives the same SeriesData with numpy
alone. Any change to the file (one appended row) misses and re-reads it in full.
Snapshots are plain ``.npz`` arrays loaded without pickle, one per (file, options),
overwritten atomically; a damaged one is ignored and rewritten; beyond MAX_SNAPSHOTS the
least recently used go.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from forecast import __version__
from forecast.config import DataSpec
from forecast.data.dates import STEPS
from forecast.data.series import SeriesData

FORMAT = 1
MAX_SNAPSHOTS = 64  # least recently used beyond this are deleted (a daily-dated file each day)
_READER_MODULES = ("calendar.py", "dates.py", "series.py", "snapshot.py")  # + sources.READER_MODULES
_reader_digest: str | None = None


def _reader_fingerprint() -> str:
    """A hash of the code that turns CSV bytes into a SeriesData (a change invalidates all)."""
    global _reader_digest
    if _reader_digest is None:
        digest = hashlib.sha256(f"{FORMAT}:{__version__}".encode())
        folder = Path(__file__).parent
        from forecast.data.sources import READER_MODULES

        for name in (*READER_MODULES, *_READER_MODULES):
            try:
                digest.update((folder / name).read_bytes())
            except OSError:  # e.g. running from a zip: the version alone decides
                pass
        _reader_digest = digest.hexdigest()
    return _reader_digest


def _file_digest(path: Path) -> bytes:
    """SHA-256 of the file's bytes, read in 1 MiB chunks (a large CSV is never held whole)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.digest()


def _content_key(spec: DataSpec, file_digest: bytes) -> str:
    digest = hashlib.sha256(_reader_fingerprint().encode())
    digest.update(json.dumps(asdict(spec), sort_keys=True, default=list).encode())
    digest.update(file_digest)
    return digest.hexdigest()


def snapshot_path(folder: Path, spec: DataSpec) -> Path:
    """One file per CSV (its absolute path) and reading options."""
    assert spec.path is not None
    absolute = replace(spec, path=str(Path(spec.path).expanduser().resolve()))
    name = json.dumps(asdict(absolute), sort_keys=True, default=list)
    return folder / f"{hashlib.sha256(name.encode()).hexdigest()[:24]}.npz"


def read_snapshot(path: Path, key: str) -> SeriesData | None:
    """The stored series when ``path`` holds one for exactly this ``key``; None otherwise."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            meta = json.loads(bytes(stored["meta"]).decode())
            if meta.get("key") != key:
                return None
            return SeriesData(
                stored["dates"].view(f"M8[{meta['unit']}]"), stored["values"], meta["target"],
                tuple(meta["features"]), meta["freq"], meta["source"], meta["name"],
                tuple(meta["classes"]), tuple(meta["notes"]), STEPS if meta.get("steps") else None,
                bool(meta.get("quotes", False)),
            )
    except Exception:  # missing, damaged or another format (zip, zlib, JSON, keys, shapes)
        return None  # read the CSV again


def write_snapshot(path: Path, key: str, series: SeriesData) -> None:
    """Store ``series`` under ``key``; a failure to write is not an error (just no snapshot)."""
    from forecast.atomic import atomic_path

    unit = np.datetime_data(series.dates.dtype)[0]
    meta = {
        "key": key, "unit": unit, "target": series.target, "features": list(series.features),
        "freq": series.freq, "source": series.source, "name": series.name,
        "classes": list(series.classes), "notes": list(series.notes), "quotes": series.quotes,
        "steps": series.tz is STEPS,
    }
    buffer = io.BytesIO()
    np.savez(
        buffer,
        dates=series.dates.view(np.int64),
        values=np.ascontiguousarray(series.values),
        meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            tmp.write_bytes(buffer.getvalue())
        _prune(path.parent)
    except OSError:
        pass


def _prune(folder: Path) -> None:
    """Delete the least recently used snapshots beyond MAX_SNAPSHOTS (use = mtime, see below)."""
    stored = sorted(folder.glob("*.npz"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in stored[MAX_SNAPSHOTS:]:
        old.unlink(missing_ok=True)


def read_with_snapshot(
    spec: DataSpec, folder: Path, read: Callable[[DataSpec], SeriesData]
) -> SeriesData:
    """``read(spec)``, or the snapshot of its result while the CSV's bytes are unchanged.

    Series with time-zone-aware dates are never snapshotted (their tz is not plain data);
    step-indexed ones are (a flag in the meta).
    """
    assert spec.path is not None
    try:
        file_digest = _file_digest(Path(spec.path).expanduser())
    except OSError:
        return read(spec)  # the reader says what is wrong with the path
    key = _content_key(spec, file_digest)
    path = snapshot_path(folder, spec)
    cached = read_snapshot(path, key)
    if cached is not None:
        try:
            os.utime(path)  # recently used: kept by _prune
        except OSError:
            pass
        return cached
    series = read(spec)
    if series.tz is None or series.tz is STEPS:
        write_snapshot(path, key, series)
    return series


__all__ = ["read_with_snapshot", "snapshot_path"]
