"""Import matching: which ERP customer each Shopify customer maps to, by which rule, and why."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from shopsync.arrow_text import to_arrow, to_series
from shopsync.erp_values import (
    ADDRESS_TEXT_COLUMNS,
    ERP_VALUE_COLUMNS,
    ErpValues,
    Notes,
    erp_values,
    sparse_text,
    text_array,
)
from shopsync.normalize import (
    bc_phone_match_pairs,
    countries_to_iso,
    email_match_keys,
    phones_e164,
)
from shopsync.reasons import join_codes
from shopsync.rules_context import RulesContext
from shopsync.shopify_io import ShopifyCustomers
from shopsync.text_hashes import text_hashes
from shopsync.text_keys import first_positions, index_in, integer_keys

__all__ = [
    "ERP_VALUE_COLUMNS",
    "IMPORT_ADDRESS_COLUMNS",
    "IMPORT_CUSTOMER_COLUMNS",
    "IMPORT_ERP_COLUMNS",
    "PLAN_COLUMNS",
    "choose_addresses",
    "erp_values_from_addresses",
    "import_view",
    "map_order_customers",
    "plan_import",
]

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
    flag, numeric id, position): no sort of the text ids.
    """
    return addresses.iloc[_chosen_rows(addresses)].set_index("shopify_id")


def _chosen_rows(addresses: pd.DataFrame) -> np.ndarray:
    """The positions of :func:`choose_addresses`' rows in ``addresses`` (one per customer)."""
    customer, uniques = pd.factorize(addresses["shopify_id"], use_na_sentinel=False)
    return _best_rows(addresses, customer, len(uniques))


def _best_rows(addresses: pd.DataFrame, customer: np.ndarray, customers: int) -> np.ndarray:
    """Per customer code (``customer``: each address row's, in ``range(customers)``) the row
    of its chosen address, -1 for a code without addresses.

    Rows are ordered by customer and default flag with one stable integer sort; only the
    customers with several addresses of their best default flag are then ordered by numeric
    id and position (a stable lexsort of those rows; NaN sorts after every number).
    """
    best = np.full(customers, -1, dtype=np.int64)
    if addresses.empty:
        return best
    customer = np.asarray(customer, dtype=np.int64)
    default = addresses["is_default"]
    default_rank = np.where(default.isna().to_numpy(), 2, np.where(default.fillna(False), 0, 1))
    key = customer * 3 + default_rank
    order = np.argsort(key, kind="stable")
    key, grouped = key[order], customer[order]
    first = np.r_[True, grouped[1:] != grouped[:-1]]  # each customer's first row in ``order``
    start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    candidates = order[key == key[start]]  # the rows of each customer's best default flag
    owner = customer[candidates]
    shared = np.r_[owner[1:] == owner[:-1], False] | np.r_[False, owner[1:] == owner[:-1]]
    best[owner[~shared]] = candidates[~shared]
    tied = candidates[shared]
    if len(tied):
        numeric_id = _numbers(addresses["address_id"].iloc[tied])
        position = _numbers(addresses["position"].iloc[tied])
        tied = tied[np.lexsort((position, numeric_id, customer[tied]))]
        owner = customer[tied]
        lowest = tied[np.r_[True, owner[1:] != owner[:-1]]]
        best[customer[lowest]] = lowest
    return best


#: what :func:`plan_import` reads of its inputs (an ERP frame also needs ``no``)
IMPORT_CUSTOMER_COLUMNS = (
    "shopify_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "record_error",
)
IMPORT_ADDRESS_COLUMNS = (
    "address_id",
    "shopify_id",
    "position",
    "is_default",
    *ADDRESS_TEXT_COLUMNS,
)
IMPORT_ERP_COLUMNS = ("no", *ERP_VALUE_COLUMNS)


def import_view(
    shopify: ShopifyCustomers, erp: pd.DataFrame
) -> tuple[ShopifyCustomers, pd.DataFrame]:
    """What :func:`plan_import` reads of its inputs: the customers with the one address it
    uses of each (choose_addresses), in the customers' order, and of each frame only the
    columns it reads. The plan is the same; a caller that lets go of the inputs does not hold
    the rest while it is worked out. When every customer has an address, the plan reads the
    view's address columns as they are (no copy)."""
    rows = _address_rows(shopify.addresses, shopify.customers["shopify_id"])
    kept = rows[rows >= 0]
    _, first = np.unique(kept, return_index=True)  # a customer read twice: its address once
    addresses = shopify.addresses[list(IMPORT_ADDRESS_COLUMNS)].take(kept[np.sort(first)])
    customers = shopify.customers[list(IMPORT_CUSTOMER_COLUMNS)]
    view = ShopifyCustomers(customers, addresses.reset_index(drop=True))
    return view, erp[list(IMPORT_ERP_COLUMNS)]


def _address_rows(addresses: pd.DataFrame, shopify_ids: pd.Series) -> np.ndarray:
    """Per customer (the rows of ``shopify_ids``) the row of ``addresses`` holding its chosen
    address, -1 for none. Customers and addresses are coded together in one hash of their
    ids (as integers where ``text_keys.integer_keys`` can), not reindexed by the text ids."""
    customer_ids, address_ids = _arrow_text(shopify_ids), _arrow_text(addresses["shopify_id"])
    n = len(customer_ids)
    if n == len(address_ids) and not customer_ids.null_count and customer_ids.equals(address_ids):
        own = np.arange(n)
        if np.array_equal(first_positions(customer_ids), own):
            return own  # each customer's own row, as import_view gives them
    keys = integer_keys(customer_ids, address_ids)
    if keys is not None:
        code, distinct = pd.factorize(np.concatenate(keys))
        count = len(distinct)
    else:
        ids = pa.chunked_array([customer_ids, address_ids], pa.large_string()).combine_chunks()
        codes = pc.dictionary_encode(ids, null_encoding="encode")
        code = np.asarray(codes.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        count = len(codes.dictionary)
    return _best_rows(addresses, code[n:], count)[code[:n]]


def _customer_addresses(
    addresses: pd.DataFrame, shopify_ids: pd.Series
) -> tuple[pd.DataFrame, np.ndarray]:
    """Per customer (the rows of ``shopify_ids``): the text of its chosen address, blanks
    without one (the address columns the plan reads: ADDRESS_TEXT_COLUMNS), and whether it
    has one. One take per column, of the chosen rows only; none where each customer's row is
    its own (:func:`import_view`)."""
    rows = _address_rows(addresses, shopify_ids)
    identified = np.r_[addresses["address_id"].notna().to_numpy(), False]
    has_address = identified[rows]  # row -1: the False after the last address
    own = len(rows) == len(addresses) and np.array_equal(rows, np.arange(len(rows)))
    missing = rows < 0
    take = pa.array(rows, pa.int64(), mask=missing if missing.any() else None)
    index = shopify_ids.index
    chosen = {}
    for column in ADDRESS_TEXT_COLUMNS:
        taken = _arrow_text(addresses[column])
        if not own:
            taken = taken.take(take)
        chosen[column] = to_series(pc.fill_null(taken, "") if taken.null_count else taken, index)
    return pd.DataFrame(chosen, index=index, copy=False), has_address


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
    index = addresses.index
    customer_names = {}
    if first_name is not None:
        customer_names = {
            "first_name": text_array(first_name.reindex(index)),
            "last_name": text_array(last_name.reindex(index)),
        }
    values = erp_values(
        {column: text_array(addresses[column]) for column in ADDRESS_TEXT_COLUMNS},
        text_array(customer_email.reindex(index)),
        text_array(customer_phone.reindex(index)),
        context,
        **customer_names,
    )
    return values.frame(index)


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
    # what the records supply needs nothing the matching finds: it is worked out in a second
    # thread (Arrow's kernels let go of the GIL, so both cores work) while the keys are
    # matched, and waited for where it is first read
    beside = ThreadPoolExecutor(max_workers=1)
    supplying = beside.submit(_supplied_values, chosen, customers, has_address, context)
    beside.shutdown(wait=False)  # the one task runs on; the thread ends with it

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
    else:
        # the e-mail keys serve the exact match and the near misses: computed once
        email_keys = (email_match_keys(customers["email"]), email_match_keys(erp["email"]))
        email_rows = open_rows
        if mapping_type == "by_bill_to":
            supplied, values = supplying.result()
            email_rows = open_rows & values["names_empty"]
            for position in np.flatnonzero(email_rows.to_numpy()):
                reasons[position].append("NAME_EMPTY_FALLBACK_EMAIL_PHONE")
            bill_to_rows = open_rows & ~values["names_empty"] & pd.Series(has_address, plan.index)
            _match_bill_to(plan, values, erp, bill_to_rows)
        _match_email_phone(
            plan,
            customers,
            chosen,
            erp,
            email_rows,
            email_keys,
            context,
            reasons,
            candidates,
        )

    supplied, values = supplying.result()
    del supplying  # else the finished task keeps the supplied values to the end
    # near misses for whoever is still unmatched
    unmatched = plan["rule"] == "none"
    if unmatched.any() and mapping_type != "default_customer":
        claimed = pd.Index(
            plan.loc[~unmatched, "customer_no"].astype("str").unique() if exclusive else []
        )
        _near_misses(
            plan,
            customers,
            chosen,
            values,
            erp,
            unmatched,
            claimed,
            email_keys,
            context,
            reasons,
            candidates,
        )
        if (unmatched & bill_to_rows).any():
            _bill_to_near_misses(
                values, erp, unmatched & bill_to_rows, claimed, reasons, candidates
            )
    email_keys = None  # they serve the matching only

    # 5.-6. actions (coded as positions in _ACTIONS)
    action = np.full(n, _SKIP, dtype=np.int8)
    value_codes = {p: join_codes(items).split(";") for p, items in supplied.codes.items()}
    rule = _arrow_text(plan["rule"])
    matched = _flags(pc.not_equal(rule, "none"))
    matched_rows = np.flatnonzero(matched)
    positions = np.full(n, -1, dtype=np.int64)  # the ERP row of each matched record
    if len(matched_rows):
        at = pa.array(matched_rows)
        numbers = _arrow_text(plan["customer_no"]).take(at)
        positions[matched_rows] = _erp_positions(erp, numbers)
        rule = rule.take(at)
        # only a record that may be updated needs to know whether the update changes anything
        update = ~_flags(pc.equal(rule, "default_customer")) & settings.shopify_can_update_customers
        rows = matched_rows[update]
        update[update] = _updated_values(supplied, has_address, erp, rows, positions[rows])
        linked = _flags(pc.equal(rule, "existing_link"))
        action[matched_rows] = np.where(update, _UPDATE, np.where(linked, _UNCHANGED, _LINK))
    for position in np.flatnonzero((action == _UPDATE) & ~has_address):
        reasons[position].append("NO_ADDRESS")  # BC: no address to update from, rolled back
        action[position] = _SKIP
    for position, codes in value_codes.items():
        if action[position] == _UPDATE:
            reasons[position].extend(codes)
            if _BLOCKING.intersection(codes):  # link, but do not write what cannot be written
                action[position] = _LINK
    template_code = pa.repeat(pa.scalar("", pa.large_string()), n)
    if settings.auto_create_unknown_customers:
        creatable = np.ones(n, dtype=bool) if can_create is None else np.asarray(can_create, bool)
        creatable = creatable & ~matched
        for position in np.flatnonzero(creatable & ~has_address):
            reasons[position].append("NO_ADDRESS")
        template_code = _create(
            value_codes, chosen, has_address, creatable, context, action, reasons
        )
    plan["action"] = to_series(pa.array(_ACTIONS, pa.large_string()).take(action), plan.index)
    plan["template_code"] = to_series(template_code, plan.index)

    # the erp_* columns one at a time, each supplied text let go once its column is written:
    # the plan's peak holds one copy of the values, not two
    text, tax_liable, given = dict(supplied.text), supplied.tax_liable, supplied.given
    del supplied, values, chosen
    for column, written in _written_values(
        text, tax_liable, given, has_address, erp, action, positions
    ):
        plan[f"erp_{column}"] = (
            written if isinstance(written, np.ndarray) else to_series(written, plan.index)
        )
    plan["reasons"] = to_series(sparse_text(reasons, n, join_codes), plan.index)
    plan["candidates"] = to_series(
        sparse_text(candidates, n, lambda items: "; ".join(dict.fromkeys(items))), plan.index
    )
    broken_rows = customers["record_error"] != ""
    if broken_rows.any():
        plan.loc[broken_rows, ["action", "rule", "customer_no"]] = ["skip", "none", ""]
        plan.loc[broken_rows, "reasons"] = "RECORD_UNREADABLE"
        plan.loc[broken_rows, "candidates"] = customers.loc[broken_rows, "record_error"]
    return plan[PLAN_COLUMNS].reset_index(drop=True)


def _supplied_values(
    chosen: pd.DataFrame, customers: pd.DataFrame, has_address: np.ndarray, context: RulesContext
) -> tuple[ErpValues, pd.DataFrame]:
    """The ERP values each record supplies (a customer without address supplies its e-mail,
    phone and names only), and them as the frame the bill-to rules compare."""
    supplied = erp_values(
        {column: text_array(chosen[column]) for column in ADDRESS_TEXT_COLUMNS},
        text_array(customers["email"]),
        text_array(customers["phone"]),
        context,
        first_name=text_array(customers["first_name"]),
        last_name=text_array(customers["last_name"]),
    ).without_address(has_address)
    return supplied, supplied.frame(customers.index)


# -- matching rules -------------------------------------------------------------------------


def _match_email_phone(
    plan: pd.DataFrame,
    customers: pd.DataFrame,
    chosen: pd.DataFrame,
    erp: pd.DataFrame,
    rows: pd.Series,
    email_keys: tuple[pd.Series, pd.Series],
    context: RulesContext,
    reasons: Notes,
    candidates: Notes,
) -> None:
    """E-mail (trimmed, case-insensitive, whole field), then phone (E.164 or BC's rule).
    ``email_keys``: the e-mail match keys of every Shopify and every ERP customer."""
    if not rows.any() or erp.empty:
        return
    shop_keys, erp_keys = email_keys
    shop_keys = shop_keys[rows & (shop_keys != "")]
    hits = _join_keys(shop_keys, erp_keys, erp["no"])
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
        erp_e164 = _erp_e164(erp, context, wanted=shop_e164)
        hits = _join_keys(shop_e164, erp_e164, erp["no"])
    _apply_hits(plan, hits, "phone", reasons, candidates)


def _join_keys(shop_keys: pd.Series, erp_keys: pd.Series, erp_numbers: pd.Series) -> pd.DataFrame:
    """Equi-join of non-blank keys: columns ``_row`` (Shopify index) and ``no``.

    The non-blank ERP keys and the Shopify keys are coded as integers by one factorization
    of their 64-bit hashes (integers hash several times faster than text); ERP rows are
    grouped by code with a counting sort, so each Shopify key finds all its ERP rows (in ERP
    order) without a join of the texts. Equal texts have equal hashes, so every true pair is
    found; the texts of the pairs are then compared, so a hash two texts share makes none."""
    erp_key = pc.fill_null(_arrow_text(erp_keys.reset_index(drop=True)), "")
    erp_rows = np.flatnonzero(_flags(pc.not_equal(erp_key, "")))  # a blank matches nothing
    shop_key = pc.fill_null(_arrow_text(shop_keys), "")
    hashes = np.concatenate([text_hashes(erp_key)[erp_rows], text_hashes(shop_key)])
    codes, _ = pd.factorize(hashes)
    erp_code, shop_code = codes[: len(erp_rows)], codes[len(erp_rows) :]
    counts = np.bincount(erp_code, minlength=int(codes.max(initial=-1)) + 1)
    at = np.flatnonzero(counts[shop_code] > 0)
    code = shop_code[at]
    starts = np.cumsum(counts) - counts
    by_code = erp_rows[np.argsort(erp_code, kind="stable")]
    hits = counts[code]
    at = np.repeat(at, hits)
    offset = np.arange(len(at)) - np.repeat(np.cumsum(hits) - hits, hits)
    found = by_code[np.repeat(starts[code], hits) + offset]
    same = _flags(pc.equal(shop_key.take(pa.array(at)), erp_key.take(pa.array(found))))
    if not same.all():
        at, found = at[same], found[same]
    numbers = _arrow_text(pd.Series(erp_numbers).astype("str")).take(pa.array(found))
    return pd.DataFrame(
        {"_row": shop_keys.index.take(at), "no": to_series(numbers, pd.RangeIndex(len(at)))}
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
    several hits are sorted, and the two columns are rewritten in Arrow (one pass each)."""
    if hits.empty:
        return
    at = plan.index.get_indexer(hits["_row"])
    numbers = _arrow_text(hits["no"])
    repeated = np.bincount(at, minlength=len(plan))[at] > 1
    winner = np.full(len(plan), -1, dtype=np.int64)  # per record, the hit it takes
    single = np.flatnonzero(~repeated)
    winner[at[single]] = single
    tied = np.flatnonzero(repeated)
    if len(tied):
        ties = pa.table({"at": at[tied], "no": numbers.take(pa.array(tied))})
        order = pc.sort_indices(ties, sort_keys=[("at", "ascending"), ("no", "ascending")])
        order = order.to_numpy(zero_copy_only=False)
        tied, tied_at = tied[order], at[tied][order]
        starts = np.flatnonzero(np.r_[True, tied_at[1:] != tied_at[:-1]])
        winner[tied_at[starts]] = tied[starts]
    matched = winner >= 0
    mask = pa.array(matched)
    chosen = numbers.take(pa.array(winner[matched]))
    customer_no = pc.replace_with_mask(_arrow_text(plan["customer_no"]), mask, chosen)
    plan["customer_no"] = to_series(customer_no, plan.index)
    plan["rule"] = to_series(pc.if_else(mask, rule, _arrow_text(plan["rule"])), plan.index)
    if not len(tied):
        return
    label = "same e-mail" if rule == "email" else f"same {rule}"
    code = f"AMBIGUOUS_{rule.upper()}"
    others = numbers.take(pa.array(tied)).to_pylist()
    for start, end in zip(starts, np.r_[starts[1:], len(tied)], strict=True):
        position = int(tied_at[start])
        reasons[position].append(code)
        candidates[position].extend(f"{no} ({label})" for no in others[start + 1 : end])


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
    erp: pd.DataFrame, context: RulesContext, wanted: pd.Series | None = None
) -> pd.Series:
    """ERP phones in E.164, each parsed with its customer's ISO country ('' when it does not
    parse), as text on ``erp``'s index.

    With ``wanted`` (E.164 numbers), only phones that can end in the last digits of one of
    those are parsed (the others are ''): E.164 keeps a number's last digits, so a phone
    whose written digits end otherwise cannot equal a wanted number. Text with letters or
    other signs (extensions, vanity numbers, non-ASCII digits) is always parsed.
    """
    phones = pc.fill_null(_arrow_text(erp["phone"]), "")
    parse = _flags(pc.not_equal(phones, ""))
    if wanted is not None:
        digits, plain = _phone_digits(to_series(phones, erp.index))
        # a flag per possible tail code (index -1, no code, stays False)
        wanted_tails = np.zeros(2 * 10**_TAIL_DIGITS + 1, dtype=bool)
        codes = _tail_codes(_arrow_text(wanted))
        wanted_tails[codes[codes >= 0]] = True
        parse &= ~plain | wanted_tails[_tail_codes(_arrow_text(digits))]
    result = pc.cast(pa.repeat(pa.scalar("", pa.string()), len(phones)), pa.large_string())
    if parse.any():
        # only the two columns the parse reads are cut down, not the whole ERP table
        rows = np.flatnonzero(parse)
        countries = erp["country_code"].iloc[rows]
        iso = countries_to_iso(countries, context.countries, context.company_country)
        found = phones_e164(
            to_series(phones.take(pa.array(rows)), countries.index), iso["iso_code"]
        )
        result = pc.replace_with_mask(result, pa.array(parse), _arrow_text(found))
    return to_series(result, erp.index)


_PLAIN_PHONE = r"^[0-9+()./\- ]*$"  # ASCII digits, + ( ) . / - and spaces only
_PHONES_AT_ONCE = 1 << 16  # phones whose digits are counted at a time (a few MB of sums)


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
    sizes = np.diff(bounds)
    digit = (data - np.uint8(ord("0"))) < 10  # unsigned: the bytes below "0" wrap past 9
    # the digits per phone as segment sums, not a running sum over every byte (one big
    # temporary less); over the non-empty phones: reduceat ends each where the next starts.
    # A block of phones at a time: reduceat copies its bytes into the sum's type first
    filled = np.flatnonzero(sizes)
    counts = np.zeros(len(sizes), dtype=np.int64)
    for block in range(0, len(filled), _PHONES_AT_ONCE):
        rows = filled[block : block + _PHONES_AT_ONCE]
        start, stop = bounds[rows[0]], bounds[rows[-1] + 1]
        counts[rows] = np.add.reduceat(
            digit[start:stop].view(np.uint8), bounds[rows] - start, dtype=np.int64
        )
    kept = np.concatenate([[0], np.cumsum(counts)])
    plain = _flags(pc.match_substring_regex(array, _PLAIN_PHONE))
    ascii_ = _flags(pc.string_is_ascii(array))
    buffers = [None, pa.py_buffer(kept), pa.py_buffer(data[digit])]
    digits = pa.Array.from_buffers(pa.large_string(), len(array), buffers)
    result = pd.Series(digits, dtype=phones.dtype, index=phones.index)
    if not ascii_.all():
        others = phones[~ascii_]
        result[~ascii_] = others.str.replace(r"\D", "", regex=True)
    return result, plain


def _tail_codes(texts: pa.Array) -> np.ndarray:
    """The last digits that identify a number whatever its prefixes, as an integer per text
    of a ``large_string`` array: its last ``_TAIL_DIGITS`` characters (all of a shorter
    text) behind a leading 1, so that equal codes are equal tails ("0123" is not "123");
    -1 where those are not all ASCII digits (such a tail equals no tail of digits)."""
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int64)
    offsets = offsets[texts.offset : texts.offset + len(texts) + 1]
    ends, sizes = offsets[1:], np.minimum(np.diff(offsets), _TAIL_DIGITS)
    data = texts.buffers()[2]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    codes = np.power(10, sizes)  # the leading 1
    digits = np.ones(len(texts), dtype=bool)
    for place in range(_TAIL_DIGITS):  # the last byte first
        rows = np.flatnonzero(sizes > place)
        digit = data[ends[rows] - 1 - place] - np.uint8(ord("0"))  # unsigned: "/" wraps past 9
        digits[rows[digit > 9]] = False
        codes[rows] += digit.astype(np.int64) * 10**place
    codes[~digits] = -1
    return codes


# -- near misses ----------------------------------------------------------------------------


def _near_misses(
    plan: pd.DataFrame,
    customers: pd.DataFrame,
    chosen: pd.DataFrame,
    values: pd.DataFrame,
    erp: pd.DataFrame,
    rows: pd.Series,
    claimed: pd.Index,
    email_keys: tuple[pd.Series, pd.Series],
    context: RulesContext,
    reasons: Notes,
    candidates: Notes,
) -> None:
    """Likely candidates among ERP customers no other Shopify customer matched exactly:
    an e-mail one typo away, the same phone digits under another country code, or the
    same name and post code. ``email_keys``: as for :func:`_match_email_phone`."""
    is_free = ~_is_in(erp["no"], _claimed_text(claimed))
    compared = ["no", "phone", "name", "contact", "post_code"]  # only these rows are taken
    free = erp[compared][is_free].reset_index(drop=True)
    if free.empty:
        return
    found: dict[object, list[str]] = {}

    shop_keys = email_keys[0][rows]
    erp_keys = email_keys[1][is_free].reset_index(drop=True)
    for row, no, other in _one_edit_pairs(shop_keys, erp_keys, free["no"]):
        found.setdefault(row, []).append(f"{no} (e-mail one typo away: {other})")

    shop_phones = _shopify_e164(customers.loc[rows, "phone"], chosen["country_code"])
    erp_digits, _ = _phone_digits(free["phone"].fillna("").astype(str))
    tail = 9  # long enough that a shared tail is no coincidence among a million numbers
    left = pd.DataFrame({"tail": shop_phones.str[-tail:], "_row": shop_phones.index})
    left = left[shop_phones.str.len() > tail]
    right = pd.DataFrame({"tail": erp_digits.str[-tail:], "phone": free["phone"], "no": free["no"]})
    right = right[erp_digits.str.len() >= tail]
    left["tail"], right["tail"] = _digit_codes(left["tail"], right["tail"], tail)
    merged = left.merge(right, on="tail")
    for row, no, phone in zip(merged["_row"], merged["no"], merged["phone"], strict=True):
        found.setdefault(row, []).append(f"{no} (same phone digits: {phone})")

    who = customers.loc[rows, "first_name"] + " " + customers.loc[rows, "last_name"]
    left = pd.DataFrame({"who": _name_keys(who), "zip": chosen.loc[rows, "zip"], "_row": who.index})
    left = left[(left["who"] != "") & (left["zip"] != "")]
    # one integer key per (name, post code), equal exactly where both texts are equal
    left_zip, erp_zip = _shared_codes(left["zip"], free["post_code"].str.strip())
    width = max(left_zip.max(initial=0), erp_zip.max(initial=0)) + 1
    for column in ("name", "contact"):
        erp_who = _name_keys(free[column])
        named = np.flatnonzero((erp_who != "").to_numpy())
        left_who, right_who = _shared_codes(left["who"], erp_who.iloc[named])
        keyed = pd.DataFrame({"key": left_who * width + left_zip, "_row": left["_row"]})
        right = pd.DataFrame(
            {"key": right_who * width + erp_zip[named], "no": free["no"].iloc[named]}
        )
        merged = keyed.merge(right, on="key")
        for row, no in zip(merged["_row"], merged["no"], strict=True):
            found.setdefault(row, []).append(f"{no} (same {column} and post code)")

    at = plan.index.get_indexer(list(found))  # the rows' positions, in one lookup
    for position, items in zip(at.tolist(), found.values(), strict=True):
        reasons[position].append("NEAR_MISS")
        candidates[position].extend(items)


def _shared_codes(left: pd.Series, right: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of two text columns, equal exactly where the texts are equal (missing
    equals missing, as in a pandas merge): one Arrow dictionary encoding of both, so a merge
    on the codes hashes integers instead of texts and pairs the same rows in the same order."""
    left_text, right_text = _arrow_text(left), _arrow_text(right)
    keys = integer_keys(left_text, right_text)  # short texts hash faster as integers
    if keys is not None:
        codes, _ = pd.factorize(np.concatenate(keys))
    else:
        both = pa.concat_arrays([left_text, right_text])
        codes = pc.dictionary_encode(both, null_encoding="encode").indices
        codes = np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.int64)
    return codes[: len(left)], codes[len(left) :]


def _digit_codes(left: pd.Series, right: pd.Series, width: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_shared_codes` of texts of ``width`` characters: their numbers when every text
    is ``width`` ASCII digits (such texts are equal exactly where their numbers are), else
    the texts' codes."""
    texts = [_arrow_text(left), _arrow_text(right)]
    if all(_are_digits(text, width) for text in texts):
        numbers = [pc.cast(text, pa.int64()) for text in texts]
        return tuple(np.asarray(n.to_numpy(zero_copy_only=False), dtype=np.int64) for n in numbers)
    return _shared_codes(left, right)


def _are_digits(text: pa.Array, width: int) -> bool:
    """Is every text (none missing) ``width`` ASCII digits?"""
    if text.null_count:
        return False
    if not len(text):
        return True
    exact = pc.all(pc.equal(pc.binary_length(text), width)).as_py()
    return bool(exact and pc.all(pc.ascii_is_decimal(text)).as_py())


def _claimed_text(claimed: pd.Index) -> pd.Series:
    """The claimed ERP numbers as a text Series: its Arrow text is looked up as it is (an
    Index would be turned into Python objects first)."""
    return pd.Series(claimed, dtype="str", copy=False)


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
    free = _bill_to_keys(erp[~_is_in(erp["no"], _claimed_text(claimed))])
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
    searched = ((erp_keys != "") & (erp_keys.str.len() <= _TYPO_MAX_LENGTH)).to_numpy()
    erp_keys = erp_keys[searched]
    if shop_keys.empty or erp_keys.empty:
        return []
    left = _deletion_hashes(_arrow_text(shop_keys))
    # the ERP side has many more forms: only those the shop side may share are kept, as they
    # are made (the peak holds a fraction of them); _shared_forms then decides exactly
    right = _deletion_hashes(_arrow_text(erp_keys), keep=_may_share(left[0]))
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
    numbers = erp_numbers.astype(str).to_numpy()[searched]  # the searched keys' own numbers
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
    texts: pa.Array,
    chunk: int = 20_000,
    keep: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each text of ``texts`` (no nulls, at most _TYPO_MAX_LENGTH characters): the hash
    of the text (``at`` = -1) and of each one-character deletion (``at`` = the position
    deleted), as arrays (hash, key = the text's position, at), computed column-wise in
    numpy on texts of one length at a time (no padding), at most ``chunk`` of them.

    With code points c_j and weights w_j = BASE^(_TYPO_MAX_LENGTH-1-j), hash = sum c_j w_j
    (mod 2^64); deleting position i keeps the prefix and moves the suffix one place left:
    hash_i = prefix_i + suffix_(i+1) * BASE. As if padded with code point 0 to the full
    width, the hash of a deletion equals the hash of the shorter text itself.

    ``keep``: the forms kept of each chunk's (a mask of its hashes, as :func:`_may_share`
    gives); all of them without it. The kept ones stay in their order.
    """
    lengths = np.asarray(pc.utf8_length(texts).to_numpy(zero_copy_only=False), dtype=np.int64)
    by_length = np.argsort(lengths, kind="stable").astype(np.int32)
    bounds = np.searchsorted(lengths[by_length], np.arange(_TYPO_MAX_LENGTH + 2))
    hashes, keys, ats = [], [], []
    # every form kept: written into arrays of their number (no second copy to join chunks)
    counted = np.diff(bounds) * np.arange(1, _TYPO_MAX_LENGTH + 2)
    whole = None if keep is not None else _FormArrays(int(counted.sum()))
    for length in range(_TYPO_MAX_LENGTH + 1):
        for start in range(bounds[length], bounds[length + 1], chunk):
            rows = by_length[start : min(start + chunk, bounds[length + 1])]
            codes = _code_points(texts, rows, length)
            with np.errstate(over="ignore"):
                prefix = np.zeros((len(rows), length + 1), dtype=np.uint64)
                np.cumsum(codes * _HASH_WEIGHTS[:length], axis=1, out=prefix[:, 1:])
                total = prefix[:, -1].copy()
                deleted = prefix[:, :-1] + (total[:, None] - prefix[:, 1:]) * _HASH_BASE
            forms = [
                (total, rows, np.full(len(rows), -1, dtype=np.int16)),
                (
                    deleted.ravel(),
                    np.repeat(rows, length),
                    np.tile(np.arange(length, dtype=np.int16), len(rows)),
                ),
            ]
            for form_hashes, form_keys, form_ats in forms:
                if whole is not None:
                    whole.add(form_hashes, form_keys, form_ats)
                    continue
                kept = keep(form_hashes.view(np.int64))
                hashes.append(form_hashes[kept])
                keys.append(form_keys[kept])
                ats.append(form_ats[kept])
    if whole is not None:
        return whole.hashes.view(np.int64), whole.keys, whole.ats
    if not hashes:
        return np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int16)
    return np.concatenate(hashes).view(np.int64), np.concatenate(keys), np.concatenate(ats)


class _FormArrays:
    """The (hash, key, at) arrays of a known number of forms, filled in order."""

    def __init__(self, size: int) -> None:
        self.hashes = np.empty(size, dtype=np.uint64)
        self.keys = np.empty(size, dtype=np.int32)
        self.ats = np.empty(size, dtype=np.int16)
        self.filled = 0

    def add(self, hashes: np.ndarray, keys: np.ndarray, ats: np.ndarray) -> None:
        part = slice(self.filled, self.filled + len(hashes))
        self.hashes[part], self.keys[part], self.ats[part] = hashes, keys, ats
        self.filled = part.stop


_FILTER_BITS = 25  # a 32 MB bitmap: about one in six unshared forms passes it
# the two slices of a hash's bits the bitmaps look at: its top bits, and the ones below those
_TOP_BITS, _MIDDLE_BITS = 64 - _FILTER_BITS, 64 - 2 * _FILTER_BITS


def _shared_forms(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per hash of each side: does the other side have it? A bitmap of one slice of the
    right hashes' bits narrows the left ones, a bitmap of another slice of the left
    survivors' bits narrows the right ones, and pandas' hash-table ``isin`` decides on the
    few left. A bitmap only drops hashes the other side cannot have: the answer is exact."""
    in_left = np.flatnonzero(_may_share(right)(left))
    in_right = np.flatnonzero(_may_share(left[in_left], bits=_MIDDLE_BITS)(right))
    in_left = in_left[pd.Series(left[in_left]).isin(right[in_right]).to_numpy()]
    in_right = in_right[pd.Series(right[in_right]).isin(left[in_left]).to_numpy()]
    keep_left = np.zeros(len(left), dtype=bool)
    keep_right = np.zeros(len(right), dtype=bool)
    keep_left[in_left] = True
    keep_right[in_right] = True
    return keep_left, keep_right


def _may_share(hashes: np.ndarray, bits: int = _TOP_BITS) -> Callable[[np.ndarray], np.ndarray]:
    """A test of other hashes: False for one ``hashes`` surely lacks (its _FILTER_BITS bits
    from bit ``bits`` up are those of none of them), True for the others."""
    bitmap = np.zeros(1 << _FILTER_BITS, dtype=bool)
    for start in range(0, len(hashes), _SLICE_CHUNK):
        bitmap[_bit_slice(hashes[start : start + _SLICE_CHUNK], bits)] = True

    def test(others: np.ndarray) -> np.ndarray:
        passed = np.empty(len(others), dtype=bool)
        for start in range(0, len(others), _SLICE_CHUNK):
            part = slice(start, start + _SLICE_CHUNK)
            passed[part] = bitmap[_bit_slice(others[part], bits)]
        return passed

    return test


_SLICE_CHUNK = 1 << 20  # hashes sliced at a time: the slices' integers are a few MB, not 40


def _bit_slice(hashes: np.ndarray, shift: int) -> np.ndarray:
    """_FILTER_BITS bits of each hash, from bit ``shift`` up, as an index into the bitmap:
    int64, which numpy indexes with as it is (unsigned indices are copied to int64 first)."""
    bits = hashes.view(np.uint64) >> np.uint64(shift)
    if shift + _FILTER_BITS < 64:
        bits &= np.uint64((1 << _FILTER_BITS) - 1)
    return bits.view(np.int64)


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

# The plan's actions, coded by position while the plan is made.
_ACTIONS = ["skip", "update", "unchanged", "link", "create"]
_SKIP, _UPDATE, _UNCHANGED, _LINK, _CREATE = range(len(_ACTIONS))


def _erp_positions(erp: pd.DataFrame, numbers: pd.Series | np.ndarray | pa.Array) -> np.ndarray:
    """The row of ``erp`` holding each customer number (-1 where none)."""
    return _index_in(numbers, erp["no"])


def _arrow_text(values: object) -> pa.Array:
    """Text values as one Arrow ``large_string`` array (missing stays null)."""
    if isinstance(values, pa.Array):
        return values.cast(pa.large_string())
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, object))
    return to_arrow(series).cast(pa.large_string())


def _flags(values: pa.Array) -> np.ndarray:
    """An Arrow boolean array (no nulls) as numpy booleans."""
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=bool)


def _index_in(values: object, lookup: object) -> np.ndarray:
    """Per value, the position of the first equal text in ``lookup`` (-1 where none)."""
    return index_in(_arrow_text(values), _arrow_text(lookup))


def _is_in(values: object, lookup: object) -> np.ndarray:
    """Per value: is the text in ``lookup``?"""
    return _index_in(values, lookup) >= 0


def _erp_text(erp: pd.DataFrame, column: str, positions: np.ndarray) -> pa.Array:
    """``erp[column]`` at ``positions`` (all >= 0) as Arrow text, blanks for missing."""
    taken = pc.take(_arrow_text(erp[column]), pa.array(positions, pa.int64()))
    return pc.fill_null(taken, "") if taken.null_count else taken


def _given(given: Mapping[str, np.ndarray], has_address: np.ndarray, column: str) -> np.ndarray:
    """Per record: does an update write ``column`` from Shopify (else the ERP customer keeps
    its value)? ``given``: the supplied values' ``given_<field>`` flags."""
    if column in _WITHOUT_ADDRESS:
        return given[_GIVEN_BY[column]]
    if column in _GIVEN_BY:
        return has_address & given[_GIVEN_BY[column]]
    return has_address


# The columns an update most often changes (a phone written in another format, an e-mail in
# another case, an address spelled otherwise) are compared first: the other columns then
# look at only the records these did not find changed. Any order gives the same answer.
_COMPARED_FIRST = ["phone", "email", "address"]
_COMPARISON_ORDER = _COMPARED_FIRST + [c for c in ERP_VALUE_COLUMNS if c not in _COMPARED_FIRST]


def _updated_values(
    supplied: ErpValues,
    has_address: np.ndarray,
    erp: pd.DataFrame,
    rows: np.ndarray,
    positions: np.ndarray,
) -> np.ndarray:
    """For the matched records ``rows`` and the ERP rows ``positions`` they match: does the
    update change the ERP customer (a field Shopify supplies differs from the customer's)?

    A text of another length differs: the lengths (integers, no text gathered) find most
    changes first; then each column compares the texts of only the records no earlier
    step found changed (whichever step finds a change, the answer is the same)."""
    has_address = np.asarray(has_address, dtype=bool)
    changed = np.zeros(len(rows), dtype=bool)
    # the records not found changed yet, by number (a list that shrinks as changes are found,
    # so each column looks at those only, not at a mask over every record)
    pending = np.arange(len(rows))
    for column in _COMPARISON_ORDER:
        if column == "tax_liable":
            continue
        open_ = pending[_given(supplied.given, has_address, column)[rows[pending]]]
        new = pc.binary_length(supplied.text[column]).fill_null(-1)  # null never differs
        new = np.asarray(new.to_numpy(zero_copy_only=False))[rows[open_]]
        old = pc.binary_length(_arrow_text(erp[column])).fill_null(0)  # missing is blank
        old = np.asarray(old.to_numpy(zero_copy_only=False))[positions[open_]]
        found = open_[(new >= 0) & (new != old)]
        if len(found):
            changed[found] = True
            pending = pending[~changed[pending]]
    for column in _COMPARISON_ORDER:
        open_ = pending[_given(supplied.given, has_address, column)[rows[pending]]]
        if not len(open_):
            continue
        if column == "tax_liable":
            old = erp[column].to_numpy(dtype=bool)[positions[open_]]
            differs = supplied.tax_liable[rows[open_]] != old
        else:
            old = _erp_text(erp, column, positions[open_])
            new = supplied.text[column].take(pa.array(rows[open_]))
            differs = np.asarray(pc.not_equal(new, old).to_numpy(zero_copy_only=False), bool)
        if differs.any():
            changed[open_[differs]] = True
            pending = pending[~changed[pending]]
    return changed


def _written_values(
    text: dict[str, pa.Array],
    tax_liable: np.ndarray,
    given: Mapping[str, np.ndarray],
    has_address: np.ndarray,
    erp: pd.DataFrame,
    action: np.ndarray,
    positions: np.ndarray,
) -> Iterator[tuple[str, pa.Array | np.ndarray]]:
    """The plan's ``erp_*`` columns, one at a time: for a create the supplied values; for an
    update the ERP customer as the update leaves it (the supplied values, and the customer's
    own where Shopify gives nothing: ``positions`` are the records' ERP rows); blank for the
    rest. ``text``, ``tax_liable`` and ``given`` are the supplied values' (``ErpValues``);
    each column is taken out of ``text`` as it is made, so that a caller that keeps no other
    reference to the supplied texts holds only one copy of each column at a time."""
    has_address = np.asarray(has_address, dtype=bool)
    creates, updates = action == _CREATE, action == _UPDATE
    for column in ERP_VALUE_COLUMNS:
        from_shopify = _given(given, has_address, column)
        kept = np.flatnonzero(updates & ~from_shopify)  # the ERP customer's value stays
        from_shopify = creates | (updates & from_shopify)
        if column == "tax_liable":
            values = tax_liable & from_shopify
            values[kept] = erp[column].to_numpy(dtype=bool)[positions[kept]]
            yield column, values
            continue
        values = text.pop(column)
        if not from_shopify.all():
            values = pc.if_else(pa.array(from_shopify), values, "")
        if len(kept):  # a blank ERP value is blank already
            lengths = pc.binary_length(_arrow_text(erp[column])).fill_null(0)
            kept = kept[np.asarray(lengths.to_numpy())[positions[kept]] > 0]
        if len(kept):
            mask = np.zeros(len(action), dtype=bool)
            mask[kept] = True
            values = pc.replace_with_mask(
                values, pa.array(mask), _erp_text(erp, column, positions[kept])
            )
        yield column, values


def _create(
    value_codes: Mapping[int, list[str]],
    chosen: pd.DataFrame,
    has_address: np.ndarray,
    creatable: np.ndarray,
    context: RulesContext,
    action: np.ndarray,
    reasons: Notes,
) -> pa.Array:
    """Creates of the ``creatable`` records with an address: their ``action`` and their
    reasons (``value_codes``, the supplied values' problems, then the template's); returns
    every record's template code (blank where none is looked up). The template is found once
    per country."""
    with_address = np.flatnonzero(creatable & has_address)
    country = pc.dictionary_encode(text_array(chosen["country_code"]))
    templates = [_template_for(iso, context) for iso in country.dictionary.to_pylist()]
    problems = np.array([problem for _, problem in templates], dtype=object)
    place = np.asarray(country.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    said = np.zeros(len(action), dtype=bool)
    said[with_address] = problems[place[with_address]] != ""
    said[[p for p in value_codes if creatable[p] and has_address[p]]] = True
    plain = with_address[~said[with_address]]
    action[plain] = _CREATE
    for position in np.flatnonzero(said):
        problem = problems[place[position]]
        codes = [c for c in (*value_codes.get(position, ()), problem) if c]
        reasons[position].extend(codes)
        if not _BLOCKING.intersection(codes):
            action[position] = _CREATE
    codes = pa.array([code for code, _ in templates] + [""], pa.large_string())
    at = np.full(len(action), len(templates), dtype=np.int64)
    at[with_address] = place[with_address]
    return codes.take(pa.array(at))


def _name_keys(names: pd.Series) -> pd.Series:
    """Names compared loosely: lower case, letters and digits only (ASCII text in Arrow
    kernels, where Python's ``\\W`` is ``[^0-9A-Za-z_]``; other text by Python's ``re``)."""
    text = names.astype("str")
    # names repeat (a few thousand distinct among a million): each distinct one is keyed once
    encoded = pc.dictionary_encode(to_arrow(text))
    distinct = encoded.dictionary
    ascii_ = np.asarray(pc.string_is_ascii(distinct).to_numpy(zero_copy_only=False), dtype=bool)
    keys = pc.replace_substring_regex(pc.ascii_lower(distinct), "[^0-9a-z]+", "")
    if not ascii_.all():
        others = pd.Series(distinct, dtype=text.dtype)[~ascii_]
        others = others.str.lower().str.replace(r"[\W_]+", "", regex=True)
        keys = pc.replace_with_mask(keys, pa.array(~ascii_), to_arrow(others))
    return pd.Series(keys.take(encoded.indices), dtype=text.dtype, index=text.index)
