"""Order customers (SPEC section 4, Orders): each rule with an example."""

from __future__ import annotations

from factories import address, context, customer, erp, shopify

from shopsync.orders import ORDER_PLAN_COLUMNS, plan_order_customers
from shopsync.settings import CountrySetting
from shopsync.shopify_io import orders_from_nodes


def order(number, customer_id=None, email="", ship="US", bill=None, display=None, **fields):
    ship_address = address(900 + number, countryCodeV2=ship)
    return {
        "id": f"gid://shopify/Order/{number}",
        "name": f"#{number}",
        "customer": {"id": f"gid://shopify/Customer/{customer_id}"} if customer_id else None,
        "email": email,
        "shippingAddress": ship_address,
        "billingAddress": bill or ship_address,
        "displayAddress": display or ship_address,
        **fields,
    }


CUSTOMERS = erp(
    {"no": "WEB"},
    {"no": "CA-DEFAULT"},
    {"no": "C1", "email": "ann@x.com"},
    {
        "no": "C2",
        "name": "Bill Payer",
        "name_2": "",
        "address": "9 Pay St",
        "post_code": "02134",
        "city": "Boston",
        "county": "MA",
        "country_code": "US",
    },
)


def plan(orders, ctx, shop=None, links=None):
    frame = plan_order_customers(orders_from_nodes(orders), shop, CUSTOMERS, ctx, links=links)
    assert list(frame.columns) == ORDER_PLAN_COLUMNS
    return frame.set_index("order_id")


def test_per_country_default_customer_by_ship_to_country_comes_first():
    ctx = context(
        customer_import="all_customers",
        default_customer_no="WEB",
        country_settings={"CA": CountrySetting("CA", "", "CA-DEFAULT")},
    )
    result = plan([order(1, 7, "ann@x.com", ship="CA", bill=address(1, countryCodeV2="US"))], ctx)
    row = result.loc["1"]
    assert (row["sell_to_customer_no"], row["bill_to_customer_no"], row["rule"]) == (
        "CA-DEFAULT",
        "CA-DEFAULT",
        "country_default",
    )


def test_import_none_sends_every_order_to_the_shop_default():
    ctx = context(customer_import="none", default_customer_no="WEB")
    row = plan([order(1, 7, "ann@x.com")], ctx).loc["1"]
    assert (row["sell_to_customer_no"], row["bill_to_customer_no"], row["rule"]) == (
        "WEB",
        "WEB",
        "default_customer",
    )


def test_mapped_by_email_from_the_customer_file_or_the_order():
    ctx = context(customer_import="all_customers", default_customer_no="WEB")
    shop = shopify(customer(7, "ann@x.com"))
    by_file = plan([order(1, 7, "")], ctx, shop).loc["1"]
    by_order = plan([order(1, 8, "ann@x.com")], ctx).loc["1"]
    for row in (by_file, by_order):
        assert (row["sell_to_customer_no"], row["bill_to_customer_no"], row["rule"]) == (
            "C1",
            "C1",
            "email",
        )


def test_existing_link_of_the_orders_customer_wins():
    ctx = context(customer_import="all_customers")
    row = plan([order(1, 7, "ann@x.com")], ctx, links={"7": "C2"}).loc["1"]
    assert (row["sell_to_customer_no"], row["rule"]) == ("C2", "existing_link")


def test_bill_to_from_billing_address_sell_to_from_display_address():
    ctx = context(
        customer_import="all_customers",
        mapping_type="by_bill_to",
        name_source="first_and_last_name",
        name_2_source="none",
        default_customer_no="WEB",
    )
    billing = address(1, firstName="Bill", lastName="Payer", address1="9 Pay St")
    result = plan([order(1, 7, "nobody@x.com", bill=billing)], ctx).loc["1"]
    assert (result["bill_to_customer_no"], result["bill_to_rule"]) == ("C2", "bill_to")
    # the display address matches nobody: sell-to falls back to bill-to
    assert (result["sell_to_customer_no"], result["rule"]) == ("C2", "bill_to_fallback")


def test_unmatched_without_auto_create_falls_back_to_the_default_customer():
    ctx = context(customer_import="all_customers", default_customer_no="WEB")
    row = plan([order(1, 7, "stranger@x.com")], ctx).loc["1"]
    assert (row["sell_to_customer_no"], row["bill_to_customer_no"]) == ("WEB", "WEB")


def test_unmatched_with_auto_create_plans_a_create():
    ctx = context(
        customer_import="all_customers",
        auto_create_unknown_customers=True,
        customer_template_code="DOM",
    )
    shop = shopify(customer(7, "stranger@x.com", addresses=[address(70)]))
    row = plan([order(1, 7, "stranger@x.com")], ctx, shop).loc["1"]
    assert (row["sell_to_action"], row["bill_to_action"]) == ("create", "create")


def test_guest_orders_get_the_default_customer_or_no_customer():
    with_default = plan([order(1, None, "guest@x.com")], context(default_customer_no="WEB")).loc[
        "1"
    ]
    assert (with_default["sell_to_customer_no"], with_default["rule"]) == (
        "WEB",
        "default_customer",
    )
    without = plan([order(1, None, "guest@x.com")], context()).loc["1"]
    assert (without["sell_to_customer_no"], without["reasons"]) == ("", "NO_CUSTOMER")


def test_every_order_appears_once_even_when_customers_repeat():
    ctx = context(customer_import="all_customers", default_customer_no="WEB")
    orders = [order(i, 7, "ann@x.com") for i in range(1, 6)]
    result = plan(orders, ctx)
    assert sorted(result.index) == ["1", "2", "3", "4", "5"]
    assert set(result["sell_to_customer_no"]) == {"C1"}


def test_unreadable_order_lines_are_rows_with_a_reason(tmp_path):
    import json

    from shopsync.shopify_io import read_shopify_orders

    path = tmp_path / "orders.jsonl"
    path.write_text(json.dumps(order(1, 7, "ann@x.com")) + "\n{oops\n")
    ctx = context(customer_import="all_customers", default_customer_no="WEB")
    result = plan_order_customers(read_shopify_orders(path), None, CUSTOMERS, ctx)
    assert result["order_id"].tolist() == ["1", "line 2"]
    assert result["reasons"].tolist()[1] == "RECORD_UNREADABLE"


def test_an_order_customer_without_addresses_of_its_own_is_not_created():
    # BC Cust. By Email/Phone creates from the Shopify customer's own default (else first)
    # address and returns '' when it has none: a POS customer's order falls back instead.
    ctx = context(
        customer_import="all_customers",
        auto_create_unknown_customers=True,
        customer_template_code="DOM",
        default_customer_no="WEB",
    )
    pos = shopify(customer(7, "walk-in@x.com"))  # no address of its own
    for shop in (pos, None):  # not known at all: its addresses are unknown too
        row = plan([order(1, 7, "walk-in@x.com")], ctx, shop).loc["1"]
        assert (row["sell_to_action"], row["bill_to_action"]) == ("skip", "skip")
        assert (row["sell_to_customer_no"], row["bill_to_customer_no"]) == ("WEB", "WEB")
        assert (row["rule"], row["bill_to_rule"]) == ("bill_to_fallback", "default_customer")
        assert row["reasons"] == "NO_ADDRESS"


def _bill_to_context(**settings):
    base = {
        "customer_import": "all_customers",
        "mapping_type": "by_bill_to",
        "name_source": "first_and_last_name",
        "name_2_source": "none",
    }
    return context(**(base | settings))


def test_a_blank_bill_to_without_default_takes_the_sell_to_never_left_empty():
    billing = address(1, firstName="Nobody", lastName="Known", address1="1 Nowhere Rd")
    display = address(2, firstName="Bill", lastName="Payer", address1="9 Pay St")
    orders = [order(1, 7, "x@x.com", bill=billing, display=display)]
    row = plan(orders, _bill_to_context()).loc["1"]
    assert (row["sell_to_customer_no"], row["rule"]) == ("C2", "bill_to")
    assert (row["bill_to_customer_no"], row["bill_to_rule"]) == ("C2", "sell_to_fallback")
    assert row["reasons"] == ""


def test_an_order_with_neither_side_found_and_no_default_is_no_customer():
    billing = address(1, firstName="Nobody", lastName="Known", address1="1 Nowhere Rd")
    orders = [order(1, 7, "x@x.com", bill=billing, display=billing)]
    row = plan(orders, _bill_to_context()).loc["1"]
    assert (row["sell_to_customer_no"], row["bill_to_customer_no"]) == ("", "")
    assert row["reasons"] == "NO_CUSTOMER"


def test_the_bill_to_empty_name_rule_looks_at_name_and_name_2_not_the_contact():
    # BC Customer Mapping.DoMapping: Name and Name 2 of the order address both empty ->
    # By EMail/Phone. The contact (first/last name here) does not count.
    ctx = _bill_to_context(name_source="company_name", contact_source="first_and_last_name")
    billing = address(1, company="")  # Ann Lee, no company: name and name 2 empty
    row = plan([order(1, 7, "ann@x.com", bill=billing, display=billing)], ctx).loc["1"]
    assert (row["bill_to_customer_no"], row["bill_to_rule"]) == ("C1", "email")
    assert "NAME_EMPTY_FALLBACK_EMAIL_PHONE" in row["reasons"]


def test_bill_to_compares_post_codes_upper_cased():
    customers = erp(
        {
            "no": "C5",
            "name": "Ann Lee",
            "address": "10 Downing St",
            "post_code": "SW1A 2AA",
            "city": "London",
            "country_code": "GB",
        }
    )
    london = address(
        1,
        address1="10 Downing St",
        zip="sw1a 2aa",
        city="London",
        countryCodeV2="GB",
        provinceCode="",
        province="",
    )
    orders = orders_from_nodes([order(1, 7, "x@x.com", bill=london, display=london)])
    row = plan_order_customers(orders, None, customers, _bill_to_context()).iloc[0]
    assert (row["bill_to_customer_no"], row["bill_to_rule"]) == ("C5", "bill_to")


def test_a_bill_to_address_one_field_off_is_a_near_miss_naming_the_field():
    ctx = _bill_to_context(default_customer_no="WEB")
    typo = address(1, firstName="Bill", lastName="Payer", address1="9 Pay St", city="Bostn")
    row = plan([order(1, 7, "x@x.com", bill=typo, display=typo)], ctx).loc["1"]
    assert (row["bill_to_customer_no"], row["bill_to_rule"]) == ("WEB", "default_customer")
    assert row["reasons"] == "NEAR_MISS"
    assert "C2 (bill-to equal but city: 'Bostn' vs 'Boston')" in row["candidates"].split("; ")


def test_import_none_with_a_country_row_without_default_maps_the_customer_never_creates():
    # BC Order Mapping: the shop default is pre-filled only when no Shopify customer template
    # row exists for the ship-to country; with a row, the order customer is mapped.
    ctx = context(
        customer_import="none",
        default_customer_no="WEB",
        auto_create_unknown_customers=True,
        customer_template_code="DOM",
        country_settings={"US": CountrySetting("US", "DOM", "")},
    )
    shop = shopify(customer(8, "new@x.com", addresses=[address(80)]))
    result = plan([order(1, 7, "ann@x.com"), order(2, 8, "new@x.com")], ctx, shop)
    known, unknown = result.loc["1"], result.loc["2"]
    assert (known["sell_to_customer_no"], known["rule"]) == ("C1", "email")
    assert unknown["sell_to_action"] == "skip"  # no customer import: never created
    assert (unknown["sell_to_customer_no"], unknown["bill_to_rule"]) == ("WEB", "default_customer")
    elsewhere = plan([order(3, 7, "ann@x.com", ship="DE")], ctx).loc["3"]
    assert (elsewhere["sell_to_customer_no"], elsewhere["rule"]) == ("WEB", "default_customer")
