"""Operations generated from our schema for fuzzing: random arguments, variables, fragments, aliases.

``hypothesis-graphql`` generates valid queries of the served schema with literal arguments
(and random values for our own scalars: DateTimes at the calendar's edges, representations
of any shape). ``operations`` then rewrites each one as a client might have written it:
some arguments become variables (and a few of those get a random JSON value instead, of any
type), some fields get aliases, some selection sets move into named fragments. Used by the
short fuzz in ``tests/hostile`` and the long one in ``bench/fuzz_bench.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def _realistic(
    argument: str, field: str, type_name: str, *, careful: bool
) -> st.SearchStrategy[graphql.ValueNode] | None:
    """A value a real client would likely send for this argument, or None to keep the generated one.

    Careful: only ids that exist, and paging forwards (``last`` and ``before`` left out).
    """
    if type_name.rstrip("!") == "ID":
        kind = argument.removesuffix("Id") if argument.endswith("Id") else field
        if kind in _ID_FORMATS:
            pattern, count = _ID_FORMATS[kind]
            top = count if careful else count + 5
            return st.integers(1, top).map(lambda number: nodes.String(pattern.format(number)))
    if careful and argument in ("last", "before"):
        return st.just(graphql.NullValueNode())
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
        return st.integers(1, 30).map(nodes.Int)
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

    def __init__(self, draw: st.DrawFn, type_info: TypeInfo, *, careful: bool) -> None:
        super().__init__()
        self._draw = draw
        self._type_info = type_info
        self._careful = careful
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
        likely = _realistic(node.name.value, field, str(argument.type), careful=self._careful)
        use_likely = likely is not None and (self._careful or self._draw(st.integers(0, 3)) > 0)
        literal = self._draw(likely) if likely is not None and use_likely else node.value
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
) -> Operation:
    """A generated query, rewritten with variables, aliases and fragments (see the module docstring).

    ``careful``: arguments get a likely value wherever one is known (ids that exist, small
    pages, valid cursors) and variables always the argument's value, as a well-behaved client
    sends; ``fields`` are the root fields to choose from; fields named in ``leave_out`` are
    dropped wherever they occur.
    """
    scalars = CAREFUL_SCALARS if careful else SCALARS
    strategy = gql_st.queries(schema, fields=fields, custom_scalars=scalars, print_ast=lambda tree: tree)
    document: DocumentNode = draw(strategy)
    if leave_out:
        document = visit(document, _LeaveOut(frozenset(leave_out)))
    type_info = TypeInfo(schema)
    rewrite = _Rewrite(draw, type_info, careful=careful)
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
