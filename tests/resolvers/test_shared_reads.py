"""Subscribers told of one event share its reads while they are in flight, and keep none after.

On the session's demo graph, through the real Neo4j store: identical reads at the same moment
are one statement, a reader that leaves mid-read does not take the read from the others, and
the table of reads in flight is empty once they finish.
"""

from __future__ import annotations

import asyncio

from neo4j import AsyncDriver

from domain.access import Access
from graph.row_rules import UNRESTRICTED, row_scope
from graph.store import Neo4jGraphStore
from resolvers.context import Context
from resolvers.shared_reads import ReadsInFlight, SharingStore
from tests.bolt_counter import counting_statements


async def test_identical_reads_in_flight_are_one_statement_and_nothing_stays(demo_graph: AsyncDriver) -> None:
    flights = ReadsInFlight()
    stores = [SharingStore(Neo4jGraphStore(demo_graph, "neo4j"), flights).seeing(UNRESTRICTED, None) for _ in range(20)]

    with counting_statements() as statements:
        answers = await asyncio.gather(*(store.tickets(["T000001", "T000002"]) for store in stores))

    assert len(statements) == 1
    assert flights.shared == 19
    assert all(answer == answers[0] for answer in answers)
    assert [ticket.id for ticket in answers[0] if ticket is not None] == ["T000001", "T000002"]
    assert len(flights) == 0


async def test_reads_under_other_rules_or_for_another_caller_are_not_shared(demo_graph: AsyncDriver) -> None:
    flights = ReadsInFlight()
    base = SharingStore(Neo4jGraphStore(demo_graph, "neo4j"), flights)
    ruled = row_scope({"Customer": ("(row)<-[:SERVES]-(:Department)<-[:WORKS_IN]-(caller)",)})
    stores = [base.seeing(UNRESTRICTED, None), base.seeing(ruled, "E000001"), base.seeing(ruled, "E000002")]

    with counting_statements() as statements:
        await asyncio.gather(*(store.customers_and_owners(["C000001"]) for store in stores))

    assert len(statements) == 3
    assert flights.shared == 0


async def test_a_reader_that_leaves_mid_read_does_not_cancel_it_for_the_others(demo_graph: AsyncDriver) -> None:
    flights = ReadsInFlight()
    store = SharingStore(Neo4jGraphStore(demo_graph, "neo4j"), flights).seeing(UNRESTRICTED, None)
    leaving = asyncio.ensure_future(store.tickets(["T000003"]))
    staying = asyncio.ensure_future(store.tickets(["T000003"]))
    await asyncio.sleep(0)
    leaving.cancel()

    tickets = await staying

    assert leaving.cancelled()
    assert [ticket.id for ticket in tickets if ticket is not None] == ["T000003"]
    assert len(flights) == 0


async def test_renewed_reads_forget_what_was_loaded(demo_graph: AsyncDriver) -> None:
    context = Context(store=Neo4jGraphStore(demo_graph, "neo4j"), access=Access.unrestricted())
    await context.loaders.ticket.load("T000001")
    before = context.loaders

    context.renew_reads()

    assert context.loaders is not before
    assert "T000001" not in context.loaders.ticket.cache_map.cache_map  # type: ignore[attr-defined]


async def test_a_read_begun_for_an_earlier_event_is_not_shared_with_readers_of_a_later_one(
    demo_graph: AsyncDriver,
) -> None:
    dispatched = [1]
    flights = ReadsInFlight(generation=lambda: dispatched[0])
    store = SharingStore(Neo4jGraphStore(demo_graph, "neo4j"), flights).seeing(UNRESTRICTED, None)

    with counting_statements() as statements:
        earlier = asyncio.ensure_future(store.tickets(["T000004"]))
        await asyncio.sleep(0)
        dispatched[0] = 2  # the next event, committed after the first read began
        later = asyncio.ensure_future(store.tickets(["T000004"]))
        same_event = asyncio.ensure_future(store.tickets(["T000004"]))
        await asyncio.gather(earlier, later, same_event)

    assert len(statements) == 2
    assert flights.shared == 1
