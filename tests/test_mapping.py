"""Import matching rules (SPEC section 4), each with a concrete example."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from factories import address, context, customer, erp, per_country, shopify
from hypothesis import given
from hypothesis import strategies as st

from shopsync.mapping import PLAN_COLUMNS, map_order_customers, plan_import


def plan(shop, customers, ctx=None, **kw):
    return plan_import(shop, customers, ctx or context(), **kw).set_index("shopify_id")


def tax_areas(*rows):
    """US tax-area rows: (province, province code, tax area code, tax liable, VAT group)."""
    columns = ["province", "province_code", "tax_area_code", "tax_liable", "vat_bus_posting_group"]
    return pd.DataFrame([dict(zip(columns, row, strict=True)) for row in rows]).assign(country="US")


def order_side(shop, customers, ctx, **kw):
    """The mapping an order customer gets (with the shop's mapping type)."""
    return map_order_customers(shop, customers, ctx, **kw).set_index("shopify_id")


def test_email_matches_case_insensitively_on_the_whole_field():
    result = plan(
        shopify(customer(1, "p1@contoso.com")), erp({"no": "C1", "email": " P1@Contoso.com "})
    )
    assert result.loc["1", ["action", "customer_no", "rule"]].tolist() == ["link", "C1", "email"]


def test_email_compare_uses_casefold_not_lower():
    result = plan(shopify(customer(1, "strasse@x.de")), erp({"no": "C1", "email": "STRAßE@x.de"}))
    assert result.loc["1", "customer_no"] == "C1"


def test_email_list_field_is_not_an_email_match():
    result = plan(shopify(customer(1, "a@x.com")), erp({"no": "C1", "email": "a@x.com;b@x.com"}))
    assert result.loc["1", "rule"] == "none"


def test_email_tie_takes_the_lowest_number_and_shows_the_tie():
    customers = erp({"no": "C20", "email": "dup@x.com"}, {"no": "C10", "email": "DUP@x.com"})
    row = plan(shopify(customer(1, "dup@x.com")), customers).loc["1"]
    assert row["customer_no"] == "C10"
    assert row["reasons"] == "AMBIGUOUS_EMAIL"
    assert "C20 (same e-mail)" in row["candidates"]


def test_phone_matches_in_e164_with_the_erp_customers_own_country():
    customers = erp(
        {"no": "C1", "phone": "06 12345678", "country_code": "NL"},
        {"no": "C2", "phone": "030 1234567", "country_code": "DE"},
        {"no": "C3", "phone": "210 1234567", "country_code": "EL"},
    )
    shop = shopify(
        customer(1, None, "+31612345678"),
        customer(2, None, "+49301234567"),
        customer(3, None, "+302101234567"),
    )
    result = plan(shop, customers)
    assert result["customer_no"].tolist() == ["C1", "C2", "C3"]
    assert set(result["rule"]) == {"phone"}


def test_email_wins_over_phone():
    customers = erp({"no": "C1", "phone": "+31612345678"}, {"no": "C2", "email": "a@x.com"})
    result = plan(shopify(customer(1, "a@x.com", "+31612345678")), customers)
    assert result.loc["1", "customer_no"] == "C2"


def test_phone_tie_is_flagged():
    customers = erp(
        {"no": "C2", "phone": "+31 6 12345678"},
        {"no": "C1", "phone": "0612345678", "country_code": "NL"},
    )
    row = plan(shopify(customer(1, None, "+31612345678")), customers).loc["1"]
    assert (row["customer_no"], row["reasons"]) == ("C1", "AMBIGUOUS_PHONE")


@pytest.mark.parametrize(
    "shop_phone, erp_phone, matches",
    [
        ("+1 234 56789", "123456789", True),  # BC's example
        ("+31612345678", "0612345678", False),  # BC's example: the leading 0 is not a 3
        ("+31612345678", "+31 6 1234 5678", True),
    ],
)
def test_bc_phone_mode_reproduces_business_central(shop_phone, erp_phone, matches):
    ctx = context(phone_match="bc")
    result = plan(
        shopify(customer(1, None, shop_phone)), erp({"no": "C1", "phone": erp_phone}), ctx
    )
    assert (result.loc["1", "rule"] == "phone") is matches


def test_bill_to_matches_on_all_eight_fields():
    ctx = context(
        mapping_type="by_bill_to", name_source="first_and_last_name", name_2_source="none"
    )
    base = {
        "name": "Ann Lee",
        "address": "1 Main St",
        "post_code": "02134",
        "city": "Boston",
        "county": "MA",
        "country_code": "US",
    }
    exact = erp({"no": "C1", **base})
    shop = shopify(customer(1, "other@x.com", addresses=[address(10)]))
    assert order_side(shop, exact, ctx).loc["1", ["customer_no", "rule"]].tolist() == [
        "C1",
        "bill_to",
    ]
    for field, other in [
        ("name", "Ann Leigh"),
        ("name_2", "Sales"),
        ("address", "2 Main St"),
        ("address_2", "Floor 2"),
        ("post_code", "02135"),
        ("city", "Cambridge"),
        ("county", "NY"),
        ("country_code", "CA"),
    ]:
        one_off = erp({"no": "C1", **base, field: other})
        row = order_side(shop, one_off, ctx).loc["1"]
        assert row["rule"] == "none", field
        # BC finds nothing; shopsync also names the one field that differs (a near miss)
        assert row["reasons"] == "NEAR_MISS", field
        assert f"bill-to equal but {field.replace('_', ' ')}:" in row["candidates"], field


def test_bill_to_county_by_name_when_county_source_is_name():
    ctx = context(
        mapping_type="by_bill_to", name_source="first_and_last_name", county_source="name"
    )
    customers = erp(
        {
            "no": "C1",
            "name": "Ann Lee",
            "name_2": "Ann Lee",
            "address": "1 Main St",
            "post_code": "02134",
            "city": "Boston",
            "county": "Massachusetts",
            "country_code": "US",
        }
    )
    result = order_side(shopify(customer(1, addresses=[address(10)])), customers, ctx)
    assert result.loc["1", "rule"] == "bill_to"


def test_bill_to_with_empty_names_falls_back_to_email_phone():
    ctx = context(
        mapping_type="by_bill_to",
        name_source="company_name",
        name_2_source="none",
        contact_source="none",
    )
    shop = shopify(customer(1, "a@x.com", addresses=[address(10, company="")]))
    row = order_side(shop, erp({"no": "C1", "email": "a@x.com"}), ctx).loc["1"]
    assert (row["rule"], row["reasons"]) == ("email", "NAME_EMPTY_FALLBACK_EMAIL_PHONE")


def test_default_customer_mapping_for_order_customers():
    ctx = context(mapping_type="default_customer", default_customer_no="WEB")
    result = order_side(
        shopify(customer(1, "a@x.com")), erp({"no": "WEB"}, {"no": "C1", "email": "a@x.com"}), ctx
    )
    assert result.loc["1", ["action", "customer_no", "rule"]].tolist() == [
        "link",
        "WEB",
        "default_customer",
    ]


@pytest.mark.parametrize("mapping_type", ["default_customer", "by_bill_to"])
def test_a_customer_import_maps_by_link_email_phone_whatever_the_mapping_type(mapping_type):
    # BC FindMapping (customer import): link, then e-mail, then phone; the mapping type is
    # used only by the order mapping (Shpfy Order Mapping -> Customer Mapping.DoMapping).
    ctx = context(
        mapping_type=mapping_type,
        default_customer_no="WEB",
        auto_create_unknown_customers=True,
        customer_template_code="DOM",
    )
    customers = erp(
        {"no": "WEB"},
        {"no": "C1", "email": "a@x.com", "address": "9 Elm St", "city": "Salem"},
        {"no": "C2", "phone": "+16175550100"},
    )
    shop = shopify(
        customer(1, "a@x.com", addresses=[address(10)]),
        customer(2, None, "+16175550100", addresses=[address(20)]),
        customer(3, "new@x.com", addresses=[address(30)]),
    )
    result = plan(shop, customers, ctx)
    assert result[["customer_no", "rule"]].values.tolist() == [
        ["C1", "email"],
        ["C2", "phone"],
        ["", "none"],
    ]
    assert result["action"].tolist() == ["link", "link", "create"]


def test_existing_link_wins_and_a_link_to_a_deleted_customer_is_cleared():
    customers = erp({"no": "C1", "email": "a@x.com"}, {"no": "C2"})
    shop = shopify(customer(1, "a@x.com"), customer(2, "a@x.com"))
    result = plan(shop, customers, links={"1": "C2", "2": "C9"})
    assert result.loc["1", ["customer_no", "rule", "action"]].tolist() == [
        "C2",
        "existing_link",
        "unchanged",
    ]
    assert result.loc["2", ["customer_no", "rule"]].tolist() == ["C1", "email"]
    assert "C9" in result.loc["2", "candidates"]


def test_auto_create_uses_the_default_address_then_the_first():
    ctx = context(
        auto_create_unknown_customers=True,
        customer_template_code="DOM",
        country_settings=per_country(DE="EU", GR="EU"),
    )
    shop = shopify(
        customer(
            1,
            "a@x.com",
            addresses=[
                address(10, countryCodeV2="US"),
                address(11, countryCodeV2="DE", provinceCode="", province=""),
            ],
            default=11,
        ),
        customer(
            2,
            "b@x.com",
            addresses=[address(20, countryCodeV2="DE", provinceCode="", province=""), address(21)],
        ),
        customer(3, "c@x.com", addresses=[address(30)]),
    )
    result = plan(shop, erp({"no": "C0"}), ctx)
    assert result["action"].tolist() == ["create"] * 3
    assert result["template_code"].tolist() == ["EU", "EU", "DOM"]  # default, first, shop
    assert result["erp_country_code"].tolist() == ["DE", "DE", "US"]


def test_create_reasons_no_address_no_template_incomplete_country():
    ctx = context(
        auto_create_unknown_customers=True, country_settings=per_country(FR="HALF", DE="EU")
    )
    shop = shopify(
        customer(1, "pos@x.com"),  # POS customer: no address
        customer(2, "b@x.com", addresses=[address(20)]),  # US: no template at all
        customer(
            3, "c@x.com", addresses=[address(30, countryCodeV2="FR", provinceCode="", province="")]
        ),
        customer(
            4, "d@x.com", addresses=[address(40, countryCodeV2="XK", provinceCode="", province="")]
        ),
    )
    result = plan(shop, erp({"no": "C0"}), ctx)
    assert result["action"].tolist() == ["skip"] * 4
    assert result.loc["1", "reasons"] == "NO_ADDRESS"
    assert result.loc["2", "reasons"] == "NO_TEMPLATE"
    assert result.loc["3", "reasons"] == "TEMPLATE_INCOMPLETE"
    assert "COUNTRY_NOT_IN_ERP" in result.loc["4", "reasons"]


def test_first_address_when_none_is_default_is_the_lowest_address_id():
    # BC takes FindFirst on its address table, keyed by the address id: not the list order.
    ctx = context(
        auto_create_unknown_customers=True,
        customer_template_code="DOM",
        country_settings=per_country(DE="EU"),
    )
    later = address(30, countryCodeV2="US")
    lowest = address(12, countryCodeV2="DE", provinceCode="", province="", city="Köln")
    shop = shopify(customer(1, "a@x.com", addresses=[later, lowest]))
    row = plan(shop, erp({"no": "C0"}), ctx).loc["1"]
    assert (row["erp_country_code"], row["erp_city"], row["template_code"]) == ("DE", "Köln", "EU")


def test_post_codes_are_upper_cased_as_bc_code_fields():
    ctx = context(auto_create_unknown_customers=True, customer_template_code="DOM")
    shop = shopify(
        customer(
            1,
            "a@x.com",
            addresses=[
                address(1, zip="sw1a 1aa", countryCodeV2="GB", provinceCode="", province="")
            ],
        )
    )
    assert plan(shop, erp({"no": "C0"}), ctx).loc["1", "erp_post_code"] == "SW1A 1AA"


def test_without_auto_create_unmatched_customers_are_skipped_with_rule_none():
    row = plan(shopify(customer(1, "x@x.com", addresses=[address(1)])), erp({"no": "C1"})).loc["1"]
    assert (row["action"], row["rule"], row["customer_no"]) == ("skip", "none", "")


def test_update_only_when_shopify_can_update_and_something_changed():
    ctx = context(shopify_can_update_customers=True, name_source="first_and_last_name")
    same = {
        "no": "C1",
        "name": "Ann Lee",
        "name_2": "Ann Lee",
        "address": "1 Main St",
        "city": "Boston",
        "county": "MA",
        "post_code": "02134",
        "country_code": "US",
        "email": "a@x.com",
    }
    shop = shopify(customer(1, "a@x.com", addresses=[address(1)]))
    assert plan(shop, erp(same), ctx).loc["1", "action"] == "update"  # contact differs
    same["contact"] = ""
    # name takes the first/last name, name_2 too, contact is built first/last as well
    values = plan(shop, erp(same), ctx).loc["1"]
    assert values["erp_contact"] == "Ann Lee"
    assert (
        plan(shop, erp(same), context(name_source="first_and_last_name")).loc["1", "action"]
        == "link"
    )


def test_erp_values_follow_the_name_sources():
    ctx = context(auto_create_unknown_customers=True, customer_template_code="DOM")
    shop = shopify(
        customer(1, "a@x.com", addresses=[address(1, company="Contoso", phone="+16175550100")])
    )
    row = plan(shop, erp({"no": "C0"}), ctx).loc["1"]
    assert (row["erp_name"], row["erp_name_2"], row["erp_contact"]) == (
        "Contoso",
        "Ann Lee",
        "Ann Lee",
    )
    assert (row["erp_phone"], row["erp_email"], row["erp_county"]) == (
        "+16175550100",
        "a@x.com",
        "MA",
    )
    ctx = context(
        auto_create_unknown_customers=True,
        customer_template_code="DOM",
        name_source="last_and_first_name",
        name_2_source="none",
        county_source="name",
    )
    row = plan(shop, erp({"no": "C0"}), ctx).loc["1"]
    assert (row["erp_name"], row["erp_name_2"], row["erp_county"]) == (
        "Lee Ann",
        "",
        "Massachusetts",
    )


def test_name_falls_back_to_contact_when_name_sources_give_nothing():
    ctx = context(
        auto_create_unknown_customers=True,
        customer_template_code="DOM",
        name_source="company_name",
        name_2_source="none",
    )
    row = plan(shopify(customer(1, "a@x.com", addresses=[address(1)])), erp({"no": "C0"}), ctx).loc[
        "1"
    ]
    assert (row["erp_name"], row["erp_contact"]) == ("Ann Lee", "")


def test_long_values_are_cut_with_a_warning_and_tax_area_applied():
    tax = tax_areas(("Massachusetts", "MA", "US-MA", True, "US"))
    ctx = context(tax, auto_create_unknown_customers=True, customer_template_code="DOM")
    shop = shopify(customer(1, "a@x.com", addresses=[address(1, city="C" * 40)]))
    row = plan(shop, erp({"no": "C0"}), ctx).loc["1"]
    assert row["action"] == "create" and row["reasons"] == "VALUE_TRUNCATED"
    assert row["erp_city"] == "C" * 30
    assert (row["erp_tax_area_code"], row["erp_tax_liable"], row["erp_vat_bus_posting_group"]) == (
        "US-MA",
        True,
        "US",
    )


def test_unknown_province_is_reported():
    ctx = context(auto_create_unknown_customers=True, customer_template_code="DOM")
    shop = shopify(
        customer(1, "a@x.com", addresses=[address(1, provinceCode="ZZ", province="Nowhere")])
    )
    assert "PROVINCE_UNKNOWN" in plan(shop, erp({"no": "C0"}), ctx).loc["1", "reasons"]


def test_near_misses_typo_country_code_and_name_post_code():
    customers = erp(
        {"no": "C1", "email": "typo@contoso.com"},
        {"no": "C2", "phone": "+32612345678"},
        {"no": "C3", "name": "Bo Berg", "post_code": "11122"},
    )
    shop = shopify(
        customer(1, "tpyo@contoso.com"),
        customer(2, None, "+31612345678"),
        customer(
            3,
            "bo@x.se",
            first="Bo",
            last="Berg",
            firstName="Bo",
            lastName="Berg",
            addresses=[
                address(
                    3,
                    firstName="Bo",
                    lastName="Berg",
                    zip="11122",
                    countryCodeV2="SE",
                    provinceCode="",
                    province="",
                )
            ],
        ),
    )
    result = plan(shop, customers)
    assert set(result["reasons"]) == {"NEAR_MISS"}
    assert result.loc["1", "candidates"].startswith("C1 (e-mail one typo away")
    assert result.loc["2", "candidates"] == "C2 (same phone digits: +32612345678)"
    assert result.loc["3", "candidates"] == "C3 (same name and post code)"


def test_typo_candidate_names_its_own_customer_after_erp_customers_without_email():
    # ERP customers with no e-mail (or one too long to search) come before the one a typo
    # away: the candidate is still that customer, not the one at its place among the e-mails
    customers = erp(
        {"no": "C1", "email": ""},
        {"no": "C2", "email": "x" * 81 + "@contoso.com"},
        {"no": "C3", "email": "typo@contoso.com"},
    )
    result = plan(shopify(customer(1, "tpyo@contoso.com")), customers)
    assert result.loc["1", "candidates"] == "C3 (e-mail one typo away: typo@contoso.com)"


def test_every_shopify_customer_appears_exactly_once_with_all_columns():
    shop = shopify(*[customer(i, f"c{i}@x.com") for i in range(50)])
    result = plan_import(shop, erp({"no": "C1", "email": "c3@x.com"}), context())
    assert list(result.columns) == PLAN_COLUMNS
    assert sorted(result["shopify_id"]) == sorted(str(i) for i in range(50))


def test_malformed_input_lines_are_reported_not_dropped(tmp_path):
    import json

    from shopsync.shopify_io import read_shopify_customers

    good = customer(1, "a@x.com")
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps([1, 2]),
        json.dumps({"__parentId": "gid://shopify/Customer/404", "id": "x"}),
        json.dumps(customer(2, "b@x.com")),
    ]
    path = tmp_path / "customers.jsonl"
    path.write_text("\n".join(lines) + "\n")
    plan_frame = plan_import(read_shopify_customers(path), erp({"no": "C1"}), context())
    assert len(plan_frame) == 5  # every line is a row
    broken = plan_frame[plan_frame["reasons"] == "RECORD_UNREADABLE"]
    assert broken["shopify_id"].tolist() == ["line 2", "line 3", "line 4"]
    assert (broken["action"] == "skip").all()
    assert "not JSON" in broken["candidates"].iloc[0]


# -- non-destructive updates (BC FillInCustomerFields writes only what Shopify supplies) -----

_KEPT = {
    "no": "C1",
    "name": "Ann Lee",
    "name_2": "Ann Lee",
    "contact": "Ann Lee",
    "address": "1 Main St",
    "city": "Boston",
    "county": "MA",
    "post_code": "02134",
    "country_code": "US",
    "email": "a@x.com",
    "phone": "+16175550199",
    "tax_area_code": "US-MA",
    "tax_liable": True,
    "vat_bus_posting_group": "DOMESTIC",
}


def _updating(tax_areas=None, **settings):
    return context(
        tax_areas, shopify_can_update_customers=True, name_source="first_and_last_name", **settings
    )


def test_an_update_keeps_phone_tax_area_and_vat_group_when_shopify_has_none():
    moved = shopify(customer(1, "a@x.com", addresses=[address(1, address1="2 Main St")]))
    row = plan(moved, erp(_KEPT), _updating()).loc["1"]
    assert (row["action"], row["rule"], row["erp_address"]) == ("update", "email", "2 Main St")
    assert row["erp_phone"] == "+16175550199"
    assert (row["erp_tax_area_code"], row["erp_tax_liable"]) == ("US-MA", True)
    assert row["erp_vat_bus_posting_group"] == "DOMESTIC"


def test_an_update_keeps_the_email_when_shopify_has_none():
    moved = shopify(customer(1, None, "+16175550199", addresses=[address(1, address1="2 Main St")]))
    row = plan(moved, erp(_KEPT), _updating()).loc["1"]
    assert (row["action"], row["rule"]) == ("update", "phone")
    assert (row["erp_email"], row["erp_phone"]) == ("a@x.com", "+16175550199")


def test_a_customer_equal_but_for_fields_shopify_does_not_supply_is_not_updated():
    # what Shopify leaves out is not a change: no spurious update on every run
    same = shopify(customer(1, "a@x.com", addresses=[address(1)]))
    row = plan(same, erp(_KEPT), _updating()).loc["1"]
    assert row["action"] == "link"
    linked = plan(same, erp(_KEPT), _updating(), links={"1": "C1"}).loc["1"]
    assert linked["action"] == "unchanged"


def test_name_2_is_left_alone_when_the_name_took_its_value():
    # name source company, no company on the address: Name takes the first/last name (the
    # name 2 source) and BC does not touch Name 2
    ctx = context(shopify_can_update_customers=True)  # company_name, first_and_last_name
    kept = _KEPT | {"name": "Contoso", "name_2": "Purchasing"}
    row = plan(shopify(customer(1, "a@x.com", addresses=[address(1)])), erp(kept), ctx).loc["1"]
    assert row["action"] == "update"
    assert (row["erp_name"], row["erp_name_2"]) == ("Ann Lee", "Purchasing")


def test_tax_area_and_vat_group_are_each_written_only_from_a_non_blank_value():
    tax = tax_areas(
        ("Massachusetts", "MA", "", False, "EXPORT"), ("New York", "NY", "NY-NYC", False, "")
    )
    ny = address(2, provinceCode="NY", province="New York")
    shop = shopify(
        customer(1, "a@x.com", addresses=[address(1)]),
        customer(2, "b@x.com", addresses=[ny]),
    )
    customers = erp(_KEPT, _KEPT | {"no": "C2", "email": "b@x.com", "county": "NY"})
    result = plan(shop, customers, _updating(tax_areas=tax))
    assert result["action"].tolist() == ["update", "update"]
    vat_only, area_only = result.loc["1"], result.loc["2"]
    assert vat_only[["erp_tax_area_code", "erp_vat_bus_posting_group"]].tolist() == [
        "US-MA",
        "EXPORT",
    ]
    assert vat_only["erp_tax_liable"]
    assert area_only[["erp_tax_area_code", "erp_vat_bus_posting_group"]].tolist() == [
        "NY-NYC",
        "DOMESTIC",
    ]
    assert not area_only["erp_tax_liable"]  # goes with the tax area code


def test_a_matched_customer_without_address_is_skipped_and_the_erp_customer_left_as_is():
    # BC DoUpdateCustomer: no address -> error, rolled back; shopsync: skip NO_ADDRESS
    pos = shopify(customer(1, "a@x.com", "+16175550100"))  # a new phone, no address
    for links in ({}, {"1": "C1"}):
        row = plan(pos, erp(_KEPT), _updating(), links=links).loc["1"]
        assert (row["action"], row["customer_no"], row["reasons"]) == ("skip", "C1", "NO_ADDRESS")
        assert (row["erp_address"], row["erp_email"], row["erp_phone"]) == ("", "", "")
    unchanged = shopify(customer(1, "a@x.com", "+16175550199"))
    assert plan(unchanged, erp(_KEPT), _updating()).loc["1", "action"] == "link"


def test_a_tax_area_row_with_only_a_vat_group_applies_it(store, tmp_path):
    # BC FillInCustomerFields reads the Shpfy Tax Area row and applies a non-blank VAT
    # business posting group even when its tax area code is blank.
    from shopsync.jobs import preview_import
    from shopsync.settings import parse_config

    config = parse_config(
        {
            "shop": {
                "code": "D",
                "url": "http://127.0.0.1:8787",
                "auto_create_unknown_customers": True,
                "customer_template_code": "DOM",
            },
            "templates": [{"code": "DOM", "gen_bus_posting_group": "D",
                           "vat_bus_posting_group": "D", "customer_posting_group": "D"}],
            "tax_areas": [{"country": "US", "province": "Massachusetts", "province_code": "MA",
                           "vat_bus_posting_group": "EXPORT-MA"}],
        }
    )  # fmt: skip
    store.initialise(config)
    path = tmp_path / "erp.csv"
    erp({"no": "C0"}).to_csv(path, index=False)
    shop = shopify(customer(1, "a@x.com", addresses=[address(1)]))
    row = preview_import(config, store, erp_file=path, shopify=shop).set_index("shopify_id")
    assert row.loc["1", ["action", "erp_vat_bus_posting_group"]].tolist() == [
        "create",
        "EXPORT-MA",
    ]
    assert row.loc["1", "erp_tax_area_code"] == ""


def test_an_update_never_blanks_the_name():
    # deliberate difference: BC validates Name := '' from an address without any name
    ctx = _updating(name_2_source="none", contact_source="none")
    nameless = address(1, firstName="", lastName="", address1="2 Main St")
    anonymous = customer(1, "a@x.com", addresses=[nameless], firstName="", lastName="")
    row = plan(shopify(anonymous), erp(_KEPT), ctx).loc["1"]
    assert (row["action"], row["erp_name"], row["erp_address"]) == (
        "update",
        "Ann Lee",
        "2 Main St",
    )


@given(names=st.lists(st.one_of(st.none(), st.text(alphabet="aB Z_-.9é\u0130ß\u00a0\t\u0660"))))
def test_loose_name_keys_equal_lower_case_and_non_word_removal_by_re(names):
    from shopsync.mapping import _name_keys

    column = pd.Series(names, dtype="str")
    # the rule as pandas' str methods (Python's re for \W) have it, row by row
    expected = column.str.lower().str.replace(r"[\W_]+", "", regex=True)
    assert _name_keys(column).equals(expected)


@pytest.mark.parametrize(
    ("table", "written"),
    [
        ({"EL": "GR"}, "EL"),  # the ERP spells Greece EL
        ({"EL": "GR", "GR": "GR"}, "GR"),  # the code equal to the ISO code wins
        ({"HELLAS": "GR", "EL": "GR"}, "EL"),  # else the smallest
        ({"DE": "DE"}, ""),  # no ERP country carries GR: nothing written, and said why
    ],
)
def test_create_writes_the_erp_country_code_carrying_the_iso_code(table, written):
    ctx = dataclasses.replace(
        context(auto_create_unknown_customers=True, country_settings=per_country(GR="EU")),
        countries=table,
    )
    greek = address(10, countryCodeV2="GR", provinceCode="", province="", zip="10558")
    row = plan(shopify(customer(1, "g@x.gr", addresses=[greek])), erp({"no": "C0"}), ctx).loc["1"]
    assert row["erp_country_code"] == written
    assert ("COUNTRY_NOT_IN_ERP" in row["reasons"]) == (written == "")
    assert row["action"] == ("create" if written else "skip")


_CODED_TEXT = st.one_of(st.none(), st.text(alphabet="0129a\u0660 ", max_size=9))


@given(left=st.lists(_CODED_TEXT), right=st.lists(_CODED_TEXT))
def test_shared_codes_are_equal_exactly_where_the_texts_are(left, right):
    from shopsync.mapping import _digit_codes, _shared_codes

    texts = [*left, *right]
    for width in (None, 2):
        if width is None:
            codes = _shared_codes(pd.Series(left, dtype="str"), pd.Series(right, dtype="str"))
        else:  # the phone tails: texts of one length, numbers when every one is ASCII digits
            left = [t if t is None else (t + "00")[:width] for t in left]
            right = [t if t is None else (t + "00")[:width] for t in right]
            texts = [*left, *right]
            codes = _digit_codes(pd.Series(left, dtype="str"), pd.Series(right, dtype="str"), width)
        joined = [*codes[0], *codes[1]]
        assert len(joined) == len(texts)
        for i, a in enumerate(texts):
            for j, b in enumerate(texts):
                assert (joined[i] == joined[j]) == (a == b)


def test_near_misses_by_phone_digits_and_name_list_every_erp_customer_in_erp_order():
    customers = erp(
        {"no": "C9", "phone": "0031 6 1234 5678", "name": "Åsa Öberg", "post_code": "111 22"},
        {"no": "C2", "phone": "+32612345678", "name": "åsa öberg", "post_code": "111 22"},
        {"no": "C5", "phone": "+4٦١٢٣٤٥٦٧٨", "contact": "Åsa Öberg", "post_code": "111 22"},
    )
    nordic = address(1, firstName="Åsa", lastName="Öberg", zip="111 22", countryCodeV2="SE")
    shop = shopify(
        customer(1, None, "+46612345678", firstName="Åsa", lastName="Öberg", addresses=[nordic])
    )
    result = plan(shop, customers)
    assert result.loc["1", "candidates"] == (
        "C9 (same phone digits: 0031 6 1234 5678); C2 (same phone digits: +32612345678); "
        "C9 (same name and post code); C2 (same name and post code); "
        "C5 (same contact and post code)"
    )


_HASHES = st.lists(
    st.one_of(
        st.integers(-(2**63), 2**63 - 1),
        st.sampled_from([-1, 0, 1, 2**63 - 1, -(2**63), 2**39, -(2**39), 2**14]),
    ),
    max_size=40,
)


@given(left=_HASHES, right=_HASHES)
def test_shared_forms_says_exactly_which_hashes_the_other_side_has(left, right):
    import numpy as np

    from shopsync.mapping import _shared_forms

    left_hashes, right_hashes = np.array(left, np.int64), np.array(right, np.int64)
    in_left, in_right = _shared_forms(left_hashes, right_hashes)
    assert in_left.tolist() == [h in set(right) for h in left]
    assert in_right.tolist() == [h in set(left) for h in right]
