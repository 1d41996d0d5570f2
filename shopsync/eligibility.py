"""Export eligibility: what each ERP customer would become in Shopify, or why it cannot."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from shopsync.arrow_text import TEXT, to_arrow
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
    """
    settings = context.settings
    out = pd.DataFrame(index=customers.index)
    out["customer_no"] = customers["no"].astype(str)

    emails = normalize_emails(customers["email"])
    out = out.join(emails)

    countries = countries_to_iso(
        customers["country_code"], context.countries, context.company_country
    )
    out["country_code"] = countries["iso_code"]
    out["country_reason"] = countries["country_reason"]

    phones = normalize_phones(customers["phone"], out["country_code"])
    out = out.join(phones)
    out["phone"] = phones["phone_e164"].where(phones["phone_valid"], "")

    names = _first_and_last(customers, settings)
    out["first_name"] = names["first_name"]
    out["last_name"] = names["last_name"]
    if settings.name_source == "company_name":
        company = customers["name"].fillna("").astype(str).str.strip()
    elif settings.name_2_source == "company_name":
        company = customers["name_2"].fillna("").astype(str).str.strip()
    else:
        company = pd.Series("", index=customers.index)
    # A person's name in the company field (a consumer whose ERP name is their own name, as
    # an import writes it) is not a company: BC would send it; we leave the company blank.
    full = casefold_texts((names["first_name"] + " " + names["last_name"]).str.strip())
    reverse = casefold_texts((names["last_name"] + " " + names["first_name"]).str.strip())
    folded = casefold_texts(company)
    is_person = (folded == full) | (folded == reverse)
    out["company"] = company.where(~is_person, "")

    for target, source in [
        ("address1", "address"),
        ("address2", "address_2"),
        ("zip", "post_code"),
        ("city", "city"),
    ]:
        out[target] = customers[source].fillna("").astype(str).str.strip()

    # As BC: the county is used only in a country with provinces; elsewhere it is not sent.
    county = customers["county"].fillna("").astype(str).str.strip()
    out["county"] = county
    with_provinces = {
        iso for iso in out["country_code"].unique() if context.provinces.country_has_provinces(iso)
    }
    out["has_provinces"] = out["country_code"].isin(list(with_provinces))
    used = county.where(out["has_provinces"], "")
    mode = "code" if settings.county_source == "code" else "name"
    provinces = context.provinces.resolve_provinces(out["country_code"], used, mode=mode)
    out["province_code"] = provinces["province_code"]
    out["province"] = provinces["province_name"]
    out["province_found"] = provinces["province_found"]
    return out


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

    if "blocked" in customers:
        blocked_as = read_blocked(customers["blocked"])["blocked"]
    else:
        blocked_as = pd.Series("", index=customers.index)
    blocked = blocked_as != ""
    flag(blocked, "CUSTOMER_BLOCKED")
    details = _Details(n)
    shown = "CUSTOMER_BLOCKED: Blocked " + blocked_as[blocked].astype(str)
    details.add(np.flatnonzero(blocked.to_numpy(dtype=bool)), shown.to_numpy(dtype=object))
    flag(fields["email_missing"], "EMAIL_MISSING")
    flag(~fields["email_missing"] & ~fields["email_valid"], "EMAIL_INVALID")
    flag(fields["email_is_list"], "EMAIL_LIST")
    keys = fields["email_key"].where(fields["email_valid"] & ~blocked, "")
    flag(_flag_duplicates(keys, fields, "EMAIL_DUPLICATE", details), "EMAIL_DUPLICATE")
    flag(fields["country_reason"] == "COUNTRY_NO_ISO", "COUNTRY_NO_ISO")
    flag(fields["country_reason"] == "COUNTRY_UNKNOWN", "COUNTRY_UNKNOWN")
    flag(~fields["phone_missing"] & ~fields["phone_valid"], "PHONE_INVALID")
    flag(fields["phone_valid"] & (fields["phone_extension"] != ""), "PHONE_EXTENSION_DROPPED")
    keys = fields["phone"].where(~blocked, "")
    flag(_flag_duplicates(keys, fields, "PHONE_DUPLICATE", details), "PHONE_DUPLICATE")

    has_county = fields["county"] != ""
    used_county = has_county & fields["has_provinces"]
    flag(used_county & ~fields["province_found"], "PROVINCE_UNKNOWN")
    needs_province = fields["country_code"].isin(list(context.provinces_required))
    flag(~has_county & needs_province, "PROVINCE_MISSING")
    if context.settings.county_source == "code":
        flag(used_county & (fields["county"].str.len() > COUNTY_CODE_LIMIT), "COUNTY_TOO_LONG")

    too_long = pd.Series(False, index=fields.index)
    for column in ["email", "first_name", "last_name", "company", "address1", "address2", "city"]:
        too_long |= fields[column].str.len() > SHOPIFY_FIELD_LIMIT
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
    report = fields.copy()
    reasons = pa.array(texts, pa.string()).take(pa.array(rows, pa.int64()))
    report["reasons"] = pd.Series(reasons, dtype=TEXT, index=fields.index)
    report["details"] = details.series(fields.index)
    eligible = np.asarray(verdicts, dtype=bool)[rows] if n else np.zeros(0, dtype=bool)
    report["eligible"] = eligible
    is_linked = report["customer_no"].isin(list(linked)).to_numpy(dtype=bool)
    can_update = context.settings.can_update_shopify_customers
    report["action"] = np.select(
        [~eligible, is_linked & can_update, is_linked],
        ["skip", "update", "unchanged"],
        default="create",
    ).astype(object)
    return report[ELIGIBILITY_COLUMNS].reset_index(drop=True)


def _first_and_last(customers: pd.DataFrame, settings: ShopSettings) -> pd.DataFrame:
    """First/last name from the first usable of contact, name 2, name (SPEC section 5)."""
    candidates = [
        ("contact", settings.contact_source),
        ("name_2", settings.name_2_source),
        ("name", settings.name_source),
    ]
    first = pd.Series("", index=customers.index, dtype=TEXT)
    last = first.copy()
    taken = pd.Series(False, index=customers.index)
    for column, source in candidates:
        if source not in PERSON_SOURCES:
            continue
        text = customers[column].fillna("").astype(str).str.strip()
        usable = (text != "") & ~taken
        if usable.any():
            split = split_names(source, text[usable]).reindex(customers.index)
            first = first.where(~usable, split["first_name"])
            last = last.where(~usable, split["last_name"])
            taken |= usable
    return pd.DataFrame({"first_name": first, "last_name": last})


class _Details:
    """Each row's details: texts added in order, ``; ``-joined (sparse: few rows have any)."""

    def __init__(self, n: int) -> None:
        self._n = n
        self._rows: list[np.ndarray] = []
        self._texts: list[np.ndarray] = []

    def add(self, rows: np.ndarray, texts: np.ndarray) -> None:
        """Add ``texts[i]`` to row ``rows[i]`` (row positions, each once)."""
        if len(rows):
            self._rows.append(rows)
            self._texts.append(texts)

    def series(self, index: pd.Index) -> pd.Series:
        joined = np.full(self._n, "", dtype=object)
        for rows, texts in zip(self._rows, self._texts, strict=True):
            current = joined[rows]
            joined[rows] = np.where(current == "", texts, current + "; " + texts)
        return pd.Series(joined, index=index).astype(TEXT)


def _flag_duplicates(
    keys: pd.Series, fields: pd.DataFrame, code: str, details: _Details
) -> np.ndarray:
    """The rows sharing a non-blank key with another row; their details name the other
    members (``code: same as C2, C3``). Members are sorted by key once; a group's numbers
    are joined once and each member's text cut from its group's (groups of two: the other)."""
    encoded = pc.fill_null(to_arrow(keys), "").dictionary_encode()
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    blank = pc.index(encoded.dictionary, "").as_py()
    counts = np.bincount(codes, minlength=len(encoded.dictionary))
    if blank >= 0:
        counts[blank] = 0
    member = counts[codes] > 1
    if not member.any():
        return member
    rows = np.flatnonzero(member)
    order = rows[np.argsort(codes[rows], kind="stable")]  # by group, each in row order
    numbers = fields["customer_no"].iloc[order].to_numpy(dtype=object)
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
