"""Record a real store's answers to read-only documents, scrubbed, as a replayable capture."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse

from shopsync.endpoints import API_VERSION
from shopsync.errors import ProtectedDataRefused, ShopifyRefused, UserInputError
from shopsync.shopify import queries
from shopsync.shopify.client import NOT_APPROVED, ShopifyClient, email_search

__all__ = [
    "RECORDED_DOMAIN",
    "SAMPLE_SIZE",
    "Recorder",
    "Scrubber",
    "read_only",
    "record_store",
    "write_recording",
]

#: The shop domain every recording names instead of the real one.
RECORDED_DOMAIN = "recorded-store.myshopify.com"
#: How many customers a recording reads (and carries, scrubbed, as the replay's seed).
SAMPLE_SIZE = 25

# One customers page by id, with the fields the client reads (the replay's seed).
_SAMPLE_PAGE = (
    """
query RecordCustomers($first: Int!, $query: String) {
  customers(first: $first, query: $query, sortKey: ID) {
    nodes { ...CustomerFields }
  }
}
"""
    + queries.CUSTOMER_FIELDS
)


def read_only(document: str) -> str:
    """``document`` when every operation in it is a query; raises UserInputError for a
    mutation or subscription (or a document that does not parse), before anything is sent."""
    try:
        parsed = parse(document)
    except GraphQLError as exc:
        raise UserInputError(f"not a GraphQL document: {exc.message}") from None
    kinds = {d.operation for d in parsed.definitions if isinstance(d, OperationDefinitionNode)}
    if kinds != {OperationType.QUERY}:
        names = ", ".join(sorted(k.value for k in kinds)) or "no operation"
        raise UserInputError(f"the recorder sends read-only queries only, not: {names}")
    return document


#: Fields whose values are personal data, by what replaces them.
_PERSONAL = {
    "firstName": "first",
    "lastName": "last",
    "company": "company",
    "address1": "street",
    "address2": "unit",
    "note": "note",
    "emailAddress": "email",
    "email": "email",
    "phoneNumber": "phone",
    "phone": "phone",
}


@dataclass
class Scrubber:
    """Replaces personal data with stable pseudonyms, the same value by the same one
    everywhere (seed, variables, answers), so a scrubbed recording still replays."""

    mapping: dict[str, str] = field(default_factory=dict)
    _kinds: dict[str, str] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)

    def pseudonym(self, kind: str, value: str) -> str:
        """The stand-in for ``value``; an e-mail keeps its case and surrounding spaces, so a
        lookup that tests normalisation still does."""
        key = value.strip().lower() if kind == "email" else value.strip()
        if key not in self.mapping:
            n = self._counts[kind] = self._counts.get(kind, 0) + 1
            self.mapping[key] = {
                "first": f"First{n}",
                "last": f"Last{n}",
                "company": f"Company {n}",
                "street": f"{n} Example Street",
                "unit": f"Unit {n}",
                "note": f"Note {n}",
                "email": f"customer{n}@example.com",
                "phone": f"+1415555{n:04d}",
            }[kind]
            self._kinds[key] = kind
        stand_in = self.mapping[key]
        if kind == "email":
            core = value.strip()
            if core != core.lower():
                stand_in = stand_in.upper()
            start = value.index(core[0]) if core else 0
            stand_in = value[:start] + stand_in + value[start + len(core) :]
        return stand_in

    def learn(self, value: Any) -> None:
        """Collect the personal values of ``value`` (customer nodes) into the mapping."""
        for kind, text in _personal_values(value):
            self.pseudonym(kind, text)

    def scrub(self, value: Any) -> Any:
        """``value`` with every known personal value replaced: in its fields, and e-mails and
        phones inside other texts (a search such as ``email:"ann@x.com"``)."""
        if isinstance(value, Mapping):
            out = {}
            for key, item in value.items():
                kind = _PERSONAL.get(key)
                if kind and isinstance(item, str) and item.strip():
                    out[key] = self.pseudonym(kind, item)
                elif key == "query" and isinstance(item, str) and "{" in item:
                    out[key] = item  # a GraphQL document: no personal data, left intact
                else:
                    out[key] = self.scrub(item)
            return out
        if isinstance(value, list):
            return [self.scrub(item) for item in value]
        if isinstance(value, str):
            for original, kind in self._kinds.items():
                if kind in ("email", "phone") and original.lower() in value.lower():
                    value = re.sub(re.escape(original), self.mapping[original], value, flags=re.I)
            return value
        return value

    def leaks(self, text: str) -> list[str]:
        """Original e-mails and phones still present in ``text`` (must be none). Names and
        street lines are replaced field by field; a name may also be a city's (San Diego)."""
        return [
            original
            for original, kind in self._kinds.items()
            if kind in ("email", "phone") and original.lower() in text.lower()
        ]


def _personal_values(value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            kind = _PERSONAL.get(key)
            if kind and isinstance(item, str) and item.strip():
                yield kind, item
            else:
                yield from _personal_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _personal_values(item)


@dataclass
class Recorder:
    """Sends read-only documents through a client and keeps each request/response pair."""

    client: ShopifyClient
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)

    def query(self, name: str, document: str, variables: Mapping[str, Any] | None = None) -> Any:
        """Send one read-only document (refused otherwise, before sending); returns ``data``."""
        read_only(document)
        variables = dict(variables or {})
        body = self.client.execute(document, variables, raw=True)
        self.cases[name] = {
            "query": document,
            "variables": variables,
            "status": 200,
            "response": body,
        }
        if body.get("data") is None:
            messages = "; ".join(str(e.get("message")) for e in body.get("errors") or [])
            if NOT_APPROVED in messages:
                raise ProtectedDataRefused(name, messages)
            raise ShopifyRefused(name, messages or "an answer without data")
        return body["data"]


def record_store(
    client: ShopifyClient,
    *,
    sample_size: int = SAMPLE_SIZE,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, Any]:
    """Record the shop's answers to the client's read documents over a sample of its
    customers; returns the capture (scrubbed), with the sample as the replay's seed."""
    recorder = Recorder(client)
    shop = recorder.query("shopInfo", queries.SHOP_INFO)["shop"]
    page = recorder.query("customersSample", _SAMPLE_PAGE, {"first": sample_size})
    sample = page["customers"]["nodes"]
    if sample:
        last_id = sample[-1]["legacyResourceId"]
        within = f"id:<={last_id}"
        recorder.query("customersCount", queries.CUSTOMERS_COUNT, {"query": within})
        recorder.query(
            "customersByUpdatedAt",
            queries.CUSTOMERS_PAGE,
            {"first": sample_size, "query": within},
        )
        email = next(
            (c["defaultEmailAddress"]["emailAddress"] for c in sample if c["defaultEmailAddress"]),
            None,
        )
        if email:
            recorder.query(
                "customersByEmail",
                queries.CUSTOMERS_PAGE,
                {"first": 5, "query": email_search(email)},
            )
            recorder.query(
                "customerByEmail",
                queries.CUSTOMER_BY_IDENTIFIER,
                {"identifier": {"emailAddress": f" {email.upper()} "}},
            )
        phone = next(
            (c["defaultPhoneNumber"]["phoneNumber"] for c in sample if c["defaultPhoneNumber"]),
            None,
        )
        if phone:
            recorder.query(
                "customerByPhone",
                queries.CUSTOMER_BY_IDENTIFIER,
                {"identifier": {"phoneNumber": phone}},
            )
    recorder.query(
        "customerByUnknownEmail",
        queries.CUSTOMER_BY_IDENTIFIER,
        {"identifier": {"emailAddress": "nobody-shopsync-record@example.com"}},
    )
    scrubber = Scrubber()
    scrubber.learn(sample)
    seed_shop = {
        "name": "Recorded shop",
        "customerAccountsVersion": (shop.get("customerAccountsV2") or {}).get(
            "customerAccountsVersion"
        ),
        "customerAccounts": shop.get("customerAccounts"),
        "shipsToCountries": shop.get("shipsToCountries"),
    }
    for case in recorder.cases.values():  # the shop's name is not the recording's business
        data = case["response"].get("data") or {}
        if isinstance(data.get("shop"), dict) and "name" in data["shop"]:
            data["shop"]["name"] = seed_shop["name"]
    capture = {
        "scenarioId": "shopsync-record",
        "capturedAt": now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "storeDomain": RECORDED_DOMAIN,
        "apiVersion": API_VERSION,
        "notes": (
            "Recorded by `shopsync record`: read-only documents only; names, e-mails, phones, "
            "street lines, companies and notes replaced by pseudonyms; no token. `seed` is the "
            "scrubbed sample the replay seeds its emulator with."
        ),
        "seed": {"shop": seed_shop, "customers": scrubber.scrub(sample)},
        "cases": scrubber.scrub(recorder.cases),
    }
    leaks = scrubber.leaks(json.dumps(capture, ensure_ascii=False))
    if leaks:  # a guarantee, not a hope: never write a recording with personal data in it
        raise AssertionError(f"{len(leaks)} e-mail(s) or phone(s) survived scrubbing")
    return capture


def write_recording(capture: Mapping[str, Any], out_dir: str | Path) -> Path:
    """Write ``capture`` as ``<out_dir>/recorded-<timestamp>.json``; returns the path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = str(capture.get("capturedAt", "")).replace(":", "").replace("-", "")
    path = out / f"recorded-{stamp or 'capture'}.json"
    path.write_text(json.dumps(capture, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
