"""Sync safety over the settings: idempotent and non-destructive in every mode, plans as values."""

from __future__ import annotations

import itertools
import json

import pytest
from sqlalchemy import select
from sync_helpers import (
    QUIET,
    SEARCH_LAG,
    FakeClock,
    cli_store,
    lagging_emulator,
    mutations,
    run_sync,
    sample_config,
    sample_store,
    served,
    shopify_state,
)
from tests_paths import SAMPLE

from shopsync.store import erp_customers, open_store
from shopsync.sync import SyncOptions, sync, sync_shop
from shopsync.sync_plan import PlanChanged, SyncPlan

# The settings a run's decisions depend on, and a covering array of them: every pair of
# values of any two settings occurs in at least one row (checked below).
FACTORS = {
    "customer_import": ["none", "with_order_import", "all_customers"],
    "mapping_type": ["by_email_phone", "by_bill_to", "default_customer"],
    "updates": ["neither", "shopify_can_update_customers", "can_update_shopify_customers"],
    "export_customers": [False, True],
    "send_invites": [False, True],
}
COVERING_ARRAY = [
    (0, 0, 0, 0, 0),
    (0, 1, 1, 1, 1),
    (1, 2, 2, 0, 1),
    (2, 0, 2, 1, 0),
    (1, 1, 0, 1, 0),
    (2, 2, 1, 0, 0),
    (2, 1, 0, 0, 1),
    (1, 0, 1, 0, 1),
    (0, 2, 0, 1, 0),
    (0, 1, 2, 0, 0),
    (1, 0, 2, 1, 1),  # the README's own ERP-master shop, with creates and invites
    (2, 1, 1, 1, 1),  # Shopify as master, with creates and invites
]


def mode(row: tuple[int, ...]) -> dict[str, object]:
    values = {name: FACTORS[name][level] for name, level in zip(FACTORS, row, strict=True)}
    updates = values.pop("updates")
    values["shopify_can_update_customers"] = updates == "shopify_can_update_customers"
    values["can_update_shopify_customers"] = updates == "can_update_shopify_customers"
    return values


def mode_id(row: tuple[int, ...]) -> str:
    return "-".join(str(FACTORS[name][level]) for name, level in zip(FACTORS, row, strict=True))


def test_the_covering_array_has_every_pair_of_settings():
    names = list(FACTORS)
    for first, second in itertools.combinations(range(len(names)), 2):
        wanted = set(
            itertools.product(range(len(FACTORS[names[first]])), range(len(FACTORS[names[second]])))
        )
        seen = {(row[first], row[second]) for row in COVERING_ARRAY}
        assert wanted <= seen, (names[first], names[second], wanted - seen)


def erp_rows(store) -> list[tuple]:
    """Every ERP customer with its last-change time: a write shows even if values match."""
    with store.engine.connect() as conn:
        return sorted(tuple(row) for row in conn.execute(select(erp_customers)))


run = run_sync


@pytest.mark.parametrize("row", COVERING_ARRAY, ids=[mode_id(r) for r in COVERING_ARRAY])
@pytest.mark.slow
def test_a_second_run_changes_nothing_in_every_mode(db_url, tmp_path, row):
    clock = FakeClock()
    emulator = lagging_emulator(clock)
    with served(emulator, sample_config(**mode(row)), clock) as shop:
        store = sample_store(db_url, shop[0])
        first, _ = run(store, shop, tmp_path)
        assert first.failed == 0 and not first.aborted, first.summary()
        links = store.links("DEMO")
        linked = first.records[first.records["outcome"].isin(["linked", "created"])]
        linked = linked[linked["side"].isin(["import", "export"])]
        for record in linked.itertuples():  # every "linked" or "created" is a stored link
            assert links.get(record.shopify_id) == record.customer_no, record
        before = (shopify_state(emulator), erp_rows(store), links, len(emulator.invites))
        clock.sleep(SEARCH_LAG * 2)
        second, client = run(store, shop, tmp_path)
        after = (shopify_state(emulator), erp_rows(store), store.links("DEMO"))
        assert mutations(client) == {}, second.summary()
        assert after == before[:3] and len(emulator.invites) == before[3]
    assert set(second.records["outcome"]) <= {"unchanged", "skipped"}, second.summary()
    was = first.records.set_index(["side", "record"])
    for record in second.records[second.records["outcome"] == "skipped"].itertuples():
        assert was.at[(record.side, record.record), "reason"] == record.reason, record


@pytest.mark.slow
def test_a_create_never_takes_over_a_customer_missing_from_the_mirror(db_url, tmp_path):
    """customer_import = none: the store never reads Shopify's customers, so every ERP customer
    looks new; the ones Shopify has are linked, not overwritten, and nobody is invited twice."""
    clock = FakeClock()
    emulator = lagging_emulator(clock)
    before = {c["id"]: c for c in emulator.customers()}
    config = sample_config(customer_import="none", can_update_shopify_customers=False)
    with served(emulator, config, clock) as shop:
        store = sample_store(db_url, shop[0])
        result, _ = run(store, shop, tmp_path)
    exported = result.records[result.records["side"] == "export"].set_index("record")
    assert exported.at["C00010", "outcome"] == "linked"  # Shopify has this e-mail already
    assert exported.at["C00010", "shopify_id"] == "7401234500000"
    after = {c["id"]: c for c in emulator.customers()}
    for gid, customer in before.items():  # no customer that existed was written
        assert after[gid]["addressesV2"] == customer["addressesV2"]
        assert after[gid]["updatedAt"] == customer["updatedAt"]
    invited = {invite["customerId"] for invite in emulator.invites}
    assert not invited & set(before)  # only customers this run created are invited
    assert len(invited) == (exported["outcome"] == "created").sum()


@pytest.mark.slow
def test_a_customer_created_in_shopify_after_the_plan_is_linked_not_overwritten(db_url, tmp_path):
    clock = FakeClock()
    emulator = lagging_emulator(clock)
    with served(emulator, sample_config(), clock) as shop:
        store = sample_store(db_url, shop[0])
        plan, client = run(store, shop, tmp_path, dry_run=True)
        creates = plan.plan.exports[plan.plan.exports["action"] == "create"]
        victim = creates.iloc[0]
        made = client.set_customer(
            {"email": victim["email"], "firstName": "Someone", "lastName": "Else"},
            identifier={"email": victim["email"]},
        )
        assert made.ok
        result = sync_shop(
            shop[0],
            store,
            shop[1](),
            SyncOptions(report_dir=tmp_path / "r", **QUIET),
            plan=plan.plan,
        )
    record = result.records.set_index(["side", "record"]).loc[("export", victim["customer_no"])]
    assert record["outcome"] == "linked"
    gid = made.data["id"]
    customer = next(c for c in emulator.customers() if c["id"] == gid)
    assert customer["firstName"] == "Someone"  # not overwritten by the ERP's values
    assert gid not in {invite["customerId"] for invite in emulator.invites}


def test_update_only_runs_touch_linked_customers_only(db_url, tmp_path):
    clock = FakeClock()
    emulator = lagging_emulator(clock)
    config = sample_config(
        customer_import="none", export_customers=False, can_update_shopify_customers=True
    )
    with served(emulator, config, clock) as shop:
        store = sample_store(db_url, shop[0])
        result, client = run(store, shop, tmp_path)
    exported = result.records[result.records["side"] == "export"]
    assert set(exported["outcome"]) <= {"skipped", "unchanged"}
    assert "EXPORT_CUSTOMERS_OFF" in set(";".join(exported["reason"]).split(";"))
    assert mutations(client) == {} and store.links("DEMO") == {}


def test_a_dry_run_on_a_new_store_writes_not_even_its_reference_data(tmp_path):
    clock = FakeClock()
    with served(lagging_emulator(clock), sample_config(), clock) as shop:
        store = open_store(f"sqlite:///{tmp_path / 'new.db'}")
        counts = store.table_counts()
        result, client = run(store, shop, tmp_path, dry_run=True)
    assert store.table_counts() == counts
    assert mutations(client) == {} and result.status == "planned"
    assert len(result.records[result.records["side"] == "import"]) > 0


@pytest.mark.slow
def test_a_saved_plan_is_applied_exactly_or_refused_when_its_inputs_changed(db_url, tmp_path):
    clock = FakeClock()
    with served(lagging_emulator(clock), sample_config(), clock) as shop:
        store = sample_store(db_url, shop[0])
        planned, _ = run(store, shop, tmp_path, dry_run=True)
        path = planned.plan.save(tmp_path / "plan.json")
        assert "test-token" not in path.read_text()
        loaded = SyncPlan.load(path)
        store.link("DEMO", "7401234500000", "C00020")  # somebody changed a link since
        with pytest.raises(PlanChanged, match="links"):
            sync_shop(shop[0], store, shop[1](), SyncOptions(**QUIET), plan=loaded)
        store.link("DEMO", "7401234500000", "")
        applied = sync_shop(
            shop[0], store, shop[1](), SyncOptions(report_dir=tmp_path / "r", **QUIET), plan=loaded
        )
    columns = ["side", "record", "outcome", "customer_no"]
    assert sorted(planned.records[columns].values.tolist()) == sorted(
        applied.records[columns].values.tolist()
    )


@pytest.mark.slow
def test_the_cli_saves_a_plan_and_applies_it(tmp_path, capsys):
    from shopsync.cli import main

    db, config = cli_store(tmp_path)
    emulator_dir = SAMPLE
    args = ["sync", "--config", config, "--db", db, "--no-progress", "--direction", "import"]
    args += ["--reports", str(tmp_path / "r")]
    plan = tmp_path / "plan.json"
    assert main([*args, "--emulator", str(emulator_dir), "--dry-run", "--plan-out", str(plan)]) == 0
    document = json.loads(plan.read_text())
    assert document["shop"] == "DEMO" and document["imports"]["data"]
    assert main([*args, "--emulator", str(emulator_dir), "--plan", str(plan)]) == 0
    assert "run 1: succeeded" in capsys.readouterr().out
    assert main([*args, "--emulator", str(emulator_dir), "--plan", str(plan)]) == 2
    assert "no longer fits" in capsys.readouterr().err


@pytest.mark.slow
def test_syncing_twice_with_a_reseeded_emulator_reconciles_instead_of_crashing(db_url, tmp_path):
    """``--emulator DIR`` seeds a fresh shop each run: the store's mirror disagrees with it."""
    db = db_url
    sample_store(db_url, sample_config())
    results = [
        sync(SAMPLE / "shop.toml", db=db, emulator=SAMPLE, report_dir=tmp_path / "r", **QUIET)
        for _ in range(2)
    ]
    assert [r.status for r in results] == ["succeeded", "succeeded"], results[1].summary()
    runs = open_store(db).runs("DEMO")
    assert set(runs["status"]) == {"succeeded"}


@pytest.mark.slow
def test_a_killed_run_is_marked_interrupted_by_the_next(db_url, tmp_path):
    clock = FakeClock()
    with served(lagging_emulator(clock), sample_config(), clock) as shop:
        store = sample_store(db_url, shop[0])
        dead = store.start_run("DEMO", "both", {})  # a run whose process died
        run(store, shop, tmp_path)
    runs = store.runs("DEMO").set_index("id")
    assert runs.at[dead, "status"] == "interrupted" and runs.at[dead, "finished_at"]


@pytest.mark.slow
def test_with_order_import_refreshes_every_known_customer_linked_or_not(db_url, tmp_path):
    """BC's with_order_import + shopify_can_update_customers: a customer the store already
    knows (here: brought in by an order, never linked) is mapped and refreshed."""
    from shopsync.shopify_io import ShopifyCustomers, read_shopify_customers

    clock = FakeClock()
    config = sample_config(customer_import="with_order_import", shopify_can_update_customers=True)
    with served(lagging_emulator(clock), config, clock) as shop:
        store = sample_store(db_url, shop[0])
        sample = read_shopify_customers(SAMPLE / "customers.jsonl")
        known = sample.customers[sample.customers["shopify_id"] == "7401234500000"]
        store.save_mirror(
            "DEMO",
            ShopifyCustomers(
                known.assign(updated_at=""),
                sample.addresses[sample.addresses["shopify_id"] == "7401234500000"],
            ),
        )
        assert store.links("DEMO") == {}
        result, _ = run(store, shop, tmp_path, direction="import")
    imported = result.records[result.records["side"] == "import"].set_index("record")
    assert imported.at["7401234500000", "outcome"] in ("linked", "updated")
    assert imported.at["7401234500000", "customer_no"] == "C00010"
    assert store.links("DEMO") == {"7401234500000": "C00010"}
    others = imported.drop(index="7401234500000")
    assert set(others["reason"]) == {"IMPORT_WITH_ORDERS"}  # the rest wait for their orders


@pytest.mark.slow
def test_values_the_erp_holds_cut_do_not_travel_back_to_shopify(db_url, tmp_path):
    """The sample shop imports customers whose city (58 characters) or company (102) is longer
    than the ERP field, then exports with can_update_shopify_customers: Shopify keeps them."""
    clock = FakeClock()
    emulator = lagging_emulator(clock)
    long_ones = ("7401234737570", "7401234753408")

    def addresses() -> dict[str, list]:
        return {
            c["id"].rsplit("/", 1)[1]: c["addressesV2"]["nodes"]
            for c in emulator.customers()
            if c["id"].rsplit("/", 1)[1] in long_ones
        }

    before = addresses()
    with served(emulator, sample_config(), clock) as shop:
        store = sample_store(db_url, shop[0])
        result, _ = run(store, shop, tmp_path)
    assert addresses() == before
    erp = store.erp_customers().set_index("no")
    links = store.links("DEMO")
    assert all(len(erp.at[links[sid], "city"]) <= 30 for sid in long_ones)
    exported = result.records[result.records["side"] == "export"].set_index("record")
    for sid in long_ones:
        assert exported.at[links[sid], "outcome"] == "unchanged"


def test_an_export_of_no_customer_is_an_empty_run_not_a_crash(db_url, tmp_path):
    clock = FakeClock()
    with served(lagging_emulator(clock), sample_config(), clock) as shop:
        store = sample_store(db_url, shop[0])
        result, client = run(store, shop, tmp_path, direction="export", customers=("NOPE",))
    assert result.status == "succeeded" and result.records.empty
    assert mutations(client) == {}
