"""The Arrow reader of bulk customer JSONL gives exactly what the line-by-line reader gives,
with the compiled scanner (shopsync/_bulk_scan.c) and without it (pyarrow's parse alone)."""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopsync import bulk_jsonl, shopify_io
from shopsync.bulk_jsonl import _WHITESPACE, read_bulk_customers

# the reader's two ways of parsing a piece: the compiled scanner first, or pyarrow's alone
ENGINES = ["scanner", "pyarrow"]


def need_engine(engine):
    """Skip a test of the scanner where it was not compiled (no C compiler at install), but
    fail where SHOPSYNC_REQUIRE_SCANNER is set (.ci/run sets it)."""
    if engine == "scanner" and bulk_jsonl._bulk_scan is None:
        if os.environ.get("SHOPSYNC_REQUIRE_SCANNER"):
            pytest.fail("shopsync._bulk_scan was not compiled, and SHOPSYNC_REQUIRE_SCANNER is set")
        pytest.skip("shopsync._bulk_scan was not compiled (no C compiler at install)")


@contextmanager
def reading_with(engine):
    """The reader parses pieces with ``engine`` while in the block."""
    need_engine(engine)
    with pytest.MonkeyPatch.context() as patch:
        if engine == "pyarrow":
            patch.setattr(bulk_jsonl, "_bulk_scan", None)
        yield


def line_by_line(path):
    return shopify_io._customers_from_rows(shopify_io.read_jsonl(path))


def customer(number, **fields):
    return json.dumps({"id": f"gid://shopify/Customer/{number}", **fields}, ensure_ascii=False)


def address(number, parent, **fields):
    gid = f"gid://shopify/MailingAddress/{number}?model_name=CustomerAddress"
    return json.dumps(
        {"id": gid, "__parentId": f"gid://shopify/Customer/{parent}", **fields}, ensure_ascii=False
    )


def write(tmp_path, lines, *, end="\n"):
    path = tmp_path / "customers.jsonl"
    path.write_bytes((end.join(lines) + end).encode("utf-8"))
    return path


DEFAULT_9 = {"id": "gid://shopify/MailingAddress/9?model_name=CustomerAddress"}

FILES = {
    "addresses before and after their customer, in id order, one unknown parent": [
        address(9, 1, city=" Oslo ", countryCodeV2="no"),
        customer(1, defaultEmailAddress={"emailAddress": " A@x.com "}, defaultAddress=DEFAULT_9),
        address(8, 404),
        address(7, 1, countryCodeV2="GB", phone="+447400123456"),
    ],
    "a customer twice by gid, by number, by legacyResourceId": [
        customer(1, email="a@x.com"),
        customer(1, email="b@x.com"),
        json.dumps({"legacyResourceId": "1", "email": "d@x.com"}),
        customer(3, email="e@x.com"),
        address(5, 3),
        address(4, 3),
        address(6, 1),
    ],
    "no id, tags, flags, Unicode spaces, an unknown nested field": [
        json.dumps({"email": "x@x.com"}),
        customer(
            2,
            tags=[" vip ", None, "b2b"],
            firstName="\u00a0Zoë\u3000",
            lastName="\x1fA\x1c ",
            verifiedEmail=True,
            taxExempt=None,
        ),
        json.dumps({"a": {"b": [1, 2]}}),
        json.dumps({"id": "gid://shopify/Customer/4", "addressesV2": None}),
    ],
    "an empty legacyResourceId, countryCode, a non-ASCII country code": [
        json.dumps({"id": "gid://shopify/Customer/5", "legacyResourceId": ""}),
        address(1, 5, countryCode="de"),
        address(2, 5, countryCodeV2="", countryCode="fr"),
        address(3, 5, countryCodeV2="ß"),
    ],
    "e-mail and phone outside the default objects; address ids that are not numbers": [
        customer(1, email=" e@x.com ", phone=" +15555550100 ", defaultPhoneNumber={}),
        json.dumps({"id": "x", "__parentId": "gid://shopify/Customer/1"}),
        json.dumps({"id": None, "__parentId": "gid://shopify/Customer/1", "city": "B"}),
        address(3, 1),
    ],
    "no customer with an id, an address": [
        json.dumps({"email": "x@x.com"}),
        address(1, 1),
    ],
    "the name __parentId in a value, ids with '?' before the last '/'": [
        customer(1, note='"__parentId": null', tags=["a", " b "]),
        customer("2?x=a/3"),
        address(4, "2?x=a/3", company="__parentId"),
        address(5, 3),
    ],
    "the name __parentId as a customer's value, and as an address's key with an escape": [
        customer(1, company="__parentId"),
        '{"id": "gid://shopify/MailingAddress/3", "\\u005f_parentId": "gid://shopify/Customer/1"}',
        address(2, 1),
    ],
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", FILES)
def test_same_frames_as_the_line_reader(tmp_path, name, engine):
    path = write(tmp_path, FILES[name])
    with reading_with(engine):
        fast = read_bulk_customers(path)
    assert fast is not None, "this file should not need the line reader"
    slow = line_by_line(path)
    pd.testing.assert_frame_equal(fast.customers, slow.customers)
    pd.testing.assert_frame_equal(fast.addresses, slow.addresses)


def test_the_kinds_of_line_are_parsed_apart_unless_the_parse_disagrees(tmp_path, monkeypatch):
    """A piece is parsed whole only when the bytes ``"__parentId"`` do not tell the kinds."""
    monkeypatch.setattr(bulk_jsonl, "_bulk_scan", None)  # pyarrow's parse, whatever is built
    whole = []
    mixed = bulk_jsonl._mixed_columns
    monkeypatch.setattr(bulk_jsonl, "_mixed_columns", lambda table: whole.append(1) or mixed(table))
    read_bulk_customers(
        write(tmp_path, FILES["a customer twice by gid, by number, by legacyResourceId"])
    )
    assert not whole
    name = "the name __parentId as a customer's value, and as an address's key with an escape"
    read_bulk_customers(write(tmp_path, FILES[name]))
    assert whole


def test_the_reported_problems_name_their_lines(tmp_path):
    path = write(tmp_path, FILES["a customer twice by gid, by number, by legacyResourceId"])
    customers = read_bulk_customers(path).customers
    assert customers["shopify_id"].tolist() == ["1", "3", "line 2", "line 3"]
    errors = dict(zip(customers["shopify_id"], customers["record_error"], strict=True))
    assert errors["line 2"] == (
        "line 2: customer 1 again (first read on line 1); this line is not read"
    )
    read = read_bulk_customers(
        write(tmp_path, FILES["addresses before and after their customer, in id order, one "
                              "unknown parent"])
    )  # fmt: skip
    assert read.addresses["address_id"].tolist() == ["7", "9"]
    assert read.addresses["position"].tolist() == [0, 1]
    assert read.addresses["is_default"].tolist() == [False, True]
    assert read.customers.iloc[-1]["record_error"] == "line 3: address of an unknown customer"


LINE_READER_ONLY = {
    "blank line": (customer(1) + "\n\n" + customer(2) + "\n").encode(),
    "blank last line": (customer(1) + "\n \n").encode(),
    "CRLF": (customer(1) + "\r\n" + customer(2) + "\r\n").encode(),
    "byte order mark": b"\xef\xbb\xbf" + (customer(1) + "\n").encode(),
    "U+2028 in a value": (customer(1, note="a\u2028b") + "\n").encode(),
    "two objects on a line": (customer(1) + customer(2) + "\n").encode(),
    "not JSON": (customer(1) + "\n{x\n").encode(),
    "null __parentId": (customer(1) + '\n{"id": "a/1", "__parentId": null}\n').encode(),
    "nested addresses": (customer(1, addressesV2={"nodes": []}) + "\n").encode(),
    "a number for text": (customer(1) + '\n{"id": 2}\n').encode(),
    "tags as text": (customer(1, tags="a, b") + "\n").encode(),
    "not UTF-8": (customer(1, note="x") + "\n").encode().replace(b"x", b"\xff"),
    "only addresses": (address(1, 2) + "\n").encode(),
    "an id too long to order by": (customer(1) + "\n" + address("9" * 25, 1) + "\n").encode(),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", LINE_READER_ONLY)
def test_files_it_cannot_prove_are_left_to_the_line_reader(tmp_path, name, engine):
    path = tmp_path / "customers.jsonl"
    path.write_bytes(LINE_READER_ONLY[name])
    with reading_with(engine):
        assert read_bulk_customers(path) is None
    if name != "not UTF-8":
        read = shopify_io.read_shopify_customers(path)  # the public reader still reads it
        assert len(read.customers) >= 1


def test_the_public_reader_uses_it_for_a_bulk_export(tmp_path, monkeypatch):
    from benchmarks.files import write_files

    files = write_files(300, tmp_path / "files")
    fast = shopify_io.read_shopify_customers(files.shopify)
    slow = line_by_line(files.shopify)
    pd.testing.assert_frame_equal(fast.customers, slow.customers)
    pd.testing.assert_frame_equal(fast.addresses, slow.addresses)
    assert len(fast.customers) == 300 and (fast.customers["record_error"] == "").all()
    monkeypatch.setattr(shopify_io, "_customers_from_rows", None)  # no line reader at all
    assert len(shopify_io.read_shopify_customers(files.shopify).customers) == 300


def test_it_trims_what_python_strips():
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert everything == _WHITESPACE


# (file, what the pieces' checks make of it): lines, or None (the line reader reads it)
_PLAIN = [
    (b'{"id": "1"}\n{"id": "2"}\n', 2),
    (b'{"id": "1"}\n{"id": "2"}', 2),
    (b'{"a": "\xc3\xa9\xe2\x80\x99"}\n{"b": "\xf0\x9f\x98\x80"}\n', 2),  # é ’ 😀 across chunks
    (b'{"a": "\xc2\xa0\xe2\x80\xa7\xe2\x81\xa8"}\n', 1),  # the bytes of a break, not one
    (b"", None),
    (b'\xef\xbb\xbf{"id": "1"}\n', None),  # a BOM
    (b'{"id": "1"}\n\n{"id": "2"}\n', None),  # a blank line
    (b' \t\n{"id": "1"}\n', None),  # a blank first line
    (b'{"id": "1"}\n \n', None),  # a blank last line
    (b'{"id": "1"}\r\n', None),  # \r
    (b'{"id": "1\x0b"}\n', None),  # \v
    (b'{"id": "1\x1e"}\n', None),  # \x1e
    (b'{"id": "1\xc2\x85"}\n', None),  # U+0085
    (b'{"id": "1\xe2\x80\xa8"}\n', None),  # U+2028
    (b'{"id": "1\xe2\x80\xa9"}\n', None),  # U+2029
    (b'{"id": "\xc3"}\n', None),  # not UTF-8
    (b'{"id": "1"}\n{"id": "\xed\xa0\x80"}\n', None),  # a surrogate: not UTF-8
    (b' {"id": "1"}\n', None),  # a line that does not start with "{"
    (b'{"id": "1"}\n\t{"id": "2"}\n', None),
    (b"null\n", None),  # Arrow crashes on a piece that starts with null
    (b'{"id": "1"}\nnull\n', None),  # Arrow reads null as {}
    (b'{"id": "1"}\n  null  ', None),
]
# null __parentId: the pieces' bytes pass, the parsed piece does not
_NULL_PARENT = [
    b'{"__parentId": null, "id": "1"}\n',
    b'{"id": "1"}\n{"id": "2", "__parentId" :\n null}\n',  # over two lines
    b'{"id": "1"}\n{"id": "2", "__parentId":\tnull}\n',
]


def plain_lines(path):
    """The lines of the file as the pieces' checks count them, or None."""
    try:
        pieces = list(bulk_jsonl._plain_pieces(path))
    except bulk_jsonl._NotPlain:
        return None
    counts = [bulk_jsonl._plain_lines(data, end) for data, end in pieces]
    return None if None in counts else sum(counts) or None


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("chunk", [1, 2, 5, 1 << 26])
def test_plain_lines_whatever_the_chunks(monkeypatch, tmp_path, chunk, engine):
    """The checks see every line whole, wherever a chunk ends."""
    need_engine(engine)
    if engine == "pyarrow":
        monkeypatch.setattr(bulk_jsonl, "_bulk_scan", None)
    monkeypatch.setattr(bulk_jsonl, "_CHUNK", chunk)
    monkeypatch.setattr(bulk_jsonl, "_SCAN", 3)
    path = tmp_path / "c.jsonl"
    for data, expected in _PLAIN:
        path.write_bytes(data)
        assert plain_lines(path) == expected, data
        if expected is None:
            assert read_bulk_customers(path) is None, data
    for data in _NULL_PARENT:
        path.write_bytes(data)
        assert read_bulk_customers(path) is None, data


# --------------------------------------------------------------------------------------------
# random files: the Arrow reader reads them as the line reader does, or leaves them to it

_ODD_TEXT = st.text(
    alphabet=st.sampled_from(
        ["a", "Z", "é", "’", " ", "\t", "\u00a0", "\u3000", "\x85", "\u2028", "\r", "/", "?"]
    ),
    max_size=4,
)
_NUMBERS = st.sampled_from(["1", "2", "3", "12", "7?x=a/2", ""])
_CUSTOMERS = st.builds(
    lambda number, name, tags, email: customer(
        number, firstName=name, tags=tags, defaultEmailAddress={"emailAddress": email}
    ),
    _NUMBERS,
    _ODD_TEXT,
    st.lists(st.one_of(st.none(), _ODD_TEXT), max_size=3),
    _ODD_TEXT,
)
_ADDRESSES = st.builds(
    lambda number, parent, city, code: address(number, parent, city=city, countryCodeV2=code),
    _NUMBERS,
    _NUMBERS,
    _ODD_TEXT,
    st.sampled_from(["de", "GB", "ß", ""]),
)
_ODD_LINES = st.sampled_from(
    [
        "",
        " \t",
        '{"id": "gid://shopify/MailingAddress/4", "__parentId": null}',
        '{"id": "gid://shopify/Customer/9", "note": "\\"__parentId\\": null"}',
        '{"id": "gid://shopify/Customer/8", "company": "__parentId"}',
        "{x",
        "[1]",
        '{"id": 2}',
        '{"id": "1"}{"id": "2"}',
        '{"id": "gid://shopify/Customer/5", "addressesV2": {"nodes": []}}',
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(st.one_of(_CUSTOMERS, _ADDRESSES, _ODD_LINES), min_size=1, max_size=8),
    ends=st.lists(st.sampled_from(["\n", "\n", "\n", "\r\n", "\u2028", ""]), min_size=8),
    chunk=st.sampled_from([1, 7, 64, 1 << 26]),
    engine=st.sampled_from(ENGINES),
)
def test_random_files_read_as_the_line_reader_reads_them(lines, ends, chunk, engine):
    text = "".join(line + end for line, end in zip(lines, ends, strict=False))
    data = text.encode()
    with (
        tempfile.TemporaryDirectory() as folder,
        reading_with(engine),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(bulk_jsonl, "_CHUNK", chunk)
        patch.setattr(bulk_jsonl, "_SCAN", 5)
        path = Path(folder) / "customers.jsonl"
        path.write_bytes(data)
        fast = read_bulk_customers(path)
        # where the whole-file check of before found the file not plain, it is still left
        whole = pa.py_buffer(data)
        if not data or bulk_jsonl._matches_not_plain(whole):
            assert fast is None
        if fast is not None:
            slow = line_by_line(path)
            pd.testing.assert_frame_equal(fast.customers, slow.customers)
            pd.testing.assert_frame_equal(fast.addresses, slow.addresses)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 4),
            st.one_of(st.integers(0, 3), st.integers(0, 2**62), st.just(9000016240978)),
        ),
        max_size=12,
    )
)
def test_addresses_ordered_by_owner_then_number_as_a_lexsort(rows):
    """The combined-key sort (and its fallback for spans too wide) orders as a stable lexsort:
    by customer, then id, equal ids in file order."""
    owner = np.array([r[0] for r in rows], dtype=np.int64)
    numbers = np.array([r[1] for r in rows], dtype=np.int64)
    expected = np.lexsort((numbers, owner))
    assert np.array_equal(bulk_jsonl._by_owner_then_number(owner, numbers), expected)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(['"__parentId"', '"_', "_", '__parentId"', '"', "a", "{"])).map(
            "".join
        ),
        min_size=1,
        max_size=6,
    )
)
def test_named_lines_as_bytes_count_finds_them(lines):
    """The lines with the bytes ``"__parentId"``, and how often they are there, found in numpy."""
    data = "\n".join(lines).encode()
    starts = np.cumsum([0] + [len(line) + 1 for line in lines[:-1]])
    codes = np.frombuffer(data, dtype=np.uint8)
    named, names = bulk_jsonl._named_lines(codes, starts)
    assert named.tolist() == [bulk_jsonl._PARENT_KEY in line.encode() for line in lines]
    assert names == len(re.findall(b'(?="__parentId")', data)) >= data.count(bulk_jsonl._PARENT_KEY)


_EDGY = st.text(
    alphabet=st.sampled_from(
        [*_WHITESPACE, "a", "é", "ā", "中", "\u00a9", "\u2030", "\u2027", "\u1681", "\U0001f600"]
    ),
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), _EDGY), max_size=8), st.integers(0, 3))
def test_text_strips_as_python_does(values, skip):
    """_text trims only where an edge may be a space, and then as str.strip() does."""
    array = pa.array(["x", *values], pa.string()).slice(min(skip, len(values)) + 1)
    expected = [(value or "").strip() for value in values[min(skip, len(values)) :]]
    assert bulk_jsonl._text(array).to_pylist() == expected


def test_every_space_is_seen_at_either_edge():
    for space in _WHITESPACE:
        for value in (space + "ab", "ab" + space, space, "é" + space):
            assert bulk_jsonl._edge_may_be_space(pa.array(["x", value])), repr(value)
    assert not bulk_jsonl._edge_may_be_space(pa.array(["Zoë", "José", "中", "", "a b"]))


@pytest.mark.parametrize("chunk", [4, 16, 64])
def test_pieces_read_into_the_memory_of_pieces_done_with(monkeypatch, tmp_path, chunk):
    """With reuse, the pieces are the same bytes, in the memory of the piece two before."""
    monkeypatch.setattr(bulk_jsonl, "_CHUNK", chunk)
    path = tmp_path / "c.jsonl"
    path.write_bytes(b"".join(b'{"id": "%d"}\n' % n * (n % 3 + 1) for n in range(40)))
    fresh = [bytes(data[:end]) for data, end in bulk_jsonl._plain_pieces(path)]
    reused, memory = [], []
    for data, end in bulk_jsonl._plain_pieces(path, reuse=2):
        reused.append(bytes(data[:end]))
        memory.append(id(data))
    assert reused == fresh and b"".join(fresh) == path.read_bytes()
    assert len(set(memory)) < len(memory)
    assert all(memory[n] != memory[n + 1] for n in range(len(memory) - 1))
