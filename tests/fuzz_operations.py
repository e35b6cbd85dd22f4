"""Operations generated from our schema for fuzzing: random arguments, variables, fragments, aliases.

``hypothesis-graphql`` generates valid queries of the served schema with literal arguments
(and random values for our own scalars: DateTimes at the calendar's edges, representations
of any shape). ``operations`` then rewrites each one as a client might have written it:
some arguments become variables (and a few of those get a random JSON value instead, of any
type), some fields get aliases, some selection sets move into named fragments. Used by the
short fuzz in ``tests/hostile`` and the long one in ``bench/fuzz_bench.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import graphql
from graphql import (
    REMOVE,
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLSchema,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    TypeInfo,
    TypeInfoVisitor,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    get_named_type,
    is_composite_type,
    parse_type,
    print_ast,
    value_from_ast_untyped,
    visit,
)
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from hypothesis_graphql import strategies as gql_st

from resolvers.pagination import encode_cursor

ENTITIES = ["Customer", "Department", "Employee", "Interaction", "Order", "Product", "Ticket"]
EDGE_TIMES = [
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00-14:00",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59.999999+14:00",
    "2024-02-30T00:00:00Z",
    "2024-05-01T09:30:00",
    "not a time",
    "",
]


# Ids of the small demo company, by the field or argument that takes one: most generated ids
# then name something that exists, so the fuzz reaches past "not found" into the resolvers.
_ID_FORMATS = {
    "customer": ("C{:06d}", 1000),
    "order": ("O{:07d}", 5000),
    "product": ("P{:05d}", 100),
    "employee": ("E{:05d}", 200),
    "department": ("D{:03d}", 40),
    "interaction": ("I{:07d}", 10000),
    "ticket": ("T{:06d}", 600),
}


IdPools = Mapping[str, Sequence[str]]  # ids to draw from, by kind ("customer", "order", ...)


def _has_ids(kind: str, pools: IdPools) -> bool:
    return bool(pools.get(kind)) or kind in _ID_FORMATS


def _pooled_id(kind: str, pools: IdPools, *, careful: bool) -> st.SearchStrategy[str]:
    """An id of ``kind``: from its pool when there is one, else one of the demo company's."""
    if pools.get(kind):
        return st.sampled_from(list(pools[kind]))
    pattern, count = _ID_FORMATS[kind]
    return st.integers(1, count if careful else count + 5).map(pattern.format)


def _realistic(
    argument: str, field: str, type_name: str, *, careful: bool, pools: IdPools, max_page: int = 30
) -> st.SearchStrategy[graphql.ValueNode] | None:
    """A value a real client would likely send for this argument, or None to keep the generated one.

    Careful: only ids that exist, and paging forwards (``last`` and ``before`` left out).
    """
    if type_name.rstrip("!") == "ID":
        kind = argument.removesuffix("Id") if argument.endswith("Id") else field
        if pools.get(kind):
            return st.sampled_from(list(pools[kind])).map(nodes.String)
        if kind in _ID_FORMATS:
            pattern, count = _ID_FORMATS[kind]
            top = count if careful else count + 5
            return st.integers(1, top).map(lambda number: nodes.String(pattern.format(number)))
    if careful and type_name == "TimeWindow!":  # a required window (demand's) with both ends, in order
        return (
            st.lists(_RECENT, min_size=2, max_size=2, unique=True)
            .map(sorted)
            .map(
                lambda ends: nodes.Object(
                    [
                        _field(name, nodes.String(end.isoformat()))
                        for name, end in zip(("from", "to"), ends, strict=True)
                    ]
                )
            )
        )
    if careful and argument in ("last", "before"):
        return st.just(graphql.NullValueNode())
    if type_name.rstrip("!") == "EntityRef" and pools:  # {kind, id}, from the pools where there are some
        return st.sampled_from(sorted(_ID_FORMATS)).flatmap(
            lambda kind: st.builds(
                lambda value: nodes.Object(
                    [_field("kind", nodes.Enum(kind.upper())), _field("id", nodes.String(value))]
                ),
                _pooled_id(kind, pools, careful=careful),
            )
        )
    if type_name.rstrip("!") == "EntityRef":  # {kind, id} of an entity that exists
        return st.tuples(st.sampled_from(sorted(_ID_FORMATS)), st.integers(1, 40)).map(
            lambda drawn: nodes.Object(
                [
                    _field("kind", nodes.Enum(drawn[0].upper())),
                    _field("id", nodes.String(_ID_FORMATS[drawn[0]][0].format(drawn[1]))),
                ]
            )
        )
    if argument in ("first", "last") and type_name.rstrip("!") == "Int":
        return st.integers(1, max_page).map(nodes.Int)
    if argument == "maxHops":
        return st.integers(1, 6).map(nodes.Int)
    if argument in ("after", "before"):
        return st.integers(0, 60).map(lambda position: nodes.String(encode_cursor(position)))
    return None


@dataclass(frozen=True, slots=True)
class Operation:
    query: str
    variables: dict[str, Any] | None


def _offsets() -> st.SearchStrategy[timezone]:
    return st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda minutes: timezone(timedelta(minutes=minutes)))


def _date_times() -> st.SearchStrategy[str]:
    instants = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59))
    with_zone = st.tuples(instants, st.one_of(st.none(), st.just(UTC), _offsets())).map(
        lambda pair: pair[0].replace(tzinfo=pair[1]).isoformat()
    )
    # Mostly times that parse; a quarter at the calendar's edges or malformed.
    return st.one_of(with_zone, with_zone, with_zone, st.sampled_from(EDGE_TIMES))


def _field(name: str, value: graphql.ValueNode) -> graphql.ObjectFieldNode:
    return graphql.ObjectFieldNode(name=NameNode(value=name), value=value)


def _representations() -> st.SearchStrategy[graphql.ValueNode]:
    type_names = st.one_of(st.sampled_from(ENTITIES), st.text(max_size=20)).map(nodes.String)
    ids = st.one_of(
        st.from_regex(r"[CDEIOPT]0{0,3}[0-9]{1,3}", fullmatch=True).map(nodes.String),
        st.integers(min_value=-(2**70), max_value=2**70).map(nodes.Int),
        st.just(nodes.Object([_field("nested", nodes.String("x"))])),
        st.just(graphql.NullValueNode()),
    )
    keys = st.fixed_dictionaries({}, optional={"__typename": type_names, "id": ids})
    anything = keys.map(lambda found: nodes.Object([_field(name, value) for name, value in found.items()]))
    # Mostly what a gateway sends: an entity that exists, by its type and id.
    kinds = st.sampled_from([(name, _ID_FORMATS[name.lower()]) for name in ENTITIES])
    proper = st.tuples(kinds, st.integers(1, 1005)).map(
        lambda drawn: nodes.Object(
            [
                _field("__typename", nodes.String(drawn[0][0])),
                _field("id", nodes.String(drawn[0][1][0].format(min(drawn[1], drawn[0][1][1] + 5)))),
            ]
        )
    )
    return st.one_of(proper, proper, proper, anything, st.text(max_size=10).map(nodes.String))


def _pooled_representations(
    pools: IdPools, entity_types: Sequence[str], *, careful: bool
) -> st.SearchStrategy[graphql.ValueNode]:
    """Representations of entities of ``entity_types``, by ids from the pools where there are some."""
    kinds = [name for name in entity_types if _has_ids(name.lower(), pools)]
    return st.sampled_from(kinds).flatmap(
        lambda name: st.builds(
            lambda value: nodes.Object([_field("__typename", nodes.String(name)), _field("id", nodes.String(value))]),
            _pooled_id(name.lower(), pools, careful=careful),
        )
    )


SCALARS = {
    "DateTime": _date_times().map(nodes.String),
    "Date": st.dates().map(nodes.String),
    "_Any": _representations(),
}
# What a well-behaved client sends: times of the demo company's years.
_RECENT = st.datetimes(min_value=datetime(2019, 1, 1), max_value=datetime(2026, 1, 1), timezones=st.just(UTC))
CAREFUL_SCALARS = {**SCALARS, "DateTime": _RECENT.map(lambda moment: nodes.String(moment.isoformat()))}

_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=10,
)


class _Rewrite(Visitor):
    """Turns literal arguments into variables, adds aliases, moves selection sets into fragments."""

    def __init__(self, draw: st.DrawFn, type_info: TypeInfo, *, careful: bool, pools: IdPools, max_page: int) -> None:
        super().__init__()
        self._max_page = max_page
        self._draw = draw
        self._type_info = type_info
        self._careful = careful
        self._pools = pools
        self.variable_definitions: list[VariableDefinitionNode] = []
        self.variables: dict[str, Any] = {}
        self.fragments: list[FragmentDefinitionNode] = []
        self._aliases = 0
        self._fields: list[str] = []  # the names of the fields being visited, innermost last

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        self._fields.append(node.name.value)

    def enter_argument(self, node: ArgumentNode, *_: Any) -> ArgumentNode | None:
        argument = self._type_info.get_argument()
        if argument is None or isinstance(node.value, VariableNode):
            return None
        field = self._fields[-1] if self._fields else ""
        likely = _realistic(
            node.name.value,
            field,
            str(argument.type),
            careful=self._careful,
            pools=self._pools,
            max_page=self._max_page,
        )
        use_likely = likely is not None and (self._careful or self._draw(st.integers(0, 3)) > 0)
        literal = self._draw(likely) if likely is not None and use_likely else self._pooled(node.value, argument.type)
        if not self._draw(st.booleans()):
            return None if literal is node.value else ArgumentNode(name=node.name, value=literal)
        name = f"v{len(self.variable_definitions)}"
        value = value_from_ast_untyped(literal)
        if not self._careful and self._draw(st.integers(0, 9)) == 0:
            value = self._draw(_JSON)  # anything at all, as a careless client might send
        self.variables[name] = value
        variable = VariableNode(name=NameNode(value=name))
        self.variable_definitions.append(
            VariableDefinitionNode(variable=variable, type=parse_type(str(argument.type)), directives=())
        )
        return ArgumentNode(name=node.name, value=variable)

    def _pooled(self, value: graphql.ValueNode, input_type: graphql.GraphQLInputType) -> graphql.ValueNode:
        """``value`` with the ids its input objects hold (``filter: {customerId: ...}``) drawn from the pools."""
        named = get_named_type(input_type)
        if not self._pools:
            return value
        if isinstance(value, graphql.ListValueNode) and isinstance(graphql.get_nullable_type(input_type), GraphQLList):
            inner = graphql.get_nullable_type(input_type).of_type
            return graphql.ListValueNode(values=tuple(self._pooled(item, inner) for item in value.values))
        if not isinstance(value, graphql.ObjectValueNode) or not isinstance(named, graphql.GraphQLInputObjectType):
            return value
        fields = []
        for item in value.fields:
            definition = named.fields.get(item.name.value)
            kind = item.name.value.removesuffix("Id")
            if definition is not None and get_named_type(definition.type).name == "ID" and self._pools.get(kind):
                drawn = self._draw(st.sampled_from(list(self._pools[kind])))
                fields.append(_field(item.name.value, nodes.String(drawn)))
            elif definition is not None:
                fields.append(_field(item.name.value, self._pooled(item.value, definition.type)))
            else:
                fields.append(item)
        return graphql.ObjectValueNode(fields=tuple(fields))

    def leave_field(self, node: FieldNode, *_: Any) -> FieldNode | None:
        self._fields.pop()
        alias = node.alias
        if alias is None and self._draw(st.integers(0, 4)) == 0:
            self._aliases += 1
            alias = NameNode(value=f"a{self._aliases}_{node.name.value}")
        selection_set = node.selection_set
        named = get_named_type(self._type_info.get_type())
        if selection_set is not None and named is not None and is_composite_type(named) and self._draw(st.booleans()):
            fragment = f"F{len(self.fragments)}"
            self.fragments.append(
                FragmentDefinitionNode(
                    name=NameNode(value=fragment),
                    type_condition=NamedTypeNode(name=NameNode(value=named.name)),
                    selection_set=selection_set,
                    directives=(),
                )
            )
            spread = FragmentSpreadNode(name=NameNode(value=fragment), directives=())
            selection_set = SelectionSetNode(selections=(spread,))
        if alias is node.alias and selection_set is node.selection_set:
            return None
        return FieldNode(
            alias=alias,
            name=node.name,
            arguments=node.arguments,
            directives=node.directives,
            selection_set=selection_set,
        )


class _SelectIds(Visitor):
    """Adds ``id`` to every selection set of a type that has one: each entity then shows which it is."""

    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self._type_info = type_info

    def enter_selection_set(self, node: SelectionSetNode, *_: Any) -> SelectionSetNode | None:
        parent = self._type_info.get_parent_type()
        if not isinstance(parent, graphql.GraphQLObjectType) or "id" not in parent.fields:
            return None
        if any(
            isinstance(item, FieldNode) and item.alias is None and item.name.value == "id" for item in node.selections
        ):
            return None
        return SelectionSetNode(
            selections=(FieldNode(name=NameNode(value="id"), arguments=(), directives=()), *node.selections)
        )


class _LeaveOut(Visitor):
    def __init__(self, names: frozenset[str]) -> None:
        super().__init__()
        self._names = names

    def enter_field(self, node: FieldNode, *_: Any) -> object:
        return REMOVE if node.name.value in self._names else None


@st.composite
def operations(
    draw: st.DrawFn,
    schema: GraphQLSchema,
    *,
    careful: bool = False,
    fields: Sequence[str] | None = None,
    leave_out: Sequence[str] = (),
    ids: IdPools | None = None,
    entity_types: Sequence[str] = ENTITIES,
    select_ids: bool = False,
    max_page: int = 30,
) -> Operation:
    """A generated query, rewritten with variables, aliases and fragments (see the module docstring).

    ``careful``: arguments get a likely value wherever one is known (ids that exist, small
    pages, valid cursors) and variables always the argument's value, as a well-behaved client
    sends; ``fields`` are the root fields to choose from; fields named in ``leave_out`` are
    dropped wherever they occur. ``ids``: the ids to ask for, by kind (``"customer"``, ...),
    wherever an argument, an input field, an ``EntityRef`` or an entity representation takes an
    id of that kind; representations then name only ``entity_types``. ``select_ids``: every
    selection set of a type with an ``id`` selects it too. ``max_page``: the largest ``first``
    or ``last`` asked for.
    """
    scalars = CAREFUL_SCALARS if careful else SCALARS
    if ids:
        scalars = {**scalars, "_Any": _pooled_representations(ids, entity_types, careful=careful)}
    strategy = gql_st.queries(schema, fields=fields, custom_scalars=scalars, print_ast=lambda tree: tree)
    document: DocumentNode = draw(strategy)
    if leave_out:
        document = visit(document, _LeaveOut(frozenset(leave_out)))
    if select_ids:
        ids_info = TypeInfo(schema)
        document = visit(document, TypeInfoVisitor(ids_info, _SelectIds(ids_info)))
    type_info = TypeInfo(schema)
    rewrite = _Rewrite(draw, type_info, careful=careful, pools=ids or {}, max_page=max_page)
    rewritten = visit(document, TypeInfoVisitor(type_info, rewrite))
    operation = rewritten.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    operation = OperationDefinitionNode(
        operation=operation.operation,
        name=NameNode(value="Fuzz"),
        variable_definitions=tuple(rewrite.variable_definitions),
        directives=(),
        selection_set=operation.selection_set,
    )
    query = print_ast(DocumentNode(definitions=(operation, *rewrite.fragments)))
    return Operation(query, rewrite.variables or None)
