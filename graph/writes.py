"""Writes to the customer graph on behalf of a caller: the mutations' one adapter.

Each write is one Neo4j transaction that does all of its parts or none of them:

1. **Idempotency.** The caller's key is looked up among the ``MutationReceipt`` nodes (a
   uniqueness constraint on ``key``, see ``graph.schema``). A key seen before answers what it
   answered then, without writing; the same key with a different input is a ``ConflictError``.
   Two requests racing with one key both miss the receipt, both write, and one of them fails on
   the constraint when it creates its receipt: its whole transaction rolls back and it is run
   again, and then finds the other's receipt. So a key writes once.
2. **Row rules.** The nodes a write reads are read through the caller's compiled row rules
   (``@visible`` marks, ``graph.row_rules``): a caller may only act on customers and tickets
   they may see, and one they may not see is answered as one that does not exist, so a write
   cannot tell whether a hidden id exists.
3. **Validation in the transaction.** A ticket is locked first (its ``version`` is bumped), and
   only then read: a hand-off that expects an assignee checks it against the assignee the
   ticket has once nobody else can change it, so two hand-offs racing from the same view get
   one success and one ``ConflictError``.
4. **The write**, and for tickets a record in the outbox (``graph.outbox``) for the helpdesk,
   which owns tickets: delivered later by the delivery worker (``server.delivery``), so the
   graph and the helpdesk both get the change or (until it is delivered) the ticket says so.
5. **The receipt**, with the answer, in the same transaction.

The ``SERVES`` relationships the row rules read (``graph.serves``) are kept in step: a
hand-off, an interaction or an account owner makes the employee's department serve the
customer at once.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, LiteralString

from neo4j import AsyncDriver, AsyncManagedTransaction
from neo4j.exceptions import ConstraintError

from domain.errors import BadUserInputError, ConflictError
from graph.events import append_events, department_of, event
from graph.neo4j_errors import translated
from graph.outbox import ENQUEUE
from graph.row_rules import RowScope
from graph.write_model import Actor, OutboxKind, WriteResult

MAX_KEY_CHARS: Final = 200

GET_RECEIPT: LiteralString = """
MATCH (r:MutationReceipt {key: $key})
RETURN r.operation AS operation, r.fingerprint AS fingerprint, r.answer AS answer
"""

SAVE_RECEIPT: LiteralString = """
CREATE (:MutationReceipt {key: $key, operation: $operation, fingerprint: $fingerprint, answer: $answer,
                          subject: $subject, at: datetime()})
"""

FIND_CUSTOMER: LiteralString = """
OPTIONAL MATCH (c:Customer {id: $customer_id}) WHERE @visible(Customer, c)
RETURN c IS NOT NULL AS found
"""

# Whether the employee exists, and their department for the events about them.
FIND_EMPLOYEE: LiteralString = """
OPTIONAL MATCH (e:Employee {id: $employee_id})
OPTIONAL MATCH (e)-[:WORKS_IN]->(d:Department)
RETURN e IS NOT NULL AS found, d.id AS department_id, d.kind AS office LIMIT 1
"""

# Locks the ticket (the SET) before anything of it is read: the clauses after the SET read it
# with the lock held, so its assignee cannot change before the transaction ends.
LOCK_TICKET: LiteralString = """
OPTIONAL MATCH (t:Ticket {id: $ticket_id}) WHERE @visible(Ticket, t)
SET t.version = coalesce(t.version, 0) + 1
WITH t
OPTIONAL MATCH (c:Customer)-[:RAISED]->(t)
OPTIONAL MATCH (t)-[a:ASSIGNED_TO]->(e:Employee)
WITH t, c, a, e ORDER BY a.at DESC LIMIT 1
RETURN t IS NOT NULL AS found, c.id AS customer_id, t.status AS status, e.id AS assignee_id
"""

# A department serves a customer as soon as one of its people works for them (graph.serves).
_SERVE: LiteralString = """
WITH c, e
CALL (c, e) {
  MATCH (e)-[:WORKS_IN]->(d:Department)
  MERGE (d)-[s:SERVES]->(c)
  SET s.scope = d.id, s.cid = c.id, s.name = c.name, s.since = c.since
}
"""

CREATE_INTERACTION: LiteralString = (
    """
MATCH (c:Customer {id: $customer_id}), (e:Employee {id: $employee_id})
CREATE (c)-[:HAD]->(:Interaction {id: $id, at: $at, channel: $channel, summary: $summary})-[:WITH]->(e)
"""
    + _SERVE
)

CREATE_TICKET: LiteralString = """
MATCH (c:Customer {id: $customer_id})
CREATE (c)-[:RAISED]->(:Ticket {id: $id, opened_at: $at, status: 'OPEN', priority: $priority, subject: $subject,
                                version: 0})
"""

HAND_OFF: LiteralString = (
    """
MATCH (c:Customer)-[:RAISED]->(t:Ticket {id: $ticket_id}), (e:Employee {id: $employee_id})
CREATE (t)-[:ASSIGNED_TO {at: $at, by: $by_id, reason: $reason}]->(e)
SET t.status = CASE t.status WHEN 'OPEN' THEN 'IN_PROGRESS' ELSE t.status END
"""
    + _SERVE
)

CLOSE_TICKET: LiteralString = """
MATCH (t:Ticket {id: $ticket_id})
SET t.status = 'CLOSED', t.closed_at = $at
"""

SET_ACCOUNT_OWNER: LiteralString = (
    """
MATCH (c:Customer {id: $customer_id}), (e:Employee {id: $employee_id})
OPTIONAL MATCH (c)-[old:OWNED_BY]->(:Employee)
DELETE old
MERGE (c)-[:OWNED_BY]->(e)
"""
    + _SERVE
)

OUR_DELIVERY: LiteralString = """
OPTIONAL MATCH (o:OutboxItem {id: $id}) RETURN o IS NOT NULL AS found
"""

CLOSED_STATUSES: Final = frozenset({"CLOSED", "RESOLVED"})


# A write's work: given its transaction and the list to add its events to, its answer.
Work = Callable[[AsyncManagedTransaction, list[dict[str, Any]]], Awaitable[dict[str, Any]]]


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16].upper()}"


def check_key(key: str) -> None:
    if not 1 <= len(key) <= MAX_KEY_CHARS or not key.isprintable():
        raise BadUserInputError(f"an idempotency key is 1 to {MAX_KEY_CHARS} printable characters")


def _fingerprint(operation: str, arguments: Mapping[str, Any]) -> str:
    text = json.dumps([operation, arguments], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class Neo4jWriteStore:
    """The mutations' writes for one caller, under their row rules; see the module docstring."""

    def __init__(self, driver: AsyncDriver, database: str, scope: RowScope, actor: Actor) -> None:
        self._driver = driver
        self._database = database
        self._scope = scope
        self._actor = actor

    async def _run(self, tx: AsyncManagedTransaction, query: LiteralString, **parameters: Any) -> list[Any]:
        result = await tx.run(self._scope.compile(query), caller_id=self._actor.employee_id, **parameters)
        return [record async for record in result]

    async def _found(self, tx: AsyncManagedTransaction, query: LiteralString, **parameters: Any) -> bool:
        records = await self._run(tx, query, **parameters)
        return bool(records and records[0]["found"])

    async def _once(self, operation: str, key: str, arguments: Mapping[str, Any], work: Work) -> WriteResult:
        """Run ``work`` in one transaction with the receipt of ``key``; see the module docstring."""
        check_key(key)
        scoped_key = f"{self._actor.subject}\x1f{key}"
        fingerprint = _fingerprint(operation, arguments)

        async def unit(tx: AsyncManagedTransaction) -> WriteResult:
            seen = await self._run(tx, GET_RECEIPT, key=scoped_key)
            if seen:
                if seen[0]["operation"] != operation or seen[0]["fingerprint"] != fingerprint:
                    raise ConflictError("this idempotency key was used for a different request")
                return WriteResult(json.loads(seen[0]["answer"]), replayed=True)
            events: list[dict[str, Any]] = []
            answer = await work(tx, events)
            await self._run(
                tx,
                SAVE_RECEIPT,
                key=scoped_key,
                operation=operation,
                fingerprint=fingerprint,
                answer=json.dumps(answer),
                subject=self._actor.subject,
            )
            # Last: the event counter's lock is held from here only until the commit.
            await append_events(tx, events)
            return WriteResult(answer, replayed=False)

        async with translated(), self._driver.session(database=self._database) as session:
            try:
                return await session.execute_write(unit)
            except ConstraintError:
                # The same key committed meanwhile: this run rolled back; the receipt answers now.
                return await session.execute_write(unit)

    async def _customer(self, tx: AsyncManagedTransaction, customer_id: str) -> None:
        if not await self._found(tx, FIND_CUSTOMER, customer_id=customer_id):
            raise BadUserInputError(f"no customer with id '{customer_id[:80]}'", field="customerId")

    async def _employee(self, tx: AsyncManagedTransaction, employee_id: str, field: str) -> dict[str, str | None]:
        """The employee's department id and kind (``office``) for the events about them; an unknown
        employee is ``BAD_USER_INPUT`` on ``field``."""
        records = await self._run(tx, FIND_EMPLOYEE, employee_id=employee_id)
        if not (records and records[0]["found"]):
            raise BadUserInputError(f"no employee with id '{employee_id[:80]}'", field=field)
        return {"department_id": records[0]["department_id"], "office": records[0]["office"]}

    async def _locked_ticket(self, tx: AsyncManagedTransaction, ticket_id: str) -> dict[str, Any]:
        records = await self._run(tx, LOCK_TICKET, ticket_id=ticket_id)
        if not (records and records[0]["found"]):
            raise BadUserInputError(f"no ticket with id '{ticket_id[:80]}'", field="ticketId")
        return dict(records[0])

    async def _enqueue(
        self, tx: AsyncManagedTransaction, ticket_id: str, kind: OutboxKind, body: dict[str, Any]
    ) -> str:
        delivery_id = new_id("D")
        await self._run(
            tx, ENQUEUE, id=delivery_id, ticket_id=ticket_id, kind=kind.value, payload=json.dumps(body, default=str)
        )
        return delivery_id

    async def record_interaction(
        self, key: str, customer_id: str, employee_id: str, channel: str, summary: str
    ) -> WriteResult:
        arguments = {"customer_id": customer_id, "employee_id": employee_id, "channel": channel, "summary": summary}

        async def work(tx: AsyncManagedTransaction, events: list[dict[str, Any]]) -> dict[str, Any]:
            await self._customer(tx, customer_id)
            department = await self._employee(tx, employee_id, "employeeId")
            interaction_id = new_id("I")
            await self._run(tx, CREATE_INTERACTION, id=interaction_id, at=datetime.now(UTC), **arguments)
            events.append(
                event("INTERACTION", customer_id, employee_id=employee_id, by_id=self._actor.employee_id,
                      detail=summary, channel=channel, interaction_id=interaction_id, **department)
            )  # fmt: skip
            return {"interaction_id": interaction_id}

        return await self._once("recordInteraction", key, arguments, work)

    async def open_ticket(
        self, key: str, customer_id: str, subject: str, priority: str, assignee_id: str | None
    ) -> WriteResult:
        arguments = {"customer_id": customer_id, "subject": subject, "priority": priority, "assignee_id": assignee_id}

        async def work(tx: AsyncManagedTransaction, events: list[dict[str, Any]]) -> dict[str, Any]:
            await self._customer(tx, customer_id)
            department = None if assignee_id is None else await self._employee(tx, assignee_id, "assigneeId")
            ticket_id = new_id("T")
            now = datetime.now(UTC)
            await self._run(
                tx, CREATE_TICKET, id=ticket_id, customer_id=customer_id, at=now, priority=priority, subject=subject
            )
            body: dict[str, Any] = {
                "id": ticket_id, "customer_id": customer_id, "subject": subject, "priority": priority,
                "opened_at": now.isoformat(), "by_employee_id": self._actor.employee_id,
            }  # fmt: skip
            delivery_id = await self._enqueue(tx, ticket_id, OutboxKind.OPEN, body)
            by_id = self._actor.employee_id
            events.append(event("TICKET_OPENED", customer_id, ticket_id=ticket_id, by_id=by_id, detail=subject))
            if assignee_id is not None and department is not None:
                await self._hand_off(tx, ticket_id, assignee_id, "opened", now)
                events.append(
                    event("TICKET_HANDED_OFF", customer_id, ticket_id=ticket_id, employee_id=assignee_id,
                          by_id=by_id, detail="opened", **department)
                )  # fmt: skip
            return {"ticket_id": ticket_id, "delivery_id": delivery_id}

        return await self._once("openTicket", key, arguments, work)

    async def _hand_off(
        self, tx: AsyncManagedTransaction, ticket_id: str, employee_id: str, reason: str, at: datetime,
        deliver: bool = True,
    ) -> str | None:  # fmt: skip
        by_id = self._actor.employee_id
        await self._run(tx, HAND_OFF, ticket_id=ticket_id, employee_id=employee_id, at=at, by_id=by_id, reason=reason)
        if not deliver:
            return None
        body = {"employee_id": employee_id, "by_employee_id": by_id, "reason": reason, "at": at.isoformat()}
        return await self._enqueue(tx, ticket_id, OutboxKind.HAND_OFF, body)

    async def hand_off_ticket(
        self, key: str, ticket_id: str, employee_id: str, reason: str, expected_assignee_id: str | None
    ) -> WriteResult:
        arguments = {
            "ticket_id": ticket_id, "employee_id": employee_id, "reason": reason,
            "expected_assignee_id": expected_assignee_id,
        }  # fmt: skip

        async def work(tx: AsyncManagedTransaction, events: list[dict[str, Any]]) -> dict[str, Any]:
            ticket = await self._locked_ticket(tx, ticket_id)
            department = await self._employee(tx, employee_id, "toEmployeeId")
            if ticket["status"] in CLOSED_STATUSES:
                raise ConflictError(f"ticket '{ticket_id}' is {ticket['status'].lower()}: it cannot be handed off")
            if expected_assignee_id is not None and ticket["assignee_id"] != expected_assignee_id:
                raise ConflictError(
                    f"ticket '{ticket_id}' is no longer assigned to '{expected_assignee_id[:80]}'",
                    currentAssigneeId=ticket["assignee_id"],
                )
            if ticket["assignee_id"] == employee_id:
                raise ConflictError(f"ticket '{ticket_id}' is already assigned to '{employee_id}'")
            now = datetime.now(UTC)
            delivery_id = await self._hand_off(tx, ticket_id, employee_id, reason, now)
            events.append(
                event("TICKET_HANDED_OFF", ticket["customer_id"], ticket_id=ticket_id, employee_id=employee_id,
                      by_id=self._actor.employee_id, detail=reason, **department)
            )  # fmt: skip
            return {"ticket_id": ticket_id, "delivery_id": delivery_id, "at": now.isoformat()}

        return await self._once("handOffTicket", key, arguments, work)

    async def close_ticket(self, key: str, ticket_id: str, resolution: str) -> WriteResult:
        arguments = {"ticket_id": ticket_id, "resolution": resolution}

        async def work(tx: AsyncManagedTransaction, events: list[dict[str, Any]]) -> dict[str, Any]:
            ticket = await self._locked_ticket(tx, ticket_id)
            if ticket["status"] in CLOSED_STATUSES:
                raise ConflictError(f"ticket '{ticket_id}' is already {ticket['status'].lower()}")
            now = datetime.now(UTC)
            await self._run(tx, CLOSE_TICKET, ticket_id=ticket_id, at=now)
            body = {"by_employee_id": self._actor.employee_id, "resolution": resolution, "at": now.isoformat()}
            delivery_id = await self._enqueue(tx, ticket_id, OutboxKind.CLOSE, body)
            by_id = self._actor.employee_id
            events.append(
                event("TICKET_CLOSED", ticket["customer_id"], ticket_id=ticket_id, employee_id=by_id, by_id=by_id,
                      detail="CLOSED", **(await department_of(tx, by_id) if by_id else {}))
            )  # fmt: skip
            return {"ticket_id": ticket_id, "delivery_id": delivery_id}

        return await self._once("closeTicket", key, arguments, work)

    async def assign_account_owner(self, key: str, customer_id: str, employee_id: str) -> WriteResult:
        arguments = {"customer_id": customer_id, "employee_id": employee_id}

        async def work(tx: AsyncManagedTransaction, events: list[dict[str, Any]]) -> dict[str, Any]:
            await self._customer(tx, customer_id)
            department = await self._employee(tx, employee_id, "employeeId")
            await self._run(tx, SET_ACCOUNT_OWNER, **arguments)
            events.append(
                event("ACCOUNT_OWNER", customer_id, employee_id=employee_id, by_id=self._actor.employee_id,
                      **department)
            )  # fmt: skip
            return {"customer_id": customer_id}

        return await self._once("assignAccountOwner", key, arguments, work)

    async def from_helpdesk(
        self, key: str, kind: str, ticket_id: str, employee_id: str | None, reason: str, origin_key: str | None
    ) -> WriteResult:
        """A change the helpdesk made itself (told by its webhook), brought into the graph.

        Nothing goes back to the helpdesk (it has the change). A change the helpdesk made
        because we delivered it (``origin_key`` is one of our outbox items) is already here.
        """
        arguments = {"kind": kind, "ticket_id": ticket_id, "employee_id": employee_id, "origin_key": origin_key}

        async def work(tx: AsyncManagedTransaction, events: list[dict[str, Any]]) -> dict[str, Any]:
            if origin_key is not None and await self._found(tx, OUR_DELIVERY, id=origin_key):
                return {"ticket_id": ticket_id, "applied": False, "reason": "made by this service"}
            ticket = await self._locked_ticket(tx, ticket_id)
            if ticket["status"] in CLOSED_STATUSES:
                return {"ticket_id": ticket_id, "applied": False, "reason": "the ticket is closed"}
            now = datetime.now(UTC)
            by_id = self._actor.employee_id
            if kind == "HAND_OFF" and employee_id is not None:
                department = await self._employee(tx, employee_id, "employee_id")
                if ticket["assignee_id"] == employee_id:
                    return {"ticket_id": ticket_id, "applied": False, "reason": "already assigned"}
                await self._hand_off(tx, ticket_id, employee_id, reason, now, deliver=False)
                events.append(
                    event("TICKET_HANDED_OFF", ticket["customer_id"], ticket_id=ticket_id, employee_id=employee_id,
                          by_id=by_id, detail=reason, **department)
                )  # fmt: skip
            elif kind == "CLOSE":
                await self._run(tx, CLOSE_TICKET, ticket_id=ticket_id, at=now)
                events.append(event("TICKET_CLOSED", ticket["customer_id"], ticket_id=ticket_id, by_id=by_id,
                                    detail="CLOSED"))  # fmt: skip
            else:
                raise BadUserInputError(f"no change of kind '{kind[:40]}' comes from the helpdesk")
            return {"ticket_id": ticket_id, "applied": True}

        return await self._once("fromHelpdesk", key, arguments, work)
