"""A support ticket, its hand-offs from employee to employee and its live state."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from graph import model
from resolvers import cost
from resolvers.context import Info
from resolvers.delivery_fields import TicketDelivery, ticket_delivery
from resolvers.enums import Priority, TicketStatus
from resolvers.live import fields as live_fields
from resolvers.live.helpdesk import TICKET_LIVE, TicketLive
from resolvers.loaders import load_wrapped
from resolvers.trace import fields as trace_fields
from resolvers.trace.types import HandOffChain, employee_by_id


@strawberry.type(description="One hand-off of a ticket: who got it, from whom, when and why.")
class HandOff:
    at: datetime
    reason: str
    employee_id: strawberry.Private[str]
    by_id: strawberry.Private[str | None]

    @strawberry.field(description="Who the ticket was handed to.")
    async def employee(self, info: Info) -> Employee | None:
        return await employee_by_id(info, self.employee_id)

    @strawberry.field(description="Who handed it over; null for the first assignment.")
    async def by(self, info: Info) -> Employee | None:
        return await employee_by_id(info, self.by_id)


@strawberry.federation.type(keys=["id"])
class Ticket:
    id: strawberry.ID
    opened_at: datetime
    closed_at: datetime | None
    status: TicketStatus
    priority: Priority
    subject: str
    customer_id: strawberry.Private[str]

    @classmethod
    def from_record(cls, record: model.Ticket) -> Self:
        return cls(
            id=strawberry.ID(record.id),
            opened_at=record.opened_at,
            closed_at=record.closed_at,
            status=record.status,
            priority=record.priority,
            subject=record.subject,
            customer_id=record.customer_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        return await load_wrapped(info.context.loaders.ticket, id, cls.from_record)

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await load_wrapped(info.context.loaders.customer, self.customer_id, Customer.from_record)

    @strawberry.field(
        description="Every hand-off in time order.", directives=[cost.list_size(cost.HAND_OFFS_PER_TICKET)]
    )
    async def hand_offs(self, info: Info) -> list[HandOff]:
        found = await info.context.loaders.hand_offs.load(self.id)
        return [HandOff(at=h.at, reason=h.reason, employee_id=h.employee_id, by_id=h.by_id) for h in found]

    @strawberry.field(description="Who holds the ticket now: the last hand-off's employee.")
    async def assignee(self, info: Info) -> Employee | None:
        found = await info.context.loaders.hand_offs.load(self.id)
        return await employee_by_id(info, found[-1].employee_id) if found else None

    @strawberry.field(
        description="The hand-off chain as of asOf (default now), with the wait at each hop.",
        directives=[cost.weight(cost.HAND_OFF_CHAIN_WEIGHT)],
    )
    async def hand_off_chain(self, info: Info, as_of: datetime | None = None) -> HandOffChain | None:
        return await trace_fields.hand_off_chain(info, self.id, as_of)

    @strawberry.field(
        description="The ticket as the helpdesk sees it now: status, priority, last update, who holds it. Live: "
        "null, with a SOURCE_UNAVAILABLE error, when the helpdesk cannot answer.",
        directives=[cost.weight(cost.LIVE_WEIGHT)],
    )
    async def live(self, info: Info) -> TicketLive | None:
        return await live_fields.by_graph_id(info, TICKET_LIVE, self.id, TicketLive.from_record)

    @strawberry.field(
        description="Whether the helpdesk has the newest change made to the ticket through this API: "
        "PENDING, DELIVERED or FAILED with the reason; null for a ticket never changed here."
    )
    async def delivery(self, info: Info) -> TicketDelivery | None:
        return await ticket_delivery(info, self.id)


# The entities refer to each other; each module imports the others' types once its own
# are defined, and strawberry reads the annotations when the schema is built.
from resolvers.entities.customer import Customer  # noqa: E402
from resolvers.entities.employee import Employee  # noqa: E402
