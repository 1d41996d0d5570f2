"""The rules' context: a shop's settings and the reference tables its import and export read."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from shopsync.normalize import ProvinceTable
from shopsync.settings import CountrySetting, CustomerTemplate, ShopConfig, ShopSettings

if TYPE_CHECKING:
    from shopsync.store import Store

__all__ = ["RulesContext", "rules_context"]


@dataclass(frozen=True)
class RulesContext:
    """What the import and export rules need besides the customers: settings and references."""

    settings: ShopSettings
    countries: Mapping[str, str]  # ERP country code -> ISO code ("" when none)
    company_country: str
    provinces: ProvinceTable
    provinces_required: Collection[str] = ()  # ISO countries whose addresses need a province
    templates: Mapping[str, CustomerTemplate] = field(default_factory=dict)
    country_settings: Mapping[str, CountrySetting] = field(default_factory=dict)
    # tax areas: country (ISO), province (name), tax_area_code, tax_liable, vat_bus_posting_group
    tax_areas: pd.DataFrame | None = None


def rules_context(store: Store, config: ShopConfig) -> RulesContext:
    """The context of one shop: settings, templates and per-country rows from the config;
    countries, tax areas (every row: one giving only a VAT business posting group applies
    that group, as BC) and the company country from the store; provinces from Shopify's lists
    and the config's tax areas; the countries whose addresses need a province."""
    from shopsync.reference import load_countries, load_province_table

    countries = load_countries()
    required = countries.loc[countries["has_provinces"] == "True", "country_code"]
    tax_areas = store.tax_area_table()
    return RulesContext(
        settings=config.shop,
        countries=store.country_iso_map(),
        company_country=config.company_country or store.company_country(),
        provinces=load_province_table(tax_areas[tax_areas["source"] == "config"]),
        provinces_required=frozenset(required),
        templates=config.templates,
        country_settings=config.countries,
        tax_areas=tax_areas,
    )
