"""Bulk operations: run a bulk query into DataFrames, run a bulk mutation from staged JSONL."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from shopsync.errors import ShopifyRefused, ShopifyUnavailable
from shopsync.shopify import queries
from shopsync.shopify.client import MutationResult, ShopifyClient
from shopsync.shopify_io import ShopifyCustomers, customers_from_jsonl

__all__ = ["bulk_customers", "run_bulk_mutation", "run_bulk_query", "wait_for_bulk_operation"]

_FINISHED = {"COMPLETED", "FAILED", "CANCELED", "EXPIRED"}
_BUSY_CODES = {"OPERATION_IN_PROGRESS"}


def wait_for_bulk_operation(
    client: ShopifyClient, operation_id: str, *, poll: float = 1.0, timeout: float = 3600.0
) -> dict[str, Any]:
    """Poll one bulk operation until it finishes; returns its last state."""
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
    """Start a bulk operation, waiting for a running one of the same kind to finish first."""
    for _ in range(100):
        payload = client.execute(document, variables)[key]
        errors = payload.get("userErrors") or []
        if not errors:
            return payload["bulkOperation"]
        if any(e.get("code") in _BUSY_CODES for e in errors):
            current = client.execute(queries.CURRENT_BULK_OPERATION, {"type": kind})
            running = current.get("currentBulkOperation")
            if running and running["status"] not in _FINISHED:
                wait_for_bulk_operation(client, running["id"], poll=poll)
            continue
        message = "; ".join(e.get("message", "") for e in errors)
        raise ShopifyRefused(key, message)
    raise ShopifyUnavailable(key, "another bulk operation kept running")


def run_bulk_query(client: ShopifyClient, query: str, *, poll: float = 1.0) -> list[str]:
    """Run a bulk query and return the JSONL lines of its result ([] when nothing matched)."""
    operation = _start(
        client,
        queries.BULK_RUN_QUERY,
        {"query": query},
        "bulkOperationRunQuery",
        "QUERY",
        poll=poll,
    )
    state = wait_for_bulk_operation(client, operation["id"], poll=poll)
    if state["status"] != "COMPLETED":
        raise ShopifyUnavailable(
            "bulkOperationRunQuery", f"bulk query {state['status']} ({state.get('errorCode')})"
        )
    return list(client.download(state["url"])) if state.get("url") else []


def bulk_customers(client: ShopifyClient, *, poll: float = 1.0) -> ShopifyCustomers:
    """Every customer with its addresses, through one bulk query."""
    return customers_from_jsonl(run_bulk_query(client, queries.BULK_CUSTOMERS_QUERY, poll=poll))


def run_bulk_mutation(
    client: ShopifyClient,
    mutation: str,
    lines: Iterable[Mapping[str, Any]],
    *,
    result_key: str,
    object_key: str = "customer",
    client_identifier: str | None = None,
    poll: float = 1.0,
) -> list[MutationResult]:
    """Run ``mutation`` once per variables mapping in ``lines`` (staged as JSONL).

    Returns one MutationResult per input line, in input order; a line Shopify reports no
    result for comes back as a failure saying so, never dropped.
    """
    lines = list(lines)
    if not lines:
        return []
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
    state = wait_for_bulk_operation(client, operation["id"], poll=poll)
    url = state.get("url") or state.get("partialDataUrl")
    results: dict[int, MutationResult] = {}
    for raw in client.download(url) if url else []:
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
