from __future__ import annotations

from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse
from neo4j import AsyncDriver

from resolvers import lookahead
from tests.bolt_counter import counting_statements
from tests.resolvers.helpers import run

PLAIN = """
query ($id: ID!) {
  customer(id: $id) {
    owner { name department { name } }
    orders(first: 3) { nodes { id lines { quantity price product { id name } } } }
    interactions(first: 4) { nodes { at employee { id name department { name kind } } } }
  }
}
"""

# The same fields, reached through edges, a named fragment and an inline fragment.
THROUGH_FRAGMENTS = """
query ($id: ID!) {
  customer(id: $id) {
    owner { name department { name } }
    orders(first: 3) { edges { node { ...OrderLines } } }
    interactions(first: 4) { nodes { ... on Interaction { at employee { id name department { name kind } } } } }
  }
}
fragment OrderLines on Order { id lines { quantity price product { id name } } }
"""

WITHOUT_NEIGHBOURS = """
query ($id: ID!) {
  customer(id: $id) {
    orders(first: 3) { nodes { id } }
    interactions(first: 4) { nodes { at } }
  }
}
"""


def _flatten(data: dict) -> dict:
    customer = data["customer"]
    return {
        "owner": customer["owner"],
        "orders": [edge["node"] for edge in customer["orders"]["edges"]]
        if "edges" in customer["orders"]
        else customer["orders"]["nodes"],
        "interactions": customer["interactions"]["nodes"],
    }


async def test_a_customer_with_lines_people_and_owner_costs_two_levels_of_statements(demo_graph: AsyncDriver) -> None:
    with counting_statements() as statements:
        result = await run(demo_graph, PLAIN, id="C000001")

    assert result.errors is None
    assert result.data["customer"]["orders"]["nodes"][0]["lines"], "every demo order has at least one line"
    assert all(item["employee"]["department"] for item in result.data["customer"]["interactions"]["nodes"])
    # The customer with its owner and the owner's department, its orders with lines and
    # products and its interactions with employees and departments: one statement.
    assert len(statements) == 1


async def test_fields_asked_through_edges_and_fragments_are_read_ahead_too(demo_graph: AsyncDriver) -> None:
    plain = await run(demo_graph, PLAIN, id="C000002")
    with counting_statements() as statements:
        through_fragments = await run(demo_graph, THROUGH_FRAGMENTS, id="C000002")

    assert plain.errors is None and through_fragments.errors is None
    assert _flatten(through_fragments.data) == _flatten(plain.data)
    assert len(statements) == 1


async def test_pages_not_asked_for_their_neighbours_read_only_the_page(demo_graph: AsyncDriver) -> None:
    with counting_statements() as statements:
        result = await run(demo_graph, WITHOUT_NEIGHBOURS, id="C000003")

    assert result.errors is None
    assert len(statements) == 1
    assert "CONTAINS" not in statements[0] and "interactions_employees" not in statements[0]


async def test_one_relationship_asked_twice_at_a_level_gets_both_pages(demo_graph: AsyncDriver) -> None:
    query = """
    query ($id: ID!) {
      customer(id: $id) {
        firstTwo: orders(first: 2) { nodes { id } }
        nextOne: orders(first: 1, after: "Y3Vyc29yOjE=") { nodes { id } }
        withLines: orders(first: 3) { nodes { id lines { quantity } } }
        tickets(first: 2) { totalCount }
      }
    }
    """
    with counting_statements() as statements:
        result = await run(demo_graph, query, id="C000004")

    assert result.errors is None
    customer = result.data["customer"]
    three = [order["id"] for order in customer["withLines"]["nodes"]]
    assert [order["id"] for order in customer["firstTwo"]["nodes"]] == three[:2]
    assert [order["id"] for order in customer["nextOne"]["nodes"]] == three[2:3]
    assert all(order["lines"] for order in customer["withLines"]["nodes"])
    # The customer with its first orders and its tickets, then one statement per other window of
    # orders.
    assert len(statements) == 1 + 2


async def test_a_customer_read_ahead_with_a_bad_page_argument_still_reports_it(demo_graph: AsyncDriver) -> None:
    query = '{ customer(id: "C000005") { id orders(first: 1000) { totalCount } tickets(first: 1) { totalCount } } }'
    result = await run(demo_graph, query)

    assert result.data == {"customer": None} or result.data["customer"]["orders"] is None
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"


async def test_an_unknown_customer_read_ahead_is_still_not_found(demo_graph: AsyncDriver) -> None:
    result = await run(demo_graph, '{ customer(id: "C999999999") { id orders(first: 2) { totalCount } } }')

    assert result.data == {"customer": None}
    assert result.errors[0].extensions["code"] == "NOT_FOUND"


async def test_page_arguments_given_as_variables_are_read_ahead(demo_graph: AsyncDriver) -> None:
    query = """
    query ($id: ID!, $orders: Int!, $interactions: Int) {
      customer(id: $id) {
        orders(first: $orders) { nodes { id lines { quantity } } }
        interactions(first: $interactions) { nodes { at employee { id } } }
      }
    }
    """
    with counting_statements() as statements:
        result = await run(demo_graph, query, id="C000001", orders=2, interactions=3)

    assert result.errors is None
    assert len(result.data["customer"]["orders"]["nodes"]) == 2
    assert len(result.data["customer"]["interactions"]["nodes"]) == 3
    assert len(statements) == 1


def _fragment_bomb(levels: int) -> str:
    """``levels`` fragments, each spreading the next one twice: 2^levels spreads if each were expanded."""
    fragments = [
        f"fragment F{level} on Customer {{ name ...F{level + 1} ...F{level + 1} }}" for level in range(levels - 1)
    ]
    fragments.append(
        f"fragment F{levels - 1} on Customer {{ id orders(first: 2) {{ nodes {{ id lines {{ quantity }} }} }} }}"
    )
    return '{ customer(id: "C000001") { ...F0 } }\n' + "\n".join(fragments)


def test_the_lookahead_expands_each_fragment_once_per_selection_set() -> None:
    document = parse(_fragment_bomb(40))
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    customer = operation.selection_set.selections[0]

    found = lookahead._fields(customer.selection_set, fragments)  # 2^40 fields if each spread were expanded

    assert [field.name.value for field in found] == ["name"] * 39 + ["id", "orders"]


async def test_a_thirty_level_fragment_bomb_is_answered_with_one_statement(demo_graph: AsyncDriver) -> None:
    with counting_statements() as statements:
        result = await run(demo_graph, _fragment_bomb(30))

    assert result.errors is None
    assert len(result.data["customer"]["orders"]["nodes"]) == 2
    assert len(statements) == 1
