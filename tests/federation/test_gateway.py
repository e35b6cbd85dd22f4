"""An Apollo gateway composes our API with a second subgraph; queries cross both ways.

Everything runs for real on loopback: our API under uvicorn, the "loyalty" subgraph on
@apollo/server, and @apollo/gateway composing both with IntrospectAndCompose. The gateway
asks every subgraph for federated traces (ftv1) and reports what it decoded of them.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from neo4j import AsyncDriver

from tests.auth_tokens import bearer
from tests.federation.conftest import TOP_LOYALTY_MEMBERS
from tests.federation.processes import Running

pytestmark = pytest.mark.e2e

OURS_THEN_THEIRS = "{ customers(first: 5) { nodes { id name loyaltyPoints } } }"
THEIRS_THEN_OURS = "{ topLoyaltyMembers { id name tier loyaltyPoints orders(first: 2) { nodes { id } } } }"

CUSTOMERS = """
UNWIND $ids AS id
MATCH (c:Customer {id: id})
RETURN c.id AS id, c.name AS name, c.tier AS tier,
       [(c)-[:PLACED]->(o:Order) | o {.id, .placed_at}] AS orders
"""


def loyalty_points(customer_id: str) -> int:
    """What the loyalty subgraph computes: ten points per unit of the customer number."""
    return int(customer_id[1:]) * 10


async def _customers(driver: AsyncDriver, ids: list[str]) -> dict[str, Any]:
    records, _, _ = await driver.execute_query(CUSTOMERS, ids=ids)
    return {record["id"]: record for record in records}


async def _gateway_query(gateway: Running, query: str, **headers: str) -> Any:
    async with httpx.AsyncClient(timeout=30.0) as http:
        response = await http.post(gateway.url, json={"query": query}, headers={**bearer(), **headers})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body


def _find(node: dict[str, Any], *path: str | int) -> dict[str, Any]:
    for name in path:
        node = next(child for child in node["children"] if child["name"] == name)
    return node


async def test_our_customers_carry_loyalty_points_from_the_other_subgraph(
    gateway: Running, demo_graph: AsyncDriver
) -> None:
    body = await _gateway_query(gateway, OURS_THEN_THEIRS)

    nodes = body["data"]["customers"]["nodes"]
    assert len(nodes) == 5
    known = await _customers(demo_graph, [node["id"] for node in nodes])
    for node in nodes:
        assert node["name"] == known[node["id"]]["name"]
        assert node["loyaltyPoints"] == loyalty_points(node["id"])
    # customers are sorted by name by default
    assert [node["name"] for node in nodes] == sorted(node["name"] for node in nodes)


async def test_their_top_members_are_completed_from_our_graph_in_one_batch(
    gateway: Running, demo_graph: AsyncDriver
) -> None:
    body = await _gateway_query(gateway, THEIRS_THEN_OURS)

    members = body["data"]["topLoyaltyMembers"]
    assert [member["id"] for member in members] == TOP_LOYALTY_MEMBERS
    known = await _customers(demo_graph, TOP_LOYALTY_MEMBERS)
    for member in members:
        customer = known[member["id"]]
        assert member["name"] == customer["name"]
        assert member["tier"] == customer["tier"]
        assert member["loyaltyPoints"] == loyalty_points(member["id"])
        newest = sorted(
            customer["orders"], key=lambda order: (-order["placed_at"].to_native().timestamp(), order["id"])
        )
        assert [order["id"] for order in member["orders"]["nodes"]] == [order["id"] for order in newest[:2]]
    # The gateway asked us once, for all three members: one _entities fetch with three representations.
    ours = [fetch for fetch in body["extensions"]["subgraphTraces"] if fetch["service"] == "customers"]
    assert len(ours) == 1
    entities = _find(ours[0]["root"], "_entities")
    assert [item["name"] for item in entities["children"]] == [0, 1, 2]


async def test_the_gateway_decodes_our_federated_traces(gateway: Running, demo_graph: AsyncDriver) -> None:
    body = await _gateway_query(gateway, OURS_THEN_THEIRS)

    traces = {fetch["service"]: fetch for fetch in body["extensions"]["subgraphTraces"]}
    assert set(traces) == {"customers", "loyalty"}
    for fetch in traces.values():
        assert fetch["traceParsingFailed"] is False
        assert fetch["root"] is not None and fetch["durationNs"] > 0
    ours = traces["customers"]
    customers = _find(ours["root"], "customers")
    assert (customers["type"], customers["parentType"]) == ("CustomerConnection!", "Query")
    name = _find(customers, "nodes", 4, "name")
    assert (name["type"], name["parentType"]) == ("String!", "Customer")
    assert 0 < customers["startTime"] <= customers["endTime"] <= name["startTime"] <= name["endTime"]
    assert name["endTime"] <= ours["durationNs"]


async def test_the_request_id_given_to_the_gateway_reaches_our_logs(
    gateway: Running, api: Running, demo_graph: AsyncDriver
) -> None:
    await _gateway_query(gateway, OURS_THEN_THEIRS, **{"x-request-id": "gateway-test-4711"})

    assert "[gateway-test-4711] POST /graphql 200" in api.output()


async def test_our_errors_sit_at_their_field_in_the_trace(gateway: Running, demo_graph: AsyncDriver) -> None:
    async with httpx.AsyncClient(timeout=30.0) as http:
        response = await http.post(
            gateway.url, json={"query": '{ customer(id: "C404") { id loyaltyPoints } }'}, headers=bearer()
        )

    body = response.json()
    assert body["data"] == {"customer": None}
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    (ours,) = body["extensions"]["subgraphTraces"]
    assert _find(ours["root"], "customer")["errors"] == ["no customer with id 'C404'"]


async def _as(gateway: Running, query: str, headers: dict[str, str]) -> Any:
    async with httpx.AsyncClient(timeout=30.0) as http:
        response = await http.post(gateway.url, json={"query": query}, headers=headers)
    return response.json()


async def test_the_gateway_forwards_the_callers_token_and_entities_run_as_that_caller(
    gateway: Running, api: Running, demo_graph: AsyncDriver
) -> None:
    query = "{ topLoyaltyMembers { id name email loyaltyPoints } }"

    admin = await _as(gateway, query, bearer("admin"))
    analyst = await _as(gateway, query, bearer("analyst", subject="E0077"))

    assert "errors" not in analyst, analyst
    for plain, masked in zip(admin["data"]["topLoyaltyMembers"], analyst["data"]["topLoyaltyMembers"], strict=True):
        assert plain["name"] == masked["name"]
        assert masked["email"] == f"{plain['email'][0]}***@{plain['email'].split('@')[1]}" != plain["email"]
    # Our _entities ran as the analyst the gateway's caller is.
    assert "POST /graphql 200" in api.output() and "subject=E0077 roles=analyst" in api.output()


async def test_through_the_gateway_a_caller_gets_no_more_than_from_us(
    gateway: Running, demo_graph: AsyncDriver
) -> None:
    refused = await _as(gateway, "{ topLoyaltyMembers { id email } }", bearer("back_office"))
    allowed = await _as(gateway, "{ topLoyaltyMembers { id name } }", bearer("analyst"))
    # The head of the company handled no order step: as back office, they see none of the members.
    hidden = await _as(gateway, "{ topLoyaltyMembers { id name } }", bearer("back_office", subject="E0001"))
    anonymous = await _as(gateway, "{ customers(first: 1) { nodes { id } } }", {})

    assert [error["extensions"]["code"] for error in refused["errors"]] == ["FORBIDDEN"]
    assert "@" not in json.dumps(refused.get("data"))  # no email reached the caller
    assert "errors" not in allowed and len(allowed["data"]["topLoyaltyMembers"]) == 3
    names = [member["name"] for member in allowed["data"]["topLoyaltyMembers"]]
    assert not any(name in json.dumps(hidden) for name in names), hidden
    assert anonymous.get("data") in (None, {"customers": None}) and anonymous["errors"]
