"""Look ahead in a query: does a connection field's selection ask for a field on its nodes?

A resolver that knows its items' ``employee`` or ``lines`` will be asked for next can read
them in the same statement as the page and prime the DataLoaders with them, saving a round
trip per level. The answer depends only on the query document, which the HTTP endpoint parses
once and caches, so it is cached by the field's AST node: one walk per document, not per
parent. The answers are kept by node, holding the node weakly, so they go with their document: held
strongly, the nodes (and through their locations all of the document's tokens and its text)
would outlive the document cache's eviction.
``@skip``/``@include`` are not evaluated: a field they may drop counts as asked for,
which only means reading a little more than needed.

Fragments are expanded as graphql-core collects fields: each named fragment once per
selection set, however often it is spread there. Expanding every spread instead made a
document of thirty fragments, each spreading the next twice, cost 2^30 steps. The walk is
iterative (no recursion limit to hit) and stops after ``_MAX_FIELDS`` fields: past that the
look-ahead only misses a read-ahead, which costs a round trip, never a wrong answer.
"""

from __future__ import annotations

import weakref
from typing import Any, Generic, TypeVar

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    InlineFragmentNode,
    SelectionSetNode,
)
from graphql.execution.values import VariableValues, get_argument_values

from domain.errors import BadUserInputError
from graph.reads import Relation
from resolvers.context import Info
from resolvers.pagination import forward_window
from resolvers.strawberry_internals import raw_info

_MAX_FIELDS = 10_000
N = TypeVar("N")
V = TypeVar("V")


class _NodeMemo(Generic[N, V]):
    """Values by AST node (by identity), each dropped when its node is collected."""

    def __init__(self) -> None:
        self._values: dict[int, tuple[weakref.ref[N], V]] = {}

    def get(self, node: N) -> V | None:
        found = self._values.get(id(node))
        return found[1] if found is not None and found[0]() is node else None

    def put(self, node: N, value: V) -> None:
        key = id(node)
        self._values[key] = (weakref.ref(node, lambda _: self._values.pop(key, None)), value)


# A selection set's fields with fragments expanded; the names a connection field's selection
# asks for on its nodes.
_fields_of: _NodeMemo[SelectionSetNode, tuple[FieldNode, ...]] = _NodeMemo()
_asked_on_nodes: _NodeMemo[FieldNode, frozenset[str]] = _NodeMemo()


def _fields(
    selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode]
) -> tuple[FieldNode, ...]:
    """The fields of a selection set in document order, fragments expanded once each (see the module docstring)."""
    if selection_set is None:
        return ()
    cached = _fields_of.get(selection_set)
    if cached is not None:
        return cached
    found: list[FieldNode] = []
    expanded: set[str] = set()
    pending = [iter(selection_set.selections)]
    while pending and len(found) < _MAX_FIELDS:
        selection = next(pending[-1], None)
        if selection is None:
            pending.pop()
        elif isinstance(selection, FieldNode):
            found.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            pending.append(iter(selection.selection_set.selections))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in expanded:
                expanded.add(name)
                pending.append(iter(fragments[name].selection_set.selections))
    fields = tuple(found)
    _fields_of.put(selection_set, fields)
    return fields


def _names_on_nodes(field_node: FieldNode, fragments: dict[str, FragmentDefinitionNode]) -> frozenset[str]:
    names: set[str] = set()
    for child in _fields(field_node.selection_set, fragments):
        if child.name.value == "nodes":
            names.update(node_field.name.value for node_field in _fields(child.selection_set, fragments))
        elif child.name.value == "edges":
            for edge_field in _fields(child.selection_set, fragments):
                if edge_field.name.value == "node":
                    names.update(f.name.value for f in _fields(edge_field.selection_set, fragments))
    return frozenset(names)


def _asked(field_node: FieldNode, fragments: dict[str, FragmentDefinitionNode]) -> frozenset[str]:
    cached = _asked_on_nodes.get(field_node)
    if cached is None:
        cached = _names_on_nodes(field_node, fragments)
        _asked_on_nodes.put(field_node, cached)
    return cached


def _argument_values(
    parent: GraphQLObjectType, name: str, field_node: FieldNode, variables: VariableValues | dict[str, Any]
) -> dict[str, Any]:
    """The arguments of a field of the query as its resolver will get them."""
    # strawberry's resolve info carries the coerced variables as a plain dict, graphql-core's
    # as a VariableValues; argument coercion wants the latter.
    if isinstance(variables, dict):
        variables = VariableValues(sources={}, coerced=variables)
    return get_argument_values(parent.fields[name], field_node, variables)


def asks_on_nodes(info: Info, name: str) -> bool:
    """Whether the connection being resolved selects ``name`` under ``nodes`` or ``edges { node }``."""
    raw = raw_info(info)
    return any(name in _asked(field_node, raw.fragments) for field_node in raw.field_nodes)


# A customer's paged fields: the relation read plainly, the one that also reads what the page's
# nodes lead to, and the field on the nodes that makes it worth it (Customer.orders and
# Customer.interactions pick with it, and so does a customer lookup reading its pages ahead).
CUSTOMER_PAGE_FIELDS: dict[str, tuple[Relation, Relation, str | None]] = {
    "orders": (Relation.CUSTOMER_ORDERS, Relation.CUSTOMER_ORDERS_WITH_LINES, "lines"),
    "interactions": (Relation.CUSTOMER_INTERACTIONS, Relation.CUSTOMER_INTERACTIONS_WITH_PEOPLE, "employee"),
    "tickets": (Relation.CUSTOMER_TICKETS, Relation.CUSTOMER_TICKETS, None),
}


def customer_relation(info: Info, field: str) -> Relation:
    """The relation Customer.<field> reads: with what its nodes lead to when the query asks for it."""
    plain, rich, trigger = CUSTOMER_PAGE_FIELDS[field]
    return rich if trigger is not None and asks_on_nodes(info, trigger) else plain


def customer_pages_asked(info: Info, default_size: int) -> dict[Relation, tuple[int, int]]:
    """The pages the customer being looked up will be asked for: ``{relation: (skip, limit + 1)}``.

    For a root ``customer(id)``: its orders, interactions and tickets selected with arguments
    that are valid (anything else is left to the field, which reports it), each as the
    Customer field will load it, so a lookup can read them in the same statement. A
    relationship asked more than once (aliases) is read ahead once, for its first field.
    """
    raw = raw_info(info)
    customer_type = raw.schema.get_type("Customer")
    if not isinstance(customer_type, GraphQLObjectType):
        return {}
    windows: dict[Relation, tuple[int, int]] = {}
    seen: set[str] = set()
    for field_node in raw.field_nodes:
        for child in _fields(field_node.selection_set, raw.fragments):
            name = child.name.value
            if name not in CUSTOMER_PAGE_FIELDS or name in seen:
                continue
            seen.add(name)
            try:
                arguments = _argument_values(customer_type, name, child, raw.variable_values)
                window = forward_window(
                    arguments.get("first"), arguments.get("after"), info.context.max_page_size, default_size
                )
            except (GraphQLError, BadUserInputError):
                continue
            plain, rich, trigger = CUSTOMER_PAGE_FIELDS[name]
            relation = rich if trigger is not None and trigger in _asked(child, raw.fragments) else plain
            windows[relation] = (window.skip, window.limit + 1)
    return windows


def journey_page_asked(info: Info) -> tuple[int | None, str | None] | None:
    """``(first, after)`` of the unfiltered ``journey`` that the customer being looked up is asked for.

    The journey statement reads the customer too, so a lookup that only needs the journey
    besides the customer's own fields can be answered by it alone. A filtered journey, or
    arguments that do not fit (left to the field, which reports them), give ``None``.
    """
    raw = raw_info(info)
    customer_type = raw.schema.get_type("Customer")
    if not isinstance(customer_type, GraphQLObjectType):
        return None
    for field_node in raw.field_nodes:
        for child in _fields(field_node.selection_set, raw.fragments):
            if child.name.value != "journey":
                continue
            try:
                arguments = _argument_values(customer_type, "journey", child, raw.variable_values)
            except GraphQLError:
                return None
            if arguments.get("filter") is not None:
                return None
            return arguments.get("first"), arguments.get("after")
    return None
