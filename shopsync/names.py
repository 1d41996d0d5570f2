"""Name rules: build an ERP name from Shopify first/last/company names, and split it back."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from shopsync.arrow_text import to_series
from shopsync.errors import UserInputError
from shopsync.settings import NAME_SOURCES

__all__ = [
    "COMPANY_NAME",
    "FIRST_AND_LAST_NAME",
    "LAST_AND_FIRST_NAME",
    "NAME_SOURCES",
    "NONE",
    "PERSON_SOURCES",
    "build_name",
    "build_name_array",
    "build_names",
    "split_name",
    "split_names",
]

# the settings' name sources (named once, in shopsync.settings), one constant each
COMPANY_NAME, FIRST_AND_LAST_NAME, LAST_AND_FIRST_NAME, NONE = NAME_SOURCES
#: Sources that hold a person's name and can therefore be split into first and last name.
PERSON_SOURCES = (FIRST_AND_LAST_NAME, LAST_AND_FIRST_NAME)


def _source(source: Any) -> str:
    value = getattr(source, "value", source)
    if value not in NAME_SOURCES:
        raise UserInputError(f"name source must be one of {', '.join(NAME_SOURCES)}; got {value!r}")
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


def _join(left: str, right: str) -> str:
    return f"{left} {right}".strip()


def build_name(source: str, first: Any, last: Any, company: Any) -> str:
    """The ERP name a source builds from Shopify's first name, last name and company.

    ``company_name`` -> company; ``first_and_last_name`` -> "first last";
    ``last_and_first_name`` -> "last first"; ``none`` -> "".  Each part is trimmed, parts are
    joined by one space, and an empty part leaves no stray space.  Missing values count as "".
    """
    source = _source(source)
    if source == COMPANY_NAME:
        return _text(company)
    if source == FIRST_AND_LAST_NAME:
        return _join(_text(first), _text(last))
    if source == LAST_AND_FIRST_NAME:
        return _join(_text(last), _text(first))
    return ""


def split_name(source: str, text: Any) -> tuple[str, str]:
    """Split an ERP name into Shopify ``(first, last)`` per its source.

    ``first_and_last_name``: first = text before the first whitespace, last = the rest.
    ``last_and_first_name``: first = text after the last whitespace, last = the rest.
    The text is trimmed and the parts are trimmed (inner spacing of the rest is kept).  A single
    word is the first name in both orders, as in Business Central (``Madonna`` ->
    ``("Madonna", "")``).  ``company_name`` and ``none`` hold no person's name -> ``("", "")``.
    The words are cut by position, never by searching for a substring (``Annabel Ann`` ->
    ``("Ann", "Annabel")``).
    """
    source = _source(source)
    words = _text(text)
    if source == FIRST_AND_LAST_NAME:
        parts = words.split(maxsplit=1)
        return (parts[0], parts[1]) if len(parts) == 2 else (words, "")
    if source == LAST_AND_FIRST_NAME:
        parts = words.rsplit(maxsplit=1)
        return (parts[1], parts[0]) if len(parts) == 2 else (words, "")
    return ("", "")


def _clean(values: pd.Series | Any, index: pd.Index) -> pd.Series:
    if not isinstance(values, pd.Series):
        values = pd.Series(_text(values), index=index, dtype=object)
    elif not values.index.equals(index):
        values = values.reindex(index)
    if isinstance(values.dtype, pd.StringDtype):  # text already: no per-value Python
        return values.fillna("").str.strip().astype("str")
    cleaned = values.astype(object).where(values.notna(), "")
    return cleaned.map(str, na_action=None).str.strip().astype("str")


def build_names(
    source: str, first: pd.Series, last: pd.Series, company: pd.Series | None = None
) -> pd.Series:
    """Vectorised :func:`build_name` on the index of ``first`` (other Series are aligned on it;
    a scalar or None is used for every row)."""
    source = _source(source)
    index = first.index
    if source == COMPANY_NAME:
        return _clean(company, index)
    if source == NONE:
        return pd.Series("", index=index, dtype="str")
    first_s, last_s = _clean(first, index), _clean(last, index)
    left, right = (first_s, last_s) if source == FIRST_AND_LAST_NAME else (last_s, first_s)
    return (left + " " + right).str.strip()


def build_name_array(source: str, first: pa.Array, last: pa.Array, company: pa.Array) -> pa.Array:
    """:func:`build_names` of Arrow text that is trimmed already and has no nulls (the
    import's address fields): the same names, with no Series per step (the parts need no
    trim of their own; only a blank part leaves a space at an end of the joined text)."""
    source = _source(source)
    if source == COMPANY_NAME:
        return company
    if source == NONE:
        return pa.repeat(pa.scalar("", company.type), len(company))
    left, right = (first, last) if source == FIRST_AND_LAST_NAME else (last, first)
    return pc.utf8_trim_whitespace(
        pc.binary_join_element_wise(left, right, pa.scalar(" ", left.type))
    )


def split_names(source: str, text: pd.Series) -> pd.DataFrame:
    """Vectorised :func:`split_name`: columns ``first_name, last_name`` on the index of ``text``.

    Text whose only whitespace is the plain space is cut in Arrow kernels; text with other
    whitespace (tabs, no-break spaces...: what Python's ``split`` counts) as before."""
    source = _source(source)
    words = _clean(text, text.index)
    if source not in PERSON_SOURCES:
        empty = pd.Series("", index=text.index, dtype="str")
        return pd.DataFrame({"first_name": empty, "last_name": empty.copy()})
    array = pa.array(words.array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = pc.fill_null(array, "")
    plain = np.asarray(
        pc.invert(pc.match_substring_regex(array, _OTHER_SPACE)).to_numpy(zero_copy_only=False),
        dtype=bool,
    )
    if source == FIRST_AND_LAST_NAME:
        found = pc.extract_regex(array, r"^(?P<a>[^ ]*)(?: +(?P<b>.*))?$")
        first = pc.fill_null(pc.struct_field(found, "a"), "")
        last = pc.fill_null(pc.struct_field(found, "b"), "")
    else:
        found = pc.extract_regex(array, r"^(?P<a>.*[^ ]) +(?P<b>[^ ]+)$")
        two = pc.is_valid(found)
        first = pc.if_else(two, pc.struct_field(found, "b"), array)
        last = pc.if_else(two, pc.struct_field(found, "a"), "")
    frame = pd.DataFrame(
        {
            "first_name": to_series(first, text.index),
            "last_name": to_series(last, text.index),
        }
    )
    if not plain.all():
        others = words[~plain]
        frame.loc[~plain, ["first_name", "last_name"]] = _split_in_python(source, others)
    return frame


# Whitespace Python's str.split cuts at, other than the plain space (str.isspace).
_OTHER_SPACE = (
    "[\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)


def _split_in_python(source: str, words: pd.Series) -> pd.DataFrame:
    """:func:`split_names` by Python's ``split`` / ``rsplit`` (trimmed text, any whitespace)."""
    if source == FIRST_AND_LAST_NAME:
        parts = words.str.split(n=1, expand=True).reindex(columns=[0, 1])
        first, last = parts[0], parts[1]
    else:
        parts = words.str.rsplit(n=1, expand=True).reindex(columns=[0, 1])
        only_one = parts[1].isna()
        first = parts[1].where(~only_one, parts[0])
        last = parts[0].where(~only_one, "")
    frame = pd.DataFrame({"first_name": first, "last_name": last}, index=words.index)
    return frame.astype(object).where(frame.notna(), "").astype("str")
