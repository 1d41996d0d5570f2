"""The emulator as strict as a live store: bulk output order, search lag, protected data,
error classes, order windows and ceilings, invites (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

from emulator_helpers import create, gql

from shopsync.emulator import Emulator

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"

RUN_QUERY = (
    "mutation($q: String!, $g: Boolean!) { bulkOperationRunQuery(query: $q, groupObjects: $g) "
    "{ bulkOperation { id } userErrors { field message code } } }"
)
CUSTOMERS_WITH_ADDRESSES = (
    "{ customers { edges { node { id addressesV2 { edges { node { id city } } } } } } }"
)


def bulk_lines(emu: Emulator, query: str, *, group: bool = False) -> list[dict]:
    run = gql(emu, RUN_QUERY, {"q": query, "g": group})["data"]["bulkOperationRunQuery"]
    assert run["userErrors"] == [], run
    emu.settle_bulk_operations()
    n = int(run["bulkOperation"]["id"].rsplit("/", 1)[1])
    return [json.loads(line) for line in emu.bulk.output(n).decode().splitlines()]


def child_before_parent(lines: list[dict]) -> bool:
    seen: set[str] = set()
    for line in lines:
        if "__parentId" in line and line["__parentId"] not in seen:
            return True
        seen.add(line["id"])
    return False


def test_bulk_output_is_ungrouped_and_shuffled_unless_group_objects(clock) -> None:
    emu = Emulator(data_dir=SAMPLE, clock=clock, now=clock.now, sleep=clock.sleep)
    loose = bulk_lines(emu, CUSTOMERS_WITH_ADDRESSES)
    assert child_before_parent(loose)  # an address line before its customer's, as in 2026-07
    again = Emulator(data_dir=SAMPLE, clock=clock, now=clock.now, sleep=clock.sleep)
    assert bulk_lines(again, CUSTOMERS_WITH_ADDRESSES) == loose  # the same seed, the same order
    grouped = bulk_lines(emu, CUSTOMERS_WITH_ADDRESSES, group=True)
    assert not child_before_parent(grouped)
    assert sorted(map(json.dumps, grouped)) == sorted(map(json.dumps, loose))


SEARCH = "query($q: String) { customers(first: 10, query: $q) { nodes { id email } } }"
BY_IDENTIFIER = (
    "query($e: String!) { customerByIdentifier(identifier: {emailAddress: $e}) { id email } }"
)
UPDATE = (
    "mutation($input: CustomerInput!) { customerUpdate(input: $input) "
    "{ customer { id email } userErrors { field message } } }"
)


def found(emu: Emulator, query: str) -> list[str]:
    return [n["email"] for n in gql(emu, SEARCH, {"q": query})["data"]["customers"]["nodes"]]


def test_search_lags_behind_updates_too_but_customer_by_identifier_never(clock) -> None:
    emu = Emulator(clock=clock, now=clock.now, search_delay=3.0)
    gid = create(emu, email="old@example.com")["customer"]["id"]
    clock.advance(3)
    assert found(emu, 'email:"old@example.com"') == ["old@example.com"]
    gql(emu, UPDATE, {"input": {"id": gid, "email": "new@example.com"}})
    # the index still holds the old version: found by the old e-mail, shown as it is now
    assert found(emu, 'email:"new@example.com"') == []
    assert found(emu, 'email:"old@example.com"') == ["new@example.com"]
    exact = gql(emu, BY_IDENTIFIER, {"e": "  NEW@Example.COM "})["data"]["customerByIdentifier"]
    assert exact == {"id": gid, "email": "new@example.com"}
    assert gql(emu, BY_IDENTIFIER, {"e": "old@example.com"})["data"]["customerByIdentifier"] is None
    clock.advance(3)
    assert found(emu, 'email:"new@example.com"') == ["new@example.com"]
    assert found(emu, 'email:"old@example.com"') == []
