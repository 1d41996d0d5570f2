"""The analyst's jobs as library calls: gather inputs from the store or files, run the rules."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from shopsync.eligibility import ExportContext, check_export_eligibility
from shopsync.erp_io import read_erp_customers
from shopsync.export_plan import mirror_with_default_address, plan_export
from shopsync.mapping import ImportContext, plan_import
from shopsync.orders import plan_order_customers
from shopsync.reference import load_countries, load_province_table
from shopsync.settings import ShopConfig
from shopsync.shopify_io import ShopifyCustomers, read_shopify_customers, read_shopify_orders
from shopsync.store import Store

__all__ = [
    "export_context",
    "import_context",
    "preview_import",
    "preview_orders",
    "validate_export",
]


def export_context(store: Store, config: ShopConfig) -> ExportContext:
    """The export rules' context: the store's countries and provinces, the config's settings."""
    countries = load_countries()
    required = countries.loc[countries["has_provinces"] == "True", "country_code"]
    return ExportContext(
        settings=config.shop,
        countries=store.country_iso_map(),
        company_country=config.company_country or store.company_country(),
        provinces=load_province_table(_config_tax_areas(store)),
        provinces_required=frozenset(required),
    )


def import_context(store: Store, config: ShopConfig) -> ImportContext:
    """The import rules' context: settings, templates and per-country rows from the config,
    countries, provinces and tax areas from the store."""
    tax_areas = store.tax_area_table()
    return ImportContext(
        settings=config.shop,
        countries=store.country_iso_map(),
        company_country=config.company_country or store.company_country(),
        provinces=load_province_table(_config_tax_areas(store)),
        templates=config.templates,
        country_settings=config.countries,
        tax_areas=tax_areas[tax_areas["tax_area_code"] != ""],
    )


def validate_export(
    config: ShopConfig, store: Store, erp_file: str | Path | None = None
) -> pd.DataFrame:
    """The export plan of every ERP customer (from ``erp_file``, else from the store): eligible
    or not and why, what would be sent, and the action — from the one export planner the
    sync applies, against the Shopify customers the store knows (its mirror and links)."""
    links = store.links(config.shop.code)
    report = check_export_eligibility(
        _erp(store, erp_file), export_context(store, config), linked=set(links.values())
    )
    known = store.shopify_mirror(config.shop.code)
    mirror = mirror_with_default_address(known.customers, known.addresses, links)
    return plan_export(report, mirror, config.shop)


def preview_import(
    config: ShopConfig,
    store: Store,
    *,
    erp_file: str | Path | None = None,
    shopify: ShopifyCustomers | str | Path | None = None,
) -> pd.DataFrame:
    """The import plan for Shopify customers (a JSONL file, a ShopifyCustomers, or else the
    store's mirror) against the ERP customers (a file, else the store)."""
    customers = _shopify(store, config, shopify)
    return plan_import(
        customers,
        _erp(store, erp_file),
        import_context(store, config),
        links=store.links(config.shop.code),
    )


def preview_orders(
    config: ShopConfig,
    store: Store,
    orders_file: str | Path,
    *,
    erp_file: str | Path | None = None,
    shopify: ShopifyCustomers | str | Path | None = None,
) -> pd.DataFrame:
    """The sell-to / bill-to customers of every order in ``orders_file``."""
    return plan_order_customers(
        read_shopify_orders(orders_file),
        _shopify(store, config, shopify),
        _erp(store, erp_file),
        import_context(store, config),
        links=store.links(config.shop.code),
    )


def _erp(store: Store, erp_file: str | Path | None) -> pd.DataFrame:
    return read_erp_customers(erp_file).customers if erp_file else store.erp_customers()


def _shopify(
    store: Store, config: ShopConfig, shopify: ShopifyCustomers | str | Path | None
) -> ShopifyCustomers:
    if isinstance(shopify, ShopifyCustomers):
        return shopify
    if shopify is not None:
        return read_shopify_customers(shopify)
    return store.shopify_mirror(config.shop.code)


def _config_tax_areas(store: Store) -> pd.DataFrame:
    tax_areas = store.tax_area_table()
    return tax_areas[tax_areas["source"] == "config"]
