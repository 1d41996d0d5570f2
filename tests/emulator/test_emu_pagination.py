"""Cursor pagination over 1,000+ customers: first/after, last/before, reverse, limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from emulator_helpers import gql

from shopsync.emulator import Emulator

TOTAL = 1203
PAGE = """query($first: Int, $last: Int, $after: String, $before: String, $reverse: Boolean,
                 $sortKey: CustomerSortKeys, $q: String) {
  customers(first: $first, last: $last, after: $after, before: $before, reverse: $reverse,
            sortKey: $sortKey, query: $q) {
    edges { cursor node { legacyResourceId } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Emulator:
    directory: Path = tmp_path_factory.mktemp("big")
    with (directory / "customers.jsonl").open("w") as fh:
        for i in range(TOTAL):
            n = 10_000 + i
            fh.write(
                json.dumps(
                    {
                        "id": f"gid://shopify/Customer/{n}",
                        "firstName": f"F{i % 50}",
                        "lastName": f"L{i % 7}",
                        "defaultEmailAddress": {"emailAddress": f"c{i}@example.com"},
                        "tags": ["even"] if i % 2 == 0 else ["odd"],
                        "createdAt": "2026-01-01T00:00:00Z",
                        "updatedAt": f"2026-01-{1 + i % 28:02d}T00:00:00Z",
                    }
                )
                + "\n"
            )
    (directory / "shop.json").write_text(json.dumps({"plan": "plus"}))
    return Emulator(data_dir=directory)


def walk(emulator: Emulator, **variables: object) -> list[int]:
    seen: list[int] = []
    after = None
    while True:
        body = gql(emulator, PAGE, {**variables, "first": 250, "after": after})
        conn = body["data"]["customers"]
        seen += [int(e["node"]["legacyResourceId"]) for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            return seen
        assert conn["pageInfo"]["endCursor"] == conn["edges"][-1]["cursor"]
        after = conn["pageInfo"]["endCursor"]


def test_forward_pages_cover_everything_once(big: Emulator) -> None:
    seen = walk(big)
    assert len(seen) == TOTAL and seen == sorted(seen)


def test_reverse_and_sort_keys(big: Emulator) -> None:
    assert walk(big, reverse=True) == sorted(walk(big), reverse=True)
    by_updated = walk(big, sortKey="UPDATED_AT")
    assert len(by_updated) == TOTAL and len(set(by_updated)) == TOTAL
    assert walk(big, q="tag:odd") == [n for n in range(10_000, 10_000 + TOTAL) if (n - 10_000) % 2]


def test_page_info_and_backwards(big: Emulator) -> None:
    first = gql(big, PAGE, {"first": 3})["data"]["customers"]
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert first["pageInfo"]["hasNextPage"] is True
    second = gql(big, PAGE, {"first": 3, "after": first["pageInfo"]["endCursor"]})["data"][
        "customers"
    ]
    assert [e["node"]["legacyResourceId"] for e in second["edges"]] == ["10003", "10004", "10005"]
    assert second["pageInfo"]["hasPreviousPage"] is True
    back = gql(big, PAGE, {"last": 3, "before": second["pageInfo"]["startCursor"]})["data"][
        "customers"
    ]
    assert back["edges"] == first["edges"]
    assert back["pageInfo"]["hasPreviousPage"] is False and back["pageInfo"]["hasNextPage"] is True
    tail = gql(big, PAGE, {"last": 2})["data"]["customers"]
    assert [e["node"]["legacyResourceId"] for e in tail["edges"]] == [
        str(10_000 + TOTAL - 2),
        str(10_000 + TOTAL - 1),
    ]
    assert tail["pageInfo"]["hasNextPage"] is False


def test_size_rules(big: Emulator) -> None:
    body = gql(big, "{ customers { nodes { id } } }")
    assert body["errors"][0]["message"] == "you must provide one of first or last"
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    body = gql(big, "{ customers(first: 1, last: 1) { nodes { id } } }")
    assert body["errors"][0]["message"] == "providing both first and last is not supported"
    body = gql(big, "{ customers(first: 251) { nodes { id } } }")
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    body = gql(big, '{ customers(first: 2, after: "not-a-cursor") { nodes { id } } }')
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_nested_address_connection(seeded: Emulator) -> None:
    q = """query($after: String) { customer(id: "gid://shopify/Customer/1003") {
        addresses { city } addressesV2(first: 1, after: $after) {
        edges { cursor node { city } } pageInfo { hasNextPage endCursor } } } }"""
    page = gql(seeded, q)["data"]["customer"]
    assert [a["city"] for a in page["addresses"]] == ["San Francisco", "New York"]
    assert page["addressesV2"]["edges"][0]["node"]["city"] == "San Francisco"
    nxt = gql(seeded, q, {"after": page["addressesV2"]["pageInfo"]["endCursor"]})["data"][
        "customer"
    ]
    assert nxt["addressesV2"]["edges"][0]["node"]["city"] == "New York"
    assert nxt["addressesV2"]["pageInfo"]["hasNextPage"] is False
