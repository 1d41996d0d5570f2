"""The emulator as strict as a live store: bulk output order, search lag, protected data,
error classes, order windows and ceilings, invites (issue 11)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import requests
from emulator_helpers import create, gql, running_command

from shopsync.emulator import Emulator
from shopsync.emulator.cli import add_emulator_command

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


NOT_APPROVED = "This app is not approved to access the Customer object."


def test_protected_data_denied_answers_200_with_null_and_the_error(clock) -> None:
    emu = Emulator(data_dir=SAMPLE, clock=clock, now=clock.now, protected_data="denied")
    status, _headers, body = emu.execute("{ customers(first: 2) { nodes { id firstName } } }")
    assert status == 200 and body["data"] is None
    assert body["errors"][0]["message"].startswith(NOT_APPROVED)
    assert body["errors"][0]["extensions"] == {"code": "ACCESS_DENIED"}
    assert body["errors"][0]["path"] == ["customers"]
    orders = gql(emu, "{ orders(first: 1) { nodes { id customer { id } } } }")
    assert orders["data"]["orders"]["nodes"][0]["customer"] is None
    assert orders["errors"][0]["message"].startswith(NOT_APPROVED)
    assert gql(emu, "{ shop { name } }")["data"]["shop"]["name"]  # the shop is not protected
    made = gql(
        emu,
        'mutation { customerCreate(input: {email: "n@x.com"}) { customer { id } } }',
    )
    assert made["data"]["customerCreate"] is None and len(emu.customers()) == 196
    run = gql(emu, RUN_QUERY, {"q": CUSTOMERS_WITH_ADDRESSES, "g": False})
    assert run["data"]["bulkOperationRunQuery"]["userErrors"] == []
    emu.settle_bulk_operations()
    state = gql(emu, "{ currentBulkOperation { status errorCode url } }")["data"]
    assert state["currentBulkOperation"] == {
        "status": "FAILED",
        "errorCode": "ACCESS_DENIED",
        "url": None,
    }


def test_internal_error_fault_is_a_200_that_executes_nothing(emu: Emulator) -> None:
    emu.faults = "internal=1"
    status, _h, body = emu.execute(
        'mutation { customerCreate(input: {email: "i@x.com"}) { customer { id } } }'
    )
    assert status == 200 and "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert body["errors"][0]["message"].startswith("Internal error. Looks like something went")
    assert emu.customers() == []


def test_max_cost_setting_lowers_the_single_query_limit(seeded: Emulator) -> None:
    seeded.faults = "max_cost=20"
    query = "{ customers(first: 100) { nodes { id addressesV2(first: 5) { nodes { id } } } } }"
    _s, _h, body = seeded.execute(query)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert error["extensions"]["maxCost"] == 20 and error["extensions"]["cost"] > 20
    assert "exceeds the single query max cost limit (20)" in error["message"]
    assert gql(seeded, "{ customers(first: 1) { nodes { id } } }")["data"]["customers"]["nodes"]


def test_bulk_limit_fault_refuses_the_start_with_limit_reached(emu: Emulator) -> None:
    emu.faults = "bulk_limit=1"
    run = gql(emu, RUN_QUERY, {"q": "{ customers { edges { node { id } } } }", "g": False})
    assert run["data"]["bulkOperationRunQuery"] == {
        "bulkOperation": None,
        "userErrors": [
            {
                "field": None,
                "message": "Bulk operations limit reached. Please try again later.",
                "code": "LIMIT_REACHED",
            }
        ],
    }
    assert gql(emu, "{ shop { name } }")["data"]  # other requests are not affected


def test_result_urls_expire_and_a_new_read_gives_a_fresh_one(clock) -> None:
    emu = Emulator(data_dir=SAMPLE, clock=clock, now=clock.now, sleep=clock.sleep)
    with emu.serve():
        gql(emu, RUN_QUERY, {"q": "{ customers { edges { node { id } } } }", "g": False})
        emu.settle_bulk_operations()
        read = "{ currentBulkOperation { url } }"
        url = gql(emu, read)["data"]["currentBulkOperation"]["url"]
        assert requests.get(url, timeout=10).status_code == 200
        clock.advance(8 * 24 * 3600)  # past the week a signed URL lives
        expired = requests.get(url, timeout=10)
        assert expired.status_code == 403 and b"ExpiredToken" in expired.content
        fresh = gql(emu, read)["data"]["currentBulkOperation"]["url"]
        assert fresh != url and requests.get(fresh, timeout=10).status_code == 200
        emu.faults = "url_expired=1"
        assert requests.get(fresh, timeout=10).status_code == 403


INVITE = (
    "mutation($id: ID!) { customerSendAccountInviteEmail(customerId: $id) "
    "{ customer { id state } userErrors { field message code } } }"
)


def test_invites_set_invited_and_are_refused_when_customer_accounts_are_disabled(emu) -> None:
    gid = create(emu, email="acc@example.com")["customer"]["id"]
    emu.state.shop["customerAccounts"] = "DISABLED"
    refused = gql(emu, INVITE, {"id": gid})["data"]["customerSendAccountInviteEmail"]
    assert refused["userErrors"][0]["message"] == "Error sending account invite to customer."
    assert emu.invites == []
    emu.state.shop["customerAccounts"] = "OPTIONAL"
    sent = gql(emu, INVITE, {"id": gid})["data"]["customerSendAccountInviteEmail"]
    assert sent == {"customer": {"id": gid, "state": "INVITED"}, "userErrors": []}
    shop = gql(emu, "{ shop { customerAccounts customerAccountsV2 { customerAccountsVersion } } }")
    assert shop["data"]["shop"] == {
        "customerAccounts": "OPTIONAL",
        "customerAccountsV2": {"customerAccountsVersion": "CLASSIC"},
    }


ORDERS = "{ orders(first: 10) { nodes { name createdAt } } }"


def test_orders_older_than_60_days_are_hidden_without_read_all_orders(clock, data_dir) -> None:
    clock.start = clock.start.replace(month=6)  # 2026-06-01: the window starts 2026-04-02
    full = Emulator(data_dir=data_dir, clock=clock, now=clock.now)
    assert len(gql(full, ORDERS)["data"]["orders"]["nodes"]) == 3  # the seed grants the scope
    window = Emulator(data_dir=data_dir, clock=clock, now=clock.now, access_scopes=["read_orders"])
    nodes = gql(window, ORDERS)["data"]["orders"]["nodes"]
    assert [n["createdAt"] for n in nodes] == ["2026-04-11T12:00:00Z"]
    old = next(o["id"] for o in window.state.orders.values() if o["createdAt"] < "2026-04")
    assert gql(window, "query($id: ID!) { order(id: $id) { id } }", {"id": old})["data"] == {
        "order": None
    }
    scopes = gql(window, "{ currentAppInstallation { accessScopes { handle } } }")["data"]
    assert scopes["currentAppInstallation"]["accessScopes"] == [{"handle": "read_orders"}]
    assert Emulator().state.access_scopes == ["read_customers", "write_customers", "read_orders"]


def test_pagination_stops_at_the_ceiling_of_one_query(clock) -> None:
    emu = Emulator(clock=clock, now=clock.now, pagination_ceiling=10)
    for i in range(15):
        create(emu, email=f"p{i}@example.com")
    page = "query($a: String) { customers(first: 5, after: $a) { pageInfo { endCursor } } }"
    after = None
    for _ in range(2):
        after = gql(emu, page, {"a": after})["data"]["customers"]["pageInfo"]["endCursor"]
    _s, _h, body = emu.execute(page, {"a": after})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "Pagination past the first 10 objects" in body["errors"][0]["message"]
    assert len(bulk_lines(emu, "{ customers { edges { node { id } } } }")) == 15  # bulk: no limit


def test_the_emulator_command_takes_the_live_store_knobs() -> None:
    parser = argparse.ArgumentParser()
    add_emulator_command(parser.add_subparsers())
    args = parser.parse_args(
        ["emulator", "--port", "0", "--protected-data", "denied", "--search-delay", "2.5"]
    )
    with running_command(args) as server:
        emulator = server.emulator
        assert emulator.protected_data == "denied" and emulator.state.search_delay == 2.5
        answer = requests.post(
            server.graphql_url,
            json={"query": "{ customers(first: 1) { nodes { id } } }"},
            headers={"X-Shopify-Access-Token": "t"},
            timeout=10,
        ).json()
        assert answer["errors"][0]["message"].startswith(NOT_APPROVED)


ADDRESS_CREATE = (
    "mutation($id: ID!, $a: MailingAddressInput!) { customerAddressCreate(customerId: $id, "
    "address: $a, setAsDefault: true) { address { id } userErrors { field message } } }"
)


def test_address_writes_reach_the_search_index_after_the_lag(clock) -> None:
    for delay in (0.0, 3.0):
        emu = Emulator(clock=clock, now=clock.now, search_delay=delay)
        gid = create(emu, email=f"addr{delay}@example.com")["customer"]["id"]
        clock.advance(5)
        gql(emu, ADDRESS_CREATE, {"id": gid, "a": {"city": "Gouda", "countryCode": "NL"}})
        city = "country:NL city:Gouda"
        assert found(emu, city) == ([] if delay else [f"addr{delay}@example.com"])
        clock.advance(delay)
        assert found(emu, city) == [f"addr{delay}@example.com"]
