"""Report files: every record once, formulas neutralised, Excel and HTML readable."""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from shopsync.errors import UserInputError
from shopsync.reports import neutralise, reason_counts, write_report

FRAME = pd.DataFrame(
    {
        "customer_no": ["C1", "C2", "C3", "C4"],
        "action": ["create", "skip", "skip", "create"],
        "reasons": ["", "EMAIL_MISSING;PHONE_INVALID", "EMAIL_MISSING", "EMAIL_LIST"],
        "name": ["=cmd|' /C calc'!A0", "+SUM(1)", "@foo", "-2+3"],
        "phone": ["+31612345678", "", "", "(617) 555-0100"],
    }
)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+SUM(1)", "'+SUM(1)"),
        ("-2+3", "'-2+3"),
        ("@foo", "'@foo"),
        ("\t=1", "'\t=1"),
        ("Contoso", "Contoso"),
        (42, 42),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_the_data_csv_keeps_every_value_as_it_is(tmp_path):
    """The default CSV feeds Business Central or another tool: an E.164 phone stays
    +31612345678 (no apostrophe), and every row and value round-trips."""
    path = write_report(FRAME, tmp_path / "r.csv", title="t")
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(back, FRAME)
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert rows[0]["phone"] == "+31612345678"


def test_the_spreadsheet_csv_has_no_live_formula(tmp_path):
    path = write_report(FRAME, tmp_path / "r.csv", title="t", csv_style="spreadsheet")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert [r["customer_no"] for r in rows] == ["C1", "C2", "C3", "C4"]
    assert all(not r["name"].startswith(("=", "+", "-", "@")) for r in rows)
    assert rows[0]["name"] == "'=cmd|' /C calc'!A0"
    with pytest.raises(UserInputError, match="csv_style 'excel'"):
        write_report(FRAME, tmp_path / "r.csv", title="t", csv_style="excel")


def test_xlsx_and_html_open_with_the_header_block_and_filters(tmp_path):
    from importlib.metadata import version

    about = {"run": 7, "shop": "DEMO", "direction": "both", "settings": "phone_match=e164"}
    book = load_workbook(write_report(FRAME, tmp_path / "r.xlsx", title="t", about=about))
    header = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row[0]}
    assert header["run"] == "7" and header["direction"] == "both"
    assert header["settings"] == "phone_match=e164"
    assert header["phonenumbers"] == version("phonenumbers")
    assert "UTC" in header["written"]
    for name in book.sheetnames[1:]:  # every table sheet filters
        assert book[name].auto_filter.ref == book[name].dimensions
    text = write_report(FRAME, tmp_path / "r.html", title="t", about=about).read_text()
    assert "<th>direction</th><td>both</td>" in text
    assert f"<th>phonenumbers</th><td>{version('phonenumbers')}</td>" in text


def test_xlsx_has_a_summary_and_one_sheet_per_outcome(tmp_path):
    path = write_report(FRAME, tmp_path / "r.xlsx", title="Export eligibility")
    book = load_workbook(path)
    assert book.sheetnames == ["Summary", "create", "skip"]
    summary = [
        [c for c in row if c is not None] for row in book["Summary"].iter_rows(values_only=True)
    ]
    assert ["EMAIL_MISSING", 2, "The customer has no e-mail address."] in summary
    assert ["skip", 2] in summary
    create = book["create"]
    assert create.freeze_panes == "A2"
    cells = [row for row in create.iter_rows(min_row=2)]
    assert [row[0].value for row in cells] == ["C1", "C4"]
    formula_cell = cells[0][3]
    assert formula_cell.data_type == "s" and formula_cell.value == "=cmd|' /C calc'!A0"
    assert formula_cell.quotePrefix
    total = sum(book[name].max_row - 1 for name in book.sheetnames[1:])
    assert total == len(FRAME)


def test_html_is_self_contained_with_counts_chart_and_escaped_tables(tmp_path):
    frame = FRAME.assign(name=["<script>alert(1)</script>", "a", "b", "c"])
    text = write_report(frame, tmp_path / "r.html", title="Plan").read_text()
    assert "<svg" in text and "<script>alert" not in text
    assert "&lt;script&gt;" in text
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert text.count("<tr>") >= len(frame)


def test_reason_counts_explode_joined_codes():
    counts = reason_counts(FRAME).set_index("reason")["records"].to_dict()
    assert counts == {"EMAIL_LIST": 1, "EMAIL_MISSING": 2, "PHONE_INVALID": 1}


def test_unknown_extension_is_a_user_error(tmp_path):
    with pytest.raises(UserInputError, match="unknown report type"):
        write_report(FRAME, tmp_path / "r.pdf", title="t")


def test_run_report_rows_carry_name_email_and_old_to_new():
    from shopsync.run_report import report_rows

    records = pd.DataFrame(
        [
            {"side": "export", "record": "C1", "outcome": "updated", "shopify_id": "11"},
            {"side": "export", "record": "C2", "outcome": "created", "shopify_id": ""},
            {"side": "import", "record": "12", "outcome": "created", "shopify_id": "12"},
        ]
    )
    exports = pd.DataFrame(
        [
            {
                "customer_no": "C1",
                "company": "Contoso",
                "first_name": "Ann",
                "last_name": "Lee",
                "email": "new@contoso.example",
                "city": "Seattle",
                "changes": "email,city",
            },
            {
                "customer_no": "C2",
                "company": "",
                "first_name": "Bo",
                "last_name": "Ek",
                "email": "bo@example.com",
                "city": "Lund",
                "changes": "",
            },
        ]
    )
    imports = pd.DataFrame(
        [{"shopify_id": "12", "erp_name": "Fabrikam", "email": "f@fabrikam.example"}]
    )
    before = pd.DataFrame(
        [{"shopify_id": "11", "email": "old@contoso.example", "address_city": "Tacoma"}]
    )
    rows = report_rows(records, {"export": exports, "import": imports}, before)
    assert list(rows["name"]) == ["Contoso", "Bo Ek", "Fabrikam"]
    assert list(rows["email"]) == ["new@contoso.example", "bo@example.com", "f@fabrikam.example"]
    assert rows.at[0, "changes"] == (
        "email: old@contoso.example -> new@contoso.example; city: Tacoma -> Seattle"
    )
    assert rows.at[1, "changes"] == ""
    unknown = report_rows(records, {"export": exports}, None)
    assert unknown.at[0, "changes"] == "email -> new@contoso.example; city -> Seattle"


@pytest.mark.slow
def test_two_stores_run_1_never_overwrite_each_others_reports(tmp_path):
    """Run ids restart per store: the report names carry the run's start time too."""
    import time

    from shopsync.notebook import open_shop
    from shopsync.run_record import RunRecorder
    from tests.tests_paths import SAMPLE

    reports = tmp_path / "reports"
    written = []
    for name in ("a", "b"):
        _, store = open_shop(SAMPLE / "shop.toml", f"sqlite:///{tmp_path / name}.db")
        run_id = store.start_run("DEMO", "both", {"direction": "both"})
        assert run_id == 1
        recorder = RunRecorder(store, "DEMO", run_id, progress=False)
        recorder.record("export", f"C-{name}", "created", customer_no=f"C-{name}")
        written.append(recorder.close({}, reports, {}).reports)
        time.sleep(1.1)  # the stamp has seconds
    assert len({str(p) for found in written for p in found.values()}) == 6
    for found in written:
        assert re.fullmatch(r"DEMO-1-\d{8}T\d{6}Z\.csv", found["csv"].name)
    assert sorted(pd.read_csv(p)["record"][0] for p in reports.glob("*.csv")) == ["C-a", "C-b"]


def test_what_to_fix_names_the_erp_value_and_the_rows_to_fix_come_first(tmp_path):
    """A PHONE_INVALID row shows the phone the ERP holds (the report's phone, what would be
    sent, is blank), in words; ineligible rows first, then eligible ones with a warning."""
    from shopsync.erp_io import read_erp_customers
    from shopsync.notebook import open_shop, validation_fixes, validation_report
    from tests.tests_paths import SAMPLE

    config, store = open_shop(SAMPLE / "shop.toml", f"sqlite:///{tmp_path / 's.db'}")
    report = validation_report(config, store, SAMPLE / "erp_customers.csv")
    erp = read_erp_customers(SAMPLE / "erp_customers.csv").customers.set_index("no")
    rows = report.set_index("customer_no")
    invalid = rows[rows["reasons"] == "PHONE_INVALID"].iloc[0]
    assert invalid["phone"] == ""  # nothing would be sent...
    no = invalid.name
    assert invalid["values to fix"] == f'phone "{erp.at[no, "phone"]}"'  # ...the ERP's value
    assert invalid["what to fix"] == "The phone number is not a dialable number."
    county = rows[rows["reasons"].str.contains("COUNTY_TOO_LONG")].iloc[0]
    assert county["values to fix"] == f'county "{erp.at[county.name, "county"]}"'
    assert rows.loc[rows["reasons"] == "EMAIL_MISSING", "values to fix"].iloc[0] == "e-mail (blank)"
    assert (
        rows.loc[rows["reasons"] == "COUNTRY_UNKNOWN", "values to fix"]
        .iloc[0]
        .startswith('country "')
    )
    # the rows to fix first: ineligible, then eligible with a reason, then the rest
    rank = [
        0 if not e else 1 if r else 2
        for e, r in zip(report["eligible"], report["reasons"], strict=True)
    ]
    assert rank == sorted(rank) and rank[0] == 0 and 1 in rank and 2 in rank
    fixes = validation_fixes(report)
    assert list(fixes.columns[3:5]) == ["values to fix", "what to fix"]
    assert len(fixes) == int((~report["eligible"]).sum())


@pytest.mark.slow
def test_the_validate_command_writes_the_values_to_fix(tmp_path):
    from shopsync.cli import main
    from tests.tests_paths import SAMPLE

    out = tmp_path / "v.csv"
    db = f"sqlite:///{tmp_path / 's.db'}"
    args = ["validate-export", "--config", str(SAMPLE / "shop.toml"), "--db", db]
    assert main([*args, "--erp", str(SAMPLE / "erp_customers.csv"), "--out", str(out)]) == 0
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert (
        frame.loc[frame["reasons"] == "PHONE_INVALID", "values to fix"]
        .str.startswith('phone "')
        .all()
    )
    assert frame["eligible"].iloc[0] == "False"
    phones = frame.loc[frame["phone"] != "", "phone"]
    assert phones.str.startswith("+").all()  # E.164, as Business Central reads it back
    sheet = tmp_path / "v-sheet.csv"
    style = ["--csv-style", "spreadsheet", "--out", str(sheet)]
    assert main([*args, "--erp", str(SAMPLE / "erp_customers.csv"), *style]) == 0
    safe = pd.read_csv(sheet, dtype=str, keep_default_na=False)
    assert safe.loc[safe["phone"] != "", "phone"].str.startswith("'+").all()


def test_html_lists_problems_first_with_contents_filters_and_sorting(tmp_path):
    """Self-contained (nothing fetched), a table of contents, the failed and skipped records
    first, each records table with a filter box and sortable headers, readable on a phone."""
    import shutil
    import subprocess

    frame = pd.DataFrame(
        {
            "outcome": ["created", "failed", "skipped", "created", "updated"],
            "record": ["1", "2", "3", "10", "4"],
            "reason": ["", "SHOPIFY_ERROR", "NO_ADDRESS", "", ""],
        }
    )
    text = write_report(
        frame, tmp_path / "r.html", title="Run", outcome_column="outcome", reason_column="reason"
    ).read_text()
    contents = re.search(r'<ul class="contents">(.*?)</ul>', text).group(1)
    entries = re.findall(r'<a href="#([\w-]+)">([^<]+)</a>', contents)
    assert [label for _, label in entries] == [
        "Outcomes",
        "Reasons",
        "failed (1)",
        "skipped (1)",
        "created (2)",
        "updated (1)",
    ]
    for anchor, _ in entries:
        assert f'id="{anchor}"' in text
    headings = re.findall(r'<h2 id="records-\d+">(\w+)', text)
    assert headings == ["failed", "skipped", "created", "updated"]
    tables = re.findall(r'<table[^>]*id="(table-\d+)"', text)
    boxes = re.findall(r'<input type="search" class="filter" data-table="(table-\d+)"', text)
    assert tables == boxes and len(tables) == 4
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert 'class="scroll"' in text and "@media (max-width: 600px)" in text
    assert "src=" not in text and "https://" not in text and "<link" not in text
    script = re.search(r"<script>(.*?)</script>", text, re.S).group(1)
    assert "addEventListener" in script and "Intl.Collator" in script
    node = shutil.which("node")
    if node:  # the script is valid JavaScript
        (tmp_path / "s.js").write_text(script)
        subprocess.run([node, "--check", str(tmp_path / "s.js")], check=True)


def test_excel_and_html_reports_state_the_phonenumbers_version(tmp_path):
    import phonenumbers

    import shopsync

    line = f"verdicts by shopsync {shopsync.__version__}, phonenumbers {phonenumbers.__version__}"
    write_report(FRAME, tmp_path / "r.xlsx", title="Export eligibility")
    summary = load_workbook(tmp_path / "r.xlsx")["Summary"]
    assert line in [row[0] for row in summary.iter_rows(values_only=True)]
    write_report(FRAME, tmp_path / "r.html", title="Export eligibility")
    assert line in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_the_spreadsheet_csv_is_the_cell_by_cell_one_byte_for_byte(tmp_path):
    """The vectorised neutralisation writes the same bytes as neutralise() on every cell."""
    import numpy as np

    tricky = ["=1+1", "+31612345678", "-2", "@x", "\t=1", "\r=1", "a=b", "", " =1", "'=x"]
    tricky += ["é=", "=\n1", '"=q"', "x,y", "\x00=", "—", "-"]
    n = len(tricky)
    frame = pd.DataFrame(
        {
            "text": pd.Series(tricky, dtype="str"),
            "object": pd.Series([*tricky[:-1], None], dtype=object),
            "mixed": [1, "=x", None, 2.5, True, "+1", np.nan, "-", "@", b"=b", *tricky[:7]],
            "number": range(n),
            "flag": [i % 2 == 0 for i in range(n)],
            "float": [1.5 if i % 3 else np.nan for i in range(n)],
            "when": pd.to_datetime(["2026-01-02"] * (n - 1) + [None]),
            "category": pd.Categorical(["=x", "y"] * (n // 2) + ["+z"]),
            "missing": pd.Series([None] * n, dtype="str"),
        }
    )
    frame.insert(1, "text_again", frame["text"])
    frame.columns = [*frame.columns[:-1], "text"]  # a repeated column name
    new = write_report(frame, tmp_path / "new.csv", title="t", csv_style="spreadsheet")
    old = tmp_path / "old.csv"
    frame.map(neutralise).to_csv(old, index=False, encoding="utf-8", quoting=csv.QUOTE_MINIMAL)
    assert new.read_bytes() == old.read_bytes()
    assert "'=1+1" in new.read_text(encoding="utf-8")


@pytest.mark.parametrize("piece_rows", [3, 1 << 17])
def test_the_csv_writer_writes_what_pandas_writes(tmp_path, monkeypatch, piece_rows):
    """The Arrow CSV writer gives the bytes of DataFrame.to_csv(QUOTE_MINIMAL): quotes,
    commas, line breaks (a lone CR is not quoted by the csv module), blanks, flags, integers;
    a frame it does not cover (floats, one column) is written by pandas itself."""
    import numpy as np

    from shopsync import reports
    from shopsync.reports import _csv_bytes

    monkeypatch.setattr(reports, "_CSV_ROWS", piece_rows)  # written in pieces of that many rows
    tricky = ["a", "", " lead", "trail ", "x,y", 'say "hi"', "two\nlines", "cr\rhere"]
    tricky += ["crlf\r\n", "\x00nul", "tab\tx", "é—ü", "'=x", '"', ",", "\n", "😀", "\u2028"]
    n = len(tricky)
    frame = pd.DataFrame(
        {
            "text": pd.Series(tricky, dtype="str"),
            "obj,ect": pd.Series([*tricky[:-2], None, np.nan], dtype=object),
            'say "n"': range(n),
            "flag": [i % 3 == 0 for i in range(n)],
            "blank": pd.Series([None] * n, dtype="str"),
        }
    )
    for data in (frame, frame.iloc[3:11], frame[["text", "text"]]):
        expected = data.to_csv(index=False, encoding="utf-8", quoting=csv.QUOTE_MINIMAL)
        assert _csv_bytes(data) == expected.encode("utf-8")
        path = write_report(data, tmp_path / "r.csv", title="t")
        assert path.read_bytes() == expected.encode("utf-8")
    assert _csv_bytes(frame.assign(share=0.5)) is None
    assert _csv_bytes(frame[["text"]]) is None
    floats = frame.assign(share=0.5)
    path = write_report(floats, tmp_path / "f.csv", title="t")
    assert path.read_bytes() == floats.to_csv(index=False).encode("utf-8")


@settings(max_examples=150, deadline=None)
@given(
    parts=st.lists(
        st.lists(
            st.text(alphabet=st.sampled_from(list('ab,"\n\r é€\u2028;')), max_size=6), min_size=1
        ),
        min_size=1,
        max_size=4,
    ),
    start=st.integers(0, 3),
)
def test_the_csv_writer_quotes_chunked_and_sliced_text_as_pandas(parts, start):
    """Differential: text columns made of several Arrow chunks (a concat), sliced, with the
    characters the csv module quotes anywhere, write the bytes DataFrame.to_csv writes."""
    import pyarrow as pa

    from shopsync.reports import _csv_bytes

    pieces = [pd.DataFrame({"a": pd.Series(p, dtype="str"), "n": range(len(p))}) for p in parts]
    frame = pd.concat(pieces, ignore_index=True)
    frame["b"] = frame["a"].str[::-1]
    assert len(parts) == 1 or isinstance(pa.array(frame["a"].array), pa.ChunkedArray)
    for data in (frame, frame.iloc[start:]):
        if len(data) == 0:
            continue
        expected = data.to_csv(index=False, encoding="utf-8", quoting=csv.QUOTE_MINIMAL)
        assert _csv_bytes(data) == expected.encode("utf-8")
