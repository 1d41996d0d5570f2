"""Shopify's search query grammar: parsing, evaluation against customers, and warnings."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

# --------------------------------------------------------------------------- AST


@dataclass(frozen=True)
class Term:
    field: str | None  # None = default (free text)
    value: str
    op: str = ":"  # ":" (equals) or one of > >= < <=
    quoted: bool = False


@dataclass(frozen=True)
class Not:
    node: Node


@dataclass(frozen=True)
class And:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    nodes: tuple[Node, ...]


Node = Term | Not | And | Or


@dataclass
class SearchWarning:
    field: str
    message: str
    code: str

    def as_dict(self) -> dict:
        return {"field": self.field, "message": self.message, "code": self.code}


class SearchSyntaxError(ValueError):
    """Raised for an unbalanced parenthesis or a dangling operator."""


# --------------------------------------------------------------------------- tokenizer

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<term>
        (?:(?P<field>[A-Za-z_][A-Za-z0-9_.]*):)?
        (?P<op>>=|<=|>|<)?
        (?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s()]*))
    )
    """,
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if not match or match.end() == pos:
            raise SearchSyntaxError(f"unexpected character at {pos}")
        pos = match.end()
        if match.group("ws"):
            continue
        if match.group("lparen"):
            out.append(("(", None))
            continue
        if match.group("rparen"):
            out.append((")", None))
            continue
        fld = match.group("field")
        op = match.group("op") or ":"
        if match.group("dq") is not None:
            value, quoted = match.group("dq"), True
        elif match.group("sq") is not None:
            value, quoted = match.group("sq"), True
        else:
            value, quoted = match.group("bare") or "", False
        if fld is None and not quoted and op == ":":
            if value == "OR":
                out.append(("OR", None))
                continue
            if value == "AND":
                out.append(("AND", None))
                continue
            if value == "NOT":
                out.append(("NOT", None))
                continue
            if value.startswith("-") and len(value) > 1:
                out.append(("NOT", None))
                sub = _tokens(value[1:])
                out.extend(sub)
                continue
        elif fld is not None and fld.startswith("-"):
            out.append(("NOT", None))
            fld = fld[1:]
        if fld is None and value == "" and not quoted:
            continue
        out.append(("TERM", Term(fld.lower() if fld else None, value, op, quoted)))
    return out


def parse(text: str | None) -> Node | None:
    """Parse a search string; None for an empty query.

    Grammar (whitespace is an implicit AND)::

        query   := or_expr
        or_expr := and_expr ("OR" and_expr)*
        and_expr:= unary (["AND"] unary)*
        unary   := ("-" | "NOT") unary | "(" or_expr ")" | term
        term    := [field ":"] [">" | ">=" | "<" | "<="] value
        value   := '"..."' | "'...'" | bare word (a trailing ``*`` makes it a prefix match)

    Unknown field names are ignored (the term matches everything) and reported the way Shopify
    reports them in ``extensions.search``.
    """
    if text is None or not text.strip():
        return None
    # "-(" and "-field:" need the minus split before tokenising.
    text = re.sub(r"(^|[\s(])-(?=[(A-Za-z_\"'])", r"\1 NOT ", text)
    tokens = _tokens(text)
    pos = 0

    def peek() -> str | None:
        return tokens[pos][0] if pos < len(tokens) else None

    def parse_or() -> Node:
        nonlocal pos
        nodes = [parse_and()]
        while peek() == "OR":
            pos += 1
            nodes.append(parse_and())
        return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))

    def parse_and() -> Node:
        nonlocal pos
        nodes = [parse_unary()]
        while peek() not in (None, ")", "OR"):
            if peek() == "AND":
                pos += 1
            nodes.append(parse_unary())
        return nodes[0] if len(nodes) == 1 else And(tuple(nodes))

    def parse_unary() -> Node:
        nonlocal pos
        kind = peek()
        if kind == "NOT":
            pos += 1
            return Not(parse_unary())
        if kind == "(":
            pos += 1
            node = parse_or()
            if peek() != ")":
                raise SearchSyntaxError("missing )")
            pos += 1
            return node
        if kind == "TERM":
            term = tokens[pos][1]
            pos += 1
            return term  # type: ignore[return-value]
        raise SearchSyntaxError(f"unexpected {kind!r}")

    if not tokens:
        return None
    node = parse_or()
    if pos != len(tokens):
        raise SearchSyntaxError("unexpected )")
    return node


def describe(node: Node) -> dict:
    """The ``parsed`` form Shopify echoes in ``extensions.search``."""
    if isinstance(node, Term):
        key = {":": "match_all", ">": "range_gt", ">=": "range_gte", "<": "range_lt"}.get(
            node.op, "range_lte"
        )
        return {"field": node.field or "default", key: node.value}
    if isinstance(node, Not):
        return {"not": describe(node.node)}
    if isinstance(node, And):
        return {"and": [describe(n) for n in node.nodes]}
    return {"or": [describe(n) for n in node.nodes]}


def terms(node: Node | None) -> list[Term]:
    if node is None:
        return []
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return terms(node.node)
    return [t for n in node.nodes for t in terms(n)]


# --------------------------------------------------------------------------- evaluation

_WORD_RE = re.compile(r"[0-9A-Za-z\u00c0-\uffff]+")


def _words(text: str | None) -> list[str]:
    return [w.lower() for w in _WORD_RE.findall(text or "")]


def parse_timestamp(value: str) -> tuple[datetime, bool] | None:
    """Parse a search timestamp; the flag says the value was a bare date."""
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return datetime.fromisoformat(text).replace(tzinfo=UTC), True
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC), False


def _compare(actual: object, op: str, expected: object) -> bool:
    if actual is None:
        return False
    if op == ">":
        return actual > expected  # type: ignore[operator]
    if op == ">=":
        return actual >= expected  # type: ignore[operator]
    if op == "<":
        return actual < expected  # type: ignore[operator]
    if op == "<=":
        return actual <= expected  # type: ignore[operator]
    return actual == expected


def _text_match(candidates: list[str | None], term: Term) -> bool:
    value = term.value.lower()
    if value.endswith("*"):
        prefix = value[:-1]
        return any(c is not None and c.lower().startswith(prefix) for c in candidates)
    return any(c is not None and c.lower() == value for c in candidates)


@dataclass
class FieldSpec:
    """How one named search field is evaluated against a record."""

    match: Callable[[dict, Term], bool]


@dataclass
class SearchContext:
    """The fields a resource accepts; ``named_only`` refuses free text (customersCount)."""

    fields: dict[str, FieldSpec]
    default: Callable[[dict, Term], bool] | None
    warnings: list[SearchWarning] = field(default_factory=list)


def evaluate(node: Node | None, record: dict, ctx: SearchContext) -> bool:
    if node is None:
        return True
    if isinstance(node, Term):
        if node.field is None:
            return ctx.default(record, node) if ctx.default else True
        spec = ctx.fields.get(node.field)
        return spec.match(record, node) if spec else True
    if isinstance(node, Not):
        inner = node.node
        if isinstance(inner, Term) and inner.field is not None and inner.field not in ctx.fields:
            return True
        return not evaluate(inner, record, ctx)
    if isinstance(node, And):
        return all(evaluate(n, record, ctx) for n in node.nodes)
    return any(evaluate(n, record, ctx) for n in node.nodes)


def warnings_for(node: Node | None, ctx: SearchContext) -> list[SearchWarning]:
    """Shopify's warnings for unknown fields (or free text where named fields are required)."""
    out: list[SearchWarning] = []
    for term in terms(node):
        if term.field is None and ctx.default is None:
            out.append(
                SearchWarning(
                    "default",
                    "Input must use named search fields in this query.",
                    "missing_named_field",
                )
            )
        elif term.field is not None and term.field not in ctx.fields:
            out.append(
                SearchWarning(term.field, "Invalid search field for this query.", "invalid_field")
            )
    return out


# --------------------------------------------------------------------------- customers


def _timestamp_field(key: str) -> FieldSpec:
    def match(record: dict, term: Term) -> bool:
        parsed = parse_timestamp(term.value)
        if parsed is None:
            return False
        moment, date_only = parsed
        actual = datetime.fromisoformat(record[key].replace("Z", "+00:00"))
        if date_only and term.op == ":":
            return actual.date() == moment.date()
        if date_only and term.op in (">", "<="):
            moment = moment.replace(hour=23, minute=59, second=59)
        return _compare(actual, term.op, moment)

    return FieldSpec(match)


def _id_match(record: dict, term: Term) -> bool:
    raw = term.value.rsplit("/", 1)[-1]
    if not raw.isdigit():
        return False
    return _compare(int(record["legacyResourceId"]), term.op, int(raw))


def _email_match(record: dict, term: Term) -> bool:
    email = (record.get("email") or "").lower()
    if not email:
        return False
    value = term.value.lower().strip()
    if term.quoted:
        return email == value
    if value.endswith("*"):
        return email.startswith(value[:-1])
    wanted = _words(value)
    have = set(_words(email))
    return bool(wanted) and all(w in have for w in wanted)


def _digits(text: str | None) -> str:
    return re.sub(r"\D", "", text or "")


def _phone_match(record: dict, term: Term) -> bool:
    phone = record.get("phone")
    if not phone:
        return False
    wanted = _digits(term.value)
    have = _digits(phone)
    return bool(wanted) and (have == wanted or (have.endswith(wanted) and len(wanted) >= 7))


def _tag_match(record: dict, term: Term) -> bool:
    return _text_match(list(record.get("tags") or []), term)


def _state_match(record: dict, term: Term) -> bool:
    return (record.get("state") or "").upper() == term.value.upper()


def _name_match(key: str) -> FieldSpec:
    return FieldSpec(lambda record, term: _text_match([record.get(key)], term))


def customer_search_context(
    country_of: Callable[[dict], tuple[str | None, str | None]],
    haystack: Callable[[dict], list[str]],
) -> SearchContext:
    """The search fields of ``customers(query:)``.

    ``country_of(record)`` gives the default address's (code, name); ``haystack(record)`` the
    words free text is matched against.
    """

    def country_match(record: dict, term: Term) -> bool:
        code, name = country_of(record)
        return _text_match([code, name], term)

    def default_match(record: dict, term: Term) -> bool:
        value = term.value.lower()
        if not value:
            return True
        words = haystack(record)
        if value.endswith("*"):
            prefix = value[:-1]
            return any(w.startswith(prefix) for w in words)
        if "@" in value or "." in value or "+" in value:
            email = (record.get("email") or "").lower()
            if value == email or (
                _digits(value) and _digits(value) == _digits(record.get("phone"))
            ):
                return True
        wanted = _words(value)
        return bool(wanted) and all(w in words for w in wanted)

    fields = {
        "email": FieldSpec(_email_match),
        "phone": FieldSpec(_phone_match),
        "updated_at": _timestamp_field("updatedAt"),
        "created_at": _timestamp_field("createdAt"),
        "id": FieldSpec(_id_match),
        "state": FieldSpec(_state_match),
        "tag": FieldSpec(_tag_match),
        "tag_not": FieldSpec(lambda r, t: not _tag_match(r, t)),
        "first_name": _name_match("firstName"),
        "last_name": _name_match("lastName"),
        "country": FieldSpec(country_match),
    }
    return SearchContext(fields=fields, default=default_match)


def customer_count_context() -> SearchContext:
    """``customersCount(query:)`` accepts only id and timestamp filters (others are warned)."""
    fields = {
        "id": FieldSpec(_id_match),
        "updated_at": _timestamp_field("updatedAt"),
        "created_at": _timestamp_field("createdAt"),
    }
    return SearchContext(fields=fields, default=None)


def order_search_context() -> SearchContext:
    """The subset of ``orders(query:)`` filters the emulator supports."""

    def customer_id_match(record: dict, term: Term) -> bool:
        cid = record.get("customerId")
        raw = term.value.rsplit("/", 1)[-1]
        return cid is not None and raw.isdigit() and int(cid.rsplit("/", 1)[-1]) == int(raw)

    def email_match(record: dict, term: Term) -> bool:
        return _email_match({"email": record.get("email")}, term)

    def source_match(record: dict, term: Term) -> bool:
        return (record.get("sourceName") or "").lower() == term.value.lower()

    fields = {
        "id": FieldSpec(_id_match),
        "created_at": _timestamp_field("createdAt"),
        "updated_at": _timestamp_field("updatedAt"),
        "customer_id": FieldSpec(customer_id_match),
        "email": FieldSpec(email_match),
        "source_name": FieldSpec(source_match),
        "name": FieldSpec(lambda r, t: _text_match([r.get("name")], t)),
    }

    def default_match(record: dict, term: Term) -> bool:
        return _text_match([record.get("name"), record.get("email")], term)

    return SearchContext(fields=fields, default=default_match)
