"""The event log: what happened in the graph, in commit order, for subscribers in every process.

A write (``graph.writes``) appends its business events in its own transaction (``APPEND``):
an interaction recorded, a ticket opened, handed off or closed, an account owner assigned.
Each event takes the next number of one counter node, ``(:EventSequence {name: 'events'})``.
Taking it locks the counter until the write commits, so numbers are handed out in commit
order and a reader that has seen event *n* has seen every event before it: a cursor, "the
last number I saw", is all a reader keeps. The lock makes writes queue on it, but only for
the end of their transactions (the events are appended in one last statement). The
service-level alerts the clock raises (``graph.alerts``) are logged the same way, once each
(``log_crossings``), so every process tells them and a resumed stream gets them again.

Every API process tails the log (``server.events``): ``after(cursor)`` reads what came since,
from the uniqueness index on ``seq``. Events are kept for the retention window
(``prune``), so a client that reconnects with the last event id it saw gets what it missed.
This needs no server beside Neo4j, and works on Community Edition, which has no change data
capture.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, LiteralString

from neo4j import AsyncDriver, AsyncManagedTransaction, RoutingControl
from neo4j.exceptions import ConstraintError

from graph.alerts import Crossing
from graph.event_model import EventFilter, GraphEvent
from graph.neo4j_errors import translated

# A write's events, numbered: the counter moves by their count and stays locked until the
# commit, so this is the write's last statement (one round trip while the lock is held).
APPEND: LiteralString = """
MERGE (s:EventSequence {name: 'events'})
SET s.last = coalesce(s.last, 0) + size($events)
WITH s.last - size($events) AS before
UNWIND range(0, size($events) - 1) AS n
WITH before + 1 + n AS seq, $events[n] AS event
CREATE (:GraphEvent {seq: seq, kind: event.kind, at: datetime(), customer_id: event.customer_id,
                     ticket_id: event.ticket_id, employee_id: event.employee_id, by_id: event.by_id,
                     department_id: event.department_id, office: event.office, detail: event.detail,
                     channel: event.channel, interaction_id: event.interaction_id})
"""

# Service-level crossings (``graph.alerts``), each logged once whichever process saw it first:
# its key is unique among the events, so a second process logging it meanwhile fails on the
# constraint (once the first commits), rolls back and, run again, finds it logged.
LOG_CROSSINGS: LiteralString = """
UNWIND $crossings AS c
OPTIONAL MATCH (known:GraphEvent {key: c.key})
WITH c WHERE known IS NULL
WITH collect(c) AS fresh WHERE size(fresh) > 0
MERGE (s:EventSequence {name: 'events'})
SET s.last = coalesce(s.last, 0) + size(fresh)
WITH s.last - size(fresh) AS before, fresh
UNWIND range(0, size(fresh) - 1) AS n
WITH before + 1 + n AS seq, fresh[n] AS c
CREATE (:GraphEvent {seq: seq, key: c.key, kind: 'SERVICE_LEVEL', at: c.at, customer_id: c.customer_id,
                     ticket_id: c.ticket_id, employee_id: c.employee_id, department_id: c.department_id,
                     tier: c.tier, clock: c.clock, state: c.state})
RETURN count(*) AS logged
"""

AFTER: LiteralString = """
MATCH (e:GraphEvent) WHERE e.seq > $cursor
RETURN e {.*} AS event ORDER BY e.seq LIMIT $limit
"""

# The same conditions as ``EventFilter.__call__``, for a replay: only the wanted events are read.
AFTER_MATCHING: LiteralString = """
MATCH (e:GraphEvent) WHERE e.seq > $cursor AND e.kind IN $kinds
  AND ($customer IS NULL OR e.customer_id = $customer)
  AND ($employee IS NULL OR e.employee_id = $employee)
  AND ($department IS NULL OR e.department_id = $department)
  AND ($tiers IS NULL OR e.tier IN $tiers)
RETURN e {.*} AS event ORDER BY e.seq LIMIT $limit
"""

LATEST: LiteralString = """
OPTIONAL MATCH (s:EventSequence {name: 'events'}) RETURN coalesce(s.last, 0) AS last
"""

OLDEST: LiteralString = """
MATCH (e:GraphEvent) RETURN min(e.seq) AS oldest
"""

PRUNE: LiteralString = """
MATCH (e:GraphEvent) WHERE e.at < datetime() - duration({seconds: $retention_s})
WITH e LIMIT 10000 DETACH DELETE e
"""

DEPARTMENT_OF: LiteralString = """
OPTIONAL MATCH (:Employee {id: $employee_id})-[:WORKS_IN]->(d:Department)
RETURN d.id AS department_id, d.kind AS office LIMIT 1
"""


async def append_events(tx: AsyncManagedTransaction, events: list[dict[str, Any]]) -> None:
    """Append ``events`` (dicts of the ``GraphEvent`` fields but ``seq`` and ``at``) in ``tx``, as
    its last statement: the counter's lock is held from here to the commit."""
    if events:
        await (await tx.run(APPEND, events=events)).consume()


def event(kind: str, customer_id: str | None, **fields: str | None) -> dict[str, Any]:
    """An event to append: every field of the log present (null when not given)."""
    names = ("ticket_id", "employee_id", "by_id", "department_id", "office", "detail", "channel", "interaction_id")
    return {"kind": kind, "customer_id": customer_id, **dict.fromkeys(names), **fields}


async def department_of(tx: AsyncManagedTransaction, employee_id: str) -> dict[str, str | None]:
    """The department id and kind (``office``) of an employee, for the events about them."""
    record = await (await tx.run(DEPARTMENT_OF, employee_id=employee_id)).single()
    if record is None:
        return {"department_id": None, "office": None}
    return {"department_id": record["department_id"], "office": record["office"]}


class Neo4jEventLog:
    """Reads of the event log; see the module docstring."""

    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self._driver = driver
        self._database = database

    async def _read(self, query: LiteralString, **parameters: Any) -> list[Any]:
        async with translated():
            records, _, _ = await self._driver.execute_query(
                query, parameters, database_=self._database, routing_=RoutingControl.READ
            )
        return records

    async def after(self, cursor: int, limit: int = 1000, only: EventFilter | None = None) -> list[GraphEvent]:
        """Up to ``limit`` events after ``cursor`` in order; of those ``only`` wants, when given."""
        if only is None:
            records = await self._read(AFTER, cursor=cursor, limit=limit)
        else:
            records = await self._read(AFTER_MATCHING, cursor=cursor, limit=limit, **only.parameters())
        return [GraphEvent.from_node(record["event"]) for record in records]

    async def latest(self) -> int:
        return int((await self._read(LATEST))[0]["last"])

    async def oldest(self) -> int | None:
        found = (await self._read(OLDEST))[0]["oldest"]
        return None if found is None else int(found)

    async def log_crossings(self, crossings: Sequence[Crossing]) -> int:
        """Log the service-level thresholds ``crossings`` that no process logged yet; how many it logged."""
        if not crossings:
            return 0
        rows = [
            {"key": f"{c.ticket_id}/{c.clock}/{c.state}/{c.at.isoformat()}", "at": c.at, "customer_id": c.customer_id,
             "ticket_id": c.ticket_id, "employee_id": c.employee_id, "department_id": c.department_id,
             "tier": c.tier, "clock": c.clock, "state": c.state}
            for c in crossings
        ]  # fmt: skip
        database = self._database
        async with translated():
            try:
                records, _, _ = await self._driver.execute_query(LOG_CROSSINGS, crossings=rows, database_=database)
            except ConstraintError:
                # Another process logged some of them meanwhile: this run rolled back; again, skipping those.
                records, _, _ = await self._driver.execute_query(LOG_CROSSINGS, crossings=rows, database_=database)
        return int(records[0]["logged"]) if records else 0

    async def prune(self, retention_s: float) -> None:
        async with translated():
            await self._driver.execute_query(PRUNE, retention_s=retention_s, database_=self._database)
