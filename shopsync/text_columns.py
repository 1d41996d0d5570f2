"""Arrow text columns made or read without a pass over their characters: blanks, buffers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["blank_texts", "byte_lengths", "offsets_and_bytes", "replaced"]


def blank_texts(n: int) -> pa.Array:
    """``n`` empty texts (``large_string``, pandas' own), made from their offsets alone."""
    offsets = pa.py_buffer(np.zeros(n + 1, dtype=np.int64))
    return pa.Array.from_buffers(pa.large_string(), n, [None, offsets, pa.py_buffer(b"")])


def byte_lengths(texts: pa.Array) -> np.ndarray:
    """Each text's length in bytes (from the offsets); a text is blank when it is 0."""
    return np.asarray(pc.binary_length(texts).to_numpy(zero_copy_only=False))


def offsets_and_bytes(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A ``string`` or ``large_string`` array's value offsets (its own ``len + 1``, int32 or
    int64 as stored) and the bytes they point into, both as numpy views (no copy)."""
    wide = pa.types.is_large_string(texts.type)
    _, offsets, data = texts.buffers()
    offsets = np.frombuffer(offsets, dtype=np.int64 if wide else np.int32)
    offsets = offsets[texts.offset :][: len(texts) + 1]
    if data is None:  # no value has a byte
        return offsets, np.zeros(0, dtype=np.uint8)
    return offsets, np.frombuffer(data, dtype=np.uint8)


def replaced(texts: pa.Array, rows: np.ndarray, new: list[str] | pa.Array) -> pa.Array:
    """``texts`` with ``new[i]`` at row ``rows[i]`` (``rows`` ascending, each once)."""
    if not len(rows):
        return texts
    mask = np.zeros(len(texts), dtype=bool)
    mask[rows] = True
    values = new if isinstance(new, pa.Array) else pa.array(new, texts.type)
    return pc.replace_with_mask(texts, pa.array(mask), values.cast(texts.type))
