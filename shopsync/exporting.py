"""Export mapping: Shopify mutation inputs from eligibility rows, and what really changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from shopsync.normalize import casefold_texts
from shopsync.schema import ADDRESS_INPUT_FIELDS as _ADDRESS_FIELDS
from shopsync.schema import (
    CUSTOMER_INPUT_FIELDS,
    EXPORT_ADDRESS_COLUMNS,
    EXPORT_CUSTOMER_COLUMNS,
)

__all__ = [
    "MIRROR_COMPARED",
    "address_input",
    "changed_columns",
    "changed_fields",
    "customer_input",
    "erp_limits_for",
    "match_in_mirror",
]

# eligibility column -> mirror column, compared to decide whether an update is needed
_CUSTOMER_COMPARED = {column: column for column in EXPORT_CUSTOMER_COLUMNS}
_ADDRESS_COMPARED = {column: column for column in EXPORT_ADDRESS_COLUMNS}
_COMPARED_COLUMNS = [*_CUSTOMER_COMPARED, *_ADDRESS_COMPARED]
#: export column -> the column of a mirror row (default address as ``address_<field>``, see
#: shopsync.export_plan.mirror_with_default_address) it is compared with
MIRROR_COMPARED = {
    **_CUSTOMER_COMPARED,
    **{column: f"address_{field}" for column, field in _ADDRESS_COMPARED.items()},
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
    fields = {field: _text(row.get(column)) for column, field in CUSTOMER_INPUT_FIELDS.items()}
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
    """The mapped fields whose value differs between one ERP customer's export row and the
    Shopify customer (mirror row and its default address): :func:`changed_columns` for one
    record."""
    ours = pd.DataFrame([{column: row.get(column) for column in _COMPARED_COLUMNS}])
    theirs = {c: customer.get(m) for c, m in _CUSTOMER_COMPARED.items()}
    theirs |= {c: (address or {}).get(m) for c, m in _ADDRESS_COMPARED.items()}
    changed = changed_columns(ours, pd.DataFrame([theirs]), erp_limits=erp_limits)
    return [column for column in changed.columns if changed[column].iloc[0]]


def changed_columns(
    ours: pd.DataFrame, theirs: pd.DataFrame, *, erp_limits: Mapping[str, int] | None = None
) -> pd.DataFrame:
    """Per record (the rows of ``ours``, the ERP side, and ``theirs``, the Shopify side, by
    position), whether each mapped field differs: one boolean column per field, in the order
    the fields are reported. Values are compared normalised: e-mails case-insensitively,
    phones as E.164 (what Shopify stores), other text trimmed.

    What the ERP cannot hold is no change: with ``erp_limits`` (export column -> length of
    the ERP field it comes from), an ERP value that is Shopify's cut to that length — as an
    import writes it — does not travel back to Shopify.
    """
    limits = dict(_ERP_LIMITS if erp_limits is None else erp_limits)
    person_limit = limits.get("person_name", _ERP_LIMITS["person_name"])
    held = (_texts(ours, "first_name") + " " + _texts(ours, "last_name")).str.strip().str.len()
    changed = pd.DataFrame(index=pd.RangeIndex(len(ours)))
    for column in _COMPARED_COLUMNS:
        mine, their = _texts(ours, column), _texts(theirs, column)
        if column == "email":
            mine, their = mine.str.casefold(), their.str.casefold()
        differs = (mine != their).to_numpy(dtype=bool, copy=True)
        if column in ("first_name", "last_name"):  # both come out of one cut name field
            may_be_cut = (held >= person_limit).to_numpy(dtype=bool)
        elif column in limits:
            may_be_cut = (mine.str.len() >= limits[column]).to_numpy(dtype=bool)
        else:
            may_be_cut = np.zeros(len(ours), dtype=bool)
        longer = (their.str.len() > mine.str.len()).to_numpy(dtype=bool)
        suspects = differs & may_be_cut & longer & (mine != "").to_numpy(dtype=bool)
        mine_text, their_text = mine.to_numpy(dtype=object), their.to_numpy(dtype=object)
        for position in np.flatnonzero(suspects):  # ours is theirs as the ERP field holds it
            if their_text[position].startswith(mine_text[position]):
                differs[position] = False
        changed[column] = differs
    return changed


def _texts(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as trimmed text by position ('' for missing values or a missing column)."""
    if column not in frame:
        return pd.Series("", index=pd.RangeIndex(len(frame)), dtype="str")
    values = frame[column].reset_index(drop=True)
    if not isinstance(values.dtype, pd.StringDtype):
        values = values.astype(object).where(values.notna(), "").map(str)
    return values.fillna("").astype("str").str.strip()


def match_in_mirror(export: pd.DataFrame, mirror: pd.DataFrame) -> pd.Series:
    """For each export row, the Shopify id of the mirrored customer with the same e-mail
    (case-insensitive), else the same E.164 phone; '' when none (the last mirrored customer
    holding a key wins). Text columns without missing values are matched column-wise;
    others are walked as lists."""
    columns = [export["email"], export["phone"], mirror["shopify_id"], mirror["email"]]
    columns.append(mirror["phone"])
    if all(_plain_text(column) for column in columns):
        return _match_columns(export, mirror)
    by_email = {
        str(email).casefold(): shopify_id
        for shopify_id, email in zip(
            mirror["shopify_id"].tolist(), mirror["email"].tolist(), strict=True
        )
        if email
    }
    by_phone = {
        str(phone): shopify_id
        for shopify_id, phone in zip(
            mirror["shopify_id"].tolist(), mirror["phone"].tolist(), strict=True
        )
        if phone
    }
    found = [
        by_email.get(str(email).casefold(), "") or by_phone.get(str(phone), "")
        for email, phone in zip(export["email"].tolist(), export["phone"].tolist(), strict=True)
    ]
    return pd.Series(found, index=export.index, dtype=object)


def _plain_text(column: pd.Series) -> bool:
    return isinstance(column.dtype, pd.StringDtype) and not column.hasnans


def _match_columns(export: pd.DataFrame, mirror: pd.DataFrame) -> pd.Series:
    """:func:`match_in_mirror` on text columns without missing values, by hash lookups."""
    found = pd.Series("", index=export.index, dtype="str")
    if mirror.empty or export.empty:
        return found.astype(object)
    for column, fold in (("phone", False), ("email", True)):  # the e-mail wins: set last
        keys = casefold_texts(mirror[column]) if fold else mirror[column]
        ids = pd.Series(mirror["shopify_id"].to_numpy(), index=keys.to_numpy())
        ids = ids[keys.to_numpy() != ""]
        ids = ids[~ids.index.duplicated(keep="last")]
        ids = ids[ids != ""]  # a blank id is no match: the next rule may find one
        if ids.empty:
            continue
        wanted = casefold_texts(export[column]) if fold else export[column]
        at = ids.index.get_indexer(wanted.to_numpy())
        hit = at >= 0
        found = found.where(~hit, pd.Series(ids.to_numpy()[np.where(hit, at, 0)], found.index))
    return found.astype(object)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()
