"""Shopify customers and orders from Admin API JSON (JSONL files, bulk exports, API nodes)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from shopsync.errors import InputFileError
from shopsync.schema import (
    ADDRESS_COLUMNS,
    ADDRESS_NODE_FIELDS,
    CUSTOMER_COLUMNS,
    CUSTOMER_NODE_FIELDS,
    FLAG_COLUMNS,
    ORDER_ADDRESS_KINDS,
    ORDER_COLUMNS,
    fill_columns,
)

__all__ = [
    "ShopifyCustomers",
    "customers_from_jsonl",
    "customers_from_nodes",
    "legacy_id",
    "orders_from_nodes",
    "parse_jsonl",
    "read_jsonl",
    "read_shopify_customers",
    "read_shopify_orders",
]


class ShopifyCustomers:
    """Shopify customers as two frames: one row per customer, one row per address."""

    def __init__(self, customers: pd.DataFrame, addresses: pd.DataFrame):
        self.customers = customers
        self.addresses = addresses

    def __len__(self) -> int:
        return len(self.customers)

    def __repr__(self) -> str:
        return f"ShopifyCustomers({len(self.customers)} customers, {len(self.addresses)} addresses)"


def legacy_id(gid: Any) -> str:
    """``gid://shopify/Customer/123`` (or ``.../MailingAddress/4?model_name=...``) -> ``123``."""
    text = "" if gid is None else str(gid)
    return text.rsplit("/", 1)[-1].split("?", 1)[0]


def read_jsonl(path: str | Path) -> list[tuple[int, dict[str, Any] | None, str]]:
    """Lines of a JSONL file as (line number, object or None, problem); blank lines skipped."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(str(path), "file not found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(str(path), f"not UTF-8 text ({exc.reason})") from None
    return parse_jsonl(text.splitlines())


def parse_jsonl(lines: Iterable[str]) -> list[tuple[int, dict[str, Any] | None, str]]:
    """(line number, object or None, problem) per non-blank line."""
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            rows.append((number, None, f"line {number} is not JSON: {exc.msg}"))
            continue
        except RecursionError:
            rows.append((number, None, f"line {number} is nested too deeply to read"))
            continue
        if not isinstance(value, dict):
            rows.append((number, None, f"line {number} is not a JSON object"))
            continue
        rows.append((number, value, ""))
    return rows


class _Malformed(Exception):
    """A value of a record is not of the shape the Admin API gives it."""


def read_shopify_customers(path: str | Path) -> ShopifyCustomers:
    """Customers from a JSONL file: nested ``addressesV2{nodes}`` lines, or a bulk export
    whose address lines carry ``__parentId`` (before or after their customer). A line that
    cannot be read — not JSON, the wrong shape, a customer already read — becomes a customer
    row with ``record_error`` set and ``shopify_id`` ``line N``, so no record disappears.

    A bulk export (no nested addresses) is read in Arrow by ``shopsync.bulk_jsonl``; a file it
    cannot prove it reads exactly as the line-by-line reader does (a line that is not a
    well-formed record of the expected shape, blank lines, other line breaks...) is read line
    by line, so the records and the problems reported are the same either way."""
    from shopsync.bulk_jsonl import read_bulk_customers

    fast = read_bulk_customers(path)
    if fast is not None:
        return fast
    return _customers_from_rows(read_jsonl(path))


def customers_from_jsonl(lines: Iterable[str]) -> ShopifyCustomers:
    """Customers from JSONL text lines (a bulk query's result, or a file's lines)."""
    return _customers_from_rows(parse_jsonl(lines))


def _customers_from_rows(rows: list[tuple[int, dict[str, Any] | None, str]]) -> ShopifyCustomers:
    nodes: list[tuple[int, dict[str, Any]]] = []
    first_line: dict[str, int] = {}
    children: list[tuple[int, dict[str, Any]]] = []
    broken: list[tuple[int, str]] = []
    for number, value, problem in rows:
        if value is None:
            broken.append((number, problem))
        elif "__parentId" in value:
            children.append((number, value))
        else:
            key = _customer_key(value)
            if key and key in first_line:
                broken.append(
                    (
                        number,
                        f"line {number}: customer {key} again (first read on line "
                        f"{first_line[key]}); this line is not read",
                    )
                )
                continue
            if key:
                first_line[key] = number
            nodes.append((number, dict(value)))
    by_key = {key: node for _, node in nodes if (key := _customer_key(node))}
    # lines of one customer in address-id order (creation order), whatever the file's order
    children.sort(key=lambda child: _numeric_id(child[1].get("id")))
    extra: dict[int, list[Any]] = {}  # id(node) -> its __parentId address lines
    for number, value in children:
        parent = by_key.get(
            legacy_id(value.get("__parentId")) if _is_text(value.get("__parentId")) else ""
        )
        if parent is None:
            broken.append((number, f"line {number}: address of an unknown customer"))
        else:
            extra.setdefault(id(parent), []).append(value)
    customers: list[dict[str, Any]] = []
    addresses: list[dict[str, Any]] = []
    for number, node in nodes:
        try:
            customer, rows_of = _customer_record(node, extra.get(id(node), []))
        except _Malformed as exc:
            broken.append((number, f"line {number}{_about(node)}: {exc}"))
            continue
        customers.append(customer)
        addresses.extend(rows_of)
    for number, problem in sorted(broken):
        customers.append({"shopify_id": f"line {number}", "record_error": problem})
    return _frames(customers, addresses)


def customers_from_nodes(nodes: Iterable[Mapping[str, Any]]) -> ShopifyCustomers:
    """Customer nodes in the Admin API shape -> ShopifyCustomers; a node of another shape is
    a row with ``record_error`` set (its id, or ``node N``), never an exception."""
    customers: list[dict[str, Any]] = []
    addresses: list[dict[str, Any]] = []
    for number, node in enumerate(nodes, 1):
        try:
            if not isinstance(node, Mapping):
                raise _Malformed(f"a {type(node).__name__}, not an object")
            customer, rows = _customer_record(node, [])
        except _Malformed as exc:
            key = _customer_key(node) if isinstance(node, Mapping) else ""
            customers.append(
                {"shopify_id": key or f"node {number}", "record_error": f"node {number}: {exc}"}
            )
            continue
        customers.append(customer)
        addresses.extend(rows)
    return _frames(customers, addresses)


def _frames(customers: list[dict[str, Any]], addresses: list[dict[str, Any]]) -> ShopifyCustomers:
    return ShopifyCustomers(
        fill_columns(pd.DataFrame(customers), CUSTOMER_COLUMNS),
        fill_columns(pd.DataFrame(addresses), ADDRESS_COLUMNS),
    )


def _customer_key(node: Mapping[str, Any]) -> str:
    """The numeric id a customer node names itself by ('' when it has none readable):
    ``gid://shopify/Customer/7``, ``"7"`` and ``7`` are the same customer."""
    value = node.get("legacyResourceId") or node.get("id")
    return legacy_id(value) if _is_text(value) else ""


def _about(node: Mapping[str, Any]) -> str:
    key = _customer_key(node)
    return f" (customer {key})" if key else ""


def _customer_record(
    node: Mapping[str, Any], extra_addresses: list[Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One customer row and its address rows; raises _Malformed for a value of the wrong shape."""
    shopify_id = _customer_key(node)
    _text(node.get("id"), "id")
    default_id = legacy_id(
        _text(_obj(node.get("defaultAddress"), "defaultAddress").get("id"), "defaultAddress.id")
    )
    objects = {outer: _obj(node.get(outer), outer) for outer in _NODE_OBJECTS}
    customer: dict[str, Any] = {"shopify_id": shopify_id}
    for column, field in CUSTOMER_NODE_FIELDS.items():
        customer[column] = _customer_value(node, objects, column, field)
    customer["default_address_id"] = default_id
    customer["record_error"] = "" if shopify_id else "customer without id"
    raw = node.get("addressesV2")
    if raw is not None:
        connection = _obj(raw, "addressesV2")
        if "nodes" in connection:
            raw_addresses = _list(connection.get("nodes"), "addressesV2.nodes")
        else:
            edges = _list(connection.get("edges"), "addressesV2.edges")
            raw_addresses = [_obj(edge, "addressesV2.edges[]").get("node") for edge in edges]
    else:
        raw_addresses = _list(node.get("addresses"), "addresses")
    rows = []
    for position, address in enumerate([*raw_addresses, *extra_addresses]):
        if not isinstance(address, Mapping):
            raise _Malformed(f"address {position + 1} is {_kind(address)}, not an object")
        row = _address(address)
        address_id = legacy_id(_text(address.get("id"), "address id"))
        row.update(
            address_id=address_id,
            shopify_id=shopify_id,
            position=position,
            is_default=bool(default_id) and address_id == default_id,
        )
        rows.append(row)
    return customer, rows


# the objects a dotted field of CUSTOMER_NODE_FIELDS is read from, checked in the map's order
_NODE_OBJECTS = tuple(
    dict.fromkeys(field.split(".")[0] for field in CUSTOMER_NODE_FIELDS.values() if "." in field)
)


def _customer_value(
    node: Mapping[str, Any], objects: Mapping[str, Mapping[str, Any]], column: str, field: str
) -> Any:
    """One customer column's value read from ``field`` (schema.CUSTOMER_NODE_FIELDS)."""
    if column == "tags":
        return ",".join(_tags(node.get(field)))
    if column in FLAG_COLUMNS:
        return _flag(node.get(field), field)
    if "." in field:  # e.g. defaultEmailAddress.emailAddress, else the older flat ``email``
        outer, inner = field.split(".", 1)
        return _text(objects[outer].get(inner), field) or _text(node.get(column), column)
    return _text(node.get(field), field)


def read_shopify_orders(path: str | Path) -> pd.DataFrame:
    """Orders from a JSONL file (one Order object a line) -> one row per order; a line that
    cannot be read (not JSON, the wrong shape, an order already read) is a row with
    ``record_error`` set and ``order_id`` ``line N``."""
    rows, broken = [], []
    first_line: dict[str, int] = {}
    for number, value, problem in read_jsonl(path):
        if value is None:
            broken.append({"order_id": f"line {number}", "record_error": problem})
            continue
        key = _customer_key(value)
        if key and key in first_line:
            broken.append(
                {
                    "order_id": f"line {number}",
                    "record_error": f"line {number}: order {key} again (first read on line "
                    f"{first_line[key]}); this line is not read",
                }
            )
            continue
        if key:
            first_line[key] = number
        try:
            rows.append(_order_record(value))
        except _Malformed as exc:
            about = f" (order {key})" if key else ""
            broken.append(
                {"order_id": f"line {number}", "record_error": f"line {number}{about}: {exc}"}
            )
    return fill_columns(pd.DataFrame(rows + broken), ORDER_COLUMNS)


def orders_from_nodes(nodes: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Order nodes in the Admin API shape -> one row per order with flattened addresses; a
    node of another shape is a row with ``record_error`` set, never an exception."""
    rows = []
    for number, node in enumerate(nodes, 1):
        try:
            if not isinstance(node, Mapping):
                raise _Malformed(f"a {type(node).__name__}, not an object")
            rows.append(_order_record(node))
        except _Malformed as exc:
            key = _customer_key(node) if isinstance(node, Mapping) else ""
            rows.append(
                {"order_id": key or f"node {number}", "record_error": f"node {number}: {exc}"}
            )
    return fill_columns(pd.DataFrame(rows), ORDER_COLUMNS)


def _order_record(node: Mapping[str, Any]) -> dict[str, Any]:
    _text(node.get("id"), "id")
    customer = _obj(node.get("customer"), "customer")
    row = {
        "order_id": _customer_key(node),
        "name": _text(node.get("name"), "name"),
        "created_at": _text(node.get("createdAt"), "createdAt"),
        "shopify_id": legacy_id(_text(customer.get("id"), "customer.id")),
        "email": _text(node.get("email"), "email"),
        "phone": _text(node.get("phone"), "phone"),
        "source_name": _text(node.get("sourceName"), "sourceName"),
        "record_error": "",
    }
    for kind, key in ORDER_ADDRESS_KINDS.items():
        for field, value in _address(_obj(node.get(key), key)).items():
            row[f"{kind}_{field}"] = value
    return row


def _address(address: Mapping[str, Any]) -> dict[str, str]:
    row = {column: _text(address.get(key), key) for column, key in ADDRESS_NODE_FIELDS.items()}
    code = _text(address.get("countryCodeV2"), "countryCodeV2") or _text(
        address.get("countryCode"), "countryCode"
    )
    row["country_code"] = code.upper()
    return row


_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _is_text(value: Any) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)


def _text(value: Any, where: str) -> str:
    """A scalar as stripped text ('' for null); an object or a list is _Malformed."""
    if value is None:
        return ""
    if isinstance(value, (str, int, float, bool)):
        return str(value).strip()
    raise _Malformed(f"{where} is {_kind(value)}, not a text value")


def _obj(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return _EMPTY
    if isinstance(value, Mapping):
        return value
    raise _Malformed(f"{where} is {_kind(value)}, not an object")


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    raise _Malformed(f"{where} is {_kind(value)}, not a list")


def _flag(value: Any, where: str) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    raise _Malformed(f"{where} is {_kind(value)}, not true or false")


def _tags(value: Any) -> list[str]:
    """Tags as the Admin API's list of strings (or the REST API's comma-separated text)."""
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    return [_text(tag, "tags[]") for tag in _list(value, "tags")]


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "text", type(None): "null"}
    return names.get(type(value), f"a {type(value).__name__}")


def _numeric_id(gid: Any) -> int:
    """An address's number, for ordering (0 for what is not an id)."""
    tail = legacy_id(gid) if _is_text(gid) else ""
    return int(tail) if tail.isdigit() else 0
