"""Order customers: the sell-to and bill-to ERP customers of each Shopify order (SPEC 4)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from shopsync.mapping import map_order_customers
from shopsync.reasons import join_codes
from shopsync.rules_context import RulesContext
from shopsync.schema import ADDRESS_COLUMNS, ADDRESS_TEXT_COLUMNS, CUSTOMER_COLUMNS
from shopsync.shopify_io import ShopifyCustomers

__all__ = ["ORDER_PLAN_COLUMNS", "plan_order_customers"]

ORDER_PLAN_COLUMNS = [
    "order_id",
    "name",
    "shopify_id",
    "sell_to_customer_no",
    "bill_to_customer_no",
    "rule",
    "bill_to_rule",
    "sell_to_action",
    "bill_to_action",
    "reasons",
    "candidates",
]


def plan_order_customers(
    orders: pd.DataFrame,
    shopify: ShopifyCustomers | None,
    erp: pd.DataFrame,
    context: RulesContext,
    *,
    links: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per order (ORDER_PLAN_COLUMNS), in input order (BC's ``Shpfy Order Mapping``).

    1. A per-country row for the ship-to country with a default customer: it is both sell-to
       and bill-to.
    2. Else, with ``customer_import = none`` and no per-country row for the ship-to country,
       the shop's default customer. (With a row that has no default customer, BC pre-fills
       nothing and maps the order's customer as in 3, never creating one; so does shopsync.)
    3. Else the order's customer is mapped with the mapping type: sell-to from the display
       address, bill-to from the billing address. A customer is created (``action =
       create``, number given at apply time) only when ``auto_create_unknown_customers``, the
       shop imports customers, and the customer has addresses of its own in ``shopify`` (a
       POS customer without any, or one not in ``shopify``, is not created: ``NO_ADDRESS``).
    Then both sides fall back: a blank bill-to takes the shop default, then the sell-to; a
    blank sell-to takes the bill-to. Guest orders without customer get the default customer.
    An order left with a blank side is ``NO_CUSTOMER``.
    """
    settings = context.settings
    default = settings.default_customer_no
    result = pd.DataFrame(index=orders.index)
    result["order_id"] = orders["order_id"]
    result["name"] = orders["name"]
    result["shopify_id"] = orders["shopify_id"]
    for column in ORDER_PLAN_COLUMNS[3:]:
        result[column] = ""

    ship_iso = orders["ship_country_code"].fillna("").str.upper()
    defaults = {iso: s.default_customer_no for iso, s in context.country_settings.items()}
    country_default = pd.Series([defaults.get(iso, "") for iso in ship_iso], index=orders.index)
    by_country = country_default != ""
    result.loc[by_country, ["sell_to_customer_no", "bill_to_customer_no"]] = pd.DataFrame(
        {"a": country_default[by_country], "b": country_default[by_country]}
    ).to_numpy()
    result.loc[by_country, ["rule", "bill_to_rule"]] = "country_default"

    rest = ~by_country
    importing = settings.customer_import != "none"
    if not importing:
        shop_default = rest & ~ship_iso.isin(list(defaults))
        _use_default(result, shop_default, default)
        rest &= ~shop_default
    guests = rest & (orders["shopify_id"] == "")
    _use_default(result, guests, default)
    mapped = rest & ~guests
    if mapped.any():
        _map_order_customers(result, orders[mapped], shopify, erp, context, links, importing)
    broken = orders["record_error"] != ""
    result.loc[broken, ["sell_to_customer_no", "bill_to_customer_no", "rule", "bill_to_rule"]] = [
        "",
        "",
        "none",
        "none",
    ]
    result.loc[broken, "reasons"] = "RECORD_UNREADABLE"
    result.loc[broken, "candidates"] = orders.loc[broken, "record_error"]
    return result[ORDER_PLAN_COLUMNS].reset_index(drop=True)


def _use_default(result: pd.DataFrame, rows: pd.Series, default: str) -> None:
    if not rows.any():
        return
    if default:
        result.loc[rows, ["sell_to_customer_no", "bill_to_customer_no"]] = default
        result.loc[rows, ["rule", "bill_to_rule"]] = "default_customer"
    else:
        result.loc[rows, ["rule", "bill_to_rule"]] = "none"
        result.loc[rows, "reasons"] = "NO_CUSTOMER"


def _map_order_customers(
    result: pd.DataFrame,
    orders: pd.DataFrame,
    shopify: ShopifyCustomers | None,
    erp: pd.DataFrame,
    context: RulesContext,
    links: Mapping[str, str] | None,
    importing: bool,
) -> None:
    """Map each order's customer twice: from the display and from the billing address."""
    known = (
        shopify.customers.drop_duplicates("shopify_id").set_index("shopify_id")
        if shopify is not None
        else pd.DataFrame(columns=CUSTOMER_COLUMNS).set_index("shopify_id")
    )
    # one pseudo customer per order, keyed by the order id; links follow the real customer
    links = links or {}
    order_links = {
        order: links[customer]
        for order, customer in zip(orders["order_id"], orders["shopify_id"], strict=True)
        if customer in links
    }
    # created only from addresses of the customer's own (BC Cust. By Email/Phone, By Bill-to)
    with_addresses = set(shopify.addresses["shopify_id"]) if shopify is not None else set()
    own_address = orders["shopify_id"].isin(list(with_addresses)).to_numpy()
    can_create = own_address & importing
    plans = {}
    for side, kind in (("sell", "display"), ("bill", "bill")):
        pseudo = _order_customers(orders, known, kind)
        plan = map_order_customers(
            pseudo, erp, context, links=order_links, can_create=can_create.tolist()
        )
        plans[side] = plan.set_index(orders.index)

    settings = context.settings
    default = settings.default_customer_no
    bill, sell = plans["bill"], plans["sell"]
    no_own_address = importing & settings.auto_create_unknown_customers & ~own_address
    bill_no, sell_no = bill["customer_no"], sell["customer_no"]
    bill_open = (bill_no == "") & (bill["action"] != "create")
    sell_open = (sell_no == "") & (sell["action"] != "create")
    # a blank bill-to takes the shop default, then the sell-to; a blank sell-to the bill-to
    bill_rule = bill["rule"].where(~bill_open, "default_customer" if default else "none")
    bill_no = bill_no.where(~bill_open, default)
    bill_open &= bill_no == ""
    bill_rule = bill_rule.where(~bill_open | sell_open, "sell_to_fallback")
    bill_no = bill_no.where(~bill_open, sell_no)
    bill_open &= sell_open
    sell_rule = sell["rule"].where(~sell_open | bill_open, "bill_to_fallback")
    sell_no = sell_no.where(~sell_open, bill_no)

    index = orders.index
    result.loc[index, "sell_to_customer_no"] = sell_no
    result.loc[index, "bill_to_customer_no"] = bill_no
    result.loc[index, "rule"] = sell_rule
    result.loc[index, "bill_to_rule"] = bill_rule
    result.loc[index, "sell_to_action"] = sell["action"]
    result.loc[index, "bill_to_action"] = bill["action"]
    blank_side = bill_open  # both open: neither side found, created or defaulted
    unmatched = (sell["rule"] == "none") | (bill["rule"] == "none")
    result.loc[index, "reasons"] = [
        join_codes(
            [
                *s.split(";"),
                *b.split(";"),
                "NO_ADDRESS" if not_own and open_side else "",
                "NO_CUSTOMER" if missing else "",
            ]
        )
        for s, b, not_own, open_side, missing in zip(
            sell["reasons"],
            bill["reasons"],
            no_own_address,
            unmatched,
            blank_side,
            strict=True,
        )
    ]
    result.loc[index, "candidates"] = [
        "; ".join(x for x in dict.fromkeys([s, b]) if x)
        for s, b in zip(sell["candidates"], bill["candidates"], strict=True)
    ]


def _order_customers(orders: pd.DataFrame, known: pd.DataFrame, kind: str) -> ShopifyCustomers:
    """One pseudo Shopify customer per order: the order's customer (from the customer file
    when given, else the order's e-mail/phone) with the order's ``kind`` address."""
    ids = orders["order_id"]
    found = known.reindex(orders["shopify_id"])
    customers = pd.DataFrame(
        {
            "shopify_id": ids.to_numpy(),
            "first_name": _prefer(found["first_name"], orders[f"{kind}_first_name"]),
            "last_name": _prefer(found["last_name"], orders[f"{kind}_last_name"]),
            "email": _prefer(found["email"], orders["email"]),
            "phone": _prefer(found["phone"], orders["phone"]),
        }
    )
    for column in CUSTOMER_COLUMNS:
        if column not in customers:
            customers[column] = False if column in ("verified_email", "tax_exempt") else ""
    has_address = (
        orders[[f"{kind}_{c}" for c in ("address1", "city", "country_code")]].ne("").any(axis=1)
    )
    addresses = pd.DataFrame(
        {c: orders[f"{kind}_{c}"].to_numpy() for c in ADDRESS_TEXT_COLUMNS}
    ).assign(
        address_id=[f"order-{i}" for i in orders["order_id"]],
        shopify_id=ids.to_numpy(),
        position=0,
        is_default=True,
    )[ADDRESS_COLUMNS]
    addresses = addresses[has_address.to_numpy()]
    return ShopifyCustomers(customers[CUSTOMER_COLUMNS].reset_index(drop=True), addresses)


def _prefer(first: pd.Series, second: pd.Series) -> pd.Series:
    """``first`` where non-blank, else ``second`` (positionally aligned)."""
    first = first.fillna("").astype(str).to_numpy()
    second = second.fillna("").astype(str).to_numpy()
    return pd.Series([a or b for a, b in zip(first, second, strict=True)])
