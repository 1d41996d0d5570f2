"""Import matching: which ERP customer each Shopify customer maps to, by which rule, and why."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from shopsync.arrow_text import to_arrow
from shopsync.names import build_names
from shopsync.normalize import (
    bc_phone_match_pairs,
    countries_to_iso,
    email_match_keys,
    iso_to_erp_country,
    phones_e164,
    province_key,
)
from shopsync.reasons import join_codes
from shopsync.rules_context import RulesContext
from shopsync.schema import ERP_COLUMNS, ERP_FIELD_LENGTHS
from shopsync.shopify_io import ShopifyCustomers

__all__ = [
    "ERP_VALUE_COLUMNS",
    "PLAN_COLUMNS",
    "choose_addresses",
    "erp_values_from_addresses",
    "map_order_customers",
    "plan_import",
]

# The ERP fields an import writes (SPEC section 4), prefixed ``erp_`` in the plan: all but the
# key and what only a template gives (posting groups other than VAT, payment terms).
_TEMPLATE_ONLY = ("no", "gen_bus_posting_group", "customer_posting_group", "payment_terms_code")
ERP_VALUE_COLUMNS = [column for column in ERP_COLUMNS if column not in _TEMPLATE_ONLY]

PLAN_COLUMNS = [
    "shopify_id",
    "action",
    "customer_no",
    "rule",
    "template_code",
    "reasons",
    "candidates",
    "email",
    "phone",
    "first_name",
    "last_name",
] + [f"erp_{c}" for c in ERP_VALUE_COLUMNS]

# Problems that stop a create or an update (the other codes are warnings on the record).
_BLOCKING = frozenset({"NO_ADDRESS", "NO_TEMPLATE", "TEMPLATE_INCOMPLETE", "COUNTRY_NOT_IN_ERP"})

_TAIL_DIGITS = 7  # the subscriber digits; country and trunk prefixes differ in front of them

_BILL_TO_FIELDS = [
    "name",
    "name_2",
    "address",
    "address_2",
    "post_code",
    "city",
    "county",
    "country_code",
]


def choose_addresses(addresses: pd.DataFrame) -> pd.DataFrame:
    """The address an import uses per customer: the default one, else the first — the lowest
    address id, as BC's ``FindFirst`` on its address table (ids that are not numbers sort
    after the numbers, by position). One row per customer, indexed by ``shopify_id``.

    The order is found on numeric keys (customer codes from a hash factorisation, default
    flag, numeric id, position) with a stable lexsort: no sort of the text ids.
    """
    return addresses.iloc[_chosen_rows(addresses)].set_index("shopify_id")


def _chosen_rows(addresses: pd.DataFrame) -> np.ndarray:
    """The positions of :func:`choose_addresses`' rows in ``addresses`` (one per customer)."""
    if addresses.empty:
        return np.zeros(0, dtype=np.int64)
    customer, _ = pd.factorize(addresses["shopify_id"], use_na_sentinel=False)
    default = addresses["is_default"]
    default_rank = np.where(default.isna().to_numpy(), 2, np.where(default.fillna(False), 0, 1))
    numeric_id = _numbers(addresses["address_id"])
    position = _numbers(addresses["position"])
    # np.lexsort sorts by the last key first; NaN sorts after every number (na_position last)
    order = np.lexsort((position, numeric_id, default_rank, customer))
    return order[np.r_[True, customer[order][1:] != customer[order][:-1]]]


def _customer_addresses(
    addresses: pd.DataFrame, shopify_ids: pd.Series
) -> tuple[pd.DataFrame, np.ndarray]:
    """Per customer (the rows of ``shopify_ids``): the text of its chosen address (blanks
    without one), and whether it has one. One Arrow take per column, of the chosen rows only
    (no pandas reindex by the text ids)."""
    first = _chosen_rows(addresses)
    at = _index_in(shopify_ids, addresses["shopify_id"].take(first))
    rows = np.where(at >= 0, first[np.maximum(at, 0)] if len(first) else 0, -1)
    take = pa.array(rows, pa.int64(), mask=rows < 0)
    chosen = pd.DataFrame(index=shopify_ids.index)
    has_address = np.zeros(len(rows), dtype=bool)
    for column in addresses.columns:
        if column in ("shopify_id", "position", "is_default"):
            continue
        taken = pc.take(_arrow_text(addresses[column]), take)
        if column == "address_id":
            has_address = np.asarray(taken.is_valid().to_numpy(zero_copy_only=False), bool)
        chosen[column] = pd.Series(pc.fill_null(taken, ""), dtype="str", index=chosen.index)
    return chosen, has_address


def _numbers(values: pd.Series) -> np.ndarray:
    """``pd.to_numeric(values, errors="coerce")`` as floats; text of whole numbers only is
    read by Arrow's integer cast (the same numbers, without pandas' per-value parser)."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        try:
            integers = pc.cast(pa.array(values.array), pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        else:
            if integers.null_count == 0:
                return np.asarray(integers.to_numpy(zero_copy_only=False)).astype(float)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def erp_values_from_addresses(
    addresses: pd.DataFrame,
    customer_email: pd.Series,
    customer_phone: pd.Series,
    context: RulesContext,
    *,
    first_name: pd.Series | None = None,
    last_name: pd.Series | None = None,
) -> pd.DataFrame:
    """The ERP field values an import writes from Shopify addresses (SPEC section 4).

    ``addresses`` has ADDRESS_COLUMNS (one row per record, index = record key); customer
    e-mail/phone and, optionally, the customer's own names (used where the address has
    none) are aligned on that index. Returns ERP_VALUE_COLUMNS plus ``reasons`` (codes),
    ``notes`` (words for the truncations and unknowns), ``names_empty`` (the name sources
    give neither a name nor a name 2 — the contact does not count) and, per field that BC's
    ``FillInCustomerFields`` writes only when Shopify supplies it, ``given_<field>``: phone,
    email, name_2 (not written when the name took its value), tax_area_code (with
    tax_liable) and vat_bus_posting_group (each from a non-blank tax-area value); and
    ``given_name``: an update never blanks the name (BC would, from an address without any
    name; shopsync keeps the customer's).
    """
    settings = context.settings
    index = addresses.index
    first = _text(addresses["first_name"])
    last = _text(addresses["last_name"])
    if first_name is not None:
        no_names = (first == "") & (last == "")
        first = first.where(~no_names, _text(first_name.reindex(index)))
        last = last.where(~no_names, _text(last_name.reindex(index)))
    company = _text(addresses["company"])

    name = build_names(settings.name_source, first, last, company)
    name_2 = build_names(settings.name_2_source, first, last, company)
    contact = build_names(settings.contact_source, first, last, company)
    names_empty = (name == "") & (name_2 == "")
    name_empty = name == ""
    given_name_2 = ~name_empty  # else the name takes name 2's value and name 2 stays as it was
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
    out["post_code"] = _text(addresses["zip"]).str.upper()  # a Code field in BC

    iso = _text(addresses["country_code"]).str.upper()
    erp_country = _map_distinct(iso, lambda code: iso_to_erp_country(code, context.countries) or "")
    erp_country = erp_country.astype("str")
    out["country_code"] = erp_country

    province_code = _text(addresses["province_code"])
    province_name = _text(addresses["province_name"])
    out["county"] = province_code if settings.county_source == "code" else province_name
    has_province = (province_code != "") | (province_name != "")
    given = province_code.where(province_code != "", province_name)
    known = context.provinces.resolve_provinces(iso, given, mode="any")["province_found"]

    address_phone = _text(addresses["phone"])
    out["phone"] = address_phone.where(address_phone != "", _text(customer_phone.reindex(index)))
    out["email"] = _text(customer_email.reindex(index))

    tax = _tax_area_values(iso, province_name, context.tax_areas)
    out["tax_area_code"] = tax["tax_area_code"]
    out["tax_liable"] = tax["tax_liable"]
    out["vat_bus_posting_group"] = tax["vat_bus_posting_group"]

    codes: Notes = defaultdict(list)
    notes: Notes = defaultdict(list)
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
        if len(too_long):  # else every value fits: nothing to cut
            out[column] = out[column].str.slice(0, limit)
    out["reasons"] = _joined(codes, len(out), join_codes)
    out["notes"] = _joined(notes, len(out), "; ".join)
    out["names_empty"] = names_empty
    out["given_name"] = out["name"] != ""  # BC would blank it; shopsync keeps the name
    out["given_phone"] = out["phone"] != ""
    out["given_email"] = out["email"] != ""
    out["given_name_2"] = given_name_2
    out["given_tax_area_code"] = out["tax_area_code"] != ""
    out["given_vat_bus_posting_group"] = out["vat_bus_posting_group"] != ""
    return out


def plan_import(
    shopify: ShopifyCustomers,
    erp: pd.DataFrame,
    context: RulesContext,
    *,
    links: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The import plan: one row per Shopify customer (PLAN_COLUMNS), in input order.

    A customer import maps by existing link, then e-mail, then phone, whatever the
    ``mapping_type`` (BC's ``FindMapping``: the mapping type governs order customers only,
    see :func:`map_order_customers`). ``links`` maps Shopify ids to the ERP customers they are
    already linked to.

    Writes are non-destructive (BC's ``FillInCustomerFields``): for ``update`` every ``erp_*``
    column holds the value the ERP customer has after the update — where Shopify supplies
    nothing (a blank phone or e-mail, no tax-area value, name 2 when the name took its value,
    no name at all) the ERP customer's current value — so writing all of them changes only
    what Shopify supplies. A matched customer without any address is not updated (BC raises
    and rolls back): where it would be an ``update`` it is ``skip`` with ``NO_ADDRESS``, its
    ``erp_*`` columns blank, and the ERP customer stays exactly as it was. For ``create``
    unsupplied fields are blank (the template gives them).
    """
    return _plan(shopify, erp, context, links or {}, "by_email_phone", None, exclusive=True)


def map_order_customers(
    shopify: ShopifyCustomers,
    erp: pd.DataFrame,
    context: RulesContext,
    *,
    links: Mapping[str, str] | None = None,
    can_create: Sequence[bool] | None = None,
) -> pd.DataFrame:
    """Like :func:`plan_import`, for the customer on an order (one pseudo customer per order
    side, its address the order's): mapped with the shop's ``mapping_type`` — by_email_phone,
    by_bill_to (the eight bill-to fields; e-mail/phone when the name sources give neither name
    nor name 2; near misses name the one field that differs, and may be an ERP customer other
    orders matched) or default_customer.

    ``can_create`` (per customer, in input order) says which may be created at all: the
    order's customer only from addresses of its own, none when the shop imports no customers
    (the caller reports why).
    """
    settings = context.settings
    return _plan(shopify, erp, context, links or {}, settings.mapping_type, can_create)


def _plan(
    shopify: ShopifyCustomers,
    erp: pd.DataFrame,
    context: RulesContext,
    links: Mapping[str, str],
    mapping_type: str,
    can_create: Sequence[bool] | None,
    *,
    exclusive: bool = False,
) -> pd.DataFrame:
    """The plan of :func:`plan_import` with the given mapping type. ``exclusive``: one ERP
    customer per record, so an ERP customer another record matched is no near miss (orders
    of one customer share their ERP customer)."""
    settings = context.settings
    # rows are addressed by position throughout (a RangeIndex aligns without hashing ids)
    customers = shopify.customers.reset_index(drop=True)
    n = len(customers)
    plan = pd.DataFrame(index=customers.index)
    plan["shopify_id"] = customers["shopify_id"]
    plan["email"] = customers["email"]
    plan["phone"] = customers["phone"]
    plan["first_name"] = customers["first_name"]
    plan["last_name"] = customers["last_name"]
    plan["customer_no"] = ""
    plan["rule"] = "none"
    # sparse: only rows with something to say have an entry
    reasons: Notes = defaultdict(list)
    candidates: Notes = defaultdict(list)

    chosen, has_address = _customer_addresses(shopify.addresses, customers["shopify_id"])
    values = erp_values_from_addresses(
        chosen,
        customers["email"],
        customers["phone"],
        context,
        first_name=customers["first_name"],
        last_name=customers["last_name"],
    )
    # a customer without address supplies its e-mail and phone only
    no_address = ~has_address
    values.loc[no_address, ["address", "address_2", "city", "post_code", "county"]] = ""
    values.loc[no_address, "country_code"] = ""
    values.loc[no_address, "reasons"] = ""

    erp = erp.reset_index(drop=True)

    # 1. existing links (a link to a deleted ERP customer is cleared, discovery re-runs)
    link = pd.Series("", index=plan.index, dtype="str")
    if links:
        link = customers["shopify_id"].map(links).fillna("").astype("str")
    broken = pd.Series(False, index=plan.index)
    if links:
        broken = (link != "") & ~_is_in(link, erp["no"])
    for position in np.flatnonzero(broken.to_numpy()):
        candidates[position].append(f"link to deleted ERP customer {link.iloc[position]} cleared")
    linked = (link != "") & ~broken
    plan.loc[linked, "customer_no"] = link[linked]
    plan.loc[linked, "rule"] = "existing_link"

    # 2.-4. discovery by the mapping type
    open_rows = ~linked
    bill_to_rows = pd.Series(False, index=plan.index)
    if mapping_type == "default_customer":
        default = settings.default_customer_no
        if default and _is_in([default], erp["no"])[0]:
            plan.loc[open_rows, "customer_no"] = default
            plan.loc[open_rows, "rule"] = "default_customer"
    elif mapping_type == "by_bill_to":
        fallback = open_rows & values["names_empty"]
        for position in np.flatnonzero(fallback.to_numpy()):
            reasons[position].append("NAME_EMPTY_FALLBACK_EMAIL_PHONE")
        bill_to_rows = open_rows & ~values["names_empty"] & pd.Series(has_address, plan.index)
        _match_bill_to(plan, values, erp, bill_to_rows)
        _match_email_phone(plan, customers, chosen, erp, fallback, context, reasons, candidates)
    else:
        _match_email_phone(plan, customers, chosen, erp, open_rows, context, reasons, candidates)

    # near misses for whoever is still unmatched
    unmatched = plan["rule"] == "none"
    if unmatched.any() and mapping_type != "default_customer":
        claimed = pd.Index(
            plan.loc[~unmatched, "customer_no"].astype("str").unique() if exclusive else []
        )
        _near_misses(
            plan, customers, chosen, values, erp, unmatched, claimed, context, reasons, candidates
        )
        if (unmatched & bill_to_rows).any():
            _bill_to_near_misses(
                values, erp, unmatched & bill_to_rows, claimed, reasons, candidates
            )

    # 5.-6. actions
    action = np.full(n, "skip", dtype=object)
    template_code = np.full(n, "", dtype=object)
    value_codes = values["reasons"].to_numpy()
    matched = (plan["rule"] != "none").to_numpy()
    positions = np.full(n, -1, dtype=np.int64)
    if matched.any():
        positions[matched] = _erp_positions(erp, plan["customer_no"].to_numpy()[matched])
    # for matched rows: the ERP customer as an update leaves it
    matched_rows = np.flatnonzero(matched)
    after, differs = _updated_values(values, has_address, erp, matched_rows, positions[matched])
    if matched.any():
        rule = plan["rule"].to_numpy()[matched]
        update = differs & (rule != "default_customer") & settings.shopify_can_update_customers
        action[matched] = np.select(
            [update, rule == "existing_link"], ["update", "unchanged"], default="link"
        )
    for position in np.flatnonzero((action == "update") & ~has_address):
        reasons[position].append("NO_ADDRESS")  # BC: no address to update from, rolled back
        action[position] = "skip"
    for position in np.flatnonzero((action == "update") & (value_codes != "")):
        codes = value_codes[position].split(";")
        reasons[position].extend(codes)
        if _BLOCKING.intersection(codes):  # link, but do not write what cannot be written
            action[position] = "link"
    if settings.auto_create_unknown_customers:
        creatable = np.ones(n, dtype=bool) if can_create is None else np.asarray(can_create, bool)
        countries = chosen["country_code"].unique()
        templates = {iso: _template_for(iso, context) for iso in countries}
        iso_codes = chosen["country_code"].to_numpy()
        for position in np.flatnonzero(~matched & creatable):
            if not has_address[position]:
                reasons[position].append("NO_ADDRESS")
                continue
            template_code[position], problem = templates[iso_codes[position]]
            codes = [c for c in (*value_codes[position].split(";"), problem) if c]
            if codes:
                reasons[position].extend(codes)
            if not _BLOCKING.intersection(codes):
                action[position] = "create"
    plan["action"] = action
    plan["template_code"] = template_code

    updates = action == "update"
    creates = action == "create"
    updated = updates[matched_rows]  # the matched records that are updates
    for column in ERP_VALUE_COLUMNS:
        if column == "tax_liable":
            written = values[column].to_numpy(dtype=bool) & creates
            written[matched_rows[updated]] = after[column][updated]
            plan[f"erp_{column}"] = written
            continue
        text = pc.if_else(pa.array(creates), pc.fill_null(_arrow_text(values[column]), ""), "")
        if updated.any():
            text = pc.replace_with_mask(text, pa.array(updates), after[column].filter(updated))
        plan[f"erp_{column}"] = pd.Series(text, dtype="str", index=plan.index)
    plan["reasons"] = _joined(reasons, n, join_codes)
    plan["candidates"] = _joined(candidates, n, lambda items: "; ".join(dict.fromkeys(items)))
    broken_rows = customers["record_error"] != ""
    if broken_rows.any():
        plan.loc[broken_rows, ["action", "rule", "customer_no"]] = ["skip", "none", ""]
        plan.loc[broken_rows, "reasons"] = "RECORD_UNREADABLE"
        plan.loc[broken_rows, "candidates"] = customers.loc[broken_rows, "record_error"]
    return plan[PLAN_COLUMNS].reset_index(drop=True)


# -- matching rules -------------------------------------------------------------------------


def _match_email_phone(
    plan: pd.DataFrame,
    customers: pd.DataFrame,
    chosen: pd.DataFrame,
    erp: pd.DataFrame,
    rows: pd.Series,
    context: RulesContext,
    reasons: Notes,
    candidates: Notes,
) -> None:
    """E-mail (trimmed, case-insensitive, whole field), then phone (E.164 or BC's rule)."""
    if not rows.any() or erp.empty:
        return
    shop_keys = email_match_keys(customers.loc[rows, "email"])
    erp_keys = email_match_keys(erp["email"])
    hits = _join_keys(shop_keys[shop_keys != ""], erp_keys, erp["no"])
    _apply_hits(plan, hits, "email", reasons, candidates)

    rows = rows & (plan["rule"] == "none") & (customers["phone"] != "")
    if not rows.any():
        return
    shop_phone = customers.loc[rows, "phone"]
    if context.settings.phone_match == "bc":
        shop_at, erp_at = bc_phone_match_pairs(shop_phone, erp["phone"])
        numbers = erp["no"].astype("str").array.take(erp_at)
        hits = pd.DataFrame({"_row": shop_phone.index.take(shop_at), "no": numbers})
    else:
        shop_e164 = _shopify_e164(shop_phone, chosen["country_code"])
        shop_e164 = shop_e164[shop_e164 != ""]
        erp_e164 = _erp_e164(erp, context, tails=_tail(shop_e164).unique())
        hits = _join_keys(shop_e164, erp_e164, erp["no"])
    _apply_hits(plan, hits, "phone", reasons, candidates)


def _join_keys(shop_keys: pd.Series, erp_keys: pd.Series, erp_numbers: pd.Series) -> pd.DataFrame:
    """Equi-join of non-blank keys: columns ``_row`` (Shopify index) and ``no``.

    Both sides' keys are coded as integers by one Arrow dictionary encoding of them all (one
    hash pass); ERP rows are grouped by code with a counting sort, so each Shopify key finds
    all its ERP rows (in ERP order) without a join of the texts."""
    erp_key = pc.fill_null(_arrow_text(erp_keys.reset_index(drop=True)), "")
    shop_key = pc.fill_null(_arrow_text(shop_keys), "")
    encoded = pa.concat_arrays([erp_key, shop_key]).dictionary_encode()
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    erp_code, shop_code = codes[: len(erp_key)], codes[len(erp_key) :]
    blank = pc.index(encoded.dictionary, "").as_py()  # -1 when no key is blank
    counts = np.bincount(erp_code, minlength=len(encoded.dictionary))
    if blank >= 0:
        counts[blank] = 0  # a blank ERP key matches nothing
    at = np.flatnonzero(counts[shop_code] > 0)
    code = shop_code[at]
    starts = np.cumsum(counts) - counts
    by_code = np.argsort(erp_code, kind="stable")
    if blank >= 0:
        by_code = by_code[erp_code[by_code] != blank]
    hits = counts[code]
    at = np.repeat(at, hits)
    offset = np.arange(len(at)) - np.repeat(np.cumsum(hits) - hits, hits)
    found = by_code[np.repeat(starts[code], hits) + offset]
    numbers = pd.Series(erp_numbers).reset_index(drop=True).astype("str")
    return pd.DataFrame(
        {
            "_row": shop_keys.index.take(at),
            "no": pd.Series(numbers.array.take(found), dtype="str", index=range(len(at))),
        }
    )


def _apply_hits(
    plan: pd.DataFrame,
    hits: pd.DataFrame,
    rule: str,
    reasons: Notes,
    candidates: Notes,
) -> None:
    """Record matches: the lowest ERP number wins; ties are flagged with the others named.

    Rows are found by position (one hash lookup of the labels); only the records with
    several hits are sorted."""
    if hits.empty:
        return
    hits = hits.assign(_at=plan.index.get_indexer(hits["_row"]))
    repeated = hits["_at"].duplicated(keep=False).to_numpy()
    ties = hits[repeated].sort_values(["_at", "no"], kind="stable")
    first = pd.concat([hits[~repeated], ties.drop_duplicates("_at")])
    at = first["_at"].to_numpy()
    plan.iloc[at, plan.columns.get_loc("customer_no")] = first["no"].to_numpy()
    plan.iloc[at, plan.columns.get_loc("rule")] = rule
    if ties.empty:
        return
    label = "same e-mail" if rule == "email" else f"same {rule}"
    code = f"AMBIGUOUS_{rule.upper()}"
    at = ties["_at"].to_numpy()
    numbers = ties["no"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, at[1:] != at[:-1]])  # ties are sorted by row
    for start, end in zip(starts, np.r_[starts[1:], len(at)], strict=True):
        position = int(at[start])
        reasons[position].append(code)
        candidates[position].extend(f"{no} ({label})" for no in numbers[start + 1 : end])


def _match_bill_to(
    plan: pd.DataFrame, values: pd.DataFrame, erp: pd.DataFrame, rows: pd.Series
) -> None:
    """Exact equality on the eight bill-to fields; ties go to the lowest number."""
    if not rows.any() or erp.empty:
        return
    left = values.loc[rows, _BILL_TO_FIELDS].copy()
    left["_key"] = left.index
    merged = left.merge(_bill_to_keys(erp), on=_BILL_TO_FIELDS, how="inner").sort_values("no")
    first = merged.drop_duplicates("_key").set_index("_key")["no"]
    plan.loc[first.index, "customer_no"] = first
    plan.loc[first.index, "rule"] = "bill_to"


def _bill_to_keys(erp: pd.DataFrame) -> pd.DataFrame:
    """The ERP side of bill-to equality: ``no`` and the eight fields trimmed, the post code
    upper-cased (BC's Code field, as the import writes it)."""
    right = erp[["no", *_BILL_TO_FIELDS]].fillna("").astype(str)
    for column in _BILL_TO_FIELDS:
        right[column] = right[column].str.strip()
    right["post_code"] = right["post_code"].str.upper()
    return right


def _shopify_e164(phones: pd.Series, regions: pd.Series) -> pd.Series:
    """Shopify stores E.164 already; other text is parsed with the address country."""
    stored = phones.str.fullmatch(r"\+[1-9]\d{6,14}")
    result = phones.where(stored, "")
    if (~stored).any():
        others = phones[~stored]
        result.loc[~stored] = phones_e164(others, regions.reindex(others.index))
    return result


def _erp_e164(
    erp: pd.DataFrame, context: RulesContext, tails: Collection[str] | None = None
) -> pd.Series:
    """ERP phones in E.164, each parsed with its customer's ISO country ('' when it does not
    parse).

    With ``tails``, only phones that can end in one of those digit tails are parsed (the
    others are ''): E.164 keeps a number's last digits, so a phone whose written digits end
    otherwise cannot equal a wanted number. Text with letters or other signs (extensions,
    vanity numbers, non-ASCII digits) is always parsed.
    """
    phones = pd.Series(pc.fill_null(_arrow_text(erp["phone"]), ""), dtype="str", index=erp.index)
    wanted = np.asarray(pc.not_equal(to_arrow(phones), "").to_numpy(zero_copy_only=False), bool)
    if tails is not None:
        digits, plain = _phone_digits(phones)
        wanted &= ~plain | _is_in(_tail(digits), pd.Series(tails, dtype="str"))
    result = pd.Series("", index=erp.index, dtype=object)
    if wanted.any():
        subset = erp[wanted]
        iso = countries_to_iso(subset["country_code"], context.countries, context.company_country)
        result[wanted] = phones_e164(subset["phone"], iso["iso_code"]).to_numpy()
    return result


_PLAIN_PHONE_BYTES = np.zeros(256, dtype=bool)  # digits and + ( ) . / - space
_PLAIN_PHONE_BYTES[[*range(ord("0"), ord("9") + 1), *b"+()./- "]] = True


def _phone_digits(phones: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """``phones.str.replace(r"\\D", "", regex=True)`` (text, no missing values) and, per
    phone, whether it is plain: only ASCII digits, ``+()./-`` and spaces. ASCII text is
    sifted byte by byte in numpy; other text (rare) goes to pandas, whose ``\\D`` keeps
    every Unicode digit."""
    array = to_arrow(phones)
    offset_type = np.int64 if pa.types.is_large_string(array.type) else np.int32
    _, offset_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(offset_buffer, dtype=offset_type)[array.offset :][: len(array) + 1]
    offsets = offsets.astype(np.int64)
    if data_buffer is None or offsets[-1] == offsets[0]:
        return phones.copy(), np.ones(len(phones), dtype=bool)
    data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
    bounds = offsets - offsets[0]

    def per_phone(flags: np.ndarray) -> np.ndarray:  # how many bytes of each phone are set
        return np.diff(np.concatenate([[0], np.cumsum(flags)])[bounds])

    digit = (data >= ord("0")) & (data <= ord("9"))
    sizes = np.diff(bounds)
    plain = per_phone(_PLAIN_PHONE_BYTES[data]) == sizes
    ascii_ = per_phone(data < 0x80) == sizes
    kept = np.concatenate([[0], np.cumsum(digit)])[bounds]
    buffers = [None, pa.py_buffer(kept.astype(np.int64)), pa.py_buffer(data[digit].copy())]
    digits = pa.Array.from_buffers(pa.large_string(), len(array), buffers)
    result = pd.Series(digits, dtype=phones.dtype, index=phones.index)
    if not ascii_.all():
        others = phones[~ascii_]
        result[~ascii_] = others.str.replace(r"\D", "", regex=True)
    return result, plain


def _tail(numbers: pd.Series) -> pd.Series:
    """The last digits that identify a number whatever its prefixes."""
    return numbers.str[-_TAIL_DIGITS:]


# -- near misses ----------------------------------------------------------------------------


def _near_misses(
    plan: pd.DataFrame,
    customers: pd.DataFrame,
    chosen: pd.DataFrame,
    values: pd.DataFrame,
    erp: pd.DataFrame,
    rows: pd.Series,
    claimed: pd.Index,
    context: RulesContext,
    reasons: Notes,
    candidates: Notes,
) -> None:
    """Likely candidates among ERP customers no other Shopify customer matched exactly:
    an e-mail one typo away, the same phone digits under another country code, or the
    same name and post code."""
    free = erp[~_is_in(erp["no"], claimed)].reset_index(drop=True)
    if free.empty:
        return
    positions = pd.Series(np.arange(len(plan)), index=plan.index)
    found: dict[object, list[str]] = {}

    shop_keys = email_match_keys(customers.loc[rows, "email"])
    erp_keys = email_match_keys(free["email"])
    for row, no, other in _one_edit_pairs(shop_keys, erp_keys, free["no"]):
        found.setdefault(row, []).append(f"{no} (e-mail one typo away: {other})")

    shop_phones = _shopify_e164(customers.loc[rows, "phone"], chosen["country_code"])
    erp_digits, _ = _phone_digits(free["phone"].fillna("").astype(str))
    tail = 9  # long enough that a shared tail is no coincidence among a million numbers
    left = pd.DataFrame({"tail": shop_phones.str[-tail:], "_row": shop_phones.index})
    left = left[shop_phones.str.len() > tail]
    right = pd.DataFrame({"tail": erp_digits.str[-tail:], "phone": free["phone"], "no": free["no"]})
    merged = left.merge(right[erp_digits.str.len() >= tail], on="tail")
    for row, no, phone in zip(merged["_row"], merged["no"], merged["phone"], strict=True):
        found.setdefault(row, []).append(f"{no} (same phone digits: {phone})")

    who = customers.loc[rows, "first_name"] + " " + customers.loc[rows, "last_name"]
    left = pd.DataFrame({"who": _name_keys(who), "zip": chosen.loc[rows, "zip"], "_row": who.index})
    left = left[(left["who"] != "") & (left["zip"] != "")]
    for column in ("name", "contact"):
        right = pd.DataFrame(
            {
                "who": _name_keys(free[column]),
                "zip": free["post_code"].str.strip(),
                "no": free["no"],
            }
        )
        merged = left.merge(right[right["who"] != ""], on=["who", "zip"])
        for row, no in zip(merged["_row"], merged["no"], strict=True):
            found.setdefault(row, []).append(f"{no} (same {column} and post code)")

    for row, items in found.items():
        position = positions[row]
        reasons[position].append("NEAR_MISS")
        candidates[position].extend(items)


def _bill_to_near_misses(
    values: pd.DataFrame,
    erp: pd.DataFrame,
    rows: pd.Series,
    claimed: pd.Index,
    reasons: Notes,
    candidates: Notes,
) -> None:
    """Bill-to near misses: an ERP customer no other record matched that equals the address
    on seven of the eight bill-to fields; the candidate names the field that differs."""
    free = _bill_to_keys(erp[~_is_in(erp["no"], claimed)])
    if free.empty:
        return
    left = values.loc[rows, _BILL_TO_FIELDS].copy()
    left["_row"] = np.flatnonzero(rows.to_numpy())
    found: dict[int, list[str]] = {}
    for differing in _BILL_TO_FIELDS:
        others = [c for c in _BILL_TO_FIELDS if c != differing]
        merged = left.merge(free, on=others, suffixes=("", "_erp"))
        merged = merged[merged[differing] != merged[f"{differing}_erp"]].sort_values("no")
        for position, no, ours, theirs in zip(
            merged["_row"],
            merged["no"],
            merged[differing],
            merged[f"{differing}_erp"],
            strict=True,
        ):
            label = differing.replace("_", " ")
            found.setdefault(position, []).append(
                f"{no} (bill-to equal but {label}: {ours!r} vs {theirs!r})"
            )
    for position, items in found.items():
        reasons[position].append("NEAR_MISS")
        candidates[position].extend(items)


def _one_edit_pairs(
    shop_keys: pd.Series, erp_keys: pd.Series, erp_numbers: pd.Series
) -> list[tuple[object, str, str]]:
    """(shop row, ERP no, ERP e-mail) for keys one typo apart: one character inserted,
    deleted, replaced, or two neighbours swapped.

    A symmetric deletion index: every key and each of its one-character deletions (with the
    position deleted) is hashed, the forms both sides share are found (see
    :func:`_shared_forms`) and joined, so no all-pairs comparison is made; the positions tell
    the kind of edit, and every pair found is checked on the texts. Pairs are listed per
    shop key by its forms (the whole key, then each deletion), each form's ERP forms in the
    order :data:`_FORM_BLOCK` describes.
    """
    shop_keys = shop_keys[(shop_keys != "") & (shop_keys.str.len() <= _TYPO_MAX_LENGTH)]
    erp_keys = erp_keys[(erp_keys != "") & (erp_keys.str.len() <= _TYPO_MAX_LENGTH)]
    if shop_keys.empty or erp_keys.empty:
        return []
    left = _deletion_hashes(_arrow_text(shop_keys))
    right = _deletion_hashes(_arrow_text(erp_keys))
    in_left, in_right = _shared_forms(left[0], right[0])
    left = tuple(column[in_left] for column in left)
    right = tuple(column[in_right] for column in right)
    if not len(left[0]):
        return []
    pairs = pd.DataFrame({"hash": left[0], "key": left[1], "at": left[2]}).merge(
        pd.DataFrame({"hash": right[0], "key_erp": right[1], "at_erp": right[2]}), on="hash"
    )
    key, at = pairs["key"].to_numpy(), pairs["at"].to_numpy()
    key_erp, at_erp = pairs["key_erp"].to_numpy(), pairs["at_erp"].to_numpy()
    order = np.lexsort(
        (at_erp, key_erp, at_erp != -1, key_erp // _FORM_BLOCK, at, key)  # last key first
    )
    pairs = pairs.take(order)
    at, at_erp = pairs["at"].to_numpy(), pairs["at_erp"].to_numpy()
    typo = (
        ((at == -1) ^ (at_erp == -1))  # one side is the other with a character removed
        | ((at >= 0) & (at == at_erp))  # the same position replaced
        | ((at >= 0) & (at_erp >= 0) & (np.abs(at - at_erp) == 1))  # neighbours swapped
    )
    pairs = pairs[typo].drop_duplicates(["key", "key_erp"])
    shop_text = shop_keys.to_numpy(dtype=object)
    erp_text = erp_keys.to_numpy(dtype=object)
    numbers = erp_numbers.astype(str).to_numpy()
    found = []
    for k, e in zip(pairs["key"], pairs["key_erp"], strict=True):
        if _one_edit(shop_text[k], erp_text[e]):  # rules out hash collisions and non-swaps
            found.append((shop_keys.index[k], numbers[e], erp_text[e]))
    return found


_TYPO_MAX_LENGTH = 80  # longer e-mails are not searched for typos
_HASH_BASE = np.uint64(1_000_003)
# Where one shop form meets several ERP forms, the candidates are named in the order the
# deletion index has always listed the ERP forms: in blocks of this many keys (by position),
# each block's whole keys before its deletions, then by key and position deleted.
_FORM_BLOCK = 20_000
# Code points weighted by position: weight j = BASE^(_TYPO_MAX_LENGTH - 1 - j) (mod 2^64).
with np.errstate(over="ignore"):
    _HASH_WEIGHTS = _HASH_BASE ** np.arange(_TYPO_MAX_LENGTH - 1, -1, -1, dtype=np.uint64)


def _code_points(texts: pa.Array, rows: np.ndarray, length: int) -> np.ndarray:
    """The code points of ``texts[rows]`` (no nulls, each ``length`` characters long) as a
    matrix: ASCII text gathered from Arrow's byte buffer, other text (rare) decoded by
    Python."""
    _, offset_buffer, data_buffer = texts.buffers()
    offset_type = np.int64 if pa.types.is_large_string(texts.type) else np.int32
    offsets = np.frombuffer(offset_buffer, dtype=offset_type)[texts.offset :]
    starts = offsets[rows].astype(np.int64)
    if length == 0 or data_buffer is None:
        return np.zeros((len(rows), length), dtype=np.uint32)
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    codes = data[starts[:, None] + np.arange(length)[None, :]].astype(np.uint32)
    wide = np.flatnonzero(offsets[rows + 1] - starts != length)  # UTF-8 of several bytes
    if len(wide):
        decoded = texts.take(pa.array(rows[wide])).to_pylist()
        codes[wide] = np.array(decoded, dtype=f"<U{length}").view(np.uint32).reshape(-1, length)
    return codes


def _deletion_hashes(
    texts: pa.Array, chunk: int = 20_000
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each text of ``texts`` (no nulls, at most _TYPO_MAX_LENGTH characters): the hash
    of the text (``at`` = -1) and of each one-character deletion (``at`` = the position
    deleted), as arrays (hash, key = the text's position, at), computed column-wise in
    numpy on texts of one length at a time (no padding), at most ``chunk`` of them.

    With code points c_j and weights w_j = BASE^(_TYPO_MAX_LENGTH-1-j), hash = sum c_j w_j
    (mod 2^64); deleting position i keeps the prefix and moves the suffix one place left:
    hash_i = prefix_i + suffix_(i+1) * BASE. As if padded with code point 0 to the full
    width, the hash of a deletion equals the hash of the shorter text itself.
    """
    lengths = np.asarray(pc.utf8_length(texts).to_numpy(zero_copy_only=False), dtype=np.int64)
    by_length = np.argsort(lengths, kind="stable").astype(np.int32)
    bounds = np.searchsorted(lengths[by_length], np.arange(_TYPO_MAX_LENGTH + 2))
    hashes, keys, ats = [], [], []
    for length in range(_TYPO_MAX_LENGTH + 1):
        for start in range(bounds[length], bounds[length + 1], chunk):
            rows = by_length[start : min(start + chunk, bounds[length + 1])]
            codes = _code_points(texts, rows, length)
            with np.errstate(over="ignore"):
                prefix = np.zeros((len(rows), length + 1), dtype=np.uint64)
                np.cumsum(codes * _HASH_WEIGHTS[:length], axis=1, out=prefix[:, 1:])
                total = prefix[:, -1].copy()
                deleted = prefix[:, :-1] + (total[:, None] - prefix[:, 1:]) * _HASH_BASE
            hashes += [total, deleted.ravel()]
            keys += [rows, np.repeat(rows, length)]
            positions = np.arange(length, dtype=np.int16)
            ats += [np.full(len(rows), -1, dtype=np.int16), np.tile(positions, len(rows))]
    if not hashes:
        return np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int16)
    return np.concatenate(hashes).view(np.int64), np.concatenate(keys), np.concatenate(ats)


_FILTER_BITS = 25  # a 32 MB bitmap: about one in six unshared forms passes it


def _shared_forms(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per hash of each side: does the other side have it? A bitmap of one slice of the
    right hashes' bits narrows the left ones, a bitmap of another slice of the left
    survivors' bits narrows the right ones, and pandas' hash-table ``isin`` decides on the
    few left. A bitmap only drops hashes the other side cannot have: the answer is exact."""
    bitmap = np.zeros(1 << _FILTER_BITS, dtype=bool)
    top = np.uint64(64 - _FILTER_BITS)
    bitmap[right.view(np.uint64) >> top] = True
    in_left = np.flatnonzero(bitmap[left.view(np.uint64) >> top])
    bitmap[:] = False
    middle, mask = np.uint64(64 - 2 * _FILTER_BITS), np.uint64((1 << _FILTER_BITS) - 1)
    bitmap[(left[in_left].view(np.uint64) >> middle) & mask] = True
    in_right = np.flatnonzero(bitmap[(right.view(np.uint64) >> middle) & mask])
    in_left = in_left[pd.Series(left[in_left]).isin(right[in_right]).to_numpy()]
    in_right = in_right[pd.Series(right[in_right]).isin(left[in_left]).to_numpy()]
    keep_left = np.zeros(len(left), dtype=bool)
    keep_right = np.zeros(len(right), dtype=bool)
    keep_left[in_left] = True
    keep_right[in_right] = True
    return keep_left, keep_right


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one insertion, deletion, substitution or swap of
    neighbours (a typo)."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        swapped = len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
        return len(diff) == 1 or (swapped and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


# -- helpers --------------------------------------------------------------------------------


def _template_for(iso: str, context: RulesContext) -> tuple[str, str]:
    """(template code, problem code) for a new customer whose address is in ``iso``."""
    per_country = context.country_settings.get(iso)
    code = (per_country.customer_template_code if per_country else "") or (
        context.settings.customer_template_code
    )
    if not code:
        return "", "NO_TEMPLATE"
    template = context.templates.get(code)
    if template is None:
        return code, "NO_TEMPLATE"
    if template.missing_fields():
        return code, "TEMPLATE_INCOMPLETE"
    return code, ""


# Fields an update writes only when Shopify supplies them (the flag erp_values_from_addresses
# sets), else the ERP customer keeps its value.
_GIVEN_BY = {
    "name": "given_name",
    "phone": "given_phone",
    "email": "given_email",
    "name_2": "given_name_2",
    "tax_area_code": "given_tax_area_code",
    "tax_liable": "given_tax_area_code",
    "vat_bus_posting_group": "given_vat_bus_posting_group",
}
# What a customer without any address supplies: only its e-mail and phone.
_WITHOUT_ADDRESS = ("phone", "email")


def _erp_positions(erp: pd.DataFrame, numbers: pd.Series | np.ndarray) -> np.ndarray:
    """The row of ``erp`` holding each customer number (-1 where none)."""
    return _index_in(numbers, erp["no"])


def _arrow_text(values: object) -> pa.Array:
    """Text values as one Arrow ``large_string`` array (missing stays null)."""
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, object))
    return to_arrow(series).cast(pa.large_string())


def _index_in(values: object, lookup: object) -> np.ndarray:
    """Per value, the position of the first equal text in ``lookup`` (-1 where none), hashed
    in Arrow (no Python objects)."""
    found = pc.index_in(_arrow_text(values), value_set=_arrow_text(lookup))
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _is_in(values: object, lookup: object) -> np.ndarray:
    """Per value: is the text in ``lookup``?"""
    found = pc.is_in(_arrow_text(values), value_set=_arrow_text(lookup))
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)


def _erp_text(erp: pd.DataFrame, column: str, positions: np.ndarray) -> pa.Array:
    """``erp[column]`` at ``positions`` (all >= 0) as Arrow text, blanks for missing."""
    taken = pc.take(_arrow_text(erp[column]), pa.array(positions, pa.int64()))
    return pc.fill_null(taken, "")


def _updated_values(
    values: pd.DataFrame,
    has_address: np.ndarray,
    erp: pd.DataFrame,
    rows: np.ndarray,
    positions: np.ndarray,
) -> tuple[dict[str, pa.Array | np.ndarray], np.ndarray]:
    """For the matched records ``rows`` (positions in ``values``) and the ERP rows
    ``positions`` they match: each ERP_VALUE_COLUMN as the update leaves the ERP customer
    (the supplied values, and the customer's own where Shopify gives nothing), and per record
    whether that changes the customer. Each ERP column is gathered once, for these rows only.
    """
    has_address = np.asarray(has_address, dtype=bool)[rows]
    changed = np.zeros(len(rows), dtype=bool)
    after: dict[str, pa.Array | np.ndarray] = {}
    for column in ERP_VALUE_COLUMNS:
        if column in _WITHOUT_ADDRESS:
            given = values[_GIVEN_BY[column]].to_numpy(dtype=bool)[rows]
        elif column in _GIVEN_BY:
            given = has_address & values[_GIVEN_BY[column]].to_numpy(dtype=bool)[rows]
        else:
            given = has_address
        if column == "tax_liable":
            old = erp[column].to_numpy(dtype=bool)[positions]
            new = np.where(given, values[column].to_numpy(dtype=bool)[rows], old)
            changed |= new != old
        else:
            old = _erp_text(erp, column, positions)
            supplied = pc.take(_arrow_text(values[column]), pa.array(rows, pa.int64()))
            new = pc.if_else(pa.array(given), pc.fill_null(supplied, ""), old)
            changed |= np.asarray(pc.not_equal(new, old).to_numpy(zero_copy_only=False), bool)
        after[column] = new
    return after, changed


def _tax_area_values(
    iso: pd.Series, province: pd.Series, tax_areas: pd.DataFrame | None
) -> pd.DataFrame:
    """Tax area code/liable and VAT group from the tax-area row of (ISO country, province);
    a row may give only one of them (tax liable goes with the tax area code)."""
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


# Per row position, the codes or texts gathered about it (rows without any have no entry).
Notes = dict[int, list[str]]


def _joined(notes: Notes, n: int, join: Callable[[list[str]], str]) -> np.ndarray:
    """One text per row: the row's notes joined, '' for rows without notes."""
    joined = np.full(n, "", dtype=object)
    for position, items in notes.items():
        joined[position] = join(items)
    return joined


def _name_keys(names: pd.Series) -> pd.Series:
    """Names compared loosely: lower case, letters and digits only (ASCII text in Arrow
    kernels, where Python's ``\\W`` is ``[^0-9A-Za-z_]``; other text by Python's ``re``)."""
    text = names.astype("str")
    array = to_arrow(text.fillna(""))
    ascii_ = np.asarray(pc.string_is_ascii(array).to_numpy(zero_copy_only=False), dtype=bool)
    keys = pc.replace_substring_regex(pc.ascii_lower(array), "[^0-9a-z]+", "")
    keys = pd.Series(keys, dtype=text.dtype, index=text.index)
    if not ascii_.all():
        others = text[~ascii_].str.lower().str.replace(r"[\W_]+", "", regex=True)
        keys = keys.where(ascii_, others)
    return keys.where(text.notna(), text)


def _map_distinct(values: pd.Series, func: Callable[[str], str]) -> pd.Series:
    """``values.map(func)`` computing ``func`` once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    mapped = np.array([func(value) for value in uniques], dtype=object)
    return pd.Series(mapped[codes] if len(codes) else [], index=values.index, dtype=object)


def _text(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str).str.strip()
