"""Whole-column checks that let the reader skip its per-cell text work on clean long columns.

The general reader (forecast.data.frame, forecast.data.csv) runs several regular expressions
and string methods over every cell: about 30 s and 1.7 GB for a 2,000,000-row date,value CSV.
Most long files are machine-written: every cell plain ASCII, dates in one layout, numbers
plain. These checks prove that on the column's bytes at once (numpy on an (N, W) byte
matrix, no Python per cell), so the reader can take the result the general path would give
without its rewriting steps. A column that fails a check goes the general way, which also
writes the error messages; nothing here ever rejects a column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_DIGIT_LO, _DIGIT_HI = ord("0"), ord("9")
# the ASCII characters str.strip() removes (str.isspace): \t \n \v \f \r, \x1c-\x1f, space
_SPACE = np.zeros(256, dtype=bool)
_SPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True


def _arrow_matrix(cells: pd.Series) -> tuple[np.ndarray, np.ndarray] | None | bool:
    """_matrix straight from the buffers of a pyarrow-backed string column (pandas' default
    str dtype when pyarrow is installed): no Python string per cell is made. False when the
    column is not one (the caller converts it instead)."""
    chunked = getattr(cells.array, "_pa_array", None)
    if chunked is None or not len(cells):
        return False
    import pyarrow as pa

    array = chunked.combine_chunks() if hasattr(chunked, "combine_chunks") else chunked
    if array.null_count or not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return False
    offset_type = np.int32 if pa.types.is_string(array.type) else np.int64
    _, offsets_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=offset_type)[array.offset : array.offset + len(array) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    data = data[offsets[0] : offsets[-1]]  # (total bytes,) the cells' UTF-8, back to back
    starts = (offsets[:-1] - offsets[0]).astype(np.int64)  # (N,)
    lengths = np.diff(offsets).astype(np.int64)  # (N,) bytes = characters when all ASCII
    if (data >= 128).any() or (data == 0).any():  # non-ASCII or a NUL: the general path
        return None
    width = int(lengths.max())
    if width == 0:
        return None
    if (lengths == width).all():  # one length: the bytes are already the matrix
        return data.reshape(len(lengths), width), lengths
    matrix = np.zeros((len(lengths), width), dtype=np.uint8)  # (N, W)
    for j in range(width):  # one column of bytes at a time: no (N, W) index array
        has = lengths > j
        matrix[has, j] = data[starts[has] + j]
    return matrix, lengths


def _matrix(cells: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """Bytes (N, W) uint8 (zero padded) and lengths (N,) of an all-ASCII, all-str column, or
    None (non-ASCII, non-text, empty column, or a NUL byte, which the padding would hide)."""
    direct = _arrow_matrix(cells)
    if direct is not False:
        return direct  # type: ignore[return-value]
    values = cells.to_numpy()
    if not len(values):
        return None
    try:
        packed = values.astype("S")  # (N,) |SW; raises on non-ASCII text
    except (UnicodeEncodeError, TypeError, ValueError):
        return None
    width = packed.dtype.itemsize
    if width == 0:
        return None
    matrix = packed.view(np.uint8).reshape(len(values), width)  # (N, W)
    lengths = np.count_nonzero(matrix, axis=1)  # (N,) the cells' lengths when none has a NUL
    if not np.array_equal(lengths, cells.str.len().to_numpy()):  # a NUL (the packing drops
        return None  # trailing ones): let the general path see it
    return matrix, lengths


def clean(cells: pd.Series) -> bool:
    """Every cell is ASCII text, non-empty, with no surrounding whitespace and no line break:
    ``str.strip`` would change nothing and no cell spans lines."""
    found = _matrix(cells)
    if found is None:
        return False
    matrix, lengths = found
    if (lengths == 0).any():
        return False
    rows = np.arange(len(matrix))
    first, last = matrix[:, 0], matrix[rows, lengths - 1]
    breaks = ((matrix == 10) | (matrix == 13)).any()
    return not (_SPACE[first].any() or _SPACE[last].any() or breaks)


def plain_numbers(cells: pd.Series, integers: bool = False) -> bool:
    """Every cell is a plain ASCII number, ``[+-]?(\\d+\\.?\\d*|\\.\\d+)`` (no exponent, no
    grouping, no blanks), or with ``integers`` ``[+-]?\\d+``: what numbers._PLAIN and
    frame._INTEGER accept, so no spelling decision or missing value is left to make."""
    found = _matrix(cells)
    if found is None:
        return False
    matrix, lengths = found
    width = matrix.shape[1]
    inside = np.arange(width)[None, :] < lengths[:, None]  # (N, W)
    digit = (matrix >= _DIGIT_LO) & (matrix <= _DIGIT_HI)
    dot = matrix == ord(".")
    sign = (matrix == ord("+")) | (matrix == ord("-"))
    if not np.all(digit | dot | sign | ~inside):
        return False
    if sign[:, 1:].any() or not digit.any(axis=1).all():  # a sign only first; some digit
        return False
    dots = dot.sum(axis=1)
    return bool((dots == 0).all() if integers else (dots <= 1).all())


def same_layout(cells: pd.Series) -> bool:
    """Every cell has the first cell's length, ASCII digits where it has digits and its other
    characters where it has others ('2020-01-01 09:30' and '2021-12-31 23:59'): any regular
    expression that tells digits from other characters treats every cell as it treats the first."""
    found = _matrix(cells)
    if found is None:
        return False
    matrix, lengths = found
    if (lengths != lengths[0]).any() or lengths[0] == 0:
        return False
    matrix = matrix[:, : lengths[0]]
    digit = (matrix >= _DIGIT_LO) & (matrix <= _DIGIT_HI)  # (N, L)
    if not (digit == digit[0]).all():
        return False
    return bool((matrix[:, ~digit[0]] == matrix[0, ~digit[0]]).all())


__all__ = ["clean", "plain_numbers", "same_layout"]
