"""The matching kernels against plain Python: the e-mail typo index, the key join and the
ERP phone digits."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from shopsync import mapping
from shopsync.mapping import (
    _join_keys,
    _one_edit,
    _one_edit_pairs,
    _phone_digits,
    _tail_codes,
)
from shopsync.text_hashes import distinct_codes, text_hashes


def _numbers(count: int) -> pd.Series:
    return pd.Series([f"N{i}" for i in range(count)], dtype="str")


@settings(max_examples=200, deadline=None)
@given(
    shop=st.lists(st.text(alphabet="abé.", max_size=6), max_size=25),
    erp=st.lists(st.text(alphabet="abcé", min_size=1, max_size=7), max_size=40),
)
def test_typo_pairs_are_the_pairs_one_edit_apart(shop, erp):
    shop_keys = pd.Series(shop, dtype="str", index=[10 + 3 * i for i in range(len(shop))])
    found = _one_edit_pairs(shop_keys, pd.Series(erp, dtype="str"), _numbers(len(erp)))
    expected = {
        (10 + 3 * i, f"N{j}", b)
        for i, a in enumerate(shop)
        for j, b in enumerate(erp)
        if a and b and _one_edit(a, b)
    }
    assert len(found) == len(set(found))
    assert set(found) == expected


def test_typo_candidate_names_its_own_erp_customer_after_a_blank_email():
    found = _one_edit_pairs(
        pd.Series(["tpyo@x.com"], dtype="str"),
        pd.Series(["", "typo@x.com"], dtype="str"),
        pd.Series(["C1", "C2"], dtype="str"),
    )
    assert found == [(0, "C2", "typo@x.com")]


def test_typo_candidates_keep_the_index_order():
    # "abcd" meets "abc" (whole, ERP 1) and "abce" (a deletion, ERP 0) through its form
    # "abc": whole ERP keys come before ERP deletions, as the index has always listed them
    found = _one_edit_pairs(
        pd.Series(["abcd"], dtype="str"), pd.Series(["abce", "abc"], dtype="str"), _numbers(2)
    )
    assert found == [(0, "N1", "abc"), (0, "N0", "abce")]


def _equi_join(shop: list[str], erp: list[str | None]) -> list[tuple[int, str]]:
    """(shop row, ERP no) of equal non-blank keys, shop rows numbered from 5, in join order."""
    return [(5 + i, f"N{j}") for i, a in enumerate(shop) for j, b in enumerate(erp) if a and a == b]


@settings(max_examples=200, deadline=None)
@given(
    shop=st.lists(st.sampled_from(["", "a", "b", "c", "é"]), max_size=12),
    erp=st.lists(st.none() | st.sampled_from(["", "a", "b", "é"]), max_size=12),
)
def test_join_keys_is_an_equi_join_of_non_blank_keys(shop, erp):
    shop_keys = pd.Series(shop, dtype="str", index=[5 + i for i in range(len(shop))])
    hits = _join_keys(shop_keys, pd.Series(erp, dtype="str"), _numbers(len(erp)))
    assert list(zip(hits["_row"], hits["no"], strict=True)) == _equi_join(shop, erp)


@given(
    st.lists(st.text(alphabet="0189 +()./-x\n\u0663\u00e9", max_size=8), max_size=20),
    st.sampled_from([1, 3, 1 << 16]),
)
def test_phone_digits_as_pandas_regex(phones, at_once):
    """The digits of each phone, counted a block of phones at a time (any block size)."""
    series = pd.Series(phones, dtype="str", index=range(7, 7 + len(phones)))
    with patch.object(mapping, "_PHONES_AT_ONCE", at_once):
        digits, plain = _phone_digits(series)
    pd.testing.assert_series_equal(digits, series.str.replace(r"\D", "", regex=True))
    assert plain.tolist() == series.str.fullmatch(r"[0-9+()./\- ]*").tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.none() | st.text(alphabet="ab\u00e9\x00", max_size=20), max_size=30))
def test_text_hashes_are_equal_for_equal_texts(texts):
    array = pa.array(texts, pa.large_string())
    for start in range(min(len(texts), 3)):  # an array cut at an offset reads the same bytes
        hashes = text_hashes(array[start:])
        for i, a in enumerate(texts[start:]):
            for j, b in enumerate(texts[start:]):
                if (a or "") == (b or ""):
                    assert hashes[i] == hashes[j]


def test_text_hashes_tell_apart_texts_that_differ_in_one_byte():
    texts = ["", "a", "a\x00", "abcdefgh", "abcdefgi", "abcdefghX", "abcdefgh" * 3 + "Y"]
    assert len(set(text_hashes(pa.array(texts, pa.large_string())).tolist())) == len(texts)


@settings(max_examples=100, deadline=None)
@given(
    shop=st.lists(st.sampled_from(["", "a", "b", "ab", "ba", "é"]), max_size=12),
    erp=st.lists(st.none() | st.sampled_from(["", "a", "b", "ab", "ba", "é"]), max_size=12),
)
def test_join_keys_drops_pairs_whose_hashes_collide(shop, erp):
    # a hash of the length only: texts of one length share it; the join stays exact
    def lengths_only(text: pa.Array) -> np.ndarray:
        return np.asarray(pc.fill_null(pc.binary_length(text), 0), dtype=np.uint64)

    shop_keys = pd.Series(shop, dtype="str", index=[5 + i for i in range(len(shop))])
    with patch.object(mapping, "text_hashes", lengths_only):
        hits = _join_keys(shop_keys, pd.Series(erp, dtype="str"), _numbers(len(erp)))
    assert list(zip(hits["_row"], hits["no"], strict=True)) == _equi_join(shop, erp)


@given(st.lists(st.text(alphabet="0189+x\u0663\u00e9", max_size=10), max_size=20))
def test_tail_codes_are_equal_where_the_digit_tails_are(texts):
    codes = _tail_codes(pa.array(texts, pa.large_string()))
    tails = [text[-7:] for text in texts]
    for i, a in enumerate(tails):
        assert (codes[i] >= 0) == (a.isascii() and (a.isdigit() or a == ""))
        for j, b in enumerate(tails):
            if codes[i] >= 0 and codes[j] >= 0:
                assert (codes[i] == codes[j]) == (a == b)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="ab\u00e9 ", max_size=12), max_size=30), st.booleans())
def test_distinct_codes_as_arrow_encodes(texts, wide):
    array = pa.array(texts, pa.large_string() if wide else pa.string())
    codes, distinct = distinct_codes(array)
    encoded = array.dictionary_encode()
    assert codes.tolist() == encoded.indices.to_pylist()
    assert distinct.to_pylist() == encoded.dictionary.to_pylist()


def test_distinct_codes_when_hashes_collide():
    array = pa.array(["ab", "ba", "ab", "c"], pa.large_string())
    lengths_only = lambda text: np.asarray(pc.binary_length(text), dtype=np.uint64)  # noqa: E731
    with patch("shopsync.text_hashes.text_hashes", lengths_only):
        codes, distinct = distinct_codes(array)
    assert codes.tolist() == [0, 1, 0, 2]
    assert distinct.to_pylist() == ["ab", "ba", "c"]
