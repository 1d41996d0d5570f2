"""Bulk E.164 form and validity of plain phone numbers, from phonenumbers' own metadata."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, SUPPORTED_REGIONS, PhoneMetadata

__all__ = [
    "MAX_FAST_LENGTH",
    "FastPhones",
    "FastPhonesText",
    "parse_plain_phones",
    "parse_plain_phones_text",
]

#: Longer text is left to phonenumbers (it refuses more than 250 characters anyway).
MAX_FAST_LENGTH = 40

# phonenumbers' own bounds (phonenumberutil._MIN_LENGTH_FOR_NSN, ...).
_MIN_NSN = 2
_MAX_NSN = 17
_MAX_CC = 3
_NON_GEO = "001"

# _test_number_length's results.
_POSSIBLE, _LOCAL_ONLY, _TOO_SHORT, _TOO_LONG, _INVALID_LENGTH = range(5)
_LENGTH_TABLE = MAX_FAST_LENGTH + 2

# The number-type descriptions _number_type_helper tries (a number is valid when one matches),
# the most common first; mobile only when its pattern differs from the fixed-line one.
_TYPES = (
    "fixed_line",
    "mobile",
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)

_PLAIN = r"^\+?[0-9]+$"
_REWRITE = re.compile(r"(?:[0-9]|\\[1-9])*")


class FastPhones(NamedTuple):
    """What :func:`parse_plain_phones` found, one entry per input.

    ``e164`` is ``format_number(parse(text, region), E164)`` ("" when parse raises) and
    ``valid`` is ``is_valid_number`` of that number; both are meaningful only where ``handled``
    is True: the other inputs are outside the fast path and must go to phonenumbers.
    """

    e164: np.ndarray
    valid: np.ndarray
    handled: np.ndarray


class FastPhonesText(NamedTuple):
    """:class:`FastPhones` with ``e164`` as one Arrow ``string`` array (no Python string per
    number: the callers keep the numbers in Arrow)."""

    e164: pa.Array
    valid: np.ndarray
    handled: np.ndarray


class _Desc(NamedTuple):
    """A PhoneNumberDesc: its possible lengths (None: not checked) and fullmatch pattern."""

    lengths: np.ndarray | None  # allowed[length], lengths clipped to _LENGTH_TABLE - 1
    pattern: str


@dataclass(frozen=True)
class _Metadata:
    """One PhoneMetadata, compiled for the vectorised path (RE2-checked, anchored)."""

    country_code: int
    idd: str | None  # prefix pattern of the international prefix, None: never matches
    national_prefix: str | None  # prefix pattern of national_prefix_for_parsing
    transform: str | None  # national_prefix_transform_rule as an RE2 rewrite
    transform_group: int  # the group whose participation selects the transform
    general: str | None  # fullmatch pattern of general_desc (None: matches nothing)
    general_desc: _Desc | None
    length_status: np.ndarray  # _test_number_length (unknown type) by length
    types: tuple[_Desc, ...]
    leading_digits: str | None  # prefix pattern


# --------------------------------------------------------------------------------------------
# building the tables from phonenumbers' metadata


def _re2_compiles(pattern: str) -> bool:
    try:
        pc.match_substring_regex(pa.array([""], pa.string()), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _full(pattern: str) -> str:
    return f"^(?:{pattern})$"


def _prefix(pattern: str) -> str:
    return f"^(?:{pattern})"


def _group_bodies(pattern: str) -> list[str] | None:
    """The bodies of the capturing groups, in opening order; None for syntax this scanner
    does not know (anything but ``(``, ``(?:``, escapes and character classes)."""
    starts: list[int] = []
    bodies: dict[int, str] = {}
    stack: list[int | None] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            i += 2
        elif ch == "[":
            i += 1
            if i < n and pattern[i] == "^":
                i += 1
            if i < n and pattern[i] == "]":
                i += 1
            while i < n and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
            i += 1
        elif ch == "(":
            if pattern.startswith("(?:", i):
                stack.append(None)
                i += 3
            elif pattern.startswith("(?", i):
                return None
            else:
                starts.append(i + 1)
                stack.append(len(starts) - 1)
                i += 1
        elif ch == ")":
            if not stack:
                return None
            group = stack.pop()
            if group is not None:
                bodies[group] = pattern[starts[group] : i]
            i += 1
        else:
            i += 1
    if stack or len(bodies) != len(starts):
        return None
    return [bodies[k] for k in range(len(starts))]


def _desc(desc: object) -> _Desc | None:
    """A PhoneNumberDesc as _is_number_matching_desc reads it; None: never matches."""
    pattern = getattr(desc, "national_number_pattern", None)
    if desc is None or not pattern:
        return None
    lengths = tuple(desc.possible_length or ())
    if not lengths:
        return _Desc(None, _full(pattern))
    allowed = np.zeros(_LENGTH_TABLE, dtype=bool)
    # (-1 stands for "no number of this type": never allowed)
    allowed[[length for length in lengths if 0 <= length < _LENGTH_TABLE - 1]] = True
    return _Desc(allowed, _full(pattern))


def _length_status(general: object) -> np.ndarray | None:
    """_test_number_length(number, metadata) for every length 0.._LENGTH_TABLE-1."""
    possible = tuple(general.possible_length or ())
    local = tuple(general.possible_length_local_only or ())
    if not possible:
        return None
    table = np.empty(_LENGTH_TABLE, dtype=np.int8)
    for length in range(_LENGTH_TABLE):
        if length in local:
            status = _LOCAL_ONLY
        elif possible[0] == length:
            status = _POSSIBLE
        elif possible[0] > length:
            status = _TOO_SHORT
        elif possible[-1] < length:
            status = _TOO_LONG
        elif length in possible[1:]:
            status = _POSSIBLE
        else:
            status = _INVALID_LENGTH
        table[length] = status
    return table


@cache
def _metadata(version: str, region: str, country_code: int = 0) -> _Metadata | None:
    """The compiled metadata of ``region`` (of ``country_code`` for the non-geographic
    region 001), once per process and phonenumbers version; None when the fast path cannot
    reproduce it (phonenumbers then answers for every number it governs)."""
    del version  # the cache key: tables follow the installed phonenumbers
    if region == _NON_GEO:
        meta = PhoneMetadata.metadata_for_nongeo_region(country_code, None)
    else:
        meta = PhoneMetadata.metadata_for_region(region, None)
    if meta is None or meta.general_desc is None:
        return None
    length_status = _length_status(meta.general_desc)
    if length_status is None:
        return None
    transform, group = None, 0
    npfp = meta.national_prefix_for_parsing or None
    if npfp and meta.national_prefix_transform_rule:
        bodies = _group_bodies(npfp)
        rule = meta.national_prefix_transform_rule
        if (
            not bodies
            or len(bodies) != re.compile(npfp).groups
            # a group that can match "" cannot tell "took part" from "captured nothing"
            or re.fullmatch(bodies[-1], "") is not None
            or not _REWRITE.fullmatch(rule)
            or any(int(k) > len(bodies) for k in re.findall(r"\\([1-9])", rule))
        ):
            return None
        transform, group = rule, len(bodies)
    idd = meta.international_prefix
    if idd is not None and re.match(idd, ""):
        return None  # an empty IDD match would need the digit-after check on ""
    general = _desc(meta.general_desc)
    names = [n for n in _TYPES if n != "mobile" or not meta.same_mobile_and_fixed_line_pattern]
    types = [_desc(getattr(meta, name)) for name in names]
    compiled = _Metadata(
        country_code=meta.country_code,
        idd=_prefix(idd) if idd is not None else None,
        national_prefix=_prefix(npfp) if npfp else None,
        transform=transform,
        transform_group=group,
        general=general.pattern if general else None,
        general_desc=general,
        length_status=length_status,
        types=tuple(desc for desc in types if desc is not None),
        leading_digits=_prefix(meta.leading_digits) if meta.leading_digits is not None else None,
    )
    patterns = [compiled.idd, compiled.national_prefix, compiled.general, compiled.leading_digits]
    patterns += [desc.pattern for desc in compiled.types]
    if not all(_re2_compiles(p) for p in patterns if p is not None):
        return None
    return compiled


@cache
def _country_codes(version: str) -> pa.Array:
    del version
    return pa.array(sorted(str(code) for code in COUNTRY_CODE_TO_REGION_CODE), pa.string())


# --------------------------------------------------------------------------------------------
# vectorised pieces


def _np(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False))


def _lengths(numbers: pa.Array) -> np.ndarray:
    return _np(pc.binary_length(numbers)).astype(np.int64)


def _mask(array: pa.Array) -> np.ndarray:
    if array.null_count:
        array = pc.fill_null(array, False)
    return _np(array).astype(bool)


def _matches(numbers: pa.Array, pattern: str | None) -> np.ndarray:
    if pattern is None:
        return np.zeros(len(numbers), dtype=bool)
    return _mask(pc.match_substring_regex(numbers, pattern))


def _replace(numbers: pa.Array, pattern: str, rewrite: str) -> pa.Array:
    return pc.replace_substring_regex(numbers, pattern, rewrite, max_replacements=1)


def _where(mask: np.ndarray, left: pa.Array, right: pa.Array) -> pa.Array:
    return pc.if_else(pa.array(mask, pa.bool_()), left, right)


def _filter(numbers: pa.Array, mask: np.ndarray) -> pa.Array:
    return numbers.filter(pa.array(mask, pa.bool_()))


def _status(meta: _Metadata, lengths: np.ndarray) -> np.ndarray:
    return meta.length_status[np.minimum(lengths, _LENGTH_TABLE - 1)]


def _groups(keys: np.ndarray) -> Iterator[tuple[object, np.ndarray]]:
    """(key, positions) for each distinct key, in order of first appearance."""
    if len(keys) == 0:
        return
    # the array itself: integer keys hash as integers, and object keys skip a Series' NA scan
    codes, uniques = pd.factorize(keys, use_na_sentinel=False)
    if len(uniques) <= np.iinfo(np.int16).max:
        codes = codes.astype(np.int16)  # numpy's stable sort of 16-bit keys is a radix sort
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    for k, key in enumerate(uniques):
        yield key, order[bounds[k] : bounds[k + 1]]


def _matching_desc(numbers: pa.Array, lengths: np.ndarray, desc: _Desc | None) -> np.ndarray:
    """_is_number_matching_desc, vectorised."""
    if desc is None:
        return np.zeros(len(numbers), dtype=bool)
    if desc.lengths is None:
        return _matches(numbers, desc.pattern)
    out = desc.lengths[np.minimum(lengths, _LENGTH_TABLE - 1)]
    if out.all():
        return _matches(numbers, desc.pattern)
    if out.any():
        out[out] = _matches(_filter(numbers, out), desc.pattern)
    return out


def _valid_for(numbers: pa.Array, meta: _Metadata) -> np.ndarray:
    """_number_type_helper(nsn, meta) != UNKNOWN, vectorised."""
    lengths = _lengths(numbers)
    todo = _matching_desc(numbers, lengths, meta.general_desc)
    found = np.zeros(len(numbers), dtype=bool)
    for desc in meta.types:
        positions = np.flatnonzero(todo)
        if len(positions) == 0:
            break
        hits = positions[_matching_desc(numbers.take(positions), lengths[positions], desc)]
        found[hits] = True
        todo[hits] = False
    return found


def _valid(version: str, country_code: int, nsn: pa.Array) -> np.ndarray | None:
    """is_valid_number for numbers of ``country_code`` (region chosen as
    _region_code_for_number_from_list does); None when some region is not compiled."""
    regions = COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    metas = []
    for region in regions:
        meta = _metadata(version, region, country_code if region == _NON_GEO else 0)
        if meta is None:
            return None
        metas.append(meta)
    if len(metas) == 1:
        return _valid_for(nsn, metas[0])
    valid = np.zeros(len(nsn), dtype=bool)
    pending = np.ones(len(nsn), dtype=bool)
    for meta in metas:
        positions = np.flatnonzero(pending)
        if len(positions) == 0:
            break
        numbers = nsn.take(positions)
        if meta.leading_digits is not None:
            hits = _matches(numbers, meta.leading_digits)
            chosen = positions[hits]
            valid[chosen] = _valid_for(_filter(numbers, hits), meta)
        else:
            hits = _valid_for(numbers, meta)
            chosen = positions[hits]
            valid[chosen] = True
        pending[chosen] = False
    return valid


def _strip_national_prefix(numbers: pa.Array, meta: _Metadata) -> pa.Array:
    """_maybe_strip_national_prefix_carrier_code(number, meta)[1], vectorised.

    A match of length 0 leaves the number as it is whatever the branch (a transform needs its
    last group, which never matches ""), so only longer matches are looked at."""
    if meta.national_prefix is None or len(numbers) == 0:
        return numbers
    # the rewrite only where the prefix matches at all (a match test is the cheaper pass)
    where = np.flatnonzero(_matches(numbers, meta.national_prefix))
    group = numbers.take(where)
    rest = _replace(group, meta.national_prefix, "")
    matched = _lengths(rest) < _lengths(group)
    if not matched.any():
        return numbers
    where, group, candidate = where[matched], _filter(group, matched), _filter(rest, matched)
    if meta.transform is not None:
        with_group = _replace(group, meta.national_prefix, f"\\{meta.transform_group}")
        took_part = _lengths(with_group) > _lengths(candidate)
        if took_part.any():
            transformed = _replace(group, meta.national_prefix, meta.transform)
            candidate = _where(took_part, transformed, candidate)
    keep = _matches(group, meta.general) & ~_matches(candidate, meta.general)
    strip = np.zeros(len(numbers), dtype=bool)
    strip[where[~keep]] = True
    if not strip.any():
        return numbers
    stripped = pc.replace_with_mask(numbers, pa.array(strip), _filter(candidate, ~keep))
    return stripped


def _metadata_key(region: str, country_code: int) -> str:
    return f"{_NON_GEO}+{country_code}" if region == _NON_GEO else region


def _main_key(country_code: int) -> str:
    """The metadata parse() switches to once it has read ``country_code`` (its main region)."""
    regions = COUNTRY_CODE_TO_REGION_CODE.get(country_code) or ("",)
    return _metadata_key(regions[0], country_code)


def _metadata_by_key(version: str, key: str) -> _Metadata | None:
    if key.startswith(_NON_GEO + "+"):
        return _metadata(version, _NON_GEO, int(key[len(_NON_GEO) + 1 :]))
    return _metadata(version, key) if key else None


class _Work:
    """The result arrays, and the numbers whose country code is read, awaiting parse()'s end
    (national prefix, length bounds) and the validity check, done once per metadata."""

    def __init__(self, n: int) -> None:
        self._e164: list[tuple[np.ndarray, pa.Array]] = []  # (positions, their E.164 forms)
        self.valid = np.zeros(n, dtype=bool)
        self.handled = np.zeros(n, dtype=bool)
        self._pending: list[tuple[np.ndarray, pa.Array, np.ndarray, np.ndarray]] = []

    def fail(self, positions: np.ndarray) -> None:
        """phonenumbers raises NumberParseException for these: no E.164, invalid."""
        self.handled[positions] = True

    def defer(
        self, positions: np.ndarray, numbers: pa.Array, codes: np.ndarray, keys: np.ndarray
    ) -> None:
        """Numbers of country ``codes`` to be finished with the metadata named by ``keys``."""
        if len(positions):
            self._pending.append((positions, numbers, codes, keys))

    def defer_main(self, positions: np.ndarray, numbers: pa.Array, codes: np.ndarray) -> None:
        """As :meth:`defer`, with each country code's main metadata."""
        unique, inverse = np.unique(codes, return_inverse=True)
        keys = np.array([_main_key(int(code)) for code in unique], dtype=object)[inverse]
        self.defer(positions, numbers, codes, keys)

    def finish(self, version: str) -> None:
        if not self._pending:
            return
        positions = np.concatenate([part[0] for part in self._pending])
        numbers = pa.concat_arrays([part[1] for part in self._pending])
        codes = np.concatenate([part[2] for part in self._pending])
        keys = np.concatenate([part[3] for part in self._pending])
        self._pending = []
        done: list[tuple[np.ndarray, pa.Array, np.ndarray]] = []
        for key, where in _groups(keys):
            meta = _metadata_by_key(version, str(key))
            if meta is None:
                continue
            group = numbers.take(where)
            stripped = _strip_national_prefix(group, meta)
            status = _status(meta, _lengths(stripped))
            nsn = _where((status == _POSSIBLE) | (status == _TOO_LONG), stripped, group)
            nsn_lengths = _lengths(nsn)
            ok = (_lengths(group) >= _MIN_NSN) & (nsn_lengths >= _MIN_NSN)
            ok &= nsn_lengths <= _MAX_NSN
            self.fail(positions[where[~ok]])
            done.append((positions[where[ok]], _filter(nsn, ok), codes[where[ok]]))
        if not done:
            return
        positions = np.concatenate([part[0] for part in done])
        nsn = pa.concat_arrays([part[1] for part in done])
        codes = np.concatenate([part[2] for part in done])
        for code, where in _groups(codes):
            group = nsn.take(where)
            valid = _valid(version, int(code), group)
            if valid is None:
                self.handled[positions[where]] = False
                continue
            chosen = positions[where]
            self._e164.append((chosen, pc.binary_join_element_wise(f"+{code}", group, "")))
            self.valid[chosen] = valid
            self.handled[chosen] = True

    def e164(self) -> pa.Array:
        """The E.164 form of every input, "" where none was found, by one take."""
        n = len(self.valid)
        forms = pa.concat_arrays([part[1] for part in self._e164] + [pa.array([""], pa.string())])
        at = np.full(n, len(forms) - 1, dtype=np.int64)  # the "" behind the forms
        start = 0
        for positions, found in self._e164:
            at[positions] = np.arange(start, start + len(found))
            start += len(found)
        return forms.take(pa.array(at))


def _split_country_code(version: str, numbers: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """_extract_country_code on numbers that do not start with 0: (code or 0, the rest)."""
    codes = np.zeros(len(numbers), dtype=np.int64)
    rest = numbers
    lengths = _lengths(numbers)
    known = _country_codes(version)
    for size in range(1, _MAX_CC + 1):
        head = pc.utf8_slice_codeunits(numbers, 0, size)
        hit = (codes == 0) & (lengths >= size) & _mask(pc.is_in(head, value_set=known))
        if hit.any():
            codes[hit] = _np(pc.cast(_filter(head, hit), pa.int64()))
            rest = _where(hit, pc.utf8_slice_codeunits(numbers, size), rest)
    return codes, rest


def _plus_forms(work: _Work, version: str, positions: np.ndarray, texts: pa.Array) -> None:
    """``+`` and digits: the country code follows; the default region plays no part unless
    the code is unknown (that retry is left to phonenumbers)."""
    digits = pc.utf8_slice_codeunits(texts, 1)
    lengths = _lengths(digits)
    work.fail(positions[lengths < 3])  # not a viable number: "+" then fewer than 3 digits
    keep = (lengths >= 3) & ~_mask(pc.starts_with(digits, "0"))
    positions, digits = positions[keep], _filter(digits, keep)
    codes, rest = _split_country_code(version, digits)
    found = codes != 0
    work.defer_main(positions[found], _filter(rest, found), codes[found])


def _national_forms(
    work: _Work, version: str, region: str, positions: np.ndarray, texts: pa.Array
) -> None:
    """Digits only, read in ``region``: international prefix, the region's country code
    written without ``+``, else a national number of the region."""
    if region not in SUPPORTED_REGIONS:
        work.fail(positions)  # "Missing or invalid default region."
        return
    meta = _metadata(version, region)
    if meta is None:
        return
    lengths = _lengths(texts)
    work.fail(positions[lengths < _MIN_NSN])  # not a viable number
    keep = lengths >= _MIN_NSN
    positions, texts = positions[keep], _filter(texts, keep)
    if meta.idd is not None:
        # an IDD never matches "" (checked), so a match is a strip; few numbers have one,
        # so the match test runs on all and the rewrite on those only
        where = np.flatnonzero(_matches(texts, meta.idd))
        after = _replace(texts.take(where), meta.idd, "")
        digit_follows = ~_mask(pc.starts_with(after, "0"))
        stripped = np.zeros(len(texts), dtype=bool)
        stripped[where[digit_follows]] = True
        if stripped.any():
            where, after = where[digit_follows], _filter(after, digit_follows)
            short = _lengths(after) <= _MIN_NSN  # "Phone number had an IDD, but ..."
            work.fail(positions[where[short]])
            where, after = where[~short], _filter(after, ~short)
            codes, rest = _split_country_code(version, after)
            work.fail(positions[where[codes == 0]])  # no country code after the IDD
            found = codes != 0
            work.defer_main(positions[where[found]], _filter(rest, found), codes[found])
            positions, texts = positions[~stripped], _filter(texts, ~stripped)
    own = str(meta.country_code)
    with_code = np.zeros(len(texts), dtype=bool)
    starts = _mask(pc.starts_with(texts, own))
    if starts.any():
        where = np.flatnonzero(starts)
        full = texts.take(where)
        rest = _strip_national_prefix(pc.utf8_slice_codeunits(full, len(own)), meta)
        better = ~_matches(full, meta.general) & _matches(rest, meta.general)
        chosen = better | (_status(meta, _lengths(full)) == _TOO_LONG)
        with_code[where[chosen]] = True
        count = int(chosen.sum())
        work.defer_main(
            positions[where[chosen]],
            _filter(rest, chosen),
            np.full(count, meta.country_code, dtype=np.int64),
        )
    plain = ~with_code
    count = int(plain.sum())
    work.defer(
        positions[plain],
        _filter(texts, plain),
        np.full(count, meta.country_code, dtype=np.int64),
        np.full(count, region, dtype=object),
    )


# --------------------------------------------------------------------------------------------
# entry point


def parse_plain_phones(texts: Sequence[str] | pa.Array, regions: Sequence[str]) -> FastPhones:
    """phonenumbers' E.164 form and validity for each (text, region) pair, vectorised.

    ``texts`` are already cleaned (see ``normalize._clean_phone``); ``regions`` are the
    default regions as phonenumbers gets them ("" for none).  The fast path takes text of
    ASCII digits with an optional leading ``+``, at most :data:`MAX_FAST_LENGTH` characters,
    and answers exactly as ``phonenumbers.parse`` / ``format_number(..., E164)`` /
    ``is_valid_number`` do for it.  It leaves to the caller (``handled`` False): any other text,
    a ``+`` followed by an unknown country code or a 0 (phonenumbers then retries with the
    region), and numbers governed by metadata this module cannot compile for RE2.
    """
    found = parse_plain_phones_text(texts, regions)
    e164 = np.asarray(found.e164.to_numpy(zero_copy_only=False), dtype=object)
    return FastPhones(e164, found.valid, found.handled)


def parse_plain_phones_text(
    texts: Sequence[str] | pa.Array, regions: Sequence[str]
) -> FastPhonesText:
    """:func:`parse_plain_phones` with the E.164 forms as one Arrow array."""
    array = texts if isinstance(texts, pa.Array) else pa.array(list(texts), pa.string())
    if array.type != pa.string():
        array = pc.cast(array, pa.string())
    region_array = np.asarray(regions, dtype=object)
    work = _Work(len(array))
    if len(array) == 0:
        return FastPhonesText(work.e164(), work.valid, work.handled)
    version = phonenumbers.__version__
    lengths = _np(pc.fill_null(pc.binary_length(array), 0)).astype(np.int64)
    plain = _mask(pc.match_substring_regex(array, _PLAIN)) & (lengths <= MAX_FAST_LENGTH)
    plus = plain & _mask(pc.starts_with(array, "+"))
    positions = np.flatnonzero(plus)
    _plus_forms(work, version, positions, array.take(positions))
    national = np.flatnonzero(plain & ~plus)
    for region, where in _groups(region_array[national]):
        chosen = national[where]
        _national_forms(work, version, str(region or ""), chosen, array.take(chosen))
    work.finish(version)
    return FastPhonesText(work.e164(), work.valid, work.handled)
