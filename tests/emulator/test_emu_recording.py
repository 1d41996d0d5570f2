"""``shopsync record``: read-only, scrubbed recordings of a store that replay on the emulator."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from emulator_replay import FIXTURES, replay, seed_from_recording

from shopsync.cli import main
from shopsync.emulator import Emulator
from shopsync.errors import ProtectedDataRefused, UserInputError
from shopsync.recording import Recorder, Scrubber, read_only, record_store
from shopsync.shopify import ShopifyClient, queries

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def test_record_command_writes_a_scrubbed_capture_that_replays(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SHOPIFY_ACCESS_TOKEN", "shpat_secret_never_recorded")
    emulator = Emulator(data_dir=SAMPLE)
    with emulator.serve() as server:
        config = tmp_path / "shop.toml"
        text = (SAMPLE / "shop.toml").read_text(encoding="utf-8")
        config.write_text(text.replace("http://127.0.0.1:8787", server.url), encoding="utf-8")
        before = emulator.requests_served
        assert main(["record", "--config", str(config), "--out", str(tmp_path / "out")]) == 0
        served = emulator.requests_served - before
    (path,) = (tmp_path / "out").glob("recorded-*.json")
    text = path.read_text(encoding="utf-8")
    capture = json.loads(text)
    assert served == len(capture["cases"]) >= 7
    assert all(case["query"].lstrip().startswith("query") for case in capture["cases"].values())
    assert "shpat_secret" not in text and server.url not in text
    personal = [
        value
        for c in emulator.customers()[:25]
        for value in (
            (c["defaultEmailAddress"] or {}).get("emailAddress"),
            (c["defaultPhoneNumber"] or {}).get("phoneNumber"),
            c["lastName"],
            *(a["address1"] for a in c["addressesV2"]["nodes"]),
        )
        if value
    ]
    assert personal and not [v for v in personal if v in text]
    by_email = capture["cases"]["customerByEmail"]
    assert by_email["variables"]["identifier"]["emailAddress"] == " CUSTOMER1@EXAMPLE.COM "

    # dropped into the conformance folder, it replays case for case
    rel = "recorded/test-drop.json"
    dropped = FIXTURES / rel
    shutil.copyfile(path, dropped)
    try:
        seeded = Emulator(data_dir=seed_from_recording(rel, tmp_path / "seed"))
        outcomes = replay(seeded, rel)
    finally:
        dropped.unlink()
    assert len(outcomes) == len(capture["cases"])
    assert all(o.ok for o in outcomes), [o.detail for o in outcomes if not o.ok]


def test_a_difference_from_the_store_shows_in_the_replay(tmp_path) -> None:
    capture = json.loads((FIXTURES / "recorded" / "sample-store.json").read_text())
    node = capture["cases"]["customersSample"]["response"]["data"]["customers"]["nodes"][0]
    node["addressesV2"]["nodes"][0]["country"] = "United States of America"
    rel = "recorded/test-difference.json"
    (FIXTURES / rel).write_text(json.dumps(capture))
    try:
        seeded = Emulator(data_dir=seed_from_recording(rel, tmp_path / "seed"))
        outcomes = {o.case.path: o for o in replay(seeded, rel)}
    finally:
        (FIXTURES / rel).unlink()
    sample = outcomes["/cases/customersSample"]
    assert not sample.ok and "United States of America" in sample.detail
    assert outcomes["/cases/shopInfo"].ok


@pytest.mark.parametrize(
    "document",
    [
        queries.CUSTOMER_SET,
        "subscription S { shop { name } }",
        'query A { shop { name } } mutation B { customerDelete(input: {id: "x"}) { shop { id } } }',
        "not graphql {",
    ],
)
def test_the_recorder_refuses_anything_but_queries_before_sending(document) -> None:
    emulator = Emulator()
    with emulator.serve() as server:
        recorder = Recorder(ShopifyClient(server.url, "t"))
        with pytest.raises(UserInputError):
            recorder.query("write", document, {})
    assert emulator.requests_served == 0 and recorder.cases == {}
    assert read_only(queries.SHOP_INFO) == queries.SHOP_INFO


def test_scrubbing_is_consistent_across_fields_and_search_texts() -> None:
    scrubber = Scrubber()
    scrubber.learn([{"firstName": "Ann", "defaultEmailAddress": {"emailAddress": "Ann@X.com"}}])
    out = scrubber.scrub(
        {
            "email": "ann@x.com",
            "query": 'email:"ANN@x.com"',
            "doc": {"query": "query Q { customers { nodes { firstName } } }"},
            "firstName": "Ann",
        }
    )
    assert out == {
        "email": "customer1@example.com",
        "query": 'email:"customer1@example.com"',
        "doc": {"query": "query Q { customers { nodes { firstName } } }"},
        "firstName": "First1",
    }
    assert scrubber.leaks(json.dumps(out)) == []
    assert scrubber.leaks("write to ann@x.com") == ["ann@x.com"]


def test_recording_a_store_without_customer_data_access_stops_clearly() -> None:
    emulator = Emulator(data_dir=SAMPLE, protected_data="denied")
    with emulator.serve() as server, pytest.raises(ProtectedDataRefused, match="customersSample"):
        record_store(ShopifyClient(server.url, "t"))
