"""Deterministic, vectorised benchmark data: Shopify customers and ERP customers with planted
matches.

``generate(n)`` returns ``n`` Shopify customers (one or two addresses each) and ``n`` ERP
customers:

* 60 % of the Shopify customers share an ERP customer's e-mail (the ERP side in another case
  or with outer spaces), so they match by e-mail;
* 20 % match only by phone: the ERP phone is written in a national (sometimes international,
  sometimes with an extension) format of the ERP customer's country, the Shopify phone is
  E.164, the e-mails differ;
* 20 % are new (their e-mail and phone appear nowhere in the ERP).

The remaining 20 % of the ERP rows are ERP-only customers; they carry the noise: blank and
invalid phones, phones shared with another ERP customer (about 10 % of all ERP phones are not
distinct), duplicate e-mails (1 % of the rows, copying a planted e-mail in another case, which
makes those Shopify customers' e-mail matches ambiguous but still e-mail matches), invalid
e-mails (1 %) and ``a@x.com;b@x.com`` lists (1 %).

Every phone is built from a number range that ``phonenumbers`` accepts as valid (checked in
``tests/test_benchmarks.py``); distinct people get distinct numbers through a bijection of
each range, so no match is planted by accident. Everything is drawn from one
``numpy.random.Generator`` with a fixed seed: the same ``(n, seed)`` gives identical frames.

No cache is written unless pyarrow is importable (parquet in ``benchmarks/.data``).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from shopsync.schema import ADDRESS_COLUMNS, CUSTOMER_COLUMNS, ERP_COLUMNS
from shopsync.shopify_io import ShopifyCustomers

__all__ = [
    "COUNTRIES",
    "ERP_COUNTRY_CODES",
    "Dataset",
    "generate",
    "generate_cached",
    "phone_templates",
]

CACHE_DIR = Path(__file__).resolve().parent / ".data"

# share of Shopify customers per planted category
EMAIL_SHARE, PHONE_SHARE = 0.60, 0.20

# ISO country -> (weight, calling code, ERP country code)
COUNTRIES: dict[str, tuple[float, str, str]] = {
    "US": (0.30, "1", "US"),
    "GB": (0.10, "44", "GB"),
    "DE": (0.10, "49", "DE"),
    "FR": (0.08, "33", "FR"),
    "NL": (0.06, "31", "NL"),
    "BE": (0.04, "32", "BE"),
    "ES": (0.06, "34", "ES"),
    "IT": (0.06, "39", "IT"),
    "JP": (0.04, "81", "JP"),
    "AU": (0.05, "61", "AU"),
    "CA": (0.07, "1", "CA"),
    "GR": (0.04, "30", "EL"),
}
ERP_COUNTRY_CODES = {iso: spec[2] for iso, spec in COUNTRIES.items()}
COUNTRY_NAMES = {
    "US": "United States",
    "GB": "United Kingdom",
    "DE": "Germany",
    "FR": "France",
    "NL": "Netherlands",
    "BE": "Belgium",
    "ES": "Spain",
    "IT": "Italy",
    "JP": "Japan",
    "AU": "Australia",
    "CA": "Canada",
    "GR": "Greece",
}


@dataclass(frozen=True)
class _Template:
    """A valid number range: national significant number = prefix + subscriber digits.

    ``national`` patterns write the number as people do in that country ('X' consumes the
    next NSN digit, everything else is literal, e.g. a trunk '0'); ``international`` ones
    start with '+'.
    """

    iso: str
    prefixes: tuple[str, ...]
    digits: int  # subscriber digits after the prefix
    national: tuple[str, ...]
    international: tuple[str, ...]
    low: int = 0  # subscriber range [low, 10**digits)


_US_AREAS = ("415", "212", "312", "617", "206", "303", "512", "404", "305", "702", "213", "646")
_CA_AREAS = ("416", "604", "514", "613", "403", "780", "902", "647")
_NANP_NATIONAL = ("(XXX) XXX-XXXX", "XXX.XXX.XXXX", "XXX-XXX-XXXX", "1-XXX-XXX-XXXX")
_NANP_INTERNATIONAL = ("+1 XXX-XXX-XXXX", "+1XXXXXXXXXX")

TEMPLATES: tuple[_Template, ...] = (
    # NANP: exchange 200-999 (N11 and 555 handled by the range check in the tests)
    _Template("US", _US_AREAS, 7, _NANP_NATIONAL, _NANP_INTERNATIONAL, low=2_000_000),
    _Template("CA", _CA_AREAS, 7, _NANP_NATIONAL, _NANP_INTERNATIONAL, low=2_000_000),
    _Template("GB", ("207",), 7, ("0XX XXXX XXXX", "(0XX) XXXX XXXX"), ("+44 XX XXXX XXXX",)),
    _Template(
        "GB",
        ("7400", "7412", "7507", "7723", "7825", "7971"),
        6,
        ("0XXXX XXXXXX",),
        ("+44 XXXX XXXXXX",),
    ),
    _Template("DE", ("30", "89", "40"), 7, ("0XX XXXXXXX", "0XX/XXXXXXX"), ("+49 XX XXXXXXX",)),
    _Template("DE", ("151", "160", "176"), 8, ("0XXX XXXXXXXX",), ("+49 XXX XXXXXXXX",)),
    _Template(
        "FR",
        ("10", "14", "15", "20", "24", "32", "35", "42", "47", "53", "55"),
        7,
        ("0X XX XX XX XX", "0X.XX.XX.XX.XX", "0XXXXXXXXX"),
        ("+33 X XX XX XX XX",),
    ),
    _Template(
        "FR",
        ("60", "61", "62", "64", "65", "66", "67", "68"),
        7,
        ("0X XX XX XX XX", "0X.XX.XX.XX.XX"),
        ("+33 X XX XX XX XX",),
    ),
    _Template(
        "NL", ("61", "62", "63", "64", "65"), 7, ("0X XXXXXXXX", "0X-XXXXXXXX"), ("+31 X XXXXXXXX",)
    ),
    _Template("NL", ("20",), 7, ("0XX XXXXXXX", "0XX-XXX XX XX"), ("+31 XX XXX XXXX",)),
    _Template(
        "BE",
        ("470", "472", "475", "477", "478", "484", "486", "494", "496", "498"),
        6,
        ("0XXX XX XX XX", "0XXX/XX.XX.XX"),
        ("+32 XXX XX XX XX",),
    ),
    _Template("BE", ("22", "25", "26", "27"), 6, ("0X XXX XX XX",), ("+32 X XXX XX XX",)),
    _Template("ES", ("6",), 8, ("XXX XX XX XX", "XXX XXX XXX"), ("+34 XXX XXX XXX",)),
    _Template(
        "ES", ("910", "912", "915", "917", "933"), 6, ("XXX XX XX XX",), ("+34 XXX XXX XXX",)
    ),
    _Template("IT", ("06",), 8, ("XX XXXX XXXX", "XX-XXXXXXXX"), ("+39 XX XXXX XXXX",)),
    _Template(
        "IT",
        ("320", "328", "333", "339", "340", "347", "348", "349", "366", "380", "393"),
        7,
        ("XXX XXX XXXX", "XXX XXXXXXX"),
        ("+39 XXX XXX XXXX",),
    ),
    _Template(
        "JP", ("33", "35", "36", "37"), 7, ("0X-XXXX-XXXX", "0X XXXX XXXX"), ("+81 X-XXXX-XXXX",)
    ),
    _Template(
        "JP",
        ("901", "902", "903", "905", "908", "801", "802", "805", "701"),
        7,
        ("0XX-XXXX-XXXX",),
        ("+81 XX-XXXX-XXXX",),
    ),
    _Template(
        "AU", ("40", "41", "42", "43"), 7, ("0XXX XXX XXX", "0XXXXXXXXX"), ("+61 XXX XXX XXX",)
    ),
    _Template("AU", ("29",), 7, ("(0X) XXXX XXXX", "0X XXXX XXXX"), ("+61 X XXXX XXXX",)),
    _Template("GR", ("210", "211"), 7, ("XXX XXX XXXX", "XXX XXXXXXX"), ("+30 XXX XXX XXXX",)),
    _Template(
        "GR", ("690", "693", "694", "697", "698"), 7, ("XXX XXX XXXX",), ("+30 XXX XXX XXXX",)
    ),
)

# fmt: off
_FIRST = [
    "Ann", "John", "Maria", "Peter", "Sophie", "Lucas", "Emma", "Noah", "Olivia", "Liam",
    "Mia", "Elias", "Giulia", "Marco", "Chloé", "Léa", "José", "Yuki", "Haruto", "Sakura",
    "Eleni", "Nikos", "Daan", "Femke", "Jan", "Anke", "Thomas", "Laura", "Hugo", "Inès",
    "Oliver", "Charlotte", "James", "Amelia", "William", "Isla", "Jack", "Grace", "Mateo",
    "Lucía", "Sofia", "Luca", "Ava", "Ethan", "Zoë", "Björn",
]
_LAST = [
    "Lee", "Smith", "Müller", "Schmidt", "Martin", "Bernard", "Rossi", "Russo", "García",
    "López", "Jansen", "de_Vries", "Peeters", "Dubois", "Tanaka", "Suzuki", "Papadopoulos",
    "Georgiou", "Brown", "Wilson", "Taylor", "Johnson", "Williams", "Jones", "Fernández",
    "Romano", "Ferrari", "Weber", "Fischer", "Moreau", "Laurent", "Sato", "Watanabe",
    "Nikolaidis", "O'Brien", "Murphy", "Tremblay", "Roy", "Gagnon", "Kelly", "Walsh",
    "van_Dijk", "Bakker", "Maes", "Jacobs", "Colombo", "Ricci", "Novak",
]
# fmt: on
_LAST = [name.replace("_", " ") for name in _LAST]
# fmt: off
_COMPANIES = [
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Wonka",
    "Tyrell", "Cyberdyne", "Soylent", "Aperture", "Gringotts", "Oceanic", "Monarch",
    "Nakatomi", "Dunder", "Prestige", "Sterling",
]
# fmt: on
_COMPANY_SUFFIX = {
    "US": " Inc.",
    "GB": " Ltd",
    "DE": " GmbH",
    "FR": " SARL",
    "NL": " B.V.",
    "BE": " BV",
    "ES": " S.L.",
    "IT": " S.r.l.",
    "JP": " K.K.",
    "AU": " Pty Ltd",
    "CA": " Inc.",
    "GR": " A.E.",
}
# fmt: off
_MAIL_DOMAINS = [
    "gmail.com", "yahoo.com", "outlook.com", "hotmail.co.uk", "web.de", "orange.fr",
    "libero.it", "ziggo.nl", "telenet.be", "yahoo.co.jp", "bigpond.com.au", "otenet.gr",
    "icloud.com", "proton.me", "gmx.de",
]
# fmt: on
_WORK_DOMAINS = ["acme-corp.com", "globex.example", "initech.io", "hooli.biz", "stark-ind.com"]
# fmt: off
_STREETS = [
    "Main St", "High Street", "Hauptstraße 1", "Rue de la Paix", "Kerkstraat",
    "Calle Mayor", "Via Roma", "Chuo-dori", "George St", "Odos Ermou", "King St W",
    "Elm Avenue", "Station Road", "Bahnhofstraße", "Dorpsstraat",
]
# fmt: on
_CITIES = {
    "US": ("Boston", "New York", "Chicago", "Seattle", "Denver", "Austin"),
    "GB": ("London", "Manchester", "Leeds", "Bristol"),
    "DE": ("Berlin", "München", "Hamburg", "Köln"),
    "FR": ("Paris", "Lyon", "Marseille", "Lille"),
    "NL": ("Amsterdam", "Utrecht", "Rotterdam"),
    "BE": ("Bruxelles", "Antwerpen", "Gent"),
    "ES": ("Madrid", "Barcelona", "Sevilla"),
    "IT": ("Roma", "Milano", "Napoli"),
    "JP": ("Tokyo", "Osaka", "Yokohama"),
    "AU": ("Sydney", "Melbourne", "Brisbane"),
    "CA": ("Toronto", "Vancouver", "Montréal", "Ottawa"),
    "GR": ("Athina", "Thessaloniki", "Patra"),
}
# a few provinces per country that has them (code, name)
_PROVINCES = {
    "US": (
        ("MA", "Massachusetts"),
        ("NY", "New York"),
        ("IL", "Illinois"),
        ("WA", "Washington"),
        ("CO", "Colorado"),
        ("TX", "Texas"),
        ("CA", "California"),
        ("FL", "Florida"),
    ),
    "CA": (("ON", "Ontario"), ("BC", "British Columbia"), ("QC", "Quebec"), ("AB", "Alberta")),
}


@dataclass
class Dataset:
    """Generated inputs and what was planted in them."""

    n: int
    seed: int
    erp: pd.DataFrame
    shopify: ShopifyCustomers
    # Shopify customers planted to match by "email", by "phone" only, and "none"
    expected: dict[str, int] = field(default_factory=dict)
    # planted kinds per ERP row (for checks): email / phone / erp_only
    erp_kind: np.ndarray | None = None


# --------------------------------------------------------------------------------------------
# vectorised string helpers (object arrays of str)


def _obj(values) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = list(values) if not isinstance(values, np.ndarray) else values
    return array


def _pick(rng: np.random.Generator, choices, size: int) -> np.ndarray:
    return _obj(np.asarray(choices, dtype=object))[rng.integers(0, len(choices), size)]


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers as zero-padded digit strings (unicode array)."""
    return np.strings.zfill(values.astype(np.int64).astype(str), width)


def _apply_pattern(nsn: np.ndarray, pattern: str) -> np.ndarray:
    """Write national significant numbers (unicode array) by a pattern of 'X' and literals."""
    pieces: list[np.ndarray | str] = []
    position = 0
    run = ""
    for char in pattern:
        if char == "X":
            run += char
            continue
        if run:
            pieces.append(np.strings.slice(nsn, position, position + len(run)))
            position += len(run)
            run = ""
        pieces.append(char)
    if run:
        pieces.append(np.strings.slice(nsn, position, position + len(run)))
    out = np.full(len(nsn), "", dtype=object)
    for piece in pieces:
        out = out + (piece if isinstance(piece, str) else piece.astype(object))
    return out


# --------------------------------------------------------------------------------------------
# phones


@dataclass
class _Phones:
    """One phone identity per person: template, national significant number, E.164."""

    template: np.ndarray  # index into TEMPLATES
    nsn: np.ndarray  # unicode digits
    e164: np.ndarray  # object str
    iso: np.ndarray  # object str


def phone_templates() -> tuple[_Template, ...]:
    """The number ranges the generator draws from (for the validity check in the tests)."""
    return TEMPLATES


def _phone_identities(rng: np.random.Generator, iso: np.ndarray) -> _Phones:
    """A distinct valid number per person, in the person's country."""
    n = len(iso)
    template = np.empty(n, dtype=np.int64)
    by_country: dict[str, list[int]] = {}
    for index, spec in enumerate(TEMPLATES):
        by_country.setdefault(spec.iso, []).append(index)
    for country, indexes in by_country.items():
        rows = np.flatnonzero(iso == country)
        template[rows] = np.asarray(indexes)[rng.integers(0, len(indexes), len(rows))]
    # serial of each person within its template (0, 1, 2, ... in person order)
    order = np.argsort(template, kind="stable")
    sorted_t = template[order]
    starts = np.searchsorted(sorted_t, sorted_t, side="left")
    serial = np.empty(n, dtype=np.int64)
    serial[order] = np.arange(n) - starts
    nsn = np.empty(n, dtype=object)
    e164 = np.empty(n, dtype=object)
    for index, spec in enumerate(TEMPLATES):
        rows = np.flatnonzero(template == index)
        if len(rows) == 0:
            continue
        span = 10**spec.digits - spec.low
        prefix_index = serial[rows] % len(spec.prefixes)
        slot = serial[rows] // len(spec.prefixes)
        if slot.max() >= span:
            raise ValueError(f"too many numbers for {spec.iso} {spec.prefixes}")
        # bijection of [0, span): multiply by a unit mod span, add an offset
        multiplier = _unit_mod(span, int(rng.integers(1_000, 1_000_000)))
        offset = int(rng.integers(0, span))
        subscriber = (slot * multiplier + offset) % span + spec.low
        prefixes = np.asarray(spec.prefixes, dtype=object)[prefix_index]
        numbers = prefixes + _digits(subscriber, spec.digits).astype(object)
        nsn[rows] = numbers
        e164[rows] = "+" + COUNTRIES[spec.iso][1] + numbers
    return _Phones(template, nsn.astype(str), e164, iso)


def _unit_mod(modulus: int, start: int) -> int:
    value = start
    while np.gcd(value, modulus) != 1:
        value += 1
    return value


def _format_phones(
    rng: np.random.Generator,
    phones: _Phones,
    people: np.ndarray,
    international_share: float = 0.10,
    extension_share: float = 0.02,
) -> np.ndarray:
    """How an ERP user typed the phones of ``people``: a national format of the country, or
    an international one, sometimes with an extension."""
    size = len(people)
    out = np.empty(size, dtype=object)
    templates = phones.template[people]
    nsn = phones.nsn[people]
    international = rng.random(size) < international_share
    style = rng.integers(0, 1_000, size)
    for index, spec in enumerate(TEMPLATES):
        for intl, patterns in ((False, spec.national), (True, spec.international)):
            rows_mask = (templates == index) & (international == intl)
            for k, pattern in enumerate(patterns):
                rows = np.flatnonzero(rows_mask & (style % len(patterns) == k))
                if len(rows):
                    out[rows] = _apply_pattern(nsn[rows], pattern)
    with_extension = np.flatnonzero(rng.random(size) < extension_share)
    if len(with_extension):
        words = _pick(rng, (" ext. ", " ext ", " x"), len(with_extension))
        numbers = rng.integers(1, 999, len(with_extension)).astype(str).astype(object)
        out[with_extension] = out[with_extension] + words + numbers
    return out


_INVALID_PHONES = ("12345", "n/a", "call office", "0000", "555-01", "+1 23", "999999999999999999")


# --------------------------------------------------------------------------------------------
# the data set


def generate(n: int, seed: int = 7, text_dtype: str = "str") -> Dataset:
    """``n`` Shopify customers and ``n`` ERP customers with planted matches (see module doc).

    Text columns get ``text_dtype``: by default pandas' ``str`` dtype, which is what
    ``read_erp_customers`` and ``customers_from_nodes`` produce; ``"object"`` gives the
    object columns the test factories build.
    """
    if n < 10:
        raise ValueError("n must be at least 10")
    rng = np.random.default_rng(seed)
    n_email = round(n * EMAIL_SHARE)
    n_phone = round(n * PHONE_SHARE)
    n_new = n - n_email - n_phone
    n_erp_only = n - n_email - n_phone  # ERP rows: one per planted match plus ERP-only ones
    n_people = n + n_erp_only  # people 0..n-1 are Shopify customers, the rest ERP-only
    kind = np.concatenate(
        [
            np.full(n_email, 0, dtype=np.int8),  # email
            np.full(n_phone, 1, dtype=np.int8),  # phone only
            np.full(n_new, 2, dtype=np.int8),  # new in Shopify
            np.full(n_erp_only, 3, dtype=np.int8),  # ERP only
        ]
    )

    # -- people ---------------------------------------------------------------------------
    isos = list(COUNTRIES)
    weights = np.array([COUNTRIES[c][0] for c in isos])
    iso = np.asarray(isos, dtype=object)[rng.choice(len(isos), n_people, p=weights / weights.sum())]
    first_index = rng.integers(0, len(_FIRST), n_people)
    last_index = rng.integers(0, len(_LAST), n_people)
    first = _obj(np.asarray(_FIRST, dtype=object))[first_index]
    last = _obj(np.asarray(_LAST, dtype=object))[last_index]
    ascii_first = _ascii(_FIRST)[first_index]
    ascii_last = _ascii(_LAST)[last_index]
    person_id = np.arange(n_people).astype(str).astype(object)
    has_company = rng.random(n_people) < 0.30
    company = np.where(
        has_company,
        _pick(rng, _COMPANIES, n_people) + _suffix(iso),
        "",
    ).astype(object)
    street = _pick(rng, _STREETS, n_people)
    house = rng.integers(1, 250, n_people).astype(str).astype(object)
    address1 = house + " " + street
    address2 = np.where(rng.random(n_people) < 0.15, "Apt " + house, "").astype(object)
    city = np.empty(n_people, dtype=object)
    province_code = np.full(n_people, "", dtype=object)
    province_name = np.full(n_people, "", dtype=object)
    for country in isos:
        rows = np.flatnonzero(iso == country)
        city[rows] = _pick(rng, _CITIES[country], len(rows))
        if country in _PROVINCES:
            chosen = rng.integers(0, len(_PROVINCES[country]), len(rows))
            codes = np.asarray([p[0] for p in _PROVINCES[country]], dtype=object)
            names = np.asarray([p[1] for p in _PROVINCES[country]], dtype=object)
            province_code[rows] = codes[chosen]
            province_name[rows] = names[chosen]
    zip_code = _post_codes(rng, iso)
    phones = _phone_identities(rng, iso)

    shop_email = (
        ascii_first + "." + ascii_last + person_id + "@" + _pick(rng, _MAIL_DOMAINS, n_people)
    )

    # -- Shopify customers ----------------------------------------------------------------
    shop = np.arange(n)
    shop_kind = kind[:n]
    has_phone = np.where(shop_kind == 1, True, rng.random(n) < 0.70)
    # phone-only matches: half of them have no e-mail in Shopify at all
    no_email = (shop_kind == 1) & (rng.random(n) < 0.5)
    customers_email = np.where(no_email, "", shop_email[shop]).astype(object)
    customers_phone = np.where(has_phone, phones.e164[shop], "").astype(object)
    shopify_id = (7_000_000_000_000 + shop * 37).astype(str).astype(object)
    created = "2024-01-01T00:00:00Z"
    customers = pd.DataFrame(
        {
            "shopify_id": shopify_id,
            "first_name": first[shop],
            "last_name": last[shop],
            "email": customers_email,
            "phone": customers_phone,
            "state": "ENABLED",
            "tags": "",
            "note": "",
            "verified_email": customers_email != "",
            "tax_exempt": False,
            "created_at": created,
            "updated_at": created,
            "default_address_id": "",
            "record_error": "",
        }
    )

    # addresses: the person's own one, and for 25 % a second (work or old) address
    second = np.flatnonzero(rng.random(n) < 0.25)
    owner = np.concatenate([shop, second])
    position = np.concatenate([np.zeros(n, dtype=np.int64), np.ones(len(second), dtype=np.int64)])
    second_is_default = rng.random(len(second)) < 0.30
    is_default = np.concatenate([np.ones(n, dtype=bool), second_is_default])
    is_default[second[second_is_default]] = False  # the first one is then not the default
    address_id = (9_000_000_000_000 + np.arange(len(owner)) * 13).astype(str).astype(object)
    address_phone = np.where(rng.random(len(owner)) < 0.4, customers_phone[owner], "")
    other_street = np.concatenate(
        [address1[shop], rng.integers(1, 250, len(second)).astype(str).astype(object) + " Oak Rd"]
    )
    addresses = pd.DataFrame(
        {
            "address_id": address_id,
            "shopify_id": shopify_id[owner],
            "position": position,
            "is_default": is_default,
            "company": company[owner],
            "first_name": first[owner],
            "last_name": last[owner],
            "address1": other_street,
            "address2": address2[owner],
            "zip": zip_code[owner],
            "city": city[owner],
            "country_code": iso[owner],
            "country_name": pd.Series(iso[owner]).map(COUNTRY_NAMES).to_numpy(dtype=object),
            "province_code": province_code[owner],
            "province_name": province_name[owner],
            "phone": address_phone.astype(object),
        }
    )
    default_id = addresses.loc[addresses["is_default"], ["shopify_id", "address_id"]]
    customers["default_address_id"] = (
        customers["shopify_id"].map(default_id.set_index("shopify_id")["address_id"]).fillna("")
    )
    # Shopify returns customers in its own order, addresses grouped per customer
    customer_order = rng.permutation(n)
    customers = customers.iloc[customer_order].reset_index(drop=True)
    addresses = addresses.sort_values(["shopify_id", "position"], kind="stable").reset_index(
        drop=True
    )

    # -- ERP customers --------------------------------------------------------------------
    erp_people = np.concatenate([np.arange(n_email + n_phone), np.arange(n, n_people)])
    erp_kind = kind[erp_people]
    m = len(erp_people)
    erp_iso = iso[erp_people]
    erp_phone_person = erp_people.copy()
    # ~10 % of the ERP phones are not distinct: half of the ERP-only rows reuse the phone of
    # another ERP customer (typed in another format), in that customer's country
    erp_only_rows = np.flatnonzero(erp_kind == 3)
    shuffled = rng.permutation(erp_only_rows)
    n_shared = min(len(shuffled), round(m * 0.05))
    n_blank = min(len(shuffled) - n_shared, round(m * 0.02))
    n_invalid = min(len(shuffled) - n_shared - n_blank, round(m * 0.005))
    shared_rows = shuffled[:n_shared]
    blank_rows = shuffled[n_shared : n_shared + n_blank]
    invalid_rows = shuffled[n_shared + n_blank : n_shared + n_blank + n_invalid]
    donors = rng.integers(0, m, n_shared)
    erp_phone_person[shared_rows] = erp_people[donors]
    erp_iso[shared_rows] = iso[erp_people[donors]]
    erp_phone = _format_phones(rng, phones, erp_phone_person)
    erp_phone[blank_rows] = ""
    erp_phone[invalid_rows] = _pick(rng, _INVALID_PHONES, n_invalid)

    # e-mails: the planted e-mail matches in another case or with outer spaces
    erp_email = np.empty(m, dtype=object)
    email_rows = np.flatnonzero(erp_kind == 0)
    erp_email[email_rows] = _vary_case(rng, shop_email[erp_people[email_rows]])
    phone_rows = np.flatnonzero(erp_kind == 1)
    work = (
        np.asarray([f[:1] for f in _ascii(_FIRST)], dtype=object)[first_index[erp_people]]
        + "."
        + ascii_last[erp_people]
        + person_id[erp_people]
        + "@"
        + _pick(rng, _WORK_DOMAINS, m)
    )
    erp_email[phone_rows] = np.where(rng.random(len(phone_rows)) < 0.3, "", work[phone_rows])
    erp_email[erp_only_rows] = _vary_case(rng, shop_email[erp_people[erp_only_rows]])
    # noise on the ERP-only rows: 1 % duplicates (of a planted e-mail), 1 % invalid, 1 % lists
    noisy = rng.permutation(erp_only_rows)
    k = min(len(noisy) // 3, round(m * 0.01))
    dup_rows, invalid_email_rows, list_rows = noisy[:k], noisy[k : 2 * k], noisy[2 * k : 3 * k]
    if len(email_rows):
        erp_email[dup_rows] = _vary_case(rng, erp_email[rng.choice(email_rows, k)])
    broken = np.where(
        rng.random(k) < 0.5,
        np.char.replace(erp_email[invalid_email_rows].astype(str), "@", "@@").astype(object),
        np.char.replace(erp_email[invalid_email_rows].astype(str), "@", " at ").astype(object),
    )
    erp_email[invalid_email_rows] = broken
    erp_email[list_rows] = erp_email[list_rows] + ";" + work[list_rows]

    erp_country = np.asarray([ERP_COUNTRY_CODES[c] for c in isos], dtype=object)[
        _index_of(isos, erp_iso)
    ]
    # BC leaves the country blank for domestic (company country US) customers half the time
    domestic_blank = (erp_iso == "US") & (rng.random(m) < 0.5)
    erp_country = np.where(domestic_blank, "", erp_country).astype(object)
    person_name = first[erp_people] + " " + last[erp_people]
    erp_company = company[erp_people]
    has_erp_company = erp_company != ""
    domestic = erp_iso == "US"
    eu = np.isin(erp_iso, ["DE", "FR", "NL", "BE", "ES", "IT", "GR"])
    posting = np.where(domestic, "DOMESTIC", np.where(eu, "EU", "FOREIGN")).astype(object)
    moved = rng.random(m) < 0.3  # the ERP address is out of date for some
    erp_address = np.where(
        moved,
        rng.integers(1, 250, m).astype(str).astype(object) + " Old Rd",
        address1[erp_people],
    ).astype(object)
    erp = pd.DataFrame(
        {
            "no": "",
            "name": np.where(has_erp_company, erp_company, person_name).astype(object),
            "name_2": np.where(has_erp_company, person_name, "").astype(object),
            "contact": person_name,
            "address": erp_address,
            "address_2": address2[erp_people],
            "city": city[erp_people],
            "county": province_code[erp_people],
            "post_code": zip_code[erp_people],
            "country_code": erp_country,
            "phone": erp_phone,
            "email": erp_email,
            "gen_bus_posting_group": posting,
            "vat_bus_posting_group": posting,
            "customer_posting_group": posting,
            "tax_area_code": np.where(domestic, "US-TAX", "").astype(object),
            "tax_liable": domestic,
            "payment_terms_code": "30 DAYS",
        }
    )
    erp_order = rng.permutation(m)
    erp = erp.iloc[erp_order].reset_index(drop=True)
    erp["no"] = "C" + pd.Series(np.arange(1, m + 1)).astype(str).str.zfill(7).to_numpy(dtype=object)
    erp = _as_text(erp[list(ERP_COLUMNS)], text_dtype)
    customers = _as_text(customers[CUSTOMER_COLUMNS].reset_index(drop=True), text_dtype)
    addresses = _as_text(addresses[ADDRESS_COLUMNS].reset_index(drop=True), text_dtype)

    expected = {"email": n_email, "phone": n_phone, "none": n_new}
    return Dataset(
        n=n,
        seed=seed,
        erp=erp,
        shopify=ShopifyCustomers(customers, addresses),
        expected=expected,
        erp_kind=np.asarray(["email", "phone", "new", "erp_only"], dtype=object)[
            erp_kind[erp_order]
        ],
    )


def _as_text(frame: pd.DataFrame, dtype: str) -> pd.DataFrame:
    """``frame`` with every object column as ``dtype`` (bool and int columns kept)."""
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].astype(dtype)
    return frame


def _ascii(names) -> np.ndarray:
    import unicodedata

    out = [
        "".join(
            ch
            for ch in unicodedata.normalize("NFKD", name)
            if ch.isascii() and (ch.isalnum() or ch == " ")
        )
        .replace(" ", "")
        .lower()
        for name in names
    ]
    return _obj(np.asarray(out, dtype=object))


def _suffix(iso: np.ndarray) -> np.ndarray:
    return pd.Series(iso).map(_COMPANY_SUFFIX).to_numpy(dtype=object)


def _index_of(values: list[str], items: np.ndarray) -> np.ndarray:
    lookup = {v: i for i, v in enumerate(values)}
    return pd.Series(items).map(lookup).to_numpy(dtype=np.int64)


def _vary_case(rng: np.random.Generator, emails: np.ndarray) -> np.ndarray:
    """The same addresses as an ERP user typed them: capitalised, upper-case, outer spaces."""
    emails = np.asarray(emails, dtype=object)
    style = rng.integers(0, 5, len(emails))
    series = pd.Series(emails, dtype=object)
    out = series.to_numpy(dtype=object).copy()
    title = style == 1
    out[title] = series[title].str.title().to_numpy(dtype=object)
    upper = style == 2
    out[upper] = series[upper].str.upper().to_numpy(dtype=object)
    spaced = style == 3
    out[spaced] = " " + series[spaced].to_numpy(dtype=object) + "  "
    return out


def _post_codes(rng: np.random.Generator, iso: np.ndarray) -> np.ndarray:
    n = len(iso)
    five = _digits(rng.integers(1_000, 99_999, n), 5).astype(object)
    four = _digits(rng.integers(1_000, 9_999, n), 4).astype(object)
    letters = np.asarray(list("ABCEGHJKLMNPRSTVXY"), dtype=object)
    a, b, c = (letters[rng.integers(0, len(letters), n)] for _ in range(3))
    d1, d2, d3 = (rng.integers(0, 10, n).astype(str).astype(object) for _ in range(3))
    out = five.copy()
    rules = {
        "GB": "SW" + d1 + " " + d2 + a + b,
        "NL": four + " " + a + b,
        "BE": four,
        "AU": four,
        "CA": a + d1 + b + " " + d2 + c + d3,
        "JP": np.strings.slice(five.astype(str), 0, 3).astype(object) + "-" + four,
        "GR": np.strings.slice(five.astype(str), 0, 3).astype(object)
        + " "
        + np.strings.slice(five.astype(str), 3, 5).astype(object),
    }
    for country, values in rules.items():
        rows = iso == country
        out[rows] = values[rows]
    return out


# --------------------------------------------------------------------------------------------
# optional cache


def generate_cached(n: int, seed: int = 7) -> Dataset:
    """:func:`generate`, cached as parquet in ``benchmarks/.data`` when pyarrow is installed
    (without pyarrow nothing is cached and the data is generated each time)."""
    if importlib.util.find_spec("pyarrow") is None:
        return generate(n, seed)
    stem = CACHE_DIR / f"n{n}_s{seed}"
    names = ["erp", "customers", "addresses", "meta"]
    paths = {name: stem.with_name(f"{stem.name}_{name}.parquet") for name in names}
    if all(p.exists() for p in paths.values()):
        meta = pd.read_parquet(paths["meta"])
        erp = pd.read_parquet(paths["erp"])
        return Dataset(
            n=n,
            seed=seed,
            erp=erp.drop(columns="_kind"),
            shopify=ShopifyCustomers(
                pd.read_parquet(paths["customers"]), pd.read_parquet(paths["addresses"])
            ),
            expected=dict(zip(meta["key"], meta["value"].astype(int), strict=True)),
            erp_kind=erp["_kind"].to_numpy(dtype=object),
        )
    data = generate(n, seed)
    CACHE_DIR.mkdir(exist_ok=True)
    data.erp.assign(_kind=data.erp_kind).to_parquet(paths["erp"])
    data.shopify.customers.to_parquet(paths["customers"])
    data.shopify.addresses.to_parquet(paths["addresses"])
    pd.DataFrame({"key": list(data.expected), "value": list(data.expected.values())}).to_parquet(
        paths["meta"]
    )
    return data
