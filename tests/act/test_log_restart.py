"""A hub whose log starts its numbers again (the graph emptied and reloaded) keeps delivering.

Before, a process that had read up to event *n* waited for numbers above *n*, and told its
subscribers nothing until the new log grew past it; a subscriber that had seen *n* would have
skipped the new log's lower numbers too. Now the hub notices (its log's last number below its
cursor, at two checks in a row), follows the new log from its start, and tells each subscriber
that what follows is new.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from neo4j import AsyncDriver

from graph.event_model import EventFilter, GraphEvent
from graph.events import APPEND, Neo4jEventLog, event
from server.events import EventHub
from tests.conftest import DATABASE, wipe

INTERACTIONS = EventFilter(frozenset({"INTERACTION"}))


async def write(driver: AsyncDriver, *details: str) -> None:
    events = [event("INTERACTION", "C1", detail=detail) for detail in details]
    await driver.execute_query(APPEND, events=events, database_=DATABASE)


async def poll_until(hub: EventHub, received: list[GraphEvent], count: int) -> None:
    for _ in range(200):
        if len(received) >= count:
            return
        await hub.poll()
        await asyncio.sleep(0)
    raise AssertionError(f"{len(received)} events received, {count} expected")


async def test_a_restarted_log_is_followed_from_its_start_and_its_events_delivered(
    empty_graph: AsyncDriver, caplog: pytest.LogCaptureFixture
) -> None:
    hub = EventHub(Neo4jEventLog(empty_graph, DATABASE), poll_s=0.01, restart_check_s=0.0)
    await hub.start()
    received: list[GraphEvent] = []

    async def follow() -> None:
        async for item in hub.subscribe(INTERACTIONS, caller="tester"):
            received.append(item)

    following = asyncio.create_task(follow())
    try:
        for _ in range(100):  # the subscriber is in once the task has run to its first wait
            await asyncio.sleep(0)
        assert hub.subscribers == 1
        await write(empty_graph, "old 1", "old 2", "old 3")
        await poll_until(hub, received, 3)
        assert hub.cursor == 3
        await wipe(empty_graph)  # the log goes too, and its numbers start again
        await write(empty_graph, "new 1", "new 2")
        with caplog.at_level(logging.WARNING, logger="customer_graph.events"):
            await poll_until(hub, received, 5)
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)

    assert [(item.seq, item.detail) for item in received] == [
        (1, "old 1"), (2, "old 2"), (3, "old 3"), (1, "new 1"), (2, "new 2"),
    ]  # fmt: skip
    assert hub.cursor == 2
    warnings = [record.getMessage() for record in caplog.records if "started its numbers again" in record.getMessage()]
    assert len(warnings) == 1, warnings
