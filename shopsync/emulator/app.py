"""The Emulator: authentication, faults, GraphQL execution, cost and throttling, in one place."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from graphql import (
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    execute,
    parse,
    validate,
)

from shopsync.endpoints import API_VERSION

from . import errors as shopify_errors
from .bulk import BulkManager
from .cost import MAX_QUERY_COST, CostCalculator, LeakyBucket
from .errors import ShopifyError
from .faults import ConnectionDropped, FaultSpec, fault_response, internal_error_body
from .resolvers import PROTECTED_DATA_MODES, Resolvers
from .schema import load_schema
from .state import CUSTOMER_ACCOUNTS_VERSIONS, ShopState

GRAPHQL_PATH = f"/admin/api/{API_VERSION}/graphql.json"
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


class Emulator:
    """A local, in-memory emulation of Shopify's Admin GraphQL API (customers, orders, bulk).

    ``clock`` (seconds, monotonic) drives the leaky bucket, bulk timing and search lag;
    ``now`` (an aware datetime) drives ``createdAt``/``updatedAt``; ``sleep`` is used for slow
    faults. All three are injectable so tests never wait.
    """

    def __init__(
        self,
        data_dir: str | Path | None = None,
        shopify_plan: str = "standard",
        token: str | None = None,
        faults: FaultSpec | str | None = None,
        seed: int = 0,
        customer_accounts_version: str | None = None,
        *,
        clock: Callable[[], float] | None = None,
        now: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] | None = None,
        search_delay: float = 0.0,
        bulk_concurrency: int = 5,
        protected_data: str = "approved",
        access_scopes: Iterable[str] | None = None,
        pagination_ceiling: int | None = None,
    ) -> None:
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.token = token
        self.seed = seed
        self._rng = random.Random(seed)
        self._faults = FaultSpec.none()
        self.faults = faults  # type: ignore[assignment]
        self.state = ShopState(
            now=now, clock=self.clock, search_delay=search_delay, shopify_plan=shopify_plan
        )
        if data_dir is not None:
            self.state.seed(Path(data_dir))
        if shopify_plan != "standard" or data_dir is None:
            self.state.shop["plan"] = shopify_plan
        if customer_accounts_version is not None:
            if customer_accounts_version not in CUSTOMER_ACCOUNTS_VERSIONS:
                raise ValueError(
                    f"customer_accounts_version must be one of {CUSTOMER_ACCOUNTS_VERSIONS}"
                )
            self.state.shop["customerAccountsVersion"] = customer_accounts_version
        self.shopify_plan = self.state.shop["plan"]
        self.bucket = LeakyBucket.for_shopify_plan(self.shopify_plan, self.clock)
        self._base_url = "http://127.0.0.1"
        self.bulk = BulkManager(self.state, self, lambda: self._base_url, bulk_concurrency)
        self.resolvers = Resolvers(self.state, self.bulk, lambda: self._base_url)
        self.protected_data = protected_data
        if access_scopes is not None:
            self.state.access_scopes = list(access_scopes)
        if pagination_ceiling is not None:
            self.resolvers.pagination_ceiling = pagination_ceiling
        self.schema = load_schema()
        #: The fault drawn for each recent request (None = answered normally), oldest first.
        self.request_log: deque[dict] = deque(maxlen=10_000)
        self.requests_served = 0  # GraphQL requests answered (or faulted), for tests
        self._log_lock = threading.Lock()

    # ------------------------------------------------------------------ properties
    @property
    def faults(self) -> FaultSpec:
        return self._faults

    @faults.setter
    def faults(self, value: FaultSpec | str | None) -> None:
        if value is None:
            value = FaultSpec.none()
        elif isinstance(value, str):
            value = FaultSpec.parse(value)
        self._faults = value

    @property
    def protected_data(self) -> str:
        """``approved`` (default) or ``denied``: the app's protected customer data access.
        Denied, every read or write of the Customer object answers HTTP 200 with the field
        null and Shopify's "not approved" error, and a bulk query over customers fails with
        ACCESS_DENIED."""
        return self.resolvers.protected_data

    @protected_data.setter
    def protected_data(self, value: str) -> None:
        if value not in PROTECTED_DATA_MODES:
            raise ValueError(f"protected_data must be one of {PROTECTED_DATA_MODES}")
        self.resolvers.protected_data = value

    @property
    def invites(self) -> list[dict]:
        """Account invites sent by customerSendAccountInviteEmail (newest last)."""
        with self.state.lock:
            return [dict(i) for i in self.state.invites]

    # ------------------------------------------------------------------ public API
    def customers(self) -> list[dict]:
        """The stored customers in the Admin API (seed file) shape, ordered by id."""
        state = self.state
        out = []
        with state.lock:
            for n in sorted(state.customers):
                c = state.customers[n]
                view = self.resolvers.customer_view(c)
                addresses = [
                    {k: v for k, v in a.items() if k != "formatted"} for a in view["addresses"]()
                ]
                default = view["defaultAddress"]
                out.append(
                    {
                        "id": c["id"],
                        "legacyResourceId": c["legacyResourceId"],
                        "firstName": c["firstName"],
                        "lastName": c["lastName"],
                        "displayName": view["displayName"],
                        "email": c["email"],
                        "phone": c["phone"],
                        "defaultEmailAddress": (
                            {"emailAddress": c["email"]} if c.get("email") else None
                        ),
                        "defaultPhoneNumber": (
                            {"phoneNumber": c["phone"]} if c.get("phone") else None
                        ),
                        "state": c["state"],
                        "tags": list(c["tags"]),
                        "note": c["note"],
                        "verifiedEmail": c["verifiedEmail"],
                        "taxExempt": c["taxExempt"],
                        "locale": c["locale"],
                        "createdAt": c["createdAt"],
                        "updatedAt": c["updatedAt"],
                        "defaultAddress": (
                            {k: v for k, v in default.items() if k != "formatted"}
                            if default
                            else None
                        ),
                        "addressesV2": {"nodes": addresses},
                    }
                )
        return out

    def settle_bulk_operations(self) -> None:
        """Finish every pending bulk operation now (instead of waiting for polls)."""
        self.bulk.settle()

    def execute(
        self,
        query: str,
        variables: dict | None = None,
        token: str | None = "x",
        operation_name: str | None = None,
    ) -> tuple[int, dict, dict]:
        """Run one GraphQL request as the HTTP endpoint would; returns (status, headers, body).

        Faults apply here too: a status fault is returned as such, a slow answer sleeps with
        the injected ``sleep``, and a dropped connection raises
        :class:`~shopsync.emulator.faults.ConnectionDropped` (after applying the request when
        it is a ``drop_after``).
        """
        if not token or (self.token is not None and token != self.token):
            return 401, dict(JSON_HEADERS), dict(shopify_errors.INVALID_TOKEN_BODY)
        spec = self._faults
        with self._log_lock:  # one draw per request, in arrival order
            kind = spec.draw(self._rng) if spec.active else None
            self.request_log.append({"fault": kind})
            self.requests_served += 1
        if kind in ("500", "502", "503", "429"):
            status, headers, body = fault_response(kind, spec)
            return status, {**JSON_HEADERS, **headers}, body
        if kind == "internal":
            return 200, dict(JSON_HEADERS), internal_error_body(str(uuid.uuid4()))
        if kind == "drop_before":
            raise ConnectionDropped(applied=False)
        result = self.execute_internal(
            query, variables, operation_name=operation_name, fault=kind or ""
        )
        if kind == "drop_after":
            raise ConnectionDropped(applied=True)
        if kind == "slow":
            self.sleep(spec.slow_seconds)
        return result

    @contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[Any]:
        """Serve the API over HTTP on a background thread for the duration of the block."""
        from .server import EmulatorServer

        server = EmulatorServer(self, host, port)
        previous = self._base_url
        self._base_url = server.url
        server.start()
        try:
            yield server
        finally:
            server.stop()
            self._base_url = previous

    # ------------------------------------------------------------------ execution
    def execute_internal(
        self,
        query: str,
        variables: dict | None,
        operation_name: str | None = None,
        *,
        bulk: bool = False,
        fault: str = "",
    ) -> tuple[int, dict, dict]:
        """Parse, validate, cost, throttle and execute (no auth; ``fault`` is the fault drawn
        for this request, for the kinds a resolver plays, e.g. ``bulk_limit``).

        Requests are executed one at a time (the state's re-entrant lock), so a response is
        always consistent; HTTP connections are still accepted concurrently.
        """
        with self.state.lock:
            return self._execute_locked(query, variables, operation_name, bulk=bulk, fault=fault)

    def download_expired(self) -> bool:
        """Whether this bulk result download meets an expired URL (the ``url_expired`` fault)."""
        spec = self._faults
        with self._log_lock:
            return spec.active and spec.draw(self._rng) == "url_expired"

    def _execute_locked(
        self,
        query: str,
        variables: dict | None,
        operation_name: str | None,
        *,
        bulk: bool,
        fault: str,
    ) -> tuple[int, dict, dict]:
        headers = dict(JSON_HEADERS)
        if not isinstance(query, str) or not query.strip():
            return 200, headers, {"errors": [{"message": "No query string was present"}]}
        try:
            document = parse(query)
        except GraphQLError as exc:
            return 200, headers, {"errors": [shopify_errors.syntax_error(exc, query)]}
        problems = validate(self.schema, document)
        if problems:
            return (
                200,
                headers,
                {"errors": shopify_errors.validation_errors(document, problems)},
            )
        id_problems = shopify_errors.literal_id_errors(self.schema, document)
        if id_problems:
            return 200, headers, {"errors": id_problems}
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name:
            operations = [o for o in operations if o.name and o.name.value == operation_name]
            if not operations:
                return (
                    200,
                    headers,
                    {"errors": [{"message": f'No operation named "{operation_name}"'}]},
                )
        elif len(operations) > 1:
            return (
                200,
                headers,
                {
                    "errors": [
                        {
                            "message": "An operation name is required when sending multiple "
                            "operations."
                        }
                    ]
                },
            )
        operation = operations[0]
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        coerced, variable_errors = shopify_errors.coerce_variables(
            self.schema, operation, variables or {}
        )
        variable_errors += _one_of_errors(operation, coerced, variables or {})
        variable_errors += shopify_errors.variable_id_errors(
            self.schema, operation, variables or {}
        )
        if variable_errors:
            return 200, headers, {"errors": variable_errors}
        calculator = CostCalculator(self.schema, operation, fragments, coerced)
        requested = calculator.requested()
        if bulk:
            requested = 0
        max_cost = min(MAX_QUERY_COST, self._faults.max_cost)
        if requested > max_cost:
            return (
                200,
                headers,
                {
                    "errors": [shopify_errors.max_cost_error(requested, max_cost)],
                    "extensions": {"cost": self._cost(requested, None)},
                },
            )
        if not self.bucket.try_take(requested):
            return (
                200,
                headers,
                {
                    "errors": [shopify_errors.throttled_error()],
                    "extensions": {"cost": self._cost(requested, None)},
                },
            )
        context: dict[str, Any] = {"search": [], "bulk": bulk, "fault": fault}
        root = (
            self.resolvers.mutation_root()
            if operation.operation.value == "mutation"
            else self.resolvers.query_root()
        )
        result = execute(
            self.schema,
            document,
            root_value=root,
            context_value=context,
            variable_values=coerced,
            operation_name=operation.name.value if operation.name else None,
        )
        data = result.data
        actual = calculator.actual(data) if not bulk else 0
        self.bucket.refund(requested - actual)
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [self._format_error(e) for e in result.errors]
        body["data"] = data
        extensions: dict[str, Any] = {"cost": self._cost(requested, actual)}
        if context["search"]:
            extensions["search"] = context["search"]
        body["extensions"] = extensions
        return 200, headers, body

    def _cost(self, requested: int, actual: int | None) -> dict:
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": self.bucket.status().as_dict(),
        }

    @staticmethod
    def _format_error(error: GraphQLError) -> dict:
        original = error.original_error
        out: dict[str, Any] = {"message": error.message}
        if error.locations:
            out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
        if isinstance(original, ShopifyError):
            out["message"] = original.message
            extensions = {"code": original.code} if original.code else {}
            extensions.update(original.extensions)
            if extensions:
                out["extensions"] = extensions
        elif original is not None:
            out["message"] = "Internal error. Looks like something went wrong on our end."
            out["extensions"] = {"code": "INTERNAL_SERVER_ERROR"}
        if error.path:
            out["path"] = list(error.path)
        return out


def _one_of_errors(operation: OperationDefinitionNode, coerced: dict, raw: dict) -> list[dict]:
    """CustomerIdentifierInput takes exactly one field (checked like Shopify on variables)."""
    out = []
    for definition in operation.variable_definitions or ():
        type_name = definition.type
        while hasattr(type_name, "type"):
            type_name = type_name.type
        if type_name.name.value != "CustomerIdentifierInput":
            continue
        name = definition.variable.name.value
        value = coerced.get(name)
        if not isinstance(value, dict):
            continue
        given = [k for k, v in value.items() if v is not None]
        if len(given) != 1:
            loc = (
                definition.loc.source.get_location(definition.loc.start) if definition.loc else None
            )
            out.append(
                {
                    "message": f"Variable ${name} of type CustomerIdentifierInput! was provided "
                    "invalid value",
                    "locations": [{"line": loc.line, "column": loc.column}] if loc else [],
                    "extensions": {
                        "code": "INVALID_VARIABLE",
                        "value": raw.get(name),
                        "problems": [
                            {
                                "path": [],
                                "explanation": "'CustomerIdentifierInput' requires exactly one "
                                f"argument, but {len(given)} were provided.",
                            }
                        ],
                    },
                }
            )
    return out
