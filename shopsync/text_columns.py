"""Arrow text columns made or read without a pass over their characters: blanks, lengths."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["blank_texts", "byte_lengths", "replaced"]


def blank_texts(n: int) -> pa.Array:
    """``n`` empty texts (``large_string``, pandas' own), made from their offsets alone."""
    offsets = pa.py_buffer(np.zeros(n + 1, dtype=np.int64))
    return pa.Array.from_buffers(pa.large_string(), n, [None, offsets, pa.py_buffer(b"")])


def byte_lengths(texts: pa.Array) -> np.ndarray:
    """Each text's length in bytes (from the offsets); a text is blank when it is 0."""
    return np.asarray(pc.binary_length(texts).to_numpy(zero_copy_only=False))


def replaced(texts: pa.Array, rows: np.ndarray, new: list[str] | pa.Array) -> pa.Array:
    """``texts`` with ``new[i]`` at row ``rows[i]`` (``rows`` ascending, each once)."""
    if not len(rows):
        return texts
    mask = np.zeros(len(texts), dtype=bool)
    mask[rows] = True
    values = new if isinstance(new, pa.Array) else pa.array(new, texts.type)
    return pc.replace_with_mask(texts, pa.array(mask), values.cast(texts.type))
