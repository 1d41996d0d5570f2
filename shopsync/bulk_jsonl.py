"""Reading a bulk query's customer JSONL in Arrow: the same frames as the line-by-line reader.

``read_bulk_customers(path)`` streams the file through ``pyarrow.json`` under an explicit
schema (the bulk customer query's fields), so no line becomes a Python dict, reducing each
batch to the customer and address columns the frames keep (the file's table is never held
whole), then builds the frames column by column, in two passes as the line-by-line reader of
``shopsync.shopify_io`` (address lines may come before their customer); the lines are
checked first, in Arrow (UTF-8, then one RE2 pass for what makes a file not plain). It
returns ``None`` whenever it cannot prove that it reads the file exactly as that reader
does, and the caller then reads it line by line; so every record, every problem and its line
number are the same:

* a line that is not a JSON object of the expected shape (a value of another type, a list,
  a nested ``addressesV2``/``addresses`` connection, a ``"__parentId": null``, two values
  for one field, two objects on a line...), which Arrow refuses under the schema;
* blank lines, a line break other than ``\\n`` (``str.splitlines`` also breaks at ``\\r``,
  U+2028...), text that is not UTF-8, or a file that is not there;
* ids the reader orders by that do not fit in 64 bits or are not ASCII digits.

What it handles itself are the checks that need the whole file: a customer read twice (by
gid or number) and an address of an unknown customer, reported as the line-by-line reader
reports them.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from shopsync.schema import (
    ADDRESS_COLUMNS,
    CUSTOMER_COLUMNS,
    CUSTOMER_NODE_FIELDS,
    FLAG_COLUMNS,
)
from shopsync.schema import ADDRESS_NODE_FIELDS as _ADDRESS_FIELDS
from shopsync.schema import fill_columns as _fill
from shopsync.shopify_io import ShopifyCustomers

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
_CHUNK = 1 << 26
_BLOCK = 1 << 24


def read_bulk_customers(path: str | Path) -> ShopifyCustomers | None:
    """The customers of a bulk JSONL file read in Arrow, or None: read it line by line."""
    path = Path(path)
    lines = _plain_lines(path)
    if lines is None:
        return None
    nodes: dict[str, list[pa.Array]] = {}
    children: dict[str, list[pa.Array]] = {}
    is_child: list[np.ndarray] = []
    rows = 0
    try:
        batches = pj.open_json(
            path,
            read_options=pj.ReadOptions(block_size=_BLOCK),
            parse_options=pj.ParseOptions(
                explicit_schema=BULK_SCHEMA, unexpected_field_behavior="ignore"
            ),
        )
        # a batch at a time, only what the frames keep: the file's table is never whole
        for batch in batches:
            rows += batch.num_rows
            child = pc.is_valid(batch.column("__parentId"))
            is_child.append(child.to_numpy(zero_copy_only=False))
            # each kind of line filtered to the fields it is read for, not all the schema's
            customer_lines = batch.select(_NODE_FIELDS).filter(pc.invert(child))
            for name, values in _node_columns(customer_lines).items():
                nodes.setdefault(name, []).append(values)
            del customer_lines
            for name, values in _child_columns(batch.select(_CHILD_FIELDS).filter(child)).items():
                children.setdefault(name, []).append(values)
            del batch, child
    except (pa.ArrowException, OSError):
        return None
    if rows != lines or not rows:
        return None  # two objects on one line, or a line Arrow skipped
    child_rows = np.concatenate(is_child)
    line = np.arange(1, rows + 1)
    # handed over, not kept: _frames lets go of each column once it has its copy
    frames = _frames(_chunked(nodes), line[~child_rows], _chunked(children), line[child_rows])
    pa.default_memory_pool().release_unused()  # the batches' memory back to the system
    return frames


def _chunked(parts: dict[str, list[pa.Array]]) -> dict[str, pa.ChunkedArray]:
    """The columns of the batches, ``parts`` emptied."""
    columns = {name: pa.chunked_array(arrays) for name, arrays in parts.items()}
    parts.clear()
    return columns


def _plain_lines(path: Path) -> int | None:
    """The number of lines, when the file is UTF-8 with \\n line breaks only, no blank line
    and no null ``__parentId``; else None. Read ``_CHUNK`` bytes at a time, each checked in
    Arrow as whole lines (the part of a line a chunk ends with goes with the next one)."""
    lines = 0
    carry = b""  # the start of a line that the chunk before ended in
    before = b""  # the last whole line before it: a null __parentId may span two lines
    try:
        with path.open("rb") as handle:
            if handle.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8:
                return None  # utf-8-sig: leave the BOM to the line reader
            handle.seek(0)
            chunk = handle.read(_CHUNK)
            if not chunk:
                return None
            while chunk:
                end = chunk.rfind(b"\n") + 1
                if not end:
                    carry += chunk
                else:
                    # the seam: the line before, the one the chunk completes and the next
                    start = chunk.find(b"\n") + 1
                    seam = before + carry + chunk[: chunk.find(b"\n", start) + 1 or start]
                    if not _plain(pa.py_buffer(seam)):
                        return None
                    if not _plain(pa.py_buffer(chunk).slice(start, end - start)):
                        return None
                    lines += chunk.count(b"\n")
                    if end > start:
                        before = chunk[chunk.rfind(b"\n", 0, end - 1) + 1 : end]
                    else:
                        before = seam[seam.rfind(b"\n", 0, len(seam) - 1) + 1 :]
                    carry = chunk[end:]
                chunk = handle.read(_CHUNK)
    except OSError:
        return None
    if carry:  # the last line, without a line break
        if not _plain(pa.py_buffer(before + carry)):
            return None
        lines += 1
    return lines


def _plain(text: pa.Buffer) -> bool:
    """Whether whole lines of the file are UTF-8 and have nothing ``_NOT_PLAIN``."""
    if text.size == 0:
        return True
    offsets = pa.py_buffer(np.array([0, text.size], dtype=np.int64))
    lines = pa.LargeStringArray.from_buffers(1, offsets, text)
    try:
        lines.validate(full=True)  # UTF-8
    except pa.ArrowInvalid:
        return False
    return not pc.match_substring_regex(lines, _NOT_PLAIN)[0].as_py()


# --------------------------------------------------------------------------------------------
# columns


def _field(table: pa.Table, name: str) -> pa.ChunkedArray:
    return table.column(name)


def _child(column: pa.ChunkedArray, name: str) -> pa.ChunkedArray:
    return pc.struct_field(column, name)


def _text(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Python's ``str(value).strip()`` with null as ''."""
    return pc.utf8_trim(pc.fill_null(values, ""), _WHITESPACE)


def _legacy_id(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """shopify_io.legacy_id: the text after the last '/', before the first '?'."""
    values = pc.fill_null(values, "")
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if len(values) == 0:
        return values
    head = pc.list_element(pc.split_pattern(values, "?", max_splits=1), 0)
    parts = pc.split_pattern(head, "/", max_splits=1, reverse=True)
    last = parts.offsets.to_numpy()[1:] - 1  # every split has a part: take the last one
    return parts.values.take(pa.array(last, pa.int64()))


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
    """``",".join(tag.strip() for tag in tags)`` per row ('' for none)."""
    if len(pc.list_flatten(column)) == 0:
        return pa.array([""] * len(column), _TEXT)
    out = []
    for tags in column.to_pylist():
        out.append(",".join(("" if t is None else t).strip() for t in tags) if tags else "")
    return pa.array(out, _TEXT)


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
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if extra:
        values = pa.concat_arrays([values, pa.nulls(extra, _TEXT)])
    return pd.Series(values.to_pandas(), dtype="str")


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
    number = _legacy_id(children.column("id"))
    # legacy_id(str(id).strip()): the tail already cut, unless trimming changes the id
    trimmed = _text(children.column("id"))
    same = pc.all(pc.equal(trimmed, pc.fill_null(children.column("id"), ""))).as_py()
    columns = {
        "parent": _legacy_id(children.column("__parentId")),
        "number": number,
        "address_id": number if same is not False else _legacy_id(trimmed),
    }
    columns |= {column: _text(children.column(f)) for column, f in _ADDRESS_FIELDS.items()}
    code = _or(_text(children.column("countryCodeV2")), _text(children.column("countryCode")))
    columns["country_code"] = _upper(code)
    return columns


def _first_of_each(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Per value, the position where the same value first occurs, and whether it is there."""
    codes = pc.dictionary_encode(values).indices.to_numpy(zero_copy_only=False)
    _, first = np.unique(codes, return_index=True)
    first_of = first[codes]
    return first_of, first_of == np.arange(len(values))


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
    first_of, first = _first_of_each(key)
    again = ~first & named
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
    found = pc.index_in(parent, value_set=key.filter(pa.array(named)))
    found = pc.fill_null(found, -1).to_numpy(zero_copy_only=False)
    owner = np.where(found >= 0, named_positions[np.maximum(found, 0)], -1)
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
    order = attached[np.lexsort((numbers[attached], owner[attached]))]
    if not np.array_equal(order, np.arange(len(owner))):
        take = pa.array(order, pa.int64())
        children = {name: values.take(take) for name, values in children.items()}
    owner = owner[order]
    position = (
        pd.Series(owner).groupby(owner, sort=False).cumcount().to_numpy(dtype=np.int64)
        if len(owner)
        else np.zeros(0, dtype=np.int64)
    )

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
    frame = {}
    for name, values in customers.items():
        if name == "shopify_id" and extra:
            ids = np.concatenate(
                [
                    values.to_numpy(zero_copy_only=False).astype(object),
                    np.asarray([f"line {n}" for n in problems], dtype=object),
                ]
            )
            frame[name] = pd.Series(pa.array(ids, _TEXT).to_pandas(), dtype="str")
        elif name == "record_error" and extra:
            errors = np.concatenate([values.to_numpy(zero_copy_only=False).astype(object), texts])
            frame[name] = pd.Series(pa.array(errors, _TEXT).to_pandas(), dtype="str")
        else:
            frame[name] = _series(values, extra)
    customer_frame = _fill(pd.DataFrame(frame), CUSTOMER_COLUMNS)

    if len(owner) == 0:
        address_frame = _fill(pd.DataFrame([]), ADDRESS_COLUMNS)
        return ShopifyCustomers(customer_frame, address_frame)
    address_id = children.pop("address_id")
    owner_default = default_id.take(pa.array(owner, pa.int64()))
    owner_key = key.take(pa.array(owner, pa.int64()))
    is_default = pc.and_(pc.not_equal(owner_default, ""), pc.equal(address_id, owner_default))
    addresses = {column: _series(values) for column, values in children.items()}
    addresses["address_id"] = _series(address_id)
    addresses["shopify_id"] = _series(owner_key)
    addresses["position"] = pd.Series(position)
    addresses["is_default"] = pd.Series(is_default.to_numpy(zero_copy_only=False), dtype=bool)
    return ShopifyCustomers(customer_frame, _fill(pd.DataFrame(addresses), ADDRESS_COLUMNS))
