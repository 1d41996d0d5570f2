"""Sync runs against the emulator: exactly once, idempotent, one writer, echo suppression."""

from __future__ import annotations

import sys

import pytest
from sync_helpers import (
    FakeClock,
    cli_store,
    erp_state,
    lagging_emulator,
    mutations,
    run_sync,
    sample_config,
    sample_store,
    served,
    shopify_state,
)
from tests_paths import SAMPLE

from shopsync.emulator import Emulator
from shopsync.errors import ShopsyncError
from shopsync.lock import ShopLock, ShopLocked
from shopsync.shopify_io import read_shopify_customers
from shopsync.sync import OUTCOMES


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def emulator(clock):  # its search lags behind writes, as Shopify's does
    return lagging_emulator(clock)


@pytest.fixture
def shop(emulator, clock):
    with served(emulator, sample_config(), clock) as (config, client):
        yield config, client


run = run_sync


@pytest.mark.slow
def test_every_input_record_ends_in_exactly_one_outcome(db_url, tmp_path, shop):
    store = sample_store(db_url, shop[0])
    result, _ = run(store, shop, tmp_path)
    records = result.records
    assert set(records["outcome"]) <= set(OUTCOMES)
    imported = records[records["side"] == "import"]
    shopify_ids = read_shopify_customers(SAMPLE / "customers.jsonl").customers["shopify_id"]
    assert sorted(imported["record"]) == sorted(shopify_ids)  # each Shopify customer once
    exported = records[records["side"] == "export"]
    assert sorted(exported["record"]) == sorted(store.erp_customers()["no"])  # each ERP once
    assert sum(result.counts.values()) == len(records)
    stored = store.run_record(result.run_id)
    assert stored["counts"] == result.counts and stored["status"] == result.status
    # skipped and failed records are in the log with their reason
    problems = records[records["outcome"].isin(["skipped", "failed"])]
    assert len(store.run_log(result.run_id)) == len(problems)
    for path in result.reports.values():
        assert path.exists()


@pytest.mark.slow
def test_the_first_run_does_what_the_rules_say(db_url, tmp_path, shop, emulator):
    store = sample_store(db_url, shop[0])
    result, _ = run(store, shop, tmp_path)
    imported = result.records[result.records["side"] == "import"].set_index("record")
    assert imported.loc["7401234500000", ["outcome", "customer_no"]].tolist() == [
        "linked",
        "C00010",
    ]
    created = imported[imported["outcome"] == "created"]
    assert created["customer_no"].str.startswith("SHOP").all()
    new = store.erp_customers().set_index("no").loc[created["customer_no"]]
    assert (new["gen_bus_posting_group"] != "").all()  # from the template
    exported = result.records[result.records["side"] == "export"].set_index("record")
    assert exported.loc["C00310", ["outcome", "reason"]].tolist() == ["skipped", "EMAIL_MISSING"]
    new_in_shopify = exported[exported["outcome"] == "created"]
    assert len(new_in_shopify) > 0
    assert len(emulator.invites) == len(new_in_shopify)  # send_invites is on
    emails = [
        c["defaultEmailAddress"]["emailAddress"]
        for c in emulator.customers()
        if c.get("defaultEmailAddress")
    ]
    assert len(emails) == len(set(emails))


@pytest.mark.slow
def test_a_customer_linked_elsewhere_in_shopify_is_not_taken_over(db_url, tmp_path, clock):
    emulator = Emulator(data_dir=SAMPLE, clock=clock, sleep=clock.sleep)
    config = sample_config(can_update_shopify_customers=False)
    with served(emulator, config, clock) as shop:
        store = sample_store(db_url, shop[0])
        result, _ = run(store, shop, tmp_path)
    exported = result.records[result.records["side"] == "export"].set_index("record")
    for no, holder in [("C00410", "C00400"), ("C00430", "C00420")]:
        assert exported.at[no, "outcome"] == "skipped"
        assert "ALREADY_EXISTS_IN_SHOPIFY" in exported.at[no, "reason"]
        assert f"linked to ERP customer {holder}" in exported.at[no, "message"]


@pytest.mark.slow
def test_a_second_run_sends_no_mutation_and_changes_nothing(db_url, tmp_path, shop, emulator):
    store = sample_store(db_url, shop[0])
    first, _ = run(store, shop, tmp_path)
    assert first.counts["failed"] == 0
    before = (shopify_state(emulator), erp_state(store, "DEMO"), store.links("DEMO"))
    second, client = run(store, shop, tmp_path)
    assert mutations(client) == {}
    assert (shopify_state(emulator), erp_state(store, "DEMO"), store.links("DEMO")) == before
    assert set(second.records["outcome"]) <= {"unchanged", "skipped"}


@pytest.mark.slow
def test_dry_run_writes_nothing_and_apply_executes_its_plan(db_url, tmp_path, shop, emulator):
    store = sample_store(db_url, shop[0])
    counts, shopify = store.table_counts(), shopify_state(emulator)
    plan, client = run(store, shop, tmp_path, dry_run=True)
    assert mutations(client) == {}
    assert store.table_counts() == counts and shopify_state(emulator) == shopify
    assert plan.run_id is None and plan.reports == {} and plan.status == "planned"
    applied, _ = run(store, shop, tmp_path)
    planned = plan.records[plan.records["side"] == "import"]
    done = applied.records[applied.records["side"] == "import"]
    assert planned[["record", "outcome", "rule"]].values.tolist() == (
        done[["record", "outcome", "rule"]].values.tolist()
    )


@pytest.mark.slow
def test_a_second_concurrent_run_refuses_with_a_clear_message(db_url, tmp_path, shop):
    store = sample_store(db_url, shop[0])
    with ShopLock(store, "DEMO"), pytest.raises(ShopLocked, match="another sync of shop DEMO"):
        run(store, shop, tmp_path)
    result, _ = run(store, shop, tmp_path)  # released: runs again
    assert result.status == "succeeded"


def test_a_lock_whose_holder_stopped_beating_is_taken_over(db_url, tmp_path, shop):
    store = sample_store(db_url, shop[0])
    now = [0.0]
    stale = ShopLock(store, "DEMO", expiry=60, clock=lambda: now[0])
    stale.holder = "another-host:1:dead"
    stale.acquire()
    now[0] = 30
    with pytest.raises(ShopLocked):
        ShopLock(store, "DEMO", expiry=60, clock=lambda: now[0]).acquire()
    now[0] = 61
    ShopLock(store, "DEMO", expiry=60, clock=lambda: now[0]).acquire()  # taken over


@pytest.mark.slow
def test_a_lock_of_a_dead_local_process_is_taken_over_at_once(db_url, tmp_path, shop):
    import socket

    store = sample_store(db_url, shop[0])
    dead = ShopLock(store, "DEMO")
    dead.holder = f"{socket.gethostname()}:999999:gone"
    dead.acquire()
    result, _ = run(store, shop, tmp_path)
    assert result.status == "succeeded"


@pytest.mark.slow
def test_only_customers_changed_in_shopify_are_imported_again(db_url, tmp_path, clock):
    emulator = Emulator(data_dir=SAMPLE, clock=clock, sleep=clock.sleep)
    config = sample_config(shopify_can_update_customers=True)
    with served(emulator, config, clock) as shop:
        store = sample_store(db_url, shop[0])
        run(store, shop, tmp_path)
        client = shop[1]()
        gid = "gid://shopify/Customer/7401234500000"
        customer = client.customer_by_identifier(gid=gid)
        address = customer["defaultAddress"]["id"]
        assert client.upsert_address(gid, {"city": "Seattle"}, address).ok
        second, sent = run(store, shop, tmp_path)
    imported = second.records[second.records["side"] == "import"]
    assert imported[imported["outcome"] != "unchanged"]["record"].tolist() == ["7401234500000"]
    assert imported["rule"].tolist().count("") == len(imported) - 1  # echoes: not even planned
    assert store.erp_customers().set_index("no").at["C00010", "city"] == "Seattle"
    assert mutations(sent) == {}  # nothing goes back to Shopify


@pytest.mark.slow
def test_invites_are_reported_unavailable_on_new_customer_accounts(db_url, tmp_path, clock):
    emulator = Emulator(
        data_dir=SAMPLE,
        clock=clock,
        sleep=clock.sleep,
        customer_accounts_version="NEW_CUSTOMER_ACCOUNTS",
    )
    with served(emulator, sample_config(), clock) as shop:
        store = sample_store(db_url, shop[0])
        result, client = run(store, shop, tmp_path)
    assert emulator.invites == [] and "CustomerSendInvite" not in client.stats.by_operation
    assert result.invites["unavailable"] > 0
    log = store.run_log(result.run_id)
    assert log[log["reason"] == "INVITES_UNAVAILABLE"].shape[0] == 1
    assert result.status == "succeeded"


@pytest.mark.slow
def test_a_failed_record_is_logged_holds_the_watermark_and_is_retried(
    db_url, tmp_path, shop, monkeypatch
):
    store = sample_store(db_url, shop[0])
    original = store.create_erp_customer
    victim = "7401234634623"

    def failing(values, *, shopify_id, **kw):
        if shopify_id == victim:
            raise ShopsyncError("the ERP refused this customer")
        return original(values, shopify_id=shopify_id, **kw)

    monkeypatch.setattr(store, "create_erp_customer", failing)
    first, _ = run(store, shop, tmp_path)
    failed = first.records[first.records["outcome"] == "failed"]
    assert failed["record"].tolist() == [victim]
    assert "the ERP refused this customer" in failed["message"].iloc[0]
    assert first.status == "failed"
    customers = read_shopify_customers(SAMPLE / "customers.jsonl").customers
    victim_updated = customers.set_index("shopify_id").at[victim, "updated_at"]
    assert first.watermark < victim_updated  # never past a failed record
    log = store.run_log(first.run_id)
    assert log[log["outcome"] == "failed"]["record"].tolist() == [victim]

    monkeypatch.setattr(store, "create_erp_customer", original)
    second, _ = run(store, shop, tmp_path)
    retried = second.records[second.records["record"] == victim]
    assert retried["outcome"].tolist() == ["created"]
    assert second.status == "succeeded"


@pytest.mark.slow
def test_orders_get_their_customers_and_are_written_to_the_store(db_url, tmp_path, shop):
    store = sample_store(db_url, shop[0])
    result, _ = run(store, shop, tmp_path, orders=True)
    orders = result.records[result.records["side"] == "order"]
    assert len(orders) == 100  # every order of the sample shop, once
    table = store.order_customers("DEMO").set_index("order_id")
    assert len(table) == 100
    assert table.at["5600000001009", "sell_to_customer_no"] == "C90010"  # ships to Canada
    assert table.at["5600000000000", "sell_to_customer_no"] == "C00010"  # found by e-mail
    guest = table.at["5600000004036", "sell_to_customer_no"]
    assert guest == "C90000"  # no customer: the shop's default


@pytest.mark.slow
def test_the_cli_syncs_lists_runs_shows_logs_and_fails_on_failed_records(tmp_path, capsys):
    from shopsync.cli import main

    db, config = cli_store(tmp_path)
    args = ["sync", "--config", config, "--db", db, "--emulator", str(SAMPLE), "--no-progress"]
    assert main([*args, "--dry-run", "--out", str(tmp_path / "plan.csv")]) == 0
    assert (tmp_path / "plan.csv").exists()
    assert main([*args, "--direction", "import", "--reports", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "run 1: succeeded" in out and "report (html)" in out
    assert main(["runs", "--db", db]) == 0
    assert "succeeded" in capsys.readouterr().out
    assert main(["log", "1", "--db", db]) == 0
    assert "NO_ADDRESS" in capsys.readouterr().out  # the POS customers without address
    assert main(["log", "99", "--db", db]) == 2


@pytest.mark.slow
def test_the_cli_exits_1_when_records_failed(tmp_path, monkeypatch, capsys):
    from shopsync.cli import main
    from shopsync.shopify.client import MutationResult, ShopifyClient

    def refuse(self, input_, *, identifier):
        return MutationResult(False, None, (("email", "Email has already been taken"),))

    def refuse_all(client, mutation, lines, **kw):
        return [refuse(client, None, identifier=None) for _ in lines]

    monkeypatch.setattr(ShopifyClient, "set_customer", refuse)
    monkeypatch.setattr(sys.modules["shopsync.apply"], "run_bulk_mutation", refuse_all)
    db, config = cli_store(tmp_path)
    code = main(
        [
            "sync",
            "--config",
            config,
            "--db",
            db,
            "--emulator",
            str(SAMPLE),
            "--no-progress",
            "--reports",
            str(tmp_path / "r"),
        ]
    )
    assert code == 1
    assert "failed: see `shopsync log 1`" in capsys.readouterr().out


def test_with_order_import_refreshes_only_known_customers(db_url, tmp_path, clock):
    emulator = Emulator(data_dir=SAMPLE, clock=clock, sleep=clock.sleep)
    config = sample_config(customer_import="with_order_import", shopify_can_update_customers=True)
    with served(emulator, config, clock) as shop:
        store = sample_store(db_url, shop[0])
        result, _ = run(store, shop, tmp_path, direction="import")
    imported = result.records[result.records["side"] == "import"]
    assert set(imported["outcome"]) == {"skipped"}  # nobody is known yet: all wait for orders
    assert set(imported["reason"]) == {"IMPORT_WITH_ORDERS"}
    assert len(store.erp_customers()) == 204  # no ERP customer created
