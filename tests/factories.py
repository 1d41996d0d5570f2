"""Small builders for test records in the shapes the library reads."""

from __future__ import annotations

import pandas as pd
import pycountry

from shopsync.reference import load_province_table
from shopsync.rules_context import RulesContext
from shopsync.schema import ERP_CUSTOMER_COLUMNS
from shopsync.settings import CountrySetting, CustomerTemplate, ShopSettings
from shopsync.shopify_io import customers_from_nodes

PROVINCES = load_province_table()


def erp(*rows: dict) -> pd.DataFrame:
    """ERP customers with every ERP customer column ('' unless given)."""
    rows_ = [{c: "" for c in ERP_CUSTOMER_COLUMNS} | row for row in rows]
    frame = pd.DataFrame(rows_, columns=list(ERP_CUSTOMER_COLUMNS), dtype=object)
    frame["tax_liable"] = frame["tax_liable"].astype(bool)
    return frame


def countries(**overrides: str) -> dict[str, str]:
    """ERP country code -> ISO: every ISO country as itself, then ``overrides``.

    An override whose value is an ISO code another code carries removes that code (the ERP
    spells that country otherwise), e.g. ``EL="GR"``.
    """
    table = {c.alpha_2: c.alpha_2 for c in pycountry.countries}
    for code, iso in overrides.items():
        if iso and iso != code:
            table.pop(iso, None)
        table[code] = iso
    return table


def address(number: int, **fields) -> dict:
    base = {
        "id": f"gid://shopify/MailingAddress/{number}?model_name=CustomerAddress",
        "firstName": "Ann",
        "lastName": "Lee",
        "company": "",
        "address1": "1 Main St",
        "address2": "",
        "zip": "02134",
        "city": "Boston",
        "countryCodeV2": "US",
        "provinceCode": "MA",
        "province": "Massachusetts",
        "phone": "",
    }
    return base | fields


def customer(number: int, email=None, phone=None, addresses=(), default=None, **fields) -> dict:
    node = {
        "id": f"gid://shopify/Customer/{number}",
        "firstName": "Ann",
        "lastName": "Lee",
        "defaultEmailAddress": {"emailAddress": email} if email else None,
        "defaultPhoneNumber": {"phoneNumber": phone} if phone else None,
        "defaultAddress": {"id": address(default)["id"]} if default is not None else None,
        "addressesV2": {"nodes": list(addresses)},
    }
    return node | fields


def shopify(*nodes: dict):
    return customers_from_nodes(nodes)


TEMPLATES = {
    "DOM": CustomerTemplate("DOM", "", "DOMESTIC", "DOMESTIC", "DOMESTIC"),
    "EU": CustomerTemplate("EU", "", "EU", "EU", "FOREIGN"),
    "HALF": CustomerTemplate("HALF", "", "EU", "", ""),
}


def context(
    tax_areas: pd.DataFrame | None = None, country_settings=None, **settings
) -> RulesContext:
    base = {"code": "D", "url": "http://127.0.0.1:8787"}
    return RulesContext(
        settings=ShopSettings(**(base | settings)),
        countries=countries(EL="GR"),
        company_country="US",
        provinces=PROVINCES,
        templates=TEMPLATES,
        country_settings=country_settings or {},
        tax_areas=tax_areas,
    )


def export_context(**settings) -> RulesContext:
    """The export check's context: no templates, Kosovo without an ISO code, provinces
    required in the US, Canada, Japan and Mexico."""
    return RulesContext(
        settings=ShopSettings(code="D", url="http://127.0.0.1:8787", **settings),
        countries=countries(EL="GR", XK=""),
        company_country="US",
        provinces=PROVINCES,
        provinces_required={"US", "CA", "JP", "MX"},
    )


def per_country(**templates: str) -> dict[str, CountrySetting]:
    return {iso: CountrySetting(iso, code) for iso, code in templates.items()}
