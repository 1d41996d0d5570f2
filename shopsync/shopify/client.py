"""The one Shopify boundary: HTTP, token, cost-aware pacing, retries, pagination, searches."""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from shopsync.endpoints import API_VERSION
from shopsync.errors import (
    ProtectedDataRefused,
    ShopifyRefused,
    ShopifyUnavailable,
    StopError,
    WriteOutcomeUnknown,
)
from shopsync.shopify import queries

__all__ = [
    "NOT_APPROVED",
    "TOKEN_ENV",
    "CallStats",
    "MutationResult",
    "Paginator",
    "QueryTooCostly",
    "ResultUrlExpired",
    "ShopifyClient",
    "Throttle",
    "email_search",
    "phone_search",
    "read_token",
]

TOKEN_ENV = "SHOPIFY_ACCESS_TOKEN"


def read_token() -> str:
    """The access token: ``SHOPIFY_ACCESS_TOKEN``, else the system keyring (service
    ``shopsync``, user ``SHOPIFY_ACCESS_TOKEN``) when the keyring package is installed."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        return token
    try:
        import keyring  # optional
    except ImportError:
        keyring = None
    if keyring is not None:
        stored = keyring.get_password("shopsync", TOKEN_ENV)
        if stored:
            return stored.strip()
    raise StopError(
        f"no Shopify access token: set the {TOKEN_ENV} environment variable "
        "(never put it in a config file or a notebook)"
    )


def email_search(email: str) -> str:
    """A customers search term for one exact e-mail: quoted, so Shopify does not tokenise it."""
    escaped = email.strip().replace("\\", "\\\\").replace('"', '\\"')
    return f'email:"{escaped}"'


def phone_search(e164: str) -> str:
    """A customers search term for one phone, sent as ``+digits``."""
    digits = "".join(ch for ch in e164 if ch.isdigit())
    return f"phone:+{digits}"


@dataclass
class Throttle:
    """Our estimate of the shop's leaky bucket, refreshed from every ``throttleStatus``."""

    maximum: float = 1000.0
    available: float = 1000.0
    restore_rate: float = 50.0
    measured_at: float = 0.0

    def update(self, status: Mapping[str, Any], now: float) -> None:
        self.maximum = float(status.get("maximumAvailable", self.maximum))
        self.available = float(status.get("currentlyAvailable", self.available))
        self.restore_rate = float(status.get("restoreRate", self.restore_rate)) or 1.0
        self.measured_at = now

    def spend(self, cost: float, now: float) -> None:
        """Account for a request sent before its answer brings the real figure."""
        self.available = self.estimate(now) - cost
        self.measured_at = now

    def estimate(self, now: float) -> float:
        elapsed = max(now - self.measured_at, 0.0)
        return min(self.maximum, self.available + elapsed * self.restore_rate)

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds to wait so that ``cost`` points are available."""
        missing = min(cost + 1.0, self.maximum) - self.estimate(now)  # a point of margin
        return max(missing / self.restore_rate, 0.0)


@dataclass
class CallStats:
    """What the client did, for reports, tests and benchmarks."""

    requests: int = 0
    throttled: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    cost: float = 0.0
    by_operation: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class MutationResult:
    """One record's write: the object Shopify returned, or its userErrors (never dropped)."""

    ok: bool
    data: Mapping[str, Any] | None
    user_errors: tuple[tuple[str, str], ...] = ()

    @property
    def message(self) -> str:
        """Shopify's messages, as ``field: message; ...``."""
        return "; ".join(f"{f}: {m}" if f else m for f, m in self.user_errors)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any] | None, key: str) -> MutationResult:
        payload = payload or {}
        errors = tuple(
            (".".join(str(p) for p in (e.get("field") or [])), str(e.get("message", "")))
            for e in payload.get("userErrors") or []
        )
        data = payload.get(key)
        return cls(ok=not errors and data is not None, data=data, user_errors=errors)


class QueryTooCostly(ShopifyRefused):
    """One request would cost more than Shopify's single-query limit (MAX_COST_EXCEEDED);
    a smaller page can go through (the Paginator shrinks and goes on)."""

    def __init__(self, operation: str, message: str, request_id: str, cost: float, limit: float):
        super().__init__(operation, message, request_id)
        self.cost = cost
        self.limit = limit


class ResultUrlExpired(ShopifyUnavailable):
    """A bulk result URL no longer serves the file (signed URLs expire): ask for a fresh one."""


# retry reasons that mean Shopify did not run the request (safe to send again)
_NOT_APPLIED = ("THROTTLED", "HTTP 429")


class _Retry(Exception):
    """Internal: this attempt failed in a way worth another try."""

    def __init__(self, reason: str, after: float | None = None, request_id: str = ""):
        super().__init__(reason)
        self.after = after
        self.request_id = request_id


class ShopifyClient:
    """A session with one shop's Admin GraphQL API (version pinned).

    The token is sent only to the shop's GraphQL endpoint, never to download or upload URLs,
    and appears in no message, log or repr.
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        api_version: str = API_VERSION,
        session: requests.Session | None = None,
        max_tries: int = 8,
        timeout: float = 30.0,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        seed: int | None = None,
        bulk_poll: float = 1.0,
        bulk_timeout: float = 3600.0,
    ):
        """``bulk_poll``: seconds between reads of a running bulk operation (and between tries
        of a refused start); ``bulk_timeout``: how long to wait for one before giving up."""
        if not token:
            raise StopError(f"no Shopify access token: set {TOKEN_ENV}")
        self.url = url.rstrip("/")
        self.endpoint = f"{self.url}/admin/api/{api_version}/graphql.json"
        self._token = token
        self.session = session or requests.Session()
        self.max_tries = max_tries
        self.timeout = timeout
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep
        self._clock = clock
        self._random = random.Random(seed)
        self.throttle = Throttle(measured_at=clock())
        self.stats = CallStats()
        self._costs: dict[str, float] = dict(queries.EXPECTED_COSTS)
        self.bulk_poll = bulk_poll
        self.bulk_timeout = bulk_timeout

    def __repr__(self) -> str:
        return f"ShopifyClient({self.endpoint!r})"

    # -- the one request loop --------------------------------------------------------------

    def execute(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        operation: str = "",
        once: bool = False,
        raw: bool = False,
    ) -> dict[str, Any]:
        """Run one document; returns ``data``. Waits before a request would be throttled,
        retries transient failures with exponential backoff and jitter, and raises
        ShopifyUnavailable (after ``max_tries``) or ShopifyRefused (no retry can help).

        A write that is not idempotent (an invite, an address create) goes ``once``: it is
        retried only when Shopify said it did not run it (throttled); when the answer is lost
        it raises WriteOutcomeUnknown, and the caller reads Shopify's state before resending.

        ``raw``: return the whole HTTP 200 body, its ``errors`` included (a recording keeps
        Shopify's answers as they are); throttling and transport failures are still retried.
        """
        operation = operation or _operation_name(document)
        expected_cost = self._costs.get(operation, 10.0)
        last: _Retry | None = None
        for attempt in range(self.max_tries):
            self._pace(expected_cost)
            try:
                return self._attempt(document, variables, operation, expected_cost, raw)
            except _Retry as retry:
                last = retry
                if once and not str(retry).startswith(_NOT_APPLIED):
                    raise WriteOutcomeUnknown(operation, str(retry)) from None
                if attempt + 1 == self.max_tries:
                    break
                self.stats.retries += 1
                delay = retry.after if retry.after is not None else self._backoff(attempt)
                self.wait(delay)
        assert last is not None
        raise ShopifyUnavailable(
            operation, f"no answer after {self.max_tries} tries: {last}", last.request_id
        )

    def _attempt(
        self,
        document: str,
        variables: Mapping[str, Any] | None,
        operation: str,
        expected_cost: float,
        raw: bool = False,
    ) -> dict[str, Any]:
        self.stats.requests += 1
        self.stats.by_operation[operation] = self.stats.by_operation.get(operation, 0) + 1
        self.throttle.spend(expected_cost, self._clock())
        try:
            response = self.session.post(
                self.endpoint,
                json={"query": document, "variables": dict(variables or {})},
                headers={"X-Shopify-Access-Token": self._token, "Accept": "application/json"},
                timeout=self.timeout,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _Retry(f"connection failed ({type(exc).__name__})") from None
        return self._read_response(response, operation, raw)

    def _read_response(
        self, response: requests.Response, operation: str, raw: bool = False
    ) -> dict[str, Any]:
        """The one place that maps Shopify's HTTP and GraphQL answers to outcomes."""
        request_id = response.headers.get("X-Request-Id", "")
        status = response.status_code
        if status in (401, 403):
            raise ShopifyRefused(
                operation,
                f"Shopify refused the access token (HTTP {status}); check {TOKEN_ENV} "
                "and the app's API scopes",
                request_id,
            )
        if status == 429:
            self.stats.throttled += 1
            raise _Retry("HTTP 429", _retry_after(response), request_id)
        if status >= 500:
            raise _Retry(f"HTTP {status}", None, request_id)
        try:
            body = response.json()
        except (ValueError, json.JSONDecodeError):
            if status >= 400:
                raise ShopifyRefused(operation, f"HTTP {status}", request_id) from None
            raise _Retry(f"HTTP {status} with a body that is not JSON", None, request_id) from None
        if status >= 400:
            raise ShopifyRefused(operation, f"HTTP {status}: {_messages(body)}", request_id)

        cost = (body.get("extensions") or {}).get("cost") or {}
        if cost:
            self.throttle.update(cost.get("throttleStatus") or {}, self._clock())
            requested = float(cost.get("requestedQueryCost") or 0)
            if requested:
                self._costs[operation] = requested
            self.stats.cost += float(cost.get("actualQueryCost") or requested or 0)
        errors = body.get("errors") or []
        codes = {((e or {}).get("extensions") or {}).get("code") for e in errors}
        if "THROTTLED" in codes:
            self.stats.throttled += 1
            needed = self._costs.get(operation, 10.0)
            raise _Retry("THROTTLED", self.throttle.wait_for(needed, self._clock()), request_id)
        if raw:
            return body
        if any(NOT_APPROVED in str((e or {}).get("message", "")) for e in errors):
            raise ProtectedDataRefused(operation, _messages(body), request_id)
        if "INTERNAL_SERVER_ERROR" in codes:  # Shopify failed on its side: worth another try
            raise _Retry("INTERNAL_SERVER_ERROR", None, request_id)
        if "MAX_COST_EXCEEDED" in codes:
            extensions = next(
                (e.get("extensions") or {})
                for e in errors
                if ((e or {}).get("extensions") or {}).get("code") == "MAX_COST_EXCEEDED"
            )
            raise QueryTooCostly(
                operation,
                _messages(body),
                request_id,
                float(extensions.get("cost") or 0),
                float(extensions.get("maxCost") or 1000),
            )
        if errors:
            raise ShopifyRefused(operation, _messages(body), request_id)
        data = body.get("data")
        if data is None:
            raise _Retry("answer without data", None, request_id)
        return data

    def _pace(self, cost: float) -> None:
        self.wait(self.throttle.wait_for(cost, self._clock()))

    def wait(self, seconds: float) -> None:
        """Sleep (through the injected clock's sleep), counted in the stats."""
        if seconds > 0:
            self.stats.waited_seconds += seconds
            self._sleep(seconds)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.max_backoff, self.backoff * 2**attempt)
        return self._random.uniform(ceiling / 2, ceiling)

    # -- reads -------------------------------------------------------------------------------

    def shop(self) -> dict[str, Any]:
        """Shop facts: name, ships-to countries, customer accounts settings."""
        return self.execute(queries.SHOP_INFO)["shop"]

    def preflight(self) -> dict[str, Any]:
        """A small read at the start of a live run: the shop's facts and one customer's
        protected fields. Raises ProtectedDataRefused (never retried) when Shopify withholds
        customer data, ShopifyRefused for a bad token or scope; returns the shop's facts."""
        data = self.execute(queries.PREFLIGHT)
        return data["shop"]

    def access_scopes(self) -> set[str]:
        """The scopes the token was granted (e.g. ``read_all_orders``)."""
        data = self.execute(queries.ACCESS_SCOPES)["currentAppInstallation"]
        return {scope["handle"] for scope in data["accessScopes"]}

    def reads_all_orders(self) -> bool:
        """False when Shopify serves this token only the last 60 days of orders (no
        ``read_all_orders`` scope): older orders are then missing, not empty."""
        return "read_all_orders" in self.access_scopes()

    def count_customers(self, query: str | None = None, *, limit: int | None = None) -> int:
        """How many customers match ``query`` (at least ``limit`` when capped there)."""
        data = self.execute(queries.CUSTOMERS_COUNT, {"query": query, "limit": limit})
        return int(data["customersCount"]["count"])

    def customers(self, query: str | None = None) -> Iterator[dict[str, Any]]:
        """Every customer matching a search ``query`` (all when None), page by page."""
        variables = {"first": queries.CUSTOMER_PAGE_SIZE, "query": query}
        yield from Paginator(self, queries.CUSTOMERS_PAGE, ("customers",)).nodes(variables)

    def orders(self, query: str | None = None) -> Iterator[dict[str, Any]]:
        """Every order matching a search ``query``, page by page."""
        variables = {"first": 50, "query": query}
        yield from Paginator(self, queries.ORDERS_PAGE, ("orders",)).nodes(variables)

    def customer_by_identifier(
        self, *, email: str | None = None, phone: str | None = None, gid: str | None = None
    ) -> dict[str, Any] | None:
        """The customer with exactly this e-mail, phone (E.164) or id; None when none."""
        identifier = {
            key: value
            for key, value in (("emailAddress", email), ("phoneNumber", phone), ("id", gid))
            if value
        }
        if len(identifier) != 1:
            raise ValueError("give exactly one of email, phone, gid")
        data = self.execute(queries.CUSTOMER_BY_IDENTIFIER, {"identifier": identifier})
        return data.get("customerByIdentifier")

    def find_customers(self, *, email: str = "", phone: str = "") -> list[dict[str, Any]]:
        """Customers whose e-mail (case-insensitive) or E.164 phone is exactly this one.

        Shopify's search tokenises terms and matches loosely, so every hit is re-checked.
        """
        found: dict[str, dict[str, Any]] = {}
        if email:
            wanted = email.strip().casefold()
            for node in self.customers(email_search(email)):
                if _customer_email(node).casefold() == wanted:
                    found[node["id"]] = node
        if phone:
            for node in self.customers(phone_search(phone)):
                if _customer_phone(node) == phone:
                    found[node["id"]] = node
        return list(found.values())

    # -- writes ------------------------------------------------------------------------------

    def set_customer(
        self, input_: Mapping[str, Any], *, identifier: Mapping[str, Any]
    ) -> MutationResult:
        """Create or update one customer with ``customerSet`` (an upsert on ``identifier``,
        so a retry after a lost answer cannot make a duplicate)."""
        data = self.execute(
            queries.CUSTOMER_SET, {"identifier": dict(identifier), "input": dict(input_)}
        )
        return MutationResult.from_payload(data.get("customerSet"), "customer")

    def update_customer(self, input_: Mapping[str, Any]) -> MutationResult:
        """``customerUpdate`` of the fields in ``input_`` (which holds the customer's ``id``)."""
        data = self.execute(queries.CUSTOMER_UPDATE, {"input": dict(input_)})
        return MutationResult.from_payload(data.get("customerUpdate"), "customer")

    def upsert_address(
        self, customer_gid: str, address: Mapping[str, Any], address_gid: str | None
    ) -> MutationResult:
        """Update the customer's address ``address_gid``, or create it as the default."""
        if address_gid:
            data = self.execute(
                queries.CUSTOMER_ADDRESS_UPDATE,
                {"customerId": customer_gid, "addressId": address_gid, "address": dict(address)},
            )
            return MutationResult.from_payload(data.get("customerAddressUpdate"), "address")
        data = self.execute(
            queries.CUSTOMER_ADDRESS_CREATE,
            {"customerId": customer_gid, "address": dict(address)},
            once=True,
        )
        return MutationResult.from_payload(data.get("customerAddressCreate"), "address")

    def invites_available(self, shop: Mapping[str, Any] | None = None) -> tuple[bool, str]:
        """Whether Shopify can send account invites here, and why not: only classic customer
        accounts have invites, and only when customer accounts are not disabled."""
        shop = shop if shop is not None else self.shop()
        version = (shop.get("customerAccountsV2") or {}).get("customerAccountsVersion")
        if version != "CLASSIC":
            return False, (
                "the store uses new customer accounts, which have no invites; customers sign "
                "in with one-time e-mail codes"
            )
        if shop.get("customerAccounts") == "DISABLED":
            return False, "customer accounts are disabled in the store's settings"
        return True, ""

    def customer_state(self, customer_gid: str) -> str | None:
        """The customer's account state (DISABLED, INVITED, ENABLED, DECLINED); None when the
        customer does not exist. An exact read, never the lagging search."""
        customer = self.execute(queries.CUSTOMER_STATE, {"id": customer_gid})["customer"]
        return customer["state"] if customer else None

    def send_invite(self, customer_gid: str) -> MutationResult:
        """Send the account invite e-mail (classic customer accounts only)."""
        data = self.execute(queries.CUSTOMER_SEND_INVITE, {"customerId": customer_gid}, once=True)
        return MutationResult.from_payload(data.get("customerSendAccountInviteEmail"), "customer")

    def activation_url(self, customer_gid: str) -> MutationResult:
        """An account activation URL (classic customer accounts only)."""
        data = self.execute(queries.CUSTOMER_GENERATE_ACTIVATION_URL, {"customerId": customer_gid})
        return MutationResult.from_payload(
            data.get("customerGenerateAccountActivationUrl"), "accountActivationUrl"
        )

    # -- plain HTTP for bulk files (never with the token) -----------------------------------

    def download(self, url: str) -> Iterator[str]:
        """Lines of a bulk result file. Raises ResultUrlExpired when the URL no longer
        serves it (a signed URL past its expiry answers 4xx): poll the operation again."""
        for attempt in range(self.max_tries):
            try:
                response = self.session.get(url, timeout=self.timeout, stream=True)
                if response.status_code >= 500:
                    raise requests.ConnectionError(f"HTTP {response.status_code}")
                if response.status_code >= 400:
                    raise ResultUrlExpired(
                        "download", f"the result URL answers HTTP {response.status_code}"
                    )
                lines = [line for line in response.iter_lines(decode_unicode=True) if line]
                return iter(lines)
            except (requests.ConnectionError, requests.Timeout):
                if attempt + 1 == self.max_tries:
                    raise ShopifyUnavailable("download", f"cannot fetch {url}") from None
                self.wait(self._backoff(attempt))
        raise AssertionError("unreachable")

    def upload(self, url: str, parameters: list[Mapping[str, str]], content: bytes) -> None:
        """POST a staged upload (multipart form: the target's parameters, then the file)."""
        fields = {p["name"]: (None, p["value"]) for p in parameters}
        fields["file"] = ("upload.jsonl", content, "text/jsonl")
        for attempt in range(self.max_tries):
            try:
                response = self.session.post(url, files=fields, timeout=self.timeout)
                if response.status_code >= 500:
                    raise requests.ConnectionError(f"HTTP {response.status_code}")
                if response.status_code >= 400:
                    raise ShopifyRefused("upload", f"HTTP {response.status_code}")
                return
            except (requests.ConnectionError, requests.Timeout):
                if attempt + 1 == self.max_tries:
                    raise ShopifyUnavailable("upload", f"cannot upload to {url}") from None
                self.wait(self._backoff(attempt))


class Paginator:
    """Walks a connection with cursors; refuses to loop on a cursor it has already seen.

    The only loop over pages in shopsync.
    """

    def __init__(self, client: ShopifyClient, document: str, path: tuple[str, ...]):
        self.client = client
        self.document = document
        self.path = path

    def nodes(self, variables: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Every node, page by page. A page Shopify finds too costly (MAX_COST_EXCEEDED) is
        asked again smaller, and the smaller size is kept for the pages after it."""
        seen: set[str] = set()
        after: str | None = None
        first = int(variables.get("first") or 0)
        while True:
            sized = {**variables, "first": first} if first else dict(variables)
            try:
                data = self.client.execute(self.document, {**sized, "after": after})
            except QueryTooCostly as refused:
                if first <= 1:
                    raise
                first = _smaller_page(first, refused.cost, refused.limit)
                continue
            connection: Any = data
            for key in self.path:
                connection = connection[key]
            yield from connection["nodes"]
            info = connection["pageInfo"]
            if not info["hasNextPage"]:
                return
            after = info["endCursor"]
            if not after or after in seen:
                raise ShopifyRefused(
                    _operation_name(self.document), f"pagination loops on cursor {after!r}"
                )
            seen.add(after)


def _smaller_page(first: int, cost: float, limit: float) -> int:
    """A page size that should fit under ``limit``: scaled by limit/cost, at least halved."""
    scaled = int(first * limit / cost) if cost > 0 else first // 2
    return max(1, min(first // 2, scaled))


#: What Shopify's errors say when an app lacks protected customer data access.
NOT_APPROVED = "is not approved to access"

_OPERATION = re.compile(r"^\s*(?:query|mutation)\s+(\w+)")


def _operation_name(document: str) -> str:
    match = _OPERATION.match(document)
    return match.group(1) if match else "anonymous"


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


def _messages(body: Mapping[str, Any]) -> str:
    errors = body.get("errors")
    if isinstance(errors, str):
        return errors
    return "; ".join(str((e or {}).get("message", e)) for e in errors or []) or "no message"


def _customer_email(node: Mapping[str, Any]) -> str:
    return ((node.get("defaultEmailAddress") or {}).get("emailAddress") or "").strip()


def _customer_phone(node: Mapping[str, Any]) -> str:
    return ((node.get("defaultPhoneNumber") or {}).get("phoneNumber") or "").strip()
