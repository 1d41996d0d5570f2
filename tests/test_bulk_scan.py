"""The compiled scanner of bulk JSONL pieces (shopsync/_bulk_scan.c): what it takes it reads as
json.loads does, and it refuses every line outside its plain subset, which the reader then
parses with pyarrow (or leaves to the line reader), so the frames never change."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from test_bulk_jsonl import address, customer, line_by_line, need_engine, reading_with

from shopsync import bulk_jsonl
from shopsync.bulk_jsonl import read_bulk_customers


@pytest.fixture(autouse=True)
def _scanner():
    need_engine("scanner")


def scanned(text: str | bytes):
    """What the scanner gives for the whole lines ``text``, None when it refuses them."""
    data = bytearray(text.encode() if isinstance(text, str) else text)
    return bulk_jsonl._bulk_scan.scan(data, len(data), bulk_jsonl._SCANNED_FIELDS)


def read_both_ways(tmp_path: Path, data: bytes):
    """The reader's frames with the scanner and with pyarrow's parse alone (None: left to the
    line reader)."""
    path = tmp_path / "customers.jsonl"
    path.write_bytes(data)
    with reading_with("scanner"):
        with_scanner = read_bulk_customers(path)
    with reading_with("pyarrow"):
        without = read_bulk_customers(path)
    return path, with_scanner, without


def assert_same(first, second):
    assert (first is None) == (second is None)
    if first is not None:
        pd.testing.assert_frame_equal(first.customers, second.customers)
        pd.testing.assert_frame_equal(first.addresses, second.addresses)


CUSTOMER_1 = '{"id": "gid://shopify/Customer/1"'
# lines json.loads reads, with values the scanner must decode or check and skip
TAKEN = {
    "every escape, decoded": customer(
        1, note='a"b\\c/\n\r\t\b\f é ’ \U0001f600 \u2028', firstName="\x00\x1f"
    ).replace("\u2028", "\\u2028"),
    "escapes of every character": json.dumps(
        {"id": "gid://shopify/Customer/2", "lastName": "Zoë 中 \U0001f600 \x7f"}, ensure_ascii=True
    ),
    "an escaped slash in an id": '{"id": "gid:\\/\\/shopify\\/Customer\\/3"}',
    "compact, with tabs and spaces between the tokens": (
        '{"id":"gid://shopify/Customer/4",\t"email" :"x@y.z" , "tags":[ "a" ,null,"b" ]}\t '
    ),
    "values of every kind that are not kept": (
        CUSTOMER_1[:-2] + '5", "x": [1, -2.5e+3, 0, 0.5, 1E9, true, false, null, {"a": [{}]}],'
        ' "y": {"z": {"w": "v"}}, "": 1}'
    ),
    "an empty object, and objects with nothing or null in them": (
        "{}\n"
        + customer(6, defaultEmailAddress={}, defaultPhoneNumber=None, defaultAddress={"x": 1})
    ),
    "fields of the other kind of line, of any type": (
        customer(7, company=7, city=[1], __x=None)
        + "\n"
        + address(8, 7, tags=5, verifiedEmail="yes", defaultAddress=3, addressesV2={"nodes": []})
    ),
    "flags and a field kept twice inside a value not kept": customer(
        9, verifiedEmail=True, taxExempt=False, note2={"id": 1, "id2": [1, 1]}
    ),
}
# lines the scanner refuses (the reader then parses them with pyarrow, or leaves them)
REFUSED = {
    "a key with an escape": '{"\\u0069d": "gid://shopify/Customer/1"}',
    "a field kept twice": CUSTOMER_1 + ', "firstName": "A", "firstName": "B"}',
    "the object's one field twice": CUSTOMER_1
    + ', "defaultEmailAddress": {"emailAddress": "a", "emailAddress": "b"}}',
    "a high surrogate alone": CUSTOMER_1 + ', "note": "\\ud800x"}',
    "a low surrogate alone": CUSTOMER_1 + ', "note": "\\udc00"}',
    "a high surrogate and no low one": CUSTOMER_1 + ', "note": "\\ud800\\u0041"}',
    "NaN": CUSTOMER_1 + ', "score": NaN}',
    "-Infinity": CUSTOMER_1 + ', "score": -Infinity}',
    "a leading zero": CUSTOMER_1 + ', "score": 01}',
    "a number for text": '{"id": 1}',
    "text for a flag": CUSTOMER_1 + ', "verifiedEmail": "true"}',
    "a number in the tags": CUSTOMER_1 + ', "tags": ["a", 1]}',
    "text for an object": CUSTOMER_1 + ', "defaultAddress": "x"}',
    "a nested addresses connection": CUSTOMER_1 + ', "addressesV2": {"nodes": []}}',
    "values nested too deep": CUSTOMER_1 + ', "x": ' + "[" * 70 + "]" * 70 + "}",
    "a tab inside text": CUSTOMER_1 + ', "note": "a\tb"}',
    "a control byte inside text": CUSTOMER_1 + ', "note": "a\x01b"}',
    "an unknown escape": CUSTOMER_1 + ', "note": "\\x41"}',
    "a trailing comma": CUSTOMER_1 + ",}",
    "text after the object": CUSTOMER_1 + "} x",
    "two objects on a line": CUSTOMER_1 + "}" + CUSTOMER_1 + "}",
    "a line that is not an object": "[1]",
    "spaces before the object": " " + CUSTOMER_1 + "}",
    "a blank line": CUSTOMER_1 + "}\n\n" + CUSTOMER_1 + "}",
    "CRLF": CUSTOMER_1 + "}\r\n" + CUSTOMER_1 + "}",
    "U+2028 in text": CUSTOMER_1 + ', "note": "a\u2028b"}',
    "U+0085 in text": CUSTOMER_1 + ', "note": "a\u0085b"}',
    "a null __parentId": '{"id": "gid://shopify/MailingAddress/1", "__parentId": null}',
    "a number for __parentId": '{"id": "gid://shopify/MailingAddress/1", "__parentId": 2}',
    "an unclosed object": CUSTOMER_1,
    "an unclosed text": '{"id": "gid://shopify/Customer/1}',
}
NOT_UTF8 = {
    "a lone continuation byte": b'{"id": "\x80"}',
    "an overlong encoding": b'{"id": "\xc0\x80"}',
    "a surrogate in UTF-8": b'{"id": "\xed\xa0\x80"}',
    "past U+10FFFF": b'{"id": "\xf4\x90\x80\x80"}',
    "a cut character": b'{"id": "\xe2\x82"}',
    "a byte order mark between the tokens": b'{"id": "1",\xef\xbb\xbf "x": 1}',
}


@pytest.mark.parametrize("name", TAKEN)
def test_it_takes_plain_json_and_reads_it_as_json_loads(tmp_path, name):
    data = (TAKEN[name] + "\n" + address(90, 1) + "\n").encode()
    assert scanned(data) is not None
    path, with_scanner, without = read_both_ways(tmp_path, data)
    slow = line_by_line(path)
    pd.testing.assert_frame_equal(with_scanner.customers, slow.customers)
    pd.testing.assert_frame_equal(with_scanner.addresses, slow.addresses)
    if without is not None:  # pyarrow may leave a file to the line reader that the scanner takes
        assert_same(with_scanner, without)


@pytest.mark.parametrize("name", [*REFUSED, *NOT_UTF8])
def test_it_refuses_what_it_cannot_prove_and_the_reader_still_agrees(tmp_path, name):
    text = REFUSED.get(name) or NOT_UTF8[name]
    data = text if isinstance(text, bytes) else text.encode()
    assert scanned(data + b"\n") is None
    assert scanned(customer(2).encode() + b"\n" + data) is None  # the piece's last line too
    _, with_scanner, without = read_both_ways(tmp_path, customer(2).encode() + b"\n" + data)
    assert_same(with_scanner, without)


def test_it_gives_each_kind_of_line_its_columns():
    lines, is_address, customers, addresses, columns = scanned(
        customer(1, tags=[" a", None], verifiedEmail=True)
        + "\n"
        + address(2, 1, city="Oslo")
        + "\n"
        + customer(3)
    )
    assert (lines, customers, addresses) == (3, 2, 1)
    assert list(memoryview(is_address)) == [0, 1, 0]
    assert len(columns) == len(bulk_jsonl._NODE_SCHEMA) + len(bulk_jsonl._CHILD_SCHEMA)
    piece = bulk_jsonl._scanned_columns(lines, is_address, customers, addresses, columns)
    assert piece.nodes["key"][0].to_pylist() == ["1", "3"]
    assert piece.nodes["tags"][0].to_pylist() == ["a,", ""]
    assert piece.nodes["verified_email"][0].to_pylist() == [True, False]
    assert piece.children["parent"][0].to_pylist() == ["1"]
    assert piece.children["city"][0].to_pylist() == ["Oslo"]


def test_a_piece_of_the_benchmark_files_is_scanned_not_parsed_by_pyarrow(tmp_path, monkeypatch):
    """Shopify's bulk output is in the scanner's subset: no piece falls back."""
    from benchmarks.files import write_files

    files = write_files(300, tmp_path / "files")
    monkeypatch.setattr(bulk_jsonl, "_plain_line_starts", None)  # pyarrow's path would fail
    read = read_bulk_customers(files.shopify)
    slow = line_by_line(files.shopify)
    pd.testing.assert_frame_equal(read.customers, slow.customers)
    pd.testing.assert_frame_equal(read.addresses, slow.addresses)


def test_the_scanner_is_compiled_where_ci_requires_it():
    """.ci/run sets SHOPSYNC_REQUIRE_SCANNER: there an install without the scanner fails this
    test (and every test here, by the fixture); elsewhere they skip, and say why."""
    assert scanned(customer(1)) is not None


# --------------------------------------------------------------------------------------------
# random lines: what the scanner takes reads as the line reader reads it

_TEXT = st.text(
    alphabet=st.sampled_from(["a", "Z", "é", "’", " ", "\t", '"', "\\", "/", "\x00", "😀"]),
    max_size=4,
)
_ANY = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(-2, 2), _TEXT),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["id", "emailAddress", "x"]), inner, max_size=2),
    ),
    max_leaves=6,
)


def _mostly(kept: st.SearchStrategy) -> st.SearchStrategy:
    """A field's own kind of value (or null) most of the time, anything now and then."""
    return st.one_of(st.none(), kept, kept, kept, _ANY)


_TEXTS = _mostly(_TEXT)
_FIELDS = {
    **dict.fromkeys(
        ["legacyResourceId", "firstName", "email", "phone", "note", "company", "city"], _TEXTS
    ),
    "countryCodeV2": _mostly(st.sampled_from(["de", "GB", "ß", ""])),
    "tags": _mostly(st.lists(st.one_of(st.none(), _TEXT), max_size=3)),
    "verifiedEmail": _mostly(st.booleans()),
    "defaultEmailAddress": _mostly(st.fixed_dictionaries({"emailAddress": _TEXTS})),
    "defaultAddress": _mostly(st.fixed_dictionaries({}, optional={"id": _TEXTS, "x": _ANY})),
    "addressesV2": st.one_of(st.none(), st.none(), _ANY),
    "other": _ANY,
}
_IDS = st.sampled_from(["1", "2", "12", "7?x=a/2", ""])


def _line(parent: bool) -> st.SearchStrategy:
    """A customer line (or an address line of customer 1 or 2) with some of _FIELDS."""
    fields = st.lists(st.sampled_from(sorted(_FIELDS)), unique=True, max_size=5).flatmap(
        lambda names: st.fixed_dictionaries({name: _FIELDS[name] for name in names})
    )
    kind = "MailingAddress" if parent else "Customer"
    head = _IDS.map(lambda number: {"id": f"gid://shopify/{kind}/{number}"})
    if parent:
        head = st.tuples(head, st.sampled_from(["1", "2"])).map(
            lambda pair: {**pair[0], "__parentId": f"gid://shopify/Customer/{pair[1]}"}
        )
    return st.tuples(head, fields).map(lambda pair: {**pair[0], **pair[1]})


_LINES = st.one_of(_line(parent=False), _line(parent=True))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(_LINES, st.booleans(), st.booleans()), min_size=1, max_size=6),
)
def test_random_lines_it_takes_read_as_the_line_reader_reads_them(lines):
    text = "\n".join(
        json.dumps(fields, ensure_ascii=ascii, separators=(",", ":") if compact else None)
        for fields, ascii, compact in lines
    )
    data = text.encode()
    taken = scanned(data) is not None
    event("taken" if taken else "refused")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "customers.jsonl"
        path.write_bytes(data)
        if not taken:  # the reader's other ways give what they gave without the scanner
            _, with_scanner, without = read_both_ways(Path(folder), data)
            assert_same(with_scanner, without)
            return
        with reading_with("scanner"):
            fast = read_bulk_customers(path)
        slow = line_by_line(path)
        if fast is None:  # a file without customers: the line reader builds that frame
            assert not len(slow.customers) or "__parentId" in text
            return
        pd.testing.assert_frame_equal(fast.customers, slow.customers)
        pd.testing.assert_frame_equal(fast.addresses, slow.addresses)


_EDGE_TEXT = st.text(
    alphabet=st.sampled_from([*bulk_jsonl._WHITESPACE[:3], " ", "\xa0", "\u3000", "a", "é", "€"]),
    max_size=4,
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_EDGE_TEXT, max_size=8), st.integers(0, 3))
def test_the_compiled_edge_check_answers_as_the_numpy_one(values, skip):
    """Whether a value may start or end with a space: the scanner's C pass and the numpy
    gathers it replaces agree (on sliced arrays too), and a value that has one is found."""
    array = pa.array(values, pa.string()).slice(min(skip, len(values)))
    compiled = bulk_jsonl._edge_may_be_space(array)
    with reading_with("pyarrow"):
        assert bulk_jsonl._bulk_scan is None
        in_numpy = bulk_jsonl._edge_may_be_space(array)
    assert compiled == in_numpy
    if any(value != value.strip() for value in array.to_pylist()):
        assert compiled
