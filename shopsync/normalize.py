"""Pure, vectorised normalisers: e-mail, phone (E.164), country (ERP code -> ISO), province."""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Mapping
from functools import lru_cache
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

from shopsync.arrow_text import to_arrow, to_series
from shopsync.distinct import distinct_rows, is_text, spread
from shopsync.errors import UserInputError
from shopsync.fast_phones import parse_plain_phones_text
from shopsync.text_hashes import distinct_codes

__all__ = [
    "COUNTRY_NO_ISO",
    "COUNTRY_UNKNOWN",
    "EMAIL_MAX_LENGTH",
    "EmailNorm",
    "PhoneNorm",
    "Province",
    "ProvinceTable",
    "bc_phone_match_mask",
    "bc_phone_match_pairs",
    "bc_phone_matches",
    "casefold_texts",
    "countries_to_iso",
    "email_match_key",
    "email_match_keys",
    "is_valid_email",
    "iso_to_erp_country",
    "normalize_email",
    "normalize_emails",
    "normalize_phone",
    "normalize_phones",
    "phone_e164",
    "phones_e164",
    "province_key",
]

COUNTRY_NO_ISO = "COUNTRY_NO_ISO"
COUNTRY_UNKNOWN = "COUNTRY_UNKNOWN"

#: Shopify refuses longer e-mail addresses ("Email is too long (maximum is 255 characters)").
EMAIL_MAX_LENGTH = 255

_CACHE_SIZE = 1 << 16


# --------------------------------------------------------------------------------------------
# shared helpers


def _is_missing(value: Any) -> bool:
    """True for None, NaN/NA and other pandas missing markers."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return value is pd.NA or value is pd.NaT or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _text(value: Any) -> str:
    """A cell as text: missing -> "", integral floats (Excel phone columns) without ``.0``."""
    if _is_missing(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_series(values: pd.Series | Iterable[Any]) -> pd.Series:
    return values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    return codes, np.asarray(uniques, dtype=object)


def _map_unique(
    columns: list[np.ndarray],
    func: Callable[..., tuple[Any, ...]],
    n_out: int,
) -> list[np.ndarray]:
    """Apply ``func`` once per distinct row of ``columns`` and spread the results back.

    Returns ``n_out`` object arrays, one per element of the tuples ``func`` returns.
    """
    n = len(columns[0]) if columns else 0
    if n == 0:
        return [np.empty(0, dtype=object) for _ in range(n_out)]
    combined = np.zeros(n, dtype=np.int64)
    factors = []
    for column in columns:
        codes, uniques = _factorize(column)
        factors.append(uniques)
        combined = combined * len(uniques) + codes
    row_codes, unique_combined = pd.factorize(combined)
    arguments = []
    for code in unique_combined:
        args = []
        rest = int(code)
        for uniques in reversed(factors):
            rest, position = divmod(rest, len(uniques))
            args.append(uniques[position])
        arguments.append(tuple(reversed(args)))
    outputs: list[list[Any]] = [[] for _ in range(n_out)]
    for result in (func(*args) for args in arguments):
        for out, item in zip(outputs, result, strict=True):
            out.append(item)
    spread = []
    for out in outputs:
        array = np.empty(len(out), dtype=object)
        array[:] = out
        spread.append(array[row_codes])
    return spread


def _spread_frame(found: pd.DataFrame, rows: np.ndarray | None, index: pd.Index) -> pd.DataFrame:
    """The columns worked out per distinct row (see distinct_rows) on every row of ``index``."""
    return pd.DataFrame({name: spread(found[name], rows, index) for name in found}, index=index)


def _frame(index: pd.Index, columns: dict[str, np.ndarray], bools: Iterable[str]) -> pd.DataFrame:
    frame = pd.DataFrame(columns, index=index)
    bool_columns = set(bools)
    for name in columns:
        frame[name] = frame[name].astype(bool if name in bool_columns else "str")
    return frame


# --------------------------------------------------------------------------------------------
# e-mail


class EmailNorm(NamedTuple):
    """One e-mail field, normalised.

    ``email`` is what would be sent to Shopify (first address of a list, inner whitespace
    removed, case kept); ``key`` is ``email`` case-folded, for duplicate detection.
    """

    email: str
    key: str
    is_list: bool
    is_valid: bool
    is_missing: bool


_LIST_SEPARATORS = re.compile(r"[;,]")
_WHITESPACE = re.compile(r"\s+")
# ASCII only, as Shopify: an internationalised domain must be written in punycode (xn--).
_LOCAL_CHAR = r"[A-Za-z0-9_!#$%&'*+/=?^`{|}~\-]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL_RE = re.compile(
    rf"(?P<local>{_LOCAL_CHAR}+(?:\.{_LOCAL_CHAR}+)*)"
    rf"@(?P<domain>(?:{_LABEL}\.)+(?:[A-Za-z]{{2,}}|xn--[a-z0-9\-]+))",
    re.IGNORECASE,
)


def is_valid_email(address: str) -> bool:
    """Syntax check close to Shopify's, on an address already stripped of whitespace.

    One ``@``; a non-empty local part of letters, digits and ``!#$%&'*+/=?^_`{|}~-`` in
    dot-separated runs (no leading, trailing or doubled dot), at most 64 characters; a domain of
    at least two labels (letters, digits, inner hyphens, at most 63 characters each) whose last
    label is alphabetic (2+ letters) or punycode; at most 255 characters in all.  ASCII only, as
    Shopify stores it (``jörg@müller.de`` is refused; ``x@xn--mller-kva.de`` is fine).  So
    ``foo@bar``, ``foo@@bar.com``, ``@bar.com``, ``foo@`` are invalid.
    """
    if not address or len(address) > EMAIL_MAX_LENGTH:
        return False
    match = _EMAIL_RE.fullmatch(address)
    return match is not None and len(match["local"]) <= 64


@lru_cache(maxsize=_CACHE_SIZE)
def _normalize_email_text(text: str) -> EmailNorm:
    parts = [part for part in _LIST_SEPARATORS.split(text) if part.strip()]
    if not parts:
        return EmailNorm("", "", False, False, True)
    email = _WHITESPACE.sub("", parts[0])
    return EmailNorm(email, email.casefold(), len(parts) > 1, is_valid_email(email), False)


def normalize_email(value: Any) -> EmailNorm:
    """Normalise one e-mail field the way Shopify stores it.

    Whitespace is removed everywhere (Shopify stores ``"a b@x.com "`` as ``ab@x.com``); a field
    holding several addresses separated by ``;`` or ``,`` yields the first one with
    ``is_list=True``; an empty or blank field (or one holding only separators) is missing.
    """
    return _normalize_email_text(_text(value))


# The whitespace Python's ``\\s`` and ``str.strip`` know among ASCII characters, for RE2.
_ASCII_SPACE_RE2 = r"[\t\n\x0b\x0c\r \x1c-\x1f]+"
_EMAIL_BODY_RE2 = _EMAIL_RE.pattern.replace("?P<local>", "").replace("?P<domain>", "")
_EMAIL_RE2 = f"(?i)^{_EMAIL_BODY_RE2}$"
# one address with whitespace (which an address cannot hold) around it
_PADDED_EMAIL_RE2 = f"(?i)^{_ASCII_SPACE_RE2[:-1]}*{_EMAIL_BODY_RE2}{_ASCII_SPACE_RE2[:-1]}*$"
_ASCII_SPACES = "\t\n\x0b\x0c\r \x1c\x1d\x1e\x1f"  # _ASCII_SPACE_RE2's characters
_LOCAL_MAX_LENGTH = 64


def _ascii_emails(texts: pa.Array) -> tuple[pa.Array, pa.Array, np.ndarray, np.ndarray]:
    """:func:`_normalize_email_text` of ASCII texts in Arrow kernels: (email, key, is_list,
    is_valid). Whitespace goes first (it is never a separator), so the non-blank parts are
    the non-empty ones; in ASCII, ``casefold`` is ``lower``."""
    compact = pc.replace_substring_regex(texts, _ASCII_SPACE_RE2, "")
    listed = pc.replace_substring_regex(compact, r"^[;,]+", "")
    email = pc.replace_substring_regex(listed, r"[;,].*$", "")
    rest = pc.replace_substring_regex(listed, r"^[^;,]*", "")  # the parts after the first
    is_list = _bools(pc.match_substring_regex(rest, r"[^;,]"))
    lengths = np.asarray(pc.binary_length(email).to_numpy(zero_copy_only=False))
    local = np.asarray(pc.find_substring(email, "@").to_numpy(zero_copy_only=False))
    valid = _bools(pc.match_substring_regex(email, _EMAIL_RE2))
    valid &= (lengths > 0) & (lengths <= EMAIL_MAX_LENGTH) & (local <= _LOCAL_MAX_LENGTH)
    return email, pc.ascii_lower(email), is_list, valid


def normalize_emails(values: pd.Series) -> pd.DataFrame:
    """Vectorised :func:`normalize_email`: columns ``email, email_key, email_is_list,
    email_valid, email_missing`` on the index of ``values``.

    ASCII text is read in Arrow kernels (RE2 has Python's answer for these patterns), any
    other text by :func:`normalize_email`. A ``str`` column is read row by row (e-mails are
    nearly all distinct: folding them first costs more than it saves), one plain address
    (the most of them) by one pattern; other columns once per distinct text."""
    values = _as_series(values)
    names = ["email", "email_key", "email_is_list", "email_valid", "email_missing"]
    if len(values) == 0:
        return _frame(values.index, {name: np.empty(0, dtype=object) for name in names}, names[2:])
    if is_text(values):
        rows, texts = None, pc.fill_null(to_arrow(values), "")  # _text of a str value: itself
        email, key, is_list, valid = _plain_or_other_emails(texts)
    else:
        rows, texts = _text_codes(values)
        email, key, is_list, valid = _any_emails(texts)
    missing = np.asarray(pc.equal(email, "").to_numpy(zero_copy_only=False), dtype=bool)
    if rows is not None:
        index_rows = pa.array(rows)
        email, key = email.take(index_rows), key.take(index_rows)
        is_list, valid, missing = is_list[rows], valid[rows], missing[rows]
    columns = {
        "email": to_series(email, values.index),
        "email_key": to_series(key, values.index),
        "email_is_list": pd.Series(is_list, index=values.index),
        "email_valid": pd.Series(valid, index=values.index),
        "email_missing": pd.Series(missing, index=values.index),
    }
    return pd.DataFrame(columns, index=values.index)


def _any_emails(texts: pa.Array) -> tuple[pa.Array, pa.Array, np.ndarray, np.ndarray]:
    """:func:`_normalize_email_text` of texts (no nulls): (email, key, is_list, is_valid)."""
    ascii_ = _bools(pc.string_is_ascii(texts))
    email, key, is_list, valid = _ascii_emails(texts)
    others = np.flatnonzero(~ascii_)
    if len(others):
        found = [_normalize_email_text(text) for text in texts.take(others).to_pylist()]
        mask = pa.array(~ascii_)
        email = pc.replace_with_mask(email, mask, pa.array([f.email for f in found], email.type))
        key = pc.replace_with_mask(key, mask, pa.array([f.key for f in found], key.type))
        is_list[others] = [f.is_list for f in found]
        valid[others] = [f.is_valid for f in found]
    return email, key, is_list, valid


def _plain_or_other_emails(texts: pa.Array) -> tuple[pa.Array, pa.Array, np.ndarray, np.ndarray]:
    """:func:`_any_emails` with a shortcut: ASCII text that is one address the pattern matches,
    whitespace around it allowed, holds no other whitespace, ``;`` or ``,`` (the pattern has
    none), so the address trimmed is its e-mail, no list, valid when the lengths are; only
    the other texts take every step."""
    plain = _bools(pc.string_is_ascii(texts))
    plain &= _bools(pc.match_substring_regex(texts, _PADDED_EMAIL_RE2))
    trimmed = pc.utf8_trim(texts, characters=_ASCII_SPACES)
    lengths = np.asarray(pc.binary_length(trimmed).to_numpy(zero_copy_only=False))
    valid = plain & (lengths <= EMAIL_MAX_LENGTH)
    # the local part is shorter than the whole by at least "@a.bc": only long texts are cut
    long = np.flatnonzero(valid & (lengths > _LOCAL_MAX_LENGTH + 5))
    if len(long):
        local = pc.find_substring(trimmed.take(pa.array(long)), "@")
        valid[long] &= np.asarray(local.to_numpy(zero_copy_only=False)) <= _LOCAL_MAX_LENGTH
    is_list = np.zeros(len(texts), dtype=bool)
    others = np.flatnonzero(~plain)
    email, key = trimmed, pc.ascii_lower(trimmed)  # casefold is lower in ASCII
    if len(others):
        other_email, other_key, other_list, other_valid = _any_emails(texts.take(pa.array(others)))
        mask = pa.array(~plain)
        email = pc.replace_with_mask(email, mask, other_email)
        key = pc.replace_with_mask(key, mask, other_key)
        is_list[others] = other_list
        valid[others] = other_valid
    return email, key, is_list, valid


def email_match_key(value: Any) -> str:
    """BC's e-mail match key: the whole field, trimmed and case-folded (no list splitting)."""
    return _text(value).strip().casefold()


def email_match_keys(values: pd.Series) -> pd.Series:
    """Vectorised :func:`email_match_key` (same index)."""
    values = _as_series(values)
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        text = values.fillna("")
    else:
        text = values.astype(object).where(values.notna(), "").astype("str")
    return casefold_texts(text.str.strip()).rename(values.name)


def casefold_texts(values: pd.Series) -> pd.Series:
    """``str.casefold`` of a text column (missing stays missing) without a Python call per
    row: ASCII text lower-cased in Arrow (the same thing), only other text by Python."""
    array = to_arrow(values)
    keys = pc.ascii_lower(array)
    other = ~_bools(pc.fill_null(pc.string_is_ascii(array), True))
    if other.any():
        folded = [value.casefold() for value in array.filter(pa.array(other)).to_pylist()]
        keys = pc.replace_with_mask(keys, pa.array(other), pa.array(folded, keys.type))
    return to_series(keys, values.index, values.name)


# --------------------------------------------------------------------------------------------
# phone


class PhoneNorm(NamedTuple):
    """One phone field, normalised.

    ``e164`` is filled whenever the text parses as a phone number (check ``is_valid`` before
    sending it); ``extension`` is the extension found, "" if none; ``is_valid`` is
    ``phonenumbers.is_valid_number``; ``is_missing`` means the field was empty.
    """

    e164: str
    extension: str
    is_valid: bool
    is_missing: bool


_PHONE_MISSING = PhoneNorm("", "", False, True)
_PHONE_UNPARSABLE = PhoneNorm("", "", False, False)
_PHONE_PLAIN = re.compile(r"\+?[0-9\s().\-]*")
_PHONE_SEPARATORS = re.compile(r"[\s().\-]")
# "/" is phonenumbers' punctuation too (030/1234567), but it keeps a text of fewer than three
# digits from being viable ("1/2" is no number, "12" is): dropped only from three digits on.
_PHONE_PLAIN_SLASH = re.compile(r"\+?[0-9\s()./\-]*")
_PHONE_SEPARATORS_SLASH = re.compile(r"[\s()./\-]")


def _clean_region(region: Any) -> str:
    return _text(region).strip().upper()


def _clean_phone(raw: Any) -> str:
    """Cheap, meaning-preserving pre-cleaning: trim; drop separators from plain numbers.

    Only text made of ASCII digits (3 or more), an optional leading ``+`` and the separators
    `` ().-/`` is compacted, so that ``(613) 450-5293`` and ``613-450-5293`` share one cache
    entry; anything else (extensions, letters) is left for phonenumbers to read.  Text made of
    separators only becomes "" (missing).
    """
    text = _text(raw).strip()
    if _PHONE_PLAIN.fullmatch(text):
        compact = _PHONE_SEPARATORS.sub("", text)
        if not compact or sum(ch.isdigit() for ch in compact) >= 3:
            return compact
    elif _PHONE_PLAIN_SLASH.fullmatch(text):
        compact = _PHONE_SEPARATORS_SLASH.sub("", text)
        if sum(ch.isdigit() for ch in compact) >= 3:
            return compact
    return text


# Text _clean_phone compacts, in RE2: outer and inner spaces (no other whitespace), one
# leading "+", digits and the separators ().-
_PLAIN_RE2 = r"^ *\+?[0-9 ()./\-]*$"
_SEPARATOR_BYTES = (ord(" "), ord("("), ord(")"), ord("."), ord("-"), ord("/"))

# A plain number (as _PLAIN_RE2, ending in a digit) then an extension as phonenumbers reads
# one ("ext", "ext." or "x", spaces around, at most 9 digits: its limit after "x"): where the
# number has three digits or more (viable) phonenumbers parses exactly that number and
# reports those digits as the extension, so the number is read alone and the extension kept.
_EXTENSION_RE2 = (
    r"^(?P<number> *\+?[0-9 ()./\-]*[0-9]) *(?i:ext\.?|x) *(?P<extension>[0-9]{1,9}) *$"
)


def _bools(array: pa.Array) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=bool)


def _drop_separators(array: pa.Array) -> pa.Array:
    """``array`` (text, no nulls) without the bytes `` ().-/``: ASCII bytes, never part of a
    multi-byte UTF-8 character, so this is the text with those characters removed."""
    wide = pa.types.is_large_string(array.type)
    offset_type = np.int64 if wide else np.int32
    _, offset_buffer, data_buffer = array.buffers()
    start = array.offset
    offsets = np.frombuffer(offset_buffer, dtype=offset_type)[start : start + len(array) + 1]
    if data_buffer is None or len(offsets) == 0 or offsets[-1] == offsets[0]:
        return array
    data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
    separator = np.zeros(256, dtype=bool)
    separator[list(_SEPARATOR_BYTES)] = True
    keep = ~separator[data]
    kept = np.concatenate([[0], np.cumsum(keep)])
    new_offsets = kept[offsets - offsets[0]].astype(offset_type)
    buffers = [None, pa.py_buffer(new_offsets), pa.py_buffer(np.ascontiguousarray(data[keep]))]
    return pa.Array.from_buffers(array.type, len(array), buffers)


def _clean_phones(texts: pa.Array) -> pa.Array:
    """:func:`_clean_phone` of many texts (already :func:`_text`, no nulls): in bulk for text
    of digits, spaces and ``+().-``, one call per text otherwise."""
    simple = _bools(pc.match_substring_regex(texts, _PLAIN_RE2))
    compact = _drop_separators(texts)
    lengths = np.asarray(pc.binary_length(compact).to_numpy(zero_copy_only=False))
    plus = _bools(pc.starts_with(compact, "+"))
    slash = _bools(pc.match_substring(texts, "/"))
    done = simple & (((lengths == 0) & ~slash) | (lengths - plus >= 3))
    if done.all():
        return compact
    others = np.flatnonzero(~done)
    cleaned = [_clean_phone(text) for text in texts.take(others).to_pylist()]
    return pc.replace_with_mask(compact, pa.array(~done), pa.array(cleaned, compact.type))


def _text_codes(values: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Each row's position in the distinct texts (:func:`_text`) of ``values``, and those."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        encoded = to_arrow(values).dictionary_encode()
        dictionary = encoded.dictionary
        codes = pc.fill_null(encoded.indices, len(dictionary)).to_numpy(zero_copy_only=False)
        texts = pa.concat_arrays([dictionary, pa.array([""], dictionary.type)])
        return np.asarray(codes, dtype=np.int64), texts
    codes, uniques = _factorize(values.to_numpy(dtype=object))
    texts = pa.array([v if type(v) is str else _text(v) for v in uniques], pa.string())
    return np.asarray(codes, dtype=np.int64), texts


def _split_extensions(texts: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(number, extension) of each text (no nulls): a plain viable number and its extension
    (see _EXTENSION_RE2) apart, any other text whole with extension ""."""
    none = pa.repeat(pa.scalar("", texts.type), len(texts))
    labelled = np.flatnonzero(_bools(pc.match_substring(texts, "x", ignore_case=True)))
    if not len(labelled):  # every extension label has an x: the regex runs on those only
        return texts, none
    found = pc.extract_regex(texts.take(pa.array(labelled)), _EXTENSION_RE2)
    number = pc.fill_null(pc.struct_field(found, "number"), "")
    digits = np.asarray(pc.count_substring_regex(number, "[0-9]").to_numpy(zero_copy_only=False))
    split = _bools(pc.is_valid(found)) & (digits >= 3)
    if not split.any():
        return texts, none
    mask = np.zeros(len(texts), dtype=bool)
    mask[labelled[split]] = True
    chosen = pa.array(split)
    numbers = pc.replace_with_mask(texts, pa.array(mask), number.filter(chosen))
    extension = pc.struct_field(found, "extension").filter(chosen)
    extensions = pc.replace_with_mask(none, pa.array(mask), pc.cast(extension, texts.type))
    return numbers, extensions


def _phone_pairs(
    raw: pd.Series, region: pd.Series | str | None
) -> tuple[np.ndarray, pa.Array, np.ndarray]:
    """The distinct (cleaned text, cleaned region) pairs of the rows: (pair of each row,
    texts, regions).  ``(613) 450-5293`` and ``613-450-5293`` make one pair; so do
    ``613-450-5293 x12`` and ``613-450-5293`` (see :func:`_phone_pairs_and_extensions`)."""
    rows, texts, regions, _ = _phone_pairs_and_extensions(raw, region)
    return rows, texts, regions


def _phone_pairs_and_extensions(
    raw: pd.Series, region: pd.Series | str | None
) -> tuple[np.ndarray, pa.Array, np.ndarray, pa.Array]:
    """As :func:`_phone_pairs`, plus each row's extension where the text is a plain number
    and an extension (read apart: the pair is the number's; '' for the other rows)."""
    if isinstance(raw.dtype, pd.StringDtype) and raw.dtype.storage == "pyarrow":
        # phones are mostly distinct: cleaning every row costs less than a first
        # dictionary pass over the raw texts (the cleaned ones are encoded anyway)
        numbers, row_extensions = _split_extensions(pc.fill_null(to_arrow(raw), ""))
        text_codes, distinct = distinct_codes(_clean_phones(numbers))
    else:  # other values are made text once per distinct value
        raw_codes, raw_texts = _text_codes(raw)
        numbers, extensions = _split_extensions(raw_texts)
        row_extensions = extensions.take(pa.array(raw_codes))
        text_codes, distinct = distinct_codes(_clean_phones(numbers))
        text_codes = text_codes[raw_codes]
    if isinstance(region, pd.Series):
        if not region.index.equals(raw.index):
            region = region.reindex(raw.index)
        region_codes, region_texts = _text_codes(region)
        regions = np.array([_clean_region(r) for r in region_texts.to_pylist()], dtype=object)
    else:
        region_codes = np.zeros(len(raw), dtype=np.int64)
        regions = np.array([_clean_region(region)], dtype=object)
    width = len(regions)
    rows, pairs = pd.factorize(text_codes * width + region_codes)
    pairs = np.asarray(pairs, dtype=np.int64)
    texts = distinct.take(pairs // width)
    return rows, texts, regions[pairs % width], row_extensions


@lru_cache(maxsize=_CACHE_SIZE)
def _parse_phone(text: str, region: str) -> PhoneNorm:
    if not text:
        return _PHONE_MISSING
    try:
        number = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        return _PHONE_UNPARSABLE
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return PhoneNorm(e164, number.extension or "", phonenumbers.is_valid_number(number), False)


def normalize_phone(raw: Any, region: str | None = None) -> PhoneNorm:
    """Parse one phone with ``region`` (ISO alpha-2 of the customer's country) as default.

    A blank field, or one holding only separators (``-``, ``.``...), is missing.  Numbers
    written with ``+`` or an international prefix ignore the region.  A number that does not
    parse is invalid with an empty ``e164``.
    """
    return _parse_phone(_clean_phone(raw), _clean_region(region))


def normalize_phones(raw: pd.Series, region: pd.Series | str | None = None) -> pd.DataFrame:
    """Vectorised :func:`normalize_phone`: columns ``phone_e164, phone_extension, phone_valid,
    phone_missing`` on the index of ``raw``.

    ``region`` is one ISO code for all rows or a Series aligned on ``raw``'s index.  Each
    distinct (raw, region) pair is read once: plain numbers in bulk by
    :func:`shopsync.fast_phones.parse_plain_phones`, everything else by phonenumbers.
    """
    raw = _as_series(raw)
    names = ["phone_e164", "phone_extension", "phone_valid", "phone_missing"]
    if len(raw) == 0:
        return _frame(raw.index, {name: np.empty(0, dtype=object) for name in names}, names[2:])
    rows, texts, regions, row_extensions = _phone_pairs_and_extensions(raw, region)
    fast = parse_plain_phones_text(texts, regions)
    e164, valid = fast.e164, fast.valid
    extension = np.full(len(texts), "", dtype=object)
    missing = np.zeros(len(texts), dtype=bool)
    others = np.flatnonzero(~fast.handled)
    if len(others):
        slow = np.full(len(others), "", dtype=object)
        for k, (i, text) in enumerate(zip(others, texts.take(others).to_pylist(), strict=True)):
            slow[k], extension[i], valid[i], missing[i] = _parse_phone(text, regions[i])
        e164 = pc.replace_with_mask(e164, pa.array(~fast.handled), pa.array(slow, e164.type))
    take = pa.array(rows)
    row_e164 = e164.take(take)
    # an extension read apart counts where the number parses (phonenumbers: none otherwise)
    row_extension = pa.array(extension, pa.string()).take(take)
    row_extension = pc.if_else(
        pc.and_(pc.equal(row_extension, ""), pc.not_equal(row_e164, "")),
        row_extensions,
        row_extension,
    )
    columns = {
        "phone_e164": to_series(row_e164, raw.index),
        "phone_extension": to_series(row_extension, raw.index),
        "phone_valid": pd.Series(valid[rows], index=raw.index),
        "phone_missing": pd.Series(missing[rows], index=raw.index),
    }
    return pd.DataFrame(columns, index=raw.index)


@lru_cache(maxsize=_CACHE_SIZE)
def _e164_only(text: str, region: str) -> tuple[str]:
    if not text:
        return ("",)
    try:
        number = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        return ("",)
    return (phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),)


def phone_e164(raw: Any, region: str | None = None) -> str:
    """The E.164 form phonenumbers gives ``raw`` read in ``region`` ('' when it does not parse);
    no validity check: this is the form phones are matched on."""
    return _e164_only(_clean_phone(raw), _clean_region(region))[0]


def phones_e164(raw: pd.Series, region: pd.Series | str | None = None) -> pd.Series:
    """Vectorised :func:`phone_e164` (same index); each distinct pair read once, plain
    numbers in bulk (see :func:`normalize_phones`)."""
    raw = _as_series(raw)
    if len(raw) == 0:
        return pd.Series([], index=raw.index, dtype="str", name=raw.name)
    rows, texts, regions = _phone_pairs(raw, region)
    fast = parse_plain_phones_text(texts, regions)
    e164 = fast.e164
    others = np.flatnonzero(~fast.handled)
    if len(others):
        pairs = zip(texts.take(others).to_pylist(), regions[others], strict=True)
        slow = [_e164_only(text, region)[0] for text, region in pairs]
        e164 = pc.replace_with_mask(e164, pa.array(~fast.handled), pa.array(slow, e164.type))
    row_e164 = e164.take(pa.array(rows))
    return to_series(row_e164, raw.index).rename(raw.name)


def _ascii_digits(text: str) -> str:
    return "".join(ch for ch in text if "0" <= ch <= "9")


def bc_phone_matches(shopify_phone: Any, erp_phone: Any) -> bool:
    """Business Central's phone match (compatibility mode).

    BC keeps the Shopify phone's digits, drops leading zeros and builds the filter
    ``*d1*d2*...*dn`` on the ERP phone: the digits must appear in that order in the ERP phone
    (anything may sit between them) and the ERP phone must end with ``dn``.  Both sides are
    trimmed first.  No digits left -> no match.  ``+1 234 56789`` matches ``123456789``;
    ``+31612345678`` does not match ``0612345678``.
    """
    digits = _ascii_digits(_text(shopify_phone)).lstrip("0")
    erp = _text(erp_phone).strip()
    if not digits or not erp.endswith(digits[-1]):
        return False
    position = 0
    body = erp[:-1]
    for digit in digits[:-1]:
        position = body.find(digit, position)
        if position < 0:
            return False
        position += 1
    return True


def bc_phone_match_mask(shopify_phone: Any, erp_phones: pd.Series) -> pd.Series:
    """Vectorised :func:`bc_phone_matches` of one Shopify phone against many ERP phones."""
    erp_phones = _as_series(erp_phones)
    (out,) = _map_unique(
        [erp_phones.to_numpy(dtype=object)],
        lambda erp: (bc_phone_matches(shopify_phone, erp),),
        1,
    )
    return pd.Series(out, index=erp_phones.index, dtype=bool, name=erp_phones.name)


def bc_phone_match_pairs(
    shopify_phones: pd.Series, erp_phones: pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    """Every (Shopify position, ERP position) for which :func:`bc_phone_matches` holds, in no
    particular order, without comparing every pair.

    Each side is reduced to a digit key, once per distinct key: the Shopify digits without
    leading zeros (S), and the ERP phone's digits before its last character followed by that
    character when it is a digit (E). S matches E when both end in the same digit and the
    rest of S appears in order in the rest of E. For each pair of key lengths, the cheaper of
    two exact ways is taken: every way of keeping len(S) of E's digits (its last one kept) is
    looked up among the S keys, or, where that makes more forms than there are S keys, each
    S key is walked through each E key in numpy (see :func:`_bc_subsequence_pairs`).
    """
    shop_keys = pc.utf8_ltrim(_bc_digits(_bc_texts(shopify_phones)), "0")
    erp_keys = _bc_erp_keys(_bc_texts(erp_phones))
    shop_rows, shop_distinct = _key_groups(shop_keys)
    erp_rows, erp_distinct = _key_groups(erp_keys)
    found_shop, found_erp = [], []
    shop_lengths = _byte_lengths(shop_distinct)
    erp_lengths = _byte_lengths(erp_distinct)
    for n in np.unique(shop_lengths[shop_lengths > 0]):
        shops = np.flatnonzero(shop_lengths == n)
        shop_digits = _digit_matrix(shop_distinct, shops, int(n))
        for m in np.unique(erp_lengths[erp_lengths >= n]):
            erps = np.flatnonzero(erp_lengths == m)
            erp_digits = _digit_matrix(erp_distinct, erps, int(m))
            if n <= _BC_MAX_DIGITS and math.comb(int(m) - 1, int(n) - 1) <= len(shops):
                s, e = _bc_kept_digit_pairs(shop_digits, erp_digits)
            else:
                s, e = _bc_subsequence_pairs(shop_digits, erp_digits)
            found_shop.append(shops[s])
            found_erp.append(erps[e])
    if not found_shop:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return _spread_pairs(np.concatenate(found_shop), np.concatenate(found_erp), shop_rows, erp_rows)


_BC_MAX_DIGITS = 18  # keys of up to 18 digits are coded as one int64
# What str.strip() removes from ASCII text (Arrow's own trim knows no \x1c-\x1f).
_PYTHON_ASCII_SPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


def _bc_texts(values: pd.Series) -> pa.Array:
    """Each value as :func:`_text` gives it, as one Arrow string array."""
    values = _as_series(values)
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        return pc.fill_null(to_arrow(values), "").cast(pa.string())
    return pa.array([_text(v) for v in values.to_numpy(dtype=object)], pa.string())


def _bc_digits(texts: pa.Array) -> pa.Array:
    """:func:`_ascii_digits` of each text ([^0-9] in RE2 is any other code point)."""
    return pc.replace_substring_regex(texts, "[^0-9]", "")


def _bc_erp_keys(texts: pa.Array) -> pa.Array:
    """Per ERP phone, trimmed as ``str.strip`` trims: the digits before its last character,
    then that character; "" when the phone does not end in a digit (it matches nothing)."""
    trimmed = pc.utf8_trim(texts, _PYTHON_ASCII_SPACE)
    others = np.flatnonzero(~_bools(pc.string_is_ascii(texts)))
    if len(others):  # Unicode spaces: Python's own strip
        stripped = [text.strip() for text in texts.take(pa.array(others)).to_pylist()]
        mask = np.zeros(len(texts), dtype=bool)
        mask[others] = True
        trimmed = pc.replace_with_mask(trimmed, pa.array(mask), pa.array(stripped, trimmed.type))
    last = pc.utf8_slice_codeunits(trimmed, -1)
    body = pc.utf8_slice_codeunits(trimmed, 0, -1)
    keys = pc.binary_join_element_wise(_bc_digits(body), last, "")
    ends_in_digit = pc.match_substring_regex(last, "^[0-9]$")
    return pc.if_else(ends_in_digit, keys, "")


def _byte_lengths(texts: pa.Array) -> np.ndarray:
    """The length of each text in bytes (in characters for the ASCII digit keys here)."""
    return np.asarray(pc.binary_length(texts).to_numpy(zero_copy_only=False), dtype=np.int64)


def _key_groups(keys: pa.Array) -> tuple[tuple[np.ndarray, np.ndarray], pa.Array]:
    """The distinct keys, and their rows: (rows sorted by key, where each key's rows start)."""
    encoded = keys.dictionary_encode()
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(len(encoded.dictionary) + 1))
    return (order, starts), encoded.dictionary


def _digit_matrix(keys: pa.Array, rows: np.ndarray, length: int) -> np.ndarray:
    """The digits of ``keys[rows]`` (ASCII digits, each ``length`` long) as a uint8 matrix."""
    chosen = keys.take(pa.array(rows, pa.int64()))
    if length == 0 or not len(rows):
        return np.zeros((len(rows), length), dtype=np.uint8)
    data = pc.binary_join(pa.ListArray.from_arrays([0, len(chosen)], chosen), "")
    flat = np.frombuffer(data[0].as_buffer(), dtype=np.uint8)
    return (flat.reshape(len(rows), length) - ord("0")).astype(np.uint8)


def _bc_kept_digit_pairs(shop: np.ndarray, erp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(shop row, ERP row) of the digit matrices where the shop key is the ERP key with
    some digits before its last one left out: every such form of every ERP key, coded as an
    integer, is looked up among the shop keys."""
    n, m = shop.shape[1], erp.shape[1]
    powers = 10 ** np.arange(n - 1, -1, -1, dtype=np.int64)
    wanted = pd.Index(shop.astype(np.int64) @ powers)
    found_shop, found_erp = [], []
    rows = np.arange(len(erp))
    for kept in itertools.combinations(range(m - 1), n - 1):
        forms = erp[:, [*kept, m - 1]].astype(np.int64) @ powers
        at = wanted.get_indexer(forms)
        hit = at >= 0
        found_shop.append(at[hit])
        found_erp.append(rows[hit])
    pairs = np.unique(np.stack([np.concatenate(found_shop), np.concatenate(found_erp)]), axis=1)
    return pairs[0], pairs[1]


def _bc_subsequence_pairs(
    shop: np.ndarray, erp: np.ndarray, block: int = 1 << 20
) -> tuple[np.ndarray, np.ndarray]:
    """(shop row, ERP row) of the digit matrices where the shop key without its last digit
    appears in order in the ERP key without its last one, and both last digits are equal:
    every pair with equal last digits is walked (greedy, through a table of each ERP key's
    next position of each digit), ``block`` pairs at a time."""
    n, m = shop.shape[1], erp.shape[1]
    none = m - 1  # no such digit before the last one
    following = np.full((len(erp), m + 1, 10), none, dtype=np.int16)
    for position in range(m - 2, -1, -1):
        following[:, position] = following[:, position + 1]
        following[np.arange(len(erp)), position, erp[:, position]] = position
    found_shop, found_erp = [], []
    for digit in range(10):
        shops = np.flatnonzero(shop[:, -1] == digit)
        erps = np.flatnonzero(erp[:, -1] == digit)
        total = len(shops) * len(erps)
        for start in range(0, total, block):
            pair = np.arange(start, min(start + block, total))
            s, e = shops[pair // len(erps)], erps[pair % len(erps)]
            position = np.zeros(len(pair), dtype=np.int64)
            for j in range(n - 1):
                at = following[e, position, shop[s, j]]
                position = np.where(at == none, m, at + 1)
            hit = position < m
            found_shop.append(s[hit])
            found_erp.append(e[hit])
    if not found_shop:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(found_shop), np.concatenate(found_erp)


def _spread_pairs(
    shop: np.ndarray,
    erp: np.ndarray,
    shop_rows: tuple[np.ndarray, np.ndarray],
    erp_rows: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of distinct keys as pairs of rows: every row of the one with every row of the
    other."""
    (shop_order, shop_starts), (erp_order, erp_starts) = shop_rows, erp_rows
    shop_count = shop_starts[shop + 1] - shop_starts[shop]
    erp_count = erp_starts[erp + 1] - erp_starts[erp]
    size = shop_count * erp_count
    pair = np.repeat(np.arange(len(shop)), size)
    within = np.arange(len(pair)) - np.repeat(np.cumsum(size) - size, size)
    shop_at = shop_order[shop_starts[shop[pair]] + within // erp_count[pair]]
    erp_at = erp_order[erp_starts[erp[pair]] + within % erp_count[pair]]
    return shop_at, erp_at


# --------------------------------------------------------------------------------------------
# country


def _code(value: Any) -> str:
    return _text(value).strip().upper()


def _country_table(countries: Mapping[str, str | None]) -> dict[str, str]:
    return {_code(code): _code(iso) for code, iso in countries.items()}


def countries_to_iso(
    codes: pd.Series, countries: Mapping[str, str | None], company_country: str
) -> pd.DataFrame:
    """ERP country codes -> ISO alpha-2: columns ``iso_code, country_reason`` (same index).

    ``countries`` maps each ERP country code to its ISO code (None or "" when it has none).
    A blank code stands for ``company_country`` (an ERP code).  Codes are compared trimmed and
    upper-cased.  ``country_reason`` is ``COUNTRY_NO_ISO`` (known country without ISO code),
    ``COUNTRY_UNKNOWN`` (code not in the table; also a blank code when the company country is
    blank or unknown), or "".
    """
    codes = _as_series(codes)
    table = _country_table(countries)
    company = _code(company_country)

    def resolve(value: Any) -> tuple[str, str]:
        code = _code(value) or company
        if code not in table:
            return "", COUNTRY_UNKNOWN
        iso = table[code]
        return (iso, "") if iso else ("", COUNTRY_NO_ISO)

    rows, distinct = distinct_rows([codes])  # a few distinct codes in a million rows
    iso, reason = _map_unique([distinct[0].to_numpy(dtype=object)], resolve, 2)
    found = _frame(distinct.index, {"iso_code": iso, "country_reason": reason}, ())
    return _spread_frame(found, rows, codes.index)


def iso_to_erp_country(iso: str, countries: Mapping[str, str | None]) -> str | None:
    """The ERP country code whose ISO code is ``iso`` (e.g. ``GR`` -> ``EL``), or None.

    When several ERP codes carry that ISO code, the one equal to it wins, else the smallest.
    The code is returned as spelled in ``countries``.
    """
    wanted = _code(iso)
    if not wanted:
        return None
    matches = sorted(code for code, value in countries.items() if _code(value) == wanted)
    if not matches:
        return None
    for code in matches:
        if _code(code) == wanted:
            return code
    return matches[0]


# --------------------------------------------------------------------------------------------
# province


class Province(NamedTuple):
    """A Shopify province: its code (as Shopify spells it) and name."""

    code: str
    name: str


def province_key(value: Any) -> str:
    """Matching key: NFKD, combining marks dropped, case-folded, only letters and digits kept.

    ``"Bogotá, D.C."`` -> ``"bogotadc"``; ``"Q ROO"`` -> ``"qroo"``; ``"東京都"`` unchanged.
    """
    decomposed = unicodedata.normalize("NFKD", _text(value)).casefold()
    return "".join(ch for ch in decomposed if ch.isalnum() and unicodedata.category(ch) != "Mn")


def _casefold(value: Any) -> str:
    return " ".join(_text(value).split()).casefold()


def _split_list(value: Any) -> list[str]:
    return [part.strip() for part in _text(value).split(";") if part.strip()]


_AMBIGUOUS = ""  # marker in the key indexes: several provinces share the key


def _merge_tiers(tiers: list[dict[str, set[str]]]) -> dict[str, str]:
    """Earlier tiers win; a key naming several provinces in its tier is ambiguous."""
    merged: dict[str, str] = {}
    for tier in tiers:
        for key, codes in tier.items():
            if key and key not in merged:
                merged[key] = next(iter(codes)) if len(codes) == 1 else _AMBIGUOUS
    return merged


class _Country:
    """The province indexes of one country (built once, read-only afterwards)."""

    def __init__(self) -> None:
        self.provinces: dict[str, Province] = {}  # Shopify code -> province
        self.names: dict[str, list[str]] = {}  # code -> [primary name, other names...]
        self.iso: dict[str, list[str]] = {}
        self.alt_codes: dict[str, list[str]] = {}
        self.alt_names: dict[str, list[str]] = {}

    def add(self, code: str, name: str) -> None:
        if code in self.provinces:
            old = self.provinces[code].name
            if name and name != old:
                self.provinces[code] = Province(code, name)
                self.names[code].insert(0, name)
            return
        self.provinces[code] = Province(code, name)
        self.names[code] = [name] if name else []
        self.iso[code] = []
        self.alt_codes[code] = []
        self.alt_names[code] = []

    def freeze(self, country: str) -> None:
        def tier(pairs: Iterable[tuple[str, str]], key: Callable[[Any], str]) -> dict:
            index: dict[str, set[str]] = {}
            for code, value in pairs:
                index.setdefault(key(value), set()).add(code)
            return index

        codes = [(code, code) for code in self.provinces]
        iso_forms = []
        for code in self.provinces:
            for iso in self.iso[code]:
                iso_forms += [(code, iso), (code, iso.split("-", 1)[-1])]
            for alias in [code, *self.alt_codes[code]]:
                iso_forms.append((code, f"{country}-{alias}"))
        alt_codes = [(code, alt) for code in self.provinces for alt in self.alt_codes[code]]
        names = [(code, name) for code in self.provinces for name in self.names[code]]
        alt_names = [(code, name) for code in self.provinces for name in self.alt_names[code]]

        self.any_index = _merge_tiers(
            [
                tier(codes, province_key),
                tier(iso_forms, province_key),
                tier(alt_codes, province_key),
                tier(names, province_key),
                tier(alt_names, province_key),
            ]
        )
        self.code_index = _merge_tiers([tier(codes, _casefold)])
        self.name_index = _merge_tiers([tier(names, _casefold), tier(alt_names, _casefold)])
        self.prefix_list = sorted(
            {(_casefold(name), code) for code, name in names if _casefold(name)}
        )

    def get(self, code: str | None) -> Province | None:
        return self.provinces[code] if code else None


class ProvinceTable:
    """Shopify's provinces per ISO country, with lookups by code, name, ISO code or alternate.

    Built from a DataFrame with the columns of ``data/reference/provinces.csv``
    (``country_code, province_code, province_name, iso_3166_2, name_alternates,
    code_alternates``; alternates ``;``-separated) and optionally a tax-area DataFrame
    (``country`` ISO code, ``province`` name, ``province_code``): a tax-area row adds a province,
    or renames the province with the same code (the reference name stays an accepted name).
    Tax-area rows without ``province_code`` are ignored.
    """

    def __init__(self, provinces: pd.DataFrame, tax_areas: pd.DataFrame | None = None):
        countries: dict[str, _Country] = {}
        for row in provinces.to_dict("records"):
            country, code = _code(row.get("country_code")), _text(row.get("province_code")).strip()
            if not country or not code:
                continue
            entry = countries.setdefault(country, _Country())
            entry.add(code, _text(row.get("province_name")).strip())
            iso = _text(row.get("iso_3166_2")).strip()
            if iso:
                entry.iso[code].append(iso)
            entry.alt_codes[code] += _split_list(row.get("code_alternates"))
            entry.alt_names[code] += _split_list(row.get("name_alternates"))
        if tax_areas is not None:
            for row in tax_areas.to_dict("records"):
                country = _code(row.get("country"))
                code = _text(row.get("province_code")).strip()
                if not country or not code:
                    continue
                entry = countries.setdefault(country, _Country())
                known = {c.casefold(): c for c in entry.provinces}
                entry.add(known.get(code.casefold(), code), _text(row.get("province")).strip())
        for country, entry in countries.items():
            entry.freeze(country)
        self._countries = countries

    def __repr__(self) -> str:
        total = sum(len(c.provinces) for c in self._countries.values())
        return f"ProvinceTable({len(self._countries)} countries, {total} provinces)"

    def _country(self, iso_country: Any) -> _Country | None:
        return self._countries.get(_code(iso_country))

    def country_has_provinces(self, iso: str) -> bool:
        """True when the table knows at least one province for this ISO country."""
        entry = self._country(iso)
        return entry is not None and bool(entry.provinces)

    def provinces(self, iso: str) -> list[Province]:
        """The provinces of one ISO country, in table order ([] if none)."""
        entry = self._country(iso)
        return list(entry.provinces.values()) if entry else []

    def lookup(self, iso_country: str, value: str) -> Province | None:
        """Resolve anything a user may have typed: Shopify code, name, ISO 3166-2 code (with or
        without country prefix), alternate code or alternate name; accent-, case-, space- and
        punctuation-insensitive.  Codes win over names; an ambiguous value resolves to None."""
        entry = self._country(iso_country)
        key = province_key(value)
        if entry is None or not key:
            return None
        return entry.get(entry.any_index.get(key))

    def by_code(self, iso: str, code: str) -> Province | None:
        """Exact Shopify province code (trimmed, case-insensitive); alternates not accepted."""
        entry = self._country(iso)
        if entry is None:
            return None
        return entry.get(entry.code_index.get(_casefold(code)))

    def by_name(self, iso: str, name: str, prefix: bool = False) -> Province | None:
        """Exact name (trimmed, case-insensitive, accent-sensitive; the table name, then the
        alternate names), then, if ``prefix``, the only province whose name starts with it
        (BC's export rule for ``county_source = name``)."""
        entry = self._country(iso)
        wanted = _casefold(name)
        if entry is None or not wanted:
            return None
        if wanted in entry.name_index:
            return entry.get(entry.name_index[wanted])
        if not prefix:
            return None
        hits = {code for folded, code in entry.prefix_list if folded.startswith(wanted)}
        return entry.get(hits.pop()) if len(hits) == 1 else None

    def resolve_provinces(
        self,
        iso: pd.Series | str,
        values: pd.Series,
        mode: Literal["any", "code", "name"] = "any",
        *,
        prefix: bool = True,
    ) -> pd.DataFrame:
        """Vectorised lookups: columns ``province_code, province_name, province_found`` on the
        index of ``values``.  ``mode``: ``any`` -> :meth:`lookup`, ``code`` -> :meth:`by_code`,
        ``name`` -> :meth:`by_name` with ``prefix``.  Not found (or blank) -> "", "", False."""
        finders: dict[str, Callable[[Any, Any], Province | None]] = {
            "any": self.lookup,
            "code": self.by_code,
            "name": lambda country, value: self.by_name(country, value, prefix=prefix),
        }
        if mode not in finders:
            raise UserInputError(f"province mode must be one of any, code, name; got {mode!r}")
        find = finders[mode]
        values = _as_series(values)
        if isinstance(iso, pd.Series):  # each distinct (country, value) pair is looked up once
            countries_in = iso if iso.index.equals(values.index) else iso.reindex(values.index)
            rows, distinct = distinct_rows([countries_in, values])
            countries = distinct[0].to_numpy(dtype=object)
            given = distinct[1].to_numpy(dtype=object)
        else:
            rows, distinct = distinct_rows([values])
            countries = np.full(len(distinct), iso, dtype=object)
            given = distinct[0].to_numpy(dtype=object)

        def resolve(country: Hashable, value: Hashable) -> tuple[str, str, bool]:
            found = find(country, value)
            return (found.code, found.name, True) if found else ("", "", False)

        out = _map_unique([countries, given], resolve, 3)
        names = ["province_code", "province_name", "province_found"]
        found = _frame(distinct.index, dict(zip(names, out, strict=True)), names[2:])
        return _spread_frame(found, rows, values.index)
