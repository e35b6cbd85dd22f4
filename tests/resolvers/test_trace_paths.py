"""Shortest paths between entities: typed nodes, relationships as stored, hop bounds."""

from __future__ import annotations

from neo4j import AsyncDriver

from tests.bolt_counter import counting_statements
from tests.resolvers.helpers import run
from tests.trace_world import World, at

PATH = """
query ($from: EntityRef!, $to: EntityRef!, $maxHops: Int! = 6) {
  shortestPath(from: $from, to: $to, maxHops: $maxHops) {
    length
    nodes {
      __typename
      ... on Employee { id name }
      ... on Customer { id }
      ... on Interaction { id channel }
      ... on Department { id }
    }
    relationships { type direction startId startKind endId endKind at }
  }
}
"""

ALL_PATHS = """
query ($from: EntityRef!, $to: EntityRef!, $first: Int! = 10) {
  allShortestPaths(from: $from, to: $to, first: $first) {
    length
    nodes { __typename ... on Interaction { id } ... on Employee { id } ... on Customer { id } }
  }
}
"""


def managed_pair() -> World:
    """Two people in different departments whose only link is their shared manager."""
    return (
        World()
        .department("D-X", "ENGINEERING").department("D-Y", "FINANCE").department("D-Z", "HR")
        .employee("E-M", "D-Z").employee("E-A", "D-X", manager_id="E-M").employee("E-B", "D-Y", manager_id="E-M")
        .customer("C1")
        .interaction("I1", "C1", "E-A", at(1), "PHONE")
        .interaction("I2", "C1", "E-A", at(2), "CHAT")
    )  # fmt: skip


def ref(kind: str, id: str) -> dict[str, str]:
    return {"kind": kind, "id": id}


async def test_path_between_colleagues_goes_through_their_manager(empty_graph: AsyncDriver) -> None:
    await managed_pair().load(empty_graph)

    result = await run(empty_graph, PATH, **{"from": ref("EMPLOYEE", "E-A"), "to": ref("EMPLOYEE", "E-B")})

    assert result.errors is None
    path = result.data["shortestPath"]
    assert path["length"] == 2
    assert [(node["__typename"], node["id"]) for node in path["nodes"]] == [
        ("Employee", "E-A"),
        ("Employee", "E-M"),
        ("Employee", "E-B"),
    ]
    assert path["nodes"][1]["name"] == "Person E-M"
    assert path["relationships"] == [
        {"type": "REPORTS_TO", "direction": "FORWARD", "startId": "E-A", "startKind": "EMPLOYEE",
         "endId": "E-M", "endKind": "EMPLOYEE", "at": None},
        {"type": "REPORTS_TO", "direction": "BACKWARD", "startId": "E-B", "startKind": "EMPLOYEE",
         "endId": "E-M", "endKind": "EMPLOYEE", "at": None},
    ]  # fmt: skip


async def test_customer_reaches_a_department_through_an_interaction_and_a_person(empty_graph: AsyncDriver) -> None:
    await managed_pair().load(empty_graph)

    result = await run(empty_graph, PATH, **{"from": ref("CUSTOMER", "C1"), "to": ref("DEPARTMENT", "D-Y")})

    path = result.data["shortestPath"]
    kinds = [node["__typename"] for node in path["nodes"]]
    assert path["length"] == 5
    assert kinds == ["Customer", "Interaction", "Employee", "Employee", "Employee", "Department"]
    assert [node["id"] for node in path["nodes"][2:]] == ["E-A", "E-M", "E-B", "D-Y"]
    assert [rel["type"] for rel in path["relationships"]] == ["HAD", "WITH", "REPORTS_TO", "REPORTS_TO", "WORKS_IN"]
    assert [rel["direction"] for rel in path["relationships"]] == [
        "FORWARD", "FORWARD", "FORWARD", "BACKWARD", "FORWARD"
    ]  # fmt: skip


async def test_all_shortest_paths_returns_each_route_up_to_the_bound(empty_graph: AsyncDriver) -> None:
    await managed_pair().load(empty_graph)
    ends = {"from": ref("CUSTOMER", "C1"), "to": ref("EMPLOYEE", "E-A")}

    both = (await run(empty_graph, ALL_PATHS, **ends)).data["allShortestPaths"]
    one = (await run(empty_graph, ALL_PATHS, first=1, **ends)).data["allShortestPaths"]

    assert sorted(path["nodes"][1]["id"] for path in both) == ["I1", "I2"]
    assert {path["length"] for path in both} == {2}
    assert len(one) == 1


async def test_path_from_a_node_to_itself_is_that_node(empty_graph: AsyncDriver) -> None:
    await managed_pair().load(empty_graph)

    result = await run(empty_graph, PATH, **{"from": ref("EMPLOYEE", "E-M"), "to": ref("EMPLOYEE", "E-M")})

    assert result.data["shortestPath"] == {
        "length": 0,
        "nodes": [{"__typename": "Employee", "id": "E-M", "name": "Person E-M"}],
        "relationships": [],
    }


async def test_no_path_within_the_hop_bound_is_null(empty_graph: AsyncDriver) -> None:
    await managed_pair().load(empty_graph)
    ends = {"from": ref("EMPLOYEE", "E-A"), "to": ref("EMPLOYEE", "E-B")}

    short = await run(empty_graph, PATH, maxHops=1, **ends)
    apart = await run(empty_graph, PATH, **{"from": ref("DEPARTMENT", "D-X"), "to": ref("CUSTOMER", "C1")}, maxHops=3)

    assert short.errors is None and short.data == {"shortestPath": None}
    assert apart.data["shortestPath"]["length"] == 3


async def test_unknown_endpoint_is_not_found(empty_graph: AsyncDriver) -> None:
    await managed_pair().load(empty_graph)

    missing_to = await run(empty_graph, PATH, **{"from": ref("EMPLOYEE", "E-A"), "to": ref("TICKET", "T-NOPE")})
    wrong_kind = await run(empty_graph, PATH, **{"from": ref("CUSTOMER", "E-A"), "to": ref("EMPLOYEE", "E-B")})

    assert missing_to.data == {"shortestPath": None}
    assert missing_to.errors[0].extensions == {"code": "NOT_FOUND", "id": "T-NOPE", "argument": "to"}
    assert wrong_kind.errors[0].extensions == {"code": "NOT_FOUND", "id": "E-A", "argument": "from"}


async def test_hops_beyond_the_cap_are_bad_user_input(empty_graph: AsyncDriver) -> None:
    ends = {"from": ref("EMPLOYEE", "E-A"), "to": ref("EMPLOYEE", "E-B")}

    too_many = await run(empty_graph, PATH, maxHops=11, **ends)
    none = await run(empty_graph, PATH, maxHops=0, **ends)
    too_many_paths = await run(empty_graph, ALL_PATHS, first=51, **ends)

    assert too_many.errors[0].extensions == {"code": "BAD_USER_INPUT", "argument": "maxHops", "maximum": 10}
    assert none.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert too_many_paths.errors[0].extensions == {"code": "BAD_USER_INPUT", "argument": "first"}


async def test_entities_along_a_path_come_with_it_as_their_lookups_give_them(empty_graph: AsyncDriver) -> None:
    world = (
        World()
        .department("D-X", "WAREHOUSE").department("D-Y", "FINANCE")
        .employee("E-W", "D-X").employee("E-B", "D-Y")
        .product("P1", 12.5).customer("C1")
        .order("O1", "C1", at(1), lines=[("P1", 2, 12.5)], steps=[("PICK", "E-W", at(2))])
        .ticket("T1", "C1", at(3), hops=[("E-B", at(4))])
    )  # fmt: skip
    await world.load(empty_graph)
    fields = {
        "Product": "id name price",
        "Order": "id status total placedAt customer { id }",
        "Customer": "id name since",
        "Ticket": "id ticketStatus: status openedAt closedAt",
        "Employee": "id name department { id }",
        "Department": "id name kind",
    }
    fragments = " ".join(f"... on {kind} {{ {selection} }}" for kind, selection in fields.items())
    path_query = "query ($from: EntityRef!, $to: EntityRef!) { shortestPath(from: $from, to: $to) { nodes { "
    path_query += f"__typename {fragments} }} }} }}"
    lookups = f"""{{
      product(id: "P1") {{ {fields["Product"]} }} order(id: "O1") {{ {fields["Order"]} }}
      customer(id: "C1") {{ {fields["Customer"]} }} ticket(id: "T1") {{ {fields["Ticket"]} }}
      employee(id: "E-B") {{ {fields["Employee"]} }} department(id: "D-Y") {{ {fields["Department"]} }}
    }}"""

    with counting_statements() as statements:
        result = await run(empty_graph, path_query, **{"from": ref("PRODUCT", "P1"), "to": ref("DEPARTMENT", "D-Y")})
    looked_up = await run(empty_graph, lookups)

    assert result.errors is None and looked_up.errors is None
    nodes = result.data["shortestPath"]["nodes"]
    assert [node.pop("__typename") for node in nodes] == list(fields)
    assert nodes == list(looked_up.data.values())
    # The path, with its entities and what they lead to on the path: one statement.
    assert len(statements) == 1
