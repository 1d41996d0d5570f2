"""The import's ERP values and plan glue in Arrow equal the pandas rules they replaced."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from factories import context
from hypothesis import given, settings
from hypothesis import strategies as st

from shopsync.erp_values import _trimmed
from shopsync.mapping import (
    _chosen_rows,
    _index_in,
    _numbers,
    erp_values_from_addresses,
)
from shopsync.names import NAME_SOURCES, build_name_array, build_names
from shopsync.normalize import iso_to_erp_country, province_key
from shopsync.reasons import join_codes
from shopsync.schema import ERP_FIELD_LENGTHS
from shopsync.settings import CONTACT_SOURCES

# -- the pandas rules (shopsync 4aabca0), kept here as the oracle -----------------------------


def _text(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str).str.strip()


def _map_distinct(values, func):
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    mapped = np.array([func(value) for value in uniques], dtype=object)
    return pd.Series(mapped[codes] if len(codes) else [], index=values.index, dtype=object)


def _tax_area_values(iso, province, tax_areas):
    out = pd.DataFrame(
        {"tax_area_code": "", "tax_liable": False, "vat_bus_posting_group": ""}, index=iso.index
    )
    if tax_areas is None or tax_areas.empty:
        return out
    table = tax_areas.assign(
        _key=tax_areas["country"].str.upper() + "|" + tax_areas["province"].map(province_key)
    )
    table = table.drop_duplicates("_key").set_index("_key")
    keys = iso + "|" + _map_distinct(province, province_key)
    hit = keys.isin(table.index)
    if not hit.any():
        return out
    rows = table.loc[keys[hit]]
    area = rows["tax_area_code"].fillna("").astype(str).to_numpy()
    out.loc[hit, "tax_area_code"] = area
    out.loc[hit, "tax_liable"] = np.where(
        area != "", rows["tax_liable"].astype(bool).to_numpy(), False
    )
    out.loc[hit, "vat_bus_posting_group"] = (
        rows["vat_bus_posting_group"].fillna("").astype(str).to_numpy()
    )
    return out


def _joined(notes, n, join):
    joined = np.full(n, "", dtype=object)
    for position, items in notes.items():
        joined[position] = join(items)
    return joined


def pandas_erp_values(addresses, customer_email, customer_phone, ctx, first_name, last_name):
    shop = ctx.settings
    index = addresses.index
    first = _text(addresses["first_name"])
    last = _text(addresses["last_name"])
    no_names = (first == "") & (last == "")
    first = first.where(~no_names, _text(first_name.reindex(index)))
    last = last.where(~no_names, _text(last_name.reindex(index)))
    company = _text(addresses["company"])
    name = build_names(shop.name_source, first, last, company)
    name_2 = build_names(shop.name_2_source, first, last, company)
    contact = build_names(shop.contact_source, first, last, company)
    names_empty = (name == "") & (name_2 == "")
    name_empty = name == ""
    given_name_2 = ~name_empty
    name = name.where(~name_empty, name_2)
    name_2 = name_2.where(~name_empty, "")
    name_empty = name == ""
    name = name.where(~name_empty, contact)
    contact = contact.where(~name_empty, "")
    out = pd.DataFrame(index=index)
    out["name"], out["name_2"], out["contact"] = name, name_2, contact
    out["address"] = _text(addresses["address1"])
    out["address_2"] = _text(addresses["address2"])
    out["city"] = _text(addresses["city"])
    out["post_code"] = _text(addresses["zip"]).str.upper()
    iso = _text(addresses["country_code"]).str.upper()
    erp_country = _map_distinct(iso, lambda code: iso_to_erp_country(code, ctx.countries) or "")
    erp_country = erp_country.astype("str")
    out["country_code"] = erp_country
    province_code = _text(addresses["province_code"])
    province_name = _text(addresses["province_name"])
    out["county"] = province_code if shop.county_source == "code" else province_name
    has_province = (province_code != "") | (province_name != "")
    given = province_code.where(province_code != "", province_name)
    known = ctx.provinces.resolve_provinces(iso, given, mode="any")["province_found"]
    address_phone = _text(addresses["phone"])
    out["phone"] = address_phone.where(address_phone != "", _text(customer_phone.reindex(index)))
    out["email"] = _text(customer_email.reindex(index))
    tax = _tax_area_values(iso, province_name, ctx.tax_areas)
    out["tax_area_code"] = tax["tax_area_code"]
    out["tax_liable"] = tax["tax_liable"]
    out["vat_bus_posting_group"] = tax["vat_bus_posting_group"]
    codes = defaultdict(list)
    notes = defaultdict(list)
    for position in np.flatnonzero(((iso != "") & (erp_country == "")).to_numpy()):
        codes[position].append("COUNTRY_NOT_IN_ERP")
        notes[position].append(f"no ERP country has ISO code {iso.iloc[position]}")
    for position in np.flatnonzero((has_province & ~known & (iso != "")).to_numpy()):
        codes[position].append("PROVINCE_UNKNOWN")
        shown = province_code.iloc[position] or province_name.iloc[position]
        notes[position].append(f"province {shown!r} unknown for {iso.iloc[position]}")
    for column, limit in ERP_FIELD_LENGTHS.items():
        if column not in out.columns:
            continue
        too_long = np.flatnonzero((out[column].str.len() > limit).to_numpy())
        for position in too_long:
            codes[position].append("VALUE_TRUNCATED")
            notes[position].append(f"{column} cut to {limit} characters")
        if len(too_long):
            out[column] = out[column].str.slice(0, limit)
    out["reasons"] = _joined(codes, len(out), join_codes)
    out["notes"] = _joined(notes, len(out), "; ".join)
    out["names_empty"] = names_empty
    out["given_name"] = out["name"] != ""
    out["given_phone"] = out["phone"] != ""
    out["given_email"] = out["email"] != ""
    out["given_name_2"] = given_name_2
    out["given_tax_area_code"] = out["tax_area_code"] != ""
    out["given_vat_bus_posting_group"] = out["vat_bus_posting_group"] != ""
    return out


def pandas_chosen_rows(addresses):
    customer, _ = pd.factorize(addresses["shopify_id"], use_na_sentinel=False)
    default = addresses["is_default"]
    default_rank = np.where(default.isna().to_numpy(), 2, np.where(default.fillna(False), 0, 1))
    numeric_id = _numbers(addresses["address_id"])
    position = _numbers(addresses["position"])
    order = np.lexsort((position, numeric_id, default_rank, customer))
    return order[np.r_[True, customer[order][1:] != customer[order][:-1]]]


# -- generated inputs ---------------------------------------------------------------------------

# Whitespace Arrow trims (ASCII and not), letters with case, a character of several bytes.
_CHARACTERS = st.sampled_from([*"ab Z\t\x1cé\xa0\u3000ß.,-'", "東"])
_TEXT = st.one_of(
    st.none(),
    st.text(_CHARACTERS, max_size=6),
    st.builds(lambda c, n: c * n, _CHARACTERS, st.integers(20, 120)),  # beyond BC's lengths
)
_COUNTRY = st.sampled_from(["US", " us", "ca", "GR", "XX", "", None, "DE "])
_PROVINCE_CODE = st.sampled_from(["MA", " ny", "ON", "ZZ", "", None, "qc"])
_PROVINCE_NAME = st.sampled_from(["Massachusetts", "new york ", "Ontario", "Nowhere", "", None])

_FIELDS = {
    "first_name": _TEXT,
    "last_name": _TEXT,
    "company": _TEXT,
    "address1": _TEXT,
    "address2": _TEXT,
    "city": _TEXT,
    "zip": _TEXT,
    "country_code": _COUNTRY,
    "province_code": _PROVINCE_CODE,
    "province_name": _PROVINCE_NAME,
    "phone": _TEXT,
    "customer_first": _TEXT,
    "customer_last": _TEXT,
    "customer_email": _TEXT,
    "customer_phone": _TEXT,
}
_ADDRESS = st.fixed_dictionaries(_FIELDS)

_TAX_AREAS = pd.DataFrame(
    {
        "country": ["US", "us", "CA", "US"],
        "province": ["Massachusetts", "New York", "Ontario", "Massachusetts"],
        "province_code": ["MA", "NY", "ON", "MA"],
        "tax_area_code": ["US-MA", "", None, "US-OTHER"],
        "tax_liable": [True, True, False, False],
        "vat_bus_posting_group": ["US", "NY-VAT", "CA", ""],
    }
)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(_ADDRESS, max_size=12),
    name_source=st.sampled_from(NAME_SOURCES),
    name_2_source=st.sampled_from(NAME_SOURCES),
    contact_source=st.sampled_from(CONTACT_SOURCES),
    county_source=st.sampled_from(["code", "name"]),
    with_tax_areas=st.booleans(),
    text_dtype=st.booleans(),
)
def test_erp_values_equal_the_pandas_rules(
    rows, name_source, name_2_source, contact_source, county_source, with_tax_areas, text_dtype
):
    ctx = context(
        _TAX_AREAS if with_tax_areas else None,
        name_source=name_source,
        name_2_source=name_2_source,
        contact_source=contact_source,
        county_source=county_source,
    )
    frame = pd.DataFrame(rows, columns=list(_FIELDS), dtype=object)
    frame.index = pd.Index([f"r{i}" for i in range(len(frame))])
    if text_dtype:  # the plan's columns are pandas' Arrow text; other input keeps working
        frame = frame.astype("str")
    customer = {
        column: frame.pop(f"customer_{column}") for column in ("first", "last", "email", "phone")
    }
    args = (frame, customer["email"], customer["phone"], ctx)
    names = {"first_name": customer["first"], "last_name": customer["last"]}
    expected = pandas_erp_values(*args, *names.values())
    # no rows: the pandas rules left the empty reasons and notes as object columns
    pd.testing.assert_frame_equal(
        erp_values_from_addresses(*args, **names), expected, check_dtype=len(frame) > 0
    )


_TRIMMED = st.text(st.sampled_from(list("ab é東.")), max_size=5).map(str.strip)


@given(
    st.lists(st.tuples(_TRIMMED, _TRIMMED, _TRIMMED), max_size=10),
    st.sampled_from(NAME_SOURCES),
)
def test_name_arrays_equal_build_names_of_trimmed_text(parts, source):
    first, last, company = ([part[i] for part in parts] for i in range(3))
    expected = build_names(source, *(pd.Series(v, dtype=object) for v in (first, last, company)))
    arrays = (pa.array(v, pa.large_string()) for v in (first, last, company))
    assert build_name_array(source, *arrays).to_pylist() == expected.tolist()


@given(st.lists(st.text(_CHARACTERS, max_size=4), max_size=10), st.booleans())
def test_trimming_equals_arrows_kernel(texts, sliced):
    array = pa.array(["  x", *texts], pa.large_string())
    if sliced:  # an array sharing its buffers with text around it
        array = array.slice(1)
    assert _trimmed(array).to_pylist() == pc.utf8_trim_whitespace(array).to_pylist()


_NUMBERS = ["1", "2", "10", "01", "+1", "-1", "0", "-0", "7000001184703"]
_KEY = st.sampled_from(
    [*_NUMBERS, "", "C0000001", "C000001", "ab", "abcdefgh", "abcdefghi", "x\x00", "é"]
)


@given(st.lists(_KEY, max_size=12), st.lists(_KEY, max_size=12), st.booleans())
def test_index_in_equals_arrows(values, lookup, numbers_only):
    if numbers_only:  # the integer paths: canonical numbers, short texts
        values = [v for v in values if v.lstrip("-").isdigit()]
        lookup = [v for v in lookup if v.lstrip("-").isdigit()]
    values_array = pa.array(values, pa.large_string())
    lookup_array = pa.array(lookup, pa.large_string())
    found = pc.index_in(values_array, value_set=lookup_array).fill_null(-1)
    assert _index_in(values_array, lookup_array).tolist() == found.to_pylist()


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["1", "2", "3"]),
            st.sampled_from(["10", "9", "x", "11", None]),
            st.sampled_from([True, False, None]),
        ),
        max_size=12,
    )
)
def test_chosen_addresses_equal_the_lexsort_of_every_row(rows):
    addresses = pd.DataFrame(
        {
            "shopify_id": pd.Series([r[0] for r in rows], dtype="str"),
            "address_id": pd.Series([r[1] for r in rows], dtype="str"),
            "is_default": pd.Series([r[2] for r in rows], dtype=object),
            "position": np.arange(len(rows)),
        }
    )
    if addresses.empty:
        assert len(_chosen_rows(addresses)) == 0
        return
    assert _chosen_rows(addresses).tolist() == pandas_chosen_rows(addresses).tolist()
