"""Equal texts found by hashing them as integers where the texts allow it, else in Arrow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from shopsync.text_columns import offsets_and_bytes

__all__ = ["first_positions", "index_in", "integer_keys"]


def index_in(values: pa.Array, lookup: pa.Array) -> np.ndarray:
    """Per value, the position of the first equal text in ``lookup`` (-1 where none): Arrow's
    ``index_in``, hashed as integers where :func:`integer_keys` can (no Python objects)."""
    keys = integer_keys(lookup, values)
    if keys is None:
        found = pc.index_in(values, value_set=lookup)
        return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    code, distinct = pd.factorize(np.concatenate(keys))
    in_lookup, in_values = code[: len(lookup)], code[len(lookup) :]
    first = np.full(len(distinct) + 1, -1, dtype=np.int64)
    new = _first_rows(in_lookup)
    first[in_lookup[new]] = new
    return first[in_values]


def first_positions(values: pa.Array) -> np.ndarray:
    """Per value, the position where an equal text (null: as a null) first occurs."""
    keys = integer_keys(values)
    if keys is not None:
        codes, _ = pd.factorize(keys[0])
    else:
        encoded = pc.dictionary_encode(values, null_encoding="encode")
        codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    first = _first_rows(codes)
    if not np.array_equal(codes[first], np.arange(len(first))):
        _, first = np.unique(codes, return_index=True)  # codes not in order of appearance
    return first[codes]


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """The rows where a code exceeds every code before it: each code's first row when codes
    are numbered in order of first appearance (as pandas' factorize and Arrow's dictionary
    encoding number them), found without a sort."""
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    seen = np.maximum.accumulate(np.r_[-1, codes[:-1]])
    return np.flatnonzero(codes > seen)


def integer_keys(*texts: pa.Array) -> list[np.ndarray] | None:
    """The texts as integers, equal exactly where the texts are equal, when every text allows
    it (else None): decimal numbers written as Arrow writes them (Shopify's ids), else texts
    of at most 8 bytes without a NUL byte, their bytes packed (ERP numbers). Integers hash
    several times faster than text."""
    if any(text.null_count for text in texts):
        return None
    numbers = [_canonical_numbers(text) for text in texts]
    if all(keys is not None for keys in numbers):
        return numbers  # type: ignore[return-value]
    packed = [_packed_bytes(text) for text in texts]
    if all(keys is not None for keys in packed):
        return packed  # type: ignore[return-value]
    return None


def _canonical_numbers(text: pa.Array) -> np.ndarray | None:
    """Whole numbers whose text is exactly the number written back (no sign, zero or space
    in front that another text of the same number would lack), else None."""
    if len(text) and not _starts_as_numbers(text):
        return None  # the cast would fail, slowly
    try:
        numbers = pc.cast(text, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if len(text) and not pc.all(pc.equal(pc.cast(numbers, text.type), text)).as_py():
        return None
    return np.asarray(numbers.to_numpy(zero_copy_only=False), dtype=np.int64)


# The bytes a number's text can start with: a digit or the minus sign.
_NUMBER_START = np.zeros(256, dtype=bool)
_NUMBER_START[list(b"-0123456789")] = True


def _starts_as_numbers(text: pa.Array) -> bool:
    """Does every text start with a byte a number can start with (and none is blank)?"""
    offsets, data = offsets_and_bytes(text)
    if not len(data) or (np.diff(offsets) == 0).any():
        return False
    return bool(_NUMBER_START[data[offsets[:-1]]].all())


def _packed_bytes(text: pa.Array) -> np.ndarray | None:
    """Texts of at most 8 bytes, none of them NUL, as their bytes zero-padded into one
    unsigned integer each (the padding cannot be mistaken for a byte of the text), else None."""
    if not len(text):
        return np.zeros(0, dtype=np.uint64)
    offsets, data = offsets_and_bytes(text)
    lengths = np.diff(offsets)
    if lengths.max() > 8:
        return None
    used = data[offsets[0] : offsets[-1]]
    if (used == 0).any():
        return None
    if (lengths == 8).all():
        return used.view(">u8").astype(np.uint64)
    padded = np.zeros((len(lengths), 8), dtype=np.uint8)
    for at in range(8):
        rows = np.flatnonzero(lengths > at)
        padded[rows, at] = data[offsets[rows] + at]
    return padded.view(">u8").ravel().astype(np.uint64)
