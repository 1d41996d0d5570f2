"""The Shopify client against the emulator: pacing, retries, faults, pagination, bulk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from graphql import build_schema, parse, validate
from sync_helpers import FakeClock

from shopsync.emulator import Emulator
from shopsync.errors import (
    ProtectedDataRefused,
    ShopifyRefused,
    ShopifyUnavailable,
    StopError,
    WriteOutcomeUnknown,
)
from shopsync.shopify import (
    ShopifyClient,
    bulk_customers,
    changed_customers,
    queries,
    run_bulk_mutation,
)
from shopsync.shopify.client import email_search, phone_search, read_token

FIXTURES = Path(__file__).parent / "fixtures"


def seed_customers(directory: Path, count: int) -> Path:
    lines = []
    for i in range(count):
        lines.append(
            json.dumps(
                {
                    "id": f"gid://shopify/Customer/{5000 + i}",
                    "firstName": f"F{i}",
                    "lastName": "Seed",
                    "defaultEmailAddress": {"emailAddress": f"seed{i}@example.com"},
                    "defaultPhoneNumber": None,
                    "createdAt": "2026-01-01T00:00:00Z",
                    "updatedAt": f"2026-01-{1 + i % 28:02d}T00:00:00Z",
                    "addressesV2": {"nodes": []},
                }
            )
        )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "customers.jsonl").write_text("\n".join(lines) + "\n")
    return directory


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def emulator(clock):
    return Emulator(clock=clock, sleep=clock.sleep)


@pytest.fixture
def client(emulator, clock):
    with emulator.serve() as server:
        yield ShopifyClient(server.url, "test-token", sleep=clock.sleep, clock=clock, seed=1)


@pytest.fixture(scope="module")
def full_schema():
    # Shopify's own schema breaks a deprecation rule graphql-core checks; documents still validate
    return build_schema((FIXTURES / "admin-2026-07.graphql").read_text(), assume_valid=True)


@pytest.mark.parametrize("name", sorted(queries.ALL_DOCUMENTS))
def test_every_document_is_valid_against_the_full_2026_07_schema(name, full_schema):
    errors = validate(full_schema, parse(queries.ALL_DOCUMENTS[name]))
    assert errors == [], [e.message for e in errors]


def test_search_terms_are_quoted_and_phones_sent_as_plus_digits():
    assert email_search('a"b@x.com ') == 'email:"a\\"b@x.com"'
    assert phone_search("+31 6 1234 5678") == "phone:+31612345678"


def test_token_comes_from_the_environment_only(monkeypatch):
    monkeypatch.setenv("SHOPIFY_ACCESS_TOKEN", " shpat_test ")
    assert read_token() == "shpat_test"
    monkeypatch.delenv("SHOPIFY_ACCESS_TOKEN")
    monkeypatch.setitem(__import__("sys").modules, "keyring", None)
    with pytest.raises(StopError, match="SHOPIFY_ACCESS_TOKEN"):
        read_token()


def test_a_wrong_token_is_refused_with_a_clear_error_that_hides_it(clock):
    emulator = Emulator(token="right-token", clock=clock, sleep=clock.sleep)
    with emulator.serve() as server:
        client = ShopifyClient(server.url, "wrong-secret-token", sleep=clock.sleep, clock=clock)
        with pytest.raises(ShopifyRefused) as info:
            client.shop()
    assert "HTTP 401" in str(info.value)
    assert "wrong-secret-token" not in str(info.value) + repr(client)


def test_pagination_walks_more_than_a_thousand_customers(tmp_path, clock):
    emulator = Emulator(data_dir=seed_customers(tmp_path, 1234), clock=clock, sleep=clock.sleep)
    with emulator.serve() as server:
        client = ShopifyClient(server.url, "t", sleep=clock.sleep, clock=clock)
        ids = [node["id"] for node in client.customers()]
    assert len(ids) == len(set(ids)) == 1234
    assert client.stats.by_operation["CustomersPage"] == 13


def test_find_customers_rechecks_every_hit_exactly(client):
    for email in ["ann@x.com", "ann@x.co", "ann.lee@x.com"]:
        assert client.set_customer({"email": email}, identifier={"email": email}).ok
    client.set_customer(
        {"email": "p@x.com", "phone": "+31612345678"}, identifier={"email": "p@x.com"}
    )
    found = client.find_customers(email="ANN@x.com")
    assert [c["defaultEmailAddress"]["emailAddress"] for c in found] == ["ann@x.com"]
    by_phone = client.find_customers(phone="+31612345678")
    assert [c["defaultEmailAddress"]["emailAddress"] for c in by_phone] == ["p@x.com"]


@pytest.mark.slow
def test_a_burst_is_paced_so_no_request_is_throttled_after_the_first(client, clock):
    started = clock.now
    for i in range(400):  # ~400 x 10+ points: twice the standard bucket
        result = client.set_customer({"email": f"b{i}@x.com"}, identifier={"email": f"b{i}@x.com"})
        assert result.ok
    assert client.stats.throttled <= 1
    elapsed = clock.now - started
    points = client.stats.cost
    assert elapsed >= (points - 2000) / 100 * 0.9  # it really waited for the bucket


def test_throttled_answers_are_retried_after_the_bucket_refills(client, emulator, clock):
    emulator.bucket.try_take(emulator.bucket.capacity)  # someone else emptied the bucket
    for i in range(20):
        assert client.set_customer({"email": f"t{i}@x.com"}, identifier={"email": f"t{i}@x.com"}).ok
    assert client.stats.throttled == 1  # the first answer tells the client; no more after it
    assert len(emulator.customers()) == 20


@pytest.mark.parametrize(
    "fault", ["500", "502", "503", "429", "drop_before", "drop_after", "slow", "internal"]
)
def test_every_fault_kind_is_recovered_without_duplicates(fault, emulator, client):
    emulator.faults = f"{fault}=0.3,slow_seconds=0.01,retry_after=0.01"
    client.timeout = 5
    emails = [f"f{i}@x.com" for i in range(40)]
    for email in emails:
        result = client.set_customer({"email": email, "lastName": "F"}, identifier={"email": email})
        assert result.ok, result.message
    stored = [c["defaultEmailAddress"]["emailAddress"] for c in emulator.customers()]
    assert sorted(stored) == sorted(emails)  # each exactly once
    if fault != "slow":
        assert client.stats.retries > 0


def test_giving_up_names_the_operation_and_never_the_token(emulator, clock):
    emulator.faults = "503=1.0"
    with emulator.serve() as server:
        client = ShopifyClient(
            server.url, "secret-xyz", sleep=clock.sleep, clock=clock, max_tries=3
        )
        with pytest.raises(ShopifyUnavailable) as info:
            client.shop()
    assert "ShopInfo" in str(info.value) and "3 tries" in str(info.value)
    assert "secret-xyz" not in str(info.value)


def test_user_errors_are_results_not_exceptions(client):
    client.set_customer({"email": "dup@x.com"}, identifier={"email": "dup@x.com"})
    result = client.set_customer(
        {"email": "other@x.com", "phone": "+1234abcd"}, identifier={"email": "other@x.com"}
    )
    assert not result.ok and "Phone is invalid" in result.message


def test_bulk_query_streams_customers_with_addresses(tmp_path, clock):
    emulator = Emulator(data_dir=Path("data/sample"), clock=clock, sleep=clock.sleep)
    with emulator.serve() as server:
        client = ShopifyClient(server.url, "t", sleep=clock.sleep, clock=clock)
        result = bulk_customers(client, poll=0.5)
    assert len(result.customers) == len(emulator.customers())
    assert len(result.addresses) == sum(
        len(c["addressesV2"]["nodes"]) for c in emulator.customers()
    )
    assert (result.customers["record_error"] == "").all()


def test_bulk_query_keeps_addresses_whose_line_comes_before_their_customer(clock):
    # 2026-07 bulk output is ungrouped: the emulator shuffles it, so some address lines come
    # first; every address must still be attached to its customer, none reported lost.
    emulator = Emulator(data_dir=Path("data/sample"), clock=clock, sleep=clock.sleep, seed=3)
    with emulator.serve() as server:
        client = ShopifyClient(server.url, "t", sleep=clock.sleep, clock=clock)
        result = bulk_customers(client, poll=0.5)
        again = bulk_customers(client, poll=0.5)  # another operation, another line order
    assert result.customers.equals(again.customers) and result.addresses.equals(again.addresses)
    ids = result.customers["shopify_id"].tolist()
    assert ids == sorted(ids, key=int)
    expected = {  # a customer's addresses in address-id order (the file's order is lost)
        c["legacyResourceId"]: sorted(
            (a["id"].split("/")[-1].split("?")[0] for a in c["addressesV2"]["nodes"]), key=int
        )
        for c in emulator.customers()
    }
    got = result.addresses.groupby("shopify_id")["address_id"].apply(list).to_dict()
    assert {k: v for k, v in expected.items() if v} == got
    assert list(result.customers["record_error"].unique()) == [""]
    assert len(result.customers) == len(expected)


def test_bulk_mutation_maps_every_line_back_to_its_input(client, emulator):
    lines = [
        {"identifier": {"email": f"bulk{i}@x.com"}, "input": {"email": f"bulk{i}@x.com"}}
        for i in range(30)
    ]
    lines[7] = {"identifier": {"email": "broken"}, "input": {"email": "broken"}}
    results = run_bulk_mutation(
        client, queries.CUSTOMER_SET, lines, result_key="customerSet", poll=0.5
    )
    assert len(results) == 30
    assert [r.ok for r in results].count(False) == 1 and not results[7].ok
    assert "Email is invalid" in results[7].message
    assert results[3].data["legacyResourceId"]
    assert len(emulator.customers()) == 29


def test_expected_costs_are_the_costs_the_emulator_reports(client):
    client.shop()
    list(client.customers())
    client.customer_by_identifier(email="nobody@x.com")
    client.set_customer({"email": "c@x.com"}, identifier={"email": "c@x.com"})
    gid = client.customer_by_identifier(email="c@x.com")["id"]
    client.update_customer({"id": gid, "note": "n"})
    list(client.orders())
    client.preflight()
    client.count_customers("updated_at:>'2026-01-01T00:00:00Z'")
    client.access_scopes()
    for name in queries.EXPECTED_COSTS:
        assert client._costs[name] == queries.EXPECTED_COSTS[name], name


def test_customer_by_identifier_sees_a_write_the_search_does_not_yet(clock):
    emulator = Emulator(clock=clock, sleep=clock.sleep, search_delay=2.0)
    with emulator.serve() as server:
        client = ShopifyClient(server.url, "t", sleep=clock.sleep, clock=clock)
        made = client.set_customer({"email": "Lag@X.com"}, identifier={"email": "Lag@X.com"})
        assert client.find_customers(email="lag@x.com") == []  # the search index lags
        exact = client.customer_by_identifier(email=" LAG@x.COM ")
        assert exact["id"] == made.data["id"]
        gid = made.data["id"]
        assert client.update_customer({"id": gid, "email": "moved@x.com"}).ok
        assert client.customer_by_identifier(email="moved@x.com")["id"] == gid
        assert client.find_customers(email="moved@x.com") == []


def test_customer_set_replaces_the_address_list(client):
    def address(city):
        return {"address1": f"1 {city} St", "city": city, "countryCode": "NL", "zip": "1011 AB"}

    first = client.set_customer(
        {"email": "a@x.com", "addresses": [address("Delft"), address("Gouda")]},
        identifier={"email": "a@x.com"},
    )
    assert first.ok, first.message
    before = client.customer_by_identifier(email="a@x.com")["addressesV2"]["nodes"]
    gouda = next(a["id"] for a in before if a["city"] == "Gouda")
    again = client.set_customer(
        {"email": "a@x.com", "addresses": [address("Gouda"), address("Breda")]},
        identifier={"email": "a@x.com"},
    )
    assert again.ok, again.message
    after = client.customer_by_identifier(email="a@x.com")["addressesV2"]["nodes"]
    assert sorted(a["city"] for a in after) == ["Breda", "Gouda"]  # Delft was deleted
    assert next(a["id"] for a in after if a["city"] == "Gouda") == gouda  # kept, not re-made


def test_preflight_stops_a_run_without_protected_data_access_and_never_retries(clock):
    emulator = Emulator(
        data_dir=Path("data/sample"), clock=clock, sleep=clock.sleep, protected_data="denied"
    )
    with emulator.serve() as server:
        client = ShopifyClient(server.url, "t", sleep=clock.sleep, clock=clock)
        with pytest.raises(ProtectedDataRefused) as info:
            client.preflight()
        assert client.stats.requests == 1 and client.stats.retries == 0
        assert isinstance(info.value, StopError)
        text = str(info.value)
        assert "Preflight" in text and "protected customer data" in text
        assert "request access" in text and "not approved to access the Customer object" in text
        with pytest.raises(ProtectedDataRefused):
            client.find_customers(email="p1@contoso.com")
        emulator.protected_data = "approved"
        shop = client.preflight()
    assert shop["customerAccountsV2"]["customerAccountsVersion"] == "CLASSIC"


def test_a_bulk_query_refused_protected_data_is_a_stop_not_a_retriable_failure(clock):
    emulator = Emulator(
        data_dir=Path("data/sample"), clock=clock, sleep=clock.sleep, protected_data="denied"
    )
    with emulator.serve() as server:
        client = ShopifyClient(server.url, "t", sleep=clock.sleep, clock=clock)
        with pytest.raises(ProtectedDataRefused, match="ACCESS_DENIED"):
            bulk_customers(client, poll=0.5)


def test_too_costly_pages_shrink_and_the_walk_goes_on(tmp_path, clock):
    emulator = Emulator(
        data_dir=seed_customers(tmp_path, 300), clock=clock, sleep=clock.sleep, faults="max_cost=40"
    )
    with emulator.serve() as server:
        client = ShopifyClient(server.url, "t", sleep=clock.sleep, clock=clock)
        ids = [node["id"] for node in client.customers()]
    assert len(ids) == len(set(ids)) == 300
    assert client.stats.by_operation["CustomersPage"] > 300 // queries.CUSTOMER_PAGE_SIZE + 1
    assert client.stats.retries == 0  # a smaller page, not a retry of the same one


def test_a_bulk_start_refused_for_the_limit_waits_and_tries_again(tmp_path, clock):
    emulator = Emulator(
        data_dir=seed_customers(tmp_path, 20), clock=clock, sleep=clock.sleep, seed=2
    )
    emulator.faults = "bulk_limit=0.7"
    with emulator.serve() as server:
        client = ShopifyClient(server.url, "t", sleep=clock.sleep, clock=clock, bulk_poll=5.0)
        result = bulk_customers(client)
    assert len(result.customers) == 20
    refusals = [r for r in emulator.request_log if r["fault"] == "bulk_limit"]
    assert refusals and client.stats.waited_seconds >= 5.0 * len(refusals)


def test_the_bulk_wait_is_a_setting_and_gives_up_clearly(tmp_path, clock):
    emulator = Emulator(data_dir=seed_customers(tmp_path, 3), clock=clock, sleep=clock.sleep)
    emulator.faults = "bulk_limit=1"
    with emulator.serve() as server:
        client = ShopifyClient(
            server.url, "t", sleep=clock.sleep, clock=clock, bulk_poll=10.0, bulk_timeout=60.0
        )
        with pytest.raises(ShopifyUnavailable, match="limit reached"):
            bulk_customers(client)
    assert 60.0 <= client.stats.waited_seconds <= 80.0


def test_an_expired_result_url_is_replaced_by_a_fresh_one(tmp_path, clock):
    def run(faults):
        emulator = Emulator(
            data_dir=seed_customers(tmp_path, 25), clock=clock, sleep=clock.sleep, seed=1
        )
        emulator.faults = faults
        with emulator.serve() as server:
            client = ShopifyClient(server.url, "t", sleep=clock.sleep, clock=clock)
            return bulk_customers(client, poll=0.5), client.stats.by_operation["BulkOperation"]

    result, reads = run("url_expired=0.5")
    assert len(result.customers) == 25
    _result, reads_without_faults = run(None)
    assert reads > reads_without_faults  # each expired URL was replaced by a fresh read


def test_invites_are_available_only_on_classic_accounts_that_are_not_disabled(emulator, client):
    assert client.invites_available() == (True, "")
    emulator.state.shop["customerAccounts"] = "DISABLED"
    ok, why = client.invites_available()
    assert not ok and "disabled" in why
    emulator.state.shop["customerAccounts"] = "REQUIRED"
    emulator.state.shop["customerAccountsVersion"] = "NEW_CUSTOMER_ACCOUNTS"
    ok, why = client.invites_available()
    assert not ok and "new customer accounts" in why


def test_an_invite_whose_answer_is_lost_is_checked_not_sent_twice(emulator, client):
    gids = []
    for i in range(12):
        made = client.set_customer(
            {"email": f"inv{i}@x.com"}, identifier={"email": f"inv{i}@x.com"}
        )
        gids.append(made.data["id"])
    emulator.faults = "drop_after=0.4"
    client.timeout = 5
    unknown = 0
    for gid in gids:
        while True:  # what the sync does: a lost answer is looked at, never blindly resent
            try:
                assert client.send_invite(gid).ok
                break
            except WriteOutcomeUnknown:
                unknown += 1
                if client.customer_state(gid) == "INVITED":
                    break
    sent = [invite["customerId"] for invite in emulator.invites]
    assert unknown and sorted(sent) == sorted(gids)  # lost answers, yet one invite each
    emulator.faults = None
    assert {client.customer_state(gid) for gid in gids} == {"INVITED"}
    assert client.customer_state("gid://shopify/Customer/999999") is None


def test_changed_customers_counts_first_then_pages_or_runs_a_filtered_bulk_query(tmp_path, clock):
    emulator = Emulator(
        data_dir=Path("data/sample"), clock=clock, sleep=clock.sleep, pagination_ceiling=50
    )
    since = "2026-01-20T00:00:00Z"
    with emulator.serve() as server:
        client = ShopifyClient(server.url, "t", sleep=clock.sleep, clock=clock)
        wanted = {c["legacyResourceId"] for c in emulator.customers() if c["updatedAt"] >= since}
        assert len(wanted) > 50
        with pytest.raises(ShopifyRefused, match="Pagination past the first 50"):
            list(client.customers(f"updated_at:>='{since}'"))  # paging alone hits the ceiling
        big = changed_customers(client, since, poll=0.5, threshold=50)
        assert client.stats.by_operation["BulkRunQuery"] == 1
        assert set(big.customers["shopify_id"]) == wanted
        assert len(big.addresses) == sum(
            len(c["addressesV2"]["nodes"]) for c in emulator.customers() if c["updatedAt"] >= since
        )
        small = changed_customers(client, "2026-06-01T00:00:00Z", threshold=50)
        assert client.stats.by_operation["BulkRunQuery"] == 1  # few: paged, no second bulk
    expected_small = {
        c["legacyResourceId"]
        for c in emulator.customers()
        if c["updatedAt"] >= "2026-06-01T00:00:00Z"
    }
    assert set(small.customers["shopify_id"]) == expected_small
    assert client.stats.by_operation["CustomersCount"] == 2
    with pytest.raises(ValueError):
        changed_customers(client, "yesterday")


def test_reads_all_orders_tells_whether_old_orders_are_withheld(tmp_path, clock):
    for scopes, expected in ((None, True), (["read_customers", "read_orders"], False)):
        emulator = Emulator(
            data_dir=Path("data/sample"), clock=clock, sleep=clock.sleep, access_scopes=scopes
        )
        with emulator.serve() as server:
            client = ShopifyClient(server.url, "t", sleep=clock.sleep, clock=clock)
            assert client.reads_all_orders() is expected
            orders = list(client.orders())
        assert (len(orders) == len(emulator.state.orders)) is expected


def test_updated_since_is_a_quoted_utc_term():
    from datetime import UTC, datetime

    from shopsync.shopify.bulk import updated_since

    assert updated_since("2026-03-01T12:00:00+02:00") == "updated_at:>='2026-03-01T10:00:00Z'"
    assert updated_since(datetime(2026, 3, 1, tzinfo=UTC)) == "updated_at:>='2026-03-01T00:00:00Z'"
    with pytest.raises(ValueError, match="time zone"):
        updated_since("2026-03-01T12:00:00")
