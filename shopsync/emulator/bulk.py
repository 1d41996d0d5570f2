"""Bulk operations: staged uploads, bulkOperationRunQuery/RunMutation, status and JSONL output."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLResolveInfo,
    OperationDefinitionNode,
    get_named_type,
    parse,
    validate,
)

from .errors import ShopifyError, syntax_message
from .schema import load_schema
from .state import ShopState, parse_gid

if TYPE_CHECKING:
    from .app import Emulator

BULK_GID = "gid://shopify/BulkOperation/"
ALLOWED_MUTATIONS = ("customerCreate", "customerUpdate", "customerSet")
#: Roots Shopify accepts in bulkOperationRunMutation (the emulator serves ALLOWED_MUTATIONS).
SHOPIFY_BULK_MUTATIONS = frozenset(
    {
        "collectionAddProducts",
        "customerAddressCreate",
        "customerAddressUpdate",
        "customerCreate",
        "customerSet",
        "customerUpdate",
        "metafieldsSet",
        "metaobjectCreate",
        "metaobjectDefinitionCreate",
        "metaobjectUpsert",
        "priceListFixedPricesAdd",
        "productCreate",
        "productSet",
        "productUpdate",
        "productVariantsBulkCreate",
        "productVariantsBulkUpdate",
        "publishablePublish",
        "tagsAdd",
    }
)
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
MAX_CONNECTIONS = 5
MAX_DEPTH = 2
#: The schema's description of BulkOperationUserErrorCode.LIMIT_REACHED.
LIMIT_REACHED = "Bulk operations limit reached. Please try again later."
#: How long a result URL stays valid (signed URLs expire; Shopify keeps results 7 days).
RESULT_URL_SECONDS = 7 * 24 * 3600
NO_SUCH_FILE = (
    "The JSONL file could not be found. Try uploading the file again, and check that you've "
    "entered the URL correctly for the stagedUploadPath mutation argument."
)


@dataclass
class BulkOperation:
    n: int
    type: str  # QUERY or MUTATION
    query: str
    created_at: str
    status: str = "CREATED"
    completed_at: str | None = None
    error_code: str | None = None
    object_count: int = 0
    root_object_count: int = 0
    output: bytes | None = None
    staged_path: str | None = None
    client_identifier: str | None = None
    group_objects: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def gid(self) -> str:
        return f"{BULK_GID}{self.n}"


class BulkManager:
    """Owns the bulk operations and staged uploads of one emulator.

    Status progression is driven by reads, like a real operation observed by a poller: an operation
    is CREATED when started; every ``bulkOperation(id)``/``currentBulkOperation`` read returns the
    current status and then moves it one step (CREATED -> RUNNING -> COMPLETED; CANCELING ->
    CANCELED). The work itself (the query export, or the mutation lines) runs at the RUNNING ->
    COMPLETED step. ``BulkManager.settle()`` finishes everything at once.
    """

    def __init__(
        self,
        state: ShopState,
        emulator: Emulator,
        base_url: Callable[[], str],
        concurrency: int = 5,
    ) -> None:
        self.state = state
        self.emulator = emulator
        self.base_url = base_url
        self.concurrency = concurrency
        self.operations: dict[int, BulkOperation] = {}
        self.uploads: dict[str, bytes] = {}
        self.pending_keys: set[str] = set()
        self._next = 5001
        # One lock for the whole emulator: bulk work runs GraphQL, GraphQL reads bulk state.
        self.lock = state.lock

    # ------------------------------------------------------------------ views
    def view(self, op: BulkOperation | None) -> dict | None:
        if op is None:
            return None
        done = op.status == "COMPLETED"
        return {
            "id": op.gid,
            "type": op.type,
            "status": op.status,
            "query": op.query,
            "createdAt": op.created_at,
            "completedAt": op.completed_at,
            "errorCode": op.error_code,
            "objectCount": str(op.object_count),
            "rootObjectCount": str(op.root_object_count),
            "fileSize": str(len(op.output)) if done and op.output else None,
            "url": self.result_url(op) if done and op.output else None,
            "partialDataUrl": None,
        }

    def result_url(self, op: BulkOperation) -> str:
        """A fresh signed URL for the result file, valid RESULT_URL_SECONDS from now."""
        expires = int(self.state.clock() + RESULT_URL_SECONDS)
        return f"{self.base_url()}/bulk-operations/{op.n}.jsonl?expires={expires}"

    def url_valid(self, expires: str) -> bool:
        """Whether a result URL's ``expires`` stamp is still in the future."""
        return expires.isdigit() and self.state.clock() <= int(expires)

    # ------------------------------------------------------------------ progression
    def _advance(self, op: BulkOperation) -> None:
        if op.status == "CREATED":
            op.status = "RUNNING"
        elif op.status == "RUNNING":
            self._run(op)
        elif op.status == "CANCELING":
            op.status = "CANCELED"
            op.completed_at = self.state.now_ts()

    def _observe(self, op: BulkOperation | None) -> dict | None:
        with self.lock:
            view = self.view(op)
            if op is not None:
                self._advance(op)
            return view

    def settle(self) -> None:
        """Run every pending operation to completion (or cancellation)."""
        with self.lock:
            for op in list(self.operations.values()):
                while op.status in ("CREATED", "RUNNING", "CANCELING"):
                    self._advance(op)

    def _run(self, op: BulkOperation) -> None:
        try:
            if op.type == "QUERY":
                lines, roots = self._export(op.query)
                if not op.group_objects:
                    # 2026-07: output order is not guaranteed unless groupObjects is true; an
                    # address line may come before its customer (seeded, so runs repeat).
                    random.Random(f"{self.emulator.seed}/{op.n}").shuffle(lines)
            else:
                lines, roots = self._apply_mutations(op)
        except Exception as exc:
            op.status = "FAILED"
            denied = isinstance(exc, _ExportRefused) and exc.code == "ACCESS_DENIED"
            op.error_code = "ACCESS_DENIED" if denied else "INTERNAL_SERVER_ERROR"
            op.completed_at = self.state.now_ts()
            return
        op.output = "".join(
            json.dumps(line, separators=(",", ":")) + "\n" for line in lines
        ).encode()
        op.object_count = len(lines)
        op.root_object_count = roots
        op.status = "COMPLETED"
        op.completed_at = self.state.stamp() if op.type == "MUTATION" else self.state.now_ts()

    # ------------------------------------------------------------------ resolvers
    def current(self, info: GraphQLResolveInfo, type: str = "QUERY") -> dict | None:
        with self.lock:
            ops = [o for o in self.operations.values() if o.type == (type or "QUERY")]
            return self._observe(max(ops, key=lambda o: o.n) if ops else None)

    def get(self, info: GraphQLResolveInfo, id: str) -> dict | None:
        n = parse_gid(id)
        if n is None:
            raise ShopifyError(f"Invalid global id '{id}'", "argumentLiteralsIncompatible")
        if parse_gid(id, "BulkOperation") is None:
            raise ShopifyError(f"Invalid id: {id}", "RESOURCE_NOT_FOUND")
        with self.lock:
            return self._observe(self.operations.get(n))

    def list(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        from . import search
        from .resolvers import paginate

        query = args.get("query")
        node = search.parse(query) if query else None
        warnings = []
        accepted = {
            "status": ("CANCELED", "CANCELING", "COMPLETED", "CREATED", "FAILED", "RUNNING"),
            "operation_type": ("QUERY", "MUTATION"),
        }
        for term in search.terms(node):
            if term.field in ("created_at", "completed_at"):
                if search.parse_timestamp(term.value) is None:
                    raise ShopifyError(
                        f"Invalid timestamp for query filter `{term.field}`.", "BAD_REQUEST"
                    )
            elif term.field in accepted:
                if term.value.upper() not in accepted[term.field]:
                    warnings.append(
                        {
                            "field": term.field,
                            "message": f"Input `{term.value}` is not an accepted value.",
                            "code": "invalid_value",
                        }
                    )
            elif term.field is not None:
                warnings.append(
                    {
                        "field": term.field,
                        "message": "Invalid search field for this query.",
                        "code": "invalid_field",
                    }
                )
        if warnings:
            info.context["search"].append(
                {
                    "path": [info.path.key],
                    "query": query,
                    "parsed": search.describe(node),
                    "warnings": warnings,
                }
            )

        def keep(op: BulkOperation) -> bool:
            record = {
                "status": op.status,
                "operation_type": op.type,
                "createdAt": op.created_at,
                "completedAt": op.completed_at,
            }
            ctx = search.SearchContext(
                fields={
                    "status": search.FieldSpec(lambda r, t: r["status"] == t.value.upper()),
                    "operation_type": search.FieldSpec(
                        lambda r, t: r["operation_type"] == t.value.upper()
                    ),
                    "created_at": search._timestamp_field("createdAt"),
                    "completed_at": search.FieldSpec(
                        lambda r, t: (
                            r["completedAt"] is not None
                            and search._timestamp_field("completedAt").match(r, t)
                        )
                    ),
                },
                default=None,
            )
            return search.evaluate(node, record, ctx)

        with self.lock:
            sort_key = args.get("sortKey") or "CREATED_AT"
            return paginate(
                [o for o in self.operations.values() if keep(o)],
                sort_value=(lambda o: o.n)
                if sort_key != "COMPLETED_AT"
                else (lambda o: o.completed_at or ""),
                cursor_value=int if sort_key != "COMPLETED_AT" else str,
                item_id=lambda o: o.n,
                args=args,
                view=self.view,
                field_name="bulkOperations",
            )

    def _in_progress(self, kind: str) -> list[BulkOperation]:
        return [
            o
            for o in self.operations.values()
            if o.type == kind and o.status in ("CREATED", "RUNNING", "CANCELING")
        ]

    def _new(self, kind: str, query: str) -> BulkOperation:
        n = self._next
        self._next += 1
        op = BulkOperation(n=n, type=kind, query=query, created_at=self.state.now_ts())
        self.operations[n] = op
        return op

    def run_query(self, info: GraphQLResolveInfo, query: str, groupObjects: bool = False) -> dict:
        def fail(message: str, code: str, field_: list | None) -> dict:
            return {
                "bulkOperation": None,
                "userErrors": [
                    {
                        "field": field_,
                        "message": message,
                        "code": code,
                    }
                ],
            }

        errors = validate_bulk_query(query)
        if errors:
            return {
                "bulkOperation": None,
                "userErrors": [
                    {"field": ["query"], "message": m, "code": "INVALID"} for m in errors
                ],
            }
        if info.context.get("fault") == "bulk_limit":
            return fail(LIMIT_REACHED, "LIMIT_REACHED", None)
        with self.lock:
            running = self._in_progress("QUERY")
            if len(running) >= self.concurrency:
                ids = ", ".join(o.gid for o in sorted(running, key=lambda o: o.n))
                return fail(
                    f"A bulk query operation for this app and shop is already in progress: {ids}.",
                    "OPERATION_IN_PROGRESS",
                    None,
                )
            op = self._new("QUERY", query)
            op.group_objects = bool(groupObjects)
            return {"bulkOperation": self.view(op), "userErrors": []}

    def run_mutation(
        self,
        info: GraphQLResolveInfo,
        mutation: str,
        stagedUploadPath: str,
        groupObjects: bool | None = None,
        clientIdentifier: str | None = None,
    ) -> dict:
        def fail(message: str, code: str | None, field_: list | None = None) -> dict:
            return {
                "bulkOperation": None,
                "userErrors": [{"field": field_, "message": message, "code": code}],
            }

        if clientIdentifier is not None:
            if len(clientIdentifier) < 10:
                return fail(
                    "is too short (minimum is 10 characters)",
                    "INVALID_MUTATION",
                    ["clientIdentifier"],
                )
            if len(clientIdentifier) > 255:
                return fail(
                    "is too long (maximum is 255 characters)",
                    "INVALID_MUTATION",
                    ["clientIdentifier"],
                )
        try:
            document = parse(mutation)
        except GraphQLError as exc:
            message, where = syntax_message(exc, mutation)
            suffix = f" at [{where[0]}, {where[1]}]" if where else ""
            return fail(f"Failed to parse the mutation - {message}{suffix}", "INVALID_MUTATION")
        ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(ops) != 1 or ops[0].operation.value != "mutation":
            return fail(
                "Invalid operation type. Only `mutation` operations are supported.",
                "INVALID_MUTATION",
            )
        roots = [s for s in ops[0].selection_set.selections if isinstance(s, FieldNode)]
        if len(roots) != 1:
            return fail("You must specify a single top level mutation.", None, ["mutation"])
        root_name = roots[0].name.value
        if root_name not in SHOPIFY_BULK_MUTATIONS:
            return fail("You must use an allowed mutation name.", None, ["mutation"])
        with self.lock:
            key = stagedUploadPath.split("?", 1)[0]
            if key not in self.uploads:
                return fail(NO_SUCH_FILE, "NO_SUCH_FILE")
            data = self.uploads[key]
            if not data.strip():
                return fail("The input file is empty.", "INVALID_STAGED_UPLOAD_FILE")
            if len(data) > MAX_UPLOAD_BYTES:
                return fail(
                    "The input file size exceeds the maximum allowed size of 100 MB.",
                    "INVALID_STAGED_UPLOAD_FILE",
                )
        if root_name not in ALLOWED_MUTATIONS:
            return fail(
                f"The emulator does not serve {root_name}; bulk mutations may use "
                f"{', '.join(ALLOWED_MUTATIONS)}.",
                "INVALID_MUTATION",
                ["mutation"],
            )
        problems = validate(load_schema(), document)
        if problems:
            return fail(problems[0].message, "INVALID_MUTATION", ["mutation"])
        if info.context.get("fault") == "bulk_limit":
            return fail(LIMIT_REACHED, "LIMIT_REACHED")
        with self.lock:
            running = self._in_progress("MUTATION")
            if len(running) >= self.concurrency:
                ids = ", ".join(o.gid for o in sorted(running, key=lambda o: o.n))
                return fail(
                    "A bulk mutation operation for this app and shop is already in progress: "
                    f"{ids}.",
                    "OPERATION_IN_PROGRESS",
                )
            op = self._new("MUTATION", mutation)
            op.staged_path = key
            op.client_identifier = clientIdentifier
            return {"bulkOperation": self.view(op), "userErrors": []}

    def cancel(self, info: GraphQLResolveInfo, id: str) -> dict:
        n = parse_gid(id, "BulkOperation")
        with self.lock:
            op = self.operations.get(n) if n is not None else None
            if op is None:
                return {
                    "bulkOperation": None,
                    "userErrors": [{"field": ["id"], "message": "Bulk operation does not exist"}],
                }
            if op.status in ("CREATED", "RUNNING"):
                op.status = "CANCELING"
            elif op.status != "CANCELING":
                return {
                    "bulkOperation": self.view(op),
                    "userErrors": [
                        {
                            "field": None,
                            "message": "A bulk operation cannot be canceled when it is "
                            f"{op.status.lower()}",
                        }
                    ],
                }
            return {"bulkOperation": self.view(op), "userErrors": []}

    def staged_uploads_create(self, info: GraphQLResolveInfo, input: list[dict]) -> dict:
        targets = []
        errors = []
        shop_n = parse_gid(self.state.shop["id"]) or 1
        for i, item in enumerate(input):
            if item.get("resource") != "BULK_MUTATION_VARIABLES":
                errors.append(
                    {
                        "field": ["input", str(i), "resource"],
                        "message": "The emulator only stages BULK_MUTATION_VARIABLES uploads.",
                    }
                )
                continue
            key = f"tmp/{shop_n}/bulk/{uuid.uuid4()}/{item['filename']}"
            with self.lock:
                self.pending_keys.add(key)
            base = f"{self.base_url()}/staged-uploads/"
            if (item.get("httpMethod") or "PUT") == "PUT":
                url = base + key
                params = [
                    {"name": "content_type", "value": item["mimeType"]},
                    {"name": "acl", "value": "private"},
                ]
                targets.append({"url": url, "resourceUrl": url, "parameters": params})
            else:
                params = [
                    {"name": "Content-Type", "value": item["mimeType"]},
                    {"name": "success_action_status", "value": "201"},
                    {"name": "acl", "value": "private"},
                    {"name": "key", "value": key},
                ]
                targets.append({"url": base, "resourceUrl": base, "parameters": params})
        return {"stagedTargets": targets if not errors else None, "userErrors": errors}

    def store_upload(self, key: str, data: bytes) -> None:
        with self.lock:
            self.uploads[key] = data

    def output(self, n: int) -> bytes | None:
        with self.lock:
            op = self.operations.get(n)
            return op.output if op is not None and op.status == "COMPLETED" else None

    # ------------------------------------------------------------------ work
    def _export(self, query: str) -> tuple[list[dict], int]:
        status, _headers, body = self.emulator.execute_internal(query, None, bulk=True)
        if body.get("errors") or status != 200:
            codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
            raise _ExportRefused(
                "ACCESS_DENIED" if "ACCESS_DENIED" in codes else "", json.dumps(body.get("errors"))
            )
        data = body.get("data") or {}
        document = parse(query)
        operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
        lines: list[dict] = []
        roots = 0
        for sel in operation.selection_set.selections:
            if not isinstance(sel, FieldNode):
                continue
            key = sel.alias.value if sel.alias else sel.name.value
            conn = data.get(key) or {}
            for edge in conn.get("edges") or []:
                roots += 1
                _flatten(edge["node"], None, lines)
        return lines, roots

    def _apply_mutations(self, op: BulkOperation) -> tuple[list[dict], int]:
        data = self.uploads.get(op.staged_path or "", b"")
        lines: list[dict] = []
        for number, raw in enumerate(data.decode("utf-8").splitlines()):
            if not raw.strip():
                continue
            try:
                variables = json.loads(raw)
            except json.JSONDecodeError as exc:
                lines.append(
                    {"errors": [{"message": f"Invalid JSON: {exc.msg}"}], "__lineNumber": number}
                )
                continue
            _status, _headers, body = self.emulator.execute_internal(op.query, variables, bulk=True)
            out = {k: v for k, v in body.items() if k in ("data", "errors")}
            out["__lineNumber"] = number
            lines.append(out)
        return lines, len(lines)


class _ExportRefused(Exception):
    """The bulk query's own execution failed (``code`` is the GraphQL error code, if any)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _flatten(node: dict, parent_id: str | None, lines: list[dict]) -> None:
    """One JSONL line per node; nested connections become lines with ``__parentId``."""
    row: dict = {}
    children: list[dict] = []
    for key, value in node.items():
        if isinstance(value, dict) and "edges" in value and isinstance(value["edges"], list):
            children.append(value)
        else:
            row[key] = value
    if parent_id is not None:
        row["__parentId"] = parent_id
    lines.append(row)
    for conn in children:
        for edge in conn["edges"]:
            _flatten(edge["node"], node.get("id"), lines)


def validate_bulk_query(query: str) -> list[str]:
    """The bulkOperationRunQuery validation messages of the Admin API."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        message, _where = syntax_message(exc, query)
        return [f"Invalid bulk query: {message}"]
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(ops) != 1:
        return ["Bulk queries must contain exactly one operation."]
    if ops[0].operation.value != "query":
        return ["Invalid operation type. Only `query` operations are supported."]
    root_names = [s.name.value for s in ops[0].selection_set.selections if isinstance(s, FieldNode)]
    if "node" in root_names:
        out = ["Bulk queries cannot contain a top level `node` field."]
        if all(name in ("node", "nodes", "shop") for name in root_names):
            out.append("Bulk queries must contain at least one connection.")
        return out
    schema = load_schema()
    problems = validate(schema, document)
    if problems:
        return [p.message for p in problems[:1]]
    messages: list[str] = []
    connections: list[tuple[str, int]] = []
    nodes_misuse: list[str] = []
    missing_id: list[str] = []
    in_list: list[bool] = []

    def walk(
        selection_set,
        parent_type,
        depth: int,
        inside_list: bool,
        owner: str | None,
        owner_has_id: bool,
    ) -> None:
        for sel in selection_set.selections if selection_set else ():
            if not isinstance(sel, FieldNode):
                continue
            fdef = parent_type.fields.get(sel.name.value)
            if fdef is None:
                continue
            named = get_named_type(fdef.type)
            if named.name.endswith("Connection") and hasattr(named, "fields"):
                connections.append((sel.name.value, depth + 1))
                if inside_list:
                    in_list.append(True)
                if depth > 0 and not owner_has_id:
                    missing_id.append(owner or sel.name.value)
                sub_names = (
                    {s.name.value for s in sel.selection_set.selections if isinstance(s, FieldNode)}
                    if sel.selection_set
                    else set()
                )
                if "nodes" in sub_names:
                    nodes_misuse.append(sel.name.value)
                edge_type = get_named_type(named.fields["edges"].type)
                for s in sel.selection_set.selections if sel.selection_set else ():
                    if isinstance(s, FieldNode) and s.name.value == "edges":
                        for t in s.selection_set.selections if s.selection_set else ():
                            if isinstance(t, FieldNode) and t.name.value == "node":
                                node_type = get_named_type(edge_type.fields["node"].type)
                                has_id = any(
                                    isinstance(u, FieldNode)
                                    and u.name.value == "id"
                                    and u.alias is None
                                    for u in (t.selection_set.selections if t.selection_set else ())
                                )
                                walk(
                                    t.selection_set,
                                    node_type,
                                    depth + 1,
                                    False,
                                    sel.name.value,
                                    has_id,
                                )
            elif hasattr(named, "fields"):
                is_list = isinstance(fdef.type, GraphQLList) or (
                    isinstance(fdef.type, GraphQLNonNull)
                    and isinstance(fdef.type.of_type, GraphQLList)
                )
                walk(sel.selection_set, named, depth, inside_list or is_list, owner, owner_has_id)

    root_fields = [s for s in ops[0].selection_set.selections if isinstance(s, FieldNode)]
    if any(f.name.value == "node" for f in root_fields):
        messages.append("Bulk queries cannot contain a top level `node` field.")
    walk(ops[0].selection_set, schema.query_type, 0, False, None, True)
    if not connections:
        messages.append("Bulk queries must contain at least one connection.")
        return messages
    if nodes_misuse:
        first = nodes_misuse[0]
        messages.append(
            "All connection fields in a bulk query must select their contents using 'edges' > "
            f"'node', e.g: '{first} {{ edges {{ node {{'. Selecting via 'nodes' is not supported. "
            f"Invalid connection fields: {', '.join(repr(n) for n in nodes_misuse)}."
        )
    if len(connections) > MAX_CONNECTIONS:
        messages.append("Bulk queries cannot contain more than 5 connections.")
    if any(depth > MAX_DEPTH for _, depth in connections):
        messages.append(
            "Bulk queries cannot contain connections with a nesting depth greater than 2."
        )
    if in_list:
        messages.append(
            "Queries that contain a connection field within a list field are not currently "
            "supported."
        )
    if missing_id:
        messages.append(
            "The parent 'node' field for a nested connection must select the 'id' field without an "
            "alias and must be of 'ID' return type. Connection fields without 'id': "
            f"{', '.join(sorted(set(missing_id)))}."
        )
    return messages
