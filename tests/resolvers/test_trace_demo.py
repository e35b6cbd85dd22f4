"""Sanity of the traces on the small demo company, checked against Cypher written here."""

from __future__ import annotations

from neo4j import AsyncDriver

from demo_company.company import DEMO_NOW
from tests.resolvers.helpers import run

AS_OF = DEMO_NOW.isoformat()


async def _one(driver: AsyncDriver, query: str, **parameters: object) -> dict[str, object]:
    records, _, _ = await driver.execute_query(query, parameters, database_="neo4j")
    return dict(records[0])


async def test_demo_journey_holds_every_event_of_the_customer_in_time_order(demo_graph: AsyncDriver) -> None:
    expected = await _one(
        demo_graph,
        """
        MATCH (c:Customer {id: $id})
        RETURN COUNT { (c)-[:PLACED]->() } + COUNT { (c)-[:PLACED]->()-[:HANDLED_BY]->() }
             + COUNT { (c)-[:HAD]->() } + COUNT { (c)-[:RAISED]->() } + COUNT { (c)-[:RAISED]->()-[:ASSIGNED_TO]->() }
             + COUNT { (c)-[:RAISED]->(t) WHERE t.closed_at IS NOT NULL } AS events
        """,
        id="C000001",
    )
    query = """
    query ($after: String) {
      customer(id: "C000001") { journey(first: 100, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } nodes { at kind office department { kind } } } }
    }
    """
    events, after = [], None
    while True:
        result = await run(demo_graph, query, after=after)
        assert result.errors is None
        journey = result.data["customer"]["journey"]
        events += journey["nodes"]
        if not journey["pageInfo"]["hasNextPage"]:
            break
        after = journey["pageInfo"]["endCursor"]

    assert journey["totalCount"] == len(events) == expected["events"] > 0
    assert [event["at"] for event in events] == sorted(event["at"] for event in events)
    assert all(event["at"] < AS_OF for event in events)
    for event in events:
        assert event["office"] == (event["department"] and event["department"]["kind"])


async def test_demo_service_level_alerts_are_open_tickets_worst_first(demo_graph: AsyncDriver) -> None:
    query = """
    query ($asOf: DateTime!) {
      serviceLevelAlerts(asOf: $asOf, first: 100) {
        totalCount
        nodes { state tier ticket { status closedAt } resolution { state usedShare } response { state } heldSeconds }
      }
    }
    """
    result = await run(demo_graph, query, asOf=AS_OF)

    assert result.errors is None
    alerts = result.data["serviceLevelAlerts"]
    open_tickets = await _one(
        demo_graph, "MATCH (t:Ticket) WHERE t.closed_at IS NULL RETURN count(t) AS n, collect(DISTINCT t.status) AS s"
    )
    assert 0 < alerts["totalCount"] <= open_tickets["n"]
    assert set(open_tickets["s"]) <= {"OPEN", "IN_PROGRESS", "WAITING"}
    states = [alert["state"] for alert in alerts["nodes"]]
    assert states == sorted(states, key=["BREACHED", "AT_RISK"].index)
    for alert in alerts["nodes"]:
        assert alert["ticket"]["closedAt"] is None
        assert alert["ticket"]["status"] in {"OPEN", "IN_PROGRESS", "WAITING"}
        assert alert["state"] in {alert["resolution"]["state"], alert["response"]["state"]}
        assert (alert["resolution"]["state"] == "BREACHED") == (alert["resolution"]["usedShare"] > 1)
        assert alert["heldSeconds"] >= 0
    assert "PLATINUM" in {alert["tier"] for alert in alerts["nodes"]}


async def test_demo_customer_is_one_hop_from_its_account_owner(demo_graph: AsyncDriver) -> None:
    owned = await _one(
        demo_graph, "MATCH (c:Customer)-[:OWNED_BY]->(e) RETURN c.id AS c, e.id AS e ORDER BY c.id LIMIT 1"
    )
    query = """
    query ($from: EntityRef!, $to: EntityRef!) {
      shortestPath(from: $from, to: $to) { length nodes { ... on Customer { id } ... on Employee { id } }
        relationships { type direction } }
    }
    """
    result = await run(
        demo_graph,
        query,
        **{"from": {"kind": "CUSTOMER", "id": owned["c"]}, "to": {"kind": "EMPLOYEE", "id": owned["e"]}},
    )

    assert result.data["shortestPath"] == {
        "length": 1,
        "nodes": [{"id": owned["c"]}, {"id": owned["e"]}],
        "relationships": [{"type": "OWNED_BY", "direction": "FORWARD"}],
    }


async def test_demo_department_flows_match_the_hand_offs_into_it(demo_graph: AsyncDriver) -> None:
    department = await _one(
        demo_graph, "MATCH (d:Department {function: 'ENGINEERING'}) RETURN d.id AS id ORDER BY id LIMIT 1"
    )
    expected = await _one(
        demo_graph,
        """
        MATCH (d:Department {id: $id})<-[:WORKS_IN]-(:Employee)<-[a:ASSIGNED_TO]-(:Ticket)
        MATCH (:Employee {id: a.by})-[:WORKS_IN]->(other:Department) WHERE other <> d
        RETURN count(a) AS n
        """,
        id=department["id"],
    )
    query = """
    query ($id: ID!, $asOf: DateTime!) {
      department(id: $id) { internalCustomers(asOf: $asOf) { handOffs medianWaitSeconds p90WaitSeconds } }
    }
    """
    result = await run(demo_graph, query, id=department["id"], asOf=AS_OF)

    flows = result.data["department"]["internalCustomers"]
    assert sum(flow["handOffs"] for flow in flows) == expected["n"] > 0
    assert all(0 <= flow["medianWaitSeconds"] <= flow["p90WaitSeconds"] for flow in flows)
    assert [flow["handOffs"] for flow in flows] == sorted((flow["handOffs"] for flow in flows), reverse=True)


async def test_demo_revenue_by_tier_adds_up_to_the_order_lines(demo_graph: AsyncDriver) -> None:
    window = {"from": "2026-01-01T00:00:00Z", "to": "2026-07-01T00:00:00Z"}
    expected = await _one(
        demo_graph,
        """
        MATCH (o:Order)-[l:CONTAINS]->() WHERE o.placed_at >= datetime($from) AND o.placed_at < datetime($to)
          AND o.status <> 'CANCELLED'
        RETURN sum(l.quantity * l.price) AS revenue, count(DISTINCT o) AS orders
        """,
        **window,
    )
    query = "query ($window: TimeWindow!) { demand(window: $window, by: TIER) { period revenue orders } }"
    result = await run(demo_graph, query, window=window)

    buckets = result.data["demand"]
    assert {bucket["period"] for bucket in buckets} == {f"2026-0{month}-01" for month in range(1, 7)}
    assert sum(bucket["orders"] for bucket in buckets) == expected["orders"]
    assert abs(sum(bucket["revenue"] for bucket in buckets) - expected["revenue"]) < 0.01 * len(buckets)


async def test_demo_who_knows_best_is_ranked_by_score(demo_graph: AsyncDriver) -> None:
    query = """
    query ($asOf: DateTime!) {
      whoKnowsBest(customerId: "C000001", first: 10, asOf: $asOf) { rank score accountOwner employee { id } }
    }
    """
    result = await run(demo_graph, query, asOf=AS_OF)
    owner = await _one(demo_graph, "MATCH (:Customer {id: 'C000001'})-[:OWNED_BY]->(e) RETURN e.id AS id")

    experts = result.data["whoKnowsBest"]
    assert [expert["rank"] for expert in experts] == list(range(1, len(experts) + 1))
    scores = [expert["score"] for expert in experts]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    # The owner's bonus (5) puts them in the list, flagged; nobody else is.
    assert [expert["employee"]["id"] for expert in experts if expert["accountOwner"]] == [owner["id"]]
