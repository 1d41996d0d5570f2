"""The schema module: its maps agree with the store's tables and the GraphQL documents."""

from __future__ import annotations

import json
import re

import pandas as pd

from shopsync import schema
from shopsync.reasons import REASONS, explain
from shopsync.shopify import queries
from shopsync.store import metadata


def _fragment_fields(document: str, name: str) -> list[str]:
    body = re.search(rf"fragment {name} on \w+ \{{(.*?)\}}", document, re.S)
    assert body, f"no fragment {name}"
    return body.group(1).split()


def test_the_address_fragment_asks_for_every_field_the_readers_and_writers_use():
    asked = _fragment_fields(queries.CUSTOMER_FIELDS, "AddressFields")
    assert asked == list(schema.MAILING_ADDRESS_FIELDS)
    assert set(schema.ADDRESS_NODE_FIELDS.values()) | {"countryCodeV2"} <= set(asked)
    assert set(schema.EXPORT_ADDRESS_NODE.values()) <= set(asked)


def test_the_mirror_tables_hold_every_column_of_the_frames():
    customers = {
        schema.MIRROR_CUSTOMER_NAMES.get(c.name, c.name)
        for c in metadata.tables["shopify_customers"].c
    }
    addresses = {
        schema.MIRROR_ADDRESS_NAMES.get(c.name, c.name)
        for c in metadata.tables["shopify_addresses"].c
    }
    # record_error: a record that could not be read is never mirrored; position: the order
    assert set(schema.CUSTOMER_COLUMNS) - customers == {"record_error"}
    assert set(schema.ADDRESS_COLUMNS) - addresses == {"position"}
    erp = {c.name for c in metadata.tables["erp_customers"].c}
    assert set(schema.ERP_CUSTOMER_COLUMNS) <= erp


def test_the_mutation_input_names_the_country_code_and_sends_no_province_name():
    assert schema.ADDRESS_INPUT_FIELDS["country_code"] == "countryCode"
    assert "province" not in schema.ADDRESS_INPUT_FIELDS
    assert list(schema.ADDRESS_INPUT_FIELDS.values())[:3] == ["company", "firstName", "lastName"]


def test_bc_captions_read_back_to_their_columns():
    assert len(schema.BC_CAPTIONS) == len(schema.ERP_COLUMNS)
    assert {schema.CAPTIONS[c] for c in schema.BC_CAPTIONS} == set(schema.ERP_COLUMNS)
    assert schema.CAPTIONS["Email"] == schema.CAPTIONS["E-Mail"] == "email"
    assert schema.ERP_CAPTIONS["email"] == "E-Mail"  # the hand-over writes BC's own caption


def test_vocabularies_are_the_strings_the_reports_hold():
    assert [a.outcome for a in schema.Action] == [
        "created",
        "updated",
        "linked",
        "unchanged",
        "skipped",
    ]
    assert schema.Action("skip").outcome is schema.Outcome.SKIPPED
    assert f"{schema.Outcome.FAILED}" == "failed" and str(schema.Side.EXPORT) == "export"
    assert json.dumps({"outcome": schema.Outcome.LINKED}) == '{"outcome": "linked"}'
    frame = pd.DataFrame({"outcome": [schema.Outcome.CREATED, "created"]})
    assert frame["outcome"].value_counts().to_dict() == {"created": 2}
    assert set(schema.ReasonCode) == set(REASONS)
    assert explain(schema.ReasonCode.EMAIL_MISSING) == REASONS["EMAIL_MISSING"].text


def test_fill_columns_blanks_what_a_frame_lacks_by_its_type():
    frame = pd.DataFrame([{"shopify_id": "1", "city": None}])
    filled = schema.fill_columns(frame, schema.ADDRESS_COLUMNS)
    assert list(filled.columns) == schema.ADDRESS_COLUMNS
    row = filled.iloc[0]
    assert filled["is_default"].dtype == bool and not row["is_default"]
    assert row["position"] == 0 and row["city"] == "" and row["zip"] == ""
