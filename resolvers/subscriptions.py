"""The root subscription: what happens to a customer, to a team's work, to service levels, as it happens.

Each field is an async generator over the process's event feed (``graph.events.EventFeed``,
filled by ``server.events``): it names the events it wants (a cheap test the hub runs for
every event) and then checks each one against the caller's row rules before it goes out, so
a subscriber is told only of customers and tickets they may see, as their queries would show
them. A visibility answer is kept for ``VISIBILITY_TTL_S`` per subscriber, so a burst of
events about one customer costs one check. The fields are read (policy ``read`` lists) and
masked as any field is; the operation is checked before it runs (``server.subscriptions``).

- ``journeyEvents(customerId)``: new interactions, tickets opened, handed off and closed;
- ``handOffs(departmentId | employeeId)``: tickets handed to a department or a person;
- ``serviceLevelAlerts(tiers, departmentId)``: open tickets crossing AT_RISK or BREACHED, by
  the clock (``graph.alerts``).

A stream over SSE that resumes after an event id (``Context.stream``) gets the events it
missed first; the id of each event sent is left in ``Context.stream`` for the transport.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable
from datetime import datetime
from enum import StrEnum
from typing import Final

import strawberry

from domain.errors import BadUserInputError
from graph.event_model import EventFeed, EventFilter, GraphEvent
from graph.model import Channel, DepartmentKind
from graph.trace import model as trace_model
from resolvers import cost
from resolvers.context import Info
from resolvers.entities.department import Department
from resolvers.entities.employee import Employee
from resolvers.entities.ticket import Ticket
from resolvers.enums import Tier
from resolvers.trace.reports import ServiceLevelState
from resolvers.trace.types import JourneyEvent

VISIBILITY_TTL_S: Final = 10.0
MAX_REMEMBERED: Final = 1_000
# A subscription holds a subscriber slot and runs a visibility check per event.
SUBSCRIPTION_WEIGHT: Final = 1_000

JOURNEY_KINDS: Final = {
    "INTERACTION": trace_model.JourneyEventKind.INTERACTION,
    "TICKET_OPENED": trace_model.JourneyEventKind.TICKET_OPENED,
    "TICKET_HANDED_OFF": trace_model.JourneyEventKind.TICKET_HANDED_OFF,
    "TICKET_CLOSED": trace_model.JourneyEventKind.TICKET_CLOSED,
}


class _Visibility:
    """Whether the subscriber may see a customer or ticket, kept a little while."""

    def __init__(self, info: Info) -> None:
        self._store = info.context.store
        self._restricted = bool({"Customer", "Ticket"} & self._store.scope.restricted)
        self._known: dict[tuple[str, str], tuple[float, bool]] = {}

    async def sees(self, label: str, id: str | None) -> bool:
        if id is None or not self._restricted:
            return True
        key = (label, id)
        known = self._known.get(key)
        if known is not None and time.monotonic() - known[0] < VISIBILITY_TTL_S:
            return known[1]
        visible = await self._store.sees(label, id)
        if len(self._known) >= MAX_REMEMBERED:
            self._known.clear()
        self._known[key] = (time.monotonic(), visible)
        return visible


def _feed(info: Info) -> EventFeed:
    feed = info.context.events
    if feed is None:
        raise BadUserInputError("subscriptions are served over WebSocket (graphql-transport-ws) or SSE")
    return feed


async def _known_department(info: Info, department_id: str | None) -> None:
    if department_id is not None and await info.context.loaders.department.load(department_id) is None:
        raise BadUserInputError(f"no department with id '{department_id[:80]}'", field="departmentId")


def _admitted(info: Info) -> None:
    """Refuse a caller over its share before its arguments are looked up in the graph."""
    _feed(info).admit(info.context.caller.subject)


async def _events(info: Info, wants: Callable[[GraphEvent], bool]) -> AsyncGenerator[GraphEvent, None]:
    """The events ``wants`` accepts that the caller may see, recording each one's id for SSE."""
    visibility = _Visibility(info)
    stream = info.context.stream
    after = stream.resume_after if stream else None
    async for event in _feed(info).subscribe(wants, after, info.context.caller.subject):
        if await visibility.sees("Customer", event.customer_id) and await visibility.sees("Ticket", event.ticket_id):
            if stream is not None and event.logged:
                stream.last_event_id = event.seq
            info.context.renew_reads()
            yield event


@strawberry.type(description="A ticket handed to someone, as it happens.")
class TicketHandedOff:
    at: datetime
    reason: str | None
    event: strawberry.Private[GraphEvent]

    @strawberry.field
    async def ticket(self, info: Info) -> Ticket | None:
        record = await info.context.loaders.ticket.load(self.event.ticket_id or "")
        return None if record is None else Ticket.from_record(record)

    @strawberry.field(description="Who got it.")
    async def employee(self, info: Info) -> Employee | None:
        record = await info.context.loaders.employee.load(self.event.employee_id or "")
        return None if record is None else Employee.from_record(record)

    @strawberry.field(description="Who handed it over.")
    async def by(self, info: Info) -> Employee | None:
        if self.event.by_id is None:
            return None
        record = await info.context.loaders.employee.load(self.event.by_id)
        return None if record is None else Employee.from_record(record)

    @strawberry.field(description="The department of the employee who got it.")
    async def department(self, info: Info) -> Department | None:
        if self.event.department_id is None:
            return None
        record = await info.context.loaders.department.load(self.event.department_id)
        return None if record is None else Department.from_record(record)


@strawberry.enum(description="Which service-level clock crossed a threshold.")
class ServiceLevelClockKind(StrEnum):
    RESPOND = "RESPOND"
    RESOLVE = "RESOLVE"


@strawberry.type(description="An open ticket that just crossed AT_RISK or BREACHED on one of its clocks.")
class ServiceLevelAlert:
    at: datetime = strawberry.field(description="When it crossed the threshold.")
    tier: Tier
    clock: ServiceLevelClockKind
    state: ServiceLevelState
    event: strawberry.Private[GraphEvent]

    @strawberry.field
    async def ticket(self, info: Info) -> Ticket | None:
        record = await info.context.loaders.ticket.load(self.event.ticket_id or "")
        return None if record is None else Ticket.from_record(record)

    @strawberry.field(description="The department of whoever holds the ticket; null when nobody does.")
    async def department(self, info: Info) -> Department | None:
        if self.event.department_id is None:
            return None
        record = await info.context.loaders.department.load(self.event.department_id)
        return None if record is None else Department.from_record(record)


def _journey_event(event: GraphEvent) -> JourneyEvent:
    record = trace_model.JourneyEvent(
        at=event.at,
        kind=JOURNEY_KINDS[event.kind],
        employee_id=event.employee_id,
        department_id=event.department_id,
        office=DepartmentKind(event.office) if event.office else None,
        order_id=None,
        ticket_id=event.ticket_id,
        interaction_id=event.interaction_id,
        step=None,
        channel=Channel(event.channel) if event.channel else None,
        detail=event.detail,
        by_id=event.by_id,
    )
    return JourneyEvent.from_record(record)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Every new event of a customer's journey: interactions, tickets opened, handed off, closed.",
        directives=[cost.weight(SUBSCRIPTION_WEIGHT)],
    )
    async def journey_events(self, info: Info, customer_id: strawberry.ID) -> AsyncGenerator[JourneyEvent, None]:
        _admitted(info)
        # Asked of the graph whatever the caller's rules: a customer that does not exist is refused
        # (and holds no subscriber's place), as one the caller may not see is.
        if not await info.context.store.sees("Customer", customer_id):
            raise BadUserInputError(f"no customer with id '{customer_id[:80]}'", field="customerId")
        wanted = EventFilter(frozenset(JOURNEY_KINDS), customer_id=str(customer_id))
        async for event in _events(info, wanted):
            yield _journey_event(event)

    @strawberry.subscription(
        description="Tickets handed to a department or to a person (give exactly one of them).",
        directives=[cost.weight(SUBSCRIPTION_WEIGHT)],
    )
    async def hand_offs(
        self, info: Info, department_id: strawberry.ID | None = None, employee_id: strawberry.ID | None = None
    ) -> AsyncGenerator[TicketHandedOff, None]:
        if (department_id is None) == (employee_id is None):
            raise BadUserInputError("give exactly one of departmentId and employeeId")
        _admitted(info)
        await _known_department(info, department_id)
        if employee_id is not None and await info.context.loaders.employee.load(employee_id) is None:
            raise BadUserInputError(f"no employee with id '{employee_id[:80]}'", field="employeeId")
        wants = EventFilter(frozenset({"TICKET_HANDED_OFF"}), department_id=department_id, employee_id=employee_id)
        async for event in _events(info, wants):
            yield TicketHandedOff(at=event.at, reason=event.detail, event=event)

    @strawberry.subscription(
        description="Open tickets crossing AT_RISK or BREACHED on their response or resolution clock, as the "
        "clock runs: a ticket nobody touches breaches without any write. Optionally of some tiers, or held in "
        "one department.",
        directives=[cost.weight(SUBSCRIPTION_WEIGHT)],
    )
    async def service_level_alerts(
        self, info: Info, tiers: list[Tier] | None = None, department_id: strawberry.ID | None = None
    ) -> AsyncGenerator[ServiceLevelAlert, None]:
        tier_names = None if tiers is None else frozenset(tier.value for tier in tiers)
        _admitted(info)
        await _known_department(info, department_id)
        wants = EventFilter(frozenset({"SERVICE_LEVEL"}), department_id=department_id, tiers=tier_names)
        async for event in _events(info, wants):
            yield ServiceLevelAlert(
                at=event.at,
                tier=Tier(str(event.tier)),
                clock=ServiceLevelClockKind(str(event.clock)),
                state=ServiceLevelState(str(event.state)),
                event=event,
            )
