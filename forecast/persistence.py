"""Saving and loading model bundles with joblib, safely.

A bundle is plain data: dicts, lists, tuples, strings, numbers and numpy arrays,
never a pickled class or module. Format 2 (what :func:`save_bundle` writes)::

    forecast-model 2\\n                      magic line
    sha256:<64 hex digits>\\n                digest of every byte below
    <joblib stream, zlib>                   a pickle of builtins only

Arrays are stored as ``{"__ndarray__": [dtype, shape, bytes]}`` with a numeric dtype,
so the pickle needs no global name at all. Loading (:func:`load_bundle`):

1. the digest is checked over every byte that will be parsed, before any is parsed;
2. the stream is inflated with a size cap (a zlib bomb stops at the cap);
3. every opcode is scanned (``pickletools.genops``) before anything is loaded: only the
   opcodes that builtin plain data needs pass (no GLOBAL/STACK_GLOBAL, REDUCE, BUILD,
   INST, OBJ, NEWOBJ, EXT1/2/4, PERSID, out-of-band buffers, ...);
4. it is unpickled by an unpickler that resolves no name, and arrays are rebuilt from an
   exact allow-list of numeric dtypes with their byte counts checked.

Format 1 (forecast 0.1: joblib arrays inside the pickle, digest of the payload inside
the document) still loads, through an unpickler limited to an exact allow-list of
(module, name) pairs of numpy's and joblib's array machinery: no prefixes, no dotted
names, no object arrays. Its digest can only be checked after parsing.
The digest catches damage, not forgery: safety comes from steps 3 and 4.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import pickletools
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from forecast.atomic import atomic_path
from forecast.errors import ModelFileError, NotFoundError

FORMAT = "forecast-model"
FORMAT_VERSION = 2
MAGIC = b"forecast-model 2\n"
_DIGEST_PREFIX = b"sha256:"
_HEADER_LEN = len(MAGIC) + len(_DIGEST_PREFIX) + 64 + 1
_ZLIB_MAGIC = b"\x78"  # joblib's zlib compression (compress=3) starts the stream with it
_ARRAY_KEY = "__ndarray__"
_MAX_DEPTH = 64  # bundles nest a few levels; deeper is hostile

# Inflated size cap: weights barely compress, so a real bundle inflates to about its
# file size; a crafted stream that inflates past this is refused before it fills memory.
_INFLATE_BASE = 64 * 2**20
_INFLATE_RATIO = 16

# Exactly the opcodes pickle (protocols 2-5) emits for dict/list/tuple/str/bytes/int/
# float/bool/None: nothing that names, calls or builds an object.
_PLAIN_OPCODES = frozenset(
    {
        "PROTO", "FRAME", "STOP", "MARK",
        "EMPTY_DICT", "EMPTY_LIST", "EMPTY_TUPLE", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3",
        "APPEND", "APPENDS", "SETITEM", "SETITEMS",
        "MEMOIZE", "BINPUT", "LONG_BINPUT", "BINGET", "LONG_BINGET",
        "NONE", "NEWTRUE", "NEWFALSE", "BININT", "BININT1", "BININT2", "LONG1", "BINFLOAT",
        "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8",
        "SHORT_BINBYTES", "BINBYTES", "BINBYTES8",
    }
)  # fmt: skip

_NUMERIC_DTYPES = frozenset(
    np.dtype(kind).newbyteorder(order).str
    for kind in ("b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8")
    for order in "<>"
)

# Format 1 only: the names numpy's and joblib's array pickling uses. Exact pairs.
_LEGACY_GLOBALS = frozenset(
    {
        ("joblib.numpy_pickle", "NumpyArrayWrapper"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
    }
)
_WRAPPER_KEYS = {"subclass", "shape", "order", "dtype", "allow_mmap", "numpy_array_alignment_bytes"}


class _Unsafe(Exception):
    """The file asks for something plain data never needs (a name, a call, an object)."""


# ---------------------------------------------------------------- plain data <-> builtins


def check_plain(value: Any, where: str = "bundle") -> None:
    """Refuse anything but plain data before saving (a bug, not a user error)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: non-string key {key!r}")
            if key == _ARRAY_KEY:
                raise TypeError(f"{where}: the key {_ARRAY_KEY!r} is reserved")
            check_plain(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            check_plain(item, f"{where}[{i}]")
    elif not (value is None or type(value) in (str, int, float, bool, np.ndarray)):
        raise TypeError(f"{where}: {type(value).__name__} is not plain data")
    elif isinstance(value, np.ndarray) and value.dtype.str not in _NUMERIC_DTYPES:
        raise TypeError(f"{where}: {value.dtype} arrays are not plain data (numbers and booleans only)")


def _encode(value: Any) -> Any:
    """Plain data with every array replaced by builtins: {__ndarray__: [dtype, shape, bytes]}."""
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_encode(item) for item in value)
    if isinstance(value, np.ndarray):
        return {_ARRAY_KEY: [value.dtype.str, list(value.shape), np.ascontiguousarray(value).tobytes()]}
    return value


def _decode(value: Any, depth: int = 0) -> Any:
    """The inverse of :func:`_encode`, refusing anything but plain data."""
    if depth > _MAX_DEPTH:
        raise _Unsafe(f"data nested deeper than {_MAX_DEPTH} levels")
    if isinstance(value, dict):
        if _ARRAY_KEY in value:
            return _decode_array(value)
        if not all(isinstance(key, str) for key in value):
            raise _Unsafe("a dict key that is not a string")
        return {key: _decode(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item, depth + 1) for item in value]
    if isinstance(value, tuple):
        return tuple(_decode(item, depth + 1) for item in value)
    if value is None or type(value) in (str, int, float, bool):
        return value
    if type(value) is np.ndarray and value.dtype.str in _NUMERIC_DTYPES:  # format 1 only
        return value
    raise _Unsafe(f"a {type(value).__name__} value")


def _decode_array(value: dict[Any, Any]) -> np.ndarray:
    spec = value[_ARRAY_KEY]
    if len(value) != 1 or not isinstance(spec, list) or len(spec) != 3:
        raise _Unsafe("a malformed array record")
    dtype, shape, data = spec
    if not isinstance(dtype, str) or dtype not in _NUMERIC_DTYPES:
        raise _Unsafe(f"an array of dtype {dtype!r} (numbers and booleans only)")
    if (
        not isinstance(shape, list)
        or len(shape) > 8
        or not all(type(n) is int and 0 <= n < 2**40 for n in shape)
        or not isinstance(data, bytes)
    ):
        raise _Unsafe("a malformed array record")
    kind = np.dtype(dtype)
    if len(data) != int(np.prod(shape, dtype=np.int64)) * kind.itemsize:
        raise ModelFileError("an array's bytes do not match its shape")
    return np.frombuffer(data, dtype=kind).reshape(shape).copy()


# ---------------------------------------------------------------- format 2


def save_bundle(payload: dict[str, Any], path: Path) -> Path:
    """Write ``payload`` atomically to ``path`` (format 2, digest first); returns the path."""
    check_plain(payload)
    import joblib  # only the writer needs it: format 2 loads with zlib and pickle alone

    document = {"format": FORMAT, "format_version": FORMAT_VERSION, "payload": _encode(payload)}
    stream = io.BytesIO()
    joblib.dump(document, stream, compress=3)
    body = stream.getvalue()
    header = MAGIC + _DIGEST_PREFIX + hashlib.sha256(body).hexdigest().encode() + b"\n"
    with atomic_path(path) as tmp:
        tmp.write_bytes(header + body)
    return path


def _inflate(raw: bytes, path: Path) -> bytes:
    """The zlib stream, checked whole (length and checksum) and capped in size.

    joblib stops reading at the pickle's end, so a file missing its last bytes or
    with a flipped byte in the zlib trailer would otherwise load without a word.
    """
    cap = _INFLATE_BASE + _INFLATE_RATIO * len(raw)
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(raw, cap)
    except zlib.error as err:
        raise ModelFileError(f"{path}: corrupted model file ({err}); retrain or restore it") from None
    if inflater.unconsumed_tail:
        raise _Unsafe(f"it inflates to more than {cap // 2**20} MiB (a zlib bomb)")
    if not inflater.eof or inflater.unused_data:
        state = "truncated" if not inflater.eof else "extra bytes after its end"
        raise ModelFileError(f"{path}: corrupted model file ({state}); retrain or restore it")
    return data


def scan_opcodes(data: bytes) -> None:
    """Refuse a pickle with any opcode that plain builtin data never needs, before loading it."""
    end = -1
    try:
        for opcode, _arg, pos in pickletools.genops(data):
            if opcode.name not in _PLAIN_OPCODES:
                raise _Unsafe(f"pickle opcode {opcode.name} at byte {pos}")
            if opcode.name == "STOP":
                end = pos + 1
    except _Unsafe:
        raise
    except Exception as err:  # genops: truncated or invalid stream
        raise ModelFileError(f"corrupted model file ({type(err).__name__})") from None
    if end != len(data):
        raise ModelFileError("corrupted model file (extra bytes after its end)")


class _NoNames(pickle.Unpickler):
    """Resolves no global and no persistent id: the last guard behind the opcode scan."""

    def find_class(self, module: str, name: str) -> Any:
        raise _Unsafe(f"{module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        raise _Unsafe("a persistent id")


def _load_v2(raw: bytes, path: Path) -> dict[str, Any]:
    if len(raw) < _HEADER_LEN or raw[len(MAGIC) : len(MAGIC) + len(_DIGEST_PREFIX)] != _DIGEST_PREFIX:
        raise ModelFileError(f"{path}: corrupted model file (damaged header); retrain or restore it")
    expected = raw[len(MAGIC) + len(_DIGEST_PREFIX) : _HEADER_LEN - 1]
    body = raw[_HEADER_LEN:]
    if raw[_HEADER_LEN - 1 : _HEADER_LEN] != b"\n" or hashlib.sha256(body).hexdigest().encode() != expected:
        raise ModelFileError(f"{path}: corrupted model file (checksum mismatch); retrain or restore it")
    if body[:1] != _ZLIB_MAGIC:
        raise ModelFileError(f"{path}: corrupted model file (not a zlib stream); retrain or restore it")
    data = _inflate(body, path)
    try:
        scan_opcodes(data)
    except ModelFileError as err:
        raise ModelFileError(f"{path}: {err}; retrain or restore it") from None
    document = _NoNames(io.BytesIO(data)).load()
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a forecast model file; retrain to create one")
    _check_version(document, path)
    payload = _decode(document.get("payload"))
    if not isinstance(payload, dict):
        raise ModelFileError(f"{path}: not a forecast model file; retrain to create one")
    return payload


def _check_version(document: dict[str, Any], path: Path) -> None:
    version = document.get("format_version")
    if type(version) is not int or version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model format {version!r} is newer than this forecast understands "
            f"({FORMAT_VERSION}); upgrade forecast"
        )


# ---------------------------------------------------------------- format 1 (forecast 0.1)


def _legacy_unpickler_class() -> type:
    from joblib import numpy_pickle

    class LegacyUnpickler(numpy_pickle.NumpyUnpickler):
        """joblib's unpickler, limited to an exact list of numpy's array machinery."""

        dispatch = numpy_pickle.NumpyUnpickler.dispatch.copy()

        def find_class(self, module: str, name: str) -> Any:
            if (module, name) not in _LEGACY_GLOBALS:  # exact: no prefixes, no dotted names
                raise _Unsafe(f"{module}.{name}")
            return super().find_class(module, name)

        def persistent_load(self, pid: Any) -> Any:
            raise _Unsafe("a persistent id")

        def _load_build_checked(self) -> None:
            """BUILD only on a plain-ndarray wrapper of a numeric dtype, or an ndarray.

            joblib stores an object array as a nested pickle and reads it right here;
            some joblib versions read it with an unrestricted unpickler, so refuse it
            before joblib gets the chance (and any attribute joblib would not set).
            """
            target, state = self.stack[-2], self.stack[-1]
            if isinstance(target, numpy_pickle.NumpyArrayWrapper):
                dtype = state.get("dtype") if isinstance(state, dict) else None
                if (
                    not isinstance(state, dict)
                    or not set(state) <= _WRAPPER_KEYS
                    or state.get("subclass") is not np.ndarray
                    or not isinstance(dtype, np.dtype)
                    or dtype.str not in _NUMERIC_DTYPES
                ):
                    raise _Unsafe("an array of Python objects")
            elif not (
                isinstance(target, np.dtype)  # numpy pickles a dtype as REDUCE + BUILD
                or (
                    type(target) is np.ndarray
                    and isinstance(state, tuple)
                    and len(state) == 5
                    and isinstance(state[2], np.dtype)
                    and state[2].str in _NUMERIC_DTYPES
                )
            ):
                raise _Unsafe(f"BUILD on a {type(target).__name__}")
            numpy_pickle.NumpyUnpickler.load_build(self)

        dispatch[pickle.BUILD[0]] = _load_build_checked

    return LegacyUnpickler


def digest(obj: Any) -> str:
    """Format 1's SHA-256 of plain data (dict order ignored; arrays by dtype, shape, bytes)."""
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


def _load_v1(raw: bytes, path: Path) -> dict[str, Any]:
    from joblib import numpy_pickle

    if raw[:1] == _ZLIB_MAGIC:
        raw = _inflate(raw, path)
    with io.BytesIO(raw) as handle:
        with numpy_pickle._validate_fileobject_and_memmap(handle, str(path), None) as (fobj, _):
            if isinstance(fobj, str):
                raise ModelFileError(f"{path}: not a forecast model file (old joblib format)")
            document = _legacy_unpickler_class()(str(path), fobj, True).load()
            if fobj.read(1):
                raise ModelFileError(
                    f"{path}: corrupted model file (extra bytes after its end); retrain or restore it"
                )
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a forecast model file; retrain to create one")
    _check_version(document, path)
    payload = document.get("payload")
    if not isinstance(payload, dict) or digest(payload) != document.get("sha256"):
        raise ModelFileError(f"{path}: corrupted model file (checksum mismatch); retrain it")
    _decode(payload)  # the same plain-data rule as format 2 (arrays already numeric)
    return payload


# ---------------------------------------------------------------- the one reader


def load_bundle(path: Path) -> dict[str, Any]:
    """Read a bundle saved by :func:`save_bundle` (or forecast 0.1), refusing unsafe or corrupted files."""
    if not path.is_file():
        raise NotFoundError(f"model file {path} not found")
    raw = path.read_bytes()
    try:
        if raw.startswith(MAGIC):
            return _load_v2(raw, path)
        return _load_v1(raw, path)
    except _Unsafe as err:
        raise ModelFileError(
            f"{path}: refused to load: the file asks for {err}, which a forecast model never "
            "contains (it holds plain data only); it was not written by forecast. Delete it and retrain"
        ) from None
    except ModelFileError:
        raise
    except RecursionError:
        raise ModelFileError(f"{path}: refused to load: data nested too deeply; delete it and retrain") from None
    except Exception as err:  # truncated, bad compression, garbage
        raise ModelFileError(
            f"{path}: corrupted model file ({type(err).__name__}); retrain or restore it"
        ) from None


__all__ = ["save_bundle", "load_bundle", "digest", "scan_opcodes", "check_plain", "FORMAT_VERSION", "MAGIC"]
