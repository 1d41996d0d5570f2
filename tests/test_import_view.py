"""The import view (what the CLI preview keeps of its inputs): the same plan in every mode."""

from __future__ import annotations

import pandas as pd
import pytest
from factories import address, context, customer, erp, shopify

from shopsync.erp_io import read_erp_customers
from shopsync.mapping import (
    IMPORT_ADDRESS_COLUMNS,
    IMPORT_CUSTOMER_COLUMNS,
    IMPORT_ERP_COLUMNS,
    import_view,
    plan_import,
)
from shopsync.shopify_io import ShopifyCustomers, read_shopify_customers

# every value of each setting the plan reads in at least one row
MODES = [
    {},
    {"mapping_type": "by_bill_to", "phone_match": "bc", "auto_create_unknown_customers": True},
    {"mapping_type": "default_customer", "default_customer_no": "C0000002"},
    {
        "shopify_can_update_customers": True,
        "name_source": "first_and_last_name",
        "contact_source": "last_and_first_name",
        "county_source": "name",
    },
    {
        "shopify_can_update_customers": True,
        "auto_create_unknown_customers": True,
        "customer_template_code": "DOM",
        "name_source": "last_and_first_name",
        "contact_source": "none",
        "phone_match": "bc",
    },
    {"mapping_type": "by_bill_to", "name_source": "none", "shopify_can_update_customers": True},
]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The benchmark's realistic files at a small size: addresses before their customers,
    several per customer, planted e-mail and phone matches, typos, broken phones."""
    from benchmarks.files import write_files

    files = write_files(1_500, tmp_path_factory.mktemp("files"), seed=3)
    return read_shopify_customers(files.shopify), read_erp_customers(files.erp).customers


def _awkward() -> tuple[ShopifyCustomers, pd.DataFrame]:
    """Customers without addresses, defaults that are not the first, ids that are not
    numbers, a customer read twice, an address of no known customer."""
    shop = shopify(
        customer(1, email="ann@example.com", addresses=[address(12), address(11)], default=12),
        customer(2, email="bob@example.com"),
        customer(3, phone="+16175550101", addresses=[address(31, zip="02135"), address(30)]),
        customer(4, email="cat@exampel.com", addresses=[address(40, countryCodeV2="GB")]),
        customer(5, addresses=[address(50, company="Lee Ltd")]),
    )
    customers = pd.concat([shop.customers, shop.customers.iloc[[0]]], ignore_index=True)
    stray = shop.addresses.iloc[[0]].assign(shopify_id="999", address_id="x")
    addresses = pd.concat([shop.addresses, stray], ignore_index=True)
    ledger = erp(
        {"no": "C0000001", "email": "ANN@example.com"},
        {"no": "C0000002", "email": "cat@example.com"},
        {"no": "C0000003", "phone": "(617) 555-0101", "country_code": "US"},
        {"no": "C0000004", "name": "Lee Ltd", "post_code": "02134", "email": ""},
    )
    return ShopifyCustomers(customers, addresses), ledger


@pytest.mark.parametrize("settings", MODES, ids=lambda s: ",".join(map(str, s.values())) or "bc")
@pytest.mark.parametrize("inputs", ["generated", "awkward"])
def test_the_import_view_gives_the_same_plan(settings, inputs, request):
    shop, ledger = request.getfixturevalue("generated") if inputs == "generated" else _awkward()
    ctx = context(**settings)
    expected = plan_import(shop, ledger, ctx)
    viewed = plan_import(*import_view(shop, ledger), ctx)
    pd.testing.assert_frame_equal(viewed, expected)


def test_the_view_holds_one_address_per_customer_and_the_columns_the_plan_reads():
    shop, ledger = _awkward()
    view, erp_view = import_view(shop, ledger)
    assert list(view.customers.columns) == list(IMPORT_CUSTOMER_COLUMNS)
    assert list(view.addresses.columns) == list(IMPORT_ADDRESS_COLUMNS)
    assert list(erp_view.columns) == list(IMPORT_ERP_COLUMNS)
    # customers 1, 3, 4, 5 have addresses (1 twice over): their chosen ones, in their order
    assert view.addresses["shopify_id"].tolist() == ["1", "3", "4", "5"]
    assert view.addresses["address_id"].tolist() == ["12", "30", "40", "50"]
