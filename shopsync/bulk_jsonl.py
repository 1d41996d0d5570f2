"""Reading a bulk query's customer JSONL in Arrow: the same frames as the line-by-line reader.

``read_bulk_customers(path)`` reads the file in pieces of whole lines. Each piece goes first
to the compiled scanner (``shopsync/_bulk_scan.c``, where the install could compile it), which
checks and parses it in one pass into Arrow's buffers, or refuses it; a refused piece has its
bytes checked (UTF-8, then byte tests for what makes a file not plain, with one RE2 pass only
over a piece where a byte test finds a candidate) and is parsed with ``pyarrow.json`` under an
explicit schema (the bulk customer query's fields). Either way no line becomes a Python dict,
and each batch is reduced to the customer and address columns the frames keep (the file's
table is never held whole); then the frames are built column by column, in two passes as the
line-by-line reader of ``shopsync.shopify_io`` (address lines may come before their customer).
It returns ``None`` whenever it cannot prove that it reads the file exactly as that reader
does, and the caller then reads it line by line; so every record, every problem and its line
number are the same:

* a line that is not a JSON object of the expected shape (a value of another type, a list,
  a nested ``addressesV2``/``addresses`` connection, a ``"__parentId": null``, two values
  for one field, two objects on a line...), which Arrow refuses under the schema;
* blank lines or any line that does not start with ``{`` (Arrow reads a ``null`` line as an
  empty object), a line break other than ``\\n`` (``str.splitlines`` also breaks at ``\\r``,
  U+2028...), text that is not UTF-8, or a file that is not there;
* ids the reader orders by that do not fit in 64 bits or are not ASCII digits.

What it handles itself are the checks that need the whole file: a customer read twice (by
gid or number) and an address of an unknown customer, reported as the line-by-line reader
reports them.
"""

from __future__ import annotations

import codecs
import os
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from shopsync.arrow_text import TEXT
from shopsync.memory import release_unused
from shopsync.schema import (
    ADDRESS_COLUMNS,
    CUSTOMER_COLUMNS,
    CUSTOMER_NODE_FIELDS,
    FLAG_COLUMNS,
)
from shopsync.schema import ADDRESS_NODE_FIELDS as _ADDRESS_FIELDS
from shopsync.schema import fill_columns as _fill
from shopsync.shopify_io import ShopifyCustomers
from shopsync.text_columns import offsets_and_bytes
from shopsync.text_keys import first_positions, index_in
from shopsync.two_threads import each_in_two_threads, in_order_in_two_threads

try:  # compiled at install where there is a C compiler (setup.py)
    from shopsync import _bulk_scan
except ImportError:  # none: every piece is parsed by pyarrow, the same frames more slowly
    _bulk_scan = None

__all__ = ["BULK_SCHEMA", "read_bulk_customers"]

_TEXT = pa.string()
BULK_SCHEMA = pa.schema(
    [
        ("id", _TEXT),
        ("legacyResourceId", _TEXT),
        ("firstName", _TEXT),
        ("lastName", _TEXT),
        ("email", _TEXT),
        ("phone", _TEXT),
        ("state", _TEXT),
        ("tags", pa.list_(_TEXT)),
        ("note", _TEXT),
        ("verifiedEmail", pa.bool_()),
        ("taxExempt", pa.bool_()),
        ("createdAt", _TEXT),
        ("updatedAt", _TEXT),
        ("defaultEmailAddress", pa.struct([("emailAddress", _TEXT)])),
        ("defaultPhoneNumber", pa.struct([("phoneNumber", _TEXT)])),
        ("defaultAddress", pa.struct([("id", _TEXT)])),
        # address lines
        ("company", _TEXT),
        ("address1", _TEXT),
        ("address2", _TEXT),
        ("zip", _TEXT),
        ("city", _TEXT),
        ("countryCodeV2", _TEXT),
        ("countryCode", _TEXT),
        ("country", _TEXT),
        ("provinceCode", _TEXT),
        ("province", _TEXT),
        ("__parentId", _TEXT),
        # nested connections (not a bulk export's shape): only null is accepted
        ("addressesV2", pa.null()),
        ("addresses", pa.null()),
    ]
)
# what str.strip() removes (every character whose str.isspace() is true), so that trimming in
# Arrow is Python's trimming; tests/test_bulk_jsonl.py checks the list against str.isspace()
_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# In one RE2 pass over whole lines: a line break str.splitlines() knows besides \n, a blank
# line (only spaces and tabs), a null ``__parentId`` (``\s`` as Python's re has it).
_NOT_PLAIN = (
    r"[\r\x0b\x0c\x1c\x1d\x1e\x{85}\x{2028}\x{2029}]"
    r"|(?m:^[ \t]*\n)"
    r'|"__parentId"[ \t\n\r\x0b\x0c]*:[ \t\n\r\x0b\x0c]*null'
)
# the fields _node_columns reads of a customer line, _child_columns of an address line
_NODE_FIELDS = sorted(
    {
        "id",
        "legacyResourceId",
        "defaultAddress",
        *(field.partition(".")[0] for field in CUSTOMER_NODE_FIELDS.values()),
        *(column for column, field in CUSTOMER_NODE_FIELDS.items() if "." in field),
    },
    key=BULK_SCHEMA.names.index,
)
_CHILD_FIELDS = sorted(
    {"id", "__parentId", "countryCodeV2", "countryCode", *_ADDRESS_FIELDS.values()},
    key=BULK_SCHEMA.names.index,
)
# what the line reader reads of a customer line (the connections only to refuse them) and of
# an address line: what a line of the other kind has is not its business
_NODE_SCHEMA = pa.schema(
    [field for field in BULK_SCHEMA if field.name in {*_NODE_FIELDS, "__parentId"}]
    + [BULK_SCHEMA.field("addressesV2"), BULK_SCHEMA.field("addresses")]
)
_CHILD_SCHEMA = pa.schema([BULK_SCHEMA.field(name) for name in _CHILD_FIELDS])
# what the scanner is asked for: (kind of line, field, what it holds, an object's one field)
_CUSTOMER_LINE, _ADDRESS_LINE = 0, 1
_TEXT_FIELD, _FLAG_FIELD, _OBJECT_FIELD, _LIST_FIELD, _NULL_FIELD = range(5)


def _scanned_fields() -> tuple[tuple[int, bytes, int, bytes], ...]:
    """The fields of the two schemas as shopsync/_bulk_scan.c takes them, in their order."""

    def holds(kind: pa.DataType) -> tuple[int, bytes]:
        if pa.types.is_struct(kind):
            return _OBJECT_FIELD, kind.field(0).name.encode()
        if pa.types.is_list(kind):
            return _LIST_FIELD, b""
        if pa.types.is_boolean(kind):
            return _FLAG_FIELD, b""
        return (_NULL_FIELD if pa.types.is_null(kind) else _TEXT_FIELD), b""

    return tuple(
        (line, field.name.encode(), *holds(field.type))
        for line, schema in ((_CUSTOMER_LINE, _NODE_SCHEMA), (_ADDRESS_LINE, _CHILD_SCHEMA))
        for field in schema
    )


_SCANNED_FIELDS = _scanned_fields()
_CHUNK = 1 << 26  # bytes read, checked and parsed at a time (up to the last line break)
_BLOCK = 1 << 24  # Arrow's parse block: a piece is parsed a few blocks at a time, in threads
_SCAN = 1 << 20  # bytes compared at a time when looking for control bytes (stays in cache)
_PARENT_KEY = b'"__parentId"'
# line breaks str.splitlines() knows of more than one byte (one byte ones are control bytes)
_MULTIBYTE_BREAKS = tuple(character.encode() for character in "\x85\u2028\u2029")
_LINE_FEED, _TAB, _OPEN_BRACE = 0x0A, 0x09, ord("{")


class _NotPlain(Exception):
    """The file is not one the Arrow reader can prove it reads as the line reader does."""


def read_bulk_customers(path: str | Path) -> ShopifyCustomers | None:
    """The customers of a bulk JSONL file read in Arrow, or None: read it line by line."""
    path = Path(path)
    nodes: dict[str, list[pa.Array]] = {}
    children: dict[str, list[pa.Array]] = {}
    is_child: list[np.ndarray] = []
    rows = 0
    try:
        for piece in _piece_columns(path):
            rows += piece.rows
            is_child.extend(piece.is_child)
            for name, arrays in piece.nodes.items():
                nodes.setdefault(name, []).extend(arrays)
            for name, arrays in piece.children.items():
                children.setdefault(name, []).extend(arrays)
            del piece
    except (_NotPlain, pa.ArrowException, OSError):
        return None
    if not rows:
        return None  # an empty file
    child_rows = np.concatenate(is_child)
    line = np.arange(1, rows + 1)
    # handed over, not kept: _frames lets go of each column once it has its copy
    frames = _frames(_chunked(nodes), line[~child_rows], _chunked(children), line[child_rows])
    release_unused()  # the batches' memory back to the system
    return frames


class _Columns:
    """A piece's columns: its number of lines, which are address lines (per batch), and the
    customer and address columns of its batches."""

    def __init__(self) -> None:
        self.rows = 0
        self.is_child: list[np.ndarray] = []
        self.nodes: dict[str, list[pa.Array]] = {}
        self.children: dict[str, list[pa.Array]] = {}


def _piece_columns(path: Path) -> Iterator[_Columns]:
    """The columns of the file's plain pieces, in order. Each piece is checked, parsed and
    taken apart in one of two threads (Arrow's kernels and numpy's let go of the GIL), so the
    caller's thread only reads the bytes and gathers the columns; at most two pieces are in
    the threads' hands while the caller holds the one before."""
    # by the time a piece is read, the one two before is done: its memory is read into
    return in_order_in_two_threads(_columns_of_piece, _plain_pieces(path, reuse=2))


def _columns_of_piece(data: bytes | bytearray, end: int) -> _Columns:
    """The columns of the piece ``data[:end]``; raises _NotPlain for a piece that is not
    ``_plain_lines``.

    The address lines (those with the bytes ``"__parentId"``) and the customer lines are
    parsed apart, each under the fields the line reader reads of that kind of line: Arrow
    parses a file of one shape of line much faster than one of two, and no batch has to be
    filtered. When the parse does not confirm the split (the name in a value, or written with
    escapes), the piece is parsed whole and its batches are filtered, as the split would.

    First the compiled scanner (``shopsync/_bulk_scan.c``) is tried: one pass that checks the
    lines and gives both kinds' columns; it refuses a piece it cannot prove it reads as
    json.loads does, and only then does the rest of this function run."""
    if _bulk_scan is not None:
        scanned = _bulk_scan.scan(data, end, _SCANNED_FIELDS)
        if scanned is not None:
            return _scanned_columns(*scanned)
    starts = _plain_line_starts(data, end)
    if starts is None:
        raise _NotPlain
    lines = _lines(data, end, starts)
    named, names = _named_lines(np.frombuffer(data, dtype=np.uint8, count=end), starts)
    split = _parsed_apart(lines, pa.array(named))
    if split is None:
        table = _parsed(data, end, len(starts))
        del data, lines
        return _mixed_columns(table)
    nodes, children = split
    del lines
    if names != len(children) and _matches_not_plain(pa.py_buffer(data).slice(0, end)):
        raise _NotPlain  # as _parents_plain: a null __parentId somewhere
    del data
    piece = _Columns()
    piece.rows = len(starts)
    piece.is_child.append(named)
    for batch in _batches(nodes):
        for name, values in _node_columns(batch).items():
            piece.nodes.setdefault(name, []).append(values)
    del nodes
    for batch in _batches(children):
        for name, values in _child_columns(batch).items():
            piece.children.setdefault(name, []).append(values)
    return piece


def _scanned_columns(
    lines: int, is_address: bytes, customers: int, addresses: int, columns: list[tuple]
) -> _Columns:
    """The columns of a piece from what the scanner gave: the batch of each kind of line,
    under the schema that pyarrow parses it with, taken apart as pyarrow's batches are."""
    given = iter(columns)
    batches = [
        pa.RecordBatch.from_arrays(
            [_scanned_array(field.type, rows, next(given)) for field in schema], schema=schema
        )
        for schema, rows in ((_NODE_SCHEMA, customers), (_CHILD_SCHEMA, addresses))
    ]
    piece = _Columns()
    piece.rows = lines
    piece.is_child.append(np.frombuffer(is_address, dtype=bool))
    for name, values in _node_columns(batches[0]).items():
        piece.nodes.setdefault(name, []).append(values)
    for name, values in _child_columns(batches[1]).items():
        piece.children.setdefault(name, []).append(values)
    return piece


def _scanned_array(kind: pa.DataType, rows: int, parts: tuple) -> pa.Array:
    """An array of ``rows`` values of ``kind`` from the scanner's buffers of one field."""
    if pa.types.is_null(kind):
        return pa.nulls(rows)
    if pa.types.is_string(kind):
        return _scanned_texts(parts)
    valid, nulls, *rest = parts
    validity = None if valid is None else pa.py_buffer(valid)
    if pa.types.is_boolean(kind):
        return pa.Array.from_buffers(kind, rows, [validity, pa.py_buffer(rest[0])], nulls)
    if pa.types.is_struct(kind):
        children = [_scanned_texts(rest[0])]
        return pa.Array.from_buffers(kind, rows, [validity], nulls, children=children)
    offsets, items = rest  # a list of texts
    children = [_scanned_texts(items)]
    buffers = [validity, pa.py_buffer(offsets)]
    return pa.Array.from_buffers(kind, rows, buffers, nulls, children=children)


def _scanned_texts(parts: tuple) -> pa.Array:
    """A string array from the scanner's (values, validity bitmap or None, nulls, offsets,
    bytes)."""
    values, valid, nulls, offsets, data = parts
    validity = None if valid is None else pa.py_buffer(valid)
    buffers = [validity, pa.py_buffer(offsets), pa.py_buffer(data)]
    return pa.Array.from_buffers(_TEXT, values, buffers, nulls)


def _mixed_columns(table: pa.Table) -> _Columns:
    """The columns of a piece parsed whole under BULK_SCHEMA."""
    piece = _Columns()
    piece.rows = table.num_rows
    # a batch at a time, only what the frames keep: the file's table is never whole
    for batch in table.to_batches():
        child = pc.is_valid(batch.column("__parentId"))
        piece.is_child.append(child.to_numpy(zero_copy_only=False))
        # each kind of line filtered to the fields it is read for, not all the schema's
        customer_lines = batch.select(_NODE_FIELDS).filter(pc.invert(child))
        for name, values in _node_columns(customer_lines).items():
            piece.nodes.setdefault(name, []).append(values)
        del customer_lines
        address_lines = batch.select(_CHILD_FIELDS).filter(child)
        for name, values in _child_columns(address_lines).items():
            piece.children.setdefault(name, []).append(values)
        del batch, child, address_lines
    return piece


def _lines(data: bytes | bytearray, end: int, starts: np.ndarray) -> pa.Array:
    """The lines of ``data[:end]`` (each with its line break) as binary values, no copy."""
    offsets = np.empty(len(starts) + 1, dtype=np.int64)
    offsets[:-1], offsets[-1] = starts, end
    text = pa.py_buffer(data).slice(0, end)
    return pa.Array.from_buffers(
        pa.large_binary(), len(starts), [None, pa.py_buffer(offsets), text]
    )


def _named_lines(codes: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, int]:
    """Which lines (they start at ``starts``) have the bytes ``"__parentId"``, and how many
    times the bytes start there (two that share a quote both: never so in JSON, and never
    fewer than ``bytes.count`` finds). Looked for where the name's second byte is, '_', which
    few bytes of a file are."""
    key = np.frombuffer(_PARENT_KEY, dtype=np.uint8)
    at = np.flatnonzero(codes == key[1]) - 1
    at = at[(at >= 0) & (at <= len(codes) - len(key))]
    for step, byte in enumerate(key):
        at = at[codes[at + step] == byte]
    named = np.zeros(len(starts), dtype=bool)
    named[np.searchsorted(starts, at, side="right") - 1] = True
    return named, len(at)


def _parsed_apart(lines: pa.Array, named: pa.Array) -> tuple[pa.Table, pa.Table] | None:
    """The customer lines and the address lines (``named``) each parsed under its schema;
    None when Arrow reads a ``__parentId`` of a line without the name's bytes or none of a
    line with them; raises _NotPlain when a kind is not one row a line."""
    tables = []
    for schema, which, parents in ((_NODE_SCHEMA, pc.invert(named), 0), (_CHILD_SCHEMA, named, -1)):
        kind = lines.filter(which)
        table = _parsed_lines(kind, schema)
        if table.num_rows != len(kind):
            raise _NotPlain  # two objects on one line (a blank line the pieces never have)
        if table.column("__parentId").null_count != (len(kind) if parents == 0 else 0):
            return None
        tables.append(table)
    return tables[0], tables[1]


def _parsed_lines(lines: pa.Array, schema: pa.Schema) -> pa.Table:
    """Whole lines (``_lines``) parsed under ``schema``."""
    if len(lines) == 0:
        return schema.empty_table()
    _, offsets, text = lines.buffers()
    first, last = np.frombuffer(offsets, dtype=np.int64)[lines.offset :][[0, len(lines)]]
    return pj.read_json(
        pa.BufferReader(text.slice(int(first), int(last - first))),
        read_options=pj.ReadOptions(block_size=_BLOCK),
        parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
    )


def _batches(table: pa.Table) -> list[pa.RecordBatch]:
    """The table's batches, one empty batch for an empty table (its columns still built)."""
    return table.to_batches() or [
        pa.RecordBatch.from_arrays(
            [pa.array([], field.type) for field in table.schema], schema=table.schema
        )
    ]


def _parsed(data: bytes | bytearray, end: int, lines: int) -> pa.Table:
    """The piece ``data[:end]`` of ``lines`` lines parsed under BULK_SCHEMA; raises
    _NotPlain when it is not one row a line or has a null ``__parentId``."""
    table = pj.read_json(
        pa.BufferReader(pa.py_buffer(data).slice(0, end)),
        read_options=pj.ReadOptions(block_size=_BLOCK),
        parse_options=pj.ParseOptions(
            explicit_schema=BULK_SCHEMA, unexpected_field_behavior="ignore"
        ),
    )
    if table.num_rows != lines:
        raise _NotPlain  # two objects on one line (a blank line the pieces never have)
    parents = table.num_rows - table.column("__parentId").null_count
    if not _parents_plain(data, end, parents):
        raise _NotPlain
    return table


def _chunked(parts: dict[str, list[pa.Array]]) -> dict[str, pa.ChunkedArray]:
    """The columns of the batches, ``parts`` emptied."""
    columns = {name: pa.chunked_array(arrays) for name, arrays in parts.items()}
    parts.clear()
    return columns


# --------------------------------------------------------------------------------------------
# what makes a file plain


def _plain_pieces(path: Path, reuse: int = 0) -> Iterator[tuple[bytearray, int]]:
    """The file as pieces of whole lines, ``data[:end]`` (``_CHUNK`` bytes up to the last line
    break, more for a longer line; the last piece may end without one); raises _NotPlain for
    a byte order mark.

    With ``reuse``, the caller is done with a piece once it has asked for ``reuse`` more, and
    a piece is read into the memory of the one ``reuse`` before it: the kernel does not have
    to hand out (and zero) fresh pages for every piece."""
    done: deque[bytearray] = deque()  # the memory of the pieces handed out, the oldest first
    spare: bytearray | None = None
    with path.open("rb") as handle:
        if handle.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8:
            raise _NotPlain  # utf-8-sig: leave the BOM to the line reader
        handle.seek(0)
        size = _CHUNK
        while True:
            if spare is None or len(spare) < size:
                spare = bytearray(size)
            read = handle.readinto(memoryview(spare)[:size])
            if not read:
                return
            end = spare.rfind(b"\n", 0, read) + 1
            if not end and read == size:  # a line longer than a piece: read more at once
                handle.seek(-size, os.SEEK_CUR)
                size *= 2
                continue
            if end and end < read:  # the next piece starts with the line this one cut
                handle.seek(end - read, os.SEEK_CUR)
            else:
                end = read
            data, spare = spare, None
            yield data, end
            if reuse:
                done.append(data)
                if len(done) >= reuse:
                    spare = done.popleft()
            del data
            size = _CHUNK


def _plain_lines(data: bytes | bytearray, end: int) -> int | None:
    """The number of lines of ``data[:end]`` when ``_plain_line_starts`` finds them plain."""
    starts = _plain_line_starts(data, end)
    return None if starts is None else len(starts)


def _plain_line_starts(data: bytes | bytearray, end: int) -> np.ndarray | None:
    """Where the lines of ``data[:end]`` start (whole lines, the last one maybe without a line
    break) when they are UTF-8 with ``\\n`` line breaks only and every line starts with
    ``{``; else None.

    A line that does not start with ``{`` is blank, not an object, or one after spaces: all
    left to the line reader (Arrow takes a ``null`` line for an empty object, and crashes on
    one a piece starts with). The byte tests find every other place where ``_NOT_PLAIN``
    could match but a null ``__parentId`` (which ``_parents_plain`` checks once the piece is
    parsed); only when they find one is the regular expression run: they are what it says,
    in bytes, on text that is UTF-8."""
    text = pa.py_buffer(data).slice(0, end)
    if not _utf8(text):
        return None
    codes = np.frombuffer(text, dtype=np.uint8)
    breaks, other_controls = _line_breaks(codes)
    starts = np.concatenate([[0], breaks[breaks + 1 < end] + 1])
    if (codes[starts] != _OPEN_BRACE).any():
        return None
    candidate = other_controls or _multibyte_breaks(data, end, codes)
    if candidate and _matches_not_plain(text):
        return None
    return starts


def _utf8(text: pa.Buffer) -> bool:
    """Whether the bytes are UTF-8 (Arrow's full validation: what Python's decoder takes)."""
    offsets = pa.py_buffer(np.array([0, text.size], dtype=np.int64))
    try:
        pa.LargeStringArray.from_buffers(1, offsets, text).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _line_breaks(codes: np.ndarray) -> tuple[np.ndarray, bool]:
    """The positions of the ``\\n`` bytes, and whether there is a control byte other than
    ``\\n`` and tab (``\\r``, ``\\v``, ``\\f``, ``\\x1c``...: a line break, or a byte JSON
    refuses)."""
    breaks = []
    other_controls = False
    for start in range(0, len(codes), _SCAN):
        part = codes[start : start + _SCAN]
        at = np.flatnonzero(part < 0x20)
        kinds = part[at]
        feeds = kinds == _LINE_FEED
        other_controls = other_controls or bool((~feeds & (kinds != _TAB)).any())
        breaks.append(at[feeds] + start)
    return np.concatenate(breaks), other_controls


def _multibyte_breaks(data: bytes | bytearray, end: int, codes: np.ndarray) -> bool:
    """Whether ``data[:end]`` (UTF-8) has U+0085, U+2028 or U+2029: each is its bytes in UTF-8,
    looked for where its first byte is (memchr finds when there is none)."""
    for lead in sorted({encoded[0] for encoded in _MULTIBYTE_BREAKS}):
        if data.find(bytes([lead]), 0, end) < 0:
            continue
        at = np.flatnonzero(codes == lead)  # a lead byte: its continuation bytes follow it
        for encoded in _MULTIBYTE_BREAKS:
            if encoded[0] != lead:
                continue
            found = np.ones(len(at), dtype=bool)
            for step, byte in enumerate(encoded[1:], 1):
                found &= codes[at + step] == byte
            if found.any():
                return True
    return False


def _parents_plain(data: bytes | bytearray, end: int, parents: int) -> bool:
    """Whether no line of the parsed piece ``data[:end]`` has a null ``__parentId``, Arrow
    having read a text ``__parentId`` of ``parents`` lines.

    As many ``"__parentId"`` in the bytes as lines Arrow read a text ``__parentId`` of: each
    of those lines has one, so no other line has one, and where the name is, a text follows
    (in JSON Arrow took, no two of them overlap). Else the regular expression decides."""
    names = data.count(_PARENT_KEY, 0, end)
    return names == parents or not _matches_not_plain(pa.py_buffer(data).slice(0, end))


def _matches_not_plain(text: pa.Buffer) -> bool:
    """Whether ``_NOT_PLAIN`` matches somewhere in whole lines of the file (UTF-8)."""
    if text.size == 0:
        return False
    offsets = pa.py_buffer(np.array([0, text.size], dtype=np.int64))
    lines = pa.LargeStringArray.from_buffers(1, offsets, text)
    return bool(pc.match_substring_regex(lines, _NOT_PLAIN)[0].as_py())


# --------------------------------------------------------------------------------------------
# columns


def _field(table: pa.Table, name: str) -> pa.ChunkedArray:
    return table.column(name)


def _child(column: pa.ChunkedArray, name: str) -> pa.ChunkedArray:
    return pc.struct_field(column, name)


def _text(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Python's ``str(value).strip()`` with null as ''; ``values`` themselves when that
    changes none of them (no null, no value whose edge may be a space: no copy)."""
    if values.null_count:
        values = pc.fill_null(values, "")
    if isinstance(values, pa.Array) and not _edge_may_be_space(values):
        return values
    return pc.utf8_trim(values, _WHITESPACE)


def _edge_bytes() -> tuple[np.ndarray, np.ndarray]:
    """Which first bytes, and which last two bytes, a value that starts or ends with one of
    _WHITESPACE can have (in UTF-8)."""
    first = np.zeros(256, dtype=bool)
    last = np.zeros((256, 256), dtype=bool)
    for character in _WHITESPACE:
        encoded = character.encode()
        first[encoded[0]] = True
        if len(encoded) == 1:
            last[:, encoded[0]] = True
        else:
            last[encoded[-2], encoded[-1]] = True
    return first, last


_SPACE_FIRST, _SPACE_LAST = _edge_bytes()
_SPACE_FIRST_TABLE, _SPACE_LAST_TABLE = _SPACE_FIRST.tobytes(), _SPACE_LAST.tobytes()


def _edge_may_be_space(values: pa.Array) -> bool:
    """Whether a value (no nulls) may start or end with one of _WHITESPACE, by its first byte
    and its last two (one of another value for a value of one byte: only one byte decides
    then). True may be wrong, False is not."""
    offsets, data = offsets_and_bytes(values)
    if _bulk_scan is not None and offsets.dtype == np.int32:  # the same test in one pass of C
        return _bulk_scan.edge_may_be_space(offsets, data, _SPACE_FIRST_TABLE, _SPACE_LAST_TABLE)
    starts, ends = offsets[:-1], offsets[1:]
    filled = ends > starts
    if not filled.any():
        return False
    starts, ends = starts[filled], ends[filled] - 1
    if _SPACE_FIRST[data[starts]].any():
        return True
    return bool(_SPACE_LAST[data[np.maximum(ends - 1, 0)], data[ends]].any())


def _legacy_id(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """shopify_io.legacy_id: the text after the last '/', then before the first '?' of that.

    On the bytes ('/' and '?' are ASCII, so they are whole characters in UTF-8): a value's last
    '/' is the last of all the bytes' '/' before its end, the first '?' after it likewise."""
    if values.null_count:
        values = pc.fill_null(values, "")
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if len(values) == 0:
        return values
    offsets, data = offsets_and_bytes(values)
    starts, ends = offsets[:-1].astype(np.int64), offsets[1:].astype(np.int64)
    slashes = np.flatnonzero(data == ord("/"))
    last = np.searchsorted(slashes, ends) - 1  # the last '/' before the end
    slash = slashes[np.maximum(last, 0)] if len(slashes) else starts
    head = np.where((last >= 0) & (slash >= starts), slash + 1, starts)
    marks = np.flatnonzero(data == ord("?"))
    first = np.searchsorted(marks, head)  # the first '?' from the tail's start
    mark = marks[np.minimum(first, len(marks) - 1)] if len(marks) else ends
    tail = np.where((first < len(marks)) & (mark < ends), mark, ends)
    cut, rest = head - starts, ends - tail
    if (cut == cut[0]).all() and (rest == rest[0]).all():
        # the same cut in every id (e.g. gid://shopify/Customer/...): Arrow slices the bytes
        stop = -int(rest[0]) if rest[0] else int((ends - starts).max())
        return pc.binary_slice(values.view(pa.binary()), int(cut[0]), stop).view(_TEXT)
    return _slices(data, head, tail)


def _slices(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """The text of ``data[start:end]`` per row, as a string array (its bytes copied once)."""
    lengths = ends - starts
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    # each output byte's source: its row's start, plus how far into the row it is
    source = np.arange(offsets[-1], dtype=np.int64) + np.repeat(starts - offsets[:-1], lengths)
    return pa.StringArray.from_buffers(
        len(lengths),
        pa.py_buffer(offsets.astype(np.int32)),
        pa.py_buffer(data[source]),
    )


def _or(first: pa.ChunkedArray, second: pa.ChunkedArray) -> pa.ChunkedArray:
    """Python's ``first or second`` on text."""
    return pc.if_else(pc.not_equal(first, ""), first, second)


def _numbers(values: pa.ChunkedArray) -> np.ndarray | None:
    """shopify_io._numeric_id on ids already reduced to their tail (0 for not a number), or
    None when a tail is not ASCII or too long for 64 bits."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    if not pc.all(pc.string_is_ascii(values)).as_py():
        return None
    digits = pc.match_substring_regex(values, r"^[0-9]+$")
    if pc.max(pc.utf8_length(pc.if_else(digits, values, ""))).as_py() > 18:
        return None
    numbers = pc.cast(pc.if_else(digits, values, "0"), pa.int64())
    return numbers.to_numpy(zero_copy_only=False)


def _tags(column: pa.Array) -> pa.Array:
    """``",".join(tag.strip() for tag in tags)`` per row ('' for none), in Arrow."""
    if len(pc.list_flatten(column)) == 0:
        return pa.nulls(len(column), _TEXT).fill_null("")
    # the lists' offsets over their (whole) values, each tag trimmed, joined per list
    trimmed = pa.ListArray.from_arrays(column.offsets, _text(column.values), mask=column.is_null())
    return pc.fill_null(pc.binary_join(trimmed, ","), "")


def _upper(values: pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    """Python's ``str.upper`` (Arrow's when the text is ASCII, where they are the same)."""
    if len(values) == 0 or pc.all(pc.string_is_ascii(values)).as_py():
        return pc.utf8_upper(values)
    return pa.array([value.upper() for value in values.to_pylist()], _TEXT)


def _series(values: pa.ChunkedArray | pa.Array | np.ndarray, extra: int = 0) -> pd.Series:
    """Text as pandas' ``str`` (as a frame built from Python strings gets), ``extra`` missing
    values after it (the columns an unreadable line's row does not have)."""
    if isinstance(values, np.ndarray):
        if not extra:
            return pd.Series(values)
        array = np.empty(len(values) + extra, dtype=object)
        array[: len(values)] = values
        array[len(values) :] = np.nan
        return pd.Series(array)
    # pandas keeps text as large_string: the cast widens the offsets and shares the bytes,
    # so the bytes are copied once (into one chunk, when they are not in one already), not
    # once more by pandas
    values = pc.cast(values, pa.large_string())
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    if extra:
        chunks = [*chunks, pa.nulls(extra, pa.large_string())]
    return pd.Series(chunks[0] if len(chunks) == 1 else pa.concat_arrays(chunks), dtype=TEXT)


def _node_columns(nodes: pa.RecordBatch) -> dict[str, pa.Array]:
    """The customer columns of a batch's customer lines (``key`` is the shopify_id)."""
    legacy = pc.fill_null(nodes.column("legacyResourceId"), "")
    columns = {"key": _legacy_id(_or(legacy, pc.fill_null(nodes.column("id"), "")))}
    for column, field in CUSTOMER_NODE_FIELDS.items():
        outer, _, inner = field.partition(".")
        values = nodes.column(outer)
        if column == "tags":
            columns[column] = _tags(values)
        elif column in FLAG_COLUMNS:
            columns[column] = pc.fill_null(values, False)
        elif inner:  # e.g. defaultEmailAddress.emailAddress, else the older flat ``email``
            columns[column] = _or(_text(_child(values, inner)), _text(nodes.column(column)))
        else:
            columns[column] = _text(values)
    columns["default_address_id"] = _legacy_id(_text(_child(nodes.column("defaultAddress"), "id")))
    return columns


def _child_columns(children: pa.RecordBatch) -> dict[str, pa.Array]:
    """The address columns of a batch's address lines, with ``parent`` (its customer's key)
    and ``number`` (the id's tail, by which the addresses of a customer are ordered)."""
    ids = children.column("id")
    number = _legacy_id(ids)
    # legacy_id(str(id).strip()): the tail already cut, unless trimming changes the id
    trimmed = _text(ids)
    same = trimmed is ids or pc.all(pc.equal(trimmed, pc.fill_null(ids, ""))).as_py()
    columns = {
        "parent": _legacy_id(children.column("__parentId")),
        "number": number,
        "address_id": number if same is not False else _legacy_id(trimmed),
    }
    columns |= {column: _text(children.column(f)) for column, f in _ADDRESS_FIELDS.items()}
    code = _or(_text(children.column("countryCodeV2")), _text(children.column("countryCode")))
    columns["country_code"] = _upper(code)
    return columns


def _by_owner_then_number(owner: np.ndarray, numbers: np.ndarray) -> np.ndarray:
    """The positions that order the rows by owner, then by number, ties in file order (a
    stable lexsort): one stable sort of a combined integer key when the owners (all >= 0) and
    the numbers' span fit 63 bits, as they do for Shopify's ids."""
    if not len(owner):
        return np.zeros(0, dtype=np.int64)
    low, high = int(numbers.min()), int(numbers.max())
    span = high - low + 1
    if (int(owner.max()) + 1) * span >= 2**63:
        return np.lexsort((numbers, owner))
    return np.argsort(owner * np.int64(span) + (numbers - np.int64(low)), kind="stable")


def _frames(
    nodes: dict[str, pa.ChunkedArray],
    node_line: np.ndarray,
    children: dict[str, pa.ChunkedArray],
    child_line: np.ndarray,
) -> ShopifyCustomers | None:
    """The frames from the customer and address columns and their file lines."""
    if len(node_line) == 0:
        return None  # no customer at all: the line reader builds that frame

    # customers: the key a customer names itself by; a key read before is a problem
    key = nodes.pop("key").combine_chunks()
    named = pc.not_equal(key, "").to_numpy(zero_copy_only=False)
    first_of = first_positions(key)
    again = (first_of != np.arange(len(key))) & named
    broken_line: list[np.ndarray] = []
    broken_text: list[np.ndarray] = []
    if again.any():
        repeated = key.filter(pa.array(again)).to_pylist()
        firsts = node_line[first_of[again]]
        broken_line.append(node_line[again])
        broken_text.append(
            np.asarray(
                [
                    f"line {n}: customer {k} again (first read on line {f}); this line is not read"
                    for n, k, f in zip(node_line[again], repeated, firsts, strict=True)
                ],
                dtype=object,
            )
        )
        keep = pa.array(~again)
        nodes = {name: values.filter(keep) for name, values in nodes.items()}
        key = key.filter(keep)
        named = named[~again]

    # addresses: of a known customer, in address-id order within the customer
    named_positions = np.flatnonzero(named)
    parent = children.pop("parent")
    found = index_in(parent.combine_chunks(), key.filter(pa.array(named)))
    owner = np.full(len(found), -1, dtype=np.int64)  # -1: no such customer (maybe none named)
    owner[found >= 0] = named_positions[found[found >= 0]]
    unknown = owner < 0
    if unknown.any():
        broken_line.append(child_line[unknown])
        broken_text.append(
            np.asarray(
                [f"line {n}: address of an unknown customer" for n in child_line[unknown]],
                dtype=object,
            )
        )
    numbers = _numbers(children.pop("number"))
    if numbers is None:
        return None
    attached = np.flatnonzero(~unknown)
    order = attached[_by_owner_then_number(owner[attached], numbers[attached])]
    if not np.array_equal(order, np.arange(len(owner))):
        take = pa.array(order, pa.int64())
        # Arrow's take lets go of the GIL: the columns are reordered two at a time, each
        # let go of once reordered (not all held twice)
        children = each_in_two_threads(lambda name: children.pop(name).take(take), children)
        release_unused()
    owner = owner[order]
    # each address's place among its customer's: the owners are sorted, so it is the
    # distance to where its owner's run starts
    run_starts = np.flatnonzero(np.diff(owner, prepend=-2))
    run_lengths = np.diff(run_starts, append=len(owner))
    position = np.arange(len(owner)) - np.repeat(run_starts, run_lengths)

    default_id = nodes["default_address_id"]
    customers = {"shopify_id": key, **nodes}
    for flag in ("verified_email", "tax_exempt"):
        customers[flag] = nodes[flag].to_numpy(zero_copy_only=False).astype(bool)
    customers["record_error"] = pc.if_else(pc.not_equal(key, ""), "", "customer without id")
    problems = np.concatenate(broken_line) if broken_line else np.zeros(0, dtype=np.int64)
    texts = np.concatenate(broken_text) if broken_text else np.zeros(0, dtype=object)
    by_line = np.argsort(problems, kind="stable")
    problems, texts = problems[by_line], texts[by_line]
    extra = len(problems)
    nodes.clear()  # each column is let go of once pandas has it
    ends = {}
    if extra:
        ends["shopify_id"] = pa.array([f"line {n}" for n in problems], _TEXT)
        ends["record_error"] = pa.array(texts, _TEXT)

    def customer_series(name: str) -> pd.Series:
        values = customers.pop(name)  # let go of once pandas has its copy
        if name in ends:
            return _series(pa.chunked_array([values, ends[name]]))
        return _series(values, extra)

    customer_frame = _fill(
        pd.DataFrame(each_in_two_threads(customer_series, customers)), CUSTOMER_COLUMNS
    )
    release_unused()

    if len(owner) == 0:
        address_frame = _fill(pd.DataFrame([]), ADDRESS_COLUMNS)
        return ShopifyCustomers(customer_frame, address_frame)
    address_id = children.pop("address_id")
    owner_default = default_id.take(pa.array(owner, pa.int64()))
    owner_key = key.take(pa.array(owner, pa.int64()))
    is_default = pc.and_(pc.not_equal(owner_default, ""), pc.equal(address_id, owner_default))
    addresses = each_in_two_threads(lambda column: _series(children.pop(column)), children)
    addresses["address_id"] = _series(address_id)
    addresses["shopify_id"] = _series(owner_key)
    addresses["position"] = pd.Series(position)
    addresses["is_default"] = pd.Series(is_default.to_numpy(zero_copy_only=False), dtype=bool)
    return ShopifyCustomers(customer_frame, _fill(pd.DataFrame(addresses), ADDRESS_COLUMNS))
