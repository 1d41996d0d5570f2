"""Export eligibility: what each ERP customer would become in Shopify, or why it cannot."""

from __future__ import annotations

from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from shopsync.arrow_text import TEXT, to_arrow, to_series
from shopsync.distinct import distinct_rows, spread
from shopsync.erp_io import read_blocked
from shopsync.names import PERSON_SOURCES, split_names
from shopsync.normalize import (
    casefold_texts,
    countries_to_iso,
    normalize_emails,
    normalize_phones,
)
from shopsync.reasons import is_error
from shopsync.rules_context import RulesContext
from shopsync.schema import EXPORT_ADDRESS_COLUMNS, EXPORT_CUSTOMER_COLUMNS
from shopsync.settings import ShopSettings
from shopsync.text_columns import blank_texts, byte_lengths

__all__ = [
    "ELIGIBILITY_COLUMNS",
    "check_export_eligibility",
    "shopify_fields",
]

SHOPIFY_FIELD_LIMIT = 255
COUNTY_CODE_LIMIT = 10

ELIGIBILITY_COLUMNS = [
    "customer_no",
    "eligible",
    "action",
    "reasons",
    "details",
    *EXPORT_CUSTOMER_COLUMNS,
    *EXPORT_ADDRESS_COLUMNS,
    "province",
]


def shopify_fields(customers: pd.DataFrame, context: RulesContext) -> pd.DataFrame:
    """The Shopify customer and address values each ERP customer maps to (SPEC section 5).

    Returns, on the customers' index: the contact columns of ELIGIBILITY_COLUMNS plus the
    intermediate facts the checks need (``email_*``, ``phone_*``, ``country_reason``,
    ``has_provinces``, ``province_found``). The county becomes a province only in a country
    with provinces (Shopify zones or tax-area rows), as in BC; elsewhere it is not sent.

    Columns with few distinct values (countries and counties, names, companies) are worked
    out once per distinct value (see shopsync.distinct), the others column-wise.
    """
    index = customers.index
    place = _place(customers, context)
    # the phones, most of the work, in a second thread (Arrow's and RE2's kernels let go of
    # the GIL) while this one works out the e-mails and the names
    with ThreadPoolExecutor(max_workers=1) as beside:
        phoning = beside.submit(normalize_phones, customers["phone"], place["country_code"])
        emails = normalize_emails(customers["email"])
        person = _person(customers, context)
        phones = phoning.result()
    out: dict[str, pd.Series] = {"customer_no": customers["no"].astype(str)}
    out.update(emails.items())
    out["country_code"] = place["country_code"]
    out["country_reason"] = place["country_reason"]
    out.update(phones.items())
    out["phone"] = phones["phone_e164"].where(phones["phone_valid"], "")
    out.update(person)
    for column in ["county", "has_provinces", "province_code", "province", "province_found"]:
        out[column] = place[column]
    return pd.DataFrame(out, index=index)


def _person(customers: pd.DataFrame, context: RulesContext) -> dict[str, pd.Series]:
    """The name, company and street columns Shopify is sent (see shopify_fields)."""
    index = customers.index
    names, chosen = _first_and_last(customers, context.settings)
    person = {
        "first_name": spread(names["first_name"], chosen, index),
        "last_name": spread(names["last_name"], chosen, index),
        "company": _company(customers, context.settings, names, chosen),
    }
    for target, source in [
        ("address1", "address"),
        ("address2", "address_2"),
        ("zip", "post_code"),
        ("city", "city"),
    ]:
        person[target] = customers[source].fillna("").astype(str).str.strip()
    return person


def _place(customers: pd.DataFrame, context: RulesContext) -> dict[str, pd.Series]:
    """ISO country (and its reason), county, and province of each customer, worked out once
    per distinct (country code, county) pair. As BC: the county is used only in a country
    with provinces; elsewhere it is not sent."""
    rows, pairs = distinct_rows([customers["country_code"], customers["county"]])
    countries = countries_to_iso(pairs[0], context.countries, context.company_country)
    iso = countries["iso_code"]
    county = pairs[1].fillna("").astype(str).str.strip()
    with_provinces = {
        code for code in iso.unique() if context.provinces.country_has_provinces(code)
    }
    has_provinces = iso.isin(list(with_provinces))
    used = county.where(has_provinces, "")
    mode = "code" if context.settings.county_source == "code" else "name"
    provinces = context.provinces.resolve_provinces(iso, used, mode=mode)
    found = {
        "country_code": iso,
        "country_reason": countries["country_reason"],
        "county": county,
        "has_provinces": has_provinces,
        "province_code": provinces["province_code"],
        "province": provinces["province_name"],
        "province_found": provinces["province_found"],
    }
    return {name: spread(values, rows, customers.index) for name, values in found.items()}


def check_export_eligibility(
    customers: pd.DataFrame,
    context: RulesContext,
    *,
    linked: Collection[str] = (),
) -> pd.DataFrame:
    """One row per ERP customer (same order): eligible or not, action, reasons, values to send.

    ``linked`` holds the numbers of ERP customers already linked to a Shopify customer: they
    are updated (when ``can_update_shopify_customers``) rather than created. Errors make
    ``eligible`` false; warnings keep it true. ``details`` says which other customers a
    duplicate shares its e-mail or phone with.

    A blocked customer (a ``blocked`` column with any value but blank, see read_blocked) is
    ``CUSTOMER_BLOCKED``: never sent, so it takes no e-mail or phone from the others (no
    duplicate of theirs); customers without a ``blocked`` column are not blocked.
    """
    fields = shopify_fields(customers, context)
    n = len(fields)
    # the codes in the order a row lists them, each with the rows it applies to
    flags: list[tuple[str, np.ndarray]] = []

    def flag(mask: pd.Series | np.ndarray, code: str) -> None:
        flags.append((code, np.asarray(mask, dtype=bool)))

    def column(name: str) -> np.ndarray:
        return fields[name].to_numpy(dtype=bool)

    numbers = fields["customer_no"]
    if "blocked" in customers:
        rows, distinct = distinct_rows([customers["blocked"]])  # nearly all blank
        blocked_as = spread(read_blocked(distinct[0])["blocked"], rows, customers.index)
    else:
        blocked_as = pd.Series("", index=customers.index, dtype=TEXT)
    blocked = (blocked_as != "").to_numpy(dtype=bool)
    flag(blocked, "CUSTOMER_BLOCKED")
    details = _Details(n)
    shown = "CUSTOMER_BLOCKED: Blocked " + blocked_as[blocked].astype(str)
    details.add(np.flatnonzero(blocked), shown.to_numpy(dtype=object))
    missing, valid = column("email_missing"), column("email_valid")
    flag(missing, "EMAIL_MISSING")
    flag(~missing & ~valid, "EMAIL_INVALID")
    flag(column("email_is_list"), "EMAIL_LIST")
    keys = pc.if_else(pa.array(valid & ~blocked), to_arrow(fields["email_key"]), "")
    flag(_flag_duplicates(keys, numbers, "EMAIL_DUPLICATE", details), "EMAIL_DUPLICATE")
    reason = fields["country_reason"]
    flag((reason == "COUNTRY_NO_ISO").to_numpy(dtype=bool), "COUNTRY_NO_ISO")
    flag((reason == "COUNTRY_UNKNOWN").to_numpy(dtype=bool), "COUNTRY_UNKNOWN")
    phone_valid = column("phone_valid")
    flag(~column("phone_missing") & ~phone_valid, "PHONE_INVALID")
    extension = (fields["phone_extension"] != "").to_numpy(dtype=bool)
    flag(phone_valid & extension, "PHONE_EXTENSION_DROPPED")
    keys = pc.if_else(pa.array(~blocked), to_arrow(fields["phone"]), "")
    flag(_flag_duplicates(keys, numbers, "PHONE_DUPLICATE", details), "PHONE_DUPLICATE")

    county = to_arrow(fields["county"])
    has_county = byte_lengths(county) > 0
    used_county = has_county & column("has_provinces")
    flag(used_county & ~column("province_found"), "PROVINCE_UNKNOWN")
    needs_province = fields["country_code"].isin(list(context.provinces_required))
    flag(~has_county & needs_province.to_numpy(dtype=bool), "PROVINCE_MISSING")
    if context.settings.county_source == "code":
        flag(used_county & _longer_than(county, COUNTY_CODE_LIMIT), "COUNTY_TOO_LONG")

    too_long = np.zeros(n, dtype=bool)
    for name in ["email", "first_name", "last_name", "company", "address1", "address2", "city"]:
        too_long |= _longer_than(to_arrow(fields[name]), SHOPIFY_FIELD_LIMIT)
    flag(too_long, "FIELD_TOO_LONG")

    # each row's set of codes as one number: the texts and verdicts are made once per set
    combination = np.zeros(n, dtype=np.int64)
    for bit, (_, mask) in enumerate(flags):
        combination |= mask.astype(np.int64) << bit
    rows, sets = pd.factorize(combination)
    texts, verdicts = [], []
    for value in np.asarray(sets, dtype=np.int64):
        codes = [code for bit, (code, _) in enumerate(flags) if value >> bit & 1]
        texts.append(";".join(dict.fromkeys(codes)))
        verdicts.append(not any(is_error(code) for code in codes))
    eligible = np.asarray(verdicts, dtype=bool)[rows] if n else np.zeros(0, dtype=bool)
    is_linked = np.zeros(n, dtype=bool)
    if linked:
        is_linked = fields["customer_no"].isin(list(linked)).to_numpy(dtype=bool)
    can_update = context.settings.can_update_shopify_customers
    action = np.select([~eligible, is_linked & can_update, is_linked], [0, 1, 2], default=3).astype(
        np.int64
    )
    index = pd.RangeIndex(n)
    made = {
        "eligible": pd.Series(eligible, index=index),
        "action": to_series(_ACTIONS.take(pa.array(action)), index),
        "reasons": to_series(pa.array(texts, pa.large_string()).take(pa.array(rows)), index),
        "details": details.series(index),
    }
    return pd.DataFrame(
        {
            name: made[name] if name in made else pd.Series(fields[name].array, index=index)
            for name in ELIGIBILITY_COLUMNS
        },
        index=index,
    )


# the eligibility report's actions, by the number check_export_eligibility gives each
_ACTIONS = pa.array(["skip", "update", "unchanged", "create"], pa.large_string())


def _longer_than(texts: pa.Array, limit: int) -> np.ndarray:
    """Which texts have more than ``limit`` characters: counted only where the bytes are
    more (a character is one byte or more)."""
    longer = byte_lengths(texts) > limit
    if longer.any():
        at = np.flatnonzero(longer)
        counted = pc.utf8_length(texts.take(pa.array(at))).to_numpy(zero_copy_only=False)
        longer[at] = np.asarray(counted) > limit
    return longer


def _first_and_last(
    customers: pd.DataFrame, settings: ShopSettings
) -> tuple[pd.DataFrame, np.ndarray]:
    """First/last name from the first usable of contact, name 2, name (SPEC section 5): a
    table of names (``first_name``, ``last_name``; its last row blank) and each customer's
    row in it. Each distinct text of a column is split once."""
    candidates = [
        ("contact", settings.contact_source),
        ("name_2", settings.name_2_source),
        ("name", settings.name_source),
    ]
    n = len(customers)
    chosen = np.full(n, -1, dtype=np.int64)
    tables = []
    size = 0
    for column, source in candidates:
        if source not in PERSON_SOURCES:
            continue
        rows, distinct = distinct_rows([customers[column]])
        text = distinct[0].fillna("").astype(str).str.strip()
        at = np.arange(n, dtype=np.int64) if rows is None else rows
        usable = (text != "").to_numpy(dtype=bool)[at] & (chosen < 0)
        if usable.any():
            chosen[usable] = size + at[usable]
            tables.append(split_names(source, text))
            size += len(text)
    blank = pd.Series([""], dtype=TEXT)
    tables.append(pd.DataFrame({"first_name": blank, "last_name": blank}))
    chosen[chosen < 0] = size
    names = pd.concat(tables, ignore_index=True)
    return names, chosen


def _company(
    customers: pd.DataFrame, settings: ShopSettings, names: pd.DataFrame, chosen: np.ndarray
) -> pd.Series:
    """The company sent: the name or name 2 that holds a company (trimmed), blank when it is
    the customer's own name (a consumer whose ERP name is their name, as an import writes
    it: BC would send it; we leave it blank). Texts are folded once per distinct company and
    name; the rows compare numbers."""
    if settings.name_source == "company_name":
        column = "name"
    elif settings.name_2_source == "company_name":
        column = "name_2"
    else:
        return pd.Series("", index=customers.index, dtype=TEXT)
    rows, distinct = distinct_rows([customers[column]])
    company = distinct[0].fillna("").astype(str).str.strip()
    at = np.arange(len(customers), dtype=np.int64) if rows is None else rows
    first, last = names["first_name"], names["last_name"]
    folded = [
        casefold_texts(company),
        casefold_texts((first + " " + last).str.strip()),
        casefold_texts((last + " " + first).str.strip()),
    ]
    # one number per folded text: equal numbers, equal texts
    numbers, _ = pd.factorize(pd.concat(folded, ignore_index=True))
    ends = np.cumsum([len(f) for f in folded])
    theirs, full, reverse = np.split(np.asarray(numbers), ends[:-1])
    is_person = (theirs[at] == full[chosen]) | (theirs[at] == reverse[chosen])
    sent = pa.concat_arrays([to_arrow(company), pa.array([""], pa.large_string())])
    return to_series(sent.take(pa.array(np.where(is_person, len(company), at))), customers.index)


class _Details:
    """Each row's details: texts added in order, ``; ``-joined (sparse: few rows have any)."""

    def __init__(self, n: int) -> None:
        self._n = n
        self._rows: list[np.ndarray] = []
        self._texts: list[np.ndarray] = []

    def add(self, rows: np.ndarray, texts: np.ndarray) -> None:
        """Add ``texts[i]`` (never blank) to row ``rows[i]`` (row positions, each once)."""
        if len(rows):
            self._rows.append(np.asarray(rows, dtype=np.int64))
            self._texts.append(np.asarray(texts, dtype=object))

    def series(self, index: pd.Index) -> pd.Series:
        """The details of every row ("" for most), on ``index``."""
        if not self._rows:
            return to_series(blank_texts(self._n), index)
        rows, texts = np.concatenate(self._rows), np.concatenate(self._texts)
        order = np.argsort(rows, kind="stable")  # each row's texts in the order added
        rows, texts = rows[order], texts[order]
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        joined = texts[starts]
        ends = np.r_[starts[1:], len(rows)]
        for at in np.flatnonzero(ends - starts > 1):
            joined[at] = "; ".join(texts[starts[at] : ends[at]])
        values = pa.array([*joined, ""], pa.large_string())
        take = np.full(self._n, len(joined), dtype=np.int64)
        take[rows[starts]] = np.arange(len(joined))
        return to_series(values.take(pa.array(take)), index)


def _flag_duplicates(
    keys: pa.Array, numbers: pd.Series, code: str, details: _Details
) -> np.ndarray:
    """The rows sharing a non-blank key (text, no nulls) with another row; their details
    name the other members' ``numbers`` (``code: same as C2, C3``). Members are sorted by
    key once; a group's numbers are joined once and each member's text cut from its group's
    (groups of two: the other)."""
    codes = _key_codes(keys)
    counts = np.bincount(codes + 1, minlength=1)[1:] if len(codes) else np.zeros(0, np.int64)
    member = np.zeros(len(codes), dtype=bool)
    member[codes >= 0] = counts[codes[codes >= 0]] > 1
    if not member.any():
        return member
    rows = np.flatnonzero(member)
    order = rows[np.argsort(codes[rows], kind="stable")]  # by group, each in row order
    numbers = numbers.iloc[order].to_numpy(dtype=object)
    group = codes[order]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    others = np.empty(len(order), dtype=object)
    first = starts[sizes == 2]
    same = numbers[first] == numbers[first + 1]
    others[first] = np.where(same, "", numbers[first + 1])
    others[first + 1] = np.where(same, "", numbers[first])
    for start, size in zip(starts[sizes > 2], sizes[sizes > 2], strict=True):
        group_numbers = list(numbers[start : start + size])
        for at, no in enumerate(group_numbers, start):
            others[at] = ", ".join(other for other in group_numbers if other != no)
    details.add(order, f"{code}: same as " + others)
    return member


def _key_codes(keys: pa.Array) -> np.ndarray:
    """Each key's number among the distinct non-blank keys; -1 for a blank one."""
    numbers = _e164_numbers(keys)
    if numbers is not None:  # phones: numbers hash faster than texts
        codes, _ = pd.factorize(numbers)
        codes = np.asarray(codes, dtype=np.int64)
        codes[numbers < 0] = -1
        return codes
    encoded = keys.dictionary_encode()
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    blank = pc.index(encoded.dictionary, "").as_py()
    if blank >= 0:
        codes[codes == blank] = -1
    return codes


def _e164_numbers(keys: pa.Array) -> np.ndarray | None:
    """E.164 keys (``+`` and 2 to 15 digits, the first not 0, or blank) as the number their
    digits spell (-1 for blank): one text, one number. None when a key is not of that form."""
    if not pa.types.is_large_string(keys.type) or keys.null_count:
        return None
    _, offset_buffer, data_buffer = keys.buffers()
    offsets = np.frombuffer(offset_buffer, dtype=np.int64)[
        keys.offset : keys.offset + len(keys) + 1
    ]
    lengths = np.diff(offsets)
    given = lengths > 0
    if not given.any() or data_buffer is None:
        return None
    if ((lengths < 3) & given).any() or (lengths > 16).any():
        return None
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    starts = offsets[:-1][given]
    if (data[starts] != ord("+")).any() or ((data[starts + 1] - ord("1")) > 8).any():
        return None
    digits = pc.if_else(pa.array(given), pc.utf8_slice_codeunits(keys, 1), "0")
    try:  # any other character than a digit
        numbers = pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return np.where(given, numbers, -1)
