"""The analyst's jobs as library calls: gather inputs from the store or files, run the rules."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from shopsync.eligibility import ExportContext, check_export_eligibility
from shopsync.erp_io import read_erp_customers
from shopsync.reference import load_countries, load_province_table
from shopsync.settings import ShopConfig
from shopsync.store import Store

__all__ = ["export_context", "validate_export"]


def export_context(store: Store, config: ShopConfig) -> ExportContext:
    """The export rules' context: the store's countries and provinces, the config's settings."""
    countries = load_countries()
    required = countries.loc[countries["has_provinces"] == "True", "country_code"]
    tax_areas = store.tax_area_table()
    return ExportContext(
        settings=config.shop,
        countries=store.country_iso_map(),
        company_country=config.company_country or store.company_country(),
        provinces=load_province_table(tax_areas[tax_areas["source"] == "config"]),
        provinces_required=frozenset(required),
    )


def validate_export(
    config: ShopConfig, store: Store, erp_file: str | Path | None = None
) -> pd.DataFrame:
    """Export eligibility of every ERP customer (from ``erp_file``, else from the store)."""
    customers = read_erp_customers(erp_file).customers if erp_file else store.erp_customers()
    return check_export_eligibility(customers, export_context(store, config))
