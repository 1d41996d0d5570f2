"""The export plan: what happens to each ERP customer in Shopify (the one export planner)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from shopsync.eligibility import ELIGIBILITY_COLUMNS
from shopsync.exporting import (
    MIRROR_COMPARED,
    changed_columns,
    erp_limits_for,
    match_in_mirror,
)
from shopsync.reasons import join_codes
from shopsync.schema import ERP_FIELD_LENGTHS, EXPORT_ADDRESS_COLUMNS, Action
from shopsync.settings import ShopSettings

__all__ = ["EXPORT_ACTIONS", "EXPORT_PLAN_COLUMNS", "mirror_with_default_address", "plan_export"]

EXPORT_ACTIONS = tuple(Action)
EXPORT_PLAN_COLUMNS = [*ELIGIBILITY_COLUMNS, "shopify_id", "changes", "message"]

# the default-address columns of a mirror row, as ``address_<column>``
_ADDRESS_COLUMNS = ("address_id", *EXPORT_ADDRESS_COLUMNS)


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
    return _with_changes(plan, mirror, settings)  # changes decide no link: once, at the end


_MAX_PASSES = 4


def _plan(
    report: pd.DataFrame, mirror: pd.DataFrame, settings: ShopSettings, claims: dict[str, str]
) -> pd.DataFrame:
    """One pass of the planner, the mirror projected with ``claims`` (ERP no -> Shopify id
    the run links, and so updates) as if they were links already.

    Records are taken in the report's order: the first eligible record that finds an unheld
    Shopify customer claims it, and later records of other ERP customers that find it are
    ``ALREADY_EXISTS_IN_SHOPIFY`` (computed on whole columns, per Shopify customer)."""
    if report.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in EXPORT_PLAN_COLUMNS})
    plan = report.reset_index(drop=True)
    links = {no: sid for sid, no in zip(mirror["shopify_id"], mirror["customer_no"], strict=True)}
    links.pop("", None)
    holders = {sid: no for no, sid in links.items()}
    found = match_in_mirror(plan, _projected(mirror, plan, {**links, **claims}, settings))
    found = found.astype("str").to_numpy(dtype=object)
    numbers = plan["customer_no"].astype("str")
    linked_to = numbers.map(links).astype(object).fillna("").to_numpy(dtype=object)
    numbers = numbers.to_numpy(dtype=object)
    eligible = plan["eligible"].to_numpy(dtype=bool, copy=True)

    # who holds the Shopify customer a record finds, when the record comes to it
    finds = (found != "") & (linked_to == "")
    holder = (
        pd.Series(found).map(holders).astype(object).fillna("").to_numpy(dtype=object, copy=True)
    )
    holder[~finds] = ""
    claiming = finds & (holder == "") & eligible & settings.export_customers
    first_claim = pd.DataFrame({"sid": found[claiming], "at": np.flatnonzero(claiming)})
    first_claim = first_claim.drop_duplicates("sid").set_index("sid")
    claimed_at = pd.Series(found).map(first_claim["at"]).to_numpy(dtype=float)
    claimed_by = numbers[np.nan_to_num(claimed_at, nan=0).astype(np.int64)]
    later = finds & (holder == "") & (claimed_at < np.arange(len(plan)))
    holder[later] = claimed_by[later]
    taken = finds & (holder != "") & (holder != numbers)  # said even when another problem stops

    reasons = plan["reasons"].fillna("").astype("str").to_numpy(dtype=object, copy=True)
    message = np.full(len(plan), "", dtype=object)
    for position in np.flatnonzero(taken):
        reasons[position] = join_codes([*reasons[position].split(";"), "ALREADY_EXISTS_IN_SHOPIFY"])
        message[position] = (
            f"Shopify customer {found[position]} is linked to ERP customer {holder[position]}"
        )
    eligible &= ~taken
    linked = eligible & (linked_to != "")
    links_now = eligible & ~linked & (found != "") & settings.export_customers
    creates = eligible & ~linked & ~links_now & settings.export_customers
    for position in np.flatnonzero(eligible & ~linked & ~settings.export_customers):
        reasons[position] = join_codes([*reasons[position].split(";"), "EXPORT_CUSTOMERS_OFF"])
    shopify_id = np.where(links_now, found, linked_to)  # a skipped linked record keeps its id

    action = np.select(
        [linked, links_now, creates], ["unchanged", "link", "create"], default="skip"
    )
    plan["eligible"] = eligible
    plan["action"] = action
    plan["reasons"] = reasons
    plan["shopify_id"] = shopify_id
    plan["changes"] = ""
    plan["message"] = message
    return plan[EXPORT_PLAN_COLUMNS]


def _with_changes(plan: pd.DataFrame, mirror: pd.DataFrame, settings: ShopSettings) -> pd.DataFrame:
    """The plan with the mapped fields that differ from the Shopify customer, for linked and
    linking records when the shop pushes ERP changes: a linked record with changes is an
    update, and its message names them."""
    action = plan["action"].to_numpy(dtype=object, copy=True)
    compared = np.isin(action, ["unchanged", "link"]) & settings.can_update_shopify_customers
    if not compared.any():
        return plan
    company_field = "name" if settings.name_source == "company_name" else "name_2"
    by_id = mirror.set_index("shopify_id", drop=False)
    rows = by_id.index.get_indexer(plan["shopify_id"].to_numpy()[compared])
    theirs = pd.DataFrame(
        {
            column: by_id[source].to_numpy(dtype=object)[rows]
            for column, source in MIRROR_COMPARED.items()
            if source in by_id
        }
    )
    changed = changed_columns(
        plan[compared], theirs, erp_limits=erp_limits_for(ERP_FIELD_LENGTHS[company_field])
    )
    names = np.array(changed.columns, dtype=object)
    fields = [list(names[flags]) for flags in changed.to_numpy(dtype=bool)]
    changes = np.full(len(plan), "", dtype=object)
    changes[compared] = [",".join(f) for f in fields]
    message = plan["message"].to_numpy(dtype=object, copy=True)
    said = np.full(len(plan), "", dtype=object)
    said[compared] = [f"changed: {', '.join(f)}" if f else "" for f in fields]
    message = np.where(message == "", said, message)
    action[(action == "unchanged") & (changes != "")] = "update"
    return plan.assign(action=action, changes=changes, message=message)


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
            eligible["customer_no"].tolist(),
            eligible["email"].tolist(),
            eligible["phone"].tolist(),
            strict=True,
        )
    }
    projected = mirror.copy()
    sids = projected["shopify_id"].tolist()
    projected["email"] = [
        target.get(s, (e, None))[0] for s, e in zip(sids, mirror["email"].tolist(), strict=True)
    ]
    projected["phone"] = [
        target.get(s, (None, p))[1] for s, p in zip(sids, mirror["phone"].tolist(), strict=True)
    ]
    return projected
