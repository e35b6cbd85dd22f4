from __future__ import annotations

from neo4j import AsyncDriver

from tests.bolt_counter import counting_statements
from tests.resolvers.helpers import run

CUSTOMER_360 = """
query ($id: ID!) {
  customer(id: $id) {
    id name tier segment lifetimeValue since
    owner { name department { name function } }
    orders(first: 3) {
      totalCount
      nodes { id status total lines { quantity product { sku name } } steps { step at employee { name } } }
    }
    interactions(first: 5) { nodes { at channel employee { name department { name kind } } } }
    tickets(first: 5) { nodes { id status handOffs { at employee { name } by { name } } } }
    identities { system key }
  }
}
"""

NESTED_LIST = """
query ($first: Int!) {
  customers(first: $first) {
    nodes {
      id
      orders(first: 5) { nodes { id lines { product { name } } } }
      interactions(first: 5) { nodes { channel employee { name department { name } } } }
    }
  }
}
"""


async def test_customer_360_resolves_across_the_graph(demo_graph: AsyncDriver) -> None:
    result = await run(demo_graph, CUSTOMER_360, id="C000001")

    assert result.errors is None
    customer = result.data["customer"]
    assert customer["id"] == "C000001"
    records, _, _ = await demo_graph.execute_query(
        "MATCH (c:Customer {id: 'C000001'}) RETURN c.name AS name, COUNT { (c)-[:PLACED]->() } AS orders"
    )
    assert customer["name"] == records[0]["name"]
    assert customer["orders"]["totalCount"] == records[0]["orders"]
    for order in customer["orders"]["nodes"]:
        assert order["lines"], "every demo order has at least one line"
        assert order["steps"][0]["step"] == "SALE"
    owner, _, _ = await demo_graph.execute_query(
        """
        MATCH (:Customer {id: 'C000001'})-[:OWNED_BY]->(e:Employee)-[:WORKS_IN]->(d:Department)
        RETURN e.name AS name, d.name AS department, d.function AS function
        """
    )
    assert customer["owner"] == {
        "name": owner[0]["name"], "department": {"name": owner[0]["department"], "function": owner[0]["function"]}
    }  # fmt: skip
    assert all(node["employee"]["department"]["name"] for node in customer["interactions"]["nodes"])
    for ticket in customer["tickets"]["nodes"]:
        assert all(hop["employee"]["name"] for hop in ticket["handOffs"])
    assert {identity["system"] for identity in customer["identities"]} >= {"CRM", "ERP"}


async def test_unknown_customer_is_null_with_a_not_found_error(demo_graph: AsyncDriver) -> None:
    result = await run(demo_graph, '{ customer(id: "C999999999") { id } }')

    assert result.data == {"customer": None}
    assert result.errors[0].extensions["code"] == "NOT_FOUND"


async def test_nested_query_costs_the_same_statements_for_5_and_100_customers(demo_graph: AsyncDriver) -> None:
    with counting_statements() as few:
        small = await run(demo_graph, NESTED_LIST, first=5)
    with counting_statements() as many:
        large = await run(demo_graph, NESTED_LIST, first=100)

    assert small.errors is None and large.errors is None
    assert len(large.data["customers"]["nodes"]) == 100
    # One list query, then one batched statement for the relationships of the first level,
    # reading ahead what the query asks for below them: orders with their lines and products,
    # interactions with their employees and departments (which would otherwise be 4 more levels).
    assert len(few) == len(many) == 2


async def test_list_paging_walks_forward_and_back_with_cursors(demo_graph: AsyncDriver) -> None:
    query = """
    query ($first: Int, $after: String, $last: Int, $before: String) {
      customers(first: $first, after: $after, last: $last, before: $before, orderBy: {field: ID}) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        nodes { id }
      }
    }
    """
    first = (await run(demo_graph, query, first=3)).data["customers"]
    second = (await run(demo_graph, query, first=3, after=first["pageInfo"]["endCursor"])).data["customers"]
    back = (await run(demo_graph, query, last=3, before=second["pageInfo"]["startCursor"])).data["customers"]
    tail = (await run(demo_graph, query, last=2)).data["customers"]

    assert [n["id"] for n in first["nodes"]] == ["C000001", "C000002", "C000003"]
    assert [n["id"] for n in second["nodes"]] == ["C000004", "C000005", "C000006"]
    assert back["nodes"] == first["nodes"]
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    assert second["pageInfo"]["hasPreviousPage"]
    total = first["totalCount"]
    assert [n["id"] for n in tail["nodes"]] == [f"C{total - 1:06d}", f"C{total:06d}"]
    assert not tail["pageInfo"]["hasNextPage"]


async def test_filters_and_sorting_match_the_graph(demo_graph: AsyncDriver) -> None:
    query = """
    { customers(filter: {tiers: [PLATINUM]}, orderBy: {field: LIFETIME_VALUE, direction: DESC}, first: 100) {
        totalCount nodes { tier lifetimeValue } } }
    """
    result = (await run(demo_graph, query)).data["customers"]

    records, _, _ = await demo_graph.execute_query("MATCH (c:Customer {tier: 'PLATINUM'}) RETURN count(c) AS n")
    assert result["totalCount"] == records[0]["n"] > 0
    values = [n["lifetimeValue"] for n in result["nodes"]]
    assert values == sorted(values, reverse=True)
    assert {n["tier"] for n in result["nodes"]} == {"PLATINUM"}


async def test_oversize_page_is_bad_user_input(demo_graph: AsyncDriver) -> None:
    result = await run(demo_graph, "{ customers(first: 101) { nodes { id } } }")

    assert result.data is None
    assert result.errors[0].extensions == {"code": "BAD_USER_INPUT", "argument": "first", "maximum": 100}


async def test_inverted_time_window_is_bad_user_input(demo_graph: AsyncDriver) -> None:
    query = '{ orders(filter: {placed: {from: "2026-01-02T00:00:00Z", to: "2026-01-01T00:00:00Z"}}) { totalCount } }'
    result = await run(demo_graph, query)

    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert "'from' must be before 'to'" in result.errors[0].message


async def test_a_forged_cursor_is_bad_user_input(demo_graph: AsyncDriver) -> None:
    result = await run(demo_graph, '{ customers(after: "not-a-cursor") { nodes { id } } }')

    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"


async def test_relationships_resolve_both_ways(demo_graph: AsyncDriver) -> None:
    query = """
    { department(id: "D001") { id employees(first: 5) { totalCount nodes { id department { id } manager { id } } } } }
    """
    result = await run(demo_graph, query)

    assert result.errors is None
    department = result.data["department"]
    records, _, _ = await demo_graph.execute_query(
        """
        MATCH (e:Employee)-[:WORKS_IN]->(:Department {id: 'D001'})
        OPTIONAL MATCH (e)-[:REPORTS_TO]->(m:Employee)
        RETURN e.id AS id, m.id AS manager
        """
    )
    managers = {record["id"]: record["manager"] for record in records}
    assert department["employees"]["totalCount"] == len(managers) > 0
    nodes = department["employees"]["nodes"]
    # Down from the department to its people, and back up from each to it and to their manager.
    assert {node["department"]["id"] for node in nodes} == {"D001"}
    assert {node["id"]: node["manager"] and node["manager"]["id"] for node in nodes} == {
        node["id"]: managers[node["id"]] for node in nodes
    }


async def test_every_root_list_pages_with_its_filters(demo_graph: AsyncDriver) -> None:
    query = """
    {
      orders(first: 3, filter: {statuses: [INVOICED]}) { totalCount nodes { status customer { id } } }
      employees(first: 3, filter: {functions: [FINANCE]}) { totalCount nodes { department { function } } }
      interactions(first: 3, filter: {channels: [PHONE]}) { totalCount nodes { id channel employee { id } } }
      tickets(first: 3, filter: {statuses: [OPEN, IN_PROGRESS, WAITING]}, orderBy: {field: PRIORITY}) {
        totalCount nodes { status priority }
      }
      products(first: 3) { totalCount nodes { id } }
      departments(first: 3, filter: {kind: BACK_OFFICE}) { totalCount nodes { kind } }
    }
    """
    result = await run(demo_graph, query)

    assert result.errors is None, result.errors
    data = result.data
    assert {n["status"] for n in data["orders"]["nodes"]} == {"INVOICED"}
    assert all(n["customer"]["id"] for n in data["orders"]["nodes"])
    assert {n["department"]["function"] for n in data["employees"]["nodes"]} == {"FINANCE"}
    assert {n["channel"] for n in data["interactions"]["nodes"]} == {"PHONE"}
    assert {n["status"] for n in data["tickets"]["nodes"]} <= {"OPEN", "IN_PROGRESS", "WAITING"}
    handled_by, _, _ = await demo_graph.execute_query(
        "UNWIND $ids AS id MATCH (:Interaction {id: id})-[:WITH]->(e:Employee) RETURN id, e.id AS employee",
        ids=[n["id"] for n in data["interactions"]["nodes"]],
    )
    assert {n["id"]: n["employee"]["id"] for n in data["interactions"]["nodes"]} == {
        record["id"]: record["employee"] for record in handled_by
    }
    # Sorted by priority, most urgent first (the default direction): the open tickets' top three.
    rank = {"LOW": 0, "NORMAL": 1, "HIGH": 2, "URGENT": 3}
    open_priorities, _, _ = await demo_graph.execute_query(
        "MATCH (t:Ticket) WHERE t.status IN ['OPEN', 'IN_PROGRESS', 'WAITING'] RETURN t.priority AS priority"
    )
    highest = sorted((rank[record["priority"]] for record in open_priorities), reverse=True)[:3]
    assert [rank[n["priority"]] for n in data["tickets"]["nodes"]] == highest
    assert {n["kind"] for n in data["departments"]["nodes"]} == {"BACK_OFFICE"}
    for name in ("orders", "employees", "interactions", "tickets", "products", "departments"):
        assert data[name]["totalCount"] >= len(data[name]["nodes"]) > 0, name


async def test_unfiltered_totals_from_the_counts_store_equal_the_lists_counted(demo_graph: AsyncDriver) -> None:
    query = "{ orders { totalCount } interactions { totalCount } tickets { totalCount } customers { totalCount } }"
    counted = {
        "orders": "MATCH (c:Customer)-[:PLACED]->(n:Order) RETURN count(n) AS n",
        "interactions": "MATCH (c:Customer)-[:HAD]->(n:Interaction)-[:WITH]->(e:Employee) RETURN count(n) AS n",
        "tickets": "MATCH (c:Customer)-[:RAISED]->(n:Ticket) RETURN count(n) AS n",
        "customers": "MATCH (n:Customer) RETURN count(n) AS n",
    }

    result = await run(demo_graph, query)

    assert result.errors is None
    for name, cypher in counted.items():
        records, _, _ = await demo_graph.execute_query(cypher)
        assert result.data[name]["totalCount"] == records[0]["n"] > 0, name
