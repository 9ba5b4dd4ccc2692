"""The one loader for pickles users bring (keypoints, gloss vectors, the extractor's own output)
and the one message for torch files that hold more than tensors.

`read_data_pickle` builds only dicts, lists, tuples, sets, strings, bytes, numbers, booleans,
None and numeric numpy arrays (bool, int, uint, float, complex). A pickle may name a global
(a function or class to call); only the few below are looked up, each replaced by a checked
stand-in, so numpy's own `__setstate__` never sees a pickle's state: an array is rebuilt here
with `np.frombuffer` from its declared dtype, shape and bytes (object, structured and subarray
dtypes are refused). Anything else is a `PickleRefused` naming the file and the refused global.
Arrays come back read-only (views of the pickle's bytes: no second copy of a large file).
The file is memory-mapped, so a length field that lies cannot make a read allocate more than
the file holds. A gzip-compressed pickle (the reference's annotation files may be either) is
unpacked into memory first, at most SLRBENCH_PICKLE_MAX_GZIP_MB, and read the same way.
"""
from __future__ import annotations

import gzip
import io
import mmap
import os
import zlib
import pickle
import re
import stat
import struct
from pathlib import Path
from typing import Any

import numpy as np

NUMERIC_KINDS = "biufc"  # bool, signed / unsigned int, float, complex
GZIP_MAGIC = b"\x1f\x8b"
GZIP_LIMIT_VARIABLE = "SLRBENCH_PICKLE_MAX_GZIP_MB"
DEFAULT_GZIP_LIMIT_MB = 4096


class PickleRefused(Exception):
    """A data pickle that is unreadable or asks for more than plain data; the message names the file."""


class _Refused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)


class _Sealed(type):
    """The stand-ins' metaclass: a pickle's BUILD cannot change a stand-in class's attributes."""

    def __setattr__(cls, name: str, value: Any) -> None:
        raise _Refused(f"changing {cls.__name__}.{name}")

    def __delattr__(cls, name: str) -> None:
        raise _Refused(f"changing {cls.__name__}.{name}")


class _NdarrayClass(metaclass=_Sealed):
    """Stands for `numpy.ndarray`, which a pickle may only pass to `_reconstruct`."""


class _DtypeSpec(metaclass=_Sealed):
    """`numpy.dtype(spec, align, copy)` followed by BUILD: checked, then made by numpy from the spec."""
    dtype = None

    def __init__(self, spec: Any = None, align: Any = False, copy: Any = True):
        if not isinstance(spec, str):
            raise _Refused(f"a dtype spec {type(spec).__name__}")
        try:
            dtype = np.dtype(spec)
        except TypeError as error:
            raise _Refused(f"dtype {spec!r} ({error})") from None
        if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
            raise _Refused(f"dtype {spec!r} (not numeric)")
        self.dtype = dtype

    def __setstate__(self, state: Any) -> None:
        # (version, byte order, subarray, names, fields, ...): only the byte order may be set
        if not isinstance(state, tuple) or len(state) < 5 or any(part is not None for part in state[2:5]):
            raise _Refused("a structured or subarray dtype")
        order = state[1]
        if order not in ("<", ">", "=", "|"):
            raise _Refused(f"dtype byte order {order!r}")
        if self.dtype is not None and order in ("<", ">") and self.dtype.itemsize > 1:
            self.dtype = self.dtype.newbyteorder(order)


def _dtype_of(value: Any) -> np.dtype:
    if not isinstance(value, _DtypeSpec) or value.dtype is None:
        raise _Refused(f"an array whose dtype is a {type(value).__name__}")
    return value.dtype


def _array(raw: Any, dtype: Any, shape: Any, order: Any = "C") -> np.ndarray:
    """An array from its bytes, checked against its dtype and shape."""
    if isinstance(raw, str):  # protocol 0-2 pickles, read with encoding="latin1"
        raw = raw.encode("latin1")
    if isinstance(raw, pickle.PickleBuffer):
        raw = raw.raw()
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise _Refused(f"array data of type {type(raw).__name__}")
    if not isinstance(shape, tuple) or not all(type(n) is int and n >= 0 for n in shape):
        raise _Refused(f"array shape {shape!r}")
    values = np.frombuffer(raw, dtype=_dtype_of(dtype))  # raises ValueError if the bytes do not fit
    return values.reshape(shape, order="F" if order in ("F", True) else "C")


class _ArrayBuilder(metaclass=_Sealed):
    """`numpy.core.multiarray._reconstruct(ndarray, (0,), b"b")` then BUILD with the array's state."""
    array = None

    def __init__(self, cls: Any = None, shape: Any = None, typecode: Any = None):
        if cls is not _NdarrayClass:
            raise _Refused(f"reconstructing a {getattr(cls, '__name__', type(cls).__name__)}")

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 5:
            state = state[1:]  # (version, shape, dtype, is_fortran, data)
        if not isinstance(state, tuple) or len(state) != 4:
            raise _Refused("an array state of another form")
        shape, dtype, fortran, raw = state
        self.array = _array(raw, dtype, shape, "F" if fortran else "C")


class _FromBuffer(metaclass=_Sealed):
    """`numpy.core.numeric._frombuffer(data, dtype, shape, order)` (protocol 5)."""

    def __new__(cls, raw: Any = None, dtype: Any = None, shape: Any = None, order: Any = "C") -> Any:
        return _array(raw, dtype, shape, order)


class _Scalar(metaclass=_Sealed):
    """`numpy.core.multiarray.scalar(dtype, bytes)`: one number."""

    def __new__(cls, dtype: Any = None, raw: Any = None) -> Any:
        return _array(raw, dtype, ())[()]


class _Latin1Bytes(metaclass=_Sealed):
    """Protocol 2 writes bytes as `_codecs.encode(str, "latin1")`; nothing else is encoded."""

    def __new__(cls, text: Any = None, encoding: Any = "utf-8") -> Any:
        if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
            raise _Refused(f"_codecs.encode with {type(text).__name__}, {encoding!r}")
        return text.encode("latin1")


class _Bytes(metaclass=_Sealed):
    """`bytes(...)`, but never `bytes(10**12)` (a zero-filled allocation)."""
    kind: type = bytes

    def __new__(cls, *args: Any) -> Any:
        if args and isinstance(args[0], int):
            raise _Refused(f"{cls.kind.__name__}(<count>)")
        return cls.kind(*args)


class _Bytearray(_Bytes):
    kind = bytearray


_ALLOWED: dict[tuple[str, str], Any] = {
    ("builtins", "dict"): dict, ("builtins", "list"): list, ("builtins", "tuple"): tuple,
    ("builtins", "set"): set, ("builtins", "frozenset"): frozenset, ("builtins", "complex"): complex,
    ("builtins", "bytes"): _Bytes, ("builtins", "bytearray"): _Bytearray,
    ("collections", "OrderedDict"): dict, ("_codecs", "encode"): _Latin1Bytes,
    ("numpy", "ndarray"): _NdarrayClass, ("numpy", "dtype"): _DtypeSpec,
}
for _module in ("numpy.core", "numpy._core"):
    _ALLOWED[(f"{_module}.multiarray", "_reconstruct")] = _ArrayBuilder
    _ALLOWED[(f"{_module}.multiarray", "scalar")] = _Scalar
    _ALLOWED[(f"{_module}.numeric", "_frombuffer")] = _FromBuffer
_PY2_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}


class _PlainDataUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        key = (_PY2_MODULES.get(module, module), name)
        if key not in _ALLOWED:
            raise _Refused(f"{module}.{name}")
        return _ALLOWED[key]

    def persistent_load(self, pid: Any) -> Any:
        raise _Refused("a persistent id")


_LEAVES = (str, bytes, bytearray, int, float, complex, bool, type(None), np.ndarray, np.generic)


def _plain(value: Any, done: dict[int, Any], active: set[int]) -> Any:
    """The loaded structure with stand-ins replaced by what they built; anything else refused."""
    if isinstance(value, _LEAVES):
        return value
    if isinstance(value, _ArrayBuilder):
        if value.array is None:
            raise _Refused("an array without data")
        return value.array
    if isinstance(value, _DtypeSpec):
        return value.dtype
    if id(value) in done:
        return done[id(value)]
    if id(value) in active:
        raise _Refused("a container that holds itself")
    active.add(id(value))
    if isinstance(value, dict):
        result: Any = {_key(k, done, active): _plain(v, done, active) for k, v in value.items()}
    elif isinstance(value, list):
        result = [_plain(item, done, active) for item in value]
    elif isinstance(value, tuple):
        result = tuple(_plain(item, done, active) for item in value)
    elif isinstance(value, (set, frozenset)):
        result = type(value)(_key(item, done, active) for item in value)
    else:
        raise _Refused(f"a {getattr(value, '__name__', type(value).__name__)} object")
    active.discard(id(value))
    done[id(value)] = result
    return result


def _key(value: Any, done: dict[int, Any], active: set[int]) -> Any:
    if isinstance(value, (_ArrayBuilder, _DtypeSpec)):
        raise _Refused("an array as a dict key or set member")
    return _plain(value, done, active)


# What loading arbitrary bytes can raise besides the refusals above (the unpickler's own errors,
# wrong arguments to an allowed constructor, a length that cannot be allocated, deep nesting).
_BROKEN = (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
           OverflowError, MemoryError, RecursionError, UnicodeError)


def read_data_pickle(path: Path) -> Any:
    """A pickle of plain data and numeric arrays; `PickleRefused` (naming the file) otherwise."""
    path = Path(path)
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block
    except OSError as error:
        raise PickleRefused(f"{path}: cannot open ({error.strerror or error})") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise PickleRefused(f"{path}: not a regular file")
        if info.st_size == 0:
            raise PickleRefused(f"{path}: empty file, not a pickle")
        try:
            mapped = mmap.mmap(descriptor, 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as error:
            raise PickleRefused(f"{path}: cannot read ({error})") from None
        with mapped:
            try:
                source = _gunzipped(mapped, path) if mapped[:2] == GZIP_MAGIC else mapped
                loaded = _PlainDataUnpickler(source, encoding="latin1").load()
                return _plain(loaded, {}, set())
            except _Refused as refused:
                raise PickleRefused(f"{path}: refusing to load {refused} (slrbench reads only dicts, lists, strings, "
                                    "numbers and numeric arrays from a pickle, never code)") from None
            except _BROKEN as error:
                reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
                raise PickleRefused(f"{path}: not a readable pickle ({reason})") from None
    finally:
        os.close(descriptor)


def _gunzipped(packed: Any, path: Path) -> io.BytesIO:
    """A gzip file's contents in memory, refused past the limit (a small file can unpack to gigabytes)."""
    text = os.environ.get(GZIP_LIMIT_VARIABLE, "").strip()
    limit = (int(text) if text.isdigit() and int(text) > 0 else DEFAULT_GZIP_LIMIT_MB) << 20
    try:
        with gzip.GzipFile(fileobj=packed) as stream:
            data = stream.read(limit + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise PickleRefused(f"{path}: not a readable gzip file ({error})") from None
    if len(data) > limit:
        raise PickleRefused(f"{path}: unpacks to more than {limit >> 20:,} MB (limit {GZIP_LIMIT_VARIABLE})")
    return io.BytesIO(data)


def load_plain_torch_file(path: Path) -> Any:
    """`torch.load(weights_only=True)`, each failure one `UsageError` naming the file; torch's
    advice to retry with `weights_only=False` (which would run the file's code) is never passed on."""
    import warnings

    import torch

    from slrbench.errors import UsageError

    try:
        with warnings.catch_warnings():  # torch warns about the pickle protocol of a file it then refuses
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        refused = re.search(r"GLOBAL ([\w.]+)", str(error))
        if refused:  # torch's weights-only reader met a global outside its allow-list: code, or a foreign class
            raise UsageError(f"{path}: not a plain tensor checkpoint (it names {refused.group(1)}); slrbench does "
                             "not load code from checkpoints") from None
        stop = re.search(r"WeightsUnpickler error:\s*(\S[^\n]*)", str(error))
        reason = f"the weights-only reader stops at: {stop.group(1).strip()[:120]}" if stop else _reason(error)
        raise UsageError(f"{path}: not a readable torch weights file ({reason})") from None
    except (*_BROKEN, RuntimeError, OSError, struct.error) as error:  # torch's own reader on arbitrary bytes
        raise UsageError(f"{path}: not a readable torch weights file ({_reason(error)})") from None


def _reason(error: Exception) -> str:
    """The first sentence of an error, unless it is torch's advice about weights_only."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    lines = str(error).strip().split(". ")[0].splitlines()
    return lines[0][:200] if lines and "weights_only" not in lines[0] else type(error).__name__
