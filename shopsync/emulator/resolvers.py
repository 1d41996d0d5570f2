"""GraphQL resolvers: root fields, object views, connections and cursors."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from . import search
from .errors import ShopifyError
from .state import ShopState, address_gid, parse_gid, parse_ts
from .validation import (
    ADDRESS_TEXT_FIELDS,
    display_phone,
    email_errors,
    geography,
    normalize_email,
    normalize_phone,
)
from .writes import CustomerWriter

if TYPE_CHECKING:
    from .bulk import BulkManager

MAX_PAGE = 250
#: How far one query's cursor pagination goes (objects); past it, Shopify answers an error.
PAGINATION_CEILING = 25_000
#: Protected customer data modes: approved, or not approved (Shopify's answer to an app
#: without protected customer data access: HTTP 200, the field null, this error).
PROTECTED_DATA_MODES = ("approved", "denied")
NOT_APPROVED = (
    "This app is not approved to access the Customer object. See "
    "https://partners.shopify.com/1/apps/1/customer_data for more details."
)
#: Root fields that read or write the Customer object.
_CUSTOMER_ROOTS = frozenset(
    {
        "customers",
        "customer",
        "customerByIdentifier",
        "customerCreate",
        "customerUpdate",
        "customerSet",
        "customerDelete",
        "customerAddressCreate",
        "customerAddressUpdate",
        "customerAddressDelete",
        "customerUpdateDefaultAddress",
        "customerSendAccountInviteEmail",
        "customerGenerateAccountActivationUrl",
    }
)


# --------------------------------------------------------------------------- cursors


def encode_cursor(last_id: int, last_value: Any) -> str:
    raw = json.dumps({"last_id": last_id, "last_value": last_value}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[int, Any]:
    try:
        data = json.loads(base64.b64decode(cursor.encode(), validate=True))
        return int(data["last_id"]), data["last_value"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ShopifyError("Invalid cursor for current pagination sort.", "BAD_REQUEST") from exc


def paginate(
    items: list[dict],
    *,
    sort_value: Callable[[dict], Any],
    cursor_value: Callable[[Any], Any],
    item_id: Callable[[dict], int],
    args: Mapping[str, Any],
    view: Callable[[dict], dict],
    field_name: str,
    require_size: bool = True,
    unlimited: bool = False,
    cursor_out: Callable[[Any], Any] = lambda v: v,
    ceiling: int | None = None,
) -> dict:
    """Relay pagination over ``items`` ordered by (sort value, id), Shopify style, as the
    connection field's ``args`` ask (first / last / after / before / reverse); a page
    starting past ``ceiling`` objects is refused (narrow the query, or use a bulk query)."""
    first, last = args.get("first"), args.get("last")
    after, before, reverse = args.get("after"), args.get("before"), bool(args.get("reverse"))
    if first is not None and last is not None:
        raise ShopifyError("providing both first and last is not supported", "BAD_REQUEST")
    if first is None and last is None and unlimited:
        first = len(items)
    elif first is None and last is None:
        if require_size:
            raise ShopifyError("you must provide one of first or last", "BAD_REQUEST")
        first = MAX_PAGE
    size = first if first is not None else last
    if size is not None and (size < 0 or (size > MAX_PAGE and not unlimited)):
        arg = "first" if first is not None else "last"
        raise ShopifyError(
            f"The '{arg}' argument on the connection field '{field_name}' must be between 0 and "
            f"{MAX_PAGE}.",
            "BAD_REQUEST",
        )
    keyed = sorted(((sort_value(i), item_id(i)), i) for i in items)
    if reverse:
        keyed.reverse()

    def position_after(cursor: str) -> int:
        cid, cval = decode_cursor(cursor)
        key = (cursor_value(cval), cid)
        for idx, (k, _item) in enumerate(keyed):
            if (k > key) if not reverse else (k < key):
                return idx
        return len(keyed)

    start, end = 0, len(keyed)
    if after:
        start = position_after(after)
    if before:
        cid, cval = decode_cursor(before)
        key = (cursor_value(cval), cid)
        end = next(
            (i for i, (k, _x) in enumerate(keyed) if ((k >= key) if not reverse else (k <= key))),
            len(keyed),
        )
        end = max(end, start)
    if ceiling is not None and start >= ceiling:
        raise ShopifyError(
            f"Pagination past the first {ceiling:,} objects of a query is not supported. Use a "
            "more specific search query, or a bulk operation.",
            "BAD_REQUEST",
        )
    window = keyed[start:end]
    if first is not None:
        chosen = window[:first]
        lo, hi = start, start + len(chosen)
    else:
        chosen = window[max(0, len(window) - last) :] if last else []
        lo, hi = end - len(chosen), end
    edges = []
    for (value, ident), item in chosen:
        edges.append({"cursor": encode_cursor(ident, cursor_out(value)), "node": view(item)})
    return {
        "edges": edges,
        "nodes": [e["node"] for e in edges],
        "pageInfo": {
            "hasNextPage": hi < len(keyed),
            "hasPreviousPage": lo > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


# --------------------------------------------------------------------------- sort keys


def _epoch_ms(text: str | None) -> int:
    return int(parse_ts(text) * 1000) if text else 0


class Resolvers:
    """Holds the state and builds the root value of each operation."""

    def __init__(self, state: ShopState, bulk: BulkManager, base_url: Callable[[], str]) -> None:
        self.state = state
        self.bulk = bulk
        self.writer = CustomerWriter(state)
        self.base_url = base_url
        self.protected_data = "approved"
        self.pagination_ceiling = PAGINATION_CEILING

    def _guarded(self, name: str, resolver: Callable[..., Any]) -> Callable[..., Any]:
        """``resolver``, refused as Shopify refuses it when customer data is not approved."""
        if name not in _CUSTOMER_ROOTS:
            return resolver

        def guarded(*args: Any, **kwargs: Any) -> Any:
            self.check_customer_access()
            return resolver(*args, **kwargs)

        return guarded

    def check_customer_access(self) -> None:
        if self.protected_data != "approved":
            raise ShopifyError(NOT_APPROVED, "ACCESS_DENIED")

    # ------------------------------------------------------------------ views
    def address_view(self, address: dict | None) -> dict | None:
        if address is None:
            return None
        geo = geography()
        cc = address.get("countryCode")
        pc = address.get("provinceCode")
        country = geo.country_name(cc)
        province = geo.province_name(cc, pc)
        first, last = address.get("firstName"), address.get("lastName")
        name = " ".join(p for p in (first, last) if p) or None
        city_part = " ".join(p for p in (address.get("city"), pc) if p)
        parts = [p for p in (city_part, country) if p]
        if len(parts) == 2 and parts[0] == parts[1]:
            parts = parts[1:]  # city-states: "Singapore", not "Singapore, Singapore"
        area = ", ".join(parts) or None

        def formatted(_info: Any = None, withName: bool = False, withCompany: bool = True) -> list:
            lines = []
            if withName and name:
                lines.append(name)
            if withCompany and address.get("company"):
                lines.append(address["company"])
            for key in ("address1", "address2"):
                if address.get(key):
                    lines.append(address[key])
            locality = " ".join(p for p in (address.get("city"), pc, address.get("zip")) if p)
            if locality:
                lines.append(locality)
            if country:
                lines.append(country)
            return lines

        view = {key: address.get(key) for key in ADDRESS_TEXT_FIELDS}
        view.update(
            {
                "id": address.get("id") or address_gid(address.get("_n", 0)),
                "name": name,
                "country": country,
                "countryCode": cc,
                "countryCodeV2": cc,
                "province": province,
                "provinceCode": pc,
                "formattedArea": area,
                "formatted": formatted,
            }
        )
        return view

    def customer_view(self, c: dict | None) -> dict | None:
        if c is None:
            return None
        state = self.state
        first, last = c.get("firstName"), c.get("lastName")
        display = (
            " ".join(p for p in (first, last) if p)
            or c.get("email")
            or (display_phone(c["phone"]) if c.get("phone") else "")
        )
        orders = state.orders_of(c)

        def addresses(_info: Any = None, first: int | None = None) -> list:
            items = [self.address_view(a) for a in state.customer_addresses(c)]
            return items[:first] if first is not None else items

        def addresses_v2(info: Any = None, **args: Any) -> dict:
            return paginate(
                state.customer_addresses(c),
                sort_value=lambda a: a["_n"],
                cursor_value=lambda v: int(v),
                cursor_out=str,
                item_id=lambda a: a["_n"],
                args=args,
                view=self.address_view,
                field_name="addressesV2",
                require_size=False,
                unlimited=bool(info is not None and info.context.get("bulk")),
            )

        email_obj = None
        if c.get("email"):
            email_obj = {
                "emailAddress": c["email"],
                "marketingState": c.get("emailMarketingState") or "NOT_SUBSCRIBED",
                "marketingOptInLevel": c.get("emailMarketingOptInLevel"),
                "marketingUpdatedAt": c.get("emailMarketingUpdatedAt"),
                "validFormat": not email_errors(c["email"]),
            }
        sms_obj = None
        if c.get("phone"):
            sms_obj = {
                "marketingState": c.get("smsMarketingState") or "NOT_SUBSCRIBED",
                "marketingOptInLevel": c.get("smsMarketingOptInLevel") or "SINGLE_OPT_IN",
                "consentUpdatedAt": c.get("smsMarketingUpdatedAt"),
                "consentCollectedFrom": c.get("smsMarketingCollectedFrom"),
            }
        created = datetime.fromisoformat(c["createdAt"].replace("Z", "+00:00"))
        return {
            **{
                k: c.get(k)
                for k in (
                    "id",
                    "legacyResourceId",
                    "firstName",
                    "lastName",
                    "email",
                    "phone",
                    "state",
                    "note",
                    "verifiedEmail",
                    "taxExempt",
                    "taxExemptions",
                    "locale",
                    "createdAt",
                    "updatedAt",
                    "multipassIdentifier",
                )
            },
            "tags": list(c.get("tags") or []),
            "displayName": display,
            "defaultEmailAddress": email_obj,
            "defaultPhoneNumber": sms_obj
            and {
                "phoneNumber": c["phone"],
                "marketingState": sms_obj["marketingState"],
                "marketingOptInLevel": sms_obj["marketingOptInLevel"],
                "marketingUpdatedAt": sms_obj["consentUpdatedAt"],
                "marketingCollectedFrom": sms_obj["consentCollectedFrom"],
            },
            "emailMarketingConsent": email_obj
            and {
                "marketingState": email_obj["marketingState"],
                "marketingOptInLevel": email_obj["marketingOptInLevel"],
                "consentUpdatedAt": email_obj["marketingUpdatedAt"],
            },
            "smsMarketingConsent": sms_obj,
            "defaultAddress": self.address_view(state.default_address(c)),
            "addresses": addresses,
            "addressesV2": addresses_v2,
            "numberOfOrders": str(len(orders)),
            "canDelete": not orders,
            "validEmailAddress": bool(c.get("email")) and not email_errors(c["email"]),
            "lifetimeDuration": _duration(created, state.now()),
        }

    def order_view(self, o: dict | None) -> dict | None:
        if o is None:
            return None
        return {
            **{
                k: o.get(k)
                for k in (
                    "id",
                    "legacyResourceId",
                    "name",
                    "createdAt",
                    "updatedAt",
                    "email",
                    "phone",
                    "sourceName",
                )
            },
            "customer": lambda _info=None: self._order_customer(o),
            "billingAddress": self.address_view(o.get("billingAddress")),
            "shippingAddress": self.address_view(o.get("shippingAddress")),
            "displayAddress": self.address_view(o.get("displayAddress")),
        }

    def _order_customer(self, order: dict) -> dict | None:
        self.check_customer_access()
        return self.customer_view(self.state.customer(order.get("customerId")))

    def shop_view(self) -> dict:
        shop = self.state.shop
        return {
            "id": shop["id"],
            "name": shop["name"],
            "myshopifyDomain": shop["myshopifyDomain"],
            "shipsToCountries": list(shop.get("shipsToCountries") or []),
            "customerAccounts": shop.get("customerAccounts") or "OPTIONAL",
            "customerAccountsV2": {
                "customerAccountsVersion": shop.get("customerAccountsVersion") or "CLASSIC",
                "loginLinksVisibleOnStorefrontAndCheckout": True,
                "loginRequiredAtCheckout": False,
                "url": f"https://{shop['myshopifyDomain']}/account",
            },
        }

    # ------------------------------------------------------------------ search helpers
    def _customer_haystack(self, c: dict) -> list[str]:
        words = search._words(
            " ".join(
                str(x)
                for x in (
                    c.get("firstName"),
                    c.get("lastName"),
                    c.get("email"),
                    c.get("phone"),
                    " ".join(c.get("tags") or []),
                )
                if x
            )
        )
        default = self.state.default_address(c)
        if default:
            words += search._words(
                " ".join(
                    str(default.get(k) or "") for k in ("company", "city", "zip", "countryCode")
                )
            )
        return words

    def _country_of(self, c: dict) -> tuple[str | None, str | None]:
        default = self.state.default_address(c)
        if not default:
            return None, None
        return default.get("countryCode"), geography().country_name(default.get("countryCode"))

    def _search(
        self,
        info: GraphQLResolveInfo,
        query: str | None,
        ctx: search.SearchContext,
    ) -> search.Node | None:
        try:
            node = search.parse(query)
        except search.SearchSyntaxError:
            node = search.Term(None, query or "", ":", True)
        warnings = search.warnings_for(node, ctx)
        if warnings and node is not None:
            alias = info.path.key
            info.context["search"].append(
                {
                    "path": [alias],
                    "query": query,
                    "parsed": search.describe(node),
                    "warnings": [w.as_dict() for w in warnings],
                }
            )
        return node

    # ------------------------------------------------------------------ query roots
    def customers(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        state = self.state
        with state.lock:
            ctx = search.customer_search_context(self._country_of, self._customer_haystack)
            node = self._search(info, args.get("query"), ctx)
            candidates = [c for c in state.customers.values()]
            if node is not None:  # a search reads the lagging index; the answer is current
                candidates = [
                    c
                    for c in candidates
                    if (seen := state.search_view(c)) is not None
                    and search.evaluate(node, seen, ctx)
                ]
            sort_key = args.get("sortKey") or "ID"
            sort_value, cursor_value = self._customer_sort(sort_key)
            return paginate(
                candidates,
                sort_value=sort_value,
                cursor_value=cursor_value,
                cursor_out=str if sort_key in ("ID", "RELEVANCE") else (lambda v: v),
                item_id=lambda c: int(c["legacyResourceId"]),
                args=args,
                view=self.customer_view,
                field_name="customers",
                unlimited=bool(info.context.get("bulk")),
                ceiling=None if info.context.get("bulk") else self.pagination_ceiling,
            )

    def _customer_sort(self, key: str) -> tuple[Callable[[dict], Any], Callable[[Any], Any]]:
        if key == "UPDATED_AT":
            return (lambda c: _epoch_ms(c["updatedAt"])), int
        if key == "CREATED_AT":
            return (lambda c: _epoch_ms(c["createdAt"])), int
        if key == "NAME":

            def name(c: dict) -> str:
                return f"{(c.get('lastName') or '').lower()}, {(c.get('firstName') or '').lower()}"

            return name, str
        if key == "LOCATION":

            def location(c: dict) -> str:
                a = self.state.default_address(c) or {}
                parts = (a.get("countryCode"), a.get("provinceCode"), a.get("city"))
                return ", ".join((p or "").lower() for p in parts)

            return location, str
        return (lambda c: int(c["legacyResourceId"])), int

    def customer(self, info: GraphQLResolveInfo, id: str) -> dict | None:
        with self.state.lock:
            return self.customer_view(self.state.customer(id))

    def customer_by_identifier(self, info: GraphQLResolveInfo, identifier: dict) -> dict | None:
        given = {k: v for k, v in identifier.items() if v is not None}
        if len(given) != 1:
            raise ShopifyError(
                f"'CustomerIdentifierInput' requires exactly one argument, but {len(given)} were "
                "provided.",
                "INVALID_VARIABLE",
            )
        state = self.state
        with state.lock:
            if "customId" in given:
                raise ShopifyError(
                    "Metafield definition of type 'id' is required when using custom ids.",
                    "NOT_FOUND",
                )
            if "id" in given:
                return self.customer_view(state.customer(given["id"]))
            if "emailAddress" in given:
                return self.customer_view(state.by_email(normalize_email(given["emailAddress"])))
            phone = normalize_phone(given["phoneNumber"], state.default_region)
            return self.customer_view(state.by_phone(phone) if phone else None)

    def customers_count(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        state = self.state
        with state.lock:
            ctx = search.customer_count_context()
            node = self._search(info, args.get("query"), ctx)
            if node is None:
                count = len(state.customers)
            else:  # counted from the same lagging index the search reads
                seen = (state.search_view(c) for c in state.customers.values())
                count = sum(1 for c in seen if c is not None and search.evaluate(node, c, ctx))
        limit = args.get("limit")
        if limit is not None and count > limit:
            return {"count": limit, "precision": "AT_LEAST"}
        return {"count": count, "precision": "EXACT"}

    def orders(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        state = self.state
        with state.lock:
            ctx = search.order_search_context()
            node = self._search(info, args.get("query"), ctx)
            items = [o for o in state.visible_orders() if search.evaluate(node, o, ctx)]
            key = args.get("sortKey") or "ID"
            if key in ("CREATED_AT", "PROCESSED_AT"):
                sort_value, cursor_value = (lambda o: _epoch_ms(o["createdAt"])), int
            elif key == "UPDATED_AT":
                sort_value, cursor_value = (lambda o: _epoch_ms(o["updatedAt"])), int
            else:
                sort_value, cursor_value = (lambda o: int(o["legacyResourceId"])), int
            return paginate(
                items,
                sort_value=sort_value,
                cursor_value=cursor_value,
                item_id=lambda o: int(o["legacyResourceId"]),
                args=args,
                view=self.order_view,
                field_name="orders",
                unlimited=bool(info.context.get("bulk")),
                ceiling=None if info.context.get("bulk") else self.pagination_ceiling,
            )

    def order(self, info: GraphQLResolveInfo, id: str) -> dict | None:
        n = parse_gid(id, "Order")
        with self.state.lock:
            visible = {int(o["legacyResourceId"]): o for o in self.state.visible_orders()}
            return self.order_view(visible.get(n)) if n is not None else None

    def current_app_installation(self, info: GraphQLResolveInfo) -> dict:
        scopes = self.state.access_scopes
        return {
            "id": "gid://shopify/AppInstallation/1",
            "accessScopes": [{"handle": h, "description": h.replace("_", " ")} for h in scopes],
        }

    def shop(self, info: GraphQLResolveInfo) -> dict:
        with self.state.lock:
            return self.shop_view()

    # ------------------------------------------------------------------ mutation roots
    def _customer_payload(self, payload: dict) -> dict:
        out = dict(payload)
        if "customer" in out:
            out["customer"] = self.customer_view(out["customer"])
        if "address" in out:
            out["address"] = self.address_view(out["address"])
        return out

    def customer_create(self, info: GraphQLResolveInfo, input: dict) -> dict:
        return self._customer_payload(self.writer.create(input))

    def customer_update(self, info: GraphQLResolveInfo, input: dict) -> dict:
        return self._customer_payload(self.writer.update(input))

    def customer_set(
        self,
        info: GraphQLResolveInfo,
        input: dict,
        identifier: dict | None = None,
    ) -> dict:
        return self._customer_payload(self.writer.set(input, identifier))

    def customer_delete(self, info: GraphQLResolveInfo, input: dict) -> dict:
        payload = self.writer.delete(input)
        payload["shop"] = self.shop_view()
        return payload

    def customer_address_create(
        self,
        info: GraphQLResolveInfo,
        customerId: str,
        address: dict,
        setAsDefault: bool | None = None,
    ) -> dict:
        return self._customer_payload(self.writer.address_create(customerId, address, setAsDefault))

    def customer_address_update(
        self,
        info: GraphQLResolveInfo,
        customerId: str,
        addressId: str,
        address: dict,
        setAsDefault: bool | None = None,
    ) -> dict:
        return self._customer_payload(
            self.writer.address_update(customerId, addressId, address, setAsDefault)
        )

    def customer_address_delete(
        self,
        info: GraphQLResolveInfo,
        customerId: str,
        addressId: str,
    ) -> dict:
        return self.writer.address_delete(customerId, addressId)

    def customer_update_default_address(
        self,
        info: GraphQLResolveInfo,
        customerId: str,
        addressId: str,
    ) -> dict:
        return self._customer_payload(self.writer.update_default_address(customerId, addressId))

    def customer_send_account_invite_email(
        self,
        info: GraphQLResolveInfo,
        customerId: str,
        email: dict | None = None,
    ) -> dict:
        return self._customer_payload(self.writer.send_invite(customerId, email))

    def customer_generate_account_activation_url(
        self,
        info: GraphQLResolveInfo,
        customerId: str,
    ) -> dict:
        return self.writer.activation_url(customerId)

    # ------------------------------------------------------------------ root values
    def query_root(self) -> dict:
        return {name: self._guarded(name, r) for name, r in self._query_resolvers().items()}

    def mutation_root(self) -> dict:
        return {name: self._guarded(name, r) for name, r in self._mutation_resolvers().items()}

    def _query_resolvers(self) -> dict:
        return {
            "customers": self.customers,
            "customer": self.customer,
            "customerByIdentifier": self.customer_by_identifier,
            "customersCount": self.customers_count,
            "orders": self.orders,
            "order": self.order,
            "shop": self.shop,
            "currentAppInstallation": self.current_app_installation,
            "currentBulkOperation": self.bulk.current,
            "bulkOperation": self.bulk.get,
            "bulkOperations": self.bulk.list,
        }

    def _mutation_resolvers(self) -> dict:
        return {
            "customerCreate": self.customer_create,
            "customerUpdate": self.customer_update,
            "customerSet": self.customer_set,
            "customerDelete": self.customer_delete,
            "customerAddressCreate": self.customer_address_create,
            "customerAddressUpdate": self.customer_address_update,
            "customerAddressDelete": self.customer_address_delete,
            "customerUpdateDefaultAddress": self.customer_update_default_address,
            "customerSendAccountInviteEmail": self.customer_send_account_invite_email,
            "customerGenerateAccountActivationUrl": self.customer_generate_account_activation_url,
            "bulkOperationRunQuery": self.bulk.run_query,
            "bulkOperationRunMutation": self.bulk.run_mutation,
            "bulkOperationCancel": self.bulk.cancel,
            "stagedUploadsCreate": self.bulk.staged_uploads_create,
        }


def _duration(start: datetime, end: datetime) -> str:
    seconds = max(0, int((end - start).total_seconds()))
    for unit, size in (("year", 31536000), ("month", 2592000), ("day", 86400), ("hour", 3600)):
        if seconds >= size:
            n = seconds // size
            return f"about {n} {unit}{'s' if n != 1 else ''}"
    minutes = seconds // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}" if minutes else "less than a minute"
