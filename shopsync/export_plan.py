"""The export plan: what happens to each ERP customer in Shopify (the one export planner)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from shopsync.arrow_text import to_arrow, to_series
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
from shopsync.text_columns import blank_texts, byte_lengths, replaced

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
    ``ALREADY_EXISTS_IN_SHOPIFY`` (computed on whole columns, per Shopify customer). Only the
    records that find one are looked at one by one in Python, never the whole report."""
    if report.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in EXPORT_PLAN_COLUMNS})
    plan = report.reset_index(drop=True)
    n = len(plan)
    links = {no: sid for sid, no in zip(mirror["shopify_id"], mirror["customer_no"], strict=True)}
    links.pop("", None)
    holders = {sid: no for no, sid in links.items()}
    numbers = plan["customer_no"].astype("str")
    if mirror.empty:  # no Shopify customer to find
        found = blank_texts(n)
    else:
        projected = _projected(mirror, plan, {**links, **claims}, settings)
        found = to_arrow(match_in_mirror(plan, projected).astype("str"))
    linked_to = _looked_up(numbers, links)
    eligible = plan["eligible"].to_numpy(dtype=bool, copy=True)
    has_found = byte_lengths(found) > 0

    # who holds the Shopify customer a record finds, when the record comes to it
    finding = np.flatnonzero(has_found & (byte_lengths(linked_to) == 0))
    sids = found.take(pa.array(finding)).to_numpy(zero_copy_only=False)
    mine = numbers.iloc[finding].to_numpy(dtype=object)
    holder = _looked_up(pd.Series(sids, dtype=object), holders).to_numpy(zero_copy_only=False)
    unheld = holder == ""
    claiming = unheld & eligible[finding] & settings.export_customers
    group, _ = pd.factorize(sids)
    claimed_at = np.full(len(finding), len(finding), dtype=np.int64)  # as found: unclaimed
    if claiming.any():
        claimers = np.flatnonzero(claiming)
        first_claims = np.full(group.max() + 1, len(finding), dtype=np.int64)
        claimed, first = np.unique(group[claimers], return_index=True)
        first_claims[claimed] = claimers[first]
        claimed_at = first_claims[group]
    later = unheld & (claimed_at < np.arange(len(finding)))
    holder[later] = mine[claimed_at[later]]
    taken_at = (holder != "") & (holder != mine)  # said even when another problem stops
    taken = np.zeros(n, dtype=bool)
    taken[finding[taken_at]] = True

    reasons = to_arrow(plan["reasons"].fillna("").astype("str"))
    reasons = _with_code(reasons, finding[taken_at], "ALREADY_EXISTS_IN_SHOPIFY")
    said = [
        f"Shopify customer {sid} is linked to ERP customer {no}"
        for sid, no in zip(sids[taken_at], holder[taken_at], strict=True)
    ]
    message = replaced(blank_texts(n), finding[taken_at], said)
    eligible &= ~taken
    linked = eligible & (byte_lengths(linked_to) > 0)
    links_now = eligible & ~linked & has_found & settings.export_customers
    creates = eligible & ~linked & ~links_now & settings.export_customers
    off = np.flatnonzero(eligible & ~linked & ~settings.export_customers)
    reasons = _with_code(reasons, off, "EXPORT_CUSTOMERS_OFF")
    # a skipped linked record keeps its id
    shopify_id = pc.if_else(pa.array(links_now), found, linked_to)
    action = np.select([linked, links_now, creates], [0, 1, 2], default=3).astype(np.int64)
    index = pd.RangeIndex(n)
    made = {
        "eligible": pd.Series(eligible, index=index),
        "action": to_series(_ACTIONS.take(pa.array(action)), index),
        "reasons": to_series(reasons, index),
        "shopify_id": to_series(shopify_id, index),
        "changes": to_series(blank_texts(n), index),
        "message": to_series(message, index),
    }
    return pd.DataFrame(
        {
            c: made[c] if c in made else pd.Series(plan[c].array, index=index)
            for c in EXPORT_PLAN_COLUMNS
        },
        index=index,
    )


# a pass's actions, by the number _plan gives each
_ACTIONS = pa.array(["unchanged", "link", "create", "skip"], pa.large_string())


def _looked_up(values: pd.Series, mapping: Mapping[str, str]) -> pa.Array:
    """``mapping.get(value, "")`` of each value, by one hash lookup of the column."""
    if not mapping or not len(values):
        return blank_texts(len(values))
    at = pd.Index(list(mapping)).get_indexer(values)
    targets = pa.array([*mapping.values(), ""], pa.large_string())
    return targets.take(pa.array(np.where(at >= 0, at, len(mapping))))


def _with_code(reasons: pa.Array, rows: np.ndarray, code: str) -> pa.Array:
    """``reasons`` with ``code`` joined to those of ``rows`` (ascending): once per distinct
    text."""
    if not len(rows):
        return reasons
    texts = to_series(reasons.take(pa.array(rows)), pd.RangeIndex(len(rows)))
    codes, distinct = pd.factorize(texts)
    joined = pa.array([join_codes([*text.split(";"), code]) for text in distinct], reasons.type)
    return replaced(reasons, rows, joined.take(pa.array(codes)))


def _with_changes(plan: pd.DataFrame, mirror: pd.DataFrame, settings: ShopSettings) -> pd.DataFrame:
    """The plan with the mapped fields that differ from the Shopify customer, for linked and
    linking records when the shop pushes ERP changes: a linked record with changes is an
    update, and its message names them. The texts are made once per set of changed fields."""
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
    names = list(changed.columns)
    flags = changed.to_numpy(dtype=bool)
    sets, kinds = pd.factorize(
        flags.astype(np.int64) @ (1 << np.arange(len(names), dtype=np.int64))
    )
    fields = [[name for bit, name in enumerate(names) if kind >> bit & 1] for kind in kinds]
    set_changes = np.array([",".join(f) for f in fields], dtype=object)
    set_said = np.array([f"changed: {', '.join(f)}" if f else "" for f in fields], dtype=object)
    changes = np.full(len(plan), "", dtype=object)
    changes[compared] = set_changes[sets]
    message = plan["message"].to_numpy(dtype=object, copy=True)
    said = np.full(len(plan), "", dtype=object)
    said[compared] = set_said[sets]
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
    chosen = report["eligible"] & report["customer_no"].isin(list(links))
    eligible = report.loc[chosen, ["customer_no", "email", "phone"]]
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
