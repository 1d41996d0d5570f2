"""Seeding from a data directory, the customers() snapshot, the CLI and the generated schema."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from emulator_helpers import gql, running_command

from shopsync.emulator import Emulator
from shopsync.emulator.cli import add_emulator_command, run_emulator_command
from shopsync.emulator.schema import SCHEMA_PATH

ROOT = Path(__file__).resolve().parents[2]


def test_seeding_from_a_data_dir(seeded: Emulator) -> None:
    assert seeded.shopify_plan == "advanced"
    customers = seeded.customers()
    assert [c["id"] for c in customers] == [
        f"gid://shopify/Customer/{n}" for n in range(1001, 1007)
    ]
    anna = customers[0]
    assert anna["defaultEmailAddress"] == {"emailAddress": "anna@example.com"}
    assert anna["defaultPhoneNumber"] == {"phoneNumber": "+31612345678"}
    assert anna["tags"] == ["Retail", "vip"]
    assert anna["state"] == "ENABLED" and anna["updatedAt"] == "2026-03-01T10:00:00Z"
    assert (
        anna["defaultAddress"]["id"]
        == "gid://shopify/MailingAddress/5001?model_name=CustomerAddress"
    )
    assert anna["defaultAddress"]["country"] == "Netherlands"
    howard = customers[5]  # optional keys omitted in the file get defaults
    assert (
        howard["verifiedEmail"] is True and howard["note"] is None and howard["taxExempt"] is False
    )
    assert howard["defaultAddress"]["province"] == "Ontario"
    body = gql(
        seeded,
        '{ customer(id: "gid://shopify/Customer/1003") { numberOfOrders canDelete '
        "addressesV2(first: 5) { nodes { id } } } }",
    )
    assert body["data"]["customer"]["numberOfOrders"] == "1"
    assert body["data"]["customer"]["canDelete"] is False
    assert len(body["data"]["customer"]["addressesV2"]["nodes"]) == 2
    created = gql(
        seeded, 'mutation { customerCreate(input: {email: "new@example.com"}) { customer { id } } }'
    )
    assert created["data"]["customerCreate"]["customer"]["id"] == "gid://shopify/Customer/1007"


def test_seed_roundtrip_through_customers(seeded: Emulator, tmp_path: Path) -> None:
    with (tmp_path / "customers.jsonl").open("w") as fh:
        for customer in seeded.customers():
            fh.write(json.dumps(customer) + "\n")
    again = Emulator(data_dir=tmp_path)
    assert again.customers() == seeded.customers()


def test_bad_seed_files_are_reported(tmp_path: Path) -> None:
    (tmp_path / "customers.jsonl").write_text(
        json.dumps(
            {"id": "gid://shopify/Customer/1", "defaultEmailAddress": {"emailAddress": "a@b.co"}}
        )
        + "\n"
        + json.dumps(
            {"id": "gid://shopify/Customer/2", "defaultEmailAddress": {"emailAddress": "A@b.co"}}
        )
        + "\n"
    )
    with pytest.raises(ValueError, match=r"customers\.jsonl:2: duplicate e-mail"):
        Emulator(data_dir=tmp_path)


def test_invalid_documents_get_shopify_errors(seeded: Emulator) -> None:
    body = gql(seeded, "query Q { customers(first: 1) { nodes { nope } } }")
    assert body == {
        "errors": [
            {
                "message": "Field 'nope' doesn't exist on type 'Customer'",
                "locations": [{"line": 1, "column": 41}],
                "path": ["query Q", "customers", "nodes", "nope"],
                "extensions": {
                    "code": "undefinedField",
                    "typeName": "Customer",
                    "fieldName": "nope",
                },
            }
        ]
    }
    body = gql(seeded, "query Q { customer { id } }")
    assert body["errors"][0]["message"] == "Field 'customer' is missing required arguments: id"
    body = gql(
        seeded, 'query Q($x: String) { customer(id: "gid://shopify/Customer/1", foo: $x) { id } }'
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == [
        "argumentNotAccepted",
        "variableNotUsed",
    ]
    body = gql(seeded, '{ customer(id: "1001") { id } }')
    assert body["errors"][0]["message"] == "Invalid global id '1001'"
    body = gql(seeded, "query($id: ID!) { customer(id: $id) { id } }", {"id": "1001"})
    assert (
        body["errors"][0]["extensions"]["problems"][0]["explanation"] == "Invalid global id '1001'"
    )
    body = gql(seeded, "{ customers(first: 1) {")
    assert body["errors"][0]["message"].startswith("syntax error, unexpected end of file")


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="shopsync")
    subparsers = parser.add_subparsers(dest="verb")
    add_emulator_command(subparsers)
    return parser.parse_args(argv)


def test_cli_options() -> None:
    args = _parse(["emulator"])
    assert (args.host, args.port, args.shopify_plan, args.faults, args.seed, args.token) == (
        "127.0.0.1",
        8787,
        "standard",
        None,
        0,
        None,
    )
    assert args.func is run_emulator_command and args.handler is run_emulator_command
    args = _parse(
        [
            "emulator",
            "--port",
            "0",
            "--shopify-plan",
            "plus",
            "--faults",
            "500=0.1",
            "--seed",
            "3",
            "--token",
            "t",
            "--data",
            "x",
        ]
    )
    assert (args.port, args.shopify_plan, args.faults, args.seed, args.token, args.data) == (
        0,
        "plus",
        "500=0.1",
        3,
        "t",
        Path("x"),
    )


def test_cli_refuses_remote_binds_and_bad_faults(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_emulator_command(_parse(["emulator", "--host", "0.0.0.0"])) == 2
    assert "--allow-remote" in capsys.readouterr().err
    assert run_emulator_command(_parse(["emulator", "--faults", "bogus=1"])) == 2


def test_cli_serves_until_stopped(data_dir: Path) -> None:
    args = _parse(["emulator", "--port", "0", "--data", str(data_dir), "--token", "secret"])
    with running_command(args) as server:
        response = requests.post(
            server.graphql_url,
            json={"query": "{ customersCount { count } }"},
            headers={"X-Shopify-Access-Token": "secret"},
            timeout=10,
        )
        assert response.json()["data"]["customersCount"]["count"] == 6


@pytest.mark.slow
def test_schema_file_is_generated_and_deterministic(tmp_path: Path) -> None:
    out = tmp_path / "schema.graphql"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_emulator_schema.py"),
            "--source",
            str(ROOT / "tests" / "fixtures" / "admin-2026-07.graphql"),
            "--output",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    assert out.read_text() == SCHEMA_PATH.read_text()
    assert '"""' not in out.read_text()  # no description texts
