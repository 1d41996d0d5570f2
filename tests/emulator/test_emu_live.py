"""The emulator as strict as a live store: bulk output order, search lag, protected data,
error classes, order windows and ceilings, invites (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

from emulator_helpers import gql

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
