"""Reading a bulk query's customer JSONL in Arrow: the same frames as the line-by-line reader.

``read_bulk_customers(path)`` reads the file with ``pyarrow.json`` under an explicit schema
(the bulk customer query's fields), so no line becomes a Python dict, and builds the
customer and address frames column by column, in two passes as the line-by-line reader of
``shopsync.shopify_io`` (address lines may come before their customer). It returns ``None``
whenever it cannot prove that it reads the file exactly as that reader does, and the caller
then reads it line by line; so every record, every problem and its line number are the same:

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
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from shopsync.schema import ADDRESS_COLUMNS, CUSTOMER_COLUMNS
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
# the line breaks str.splitlines() knows besides \n
_OTHER_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_NULL_PARENT = re.compile(rb'"__parentId"\s*:\s*null')
_BLANK_LINE = re.compile(rb"\n[ \t]*\n")
_CHUNK = 1 << 26
_BLOCK = 1 << 24


def read_bulk_customers(path: str | Path) -> ShopifyCustomers | None:
    """The customers of a bulk JSONL file read in Arrow, or None: read it line by line."""
    path = Path(path)
    lines = _plain_lines(path)
    if lines is None:
        return None
    try:
        table = pj.read_json(
            path,
            read_options=pj.ReadOptions(block_size=_BLOCK),
            parse_options=pj.ParseOptions(
                explicit_schema=BULK_SCHEMA, unexpected_field_behavior="ignore"
            ),
        )
    except (pa.ArrowException, OSError):
        return None
    if table.num_rows != lines:
        return None  # two objects on one line, or a line Arrow skipped
    return _frames(table)


def _plain_lines(path: Path) -> int | None:
    """The number of lines, when the file is UTF-8 with \\n line breaks only, no blank line
    and no null ``__parentId``; else None."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    tail = b"\n"  # a blank first line counts as blank
    last = b""
    try:
        with path.open("rb") as handle:
            first = True
            while chunk := handle.read(_CHUNK):
                if first and chunk.startswith(codecs.BOM_UTF8):
                    return None  # utf-8-sig: leave the BOM to the line reader
                first = False
                text = decoder.decode(chunk)
                if any(mark in text for mark in _OTHER_BREAKS):
                    return None
                del text
                window = tail + chunk
                if _NULL_PARENT.search(window) or _BLANK_LINE.search(window):
                    return None
                lines += chunk.count(b"\n")
                tail = window[-64:]
                last = chunk
            decoder.decode(b"", final=True)
    except (OSError, UnicodeDecodeError):
        return None
    if not last:
        return None
    if not last.endswith(b"\n"):
        lines += 1
    elif re.search(rb"\n[ \t]+\n?$", tail) or tail.endswith(b"\n\n"):
        return None
    return lines


# --------------------------------------------------------------------------------------------
# columns


def _field(table: pa.Table, name: str) -> pa.ChunkedArray:
    return table.column(name)


def _child(column: pa.ChunkedArray, name: str) -> pa.ChunkedArray:
    return pc.struct_field(column, name)


def _text(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Python's ``str(value).strip()`` with null as ''."""
    return pc.utf8_trim(pc.fill_null(values, ""), _WHITESPACE)


def _legacy_id(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """shopify_io.legacy_id: the text after the last '/', before the first '?'."""
    tail = pc.replace_substring_regex(pc.fill_null(values, ""), r"(?s)^.*/", "")
    return pc.replace_substring_regex(tail, r"(?s)\?.*$", "")


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


def _tags(column: pa.ChunkedArray) -> pa.Array:
    """``",".join(tag.strip() for tag in tags)`` per row ('' for none)."""
    column = column.combine_chunks()
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


def _frames(table: pa.Table) -> ShopifyCustomers | None:
    line = np.arange(1, table.num_rows + 1)
    parent_raw = _field(table, "__parentId")
    is_child = pc.is_valid(parent_raw).to_numpy(zero_copy_only=False)
    nodes = table.filter(pc.invert(pc.is_valid(parent_raw)))
    children = table.filter(pc.is_valid(parent_raw))
    node_line = line[~is_child]
    child_line = line[is_child]
    if nodes.num_rows == 0:
        return None  # no customer at all: the line reader builds that frame

    # customers: the key a customer names itself by; a key read before is a problem
    legacy = pc.fill_null(_field(nodes, "legacyResourceId"), "")
    key = _legacy_id(_or(legacy, pc.fill_null(_field(nodes, "id"), "")))
    keys = pd.Series(key.to_numpy(zero_copy_only=False), dtype=object)
    named = (keys != "").to_numpy()
    again = (keys.duplicated(keep="first") & named).to_numpy()
    first_line = pd.Series(node_line[named & ~again], index=keys[named & ~again].to_numpy())
    broken_line: list[np.ndarray] = []
    broken_text: list[np.ndarray] = []
    if again.any():
        repeated = keys[again].to_numpy()
        firsts = first_line.reindex(repeated).to_numpy()
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
    keep = ~again
    nodes = nodes.filter(pa.array(keep))
    key = key.filter(pa.array(keep))
    good_keys = keys[keep].reset_index(drop=True)

    # addresses: of a known customer, in address-id order within the customer
    parent = _legacy_id(parent_raw.filter(pc.is_valid(parent_raw)))
    parent_keys = pd.Series(parent.to_numpy(zero_copy_only=False), dtype=object)
    named_positions = np.flatnonzero((good_keys != "").to_numpy())
    position_of = pd.Index(good_keys.to_numpy()[named_positions])
    found = position_of.get_indexer(parent_keys.to_numpy())
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
    numbers = _numbers(_legacy_id(_field(children, "id")))
    if numbers is None:
        return None
    attached = np.flatnonzero(~unknown)
    order = attached[np.lexsort((numbers[attached], owner[attached]))]
    children = children.take(pa.array(order, pa.int64()))
    owner = owner[order]
    position = (
        pd.Series(owner).groupby(owner, sort=False).cumcount().to_numpy(dtype=np.int64)
        if len(owner)
        else np.zeros(0, dtype=np.int64)
    )

    default_id = _legacy_id(_text(_child(_field(nodes, "defaultAddress"), "id")))
    customers = {
        "shopify_id": key,
        "first_name": _text(_field(nodes, "firstName")),
        "last_name": _text(_field(nodes, "lastName")),
        "email": _or(
            _text(_child(_field(nodes, "defaultEmailAddress"), "emailAddress")),
            _text(_field(nodes, "email")),
        ),
        "phone": _or(
            _text(_child(_field(nodes, "defaultPhoneNumber"), "phoneNumber")),
            _text(_field(nodes, "phone")),
        ),
        "state": _text(_field(nodes, "state")),
        "tags": _tags(_field(nodes, "tags")),
        "note": _text(_field(nodes, "note")),
        "verified_email": _flags(nodes, "verifiedEmail"),
        "tax_exempt": _flags(nodes, "taxExempt"),
        "created_at": _text(_field(nodes, "createdAt")),
        "updated_at": _text(_field(nodes, "updatedAt")),
        "default_address_id": default_id,
        "record_error": pc.if_else(pc.not_equal(key, ""), "", "customer without id"),
    }
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

    if children.num_rows == 0:
        address_frame = _fill(pd.DataFrame([]), ADDRESS_COLUMNS)
        return ShopifyCustomers(customer_frame, address_frame)
    address_id = _legacy_id(_text(_field(children, "id")))
    owner_default = default_id.take(pa.array(owner, pa.int64()))
    owner_key = key.take(pa.array(owner, pa.int64()))
    is_default = pc.and_(pc.not_equal(owner_default, ""), pc.equal(address_id, owner_default))
    addresses = {
        column: _series(_text(_field(children, f))) for column, f in _ADDRESS_FIELDS.items()
    }
    code = _or(_text(_field(children, "countryCodeV2")), _text(_field(children, "countryCode")))
    addresses["country_code"] = _series(_upper(code))
    addresses["address_id"] = _series(address_id)
    addresses["shopify_id"] = _series(owner_key)
    addresses["position"] = pd.Series(position)
    addresses["is_default"] = pd.Series(is_default.to_numpy(zero_copy_only=False), dtype=bool)
    return ShopifyCustomers(customer_frame, _fill(pd.DataFrame(addresses), ADDRESS_COLUMNS))


def _flags(table: pa.Table, name: str) -> np.ndarray:
    return pc.fill_null(_field(table, name), False).to_numpy(zero_copy_only=False).astype(bool)
