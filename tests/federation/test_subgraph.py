"""The API as an Apollo Federation v2 subgraph, over HTTP through the ASGI app."""

from __future__ import annotations

from typing import Any

import httpx
from graphql import UnionTypeDefinitionNode, parse
from neo4j import AsyncDriver

from server.settings import PROJECT_ROOT
from tests.bolt_counter import counting_statements

ENTITIES = ["Customer", "Department", "Employee", "Interaction", "Order", "Product", "Ticket"]

ENTITIES_QUERY = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Customer { id name }
    ... on Order { id total }
  }
}
"""

CUSTOMER_IDS = [f"C{number:06d}" for number in range(1, 101)]
ORDER_IDS = [f"O{number:07d}" for number in range(1, 101)]


async def _post(client: httpx.AsyncClient, query: str, **variables: Any) -> Any:
    response = await client.post("/graphql", json={"query": query, "variables": variables or None})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


async def test_service_sdl_is_the_committed_schema(client: httpx.AsyncClient) -> None:
    data = await _post(client, "{ _service { sdl } }")

    committed = (PROJECT_ROOT / "schema.graphql").read_text()
    assert data["_service"]["sdl"] + "\n" == committed, "schema.graphql is stale: run 'python -m server export-schema'"


async def test_every_entity_is_keyed_by_id_and_in_the_entity_union(client: httpx.AsyncClient) -> None:
    sdl = (await _post(client, "{ _service { sdl } }"))["_service"]["sdl"]

    assert sdl.startswith(
        'schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@cost", "@key", "@listSize"])'
    )
    for name in ENTITIES:
        assert f'type {name} @key(fields: "id")' in sdl
    (entity_union,) = [
        node
        for node in parse(sdl).definitions
        if isinstance(node, UnionTypeDefinitionNode) and node.name.value == "_Entity"
    ]
    assert sorted(member.name.value for member in entity_union.types or ()) == ENTITIES


async def test_entities_resolve_100_customers_and_100_orders_in_two_statements(
    client: httpx.AsyncClient, demo_graph: AsyncDriver
) -> None:
    representations = [{"__typename": "Customer", "id": id} for id in CUSTOMER_IDS]
    representations += [{"__typename": "Order", "id": id} for id in ORDER_IDS]

    with counting_statements() as statements:
        data = await _post(client, ENTITIES_QUERY, representations=representations)

    # One batched lookup per type, however many representations there are.
    assert len(statements) == 2
    entities = data["_entities"]
    assert [entity["id"] for entity in entities] == CUSTOMER_IDS + ORDER_IDS
    assert {entity["__typename"] for entity in entities[:100]} == {"Customer"}
    assert {entity["__typename"] for entity in entities[100:]} == {"Order"}
    records, _, _ = await demo_graph.execute_query(
        "UNWIND $ids AS id MATCH (c:Customer {id: id}) RETURN c.id AS id, c.name AS name", ids=CUSTOMER_IDS
    )
    assert {entity["id"]: entity["name"] for entity in entities[:100]} == {r["id"]: r["name"] for r in records}


async def test_unknown_representation_resolves_to_null(client: httpx.AsyncClient) -> None:
    representations = [{"__typename": "Customer", "id": "C000001"}, {"__typename": "Ticket", "id": "T404"}]

    data = await _post(client, ENTITIES_QUERY, representations=representations)

    assert data["_entities"][0]["id"] == "C000001"
    assert data["_entities"][1] is None


async def test_entities_reach_nested_fields_through_the_loaders(client: httpx.AsyncClient) -> None:
    query = """
    query ($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on Employee { id department { id name } }
        ... on Department { id employees(first: 2) { nodes { id } } }
        ... on Product { id sku }
        ... on Ticket { id customer { id } }
        ... on Interaction { id channel }
      }
    }
    """
    representations = [
        {"__typename": "Employee", "id": "E00001"},
        {"__typename": "Department", "id": "D001"},
        {"__typename": "Product", "id": "P00001"},
        {"__typename": "Ticket", "id": "T000001"},
    ]

    data = await _post(client, query, representations=representations)

    employee, department, product, ticket = data["_entities"]
    assert employee["id"] == "E00001" and employee["department"]["id"].startswith("D")
    assert department["id"] == "D001" and department["employees"]["nodes"]
    assert product["sku"]
    assert ticket["customer"]["id"].startswith("C")
