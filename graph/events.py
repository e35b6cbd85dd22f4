"""The event log: what happened in the graph, in commit order, for subscribers in every process.

A write (``graph.writes``) appends its business events in its own transaction (``APPEND``):
an interaction recorded, a ticket opened, handed off or closed, an account owner assigned.
Each event takes the next number of one counter node, ``(:EventSequence {name: 'events'})``.
Taking it locks the counter until the write commits, so numbers are handed out in commit
order and a reader that has seen event *n* has seen every event before it: a cursor, "the
last number I saw", is all a reader keeps. The lock makes writes queue on it, but only for
the end of their transactions (the events are appended last, before the receipt).

Every API process tails the log (``server.events``): ``after(cursor)`` reads what came since,
from the uniqueness index on ``seq``. Events are kept for the retention window
(``prune``), so a client that reconnects with the last event id it saw gets what it missed.
This needs no server beside Neo4j, and works on Community Edition, which has no change data
capture.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, LiteralString, Protocol

from neo4j import AsyncDriver, AsyncManagedTransaction, RoutingControl

from graph.neo4j_errors import translated

# Numbers for a write's events: the counter moves by their count (and stays locked until commit).
RESERVE: LiteralString = """
MERGE (s:EventSequence {name: 'events'})
SET s.last = coalesce(s.last, 0) + $count
RETURN s.last - $count AS before
"""

APPEND: LiteralString = """
UNWIND range(0, size($events) - 1) AS n
WITH $before + 1 + n AS seq, $events[n] AS event
CREATE (:GraphEvent {seq: seq, kind: event.kind, at: datetime(), customer_id: event.customer_id,
                     ticket_id: event.ticket_id, employee_id: event.employee_id, by_id: event.by_id,
                     department_id: event.department_id, office: event.office, detail: event.detail,
                     channel: event.channel, interaction_id: event.interaction_id})
"""

AFTER: LiteralString = """
MATCH (e:GraphEvent) WHERE e.seq > $cursor
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


@dataclass(frozen=True, slots=True)
class GraphEvent:
    """One business event: ``kind`` (``INTERACTION``, ``TICKET_OPENED``, ``HAND_OFF``,
    ``TICKET_CLOSED``, ``ACCOUNT_OWNER``), the customer it concerns, the ticket, the employee it
    went to and their department, who did it, and a short ``detail`` (summary or reason)."""

    seq: int
    kind: str
    at: datetime
    customer_id: str | None
    ticket_id: str | None = None
    employee_id: str | None = None
    by_id: str | None = None
    department_id: str | None = None
    office: str | None = None
    detail: str | None = None
    channel: str | None = None
    interaction_id: str | None = None
    # Service-level alerts (graph.alerts): made by each process from the clock, not logged.
    tier: str | None = None
    clock: str | None = None
    state: str | None = None

    @property
    def logged(self) -> bool:
        """Whether the event is in the log (has a sequence number); alerts are not."""
        return self.seq > 0

    @classmethod
    def from_node(cls, node: Mapping[str, Any]) -> GraphEvent:
        at = node["at"]
        return cls(
            seq=int(node["seq"]), kind=str(node["kind"]), at=at.to_native() if hasattr(at, "to_native") else at,
            customer_id=node.get("customer_id"), ticket_id=node.get("ticket_id"), employee_id=node.get("employee_id"),
            by_id=node.get("by_id"), department_id=node.get("department_id"), office=node.get("office"),
            detail=node.get("detail"), channel=node.get("channel"), interaction_id=node.get("interaction_id"),
        )  # fmt: skip

    def as_json(self) -> str:
        fields = {
            "seq": self.seq, "kind": self.kind, "at": self.at.isoformat(), "customer_id": self.customer_id,
            "ticket_id": self.ticket_id, "employee_id": self.employee_id, "by_id": self.by_id,
            "department_id": self.department_id, "office": self.office, "detail": self.detail,
            "channel": self.channel, "interaction_id": self.interaction_id,
        }  # fmt: skip
        return json.dumps(fields)


async def append_events(tx: AsyncManagedTransaction, events: list[dict[str, Any]]) -> None:
    """Append ``events`` (dicts of the ``GraphEvent`` fields but ``seq`` and ``at``) in ``tx``."""
    if events:
        reserved = await (await tx.run(RESERVE, count=len(events))).single()
        assert reserved is not None
        await (await tx.run(APPEND, events=events, before=reserved["before"])).consume()


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

    async def after(self, cursor: int, limit: int = 1000) -> list[GraphEvent]:
        return [GraphEvent.from_node(record["event"]) for record in await self._read(AFTER, cursor=cursor, limit=limit)]

    async def latest(self) -> int:
        return int((await self._read(LATEST))[0]["last"])

    async def oldest(self) -> int | None:
        found = (await self._read(OLDEST))[0]["oldest"]
        return None if found is None else int(found)

    async def prune(self, retention_s: float) -> None:
        async with translated():
            await self._driver.execute_query(PRUNE, retention_s=retention_s, database_=self._database)


class EventFeed(Protocol):
    """Events as they are committed, for one subscriber (the port ``server.events`` fills).

    ``subscribe(wants, after)`` yields the events ``wants`` accepts, in order: from the event
    after ``after`` when given (a resumed stream), else from now on. It raises
    ``domain.errors.LimitExceededError`` when the process has no room for one more subscriber,
    and while iterating when the subscriber fell too far behind (its queue is bounded).
    """

    def subscribe(self, wants: Callable[[GraphEvent], bool], after: int | None = None) -> AsyncIterator[GraphEvent]: ...
