"""The root mutation: what people using a front end do, written through to the graph.

Each mutation takes one input (``<Verb><Noun>Input``) with an ``idempotencyKey``, and answers a
payload (``<Verb><Noun>Payload``) with what it wrote and ``replayed`` (true when the key was
seen before and nothing was written this time). The caller is the one who acted (``by``): a
mutation needs a token that names an employee. Who may run which mutation is the policy's
``write`` list (checked before the operation runs, like reads, and again here); the customers
and tickets a mutation acts on are read through the caller's row rules, so one the caller may
not see is answered like one that does not exist.

Errors: ``BAD_USER_INPUT`` for unknown ids and values out of range, ``CONFLICT`` for a
transition the entity cannot make (closing a closed ticket, handing a ticket off when it is no
longer with the assignee the client expected, reusing a key for another request),
``FORBIDDEN`` for what the policy does not allow. The writes are ``graph.writes``'.
"""

from __future__ import annotations

import re
from typing import Final

import strawberry

from domain.access import WRITE_ROOT, ForbiddenError
from domain.errors import BadUserInputError
from graph.write_model import Actor
from resolvers import cost
from resolvers.context import Info
from resolvers.entities.customer import Customer
from resolvers.entities.interaction import Interaction
from resolvers.entities.ticket import HandOff, Ticket
from resolvers.enums import Channel, Priority
from resolvers.ports import WriteStore

# A write: a transaction of a few statements, each a unique lookup, and a commit.
WRITE_WEIGHT: Final = 500
MAX_ID_CHARS: Final = 80
MAX_SUMMARY_CHARS: Final = 2_000
MAX_SUBJECT_CHARS: Final = 300
MAX_REASON_CHARS: Final = 500
# C0 and C1 controls but tab and line breaks, and the bidirectional embeddings, overrides and isolates.
_HIDDEN: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

KEY_DESCRIPTION = (
    "A key of the client's choosing (1 to 200 characters), unique per intended write: sent again "
    "with the same input, the write is not repeated and the same answer comes back."
)


def _text(value: str, field: str, limit: int) -> str:
    """Free text as people write it: trimmed, 1 to ``limit`` characters, line breaks and tabs
    allowed, but no other control character and no bidirectional override (text that would
    show one thing in the helpdesk and the explorer and say another)."""
    stripped = value.strip()
    if not 1 <= len(stripped) <= limit:
        raise BadUserInputError(f"{field} must be 1 to {limit} characters", field=field)
    if _HIDDEN.search(stripped):
        raise BadUserInputError(f"{field} may not hold control characters or direction overrides", field=field)
    return stripped


def _id(value: str, field: str) -> str:
    if not 1 <= len(value) <= MAX_ID_CHARS:
        raise BadUserInputError(f"{field} must be an id of 1 to {MAX_ID_CHARS} characters", field=field)
    return value


def _writer(info: Info, mutation: str) -> WriteStore:
    """The write store of the caller, once the policy lets them run ``mutation``."""
    access = info.context.access
    if not access.readable(WRITE_ROOT, mutation):
        raise ForbiddenError(f"your roles may not run {mutation}")
    caller = access.caller
    if caller.employee_id is None:
        raise ForbiddenError("mutations are made by an employee: the token names none")
    return info.context.store.writes(Actor(caller.subject, caller.employee_id))


@strawberry.input(description="A contact with a customer to record.")
class RecordInteractionInput:
    customer_id: strawberry.ID
    channel: Channel
    summary: str
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)
    employee_id: strawberry.ID | None = strawberry.field(
        default=None, description="Who was in touch; the caller unless their roles may act for others."
    )


@strawberry.input(description="A ticket to open for a customer.")
class OpenTicketInput:
    customer_id: strawberry.ID
    subject: str
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)
    priority: Priority = Priority.NORMAL
    assignee_id: strawberry.ID | None = strawberry.field(default=None, description="Hand it to someone at once.")


@strawberry.input(description="A ticket to hand to an employee.")
class HandOffTicketInput:
    ticket_id: strawberry.ID
    to_employee_id: strawberry.ID
    reason: str
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)
    expected_assignee_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The assignee the client last saw: if the ticket has changed hands since, CONFLICT. Leave it "
        "out to hand the ticket on from whoever holds it; an empty id is BAD_USER_INPUT.",
    )


@strawberry.input(description="A ticket to close.")
class CloseTicketInput:
    ticket_id: strawberry.ID
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)
    resolution: str = "resolved"


@strawberry.input(description="The employee who owns a customer's account from now on.")
class AssignAccountOwnerInput:
    customer_id: strawberry.ID
    employee_id: strawberry.ID
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)


@strawberry.type
class RecordInteractionPayload:
    interaction: Interaction | None
    replayed: bool = strawberry.field(description="The key was seen before: nothing was written this time.")


@strawberry.type
class TicketPayload:
    """A ticket as a write left it; its ``delivery`` says whether the helpdesk has it yet."""

    replayed: bool = strawberry.field(description="The key was seen before: nothing was written this time.")
    ticket_id: strawberry.Private[str]

    @strawberry.field
    async def ticket(self, info: Info) -> Ticket | None:
        return await _ticket(info, self.ticket_id)


@strawberry.type
class HandOffTicketPayload:
    replayed: bool = strawberry.field(description="The key was seen before: nothing was written this time.")
    ticket_id: strawberry.Private[str]
    at: strawberry.Private[str]
    to_employee_id: strawberry.Private[str]

    @strawberry.field
    async def ticket(self, info: Info) -> Ticket | None:
        return await _ticket(info, self.ticket_id)

    @strawberry.field(description="The hand-off this write made.")
    async def hand_off(self, info: Info) -> HandOff | None:
        hops = await info.context.loaders.hand_offs.load(self.ticket_id)
        hop = next((h for h in reversed(hops) if h.at.isoformat() == self.at), None)
        if hop is None:
            # The stored instant may differ in its last digits: the newest hop to this employee.
            hop = next((h for h in reversed(hops) if h.employee_id == self.to_employee_id), None)
        return (
            None if hop is None else HandOff(at=hop.at, reason=hop.reason, employee_id=hop.employee_id, by_id=hop.by_id)
        )


@strawberry.type
class AssignAccountOwnerPayload:
    customer: Customer | None
    replayed: bool = strawberry.field(description="The key was seen before: nothing was written this time.")


async def _ticket(info: Info, ticket_id: str) -> Ticket | None:
    record = await info.context.loaders.ticket.load(ticket_id)
    return None if record is None else Ticket.from_record(record)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Record that the caller (or, if their roles allow, another employee) was in touch with a customer.",
        directives=[cost.weight(WRITE_WEIGHT)],
    )
    async def record_interaction(self, info: Info, input: RecordInteractionInput) -> RecordInteractionPayload:
        writer = _writer(info, "recordInteraction")
        caller_employee = info.context.access.caller.employee_id
        employee_id = _id(input.employee_id, "employeeId") if input.employee_id is not None else caller_employee
        if employee_id != caller_employee and not info.context.access.grants.acts_for_others:
            raise ForbiddenError("your roles may record interactions only as yourself", field="employeeId")
        assert employee_id is not None
        result = await writer.record_interaction(
            input.idempotency_key,
            _id(input.customer_id, "customerId"),
            employee_id,
            input.channel.value,
            _text(input.summary, "summary", MAX_SUMMARY_CHARS),
        )
        record = await info.context.loaders.interaction.load(result.answer["interaction_id"])
        return RecordInteractionPayload(
            interaction=None if record is None else Interaction.from_record(record), replayed=result.replayed
        )

    @strawberry.mutation(
        description="Open a ticket for a customer; it goes to the helpdesk through the outbox.",
        directives=[cost.weight(WRITE_WEIGHT)],
    )
    async def open_ticket(self, info: Info, input: OpenTicketInput) -> TicketPayload:
        writer = _writer(info, "openTicket")
        assignee = _id(input.assignee_id, "assigneeId") if input.assignee_id is not None else None
        result = await writer.open_ticket(
            input.idempotency_key,
            _id(input.customer_id, "customerId"),
            _text(input.subject, "subject", MAX_SUBJECT_CHARS),
            input.priority.value,
            assignee,
        )
        return TicketPayload(ticket_id=result.answer["ticket_id"], replayed=result.replayed)

    @strawberry.mutation(
        description="Hand a ticket to an employee, with a reason; CONFLICT if it is closed or no longer with "
        "expectedAssigneeId. Written to the graph and delivered to the helpdesk.",
        directives=[cost.weight(WRITE_WEIGHT)],
    )
    async def hand_off_ticket(self, info: Info, input: HandOffTicketInput) -> HandOffTicketPayload:
        writer = _writer(info, "handOffTicket")
        given = input.expected_assignee_id
        expected = None if given is None else _id(given, "expectedAssigneeId")
        result = await writer.hand_off_ticket(
            input.idempotency_key,
            _id(input.ticket_id, "ticketId"),
            _id(input.to_employee_id, "toEmployeeId"),
            _text(input.reason, "reason", MAX_REASON_CHARS),
            expected,
        )
        answer = result.answer
        return HandOffTicketPayload(
            replayed=result.replayed,
            ticket_id=answer["ticket_id"],
            at=answer["at"],
            to_employee_id=input.to_employee_id,
        )

    @strawberry.mutation(
        description="Close a ticket; CONFLICT if it is already closed or resolved. Delivered to the helpdesk.",
        directives=[cost.weight(WRITE_WEIGHT)],
    )
    async def close_ticket(self, info: Info, input: CloseTicketInput) -> TicketPayload:
        writer = _writer(info, "closeTicket")
        result = await writer.close_ticket(
            input.idempotency_key,
            _id(input.ticket_id, "ticketId"),
            _text(input.resolution, "resolution", MAX_REASON_CHARS),
        )
        return TicketPayload(ticket_id=result.answer["ticket_id"], replayed=result.replayed)

    @strawberry.mutation(
        description="Make an employee the owner of a customer's account (replacing the owner before).",
        directives=[cost.weight(WRITE_WEIGHT)],
    )
    async def assign_account_owner(self, info: Info, input: AssignAccountOwnerInput) -> AssignAccountOwnerPayload:
        writer = _writer(info, "assignAccountOwner")
        result = await writer.assign_account_owner(
            input.idempotency_key, _id(input.customer_id, "customerId"), _id(input.employee_id, "employeeId")
        )
        record = await info.context.loaders.customer.load(result.answer["customer_id"])
        return AssignAccountOwnerPayload(
            customer=None if record is None else Customer.from_record(record), replayed=result.replayed
        )
