"""The ERP field values an import writes from Shopify addresses (SPEC section 4), in Arrow."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from shopsync.arrow_text import TEXT, to_arrow, to_series
from shopsync.names import build_name_array
from shopsync.normalize import iso_to_erp_country, province_key
from shopsync.reasons import join_codes
from shopsync.rules_context import RulesContext
from shopsync.schema import ERP_COLUMNS, ERP_FIELD_LENGTHS

__all__ = [
    "ADDRESS_TEXT_COLUMNS",
    "ERP_VALUE_COLUMNS",
    "ErpValues",
    "erp_values",
    "sparse_text",
    "text_array",
]

# The ERP fields an import writes (SPEC section 4), prefixed ``erp_`` in the plan: all but the
# key and what only a template gives (posting groups other than VAT, payment terms).
_TEMPLATE_ONLY = ("no", "gen_bus_posting_group", "customer_posting_group", "payment_terms_code")
ERP_VALUE_COLUMNS = [column for column in ERP_COLUMNS if column not in _TEMPLATE_ONLY]

#: the address columns the values are made of
ADDRESS_TEXT_COLUMNS = (
    "first_name",
    "last_name",
    "company",
    "address1",
    "address2",
    "city",
    "zip",
    "country_code",
    "province_code",
    "province_name",
    "phone",
)

# The fields only an address supplies (a record without one has them blank).
_ADDRESS_FIELDS = ("address", "address_2", "city", "post_code", "county", "country_code")

# The frame's columns (erp_values_from_addresses), in its order.
_FRAME_TEXT = (
    "name",
    "name_2",
    "contact",
    "address",
    "address_2",
    "city",
    "post_code",
    "country_code",
    "county",
    "phone",
    "email",
    "tax_area_code",
)
_GIVEN = (
    "given_name",
    "given_phone",
    "given_email",
    "given_name_2",
    "given_tax_area_code",
    "given_vat_bus_posting_group",
)

# Per row position, the codes or texts gathered about it (rows without any have no entry).
Notes = dict[int, list[str]]


@dataclass(frozen=True)
class ErpValues:
    """Per record, what an import writes: ``text`` per ERP_VALUE_COLUMN but tax_liable
    (Arrow text without nulls), ``tax_liable``, the ``given_<field>`` flags (see
    ``shopsync.mapping.erp_values_from_addresses``), ``names_empty``, and for the records
    with something to say their reason ``codes`` and ``notes`` (in the order found)."""

    text: dict[str, pa.Array]
    tax_liable: np.ndarray
    given: dict[str, np.ndarray]
    names_empty: np.ndarray
    codes: Notes
    notes: Notes

    def without_address(self, has_address: np.ndarray) -> ErpValues:
        """The values of records where ``has_address`` is False blanked as a record without
        any address has them: no address fields and no reasons (it supplies its e-mail,
        phone and names only)."""
        has_address = np.asarray(has_address, dtype=bool)
        missing = ~has_address
        if not missing.any():
            return self
        text = dict(self.text)
        for column in _ADDRESS_FIELDS:
            if (_lengths(text[column])[missing] > 0).any():  # else blank already
                text[column] = pc.if_else(pa.array(has_address), text[column], "")
        codes = {position: items for position, items in self.codes.items() if has_address[position]}
        return replace(self, text=text, codes=codes)

    def frame(self, index: pd.Index) -> pd.DataFrame:
        """The values as ``erp_values_from_addresses`` returns them, on ``index`` (the text
        columns share the Arrow buffers)."""
        n = len(index)
        columns: dict[str, pd.Series | np.ndarray] = {
            column: to_series(self.text[column], index) for column in _FRAME_TEXT
        }
        columns["tax_liable"] = self.tax_liable
        columns["vat_bus_posting_group"] = to_series(self.text["vat_bus_posting_group"], index)
        columns["reasons"] = to_series(sparse_text(self.codes, n, join_codes), index)
        columns["notes"] = to_series(sparse_text(self.notes, n, "; ".join), index)
        columns["names_empty"] = self.names_empty
        for flag in _GIVEN:
            columns[flag] = self.given[flag]
        return pd.DataFrame(columns, index=index, copy=False)


def text_array(values: pd.Series) -> pa.Array:
    """A column as one Arrow ``large_string`` array of its text, blanks for missing values
    (``fillna("").astype(str)``; pandas' Arrow text is taken as it is)."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        array = to_arrow(values)
    else:
        array = to_arrow(values.fillna("").astype(TEXT))
    if array.type != pa.large_string():
        array = array.cast(pa.large_string())
    return pc.fill_null(array, "") if array.null_count else array


def erp_values(
    address: Mapping[str, pa.Array],
    email: pa.Array,
    phone: pa.Array,
    context: RulesContext,
    *,
    first_name: pa.Array | None = None,
    last_name: pa.Array | None = None,
) -> ErpValues:
    """The ERP values of each record from its address (ADDRESS_TEXT_COLUMNS: Arrow text
    without nulls, one row per record), its customer's e-mail and phone and, optionally, the
    customer's own names (used where the address has none).

    Every text is trimmed; names by the settings' sources (the name takes name 2's value when
    its source gives nothing, then the contact's); post code and country code upper-cased;
    the ERP country, the province check and the tax area once per distinct (country,
    province code, province name); values longer than BC's fields cut, with a warning.
    """
    settings = context.settings
    text = {column: _trimmed(address[column]) for column in ADDRESS_TEXT_COLUMNS}
    first, last, company = text["first_name"], text["last_name"], text["company"]
    if first_name is not None:
        no_names = _blank(first) & _blank(last)
        if no_names.any():
            use_customer = pa.array(no_names)
            first = pc.if_else(use_customer, _trimmed(first_name), first)
            last = pc.if_else(use_customer, _trimmed(last_name), last)

    built: dict[str, pa.Array] = {}  # per name source: sources often repeat

    def names_by(source: str) -> pa.Array:
        if source not in built:
            built[source] = build_name_array(source, first, last, company)
        return built[source]

    name = names_by(settings.name_source)
    name_2 = names_by(settings.name_2_source)
    contact = names_by(settings.contact_source)
    name_blank = _blank(name)
    names_empty = name_blank & _blank(name_2)
    given_name_2 = ~name_blank  # else the name takes name 2's value and name 2 stays as it was
    if name_blank.any():
        take = pa.array(name_blank)
        name, name_2 = pc.if_else(take, name_2, name), pc.if_else(take, "", name_2)
    name_blank = _blank(name)
    if name_blank.any():
        take = pa.array(name_blank)
        name, contact = pc.if_else(take, contact, name), pc.if_else(take, "", contact)

    out = {
        "name": name,
        "name_2": name_2,
        "contact": contact,
        "address": text["address1"],
        "address_2": text["address2"],
        "city": text["city"],
        "post_code": pc.utf8_upper(text["zip"]),  # a Code field in BC
    }
    iso = pc.utf8_upper(text["country_code"])
    province_code, province_name = text["province_code"], text["province_name"]
    out["county"] = province_code if settings.county_source == "code" else province_name

    rows, places = _distinct([iso, province_code, province_name])
    place = _place_values(places, context)
    spread = pa.array(rows)
    out["country_code"] = pa.array(place.erp_country, pa.large_string()).take(spread)
    out["tax_area_code"] = pa.array(place.tax_area_code, pa.large_string()).take(spread)
    vat = pa.array(place.vat_bus_posting_group, pa.large_string())
    out["vat_bus_posting_group"] = vat.take(spread)
    tax_liable = place.tax_liable[rows]

    address_phone = text["phone"]
    phone_blank = _blank(address_phone)
    if phone_blank.any():
        address_phone = pc.if_else(pa.array(phone_blank), _trimmed(phone), address_phone)
    out["phone"] = address_phone
    out["email"] = _trimmed(email)

    codes: Notes = defaultdict(list)
    notes: Notes = defaultdict(list)
    problems = (
        ("COUNTRY_NOT_IN_ERP", place.country_note),
        ("PROVINCE_UNKNOWN", place.province_note),
    )
    for code, note in problems:
        for position in np.flatnonzero((note != "")[rows]):
            codes[position].append(code)
            notes[position].append(note[rows[position]])
    for column, limit in ERP_FIELD_LENGTHS.items():
        if column not in out:
            continue
        too_long = _too_long(out[column], limit)
        for position in too_long:
            codes[position].append("VALUE_TRUNCATED")
            notes[position].append(f"{column} cut to {limit} characters")
        if len(too_long):  # else every value fits: nothing to cut
            out[column] = pc.utf8_slice_codeunits(out[column], 0, limit)

    given = {
        "given_name": ~_blank(out["name"]),  # BC would blank it; shopsync keeps the name
        "given_phone": ~_blank(out["phone"]),
        "given_email": ~_blank(out["email"]),
        "given_name_2": given_name_2,
        "given_tax_area_code": ~_blank(out["tax_area_code"]),
        "given_vat_bus_posting_group": ~_blank(out["vat_bus_posting_group"]),
    }
    return ErpValues(
        text=out,
        tax_liable=tax_liable,
        given=given,
        names_empty=names_empty,
        codes=dict(codes),
        notes=dict(notes),
    )


def sparse_text(notes: Notes, n: int, join: Callable[[list[str]], str]) -> pa.Array:
    """One text per row: the row's notes joined, '' for rows without notes (one Arrow take
    of the few joined texts)."""
    if not notes:
        return pa.repeat(pa.scalar("", pa.large_string()), n)
    at = np.zeros(n, dtype=np.int64)
    positions = np.fromiter(notes, dtype=np.int64, count=len(notes))
    at[positions] = np.arange(1, len(notes) + 1)
    joined = pa.array(["", *(join(items) for items in notes.values())], pa.large_string())
    return joined.take(pa.array(at))


# -- per distinct place ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Places:
    """Per distinct (ISO country, province code, province name) of the addresses."""

    erp_country: list[str]
    tax_area_code: list[str]
    tax_liable: np.ndarray
    vat_bus_posting_group: list[str]
    country_note: np.ndarray  # the note of COUNTRY_NOT_IN_ERP, '' where none
    province_note: np.ndarray  # the note of PROVINCE_UNKNOWN, '' where none


def _place_values(places: Sequence[tuple[str, str, str]], context: RulesContext) -> _Places:
    """The ERP country, the province check and the tax-area values of each place."""
    erp_country = {}
    for iso, _, _ in places:
        if iso not in erp_country:
            erp_country[iso] = iso_to_erp_country(iso, context.countries) or ""
    given = [code or name for _, code, name in places]
    known = context.provinces.resolve_provinces(
        pd.Series([iso for iso, _, _ in places], dtype=object),
        pd.Series(given, dtype=object),
        mode="any",
    )["province_found"].to_numpy(dtype=bool)
    tax_areas = _tax_area_lookup(context.tax_areas)
    no_tax_area = ("", False, "")
    tax = [tax_areas.get(f"{iso}|{province_key(name)}", no_tax_area) for iso, _, name in places]
    country_note = [
        f"no ERP country has ISO code {iso}" if iso and not erp_country[iso] else ""
        for iso, _, _ in places
    ]
    province_note = [
        f"province {shown!r} unknown for {iso}" if shown and iso and not found else ""
        for (iso, _, _), shown, found in zip(places, given, known, strict=True)
    ]
    return _Places(
        erp_country=[erp_country[iso] for iso, _, _ in places],
        tax_area_code=[area for area, _, _ in tax],
        tax_liable=np.array([liable for _, liable, _ in tax], dtype=bool),
        vat_bus_posting_group=[vat for _, _, vat in tax],
        country_note=np.array(country_note, dtype=object),
        province_note=np.array(province_note, dtype=object),
    )


def _tax_area_lookup(tax_areas: pd.DataFrame | None) -> dict[str, tuple[str, bool, str]]:
    """(tax area code, tax liable, VAT group) by ``ISO|province key``, the first row of each
    key; a row may give only one of them (tax liable goes with the tax area code)."""
    if tax_areas is None or tax_areas.empty:
        return {}
    table = tax_areas.assign(
        _key=tax_areas["country"].str.upper() + "|" + tax_areas["province"].map(province_key)
    ).drop_duplicates("_key")
    area = table["tax_area_code"].fillna("").astype(str).to_numpy()
    liable = np.where(area != "", table["tax_liable"].astype(bool).to_numpy(), False)
    vat = table["vat_bus_posting_group"].fillna("").astype(str).to_numpy()
    return {
        key: (str(a), bool(t), str(v))
        for key, a, t, v in zip(table["_key"], area, liable, vat, strict=True)
    }


def _distinct(columns: Sequence[pa.Array]) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Per row, the number of its combination of values in ``columns``; and each distinct
    combination once (hashed in Arrow, then as integers: no Python object per row)."""
    combined = np.zeros(len(columns[0]), dtype=np.int64)
    size = 1
    encoded = []
    for column in columns:
        codes = pc.dictionary_encode(column)
        indices = np.asarray(codes.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        width = max(len(codes.dictionary), 1)
        if size * width >= 2**62:  # keep the combined codes within int64: number them anew
            combined, uniques = pd.factorize(combined)
            size = max(len(uniques), 1)
        combined = combined * width + indices
        size *= width
        encoded.append((indices, codes.dictionary.to_pylist()))
    rows, uniques = pd.factorize(combined)
    some_row = np.empty(len(uniques), dtype=np.int64)
    some_row[rows] = np.arange(len(rows))  # a row of each combination (any: they are equal)
    values = [[dictionary[i] for i in indices[some_row]] for indices, dictionary in encoded]
    return rows, list(zip(*values, strict=True))


# -- text helpers ---------------------------------------------------------------------------


def _trimmed(values: pa.Array) -> pa.Array:
    """Text without nulls, trimmed as pandas' ``str.strip()`` (the same Arrow kernel)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.type != pa.large_string():
        values = values.cast(pa.large_string())
    if values.null_count:
        values = pc.fill_null(values, "")
    return pc.utf8_trim_whitespace(values) if _may_have_edge_space(values) else values


# Bytes a whitespace character can start or end with in UTF-8: the ASCII ones Arrow trims lie
# below "!", the others are not ASCII (bytes from 0x80).
_EDGE_SPACE = np.zeros(256, dtype=bool)
_EDGE_SPACE[:0x21] = True
_EDGE_SPACE[0x80:] = True


def _may_have_edge_space(values: pa.Array) -> bool:
    """Could a text start or end with whitespace? Only the first and last byte of each text
    are looked at (no copy of the text). The offsets of a blank text point at bytes of its
    neighbours, which are looked at as their own first or last bytes anyway."""
    data = values.buffers()[2]
    if data is None or data.size == 0:
        return False
    data = np.frombuffer(data, dtype=np.uint8)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)
    offsets = offsets[values.offset : values.offset + len(values) + 1]
    firsts = data[np.minimum(offsets[:-1], len(data) - 1)]
    lasts = data[np.maximum(offsets[1:] - 1, 0)]
    return bool(_EDGE_SPACE[firsts].any() or _EDGE_SPACE[lasts].any())


def _lengths(values: pa.Array) -> np.ndarray:
    """Per text, its length in bytes."""
    return np.asarray(pc.binary_length(values).to_numpy(zero_copy_only=False), dtype=np.int64)


def _blank(values: pa.Array) -> np.ndarray:
    return _lengths(values) == 0


def _too_long(values: pa.Array, limit: int) -> np.ndarray:
    """The rows whose text has more than ``limit`` characters (only texts of more than
    ``limit`` bytes are counted: a character takes at least one byte)."""
    rows = np.flatnonzero(_lengths(values) > limit)
    if not len(rows):
        return rows
    characters = pc.utf8_length(values.take(pa.array(rows))).to_numpy(zero_copy_only=False)
    return rows[np.asarray(characters) > limit]
