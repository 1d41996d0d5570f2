"""Text columns between pandas' ``str`` dtype and Arrow arrays, with no Python object per row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["TEXT", "to_arrow", "to_series"]

#: pandas' ``str`` dtype: Arrow-backed text, NaN for a missing value
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


def to_arrow(values: pd.Series) -> pa.Array:
    """A column as one Arrow string array (missing values stay null)."""
    array = pa.array(values.astype(TEXT).array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array


def to_series(array: pa.Array, index: pd.Index, name: object = None) -> pd.Series:
    """An Arrow text array as a ``str`` column on ``index``."""
    return pd.Series(array, dtype=TEXT, index=index, name=name)
