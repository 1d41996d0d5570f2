"""Row-wise rules worked out once per distinct row of text columns, then spread to every row."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from shopsync.arrow_text import TEXT, to_arrow, to_series

__all__ = ["distinct_rows", "is_text", "spread"]


def is_text(values: pd.Series) -> bool:
    """True for pandas' ``str`` dtype (Arrow text, NaN for a missing value)."""
    return values.dtype == TEXT


def distinct_rows(columns: Sequence[pd.Series]) -> tuple[np.ndarray | None, pd.DataFrame]:
    """The distinct rows of ``columns`` (Series of one length, read by position) as a frame
    (one column per Series, in order, named ``0, 1...``; dtypes kept; first-seen order), and
    each row's position in it.

    Only ``str`` columns are folded, by Arrow's dictionary encoding: their distinct values are
    the values themselves. Any other column may hold values that compare equal but print
    differently (``1``, ``1.0``, ``True``), so then nothing is folded: the frame is the
    columns themselves and the positions are None (every row is its own)."""
    if not columns or not all(is_text(column) for column in columns):
        frame = pd.DataFrame({i: c.reset_index(drop=True) for i, c in enumerate(columns)})
        return None, frame
    combined = np.zeros(len(columns[0]), dtype=np.int64)
    width = 1
    encoded = []
    for column in columns:
        encoding = pc.dictionary_encode(to_arrow(column), null_encoding="encode")
        codes = np.asarray(encoding.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        size = max(len(encoding.dictionary), 1)
        if width * size >= _COMBINED_LIMIT:  # keep the combined codes in int64: renumber
            combined, uniques = pd.factorize(combined)
            width = max(len(uniques), 1)
        combined = combined * size + codes
        width *= size
        encoded.append((encoding.dictionary, codes))
    if len(columns) == 1:  # a dictionary's values are distinct, in first-seen order
        dictionary, rows = encoded[0]
        return rows, pd.DataFrame({0: to_series(dictionary, pd.RangeIndex(len(dictionary)))})
    rows, _ = pd.factorize(combined)
    rows = np.asarray(rows, dtype=np.int64)
    # distinct rows are numbered in first-seen order: a row is a first sight when its number
    # is above all before it
    seen = np.maximum.accumulate(np.r_[-1, rows[:-1]]) if len(rows) else rows
    first = np.flatnonzero(rows > seen)
    index = pd.RangeIndex(len(first))
    frame = pd.DataFrame(
        {
            i: to_series(dictionary.take(pa.array(codes[first])), index)
            for i, (dictionary, codes) in enumerate(encoded)
        },
        index=index,
    )
    return rows, frame


# combined codes stay below this (int64)
_COMBINED_LIMIT = 1 << 62


def spread(values: pd.Series, rows: np.ndarray | None, index: pd.Index) -> pd.Series:
    """Per-distinct-row ``values`` (see distinct_rows) on every row, on ``index``."""
    if rows is None:
        return pd.Series(values.array, index=index, name=values.name)
    if is_text(values):
        return to_series(to_arrow(values).take(pa.array(rows)), index, values.name)
    return pd.Series(values.to_numpy()[rows], index=index, dtype=values.dtype, name=values.name)
