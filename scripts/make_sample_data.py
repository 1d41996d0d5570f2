"""Write the hand-made sample data set in data/sample/, reproducibly (byte for byte).

Run from anywhere: ``.venv/bin/python scripts/make_sample_data.py``. Hand-written special cases
come first (each says what it demonstrates and adds a row to cases.csv), then plain filler records
that match cleanly. A self-check at the end re-derives the e-mail / phone / bill-to outcomes of
the cases from the raw records, so a typo in a case fails here rather than in a test.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import phonenumbers
from openpyxl import Workbook
from openpyxl.styles import Font

from shopsync import schema
from shopsync.schema import ERP_CUSTOMER_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "sample"
REFERENCE = ROOT / "data" / "reference"

SEED = 20260105
EPOCH = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)

ERP_COLUMNS = list(ERP_CUSTOMER_COLUMNS)
BC_CAPTIONS = [*schema.BC_CAPTIONS, "Blocked"]  # a Customer List export, with Blocked
CASE_COLUMNS = [
    "side",
    "record",
    "config",
    "expect_action",
    "expect_rule",
    "expect_customer_no",
    "expect_reasons",
    "explanation",
    "expect_bill_to_customer_no",
    "expect_values",
]

MAIN = "shop.toml"
BILL_TO = "shop-bill-to.toml"
BC_PHONE = "shop-bc-phone.toml"
NO_DEFAULT = "shop-no-default.toml"
IMPORT_NONE = "shop-import-none.toml"
BILL_TO_COMPANY = "shop-bill-to-company.toml"

DEFAULT_CUSTOMER = "C90000"
CANADA_CUSTOMER = "C90010"

# ERP country code -> ISO code where they differ or the ISO code is missing (see shop.toml).
ERP_TO_ISO = {"EL": "GR", "XK": ""}
EU = {"AT", "BE", "DE", "DK", "ES", "FR", "GR", "IT", "NL", "SE"}
SHIPS_TO = ["AT", "BE", "CA", "CH", "DE", "DK", "ES", "FR", "GB", "GR", "JP", "MX", "NL", "NO"]
SHIPS_TO += ["SE", "US", "XK"]


def _read_reference() -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Shopify's country names and province names by (country, province code)."""
    with (REFERENCE / "countries.csv").open(encoding="utf-8") as f:
        countries = {row["country_code"]: row["country_name"] for row in csv.DictReader(f)}
    with (REFERENCE / "provinces.csv").open(encoding="utf-8") as f:
        provinces = {
            (row["country_code"], row["province_code"]): row["province_name"]
            for row in csv.DictReader(f)
        }
    return countries, provinces


COUNTRY_NAMES, PROVINCE_NAMES = _read_reference()


def erp_iso(code: str) -> str:
    """ISO country of an ERP country code (blank code -> the company country US)."""
    code = code.strip().upper()
    if not code:
        return "US"
    return ERP_TO_ISO.get(code, code)


def e164(phone: str, iso: str) -> str | None:
    """The E.164 form of a valid phone number, else None."""
    try:
        number = phonenumbers.parse(phone, iso or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def ascii_fold(text: str) -> str:
    """Lower-case ASCII for generated e-mail local parts (ß -> ss, ø -> o, accents dropped)."""
    text = text.lower().replace("ß", "ss").replace("ø", "o").replace("æ", "ae")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9.]+", "", text.replace(" ", "."))


@dataclass
class Sample:
    """Everything the script writes, built up by the case functions in order."""

    erp: list[dict[str, str]] = field(default_factory=list)
    customers: list[dict] = field(default_factory=list)
    orders: list[dict] = field(default_factory=list)
    cases: list[dict[str, str]] = field(default_factory=list)
    filler: dict[str, str] = field(default_factory=dict)  # Shopify legacy id -> expected rule
    next_erp: int = 10
    erp_only: int = 0  # filler ERP customers with no Shopify counterpart
    next_address: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))

    # -- ERP customers -----------------------------------------------------------------------

    def add_erp(
        self,
        name: str,
        at: tuple[str, str, str, str, str],
        *,
        name_2: str = "",
        contact: str | None = None,
        address_2: str = "",
        phone: str = "",
        email: str = "",
        no: str | None = None,
        payment: str = "30 DAYS",
        blocked: str = "",
    ) -> str:
        """Add an ERP customer; ``at`` = (address, city, county, post code, ERP country code).

        Posting groups and the tax area follow from the country and county; returns the no.
        """
        address, city, county, post_code, country = at
        if no is None:
            no = f"C{self.next_erp:05d}"
            self.next_erp += 10
        iso = erp_iso(country)
        if iso == "US":
            groups = ("DOMESTIC", "DOMESTIC", "DOMESTIC")
        elif iso in EU:
            groups = ("EU", "EU", "FOREIGN")
        else:
            groups = ("EXPORT", "EXPORT", "FOREIGN")
        tax_area = {"CA": "CA-STATE", "NY": "NY-NYC", "OR": "OR-NOTAX"}.get(county, "")
        self.erp.append(
            {
                "no": no,
                "name": name,
                "name_2": name_2,
                "contact": name if contact is None else contact,
                "address": address,
                "address_2": address_2,
                "city": city,
                "county": county,
                "post_code": post_code,
                "country_code": country,
                "phone": phone,
                "email": email,
                "gen_bus_posting_group": groups[0],
                "vat_bus_posting_group": groups[1],
                "customer_posting_group": groups[2],
                "tax_area_code": tax_area if iso == "US" else "",
                "tax_liable": "true" if iso == "US" and tax_area != "OR-NOTAX" else "false",
                "payment_terms_code": payment,
                "blocked": blocked,
            }
        )
        return no

    # -- Shopify customers -------------------------------------------------------------------

    def address(
        self,
        who: tuple[str | None, str | None],
        at: tuple[str, str, str | None, str, str],
        *,
        company: str | None = None,
        address2: str | None = None,
        phone: str | None = None,
        model: str = "CustomerAddress",
    ) -> dict:
        """A Shopify MailingAddress: ``who`` = (first, last), ``at`` = (address1, city, province
        code, zip, ISO country); country and province names come from Shopify's tables."""
        first, last = who
        address1, city, province, zip_code, country = at
        if province is not None:
            assert (country, province) in PROVINCE_NAMES, (
                f"not a Shopify zone: {country} {province}"
            )
        self.next_address += 1
        address_id = 9100000000000 + self.next_address * 1013
        return {
            "id": f"gid://shopify/MailingAddress/{address_id}?model_name={model}",
            "firstName": first,
            "lastName": last,
            "company": company,
            "address1": address1,
            "address2": address2,
            "zip": zip_code,
            "city": city,
            "countryCodeV2": country,
            "country": COUNTRY_NAMES[country],
            "provinceCode": province,
            "province": PROVINCE_NAMES[(country, province)] if province else None,
            "phone": phone,
        }

    def add_customer(
        self,
        first: str | None,
        last: str | None,
        *,
        email: str | None = None,
        phone: str | None = None,
        addresses: tuple[dict, ...] = (),
        default: int | None = 0,
        state: str | None = None,
        tags: tuple[str, ...] = (),
        note: str | None = None,
        tax_exempt: bool = False,
    ) -> str:
        """Add a Shopify customer (Admin API shape); return its legacy id."""
        i = len(self.customers)
        legacy = str(7401234500000 + i * 7919)
        created = EPOCH + timedelta(hours=9 * i, minutes=17 * (i % 4))
        updated = created + timedelta(days=1 + i % 23, hours=i % 7)
        if state is None:
            state = ("DISABLED", "ENABLED", "DISABLED", "INVITED", "ENABLED")[i % 5]
        nodes = list(addresses)
        self.customers.append(
            {
                "id": f"gid://shopify/Customer/{legacy}",
                "legacyResourceId": legacy,
                "firstName": first,
                "lastName": last,
                "defaultEmailAddress": {"emailAddress": email} if email else None,
                "defaultPhoneNumber": {"phoneNumber": phone} if phone else None,
                "state": state,
                "tags": sorted(tags),
                "note": note,
                "verifiedEmail": bool(email) and state == "ENABLED",
                "taxExempt": tax_exempt,
                "createdAt": _iso(created),
                "updatedAt": _iso(updated),
                "defaultAddress": (
                    {"id": nodes[default]["id"]} if nodes and default is not None else None
                ),
                "addressesV2": {"nodes": nodes},
            }
        )
        return legacy

    def customer(self, legacy: str) -> dict:
        """The Shopify customer with this legacy id."""
        return next(c for c in self.customers if c["legacyResourceId"] == legacy)

    # -- orders ------------------------------------------------------------------------------

    def add_order(
        self,
        customer: str | None,
        *,
        shipping: dict | None,
        billing: dict | None,
        source: str = "web",
        email: str | None = None,
        phone: str | None = None,
    ) -> str:
        """Add an order; contact details default to the customer's, the display address is the
        shipping address, else the billing address. Returns the order's gid."""
        k = len(self.orders)
        order_id = f"gid://shopify/Order/{5600000000000 + k * 1009}"
        if customer is not None:
            record = self.customer(customer)
            email = email or (record["defaultEmailAddress"] or {}).get("emailAddress")
            phone = phone or (record["defaultPhoneNumber"] or {}).get("phoneNumber")
        billing_copy = _order_address(billing, 2 * k)
        shipping_copy = _order_address(shipping, 2 * k + 1)
        self.orders.append(
            {
                "id": order_id,
                "name": f"#{1001 + k}",
                "createdAt": _iso(EPOCH + timedelta(days=80, hours=31 * k, minutes=7 * (k % 8))),
                "customer": {"id": f"gid://shopify/Customer/{customer}"} if customer else None,
                "email": email,
                "phone": phone,
                "billingAddress": billing_copy,
                "shippingAddress": shipping_copy,
                "displayAddress": shipping_copy or billing_copy,
                "sourceName": source,
            }
        )
        return order_id

    # -- the manifest ------------------------------------------------------------------------

    def case(
        self,
        side: str,
        record: str,
        config: str,
        action: str,
        rule: str,
        customer_no: str,
        reasons: str,
        explanation: str,
        bill_to: str = "",
        values: str = "",
    ) -> None:
        """Add a manifest row; ``values`` = "field=value;..." the preview must show."""
        self.cases.append(
            {
                "side": side,
                "record": record,
                "config": config,
                "expect_action": action,
                "expect_rule": rule,
                "expect_customer_no": customer_no,
                "expect_reasons": ";".join(sorted(filter(None, reasons.split(";")))),
                "explanation": explanation,
                "expect_bill_to_customer_no": bill_to,
                "expect_values": values,
            }
        )


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _order_address(address: dict | None, serial: int) -> dict | None:
    """An order's own copy of an address: orders hold MailingAddress ids of their own."""
    if address is None:
        return None
    copy = dict(address)
    copy["id"] = f"gid://shopify/MailingAddress/{8800000000000 + serial * 997}?model_name=Address"
    return copy


# ----------------------------------------------------------------------------------------------
# Hand-written cases, import side (Shopify customer -> ERP)
# ----------------------------------------------------------------------------------------------


def email_cases(s: Sample) -> None:
    """E-mail matching: case-insensitive, trimmed, ß, ties."""
    # Case only differs: ERP P1@Contoso.com, Shopify p1@contoso.com.
    no = s.add_erp(
        "Contoso Pharmaceuticals",
        ("1 Microsoft Way", "Redmond", "WA", "98052", "US"),
        contact="Patti Fuller",
        phone="(425) 555-0101",
        email="P1@Contoso.com",
    )
    sid = s.add_customer(
        "Patti",
        "Fuller",
        email="p1@contoso.com",
        phone="+14255550101",
        addresses=(
            s.address(
                ("Patti", "Fuller"),
                ("1 Microsoft Way", "Redmond", "WA", "98052", "US"),
                company="Contoso Pharmaceuticals",
            ),
        ),
        tags=("b2b",),
    )
    s.case(
        "shopify", sid, MAIN, "link", "email", no, "",
        "E-mail differs only in case (ERP P1@Contoso.com, Shopify p1@contoso.com).",
    )  # fmt: skip

    # ERP e-mail with spaces around it.
    no = s.add_erp(
        "Fabrikam Nordic AB",
        ("Drottninggatan 12", "Stockholm", "", "111 51", "SE"),
        contact="Anna Berg",
        email="  anna.berg@fabrikam.com ",
    )
    sid = s.add_customer(
        "Anna",
        "Berg",
        email="anna.berg@fabrikam.com",
        addresses=(
            s.address(
                ("Anna", "Berg"),
                ("Drottninggatan 12", "Stockholm", None, "111 51", "SE"),
                company="Fabrikam Nordic AB",
            ),
        ),
    )
    s.case(
        "shopify", sid, MAIN, "link", "email", no, "",
        "ERP e-mail has spaces around it ('  anna.berg@fabrikam.com '); compared trimmed.",
    )  # fmt: skip

    # ß on both sides: lower() and casefold() agree.
    no = s.add_erp(
        "Optik Strauß GmbH",
        ("Königstraße 7", "Stuttgart", "", "70173", "DE"),
        contact="Jürgen Strauß",
        email="JÜRGEN.STRAUß@BEISPIEL.DE",
    )
    sid = s.add_customer(
        "Jürgen",
        "Strauß",
        email="jürgen.strauß@beispiel.de",
        addresses=(
            s.address(
                ("Jürgen", "Strauß"),
                ("Königstraße 7", "Stuttgart", None, "70173", "DE"),
                company="Optik Strauß GmbH",
            ),
        ),
    )
    s.case(
        "shopify", sid, MAIN, "link", "email", no, "",
        "ß in the local part on both sides (ERP upper case JÜRGEN.STRAUß@, Shopify "
        "jürgen.strauß@): equal under lower() and under casefold().",
    )  # fmt: skip

    # ß vs ss: lower() says different, casefold() says equal; the phone decides either way.
    no = s.add_erp(
        "Lena Weiß",
        ("Schillerstraße 21", "Leipzig", "", "04109", "DE"),
        phone="0341 5550 1234",
        email="Lena.Weiß@example.de",
    )
    sid = s.add_customer(
        "Lena",
        "Weiss",
        email="lena.weiss@example.de",
        phone=e164("0341 5550 1234", "DE"),
        addresses=(
            s.address(("Lena", "Weiss"), ("Schillerstraße 21", "Leipzig", None, "04109", "DE")),
        ),
    )
    s.case(
        "shopify", sid, MAIN, "link", "", no, "",
        "ERP Lena.Weiß@ vs Shopify lena.weiss@: equal only under casefold() (rule email), not "
        "under lower() (then the phone 0341 5550 1234 = +4934155501234 matches, rule phone). "
        "SPEC says 'case-insensitively' without choosing, so the rule is left open; the "
        "customer is the same either way.",
    )  # fmt: skip

    # Two ERP customers share the e-mail: lowest no wins, tie flagged.
    first = s.add_erp(
        "Tailspin Toys",
        ("400 Broad St", "Seattle", "WA", "98109", "US"),
        contact="Mark Hanson",
        phone="(206) 555-0111",
        email="Orders@TailspinToys.com",
    )
    second = s.add_erp(
        "Tailspin Toys (Outlet)",
        ("1200 Westlake Ave N", "Seattle", "WA", "98109", "US"),
        contact="Mark Hanson",
        phone="(206) 555-0112",
        email="orders@tailspintoys.com",
    )
    sid = s.add_customer(
        "Mark",
        "Hanson",
        email="orders@tailspintoys.com",
        addresses=(
            s.address(
                ("Mark", "Hanson"),
                ("400 Broad St", "Seattle", "WA", "98109", "US"),
                company="Tailspin Toys",
            ),
        ),
        tags=("b2b", "wholesale"),
    )
    s.case(
        "shopify", sid, MAIN, "link", "email", first, "AMBIGUOUS_EMAIL",
        f"Two ERP customers ({first}, {second}) have orders@tailspintoys.com (one in mixed "
        "case): the lowest no wins and the tie is flagged.",
    )  # fmt: skip
    for no in (first, second):
        s.case(
            "erp", no, MAIN, "skip", "", "", "EMAIL_DUPLICATE",
            f"Shares its normalised e-mail with {second if no == first else first}. "
            f"{second} is also ALREADY_EXISTS_IN_SHOPIFY once the import linked {first}.",
        )  # fmt: skip


def phone_cases(s: Sample) -> None:
    """Phone matching in national formats; ties; e164 vs BC mode."""
    national = [
        # (ERP country, phone as the ERP holds it, person, company, address, city, zip, province)
        ("NL", "0612345678", ("Sanne", "Bakker"), "Bakker Bloemen", "Prinsengracht 263",
         "Amsterdam", "1016 GV", None),
        ("DE", "030 1234567", ("Felix", "Wagner"), "Wagner Feinkost", "Friedrichstraße 43",
         "Berlin", "10117", None),
        ("FR", "01 23 45 67 89", ("Camille", "Lefèvre"), "Librairie Lefèvre", "12 Rue de Rivoli",
         "Paris", "75004", None),
        ("GB", "020 7946 0018", ("Oliver", "Hughes"), "Hughes & Daughters Ltd", "10 Fleet St",
         "London", "EC4Y 1AA", None),
        ("US", "(415) 555-0123", ("Grace", "Kim"), "Kim Ceramics", "500 Howard St",
         "San Francisco", "94105", "CA"),
        ("JP", "03-1234-5678", ("Haruto", "Sato"), "Sato Shoten", "1-1 Marunouchi",
         "Chiyoda-ku", "100-0005", "JP-13"),
        ("EL", "210 123 4567", ("Eleni", "Papadopoulou"), "Papadopoulou Olive Oil",
         "Ermou 15", "Athens", "105 63", None),
    ]  # fmt: skip
    for country, phone, (first, last), company, street, city, zip_code, province in national:
        iso = erp_iso(country)
        domain = ascii_fold(company.split()[0]) + ".example"
        no = s.add_erp(
            company,
            (street, city, province or "", zip_code, country),
            contact=f"{first} {last}",
            phone=phone,
            email=f"office@{domain}",
        )
        number = e164(phone, iso)
        assert number, phone
        sid = s.add_customer(
            first,
            last,
            email=f"{ascii_fold(first)}.{ascii_fold(last)}@example.net",
            phone=number,
            addresses=(
                s.address((first, last), (street, city, province, zip_code, iso), company=company),
            ),
        )
        extra = ""
        if country == "EL":
            extra = " ERP country EL is ISO GR: the ERP phone is parsed as Greek."
        s.case(
            "shopify", sid, MAIN, "link", "phone", no, "",
            f"phone_match=e164: ERP {country} '{phone}' parsed with its own country = {number}; "
            f"the e-mails differ.{extra}",
        )  # fmt: skip
        if country == "NL":
            s.case(
                "shopify", sid, BC_PHONE, "create", "none", "", "",
                "phone_match=bc: Shopify digits 31612345678 do not appear in order in ERP "
                "'0612345678', so BC's rule misses the match e164 finds; created from the NL "
                "address (template EU).",
            )  # fmt: skip

    # BC-mode-only match: a London number written without '+' on a US customer.
    no = s.add_erp(
        "Oliver Bennett",
        ("77 Sleepy Hollow Rd", "Concord", "MA", "01742", "US"),
        phone="44 20 7946 0321",
        email="o.bennett@proseware.com",
    )
    sid = s.add_customer(
        "Oliver",
        "Bennett",
        email="oliver.bennett@example.co.uk",
        phone="+442079460321",
        addresses=(
            s.address(("Oliver", "Bennett"), ("3 Garden Walk", "London", None, "EC2A 3EQ", "GB")),
        ),
    )
    s.case(
        "shopify", sid, MAIN, "create", "none", "", "NEAR_MISS",
        f"phone_match=e164: ERP {no} phone '44 20 7946 0321' parsed as US is not a valid number, "
        "so +442079460321 finds nothing; created from the GB address (template EXPORT). The "
        f"same digits under another country code make {no} a near miss.",
    )  # fmt: skip
    s.case(
        "shopify", sid, BC_PHONE, "link", "phone", no, "",
        "phone_match=bc: Shopify digits 442079460321 appear in order in '44 20 7946 0321' "
        "and it ends with the last one (like '+1 234 56789' vs '123456789').",
    )  # fmt: skip
    s.case(
        "erp", no, MAIN, "skip", "", "", "PHONE_INVALID",
        "'44 20 7946 0321' parsed with the customer's country US is not dialable.",
    )  # fmt: skip

    # Two ERP customers with one phone in two formats.
    first = s.add_erp(
        "Alpine Ski House",
        ("Kurfürstendamm 100", "Berlin", "", "10709", "DE"),
        contact="Jonas Keller",
        phone="030 2345678",
        email="buchhaltung@alpineskihouse.com",
    )
    second = s.add_erp(
        "Alpine Ski House Filiale",
        ("Tauentzienstraße 9", "Berlin", "", "10789", "DE"),
        contact="Jonas Keller",
        phone="+49 30 2345678",
        email="filiale@alpineskihouse.com",
    )
    sid = s.add_customer(
        "Jonas",
        "Keller",
        email="kontakt@alpineskihouse.de",
        phone="+49302345678",
        addresses=(
            s.address(
                ("Jonas", "Keller"),
                ("Kurfürstendamm 100", "Berlin", None, "10709", "DE"),
                company="Alpine Ski House",
            ),
        ),
    )
    s.case(
        "shopify", sid, MAIN, "link", "phone", first, "AMBIGUOUS_PHONE",
        f"{first} '030 2345678' and {second} '+49 30 2345678' are both +49302345678: lowest no "
        "wins (as for e-mail ties) and the tie is flagged.",
    )  # fmt: skip
    for no in (first, second):
        s.case(
            "erp", no, MAIN, "skip", "", "", "PHONE_DUPLICATE",
            "Same E.164 number as another ERP customer (+49302345678, two formats).",
        )  # fmt: skip


def pos_cases(s: Sample) -> None:
    """POS customers: often no address, sometimes no e-mail."""
    sid = s.add_customer(
        "Walk-in",
        "Customer 0166",
        phone="+15035550166",
        addresses=(),
        default=None,
        state="DISABLED",
        tags=("pos",),
        note="Signed up at the Portland store counter",
    )
    s.case(
        "shopify", sid, MAIN, "skip", "none", "", "NO_ADDRESS",
        "POS customer with a phone but no address, unmatched, auto-create on: not created, "
        "reported.",
    )  # fmt: skip
    sid = s.add_customer(
        "Kim",
        "Lee",
        addresses=(),
        default=None,
        state="DISABLED",
        tags=("pos",),
    )
    s.case(
        "shopify", sid, MAIN, "skip", "none", "", "NO_ADDRESS",
        "POS customer with only a name (no e-mail, phone or address).",
    )  # fmt: skip
    no = s.add_erp(
        "Marco Rossi",
        ("88 Pearl St", "Portland", "OR", "97209", "US"),
        phone="503-555-0177",
        email="marco.rossi@example.org",
    )
    sid = s.add_customer(
        "Marco",
        "Rossi",
        phone="+15035550177",
        addresses=(),
        default=None,
        state="DISABLED",
        tags=("pos",),
    )
    s.case(
        "shopify", sid, MAIN, "link", "phone", no, "",
        "POS customer without address or e-mail found by phone: linking needs no address.",
    )  # fmt: skip


def template_cases(s: Sample) -> None:
    """Which address and template a created customer gets; incomplete and missing templates."""
    sid = s.add_customer(
        "Tobias",
        "Huber",
        email="tobias.huber@example.at",
        addresses=(
            s.address(("Tobias", "Huber"), ("Bahnhofstrasse 5", "Zürich", None, "8001", "CH")),
            s.address(("Tobias", "Huber"), ("Mariahilfer Straße 45", "Wien", None, "1060", "AT")),
        ),
        default=1,
    )
    s.case(
        "shopify", sid, MAIN, "create", "none", "", "",
        "Default address (2nd, AT) decides: template EU from the AT row, not EXPORT from the "
        "first address's CH row. Created with country AT, address Mariahilfer Straße 45.",
    )  # fmt: skip
    sid = s.add_customer(
        "Fiona",
        "MacLeod",
        email="fiona.macleod@example.co.uk",
        addresses=(
            s.address(("Fiona", "MacLeod"), ("12 Rose St", "Edinburgh", "SCT", "EH2 2PR", "GB")),
            s.address(("Fiona", "MacLeod"), ("9 Beacon St", "Boston", "MA", "02108", "US")),
        ),
        default=None,
    )
    s.case(
        "shopify", sid, MAIN, "create", "none", "", "",
        "No default address: the first address (GB) is used, template EXPORT from the GB row.",
    )  # fmt: skip
    sid = s.add_customer(
        "Ingrid",
        "Solberg",
        email="ingrid.solberg@example.no",
        addresses=(
            s.address(("Ingrid", "Solberg"), ("Karl Johans gate 22", "Oslo", None, "0159", "NO")),
        ),
    )
    s.case(
        "shopify", sid, MAIN, "create", "none", "", "",
        "NO has no per-country row: the shop template WEB is used.",
    )  # fmt: skip
    s.case(
        "shopify", sid, BILL_TO, "skip", "none", "", "NO_TEMPLATE",
        "shop-bill-to.toml has no shop template and NO has no per-country row: cannot create.",
    )  # fmt: skip
    sid = s.add_customer(
        "Valeria",
        "Hernández",
        email="valeria.hernandez@example.mx",
        phone="+523336157020",
        addresses=(
            s.address(
                ("Valeria", "Hernández"),
                ("Av. Chapultepec 480", "Guadalajara", "JAL", "44600", "MX"),
            ),
        ),
    )
    s.case(
        "shopify", sid, MAIN, "skip", "none", "", "TEMPLATE_INCOMPLETE",
        "Unmatched MX customer: the MX row's template MX-NEW has no customer posting group.",
    )  # fmt: skip
    sid = s.add_customer(
        "Diego",
        "Ramírez",
        email="diego.ramirez@example.mx",
        addresses=(
            s.address(("Diego", "Ramírez"), ("1450 Grand Ave", "San Diego", "CA", "92109", "US")),
            s.address(
                ("Diego", "Ramírez"), ("Av. Madero 210", "Aguascalientes", "AGS", "20000", "MX")
            ),
        ),
        default=1,
    )
    s.case(
        "shopify", sid, MAIN, "skip", "none", "", "TEMPLATE_INCOMPLETE",
        "Default address MX (2nd) decides, so MX-NEW (incomplete) is chosen although the first "
        "address (US) would have used WEB.",
    )  # fmt: skip
    sid = s.add_customer(
        "Sofía",
        "Castillo",
        email="sofia.castillo@example.com",
        addresses=(
            s.address(
                ("Sofía", "Castillo"),
                ("Calle 5 de Mayo 12", "Aguascalientes", "AGS", "20000", "MX"),
            ),
            s.address(
                ("Sofía", "Castillo"), ("2400 Fillmore St", "San Francisco", "CA", "94115", "US")
            ),
        ),
        default=1,
    )
    s.case(
        "shopify", sid, MAIN, "create", "none", "", "",
        "Default address US (2nd) decides over the first address MX: template WEB, county CA, "
        "tax area CA-STATE with tax_liable true from the (US, California) tax-area row.",
    )  # fmt: skip


def country_and_province_cases(s: Sample) -> None:
    """Countries the ERP cannot hold, provinces by code and name, Greek customers."""
    sid = s.add_customer(
        "Arben",
        "Krasniqi",
        email="arben.krasniqi@example.com",
        addresses=(
            s.address(
                ("Arben", "Krasniqi"), ("Rruga Agim Ramadani 15", "Prishtina", None, "10000", "XK")
            ),
        ),
    )
    s.case(
        "shopify", sid, MAIN, "", "none", "", "COUNTRY_NOT_IN_ERP",
        "Kosovo (XK): no ERP country has ISO code XK (the ERP's XK row has a blank ISO code, "
        "pycountry has no XK). SPEC says 'reported' without saying whether the customer is "
        "still created, so the action is open.",
    )  # fmt: skip
    bavarian = s.address(("Giulia", "Bianchi"), ("Leopoldstr. 40", "München", None, "80802", "DE"))
    bavarian["province"] = "Bayern"  # written by an app: Shopify has no zones for Germany
    sid = s.add_customer(
        "Giulia", "Bianchi", email="giulia.bianchi@example.de", addresses=(bavarian,)
    )
    s.case(
        "shopify", sid, MAIN, "create", "none", "", "PROVINCE_UNKNOWN",
        "The address carries province 'Bayern', which is no Shopify zone of DE: reported as "
        "PROVINCE_UNKNOWN, a warning; the customer is still created (template EU).",
    )  # fmt: skip
    sid = s.add_customer(
        "Chloé",
        "Gagnon",
        email="chloe.gagnon@example.ca",
        phone="+16135550188",
        addresses=(
            s.address(("Chloé", "Gagnon"), ("150 Elgin St", "Ottawa", "ON", "K2P 1L4", "CA")),
        ),
    )
    s.case(
        "shopify", sid, MAIN, "create", "none", "", "",
        "Province by code: county_source code gives ERP county 'ON' (template EXPORT, CA row).",
    )  # fmt: skip
    s.case(
        "shopify", sid, BILL_TO, "create", "none", "", "",
        "Province by name: county_source name gives ERP county 'Ontario'.",
    )  # fmt: skip
    sid = s.add_customer(
        "Yui",
        "Takahashi",
        email="yui.takahashi@example.jp",
        addresses=(
            s.address(
                ("Yui", "Takahashi"), ("2-4-1 Shibakoen", "Minato-ku", "JP-13", "105-0011", "JP")
            ),
        ),
    )
    s.case(
        "shopify", sid, MAIN, "create", "none", "", "",
        "JP province code JP-13 (Shopify's code is the ISO code): ERP county 'JP-13'.",
    )  # fmt: skip
    s.case(
        "shopify", sid, BILL_TO, "create", "none", "", "",
        "county_source name: ERP county 'Tōkyō' (Shopify's zone name).",
    )  # fmt: skip
    no = s.add_erp(
        "Distribuidora Hidrocálida",
        ("Av. Universidad 1001", "Aguascalientes", "AGS", "20131", "MX"),
        contact="Luis Medina",
        phone="449 123 4567",
        email="compras@hidrocalida.example",
    )
    sid = s.add_customer(
        "Luis",
        "Medina",
        email="compras@hidrocalida.example",
        addresses=(
            s.address(
                ("Luis", "Medina"),
                ("Av. Universidad 1001", "Aguascalientes", "AGS", "20131", "MX"),
                company="Distribuidora Hidrocálida",
            ),
        ),
    )
    s.case(
        "shopify", sid, MAIN, "link", "email", no, "",
        "MX province AGS is Shopify's own code (ISO says MX-AGU); ERP county 'AGS'.",
    )  # fmt: skip
    no = s.add_erp(
        "Nikos Georgiou",
        ("Tsimiski 45", "Thessaloniki", "", "546 23", "EL"),
        phone="2310 555 123",
        email="Nikos.Georgiou@example.gr",
    )
    sid = s.add_customer(
        "Nikos",
        "Georgiou",
        email="nikos.georgiou@example.gr",
        addresses=(
            s.address(("Nikos", "Georgiou"), ("Tsimiski 45", "Thessaloniki", None, "546 23", "GR")),
        ),
    )
    s.case(
        "shopify", sid, MAIN, "link", "email", no, "",
        "Greek customer: ERP country EL, Shopify GR.",
    )  # fmt: skip
    sid = s.add_customer(
        "Maria",
        "Konstantinou",
        email="maria.konstantinou@example.gr",
        phone="+302105550199",
        addresses=(
            s.address(("Maria", "Konstantinou"), ("Patision 80", "Athens", None, "104 34", "GR")),
        ),
    )
    s.case(
        "shopify", sid, MAIN, "create", "none", "", "",
        "Unmatched Greek customer: created with ERP country_code EL (the ERP country whose ISO "
        "code is GR), template EU from the GR row.",
    )  # fmt: skip


def truncation_cases(s: Sample) -> None:
    """Shopify values longer than the ERP fields."""
    sid = s.add_customer(
        "Gareth",
        "Jones",
        email="gareth.jones@example.co.uk",
        addresses=(
            s.address(
                ("Gareth", "Jones"),
                (
                    "Station Rd 1",
                    "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch",
                    "WLS",
                    "LL61 5UJ",
                    "GB",
                ),
            ),
        ),
    )
    s.case(
        "shopify", sid, MAIN, "create", "none", "", "VALUE_TRUNCATED",
        "City of 58 characters is cut to the ERP's 30.",
    )  # fmt: skip
    long_line = (
        "Building 7, Innovation Campus North, Attn: Receiving Dock B (deliveries Mon-Fri "
        "8am-4pm only), 4500 Technology Parkway"
    )
    assert len(long_line) > 100
    sid = s.add_customer(
        "Priya",
        "Natarajan",
        email="priya.natarajan@example.com",
        addresses=(s.address(("Priya", "Natarajan"), (long_line, "Austin", "TX", "78759", "US")),),
    )
    s.case(
        "shopify", sid, MAIN, "create", "none", "", "VALUE_TRUNCATED",
        f"address1 of {len(long_line)} characters is cut to the ERP's 100.",
    )  # fmt: skip
    company = (
        "The International Association of Independent Small-Batch Coffee Roasters, "
        "Importers and Equipment Makers"
    )
    assert len(company) > 100
    sid = s.add_customer(
        "Sam",
        "Okafor",
        email="sam.okafor@example.org",
        addresses=(
            s.address(
                ("Sam", "Okafor"),
                ("233 S Wacker Dr", "Chicago", "IL", "60606", "US"),
                company=company,
            ),
        ),
    )
    s.case(
        "shopify", sid, MAIN, "create", "none", "", "VALUE_TRUNCATED",
        f"Company of {len(company)} characters becomes ERP name (name_source company_name), cut "
        "to 100.",
    )  # fmt: skip


def near_miss_cases(s: Sample) -> None:
    """Unmatched customers that nearly match an ERP customer: created, but flagged."""
    no = s.add_erp(
        "John Smith",
        ("31 Spruce St", "Newark", "NJ", "07102", "US"),
        email="john.smith@contoso.com",
    )
    sid = s.add_customer(
        "Jon",
        "Smith",
        email="jon.smith@contoso.com",
        addresses=(s.address(("Jon", "Smith"), ("18 Walnut St", "Hoboken", "NJ", "07030", "US")),),
    )
    s.case(
        "shopify", sid, MAIN, "create", "none", "", "NEAR_MISS",
        f"E-mail one typo away from {no}'s john.smith@contoso.com.",
    )  # fmt: skip
    no = s.add_erp(
        "Camille Durand",
        ("5 Place Bellecour", "Lyon", "", "69002", "FR"),
        phone="06 87 65 43 21",
        email="camille.durand@example.fr",
    )
    sid = s.add_customer(
        "Sanne",
        "de Vries",
        email="sanne.devries@example.nl",
        phone="+31687654321",
        addresses=(
            s.address(("Sanne", "de Vries"), ("Oudegracht 100", "Utrecht", None, "3511 AX", "NL")),
        ),
    )
    s.case(
        "shopify", sid, MAIN, "create", "none", "", "NEAR_MISS",
        f"Phone +31687654321 has the same national digits as {no}'s '06 87 65 43 21' "
        "(+33687654321) with another country code.",
    )  # fmt: skip
    no = s.add_erp(
        "Henrik Larsen",
        ("Østerbrogade 50", "København Ø", "", "2100", "DK"),
        email="henrik@larsen-design.dk",
    )
    sid = s.add_customer(
        "Henrik",
        "Larsen",
        email="henrik.larsen@example.dk",
        addresses=(
            s.address(("Henrik", "Larsen"), ("Østerbrogade 50", "København Ø", None, "2100", "DK")),
        ),
    )
    s.case(
        "shopify", sid, MAIN, "create", "none", "", "NEAR_MISS",
        f"Same name and post code as {no} but a different e-mail and no phone.",
    )  # fmt: skip


def bill_to_cases(s: Sample) -> dict[str, tuple[str, dict]]:
    """by_bill_to: exact on eight fields (county by name), a near miss, the empty-name fallback.

    Each Shopify customer here also has its ERP customer's e-mail, so with shop.toml it links by
    e-mail. Returns ERP customers and their Shopify addresses for the order cases.
    """
    rows = [
        # key, (first, last), company, address, address 2, zip, city, country, province, ERP county
        ("emilie", ("Émilie", "Tremblay"), "Maple Leaf Books", "200 Bay St", "Suite 1200",
         "M5J 2J2", "Toronto", "CA", "ON", "Ontario"),
        ("grace", ("Grace", "Park"), "Park Design Studio", "1 Market St", "Floor 3", "94105",
         "San Francisco", "US", "CA", "California"),
        ("daniel", ("Daniel", "Park"), "Park Holdings LLC", "101 California St", "Suite 2450",
         "94111", "San Francisco", "US", "CA", "California"),
        ("ana", ("Ana", "Morales"), "Café Morales", "Calle Madero 310", "Local 4", "20000",
         "Aguascalientes", "MX", "AGS", "Aguascalientes"),
        ("dimitris", ("Dimitris", "Alexiou"), "Alexiou Ceramics", "Adrianou 60", "2os orofos",
         "105 55", "Athens", "GR", None, ""),
        ("liam", ("Liam", "O'Connor"), "Harbour Lights Café", "1 Lower Water St", "Unit 5",
         "B3J 1R7", "Halifax", "CA", "NS", "Nova Scotia"),
    ]  # fmt: skip
    found: dict[str, tuple[str, dict]] = {}
    areas = {"CA": "+1 416", "US": "+1 415", "MX": "+52 449", "GR": "+30 210"}
    for key, (first, last), company, street, street2, zip_code, city, iso, prov, county in rows:
        area = "+1 902" if key == "liam" else areas[iso]
        email = f"{ascii_fold(first)}.{ascii_fold(last)}@{ascii_fold(company.split()[0])}.example"
        erp_country = "EL" if iso == "GR" else iso
        no = s.add_erp(
            f"{first} {last}",
            (street, city, county, zip_code, erp_country),
            name_2=company,
            contact=f"{first} {last}",
            address_2=street2,
            email=email,
        )
        shop_street2 = "Unit 6" if key == "liam" else street2
        address = s.address(
            (first, last),
            (street, city, prov, zip_code, iso),
            company=company,
            address2=shop_street2,
        )
        # A phone only Shopify has (the ERP's is blank), so a bill-to update changes something.
        phone = e164(f"{area} 555 01{60 + len(found)}", iso)
        sid = s.add_customer(first, last, email=email, phone=phone, addresses=(address,))
        found[key] = (no, address)
        s.case(
            "shopify", sid, BILL_TO, "update", "email", no, "",
            "Customer import under by_bill_to: mapped by e-mail all the same (BC FindMapping; "
            "the mapping type governs order customers only). shopify_can_update_customers is "
            "on: the update writes the Shopify phone (ERP phone blank) and contact "
            f"'{last} {first}' (contact_source last_and_first_name).",
        )  # fmt: skip
        s.case(
            "shopify", sid, MAIN, "link", "email", no, "",
            "The bill-to customer under by_email_phone: found by e-mail.",
        )  # fmt: skip
        if key == "grace":
            s.case(
                "erp", no, MAIN, "", "", "", "PROVINCE_UNKNOWN",
                "County 'California' (a name, kept for shop-bill-to.toml) has exactly 10 "
                "characters: not COUNTY_TOO_LONG, but code mode cannot resolve it. Linked by the "
                "import, so the action depends on the run.",
            )  # fmt: skip

    # Empty names: fall back to e-mail, then phone.
    no = s.add_erp(
        "Northwind Traders",
        ("2 Harbor Way", "Anchorage", "AK", "99501", "US"),
        contact="",
        phone="(907) 555-0142",
        email="orders@northwindtraders.com",
    )
    sid = s.add_customer(
        None,
        None,
        email="orders@northwindtraders.com",
        addresses=(s.address((None, None), ("PO Box 1000", "Anchorage", "AK", "99501", "US")),),
    )
    s.case(
        "shopify", sid, BILL_TO, "update", "email", no, "",
        "No first/last name and no company; a customer import maps by e-mail whatever the "
        "mapping type. The update keeps the ERP name (an update never blanks it; BC would).",
    )  # fmt: skip
    no = s.add_erp(
        "Wide World Importers",
        ("4 Dock Rd", "Tacoma", "WA", "98421", "US"),
        contact="",
        phone="(253) 555-0119",
        email="ap@wideworldimporters.com",
    )
    sid = s.add_customer(
        None,
        None,
        phone="+12535550119",
        addresses=(s.address((None, None), ("4 Dock Rd", "Tacoma", "WA", "98421", "US")),),
    )
    s.case(
        "shopify", sid, BILL_TO, "update", "phone", no, "",
        "Empty names and no e-mail: a customer import finds the customer by phone.",
    )  # fmt: skip
    return found


# ----------------------------------------------------------------------------------------------
# Hand-written cases, export side (ERP customer -> Shopify eligibility)
# ----------------------------------------------------------------------------------------------


def default_customers(s: Sample) -> None:
    """The shop's default customer and the per-country default for orders shipped to Canada."""
    s.add_erp(
        "Web shop default customer",
        ("1 Commerce Plaza", "Portland", "OR", "97204", "US"),
        contact="",
        no=DEFAULT_CUSTOMER,
        payment="COD",
    )
    s.add_erp(
        "Shopify orders Canada",
        ("100 King St W", "Toronto", "ON", "M5X 1A9", "CA"),
        contact="",
        no=CANADA_CUSTOMER,
        payment="COD",
    )
    for no in (DEFAULT_CUSTOMER, CANADA_CUSTOMER):
        s.case(
            "erp", no, MAIN, "skip", "", "", "EMAIL_MISSING",
            "Default customer for orders (no e-mail, never exported).",
        )  # fmt: skip


def email_export_cases(s: Sample) -> None:
    """E-mail eligibility: missing, invalid, lists, duplicates."""
    no = s.add_erp(
        "Lucerne Publishing",
        ("90 Elm St", "Hartford", "CT", "06103", "US"),
        contact="Ravi Shah",
        phone="(860) 555-0133",
    )
    s.case("erp", no, MAIN, "skip", "", "", "EMAIL_MISSING", "Blank e-mail.")
    for email in ("foo@bar", "foo@@bar.com", "@bar.com"):
        no = s.add_erp(
            f"Invalid e-mail {email}",
            ("12 Main St", "Burlington", "VT", "05401", "US"),
            contact="Test Person",
            email=email,
        )
        s.case(
            "erp", no, MAIN, "skip", "", "", "EMAIL_INVALID",
            f"'{email}' is rejected by Shopify ('Email is invalid').",
        )  # fmt: skip
    for email, sep in (
        ("ap@litwareinc.com;purchasing@litwareinc.com", ";"),
        ("info@adatum.com, sales@adatum.com", ","),
    ):
        company = "Litware, Inc." if "litware" in email else "A. Datum Corporation"
        no = s.add_erp(
            company,
            ("700 Congress Ave", "Austin", "TX", "78701", "US"),
            contact="Chris Meyer" if sep == ";" else "Dana Whitfield",
            email=email,
        )
        s.case(
            "erp", no, MAIN, "create", "", "", "EMAIL_LIST",
            f"E-mail field holds a list separated by '{sep}': the first address is exported.",
        )  # fmt: skip
    dupes = ("dup@northwind.test", "Dup@Northwind.test", " dup@northwind.test ")
    numbers = []
    for i, email in enumerate(dupes):
        numbers.append(
            s.add_erp(
                f"Northwind Branch {i + 1}",
                (f"{10 + i} Harbor St", "Baltimore", "MD", "21202", "US"),
                contact="Pat Doyle",
                email=email,
            )
        )
    for no in numbers:
        s.case(
            "erp", no, MAIN, "skip", "", "", "EMAIL_DUPLICATE",
            f"Three ERP customers ({', '.join(numbers)}) share dup@northwind.test up to case "
            "and spaces.",
        )  # fmt: skip

    # Import links the Shopify customer by phone to C_a; C_b's list starts with its e-mail.
    linked = s.add_erp(
        "Wingtip Toys",
        ("55 Water St", "Brooklyn", "NY", "11201", "US"),
        contact="Sam Rivera",
        phone="(617) 555-0132",
        email="purchasing@wingtiptoys.com",
    )
    no = s.add_erp(
        "Wingtip Toys Retail",
        ("80 Pine St", "New York", "NY", "10005", "US"),
        contact="Sam Rivera",
        email="sam.rivera@wingtiptoys.com;ap@wingtiptoys.com",
    )
    sid = s.add_customer(
        "Sam",
        "Rivera",
        email="sam.rivera@wingtiptoys.com",
        phone="+16175550132",
        addresses=(
            s.address(
                ("Sam", "Rivera"),
                ("55 Water St", "Brooklyn", "NY", "11201", "US"),
                company="Wingtip Toys",
            ),
        ),
    )
    s.case(
        "shopify", sid, MAIN, "link", "phone", linked, "",
        f"No ERP e-mail field equals sam.rivera@wingtiptoys.com as a whole ({no} holds a list), "
        "so the phone finds the customer.",
    )  # fmt: skip
    s.case(
        "erp", no, BILL_TO, "skip", "", linked, "ALREADY_EXISTS_IN_SHOPIFY;EMAIL_LIST",
        f"The list's first address belongs to the Shopify customer that import linked to "
        f"{linked}. Needs the import's link (sync run, or a preview after import); with "
        "can_update_shopify_customers (shop.toml) the run's update of that customer frees the "
        "address first, and the customer is created.",
    )  # fmt: skip

    # Import links the Shopify customer by e-mail to C_a; C_b has the same phone, other e-mail.
    linked = s.add_erp(
        "Fourth Coffee",
        ("233 S Wacker Dr", "Chicago", "IL", "60606", "US"),
        contact="Alex Wu",
        email="orders@fourthcoffee.com",
    )
    no = s.add_erp(
        "Fourth Coffee Roastery",
        ("1500 W Carroll Ave", "Chicago", "IL", "60607", "US"),
        contact="Alex Wu",
        phone="(312) 555-0178",
        email="roastery@fourthcoffee.com",
    )
    sid = s.add_customer(
        "Alex",
        "Wu",
        email="orders@fourthcoffee.com",
        phone="+13125550178",
        addresses=(
            s.address(
                ("Alex", "Wu"),
                ("233 S Wacker Dr", "Chicago", "IL", "60606", "US"),
                company="Fourth Coffee",
            ),
        ),
        tags=("b2b", "wholesale"),
        tax_exempt=True,
        note="Resale certificate on file",
    )
    s.case(
        "shopify", sid, MAIN, "link", "email", linked, "",
        "Found by e-mail (its phone belongs to another ERP customer, which e-mail wins over).",
    )  # fmt: skip
    s.case(
        "erp", no, BILL_TO, "skip", "", linked, "ALREADY_EXISTS_IN_SHOPIFY",
        f"E-mail not in Shopify, but the phone lookup finds the Shopify customer linked to "
        f"{linked}. Needs the import's link (without can_update_shopify_customers, which would "
        "clear that phone first).",
    )  # fmt: skip


def country_export_cases(s: Sample) -> None:
    """Country eligibility: no ISO code, unknown code, blank (company country)."""
    no = s.add_erp(
        "Dardania Trade LLC",
        ("Bulevardi Nënë Tereza 20", "Prishtina", "", "10000", "XK"),
        contact="Blerim Gashi",
        email="blerim.gashi@dardania.example",
    )
    s.case(
        "erp", no, MAIN, "skip", "", "", "COUNTRY_NO_ISO",
        "ERP country XK has a blank ISO code in [erp_countries].",
    )  # fmt: skip
    no = s.add_erp(
        "Unknown Country Ltd",
        ("1 Nowhere Lane", "Nowhere", "", "00000", "ZZ"),
        contact="Robin Frost",
        email="robin.frost@unknown-country.example",
    )
    s.case("erp", no, MAIN, "skip", "", "", "COUNTRY_UNKNOWN", "ERP country ZZ is in no table.")
    no = s.add_erp(
        "Ellen Brooks",
        ("350 5th Ave", "New York", "NY", "10118", ""),
        phone="(212) 555-0155",
        email="ellen.brooks@example.com",
    )
    s.case(
        "erp", no, MAIN, "create", "", "", "",
        "Blank country: the company country US is used (phone parsed as US, county NY).",
    )  # fmt: skip
    no = s.add_erp(
        "Papelería Hidrocálida",
        ("Av. López Mateos 215", "Aguascalientes", "AGS", "20000", "MX"),
        contact="Rosa Elena Márquez",
        phone="449 555 0123",
        email="rosa.marquez@papeleria.example",
    )
    s.case(
        "erp", no, MAIN, "create", "", "", "",
        "MX county AGS is Shopify's own province code (ISO MX-AGU): exported as provinceCode "
        "AGS. Contact 'Rosa Elena Márquez': first 'Rosa', last 'Elena Márquez'.",
    )  # fmt: skip
    no = s.add_erp(
        "Kallisti Foods",
        ("Leoforos Kifisias 120", "Marousi", "", "151 25", "EL"),
        contact="Eleni Nikolaidou",
        phone="210 555 0142",
        email="eleni@kallisti.example",
    )
    s.case(
        "erp", no, MAIN, "create", "", "", "",
        "Greek customer: ERP country EL is exported as ISO GR, phone parsed as Greek "
        "(+302105550142).",
    )  # fmt: skip


def phone_export_cases(s: Sample) -> None:
    """Phone eligibility: invalid, extension, duplicates in two formats."""
    for phone, country, city, zip_code, county in (
        ("123", "US", "Denver", "80202", "CO"),
        ("call reception", "DE", "Hamburg", "20095", ""),
    ):
        no = s.add_erp(
            f"Bad Phone {country}",
            ("1 Test Rd", city, county, zip_code, country),
            contact="Jamie Fox",
            phone=phone,
            email=f"jamie.fox.{country.lower()}@example.com",
        )
        s.case("erp", no, MAIN, "skip", "", "", "PHONE_INVALID", f"Phone '{phone}'.")
    no = s.add_erp(
        "Proseware, Inc.",
        ("1 Infinite Loop", "Cupertino", "CA", "95014", "US"),
        contact="Nora Lindqvist",
        phone="+1 415 555 0100 ext. 12",
        email="nora@proseware.com",
    )
    s.case(
        "erp", no, MAIN, "create", "", "", "PHONE_EXTENSION_DROPPED",
        "Sent as +14155550100; the extension 12 is dropped with a warning.",
    )  # fmt: skip
    first = s.add_erp(
        "Trey Research",
        ("800 Pike St", "Seattle", "WA", "98101", "US"),
        contact="Ken Myer",
        phone="(206) 555-0147",
        email="ken.myer@treyresearch.net",
    )
    second = s.add_erp(
        "Trey Research Labs",
        ("1301 5th Ave", "Seattle", "WA", "98101", "US"),
        contact="Kim Akers",
        phone="206.555.0147",
        email="kim.akers@treyresearch.net",
    )
    for no in (first, second):
        s.case(
            "erp", no, MAIN, "skip", "", "", "PHONE_DUPLICATE",
            "'(206) 555-0147' and '206.555.0147' are both +12065550147.",
        )  # fmt: skip


def province_export_cases(s: Sample) -> None:
    """County eligibility in code mode: unknown, too long, missing."""
    for county, state_city, zip_code, reasons, why in (
        ("Texas", "Dallas", "75201", "PROVINCE_UNKNOWN",
         "County 'Texas' is a name; county_source code accepts exact codes only (TX). A "
         "warning, as BC: exported without a province (Shopify refuses a wrong one)."),
        ("XX", "Dallas", "75202", "PROVINCE_UNKNOWN",
         "County 'XX' is no US province: exported without a province (warning)."),
        ("Massachusetts", "Boston", "02134", "COUNTY_TOO_LONG",
         "County 'Massachusetts' has 13 characters (> 10 in code mode); it cannot be resolved "
         "either (PROVINCE_UNKNOWN may also be reported)."),
        ("", "Boston", "02110", "PROVINCE_MISSING",
         "US customer with a blank county. Shopify accepts a US address without a province, so "
         "whether this blocks the export is open."),
    ):  # fmt: skip
        no = s.add_erp(
            f"County {county or 'blank'} Supplies",
            ("10 Main St", state_city, county, zip_code, "US"),
            contact="Morgan Lee",
            email=f"morgan.lee.{ascii_fold(county) or 'blank'}@example.com",
        )
        action = {"PROVINCE_MISSING": "", "COUNTY_TOO_LONG": "skip"}.get(reasons, "create")
        s.case("erp", no, MAIN, action, "", "", reasons, why)
    no = s.add_erp(
        "Yamada Trading",
        ("3-1 Umeda", "Osaka", "JP-99", "530-0001", "JP"),
        contact="Aiko Yamada",
        email="aiko@yamada-trading.example",
    )
    s.case(
        "erp", no, MAIN, "create", "", "", "PROVINCE_UNKNOWN",
        "JP-99 is no Japanese prefecture: exported without a province (warning).",
    )  # fmt: skip
    no = s.add_erp(
        "Rheinland Werkzeuge",
        ("Königsallee 12", "Düsseldorf", "Nordrhein-Westfalen", "40212", "DE"),
        contact="Jonas Becker",
        email="jonas@rheinland-werkzeuge.example",
    )
    s.case(
        "erp", no, MAIN, "create", "", "", "",
        "County 'Nordrhein-Westfalen' (19 characters) in DE, a country without provinces: not "
        "sent and no reason (BC looks the county up only where the country has provinces); "
        "not COUNTY_TOO_LONG, not PROVINCE_UNKNOWN.",
    )  # fmt: skip


def name_export_cases(s: Sample) -> None:
    """Names: formula-like text, splitting, the longest ERP name."""
    for name in ("=cmd|' /C calc'!A0", "+SUM(1)", "@foo", "-2+3"):
        slug = {"=": "eq", "+": "plus", "@": "at", "-": "minus"}[name[0]]
        no = s.add_erp(
            name,
            ("1 Formula Way", "Springfield", "IL", "62701", "US"),
            contact=name,
            email=f"formula.{slug}@example.com",
        )
        s.case(
            "erp", no, MAIN, "create", "", "", "",
            f"Name {name!r} is valid data; reports neutralise it (leading '{name[0]}').",
        )  # fmt: skip
    no = s.add_erp(
        "Annabel Ann",
        ("Hauptstraße 1", "Heidelberg", "", "69117", "DE"),
        email="annabel.ann@example.de",
    )
    s.case(
        "erp", no, MAIN, "create", "", "", "",
        "contact_source first_and_last_name: first 'Annabel', last 'Ann'.",
        values="first_name=Annabel;last_name=Ann",
    )  # fmt: skip
    s.case(
        "erp", no, BILL_TO, "create", "", "", "",
        "contact_source last_and_first_name: first 'Ann' (after the last space), last 'Annabel'. "
        "BC removes 'Ann' by substring and gets 'abel Ann'.",
        values="first_name=Ann;last_name=Annabel",
    )  # fmt: skip
    no = s.add_erp(
        "Van der Berg Interiors",
        ("Keizersgracht 500", "Amsterdam", "", "1017 EK", "NL"),
        contact="Mary Ann van der Berg",
        email="mary.ann@vanderberg.example",
    )
    s.case(
        "erp", no, MAIN, "create", "", "", "",
        "Contact 'Mary Ann van der Berg': first 'Mary', last 'Ann van der Berg'; company "
        "'Van der Berg Interiors' (name_source company_name).",
        values="first_name=Mary;last_name=Ann van der Berg;company=Van der Berg Interiors",
    )  # fmt: skip
    long_name = (
        "Consolidated Messenger Regional Logistics & Fulfilment Services for the "
        "Pacific Northwest Area Corp."
    )
    assert len(long_name) == 100, len(long_name)
    no = s.add_erp(
        long_name,
        ("2 Union Sq", "Seattle", "WA", "98101", "US"),
        contact="Terry Adams",
        email="terry.adams@consolidatedmessenger.com",
    )
    s.case(
        "erp", no, MAIN, "create", "", "", "",
        f"Name of {len(long_name)} characters (the ERP maximum) is within Shopify's 255.",
    )  # fmt: skip


def value_cases(s: Sample) -> None:
    """BC rules that change only the values written (checked through ``expect_values``)."""
    sid = s.add_customer(
        "Yaiza",
        "Santana",
        email="yaiza.santana@example.es",
        addresses=(
            s.address(
                ("Yaiza", "Santana"),
                ("Calle Triana 54", "Las Palmas de Gran Canaria", "GC", "35002", "ES"),
            ),
        ),
    )
    s.case(
        "shopify", sid, MAIN, "create", "none", "", "",
        "Tax-area row (ES, Las Palmas) with only a VAT business posting group (the Canary "
        "Islands are outside the EU's VAT area): the group EXPORT applies, no tax area code is "
        "written (BC sets each value the row holds).",
        values="vat_bus_posting_group=EXPORT;tax_area_code=;tax_liable=false",
    )  # fmt: skip
    sid = s.add_customer(
        "Imogen",
        "Clarke",
        email="imogen.clarke@example.co.uk",
        addresses=(
            s.address(
                ("Imogen", "Clarke"), ("27 Old Gloucester St", "London", None, "wc1n 3ax", "GB")
            ),
        ),
    )
    s.case(
        "shopify", sid, MAIN, "create", "none", "", "",
        "Shopify keeps a post code as typed ('wc1n 3ax'; a capture stores 'not-a-postal-code' "
        "verbatim): the import upper-cases it, as BC's Code field does.",
        values="post_code=WC1N 3AX",
    )  # fmt: skip
    first = s.address(
        ("Elsa", "Lindqvist"), ("Kungsportsavenyen 10", "Göteborg", None, "411 36", "SE")
    )
    second = s.address(("Elsa", "Lindqvist"), ("Bahnhofstrasse 12", "Basel", None, "4051", "CH"))
    sid = s.add_customer(
        "Elsa",
        "Lindqvist",
        email="elsa.lindqvist@example.se",
        addresses=(second, first),
        default=None,
    )
    s.case(
        "shopify", sid, MAIN, "create", "none", "", "",
        "No default address and the addresses listed out of id order (CH first): the lowest "
        "address id (SE) is used, as BC's FindFirst; template EU from the SE row.",
        values="country_code=SE;city=Göteborg;post_code=411 36",
    )  # fmt: skip
    no = s.add_erp(
        "Madonna",
        ("Sveavägen 20", "Stockholm", "", "111 57", "SE"),
        email="madonna@example.se",
    )
    s.case(
        "erp", no, MAIN, "create", "", "", "",
        "Single-word contact 'Madonna', contact_source first_and_last_name: first name "
        "'Madonna', last name blank.",
        values="first_name=Madonna;last_name=",
    )  # fmt: skip
    s.case(
        "erp", no, BILL_TO, "create", "", "", "",
        "Single-word contact 'Madonna', contact_source last_and_first_name: still the first "
        "name (BC), not the last.",
        values="first_name=Madonna;last_name=",
    )  # fmt: skip


# ----------------------------------------------------------------------------------------------
# Plain filler: people and companies that match or are created cleanly
# ----------------------------------------------------------------------------------------------

LOCALES = {
    # country: first names, last names, (city, province, zip, phone area) places, street names
    "US": (
        ["James", "Mary", "Robert", "Linda", "Michael", "Susan", "David", "Karen", "Daniel",
         "Nancy", "Paul", "Betty", "Steven", "Helen", "Kevin", "Laura", "Brian", "Amy", "Eric",
         "Rachel"],
        ["Johnson", "Williams", "Brown", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
         "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark", "Lewis",
         "Walker", "Young", "Allen"],
        [("Seattle", "WA", "98101", "206"), ("Portland", "OR", "97204", "503"),
         ("San Francisco", "CA", "94103", "415"), ("Chicago", "IL", "60601", "312"),
         ("Boston", "MA", "02116", "617"), ("Austin", "TX", "78701", "512"),
         ("New York", "NY", "10001", "212"), ("Miami", "FL", "33130", "305"),
         ("Denver", "CO", "80202", "720"), ("Nashville", "TN", "37203", "615")],
        ["Oak St", "Maple Ave", "Cedar Ln", "Pine St", "Elm St", "Lake Dr", "Hill Rd",
         "Park Ave", "River Rd", "Sunset Blvd"],
    ),
    "CA": (
        ["Olivia", "Noah", "Emma", "Liam", "Ava", "Lucas", "Mia", "Ethan"],
        ["Roy", "Côté", "Wong", "MacDonald", "Bouchard", "Singh", "Campbell", "Fraser"],
        [("Toronto", "ON", "M5V 2T6", "416"), ("Vancouver", "BC", "V6B 1A1", "604"),
         ("Montréal", "QC", "H2Y 1C6", "514"), ("Calgary", "AB", "T2P 1J9", "403")],
        ["Queen St W", "Granville St", "Rue Saint-Paul", "Stephen Ave"],
    ),
    "GB": (
        ["Harry", "Amelia", "George", "Isla", "Jack", "Poppy", "Thomas", "Sophie"],
        ["Evans", "Roberts", "Wright", "Walker", "Robinson", "Thompson", "Wood", "Hall"],
        [("London", None, "SW1A 1AA", "020 7946 0"), ("Manchester", None, "M1 1AE", "0161 496 0"),
         ("Leeds", None, "LS1 4DY", "0113 496 0"), ("Glasgow", None, "G1 1XQ", "0141 496 0")],
        ["High St", "Station Rd", "Church Ln", "Victoria Rd"],
    ),
    "DE": (
        ["Lukas", "Hannah", "Jonas", "Lea", "Leon", "Mia", "Paul", "Emilia"],
        ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Schulz"],
        [("Berlin", None, "10115", "030"), ("Hamburg", None, "20095", "040"),
         ("München", None, "80331", "089"), ("Köln", None, "50667", "0221")],
        ["Hauptstraße", "Gartenstraße", "Bahnhofstraße", "Lindenallee"],
    ),
    "FR": (
        ["Louis", "Jade", "Gabriel", "Louise", "Arthur", "Alice", "Jules", "Léa"],
        ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Moreau"],
        [("Paris", None, "75011", "01"), ("Lyon", None, "69003", "04"),
         ("Bordeaux", None, "33000", "05"), ("Nantes", None, "44000", "02")],
        ["Rue de la Paix", "Avenue Jean Jaurès", "Rue Victor Hugo", "Boulevard Voltaire"],
    ),
    "NL": (
        ["Daan", "Emma", "Sem", "Julia", "Lucas", "Tess", "Finn", "Zoë"],
        ["de Jong", "Jansen", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "Bos"],
        [("Amsterdam", None, "1012 JS", "020"), ("Rotterdam", None, "3011 AD", "010"),
         ("Utrecht", None, "3511 LX", "030"), ("Den Haag", None, "2511 CV", "070")],
        ["Kerkstraat", "Dorpsstraat", "Stationsweg", "Molenweg"],
    ),
    "EL": (
        ["Giorgos", "Katerina", "Kostas", "Sofia", "Yannis", "Despina"],
        ["Pappas", "Vlachos", "Angelopoulos", "Nikolaou", "Oikonomou", "Makris"],
        [("Athens", None, "106 82", "210"), ("Thessaloniki", None, "546 24", "2310")],
        ["Stadiou", "Egnatia", "Panepistimiou", "Akadimias"],
    ),
    "JP": (
        ["Ren", "Yuna", "Sota", "Hina", "Riku", "Aoi"],
        ["Suzuki", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura"],
        [("Shibuya-ku", "JP-13", "150-0002", "03"), ("Osaka", "JP-27", "530-0011", "06"),
         ("Yokohama", "JP-14", "220-0011", "045")],
        ["Dogenzaka 1-2", "Umeda 2-5", "Minatomirai 3-1", "Ginza 4-6"],
    ),
    "SE": (
        ["Elsa", "Oscar", "Maja", "William", "Alva", "Hugo"],
        ["Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson"],
        [("Stockholm", None, "111 20", "08"), ("Göteborg", None, "411 03", "031")],
        ["Storgatan", "Kungsgatan", "Vasagatan", "Sveavägen"],
    ),
}  # fmt: skip
COMPANY_WORDS = ["Atelier", "Studio", "Trading", "Supply", "Works", "Collective", "Goods"]
FILLER_MIX = ["US"] * 9 + ["CA", "GB", "GB", "DE", "DE", "FR", "NL", "EL", "JP", "SE"]


class Filler:
    """Unique people, addresses and phone numbers for the filler records."""

    def __init__(self, sample: Sample):
        self.s = sample
        self.used_names: set[tuple[str, str]] = set()
        self.used_phones: set[str] = set()
        self.used_tails: set[str] = set()  # last 8 digits: no accidental "same number" near miss
        self.used_emails: set[str] = set()
        self.count = 0
        for row in sample.erp:
            self.used_phones.add(e164(row["phone"], erp_iso(row["country_code"])) or row["phone"])
            self.used_tails.add(re.sub(r"\D", "", row["phone"])[-8:])
            self.used_emails.add(row["email"].strip().lower())
        for c in sample.customers:
            if c["defaultPhoneNumber"]:
                self.used_phones.add(c["defaultPhoneNumber"]["phoneNumber"])
                self.used_tails.add(c["defaultPhoneNumber"]["phoneNumber"][-8:])
            if c["defaultEmailAddress"]:
                self.used_emails.add(c["defaultEmailAddress"]["emailAddress"])
        for first, last in [(c["firstName"], c["lastName"]) for c in sample.customers]:
            self.used_names.add((first, last))

    def person(self) -> dict:
        """A new person: name, ERP country, address parts, national and E.164 phone."""
        rng = self.s.rng
        country = FILLER_MIX[self.count % len(FILLER_MIX)]
        self.count += 1
        firsts, lasts, places, streets = LOCALES[country]
        while True:
            first, last = rng.choice(firsts), rng.choice(lasts)
            if (first, last) not in self.used_names:
                self.used_names.add((first, last))
                break
        city, province, zip_code, area = rng.choice(places)
        iso = erp_iso(country)
        for _ in range(100):
            national = self._phone(iso, area)
            number = e164(national, iso)
            if number and number not in self.used_phones and number[-8:] not in self.used_tails:
                self.used_phones.add(number)
                self.used_tails.add(number[-8:])
                break
        else:
            raise AssertionError(f"no valid phone for {iso} {area}")
        return {
            "first": first,
            "last": last,
            "country": country,
            "iso": iso,
            "street": self._street(iso, streets),
            "city": city,
            "province": province,
            "zip": zip_code,
            "phone": national,
            "e164": number,
        }

    def _street(self, iso: str, streets: list[str]) -> str:
        number = self.s.rng.randrange(1, 240)
        name = self.s.rng.choice(streets)
        if iso == "JP":
            return name  # block and building numbers are part of the name
        if iso in ("US", "CA", "GB", "FR"):
            return f"{number} {name}"
        return f"{name} {number}"

    def _phone(self, iso: str, area: str) -> str:
        rng = self.s.rng
        if iso in ("US", "CA"):
            line = f"555-01{rng.randrange(100):02d}"
            return (f"({area}) {line}", f"{area}-{line}", f"{area}.{line.replace('-', '.')}")[
                rng.randrange(3)
            ]
        if iso == "GB":
            return f"{area}{rng.randrange(1000):03d}"
        digits = {"DE": 7, "FR": 8, "NL": 7, "GR": 10 - len(area), "JP": 10 - len(area), "SE": 7}
        body = str(rng.randrange(2 * 10 ** (digits[iso] - 1), 10 ** digits[iso]))
        if iso == "FR":
            return " ".join([area, *(body[i : i + 2] for i in range(0, 8, 2))])
        if iso == "JP":
            return f"{area}-{body[:-4]}-{body[-4:]}"
        return f"{area} {body}"

    def email(self, first: str, last: str, domain: str) -> str:
        base = f"{ascii_fold(first)}.{ascii_fold(last)}@{domain}"
        assert base not in self.used_emails, base
        self.used_emails.add(base)
        return base


def filler(s: Sample) -> None:
    """60 e-mail matches, 40 phone matches, 47 creates, 32 ERP-only customers (hand-made cases
    took the place of a few, so the record counts stay)."""
    f = Filler(s)
    for i in range(60):
        p = f.person()
        company = f"{p['last']} {COMPANY_WORDS[i % len(COMPANY_WORDS)]}" if i % 3 == 0 else ""
        email = f.email(p["first"], p["last"], ("example.com", "example.org", "example.net")[i % 3])
        s.add_erp(
            company or f"{p['first']} {p['last']}",
            (p["street"], p["city"], p["province"] or "", p["zip"], p["country"]),
            contact=f"{p['first']} {p['last']}",
            phone=p["phone"],
            email=email if i % 4 else email.title(),
        )
        sid = s.add_customer(
            p["first"],
            p["last"],
            email=email,
            phone=p["e164"] if i % 2 else None,
            addresses=(_filler_address(s, p, company or None),),
            tags=("newsletter",) if i % 5 == 0 else (),
        )
        s.filler[sid] = "email"
    for _ in range(40):
        p = f.person()
        s.add_erp(
            f"{p['first']} {p['last']}",
            (p["street"], p["city"], p["province"] or "", p["zip"], p["country"]),
            phone=p["phone"],
            email=f.email(p["first"], p["last"], "work.example"),
        )
        sid = s.add_customer(
            p["first"],
            p["last"],
            phone=p["e164"],
            addresses=(_filler_address(s, p, None),),
            tags=("sms",),
        )
        s.filler[sid] = "phone"
    for i in range(47):
        p = f.person()
        sid = s.add_customer(
            p["first"],
            p["last"],
            email=f.email(p["first"], p["last"], ("example.com", "example.org")[i % 2]),
            phone=p["e164"] if i % 3 else None,
            addresses=(_filler_address(s, p, None),),
            tags=("newsletter",) if i % 4 == 0 else (),
        )
        s.filler[sid] = "none"
    for i in range(32):
        p = f.person()
        company = f"{p['last']} {COMPANY_WORDS[i % len(COMPANY_WORDS)]}"
        s.add_erp(
            company if i % 2 else f"{p['first']} {p['last']}",
            (p["street"], p["city"], p["province"] or "", p["zip"], p["country"]),
            contact=f"{p['first']} {p['last']}",
            phone=p["phone"],
            email=f.email(p["first"], p["last"], "erp-only.example"),
        )
        s.erp_only += 1


def blocked_cases(s: Sample) -> None:
    """Blocked customers (BC's Blocked option): valid in every other way, never exported.
    Added after every other record, so the others keep their numbers."""
    for option, name, contact, email in (
        ("All", "Coho Winery", "Sam Abolrous", "sam@cohowinery.example"),
        ("Invoice", "Wingtip Toys", "Kim Akers", "kim@wingtiptoys.example"),
    ):
        no = s.add_erp(
            name,
            ("400 Pine St", "Portland", "OR", "97204", "US"),
            contact=contact,
            phone="(503) 555-01" + ("31" if option == "All" else "32"),
            email=email,
            blocked=option,
        )
        s.case(
            "erp", no, MAIN, "skip", "", "", "CUSTOMER_BLOCKED",
            f"Blocked {option} in the ERP: valid otherwise, but neither created, updated nor "
            "invited in Shopify.",
        )  # fmt: skip


def _filler_address(s: Sample, p: dict, company: str | None) -> dict:
    return s.address(
        (p["first"], p["last"]),
        (p["street"], p["city"], p["province"], p["zip"], p["iso"]),
        company=company,
        phone=p["e164"] if len(p["street"]) % 2 else None,
    )


# ----------------------------------------------------------------------------------------------
# Orders
# ----------------------------------------------------------------------------------------------


def order_cases(s: Sample, bill_to: dict[str, tuple[str, dict]]) -> None:
    """Customer resolution on orders: per-country default, fallbacks, guests, variants."""
    by_email = {
        (c["defaultEmailAddress"] or {}).get("emailAddress"): c["legacyResourceId"]
        for c in s.customers
    }

    # A customer found by e-mail, shipping to the US.
    patti = by_email["p1@contoso.com"]
    home = s.customer(patti)["addressesV2"]["nodes"][0]
    oid = s.add_order(patti, shipping=home, billing=home)
    s.case(
        "order", oid, MAIN, "link", "email", _no_for(s, "P1@Contoso.com"), "",
        "Order of a customer found by e-mail; sell-to = bill-to.",
    )  # fmt: skip

    # Shipping to Canada: the CA row's default customer, whatever the customer maps to.
    chloe = by_email["chloe.gagnon@example.ca"]
    home = s.customer(chloe)["addressesV2"]["nodes"][0]
    oid = s.add_order(chloe, shipping=home, billing=home)
    s.case(
        "order", oid, MAIN, "", "country_default", CANADA_CUSTOMER, "",
        "Ships to CA, whose per-country row has default_customer_no: sell-to and bill-to "
        f"{CANADA_CUSTOMER}; the customer is not mapped.",
    )  # fmt: skip
    oid = s.add_order(chloe, shipping=home, billing=home)
    s.case(
        "order", oid, IMPORT_NONE, "", "country_default", CANADA_CUSTOMER, "",
        "customer_import none: the per-country default for ship-to CA still comes first.",
    )  # fmt: skip
    _, emilie_address = bill_to["emilie"]
    grace_no, grace_address = bill_to["grace"]
    sid = by_email[_email_of(s, grace_no)]
    us_home = s.customer(sid)["addressesV2"]["nodes"][0]
    oid = s.add_order(sid, shipping=emilie_address, billing=us_home)
    s.case(
        "order", oid, MAIN, "", "country_default", CANADA_CUSTOMER, "",
        "Ships to Canada (another customer's address), billed in the US: the ship-to country "
        "decides.",
    )  # fmt: skip

    # Guests and POS.
    guest_address = s.address(
        ("Riley", "Quinn"),
        ("742 Evergreen Terrace", "Springfield", "OR", "97477", "US"),
        model="Address",
    )
    oid = s.add_order(
        None, shipping=guest_address, billing=guest_address, email="riley.quinn@example.com"
    )
    s.case(
        "order", oid, MAIN, "", "default_customer", DEFAULT_CUSTOMER, "",
        "Guest web order (no customer): the shop's default customer.",
    )  # fmt: skip
    oid = s.add_order(None, shipping=None, billing=None, source="pos")
    s.case(
        "order", oid, MAIN, "", "default_customer", DEFAULT_CUSTOMER, "",
        "POS sale without customer or address: the shop's default customer.",
    )  # fmt: skip
    oid_guest = s.add_order(
        None, shipping=guest_address, billing=guest_address, email="riley.quinn@example.com"
    )
    s.case(
        "order", oid_guest, NO_DEFAULT, "", "none", "", "NO_CUSTOMER",
        "Guest order with no default customer configured.",
    )  # fmt: skip
    oid = s.add_order(None, shipping=None, billing=None, source="pos")
    s.case(
        "order", oid, NO_DEFAULT, "", "none", "", "NO_CUSTOMER",
        "POS sale without customer, no default customer configured.",
    )  # fmt: skip

    # customer_import none: known customers' orders go to the shop default.
    oid = s.add_order(patti, shipping=home_of(s, patti), billing=home_of(s, patti))
    s.case(
        "order", oid, IMPORT_NONE, "", "default_customer", DEFAULT_CUSTOMER, "",
        "customer_import none: even a customer found by e-mail is not mapped; shop default.",
    )  # fmt: skip

    # Customers that cannot be created fall back to the shop default.
    walk_in = next(c for c in s.customers if c["lastName"] == "Customer 0166")["legacyResourceId"]
    oid = s.add_order(walk_in, shipping=None, billing=None, source="pos")
    s.case(
        "order", oid, MAIN, "skip", "bill_to_fallback", DEFAULT_CUSTOMER, "NO_ADDRESS",
        "POS customer without address cannot be created (sell-to action skip): the blank "
        "bill-to falls back to the shop default, the blank sell-to to the bill-to.",
    )  # fmt: skip
    valeria = by_email["valeria.hernandez@example.mx"]
    oid = s.add_order(valeria, shipping=home_of(s, valeria), billing=home_of(s, valeria))
    s.case(
        "order", oid, MAIN, "skip", "bill_to_fallback", DEFAULT_CUSTOMER, "TEMPLATE_INCOMPLETE",
        "Ships to MX (no per-country default); the customer cannot be created (MX-NEW "
        "incomplete), so the shop default is used.",
    )  # fmt: skip
    tobias = by_email["tobias.huber@example.at"]
    oid = s.add_order(tobias, shipping=home_of(s, tobias, 1), billing=home_of(s, tobias, 1))
    s.case(
        "order", oid, MAIN, "create", "none", "", "",
        "New customer arrives with an order: created from the default address (AT, template EU).",
    )  # fmt: skip
    fourth = by_email["orders@fourthcoffee.com"]
    oid = s.add_order(
        fourth,
        shipping=home_of(s, fourth),
        billing=home_of(s, fourth),
        source="shopify_draft_order",
    )
    s.case(
        "order", oid, MAIN, "link", "email", _no_for(s, "orders@fourthcoffee.com"), "",
        "Draft order (B2B) of a customer found by e-mail.",
    )  # fmt: skip

    # by_bill_to: sell-to from the display address, bill-to from the billing address.
    daniel_no, daniel_address = bill_to["daniel"]
    oid = s.add_order(sid, shipping=grace_address, billing=daniel_address)
    s.case(
        "order", oid, BILL_TO, "update", "bill_to", grace_no, "",
        f"Sell-to {grace_no} from the display (shipping) address; bill-to {daniel_no} from the "
        "billing address.",
    )  # fmt: skip
    oslo = s.address(
        ("Grace", "Park"),
        ("Karl Johans gate 31", "Oslo", None, "0162", "NO"),
        company="Park Design Studio",
        model="Address",
    )
    oid = s.add_order(sid, shipping=oslo, billing=daniel_address)
    s.case(
        "order", oid, BILL_TO, "skip", "bill_to_fallback", daniel_no, "NO_TEMPLATE",
        "Display address in NO matches no ERP customer and cannot be created (no template), so "
        f"sell-to falls back to the bill-to {daniel_no} (from the billing address).",
    )  # fmt: skip
    berlin = s.address(
        ("Grace", "Park"),
        ("Unter den Linden 77", "Berlin", None, "10117", "DE"),
        company="Park Design Studio",
        model="Address",
    )
    oid = s.add_order(sid, shipping=berlin, billing=daniel_address)
    s.case(
        "order", oid, BILL_TO, "create", "none", "", "",
        f"Display address in DE matches nobody: a sell-to customer is created (template EU); "
        f"bill-to {daniel_no} from the billing address.",
        daniel_no,
    )  # fmt: skip
    bc_order_cases(s, bill_to, by_email, guest_address)


def bc_order_cases(
    s: Sample, bill_to: dict[str, tuple[str, dict]], by_email: dict, guest_address: dict
) -> None:
    """Orders for BC's order-mapping rules: the mapping type, both-side fallbacks, own
    addresses, the empty-name rule, bill-to near misses, customer_import none with a row."""
    # The mapping type governs order customers: the bill-to customers' own orders.
    grace_no, grace_address = bill_to["grace"]
    for key, (no, address) in bill_to.items():
        sid = by_email[_email_of(s, no)]
        if key == "liam":  # billed in Canada, shipped to the US (CA has a default customer)
            oid = s.add_order(sid, shipping=grace_address, billing=address)
            s.case(
                "order", oid, BILL_TO, "update", "bill_to", grace_no, "NEAR_MISS",
                f"Sell-to {grace_no} from the display address. The billing address is a bill-to "
                f"near miss: seven fields equal {no}, address 2 'Unit 6' vs 'Unit 5' (the "
                "candidate names the field); the bill-to is created from the customer's own "
                "address.",
            )  # fmt: skip
            continue
        if address["countryCodeV2"] == "CA":
            continue  # orders shipped to Canada go to its per-country default customer
        oid = s.add_order(sid, shipping=address, billing=address)
        s.case(
            "order", oid, BILL_TO, "update", "bill_to", no, "",
            "by_bill_to on an order: exact on name (first and last), name 2 (company), address, "
            "address 2, post code, city, county (by name) and country (ERP EL = Shopify GR).",
            no,
        )  # fmt: skip
    for email, phone, rule in (
        ("orders@northwindtraders.com", None, "email"),
        (None, "+12535550119", "phone"),
    ):
        record = next(
            c for c in s.customers
            if (email and (c["defaultEmailAddress"] or {}).get("emailAddress") == email)
            or (phone and (c["defaultPhoneNumber"] or {}).get("phoneNumber") == phone)
        )  # fmt: skip
        sid = record["legacyResourceId"]
        home = home_of(s, sid)
        oid = s.add_order(sid, shipping=home, billing=home)
        no = _no_for(s, email) if email else _no_for_phone(s, phone)
        s.case(
            "order", oid, BILL_TO, "update", rule, no, "NAME_EMPTY_FALLBACK_EMAIL_PHONE",
            "Order address without first/last name or company: name and name 2 are both empty, "
            f"so by_bill_to falls back to e-mail/phone and finds the customer by {rule}.",
            no,
        )  # fmt: skip

    # A POS customer without any address of its own is not created from the order's address.
    walk_in = next(c for c in s.customers if c["lastName"] == "Customer 0166")["legacyResourceId"]
    oid = s.add_order(walk_in, shipping=guest_address, billing=guest_address)
    s.case(
        "order", oid, MAIN, "skip", "bill_to_fallback", DEFAULT_CUSTOMER, "NO_ADDRESS",
        "The customer has no address of its own (POS): it is not created from the order's "
        "addresses (BC creates from the customer's own addresses only); both sides fall back "
        "to the shop default.",
        DEFAULT_CUSTOMER,
    )  # fmt: skip

    # Filler customers under shop-bill-to-company.toml (name = company, name 2 none).
    with_company, without_company = [], []
    for legacy, rule in s.filler.items():
        node = home_of(s, legacy)
        if rule == "email":
            (with_company if node["company"] else without_company).append(legacy)
    sid = with_company[0]
    home = home_of(s, sid)
    no = _no_for(s, s.customer(sid)["defaultEmailAddress"]["emailAddress"])
    typo = dict(home, id=home["id"].replace("/9", "/8", 1), city=home["city"][:-1])
    oid = s.add_order(sid, shipping=home, billing=typo)
    s.case(
        "order", oid, BILL_TO_COMPANY, "link", "bill_to", no, "NEAR_MISS",
        f"Sell-to {no} by bill-to (name = company). The billing address has a city typo "
        f"('{typo['city']}'): a near miss naming the city; the shop has no default customer "
        "and creates nothing, so the blank bill-to takes the sell-to.",
        no,
    )  # fmt: skip
    sid = without_company[0]
    home = home_of(s, sid)
    no = _no_for(s, s.customer(sid)["defaultEmailAddress"]["emailAddress"])
    oid = s.add_order(sid, shipping=home, billing=home)
    s.case(
        "order", oid, BILL_TO_COMPANY, "link", "email", no, "NAME_EMPTY_FALLBACK_EMAIL_PHONE",
        "No company on the address: name (company) and name 2 (none) are empty, so by_bill_to "
        "falls back to e-mail; the contact (first and last name) does not count.",
        no,
    )  # fmt: skip

    # customer_import none with a per-country row without default customer: mapped.
    sid = next(legacy for legacy in without_company if home_of(s, legacy)["countryCodeV2"] in EU)
    home = home_of(s, sid)
    no = _no_for(s, s.customer(sid)["defaultEmailAddress"]["emailAddress"])
    oid = s.add_order(sid, shipping=home, billing=home)
    s.case(
        "order", oid, IMPORT_NONE, "link", "email", no, "",
        f"customer_import none, shipped to {home['countryCodeV2']}, whose per-country row has "
        "no default customer: BC pre-fills the shop default only when no row exists, so the "
        "customer is mapped (by e-mail); nothing is ever created.",
        no,
    )  # fmt: skip

    # Bill-to equality on the upper-cased post code (Shopify keeps the zip as typed).
    bill_to_no = s.add_erp(
        "Oliver Bennett",
        ("14 Bury Pl", "London", "", "WC1A 2JA", "GB"),
        name_2="Bennett & Co Bookbinders",
        email="accounts@bennett-bookbinders.example",
    )
    billing = s.address(
        ("Oliver", "Bennett"),
        ("14 Bury Pl", "London", None, "wc1a 2ja", "GB"),
        company="Bennett & Co Bookbinders",
        model="Address",
    )
    oid = s.add_order(by_email[_email_of(s, grace_no)], shipping=grace_address, billing=billing)
    s.case(
        "order", oid, BILL_TO, "update", "bill_to", grace_no, "",
        f"Billing post code 'wc1a 2ja' equals {bill_to_no}'s 'WC1A 2JA' once upper-cased (BC "
        f"compares the Code field as the import writes it): bill-to {bill_to_no}, no near miss.",
        bill_to_no,
    )  # fmt: skip


def home_of(s: Sample, legacy: str, index: int = 0) -> dict:
    return s.customer(legacy)["addressesV2"]["nodes"][index]


def _no_for(s: Sample, email: str) -> str:
    return next(r["no"] for r in s.erp if r["email"].strip().casefold() == email.casefold())


def _no_for_phone(s: Sample, phone: str) -> str:
    return next(r["no"] for r in s.erp if e164(r["phone"], erp_iso(r["country_code"])) == phone)


def _email_of(s: Sample, no: str) -> str:
    return next(r["email"] for r in s.erp if r["no"] == no)


def filler_orders(s: Sample, target: int = 100) -> None:
    """Plain orders of filler customers (shipped to their own address) and a few guests."""
    legacy_ids = list(s.filler)
    k = 0
    while len(s.orders) < target:
        if k % 11 == 10:
            address = s.address(
                ("Jordan", f"Guest{k}"),
                (f"{100 + k} Market St", "Seattle", "WA", "98101", "US"),
                model="Address",
            )
            s.add_order(None, shipping=address, billing=address, email=f"guest{k}@example.com")
        else:
            legacy = legacy_ids[(k * 7) % len(legacy_ids)]
            home = home_of(s, legacy)
            source = "pos" if k % 9 == 4 else "web"
            s.add_order(
                legacy, shipping=home if source == "web" else None, billing=home, source=source
            )
        k += 1


# ----------------------------------------------------------------------------------------------
# Configuration files
# ----------------------------------------------------------------------------------------------

TEMPLATES = [
    {"code": "WEB", "description": "Web shop customers (domestic)",
     "gen_bus_posting_group": "DOMESTIC", "vat_bus_posting_group": "DOMESTIC",
     "customer_posting_group": "DOMESTIC", "tax_liable": True, "payment_terms_code": "COD"},
    {"code": "EU", "description": "Consumers in the EU", "gen_bus_posting_group": "EU",
     "vat_bus_posting_group": "EU", "customer_posting_group": "FOREIGN",
     "payment_terms_code": "14 DAYS"},
    {"code": "EXPORT", "description": "Customers outside the EU and the US",
     "gen_bus_posting_group": "EXPORT", "vat_bus_posting_group": "EXPORT",
     "customer_posting_group": "FOREIGN", "payment_terms_code": "14 DAYS"},
    {"code": "MX-NEW", "description": "Mexico (set-up not finished: no customer posting group)",
     "gen_bus_posting_group": "EXPORT", "vat_bus_posting_group": "EXPORT",
     "customer_posting_group": "", "payment_terms_code": "COD"},
]  # fmt: skip
COUNTRY_ROWS = [
    {"iso_code": iso, "customer_template_code": "EU"}
    for iso in ("AT", "BE", "DE", "DK", "ES", "FR", "GR", "NL", "SE")
]
COUNTRY_ROWS += [
    {"iso_code": iso, "customer_template_code": "EXPORT"} for iso in ("CH", "GB", "JP")
]
COUNTRY_ROWS += [
    {"iso_code": "CA", "customer_template_code": "EXPORT", "default_customer_no": CANADA_CUSTOMER},
    {"iso_code": "MX", "customer_template_code": "MX-NEW"},
]
TAX_AREAS = [
    {"country": "US", "province": "California", "province_code": "CA",
     "tax_area_code": "CA-STATE", "tax_liable": True},
    {"country": "US", "province": "New York", "province_code": "NY", "tax_area_code": "NY-NYC",
     "tax_liable": True},
    {"country": "US", "province": "Oregon", "province_code": "OR", "tax_area_code": "OR-NOTAX",
     "tax_liable": False},
    {"country": "CA", "province": "Quebec", "province_code": "QC", "tax_area_code": "CA-QC",
     "tax_liable": True, "vat_bus_posting_group": "EXPORT-QC"},
    {"country": "GR", "province": "Attica", "province_code": "I", "tax_area_code": "GR-ATTICA",
     "vat_bus_posting_group": "EU"},
    # The Canary Islands are outside the EU's VAT area: a row with only a VAT group (BC rule).
    {"country": "ES", "province": "Las Palmas", "province_code": "GC",
     "vat_bus_posting_group": "EXPORT"},
]  # fmt: skip


def shop_settings(variant: str) -> dict:
    """The [shop] table of one config variant."""
    shop = {
        "code": "DEMO",
        "url": "http://127.0.0.1:8787",
        "customer_import": "all_customers",
        "mapping_type": "by_email_phone",
        "auto_create_unknown_customers": True,
        "shopify_can_update_customers": False,
        "can_update_shopify_customers": True,
        "export_customers": True,
        "send_invites": True,
        "customer_template_code": "WEB",
        "default_customer_no": DEFAULT_CUSTOMER,
        "name_source": "company_name",
        "name_2_source": "first_and_last_name",
        "contact_source": "first_and_last_name",
        "county_source": "code",
        "phone_match": "e164",
    }
    if variant == BILL_TO:
        shop.update(
            mapping_type="by_bill_to",
            shopify_can_update_customers=True,
            can_update_shopify_customers=False,
            customer_template_code="",
            name_source="first_and_last_name",
            name_2_source="company_name",
            contact_source="last_and_first_name",
            county_source="name",
        )
    elif variant == BC_PHONE:
        shop["phone_match"] = "bc"
    elif variant == NO_DEFAULT:
        shop["default_customer_no"] = ""
    elif variant == IMPORT_NONE:
        shop["customer_import"] = "none"
    elif variant == BILL_TO_COMPANY:
        shop.update(
            mapping_type="by_bill_to",
            auto_create_unknown_customers=False,
            default_customer_no="",
            name_source="company_name",
            name_2_source="none",
            contact_source="first_and_last_name",
        )
    return shop


CONFIG_HEADERS = {
    MAIN: "The sample shop: by_email_phone, auto-create on, ERP -> Shopify updates on.",
    BILL_TO: (
        "The sample shop with by_bill_to mapping. Names: name = first and last, name 2 = company,\n"
        "# contact = last and first; county holds province names. Shopify may update the ERP.\n"
        "# No shop template, and US gets a per-country row instead, so NO_TEMPLATE occurs for\n"
        "# countries without a row (NO, IT, XK...)."
    ),
    BC_PHONE: "shop.toml with phone_match = bc (BC's digit-subsequence phone rule).",
    NO_DEFAULT: "shop.toml without a default customer: guest orders are NO_CUSTOMER.",
    IMPORT_NONE: "shop.toml with customer_import = none: orders go to the default customer.",
    BILL_TO_COMPANY: (
        "shop.toml with by_bill_to mapping on company names (name = company, name 2 none),\n"
        "# no auto-create and no default customer: order sides fall back to each other."
    ),
}


def config_toml(variant: str) -> str:
    """One config variant as TOML in the format shopsync.settings parses."""
    lines = [f"# {CONFIG_HEADERS[variant]}", "# Generated by scripts/make_sample_data.py.", ""]
    lines += ["[shop]", *_toml_pairs(shop_settings(variant)), ""]
    lines += ["[company]", 'country_code = "US"', ""]
    lines += [
        "# ERP country codes that differ from ISO; every other ISO country exists as itself.",
        "[erp_countries]",
        'EL = "GR"  # the ERP calls Greece EL',
        'XK = ""    # Kosovo: the ERP has it, but there is no ISO 3166-1 code',
        "",
    ]
    for template in TEMPLATES:
        lines += ["[[templates]]", *_toml_pairs(template), ""]
    rows = list(COUNTRY_ROWS)
    if variant == BILL_TO:
        rows.append({"iso_code": "US", "customer_template_code": "WEB"})
    for row in rows:
        lines += ["[[countries]]", *_toml_pairs(row), ""]
    for row in TAX_AREAS:
        lines += ["[[tax_areas]]", *_toml_pairs(row), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _toml_pairs(table: dict) -> list[str]:
    out = []
    for key, value in table.items():
        if isinstance(value, bool):
            out.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, int):
            out.append(f"{key} = {value}")
        else:
            out.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    return out


# ----------------------------------------------------------------------------------------------
# Self-check: re-derive the e-mail / phone / bill-to outcomes from the records
# ----------------------------------------------------------------------------------------------


def _bc_phone_match(shopify_phone: str, erp_phone: str) -> bool:
    wanted = re.sub(r"\D", "", shopify_phone).lstrip("0")
    have = re.sub(r"\D", "", erp_phone)
    if not wanted or not have or have[-1] != wanted[-1]:
        return False
    position = 0
    for digit in wanted:
        position = have.find(digit, position) + 1
        if position == 0:
            return False
    return True


def _match(s: Sample, customer: dict, phone_mode: str = "e164", fold=str.lower) -> tuple:
    """(rule, customer no, tie) for by_email_phone, SPEC section 4 step 2."""
    email = (customer["defaultEmailAddress"] or {}).get("emailAddress")
    if email:
        hits = sorted(r["no"] for r in s.erp if fold(r["email"].strip()) == fold(email.strip()))
        if hits:
            return "email", hits[0], len(hits) > 1
    phone = (customer["defaultPhoneNumber"] or {}).get("phoneNumber")
    if phone:
        if phone_mode == "bc":
            hits = sorted(r["no"] for r in s.erp if _bc_phone_match(phone, r["phone"]))
        else:
            hits = sorted(
                r["no"] for r in s.erp if e164(r["phone"], erp_iso(r["country_code"])) == phone
            )
        if hits:
            return "phone", hits[0], len(hits) > 1
    return "none", "", False


def _bill_to_match(s: Sample, address: dict) -> list[str]:
    """ERP customers equal to the address on the eight bill-to fields (shop-bill-to.toml)."""
    name = f"{address['firstName'] or ''} {address['lastName'] or ''}".strip()
    wanted = (
        name,
        address["company"] or "",
        address["address1"] or "",
        address["address2"] or "",
        (address["zip"] or "").upper(),
        address["city"] or "",
        address["province"] or "",
        address["countryCodeV2"],
    )
    return sorted(
        r["no"]
        for r in s.erp
        if (
            r["name"],
            r["name_2"],
            r["address"],
            r["address_2"],
            r["post_code"].upper(),
            r["city"],
            r["county"],
            erp_iso(r["country_code"]),
        )
        == wanted
    )


def _near_misses(s: Sample, customer: dict) -> set[str]:
    """The brief's three near-miss triggers for an unmatched customer (shop.toml names)."""
    found = set()
    email = (customer["defaultEmailAddress"] or {}).get("emailAddress")
    if email and any(_one_edit_apart(email, r["email"].strip().lower()) for r in s.erp):
        found.add("email typo")
    phone = (customer["defaultPhoneNumber"] or {}).get("phoneNumber")
    if phone:
        subscriber = str(phonenumbers.parse(phone).national_number)
        for r in s.erp:
            digits = re.sub(r"\D", "", r["phone"])
            other = e164(r["phone"], erp_iso(r["country_code"]))
            if digits.endswith(subscriber[-8:]) and other != phone:
                found.add("phone digits")
    name = f"{customer['firstName'] or ''} {customer['lastName'] or ''}".strip()
    for node in customer["addressesV2"]["nodes"]:
        built = node["company"] or name
        if any(
            r["post_code"] == node["zip"]
            and built in (r["name"], r["contact"])
            and r["email"].strip().lower() != email
            for r in s.erp
        ):
            found.add("name and post code")
    return found


def _shopify_has(s: Sample, row: dict) -> bool:
    """Whether the export lookup (first listed e-mail, then phone) finds a Shopify customer."""
    email = re.split(r"[;,]", row["email"])[0].strip().lower().replace(" ", "")
    phone = e164(row["phone"], erp_iso(row["country_code"]))
    for c in s.customers:
        if email and (c["defaultEmailAddress"] or {}).get("emailAddress") == email:
            return True
        if phone and (c["defaultPhoneNumber"] or {}).get("phoneNumber") == phone:
            return True
    return False


def _one_edit_apart(a: str, b: str) -> bool:
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + (len(a) == len(b)) :] == b[i + 1 :]


def self_check(s: Sample) -> None:
    """Fail loudly when a record contradicts its case or a filler record would not be clean."""
    nos = [r["no"] for r in s.erp]
    assert len(nos) == len(set(nos)), "duplicate ERP no"
    emails = [(c["defaultEmailAddress"] or {}).get("emailAddress") for c in s.customers]
    emails = [e for e in emails if e]
    assert len({e.casefold() for e in emails}) == len(emails), "Shopify e-mails not unique"
    assert all(e == e.strip().lower() for e in emails), "Shopify e-mails not normalised"
    phones = [(c["defaultPhoneNumber"] or {}).get("phoneNumber") for c in s.customers]
    phones = [p for p in phones if p]
    assert len(set(phones)) == len(phones), "Shopify phones not unique"
    assert all(e164(p, "") == p for p in phones), "Shopify phone not valid E.164"

    by_id = {c["legacyResourceId"]: c for c in s.customers}
    for case in s.cases:
        if case["side"] != "shopify":
            continue
        customer = by_id[case["record"]]
        # a customer import maps by e-mail, then phone, whatever the mapping type
        mode = "bc" if case["config"] == BC_PHONE else "e164"
        rule, no, tie = _match(s, customer, mode)
        if case["expect_rule"] == "":
            assert _match(s, customer, mode, str.casefold)[1] == no, case
            continue
        assert rule == case["expect_rule"], (case, rule)
        assert no == case["expect_customer_no"], (case, no)
        assert tie == ("AMBIGUOUS" in case["expect_reasons"]), case
        if case["config"] == MAIN and rule == "none":
            near = _near_misses(s, customer)
            assert bool(near) == ("NEAR_MISS" in case["expect_reasons"]), (case, near)

    # Orders mapped by bill-to: the display address equals exactly that ERP customer.
    orders_by_id = {o["id"]: o for o in s.orders}
    for case in s.cases:
        if (
            case["side"] == "order"
            and case["expect_rule"] == "bill_to"
            and case["config"] == BILL_TO
        ):
            hits = _bill_to_match(s, orders_by_id[case["record"]]["displayAddress"])
            assert hits[:1] == [case["expect_customer_no"]], (case, hits)

    # Export: creates find nothing in Shopify; ALREADY_EXISTS ones do.
    erp_by_no = {r["no"]: r for r in s.erp}
    for case in s.cases:
        if case["side"] == "erp" and case["expect_action"] == "create":
            assert not _shopify_has(s, erp_by_no[case["record"]]), case
        if "ALREADY_EXISTS_IN_SHOPIFY" in case["expect_reasons"]:
            assert _shopify_has(s, erp_by_no[case["record"]]), case

    # Filler: clean matches and clean creates, no accidental near misses.
    for legacy, expected in s.filler.items():
        customer = by_id[legacy]
        rule, _, tie = _match(s, customer)
        assert (rule, tie) == (expected, False), (legacy, rule, expected)
        if expected != "none":
            continue
        assert not _near_misses(s, customer), legacy


# ----------------------------------------------------------------------------------------------
# Writers
# ----------------------------------------------------------------------------------------------

XLSX_TIME = datetime(2026, 11, 2, 9, 0)


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_xlsx(path: Path, rows: list[dict]) -> None:
    """BC-captioned Excel export; every cell is text; zip entries get a fixed timestamp."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Customer"
    wb.properties.creator = "shopsync sample data"
    wb.properties.created = XLSX_TIME
    wb.properties.modified = XLSX_TIME
    ws.append(BC_CAPTIONS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([row[c] for c in ERP_COLUMNS])
    for line in ws.iter_rows():
        for cell in line:
            cell.number_format = "@"
            cell.data_type = "s"
    raw = io.BytesIO()
    wb.save(raw)
    fixed = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-11-02T09:00:00Z", data
                )
            entry = zipfile.ZipInfo(info.filename, date_time=XLSX_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, data)
    path.write_bytes(fixed.getvalue())


def xlsx_selection(s: Sample) -> list[dict]:
    """~20 customers for the Excel export: awkward values first, then some filler."""
    wanted = {"Contoso Pharmaceuticals", "Fabrikam Nordic AB", "Optik Strauß GmbH", "Lena Weiß",
              "Oliver Bennett", "Nikos Georgiou", "Kallisti Foods", "+SUM(1)", "=cmd|' /C calc'!A0",
              "Litware, Inc.", "Dardania Trade LLC", "County Massachusetts Supplies",
              "Annabel Ann", "Web shop default customer", "Émilie Tremblay"}  # fmt: skip
    rows = [r for r in s.erp if r["name"] in wanted]
    rows += [r for r in s.erp if r["post_code"].startswith("0") and r not in rows][:2]
    rows += s.erp[-3:]
    return sorted(rows, key=lambda r: r["no"])


def main() -> int:
    s = Sample()
    default_customers(s)
    email_cases(s)
    phone_cases(s)
    pos_cases(s)
    template_cases(s)
    country_and_province_cases(s)
    truncation_cases(s)
    near_miss_cases(s)
    bill_to = bill_to_cases(s)
    email_export_cases(s)
    country_export_cases(s)
    phone_export_cases(s)
    province_export_cases(s)
    name_export_cases(s)
    value_cases(s)
    filler(s)
    order_cases(s, bill_to)
    filler_orders(s)
    blocked_cases(s)
    self_check(s)

    OUT.mkdir(parents=True, exist_ok=True)
    erp = sorted(s.erp, key=lambda r: r["no"])
    write_csv(OUT / "erp_customers.csv", ERP_COLUMNS, erp)
    write_xlsx(OUT / "erp_customers.xlsx", xlsx_selection(s))
    write_jsonl(OUT / "customers.jsonl", s.customers)
    write_jsonl(OUT / "orders.jsonl", s.orders)
    shop = {
        "plan": "standard",
        "customerAccountsVersion": "CLASSIC",
        "shipsToCountries": SHIPS_TO,
        "accessScopes": ["read_customers", "write_customers", "read_orders", "read_all_orders"],
    }
    (OUT / "shop.json").write_text(json.dumps(shop, indent=2) + "\n", encoding="utf-8")
    for variant in CONFIG_HEADERS:
        (OUT / variant).write_text(config_toml(variant), encoding="utf-8")
    write_csv(OUT / "cases.csv", CASE_COLUMNS, s.cases)
    (OUT / "README.md").write_text(readme(s), encoding="utf-8")
    counts = Counter(s.filler.values())
    print(
        f"{len(erp)} ERP customers, {len(s.customers)} Shopify customers, {len(s.orders)} orders, "
        f"{len(s.cases)} cases; filler matches {dict(counts)}"
    )
    return 0


REASONS = {
    "AMBIGUOUS_EMAIL": "import: several ERP customers have the e-mail; the lowest no is taken",
    "AMBIGUOUS_PHONE": "import: several ERP customers have the phone; the lowest no is taken",
    "NO_ADDRESS": "import: unmatched customer without address is not created",
    "NO_TEMPLATE": "import: no per-country template and no shop template",
    "TEMPLATE_INCOMPLETE": "import: the chosen template lacks a mandatory posting group",
    "COUNTRY_NOT_IN_ERP": "import: no ERP country has the address's ISO code",
    "PROVINCE_UNKNOWN": "import/export: the province cannot be resolved (warning: none is sent)",
    "VALUE_TRUNCATED": "import: a Shopify value is longer than the ERP field (warning)",
    "NEAR_MISS": "import/order: unmatched, but an ERP customer nearly matches (warning)",
    "NAME_EMPTY_FALLBACK_EMAIL_PHONE": "order, by_bill_to: empty names, e-mail/phone used",
    "NO_CUSTOMER": "order: no customer and no default customer",
    "EMAIL_MISSING": "export: blank e-mail",
    "EMAIL_INVALID": "export: Shopify would reject the e-mail",
    "EMAIL_LIST": "export: several addresses in the field, the first is sent (warning)",
    "EMAIL_DUPLICATE": "export: another ERP customer has the same normalised e-mail",
    "COUNTRY_NO_ISO": "export: the ERP country has no ISO code",
    "COUNTRY_UNKNOWN": "export: the ERP country code is in no table",
    "PHONE_INVALID": "export: not a dialable number for the customer's country",
    "PHONE_EXTENSION_DROPPED": "export: the extension is not sent (warning)",
    "PHONE_DUPLICATE": "export: another ERP customer has the same E.164 number",
    "COUNTY_TOO_LONG": "export, county_source code: county longer than 10 characters",
    "PROVINCE_MISSING": "export: blank county in a country whose addresses need a province",
    "ALREADY_EXISTS_IN_SHOPIFY": "export: the Shopify customer found is linked to another ERP no",
    "CUSTOMER_BLOCKED": "export: Blocked in the ERP (Ship, Invoice, All): not sent, not invited",
}

VARIANTS = {
    MAIN: "The sample shop (all settings listed in the file).",
    BILL_TO: (
        "mapping_type by_bill_to; name_source first_and_last_name, name_2_source company_name, "
        "contact_source last_and_first_name, county_source name; shopify_can_update_customers "
        "true (so matches are updates; can_update_shopify_customers false, they exclude each "
        "other); no shop template and an extra US row, so NO_TEMPLATE occurs for countries "
        "without a row."
    ),
    BC_PHONE: "phone_match bc: BC's digit-subsequence phone rule, for the e164 vs bc cases.",
    NO_DEFAULT: "default_customer_no blank: guest and POS orders become NO_CUSTOMER.",
    IMPORT_NONE: (
        "customer_import none: orders go to the default customer, unless the ship-to country "
        "has a per-country row (then the customer is mapped, never created)."
    ),
    BILL_TO_COMPANY: (
        "mapping_type by_bill_to; name_source company_name, name_2_source none, contact_source "
        "first_and_last_name; auto_create_unknown_customers false; default_customer_no blank "
        "(a blank bill-to takes the sell-to and back)."
    ),
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def readme(s: Sample) -> str:
    """data/sample/README.md: the files, their columns, the config variants and every case."""
    filler = Counter(s.filler.values())
    states = Counter(c["state"] for c in s.customers)
    no_address = sum(1 for c in s.customers if not c["addressesV2"]["nodes"])
    no_default = sum(
        1 for c in s.customers if c["addressesV2"]["nodes"] and c["defaultAddress"] is None
    )
    sources = Counter(o["sourceName"] for o in s.orders)
    guests = sum(1 for o in s.orders if o["customer"] is None)
    xlsx = len(xlsx_selection(s))
    linked = [
        f"{c['record']} -> {c['expect_customer_no']}"
        for c in s.cases
        if c["side"] == "shopify" and c["config"] == MAIN and c["expect_action"] == "link"
    ]
    lines = [
        "# Sample data",
        "",
        "Hand-made data for the demo, the notebooks and the tests. **Generated**: edit",
        "`scripts/make_sample_data.py` and run `.venv/bin/python scripts/make_sample_data.py`;",
        "the script is deterministic (fixed seed, fixed 2026 timestamps) and re-running it",
        "reproduces every file byte for byte. It also re-derives the e-mail, phone and bill-to",
        "outcome of every case from the raw records and stops if one disagrees.",
        "",
        "## Files",
        "",
        "| file | what |",
        "|---|---|",
        f"| `erp_customers.csv` | {len(s.erp)} ERP customers (UTF-8, header, `\\n` line ends) |",
        f"| `erp_customers.xlsx` | {xlsx} of the same customers as Business Central exports them |",
        f"| `customers.jsonl` | {len(s.customers)} Shopify customers, one `Customer` a line |",
        f"| `orders.jsonl` | {len(s.orders)} Shopify orders, one a line |",
        "| `shop.json` | the emulator's shop: plan, customer accounts version, ship-to countries |",
        "| `shop.toml` and variants | shop configs in the format `shopsync.settings` loads |",
        f"| `cases.csv` | {len(s.cases)} hand-made cases with their expected outcome |",
        "",
        "### erp_customers.csv",
        "",
        "Columns: " + ", ".join(f"`{c}`" for c in ERP_COLUMNS) + ".",
        "All values are text: `no` like `C00010` (hand-made cases from C00010, filler after",
        f"them, the default customers {DEFAULT_CUSTOMER} and {CANADA_CUSTOMER}), `tax_liable` is",
        "`true`/`false`, post codes keep leading zeros (`02134`). `country_code` is the ERP's own",
        "code: ISO except Greece = `EL`, Kosovo = `XK` (no ISO code), one `ZZ` (in no table) and",
        "one blank (company country US). `county` holds province codes (`WA`, `ON`, `JP-13`,",
        "`AGS`) for shop.toml's county_source code, except the bill-to customers, which hold",
        "names (`Ontario`, `California`) for shop-bill-to.toml's county_source name (so",
        "shop.toml's export validation reports PROVINCE_UNKNOWN or COUNTY_TOO_LONG for them).",
        "Values are raw: e-mails with spaces around them, e-mail lists, phones in national",
        "formats, names that look like spreadsheet formulas. Posting groups: DOMESTIC (US), EU,",
        "EXPORT. `blocked` is BC's Blocked option: blank for all but the last two customers",
        "(`All`, `Invoice`: CUSTOMER_BLOCKED).",
        "",
        "### erp_customers.xlsx",
        "",
        "Sheet `Customer`, Business Central's captions: "
        + ", ".join(f"`{c}`" for c in BC_CAPTIONS)
        + ". Every cell is a text cell (format `@`), values identical to the CSV rows of the",
        "same `No.` (so `02134` keeps its zero and `Tax Liable` is `true`/`false`).",
        "",
        "### customers.jsonl",
        "",
        "Shopify's own stored records (Admin API 2026-07 shape): `id`",
        "(`gid://shopify/Customer/<legacyResourceId>`), `legacyResourceId`, `firstName`,",
        "`lastName`, `defaultEmailAddress` (`{emailAddress}` or null), `defaultPhoneNumber`",
        "(`{phoneNumber}` in E.164 or null), `state`, `tags` (sorted), `note`, `verifiedEmail`,",
        "`taxExempt`, `createdAt`, `updatedAt`, `defaultAddress` (`{id}` or null),",
        "`addressesV2.nodes` (`id` `gid://shopify/MailingAddress/<n>?model_name=CustomerAddress`,",
        "`firstName`, `lastName`, `company`, `address1`, `address2`, `zip`, `city`,",
        "`countryCodeV2`, `country`, `provinceCode`, `province`, `phone`). They obey Shopify's",
        "rules: e-mails unique and normalised (trimmed, lower case), phones valid E.164 and",
        "unique, province codes and names from Shopify's zone list (`data/reference/`).",
        f"States: {dict(sorted(states.items()))}; {no_address} customers have no address",
        f"(POS sign-ups); {no_default} have addresses but `defaultAddress` null.",
        "",
        "### orders.jsonl",
        "",
        "`id` (`gid://shopify/Order/<n>`), `name` (`#1001`...), `createdAt`, `customer` (`{id}`",
        "or null for guests and POS sales), `email`, `phone`, `billingAddress`,",
        "`shippingAddress`, `displayAddress` (address objects as above, ids with",
        "`?model_name=Address`, or null), `sourceName`. Sources: "
        + ", ".join(f"{k} {v}" for k, v in sorted(sources.items()))
        + f"; {guests} orders have no customer. `displayAddress` is the shipping address, else",
        "the billing address.",
        "",
        "### shop.json",
        "",
        "`plan` standard (2,000-point bucket), `customerAccountsVersion` CLASSIC (invites work),",
        "`shipsToCountries` (the province table is initialised from these countries' zones;",
        "IT is deliberately missing), `accessScopes` with `read_all_orders` (the orders are",
        "older than the 60 days Shopify serves without it).",
        "",
        "## Config variants",
        "",
        "Every variant is shop.toml with the changes listed; all load with",
        "`shopsync.settings.load_config`. Shared content: company country US; `[erp_countries]`",
        'EL = GR and XK = "" (ERP code without ISO code); templates WEB (shop template), EU,',
        "EXPORT and MX-NEW (incomplete: no customer posting group); per-country rows EU for",
        "AT BE DE DK ES FR GR NL SE, EXPORT for CH GB JP, CA = EXPORT with default customer",
        f"{CANADA_CUSTOMER} (orders shipped to Canada), MX = MX-NEW; tax areas US California",
        "(CA-STATE, liable), New York (NY-NYC, liable), Oregon (OR-NOTAX, not liable), CA Quebec",
        "(CA-QC, VAT bus. posting group EXPORT-QC), GR Attica (province code I, GR-ATTICA, VAT",
        "bus. posting group EU; Shopify has no Greek zones, so only ERP counties can use it),",
        "ES Las Palmas (province code GC, only a VAT bus. posting group: EXPORT).",
        "",
        "| file | differs from shop.toml |",
        "|---|---|",
        *(f"| `{name}` | {text} |" for name, text in VARIANTS.items()),
        "",
        "## cases.csv",
        "",
        "Columns: " + ", ".join(f"`{c}`" for c in CASE_COLUMNS) + ".",
        "",
        "- `side`: `shopify` (a customer in customers.jsonl is imported; `record` = its",
        "  `legacyResourceId`), `erp` (an ERP customer's export eligibility; `record` = its `no`),",
        "  `order` (an order's customer resolution; `record` = the order's `id`).",
        "- `config`: the config file in this folder the case runs under.",
        "- `expect_action`: shopify side link / update / create / skip / unchanged; erp side",
        "  create / skip; order side the action on the order's Shopify customer for the sell-to",
        "  (link / update / create / skip), blank when no customer is mapped (default customers,",
        "  NO_CUSTOMER).",
        "- `expect_rule`: existing_link / email / phone / bill_to / default_customer / none. For",
        "  orders, how the sell-to customer was found: email / phone / bill_to (mapped),",
        "  country_default (the ship-to country's default customer), default_customer (the shop",
        "  default), bill_to_fallback (sell-to blank, so it took the bill-to), none. A customer",
        "  import maps by link, e-mail, phone whatever `mapping_type` (BC); `bill_to` and the",
        "  name fallback occur on orders only.",
        "- `expect_customer_no`: shopify side the ERP customer matched; order side the sell-to",
        "  customer (the explanation names a different bill-to); erp side the *other* ERP customer",
        "  holding the Shopify link (ALREADY_EXISTS_IN_SHOPIFY; the export plan's message names",
        "  it).",
        "- `expect_reasons`: reason codes that must be reported, sorted, `;`-joined; blank = none",
        "  required. Filler records and cases without NEAR_MISS are built so no near miss exists.",
        "- `expect_bill_to_customer_no`: order side, the bill-to customer (blank: not checked).",
        "- `expect_values`: `field=value;field=value`, values the preview row must show exactly",
        "  (`field=` expects a blank; booleans `true`/`false`; blank column: none checked). The",
        "  shopify side checks the ERP values the import writes (`vat_bus_posting_group` is the",
        "  preview's `erp_vat_bus_posting_group`, also `post_code`, `country_code`, `city`...);",
        "  the erp side the export plan's fields (`first_name`, `last_name`, `company`,",
        "  `province_code`...). For the rules that change only the values written.",
        "- A blank action, rule or customer means SPEC.md does not determine it (the",
        "  explanation says why); it is not an expectation of blankness.",
        "- Export (`erp`) cases describe a fresh store without links unless the explanation says",
        "  the import's link is needed (ALREADY_EXISTS_IN_SHOPIFY). The export side is",
        "  `shopsync.jobs.validate_export`, which shows the one export planner",
        "  (`shopsync.export_plan.plan_export`) a sync run applies: its ALREADY_EXISTS_IN_SHOPIFY",
        "  and link decisions are the run's.",
        "",
        "### Reason codes",
        "",
        "| code | meaning |",
        "|---|---|",
        *(f"| `{code}` | {text} |" for code, text in REASONS.items()),
        "",
        "### The cases",
        "",
        "| side | record | config | action | rule | customer | reasons | values "
        "| what it demonstrates |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in s.cases:
        record = c["record"].removeprefix("gid://shopify/Order/")
        record = f"order {record}" if c["side"] == "order" else record
        lines.append(
            f"| {c['side']} | {record} | {c['config']} | {c['expect_action']} | "
            f"{c['expect_rule']} | {c['expect_customer_no']} | "
            f"{c['expect_reasons'].replace(';', ', ')} | "
            f"{_cell(c['expect_values'].replace(';', '; '))} | {_cell(c['explanation'])} |"
        )
    lines += [
        "",
        "## Two-run cases (links live in the store, not in these files)",
        "",
        "`existing_link` and `unchanged` need a first run that wrote links. Recipe for tests:",
        "run the shop.toml import once and apply it, then run it again without touching the",
        "files:",
        "",
        "- every Shopify customer linked or created in run 1 maps by `existing_link` to the same",
        "  ERP customer, and its action is `unchanged` (its `updatedAt` is not newer than our",
        "  copy; nothing is written). E.g. "
        + ", ".join(linked[:4])
        + " (Shopify legacy id -> ERP no).",
        "- customers skipped in run 1 (NO_ADDRESS, TEMPLATE_INCOMPLETE...) are skipped again with",
        "  the same reason if they are retried (SPEC retries *failed* records; whether a skip",
        "  counts as failed is open).",
        "- delete an ERP customer that run 1 linked (e.g. C00010): the link is cleared and",
        "  discovery runs again (for C00010's Shopify customer: no e-mail or phone match is left,",
        "  so it is created).",
        "- run shop-bill-to.toml twice (shopify_can_update_customers true), then change a linked",
        "  customer's name and bump its `updatedAt`: the ERP customer is updated, rule",
        "  existing_link.",
        '- `customer_import = "with_order_import"` with `shopify_can_update_customers`',
        "  refreshes every customer the store's mirror already knows, linked or not (BC; SPEC 4),",
        "  and skips the others (IMPORT_WITH_ORDERS) until an order brings them. The mirror lives",
        "  in the store, so the manifest cannot express it (a preview starts without one):",
        "  `tests/test_sync_modes.py::"
        "test_with_order_import_refreshes_every_known_customer_linked_or_not`",
        "  seeds the mirror with 7401234500000 and syncs: that customer links to C00010, the rest",
        "  wait.",
        "",
        "## Open points (SPEC.md does not decide; the rules engineer must)",
        "",
        '- `[erp_countries] EL = "GR"`: with every pycountry country seeded as code = ISO, ISO',
        "  GR has two ERP countries (GR and EL). The cases assume EL replaces GR (created Greek",
        "  customers get `EL`).",
        "- e-mail comparison with `lower()` or `casefold()` (ß vs ss): the Lena Weiß case links",
        "  the same customer either way; only the rule differs.",
        "- COUNTRY_NOT_IN_ERP and import-side PROVINCE_UNKNOWN: reported, but whether the",
        "  customer is still created is open (action blank).",
        "- PROVINCE_MISSING: a warning or a blocker (Shopify accepts US addresses without one).",
        "- AMBIGUOUS_PHONE takes the lowest no by analogy with e-mail ties.",
        "- Decided: an import update never blanks the ERP name (BC would, from an address",
        "  without names); it writes only what Shopify supplies (SPEC 4).",
        "",
        "## Filler",
        "",
        f"Plain records around the cases: {filler['email']} Shopify customers that match an ERP",
        "customer by e-mail (a quarter of those ERP e-mails in Title Case),",
        f"{filler['phone']} that match by phone only (phone-only sign-ups; the ERP customer has a",
        f"work e-mail), {filler['none']} that are created (no ERP customer, no near miss), and",
        f"{s.erp_only} ERP-only customers that export as creates. Countries:",
        "mostly US, then GB, DE, CA, FR, NL, GR (ERP EL), JP, SE; phones in each country's",
        "national format (US/CA fictional 555-01xx, GB Ofcom drama numbers). Under shop.toml",
        "every filler record is clean; other variants are only exercised through the cases (e.g.",
        "under shop-bill-to.toml, county_source name, the filler counties hold codes such as `WA`",
        "and export validation reports them PROVINCE_UNKNOWN).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
