"""Every reason code shopsync reports: its severity and what it means, in words."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["REASONS", "Reason", "explain", "is_error", "join_codes", "split_codes"]


class Reason(NamedTuple):
    """A stable reason code: ``error`` stops the record, ``warning`` lets it through."""

    code: str
    severity: str  # "error" | "warning"
    text: str


_ALL = [
    # export eligibility (ERP -> Shopify)
    Reason("EMAIL_MISSING", "error", "The customer has no e-mail address."),
    Reason("EMAIL_INVALID", "error", "The e-mail address is not one Shopify accepts."),
    Reason("EMAIL_LIST", "warning", "The e-mail field holds several addresses; the first is sent."),
    Reason(
        "EMAIL_DUPLICATE",
        "error",
        "Another ERP customer has the same e-mail; Shopify e-mails are unique per store.",
    ),
    Reason("COUNTRY_NO_ISO", "error", "The customer's country has no ISO code."),
    Reason("COUNTRY_UNKNOWN", "error", "The customer's country code is not in the country table."),
    Reason("PHONE_INVALID", "error", "The phone number is not a dialable number."),
    Reason(
        "PHONE_EXTENSION_DROPPED",
        "warning",
        "The phone number has an extension, which Shopify cannot store; it is dropped.",
    ),
    Reason(
        "PHONE_DUPLICATE",
        "error",
        "Another ERP customer has the same phone number; Shopify phones are unique per store.",
    ),
    Reason(
        "PROVINCE_UNKNOWN",
        "warning",
        "The county/province cannot be resolved for the country; no province is used.",
    ),
    Reason(
        "PROVINCE_MISSING",
        "warning",
        "The country's addresses normally need a province, and the county is blank.",
    ),
    Reason("COUNTY_TOO_LONG", "error", "County holds a code of more than 10 characters."),
    Reason("FIELD_TOO_LONG", "error", "A value exceeds Shopify's 255-character field limit."),
    Reason(
        "ALREADY_EXISTS_IN_SHOPIFY",
        "error",
        "A Shopify customer with this e-mail or phone is linked to another ERP customer.",
    ),
    Reason(
        "CUSTOMER_BLOCKED",
        "error",
        "The customer is blocked in the ERP (Blocked Ship, Invoice or All): not created, "
        "updated or invited in Shopify.",
    ),
    # import matching (Shopify -> ERP)
    Reason(
        "AMBIGUOUS_EMAIL",
        "warning",
        "Several ERP customers have this e-mail; the lowest number was chosen.",
    ),
    Reason(
        "AMBIGUOUS_PHONE",
        "warning",
        "Several ERP customers have this phone; the lowest number was chosen.",
    ),
    Reason("NO_ADDRESS", "error", "The Shopify customer has no address to create a customer from."),
    Reason("NO_TEMPLATE", "error", "No customer template applies (per-country or shop)."),
    Reason(
        "TEMPLATE_INCOMPLETE",
        "error",
        "The customer template lacks a mandatory posting group.",
    ),
    Reason(
        "COUNTRY_NOT_IN_ERP",
        "error",
        "No ERP country has the address's ISO country code.",
    ),
    Reason("VALUE_TRUNCATED", "warning", "A value is longer than the ERP field and is cut."),
    Reason("VALUE_TOO_LONG", "warning", "A value in the ERP file is longer than the ERP field."),
    Reason(
        "NEAR_MISS",
        "warning",
        "No exact match, but a likely candidate exists (see candidates); link by hand if right.",
    ),
    Reason(
        "NAME_EMPTY_FALLBACK_EMAIL_PHONE",
        "warning",
        "Bill-to matching had no name to compare; e-mail/phone matching was used instead.",
    ),
    Reason("RECORD_UNREADABLE", "error", "The input record could not be read (see candidates)."),
    Reason("NO_CUSTOMER", "error", "The order has no customer and the shop has no default."),
    Reason("INVITES_UNAVAILABLE", "warning", "The store uses new customer accounts: no invites."),
    # sync runs
    Reason(
        "IMPORT_WITH_ORDERS",
        "warning",
        "customer_import is with_order_import: only known customers are refreshed (when Shopify "
        "may update them); new ones arrive with their orders.",
    ),
    Reason("NOT_IN_SHOPIFY", "error", "The Shopify customer asked for does not exist (any more)."),
    Reason(
        "EXPORT_CUSTOMERS_OFF",
        "warning",
        "Not in Shopify, and export_customers is off: the customer is not created there.",
    ),
    Reason("TAX_LIABLE_UNREADABLE", "warning", "Tax Liable is not yes/no; it was read as no."),
    Reason(
        "BLOCKED_UNREADABLE",
        "warning",
        "Blocked is not blank, Ship, Invoice, All or yes/no; it was read as blocked.",
    ),
]

REASONS: dict[str, Reason] = {reason.code: reason for reason in _ALL}


def explain(code: str) -> str:
    """The words for a reason code (the code itself when unknown)."""
    reason = REASONS.get(code)
    return reason.text if reason else code


def is_error(code: str) -> bool:
    """True when ``code`` stops the record (unknown codes count as errors)."""
    reason = REASONS.get(code)
    return reason is None or reason.severity == "error"


def split_codes(joined: str) -> list[str]:
    """``"A;B"`` -> ``["A", "B"]``; ``""`` -> ``[]``."""
    return [code for code in joined.split(";") if code]


def join_codes(codes: list[str]) -> str:
    """Codes in a stable order without repeats, ``;``-joined."""
    return ";".join(dict.fromkeys(code for code in codes if code))
