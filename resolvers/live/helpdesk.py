"""Live fields of the helpdesk: a ticket's live status, priority and assignee, and a customer's
summary of open and recent tickets."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from resolvers.context import Info
from resolvers.enums import Priority, TicketStatus
from resolvers.live.loaders import need
from resolvers.live.record import LIVE, LiveRecord
from resolvers.loaders import load_wrapped

if TYPE_CHECKING:
    from resolvers.entities.employee import Employee

LazyEmployee = Annotated["Employee", strawberry.lazy("resolvers.entities.employee")]


TICKET_LIVE = need(
    "Ticket", "id", ("status", "priority", "updated_at", "closed_at", "assignee_employee_id", "assignee_name")
)


@strawberry.type(
    description="A ticket as the helpdesk sees it now: status, priority, last update and who holds it. "
    + LIVE.format(system="the helpdesk")
)
class TicketLive:
    status: TicketStatus = strawberry.field(description="The helpdesk's status, which may be ahead of the graph's.")
    priority: Priority
    updated_at: datetime = strawberry.field(description="The ticket's last change in the helpdesk.")
    closed_at: datetime | None
    assignee_name: str | None = strawberry.field(description="Who holds the ticket, as the helpdesk names them.")
    assignee_id: strawberry.Private[str | None]

    @classmethod
    def from_record(cls, record: LiveRecord) -> Self:
        return cls(
            status=record.choice(TicketStatus, "status"),
            priority=record.choice(Priority, "priority"),
            updated_at=record.time("updated_at"),
            closed_at=record.optional_time("closed_at"),
            assignee_name=record.optional_text("assignee_name"),
            assignee_id=record.optional_text("assignee_employee_id"),
        )

    @strawberry.field(description="Who holds the ticket now, as the helpdesk says (the graph's employee).")
    async def assignee(self, info: Info) -> LazyEmployee | None:
        from resolvers.entities.employee import Employee

        if self.assignee_id is None:
            return None
        return await load_wrapped(info.context.loaders.employee, self.assignee_id, Employee.from_record)


HELPDESK_SUMMARY = need(
    "Customer", "HELPDESK", ("open_tickets", "tickets_total", "oldest_open_since", "last_contact_at")
)


@strawberry.type(
    description="A customer's standing with the helpdesk, by the customer's helpdesk key: open tickets and the "
    "last contact. " + LIVE.format(system="the helpdesk")
)
class HelpdeskSummary:
    helpdesk_key: str = strawberry.field(description="The customer's key in the helpdesk.")
    open_tickets: int = strawberry.field(description="Tickets open, in progress or waiting.")
    tickets_total: int
    oldest_open_since: datetime | None = strawberry.field(description="When the oldest open ticket was opened.")
    last_contact_at: datetime | None = strawberry.field(description="The last change to any of the tickets.")

    @classmethod
    def from_record(cls, record: LiveRecord) -> Self:
        return cls(
            helpdesk_key=record.key,
            open_tickets=record.integer("open_tickets"),
            tickets_total=record.integer("tickets_total"),
            oldest_open_since=record.optional_time("oldest_open_since"),
            last_contact_at=record.optional_time("last_contact_at"),
        )
