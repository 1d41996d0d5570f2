"""Side effects happen once: lost answers, kills between Shopify and the store, dead networks."""

from __future__ import annotations

import pytest
from sync_helpers import (
    QUIET,
    FakeClock,
    erp_state,
    run_sync,
    sample_config,
    sample_store,
    served,
    shopify_state,
)
from tests_paths import SAMPLE

from shopsync.apply import _Applier
from shopsync.emulator import Emulator
from shopsync.errors import WriteOutcomeUnknown
from shopsync.shopify.client import ShopifyClient
from shopsync.sync import SyncOptions, sync_shop

run = run_sync


def invites_per_customer(emulator: Emulator) -> dict[str, int]:
    counts: dict[str, int] = {}
    for invite in emulator.invites:
        counts[invite["customerId"]] = counts.get(invite["customerId"], 0) + 1
    return counts


def test_a_write_sent_once_is_not_repeated_when_its_answer_is_lost():
    clock = FakeClock()
    emulator = Emulator(data_dir=SAMPLE, clock=clock, sleep=clock.sleep)
    with served(emulator, sample_config(), clock) as (_, client_factory):
        client = client_factory()
        gid = "gid://shopify/Customer/7401234500000"
        emulator.faults = "drop_after=1.0"
        with pytest.raises(WriteOutcomeUnknown, match="outcome is unknown"):
            client.send_invite(gid)
        emulator.faults = None
    assert invites_per_customer(emulator) == {gid: 1}  # sent once, never again


@pytest.mark.slow
def test_an_invite_whose_answer_was_lost_is_not_sent_again(tmp_path, monkeypatch):
    clock = FakeClock()
    emulator = Emulator(data_dir=SAMPLE, clock=clock, sleep=clock.sleep)
    real = ShopifyClient.send_invite
    losing = {"on": True, "calls": 0}

    def lose_the_answer(self, customer_gid):  # every other answer is lost (after the send)
        losing["calls"] += 1
        lost = losing["on"] and losing["calls"] % 2 == 1
        emulator.faults = "drop_after=1.0" if lost else None
        try:
            return real(self, customer_gid)
        finally:
            emulator.faults = None

    monkeypatch.setattr(ShopifyClient, "send_invite", lose_the_answer)
    with served(emulator, sample_config(), clock) as shop:
        store = sample_store(tmp_path / "s.db", shop[0])
        first, _ = run(store, shop, tmp_path)
        created = (first.records["outcome"] == "created") & (first.records["side"] == "export")
        lost = first.invites["unknown"]
        assert lost == (created.sum() + 1) // 2 and first.invites["sent"] == created.sum() - lost
        losing["on"] = False
        second, client = run(store, shop, tmp_path)
    assert "CustomerSendInvite" not in client.stats.by_operation  # looked, saw INVITED
    assert second.invites["sent"] == lost
    assert set(invites_per_customer(emulator).values()) == {1}
    assert store.pending_invites("DEMO") == {}


@pytest.mark.slow
def test_a_kill_after_shopify_applied_a_bulk_create_is_recovered(tmp_path, monkeypatch):
    """The bulk create reached Shopify, the run died before the store recorded it: the next
    run links the customers to their ERP customers (no duplicate) and invites them once."""
    config = sample_config(bulk_mutation_threshold=1)
    ends = []
    for name in ("clean", "killed"):
        clock = FakeClock()
        emulator = Emulator(data_dir=SAMPLE, clock=clock, sleep=clock.sleep)
        with served(emulator, config, clock) as shop:
            store = sample_store(tmp_path / f"{name}.db", shop[0])
            if name == "killed":
                with monkeypatch.context() as patch:

                    def killed(self, row, data):
                        raise SystemExit("killed")

                    patch.setattr(_Applier, "remember_created", killed)
                    with pytest.raises(SystemExit):
                        run(store, shop, tmp_path)
                assert len(emulator.customers()) > 196  # the creates reached Shopify
                assert len(store.create_intents("DEMO")) > 0  # sent, not recorded
            result, _ = run(store, shop, tmp_path)
            assert result.failed == 0, result.summary()
            again, _ = run(store, shop, tmp_path)
            assert set(again.records["outcome"]) <= {"unchanged", "skipped"}
            ends.append(
                (
                    shopify_state(emulator),
                    erp_state(store, "DEMO"),
                    sorted(invites_per_customer(emulator).values()),
                )
            )
            assert store.create_intents("DEMO") == {}
    assert ends[0] == ends[1]
    assert set(ends[1][2]) == {1}  # every created customer invited, once


@pytest.mark.slow
def test_shopify_gone_mid_run_stops_the_phase_quickly_and_loses_no_record(tmp_path, monkeypatch):
    clock = FakeClock()
    emulator = Emulator(data_dir=SAMPLE, clock=clock, sleep=clock.sleep)
    real = _Applier.apply_exports

    def shopify_goes_away(self):
        emulator.faults = "503=1.0"
        return real(self)

    monkeypatch.setattr(_Applier, "apply_exports", shopify_goes_away)
    with served(emulator, sample_config(), clock) as shop:
        store = sample_store(tmp_path / "s.db", shop[0])
        result, client = run(store, shop, tmp_path)
    emulator.faults = None
    exported = result.records[result.records["side"] == "export"]
    assert sorted(exported["record"]) == sorted(store.erp_customers()["no"])  # none lost
    attempted = sum(
        n for op, n in client.stats.by_operation.items() if op in ("CustomerUpdate", "CustomerSet")
    )
    assert attempted <= 3 * client.max_tries  # three writes in a row, not one per record
    assert "in a row" in result.aborted and result.status == "failed"
    not_attempted = exported["message"].str.startswith("not attempted")
    assert not_attempted.sum() > 100


def test_an_address_create_whose_answer_was_lost_is_not_sent_again():
    clock = FakeClock()
    emulator = Emulator(data_dir=SAMPLE, clock=clock, sleep=clock.sleep)
    with served(emulator, sample_config(), clock) as (_, client_factory):
        client = client_factory()
        gid = "gid://shopify/Customer/7401234500000"
        before = len(client.customer_by_identifier(gid=gid)["addressesV2"]["nodes"])
        emulator.faults = "drop_after=1.0"
        with pytest.raises(WriteOutcomeUnknown):
            client.upsert_address(gid, {"address1": "1 New St", "city": "Seattle"}, None)
        emulator.faults = None
        after = client.customer_by_identifier(gid=gid)["addressesV2"]["nodes"]
    assert len(after) == before + 1  # created once, not once per retry


@pytest.mark.slow
def test_a_report_that_cannot_be_written_never_undoes_a_run(tmp_path):
    clock = FakeClock()
    emulator = Emulator(data_dir=SAMPLE, clock=clock, sleep=clock.sleep)
    blocked = tmp_path / "reports"
    blocked.write_text("a file where the report folder should be")
    with served(emulator, sample_config(), clock) as shop:
        store = sample_store(tmp_path / "s.db", shop[0])
        result = sync_shop(
            shop[0], store, shop[1](), SyncOptions(report_dir=blocked / "sub", **QUIET)
        )
    assert result.status == "succeeded" and result.reports == {}
    assert store.run_record(result.run_id)["status"] == "succeeded"
    log = store.run_log(result.run_id)
    assert log["message"].str.contains("not written").sum() == 3  # csv, xlsx, html


@pytest.mark.slow
def test_a_run_says_when_shopify_withholds_orders_older_than_60_days(tmp_path):
    clock = FakeClock()
    emulator = Emulator(
        data_dir=SAMPLE,
        clock=clock,
        sleep=clock.sleep,
        access_scopes=["read_customers", "write_customers", "read_orders"],
    )
    with served(emulator, sample_config(), clock) as shop:
        store = sample_store(tmp_path / "s.db", shop[0])
        result, _ = run(store, shop, tmp_path, orders=True, direction="import")
    log = store.run_log(result.run_id)
    notes = log[(log["side"] == "order") & (log["record"] == "*")]
    assert notes["message"].str.contains("read_all_orders").any()
