"""The analyst's jobs as library calls: gather inputs from the store or files, run the rules."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from shopsync.eligibility import check_export_eligibility
from shopsync.erp_io import ErpFile, read_erp_customers
from shopsync.export_plan import mirror_with_default_address, plan_export
from shopsync.mapping import plan_import
from shopsync.orders import plan_order_customers
from shopsync.rules_context import rules_context
from shopsync.settings import ShopConfig
from shopsync.shopify_io import ShopifyCustomers, read_shopify_orders
from shopsync.sources import load_shopify_customers
from shopsync.store import Store

__all__ = [
    "preview_import",
    "preview_orders",
    "validate_export",
]


def validate_export(
    config: ShopConfig, store: Store, erp_file: ErpFile | str | Path | None = None
) -> pd.DataFrame:
    """The export plan of every ERP customer (from ``erp_file``, else from the store): eligible
    or not and why, what would be sent, and the action — from the one export planner the
    sync applies, against the Shopify customers the store knows (its mirror and links)."""
    links = store.links(config.shop.code)
    report = check_export_eligibility(
        _erp(store, erp_file), rules_context(store, config), linked=set(links.values())
    )
    known = store.shopify_mirror(config.shop.code)
    mirror = mirror_with_default_address(known.customers, known.addresses, links)
    return plan_export(report, mirror, config.shop)


def preview_import(
    config: ShopConfig,
    store: Store,
    *,
    erp_file: ErpFile | pd.DataFrame | str | Path | None = None,
    shopify: ShopifyCustomers | str | Path | None = None,
) -> pd.DataFrame:
    """The import plan for Shopify customers (a ShopifyCustomers, or a source of
    shopsync.sources: a JSONL file, ``emulator``, ``live``, else the store's mirror) against
    the ERP customers (a file or a frame of them, else the store)."""
    customers = _shopify(store, config, shopify)
    return plan_import(
        customers,
        _erp(store, erp_file),
        rules_context(store, config),
        links=store.links(config.shop.code),
    )


def preview_orders(
    config: ShopConfig,
    store: Store,
    orders_file: str | Path,
    *,
    erp_file: ErpFile | str | Path | None = None,
    shopify: ShopifyCustomers | str | Path | None = None,
) -> pd.DataFrame:
    """The sell-to / bill-to customers of every order in ``orders_file``."""
    return plan_order_customers(
        read_shopify_orders(orders_file),
        _shopify(store, config, shopify),
        _erp(store, erp_file),
        rules_context(store, config),
        links=store.links(config.shop.code),
    )


def _erp(store: Store, erp_file: ErpFile | pd.DataFrame | str | Path | None) -> pd.DataFrame:
    if isinstance(erp_file, pd.DataFrame):
        return erp_file
    if isinstance(erp_file, ErpFile):
        return erp_file.customers
    return read_erp_customers(erp_file).customers if erp_file else store.erp_customers()


def _shopify(
    store: Store, config: ShopConfig, shopify: ShopifyCustomers | str | Path | None
) -> ShopifyCustomers:
    if isinstance(shopify, ShopifyCustomers):
        return shopify
    return load_shopify_customers(config, store, shopify)  # a source name, a file, the mirror
