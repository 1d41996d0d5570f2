"""Export eligibility: what each ERP customer would become in Shopify, or why it cannot."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from shopsync.erp_io import read_blocked
from shopsync.names import PERSON_SOURCES, split_names
from shopsync.normalize import (
    countries_to_iso,
    normalize_emails,
    normalize_phones,
)
from shopsync.reasons import is_error
from shopsync.rules_context import RulesContext
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
    "email",
    "phone",
    "first_name",
    "last_name",
    "company",
    "address1",
    "address2",
    "zip",
    "city",
    "country_code",
    "province_code",
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
    full = (names["first_name"] + " " + names["last_name"]).str.strip().str.casefold()
    reverse = (names["last_name"] + " " + names["first_name"]).str.strip().str.casefold()
    folded = company.str.casefold()
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
    reasons: list[list[str]] = [[] for _ in range(len(fields))]
    details: list[list[str]] = [[] for _ in range(len(fields))]

    def flag(mask: pd.Series, code: str) -> None:
        for position in np.flatnonzero(mask.to_numpy(dtype=bool)):
            reasons[position].append(code)

    if "blocked" in customers:
        blocked_as = read_blocked(customers["blocked"])["blocked"]
    else:
        blocked_as = pd.Series("", index=customers.index)
    blocked = blocked_as != ""
    for position in np.flatnonzero(blocked.to_numpy(dtype=bool)):
        reasons[position].append("CUSTOMER_BLOCKED")
        details[position].append(f"CUSTOMER_BLOCKED: Blocked {blocked_as.iloc[position]}")
    flag(fields["email_missing"], "EMAIL_MISSING")
    flag(~fields["email_missing"] & ~fields["email_valid"], "EMAIL_INVALID")
    flag(fields["email_is_list"], "EMAIL_LIST")
    _flag_duplicates(
        fields["email_key"].where(fields["email_valid"] & ~blocked, ""),
        fields,
        "EMAIL_DUPLICATE",
        reasons,
        details,
    )
    flag(fields["country_reason"] == "COUNTRY_NO_ISO", "COUNTRY_NO_ISO")
    flag(fields["country_reason"] == "COUNTRY_UNKNOWN", "COUNTRY_UNKNOWN")
    flag(~fields["phone_missing"] & ~fields["phone_valid"], "PHONE_INVALID")
    flag(fields["phone_valid"] & (fields["phone_extension"] != ""), "PHONE_EXTENSION_DROPPED")
    _flag_duplicates(
        fields["phone"].where(~blocked, ""), fields, "PHONE_DUPLICATE", reasons, details
    )

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

    report = fields.copy()
    report["reasons"] = [";".join(dict.fromkeys(codes)) for codes in reasons]
    report["details"] = ["; ".join(text) for text in details]
    eligible = np.array([not any(is_error(c) for c in codes) for codes in reasons], dtype=bool)
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
    result = pd.DataFrame({"first_name": "", "last_name": ""}, index=customers.index)
    taken = pd.Series(False, index=customers.index)
    for column, source in candidates:
        if source not in PERSON_SOURCES:
            continue
        text = customers[column].fillna("").astype(str).str.strip()
        usable = (text != "") & ~taken
        if usable.any():
            split = split_names(source, text[usable])
            result.loc[usable, ["first_name", "last_name"]] = split[["first_name", "last_name"]]
            taken |= usable
    return result


def _flag_duplicates(
    keys: pd.Series,
    fields: pd.DataFrame,
    code: str,
    reasons: list[list[str]],
    details: list[list[str]],
) -> None:
    """Flag every member of a group sharing a non-blank key, naming the other members."""
    present = keys[keys != ""]
    duplicated = present[present.duplicated(keep=False)]
    if duplicated.empty:
        return
    members = pd.DataFrame(
        {
            "key": duplicated.to_numpy(),
            "no": fields.loc[duplicated.index, "customer_no"].to_numpy(),
            "position": fields.index.get_indexer(duplicated.index),
        }
    )
    groups = members.groupby("key", sort=False)["no"].agg(list).to_dict()
    for key, no, position in zip(members["key"], members["no"], members["position"], strict=True):
        others = [other for other in groups[key] if other != no]
        reasons[position].append(code)
        details[position].append(f"{code}: same as {', '.join(others)}")
