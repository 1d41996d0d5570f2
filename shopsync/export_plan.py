"""The export plan: what happens to each ERP customer in Shopify (the one export planner)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from shopsync.eligibility import ELIGIBILITY_COLUMNS
from shopsync.erp_io import ERP_FIELD_LENGTHS
from shopsync.exporting import changed_fields, erp_limits_for, match_in_mirror
from shopsync.reasons import join_codes
from shopsync.settings import ShopSettings

__all__ = ["EXPORT_ACTIONS", "EXPORT_PLAN_COLUMNS", "mirror_with_default_address", "plan_export"]

EXPORT_ACTIONS = ("create", "update", "link", "unchanged", "skip")
EXPORT_PLAN_COLUMNS = [*ELIGIBILITY_COLUMNS, "shopify_id", "changes", "message"]

# the default-address columns of a mirror row, as ``address_<column>``
_ADDRESS_COLUMNS = (
    "address_id",
    "company",
    "address1",
    "address2",
    "zip",
    "city",
    "country_code",
    "province_code",
)


def mirror_with_default_address(
    customers: pd.DataFrame, addresses: pd.DataFrame, links: Mapping[str, str]
) -> pd.DataFrame:
    """Mirrored customers with their link (``customer_no``) and default address columns
    (``address_city``...): what the export planner compares ERP customers with."""
    frame = customers.copy()
    links = dict(links)
    frame["customer_no"] = [links.get(sid, "") for sid in frame["shopify_id"]]
    ordered = addresses.sort_values(["is_default", "position"], ascending=[False, True])
    defaults = ordered.drop_duplicates("shopify_id").set_index("shopify_id")
    for column in _ADDRESS_COLUMNS:
        frame[f"address_{column}"] = frame["shopify_id"].map(defaults[column]).fillna("")
    return frame


def plan_export(
    report: pd.DataFrame,
    mirror: pd.DataFrame,
    settings: ShopSettings,
) -> pd.DataFrame:
    """One row per ERP customer of the eligibility ``report``, in its order, with the action
    (EXPORT_ACTIONS), the Shopify customer it concerns and the fields that changed.

    ``mirror`` (see mirror_with_default_address) holds the Shopify customers known to the
    store with their links, as they will be when the run's import has been applied. Rules
    (SPEC section 5): an ineligible customer is skipped; a linked one is updated when
    ``can_update_shopify_customers`` and a mapped field really changed, else unchanged; an
    unlinked one whose e-mail (else phone) is a known Shopify customer is linked, or skipped
    ``ALREADY_EXISTS_IN_SHOPIFY`` when that customer is linked to another ERP customer;
    otherwise created. Only a run that creates (``export_customers``) links or creates: an
    update-only run touches linked customers only (``EXPORT_CUSTOMERS_OFF``), as BC.
    """
    claims: dict[str, str] = {}
    for _ in range(_MAX_PASSES):  # the run's own links and updates change what it finds
        plan = _plan(report, mirror, settings, claims)
        linking = plan[plan["action"] == "link"]
        found = dict(zip(linking["customer_no"], linking["shopify_id"], strict=True))
        if found == claims:
            break
        claims = found
    return plan


_MAX_PASSES = 4


def _plan(
    report: pd.DataFrame, mirror: pd.DataFrame, settings: ShopSettings, claims: dict[str, str]
) -> pd.DataFrame:
    """One pass of the planner, the mirror projected with ``claims`` (ERP no -> Shopify id
    the run links, and so updates) as if they were links already."""
    by_id = mirror.set_index("shopify_id", drop=False)
    links = {no: sid for sid, no in zip(mirror["shopify_id"], mirror["customer_no"], strict=True)}
    links.pop("", None)
    holders = {sid: no for no, sid in links.items()}  # grows as rows claim Shopify customers
    found = match_in_mirror(report, _projected(mirror, report, {**links, **claims}, settings))
    company_field = "name" if settings.name_source == "company_name" else "name_2"
    limits = erp_limits_for(ERP_FIELD_LENGTHS[company_field])
    rows = []
    for index, row in report.iterrows():
        no = row["customer_no"]
        sid = links.get(no, "")
        action, reasons, message, changes = "skip", row["reasons"], "", []
        eligible = bool(row["eligible"])
        holder = holders.get(found[index], "") if found[index] and not sid else ""
        if holder and holder != no:  # said even when another problem stops the record
            reasons = join_codes([*reasons.split(";"), "ALREADY_EXISTS_IN_SHOPIFY"])
            message = f"Shopify customer {found[index]} is linked to ERP customer {holder}"
            eligible = False
        if not eligible:
            pass
        elif sid:
            action = "unchanged"
            if settings.can_update_shopify_customers:
                changes = _changes(row, by_id.loc[sid], limits)
                action = "update" if changes else "unchanged"
        elif found[index] and settings.export_customers:
            sid, action = found[index], "link"
            holders[sid] = no
            if settings.can_update_shopify_customers:
                changes = _changes(row, by_id.loc[sid], limits)
        elif settings.export_customers:
            action = "create"
        else:
            reasons = join_codes([*reasons.split(";"), "EXPORT_CUSTOMERS_OFF"])
        rows.append(
            {
                **row.to_dict(),
                "eligible": eligible,
                "action": action,
                "reasons": reasons,
                "shopify_id": sid,
                "changes": ",".join(changes),
                "message": message or (f"changed: {', '.join(changes)}" if changes else ""),
            }
        )
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in EXPORT_PLAN_COLUMNS})
    return pd.DataFrame(rows)[EXPORT_PLAN_COLUMNS]


def _changes(row: pd.Series, customer: pd.Series, limits: Mapping[str, int]) -> list[str]:
    address = {
        str(key)[len("address_") :]: value
        for key, value in customer.items()
        if str(key).startswith("address_")
    }
    return changed_fields(row, customer, address, erp_limits=limits)


def _projected(
    mirror: pd.DataFrame, report: pd.DataFrame, links: Mapping[str, str], settings: ShopSettings
) -> pd.DataFrame:
    """The mirror as it will be once linked customers carry their ERP e-mail and phone
    (when the run pushes ERP changes), so lookups see Shopify's state after the run."""
    if not settings.can_update_shopify_customers:
        return mirror
    eligible = report[report["eligible"] & report["customer_no"].isin(list(links))]
    target = {
        links[no]: (email, phone)
        for no, email, phone in zip(
            eligible["customer_no"], eligible["email"], eligible["phone"], strict=True
        )
    }
    projected = mirror.copy()
    sids = projected["shopify_id"]
    projected["email"] = [
        target.get(s, (e, None))[0] for s, e in zip(sids, mirror["email"], strict=True)
    ]
    projected["phone"] = [
        target.get(s, (None, p))[1] for s, p in zip(sids, mirror["phone"], strict=True)
    ]
    return projected
