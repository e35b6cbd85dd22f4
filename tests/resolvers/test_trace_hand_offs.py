"""Hand-off chains of tickets, and the flows of work between departments they add up to."""

from __future__ import annotations

from neo4j import AsyncDriver

from tests.bolt_counter import counting_statements
from tests.resolvers.helpers import run
from tests.trace_world import World, at, organisation, run_with

HOUR = 3600.0

CHAIN = """
query ($id: ID!, $asOf: DateTime) {
  handOffChain(ticketId: $id, asOf: $asOf) {
    closed totalWaitSeconds
    hops {
      position at until waitSeconds reason current
      employee { id } department { id } by { id } fromDepartment { id }
    }
  }
}
"""

FLOWS = """
query ($id: ID!, $asOf: DateTime, $window: TimeWindow) {
  departmentFlows(departmentId: $id, asOf: $asOf, window: $window) {
    internalCustomers { department { id } handOffs tickets medianWaitSeconds p90WaitSeconds }
    handsWorkTo { department { id } handOffs tickets medianWaitSeconds p90WaitSeconds }
  }
}
"""


def bouncing() -> World:
    """T2 bounced service -> engineering -> service -> engineering; T3 sits with its first holder."""
    return (
        organisation()
        .customer("C1")
        .ticket("T2", "C1", at(0),
                hops=[("E-SVC", at(1)), ("E-ENG", at(3)), ("E-SVC", at(8)), ("E-ENG", at(9.5))], closed_at=at(12))
        .ticket("T3", "C1", at(0), hops=[("E-SVC", at(1))])
        .ticket("T4", "C1", at(0), hops=[("E-SVC2", at(0)), ("E-ENG", at(1))], closed_at=at(2))
        .ticket("T5", "C1", at(0))
    )  # fmt: skip


async def test_a_bounced_ticket_shows_each_hop_and_its_wait(empty_graph: AsyncDriver) -> None:
    await bouncing().load(empty_graph)

    result = await run(empty_graph, CHAIN, id="T2", asOf=at(100).isoformat())

    assert result.errors is None
    chain = result.data["handOffChain"]
    assert chain["closed"] is True
    hops = chain["hops"]
    assert [(hop["employee"]["id"], hop["department"]["id"]) for hop in hops] == [
        ("E-SVC", "D-SERVICE"), ("E-ENG", "D-ENG"), ("E-SVC", "D-SERVICE"), ("E-ENG", "D-ENG")
    ]  # fmt: skip
    assert [hop["by"] and hop["by"]["id"] for hop in hops] == [None, "E-SVC", "E-ENG", "E-SVC"]
    assert [hop["fromDepartment"] and hop["fromDepartment"]["id"] for hop in hops] == [
        None, "D-SERVICE", "D-ENG", "D-SERVICE"
    ]  # fmt: skip
    assert [hop["waitSeconds"] for hop in hops] == [2 * HOUR, 5 * HOUR, 1.5 * HOUR, 2.5 * HOUR]
    assert [hop["until"] for hop in hops] == [at(h).isoformat() for h in (3, 8, 9.5, 12)]
    assert [hop["position"] for hop in hops] == [1, 2, 3, 4]
    assert [hop["current"] for hop in hops] == [False] * 4
    assert chain["totalWaitSeconds"] == 11 * HOUR


async def test_an_open_ticket_waits_with_its_holder_until_as_of(empty_graph: AsyncDriver) -> None:
    await bouncing().load(empty_graph)

    open_one = (await run(empty_graph, CHAIN, id="T3", asOf=at(5).isoformat())).data["handOffChain"]
    earlier = (await run(empty_graph, CHAIN, id="T2", asOf=at(4).isoformat())).data["handOffChain"]
    unassigned = (await run(empty_graph, CHAIN, id="T5", asOf=at(5).isoformat())).data["handOffChain"]

    assert open_one["closed"] is False
    assert [(hop["employee"]["id"], hop["waitSeconds"], hop["current"]) for hop in open_one["hops"]] == [
        ("E-SVC", 4 * HOUR, True)
    ]
    # As of 4h, T2 had had two hops and was still open: the second waits until asOf.
    assert earlier["closed"] is False
    assert [(hop["waitSeconds"], hop["current"]) for hop in earlier["hops"]] == [(2 * HOUR, False), (1 * HOUR, True)]
    assert unassigned == {"closed": False, "totalWaitSeconds": 0.0, "hops": []}


async def test_hand_off_chain_defaults_to_the_context_clock(empty_graph: AsyncDriver) -> None:
    await bouncing().load(empty_graph)

    result = await run_with(empty_graph, CHAIN, clock=lambda: at(9), id="T3")

    assert result.data["handOffChain"]["hops"][0]["waitSeconds"] == 8 * HOUR


async def test_department_flows_count_hand_offs_and_percentile_waits(empty_graph: AsyncDriver) -> None:
    await bouncing().load(empty_graph)

    engineering = (await run(empty_graph, FLOWS, id="D-ENG", asOf=at(100).isoformat())).data["departmentFlows"]
    service = (await run(empty_graph, FLOWS, id="D-SERVICE", asOf=at(100).isoformat())).data["departmentFlows"]

    # Into engineering from service: T2 at 3h (waited 5h), T2 at 9.5h (2.5h), T4 at 1h (1h).
    assert engineering["internalCustomers"] == [
        {"department": {"id": "D-SERVICE"}, "handOffs": 3, "tickets": 2,
         "medianWaitSeconds": 2.5 * HOUR, "p90WaitSeconds": 4.5 * HOUR}
    ]  # fmt: skip
    assert engineering["handsWorkTo"] == [
        {"department": {"id": "D-SERVICE"}, "handOffs": 1, "tickets": 1,
         "medianWaitSeconds": 1.5 * HOUR, "p90WaitSeconds": 1.5 * HOUR}
    ]  # fmt: skip
    assert service["internalCustomers"] == [
        {"department": {"id": "D-ENG"}, "handOffs": 1, "tickets": 1,
         "medianWaitSeconds": 1.5 * HOUR, "p90WaitSeconds": 1.5 * HOUR}
    ]  # fmt: skip
    assert service["handsWorkTo"] == [
        {"department": {"id": "D-ENG"}, "handOffs": 3, "tickets": 2,
         "medianWaitSeconds": 2.5 * HOUR, "p90WaitSeconds": 4.5 * HOUR}
    ]  # fmt: skip


async def test_department_flows_keep_hand_offs_in_the_window(empty_graph: AsyncDriver) -> None:
    await bouncing().load(empty_graph)
    window = {"from": at(2).isoformat(), "to": at(9).isoformat()}

    flows = (await run(empty_graph, FLOWS, id="D-ENG", asOf=at(100).isoformat(), window=window)).data

    assert [(f["handOffs"], f["medianWaitSeconds"]) for f in flows["departmentFlows"]["internalCustomers"]] == [
        (1, 5 * HOUR)
    ]


async def test_unknown_ticket_or_department_is_not_found(empty_graph: AsyncDriver) -> None:
    chain = await run(empty_graph, CHAIN, id="T-NOPE")
    flows = await run(empty_graph, FLOWS, id="D-NOPE")

    assert chain.errors[0].extensions == {"code": "NOT_FOUND", "id": "T-NOPE"}
    assert flows.errors[0].extensions == {"code": "NOT_FOUND", "id": "D-NOPE"}


async def test_inverted_flow_window_is_bad_user_input(empty_graph: AsyncDriver) -> None:
    window = {"from": at(9).isoformat(), "to": at(2).isoformat()}

    result = await run(empty_graph, FLOWS, id="D-ENG", window=window)

    assert result.errors[0].extensions == {"code": "BAD_USER_INPUT", "argument": "window"}


async def test_chains_and_flows_of_listed_entities_are_batched(empty_graph: AsyncDriver) -> None:
    await bouncing().load(empty_graph)
    query = """
    query ($asOf: DateTime!) {
      customer(id: "C1") {
        tickets(first: 10) { nodes { id handOffChain(asOf: $asOf) { hops { waitSeconds department { id } } } } }
      }
      departments(first: 10) {
        nodes { id internalCustomers(asOf: $asOf) { handOffs } handsWorkTo(asOf: $asOf) { handOffs } }
      }
    }
    """
    with counting_statements() as statements:
        result = await run(empty_graph, query, asOf=at(100).isoformat())

    assert result.errors is None
    chains = {node["id"]: node["handOffChain"] for node in result.data["customer"]["tickets"]["nodes"]}
    assert [hop["waitSeconds"] for hop in chains["T4"]["hops"]] == [HOUR, HOUR]
    departments = {node["id"]: node for node in result.data["departments"]["nodes"]}
    assert departments["D-ENG"]["internalCustomers"] == [{"handOffs": 3}]
    assert departments["D-FIN"]["handsWorkTo"] == []
    # The customer with its tickets (read ahead), the chains, their departments; the departments
    # and one statement for both flow fields.
    assert len(statements) == 5
