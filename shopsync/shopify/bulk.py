"""Bulk operations: run a bulk query into DataFrames, run a bulk mutation from staged JSONL."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from shopsync.errors import ProtectedDataRefused, ShopifyRefused, ShopifyUnavailable
from shopsync.shopify import queries
from shopsync.shopify.client import MutationResult, ResultUrlExpired, ShopifyClient
from shopsync.shopify_io import ShopifyCustomers, customers_from_jsonl, customers_from_nodes

__all__ = [
    "CHANGED_BULK_THRESHOLD",
    "bulk_customers",
    "changed_customers",
    "run_bulk_mutation",
    "run_bulk_query",
    "updated_since",
    "wait_for_bulk_operation",
]

#: From this many changed customers on, a delta is read by a filtered bulk query instead of
#: pages: far below the 25,000 objects one query's pagination reaches, and cheaper in points.
CHANGED_BULK_THRESHOLD = 5_000

_FINISHED = {"COMPLETED", "FAILED", "CANCELED", "EXPIRED"}
#: A start refused because operations are running: ours (OPERATION_IN_PROGRESS, at most 5
#: per shop in 2026-07) or the shop's limit (LIMIT_REACHED). Both mean: wait, try again.
_BUSY_CODES = {"OPERATION_IN_PROGRESS", "LIMIT_REACHED"}
#: How many fresh result URLs to ask for when one has expired before giving up.
_FRESH_URLS = 3


def wait_for_bulk_operation(
    client: ShopifyClient,
    operation_id: str,
    *,
    poll: float | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Poll one bulk operation until it finishes; returns its last state. ``poll`` and
    ``timeout`` default to the client's ``bulk_poll`` and ``bulk_timeout`` settings."""
    poll = client.bulk_poll if poll is None else poll
    timeout = client.bulk_timeout if timeout is None else timeout
    waited = 0.0
    while True:
        state = client.execute(queries.BULK_OPERATION, {"id": operation_id})["bulkOperation"]
        if state is None:
            raise ShopifyRefused("bulkOperation", f"no bulk operation {operation_id}")
        if state["status"] in _FINISHED:
            return state
        if waited >= timeout:
            raise ShopifyUnavailable("bulkOperation", f"{operation_id} still {state['status']}")
        client.wait(poll)
        waited += poll


def _start(
    client: ShopifyClient,
    document: str,
    variables: Mapping[str, Any],
    key: str,
    kind: str,
    *,
    poll: float,
) -> dict[str, Any]:
    """Start a bulk operation; while Shopify refuses because others run, wait and try again
    (up to the client's ``bulk_timeout``)."""
    waited = 0.0
    while True:
        payload = client.execute(document, variables)[key]
        errors = payload.get("userErrors") or []
        if not errors:
            return payload["bulkOperation"]
        message = "; ".join(e.get("message", "") for e in errors)
        if not any(e.get("code") in _BUSY_CODES for e in errors):
            raise ShopifyRefused(key, message)
        if waited >= client.bulk_timeout:
            raise ShopifyUnavailable(key, f"still refused after {waited:.0f} s: {message}")
        current = client.execute(queries.CURRENT_BULK_OPERATION, {"type": kind})
        running = current.get("currentBulkOperation")
        if running and running["status"] not in _FINISHED:
            started = client.stats.waited_seconds
            wait_for_bulk_operation(client, running["id"], poll=poll)
            waited += client.stats.waited_seconds - started
        else:
            client.wait(poll)
            waited += poll


def _finished(client: ShopifyClient, operation_id: str, key: str, poll: float) -> dict[str, Any]:
    """The finished state of a bulk operation; a query refused protected customer data
    stops the run (ProtectedDataRefused), never a retry."""
    state = wait_for_bulk_operation(client, operation_id, poll=poll)
    if state.get("errorCode") == "ACCESS_DENIED":
        raise ProtectedDataRefused(key, f"bulk operation {operation_id} failed ACCESS_DENIED")
    return state


def _result_lines(
    client: ShopifyClient, state: dict[str, Any], *, partial: bool, poll: float
) -> list[str]:
    """The result file's lines ([] when there is none). An expired URL is replaced by the
    fresh one a new read of the operation gives."""
    for _ in range(_FRESH_URLS):
        url = state.get("url") or (state.get("partialDataUrl") if partial else None)
        if not url:
            return []
        try:
            return list(client.download(url))
        except ResultUrlExpired:
            state = wait_for_bulk_operation(client, state["id"], poll=poll)
    raise ShopifyUnavailable("download", f"no working result URL for {state['id']}")


def run_bulk_query(client: ShopifyClient, query: str, *, poll: float | None = None) -> list[str]:
    """Run a bulk query and return the JSONL lines of its result ([] when nothing matched).

    The lines are in no particular order (API 2026-07 does not group them): a child line
    (``__parentId``) may come before its parent's.
    """
    poll = client.bulk_poll if poll is None else poll
    operation = _start(
        client,
        queries.BULK_RUN_QUERY,
        {"query": query},
        "bulkOperationRunQuery",
        "QUERY",
        poll=poll,
    )
    state = _finished(client, operation["id"], "bulkOperationRunQuery", poll)
    if state["status"] != "COMPLETED":
        raise ShopifyUnavailable(
            "bulkOperationRunQuery", f"bulk query {state['status']} ({state.get('errorCode')})"
        )
    return _result_lines(client, state, partial=False, poll=poll)


def bulk_customers(client: ShopifyClient, *, poll: float | None = None) -> ShopifyCustomers:
    """Every customer with its addresses, through one bulk query, in customer id order."""
    return _in_id_order(run_bulk_query(client, queries.BULK_CUSTOMERS_QUERY, poll=poll))


def _in_id_order(lines: list[str]) -> ShopifyCustomers:
    """A bulk result's customers in id order (the file's own order is not guaranteed, so two
    runs over the same customers give the same frames); unreadable lines last."""
    result = customers_from_jsonl(lines)

    def ordered(frame: pd.DataFrame) -> pd.DataFrame:
        key = pd.to_numeric(frame["shopify_id"], errors="coerce")
        order = key.sort_values(kind="stable", na_position="last").index
        return frame.loc[order].reset_index(drop=True)

    return ShopifyCustomers(ordered(result.customers), ordered(result.addresses))


def updated_since(since: str | datetime) -> str:
    """The customers search term for "updated at or after ``since``" (an aware datetime or an
    ISO 8601 text with its offset), in UTC and quoted as Shopify's search needs it."""
    if isinstance(since, str):
        try:
            since = datetime.fromisoformat(since.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"since must be an ISO 8601 timestamp, got {since!r}") from None
    if since.tzinfo is None:
        raise ValueError("since must carry its time zone (UTC offset)")
    return f"updated_at:>='{since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}'"


def changed_customers(
    client: ShopifyClient,
    since: str | datetime,
    *,
    poll: float | None = None,
    threshold: int = CHANGED_BULK_THRESHOLD,
) -> ShopifyCustomers:
    """The customers updated at or after ``since``, with their addresses.

    Counts them first (``customersCount`` with the same search): from ``threshold`` on they
    come from one filtered bulk query, below it page by page, so a large delta never meets
    the pagination ceiling (25,000 objects of one query). Both read Shopify's search index,
    which lags behind writes: take ``since`` a little before the last run's start.
    """
    search = updated_since(since)
    if client.count_customers(search, limit=threshold) >= threshold:
        return _in_id_order(run_bulk_query(client, queries.bulk_customers_query(search), poll=poll))
    return customers_from_nodes(client.customers(search))


def run_bulk_mutation(
    client: ShopifyClient,
    mutation: str,
    lines: Iterable[Mapping[str, Any]],
    *,
    result_key: str,
    object_key: str = "customer",
    client_identifier: str | None = None,
    poll: float | None = None,
) -> list[MutationResult]:
    """Run ``mutation`` once per variables mapping in ``lines`` (staged as JSONL).

    Returns one MutationResult per input line, in input order; a line Shopify reports no
    result for comes back as a failure saying so, never dropped.
    """
    lines = list(lines)
    if not lines:
        return []
    poll = client.bulk_poll if poll is None else poll
    content = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines).encode()
    staged = client.execute(
        queries.STAGED_UPLOADS_CREATE,
        {
            "input": [
                {
                    "resource": "BULK_MUTATION_VARIABLES",
                    "filename": "shopsync-bulk.jsonl",
                    "mimeType": "text/jsonl",
                    "httpMethod": "POST",
                    "fileSize": str(len(content)),
                }
            ]
        },
    )["stagedUploadsCreate"]
    if staged.get("userErrors"):
        raise ShopifyRefused("stagedUploadsCreate", str(staged["userErrors"]))
    target = staged["stagedTargets"][0]
    client.upload(target["url"], target["parameters"], content)
    path = next(p["value"] for p in target["parameters"] if p["name"] == "key")
    variables = {"mutation": mutation, "stagedUploadPath": path}
    if client_identifier:
        variables["clientIdentifier"] = client_identifier
    operation = _start(
        client,
        queries.BULK_RUN_MUTATION,
        variables,
        "bulkOperationRunMutation",
        "MUTATION",
        poll=poll,
    )
    state = _finished(client, operation["id"], "bulkOperationRunMutation", poll)
    results: dict[int, MutationResult] = {}
    for raw in _result_lines(client, state, partial=True, poll=poll):
        line = json.loads(raw)
        number = int(line.get("__lineNumber", -1))
        if line.get("errors"):
            message = "; ".join(str(e.get("message", e)) for e in line["errors"])
            results[number] = MutationResult(False, None, (("", message),))
        else:
            payload = (line.get("data") or {}).get(result_key)
            results[number] = MutationResult.from_payload(payload, object_key)
    missing = MutationResult(
        False, None, (("", f"bulk operation {state['status']}: no result for this line"),)
    )
    return [results.get(number, missing) for number in range(len(lines))]
