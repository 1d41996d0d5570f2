"""Export mapping: Shopify mutation inputs from eligibility rows, and what really changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = [
    "address_input",
    "changed_fields",
    "customer_input",
    "erp_limits_for",
    "match_in_mirror",
]

# eligibility column -> MailingAddressInput field
_ADDRESS_FIELDS = {
    "company": "company",
    "first_name": "firstName",
    "last_name": "lastName",
    "address1": "address1",
    "address2": "address2",
    "zip": "zip",
    "city": "city",
    "country_code": "countryCode",
    "province_code": "provinceCode",
    "phone": "phone",
}

# eligibility column -> mirror column, compared to decide whether an update is needed
_CUSTOMER_COMPARED = {
    "email": "email",
    "phone": "phone",
    "first_name": "first_name",
    "last_name": "last_name",
}
_ADDRESS_COMPARED = {
    "company": "company",
    "address1": "address1",
    "address2": "address2",
    "zip": "zip",
    "city": "city",
    "country_code": "country_code",
    "province_code": "province_code",
}


# export column -> length of the ERP field its value comes from (SPEC section 2); names
# come from contact, name or name 2, so the shortest of those bounds them
_ERP_LIMITS = {
    "email": 80,
    "company": 50,
    "address1": 100,
    "address2": 50,
    "zip": 20,
    "city": 30,
    "person_name": 50,
}


def erp_limits_for(company_source_length: int) -> dict[str, int]:
    """The ERP limits of the export columns when the company comes from a field of
    ``company_source_length`` characters (name: 100, name 2: 50)."""
    return {**_ERP_LIMITS, "company": company_source_length}


def address_input(row: Mapping[str, Any], *, clear_blanks: bool = False) -> dict[str, str]:
    """The default address as Shopify's MailingAddressInput.

    Blank values are left out of a new address; for an update (``clear_blanks``) they are
    sent empty, so that a value removed in the ERP is removed in Shopify too.
    """
    data = {}
    for column, key in _ADDRESS_FIELDS.items():
        value = _text(row.get(column))
        if value or (clear_blanks and key != "countryCode"):
            data[key] = value
    return data


def customer_input(
    row: Mapping[str, Any], *, with_address: bool = True, clear_blanks: bool = False
) -> dict[str, Any]:
    """A CustomerSetInput (or, without address, a CustomerInput) for one eligible ERP customer.

    Blank values are left out, unless ``clear_blanks`` (an update): then a blank phone is sent
    as null and blank names as empty text.
    """
    fields = {
        "email": _text(row.get("email")),
        "phone": _text(row.get("phone")),
        "firstName": _text(row.get("first_name")),
        "lastName": _text(row.get("last_name")),
    }
    data: dict[str, Any] = {key: value for key, value in fields.items() if value}
    if clear_blanks:
        for key, value in fields.items():
            if not value and key != "email":
                data[key] = None if key == "phone" else ""
    address = address_input(row)
    if with_address and any(key in address for key in ("address1", "city", "zip")):
        data["addresses"] = [address]
    return data


def changed_fields(
    row: Mapping[str, Any],
    customer: Mapping[str, Any],
    address: Mapping[str, Any] | None,
    *,
    erp_limits: Mapping[str, int] | None = None,
) -> list[str]:
    """The mapped fields whose value differs between an ERP customer's export row and the
    Shopify customer (mirror row and its default address), compared normalised: e-mails
    case-insensitively, phones as E.164 (what Shopify stores), other text trimmed.

    What the ERP cannot hold is no change: with ``erp_limits`` (export column -> length of
    the ERP field it comes from), an ERP value that is Shopify's cut to that length — as an
    import writes it — does not travel back to Shopify.
    """
    limits = dict(_ERP_LIMITS if erp_limits is None else erp_limits)
    changed = []
    theirs_by_column = {c: customer.get(m) for c, m in _CUSTOMER_COMPARED.items()}
    theirs_by_column |= {c: (address or {}).get(m) for c, m in _ADDRESS_COMPARED.items()}
    for column, theirs_value in theirs_by_column.items():
        ours, theirs = _text(row.get(column)), _text(theirs_value)
        if column == "email":
            ours, theirs = ours.casefold(), theirs.casefold()
        if ours == theirs or _cut_by_erp(column, ours, theirs, row, limits):
            continue
        changed.append(column)
    return changed


def _cut_by_erp(
    column: str, ours: str, theirs: str, row: Mapping[str, Any], limits: Mapping[str, int]
) -> bool:
    """Is ``ours`` Shopify's value as an ERP field of limited length holds it?"""
    if not ours or len(theirs) <= len(ours) or not theirs.startswith(ours):
        return False
    if column in ("first_name", "last_name"):  # both come out of one cut name field
        held = len(f"{_text(row.get('first_name'))} {_text(row.get('last_name'))}".strip())
        return held >= limits.get("person_name", _ERP_LIMITS["person_name"])
    limit = limits.get(column)
    return limit is not None and len(ours) >= limit


def match_in_mirror(export: pd.DataFrame, mirror: pd.DataFrame) -> pd.Series:
    """For each export row, the Shopify id of the mirrored customer with the same e-mail
    (case-insensitive), else the same E.164 phone; '' when none."""
    by_email = {
        str(email).casefold(): shopify_id
        for shopify_id, email in zip(mirror["shopify_id"], mirror["email"], strict=True)
        if email
    }
    by_phone = {
        str(phone): shopify_id
        for shopify_id, phone in zip(mirror["shopify_id"], mirror["phone"], strict=True)
        if phone
    }
    found = [
        by_email.get(str(email).casefold(), "") or by_phone.get(str(phone), "")
        for email, phone in zip(export["email"], export["phone"], strict=True)
    ]
    return pd.Series(found, index=export.index, dtype=object)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()
