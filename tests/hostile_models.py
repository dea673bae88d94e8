"""A corpus of crafted model files: each one tries to run code, exhaust memory or pass a
broken model off as a good one. tests/test_hostile_models.py runs every file through
every command that loads a model.

Each builder gets (marker, genuine) and returns the file's bytes: ``marker`` is the file
that the attack would create if its code ran; ``genuine`` holds real bundles to tamper with
(a format-2 file saved by this forecast, the format-1 golden bundle).
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from forecast import persistence
from forecast.persistence import MAGIC

# ---------------------------------------------------------------- a tiny pickle assembler

PROTO4 = b"\x80\x04"
STOP, POP, TUPLE1, REDUCE, STACK_GLOBAL = b".", b"0", b"\x85", b"R", b"\x93"


def text(value: str) -> bytes:
    """A string opcode (SHORT_BINUNICODE / BINUNICODE)."""
    data = value.encode()
    if len(data) < 256:
        return b"\x8c" + bytes([len(data)]) + data
    return b"X" + struct.pack("<I", len(data)) + data


def stack_global(module: str, name: str) -> bytes:
    return text(module) + text(name) + STACK_GLOBAL


def call(callable_ops: bytes, *args: str) -> bytes:
    """callable(*args) with string arguments: MARK-free TUPLE1 for one argument."""
    assert len(args) == 1
    return callable_ops + text(args[0]) + TUPLE1 + REDUCE


def touch_code(marker: Path) -> str:
    return f"__import__('pathlib').Path({str(marker)!r}).touch()"


def eval_via(module: str, name: str, marker: Path) -> bytes:
    """The issue's attack: MODULE.__builtins__.get('eval')(code), as opcodes (no PROTO/STOP)."""
    return call(call(stack_global(module, name), "eval"), touch_code(marker))


def v2_file(pickled: bytes) -> bytes:
    """A format-2 file around any pickle, with a valid digest (the digest is no defence)."""
    body = zlib.compress(pickled, 3)
    return MAGIC + b"sha256:" + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def v2_pickle(raw: bytes) -> bytes:
    """The pickle inside a format-2 file."""
    return zlib.decompress(raw[len(MAGIC) + 72 :])


def save_v2(payload: dict[str, Any]) -> bytes:
    """A format-2 file exactly as forecast writes it (so digest and format are genuine)."""
    stream = io.BytesIO()
    joblib.dump({"format": "forecast-model", "format_version": 2,
                 "payload": persistence._encode(payload)}, stream, compress=3)
    body = stream.getvalue()
    return MAGIC + b"sha256:" + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def after_header(data: bytes, extra: bytes) -> bytes:
    """``extra`` inserted right after the PROTO opcode (before any FRAME)."""
    assert data[:1] == b"\x80"
    return data[:2] + extra + data[2:]


class RunsCode:
    """Unpickling this calls ``func(*args)``: what a malicious model file does."""

    def __init__(self, func: Any, *args: Any) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return self.func, self.args


@dataclass(frozen=True)
class Genuine:
    v2: bytes  # a real bundle saved by this forecast
    v1: bytes  # the golden bundle (forecast 0.1, format 1)
    payload: dict[str, Any]  # the v2 bundle's payload


Builder = Callable[[Path, Genuine], bytes]
CORPUS: dict[str, Builder] = {}


def hostile(name: str) -> Callable[[Builder], Builder]:
    def register(builder: Builder) -> Builder:
        CORPUS[name] = builder
        return builder

    return register


# ---------------------------------------------------------------- code execution, format 1 path


@hostile("numpy-dtypes-dotted-builtins-eval")
def _(marker: Path, g: Genuine) -> bytes:
    """The issue's 119-byte file: module numpy.dtypes, name __builtins__.get."""
    return PROTO4 + eval_via("numpy.dtypes", "__builtins__.get", marker) + STOP


@hostile("stealth-v1-genuine-bundle-with-eval")
def _(marker: Path, g: Genuine) -> bytes:
    """The same opcodes + POP after the header of the genuine golden bundle, recompressed."""
    inner = zlib.decompress(g.v1)
    return zlib.compress(after_header(inner, eval_via("numpy.dtypes", "__builtins__.get", marker) + POP), 3)


for _module in ("numpy", "numpy.core.multiarray", "numpy._core.multiarray", "joblib.numpy_pickle"):

    @hostile(f"dotted-name-under-{_module}")
    def _(marker: Path, g: Genuine, module: str = _module) -> bytes:
        """A dotted name under a module the format-1 allow-list names."""
        return PROTO4 + eval_via(module, "__builtins__.get", marker) + STOP


@hostile("dotted-name-through-an-allowed-class")
def _(marker: Path, g: Genuine) -> bytes:
    """NumpyArrayWrapper is allowed; NumpyArrayWrapper.__init__.__globals__ reaches joblib's module."""
    getter = stack_global("joblib.numpy_pickle", "NumpyArrayWrapper.__init__.__globals__.get")
    builtins = call(getter, "__builtins__")  # the builtins dict
    return PROTO4 + builtins + POP + eval_via("numpy", "__builtins__.get", marker) + STOP


@hostile("reduce-builtins-eval-protocol-0")
def _(marker: Path, g: Genuine) -> bytes:
    return b"cbuiltins\neval\n(V" + touch_code(marker).encode() + b"\ntR."


@hostile("stack-global-os-system")
def _(marker: Path, g: Genuine) -> bytes:
    return PROTO4 + call(stack_global("os", "system"), f"touch {marker}") + STOP


@hostile("builtins-getattr-chain")
def _(marker: Path, g: Genuine) -> bytes:
    return PROTO4 + call(call(stack_global("builtins", "getattr"), "x"), "y") + STOP


@hostile("inst-opcode")
def _(marker: Path, g: Genuine) -> bytes:
    return b"(V" + f"touch {marker}".encode() + b"\nios\nsystem\n."


@hostile("obj-opcode")
def _(marker: Path, g: Genuine) -> bytes:
    return PROTO4 + b"(" + stack_global("os", "system") + text(f"touch {marker}") + b"o" + STOP


@hostile("newobj-of-a-class")
def _(marker: Path, g: Genuine) -> bytes:
    return PROTO4 + stack_global("subprocess", "Popen") + text(f"touch {marker}") + TUPLE1 + b"\x81" + STOP


@hostile("joblib-top-level-object")
def _(marker: Path, g: Genuine) -> bytes:
    stream = io.BytesIO()
    joblib.dump(RunsCode(Path.touch, marker), stream)
    return stream.getvalue()


@hostile("joblib-compressed-os-system")
def _(marker: Path, g: Genuine) -> bytes:
    stream = io.BytesIO()
    joblib.dump(RunsCode(os.system, f"touch {marker}"), stream, compress=3)
    return stream.getvalue()


@hostile("code-inside-a-valid-looking-v1-document")
def _(marker: Path, g: Genuine) -> bytes:
    stream = io.BytesIO()
    document = {"format": "forecast-model", "format_version": 1, "sha256": "0" * 64,
                "payload": {"weights": {"w": np.zeros(2)}, "run": RunsCode(eval, touch_code(marker))}}
    joblib.dump(document, stream, compress=3)
    return stream.getvalue()


@hostile("nested-pickle-in-joblib-object-array")
def _(marker: Path, g: Genuine) -> bytes:
    array = np.empty(2, dtype=object)
    array[:] = [1.0, RunsCode(Path.touch, marker)]
    stream = io.BytesIO()
    joblib.dump({"format": "forecast-model", "format_version": 1, "payload": {"weights": {"w": array}}}, stream)
    return stream.getvalue()


@hostile("object-ndarray-via-numpy-reduce-and-build")
def _(marker: Path, g: Genuine) -> bytes:
    """An ndarray BUILD whose state is an object dtype (numpy's own pickling, no joblib)."""
    array = np.empty(1, dtype=object)
    array[0] = "plain"
    return pickle.dumps({"format": "forecast-model", "format_version": 1, "payload": {"w": array}}, protocol=4)


@hostile("build-on-a-non-array")
def _(marker: Path, g: Genuine) -> bytes:
    """BUILD sets the state of whatever object is below it: here a NumpyArrayWrapper-free object."""
    return PROTO4 + stack_global("numpy", "ndarray") + b"}" + b"b" + STOP


for _code, _opcode in ((241, b"\x82" + bytes([241])), (0x1F1, b"\x83" + struct.pack("<H", 0x1F1)),
                       (0x10F1, b"\x84" + struct.pack("<i", 0x10F1))):

    @hostile(f"copyreg-extension-{_opcode[:1].hex()}")
    def _(marker: Path, g: Genuine, op: bytes = _opcode) -> bytes:
        """EXT1/2/4: a code registered in copyreg (the test registers os.system under it)."""
        return PROTO4 + op + text(f"touch {marker}") + TUPLE1 + REDUCE + STOP


EXTENSION_CODES = (241, 0x1F1, 0x10F1)


@hostile("persistent-id")
def _(marker: Path, g: Genuine) -> bytes:
    return PROTO4 + text("x") + b"Q" + STOP


@hostile("zlib-bomb-v1")
def _(marker: Path, g: Genuine) -> bytes:
    """200 MiB of zeros in ~200 KB: refused at the inflate cap, never held whole."""
    return zlib.compress(PROTO4 + b"\x8e" + struct.pack("<Q", 200 * 2**20) + bytes(200 * 2**20), 9)


@hostile("torch-save-file")
def _(marker: Path, g: Genuine) -> bytes:
    import torch

    stream = io.BytesIO()
    torch.save({"w": torch.zeros(2)}, stream)
    return stream.getvalue()


@hostile("empty-file")
def _(marker: Path, g: Genuine) -> bytes:
    return b""


@hostile("json-document")
def _(marker: Path, g: Genuine) -> bytes:
    return b'{"format": "forecast-model", "format_version": 2}'


# ---------------------------------------------------------------- format 2 path (valid digests)


@hostile("stealth-v2-genuine-bundle-with-eval")
def _(marker: Path, g: Genuine) -> bytes:
    """The eval opcodes + POP in a genuine format-2 bundle, digest recomputed."""
    return v2_file(after_header(v2_pickle(g.v2), eval_via("numpy.dtypes", "__builtins__.get", marker) + POP))


@hostile("v2-global-name-even-an-allowed-v1-one")
def _(marker: Path, g: Genuine) -> bytes:
    return v2_file(PROTO4 + stack_global("numpy", "ndarray") + POP + v2_pickle(g.v2)[2:])


@hostile("v2-copyreg-extension")
def _(marker: Path, g: Genuine) -> bytes:
    return v2_file(PROTO4 + b"\x82" + bytes([241]) + text(f"touch {marker}") + TUPLE1 + REDUCE + STOP)


@hostile("v2-out-of-band-buffer")
def _(marker: Path, g: Genuine) -> bytes:
    return v2_file(b"\x80\x05\x97" + STOP)


@hostile("v2-object-dtype-array-record")
def _(marker: Path, g: Genuine) -> bytes:
    payload = dict(g.payload)
    document = {"format": "forecast-model", "format_version": 2, "payload": persistence._encode(payload)}
    document["payload"]["weights"] = {"w": {"__ndarray__": ["|O", [1], b"\x00" * 8]}}
    return v2_file(pickle.dumps(document, protocol=4))


@hostile("v2-array-bytes-longer-than-shape")
def _(marker: Path, g: Genuine) -> bytes:
    document = {"format": "forecast-model", "format_version": 2, "payload": persistence._encode(g.payload)}
    document["payload"]["weights"] = {"w": {"__ndarray__": ["<f8", [2**39, 2**39], b"\x00" * 8]}}
    return v2_file(pickle.dumps(document, protocol=4))


@hostile("v2-zlib-bomb")
def _(marker: Path, g: Genuine) -> bytes:
    return v2_file(PROTO4 + b"\x8e" + struct.pack("<Q", 200 * 2**20) + bytes(200 * 2**20))


@hostile("v2-nesting-bomb")
def _(marker: Path, g: Genuine) -> bytes:
    depth = 100_000
    return v2_file(PROTO4 + b"]" * depth + b"a" * (depth - 1) + STOP)


@hostile("v2-nan-weights-valid-digest")
def _(marker: Path, g: Genuine) -> bytes:
    payload = dict(g.payload)
    payload["weights"] = {k: np.full_like(v, np.nan) for k, v in g.payload["weights"].items()}
    return save_v2(payload)


GOOD_DISTRIBUTION = {"kind": "studentt", "alpha": 0.1, "beta": 0.85, "dof": 6.0, "var": 1e-4, "mean": 0.0}


def with_distribution(g: Genuine, distribution: Any) -> bytes:
    """A genuine bundle whose choice carries a price distribution (forecast.pricedist)."""
    return save_v2({**g.payload, "choice": {**(g.payload.get("choice") or {}), "distribution": distribution}})


@hostile("v2-price-distribution-unknown-kind")
def _(marker: Path, g: Genuine) -> bytes:
    return with_distribution(g, {**GOOD_DISTRIBUTION, "kind": "__import__('os').system"})


@hostile("v2-price-distribution-explosive-garch")
def _(marker: Path, g: Genuine) -> bytes:
    return with_distribution(g, {**GOOD_DISTRIBUTION, "alpha": 0.9, "beta": 0.9})  # a + b > 1


@hostile("v2-price-distribution-inf-mean")
def _(marker: Path, g: Genuine) -> bytes:
    return with_distribution(g, {**GOOD_DISTRIBUTION, "mean": float("inf")})


@hostile("v2-price-distribution-not-a-table")
def _(marker: Path, g: Genuine) -> bytes:
    return with_distribution(g, ["studentt", 0.1, 0.85])


@hostile("v2-inf-scaler-valid-digest")
def _(marker: Path, g: Genuine) -> bytes:
    payload = {**g.payload, "pipeline": _with_inf(g.payload["pipeline"])}
    return save_v2(payload)


@hostile("v2-absurd-network-size")
def _(marker: Path, g: Genuine) -> bytes:
    """A config asking for a 40-billion-parameter network: refused before any allocation."""
    run = {**g.payload["run"], "model": {**g.payload["run"]["model"], "hidden": 100_000}}
    return save_v2({**g.payload, "run": run})


@hostile("v2-damaged-header")
def _(marker: Path, g: Genuine) -> bytes:
    return MAGIC + b"sha256:" + b"0" * 10


@hostile("v2-valid-digest-over-a-raw-pickle")
def _(marker: Path, g: Genuine) -> bytes:
    body = PROTO4 + eval_via("numpy.dtypes", "__builtins__.get", marker) + STOP
    return MAGIC + b"sha256:" + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def _with_inf(state: Any) -> Any:
    """The pipeline state with its first float array set to +inf."""
    done = [False]

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, np.ndarray) and value.dtype.kind == "f" and not done[0]:
            done[0] = True
            return np.full_like(value, np.inf)
        return value

    out = walk(state)
    assert done[0], "the pipeline state has no float array to break"
    return out


# ---------------------------------------------------------------- a member AutoARIMA's saved model


GOOD_ARIMA = {"order": [0, 1, 1], "seasonal_order": [0, 1, 0], "season": 12, "coef": {"ma1": -0.32}}
MEDIAN_WITH_ARIMA = {"member": "median", "kind": "median", "metric": "mae", "season": 12,
                     "members": ["autoets", "autotheta", "mstl", "autoarima"], "anchor": "median"}


GOOD_ETS = {"form": "MAM", "damped": False}


def with_fitted(g: Genuine, fitted: Any) -> bytes:
    """A genuine bundle whose choice is the peers' median with saved members (statpeers.fitted)."""
    return save_v2({**g.payload, "choice": {**(g.payload.get("choice") or {}), **MEDIAN_WITH_ARIMA,
                                            "fitted": fitted}})


def with_arima(g: Genuine, arima: Any) -> bytes:
    """... with a saved AutoARIMA beside a sound AutoETS."""
    return with_fitted(g, {"autoets": GOOD_ETS, "autoarima": arima})


@hostile("v2-arima-not-a-table")
def _(marker: Path, g: Genuine) -> bytes:
    return with_arima(g, [[0, 1, 1], [0, 1, 0], 12, [-0.32]])


@hostile("v2-arima-extra-key")
def _(marker: Path, g: Genuine) -> bytes:
    return with_arima(g, {**GOOD_ARIMA, "method": "__import__('os').system"})


@hostile("v2-arima-huge-order")
def _(marker: Path, g: Genuine) -> bytes:
    """An order no search makes: a prediction would build a state space of 10**7 lags."""
    coef = {f"ar{i}": 0.0 for i in range(1, 10**5 + 1)}
    return with_arima(g, {**GOOD_ARIMA, "order": [10**5, 1, 0], "coef": coef})


@hostile("v2-arima-huge-season")
def _(marker: Path, g: Genuine) -> bytes:
    return with_arima(g, {**GOOD_ARIMA, "seasonal_order": [0, 1, 1], "season": 10**8,
                          "coef": {"ma1": -0.32, "sma1": -0.5}})


@hostile("v2-arima-float-order")
def _(marker: Path, g: Genuine) -> bytes:
    return with_arima(g, {**GOOD_ARIMA, "order": [0.5, 1, 1]})


@hostile("v2-arima-coef-not-its-orders")
def _(marker: Path, g: Genuine) -> bytes:
    return with_arima(g, {**GOOD_ARIMA, "coef": {"ma1": -0.32, "ar3": 0.5}})


@hostile("v2-arima-coef-unknown-name")
def _(marker: Path, g: Genuine) -> bytes:
    return with_arima(g, {**GOOD_ARIMA, "coef": {"ma1": -0.32, "__reduce__": 1.0}})


@hostile("v2-arima-coef-nan")
def _(marker: Path, g: Genuine) -> bytes:
    return with_arima(g, {**GOOD_ARIMA, "coef": {"ma1": float("nan")}})


@hostile("v2-arima-coef-text")
def _(marker: Path, g: Genuine) -> bytes:
    return with_arima(g, {**GOOD_ARIMA, "coef": {"ma1": "__import__('os').system('touch pwned')"}})


@hostile("v2-fitted-not-a-table")
def _(marker: Path, g: Genuine) -> bytes:
    return with_fitted(g, [["autoets", GOOD_ETS], ["autoarima", GOOD_ARIMA]])


@hostile("v2-fitted-unknown-member")
def _(marker: Path, g: Genuine) -> bytes:
    return with_fitted(g, {"autoets": GOOD_ETS, "os.system": {"form": "MAM", "damped": False}})


@hostile("v2-ets-form-text")
def _(marker: Path, g: Genuine) -> bytes:
    return with_fitted(g, {"autoets": {"form": "__import__('os').system('x')", "damped": False}})


@hostile("v2-ets-search-not-a-form")
def _(marker: Path, g: Genuine) -> bytes:
    return with_fitted(g, {"autoets": {"form": "ZZZ", "damped": False}})


@hostile("v2-ets-damped-not-a-bool")
def _(marker: Path, g: Genuine) -> bytes:
    return with_fitted(g, {"autoets": {"form": "MAM", "damped": "True"}})


@hostile("v2-ets-extra-parameters")
def _(marker: Path, g: Genuine) -> bytes:
    return with_fitted(g, {"autoets": {**GOOD_ETS, "alpha": 10.0}})


@hostile("v2-price-distribution-zero-scale")
def _(marker: Path, g: Genuine) -> bytes:
    """A drift-centred Student-t whose spread factor is 0: bands of zero width."""
    return with_distribution(g, {**GOOD_DISTRIBUTION, "centre": "drift", "scale": 0.0})


@hostile("v2-price-distribution-nan-scale")
def _(marker: Path, g: Genuine) -> bytes:
    return with_distribution(g, {**GOOD_DISTRIBUTION, "centre": "drift", "scale": float("nan")})


@hostile("v2-price-distribution-unknown-centre")
def _(marker: Path, g: Genuine) -> bytes:
    return with_distribution(g, {**GOOD_DISTRIBUTION, "centre": "__import__('os').system", "scale": 1.0})


# ---------------------------------------------------------------- seed ensembles (forecast.models.ensemble)


def one_net_weights(payload: dict[str, Any]) -> dict[str, np.ndarray]:
    """The weights of one net of a genuine bundle: member 0's when it is a seed ensemble."""
    weights = payload["weights"]
    if not any(k.startswith("members.") for k in weights):
        return dict(weights)
    return {k.removeprefix("members.0."): v for k, v in weights.items() if k.startswith("members.0.")}


def ensemble_payload(g: Genuine, seeds: Any, members: int | None = None) -> dict[str, Any]:
    """A genuine bundle turned into a seed ensemble: ``members`` copies (default: ``seeds``) of
    its net's weights under members.{k}., and ``seeds`` in its model config."""
    one = one_net_weights(g.payload)
    count = seeds if members is None else members
    weights = {f"members.{k}.{key}": value.copy() for k in range(count) for key, value in one.items()}
    run = {**g.payload["run"], "model": {**g.payload["run"]["model"], "seeds": seeds}}
    return {**g.payload, "run": run, "weights": weights}


def ensemble_file(g: Genuine, seeds: Any = 2, members: int | None = None,
                  tamper: Callable[[dict[str, np.ndarray]], None] | None = None) -> bytes:
    """A format-2 ensemble bundle, its weights tampered with by ``tamper`` (in place)."""
    payload = ensemble_payload(g, seeds, members)
    if tamper is not None:
        tamper(payload["weights"])
    return save_v2(payload)


@hostile("v2-ensemble-zero-seeds")
def _(marker: Path, g: Genuine) -> bytes:
    return ensemble_file(g, seeds=0, members=1)


@hostile("v2-ensemble-huge-seeds")
def _(marker: Path, g: Genuine) -> bytes:
    """A billion members asked for (weights for two): refused before anything is built."""
    return ensemble_file(g, seeds=10**9, members=2)


@hostile("v2-ensemble-seeds-not-an-integer")
def _(marker: Path, g: Genuine) -> bytes:
    return ensemble_file(g, seeds=2.5, members=2)


@hostile("v2-ensemble-seeds-as-text")
def _(marker: Path, g: Genuine) -> bytes:
    return ensemble_file(g, seeds="2", members=2)


@hostile("v2-ensemble-missing-member-weights")
def _(marker: Path, g: Genuine) -> bytes:
    """Three members in the config, weights for two."""
    return ensemble_file(g, seeds=3, members=2)


@hostile("v2-ensemble-one-weight-of-a-member-missing")
def _(marker: Path, g: Genuine) -> bytes:
    def drop(weights: dict[str, np.ndarray]) -> None:
        del weights[sorted(k for k in weights if k.startswith("members.1."))[0]]

    return ensemble_file(g, tamper=drop)


@hostile("v2-ensemble-extra-member")
def _(marker: Path, g: Genuine) -> bytes:
    """Two members in the config, weights for three."""
    return ensemble_file(g, seeds=2, members=3)


@hostile("v2-ensemble-extra-key")
def _(marker: Path, g: Genuine) -> bytes:
    def extra(weights: dict[str, np.ndarray]) -> None:
        weights["members.0.backdoor"] = np.zeros(3, dtype=np.float32)

    return ensemble_file(g, tamper=extra)


@hostile("v2-ensemble-mismatched-shape")
def _(marker: Path, g: Genuine) -> bytes:
    def reshape(weights: dict[str, np.ndarray]) -> None:
        key = sorted(k for k in weights if k.startswith("members.1.") and weights[k].ndim == 2)[0]
        weights[key] = np.zeros((weights[key].shape[0] + 1, weights[key].shape[1]), dtype=np.float32)

    return ensemble_file(g, tamper=reshape)


@hostile("v2-ensemble-one-member-nan")
def _(marker: Path, g: Genuine) -> bytes:
    def poison(weights: dict[str, np.ndarray]) -> None:
        for key in [k for k in weights if k.startswith("members.1.")]:
            weights[key] = np.full_like(weights[key], np.nan)

    return ensemble_file(g, tamper=poison)


@hostile("v2-ensemble-one-net-weights-under-two-seeds")
def _(marker: Path, g: Genuine) -> bytes:
    """seeds 2 in the config, the plain net's (unprefixed) weights."""
    run = {**g.payload["run"], "model": {**g.payload["run"]["model"], "seeds": 2}}
    return save_v2({**g.payload, "run": run, "weights": one_net_weights(g.payload)})


@hostile("v2-ensemble-member-weights-under-one-seed")
def _(marker: Path, g: Genuine) -> bytes:
    """seeds 1 in the config, weights keyed as an ensemble's member 0."""
    payload = ensemble_payload(g, 1)
    return save_v2(payload)


# ---------------------------------------------------------------- the saved choice (selection.check_choice)


def with_choice(g: Genuine, **fields: Any) -> bytes:
    """A genuine bundle whose saved choice has ``fields`` changed (the rest as it was saved)."""
    return save_v2({**g.payload, "choice": {**(g.payload.get("choice") or {}), **fields}})


# each a genuine bundle with these fields of its saved choice changed
CHOICE_ATTACKS: dict[str, dict[str, Any]] = {
    "unknown-baseline": {"member": "__import__('os').system('touch pwned')", "kind": "baseline"},
    "unknown-kind": {"member": "naive", "kind": "eval"},
    "peer-as-baseline": {"member": "autoets", "kind": "baseline"},
    "baseline-as-peer": {"member": "naive", "kind": "peer"},
    "another-net": {"member": "gru", "kind": "net"},  # kind net, but not the bundle's own network
    "class-baseline-for-numbers": {"member": "majority", "kind": "baseline", "metric": "mae"},
    "unknown-metric": {"member": "naive", "kind": "baseline", "metric": "rmse; import os"},
    "unknown-statistical-member": {"member": "median", "kind": "median", "members": ["autoets", "os.system"],
                                   "anchor": "median"},
    "repeated-statistical-member": {"member": "median", "kind": "median", "members": ["autoets", "autoets"],
                                    "anchor": "median"},
    "unknown-anchor": {"member": "median", "kind": "median", "members": ["autoets", "autotheta"], "anchor": "eval"},
    "season-zero": {"member": "seasonal_naive", "kind": "baseline", "season": 0},
    "season-huge": {"member": "seasonal_naive", "kind": "baseline", "season": 10**12},
}
for _name, _fields in CHOICE_ATTACKS.items():
    hostile(f"v2-choice-{_name}")(lambda marker, g, fields=_fields: with_choice(g, **fields))


@hostile("v2-choice-not-a-table")
def _(marker: Path, g: Genuine) -> bytes:
    return save_v2({**g.payload, "choice": [["member", "naive"], ["kind", "baseline"]]})
