"""Blocked ERP customers (issue 17 point 14) and import updates old -> new (point 8), through
real syncs on the emulator, validate-export and the run reports."""

from __future__ import annotations

import pandas as pd
import pytest
from sync_helpers import (
    FakeClock,
    cli_store,
    lagging_emulator,
    mutations,
    run_sync,
    sample_config,
    sample_store,
    served,
)
from tests_paths import SAMPLE

from shopsync.emulator import Emulator

CREATE = "C00460"  # exported as a create when not blocked (cases.csv)
LINKED = "C00010"  # linked by the import (e-mail), so the export would update it
LINKED_ID = "7401234500000"


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def emulator(clock):
    return lagging_emulator(clock)


def erp_file(tmp_path, blocked: dict[str, str], **cities: str):
    """The sample ERP file with more customers blocked, its Blocked column under BC's
    caption, and some cities changed."""
    frame = pd.read_csv(SAMPLE / "erp_customers.csv", dtype=str, keep_default_na=False)
    frame = frame.rename(columns={"blocked": "Blocked"})
    frame["Blocked"] = frame["no"].map(blocked).fillna(frame["Blocked"])
    for no, city in cities.items():
        frame.loc[frame["no"] == no, "city"] = city
    path = tmp_path / "erp_blocked.csv"
    frame.to_csv(path, index=False)
    return path


def email_of(no: str) -> str:
    frame = pd.read_csv(SAMPLE / "erp_customers.csv", dtype=str, keep_default_na=False)
    return frame.set_index("no").at[no, "email"].strip().lower()


def exported(result) -> pd.DataFrame:
    return result.records[result.records["side"] == "export"].set_index("record")


def shopify_city(emulator, legacy_id: str) -> str:
    for customer in emulator.customers():
        if customer["legacyResourceId"] == legacy_id:
            return customer["addressesV2"]["nodes"][0]["city"]
    raise AssertionError(f"no Shopify customer {legacy_id}")


@pytest.mark.slow
def test_a_blocked_customer_is_neither_created_nor_updated_nor_invited(
    db_url, tmp_path, clock, emulator
):
    path = erp_file(tmp_path, {CREATE: "All", LINKED: "Ship"}, **{LINKED: "Bellevue"})
    with served(emulator, sample_config(), clock) as shop:
        store = sample_store(db_url, shop[0], erp_file=path)
        city_before = shopify_city(emulator, LINKED_ID)
        first, _ = run_sync(store, shop, tmp_path)
        second, client = run_sync(store, shop, tmp_path)

    for result in (first, second):
        export = exported(result)
        for no in (CREATE, LINKED):
            assert export.at[no, "outcome"] == "skipped"
            assert "CUSTOMER_BLOCKED" in export.at[no, "reason"].split(";")
        log = store.run_log(result.run_id).set_index("record")
        assert "CUSTOMER_BLOCKED" in log.at[CREATE, "reason"]
    # not created (nor invited), and the linked one is not updated with the ERP's new city
    emails = {
        (c.get("defaultEmailAddress") or {}).get("emailAddress") for c in emulator.customers()
    }
    assert email_of(CREATE) not in emails
    assert shopify_city(emulator, LINKED_ID) == city_before != "Bellevue"
    invited = {invite["to"] for invite in emulator.invites}
    assert email_of(CREATE) not in invited and len(invited) > 0  # others were invited
    # the import still maps Shopify customers to the blocked ERP customer, as BC does
    assert store.links("DEMO")[LINKED_ID] == LINKED
    # the second run is idempotent: nothing is sent, the same records are skipped
    assert mutations(client) == {}
    assert set(second.records["outcome"]) <= {"unchanged", "skipped"}
    # the run report says why, with the customer's name and e-mail
    report = pd.read_csv(first.reports["csv"], dtype=str, keep_default_na=False)
    row = report[(report["side"] == "export") & (report["record"] == CREATE)].iloc[0]
    assert "CUSTOMER_BLOCKED" in row["reason"] and row["email"] == email_of(CREATE)


@pytest.mark.slow
def test_an_invite_waits_while_its_customer_is_blocked(db_url, tmp_path, clock, emulator):
    with served(emulator, sample_config(), clock) as shop:
        store = sample_store(db_url, shop[0])
        first, _ = run_sync(store, shop, tmp_path)
        created = exported(first)
        created = created[created["outcome"] == "created"]
        no, sid = created.index[0], created["shopify_id"].iloc[0]
        invites_of = lambda: sum(  # noqa: E731
            invite["customerId"] == f"gid://shopify/Customer/{sid}" for invite in emulator.invites
        )
        assert invites_of() == 1
        store.set_invite("DEMO", sid, "pending")  # as if an earlier run stopped before inviting
        blocked = store.erp_customers()
        blocked["blocked"] = blocked["no"].map({no: "All"}).fillna("")
        store.save_erp_customers(blocked, ["no", "blocked"])

        second, _ = run_sync(store, shop, tmp_path)
        assert invites_of() == 1  # not invited while blocked
        assert second.invites["blocked"] == 1
        log = store.run_log(second.run_id)
        held = log[(log["side"] == "invite") & (log["record"] == sid)]
        assert held["reason"].tolist() == ["CUSTOMER_BLOCKED"]
        assert f"ERP customer {no} is blocked" in held["message"].iloc[0]
        assert store.pending_invites("DEMO") == {sid: "pending"}

        blocked["blocked"] = ""
        store.save_erp_customers(blocked, ["no", "blocked"])
        third, _ = run_sync(store, shop, tmp_path)
        assert invites_of() == 2 and third.invites["sent"] == 1  # unblocked: invited now
        assert store.pending_invites("DEMO") == {}


@pytest.mark.slow
def test_validate_export_names_the_blocked_customers_and_what_to_fix(tmp_path, capsys):
    from shopsync.cli import main

    path = erp_file(tmp_path, {CREATE: "All", "C00480": "maybe"})
    db, config = cli_store(tmp_path, path)
    out = capsys.readouterr().out
    assert "4 blocked customer(s): not exported, not invited" in out  # the sample's 2 too
    assert "C00480) blocked: BLOCKED_UNREADABLE" in out
    report = tmp_path / "validation.csv"
    assert main(["validate-export", "--config", config, "--db", db, "--out", str(report)]) == 0
    rows = pd.read_csv(report, dtype=str, keep_default_na=False).set_index("customer_no")
    for no in (CREATE, "C00480"):
        assert (rows.at[no, "eligible"], rows.at[no, "action"]) == ("False", "skip")
        assert rows.at[no, "reasons"] == "CUSTOMER_BLOCKED"
    assert rows.at["C00470", "action"] == "create"  # the customers around them are not

    from shopsync.notebook import open_shop, validation_report

    shop_config, store = open_shop(SAMPLE / "shop.toml", db)
    fixes = validation_report(shop_config, store).set_index("customer_no")
    assert fixes.at[CREATE, "values to fix"] == 'Blocked "All"'
    assert fixes.at["C00480", "values to fix"] == 'Blocked "maybe"'
    assert "blocked in the ERP" in fixes.at[CREATE, "what to fix"]


@pytest.mark.slow
def test_an_import_update_carries_old_to_new_per_changed_erp_field(db_url, tmp_path, clock):
    emulator = Emulator(data_dir=SAMPLE, clock=clock, sleep=clock.sleep)
    config = sample_config(shopify_can_update_customers=True, can_update_shopify_customers=False)
    with served(emulator, config, clock) as shop:
        store = sample_store(db_url, shop[0])
        run_sync(store, shop, tmp_path)
        before = store.erp_customers().set_index("no").loc[LINKED]
        client = shop[1]()
        gid = f"gid://shopify/Customer/{LINKED_ID}"
        address = client.customer_by_identifier(gid=gid)["defaultAddress"]["id"]
        assert client.upsert_address(gid, {"city": "Seattle", "zip": "98101"}, address).ok
        second, _ = run_sync(store, shop, tmp_path)

    imported = second.records[second.records["side"] == "import"].set_index("record")
    assert imported.at[LINKED_ID, "outcome"] == "updated"
    report = pd.read_csv(second.reports["csv"], dtype=str, keep_default_na=False)
    row = report[(report["side"] == "import") & (report["record"] == LINKED_ID)].iloc[0]
    said = row["changes"].split("; ")
    assert f"city: {before['city']} -> Seattle" in said
    assert f"post_code: {before['post_code']} -> 98101" in said
    assert all(" -> " in part for part in said) and len(said) == 2  # only what changed
    assert row["name"] and row["email"]  # still carries name and e-mail
    after = store.erp_customers().set_index("no").loc[LINKED]
    assert (after["city"], after["post_code"]) == ("Seattle", "98101")


def test_report_rows_give_import_updates_old_to_new_in_the_export_shape():
    from shopsync.run_report import report_rows

    records = pd.DataFrame(
        [
            {"side": "import", "record": "12", "outcome": "updated", "shopify_id": "12"},
            {"side": "import", "record": "13", "outcome": "created", "shopify_id": "13"},
        ]
    )
    imports = pd.DataFrame(
        [
            {"shopify_id": "12", "erp_name": "Fabrikam", "email": "f@fabrikam.example"},
            {"shopify_id": "13", "erp_name": "Litware", "email": "l@litware.example"},
        ]
    )
    written = {
        "12": {"phone": ["555 0100", "+14255550101"], "tax_liable": [False, True]},
        "13": {"city": ["", "Lund"]},  # a create's values are not changes
    }
    rows = report_rows(records, {"import": imports}, None, erp_changes=written)
    assert rows.at[0, "changes"] == "phone: 555 0100 -> +14255550101; tax_liable: false -> true"
    assert rows.at[1, "changes"] == ""
    assert rows["name"].tolist() == ["Fabrikam", "Litware"]


def test_the_notebooks_load_summary_names_the_ignored_columns_and_counts_the_blocked(tmp_path):
    from shopsync.notebook import load_erp_into_store
    from shopsync.store import open_store

    path = tmp_path / "erp.csv"
    path.write_text("No.,Name,Blocked,Telephone\nC1,A,All,555\nC2,B,,556\n", encoding="utf-8")
    store = open_store(f"sqlite:///{tmp_path / 'n.db'}")
    counts = load_erp_into_store(store, path)
    assert counts == {
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
        "blocked": 1,
        "columns ignored": "Telephone",
    }
