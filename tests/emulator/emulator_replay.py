"""Replays recorded Shopify captures against the emulator and compares the answers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema, get_named_type, is_leaf_type

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "captures"
GID_RE = re.compile(r"^gid://shopify/(\w+)/(\d+)(\?.*)?$")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
MASKED_KEYS = {"cursor", "startCursor", "endCursor"}


class Unsupported(Exception):
    """The case needs a field the emulator does not serve."""


@dataclass
class Case:
    path: str
    variables: dict
    status: int | None
    body: dict
    query: str | None = None


@dataclass
class Outcome:
    case: Case
    ok: bool
    detail: str = ""
    got: Any = None


@dataclass
class IdMap:
    forward: dict[str, str] = field(default_factory=dict)  # captured -> emulator
    backward: dict[str, str] = field(default_factory=dict)

    def bind(self, captured: str, produced: str) -> bool:
        if captured in self.forward:
            return self.forward[captured] == produced
        if produced in self.backward:
            return self.backward[produced] == captured
        self.forward[captured] = produced
        self.backward[produced] = captured
        return True

    def translate(self, value: Any) -> Any:
        if isinstance(value, str):
            m = GID_RE.match(value)
            if m:
                key = _gid_key(value)
                for captured, produced in self.forward.items():
                    if _gid_key(captured) == key:
                        return produced
            return value
        if isinstance(value, dict):
            return {k: self.translate(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.translate(v) for v in value]
        return value


def _gid_key(value: str) -> tuple[str, str]:
    m = GID_RE.match(value)
    return (m.group(1), m.group(2)) if m else ("", value)


def load_cases(rel: str) -> list[Case]:
    data = json.loads((FIXTURES / rel).read_text(encoding="utf-8"))
    cases: list[Case] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            response = node.get("response")
            request = node.get("request")
            if isinstance(request, dict) and isinstance(response, dict) and "query" in request:
                node = {**node, "query": request["query"], "variables": request.get("variables")}
            if isinstance(response, dict) and ("variables" in node or "query" in node):
                if "body" in response and "status" in response:
                    status, body = response["status"], response["body"]
                else:
                    status, body = node.get("status"), response
                if isinstance(body, dict) and ("data" in body or "errors" in body):
                    query = node.get("query") if isinstance(node.get("query"), str) else None
                    cases.append(Case(path, node.get("variables") or {}, status, body, query))
            parent_query = node.get("query") if isinstance(node.get("query"), str) else None
            for key, value in node.items():
                if key in ("upstreamCalls", "response", "request"):
                    continue
                if (
                    parent_query
                    and isinstance(value, dict)
                    and isinstance(value.get("response"), dict)
                    and "variables" not in value
                    and "query" not in value
                ):
                    # {query, variables, <case>: {status, response}}: the case reuses them.
                    body = value["response"]
                    cases.append(
                        Case(
                            f"{path}/{key}",
                            node.get("variables") or {},
                            value.get("status"),
                            body,
                            parent_query,
                        )
                    )
                    continue
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")

    walk(data, "")
    return cases


# --------------------------------------------------------------------------- synthesis


def _selection(schema: GraphQLSchema, type_: Any, value: Any) -> str:
    if isinstance(value, list):
        merged: dict = {}
        for item in value:
            if isinstance(item, dict):
                for k, v in item.items():
                    if k not in merged or merged[k] is None or merged[k] == []:
                        merged[k] = v
        value = merged if merged else None
    if not isinstance(value, dict) or not value:
        if "id" in type_.fields:
            return "id"
        if "message" in type_.fields:
            return "field message"
        return "__typename"
    parts = []
    for key, sub in value.items():
        fdef = type_.fields.get(key)
        if fdef is None:
            raise Unsupported(f"{type_.name}.{key}")
        named = get_named_type(fdef.type)
        if is_leaf_type(named):
            parts.append(key)
            continue
        args = ""
        if named.name.endswith("Connection") and "first" in fdef.args:
            args = "(first: 50)"
        parts.append(f"{key}{args} {{ {_selection(schema, named, sub)} }}")
    return " ".join(parts)


def synthesize(schema: GraphQLSchema, data: dict, variables: dict) -> str:
    roots = list(data)
    mutation = schema.mutation_type
    is_mutation = any(r in mutation.fields for r in roots)
    root_type = mutation if is_mutation else schema.query_type
    declared: dict[str, str] = {}
    fields = []
    for key in roots:
        fdef = root_type.fields.get(key)
        if fdef is None:
            raise Unsupported(f"root {key}")
        args = []
        for name, arg in fdef.args.items():
            if name in variables:
                declared[name] = str(arg.type)
                args.append(f"{name}: ${name}")
        named = get_named_type(fdef.type)
        if named.name.endswith("Connection") and not ({"first", "last"} & set(variables)):
            args.append("first: 50")
        arg_text = f"({', '.join(args)})" if args else ""
        if is_leaf_type(named):
            fields.append(f"{key}{arg_text}")
        else:
            fields.append(f"{key}{arg_text} {{ {_selection(schema, named, data[key])} }}")
    decl = ", ".join(f"${k}: {v}" for k, v in declared.items())
    op = "mutation" if is_mutation else "query"
    return f"{op} Replay{f'({decl})' if decl else ''} {{ {' '.join(fields)} }}"


# --------------------------------------------------------------------------- comparison


def compare(expected: Any, got: Any, ids: IdMap, path: str = "") -> str | None:
    """None when equal modulo masks; else a description of the first difference."""
    if isinstance(expected, dict) and isinstance(got, dict):
        if set(expected) != set(got):
            return f"{path}: keys {sorted(expected)} != {sorted(got)}"
        for key in expected:
            if key == "extensions":
                continue
            if key in MASKED_KEYS:
                if (expected[key] is None) != (got[key] is None):
                    return f"{path}.{key}: null-ness differs"
                continue
            problem = compare(expected[key], got[key], ids, f"{path}.{key}")
            if problem:
                return problem
        return None
    if isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            return f"{path}: {len(expected)} items != {len(got)}"
        for i, (e, g) in enumerate(zip(expected, got, strict=False)):
            problem = compare(e, g, ids, f"{path}[{i}]")
            if problem:
                return problem
        return None
    if isinstance(expected, str) and isinstance(got, str):
        if GID_RE.match(expected) and GID_RE.match(got):
            if _gid_key(expected)[0] != _gid_key(got)[0]:
                return f"{path}: {expected} vs {got}"
            if not ids.bind(_canonical(expected), _canonical(got)):
                mapped = ids.forward.get(_canonical(expected))
                return f"{path}: id {expected} is mapped to {mapped}, got {got}"
            return None
        if TS_RE.match(expected) and TS_RE.match(got):
            return None
        if expected.isdigit() and got.isdigit() and path.endswith("legacyResourceId"):
            return None
    if expected != got:
        return f"{path}: expected {expected!r}, got {got!r}"
    return None


def _without_locations(body: dict) -> dict:
    out = dict(body)
    if isinstance(out.get("errors"), list):
        out["errors"] = [
            {k: v for k, v in e.items() if k != "locations"} if isinstance(e, dict) else e
            for e in out["errors"]
        ]
    return out


def _canonical(gid: str) -> str:
    kind, n = _gid_key(gid)
    return f"gid://shopify/{kind}/{n}"


PLACEHOLDER_FIELDS = ("firstName", "lastName", "email", "phone", "tags", "note")
PLACEHOLDER_QUERY = (
    "mutation Placeholder($input: CustomerInput!) { customerCreate(input: $input) "
    "{ customer { id } userErrors { field message } } }"
)


def _customer_objects(cases: list[Case]) -> dict[str, dict]:
    """First recorded state of every customer that appears in a response of the file."""
    found: dict[str, dict] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ident = node.get("id")
            if isinstance(ident, str) and _gid_key(ident)[0] == "Customer":
                found.setdefault(_canonical(ident), node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str) and _gid_key(node)[0] == "Customer":
            found.setdefault(_canonical(node), {})

    for case in cases:
        walk(case.body.get("data"))
    return found


def _gids_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [_canonical(value)] if _gid_key(value)[0] == "Customer" else []
    if isinstance(value, dict):
        return [g for v in value.values() for g in _gids_in(v)]
    if isinstance(value, list):
        return [g for v in value for g in _gids_in(v)]
    return []


def _ensure_placeholders(emulator: Any, case: Case, known: dict[str, dict], ids: IdMap) -> None:
    """Customers a case refers to but whose creation was not recorded (made in an unrecorded
    setup step) are created from their first recorded state, and mapped."""
    for gid in _gids_in(case.variables):
        if gid in ids.forward or gid not in known:
            continue
        recorded = known[gid]
        data = {k: recorded[k] for k in PLACEHOLDER_FIELDS if recorded.get(k) not in (None, [])}
        if (recorded.get("defaultEmailAddress") or {}).get("emailAddress"):
            data["email"] = recorded["defaultEmailAddress"]["emailAddress"]
        if (recorded.get("defaultPhoneNumber") or {}).get("phoneNumber"):
            data["phone"] = recorded["defaultPhoneNumber"]["phoneNumber"]
        if not any(data.get(k) for k in ("firstName", "lastName", "email", "phone")):
            data["firstName"] = "Placeholder"
        _status, _headers, body = emulator.execute(PLACEHOLDER_QUERY, {"input": data})
        created = (body.get("data") or {}).get("customerCreate", {}).get("customer")
        if created:
            ids.bind(gid, created["id"])


TOKEN_RE = re.compile(r"^<([a-z-]+?)-(customer|address)-id>$")
KINDS = {"customer": "Customer", "address": "MailingAddress"}


def _first_gid(node: Any, kind: str) -> str | None:
    if isinstance(node, str):
        return node if _gid_key(node)[0] == kind else None
    values = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    for value in values:
        found = _first_gid(value, kind)
        if found:
            return found
    return None


def _resolve_tokens(value: Any, by_name: dict[str, Case]) -> Any:
    """Captures redact some ids as ``<valid-control-customer-id>``: the id created by the case
    named ``validControl`` (or ``validControlCustomer``)."""
    if isinstance(value, str):
        m = TOKEN_RE.match(value)
        if not m:
            return value
        words = m.group(1).split("-")
        base = words[0] + "".join(w.capitalize() for w in words[1:])
        for name in (base, base + m.group(2).capitalize()):
            case = by_name.get(name)
            found = _first_gid(case.body.get("data"), KINDS[m.group(2)]) if case else None
            if found:
                return found
        wanted = [*words, m.group(2)]
        for name, case in by_name.items():  # e.g. <trimmed-address-id>: addressCreateTrimmed...
            if all(w in name.lower() for w in wanted):
                found = _first_gid(case.body.get("data"), KINDS[m.group(2)])
                if found:
                    return found
        return value
    if isinstance(value, dict):
        return {k: _resolve_tokens(v, by_name) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_tokens(v, by_name) for v in value]
    return value


def seed_from_recording(rel: str, directory: Path) -> Path:
    """Write the ``seed`` of a ``shopsync record`` capture as an emulator seed folder."""
    seed = json.loads((FIXTURES / rel).read_text(encoding="utf-8"))["seed"]
    directory.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(c) for c in seed.get("customers") or []]
    (directory / "customers.jsonl").write_text("".join(f"{line}\n" for line in lines))
    shop = {k: v for k, v in (seed.get("shop") or {}).items() if v is not None}
    (directory / "shop.json").write_text(json.dumps(shop))
    return directory


def replay(emulator: Any, rel: str) -> list[Outcome]:
    """Replay every case of a capture file in order; one outcome per case.

    A capture file holds named cases in document order (variables + response, sometimes the
    query). Cases are replayed in order against one emulator, so a create then reads work; ids
    the real store generated are mapped to the ids the emulator generated, both ways. When a case
    carries no query document, one is rebuilt from the shape of the recorded response (the
    selection set) and the variables (the root field arguments) - the answers are then compared
    field for field; only costs differ (they depend on the exact document) and are not compared.

    Masked in the comparison: generated ids (mapped, must be consistent), timestamps, cursors and
    ``extensions``.
    """
    schema = emulator.schema
    ids = IdMap()
    outcomes = []
    cases = load_cases(rel)
    known = _customer_objects(cases)
    by_name = {case.path.rsplit("/", 1)[-1]: case for case in cases}
    for case in cases:
        case.variables = _resolve_tokens(case.variables, by_name)
        _ensure_placeholders(emulator, case, known, ids)
        variables = ids.translate(case.variables)
        try:
            query = case.query or synthesize(schema, case.body.get("data") or {}, variables)
        except Unsupported as exc:
            outcomes.append(Outcome(case, False, f"unsupported: {exc}"))
            continue
        if case.query is None and not case.body.get("data"):
            outcomes.append(Outcome(case, False, "no document recorded and no data to rebuild it"))
            continue
        status, _headers, body = emulator.execute(query, variables)
        if case.status is not None and status != case.status:
            outcomes.append(Outcome(case, False, f"status {status} != {case.status}", body))
            continue
        expected = {k: v for k, v in case.body.items() if k != "extensions"}
        got = {k: v for k, v in body.items() if k != "extensions"}
        if case.query is None:
            # A rebuilt document has other line/column positions than the recorded one.
            expected = _without_locations(expected)
            got = _without_locations(got)
        problem = compare(expected, got, ids)
        outcomes.append(Outcome(case, problem is None, problem or "", got))
    return outcomes
