"""The customer search grammar, evaluated through customers(query:) on the seeded store."""

from __future__ import annotations

import pytest
from emulator_helpers import create, gql

from shopsync.emulator import Emulator, search


def ids(emulator: Emulator, query: str, **extra: object) -> list[int]:
    args = ", ".join(f"{k}: {v}" for k, v in extra.items())
    body = gql(
        emulator,
        f"query($q: String) {{ customers(first: 50, query: $q{', ' + args if args else ''}) "
        "{ nodes { legacyResourceId } } }",
        {"q": query},
    )
    return [int(n["legacyResourceId"]) for n in body["data"]["customers"]["nodes"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [1001, 1002, 1003, 1004, 1005, 1006]),
        ("state:DISABLED", [1002, 1003, 1005, 1006]),
        ("state:disabled tag:referral", [1003, 1006]),
        ("tag:VIP OR tag:wholesale", [1001, 1002, 1004, 1006]),
        ("(tag:vip OR tag:referral) state:DISABLED", [1003, 1006]),
        ("state:DISABLED -(tag:VIP OR tag:referral)", [1002, 1005]),
        ("state:DISABLED NOT tag:referral", [1002, 1005]),
        ("-tag:vip", [1002, 1003, 1005]),
        ('email:"grace@example.com"', [1003]),
        ("email:grace@example.com", [1003, 1004]),  # unquoted e-mails are tokenised
        ("email:grace*", [1003, 1004]),
        ("phone:+4545454545", [1005]),
        ("phone:4545454545", [1005]),
        ("first_name:Grace", [1003, 1004]),
        ("last_name:hopper", [1003]),
        ("country:Canada", [1006]),
        ("country:NL", [1001]),
        ("id:1002", [1002]),
        ("id:>=1005", [1005, 1006]),
        ("updated_at:>'2026-03-01T10:00:00Z'", [1003, 1005, 1006]),
        ("updated_at:>=2026-03-01", [1001, 1003, 1005, 1006]),
        ("created_at:<2026-02-01", [1001, 1002]),
        ("created_at:<=2026-02-01", [1001, 1002, 1003]),
        ("How*", [1006]),
        ("grace", [1003, 1004]),
        ("bram@example.be", [1002]),
        ("made_up:value", [1001, 1002, 1003, 1004, 1005, 1006]),
        ("made_up:value tag:wholesale", [1002]),
    ],
)
def test_search(seeded: Emulator, query: str, expected: list[int]) -> None:
    assert ids(seeded, query) == expected


def test_unknown_field_warning(seeded: Emulator) -> None:
    body = gql(seeded, '{ matching: customers(first: 5, query: "made_up:value") { nodes { id } } }')
    assert body["extensions"]["search"] == [
        {
            "path": ["matching"],
            "query": "made_up:value",
            "parsed": {"field": "made_up", "match_all": "value"},
            "warnings": [
                {
                    "field": "made_up",
                    "message": "Invalid search field for this query.",
                    "code": "invalid_field",
                }
            ],
        }
    ]
    body = gql(seeded, '{ customers(first: 5, query: "state:DISABLED") { nodes { id } } }')
    assert "search" not in body["extensions"]


def test_customers_count_ignores_customer_filters(seeded: Emulator) -> None:
    """customersCount only filters on id/timestamps (captured: email/state/tag are warned)."""
    body = gql(
        seeded,
        """query { total: customersCount { count precision }
        matching: customersCount(query: "email:grace@example.com") { count }
        recent: customersCount(query: "created_at:>=2026-03-01") { count }
        limited: customersCount(limit: 2) { count precision } }""",
    )
    data = body["data"]
    assert data["total"] == {"count": 6, "precision": "EXACT"}
    assert data["matching"] == {"count": 6}
    assert data["recent"] == {"count": 2}
    assert data["limited"] == {"count": 2, "precision": "AT_LEAST"}
    assert body["extensions"]["search"][0]["warnings"][0]["code"] == "invalid_field"


def test_sort_keys(seeded: Emulator) -> None:
    assert ids(seeded, "", sortKey="UPDATED_AT", reverse="true")[:3] == [1006, 1003, 1005]
    assert ids(seeded, "", sortKey="NAME")[:3] == [1005, 1001, 1003]
    assert ids(seeded, "", sortKey="ID", reverse="true") == [1006, 1005, 1004, 1003, 1002, 1001]


def test_search_is_eventually_consistent_when_asked(clock) -> None:
    emu = Emulator(clock=clock, now=clock.now, search_delay=5.0)
    create(emu, email="late@example.com")
    assert ids(emu, 'email:"late@example.com"') == []
    assert ids(emu, "") == [1001]  # unfiltered lists are not indexed searches
    clock.advance(5)
    assert ids(emu, 'email:"late@example.com"') == [1001]


def test_parser_shapes() -> None:
    node = search.parse("a:1 (b:2 OR -c:3) NOT d")
    assert search.describe(node) == {
        "and": [
            {"field": "a", "match_all": "1"},
            {"or": [{"field": "b", "match_all": "2"}, {"not": {"field": "c", "match_all": "3"}}]},
            {"not": {"field": "default", "match_all": "d"}},
        ]
    }
    assert search.parse("   ") is None
    term = search.parse("updated_at:>='2026-01-01T00:00:00Z'")
    assert term == search.Term("updated_at", "2026-01-01T00:00:00Z", ">=", True)
    with pytest.raises(search.SearchSyntaxError):
        search.parse("(a:1")
