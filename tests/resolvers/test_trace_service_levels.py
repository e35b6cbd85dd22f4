"""Service levels by customer value: the same wait breaches for one tier and not another."""

from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver

from graph.trace.service_levels import ServiceLevels
from tests.resolvers.helpers import run
from tests.trace_world import World, at, organisation, run_with

HOUR = 3600.0
NOW = at(100)

ALERTS = """
query (
  $asOf: DateTime, $tiers: [Tier!], $departmentId: ID, $states: [ServiceLevelState!], $first: Int, $after: String
) {
  serviceLevelAlerts(asOf: $asOf, tiers: $tiers, departmentId: $departmentId, states: $states, first: $first,
                     after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      ticket { id } tier state heldSince heldSeconds assignee { id } department { id }
      response { targetSeconds elapsedSeconds state dueAt usedShare }
      resolution { targetSeconds elapsedSeconds state dueAt usedShare }
    }
  }
}
"""


def tiered() -> World:
    """Open tickets of customers of every tier; ages in hours as of NOW (100h)."""
    return (
        organisation()
        .customer("C-PLAT", "PLATINUM").customer("C-GOLD", "GOLD")
        .customer("C-SILV", "SILVER").customer("C-BRNZ", "BRONZE")
        # Open 10h, answered after 30 min: breaches PLATINUM's 8h resolution, not BRONZE's 120h.
        .ticket("T-PLAT", "C-PLAT", at(90), hops=[("E-SVC", at(90.5))])
        .ticket("T-BRNZ", "C-BRNZ", at(90), hops=[("E-SVC", at(90.5))])
        # Open 20h of GOLD's 24h: at risk; handed to engineering at 95h.
        .ticket("T-GOLD", "C-GOLD", at(80), hops=[("E-SVC", at(80.5)), ("E-ENG", at(95))])
        # Nobody answered for 7h of SILVER's 8h response target: at risk.
        .ticket("T-SILV", "C-SILV", at(93))
        # Closed, or opened after NOW: never listed.
        .ticket("T-DONE", "C-PLAT", at(10), hops=[("E-SVC", at(11))], closed_at=at(30))
        .ticket("T-LATER", "C-PLAT", at(200))
    )  # fmt: skip


def _alerts(result: Any) -> list[tuple[str, str]]:
    assert result.errors is None, result.errors
    return [(node["ticket"]["id"], node["state"]) for node in result.data["serviceLevelAlerts"]["nodes"]]


async def test_the_same_wait_breaches_for_platinum_and_not_for_bronze(empty_graph: AsyncDriver) -> None:
    await tiered().load(empty_graph)

    result = await run(empty_graph, ALERTS, asOf=NOW.isoformat())

    assert _alerts(result) == [("T-PLAT", "BREACHED"), ("T-GOLD", "AT_RISK"), ("T-SILV", "AT_RISK")]
    platinum, gold, silver = result.data["serviceLevelAlerts"]["nodes"]
    assert platinum["response"] == {
        "targetSeconds": 1 * HOUR, "elapsedSeconds": 0.5 * HOUR, "state": "MET",
        "dueAt": at(91).isoformat(), "usedShare": 0.5,
    }  # fmt: skip
    assert platinum["resolution"] == {
        "targetSeconds": 8 * HOUR, "elapsedSeconds": 10 * HOUR, "state": "BREACHED",
        "dueAt": at(98).isoformat(), "usedShare": 1.25,
    }  # fmt: skip
    assert (platinum["assignee"], platinum["department"]) == ({"id": "E-SVC"}, {"id": "D-SERVICE"})
    assert (platinum["heldSince"], platinum["heldSeconds"]) == (at(90.5).isoformat(), 9.5 * HOUR)
    assert (gold["tier"], gold["resolution"]["state"], gold["response"]["state"]) == ("GOLD", "AT_RISK", "MET")
    assert (gold["assignee"], gold["department"], gold["heldSeconds"]) == ({"id": "E-ENG"}, {"id": "D-ENG"}, 5 * HOUR)
    assert silver["response"]["state"] == "AT_RISK" and silver["response"]["elapsedSeconds"] == 7 * HOUR
    assert (silver["assignee"], silver["department"], silver["heldSince"]) == (None, None, at(93).isoformat())
    assert result.data["serviceLevelAlerts"]["totalCount"] == 3


async def test_alerts_filter_by_tier_department_and_state(empty_graph: AsyncDriver) -> None:
    await tiered().load(empty_graph)
    as_of = NOW.isoformat()

    gold_only = await run(empty_graph, ALERTS, asOf=as_of, tiers=["GOLD", "BRONZE"])
    in_service = await run(empty_graph, ALERTS, asOf=as_of, departmentId="D-SERVICE")
    everything = await run(empty_graph, ALERTS, asOf=as_of, states=["BREACHED", "AT_RISK", "ON_TRACK"])

    assert _alerts(gold_only) == [("T-GOLD", "AT_RISK")]
    assert _alerts(in_service) == [("T-PLAT", "BREACHED")]
    assert _alerts(everything) == [
        ("T-PLAT", "BREACHED"), ("T-GOLD", "AT_RISK"), ("T-SILV", "AT_RISK"), ("T-BRNZ", "ON_TRACK")
    ]  # fmt: skip


async def test_alerts_page_with_cursors(empty_graph: AsyncDriver) -> None:
    await tiered().load(empty_graph)

    first = (await run(empty_graph, ALERTS, asOf=NOW.isoformat(), first=2)).data["serviceLevelAlerts"]
    after = first["pageInfo"]["endCursor"]
    rest = (await run(empty_graph, ALERTS, asOf=NOW.isoformat(), first=2, after=after)).data["serviceLevelAlerts"]

    assert [node["ticket"]["id"] for node in first["nodes"]] == ["T-PLAT", "T-GOLD"]
    assert first["pageInfo"]["hasNextPage"] and not rest["pageInfo"]["hasNextPage"]
    assert [node["ticket"]["id"] for node in rest["nodes"]] == ["T-SILV"]
    assert first["totalCount"] == rest["totalCount"] == 3


async def test_as_of_moves_the_clocks(empty_graph: AsyncDriver) -> None:
    await tiered().load(empty_graph)

    # At 97h PLATINUM had used 7h of 8h (at risk), GOLD 17h of 24h and SILVER 4h of 8h (on track);
    # at 102h SILVER's response is 1h late and GOLD has used 22h of 24h.
    earlier = await run(empty_graph, ALERTS, asOf=at(97).isoformat())
    later = await run(empty_graph, ALERTS, asOf=at(102).isoformat())
    from_clock = await run_with(empty_graph, ALERTS, clock=lambda: at(97))

    assert _alerts(earlier) == [("T-PLAT", "AT_RISK")]
    assert _alerts(later) == [("T-PLAT", "BREACHED"), ("T-SILV", "BREACHED"), ("T-GOLD", "AT_RISK")]
    assert _alerts(from_clock) == _alerts(earlier)


async def test_targets_come_from_the_service_levels_passed_down(empty_graph: AsyncDriver) -> None:
    await tiered().load(empty_graph)
    strict = ServiceLevels.from_hours(respond={"BRONZE": 4}, resolve={"BRONZE": 8})

    result = await run_with(empty_graph, ALERTS, service_levels=strict, asOf=NOW.isoformat(), tiers=["BRONZE"])

    assert _alerts(result) == [("T-BRNZ", "BREACHED")]
    assert result.data["serviceLevelAlerts"]["nodes"][0]["resolution"]["targetSeconds"] == 8 * HOUR


async def test_no_open_tickets_means_no_alerts(empty_graph: AsyncDriver) -> None:
    await organisation().load(empty_graph)

    result = await run(empty_graph, ALERTS, asOf=NOW.isoformat())

    assert result.data["serviceLevelAlerts"]["totalCount"] == 0
    assert result.data["serviceLevelAlerts"]["nodes"] == []
