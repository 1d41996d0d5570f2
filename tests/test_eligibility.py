"""Export eligibility (SPEC section 5): reason codes, and exactly what would be sent."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from factories import erp
from factories import export_context as context

from shopsync.eligibility import ELIGIBILITY_COLUMNS, check_export_eligibility
from shopsync.reasons import is_error
from shopsync.reference import load_province_table


def check(*rows, ctx=None, **kw):
    rows = [{"email": f"{r['no'].lower()}@x.com", "country_code": "NL"} | r for r in rows]
    report = check_export_eligibility(erp(*rows), ctx or context(), **kw)
    assert list(report.columns) == ELIGIBILITY_COLUMNS
    return report.set_index("customer_no")


def reasons_of(row):
    return set(filter(None, row["reasons"].split(";")))


@pytest.mark.parametrize(
    "email, code",
    [
        ("", "EMAIL_MISSING"),
        ("foo@bar", "EMAIL_INVALID"),
        ("foo@@bar.com", "EMAIL_INVALID"),
        ("@bar.com", "EMAIL_INVALID"),
    ],
)
def test_email_errors(email, code):
    row = check({"no": "C1", "email": email}).loc["C1"]
    assert reasons_of(row) == {code} and not row["eligible"] and row["action"] == "skip"


@pytest.mark.parametrize("field", ["a@x.com;b@x.com", "a@x.com, b@x.com"])
def test_email_list_sends_the_first_with_a_warning(field):
    row = check({"no": "C1", "email": field}).loc["C1"]
    assert (row["email"], row["reasons"], row["eligible"]) == ("a@x.com", "EMAIL_LIST", True)


def test_duplicates_are_reported_on_every_member_naming_the_others():
    report = check(
        {"no": "C1", "email": "Dup@x.com"},
        {"no": "C2", "email": " dup@X.com "},
        {"no": "C3", "email": "dup@x.com"},
        {"no": "C4", "email": "solo@x.com", "phone": "06 12345678"},
        {"no": "C5", "email": "other@x.com", "phone": "+31 6 1234 5678"},
    )
    assert report.loc[["C1", "C2", "C3"], "reasons"].tolist() == ["EMAIL_DUPLICATE"] * 3
    assert report.loc["C1", "details"] == "EMAIL_DUPLICATE: same as C2, C3"
    assert report.loc["C4", "reasons"] == "PHONE_DUPLICATE"
    assert report.loc["C5", "details"] == "PHONE_DUPLICATE: same as C4"


def test_a_customer_in_two_duplicate_groups_lists_both_and_a_blocked_one_takes_no_part():
    report = check(
        {"no": "C1", "email": "a@x.com", "phone": "06 12345678"},
        {"no": "C2", "email": "a@x.com"},
        {"no": "C3", "email": "b@x.com", "phone": "+31 6 1234 5678"},
        {"no": "C4", "email": "a@x.com", "blocked": "All"},
        {"no": "C2", "email": "c@x.com", "phone": "0031612345679"},  # a number twice
        {"no": "C2", "email": "d@x.com", "phone": "0612345679"},
    ).reset_index()
    assert report.loc[0, "reasons"] == "EMAIL_DUPLICATE;PHONE_DUPLICATE"
    assert report.loc[0, "details"] == ("EMAIL_DUPLICATE: same as C2; PHONE_DUPLICATE: same as C3")
    assert report.loc[3, "reasons"] == "CUSTOMER_BLOCKED"
    assert report.loc[3, "details"] == "CUSTOMER_BLOCKED: Blocked All"
    # the same number on both members: no other to name
    assert report.loc[4, "details"] == report.loc[5, "details"] == "PHONE_DUPLICATE: same as "
    assert not report["eligible"].any()  # a duplicate is an error, as blocked is


def test_country_codes():
    report = check(
        {"no": "C1", "country_code": "EL", "phone": "210 1234567"},
        {"no": "C2", "country_code": "XK"},
        {"no": "C3", "country_code": "ZZ"},
        {"no": "C4", "country_code": "", "county": "MA"},
    )
    assert (report.loc["C1", "country_code"], report.loc["C1", "phone"]) == ("GR", "+302101234567")
    assert report.loc["C2", "reasons"] == "COUNTRY_NO_ISO"
    assert report.loc["C3", "reasons"] == "COUNTRY_UNKNOWN"
    assert report.loc["C4", "country_code"] == "US"  # blank: the company's country
    assert report.loc["C4", "eligible"]


@pytest.mark.parametrize(
    "phone, country, e164",
    [
        ("4155550123", "US", "+14155550123"),
        ("+31612345678", "NL", "+31612345678"),
        ("(415)555-0123", "US", "+14155550123"),
        ("+1 415-555-0123", "US", "+14155550123"),
        ("0612345678", "NL", "+31612345678"),
        ("030 1234567", "DE", "+49301234567"),
    ],
)
def test_phones_are_sent_as_e164(phone, country, e164):
    row = check(
        {
            "no": "C1",
            "phone": phone,
            "country_code": country,
            "county": "CA" if country == "US" else "",
        }
    ).loc["C1"]
    assert (row["phone"], row["eligible"]) == (e164, True)


def test_invalid_phone_and_dropped_extension():
    report = check(
        {"no": "C1", "phone": "12"},
        {"no": "C2", "phone": "+1 415 555 0123 ext. 12", "country_code": "US", "county": "CA"},
    )
    assert report.loc["C1", "reasons"] == "PHONE_INVALID" and not report.loc["C1", "eligible"]
    assert report.loc["C2", "reasons"] == "PHONE_EXTENSION_DROPPED"
    assert (report.loc["C2", "phone"], report.loc["C2", "eligible"]) == ("+14155550123", True)


def test_provinces_by_code_and_by_name():
    by_code = check(
        {"no": "C1", "country_code": "CA", "county": "ON"},
        {"no": "C2", "country_code": "JP", "county": "JP-13"},
        {"no": "C3", "country_code": "US", "county": "Massachusetts"},
        {"no": "C4", "country_code": "US", "county": "XX"},
        {"no": "C5", "country_code": "US", "county": ""},
    )
    assert by_code.loc["C1", ["province_code", "province"]].tolist() == ["ON", "Ontario"]
    assert by_code.loc["C2", "province_code"] == "JP-13"
    assert reasons_of(by_code.loc["C3"]) == {"PROVINCE_UNKNOWN", "COUNTY_TOO_LONG"}
    assert not by_code.loc["C3", "eligible"]
    assert by_code.loc["C4", "reasons"] == "PROVINCE_UNKNOWN"
    assert (by_code.loc["C5", "reasons"], by_code.loc["C5", "eligible"]) == (
        "PROVINCE_MISSING",
        True,
    )
    by_name = check(
        {"no": "C1", "country_code": "US", "county": "Massachusetts"},
        {"no": "C2", "country_code": "MX", "county": "Aguascalientes"},
        {"no": "C3", "country_code": "CA", "county": "Brit"},  # BC's prefix rule
        ctx=context(county_source="name"),
    )
    assert by_name["province_code"].tolist() == ["MA", "AGS", "BC"]
    assert by_name["eligible"].all()


def test_names_per_source_never_by_substring():
    report = check(
        {"no": "C1", "name": "Contoso", "contact": "Firstname Last name"},
        {"no": "C2", "name": "Annabel Ann", "contact": ""},
        ctx=context(contact_source="first_and_last_name", name_source="last_and_first_name"),
    )
    assert report.loc["C1", ["first_name", "last_name"]].tolist() == ["Firstname", "Last name"]
    assert report.loc["C2", ["first_name", "last_name"]].tolist() == ["Ann", "Annabel"]
    last_first = check(
        {"no": "C1", "contact": "Last name Firstname"},
        ctx=context(contact_source="last_and_first_name"),
    )
    assert last_first.loc["C1", ["first_name", "last_name"]].tolist() == ["Firstname", "Last name"]


def test_company_is_name_or_name_2_per_source():
    row = check({"no": "C1", "name": "Contoso Ltd", "name_2": "Sales"}).loc["C1"]
    assert row["company"] == "Contoso Ltd"
    ctx = context(name_source="first_and_last_name", name_2_source="company_name")
    assert (
        check({"no": "C1", "name": "Ann Lee", "name_2": "Sales"}, ctx=ctx).loc["C1", "company"]
        == "Sales"
    )


def test_long_fields_and_linked_customers():
    report = check(
        {"no": "C1", "address": "x" * 256},
        {"no": "C2"},
        ctx=context(can_update_shopify_customers=True),
        linked={"C2"},
    )
    assert report.loc["C1", "reasons"] == "FIELD_TOO_LONG"
    assert report.loc["C2", "action"] == "update"
    assert check({"no": "C2"}, linked={"C2"}).loc["C2", "action"] == "unchanged"


def test_a_persons_name_is_not_sent_as_company():
    report = check(
        {"no": "C1", "name": "Ann Lee", "contact": "Ann Lee"},
        {"no": "C2", "name": "Contoso", "contact": "Ann Lee"},
    )
    assert report.loc["C1", "company"] == "" and report.loc["C2", "company"] == "Contoso"


def test_no_customers_give_an_empty_report_with_the_columns():
    report = check_export_eligibility(erp(), context())
    assert report.empty and list(report.columns) == ELIGIBILITY_COLUMNS


def test_the_remote_check_flags_customers_whose_shopify_twin_belongs_to_another():
    # the export planner's check, as a sync and validate-export run it
    from shopsync.export_plan import plan_export

    report = check(
        {"no": "C1", "email": "taken@x.com"},
        {"no": "C2", "email": "free@x.com"},
        {"no": "C3", "email": "mine@x.com"},
    )
    shopify = pd.DataFrame(
        {
            "shopify_id": ["11", "12", "13"],
            "email": ["taken@x.com", "free@x.com", "mine@x.com"],
            "phone": ["", "", ""],
            "first_name": ["", "", ""],
            "last_name": ["", "", ""],
            "customer_no": ["C9", "", "C3"],
        }
    )
    planned = plan_export(report.reset_index(), shopify, context().settings)
    flagged = planned.set_index("customer_no")
    assert flagged.at["C1", "reasons"] == "ALREADY_EXISTS_IN_SHOPIFY"
    assert not flagged.at["C1", "eligible"] and flagged.at["C1", "action"] == "skip"
    assert "Shopify customer 11 is linked to ERP customer C9" in flagged.at["C1", "message"]
    assert flagged.at["C2", "eligible"] and flagged.at["C3", "eligible"]


def test_county_is_not_sent_and_raises_nothing_in_a_country_without_provinces():
    # BC FillInShopifyCustomerData: the county is looked up only when the country has tax-area
    # (province) rows; BC's test UnitTestFillInShopifyCustomerDataCounty: DE -> no province.
    report = check(
        {"no": "C1", "country_code": "DE", "county": "Bayern"},
        {"no": "C2", "country_code": "DE", "county": "Nordrhein-Westfalen"},
        {"no": "C3", "country_code": "NL", "county": "Noord-Holland"},
    )
    assert report["reasons"].tolist() == ["", "", ""]
    assert report["eligible"].all()
    assert (report["province_code"] == "").all() and (report["province"] == "").all()
    by_name = check(
        {"no": "C1", "country_code": "DE", "county": "Nordrhein-Westfalen"},
        ctx=context(county_source="name"),
    )
    assert (by_name.loc["C1", "reasons"], by_name.loc["C1", "province_code"]) == ("", "")


def test_unresolvable_county_in_a_country_with_provinces_is_a_warning_sent_without_province():
    # Shopify refuses a wrong province code ("Province is invalid") but accepts none: BC leaves
    # the province blank when the tax-area lookup finds nothing.
    report = check({"no": "C1", "country_code": "US", "county": "XX"})
    row = report.loc["C1"]
    assert (row["reasons"], row["eligible"], row["action"]) == ("PROVINCE_UNKNOWN", True, "create")
    assert (row["province_code"], row["province"]) == ("", "")
    assert not is_error("PROVINCE_UNKNOWN")


def test_tax_area_rows_give_a_country_provinces():
    # BC keys provinces on its tax-area table: a GR row (Shopify has no Greek zones) makes the
    # county count for Greece, and resolve.
    tax_areas = pd.DataFrame([{"country": "GR", "province": "Attica", "province_code": "I"}])
    ctx = dataclasses.replace(context(), provinces=load_province_table(tax_areas))
    report = check(
        {"no": "C1", "country_code": "EL", "county": "I"},
        {"no": "C2", "country_code": "EL", "county": "Crete"},
        ctx=ctx,
    )
    assert report.loc["C1", ["province_code", "province"]].tolist() == ["I", "Attica"]
    assert report.loc["C2", "reasons"] == "PROVINCE_UNKNOWN"


# -- Blocked customers (issue 17 point 14) ------------------------------------------------------


def test_a_blocked_customer_is_not_eligible_whatever_else_is_right():
    report = check(
        {"no": "C1", "blocked": "All"},
        {"no": "C2", "blocked": "Ship"},
        {"no": "C3", "blocked": "Invoice", "email": ""},
        {"no": "C4", "blocked": ""},
        {"no": "C5", "blocked": "No"},  # a frame not read by read_erp_customers: still read
        {"no": "C6", "blocked": "maybe"},  # unreadable: blocks
    )
    for no in ("C1", "C2", "C6"):
        row = report.loc[no]
        assert (row["reasons"], row["eligible"], row["action"]) == (
            "CUSTOMER_BLOCKED",
            False,
            "skip",
        )
    assert reasons_of(report.loc["C3"]) == {"CUSTOMER_BLOCKED", "EMAIL_MISSING"}
    assert report.loc["C1", "details"] == "CUSTOMER_BLOCKED: Blocked All"
    assert report.loc["C6", "details"] == "CUSTOMER_BLOCKED: Blocked maybe"
    assert report.loc[["C4", "C5"], "eligible"].all()
    assert report.loc[["C4", "C5"], "reasons"].tolist() == ["", ""]
    assert is_error("CUSTOMER_BLOCKED")
    # a linked customer that is blocked is not updated either
    linked = check(
        {"no": "C1", "blocked": "All"},
        ctx=context(can_update_shopify_customers=True),
        linked={"C1"},
    )
    assert linked.loc["C1", "action"] == "skip"


def test_a_blocked_customer_takes_no_email_or_phone_from_the_others():
    # the blocked customer is never sent, so the active one with its e-mail is no duplicate
    report = check(
        {"no": "C1", "email": "ann@x.com", "phone": "06 12345678", "blocked": "All"},
        {"no": "C2", "email": "ann@x.com", "phone": "06 12345678"},
    )
    assert report.loc["C1", "reasons"] == "CUSTOMER_BLOCKED"
    assert (report.loc["C2", "reasons"], report.loc["C2", "eligible"]) == ("", True)


def test_the_export_plan_skips_blocked_customers_linked_or_not():
    from shopsync.export_plan import plan_export

    settings = dict(export_customers=True, can_update_shopify_customers=True)
    report = check_export_eligibility(
        erp(
            {"no": "C1", "email": "old@x.com", "country_code": "NL", "blocked": "All"},
            {"no": "C2", "email": "new@x.com", "country_code": "NL", "blocked": "Ship"},
            {"no": "C3", "email": "free@x.com", "country_code": "NL", "blocked": "Invoice"},
            {"no": "C4", "email": "ok@x.com", "country_code": "NL"},
        ),
        context(**settings),
        linked={"C1"},
    )
    mirror = pd.DataFrame(
        {
            "shopify_id": ["11", "13"],
            "email": ["changed@x.com", "free@x.com"],
            "phone": ["", ""],
            "first_name": ["", ""],
            "last_name": ["", ""],
            "customer_no": ["C1", ""],
        }
    )
    plan = plan_export(report, mirror, context(**settings).settings).set_index("customer_no")
    assert plan["action"].to_dict() == {"C1": "skip", "C2": "skip", "C3": "skip", "C4": "create"}
    assert plan.loc["C1", "shopify_id"] == "11" and plan.loc["C1", "changes"] == ""
    assert plan.loc["C3", "shopify_id"] == ""  # not linked to the free Shopify customer
    assert all("CUSTOMER_BLOCKED" in plan.loc[no, "reasons"] for no in ("C1", "C2", "C3"))


def test_values_to_fix_name_each_field_once_with_its_erp_value_and_blanks_in_words():
    from shopsync.fixes import offending_values, with_fixes

    report = pd.DataFrame(
        {
            "customer_no": ["C1", "C2", "C3", "C4", "C5"],
            "eligible": [False, True, False, True, False],
            "reasons": [
                "EMAIL_INVALID;PHONE_INVALID",
                "PHONE_EXTENSION_DROPPED",
                "PROVINCE_UNKNOWN;COUNTY_TOO_LONG;EMAIL_MISSING",
                "",
                "COUNTRY_UNKNOWN",
            ],
        }
    )
    customers = pd.DataFrame(
        {
            "no": ["C1", "C2", "C3", "C4"],  # C5 is not among them: its values are blank
            "email": ["foo@bar", "a@b.de", "\u2003\x1c ", "x@y.de"],
            "phone": ["12 x", "(617) 555-0100 ext. 4", "", ""],
            "county": ["", "", "Zzz", ""],
            "country_code": ["US", "US", "US", "US"],
        }
    )
    fixed = with_fixes(report, customers)
    # the rows to fix first: ineligible in report order, then eligible with a warning, then clean
    assert fixed["customer_no"].tolist() == ["C1", "C3", "C5", "C2", "C4"]
    assert fixed["values to fix"].tolist() == [
        'e-mail "foo@bar"; phone "12 x"',
        'county "Zzz"; e-mail (blank)',  # whitespace only, as Python's strip sees it
        "country (blank)",
        'phone "(617) 555-0100 ext. 4"',
        "",
    ]
    by_no = customers.set_index("no").to_dict("index")
    for row in fixed.itertuples(index=False):
        codes = [c for c in row.reasons.split(";") if c]
        assert row[3] == offending_values(codes, by_no.get(row.customer_no, {}))
    assert list(fixed.columns[:5]) == [
        "customer_no",
        "eligible",
        "reasons",
        "values to fix",
        "what to fix",
    ]


def test_match_in_mirror_column_wise_equals_the_walk_over_lists():
    from shopsync.exporting import match_in_mirror

    mirror = pd.DataFrame(
        {
            "shopify_id": ["S1", "S2", "", "S4", "S5"],
            "email": ["A@x.com", "a@X.com", "b@x.com", "", "STRASSE@x.de"],
            "phone": ["+31612345678", "", "+31612345679", "+31612345679", ""],
        }
    )
    export = pd.DataFrame(
        {
            "email": ["a@x.com", "b@x.com", "", "straße@x.de", "zz@x.com"],
            "phone": ["", "+31612345679", "+31612345678", "", ""],
        }
    )
    text = {c: "str" for c in ("shopify_id", "email", "phone")}
    column_wise = match_in_mirror(export.astype("str"), mirror.astype(text))
    walked = match_in_mirror(export.astype(object), mirror.astype(object))
    # the last holder of an e-mail wins; a blank id is no match and the phone is tried
    assert column_wise.tolist() == walked.tolist() == ["S2", "S4", "S1", "S5", ""]
    no_phones = mirror.assign(phone="").astype(text)
    assert match_in_mirror(export.astype("str"), no_phones).tolist()[2:] == ["", "S5", ""]
