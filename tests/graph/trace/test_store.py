"""The trace store on Neo4j: batched answers in key order, fixed query text, service levels."""

from __future__ import annotations

import pytest
from neo4j import AsyncDriver

from graph.model import Tier
from graph.store import Neo4jGraphStore
from graph.trace import path_queries
from graph.trace.model import JourneyEventKind, JourneyFilter
from graph.trace.service_levels import DEFAULT_SERVICE_LEVELS, ServiceLevels
from graph.trace.store import Neo4jTraceStore
from tests.trace_world import at, journey_world

HOUR = 3600.0


def traces(driver: AsyncDriver) -> Neo4jTraceStore:
    return Neo4jTraceStore(Neo4jGraphStore(driver, "neo4j"))


async def test_batched_traces_answer_in_key_order_with_none_for_unknown_ids(empty_graph: AsyncDriver) -> None:
    await journey_world().load(empty_graph)
    store = traces(empty_graph)
    ids = ["C-NOPE", "C1", "C-EMPTY", "C1"]

    journeys = await store.journeys(ids, JourneyFilter(), skip=0, limit=2)
    contacts = await store.contacts(ids)
    experts = await store.familiarity(ids, at(100), limit=1)

    assert journeys[0] is None and contacts[0] is None and experts[0] is None
    assert journeys[1] == journeys[3]
    assert journeys[1] is not None and journeys[1].total == 13
    assert [event.kind for event in journeys[1].events] == [JourneyEventKind.ORDER_PLACED, JourneyEventKind.INTERACTION]
    assert journeys[2] is not None and (journeys[2].total, journeys[2].events) == (0, [])
    assert contacts[2] is not None and contacts[2].employees == []
    assert experts[1] is not None and [expert.employee_id for expert in experts[1]] == ["E-SALES"]
    assert experts[2] == []


async def test_a_ticket_with_one_hop_waits_until_it_closed(empty_graph: AsyncDriver) -> None:
    world = journey_world().ticket("T-ONE", "C1", at(0), hops=[("E-FIN", at(1))], closed_at=at(4))
    await world.load(empty_graph)

    chain, missing = await traces(empty_graph).hand_off_chains(["T-ONE", "T-NOPE"], at(100))

    assert missing is None
    assert chain is not None and chain.closed
    assert [(hop.employee_id, hop.department_id, hop.wait_seconds, hop.until, hop.current) for hop in chain.hops] == [
        ("E-FIN", "D-FIN", 3 * HOUR, at(4), False)
    ]


async def test_journey_filter_by_kind_and_window_runs_in_cypher(empty_graph: AsyncDriver) -> None:
    await journey_world().load(empty_graph)
    where = JourneyFilter(at_from=at(0), at_to=at(60), kinds=(JourneyEventKind.INTERACTION,))

    (page,) = await traces(empty_graph).journeys(["C1"], where, skip=1, limit=10)

    assert page is not None and page.total == 3
    assert [(event.interaction_id, event.employee_id) for event in page.events] == [("I1", "E-SVC"), ("I2", "E-ENG")]


def test_path_query_takes_its_bound_and_labels_from_fixed_tables() -> None:
    query = path_queries.shortest_paths_query("CUSTOMER", "DEPARTMENT", 6, all_shortest=False)

    assert "(a:Customer {id: $from_id})" in query and "(b:Department {id: $to_id})" in query
    assert "SHORTEST 1 (a)-[:" in query and "]-{0,6}(b)" in query
    assert "ALL SHORTEST" in path_queries.shortest_paths_query("ORDER", "TICKET", 10, all_shortest=True)
    for hops in (0, 11):
        with pytest.raises(ValueError, match="max_hops"):
            path_queries.shortest_paths_query("CUSTOMER", "DEPARTMENT", hops, all_shortest=False)
    with pytest.raises(KeyError):
        path_queries.shortest_paths_query("Customer) DETACH DELETE (x", "DEPARTMENT", 3, all_shortest=False)


def test_service_levels_default_by_tier_and_validate_overrides() -> None:
    platinum, bronze = DEFAULT_SERVICE_LEVELS.targets[Tier.PLATINUM], DEFAULT_SERVICE_LEVELS.targets[Tier.BRONZE]
    assert (platinum.respond_seconds, platinum.resolve_seconds) == (1 * HOUR, 8 * HOUR)
    assert (bronze.respond_seconds, bronze.resolve_seconds) == (24 * HOUR, 120 * HOUR)

    custom = ServiceLevels.from_hours(respond={"GOLD": 2}, at_risk_share=0.5)
    assert custom.targets[Tier.GOLD].respond_seconds == 2 * HOUR
    assert custom.targets[Tier.SILVER] == DEFAULT_SERVICE_LEVELS.targets[Tier.SILVER]
    assert custom.as_parameters()["at_risk_share"] == 0.5

    with pytest.raises(ValueError):
        ServiceLevels.from_hours(respond={"WOOD": 1})
    with pytest.raises(ValueError, match="respond no later than resolve"):
        ServiceLevels.from_hours(respond={"PLATINUM": 9})
    with pytest.raises(ValueError, match="at-risk share"):
        ServiceLevels.from_hours(at_risk_share=1.5)
