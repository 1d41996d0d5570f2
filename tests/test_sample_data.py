"""The sample data set: every hand-made case gives what cases.csv expects, every code occurs."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from tests_paths import SAMPLE

from shopsync.erp_io import read_erp_customers
from shopsync.jobs import preview_import, preview_orders, validate_export
from shopsync.settings import load_config
from shopsync.shopify_io import legacy_id, read_shopify_customers, read_shopify_orders
from shopsync.store import open_store

CASES = pd.read_csv(SAMPLE / "cases.csv", dtype=str, keep_default_na=False)
ERP_FILE = SAMPLE / "erp_customers.csv"
SHOPIFY_FILE = SAMPLE / "customers.jsonl"
ORDERS_FILE = SAMPLE / "orders.jsonl"
CONFIGS = sorted(p.name for p in SAMPLE.glob("shop*.toml"))


@cache
def results(config_name: str) -> dict[str, pd.DataFrame]:
    """The three previews of the sample data under one configuration (store in memory)."""
    config = load_config(SAMPLE / config_name)
    store = open_store("sqlite://")
    store.initialise(config)
    shopify = read_shopify_customers(SHOPIFY_FILE)
    return {
        "shopify": preview_import(config, store, erp_file=ERP_FILE, shopify=shopify).set_index(
            "shopify_id"
        ),
        "order": preview_orders(config, store, ORDERS_FILE, erp_file=ERP_FILE, shopify=shopify)
        .assign(order_id=lambda f: f["order_id"].astype(str))
        .set_index("order_id"),
        "erp": validate_export(config, store, erp_file=ERP_FILE).set_index("customer_no"),
    }


@cache
def validation_after_import(config_name: str) -> pd.DataFrame:
    """Export validation once a sync has imported (and linked) the sample shop."""
    from sync_helpers import FakeClock, sample_config, sample_store, served

    from shopsync.emulator import Emulator
    from shopsync.sync import SyncOptions, sync_shop

    clock = FakeClock()
    emulator = Emulator(data_dir=SAMPLE, clock=clock, sleep=clock.sleep)
    with (
        tempfile.TemporaryDirectory() as folder,
        served(emulator, sample_config(config_name), clock) as (config, client),
    ):
        store = sample_store(Path(folder) / "s.db", config)
        options = SyncOptions(direction="import", progress=False, report_dir=None)
        sync_shop(config, store, client(), options)
        return validate_export(config, store).set_index("customer_no")


def codes(joined: str) -> set[str]:
    return {c for c in joined.split(";") if c}


@pytest.mark.parametrize(
    "case", CASES.to_dict("records"), ids=lambda c: f"{c['side']}-{c['record']}"
)
def test_case_gives_what_the_manifest_expects(case):
    if "ALREADY_EXISTS_IN_SHOPIFY" in case["expect_reasons"]:
        frame = validation_after_import(case["config"])  # the remote check needs the links
    else:
        frame = results(case["config"])[case["side"]]
    key = legacy_id(case["record"]) if case["side"] == "order" else case["record"]
    row = frame.loc[key]
    fields = {
        "shopify": ("action", "rule", "customer_no"),
        "order": ("sell_to_action", "rule", "sell_to_customer_no"),
        "erp": ("action", None, None),
    }[case["side"]]
    expected = [case["expect_action"], case["expect_rule"], case["expect_customer_no"]]
    for column, value in zip(fields, expected, strict=True):
        if column and value:
            assert row[column] == value, f"{column}: {case['explanation']}"
    if case["side"] == "erp" and case["expect_customer_no"]:  # who holds the Shopify customer
        assert f"ERP customer {case['expect_customer_no']}" in row["message"], case["explanation"]
    if case["side"] == "order" and case["expect_bill_to_customer_no"]:
        assert row["bill_to_customer_no"] == case["expect_bill_to_customer_no"], case["explanation"]
    missing = codes(case["expect_reasons"]) - codes(row["reasons"])
    assert not missing, f"missing {missing}: {case['explanation']}"
    prefix = "erp_" if case["side"] == "shopify" else ""  # the values the import would write
    for name, value in expected_values(case["expect_values"]).items():
        assert shown(row[prefix + name]) == value, f"{name}: {case['explanation']}"


def expected_values(joined: str) -> dict[str, str]:
    """``field=value;field=value`` -> {field: value}; a bare ``field=`` expects a blank."""
    pairs = [item.split("=", 1) for item in joined.split(";") if item]
    assert all(len(pair) == 2 for pair in pairs), f"not field=value: {joined!r}"
    return dict(pairs)


def shown(value: object) -> str:
    """A preview cell as the manifest writes it: booleans lower case, missing values blank."""
    if pd.api.types.is_bool(value):
        return str(value).lower()
    return "" if pd.isna(value) else str(value)


def test_the_manifest_shows_values_for_the_rules_that_only_change_values():
    """Issue 10's rules 7 (VAT group only), 8 (post code case, lowest address id) and 11
    (single-word names) change no action or reason: their cases must check values."""
    valued = CASES[CASES["expect_values"] != ""]
    written = " ".join(valued["expect_values"])
    for field in ("vat_bus_posting_group=", "post_code=", "country_code=", "first_name="):
        assert field in written
    assert set(valued["config"]) >= {"shop.toml", "shop-bill-to.toml"}  # both name orders


def test_every_record_appears_exactly_once_in_every_preview():
    shopify = read_shopify_customers(SHOPIFY_FILE)
    orders = read_shopify_orders(ORDERS_FILE)
    erp = read_erp_customers(ERP_FILE).customers
    for name in CONFIGS:
        result = results(name)
        assert sorted(result["shopify"].index) == sorted(shopify.customers["shopify_id"])
        assert sorted(result["order"].index) == sorted(orders["order_id"])
        assert sorted(result["erp"].index) == sorted(erp["no"])


IMPORT_CODES = {
    "AMBIGUOUS_EMAIL",
    "AMBIGUOUS_PHONE",
    "NO_ADDRESS",
    "NO_TEMPLATE",
    "TEMPLATE_INCOMPLETE",
    "COUNTRY_NOT_IN_ERP",
    "PROVINCE_UNKNOWN",
    "VALUE_TRUNCATED",
    "NEAR_MISS",
}
ORDER_CODES = {"NO_CUSTOMER", "NO_ADDRESS", "NEAR_MISS", "NAME_EMPTY_FALLBACK_EMAIL_PHONE"}
EXPORT_CODES = {
    "EMAIL_MISSING",
    "EMAIL_INVALID",
    "EMAIL_LIST",
    "EMAIL_DUPLICATE",
    "COUNTRY_NO_ISO",
    "COUNTRY_UNKNOWN",
    "PHONE_INVALID",
    "PHONE_EXTENSION_DROPPED",
    "PHONE_DUPLICATE",
    "PROVINCE_UNKNOWN",
    "COUNTY_TOO_LONG",
    "PROVINCE_MISSING",
    "CUSTOMER_BLOCKED",
}


def seen(side: str, column: str) -> set[str]:
    values = set()
    for name in CONFIGS:
        for value in results(name)[side][column]:
            values |= codes(value) if column == "reasons" else {value}
    return values


def test_the_sample_data_shows_every_reason_code():
    assert seen("shopify", "reasons") >= IMPORT_CODES
    assert seen("erp", "reasons") >= EXPORT_CODES
    assert seen("order", "reasons") >= ORDER_CODES


def test_the_sample_data_shows_every_rule_and_action():
    assert {"email", "phone", "none"} <= seen("shopify", "rule")
    assert "bill_to" not in seen("shopify", "rule")  # the mapping type governs orders only
    assert {"link", "update", "create", "skip"} <= seen("shopify", "action")
    assert {"country_default", "default_customer", "email", "bill_to", "bill_to_fallback"} <= seen(
        "order", "rule"
    )
    assert {"sell_to_fallback", "default_customer", "bill_to"} <= seen("order", "bill_to_rule")
