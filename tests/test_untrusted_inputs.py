"""Untrusted inputs (issue 16): a careless file or a hostile value never loses data."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import Workbook

from shopsync.cli import main
from shopsync.erp_io import read_erp_customers
from shopsync.errors import InputFileError
from shopsync.schema import BC_CAPTIONS, CAPTIONS, ERP_COLUMNS, ERP_CUSTOMER_COLUMNS
from shopsync.store import open_store

# -- ERP files: columns (point 1) ----------------------------------------------------------


def write(tmp_path, text, name="erp.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_an_unrecognised_phone_column_leaves_the_stored_phones(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 's.db'}"
    first = write(tmp_path, "No.,Name,Phone No.\nC1,Contoso,+1 617 555 0100\n", "first.csv")
    assert main(["load-erp", str(first), "--db", db]) == 0
    second = write(tmp_path, "No.,Name,Telephone\nC1,Contoso Ltd,+1 617 555 0199\nC2,New,1\n")
    assert main(["load-erp", str(second), "--db", db]) == 0
    out = capsys.readouterr().out
    assert "columns ignored (not ERP customer fields): Telephone" in out
    assert "stored values kept" in out and "phone" in out
    saved = open_store(db).erp_customers().set_index("no")
    assert saved.at["C1", "phone"] == "+1 617 555 0100"  # not blanked
    assert saved.at["C1", "name"] == "Contoso Ltd"  # the columns the file has are loaded
    assert saved.at["C2", "phone"] == ""  # a new customer starts blank


def test_a_missing_key_column_names_it_and_the_captions_accepted(tmp_path):
    path = write(tmp_path, "Customer Number,Name\nC1,Contoso\n")
    with pytest.raises(InputFileError) as info:
        read_erp_customers(path)
    message = str(info.value)
    assert "'no'" in message and "'No.'" in message and "'Customer Number'" in message


def test_a_short_row_is_unreadable_not_padded(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 's.db'}"
    first = write(tmp_path, "no,name,city,phone\nC1,A,Oslo,+47 22 00 00 00\n", "first.csv")
    assert main(["load-erp", str(first), "--db", db]) == 0
    path = write(tmp_path, "no,name,city,phone\nC1,A,Bergen\nC2,B,Oslo,1\n")
    erp = read_erp_customers(path)
    assert erp.customers["no"].tolist() == ["C2"]
    issue = erp.issues.iloc[0]
    assert (issue["row"], issue["no"], issue["code"]) == (2, "C1", "RECORD_UNREADABLE")
    assert main(["load-erp", str(path), "--db", db]) == 0
    assert "1 row(s) not loaded" in capsys.readouterr().out
    saved = open_store(db).erp_customers().set_index("no")
    assert (saved.at["C1", "city"], saved.at["C1", "phone"]) == ("Oslo", "+47 22 00 00 00")


def test_a_long_row_is_unreadable_but_trailing_separators_are_fine(tmp_path):
    erp = read_erp_customers(write(tmp_path, "no,name\nC1,A,,\nC2,B,extra\n"))
    assert erp.customers["no"].tolist() == ["C1"]
    assert erp.issues[["row", "no", "code"]].values.tolist() == [[3, "C2", "RECORD_UNREADABLE"]]


def test_csv_row_numbers_count_blank_lines_and_quoted_newlines(tmp_path):
    city = "x" * 31
    text = f'\nno;name;city\n\nC1;"two\nlines";Oslo\nC2;B;{city}\n'  # blank first line
    erp = read_erp_customers(write(tmp_path, text))
    assert erp.customers["name"].tolist() == ["two\nlines", "B"]
    assert erp.issues["row"].tolist() == [6]


# -- Excel as users make it (point 3, point 12) ------------------------------------------------


def workbook(tmp_path, build, name="erp.xlsx"):
    wb = Workbook()
    build(wb)
    path = tmp_path / name
    wb.save(path)
    return path


def test_excel_reads_the_active_sheet_or_the_one_named_never_a_hidden_one(tmp_path):
    def build(wb):
        hidden = wb.active
        hidden.title = "Old"
        hidden.append(["No.", "Name"])
        hidden.append(["C1", "Stale"])
        hidden.sheet_state = "hidden"
        current = wb.create_sheet("Customers")
        current.append(["No.", "Name"])
        current.append(["C1", "Fresh"])
        other = wb.create_sheet("Other")
        other.append(["No.", "Name"])
        other.append(["C9", "Elsewhere"])
        wb.active = 1

    path = workbook(tmp_path, build)
    assert read_erp_customers(path).customers["name"].tolist() == ["Fresh"]
    assert read_erp_customers(path, sheet="Other").customers["no"].tolist() == ["C9"]
    with pytest.raises(InputFileError, match="'Old' is hidden"):
        read_erp_customers(path, sheet="Old")
    with pytest.raises(InputFileError, match="no sheet 'Nope'"):
        read_erp_customers(path, sheet="Nope")


def test_load_erp_takes_a_sheet_option(tmp_path, capsys):
    def build(wb):
        wb.active.append(["No.", "Name"])
        wb.active.append(["C1", "First sheet"])
        second = wb.create_sheet("Export")
        second.append(["No.", "Name"])
        second.append(["C2", "Second sheet"])

    path = workbook(tmp_path, build)
    db = f"sqlite:///{tmp_path / 's.db'}"
    assert main(["load-erp", str(path), "--sheet", "Export", "--db", db]) == 0
    assert open_store(db).erp_customers()["no"].tolist() == ["C2"]


def test_excel_number_formats_are_honoured(tmp_path):
    def build(wb):
        ws = wb.active
        ws.append(["No.", "Post Code", "Phone No.", "Customer Posting Group"])
        ws.append([123, 2134, 31612345678, 7])
        ws.append([42, 21340001, 5, 8])
        for cell in ("A2", "A3"):
            ws[cell].number_format = "00000"
        ws["B2"].number_format = "00000"
        ws["B3"].number_format = "00000-0000"
        ws["D2"].number_format = "@"

    erp = read_erp_customers(workbook(tmp_path, build))
    assert erp.customers["no"].tolist() == ["00123", "00042"]
    assert erp.customers["post_code"].tolist() == ["02134", "02134-0001"]
    assert erp.customers["phone"].tolist() == ["31612345678", "5"]
    assert erp.customers["customer_posting_group"].tolist() == ["7", "8"]


def test_formula_cells_without_a_value_and_merged_cells_are_reported_per_cell(tmp_path):
    def build(wb):
        ws = wb.active
        ws.append(["No.", "Name", "City", "Notes"])
        ws.append(["C1", "Contoso", "Boston", "=1+1"])  # formula in an ignored column
        ws.append(["C2", '=UPPER("x")', "Oslo", ""])
        ws.append(["C3", "Litware", "Paris", ""])
        ws.append(["C4", "", "", ""])
        ws.merge_cells("C4:C5")

    erp = read_erp_customers(workbook(tmp_path, build))
    assert erp.customers["no"].tolist() == ["C1", "C3"]
    problems = erp.issues[erp.issues["code"] == "RECORD_UNREADABLE"]
    assert problems[["row", "no", "column"]].values.tolist() == [
        [3, "C2", "name"],
        [5, "C4", "city"],
    ]
    assert "B3 is a formula without a saved value" in problems.iloc[0]["message"]
    assert "merged range C4:C5" in problems.iloc[1]["message"]


def test_excel_row_numbers_count_blank_rows(tmp_path):
    def build(wb):
        ws = wb.active
        ws.append(["No.", "City"])
        ws["A5"], ws["B5"] = "C1", "x" * 31  # rows 2 to 4 are blank

    erp = read_erp_customers(workbook(tmp_path, build))
    assert erp.issues["row"].tolist() == [5]


def test_a_utf16_file_is_read_with_its_bom_and_named_without_one(tmp_path):
    text = "no,name\nC1,Zoë\n"
    with_bom = write(tmp_path, text, "bom.csv", encoding="utf-16")
    assert read_erp_customers(with_bom).customers["name"].tolist() == ["Zoë"]
    without = write(tmp_path, text, "le.csv", encoding="utf-16-le")
    with pytest.raises(InputFileError, match="UTF-16-LE") as info:
        read_erp_customers(without)
    assert "cp1252" not in str(info.value)
    assert read_erp_customers(without, encoding="utf-16-le").customers["no"].tolist() == ["C1"]


# -- Business Central's Customer List (issue 13 point 3) ----------------------------------------


def test_the_bc_captions_name_every_erp_column_as_spec_10_does():
    captions = dict(zip(ERP_COLUMNS, BC_CAPTIONS, strict=True))
    assert (captions["no"], captions["country_code"], captions["email"]) == (
        "No.",
        "Country/Region Code",
        "E-Mail",
    )
    assert {CAPTIONS[c] for c in BC_CAPTIONS} == set(ERP_COLUMNS)


def test_bc_customer_list_export_loads_and_names_the_extra_columns(tmp_path, capsys):
    from datetime import date

    def build(wb):
        ws = wb.active
        ws.title = "Customer List"
        ws.append(
            [
                "No.",
                "Name",
                "Responsibility Center",
                "Location Code",
                "Post Code",
                "Country/Region Code",
                "Phone No.",
                "Contact",
                "Blocked",
                "Last Date Modified",
                "Balance (LCY)",
                "Tax Liable",
            ]
        )
        ws.append(
            [
                "10000",
                "Adatum",
                "",
                "BLUE",
                "02134",
                "US",
                "+1 617 555 0100",
                "Ann",
                " ",
                date(2026, 3, 1),
                1234.5,
                True,
            ]
        )
        ws.append(
            ["20000", "Trey", "", "", "01067", "DE", "", "", "All", date(2025, 12, 31), 0, False]
        )

    path = workbook(tmp_path, build)
    db = f"sqlite:///{tmp_path / 's.db'}"
    assert main(["load-erp", str(path), "--db", db]) == 0
    out = capsys.readouterr().out
    assert "2 customer(s): inserted 2" in out
    assert (
        "columns ignored (not ERP customer fields): Responsibility Center, Location Code, "
        "Last Date Modified, Balance (LCY)"
    ) in out
    assert "1 blocked customer(s): not exported, not invited" in out
    assert "value(s) to look at" not in out
    saved = open_store(db).erp_customers().set_index("no")
    assert saved.at["10000", "post_code"] == "02134"
    assert saved["tax_liable"].tolist() == [True, False]
    assert saved["blocked"].tolist() == ["", "All"]  # BC's " " is not blocked


def test_a_file_with_the_spec_captions_loads_back_without_changes(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    rows = []
    for n in range(3):
        row = {c: f"{c[:3]}{n}" for c in ERP_COLUMNS}
        row.update(no=f"0{n}00", post_code=f"0{n}134", phone=f"+3161234567{n}", tax_liable=n == 1)
        row.update(blocked="Invoice" if n == 1 else "")
        rows.append(row)
    rows[2].update(name_2="", email="a@x.com; b@x.com", county="")
    store.save_erp_customers(pd.DataFrame(rows))
    before = store.erp_customers()
    captions = [*BC_CAPTIONS, "Blocked"]

    def build(wb):
        ws = wb.active
        ws.append(captions)
        for record in before.to_dict("records"):
            ws.append(
                [
                    "Yes" if record[c] is True else "No" if record[c] is False else record[c]
                    for c in ERP_CUSTOMER_COLUMNS
                ]
            )

    for path in (workbook(tmp_path, build), tmp_path / "back.csv"):
        if path.suffix == ".csv":
            frame = before.copy()
            frame["tax_liable"] = frame["tax_liable"].map({True: "Yes", False: "No"})
            frame.columns = captions
            frame.to_csv(path, index=False)
        erp = read_erp_customers(path)
        assert erp.ignored == () and erp.absent == () and erp.issues.empty
        counts = store.save_erp_customers(erp.customers, erp.columns)
        assert counts == {"inserted": 0, "updated": 0, "unchanged": 3}
    pd.testing.assert_frame_equal(store.erp_customers(), before)


# -- settings: secrets and shop codes (points 6, 7) ----------------------------------------------

TOKEN = "shpat_0123456789abcdef0123456789abcdef"


def shop_toml(tmp_path, code="DEMO", url="https://demo.myshopify.com"):
    path = tmp_path / "shop.toml"
    path.write_text(f'[shop]\ncode = "{code}"\nurl = "{url}"\n', encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "url",
    [
        f"https://user:{TOKEN}@demo.myshopify.com",
        f"https://{TOKEN}@demo.myshopify.com",
        f"https://user:{TOKEN}@evil.example.com",
        "https://admin:hunter2-not-hex@demo.myshopify.com",
    ],
)
def test_a_token_in_the_shop_url_is_refused_never_shown_never_stored(tmp_path, capsys, url):
    db = f"sqlite:///{tmp_path / 's.db'}"
    assert main(["init", "--config", str(shop_toml(tmp_path, url=url)), "--db", db]) == 2
    captured = capsys.readouterr()
    secret = url.split("@")[0].rsplit(":", 1)[-1].lstrip("/")
    assert "secrets are never read" in captured.err and "SHOPIFY_ACCESS_TOKEN" in captured.err
    assert secret not in captured.err + captured.out
    assert open_store(db).shop_settings("DEMO") is None
    assert secret.encode() not in (tmp_path / "s.db").read_bytes()


def test_a_token_in_any_setting_value_is_refused_without_echo(tmp_path):
    from shopsync.errors import ConfigError
    from shopsync.settings import ShopSettings, parse_config

    with pytest.raises(ConfigError) as info:
        parse_config({"shop": {"code": "D", "url": "https://d.myshopify.com", "note": TOKEN}})
    assert "secrets are never read from the file" in str(info.value)
    assert TOKEN not in str(info.value)
    with pytest.raises(ConfigError):  # nor through the Python API
        ShopSettings(code="D", url=f"https://x:{TOKEN}@d.myshopify.com")


@pytest.mark.parametrize("code", ["../../x", "", "a/b", "a\\b", "DEMO.", "DE MO", "X" * 21])
def test_a_shop_code_that_is_not_letters_digits_dash_underscore_is_refused(tmp_path, code):
    from shopsync.errors import ConfigError
    from shopsync.settings import ShopSettings, load_config

    with pytest.raises(ConfigError, match="letters, digits"):
        load_config(shop_toml(tmp_path, code=code.replace("\\", "\\\\")))
    with pytest.raises(ConfigError):
        ShopSettings(code=code, url="https://d.myshopify.com")


def test_good_shop_codes_are_accepted(tmp_path):
    from shopsync.settings import load_config

    for code in ("DEMO", "eu-shop_2", "X" * 20):
        assert load_config(shop_toml(tmp_path, code=code)).shop.code == code


@pytest.mark.parametrize("stem", ["../outside", "a/../../b", "/tmp/abs", "x\x00y"])
def test_report_names_built_from_data_stay_inside_their_folder(tmp_path, stem):
    from shopsync.errors import UserInputError
    from shopsync.notebook import export_reports

    folder = tmp_path / "reports"
    frame = pd.DataFrame({"action": ["create"], "reasons": [""]})
    with pytest.raises(UserInputError, match="would leave the folder"):
        export_reports(frame, folder, stem, formats="csv")
    assert list(tmp_path.rglob("*.csv")) == []
    assert [p.name for p in export_reports(frame, folder, "DEMO-plan", "csv")] == ["DEMO-plan.csv"]


# -- Shopify JSONL (point 8) ---------------------------------------------------------------------


def jsonl(tmp_path, *lines, name="customers.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def unreadable(frame, id_column):
    rows = frame[frame["record_error"] != ""]
    return dict(zip(rows[id_column], rows["record_error"], strict=True))


GOOD = '{"id": "gid://shopify/Customer/1", "email": "a@x.com", "addressesV2": {"nodes": []}}'


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('{"id": "gid://shopify/Customer/2", "addressesV2": "x"}', "addressesV2 is text"),
        ('{"id": "gid://shopify/Customer/2", "addressesV2": {"nodes": [null]}}', "null"),
        ('{"id": "gid://shopify/Customer/2", "addressesV2": {"nodes": "x"}}', "not a list"),
        ('{"id": "gid://shopify/Customer/2", "defaultAddress": 5}', "defaultAddress"),
        ('{"id": "gid://shopify/Customer/2", "defaultEmailAddress": []}', "defaultEmailAddress"),
        ('{"id": "gid://shopify/Customer/2", "firstName": {"a": 1}}', "firstName"),
        ('{"id": "gid://shopify/Customer/2", "tags": [1, {"x": 2}]}', "tags"),
        ('{"id": "gid://shopify/Customer/2", "verifiedEmail": "yes"}', "verifiedEmail"),
        ('{"id": {"nested": 1}}', "id"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"a":' * 5_000 + "1" + "}" * 5_000, ""),  # deep but readable: a customer without id
        ("[1, 2]", "not a JSON object"),
    ],
)
def test_malformed_customer_lines_are_unreadable_rows_with_their_line(tmp_path, line, says):
    from shopsync.shopify_io import read_shopify_customers

    customers = read_shopify_customers(jsonl(tmp_path, GOOD, line)).customers
    assert customers["shopify_id"].tolist()[0] == "1"
    assert customers.iloc[0]["record_error"] == ""
    problems = customers[customers["record_error"] != ""]
    assert len(customers) == 2 and len(problems) == 1
    assert says in problems.iloc[0]["record_error"]
    if "without id" not in problems.iloc[0]["record_error"]:
        assert problems.iloc[0]["shopify_id"] == "line 2"
        assert problems.iloc[0]["record_error"].startswith("line 2")


def test_a_customer_twice_by_gid_and_by_number_is_read_once_and_reported(tmp_path):
    from shopsync.shopify_io import read_shopify_customers

    path = jsonl(
        tmp_path,
        GOOD,
        '{"id": "gid://shopify/Customer/1", "email": "b@x.com"}',
        '{"id": 1, "email": "c@x.com"}',
        '{"legacyResourceId": "1", "email": "d@x.com"}',
        '{"id": "gid://shopify/Customer/3", "email": "e@x.com"}',
    )
    customers = read_shopify_customers(path).customers
    assert customers["shopify_id"].tolist() == ["1", "3", "line 2", "line 3", "line 4"]
    assert customers.set_index("shopify_id").at["1", "email"] == "a@x.com"
    assert (
        "customer 1 again (first read on line 1)" in unreadable(customers, "shopify_id")["line 3"]
    )


def test_bulk_address_lines_before_their_customer_are_attached(tmp_path):
    from shopsync.shopify_io import read_shopify_customers

    path = jsonl(
        tmp_path,
        '{"id": "gid://shopify/MailingAddress/9", "city": "Oslo",'
        ' "__parentId": "gid://shopify/Customer/1"}',
        '{"id": "gid://shopify/Customer/1", "email": "a@x.com"}',
        '{"id": "gid://shopify/MailingAddress/8", "__parentId": "gid://shopify/Customer/404"}',
    )
    read = read_shopify_customers(path)
    assert read.addresses[["address_id", "shopify_id", "city"]].values.tolist() == [
        ["9", "1", "Oslo"]
    ]
    assert "address of an unknown customer" in unreadable(read.customers, "shopify_id")["line 3"]


def test_malformed_nodes_from_the_api_never_raise():
    from shopsync.shopify_io import customers_from_nodes, orders_from_nodes

    customers = customers_from_nodes([{"id": "gid://shopify/Customer/5", "addresses": "x"}, None])
    assert unreadable(customers.customers, "shopify_id").keys() == {"5", "node 2"}
    orders = orders_from_nodes([{"id": "gid://shopify/Order/5", "billingAddress": []}])
    assert "billingAddress is a list" in orders.iloc[0]["record_error"]


def test_malformed_and_duplicate_orders_are_unreadable_rows(tmp_path, sample_dir):
    from shopsync.shopify_io import read_shopify_orders

    path = jsonl(
        tmp_path,
        '{"id": "gid://shopify/Order/1", "name": "#1001", "customer": {"id": 7}}',
        '{"id": "gid://shopify/Order/1", "name": "#1001 again"}',
        '{"id": 1, "name": "#1001 by number"}',
        '{"id": "gid://shopify/Order/2", "customer": "x"}',
        '{"id": "gid://shopify/Order/3", "shippingAddress": {"city": ["a"]}}',
        "{" * 100_000,
        name="orders.jsonl",
    )
    orders = read_shopify_orders(path)
    assert orders["order_id"].tolist() == ["1", "line 2", "line 3", "line 4", "line 5", "line 6"]
    problems = unreadable(orders, "order_id")
    assert "order 1 again (first read on line 1)" in problems["line 3"]
    assert "customer is text" in problems["line 4"]
    assert "city is a list" in problems["line 5"]
    assert orders.iloc[0]["shopify_id"] == "7"


def test_a_preview_of_malformed_customers_reports_each_line(tmp_path, sample_dir, capsys):
    config = sample_dir / "shop.toml"
    path = jsonl(tmp_path, GOOD, '{"id": "gid://shopify/Customer/2", "addressesV2": "x"}', GOOD)
    out = tmp_path / "plan.csv"
    db = f"sqlite:///{tmp_path / 's.db'}"
    args = ["--config", str(config), "--shopify", str(path), "--out", str(out), "--db", db]
    assert main(["preview-import", *args]) == 0
    plan = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(plan) == 3
    assert plan["reasons"].tolist().count("RECORD_UNREADABLE") == 2


# -- reports (point 9a) --------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "html"])
def test_control_characters_never_crash_a_report_writer(tmp_path, suffix):
    from openpyxl import load_workbook

    from shopsync.reports import write_report

    frame = pd.DataFrame(
        {
            "action": ["create", "sk\x02ip"],
            "reasons": ["", "EMAIL_INVALID"],
            "email": ["a\x01@x.com", "\x1b[31mred\x00"],
        }
    )
    path = write_report(frame, tmp_path / f"r.{suffix}", title="Plan \x07")
    if suffix == "csv":
        assert pd.read_csv(path, dtype=str)["email"].tolist() == ["a\x01@x.com", "\x1b[31mred\x00"]
    elif suffix == "xlsx":
        book = load_workbook(path)
        cells = [
            c.value for ws in book.worksheets[1:] for row in ws.iter_rows(min_row=2) for c in row
        ]
        assert "a\\x01@x.com" in cells and "\\x1b[31mred\\x00" in cells
    else:
        text = path.read_text(encoding="utf-8")
        assert "a\\x01@x.com" in text and "\x01" not in text and "\x1b" not in text


# -- the store (point 10) ------------------------------------------------------------------------


def one_line_error(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("shopsync: error: ") and len(err.strip().splitlines()) == 1
    return err


def test_a_read_only_store_is_a_one_line_error(tmp_path, capsys):
    path = tmp_path / "s.db"
    assert main(["init", "--db", f"sqlite:///{path}"]) == 0
    erp = write(tmp_path, "no,name\nC1,A\n")
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    err = one_line_error(capsys, ["load-erp", str(erp), "--db", read_only])
    assert "readonly" in err
    assert not (tmp_path / "file:").exists()  # the URI is not taken for a folder
    assert main(["runs", "--db", read_only]) == 0  # reading still works


def test_a_corrupt_store_is_a_one_line_error(tmp_path, capsys):
    path = tmp_path / "s.db"
    path.write_bytes(b"this is not a database" * 100)
    err = one_line_error(capsys, ["init", "--db", f"sqlite:///{path}"])
    assert "cannot open store" in err and "not a database" in err


@pytest.mark.slow
def test_an_old_store_without_a_version_is_refused_not_stamped(tmp_path, capsys):
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE erp_customers (no TEXT PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO erp_customers VALUES ('C1', 'Kept')")
    err = one_line_error(capsys, ["init", "--db", f"sqlite:///{path}"])
    assert "no schema version" in err and "older shopsync" in err
    with sqlite3.connect(path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        assert tables == {"erp_customers", "sqlite_autoindex_erp_customers_1"}
        assert conn.execute("SELECT * FROM erp_customers").fetchall() == [("C1", "Kept")]


def test_a_store_whose_parent_is_a_file_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "data").write_text("a file, not a folder")
    err = one_line_error(capsys, ["init", "--db", f"sqlite:///{tmp_path / 'data' / 's.db'}"])
    assert "a file is in the way" in err


def test_a_store_in_a_folder_that_cannot_be_made_is_a_one_line_error(tmp_path, capsys):
    err = one_line_error(capsys, ["init", "--db", "sqlite:////proc/no-such/s.db"])
    assert "cannot create the folder" in err


@pytest.mark.slow
def test_three_commands_creating_a_new_store_at_once_all_succeed(tmp_path):
    import subprocess
    import sys
    import time

    stores = [f"sqlite:///{tmp_path / name / 's.db'}" for name in ("a", "b")]  # two races
    script = (  # `shopsync init`, started at the same instant as the others
        "import sys, time\n"
        "from shopsync.cli import main\n"
        "time.sleep(max(0.0, float(sys.argv[1]) - time.time()))\n"
        "sys.exit(main(['init', '--db', sys.argv[2]]))\n"
    )
    start = str(time.time() + 2)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, start, db],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for db in stores
        for _ in range(3)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, errors
    for db in stores:
        assert open_store(db).table_counts()["countries"] >= 240


# -- a sync that could not start (point 11a) -----------------------------------------------------


def sync_config(tmp_path, url):
    path = tmp_path / "shop.toml"
    path.write_text(
        f'[shop]\ncode = "DEMO"\nurl = "{url}"\ncustomer_import = "all_customers"\n',
        encoding="utf-8",
    )
    return path


def test_a_sync_whose_token_is_refused_exits_1_and_says_why(tmp_path, capsys, monkeypatch):
    from shopsync.emulator import Emulator

    db = f"sqlite:///{tmp_path / 's.db'}"
    monkeypatch.setenv("SHOPIFY_ACCESS_TOKEN", "shpat_wrong")
    with Emulator(token="shpat_right").serve() as server:
        config = sync_config(tmp_path, server.url)
        code = main(["sync", "--config", str(config), "--db", db, "--no-progress",
                     "--reports", str(tmp_path / "reports")])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1, captured
    assert "refused the access token" in captured.err
    assert "shpat_wrong" not in captured.err + captured.out


def test_a_sync_with_nothing_listening_exits_1_and_says_why(tmp_path, capsys, monkeypatch):
    import socket

    from shopsync.shopify.client import ShopifyClient

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(ShopifyClient, "_backoff", lambda self, attempt: 0.0)  # no waiting
    db = f"sqlite:///{tmp_path / 's.db'}"
    config = sync_config(tmp_path, f"http://127.0.0.1:{port}")
    code = main(["sync", "--config", str(config), "--db", db, "--no-progress",
                 "--reports", str(tmp_path / "reports")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1, err
    assert "connection failed" in err and len(err.strip().splitlines()) == 1


def test_a_run_stopped_before_any_record_exits_1_with_the_reason(tmp_path, capsys, monkeypatch):
    import importlib

    from shopsync.run_record import SyncResult

    sync_module = importlib.import_module("shopsync.sync")  # the package's `sync` is the call

    def stopped_run(*args, **kwargs):  # Shopify went away after the plan, before any record
        records = pd.DataFrame(columns=["side", "record", "outcome", "reason", "message"])
        return SyncResult(run_id=7, status="failed", records=records, aborted="export stopped: 503")

    monkeypatch.setattr(sync_module, "sync", stopped_run)
    config = sync_config(tmp_path, "http://127.0.0.1:8787")
    assert main(["sync", "--config", str(config), "--db", "sqlite://", "--no-progress"]) == 1
    assert "shopsync: run 7 failed: export stopped: 503" in capsys.readouterr().err


def test_a_store_folder_that_is_not_writable_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    import shopsync.store.core

    folder = tmp_path / "locked"
    folder.mkdir()
    real_access = shopsync.store.core.os.access
    monkeypatch.setattr(  # root may write anywhere: play the user who may not
        shopsync.store.core.os,
        "access",
        lambda p, mode: False if p == folder else real_access(p, mode),
    )
    err = one_line_error(capsys, ["init", "--db", f"sqlite:///{folder / 's.db'}"])
    assert "cannot write in the folder" in err
    assert not (folder / "s.db").exists()


def test_a_preview_names_what_its_erp_file_lacks(tmp_path, sample_dir, capsys):
    erp = write(tmp_path, "No.,Name,Telephone\nC1,Contoso,1\nC2,Short\n")
    out = tmp_path / "v.csv"
    db = f"sqlite:///{tmp_path / 's.db'}"
    args = ["--config", str(sample_dir / "shop.toml"), "--erp", str(erp), "--out", str(out)]
    assert main(["validate-export", *args, "--db", db]) == 0
    printed = capsys.readouterr().out
    assert "1 row(s) not loaded" in printed and "Telephone" in printed
    assert "columns not in the file (read as blank)" in printed
