"""Shopify customers and orders from Admin API JSON (JSONL files, bulk exports, API nodes)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from shopsync.errors import InputFileError

__all__ = [
    "ADDRESS_COLUMNS",
    "CUSTOMER_COLUMNS",
    "ORDER_COLUMNS",
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

CUSTOMER_COLUMNS = [
    "shopify_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "state",
    "tags",
    "note",
    "verified_email",
    "tax_exempt",
    "created_at",
    "updated_at",
    "default_address_id",
    "record_error",
]

ADDRESS_COLUMNS = [
    "address_id",
    "shopify_id",
    "position",
    "is_default",
    "company",
    "first_name",
    "last_name",
    "address1",
    "address2",
    "zip",
    "city",
    "country_code",
    "country_name",
    "province_code",
    "province_name",
    "phone",
]

_ADDRESS_FIELDS = {
    "company": "company",
    "first_name": "firstName",
    "last_name": "lastName",
    "address1": "address1",
    "address2": "address2",
    "zip": "zip",
    "city": "city",
    "country_name": "country",
    "province_code": "provinceCode",
    "province_name": "province",
    "phone": "phone",
}

ORDER_ADDRESS_KINDS = {
    "bill": "billingAddress",
    "ship": "shippingAddress",
    "display": "displayAddress",
}
ORDER_COLUMNS = [
    "order_id",
    "name",
    "created_at",
    "shopify_id",
    "email",
    "phone",
    "source_name",
    "record_error",
] + [f"{kind}_{field}" for kind in ORDER_ADDRESS_KINDS for field in ADDRESS_COLUMNS[4:]]


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
        if not isinstance(value, dict):
            rows.append((number, None, f"line {number} is not a JSON object"))
            continue
        rows.append((number, value, ""))
    return rows


def read_shopify_customers(path: str | Path) -> ShopifyCustomers:
    """Customers from a JSONL file: nested ``addressesV2{nodes}`` lines, or a bulk export
    whose address lines carry ``__parentId``. An unreadable line becomes a customer row
    with ``record_error`` set, so no record disappears."""
    return _customers_from_rows(read_jsonl(path))


def customers_from_jsonl(lines: Iterable[str]) -> ShopifyCustomers:
    """Customers from JSONL text lines (a bulk query's result, or a file's lines)."""
    return _customers_from_rows(parse_jsonl(lines))


def _customers_from_rows(rows: list[tuple[int, dict[str, Any] | None, str]]) -> ShopifyCustomers:
    # Two passes: a bulk query's output is not grouped (API 2026-07), so an address line
    # (``__parentId``) may come before its customer's line.
    nodes: list[dict[str, Any]] = []
    by_gid: dict[str, dict[str, Any]] = {}
    broken: list[tuple[int, str]] = []
    children: list[tuple[int, dict[str, Any]]] = []
    for number, value, problem in rows:
        if value is None:
            broken.append((number, problem))
        elif "__parentId" in value:
            children.append((number, value))
        else:
            node = dict(value)
            nodes.append(node)
            by_gid[str(node.get("id", ""))] = node
    # Lines of one customer in address-id order (creation order), whatever the file's order.
    children.sort(key=lambda child: _numeric_id(child[1].get("id")))
    for number, value in children:
        parent = by_gid.get(value["__parentId"])
        if parent is None:
            broken.append((number, f"line {number}: address of an unknown customer"))
            continue
        parent.setdefault("addressesV2", {}).setdefault("nodes", []).append(value)
    result = customers_from_nodes(nodes)
    if broken:
        extra = pd.DataFrame(
            [{"shopify_id": f"line {n}", "record_error": problem} for n, problem in broken]
        )
        customers = pd.concat([result.customers, extra], ignore_index=True)
        result = ShopifyCustomers(_fill(customers, CUSTOMER_COLUMNS), result.addresses)
    return result


def customers_from_nodes(nodes: Iterable[Mapping[str, Any]]) -> ShopifyCustomers:
    """Customer nodes in the Admin API shape -> ShopifyCustomers."""
    customers: list[dict[str, Any]] = []
    addresses: list[dict[str, Any]] = []
    for node in nodes:
        shopify_id = str(node.get("legacyResourceId") or legacy_id(node.get("id")))
        default_id = legacy_id((node.get("defaultAddress") or {}).get("id"))
        problem = "" if shopify_id else "customer without id"
        customers.append(
            {
                "shopify_id": shopify_id,
                "first_name": _s(node.get("firstName")),
                "last_name": _s(node.get("lastName")),
                "email": _s((node.get("defaultEmailAddress") or {}).get("emailAddress"))
                or _s(node.get("email")),
                "phone": _s((node.get("defaultPhoneNumber") or {}).get("phoneNumber"))
                or _s(node.get("phone")),
                "state": _s(node.get("state")),
                "tags": ",".join(node.get("tags") or []),
                "note": _s(node.get("note")),
                "verified_email": bool(node.get("verifiedEmail")),
                "tax_exempt": bool(node.get("taxExempt")),
                "created_at": _s(node.get("createdAt")),
                "updated_at": _s(node.get("updatedAt")),
                "default_address_id": default_id,
                "record_error": problem,
            }
        )
        raw_addresses = node.get("addressesV2") or {}
        if isinstance(raw_addresses, Mapping):
            raw_addresses = raw_addresses.get("nodes") or [
                edge.get("node", {}) for edge in raw_addresses.get("edges") or []
            ]
        raw_addresses = list(raw_addresses or node.get("addresses") or [])
        for position, address in enumerate(raw_addresses):
            row = _address(address)
            row.update(
                address_id=legacy_id(address.get("id")),
                shopify_id=shopify_id,
                position=position,
                is_default=bool(default_id) and legacy_id(address.get("id")) == default_id,
            )
            addresses.append(row)
    return ShopifyCustomers(
        _fill(pd.DataFrame(customers), CUSTOMER_COLUMNS),
        _fill(pd.DataFrame(addresses), ADDRESS_COLUMNS),
    )


def read_shopify_orders(path: str | Path) -> pd.DataFrame:
    """Orders from a JSONL file (one Order object a line) -> one row per order."""
    nodes, broken = [], []
    for number, value, problem in read_jsonl(path):
        if value is None:
            broken.append({"order_id": f"line {number}", "record_error": problem})
        else:
            nodes.append(value)
    orders = orders_from_nodes(nodes)
    if broken:
        orders = _fill(pd.concat([orders, pd.DataFrame(broken)], ignore_index=True), ORDER_COLUMNS)
    return orders


def orders_from_nodes(nodes: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Order nodes in the Admin API shape -> one row per order with flattened addresses."""
    rows = []
    for node in nodes:
        row = {
            "order_id": str(node.get("legacyResourceId") or legacy_id(node.get("id"))),
            "name": _s(node.get("name")),
            "created_at": _s(node.get("createdAt")),
            "shopify_id": legacy_id((node.get("customer") or {}).get("id")),
            "email": _s(node.get("email")),
            "phone": _s(node.get("phone")),
            "source_name": _s(node.get("sourceName")),
            "record_error": "",
        }
        for kind, key in ORDER_ADDRESS_KINDS.items():
            for field, value in _address(node.get(key) or {}).items():
                row[f"{kind}_{field}"] = value
        rows.append(row)
    return _fill(pd.DataFrame(rows), ORDER_COLUMNS)


def _address(address: Mapping[str, Any]) -> dict[str, str]:
    row = {column: _s(address.get(key)) for column, key in _ADDRESS_FIELDS.items()}
    row["country_code"] = _s(address.get("countryCodeV2") or address.get("countryCode")).upper()
    return row


def _numeric_id(gid: Any) -> int:
    tail = legacy_id(gid)
    return int(tail) if tail.isdigit() else 0


def _s(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _fill(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` with exactly ``columns``: missing ones blank (False for flags)."""
    for column in columns:
        if column not in frame.columns:
            flag = column in ("verified_email", "tax_exempt", "is_default")
            frame[column] = False if flag else (0 if column == "position" else "")
        elif frame[column].dtype == object:
            frame[column] = frame[column].fillna("")
    return frame[columns].reset_index(drop=True)
