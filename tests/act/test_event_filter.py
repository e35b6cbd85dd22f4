"""A resumed stream reads from the log only what its subscriber wants, and exactly that.

``EventFilter`` answers for the live feed in Python and, for a replay, hands the same
conditions to Neo4j (``graph.events.AFTER_MATCHING``). The two must agree on every event:
here they are compared over a log of every combination of kind, customer, employee,
department and tier, for filters of each subscription, and the hub's replay through more than
one page of the log is checked to give each wanted event once, in order.
"""

from __future__ import annotations

import itertools
from typing import LiteralString

from neo4j import AsyncDriver

from graph.event_model import EventFilter, GraphEvent
from graph.events import Neo4jEventLog
from server.events import BATCH, EventHub
from tests.conftest import DATABASE

KINDS = ("INTERACTION", "TICKET_OPENED", "TICKET_HANDED_OFF", "TICKET_CLOSED", "SERVICE_LEVEL")
CUSTOMERS = ("C1", "C2", None)
EMPLOYEES = ("E1", "E2", None)
DEPARTMENTS = ("D1", "D2", None)
TIERS = ("GOLD", "BRONZE", None)

WRITE: LiteralString = """
UNWIND $events AS e
CREATE (:GraphEvent {seq: e.seq, kind: e.kind, at: datetime(), customer_id: e.customer_id,
                     employee_id: e.employee_id, department_id: e.department_id, tier: e.tier})
"""

FILTERS = [
    EventFilter(frozenset({"INTERACTION", "TICKET_OPENED", "TICKET_HANDED_OFF", "TICKET_CLOSED"}), customer_id="C1"),
    EventFilter(frozenset({"TICKET_HANDED_OFF"}), employee_id="E2"),
    EventFilter(frozenset({"TICKET_HANDED_OFF"}), department_id="D1"),
    EventFilter(frozenset({"SERVICE_LEVEL"})),
    EventFilter(frozenset({"SERVICE_LEVEL"}), tiers=frozenset({"GOLD"})),
    EventFilter(frozenset({"SERVICE_LEVEL"}), department_id="D2", tiers=frozenset({"GOLD", "BRONZE"})),
    EventFilter(frozenset({"INTERACTION"}), customer_id="nobody"),
]


async def write_every_combination(driver: AsyncDriver, rounds: int) -> list[GraphEvent]:
    combinations = list(itertools.product(KINDS, CUSTOMERS, EMPLOYEES, DEPARTMENTS, TIERS))
    rows = [
        {"seq": seq, "kind": kind, "customer_id": customer, "employee_id": employee, "department_id": department,
         "tier": tier}
        for seq, (kind, customer, employee, department, tier) in enumerate(combinations * rounds, start=1)
    ]  # fmt: skip
    await driver.execute_query(WRITE, events=rows, database_=DATABASE)
    log = Neo4jEventLog(driver, DATABASE)
    written: list[GraphEvent] = []
    while page := await log.after(written[-1].seq if written else 0, BATCH):
        written += page
    assert len(written) == len(rows)
    return written


async def test_the_log_and_the_live_feed_agree_on_what_each_filter_wants(empty_graph: AsyncDriver) -> None:
    written = await write_every_combination(empty_graph, rounds=1)
    log = Neo4jEventLog(empty_graph, DATABASE)
    found = {}
    for wanted in FILTERS:
        read = await log.after(0, 10_000, wanted)
        assert [event.seq for event in read] == [event.seq for event in written if wanted(event)], wanted
        found[wanted] = len(read)
    assert all(found[wanted] > 0 for wanted in FILTERS[:-1]), found  # each one wants some
    assert found[FILTERS[-1]] == 0


async def test_a_replay_over_several_pages_gives_each_wanted_event_once_in_order(empty_graph: AsyncDriver) -> None:
    written = await write_every_combination(empty_graph, rounds=12)
    wanted = FILTERS[0]
    expected = [event.seq for event in written if wanted(event)]
    assert len(expected) > BATCH  # the replay reads more than one page of wanted events
    after = written[10].seq
    hub = EventHub(Neo4jEventLog(empty_graph, DATABASE))
    await hub.start()
    replayed: list[int] = []
    stream = hub.subscribe(wanted, after=after, caller="tester")
    async for event in stream:
        replayed.append(event.seq)
        if len(replayed) == len([seq for seq in expected if seq > after]):
            break
    await stream.aclose()
    assert replayed == [seq for seq in expected if seq > after]
