"""The outbox: ticket changes the graph owes the helpdesk, kept in Neo4j until delivered.

A mutation that changes a ticket (``graph.writes``) creates an ``OutboxItem`` in the same
transaction as the change (``ENQUEUE``), so the change and the duty to deliver it commit
together or not at all. Items are plain nodes found by ``ticket_id``, with no relationship to
the ticket: traces and paths walk relationships and must not wander into delivery records.

A delivery worker (``server.delivery``) works through them:

- ``claim`` takes one item whose time has come, with a **lease**: the item is locked, checked
  again under the lock, and leased to the worker until ``lease_until``. A worker that dies
  (even by SIGKILL) holds its lease until it runs out; then another worker takes the item.
  A ticket's items go out one at a time in the order they were written (``seq``): a hand-off
  never reaches the helpdesk before the ticket it hands off.
- The item's ``id`` goes to the helpdesk as its idempotency key. An item whose delivery was
  cut off after the helpdesk applied it is sent again with the same key, and the helpdesk
  answers what it answered then: applied once, whatever the number of sends.
- ``delivered`` marks it done; ``retry`` puts it back with a backoff and the reason;
  ``failed`` gives up (the helpdesk refused it, or it ran out of attempts) with the reason.

``delivery_states`` reads the newest item of each ticket: what the API shows as the ticket's
delivery state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, LiteralString

from neo4j import AsyncDriver, AsyncManagedTransaction, RoutingControl

from graph.neo4j_errors import translated
from graph.write_model import Delivery, DeliveryState, OutboxKind

# Runs after the ticket was locked (graph.writes): its outbox_seq orders its items.
ENQUEUE: LiteralString = """
MATCH (t:Ticket {id: $ticket_id})
SET t.outbox_seq = coalesce(t.outbox_seq, 0) + 1
CREATE (:OutboxItem {id: $id, ticket_id: $ticket_id, seq: t.outbox_seq, kind: $kind, payload: $payload,
                     state: 'PENDING', attempts: 0, created_at: datetime(), next_attempt_at: datetime()})
"""

_DUE: LiteralString = """o.state = 'PENDING' AND o.next_attempt_at <= datetime()
  AND (o.lease_until IS NULL OR o.lease_until < datetime())
  AND NOT EXISTS { MATCH (e:OutboxItem {ticket_id: o.ticket_id}) WHERE e.seq < o.seq AND e.state = 'PENDING' }"""

FIND_DUE: LiteralString = (
    """
MATCH (o:OutboxItem) WHERE """
    + _DUE
    + """
RETURN o.id AS id ORDER BY o.created_at LIMIT $limit
"""
)

LOCK_ITEM: LiteralString = """
MATCH (o:OutboxItem {id: $id}) SET o.lock = coalesce(o.lock, 0) + 1
"""

LEASE_ITEM: LiteralString = (
    """
MATCH (o:OutboxItem {id: $id}) WHERE """
    + _DUE
    + """
SET o.lease_until = datetime() + duration({milliseconds: $lease_ms}), o.leased_by = $worker,
    o.attempts = o.attempts + 1
RETURN o.id AS id, o.ticket_id AS ticket_id, o.kind AS kind, o.payload AS payload, o.attempts AS attempts
"""
)

MARK_DELIVERED: LiteralString = """
MATCH (o:OutboxItem {id: $id})
SET o.state = 'DELIVERED', o.delivered_at = datetime(), o.lease_until = null, o.last_error = null
"""

MARK_RETRY: LiteralString = """
MATCH (o:OutboxItem {id: $id}) WHERE o.state = 'PENDING'
SET o.next_attempt_at = datetime() + duration({milliseconds: $backoff_ms}), o.lease_until = null,
    o.last_error = $reason
"""

MARK_FAILED: LiteralString = """
MATCH (o:OutboxItem {id: $id}) WHERE o.state = 'PENDING'
SET o.state = 'FAILED', o.lease_until = null, o.last_error = $reason, o.failed_at = datetime()
"""

DELIVERY_STATES: LiteralString = """
UNWIND $ticket_ids AS ticket_id
OPTIONAL CALL (ticket_id) {
  MATCH (o:OutboxItem {ticket_id: ticket_id})
  RETURN o ORDER BY o.seq DESC LIMIT 1
}
RETURN ticket_id, o {.id, .kind, .state, .attempts, .last_error, delivered_at: o.delivered_at} AS item
"""

COUNT_BY_STATE: LiteralString = """
MATCH (o:OutboxItem) RETURN o.state AS state, count(*) AS items
"""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: str
    ticket_id: str
    kind: OutboxKind
    payload: str
    attempts: int


class Neo4jOutbox:
    """The outbox's claims and outcomes; see the module docstring."""

    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self._driver = driver
        self._database = database

    async def claim(self, worker: str, lease_ms: int, limit: int = 8) -> list[OutboxItem]:
        """Lease up to ``limit`` due items to ``worker``; each is checked again under its lock."""
        async with translated():
            found, _, _ = await self._driver.execute_query(
                FIND_DUE, limit=limit, database_=self._database, routing_=RoutingControl.READ
            )
            claimed: list[OutboxItem] = []
            for record in found:

                async def lease(tx: AsyncManagedTransaction, item_id: str = record["id"]) -> Any:
                    await (await tx.run(LOCK_ITEM, id=item_id)).consume()
                    result = await tx.run(LEASE_ITEM, id=item_id, lease_ms=lease_ms, worker=worker)
                    return await result.single()

                async with self._driver.session(database=self._database) as session:
                    leased = await session.execute_write(lease)
                if leased is not None:
                    claimed.append(
                        OutboxItem(
                            leased["id"], leased["ticket_id"], OutboxKind(leased["kind"]), leased["payload"],
                            leased["attempts"],
                        )
                    )  # fmt: skip
            return claimed

    async def _write(self, query: LiteralString, **parameters: Any) -> None:
        async with translated():
            await self._driver.execute_query(query, parameters, database_=self._database)

    async def delivered(self, item_id: str) -> None:
        await self._write(MARK_DELIVERED, id=item_id)

    async def retry(self, item_id: str, reason: str, backoff_ms: int) -> None:
        await self._write(MARK_RETRY, id=item_id, reason=reason[:500], backoff_ms=backoff_ms)

    async def failed(self, item_id: str, reason: str) -> None:
        await self._write(MARK_FAILED, id=item_id, reason=reason[:500])

    async def counts(self) -> dict[str, int]:
        async with translated():
            found, _, _ = await self._driver.execute_query(
                COUNT_BY_STATE, database_=self._database, routing_=RoutingControl.READ
            )
        return {record["state"]: record["items"] for record in found}


async def delivery_states(driver: AsyncDriver, database: str, ticket_ids: Sequence[str]) -> list[Delivery | None]:
    """The newest delivery of each ticket, in the order of ``ticket_ids`` (None: never written through)."""
    async with translated():
        found, _, _ = await driver.execute_query(
            DELIVERY_STATES, ticket_ids=list(ticket_ids), database_=database, routing_=RoutingControl.READ
        )
    by_ticket = {record["ticket_id"]: record["item"] for record in found}
    answers: list[Delivery | None] = []
    for ticket_id in ticket_ids:
        item = by_ticket.get(ticket_id)
        if item is None:
            answers.append(None)
            continue
        delivered_at = item["delivered_at"].to_native() if item["delivered_at"] is not None else None
        answers.append(
            Delivery(
                item["id"], OutboxKind(item["kind"]), DeliveryState(item["state"]), item["attempts"],
                item["last_error"], delivered_at,
            )
        )  # fmt: skip
    return answers
