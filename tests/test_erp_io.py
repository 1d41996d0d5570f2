"""ERP customer files: CSV and Excel, BC captions, text kept as text, clear errors."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from shopsync.erp_io import read_erp_customers
from shopsync.errors import InputFileError
from shopsync.schema import ERP_COLUMNS, ERP_CUSTOMER_COLUMNS

HEADER = ",".join(ERP_COLUMNS)


def csv_file(tmp_path, text, name="erp.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_canonical_csv_reads_every_column_as_text(tmp_path):
    row = "00042,Contoso,,Ann Lee,1 Main St,,Boston,MA,02134,US,0612345678,a@x.com,D,D,D,,yes,30D"
    erp = read_erp_customers(csv_file(tmp_path, f"{HEADER}\n{row}\n"))
    customer = erp.customers.iloc[0]
    assert list(erp.customers.columns) == list(ERP_CUSTOMER_COLUMNS)
    assert customer["no"] == "00042"
    assert customer["blocked"] == ""  # no Blocked column: not blocked
    assert erp.absent == ("blocked",)
    assert customer["post_code"] == "02134"  # leading zero survives
    assert customer["phone"] == "0612345678"
    assert bool(customer["tax_liable"]) is True
    assert erp.issues.empty


def test_business_central_captions_and_semicolons_are_accepted(tmp_path):
    text = (
        "No.;Name;Name 2;E-Mail;Phone No.;Country/Region Code;Post Code;County;Contact;Address 2\n"
        "C1;Fabrikam;Sales;f@x.com;030 1234567;DE;01067;SN;Max Muster;Hof 2\n"
    )
    erp = read_erp_customers(csv_file(tmp_path, text))
    c = erp.customers.iloc[0]
    assert (c["no"], c["name_2"], c["email"], c["phone"]) == (
        "C1",
        "Sales",
        "f@x.com",
        "030 1234567",
    )
    assert (c["country_code"], c["post_code"], c["county"]) == ("DE", "01067", "SN")
    assert (c["contact"], c["address_2"]) == ("Max Muster", "Hof 2")
    assert c["city"] == ""  # absent columns are blank


def test_utf8_with_bom_is_read(tmp_path):
    erp = read_erp_customers(csv_file(tmp_path, "\ufeffno,name\nC1,Zoë\n"))
    assert erp.customers.iloc[0]["name"] == "Zoë"


def test_missing_key_column_names_file_row_and_column(tmp_path):
    path = csv_file(tmp_path, "name,email\nContoso,a@x.com\n")
    with pytest.raises(InputFileError) as info:
        read_erp_customers(path)
    assert str(path) in str(info.value)
    assert info.value.column == "no" and info.value.row == 1


def test_duplicate_no_names_both_rows(tmp_path):
    path = csv_file(tmp_path, "no,name\nC1,A\nC2,B\nC1,C\n")
    with pytest.raises(InputFileError, match="duplicate customer no 'C1' on rows 2, 4"):
        read_erp_customers(path)


def test_blank_no_is_an_error_with_its_row(tmp_path):
    with pytest.raises(InputFileError, match="row 3"):
        read_erp_customers(csv_file(tmp_path, "no,name\nC1,A\n ,B\n"))


def test_unreadable_encoding_says_where_and_what_to_do(tmp_path):
    path = csv_file(tmp_path, "no,name\nC1,Müller\n", encoding="cp1252")
    with pytest.raises(InputFileError) as info:
        read_erp_customers(path)
    assert info.value.row == 2 and "--encoding" in str(info.value)
    erp = read_erp_customers(path, encoding="cp1252")
    assert erp.customers.iloc[0]["name"] == "Müller"


def test_too_long_values_are_reported_and_kept_whole(tmp_path):
    city = "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch"
    erp = read_erp_customers(csv_file(tmp_path, f"no,city\nC1,{city}\n"))
    assert erp.customers.iloc[0]["city"] == city
    issue = erp.issues.iloc[0]
    assert (issue["row"], issue["column"], issue["code"]) == (2, "city", "VALUE_TOO_LONG")
    assert erp.summary() == {"VALUE_TOO_LONG": 1}


def test_unreadable_tax_liable_is_reported(tmp_path):
    erp = read_erp_customers(csv_file(tmp_path, "no,tax_liable\nC1,maybe\nC2,No\n"))
    assert erp.customers["tax_liable"].tolist() == [False, False]
    assert erp.issues["code"].tolist() == ["TAX_LIABLE_UNREADABLE"]


def test_blocked_reads_bc_options_and_yes_no_and_reports_the_rest(tmp_path):
    values = ["", " ", "No", "false", "0", "Ship", "invoice", "ALL", "Yes", "true", "1"]
    values += ["Gesperrt?", "Alle"]
    rows = "".join(f"C{n:02d},{value}\n" for n, value in enumerate(values))
    erp = read_erp_customers(csv_file(tmp_path, f"No.,Blocked\n{rows}"))
    assert "blocked" in erp.columns and erp.ignored == ()
    assert erp.customers["blocked"].tolist() == [
        *["", "", "", "", ""],
        *["Ship", "Invoice", "All", "All", "All", "All"],
        "Gesperrt?",  # unreadable: kept as written, so it blocks
        "All",  # German BC's option
    ]
    issue = erp.issues.iloc[0]
    assert len(erp.issues) == 1
    assert (issue["row"], issue["no"], issue["column"], issue["code"]) == (
        13,
        "C11",
        "blocked",
        "BLOCKED_UNREADABLE",
    )
    assert "'Gesperrt?'" in issue["message"] and "read as blocked" in issue["message"]


def test_the_load_summary_names_unused_columns_as_written_and_the_blocked(tmp_path):
    text = "No.,Blocked,Telephone,Balance (LCY),name\nC1,All,555,10,A\nC2,,556,0,B\n"
    erp = read_erp_customers(csv_file(tmp_path, text))
    assert erp.ignored == ("Telephone", "Balance (LCY)")
    notes = erp.notes()
    assert "columns ignored (not ERP customer fields): Telephone, Balance (LCY)" in notes
    assert "1 blocked customer(s): not exported, not invited" in notes
    absent = next(line for line in notes if line.startswith("columns not in the file"))
    assert "blocked" not in absent and "email" in absent


def test_excel_with_bc_captions_keeps_text(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["No.", "Name", "Post Code", "Phone No.", "Country/Region Code"])
    ws.append(["C7", "Litware", "02134", "+31 6 12345678", "NL"])
    ws.append(["C8", "Numbers", 2134, 31612345678, "NL"])
    path = tmp_path / "erp.xlsx"
    wb.save(path)
    erp = read_erp_customers(path)
    assert erp.customers["post_code"].tolist() == ["02134", "2134"]
    assert erp.customers["phone"].tolist() == ["+31 6 12345678", "31612345678"]


def test_broken_excel_and_unknown_types_are_clear_errors(tmp_path):
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(InputFileError, match="not a readable Excel workbook"):
        read_erp_customers(bad)
    with pytest.raises(InputFileError, match="unsupported file type"):
        read_erp_customers(csv_file(tmp_path, "x", name="erp.json"))
    with pytest.raises(InputFileError, match="file not found"):
        read_erp_customers(tmp_path / "nope.csv")


def test_malformed_csv_is_an_error(tmp_path):
    with pytest.raises(InputFileError, match="malformed CSV"):
        read_erp_customers(csv_file(tmp_path, 'no,name\nC1,"unterminated\n'))


# (file bytes, whether pyarrow's reader takes it): every file reads the same either way
_ARROW_CASES = [
    (b"No.,Name,Phone No.\nC1,Contoso,+1 425\nC2,Fabrikam,\n", True),
    (b"\xef\xbb\xbfno;name\r\nC1;Zo\xc3\xab\r\nC2;B\r\n", True),  # BOM, ";", CRLF
    (b"no\tname\tcity\n C1 \t A \tx\n \t\t\n\t\t\nC2\tB\ty", True),  # tabs, blank rows, no EOL
    (b"no,name\nC1,\xc2\xa0\nC2,a\xe2\x80\xa8b\n   ,  \n", True),  # U+00A0, U+2028, blank
    (b"no,city,tax_liable,blocked\nC1," + b"x" * 31 + b",maybe,ship\nC2,y,ja,what\n", True),
    (b"  No. ,Extra,,Name\nC1,e,f,N\n", True),  # a caption padded, an ignored column
    (b"no,name\nC1,A\n,B\n", True),  # a blank key: the same error
    (b"no,name\nC1,A\nC2,B\nC1,C\n", True),  # a duplicate: the same error
    (b"no,name\nC1,A\n\nC2,B\n", False),  # an empty line
    (b"\nno,name\nC1,A\n", False),  # an empty first line
    (b"   \nno,name\nC1,A\n", False),  # a blank first line
    (b'no,name\nC1,"Smith, J"\n', True),  # a quoted name with a comma
    (b"no,name\nC1,A,extra\nC2,B\n", False),  # a row too wide
    (b"no,name,city\nC1,A\nC2,B,c\n", False),  # a row too narrow
    (b"no,name\nC1,A,\nC2,B,\n", False),  # trailing separators
    (b"no,name\rC1,A\rC2,B\r", False),  # \r line breaks
    (b"no,name\nC1,M\xfcller\n", False),  # not UTF-8
    (b"n\x00o\x00\n\x00", False),  # UTF-16 without a BOM
    (b"no,name\n", False),  # a header alone
    (b"no,name\nC1," + b"x" * 131073 + b"\n", False),  # over the csv module's field limit
    (b"no\x0cx,name\nC1,A\n", True),  # a form feed in the header line
    (b'no,name\nC1,"Smith, J"\nC2,"say ""hi"""\n', True),  # quoted: commas, doubled quotes
    (b'"No.";"Name"\r\n"C1";"a;b"\r\n"C2";""\r\n', True),  # BC's quote-all export, CRLF
    (b'no,name\nC1,"a"b\n', False),  # text after a closing quote: the csv module's error
    (b'no,name\nC1,a"b\n', False),  # a quote inside an unquoted field
    (b'no,name\nC1, "a"\n', False),  # a space before the opening quote
    (b'no,name\nC1,"two\nlines"\nC2,b\n', False),  # a line break inside quotes
    (b'"no","na,me"\nC1,a,b\n', False),  # the delimiter inside a quoted caption
]


@pytest.mark.parametrize("data,arrow", _ARROW_CASES)
def test_arrow_csv_reader_reads_as_the_csv_module(tmp_path, monkeypatch, data, arrow):
    import pandas as pd

    from shopsync import erp_io

    path = tmp_path / "erp.csv"
    path.write_bytes(data)
    assert (erp_io._read_csv_arrow(path, None) is not None) is arrow

    def read():
        try:
            erp = read_erp_customers(path)
        except InputFileError as exc:
            return str(exc)
        return erp

    fast = read()
    monkeypatch.setattr(erp_io, "_read_csv_arrow", lambda path, encoding: None)
    slow = read()
    if isinstance(slow, str):
        assert fast == slow
        return
    pd.testing.assert_frame_equal(fast.customers, slow.customers)
    pd.testing.assert_frame_equal(fast.issues, slow.issues)
    assert (fast.columns, fast.ignored) == (slow.columns, slow.ignored)


# A cell of a generated file: BC's names with commas and quotes, separators, spaces, unicode.
_CELL = st.text(alphabet=st.sampled_from(list("ab Z,;\t\"'é€\u00a0\u2028x1")), max_size=8)


@st.composite
def _csv_files(draw):
    """CSV bytes as Business Central and spreadsheets write them, now and then broken."""
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]))
    header = [
        "No.",
        *draw(st.lists(st.sampled_from(["Name", "City", "E-Mail", "Note"]), max_size=3)),
    ]
    rows = [
        [f"C{i}", *draw(st.lists(_CELL, min_size=len(header) - 1, max_size=len(header) - 1))]
        for i in range(draw(st.integers(1, 6)))
    ]
    out = io.StringIO()
    terminator = draw(st.sampled_from(["\n", "\r\n"]))
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator=terminator)
    writer.writerows([header, *rows])
    data = out.getvalue().encode()
    # now and then a stray quote, a space or a line break where a writer would not put one
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b'"', b" ", b"\n", b'""'])) + data[at:]
    return data


@settings(max_examples=400, deadline=None)
@given(data=_csv_files())
def test_arrow_reads_generated_quoted_files_as_the_csv_module(data):
    """Differential: every generated file the Arrow reader takes reads the same (frames,
    issues, columns, or the same error) as through the csv module."""
    from shopsync import erp_io

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "erp.csv"
        path.write_bytes(data)

        def read(table):
            try:
                return erp_io._canonical(table(), str(path))
            except InputFileError as exc:
                return str(exc)

        arrow = erp_io._read_csv_arrow(path, None)
        if arrow is None:
            return
        try:
            slow = read(lambda: erp_io._read_csv(path, None))
        except InputFileError as exc:  # the csv module refuses what Arrow took
            pytest.fail(f"Arrow read {data!r}, the csv module says {exc}")
        fast = read(lambda: arrow)
    if isinstance(slow, str) or isinstance(fast, str):
        assert fast == slow
        return
    pd.testing.assert_frame_equal(fast.customers, slow.customers)
    pd.testing.assert_frame_equal(fast.issues, slow.issues)
    assert (fast.columns, fast.ignored) == (slow.columns, slow.ignored)


def test_a_quote_all_export_is_read_in_arrow_as_the_csv_module_reads_it(tmp_path):
    """A quoted file of many rows (commas, doubled quotes in names) takes the Arrow path and
    loads the same customers."""
    from shopsync import erp_io

    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(["No.", "Name", "City"])
    writer.writerows([f"C{i}", f'Smith, "J{i}" & Co', "Zoë"] for i in range(2000))
    path = tmp_path / "erp.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    assert erp_io._read_csv_arrow(path, None) is not None
    fast = read_erp_customers(path)
    slow = erp_io._canonical(erp_io._read_csv(path, None), str(path))
    pd.testing.assert_frame_equal(fast.customers, slow.customers)
    assert fast.customers.loc[7, "name"] == 'Smith, "J7" & Co'


def _blocked_row_by_row(values: pd.Series) -> pd.DataFrame:
    """read_blocked as it was written before it read each distinct value once (the reference
    of the differential below)."""
    import numpy as np

    from shopsync.erp_io import _BLOCKED_TEXT, _FALSE, _TRUE

    text = values.fillna("").astype(str).str.strip()
    folded = text.str.casefold()
    option = folded.map(_BLOCKED_TEXT)
    yes, no = folded.isin(_TRUE - {""}), folded.isin(_FALSE)
    option = option.where(option.notna(), np.where(yes, "All", np.where(no, "", text)))
    readable = folded.isin(list(_BLOCKED_TEXT)) | yes | no
    return pd.DataFrame({"blocked": option.astype(str), "readable": readable}, index=values.index)


_BLOCKED_WORDS = ["", " ", "Ship", "SHIP", "invoice", "All", "alle", "Versand", "yes", "JA"]
_BLOCKED_WORDS += ["no", "0", "1", "x", "maybe", "ſhip", "ınvoice", "ALLE ", "\u00a0all"]


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(st.sampled_from(_BLOCKED_WORDS) | st.text(max_size=4), max_size=30),
    missing=st.booleans(),
)
def test_read_blocked_reads_each_value_as_row_by_row(words, missing):
    """Differential: read_blocked (each distinct value read once) against the row-by-row
    reading it replaced, on BC's options, their casings, Unicode look-alikes, blanks, NaN."""
    from shopsync.erp_io import read_blocked

    values = pd.Series(
        [*words, *([None] if missing else [])], index=range(7, 7 + len(words) + missing)
    )
    pd.testing.assert_frame_equal(read_blocked(values), _blocked_row_by_row(values))
    text = pd.Series(words, dtype="str")
    pd.testing.assert_frame_equal(read_blocked(text), _blocked_row_by_row(text))


@pytest.mark.parametrize(
    "keys,repeated",
    [
        (["C1", "C2", "C3"], None),  # ascending: no repeat, without hashing
        (["C1", "C1", "C2"], "C1"),  # ascending but for a repeat next to it
        (["C3", "C1", "C2", "C1"], "C1"),  # unordered: hashed
        (["C2", "C1"], None),  # unordered, no repeat
        (["Zoë", "Zoe"], None),
    ],
)
def test_a_repeated_key_is_found_in_any_order(tmp_path, keys, repeated):
    path = csv_file(tmp_path, "no,name\n" + "".join(f"{key},n\n" for key in keys))
    if repeated is None:
        assert list(read_erp_customers(path).customers["no"]) == keys
        return
    with pytest.raises(InputFileError, match=f"duplicate customer no '{repeated}'"):
        read_erp_customers(path)


def test_field_lengths_count_characters_not_bytes(tmp_path):
    """City holds 30 characters: 30 two-byte ones fit, 31 do not (issue VALUE_TOO_LONG)."""
    path = csv_file(tmp_path, "no,city\nC1," + "é" * 30 + "\nC2," + "é" * 31 + "\n")
    issues = read_erp_customers(path).issues
    assert list(issues[["no", "column", "code"]].itertuples(index=False, name=None)) == [
        ("C2", "city", "VALUE_TOO_LONG")
    ]


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=40).map(lambda raw: bytes(b"a\r\n,"[byte % 4] for byte in raw)))
def test_a_lone_cr_is_found_as_the_counts_find_it(data):
    """_lone_cr (each CR's next byte) against the two counts it replaced."""
    from shopsync.erp_io import _lone_cr

    assert _lone_cr(data) == (b"\r" in data and data.count(b"\r") != data.count(b"\r\n"))
