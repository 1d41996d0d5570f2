"""The store's reference data: countries, company, shops' settings, templates, tax areas."""

from __future__ import annotations

import json
from dataclasses import asdict

import pandas as pd
import pycountry
from sqlalchemy import select

from shopsync.reference import load_provinces
from shopsync.settings import ShopConfig, ShopSettings
from shopsync.store.base import StoreBase, utc_now
from shopsync.store.tables import (
    company,
    countries,
    customer_templates,
    shop_countries,
    shops,
    tax_areas,
)

__all__ = ["ReferenceData"]


class ReferenceData(StoreBase):
    """Countries, provinces and tax areas, the shops' settings and templates."""

    def initialise(self, config: ShopConfig | None = None) -> dict[str, int]:
        """Seed countries and provinces, then apply ``config``; harmless to repeat.

        Returns how many rows each table gained.
        """
        erp_countries = dict(config.erp_countries) if config else {}
        claimed_iso = {iso for code, iso in erp_countries.items() if iso and code != iso}
        seed = [
            {"code": c.alpha_2, "name": c.name, "iso_code": c.alpha_2}
            for c in pycountry.countries
            if c.alpha_2 not in claimed_iso
        ]
        for code, iso in erp_countries.items():
            known = pycountry.countries.get(alpha_2=iso) if iso else None
            seed.append({"code": code, "name": known.name if known else code, "iso_code": iso})
        provinces = load_provinces()
        province_rows = [
            {
                "country": row.country_code,
                "province": row.province_name,
                "province_code": row.province_code,
                "source": "shopify",
            }
            for row in provinces.itertuples()
        ]
        with self.engine.begin() as conn:  # an ISO code the ERP spells otherwise is not a code
            conn.execute(
                countries.delete().where(
                    countries.c.code.in_(claimed_iso), countries.c.code.not_in(erp_countries)
                )
            )
        gained = {
            "countries": self._upsert(countries, seed, ["code"], overwrite=bool(erp_countries)),
            "tax_areas": self._upsert(tax_areas, province_rows, ["country", "province"]),
        }
        if config is not None:
            gained.update(self.save_config(config))
        return gained

    def save_config(self, config: ShopConfig) -> dict[str, int]:
        """Write a shop's settings, templates, per-country rows and tax areas (upsert)."""
        now = utc_now()
        shop = config.shop
        gained = {
            "shops": self._upsert(
                shops,
                [{"code": shop.code, "settings": json.dumps(asdict(shop)), "updated_at": now}],
                ["code"],
                overwrite=True,
            ),
            "customer_templates": self._upsert(
                customer_templates,
                [asdict(t) for t in config.templates.values()],
                ["code"],
                overwrite=True,
            ),
            "shop_countries": self._upsert(
                shop_countries,
                [{"shop_code": shop.code, **asdict(c)} for c in config.countries.values()],
                ["shop_code", "iso_code"],
                overwrite=True,
            ),
            "tax_areas": self._upsert(
                tax_areas,
                [{**asdict(t), "source": "config"} for t in config.tax_areas],
                ["country", "province"],
                overwrite=True,
            ),
        }
        if config.company_country:
            with self.engine.begin() as conn:
                conn.execute(company.delete())
                conn.execute(company.insert().values(id=1, country_code=config.company_country))
        return gained

    def shop_settings(self, code: str) -> ShopSettings | None:
        """The settings saved for shop ``code``, or None."""
        with self.engine.connect() as conn:
            raw = conn.execute(select(shops.c.settings).where(shops.c.code == code)).scalar()
        return ShopSettings(**json.loads(raw)) if raw else None

    def countries_table(self) -> pd.DataFrame:
        """ERP countries: code, name, iso_code."""
        return self._frame(select(countries).order_by(countries.c.code))

    def country_iso_map(self) -> dict[str, str]:
        """ERP country code -> ISO code ('' where the ERP country has none)."""
        table = self.countries_table()
        return dict(zip(table["code"], table["iso_code"], strict=True))

    def company_country(self) -> str:
        """The ERP company's own country code ('' when not set)."""
        with self.engine.connect() as conn:
            return conn.execute(select(company.c.country_code)).scalar() or ""

    def tax_area_table(self) -> pd.DataFrame:
        """Provinces and tax areas: country, province, province_code, tax fields, source."""
        return self._frame(select(tax_areas).order_by(tax_areas.c.country, tax_areas.c.province))

    def templates_table(self) -> pd.DataFrame:
        """Customer templates."""
        return self._frame(select(customer_templates).order_by(customer_templates.c.code))
