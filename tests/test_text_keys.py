"""Equal texts found as integers (Shopify ids, short ERP numbers) or in Arrow: the same answers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from shopsync.text_keys import first_positions, index_in, integer_keys

_NUMBERS = ["1", "2", "10", "01", "+1", "-1", "0", "-0", "7000001184703", "9" * 19]
_TEXTS = ["", "a", "é", "C0000001", "abcdefgh", "abcdefghi", "x\x00"]
_KEY = st.sampled_from(_NUMBERS + _TEXTS)
_TYPES = st.sampled_from([pa.string(), pa.large_string()])


@settings(max_examples=300, deadline=None)
@given(st.lists(_KEY, max_size=12), _TYPES, st.booleans())
def test_first_positions_are_where_each_text_first_occurs(values, kind, numbers_only):
    if numbers_only:  # the integer path: every text a canonical number
        values = [v for v in values if v.isdigit() and (v == "0" or not v.startswith("0"))]
        values = [v for v in values if len(v) < 19]
    where: dict[str, int] = {}
    for position, value in enumerate(values):
        where.setdefault(value, position)
    found = first_positions(pa.array(values, kind))
    assert found.tolist() == [where[value] for value in values]


@settings(max_examples=300, deadline=None)
@given(st.lists(_KEY, max_size=12), st.lists(_KEY, max_size=12), _TYPES)
def test_index_in_equals_arrows_for_both_offset_widths(values, lookup, kind):
    values_array, lookup_array = pa.array(values, kind), pa.array(lookup, kind)
    expected = pc.index_in(values_array, value_set=lookup_array).fill_null(-1).to_pylist()
    assert index_in(values_array, lookup_array).tolist() == expected


def test_integer_keys_only_where_equal_numbers_mean_equal_texts():
    """'01' and '1' are different texts: no integer keys for them; ids and short codes get
    them; a null refuses them (a null is no text)."""
    ids = integer_keys(pa.array(["7000001184703", "1"]), pa.array(["1"]))
    assert ids is not None and [k.tolist() for k in ids] == [[7000001184703, 1], [1]]
    codes = integer_keys(pa.array(["01", "1"]))  # not both numbers: packed bytes, distinct
    assert codes is not None and len(set(codes[0].tolist())) == 2
    assert integer_keys(pa.array(["abcdefghi"])) is None
    assert integer_keys(pa.array(["1", None])) is None
    assert np.array_equal(first_positions(pa.array(["1", None, None])), [0, 1, 1])
