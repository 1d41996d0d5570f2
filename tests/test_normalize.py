"""Tests for the pure normalisers: e-mail, phone, country and province."""

from __future__ import annotations

import fnmatch
import unicodedata

import pandas as pd
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopsync.errors import UserInputError
from shopsync.normalize import (
    COUNTRY_NO_ISO,
    COUNTRY_UNKNOWN,
    EmailNorm,
    PhoneNorm,
    Province,
    ProvinceTable,
    bc_phone_match_mask,
    bc_phone_matches,
    countries_to_iso,
    email_match_key,
    email_match_keys,
    is_valid_email,
    iso_to_erp_country,
    normalize_email,
    normalize_emails,
    normalize_phone,
    normalize_phones,
    province_key,
)
from shopsync.reference import load_province_table, load_provinces

# ============================================================================================
# e-mail


def test_email_is_trimmed_and_keyed_case_insensitively():
    norm = normalize_email("  P1@Contoso.com ")
    assert norm == EmailNorm("P1@Contoso.com", "p1@contoso.com", False, True, False)
    assert normalize_email("p1@contoso.com").key == norm.key


def test_email_key_uses_casefold_not_lower():
    assert normalize_email("STRASSE@example.de").key == normalize_email("straße@example.de").key


def test_email_inner_spaces_are_removed_like_shopify():
    # captures/2025-01/customers/customer-email-normalization.json: Shopify stores
    # "hermes-email-normal ization-create-...@example.com" without the space, and a later create
    # with "Hermes-email-normal iz ation-create-...@example.com " is a duplicate of it.
    stored = normalize_email("hermes-email-normal ization-create-1778107961141@example.com")
    assert stored.email == "hermes-email-normalization-create-1778107961141@example.com"
    again = normalize_email("Hermes-email-normal iz ation-create-1778107961141@example.com ")
    assert again.email == "Hermes-email-normalization-create-1778107961141@example.com"
    assert again.key == stored.key
    assert again.is_valid


def test_email_case_is_kept_in_the_value_sent():
    # Shopify keeps "Russel.winfield@example.com" as given (captures)
    assert normalize_email("Russel.winfield@example.com").email == "Russel.winfield@example.com"


@pytest.mark.parametrize(
    "address",
    [
        "foo@bar",
        "foo@@bar.com",
        "@bar.com",
        "foo@",
        "not-an-email",
        "foo.@bar.com",
        ".foo@bar.com",
        "fo..o@bar.com",
        "foo@bar..com",
        "foo@-bar.com",
        "foo@bar-.com",
        "foo@bar_baz.com",
        "foo@bar.c",
        "foo@bar.123",
        "a" * 65 + "@example.com",
        "a" * 250 + "@example.com",  # Shopify: "Email is too long (maximum is 255 characters)"
        "foo<bar>@x.com",
        'foo"@x.com',
        "jörg@müller.de",  # Shopify stores ASCII addresses only
        "lena.weiß@example.de",
    ],
)
def test_invalid_emails(address):
    norm = normalize_email(address)
    assert not norm.is_valid
    assert not norm.is_missing


@pytest.mark.parametrize(
    "address",
    [
        "p1@contoso.com",
        "P1@Contoso.COM",
        "first.last+tag@sub.example.co.uk",
        "o'brien@example.ie",
        "user_name-1@my-domain.example",
        "x@xn--mller-kva.de",
        "a" * 64 + "@example.com",
    ],
)
def test_valid_emails(address):
    assert normalize_email(address).is_valid
    assert is_valid_email(address)


def test_email_list_exports_the_first_address_with_a_warning():
    for field in ["a@x.com;b@x.com", "a@x.com, b@x.com", " A@X.com ; ", ";a@x.com"]:
        norm = normalize_email(field)
        assert norm.email.casefold() == "a@x.com"
        assert norm.is_valid
    assert normalize_email("a@x.com;b@x.com").is_list
    assert normalize_email("a@x.com, b@x.com").is_list
    # a trailing separator holds only one address: no list warning
    assert not normalize_email(" A@X.com ; ").is_list


@pytest.mark.parametrize("value", [None, float("nan"), pd.NA, "", "   ", ";", " , ; "])
def test_missing_emails(value):
    assert normalize_email(value) == EmailNorm("", "", False, False, True)


def test_normalize_emails_vectorised_keeps_index_and_types():
    values = pd.Series(
        ["P1@Contoso.com", None, "a@x.com, b@x.com", "foo@bar", " p1@contoso.com"],
        index=[10, 20, 30, 40, 50],
    )
    frame = normalize_emails(values)
    assert list(frame.columns) == [
        "email",
        "email_key",
        "email_is_list",
        "email_valid",
        "email_missing",
    ]
    assert list(frame.index) == [10, 20, 30, 40, 50]
    assert frame["email"].tolist() == ["P1@Contoso.com", "", "a@x.com", "foo@bar", "p1@contoso.com"]
    assert frame["email_key"].tolist()[0] == frame["email_key"].tolist()[4] == "p1@contoso.com"
    assert frame["email_is_list"].tolist() == [False, False, True, False, False]
    assert frame["email_valid"].tolist() == [True, False, True, False, True]
    assert frame["email_missing"].tolist() == [False, True, False, False, False]
    for column in ["email_is_list", "email_valid", "email_missing"]:
        assert frame[column].dtype == bool
    # duplicates in a batch are visible on the key (EMAIL_DUPLICATE)
    assert frame["email_key"].duplicated(keep=False).tolist() == [True, False, False, False, True]


def test_normalize_emails_of_an_empty_series():
    frame = normalize_emails(pd.Series([], dtype=object))
    assert frame.empty
    assert list(frame.columns) == [
        "email",
        "email_key",
        "email_is_list",
        "email_valid",
        "email_missing",
    ]


def test_bc_email_match_key_is_the_whole_field():
    assert email_match_key(" P1@Contoso.com ") == email_match_key("p1@contoso.com")
    # BC compares against the whole ERP field: a list does not match its first address
    assert email_match_key("a@x.com;b@x.com") != email_match_key("a@x.com")
    assert email_match_key(None) == ""
    keys = email_match_keys(pd.Series(["P1@Contoso.com", None], index=["x", "y"]))
    assert keys.to_dict() == {"x": "p1@contoso.com", "y": ""}


@given(values=st.lists(st.one_of(st.none(), st.text(alphabet="aZ ß\u0130@.\t\u00a0", max_size=10))))
def test_email_match_keys_of_a_text_column_equal_the_scalar_key(values):
    # ASCII text is lower-cased in Arrow, other text case-folded by Python (ß -> ss)
    column = pd.Series(values, dtype="str")
    keys = email_match_keys(column)
    trimmed = column.fillna("").str.strip()
    assert keys.tolist() == [email_match_key(v) for v in trimmed]
    assert email_match_keys(pd.Series(["STRASSE@x.de", "straße@x.de"], dtype="str")).nunique() == 1


_ascii_local = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=20)
_ascii_domain = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=10), min_size=2, max_size=3
).map(".".join)
_valid_ascii_email = st.builds(
    lambda local, domain: f"{local}@{domain}", _ascii_local, _ascii_domain
)


@given(address=_valid_ascii_email, data=st.data())
def test_email_key_ignores_case_and_whitespace(address, data):
    mangled = "".join(
        (ch.upper() if data.draw(st.booleans()) else ch) + data.draw(st.sampled_from(["", " "]))
        for ch in address
    )
    norm = normalize_email(f"  {mangled}\t")
    assert norm.is_valid
    assert norm.key == address
    assert norm.email.casefold() == address


@given(value=st.text(max_size=40))
def test_email_normalisation_is_idempotent(value):
    once = normalize_email(value)
    twice = normalize_email(once.email)
    assert twice.email == once.email
    assert twice.key == once.key == once.email.casefold()
    assert twice.is_valid == once.is_valid
    assert not any(ch.isspace() for ch in once.email)


@given(values=st.lists(st.one_of(st.none(), st.text(max_size=20), _valid_ascii_email)))
def test_normalize_emails_equals_scalar(values):
    frame = normalize_emails(pd.Series(values, dtype=object))
    assert [tuple(row) for row in frame.itertuples(index=False)] == [
        tuple(normalize_email(v)) for v in values
    ]


@settings(max_examples=300)
@given(
    values=st.lists(
        st.text(alphabet="aB1.@;, \t\n\x0b\x0c\r\x1c\x1f_-xné\u00a0\u2028", max_size=24),
        max_size=40,
    )
)
def test_normalize_emails_in_bulk_reads_whitespace_separators_and_unicode_as_one_by_one(values):
    # the bulk path reads ASCII text in Arrow kernels: Python's whitespace (\x1c-\x1f too),
    # the list separators and the length limits must come out as normalize_email has them
    frame = normalize_emails(pd.Series(values, dtype=object))
    assert [tuple(row) for row in frame.itertuples(index=False)] == [
        tuple(normalize_email(v)) for v in values
    ]


def test_normalize_emails_in_bulk_applies_the_local_and_total_length_limits():
    local_64, local_65 = "a" * 64, "a" * 65
    long_domain = ".".join(["b" * 60] * 5) + ".de"  # over 255 characters in all
    values = [f"{local_64}@x.de", f"{local_65}@x.de", f"a@{long_domain}", " ;, a@x.de;;b@y.de"]
    frame = normalize_emails(pd.Series(values))
    assert frame["email_valid"].tolist() == [True, False, False, True]
    assert frame["email"].tolist()[3] == "a@x.de"
    assert frame["email_is_list"].tolist() == [False, False, False, True]


# ============================================================================================
# phone


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("2025550123", "US", "+12025550123"),  # xxxxxxxxxx
        ("+12025550123", None, "+12025550123"),  # +xxxxxxxxxxx
        ("(202)555-0123", "US", "+12025550123"),  # (xxx)xxx-xxxx
        ("+1 202-555-0123", "US", "+12025550123"),  # +x xxx-xxx-xxxx
        ("+1 (613) 450-5293", None, "+16134505293"),  # Shopify capture
        ("+1-613-450-5295", "", "+16134505295"),  # Shopify capture
        ("0612345678", "NL", "+31612345678"),
        ("+31 6 12345678", "NL", "+31612345678"),
        ("+31 6 12345678", "US", "+31612345678"),  # the + wins over the region
        ("06-12345678", "nl", "+31612345678"),
        ("0031 6 12345678", "NL", "+31612345678"),
        ("030 123 45 67", "NL", "+31301234567"),
        ("01 23 45 67 89", "FR", "+33123456789"),
        ("089 123456", "DE", "+4989123456"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("03-1234-5678", "JP", "+81312345678"),
        ("(11) 91234-5678", "BR", "+5511912345678"),
        ("02 9876 5432", "AU", "+61298765432"),
    ],
)
def test_phone_formats_accepted(raw, region, e164):
    norm = normalize_phone(raw, region)
    assert norm == PhoneNorm(e164, "", True, False)


def test_phone_from_an_excel_number_column():
    assert normalize_phone(612345678.0, "NL").e164 == "+31612345678"
    assert normalize_phone(2025550123, "US").e164 == "+12025550123"


def test_phone_extension_is_detected():
    norm = normalize_phone("030-1234567 ext. 12", "NL")
    assert norm == PhoneNorm("+31301234567", "12", True, False)
    assert normalize_phone("+1 202-555-0123 x 45", None).extension == "45"


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("abc", "US"),
        ("+1234abcd", None),  # Shopify: "Phone is invalid"
        ("+1" + "1" * 254, None),  # Shopify: "Phone is too long"
        ("12345", "US"),
        ("0612345678", None),  # national number without a country
        ("0612345678", "XX"),  # unknown region
        ("+1 234 56789", None),
    ],
)
def test_invalid_phones(raw, region):
    norm = normalize_phone(raw, region)
    assert not norm.is_valid
    assert not norm.is_missing


def test_unparsable_phone_has_no_e164():
    assert normalize_phone("abc", "US") == PhoneNorm("", "", False, False)


@pytest.mark.parametrize("raw", [None, float("nan"), pd.NA, "", "   ", "-", " . ", "( )"])
def test_missing_phones(raw):
    assert normalize_phone(raw, "NL") == PhoneNorm("", "", False, True)


def test_normalize_phones_with_one_region():
    raw = pd.Series(
        ["0612345678", "+31 6 12345678", None, "030-1234567 ext. 12", "abc", "0612345678"],
        index=list("abcdef"),
    )
    frame = normalize_phones(raw, "NL")
    assert list(frame.columns) == ["phone_e164", "phone_extension", "phone_valid", "phone_missing"]
    assert list(frame.index) == list("abcdef")
    assert frame["phone_e164"].tolist() == [
        "+31612345678",
        "+31612345678",
        "",
        "+31301234567",
        "",
        "+31612345678",
    ]
    assert frame["phone_extension"].tolist() == ["", "", "", "12", "", ""]
    assert frame["phone_valid"].tolist() == [True, True, False, True, False, True]
    assert frame["phone_missing"].tolist() == [False, False, True, False, False, False]
    assert frame["phone_valid"].dtype == bool


def test_normalize_phones_with_a_region_per_row():
    raw = pd.Series(
        ["0612345678", "0612345678", "(613) 450-5293", "0612345678"], index=[3, 1, 2, 0]
    )
    region = pd.Series(["NL", "FR", "CA", None], index=[3, 1, 2, 0])
    frame = normalize_phones(raw, region)
    assert frame["phone_e164"].tolist() == ["+31612345678", "+33612345678", "+16134505293", ""]
    assert frame["phone_valid"].tolist() == [True, True, True, False]


def test_normalize_phones_aligns_the_region_on_the_index():
    raw = pd.Series(["0612345678", "0612345678"], index=["nl", "fr"])
    region = pd.Series(["FR", "NL"], index=["fr", "nl"])
    assert normalize_phones(raw, region)["phone_e164"].to_dict() == {
        "nl": "+31612345678",
        "fr": "+33612345678",
    }


def test_normalize_phones_of_an_empty_series():
    frame = normalize_phones(pd.Series([], dtype=object), None)
    assert frame.empty
    assert list(frame.columns) == ["phone_e164", "phone_extension", "phone_valid", "phone_missing"]


_REGIONS = ["US", "CA", "NL", "BE", "FR", "DE", "GB", "IT", "ES", "JP", "BR", "AU", "IN", "MX"]
_FORMATS = [
    phonenumbers.PhoneNumberFormat.E164,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.NATIONAL,
    phonenumbers.PhoneNumberFormat.RFC3966,
]


@given(
    region=st.sampled_from(_REGIONS),
    kind=st.sampled_from(
        [
            phonenumbers.PhoneNumberType.FIXED_LINE,
            phonenumbers.PhoneNumberType.MOBILE,
        ]
    ),
    fmt=st.sampled_from(_FORMATS),
)
def test_national_and_international_formats_of_many_countries(region, kind, fmt):
    number = phonenumbers.example_number_for_type(region, kind)
    expected = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    written = phonenumbers.format_number(number, fmt)
    assert normalize_phone(written, region) == PhoneNorm(expected, "", True, False)


@settings(max_examples=400)
@given(
    raw=st.text(alphabet="0123456789+ ()-./x", max_size=20),
    region=st.sampled_from(["", "US", "NL", "FR", "DE", "GB"]),
)
def test_pre_cleaning_does_not_change_what_phonenumbers_reads(raw, region):
    try:
        parsed = phonenumbers.parse(raw, region or None)
    except phonenumbers.NumberParseException:
        parsed = None
    norm = normalize_phone(raw, region)
    if not raw.strip(" ()-."):  # only separators: no phone at all
        assert norm == PhoneNorm("", "", False, True)
    elif parsed is None:
        assert norm == PhoneNorm("", "", False, False)
    else:
        assert norm.e164 == phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        assert norm.extension == (parsed.extension or "")
        assert norm.is_valid == phonenumbers.is_valid_number(parsed)


@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.text(alphabet="0123456789+ ()-x", max_size=14)),
            st.sampled_from([None, "NL", "US", "nl"]),
        ),
        max_size=30,
    )
)
def test_normalize_phones_equals_scalar(rows):
    raw = pd.Series([r[0] for r in rows], dtype=object)
    region = pd.Series([r[1] for r in rows], dtype=object)
    frame = normalize_phones(raw, region)
    assert [tuple(row) for row in frame.itertuples(index=False)] == [
        tuple(normalize_phone(*r)) for r in rows
    ]


# --- BC compatibility rule ------------------------------------------------------------------


def test_bc_phone_match_examples():
    assert bc_phone_matches("+1 234 56789", "123456789")
    assert not bc_phone_matches("+31612345678", "0612345678")


def test_bc_phone_match_details():
    # digits in order, anything between them; the ERP phone must end with the last digit
    assert bc_phone_matches("+31 6 12345678", "+31 (0)6-1234 5678")
    assert bc_phone_matches("0612345678", "+31 612345678")  # leading zero dropped
    assert not bc_phone_matches("+31612345678", "+31612345678 ext 1")
    assert not bc_phone_matches("+31612345678", "+3161234567")
    assert bc_phone_matches("+31612345678", " +31612345678 ")  # trimmed
    assert not bc_phone_matches("", "123")
    assert not bc_phone_matches("000", "0")
    assert not bc_phone_matches("123", None)


def test_bc_phone_match_mask():
    erp = pd.Series(["123456789", "0612345678", "(1) 23-456-789", None], index=list("abcd"))
    mask = bc_phone_match_mask("+1 234 56789", erp)
    assert mask.to_dict() == {"a": True, "b": False, "c": True, "d": False}
    assert mask.dtype == bool


@given(
    shopify=st.text(alphabet="0123456789 +-()", max_size=14),
    erp=st.text(alphabet="0123456789 +-()x", max_size=16),
)
def test_bc_phone_match_is_bcs_wildcard_filter(shopify, erp):
    # BC: keep the digits, trim leading zeros, filter the phone field with *d1*d2*...*dn
    digits = "".join(ch for ch in shopify if ch.isdigit()).lstrip("0")
    expected = bool(digits) and fnmatch.fnmatchcase(erp.strip(), "*" + "*".join(digits))
    assert bc_phone_matches(shopify, erp) == expected


@given(digits=st.text(alphabet="0123456789", min_size=1, max_size=12), data=st.data())
def test_bc_phone_matches_the_same_digits_with_any_punctuation(digits, data):
    if not digits.lstrip("0"):
        return
    decorated = "".join(ch + data.draw(st.sampled_from(["", " ", "-", ")"])) for ch in digits)
    assert bc_phone_matches(digits, decorated.rstrip(" -)"))


# ============================================================================================
# country

_COUNTRIES = {"EL": "GR", "GR": "GR", "DE": "DE", "BE": "BE", "XK": None, "ZZ": "", "nl": "nl"}


def test_countries_to_iso():
    codes = pd.Series(["EL", " de ", "be", "XK", "ZZ", "QQ", "NL", "", None], index=range(10, 19))
    frame = countries_to_iso(codes, _COUNTRIES, "BE")
    assert list(frame.columns) == ["iso_code", "country_reason"]
    assert list(frame.index) == list(range(10, 19))
    assert frame["iso_code"].tolist() == ["GR", "DE", "BE", "", "", "", "NL", "BE", "BE"]
    assert frame["country_reason"].tolist() == [
        "",
        "",
        "",
        COUNTRY_NO_ISO,
        COUNTRY_NO_ISO,
        COUNTRY_UNKNOWN,
        "",
        "",
        "",
    ]


def test_blank_country_uses_the_company_country():
    blank = pd.Series(["", "  ", None])
    assert countries_to_iso(blank, _COUNTRIES, "el")["iso_code"].tolist() == ["GR"] * 3
    no_iso = countries_to_iso(blank, _COUNTRIES, "XK")
    assert no_iso["country_reason"].tolist() == [COUNTRY_NO_ISO] * 3
    unknown = countries_to_iso(blank, _COUNTRIES, "QQ")
    assert unknown["country_reason"].tolist() == [COUNTRY_UNKNOWN] * 3
    assert (
        countries_to_iso(blank, _COUNTRIES, "")["country_reason"].tolist() == [COUNTRY_UNKNOWN] * 3
    )


def test_iso_to_erp_country():
    assert iso_to_erp_country("GR", {"EL": "GR", "DE": "DE"}) == "EL"
    assert iso_to_erp_country("gr", _COUNTRIES) == "GR"  # the code equal to the ISO wins
    assert iso_to_erp_country("GR", {"HELLAS": "GR", "EL": "GR"}) == "EL"  # else the smallest
    assert iso_to_erp_country("XK", _COUNTRIES) is None
    assert iso_to_erp_country("", _COUNTRIES) is None
    assert iso_to_erp_country("US", _COUNTRIES) is None


@given(code=st.sampled_from(sorted(_COUNTRIES)), pad=st.sampled_from(["", " ", "\t"]))
def test_country_codes_are_compared_trimmed_and_upper_cased(code, pad):
    variants = pd.Series([code, code.lower(), f"{pad}{code.upper()}{pad}"])
    frame = countries_to_iso(variants, _COUNTRIES, "BE")
    assert frame.nunique().max() == 1


# ============================================================================================
# province


@pytest.fixture(scope="module")
def table() -> ProvinceTable:
    return load_province_table()


@pytest.mark.parametrize(
    ("country", "value", "code"),
    [
        ("CA", "Ontario", "ON"),
        ("CA", "on", "ON"),
        ("CA", "CA-ON", "ON"),
        ("ca", " Ontario ", "ON"),
        ("CA", "Québec", "QC"),
        ("CA", "PQ", "QC"),
        ("JP", "Tokyo", "JP-13"),
        ("JP", "Tōkyō", "JP-13"),
        ("JP", "東京都", "JP-13"),
        ("JP", "Tokyo Prefecture", "JP-13"),
        ("JP", "JP-13", "JP-13"),
        ("JP", "13", "JP-13"),
        ("MX", "Aguascalientes", "AGS"),
        ("MX", "MX-AGU", "AGS"),
        ("MX", "AGU", "AGS"),
        ("MX", "ags", "AGS"),
        ("MX", "Ciudad de Mexico", "DF"),
        ("MX", "CDMX", "DF"),
        ("MX", "Q ROO", "Q ROO"),
        ("MX", "qroo", "Q ROO"),
        ("US", "new york", "NY"),
        ("US", "NEW  YORK", "NY"),
        ("US", "US-NY", "NY"),
        ("CO", "Bogota", "DC"),
        ("CO", "BOGOTA D.C.", "DC"),
        ("ES", "Alava", "VI"),
        ("IE", "Co. Cork", "CO"),
        ("BR", "Sao Paulo", "SP"),
        ("PH", "Metro Manila", "PH-00"),
        ("PH", "NCR", "PH-00"),
        ("CN", "Tibet", "YZ"),
        ("CN", "CN-XZ", "YZ"),
    ],
)
def test_province_lookup(table, country, value, code):
    found = table.lookup(country, value)
    assert found is not None
    assert found.code == code


@pytest.mark.parametrize(
    ("country", "value"),
    [
        ("US", "Nowhere"),
        ("US", ""),
        ("US", None),
        ("CA", "New"),  # lookup never matches a prefix
        ("XX", "Ontario"),
        ("", "Ontario"),
        ("US", "Ontario"),  # right name, wrong country
        ("GR", "Attica"),  # Shopify has no zones for Greece
    ],
)
def test_province_lookup_not_found(table, country, value):
    assert table.lookup(country, value) is None


def test_province_returns_shopify_code_and_name(table):
    assert table.lookup("JP", "Tokyo") == Province("JP-13", "Tōkyō")
    assert table.lookup("MX", "MX-AGU") == Province("AGS", "Aguascalientes")


def test_country_has_provinces(table):
    assert table.country_has_provinces("CA")
    assert table.country_has_provinces("jp")
    assert not table.country_has_provinces("GR")
    assert not table.country_has_provinces("NL")
    assert not table.country_has_provinces("")
    assert len(table.provinces("CA")) == 13
    assert table.provinces("NL") == []


def test_by_code_is_exact(table):
    assert table.by_code("CA", "ON") == Province("ON", "Ontario")
    assert table.by_code("CA", " on ") == Province("ON", "Ontario")
    assert table.by_code("JP", "JP-13").code == "JP-13"
    assert table.by_code("JP", "13") is None
    assert table.by_code("MX", "AGU") is None  # an alternate, not Shopify's code
    assert table.by_code("CA", "Ontario") is None
    assert table.by_code("GR", "I") is None


def test_by_name_exact_then_unique_prefix(table):
    assert table.by_name("CA", "Ontario").code == "ON"
    assert table.by_name("CA", "ontario ").code == "ON"
    assert table.by_name("CA", "Québec").code == "QC"  # an alternate name, exactly
    assert table.by_name("CA", "Ont") is None
    assert table.by_name("CA", "Ont", prefix=True).code == "ON"
    assert table.by_name("CA", "Nova", prefix=True).code == "NS"
    assert table.by_name("CA", "N", prefix=True) is None  # NB, NL, NT, NS, NU: ambiguous
    assert table.by_name("US", "New", prefix=True) is None
    assert table.by_name("CA", "ON") is None  # a code is not a name
    assert table.by_name("CA", "", prefix=True) is None
    # exact wins over prefix: "Baja California" is also a prefix of "Baja California Sur"
    assert table.by_name("MX", "Baja California", prefix=True).code == "BC"


def test_every_reference_province_resolves_to_itself(table):
    provinces = load_provinces()
    for row in provinces.itertuples(index=False):
        expected = Province(row.province_code, row.province_name)
        assert table.by_code(row.country_code, row.province_code) == expected
        assert table.lookup(row.country_code, row.province_code) == expected
        assert table.lookup(row.country_code, row.province_name) == expected
        assert table.by_name(row.country_code, row.province_name) == expected
        if row.iso_3166_2:
            assert table.lookup(row.country_code, row.iso_3166_2) == expected


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@given(data=st.data())
def test_lookup_ignores_case_accents_spacing_and_punctuation(table, data):
    provinces = load_provinces()
    row = provinces.iloc[data.draw(st.integers(0, len(provinces) - 1))]
    name = row["province_name"]
    mangled = "".join(
        (ch.upper() if data.draw(st.booleans()) else ch.lower())
        + data.draw(st.sampled_from(["", " ", ".", "  "]))
        for ch in _strip_accents(name)
    )
    found = table.lookup(row["country_code"], f" {mangled} ")
    assert found == Province(row["province_code"], name)


def test_province_key():
    assert province_key("Bogotá, D.C.") == "bogotadc"
    assert province_key(" Q ROO ") == "qroo"
    assert province_key("東京都") == "東京都"
    assert province_key(None) == ""


def test_tax_area_rows_add_and_rename_provinces():
    provinces = pd.DataFrame(
        {
            "country_code": ["CA", "CA"],
            "province_code": ["ON", "QC"],
            "province_name": ["Ontario", "Quebec"],
            "iso_3166_2": ["CA-ON", "CA-QC"],
            "name_alternates": ["", "Québec"],
            "code_alternates": ["", "PQ"],
        }
    )
    tax = pd.DataFrame(
        {
            "country": ["ca", "CA", "NL", "NL"],
            "province": ["Ontario (HST)", "Ignored", "Noord-Holland", "Utrecht"],
            "province_code": ["on", "", "NH", "UT"],
        }
    )
    table = ProvinceTable(provinces, tax)
    assert table.by_code("CA", "ON") == Province("ON", "Ontario (HST)")
    assert table.by_name("CA", "Ontario").code == "ON"  # the reference name still works
    assert table.by_name("CA", "ontario (hst)").code == "ON"
    assert table.lookup("CA", "Ignored") is None
    assert table.country_has_provinces("NL")
    assert table.lookup("NL", "noord holland") == Province("NH", "Noord-Holland")
    assert table.by_name("NL", "Utr", prefix=True) == Province("UT", "Utrecht")
    assert table.lookup("CA", "PQ").code == "QC"


def test_ambiguous_alternates_resolve_to_nothing():
    provinces = pd.DataFrame(
        {
            "country_code": ["XX", "XX"],
            "province_code": ["A", "B"],
            "province_name": ["Alpha", "Beta"],
            "iso_3166_2": ["", ""],
            "name_alternates": ["Twin", "Twin"],
            "code_alternates": ["", ""],
        }
    )
    table = ProvinceTable(provinces)
    assert table.lookup("XX", "Twin") is None
    assert table.by_name("XX", "Twin") is None
    assert table.lookup("XX", "alpha").code == "A"


def test_resolve_provinces_modes(table):
    iso = pd.Series(["CA", "CA", "JP", "MX", "US", "US", "GR", "CA"], index=list("abcdefgh"))
    values = pd.Series(
        ["Ontario", "on", "東京都", "MX-AGU", "new york", "", "Attica", "Ont"],
        index=list("abcdefgh"),
    )
    frame = table.resolve_provinces(iso, values)
    assert list(frame.columns) == ["province_code", "province_name", "province_found"]
    assert list(frame.index) == list("abcdefgh")
    assert frame["province_code"].tolist() == ["ON", "ON", "JP-13", "AGS", "NY", "", "", ""]
    assert frame["province_found"].tolist() == [True] * 5 + [False] * 3
    assert frame.loc["a", "province_name"] == "Ontario"

    by_code = table.resolve_provinces(iso, values, mode="code")
    assert by_code["province_code"].tolist() == ["", "ON", "", "", "", "", "", ""]

    by_name = table.resolve_provinces(iso, values, mode="name")
    # "on" and "Ont" are unique prefixes of "Ontario"; 東京都 is an alternate name
    assert by_name["province_code"].tolist() == ["ON", "ON", "JP-13", "", "NY", "", "", "ON"]
    exact = table.resolve_provinces(iso, values, mode="name", prefix=False)
    assert not exact.loc["h", "province_found"]

    one_country = table.resolve_provinces("CA", pd.Series(["Ontario", "Quebec"]))
    assert one_country["province_code"].tolist() == ["ON", "QC"]


def test_resolve_provinces_rejects_an_unknown_mode(table):
    with pytest.raises(UserInputError, match="mode"):
        table.resolve_provinces("CA", pd.Series(["ON"]), mode="fuzzy")


@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["CA", "US", "JP", "MX", "NL", "", None]),
            st.one_of(st.none(), st.sampled_from(["ON", "Ontario", "ny", "Tokyo", "AGS"])),
        ),
        max_size=20,
    ),
    mode=st.sampled_from(["any", "code", "name"]),
)
def test_resolve_provinces_equals_scalar(table, rows, mode):
    iso = pd.Series([r[0] for r in rows], dtype=object)
    values = pd.Series([r[1] for r in rows], dtype=object)
    frame = table.resolve_provinces(iso, values, mode=mode)
    scalar = {
        "any": table.lookup,
        "code": table.by_code,
        "name": lambda c, v: table.by_name(c, v, prefix=True),
    }[mode]
    expected = []
    for country, value in rows:
        found = scalar(country, value)
        expected.append((found.code, found.name, True) if found else ("", "", False))
    assert [tuple(row) for row in frame.itertuples(index=False)] == expected


def test_phones_are_matched_on_their_e164_form_without_a_validity_check():
    from shopsync.normalize import phone_e164, phones_e164

    assert phone_e164("06 12345678", "NL") == "+31612345678"
    assert phone_e164("+1 (613) 450-5293") == "+16134505293"
    assert phone_e164("not a phone", "NL") == ""
    raw = pd.Series(["0612345678", "030 1234567", "", "0612345678"], index=[5, 6, 7, 8])
    regions = pd.Series(["NL", "DE", "NL", "NL"], index=[5, 6, 7, 8])
    out = phones_e164(raw, regions)
    assert out.to_dict() == {5: "+31612345678", 6: "+49301234567", 7: "", 8: "+31612345678"}
