"""Normalisation and validation of customer and address input, with Shopify's userError texts."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import phonenumbers

REFERENCE_DIR = resources.files("shopsync") / "reference_data"  # package data

MAX_NAME = 255
MAX_NOTE = 5000
MAX_TAG = 255
MAX_TAGS = 250
MAX_EMAIL = 255
MAX_PHONE = 255

IDENTITY_MESSAGE = "A name, phone number, or email address must be present"

_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_LOCALE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,4})?$")
_HTML_RE = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class FieldError:
    """One userError: ``field`` is the path relative to the input object (or None)."""

    field: tuple[str, ...] | None
    message: str
    code: str | None = None


def normalize_email(raw: str) -> str:
    """Shopify trims e-mail addresses, removes inner whitespace and lower-cases them."""
    return re.sub(r"\s+", "", raw).lower()


def email_errors(raw: str) -> list[FieldError]:
    """Validate an e-mail (after normalisation); both texts may apply at once, as in Shopify."""
    email = normalize_email(raw)
    errors: list[FieldError] = []
    if len(email) > MAX_EMAIL:
        errors.append(FieldError(("email",), "Email is too long (maximum is 255 characters)"))
    local, _, domain = email.partition("@")
    if (
        not _EMAIL_RE.match(email)
        or len(local) > 64
        or any(len(label) > 63 for label in domain.split("."))
    ):
        errors.append(FieldError(("email",), "Email is invalid"))
    return errors


def normalize_phone(raw: str, default_region: str | None = "US") -> str | None:
    """Return the E.164 form of ``raw`` or None when Shopify would call it invalid."""
    text = raw.strip()
    if not text or re.search(r"[A-Za-z]", text) or _HTML_RE.search(text):
        return None
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """The international format Shopify shows a phone number in (``+1 415-810-3301``)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_errors(raw: str, default_region: str | None = "US") -> list[FieldError]:
    """Validate a phone number the way customerCreate/customerUpdate report it."""
    errors: list[FieldError] = []
    if len(raw) > MAX_PHONE:
        errors.append(FieldError(("phone",), "Phone is too long (maximum is 255 characters)"))
    if _HTML_RE.search(raw):
        errors.append(FieldError(("phone",), "Phone cannot contain HTML tags"))
    elif normalize_phone(raw, default_region) is None:
        errors.append(FieldError(("phone",), "Phone is invalid"))
    return errors


def normalize_tags(raw: list[str] | None) -> list[str]:
    """Split on commas, strip, drop blanks, de-duplicate case-insensitively, sort."""
    seen: dict[str, str] = {}
    for item in raw or []:
        for part in str(item).split(","):
            tag = part.strip()
            if tag and tag.lower() not in seen:
                seen[tag.lower()] = tag
    return sorted(seen.values(), key=lambda t: (t.lower(), t))


def tag_errors(tags: list[str]) -> list[FieldError]:
    """Limits on the normalised tag list."""
    errors: list[FieldError] = []
    if any(len(t) > MAX_TAG for t in tags):
        errors.append(FieldError(("tags",), "Tags is too long (maximum is 255 characters)"))
    if len(tags) > MAX_TAGS:
        errors.append(FieldError(("tags",), "Tags cannot be more than 250"))
    return errors


def normalize_name(raw: str | None) -> str | None:
    """Names are stripped; blank names are stored as null."""
    if raw is None:
        return None
    value = raw.strip()
    return value or None


def name_errors(field: str, value: str | None) -> list[FieldError]:
    label = {"firstName": "First name", "lastName": "Last name"}[field]
    if value is not None and len(value) > MAX_NAME:
        return [FieldError((field,), f"{label} is too long (maximum is 255 characters)")]
    return []


def note_errors(value: str | None) -> list[FieldError]:
    if value is not None and len(value) > MAX_NOTE:
        return [FieldError(("note",), "Note is too long (maximum is 5000 characters)")]
    return []


def locale_errors(value: str | None) -> list[FieldError]:
    if value is not None and not _LOCALE_RE.match(value):
        return [FieldError(("locale",), "Locale is invalid")]
    return []


# --------------------------------------------------------------------------- geography


@dataclass(frozen=True)
class Geography:
    """Country names and province zones, from shopsync/reference_data (Shopify's own lists)."""

    countries: dict[str, str]
    provinces: dict[str, dict[str, str]]  # country code -> province code -> name
    province_alternates: dict[str, dict[str, str]]  # country -> lower(alt name/code) -> code

    def country_name(self, code: str | None) -> str | None:
        return self.countries.get(code) if code else None

    def province_name(self, country: str | None, code: str | None) -> str | None:
        if not country or not code:
            return None
        return self.provinces.get(country, {}).get(code)

    def resolve_province(self, country: str, value: str) -> str | None:
        """Map a province code or name (or an alternate) to Shopify's province code."""
        zones = self.provinces.get(country, {})
        if value in zones:
            return value
        upper = value.upper()
        if upper in zones:
            return upper
        return self.province_alternates.get(country, {}).get(value.strip().lower())

    def has_provinces(self, country: str) -> bool:
        return bool(self.provinces.get(country))


@lru_cache(maxsize=1)
def geography() -> Geography:
    """Load (once) the country and province lists the emulator validates addresses with."""
    countries: dict[str, str] = {}
    provinces: dict[str, dict[str, str]] = {}
    alternates: dict[str, dict[str, str]] = {}
    countries_csv = REFERENCE_DIR / "countries.csv"
    provinces_csv = REFERENCE_DIR / "provinces.csv"
    if not countries_csv.is_file():  # no reference data next to the package
        return _pycountry_geography()
    if countries_csv.is_file():
        with countries_csv.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                countries[row["country_code"]] = row["country_name"]
    if provinces_csv.is_file():
        with provinces_csv.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                cc, code, name = row["country_code"], row["province_code"], row["province_name"]
                provinces.setdefault(cc, {})[code] = name
                alt = alternates.setdefault(cc, {})
                alt[name.lower()] = code
                alt[code.lower()] = code
                if row.get("iso_3166_2"):
                    alt[row["iso_3166_2"].lower()] = code
                for extra in filter(None, (row.get("name_alternates") or "").split(";")):
                    alt.setdefault(extra.strip().lower(), code)
                for extra in filter(None, (row.get("code_alternates") or "").split(";")):
                    alt.setdefault(extra.strip().lower(), code)
    return Geography(countries, provinces, alternates)


_URL_RE = re.compile(r"https?://|www\\.", re.I)
_EMOJI_RE = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f]")
ADDRESS_LABELS = {
    "firstName": "First name",
    "lastName": "Last name",
    "company": "Company",
    "address1": "Address1",
    "address2": "Address2",
    "city": "City",
    "zip": "Zip",
    "phone": "Phone",
}


def _pycountry_geography() -> Geography:
    """Fallback when reference_data is absent: ISO names and subdivisions from pycountry."""
    import pycountry

    countries = {c.alpha_2: getattr(c, "common_name", c.name) for c in pycountry.countries}
    provinces: dict[str, dict[str, str]] = {}
    alternates: dict[str, dict[str, str]] = {}
    for sub in pycountry.subdivisions:
        if sub.parent_code is not None:
            continue
        cc, code = sub.country_code, sub.code.split("-", 1)[1]
        provinces.setdefault(cc, {})[code] = sub.name
        alternates.setdefault(cc, {})[sub.name.lower()] = code
        alternates[cc][code.lower()] = code
        alternates[cc][sub.code.lower()] = code
    return Geography(countries, provinces, alternates)


# the free-text fields of an address (what an order address and a customer address show)
ADDRESS_TEXT_FIELDS = (
    "firstName",
    "lastName",
    "company",
    "address1",
    "address2",
    "city",
    "zip",
    "phone",
)


def normalize_address(
    raw: dict, existing: dict | None = None, *, default_region: str | None = "US"
) -> tuple[dict, list[FieldError]]:
    """Merge address input over ``existing``; return the stored shape and errors.

    Error fields are relative to the address input (e.g. ``("country",)``).
    """
    geo = geography()
    result = dict(existing or {})
    errors: list[FieldError] = []
    for key in ADDRESS_TEXT_FIELDS:
        if key in raw:
            value = raw[key]
            value = value.strip() if isinstance(value, str) else value
            result[key] = value if value else None
            if not value:
                continue
            label = ADDRESS_LABELS[key]
            if len(value) > 255:
                errors.append(
                    FieldError((key,), f"{label} is too long (maximum is 255 characters)")
                )
            if _HTML_RE.search(value):
                errors.append(FieldError((key,), f"{label} cannot contain HTML tags"))
            elif _URL_RE.search(value):
                errors.append(FieldError((key,), f"{label} cannot contain URL"))
            elif _EMOJI_RE.search(value):
                errors.append(FieldError((key,), f"{label} cannot contain emojis"))
    country = raw.get("countryCode")
    if country is None and raw.get("country"):
        name = str(raw["country"]).strip()
        country = next(
            (c for c, n in geo.countries.items() if n.lower() == name.lower() or c == name.upper()),
            "ZZ",
        )
    if country is not None:
        if geo.countries and country not in geo.countries:
            errors.append(FieldError(("country",), "Country is invalid"))
            return result, errors
        if country != result.get("countryCode"):
            result["provinceCode"] = None
        result["countryCode"] = country
    province = raw.get("provinceCode", raw.get("province"))
    if "provinceCode" in raw or "province" in raw:
        if province is None or not str(province).strip():
            result["provinceCode"] = None
        else:
            cc = result.get("countryCode")
            code = geo.resolve_province(cc, str(province).strip()) if cc else None
            if cc and geo.has_provinces(cc) and code is None:
                errors.append(FieldError(("province",), "Province is invalid"))
            elif cc and not geo.has_provinces(cc):
                result["provinceCode"] = None
            else:
                result["provinceCode"] = code
    phone = result.get("phone")
    if phone and "phone" in raw and not errors:
        result["phone"] = address_phone(phone, result.get("countryCode") or default_region)
    return result, errors


def address_phone(raw: str, region: str | None) -> str:
    """Address phones are stored E.164 when they parse at all, else kept as typed."""
    try:
        number = phonenumbers.parse(raw, None if raw.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return raw
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_blank_address(raw: dict) -> bool:
    """No usable field at all (customerCreate refuses such an address)."""
    return not any(
        isinstance(raw.get(k), str) and raw[k].strip()
        for k in (*ADDRESS_TEXT_FIELDS, "countryCode", "provinceCode", "country", "province")
    )


# an address input's fields: the free text, then the codes (what is stored and compared)
ADDRESS_KEYS = (*ADDRESS_TEXT_FIELDS, "countryCode", "provinceCode")


def same_address(a: dict, b: dict) -> bool:
    """Shopify refuses a second identical address on one customer."""
    return all((a.get(k) or None) == (b.get(k) or None) for k in ADDRESS_KEYS)
