"""The cost of an operation, estimated from its document before it runs.

The model is the IBM GraphQL cost specification's, as Apollo Federation 2.9 carries it in the
SDL (``@cost`` and ``@listSize``), so a gateway in front reads the same budget from
``schema.graphql`` as this service enforces:

- an object costs 1, a scalar or an enum 0, unless the field says otherwise with
  ``@cost(weight:)`` (the trace fields do: a shortest path costs what a few hundred objects
  cost to read);
- an argument with ``@cost(weight:)`` adds its weight when it is given (a filter or a sort
  that makes Neo4j scan a large label rather than walk an index);
- a list multiplies the cost of one of its items by its size: the value of its slicing
  argument (``first``, ``last``) when given, capped at the page cap, or else its
  ``assumedSize`` (a field whose resolver accepts more than the page cap says so in its
  metadata, ``MAX_SIZE``, and is capped there instead); a connection passes that size on to
  its ``sizedFields`` (``edges`` and ``nodes``);
- the fields of a selection set add up; fields merged under one response name count once,
  and a fragment spread twice in one selection set counts once, as graphql-core runs them;
  on a union or an interface, an item costs its common fields and the most expensive of the
  branches selected per type (it is of one type only).

Federation's ``_entities`` has one item per representation, so its size is the number of
representations sent (also checked on its own, against ``max_representations``).

The estimate is memoized per selection set and type, so a document of fragments spreading
fragments costs time linear in its size to estimate, however large the number it comes to.
Slicing arguments may be variables: the estimate records which variables it read, so the
caller can cache it by the values of those alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
    is_composite_type,
)
from strawberry.federation.schema_directives import Cost, ListSize
from strawberry.types.unset import UNSET

from resolvers.strawberry_internals import field_definition

# The size a connection passes on, and the names of the fields it passes it to.
_Sized = tuple[int | None, tuple[str, ...]]

# Lists that say nothing of their size are taken to hold this many items.
DEFAULT_LIST_SIZE = 10
# Reading the whole schema is a fixed, in-memory amount of work: tens of milliseconds.
INTROSPECTION_WEIGHTS = {"__schema": 5_000, "__type": 50}

# Assumed sizes of the lists that are not paged, from the demo company (an upper end of each).
IDENTITY_SYSTEMS = 4  # a customer or an employee is known in ERP, CRM, HR and HELPDESK at most
LINES_PER_ORDER = 4
HAND_OFFS_PER_TICKET = 5
DEPARTMENTS = 40
CONTACTS_PER_CUSTOMER = 20
DEMAND_BUCKETS = 50
LIVE_LIST_SIZE = 10  # opportunities or campaigns of a customer in the CRM

# What the fields that do more than read nodes cost, in objects' worth of work: reading and
# answering one object costs 1. Each weight is the time the field typically took on the bench
# graph for the queries ``bench/limits_bench.py`` generates, in those units: a typical call,
# not the worst one (the README's Limits section has the times). What a field costs at its
# worst depends on its arguments, which a static estimate cannot see: the request's deadline
# bounds it. A root field runs its own statement: its round trip outweighs reading the object.
# (Nested relationship fields run one statement per level for all their parents, which a
# per-item weight cannot say; they cost their objects.)
STATEMENT_WEIGHT = 150
LIVE_WEIGHT = 200  # a batched call to a system of record
JOURNEY_WEIGHT = 500  # the journey statement: order steps, interactions and hand-offs in time order
CONTACTS_WEIGHT = 2_000  # who touched a customer: every contact, grouped by person and department
EXPERT_WEIGHT = 300  # each employee ranked by how well they know a customer (one statement ranks them all)
PATH_WEIGHT = 500  # a shortest-path search over every relationship
PATHS_WEIGHT = 100  # each of all shortest paths (most searches find few)
HAND_OFF_CHAIN_WEIGHT = 100
FLOWS_WEIGHT = 1_000  # the hand-offs into and out of a department in the window
FLOW_WEIGHT = 25  # each flow of Department.internalCustomers / handsWorkTo (40 of them: the same work)
SERVICE_LEVELS_WEIGHT = 3_000  # every open ticket against its tier's targets
DEMAND_WEIGHT = 1_000  # each bucket of the demand aggregation: every order in the window
# Filters and sorts of the root lists that scan a label instead of walking an index, by label
# size: orders and interactions are the largest labels, customers and tickets the next.
SCAN_WEIGHTS = {"orders": 20_000, "interactions": 20_000, "customers": 10_000, "tickets": 10_000}
SMALL_SCAN_WEIGHT = 100  # products, employees, departments: a few thousand nodes


# Key of a strawberry field's ``metadata``: the most a slicing argument of this field may ask
# for, when the resolver accepts more than the page cap (the estimate caps sizes there).
MAX_SIZE: Final = "customer_graph.cost.max_size"


def weight(value: int) -> Cost:
    """``@cost(weight: value)``: what one of the field's items costs, instead of 1 for an object."""
    return Cost(weight=value)


def list_size(
    assumed_size: int | None = None, slicing_arguments: Sequence[str] = (), sized_fields: Sequence[str] = ()
) -> ListSize:
    """``@listSize``: how many items a list field (or a connection's ``sized_fields``) holds."""
    # UNSET, unlike None, leaves the argument out of the printed SDL.
    return ListSize(
        assumed_size=UNSET if assumed_size is None else assumed_size,
        slicing_arguments=list(slicing_arguments) or UNSET,
        sized_fields=list(sized_fields) or UNSET,
        require_one_slicing_argument=False,
    )


def scanning(label: str) -> Any:
    """``strawberry.argument`` of a root list's filter or sort: ``@cost`` of scanning ``label``."""
    return strawberry.argument(directives=[weight(SCAN_WEIGHTS.get(label, SMALL_SCAN_WEIGHT))])


def page(default_size: int, slicing_arguments: Sequence[str] = ("first",)) -> ListSize:
    """The ``@listSize`` of a Relay connection: ``first`` items (or the default page) in edges and nodes."""
    return list_size(default_size, slicing_arguments, ("edges", "nodes"))


@dataclass(frozen=True, slots=True)
class FieldCost:
    """A field's ``@cost`` and ``@listSize``, and its arguments' ``@cost``, as the model reads them."""

    weight: int | None = None
    assumed_size: int | None = None
    slicing_arguments: tuple[str, ...] = ()
    sized_fields: tuple[str, ...] = ()
    argument_weights: tuple[tuple[str, int], ...] = ()
    max_size: int | None = None  # the field's own ceiling on a slicing argument, if above the page cap


@dataclass(frozen=True, slots=True)
class Estimate:
    cost: int
    representations: int | None  # how many ``_entities`` representations, if it is asked for
    variables_read: frozenset[str]


class CostModel:
    """The cost directives of a schema's fields, and the estimator that reads them."""

    def __init__(self, schema: GraphQLSchema, fields: Mapping[tuple[str, str], FieldCost], max_list_size: int) -> None:
        self.schema = schema
        self.fields = dict(fields)
        self.max_list_size = max_list_size

    @classmethod
    def of(cls, schema: GraphQLSchema, max_list_size: int) -> CostModel:
        """The model of a strawberry-built schema: the ``@cost`` and ``@listSize`` on its fields."""
        fields: dict[tuple[str, str], FieldCost] = {}
        for type_name, graphql_type in schema.type_map.items():
            if not isinstance(graphql_type, GraphQLObjectType):
                continue
            for name, graphql_field in graphql_type.fields.items():
                definition = field_definition(graphql_field)
                if definition is None:
                    continue
                found = _field_cost(definition.directives)
                arguments = tuple(
                    (schema_name, weight)
                    for argument in definition.arguments
                    for schema_name in [argument.graphql_name or _camel(argument.python_name)]
                    for weight in [_weight(argument.directives)]
                    if weight is not None
                )
                if arguments:
                    found = dataclasses.replace(found or FieldCost(), argument_weights=arguments)
                ceiling: object = dict(definition.metadata or {}).get(MAX_SIZE)
                if isinstance(ceiling, int):
                    found = dataclasses.replace(found or FieldCost(), max_size=ceiling)
                if found is not None:
                    fields[(type_name, name)] = found
        return cls(schema, fields, max_list_size)

    def estimate(
        self, document: DocumentNode, operation: OperationDefinitionNode, variables: Mapping[str, Any] | None
    ) -> Estimate:
        walk = _Walk(self, document, operation, variables or {})
        root = self.schema.get_root_type(operation.operation)
        cost = 0 if root is None else walk.selection_cost(root, (operation.selection_set,))
        return Estimate(cost, walk.representations, frozenset(walk.variables_read))


def _weight(directives: Sequence[object]) -> int | None:
    return next((directive.weight for directive in directives if isinstance(directive, Cost)), None)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _field_cost(directives: Sequence[object]) -> FieldCost | None:
    costs = [directive for directive in directives if isinstance(directive, Cost)]
    sizes = [directive for directive in directives if isinstance(directive, ListSize)]
    if not costs and not sizes:
        return None
    size = sizes[0] if sizes else None
    return FieldCost(
        weight=costs[0].weight if costs else None,
        assumed_size=size.assumed_size if size and isinstance(size.assumed_size, int) else None,
        slicing_arguments=tuple(size.slicing_arguments or ()) if size else (),
        sized_fields=tuple(size.sized_fields or ()) if size else (),
    )


@dataclass
class _Walk:
    model: CostModel
    document: DocumentNode
    operation: OperationDefinitionNode
    variables: Mapping[str, Any]
    representations: int | None = None
    variables_read: set[str] = field(default_factory=set)
    _memo: dict[tuple[str, tuple[int, ...], _Sized | None], int] = field(default_factory=dict)
    _fragments: dict[str, FragmentDefinitionNode] = field(init=False)

    def __post_init__(self) -> None:
        self._fragments = {
            definition.name.value: definition
            for definition in self.document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }

    def selection_cost(
        self, parent: GraphQLCompositeType, selection_sets: tuple[SelectionSetNode, ...], sized: _Sized | None = None
    ) -> int:
        """The cost of the merged selection sets on ``parent``; ``sized`` sizes some of its list fields."""
        key = (parent.name, tuple(id(selection_set) for selection_set in selection_sets), sized)
        known = self._memo.get(key)
        if known is not None:
            return known
        self._memo[key] = 0  # a fragment cycle (refused by validation) counts nothing
        total = 0
        branches: dict[str, int] = {}
        for nodes, on_type in self._grouped(parent, selection_sets).values():
            cost = self._field_cost(on_type, nodes, sized)
            if on_type is parent or not is_abstract_type(parent):
                total += cost
            else:  # selected on one of the types an item of a union or interface may be
                branches[on_type.name] = branches.get(on_type.name, 0) + cost
        # Each item is of one type: it costs the most expensive of the branches, not all of them.
        total += max(branches.values(), default=0)
        self._memo[key] = total
        return total

    def _grouped(
        self, parent: GraphQLCompositeType, selection_sets: tuple[SelectionSetNode, ...]
    ) -> dict[str, tuple[list[FieldNode], GraphQLCompositeType]]:
        """Fields by response name, with the type they are selected on; each fragment once."""
        grouped: dict[str, tuple[list[FieldNode], GraphQLCompositeType]] = {}
        expanded: set[str] = set()
        pending = [(iter(selection_set.selections), parent) for selection_set in reversed(selection_sets)]
        while pending:
            selections, on_type = pending[-1]
            selection = next(selections, None)
            if selection is None:
                pending.pop()
            elif isinstance(selection, FieldNode):
                name = (selection.alias or selection.name).value
                grouped.setdefault(name, ([], on_type))[0].append(selection)
            elif isinstance(selection, InlineFragmentNode):
                pending.append((iter(selection.selection_set.selections), self._condition(selection, on_type)))
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self._fragments.get(selection.name.value)
                if fragment is not None and fragment.name.value not in expanded:
                    expanded.add(fragment.name.value)
                    pending.append((iter(fragment.selection_set.selections), self._condition(fragment, on_type)))
        return grouped

    def _condition(
        self, fragment: InlineFragmentNode | FragmentDefinitionNode, on_type: GraphQLCompositeType
    ) -> GraphQLCompositeType:
        if fragment.type_condition is None:
            return on_type
        condition = self.model.schema.get_type(fragment.type_condition.name.value)
        return condition if condition is not None and is_composite_type(condition) else on_type

    def _field_cost(self, parent: GraphQLCompositeType, nodes: list[FieldNode], sized: _Sized | None) -> int:
        name = nodes[0].name.value
        if name in INTROSPECTION_WEIGHTS:
            return INTROSPECTION_WEIGHTS[name]
        fields = getattr(parent, "fields", None)
        graphql_field = fields.get(name) if fields is not None else None
        if graphql_field is None:
            return 0  # __typename, or a field validation refuses
        spec = self.model.fields.get((parent.name, name), FieldCost())
        named = get_named_type(graphql_field.type)
        composite = is_composite_type(named)
        item_weight = spec.weight if spec.weight is not None else (1 if composite else 0)
        item_weight += self._argument_weights(nodes[0], spec)
        size = self._size(nodes[0], spec, name)
        below = 0
        if composite:
            selection_sets = tuple(node.selection_set for node in nodes if node.selection_set is not None)
            passed_on = (size, spec.sized_fields) if spec.sized_fields else None
            below = self.selection_cost(named, selection_sets, passed_on)
        if spec.sized_fields:
            return item_weight + below  # the size applies to the connection's edges and nodes
        if _is_list(graphql_field.type):
            items = sized[0] if sized is not None and name in sized[1] else size
            return (DEFAULT_LIST_SIZE if items is None else items) * (item_weight + below)
        return item_weight + below

    def _argument_weights(self, node: FieldNode, spec: FieldCost) -> int:
        """The weights of the arguments given (not null) that carry one."""
        if not spec.argument_weights:
            return 0
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        total = 0
        for name, weight in spec.argument_weights:
            value = given.get(name)
            if isinstance(value, VariableNode):
                self.variables_read.add(value.name.value)
                if self.variables.get(value.name.value) is None:
                    continue
            elif value is None or isinstance(value, NullValueNode):
                continue
            total += weight
        return total

    def _size(self, node: FieldNode, spec: FieldCost, name: str) -> int | None:
        if name == "_entities":
            self.representations = self._representations(node)
            return self.representations
        given = [self._int_argument(node, argument) for argument in spec.slicing_arguments]
        sizes = [value for value in given if value is not None]
        if sizes:
            return max(0, min(max(sizes), max(self.model.max_list_size, spec.max_size or 0)))
        return spec.assumed_size

    def _argument(self, node: FieldNode, name: str) -> object:
        value: ValueNode | None = next((arg.value for arg in node.arguments or () if arg.name.value == name), None)
        if isinstance(value, VariableNode):
            self.variables_read.add(value.name.value)
            return self.variables.get(value.name.value)
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, ListValueNode):
            return value.values
        return None

    def _int_argument(self, node: FieldNode, name: str) -> int | None:
        value = self._argument(node, name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def _representations(self, node: FieldNode) -> int:
        value = self._argument(node, "representations")
        return len(value) if isinstance(value, list | tuple) else 1


def _is_list(graphql_type: object) -> bool:
    if isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    return isinstance(graphql_type, GraphQLList)
