"""bc_phone_match_pairs: every pair BC's phone rule matches, the same as bc_phone_matches on
each pair, by both of its ways (kept-digit forms and the walk through each ERP key)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopsync.normalize import bc_phone_match_pairs, bc_phone_matches

# digits, separators, an extension letter and text Python's strip and \d see differently
_CHARS = "0123456789 +-()x.\u00a0\u3000\t\x1c\u0663"


def _every_pair(shopify: list, erp: list) -> set[tuple[int, int]]:
    return {
        (i, j)
        for i, phone in enumerate(shopify)
        for j, other in enumerate(erp)
        if bc_phone_matches(phone, other)
    }


def _pairs(shopify: pd.Series, erp: pd.Series) -> set[tuple[int, int]]:
    shop_at, erp_at = bc_phone_match_pairs(shopify, erp)
    found = set(zip(shop_at.tolist(), erp_at.tolist(), strict=True))
    assert len(found) == len(shop_at)  # each pair once
    return found


@settings(max_examples=300, deadline=None)
@given(
    shopify=st.lists(st.text(alphabet=_CHARS, max_size=9), max_size=12),
    erp=st.lists(st.none() | st.text(alphabet=_CHARS, max_size=14), max_size=16),
    as_text=st.booleans(),
)
def test_pairs_are_the_pairs_bc_phone_matches_accepts(shopify, erp, as_text):
    dtype = "str" if as_text else object
    found = _pairs(pd.Series(shopify, dtype=dtype), pd.Series(erp, dtype=object))
    assert found == _every_pair(shopify, erp)


@settings(max_examples=100, deadline=None)
@given(
    shopify=st.lists(st.text(alphabet="0123456789", min_size=1, max_size=4), max_size=3),
    erp=st.lists(st.text(alphabet="01234567899 -", min_size=12, max_size=24), max_size=8),
)
def test_few_short_shopify_keys_against_long_erp_phones_are_walked(shopify, erp):
    # many kept-digit forms per ERP phone and few Shopify keys: the walk decides
    found = _pairs(pd.Series(shopify, dtype="str"), pd.Series(erp, dtype="str"))
    assert found == _every_pair(shopify, erp)


@pytest.mark.parametrize(
    ("shopify", "erp", "expected"),
    [
        (["+1 234 56789"], ["123456789", "0612345678", "(1) 23-456-789", None], {(0, 0), (0, 2)}),
        (["+31612345678"], ["0612345678", " +31612345678 ", "+31612345678 ext 1"], {(0, 1)}),
        (["000", "", "5"], ["0", "5", "15", "5a"], {(2, 1), (2, 2)}),
        (["12", "12", "2"], ["132", "12", "21"], {(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)}),
    ],
)
def test_examples(shopify, erp, expected):
    assert _pairs(pd.Series(shopify, dtype="str"), pd.Series(erp, dtype="str")) == expected


def test_nothing_to_match():
    empty = pd.Series([], dtype="str")
    shop_at, erp_at = bc_phone_match_pairs(empty, pd.Series(["123"], dtype="str"))
    assert shop_at.dtype == np.int64 and len(shop_at) == len(erp_at) == 0
    assert _pairs(pd.Series(["123"], dtype="str"), empty) == set()
