"""Query cost calculation (requested and actual) and the per-shop leaky bucket."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    get_named_type,
    is_leaf_type,
)
from graphql.utilities import value_from_ast_untyped

MUTATION_COST = 10
FREE_OBJECT_TYPES = frozenset(
    {
        "MailingAddress",
        "MoneyV2",
        "MoneyBag",
        "CustomerEmailMarketingConsentState",
        "CustomerSmsMarketingConsentState",
        "PageInfo",
        "UserError",
        "CustomerSetUserError",
        "BulkOperationUserError",
        "BulkMutationUserError",
        "CustomerSendAccountInviteEmailUserError",
        "StagedUploadParameter",
    }
)
COUNT_COST = 10
MAX_QUERY_COST = 1000

SHOPIFY_PLAN_LIMITS: dict[str, tuple[float, float]] = {
    "standard": (2000.0, 100.0),
    "advanced": (4000.0, 200.0),
    "plus": (20000.0, 1000.0),
}


def _is_free(type_name: str) -> bool:
    return type_name in FREE_OBJECT_TYPES or type_name.endswith("UserError")


def size_multiplier(n: int) -> int:
    """Shopify's sub-linear connection sizing (fitted on the captures)."""
    if n <= 0:
        return 0
    return max(1, math.floor(2 * math.log(n)))


def _is_list(field_type: object) -> bool:
    if isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    return isinstance(field_type, GraphQLList)


class CostCalculator:
    """Computes the requested and actual cost of one operation.

    Cost model, fitted to every ``extensions.cost`` in the captures (it reproduces the requested
    cost of all the customer reads and writes recorded there):

    * scalar and enum fields cost 0;
    * an object field costs 1, except "embedded" value types that Shopify does not charge for
      (``MailingAddress``, ``MoneyV2``, ``MoneyBag``, marketing-consent states, ``PageInfo``,
      error objects); lists of objects cost 1 per selection, not per element;
    * a connection costs ``2 + m(n) * cost(node)`` where ``n`` is ``first``/``last`` and
      ``m(n) = max(1, floor(2 * ln n))`` - Shopify's sizing is sub-linear: m(1)=1, m(2)=1, m(3)=2,
      m(5)=3, m(10)=4, m(50)=7, m(250)=11 (all observed). A node always costs at least 1; if both
      ``edges { node }`` and ``nodes`` are selected, both are charged;
    * a mutation costs 10; its payload object and the payload's direct (non-list) object fields
      (the ``customer`` of ``customerCreate``, ``bulkOperation``...) are included;
    * ``customersCount`` (a ``*Count`` root) costs 10;
    * the actual cost is the same walk over the response: null objects cost nothing and a
      connection is sized by the number of nodes returned.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict | None,
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.fragments = fragments
        self.variables = variables or {}

    # -- helpers -------------------------------------------------------------------------
    def _fields(self, selection_set: SelectionSetNode | None, parent: GraphQLObjectType):
        """Flatten fragments; yields (field node, field definition)."""
        if selection_set is None:
            return
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                name = sel.name.value
                fdef = parent.fields.get(name) if hasattr(parent, "fields") else None
                if fdef is None and parent is self.schema.query_type:
                    fdef = {"__type": TypeMetaFieldDef, "__schema": SchemaMetaFieldDef}.get(name)
                if fdef is not None:
                    yield sel, fdef
            elif isinstance(sel, InlineFragmentNode):
                target = parent
                if sel.type_condition is not None:
                    target = self.schema.get_type(sel.type_condition.name.value) or parent
                yield from self._fields(sel.selection_set, target)
            elif isinstance(sel, FragmentSpreadNode):
                frag = self.fragments.get(sel.name.value)
                if frag is not None:
                    target = self.schema.get_type(frag.type_condition.name.value) or parent
                    yield from self._fields(frag.selection_set, target)

    def _arg(self, node: FieldNode, name: str) -> object:
        for arg in node.arguments or ():
            if arg.name.value == name:
                return value_from_ast_untyped(arg.value, self.variables)
        return None

    def _size(self, node: FieldNode) -> int | None:
        for name in ("first", "last"):
            value = self._arg(node, name)
            if isinstance(value, int):
                return max(value, 0)
        return None

    @staticmethod
    def _is_connection(named: object) -> bool:
        return getattr(named, "name", "").endswith("Connection") and hasattr(named, "fields")

    def _root_type(self) -> GraphQLObjectType | None:
        """The operation's root type: Mutation for a mutation, else QueryRoot."""
        if self.operation.operation.value == "mutation":
            return self.schema.mutation_type
        return self.schema.query_type

    # -- requested -----------------------------------------------------------------------
    def requested(self) -> int:
        root = self._root_type()
        total = 0
        for node, fdef in self._fields(self.operation.selection_set, root):
            total += self._root_cost(node, fdef, root, _UNSET)
        return total

    def _root_cost(self, node: FieldNode, fdef, root, data) -> int:
        if root is not self.schema.mutation_type:
            return self._field_cost(node, fdef, data)
        # Mutation: 10, with the payload and its direct object fields included.
        if data is None:
            return MUTATION_COST
        payload = get_named_type(fdef.type)
        total = MUTATION_COST
        if is_leaf_type(payload):
            return total
        for sub, sub_def in self._fields(node.selection_set, payload):
            named = get_named_type(sub_def.type)
            if is_leaf_type(named):
                continue
            if data is _UNSET:
                child = _UNSET
            else:
                child = data.get(sub.alias.value if sub.alias else sub.name.value)
            if child is None:
                continue
            if self._is_connection(named):
                total += self._connection_cost(sub, named, child)
            elif _is_list(sub_def.type):
                total += self._field_cost(sub, sub_def, child)
            else:
                total += self._selection_cost(sub.selection_set, named, child)
        return total

    def _selection_cost(self, selection_set, parent, data) -> int:
        total = 0
        for node, fdef in self._fields(selection_set, parent):
            if data is _UNSET:
                child = _UNSET
            elif isinstance(data, dict):
                child = data.get(node.alias.value if node.alias else node.name.value, None)
            else:
                child = None
            total += self._field_cost(node, fdef, child)
        return total

    def _field_cost(self, node: FieldNode, fdef, data) -> int:
        named = get_named_type(fdef.type)
        if named.name == "Count" and node.name.value.endswith("Count"):
            return COUNT_COST if data is _UNSET or data is not None else 0
        if is_leaf_type(named):
            return 0
        if data is None:
            return 0
        if self._is_connection(named):
            return self._connection_cost(node, named, data)
        own = 0 if _is_free(named.name) else 1
        if _is_list(fdef.type):
            items = [data] if data is _UNSET else [i for i in data if i is not None]
            if not items:
                return 0
            return own + max(self._selection_cost(node.selection_set, named, i) for i in items)
        return own + self._selection_cost(node.selection_set, named, data)

    def _connection_cost(self, node: FieldNode, conn, data) -> int:
        node_type = None
        node_selections: list = []
        for sub, sub_def in self._fields(node.selection_set, conn):
            name = sub.name.value
            if name == "nodes":
                node_type = get_named_type(sub_def.type)
                node_selections.append(("nodes", sub.selection_set, sub))
            elif name == "edges":
                edge_type = get_named_type(sub_def.type)
                for esub, esub_def in self._fields(sub.selection_set, edge_type):
                    if esub.name.value == "node":
                        node_type = get_named_type(esub_def.type)
                        node_selections.append(("edges", esub.selection_set, (sub, esub)))
        if node_type is None or not node_selections:
            return 2
        if data is _UNSET:
            size = size_multiplier(self._size(node) or 0)
            per = sum(
                1 + self._selection_cost(sel, node_type, _UNSET) for _, sel, _ in node_selections
            )
            return 2 + size * per
        items = self._returned_nodes(data, node_selections)
        if not items:
            return 2
        per = max(
            sum(1 + self._selection_cost(sel, node_type, item) for _, sel, _ in node_selections)
            for item in items
        )
        return 2 + size_multiplier(len(items)) * per

    @staticmethod
    def _returned_nodes(data, node_selections) -> list:
        if not isinstance(data, dict):
            return []
        for kind, _sel, ref in node_selections:
            if kind == "nodes":
                key = ref.alias.value if ref.alias else ref.name.value
                return [n for n in data.get(key) or [] if n is not None]
        for _kind, _sel, (edges_node, node_node) in node_selections:
            key = edges_node.alias.value if edges_node.alias else edges_node.name.value
            nkey = node_node.alias.value if node_node.alias else node_node.name.value
            return [e.get(nkey) for e in data.get(key) or [] if e and e.get(nkey) is not None]
        return []

    # -- actual --------------------------------------------------------------------------
    def actual(self, data: dict | None) -> int:
        root = self._root_type()
        total = 0
        for node, fdef in self._fields(self.operation.selection_set, root):
            key = node.alias.value if node.alias else node.name.value
            value = data.get(key) if isinstance(data, dict) else None
            total += self._root_cost(node, fdef, root, value)
        return total


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


_UNSET = _Unset()


# --------------------------------------------------------------------------- leaky bucket


@dataclass
class ThrottleStatus:
    maximum_available: float
    currently_available: float
    restore_rate: float

    def as_dict(self) -> dict:
        return {
            "maximumAvailable": _num(self.maximum_available),
            "currentlyAvailable": int(self.currently_available),
            "restoreRate": _num(self.restore_rate),
        }


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


class LeakyBucket:
    """Shopify's cost bucket: ``capacity`` points, refilled at ``restore_rate`` per second.

    ``clock`` returns seconds (monotonic); inject a fake one in tests.
    """

    def __init__(
        self,
        capacity: float,
        restore_rate: float,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.capacity = float(capacity)
        self.restore_rate = float(restore_rate)
        self.clock = clock or time.monotonic
        self._available = float(capacity)
        self._stamp = self.clock()
        self._lock = threading.Lock()

    @classmethod
    def for_shopify_plan(
        cls, shopify_plan: str, clock: Callable[[], float] | None = None
    ) -> LeakyBucket:
        try:
            capacity, rate = SHOPIFY_PLAN_LIMITS[shopify_plan]
        except KeyError:
            raise ValueError(
                f"unknown plan {shopify_plan!r}; expected one of {sorted(SHOPIFY_PLAN_LIMITS)}"
            ) from None
        return cls(capacity, rate, clock)

    def _refill(self) -> None:
        now = self.clock()
        elapsed = max(0.0, now - self._stamp)
        self._stamp = now
        self._available = min(self.capacity, self._available + elapsed * self.restore_rate)

    def try_take(self, cost: float) -> bool:
        """Take ``cost`` points if available; False (and nothing taken) otherwise."""
        with self._lock:
            self._refill()
            if cost > self._available:
                return False
            self._available -= cost
            return True

    def refund(self, points: float) -> None:
        """Give back the difference between requested and actual cost."""
        with self._lock:
            self._refill()
            self._available = min(self.capacity, self._available + max(points, 0))

    def status(self) -> ThrottleStatus:
        with self._lock:
            self._refill()
            return ThrottleStatus(self.capacity, self._available, self.restore_rate)
