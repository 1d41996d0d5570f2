"""Report files: every record once, formulas neutralised, Excel and HTML readable."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
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


def test_csv_has_every_row_and_no_live_formula(tmp_path):
    path = write_report(FRAME, tmp_path / "r.csv", title="t")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert [r["customer_no"] for r in rows] == ["C1", "C2", "C3", "C4"]
    assert all(not r["name"].startswith(("=", "+", "-", "@")) for r in rows)
    assert rows[0]["name"] == "'=cmd|' /C calc'!A0"


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


def test_excel_and_html_reports_state_the_phonenumbers_version(tmp_path):
    import phonenumbers

    import shopsync

    line = f"verdicts by shopsync {shopsync.__version__}, phonenumbers {phonenumbers.__version__}"
    write_report(FRAME, tmp_path / "r.xlsx", title="Export eligibility")
    summary = load_workbook(tmp_path / "r.xlsx")["Summary"]
    assert line in [row[0] for row in summary.iter_rows(values_only=True)]
    write_report(FRAME, tmp_path / "r.html", title="Export eligibility")
    assert line in (tmp_path / "r.html").read_text(encoding="utf-8")
