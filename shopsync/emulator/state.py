"""The emulator's in-memory state: customers, addresses, orders, shop settings, bulk work."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .validation import (
    ADDRESS_KEYS,
    normalize_address,
    normalize_email,
    normalize_phone,
    normalize_tags,
)

CUSTOMER_GID = "gid://shopify/Customer/"
ADDRESS_GID = "gid://shopify/MailingAddress/"
ORDER_GID = "gid://shopify/Order/"
ADDRESS_SUFFIX = "?model_name=CustomerAddress"

_GID_RE = re.compile(r"^gid://shopify/(\w+)/(\d+)(?:\?.*)?$")

CUSTOMER_ACCOUNTS_VERSIONS = ("CLASSIC", "NEW_CUSTOMER_ACCOUNTS")
#: The token's scopes unless the seed's shop.json (``accessScopes``) or the Emulator says
#: otherwise. Without ``read_all_orders`` Shopify serves only the last 60 days of orders.
DEFAULT_ACCESS_SCOPES = ("read_customers", "write_customers", "read_orders")
ORDER_WINDOW_DAYS = 60


def parse_gid(value: object, kind: str | None = None) -> int | None:
    """Numeric id of ``gid://shopify/<kind>/<n>`` (None when malformed or of another kind)."""
    if not isinstance(value, str):
        return None
    match = _GID_RE.match(value.strip())
    if not match or (kind is not None and match.group(1) != kind):
        return None
    return int(match.group(2))


def customer_gid(n: int) -> str:
    return f"{CUSTOMER_GID}{n}"


def address_gid(n: int) -> str:
    return f"{ADDRESS_GID}{n}{ADDRESS_SUFFIX}"


def format_ts(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class ShopState:
    """All mutable emulator state. Every access goes through ``lock`` (re-entrant)."""

    def __init__(
        self,
        *,
        now: Callable[[], datetime] | None = None,
        clock: Callable[[], float] | None = None,
        search_delay: float = 0.0,
        shopify_plan: str = "standard",
        customer_accounts_version: str = "CLASSIC",
    ) -> None:
        self.lock = threading.RLock()
        self._now = now or (lambda: datetime.now(UTC))
        self.clock = clock or time.monotonic
        self.search_delay = search_delay
        self.customers: dict[int, dict] = {}
        self.addresses: dict[int, dict] = {}
        self.orders: dict[int, dict] = {}
        self.email_index: dict[str, int] = {}
        self.phone_index: dict[str, int] = {}
        # What customers(query:) sees: a snapshot per customer, refreshed search_delay seconds
        # after each write (creates and updates alike; Shopify's search index lags).
        self._indexed: dict[int, dict] = {}
        self._pending: dict[int, tuple[float, dict]] = {}
        self.invites: list[dict] = []
        self.activation_urls: list[dict] = []
        self.shop: dict[str, Any] = {
            "id": "gid://shopify/Shop/1",
            "name": "shopsync emulator",
            "myshopifyDomain": "shopsync-emulator.myshopify.com",
            "plan": shopify_plan,
            "customerAccountsVersion": customer_accounts_version,
            "customerAccounts": "OPTIONAL",  # REQUIRED, OPTIONAL or DISABLED
            "shipsToCountries": ["US", "CA", "NL", "BE", "DE", "FR", "GB"],
        }
        self.access_scopes: list[str] = list(DEFAULT_ACCESS_SCOPES)
        self._next_customer = 1001
        self._next_address = 2001
        self._last_stamp = 0

    # ------------------------------------------------------------------ clock and ids
    def stamp(self) -> str:
        """A write timestamp: wall clock, but strictly increasing (bumped by 1 s if needed)."""
        with self.lock:
            current = int(self._now().timestamp())
            self._last_stamp = max(current, self._last_stamp + 1)
            return format_ts(self._last_stamp)

    def now(self) -> datetime:
        """The (injectable) wall clock."""
        return self._now()

    def now_ts(self) -> str:
        return format_ts(max(int(self._now().timestamp()), self._last_stamp))

    def new_customer_id(self) -> int:
        with self.lock:
            n = self._next_customer
            self._next_customer += 1
            return n

    def new_address_id(self) -> int:
        with self.lock:
            n = self._next_address
            self._next_address += 1
            return n

    @property
    def default_region(self) -> str:
        ships = self.shop.get("shipsToCountries") or ["US"]
        return "US" if "US" in ships else ships[0]

    # ------------------------------------------------------------------ lookups
    def customer(self, gid: object) -> dict | None:
        n = parse_gid(gid, "Customer")
        return self.customers.get(n) if n is not None else None

    def by_email(self, email: str) -> dict | None:
        n = self.email_index.get(normalize_email(email))
        return self.customers.get(n) if n is not None else None

    def by_phone(self, phone: str) -> dict | None:
        e164 = normalize_phone(phone, self.default_region)
        n = self.phone_index.get(e164) if e164 else None
        return self.customers.get(n) if n is not None else None

    def address(self, gid: object) -> dict | None:
        n = parse_gid(gid, "MailingAddress")
        return self.addresses.get(n) if n is not None else None

    def customer_addresses(self, customer: dict) -> list[dict]:
        return [self.addresses[a] for a in customer["addressIds"] if a in self.addresses]

    def default_address(self, customer: dict) -> dict | None:
        aid = customer.get("defaultAddressId")
        return self.addresses.get(aid) if aid is not None else None

    def visible_orders(self) -> list[dict]:
        """The orders the token may read: all with ``read_all_orders``, else the last 60 days."""
        if "read_all_orders" in self.access_scopes:
            return list(self.orders.values())
        cutoff = self.now().timestamp() - ORDER_WINDOW_DAYS * 86400
        return [o for o in self.orders.values() if parse_ts(o["createdAt"]) >= cutoff]

    def orders_of(self, customer: dict) -> list[dict]:
        return [o for o in self.orders.values() if o.get("customerId") == customer["id"]]

    def search_view(self, customer: dict) -> dict | None:
        """The customer as the search index knows it: its state ``search_delay`` seconds after
        its last write, or None when it was created since."""
        n = int(customer["legacyResourceId"])
        if self.search_delay <= 0 and n in self._indexed:
            return customer  # no lag: the index is the customer as it is now
        pending = self._pending.get(n)
        if pending is not None and self.clock() >= pending[0]:
            self._indexed[n] = pending[1]
            del self._pending[n]
        return self._indexed.get(n)

    # ------------------------------------------------------------------ index upkeep
    def index(self, customer: dict, *, searchable_now: bool = False) -> None:
        """Refresh the exact e-mail/phone lookups at once, the search index after the lag."""
        n = int(customer["legacyResourceId"])
        for key, value in list(self.email_index.items()):
            if value == n:
                del self.email_index[key]
        for key, value in list(self.phone_index.items()):
            if value == n:
                del self.phone_index[key]
        if customer.get("email"):
            self.email_index[customer["email"].lower()] = n
        if customer.get("phone"):
            self.phone_index[customer["phone"]] = n
        snapshot = {**customer, "tags": list(customer.get("tags") or [])}
        snapshot["addressIds"] = list(customer.get("addressIds") or [])
        if searchable_now or self.search_delay <= 0:
            self._indexed[n] = snapshot
            self._pending.pop(n, None)
        else:
            self._pending[n] = (self.clock() + self.search_delay, snapshot)

    def insert(self, customer: dict, *, searchable_now: bool = False) -> None:
        n = int(customer["legacyResourceId"])
        self.customers[n] = customer
        self.index(customer, searchable_now=searchable_now)
        self._next_customer = max(self._next_customer, n + 1)

    def remove(self, customer: dict) -> None:
        n = int(customer["legacyResourceId"])
        for aid in customer["addressIds"]:
            self.addresses.pop(aid, None)
        self.customers.pop(n, None)
        self._indexed.pop(n, None)
        self._pending.pop(n, None)
        self.email_index = {k: v for k, v in self.email_index.items() if v != n}
        self.phone_index = {k: v for k, v in self.phone_index.items() if v != n}

    def add_address(self, customer: dict, address: dict, n: int | None = None) -> dict:
        n = n if n is not None else self.new_address_id()
        self._next_address = max(self._next_address, n + 1)
        stored = {key: address.get(key) for key in ADDRESS_KEYS}
        stored["id"] = address_gid(n)
        stored["_n"] = n
        stored["customerId"] = customer["id"]
        self.addresses[n] = stored
        customer["addressIds"].append(n)
        return stored

    # ------------------------------------------------------------------ seeding
    def seed(self, data_dir: Path) -> None:
        """Load ``customers.jsonl``, ``orders.jsonl`` and ``shop.json`` from ``data_dir``."""
        data_dir = Path(data_dir)
        shop_file = data_dir / "shop.json"
        if shop_file.exists():
            shop = json.loads(shop_file.read_text(encoding="utf-8"))
            for key in (
                "plan",
                "customerAccountsVersion",
                "customerAccounts",
                "shipsToCountries",
                "name",
            ):
                if key in shop:
                    self.shop[key] = shop[key]
            if "accessScopes" in shop:
                self.access_scopes = [str(scope) for scope in shop["accessScopes"]]
        self._seed_lines(data_dir / "customers.jsonl", self._seed_customer)
        self._seed_lines(data_dir / "orders.jsonl", self._seed_order)

    @staticmethod
    def _seed_lines(path: Path, seed: Callable[[dict], None]) -> None:
        """Feed each JSON line of a seed file to ``seed``; a bad line names file and line."""
        if not path.exists():
            return
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    seed(json.loads(line))
                except (KeyError, ValueError, TypeError) as exc:
                    raise ValueError(f"{path}:{line_no}: {exc}") from exc

    def _seed_customer(self, raw: dict) -> None:
        n = parse_gid(raw.get("id"), "Customer") or self.new_customer_id()
        stamp = raw.get("updatedAt") or raw.get("createdAt") or self.now_ts()
        email_obj = raw.get("defaultEmailAddress")
        email = (email_obj or {}).get("emailAddress") if email_obj else raw.get("email")
        phone_obj = raw.get("defaultPhoneNumber")
        phone = (phone_obj or {}).get("phoneNumber") if phone_obj else raw.get("phone")
        if phone:
            phone = normalize_phone(phone, self.default_region) or phone
        customer = new_customer_record(n)
        customer.update(
            {
                "firstName": raw.get("firstName") or None,
                "lastName": raw.get("lastName") or None,
                "email": normalize_email(email) if email else None,
                "phone": phone or None,
                "state": raw.get("state") or "DISABLED",
                "tags": normalize_tags(raw.get("tags") or []),
                "note": raw.get("note"),
                "verifiedEmail": raw.get("verifiedEmail", True),
                "taxExempt": bool(raw.get("taxExempt", False)),
                "taxExemptions": list(raw.get("taxExemptions") or []),
                "locale": raw.get("locale") or "en",
                "createdAt": raw.get("createdAt") or stamp,
                "updatedAt": stamp,
            }
        )
        if customer["email"] and customer["email"] in self.email_index:
            raise ValueError(f"duplicate e-mail {customer['email']}")
        if customer["phone"] and customer["phone"] in self.phone_index:
            raise ValueError(f"duplicate phone {customer['phone']}")
        self.insert(customer, searchable_now=True)
        nodes = (raw.get("addressesV2") or {}).get("nodes") or raw.get("addresses") or []
        for node in nodes:
            address = self._seed_address(node)
            self.add_address(customer, address, parse_gid(node.get("id"), "MailingAddress"))
        default = raw.get("defaultAddress")
        default_n = parse_gid((default or {}).get("id"), "MailingAddress") if default else None
        if default_n in customer["addressIds"]:
            customer["defaultAddressId"] = default_n
        elif customer["addressIds"]:
            customer["defaultAddressId"] = customer["addressIds"][0]
        self.index(customer, searchable_now=True)  # seeded customers are indexed already
        self._last_stamp = max(self._last_stamp, int(parse_ts(customer["updatedAt"])))

    def _seed_address(self, raw: dict) -> dict:
        """A seed file's MailingAddress (read as the API answers it: ``countryCodeV2``) as
        the state stores an address, normalised as an input would be; its id is not kept."""
        value = {k: v for k, v in raw.items() if k != "id"}
        if "countryCodeV2" in value and "countryCode" not in value:
            value["countryCode"] = value["countryCodeV2"]
        address, _errors = normalize_address(value, default_region=self.default_region)
        return address

    def _seed_order(self, raw: dict) -> None:
        n = parse_gid(raw.get("id"), "Order")
        if n is None:
            raise ValueError(f"order id {raw.get('id')!r} is not an Order gid")
        created = raw.get("createdAt") or self.now_ts()
        order = {
            "id": f"{ORDER_GID}{n}",
            "legacyResourceId": str(n),
            "name": raw.get("name") or f"#{n}",
            "createdAt": created,
            "updatedAt": raw.get("updatedAt") or created,
            "customerId": (raw.get("customer") or {}).get("id"),
            "email": raw.get("email"),
            "phone": raw.get("phone"),
            "sourceName": raw.get("sourceName") or "web",
        }
        for key in ("billingAddress", "shippingAddress", "displayAddress"):
            value = raw.get(key)
            if value:
                address = self._seed_address(value)
                address["id"] = value.get("id") or f"{ADDRESS_GID}{n}{key[0]}?model_name=Address"
                order[key] = address
            else:
                order[key] = None
        if order["displayAddress"] is None:
            order["displayAddress"] = order["shippingAddress"] or order["billingAddress"]
        self.orders[n] = order


def new_customer_record(n: int) -> dict:
    """A blank customer with Shopify's defaults."""
    return {
        "id": customer_gid(n),
        "legacyResourceId": str(n),
        "firstName": None,
        "lastName": None,
        "email": None,
        "phone": None,
        "state": "DISABLED",
        "tags": [],
        "note": None,
        "verifiedEmail": True,
        "taxExempt": False,
        "taxExemptions": [],
        "locale": "en",
        "createdAt": None,
        "updatedAt": None,
        "defaultAddressId": None,
        "addressIds": [],
        "emailMarketingState": "NOT_SUBSCRIBED",
        "emailMarketingOptInLevel": "SINGLE_OPT_IN",
        "emailMarketingUpdatedAt": None,
        "smsMarketingState": "NOT_SUBSCRIBED",
        "smsMarketingOptInLevel": "SINGLE_OPT_IN",
        "smsMarketingUpdatedAt": None,
        "smsMarketingCollectedFrom": None,
        "multipassIdentifier": None,
    }
