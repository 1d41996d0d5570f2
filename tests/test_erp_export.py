"""export-erp: the imports' ERP changes handed over once, as Business Central imports them."""

from __future__ import annotations

import csv
import shutil
import zipfile

import pytest
from openpyxl import load_workbook
from sync_helpers import FakeClock, sample_config, sample_store, served
from tests_paths import SAMPLE

import shopsync
from shopsync import erp_export
from shopsync.cli import main
from shopsync.emulator import Emulator
from shopsync.erp_export import (
    CHANGED_CUSTOMERS,
    NEW_CUSTOMERS,
    ORDER_CUSTOMERS,
    export_erp,
    handover_files,
    handover_path,
)
from shopsync.erp_io import read_erp_customers
from shopsync.errors import UserInputError
from shopsync.jobs import preview_import
from shopsync.store import erp_changes, open_store
from shopsync.sync import SyncOptions, sync_shop
from shopsync.widgets import ErpExportPanel

# SPEC section 10, in its order
BC_CAPTIONS = [
    "No.",
    "Name",
    "Name 2",
    "Contact",
    "Address",
    "Address 2",
    "City",
    "County",
    "Post Code",
    "Country/Region Code",
    "Phone No.",
    "E-Mail",
    "Gen. Bus. Posting Group",
    "VAT Bus. Posting Group",
    "Customer Posting Group",
    "Tax Area Code",
    "Tax Liable",
    "Payment Terms Code",
]
# the sample shop, but found ERP customers are overwritten with Shopify data (updates)
UPDATING = {"shopify_can_update_customers": True, "can_update_shopify_customers": False}


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """A store after one sync of the sample shop (import with updates, export, orders)."""
    folder = tmp_path_factory.mktemp("synced")
    clock = FakeClock()
    emulator = Emulator(data_dir=SAMPLE, clock=clock, sleep=clock.sleep)
    with served(emulator, sample_config(**UPDATING), clock) as (config, client):
        store = sample_store(folder / "synced.db", config)
        options = SyncOptions(
            orders=True, progress=False, bulk_poll_seconds=0.5, report_dir=folder / "reports"
        )
        result = sync_shop(config, store, client(), options)
    store.engine.dispose()
    return folder / "synced.db", config, result


@pytest.fixture
def store_after_sync(synced, tmp_path):
    """(a copy of the synced store, its config, the sync result): each test moves its own
    bookmark."""
    path, config, result = synced
    copy = tmp_path / "store.db"
    shutil.copy(path, copy)
    return open_store(f"sqlite:///{copy}"), config, result


def _imported(result, outcome):
    records = result.records
    rows = records[(records["side"] == "import") & (records["outcome"] == outcome)]
    return dict(zip(rows["shopify_id"], rows["customer_no"], strict=True))


def _sheets(path):
    workbook = load_workbook(path)
    sheets = {}
    for sheet in workbook.worksheets:
        rows = [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
        sheets[sheet.title] = rows
    return sheets


def test_a_sync_is_handed_over_once_with_bc_captions(store_after_sync, tmp_path):
    store, config, result = store_after_sync
    created, updated = _imported(result, "created"), _imported(result, "updated")
    assert created and updated  # the sample creates and updates ERP customers

    first = export_erp(config, tmp_path / "erp.xlsx", store=store)

    sheets = _sheets(tmp_path / "erp.xlsx")
    assert list(sheets) == [NEW_CUSTOMERS, CHANGED_CUSTOMERS, ORDER_CUSTOMERS]
    new, changed, orders = (sheets[name] for name in sheets)
    assert new[0][:18] == BC_CAPTIONS and new[0][18:] == ["Shopify Customer Id"]
    assert changed[0][:18] == BC_CAPTIONS
    assert changed[0][18:] == ["Shopify Customer Id", "Changed Fields", "Previous Values"]
    assert orders[0] == [
        "Shopify Order No.",
        "Sell-to Customer No.",
        "Bill-to Customer No.",
        "Shopify Order Id",
    ]
    # every created customer once, with its link; every updated one that changed
    assert sorted((r[18], r[0]) for r in new[1:]) == sorted(created.items())
    assert {r[18]: r[0] for r in changed[1:]}.items() <= updated.items()
    assert all(r[19] for r in changed[1:])  # each names its changed fields
    stored = store.order_customers(config.shop.code)
    assert sorted((r[3], r[0], r[1], r[2]) for r in orders[1:]) == sorted(
        stored[["order_id", "name", "sell_to_customer_no", "bill_to_customer_no"]].itertuples(
            index=False, name=None
        )
    )
    assert first.counts == {
        NEW_CUSTOMERS: len(new) - 1,
        CHANGED_CUSTOMERS: len(changed) - 1,
        ORDER_CUSTOMERS: len(orders) - 1,
    }

    second = export_erp(config, tmp_path / "again.xlsx", store=store)
    assert second.counts == dict.fromkeys(first.counts, 0)
    assert [len(rows) for rows in _sheets(tmp_path / "again.xlsx").values()] == [1, 1, 1]
    everything = export_erp(config, tmp_path / "all.xlsx", store=store, all_changes=True)
    assert everything.counts == first.counts


def test_changed_customers_name_the_fields_and_their_previous_values(store, tmp_path):
    config = sample_config()
    store.initialise(config)
    store.save_erp_customers(read_erp_customers(SAMPLE / "erp_customers.csv").customers)
    before = store.erp_customers().set_index("no").loc["C00010"]
    store.start_run(config.shop.code, "import", {})
    store.update_erp_customer(
        "C00010",
        {"phone": "+4570000000", "city": before["city"], "tax_liable": not before["tax_liable"]},
        shop_code=config.shop.code,
        shopify_id="7401234500000",
    )
    store.update_erp_customer(  # the same customer again: one row, first value kept as before
        "C00010", {"phone": "+4571111111"}, shop_code=config.shop.code, shopify_id="7401234500000"
    )

    handover = export_erp(config, tmp_path / "erp.csv", store=store)

    (row,) = handover.sheets[CHANGED_CUSTOMERS].to_dict("records")
    assert row["No."] == "C00010" and row["Phone No."] == "+4571111111"
    assert row["Changed Fields"] == "Phone No., Tax Liable"  # the city did not change
    was_liable = "true" if before["tax_liable"] else "false"
    assert row["Previous Values"] == f"Phone No.: {before['phone']}; Tax Liable: {was_liable}"
    assert row["Tax Liable"] == ("false" if before["tax_liable"] else "true")
    assert handover.counts[NEW_CUSTOMERS] == 0


def test_a_field_changed_and_changed_back_hands_nothing_over(store, tmp_path):
    config = sample_config()
    store.initialise(config)
    store.save_erp_customers(read_erp_customers(SAMPLE / "erp_customers.csv").customers)
    phone = store.erp_customers().set_index("no").at["C00010", "phone"]
    store.start_run(config.shop.code, "import", {})
    for value in ("+4570000000", phone):
        store.update_erp_customer(
            "C00010", {"phone": value}, shop_code=config.shop.code, shopify_id="1"
        )
    assert export_erp(config, tmp_path / "erp.xlsx", store=store).counts[CHANGED_CUSTOMERS] == 0


def test_an_order_read_again_unchanged_is_not_handed_over_twice(store, tmp_path):
    import pandas as pd

    config = sample_config()
    store.initialise(config)
    run = store.start_run("DEMO", "import", {})
    plan = pd.DataFrame(
        [
            {"order_id": "1", "name": "#1001", "sell_to_customer_no": "C1", "rule": "email"},
            {"order_id": "2", "name": "#1002", "sell_to_customer_no": "C2", "rule": "email"},
        ]
    ).assign(bill_to_customer_no=lambda f: f["sell_to_customer_no"])
    store.save_order_customers("DEMO", plan, run)
    first = export_erp(config, tmp_path / "one.xlsx", store=store)
    assert first.sheets[ORDER_CUSTOMERS]["Shopify Order No."].tolist() == ["#1001", "#1002"]

    plan.loc[1, "bill_to_customer_no"] = "C9"  # the next run re-reads both orders
    store.save_order_customers("DEMO", plan, run + 1)
    second = export_erp(config, tmp_path / "two.xlsx", store=store)
    (row,) = second.sheets[ORDER_CUSTOMERS].to_dict("records")
    assert row == {
        "Shopify Order No.": "#1002",
        "Sell-to Customer No.": "C2",
        "Bill-to Customer No.": "C9",
        "Shopify Order Id": "2",
    }


def _store_with_new_customer(store, values, shop="DEMO"):
    config = sample_config()
    store.initialise(config)
    store.ensure_series("SHOP", "SHOP")
    store.start_run(shop, "import", {})
    no = store.create_erp_customer(values, series="SHOP", shop_code=shop, shopify_id="42")
    return config, no


TRICKY = {
    "name": '=HYPERLINK("http://x")',
    "post_code": "01234",
    "phone": "+4512345678",
    "email": "@home@example.com",
    "address": "-12 Main Street",
    "tax_liable": True,
}


def test_excel_cells_are_text_never_numbers_or_formulas(store, tmp_path):
    config, no = _store_with_new_customer(store, TRICKY)

    export_erp(config, tmp_path / "erp.xlsx", store=store)

    sheet = load_workbook(tmp_path / "erp.xlsx")[NEW_CUSTOMERS]
    header = [c.value for c in sheet[1]]
    row = {header[i]: cell for i, cell in enumerate(sheet[2])}
    assert row["No."].value == no
    assert row["Name"].value == TRICKY["name"] and row["Name"].data_type == "s"
    assert row["Post Code"].value == "01234" and row["Phone No."].value == "+4512345678"
    assert row["E-Mail"].value == "@home@example.com"
    assert row["Address"].value == "-12 Main Street"
    assert row["Tax Liable"].value == "true"  # BC reads it in any language
    assert {cell.number_format for cell in sheet[2]} == {"@"}
    with zipfile.ZipFile(tmp_path / "erp.xlsx") as archive:
        xml = "".join(archive.read(n).decode() for n in archive.namelist() if "worksheets" in n)
    assert "<f>" not in xml and "<f " not in xml  # no formula anywhere


def test_csv_files_per_sheet_keep_values_as_they_are(store, tmp_path):
    config, no = _store_with_new_customer(store, TRICKY)

    handover = export_erp(config, tmp_path / "handover.csv", store=store)

    names = [p.name for p in handover.files]
    assert names == [
        "handover-new-customers.csv",
        "handover-changed-customers.csv",
        "handover-order-customers.csv",
    ]
    with (tmp_path / names[0]).open(encoding="utf-8-sig", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["No."] == no and row["Name"] == TRICKY["name"] and row["Post Code"] == "01234"
    assert row["Phone No."] == "+4512345678" and row["Tax Liable"] == "true"
    loaded = read_erp_customers(tmp_path / names[0]).customers.iloc[0]
    assert loaded["post_code"] == "01234" and bool(loaded["tax_liable"]) is True


def test_a_failed_write_leaves_no_file_and_keeps_the_bookmark(store, tmp_path, monkeypatch):
    config, no = _store_with_new_customer(store, {"name": "Ann"})

    def disk_full(sheets, path):
        path.write_text("half a workbook")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(erp_export, "_write_xlsx", disk_full)
    with pytest.raises(UserInputError, match="No space left on device"):
        export_erp(config, tmp_path / "erp.xlsx", store=store)
    assert list(tmp_path.glob("*erp.xlsx*")) == []  # neither the file nor its temporary
    monkeypatch.undo()

    retried = export_erp(config, tmp_path / "erp.xlsx", store=store)
    assert retried.sheets[NEW_CUSTOMERS]["No."].tolist() == [no]


def test_a_change_committed_while_the_file_is_written_is_handed_over_next(
    store, tmp_path, monkeypatch
):
    config, first_no = _store_with_new_customer(store, {"name": "Ann"})
    write = erp_export._write_xlsx
    late = []

    def write_while_a_run_commits(sheets, path):
        write(sheets, path)
        late.append(
            store.create_erp_customer(
                {"name": "Bob"}, series="SHOP", shop_code="DEMO", shopify_id="43"
            )
        )

    monkeypatch.setattr(erp_export, "_write_xlsx", write_while_a_run_commits)
    first = export_erp(config, tmp_path / "one.xlsx", store=store)
    monkeypatch.undo()
    assert first.sheets[NEW_CUSTOMERS]["No."].tolist() == [first_no]

    second = export_erp(config, tmp_path / "two.xlsx", store=store)
    assert second.sheets[NEW_CUSTOMERS]["No."].tolist() == late


def test_a_change_with_a_lower_id_committed_after_an_export_is_not_lost(store, tmp_path):
    """PostgreSQL hands sequence ids out at insert, not at commit: a run may commit id 2
    after an export read id 3. The bookmark is per change, not a highest id."""
    config, _ = _store_with_new_customer(store, {"name": "Ann"})
    for name in ("Bob", "Cy"):
        store.create_erp_customer({"name": name}, series="SHOP", shop_code="DEMO", shopify_id="")
    ids = store.erp_changes("DEMO")["id"].tolist()
    with store.transaction() as conn:  # the middle change is not committed yet
        middle = conn.execute(erp_changes.select().where(erp_changes.c.id == ids[1])).one()
        conn.execute(erp_changes.delete().where(erp_changes.c.id == ids[1]))
    first = export_erp(config, tmp_path / "one.xlsx", store=store)
    assert len(first.sheets[NEW_CUSTOMERS]) == 2
    with store.transaction() as conn:  # ...now it commits, with its lower id
        conn.execute(erp_changes.insert().values(**middle._mapping))

    second = export_erp(config, tmp_path / "two.xlsx", store=store)
    assert second.sheets[NEW_CUSTOMERS]["No."].tolist() == [middle.record]


def test_round_trip_every_imported_customer_maps_to_its_exported_number(store_after_sync, tmp_path):
    synced, config, result = store_after_sync
    handover = export_erp(config, tmp_path / "erp.csv", store=synced)
    export_erp(config, tmp_path / "erp.xlsx", store=synced, all_changes=True)
    new_file, changed_file, _ = handover.files

    erp = open_store(f"sqlite:///{tmp_path / 'erp.db'}")  # the ERP after its import
    erp.initialise(config)
    erp.save_erp_customers(read_erp_customers(SAMPLE / "erp_customers.csv").customers)
    for path in (new_file, changed_file):
        erp.save_erp_customers(read_erp_customers(path).customers)
    plan = preview_import(config, erp, shopify=synced.shopify_mirror(config.shop.code))

    mapped = dict(zip(plan["shopify_id"], plan["customer_no"], strict=True))
    imported = _imported(result, "created") | _imported(result, "updated")
    assert {sid: mapped[sid] for sid in imported} == imported
    assert set(plan.set_index("shopify_id").loc[list(imported), "action"]) <= {
        "link",
        "unchanged",
    }  # found, and nothing to change
    # the Excel file's first sheet reads as the same new customers
    from_excel = read_erp_customers(tmp_path / "erp.xlsx").customers
    from_csv = read_erp_customers(new_file).customers
    assert from_excel.equals(from_csv)


def test_the_python_call_is_exported():
    assert shopsync.export_erp is export_erp


def _cli(url, out):
    return ["export-erp", "--config", str(SAMPLE / "shop.toml"), "--db", url, "--out", str(out)]


def test_cli_writes_the_file_and_prints_the_counts(store_after_sync, tmp_path, capsys):
    store, _, _ = store_after_sync
    url = store.engine.url.render_as_string()
    out = tmp_path / "out" / "erp.xlsx"  # a missing folder is created
    args = _cli(url, out)
    assert main(args) == 0
    assert out.exists() and "New customers" in capsys.readouterr().out
    assert main(_cli(url, tmp_path / "again.xlsx")) == 0
    assert "nothing changed since the last export" in capsys.readouterr().out


def test_an_existing_hand_over_file_is_never_overwritten(store_after_sync, tmp_path, capsys):
    store, config, _ = store_after_sync
    out = tmp_path / "erp.xlsx"
    export_erp(config, out, store=store)
    written = out.read_bytes()
    store.update_erp_customer("C00010", {"city": "Elsewhere"}, shop_code="DEMO", shopify_id="1")

    assert main(_cli(store.engine.url.render_as_string(), out)) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_bytes() == written  # the first hand-over is intact
    retried = export_erp(config, tmp_path / "next.xlsx", store=store)
    assert retried.sheets[CHANGED_CUSTOMERS]["No."].tolist() == ["C00010"]


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("blocker/erp.xlsx", "cannot write"),  # a file where the folder should be
        ("erp.txt", "must be .xlsx or .csv"),
    ],
)
def test_cli_bad_paths_are_one_line_errors(store_after_sync, tmp_path, capsys, out, message):
    store, _, _ = store_after_sync
    (tmp_path / "blocker").write_text("a file")
    url = store.engine.url.render_as_string()
    code = main(_cli(url, tmp_path / out))
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1
    assert store.erp_exports("DEMO").empty  # nothing handed over


def test_cli_a_store_without_runs_is_a_one_line_error(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    code = main(_cli(url, tmp_path / "erp.xlsx"))
    err = capsys.readouterr().err
    assert code == 2 and "no sync run" in err and err.count("\n") == 1
    assert not (tmp_path / "erp.xlsx").exists()


def test_csv_names_follow_the_out_file():
    files = handover_files("exports/day.csv")
    assert [p.as_posix() for p in files.values()] == [
        "exports/day-new-customers.csv",
        "exports/day-changed-customers.csv",
        "exports/day-order-customers.csv",
    ]


def test_notebook_button_hands_over_into_a_new_file_each_click(store_after_sync, tmp_path):
    store, config, result = store_after_sync
    panel = ErpExportPanel(lambda: export_erp(config, handover_path(tmp_path, "DEMO"), store=store))
    panel.button.click()
    first = panel.result
    assert first is not None and first.counts[NEW_CUSTOMERS] == len(_imported(result, "created"))
    assert f"Hand-over {first.export_id}: New customers" in panel.status.value
    panel.button.click()
    assert panel.result.files != first.files and not any(panel.result.counts.values())
    assert len(list(tmp_path.glob("DEMO-erp-*.xlsx"))) == 2


def test_notebook_button_shows_a_refusal_in_one_line(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'empty.db'}")
    panel = ErpExportPanel(lambda: export_erp(sample_config(), tmp_path / "x.xlsx", store=store))
    panel.button.click()
    assert panel.result is None and "no sync run" in panel.status.value
