"""Tests for building ERP names from Shopify names and splitting them back."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopsync.errors import UserInputError
from shopsync.names import (
    NAME_SOURCES,
    PERSON_SOURCES,
    build_name,
    build_names,
    split_name,
    split_names,
)

# --- build ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("company_name", "Contoso Ltd"),
        ("first_and_last_name", "John Smith"),
        ("last_and_first_name", "Smith John"),
        ("none", ""),
    ],
)
def test_build_name_per_source(source, expected):
    assert build_name(source, " John ", "Smith  ", "  Contoso Ltd ") == expected


def test_build_name_with_an_empty_part_leaves_no_stray_space():
    assert build_name("first_and_last_name", "", "Smith", "") == "Smith"
    assert build_name("first_and_last_name", "John", None, "") == "John"
    assert build_name("last_and_first_name", "John", "  ", "") == "John"
    assert build_name("company_name", "John", "Smith", None) == ""
    assert build_name("first_and_last_name", float("nan"), "Smith", "") == "Smith"


def test_unknown_source_is_refused():
    with pytest.raises(UserInputError, match="name source"):
        build_name("full_name", "a", "b", "c")
    with pytest.raises(UserInputError):
        split_name("", "a b")


def test_build_names_vectorised():
    first = pd.Series([" John", "", None, "Ann"], index=[10, 11, 12, 13])
    last = pd.Series(["Smith ", "Doe", "Solo", None], index=[10, 11, 12, 13])
    company = pd.Series(["Contoso", None, " Fabrikam ", ""], index=[10, 11, 12, 13])
    assert build_names("first_and_last_name", first, last, company).tolist() == [
        "John Smith",
        "Doe",
        "Solo",
        "Ann",
    ]
    assert build_names("last_and_first_name", first, last, company).tolist() == [
        "Smith John",
        "Doe",
        "Solo",
        "Ann",
    ]
    built = build_names("company_name", first, last, company)
    assert built.tolist() == ["Contoso", "", "Fabrikam", ""]
    assert list(built.index) == [10, 11, 12, 13]
    assert build_names("none", first, last, company).tolist() == ["", "", "", ""]


# --- split ---------------------------------------------------------------------------------


def test_split_first_and_last():
    assert split_name("first_and_last_name", "Firstname Last name") == ("Firstname", "Last name")


def test_split_last_and_first():
    assert split_name("last_and_first_name", "Last name Firstname") == ("Firstname", "Last name")


def test_split_does_not_remove_substrings_like_bc():
    # BC removed the first name as a substring and got last name "bel Ann" / "Annabel" wrong
    assert split_name("last_and_first_name", "Annabel Ann") == ("Ann", "Annabel")
    assert split_name("first_and_last_name", "Ann Annabel") == ("Ann", "Annabel")
    assert split_name("last_and_first_name", "Ann Ann") == ("Ann", "Ann")


def test_split_single_word_is_the_first_name_in_both_orders_as_bc():
    # BC SpiltNameIntoFirstAndLastName: Split(' ').Get(1) or .Get(Count) is the only word
    assert split_name("first_and_last_name", "Madonna") == ("Madonna", "")
    assert split_name("last_and_first_name", "Madonna") == ("Madonna", "")


def test_split_blank_and_non_person_sources():
    assert split_name("first_and_last_name", "   ") == ("", "")
    assert split_name("last_and_first_name", None) == ("", "")
    assert split_name("company_name", "Contoso Ltd") == ("", "")
    assert split_name("none", "John Smith") == ("", "")


def test_split_trims_and_cuts_at_any_whitespace():
    assert split_name("first_and_last_name", "  John \t van der Berg ") == ("John", "van der Berg")
    assert split_name("last_and_first_name", " van der Berg   John ") == ("John", "van der Berg")


def test_split_names_vectorised():
    text = pd.Series(["Annabel Ann", "Smith", "", None, "Last name Firstname"], index=list("abcde"))
    frame = split_names("last_and_first_name", text)
    assert list(frame.columns) == ["first_name", "last_name"]
    assert list(frame.index) == list("abcde")
    assert list(frame.itertuples(index=False, name=None)) == [
        ("Ann", "Annabel"),
        ("Smith", ""),
        ("", ""),
        ("", ""),
        ("Firstname", "Last name"),
    ]
    frame = split_names("first_and_last_name", text)
    assert frame.loc["a"].tolist() == ["Annabel", "Ann"]
    assert frame.loc["b"].tolist() == ["Smith", ""]
    assert split_names("company_name", text).eq("").all().all()


def test_split_names_of_an_empty_series():
    frame = split_names("first_and_last_name", pd.Series([], dtype=object))
    assert list(frame.columns) == ["first_name", "last_name"]
    assert frame.empty


# --- properties ----------------------------------------------------------------------------

_word = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Z", "C")), min_size=1, max_size=12
)
_words = st.lists(_word, min_size=1, max_size=4).map(" ".join)
_maybe_words = st.one_of(st.just(""), _words)
_person_source = st.sampled_from(["first_and_last_name", "last_and_first_name"])


@given(first=_word, last=_maybe_words)
def test_round_trip_first_and_last(first, last):
    built = build_name("first_and_last_name", first, last, "")
    assert split_name("first_and_last_name", built) == (first, last)


@given(first=_word, last=_words)
def test_round_trip_last_and_first(first, last):
    built = build_name("last_and_first_name", first, last, "")
    assert split_name("last_and_first_name", built) == (first, last)


@given(word=_word, source=_person_source)
def test_a_lone_word_splits_to_the_first_name_whatever_the_order(word, source):
    built = build_name(source, word, "", "")
    assert split_name(source, built) == (word, "")


@given(source=_person_source, text=st.text(max_size=40))
def test_split_then_build_gives_the_trimmed_text_back_up_to_spacing(source, text):
    first, last = split_name(source, text)
    rebuilt = build_name(source, first, last, "")
    assert rebuilt.split() == text.split()


@given(
    source=st.sampled_from(NAME_SOURCES),
    rows=st.lists(st.tuples(st.text(max_size=15), st.text(max_size=15), st.text(max_size=15))),
)
def test_vectorised_build_equals_scalar(source, rows):
    first = pd.Series([r[0] for r in rows], dtype=object)
    last = pd.Series([r[1] for r in rows], dtype=object)
    company = pd.Series([r[2] for r in rows], dtype=object)
    expected = [build_name(source, *r[:2], r[2]) for r in rows]
    assert build_names(source, first, last, company).tolist() == expected


@given(source=st.sampled_from(NAME_SOURCES), texts=st.lists(st.text(max_size=30)))
def test_vectorised_split_equals_scalar(source, texts):
    frame = split_names(source, pd.Series(texts, dtype=object))
    assert list(frame.itertuples(index=False, name=None)) == [split_name(source, t) for t in texts]


@given(
    source=st.sampled_from(PERSON_SOURCES),
    texts=st.lists(st.one_of(st.none(), st.text(alphabet="ab é\t\u00a0\x1c", max_size=12))),
)
def test_split_names_of_text_columns_equals_scalar(source, texts):
    # a text column (Arrow-backed, as read from files) is cut in Arrow kernels where its only
    # whitespace is the space; the answers must be split_name's on the trimmed text
    column = pd.Series(texts, dtype="str")
    frame = split_names(source, column)
    trimmed = column.fillna("").str.strip()
    assert list(frame.itertuples(index=False, name=None)) == [
        split_name(source, t) for t in trimmed
    ]
    assert frame.dtypes.tolist() == [column.dtype, column.dtype]
