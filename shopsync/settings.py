"""Shop settings with Business Central's defaults, per-country settings, templates; TOML loading."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pycountry

from shopsync.endpoints import API_VERSION, LOOPBACK_HOSTS
from shopsync.errors import ConfigError

__all__ = [
    "CONTACT_SOURCES",
    "COUNTY_SOURCES",
    "CUSTOMER_IMPORTS",
    "MAPPING_TYPES",
    "NAME_SOURCES",
    "PHONE_MATCHES",
    "SECRET_WORDS",
    "CountrySetting",
    "CustomerTemplate",
    "ShopConfig",
    "ShopSettings",
    "TaxArea",
    "load_config",
    "looks_secret",
    "parse_config",
]


CUSTOMER_IMPORTS = ("none", "with_order_import", "all_customers")
MAPPING_TYPES = ("by_email_phone", "by_bill_to", "default_customer")
NAME_SOURCES = ("company_name", "first_and_last_name", "last_and_first_name", "none")
CONTACT_SOURCES = ("first_and_last_name", "last_and_first_name", "none")
COUNTY_SOURCES = ("code", "name")
PHONE_MATCHES = ("e164", "bc")

_CHOICES: dict[str, tuple[str, ...]] = {
    "customer_import": CUSTOMER_IMPORTS,
    "mapping_type": MAPPING_TYPES,
    "name_source": NAME_SOURCES,
    "name_2_source": NAME_SOURCES,
    "contact_source": CONTACT_SOURCES,
    "county_source": COUNTY_SOURCES,
    "phone_match": PHONE_MATCHES,
}

# The two directions of "who may overwrite whom" exclude each other, as in BC.
_EXCLUSIVE = ("shopify_can_update_customers", "can_update_shopify_customers")

_SHOPIFY_HOST = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
# A shop code names files (reports/<code>-<run>.csv) and keys rows: BC's Code[20], no paths.
_SHOP_CODE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
# Shopify access tokens and API secrets (shpat_, shpca_, shppa_, shpss_ + hex).
_TOKEN_LIKE = re.compile(r"shp(?:at|ca|pa|ss)_[0-9a-fA-F]{8,}")


@dataclass(frozen=True)
class ShopSettings:
    """One shop's connection and synchronisation settings (SPEC section 3), BC defaults."""

    code: str
    url: str
    api_version: str = API_VERSION
    customer_import: str = "with_order_import"
    mapping_type: str = "by_email_phone"
    shopify_can_update_customers: bool = False
    can_update_shopify_customers: bool = False
    auto_create_unknown_customers: bool = False
    customer_template_code: str = ""
    default_customer_no: str = ""
    name_source: str = "company_name"
    name_2_source: str = "first_and_last_name"
    contact_source: str = "first_and_last_name"
    county_source: str = "code"
    export_customers: bool = False
    send_invites: bool = False
    phone_match: str = "e164"
    bulk_mutation_threshold: int = 50
    customer_no_prefix: str = "SHOP"

    def with_changes(self, **changes: Any) -> ShopSettings:
        """A copy with ``changes``; turning one update direction on turns the other off."""
        for name, other in (_EXCLUSIVE, _EXCLUSIVE[::-1]):
            if changes.get(name) is True and other not in changes:
                changes[other] = False
        updated = dataclasses.replace(self, **changes)
        problems = _validate_shop(dataclasses.asdict(updated))
        if problems:
            raise ConfigError("settings", problems)
        return updated

    def __post_init__(self) -> None:
        """A code that could leave its folder, or a URL carrying a secret, never exists."""
        problems = [p for p in (_code_problem(self.code), _credentials_problem(self.url)) if p]
        if problems:
            raise ConfigError("settings", problems)


@dataclass(frozen=True)
class CustomerTemplate:
    """Default field values for ERP customers created from Shopify."""

    code: str
    description: str = ""
    gen_bus_posting_group: str = ""
    vat_bus_posting_group: str = ""
    customer_posting_group: str = ""
    tax_area_code: str = ""
    tax_liable: bool = False
    payment_terms_code: str = ""

    MANDATORY = ("gen_bus_posting_group", "vat_bus_posting_group", "customer_posting_group")

    def missing_fields(self) -> list[str]:
        """The mandatory posting groups this template leaves blank (it cannot create then)."""
        return [name for name in self.MANDATORY if not getattr(self, name).strip()]


@dataclass(frozen=True)
class CountrySetting:
    """Per-country settings of a shop ("Shopify customer templates" in BC), keyed by ISO code."""

    iso_code: str
    customer_template_code: str = ""
    default_customer_no: str = ""


@dataclass(frozen=True)
class TaxArea:
    """A province row: adds to or overrides Shopify's province table for one country."""

    country: str
    province: str
    province_code: str = ""
    tax_area_code: str = ""
    tax_liable: bool = False
    vat_bus_posting_group: str = ""


@dataclass(frozen=True)
class ShopConfig:
    """Everything a shop's configuration file holds."""

    shop: ShopSettings
    company_country: str = ""
    erp_countries: Mapping[str, str] = field(default_factory=dict)
    templates: Mapping[str, CustomerTemplate] = field(default_factory=dict)
    countries: Mapping[str, CountrySetting] = field(default_factory=dict)
    tax_areas: tuple[TaxArea, ...] = ()

    def template_for(self, iso_country: str) -> CustomerTemplate | None:
        """The template for a new customer in ``iso_country``: per-country, else the shop's."""
        per_country = self.countries.get(iso_country)
        code = (per_country.customer_template_code if per_country else "") or (
            self.shop.customer_template_code
        )
        return self.templates.get(code) if code else None


def load_config(path: str | Path) -> ShopConfig:
    """Read and validate a shop TOML file; raises ConfigError listing every problem."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), ["file not found"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), [f"not UTF-8 text ({exc.reason})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [f"not valid TOML: {exc}"]) from None
    return parse_config(raw, source=str(path))


def parse_config(raw: Mapping[str, Any], source: str = "config") -> ShopConfig:
    """Validate a parsed TOML document and build the ShopConfig; every problem is reported."""
    problems: list[str] = []
    known = {"shop", "company", "erp_countries", "templates", "countries", "tax_areas"}
    for key in raw:
        if key not in known:
            problems.append(f"unknown section [{key}] (expected one of {', '.join(sorted(known))})")

    shop_raw = _table(raw.get("shop"), "[shop]", problems)
    if "shop" not in raw:
        problems.append("missing section [shop]")
    shop_values = _typed_fields(ShopSettings, shop_raw, "[shop]", problems)
    problems += _validate_shop(shop_values)

    company = _table(raw.get("company", {}), "[company]", problems)
    company_values = _typed_fields(_Company, company, "[company]", problems)
    company_country = str(company_values.get("country_code", "")).strip().upper()

    erp_countries: dict[str, str] = {}
    for code, iso in _table(raw.get("erp_countries", {}), "[erp_countries]", problems).items():
        if not isinstance(iso, str):
            problems.append(f"[erp_countries] {code}: expected an ISO code string, got {iso!r}")
            continue
        if iso.strip() and not _is_iso_country(iso.strip().upper()):
            problems.append(f"[erp_countries] {code} = {iso!r}: not an ISO 3166-1 alpha-2 code")
        erp_countries[code.strip().upper()] = iso.strip().upper()

    templates: dict[str, CustomerTemplate] = {}
    for i, row in enumerate(_array(raw.get("templates", []), "[[templates]]", problems), 1):
        values = _typed_fields(CustomerTemplate, row, f"[[templates]] #{i}", problems)
        if not values.get("code"):
            problems.append(f"[[templates]] #{i}: missing 'code'")
        elif values["code"] in templates:
            problems.append(f"[[templates]] #{i}: duplicate template code {values['code']!r}")
        else:
            templates[values["code"]] = CustomerTemplate(**values)

    countries: dict[str, CountrySetting] = {}
    for i, row in enumerate(_array(raw.get("countries", []), "[[countries]]", problems), 1):
        values = _typed_fields(CountrySetting, row, f"[[countries]] #{i}", problems)
        iso = str(values.get("iso_code", "")).strip().upper()
        if not _is_iso_country(iso):
            problems.append(f"[[countries]] #{i}: iso_code {iso!r} is not an ISO alpha-2 code")
            continue
        if iso in countries:
            problems.append(f"[[countries]] #{i}: duplicate iso_code {iso!r}")
            continue
        values["iso_code"] = iso
        countries[iso] = CountrySetting(**values)

    tax_areas: list[TaxArea] = []
    for i, row in enumerate(_array(raw.get("tax_areas", []), "[[tax_areas]]", problems), 1):
        values = _typed_fields(TaxArea, row, f"[[tax_areas]] #{i}", problems)
        if not _is_iso_country(str(values.get("country", "")).upper()):
            problems.append(f"[[tax_areas]] #{i}: country {values.get('country')!r} is not ISO")
            continue
        if not str(values.get("province", "")).strip():
            problems.append(f"[[tax_areas]] #{i}: missing 'province' (the province name)")
            continue
        values["country"] = values["country"].upper()
        tax_areas.append(TaxArea(**values))

    known_templates = set(templates)
    shop_template = shop_values.get("customer_template_code", "")
    if shop_template and shop_template not in known_templates:
        problems.append(
            f"[shop] customer_template_code {shop_template!r} is not a [[templates]] code"
        )
    for setting in countries.values():
        code = setting.customer_template_code
        if code and code not in known_templates:
            problems.append(
                f"[[countries]] {setting.iso_code}: customer_template_code {code!r} "
                "is not a [[templates]] code"
            )

    if problems:
        raise ConfigError(source, problems)
    return ShopConfig(
        shop=ShopSettings(**shop_values),
        company_country=company_country,
        erp_countries=erp_countries,
        templates=templates,
        countries=countries,
        tax_areas=tuple(tax_areas),
    )


@dataclass(frozen=True)
class _Company:
    country_code: str = ""


# A name holding one of these words (a TOML key, a notebook parameter) is taken for a secret
# and refused: secrets come from the environment only (SHOPIFY_ACCESS_TOKEN).
SECRET_WORDS = ("token", "secret", "password", "passwd", "key", "credential")


def looks_secret(name: str) -> bool:
    """Does a name look like it holds a secret (token, secret, password, key...)?"""
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def _typed_fields(cls: type, raw: Mapping[str, Any], where: str, problems: list[str]) -> dict:
    """Pick ``cls``'s fields out of ``raw`` with type checks; unknown keys are problems."""
    specs = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if looks_secret(key) or (isinstance(value, str) and _TOKEN_LIKE.search(value)):
            problems.append(
                f"{where} {key}: secrets are never read from the file; "
                "set the SHOPIFY_ACCESS_TOKEN environment variable instead"
            )
            continue
        spec = specs.get(key)
        if spec is None:
            problems.append(f"{where}: unknown key {key!r}")
            continue
        expected = _field_type(spec)
        if expected is bool and not isinstance(value, bool):
            problems.append(f"{where} {key}: expected true or false, got {value!r}")
        elif expected is int and (isinstance(value, bool) or not isinstance(value, int)):
            problems.append(f"{where} {key}: expected a whole number, got {value!r}")
        elif expected is str and not isinstance(value, str):
            problems.append(f"{where} {key}: expected a string, got {value!r}")
        else:
            values[key] = value.strip() if isinstance(value, str) else value
    required = [
        f.name
        for f in fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    for name in required:
        if name not in values and name not in raw:
            problems.append(f"{where}: missing required key {name!r}")
    return values


def _field_type(spec: dataclasses.Field) -> type:
    annotation = spec.type if isinstance(spec.type, str) else spec.type.__name__
    return {"bool": bool, "int": int}.get(annotation, str)


def _validate_shop(values: Mapping[str, Any]) -> list[str]:
    problems = []
    for name, choices in _CHOICES.items():
        value = values.get(name)
        if value is not None and value not in choices:
            problems.append(f"[shop] {name} = {value!r}: expected one of {', '.join(choices)}")
    if all(values.get(name) for name in _EXCLUSIVE):
        problems.append(
            "[shop] shopify_can_update_customers and can_update_shopify_customers "
            "exclude each other: set at most one to true"
        )
    version = values.get("api_version")
    if version is not None and version != API_VERSION:
        problems.append(f"[shop] api_version = {version!r}: shopsync is pinned to {API_VERSION}")
    code = values.get("code")
    if code is not None and _code_problem(code):
        problems.append(_code_problem(code))
    url = values.get("url")
    if url is not None:
        problem = _credentials_problem(url) or _url_problem(url)
        if problem:
            problems.append(f"[shop] url = {_without_credentials(url)!r}: {problem}")
    threshold = values.get("bulk_mutation_threshold")
    if threshold is not None and threshold < 1:
        problems.append("[shop] bulk_mutation_threshold must be at least 1")
    return problems


def _code_problem(code: str) -> str:
    """Why ``code`` is not a shop code we accept, or '' when it is."""
    if _SHOP_CODE.match(code):
        return ""
    return (
        f"[shop] code = {code!r}: use 1 to 20 letters, digits, '-' or '_' "
        "(the code names the shop's report files)"
    )


def _credentials_problem(url: str) -> str:
    """A URL with ``user:secret@`` (or a token anywhere) is refused: secrets are never in
    the settings."""
    parts = urlsplit(url)
    if "@" in parts.netloc or _TOKEN_LIKE.search(url):
        return (
            "the URL holds credentials; secrets are never read from the file: "
            "give https://<name>.myshopify.com and set SHOPIFY_ACCESS_TOKEN"
        )
    return ""


def _without_credentials(url: str) -> str:
    """``url`` fit to show: user, password and anything token-like replaced by ``***``."""
    parts = urlsplit(url)
    if "@" in parts.netloc:
        url = url.replace(parts.netloc, "***@" + parts.netloc.rsplit("@", 1)[1], 1)
    return _TOKEN_LIKE.sub("***", url)


def _url_problem(url: str) -> str:
    """Why ``url`` is not a shop URL we accept, or '' when it is."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return "give the shop's base URL only, without a path"
    if parts.scheme == "https" and _SHOPIFY_HOST.match(host):
        return ""
    if parts.scheme in ("http", "https") and host in LOOPBACK_HOSTS and parts.port:
        return ""
    return "expected https://<name>.myshopify.com or a loopback URL such as http://127.0.0.1:8787"


def _table(value: Any, where: str, problems: list[str]) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(f"{where}: expected a table")
        return {}
    return value


def _array(value: Any, where: str, problems: list[str]) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        problems.append(f"{where}: expected an array of tables")
        return []
    return value


def _is_iso_country(code: str) -> bool:
    return len(code) == 2 and code.isalpha() and pycountry.countries.get(alpha_2=code) is not None
