"""Saving and loading model bundles with joblib, safely.

A bundle is plain data: dicts, lists, strings, numbers and numpy arrays, never
a pickled class or module. It is written atomically (temporary file, then
rename) and carries a SHA-256 digest of its payload. Loading goes through an
unpickler that refuses every global except numpy's array machinery, so a
crafted file cannot run code; a truncated or altered file is "corrupted".
"""

from __future__ import annotations

import hashlib
import io
import pickle
import zlib
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from joblib import numpy_pickle

from forecast.atomic import atomic_path
from forecast.errors import ModelFileError, NotFoundError

FORMAT = "forecast-model"
FORMAT_VERSION = 1
_ZLIB_MAGIC = b"\x78"  # joblib's zlib compression (compress=3) starts the file with it

_ALLOWED_GLOBALS = {
    ("joblib.numpy_pickle", "NumpyArrayWrapper"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
}


class _UnsafeGlobal(Exception):
    pass


_WRAPPER_KEYS = {"subclass", "shape", "order", "dtype", "allow_mmap", "numpy_array_alignment_bytes"}


class _RestrictedUnpickler(numpy_pickle.NumpyUnpickler):
    """joblib's unpickler, limited to plain data and numpy arrays."""

    dispatch = numpy_pickle.NumpyUnpickler.dispatch.copy()

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS and not module.startswith("numpy.dtypes"):
            raise _UnsafeGlobal(f"{module}.{name}")
        return super().find_class(module, name)

    def _load_build_checked(self) -> None:
        """BUILD, refusing an array wrapper that is not a plain ndarray of a plain dtype.

        joblib stores an object array as a nested pickle and reads it right here;
        some joblib versions read it with an unrestricted unpickler, so refuse it
        before joblib gets the chance (and any attribute joblib would not set).
        """
        wrapper, state = self.stack[-2], self.stack[-1]
        if isinstance(wrapper, numpy_pickle.NumpyArrayWrapper):
            dtype = state.get("dtype") if isinstance(state, dict) else None
            if (
                not isinstance(state, dict)
                or not set(state) <= _WRAPPER_KEYS
                or state.get("subclass") is not np.ndarray
                or not isinstance(dtype, np.dtype)
                or dtype.hasobject
            ):
                raise _UnsafeGlobal("an array of Python objects")
        numpy_pickle.NumpyUnpickler.load_build(self)

    dispatch[pickle.BUILD[0]] = _load_build_checked


def digest(obj: Any) -> str:
    """A stable SHA-256 of plain data (dict order ignored; arrays by dtype, shape, bytes)."""
    h = hashlib.sha256()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            h.update(b"{")
            for key in sorted(value, key=str):
                h.update(repr(key).encode())
                walk(value[key])
            h.update(b"}")
        elif isinstance(value, (list, tuple)):
            h.update(b"[")
            for item in value:
                walk(item)
            h.update(b"]")
        elif isinstance(value, np.ndarray):
            h.update(f"{value.dtype.str}{value.shape}".encode())
            h.update(np.ascontiguousarray(value).tobytes())
        else:
            h.update(repr(value).encode())

    walk(obj)
    return h.hexdigest()


def check_plain(value: Any, where: str = "bundle") -> None:
    """Refuse anything but plain data before saving (a bug, not a user error)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: non-string key {key!r}")
            check_plain(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            check_plain(item, f"{where}[{i}]")
    elif not (value is None or type(value) in (str, int, float, bool, np.ndarray)):
        raise TypeError(f"{where}: {type(value).__name__} is not plain data")
    elif isinstance(value, np.ndarray) and value.dtype.hasobject:
        raise TypeError(f"{where}: object arrays are not plain data")


def save_bundle(payload: dict[str, Any], path: Path) -> Path:
    """Write ``payload`` atomically to ``path`` with its digest; returns the path."""
    check_plain(payload)
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "sha256": digest(payload),
        "payload": payload,
    }
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        joblib.dump(document, handle, compress=3)
    return path


def _inflate(raw: bytes, path: Path) -> bytes:
    """A zlib-compressed file (what save_bundle writes), checked whole: length and checksum.

    joblib stops reading at the pickle's end, so a file missing its last bytes or
    with a flipped byte in the zlib trailer would otherwise load without a word.
    """
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(raw)
    except zlib.error as err:
        raise ModelFileError(f"{path}: corrupted model file ({err}); retrain or restore it") from None
    if not inflater.eof or inflater.unused_data:
        state = "truncated" if not inflater.eof else "extra bytes after its end"
        raise ModelFileError(f"{path}: corrupted model file ({state}); retrain or restore it")
    return data


def _unpickle(path: Path) -> Any:
    raw = path.read_bytes()
    if raw[:1] == _ZLIB_MAGIC:
        raw = _inflate(raw, path)
    with io.BytesIO(raw) as handle:
        with numpy_pickle._validate_fileobject_and_memmap(handle, str(path), None) as (fobj, _):
            if isinstance(fobj, str):
                raise ModelFileError(f"{path}: not a forecast model file (old joblib format)")
            document = _RestrictedUnpickler(str(path), fobj, True).load()
            if fobj.read(1):
                raise ModelFileError(
                    f"{path}: corrupted model file (extra bytes after its end); retrain or restore it"
                )
            return document


def load_bundle(path: Path) -> dict[str, Any]:
    """Read a bundle saved by :func:`save_bundle`, refusing unsafe or corrupted files."""
    if not path.is_file():
        raise NotFoundError(f"model file {path} not found")
    try:
        document = _unpickle(path)
    except _UnsafeGlobal as err:
        raise ModelFileError(
            f"{path}: refused to load: the file asks to load code or Python objects ({err}), "
            "not plain data; it was not written by forecast. Delete it and retrain"
        ) from None
    except ModelFileError:
        raise
    except Exception as err:  # truncated, bad compression, garbage
        raise ModelFileError(
            f"{path}: corrupted model file ({type(err).__name__}); retrain or restore it"
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a forecast model file; retrain to create one")
    version = document.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model format {version} is newer than this forecast understands "
            f"({FORMAT_VERSION}); upgrade forecast"
        )
    payload = document.get("payload")
    if not isinstance(payload, dict) or digest(payload) != document.get("sha256"):
        raise ModelFileError(f"{path}: corrupted model file (checksum mismatch); retrain it")
    return payload


__all__ = ["save_bundle", "load_bundle", "digest", "FORMAT_VERSION"]
