"""Texts hashed to 64-bit integers in numpy (8 bytes at a time), and distinct texts by them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["distinct_codes", "text_hashes"]

_FACTOR = np.uint64(0x9E3779B97F4A7C15)  # odd, bits well spread: a multiplicative hash
_ALL_BITS = np.uint64(0xFFFFFFFFFFFFFFFF)


def text_hashes(text: pa.Array) -> np.ndarray:
    """A 64-bit hash of each text of a ``string`` or ``large_string`` array (null: as ""):
    equal texts have equal hashes (unequal texts rarely do). The bytes are read 8 at a time,
    one gather per 8 bytes of the longest text, not one pass per byte."""
    wide = pa.types.is_large_string(text.type)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[text.offset : text.offset + len(text) + 1].astype(np.int64)
    lengths = np.diff(offsets)
    hashes = lengths.astype(np.uint64) * _FACTOR
    data = text.buffers()[2]
    if data is None or not len(text) or not lengths.any():
        return hashes
    size = data.size
    # every 8 bytes of the buffer that start at some byte, as one integer (overlapping view)
    words = np.ndarray((max(size - 7, 0),), dtype="<u8", buffer=data, strides=(1,))
    for start in range(0, int(lengths.max()), 8):
        rows = np.flatnonzero(lengths > start)
        at = offsets[rows] + start
        left = lengths[rows] - start  # bytes of the text from here on
        inside = at <= size - 8
        word = np.zeros(len(rows), dtype=np.uint64)
        word[inside] = words[at[inside]]
        for i in np.flatnonzero(~inside):  # the last few bytes of the buffer
            word[i] = int.from_bytes(data[int(at[i]) : size].to_pybytes(), "little")
        short = left < 8  # the word runs into the next text: those bytes are masked off
        word[short] &= ~(_ALL_BITS << (left[short].astype(np.uint64) * np.uint64(8)))
        mixed = (hashes[rows] ^ word) * _FACTOR
        hashes[rows] = mixed ^ (mixed >> np.uint64(31))
    return hashes


def distinct_codes(text: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """What ``text.dictionary_encode()`` gives a text array without nulls: each text's
    position among the distinct texts (first-seen order) and those texts. The texts are
    coded by their hashes (integers hash several times faster than text), then checked
    against the distinct text of their code; should two texts share a hash, Arrow encodes."""
    if text.null_count or not len(text):
        return _arrow_codes(text)
    codes, _ = pd.factorize(text_hashes(text))
    # codes number the hashes in order of first appearance: a row is its code's first
    # when its code exceeds every code before it
    seen = np.maximum.accumulate(np.r_[-1, codes[:-1]])
    dictionary = text.take(pa.array(np.flatnonzero(codes > seen)))
    if not pc.all(pc.equal(dictionary.take(pa.array(codes)), text)).as_py():
        return _arrow_codes(text)
    return codes, dictionary


def _arrow_codes(text: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Arrow's own dictionary encoding, as :func:`distinct_codes` answers."""
    encoded = text.dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    return np.asarray(codes, dtype=np.int64), encoded.dictionary
