"""The static cost estimate: the IBM cost model as the SDL states it, read back from the schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphql import (
    DirectiveNode,
    FieldDefinitionNode,
    GraphQLObjectType,
    ObjectTypeDefinitionNode,
    get_operation_ast,
    parse,
    print_ast,
)

from resolvers import cost
from resolvers.cost import DEFAULT_LIST_SIZE, CostModel, Estimate
from resolvers.schema import build_schema
from resolvers.strawberry_internals import graphql_schema

SCHEMA = build_schema()
MODEL = CostModel.of(graphql_schema(SCHEMA), max_list_size=100)
SDL = Path(__file__).resolve().parents[2] / "schema.graphql"


def estimate(query: str, **variables: Any) -> Estimate:
    document = parse(query)
    operation = get_operation_ast(document)
    assert operation is not None
    return MODEL.estimate(document, operation, variables)


ROOT = cost.STATEMENT_WEIGHT  # a root field: its own statement


def test_an_object_costs_one_and_its_scalars_nothing() -> None:
    assert estimate('{ customer(id: "C1") { id name email tier } }').cost == ROOT
    assert estimate('{ customer(id: "C1") { owner { department { name } } } }').cost == ROOT + 2


def test_a_connection_costs_its_page_of_edges_and_nodes() -> None:
    # The connection (1) and first: 5 nodes (1 each); edges are items too, each with its node.
    assert estimate('{ customer(id: "C1") { orders(first: 5) { nodes { id } } } }').cost == ROOT + 1 + 5
    assert estimate('{ customer(id: "C1") { orders(first: 5) { edges { node { id } } } } }').cost == ROOT + 1 + 5 * 2
    # Without first: the field's assumed size, the default nested page.
    assert estimate('{ customer(id: "C1") { orders { nodes { id } } } }').cost == ROOT + 1 + 10


def test_nested_lists_multiply() -> None:
    query = "{ customers(first: 50) { nodes { orders(first: 3) { nodes { lines { product { id } } } } } } }"
    # 50 customers, each: its orders connection (1) and 3 orders, each with 4 lines (assumed), each a product.
    assert estimate(query).cost == ROOT + 50 * (1 + 1 + 3 * (1 + 4 * (1 + 1)))


def test_slicing_arguments_are_read_from_variables_and_capped_at_the_page_cap() -> None:
    query = "query ($n: Int) { customers(first: $n) { nodes { id } } }"

    assert estimate(query, n=7).cost == ROOT + 7
    assert estimate(query, n=10**9).cost == ROOT + 100
    assert estimate(query).cost == ROOT + 20  # not given: the root lists' default page
    assert estimate(query, n=7).variables_read == {"n"}


def test_the_trace_fields_carry_their_weights() -> None:
    path = '{ shortestPath(from: {kind: CUSTOMER, id: "C1"}, to: {kind: DEPARTMENT, id: "D1"}) { length } }'
    paths = (
        '{ allShortestPaths(from: {kind: CUSTOMER, id: "C1"}, to: {kind: DEPARTMENT, id: "D1"}, first: 3) { length } }'
    )

    assert estimate(path).cost == cost.PATH_WEIGHT
    assert estimate(paths).cost == 3 * cost.PATHS_WEIGHT


def test_fields_merged_under_one_name_and_fragments_spread_twice_count_once() -> None:
    once = '{ customer(id: "C1") { owner { name } } }'
    merged = (
        '{ customer(id: "C1") { owner { name } owner { email } ...F ...F } } fragment F on Customer { owner { id } }'
    )

    assert estimate(merged).cost == estimate(once).cost


def test_aliases_of_a_fragment_multiply_its_cost_without_walking_each_copy() -> None:
    levels = 40
    bomb = '{ customer(id: "C1") { ...F0 } }\n' + "\n".join(
        f"fragment F{i} on Customer {{ a: orders(first: 1) {{ nodes {{ customer {{ ...F{i + 1} }} }} }} "
        f"b: orders(first: 1) {{ nodes {{ customer {{ ...F{i + 1} }} }} }} }}"
        for i in range(levels)
    )
    bomb += f"\nfragment F{levels} on Customer {{ id }}"

    assert estimate(bomb).cost > 2**levels


def test_entities_cost_one_item_per_representation() -> None:
    query = "query ($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { owner { id } } } }"
    two = '[{__typename: "Customer", id: "C1"}, {__typename: "Customer", id: "C2"}]'
    literal = f"{{ _entities(representations: {two}) {{ ... on Customer {{ id }} }} }}"

    found = estimate(query, r=[{"__typename": "Customer", "id": str(i)} for i in range(30)])

    assert (found.cost, found.representations) == (30 * 2, 30)
    assert estimate(literal).representations == 2


def test_every_list_states_its_size_and_unsized_ones_get_the_default() -> None:
    # Every list of the schema but the connections' (sized by their parent) and _entities'
    # (sized by its representations) says how large it is.
    unsized = [
        (type_name, name)
        for type_name, graphql_type in graphql_schema(SCHEMA).type_map.items()
        if isinstance(graphql_type, GraphQLObjectType) and not type_name.startswith("__")
        for name, field in graphql_type.fields.items()
        if "[" in str(field.type) and (type_name, name) not in MODEL.fields and not type_name.endswith("Connection")
    ]
    assert unsized == [("Query", "_entities")]
    # A list whose size is not stated: the default (here, a type without cost directives).
    bare = CostModel(graphql_schema(SCHEMA), {}, max_list_size=100)
    document = parse('{ customer(id: "C1") { identities { key } } }')
    assert bare.estimate(document, document.definitions[0], None).cost == 1 + DEFAULT_LIST_SIZE  # type: ignore[arg-type]


def _directives(sdl: str) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for definition in parse(sdl).definitions:
        if not isinstance(definition, ObjectTypeDefinitionNode):
            continue
        for field in definition.fields or ():
            assert isinstance(field, FieldDefinitionNode)
            printed = [print_ast(d) for d in field.directives or () if _is_cost(d)]
            if printed:
                found[(definition.name.value, field.name.value)] = " ".join(sorted(printed))
    return found


def _is_cost(directive: DirectiveNode) -> bool:
    return directive.name.value in ("cost", "listSize")


def test_the_committed_sdl_states_the_model_the_estimate_reads() -> None:
    stated = _directives(SDL.read_text())

    assert set(stated) == set(MODEL.fields)
    assert "@listSize(assumedSize: 10" in stated[("Customer", "orders")]
    assert 'slicingArguments: ["first"], sizedFields: ["edges", "nodes"]' in stated[("Customer", "orders")]
    assert stated[("Query", "shortestPath")] == f"@cost(weight: {cost.PATH_WEIGHT})"
    for (type_name, field_name), field_cost in MODEL.fields.items():
        if field_cost.weight is not None:
            assert f"@cost(weight: {field_cost.weight})" in stated[(type_name, field_name)]
        if field_cost.assumed_size is not None:
            assert f"assumedSize: {field_cost.assumed_size}" in stated[(type_name, field_name)]


def test_an_item_of_a_union_costs_its_most_expensive_branch() -> None:
    path = '{ shortestPath(from: {kind: CUSTOMER, id: "C1"}, to: {kind: DEPARTMENT, id: "D1"}) { nodes { __typename '
    one = path + "... on Customer { owner { id } } } } }"
    both = path + "... on Customer { owner { id } } ... on Employee { manager { id } department { id } } } } }"

    # 11 nodes (maxHops + 1), each the object (1) and the costlier branch: the employee's two objects.
    assert estimate(one).cost == cost.PATH_WEIGHT + 11 * (1 + 1)
    assert estimate(both).cost == cost.PATH_WEIGHT + 11 * (1 + 2)


def test_a_field_that_accepts_more_than_the_page_cap_is_capped_at_its_own_maximum() -> None:
    # neighbourhood takes up to 1,000 neighbours: its nodes (and their relationships) count as many.
    query = 'query ($n: Int!) { neighbourhood(entity: {kind: PRODUCT, id: "P1"}, first: $n) { nodes { __typename } } }'
    at_50, at_1000, past_max = (estimate(query, n=n).cost for n in (50, 1_000, 10**9))

    assert at_1000 - at_50 == 1_000 - 50
    assert past_max == at_1000
