"""Trace fields shared by the entities and the root: arguments checked, loads batched.

Customer.journey, Customer.touchedBy, Customer.knownBestBy, Ticket.handOffChain and
Department.internalCustomers/handsWorkTo call these, and so do the root fields that take an
id: each goes through the request's trace DataLoaders, so a list of customers asking for
their journeys costs one statement. ``None`` means the entity does not exist.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry

from domain.errors import BadUserInputError
from graph.reads import Related
from graph.trace import model as trace_model
from resolvers.context import Info
from resolvers.inputs import TimeWindow
from resolvers.pagination import Connection, connection, forward_window, known_total
from resolvers.trace.loaders import JourneyKey
from resolvers.trace.types import (
    CustomerContacts,
    CustomerExpert,
    DepartmentFlow,
    HandOffChain,
    JourneyEvent,
    JourneyEventKind,
)

JOURNEY_PAGE_SIZE = 20
EXPERTS_DEFAULT = 5
EXPERTS_DEFAULT = 5
EXPERTS_MAX = 50


@strawberry.input(name="JourneyFilter", description="Which events of a journey to keep; all of them by default.")
class JourneyFilterInput:
    at: TimeWindow | None = None
    kinds: list[JourneyEventKind] | None = None
    department_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Keep events whose employee works in one of these departments."
    )

    def to_filter(self) -> trace_model.JourneyFilter:
        at_from, at_to = self.at.bounds("filter.at") if self.at else (None, None)
        return trace_model.JourneyFilter(
            at_from=at_from,
            at_to=at_to,
            kinds=None if self.kinds is None else tuple(dict.fromkeys(self.kinds)),
            department_ids=None if self.department_ids is None else tuple(sorted(set(self.department_ids))),
        )


def as_of_or_now(info: Info, as_of: datetime | None) -> datetime:
    """The moment a trace is taken at: ``asOf`` (a time without a zone is UTC) or the clock's now."""
    if as_of is None:
        return info.context.clock()
    return as_of if as_of.tzinfo is not None else as_of.replace(tzinfo=UTC)


def window_bounds(window: TimeWindow | None, argument: str) -> tuple[datetime | None, datetime | None]:
    return window.bounds(argument) if window is not None else (None, None)


def journey_key(
    info: Info, customer_id: str, where: JourneyFilterInput | None, first: int | None, after: str | None
) -> JourneyKey:
    """The journeys loader's key of a ``journey`` field: one more event than the page, to tell
    whether another page follows."""
    page_window = forward_window(first, after, info.context.max_page_size, JOURNEY_PAGE_SIZE)
    where_ = where.to_filter() if where else trace_model.JourneyFilter()
    return (customer_id, where_, page_window.skip, page_window.limit + 1)


async def journey(
    info: Info, customer_id: str, where: JourneyFilterInput | None, first: int | None, after: str | None
) -> Connection[JourneyEvent] | None:
    page_window = forward_window(first, after, info.context.max_page_size, JOURNEY_PAGE_SIZE)
    page = await info.context.trace_loaders.journeys.load(journey_key(info, customer_id, where, first, after))
    if page is None:
        return None
    # The events' employees and departments came with the page: no further round trip for them.
    info.context.loaders.prime(Related(employees=page.employees, departments=page.departments))
    events = page.events[: page_window.limit]
    return connection(
        [JourneyEvent.from_record(event) for event in events],
        page_window.skip,
        has_next_page=len(page.events) > page_window.limit,
        count=known_total(page.total),
    )


async def touched_by(info: Info, customer_id: str) -> CustomerContacts | None:
    found = await info.context.trace_loaders.contacts.load(customer_id)
    return None if found is None else CustomerContacts.from_record(found)


async def known_best_by(
    info: Info, customer_id: str, first: int, as_of: datetime | None
) -> list[CustomerExpert] | None:
    if not 1 <= first <= EXPERTS_MAX:
        raise BadUserInputError(f"'first' must be between 1 and {EXPERTS_MAX}", argument="first", maximum=EXPERTS_MAX)
    found = await info.context.trace_loaders.familiarity.load((customer_id, as_of_or_now(info, as_of), first))
    return None if found is None else CustomerExpert.ranked(found)


async def hand_off_chain(info: Info, ticket_id: str, as_of: datetime | None) -> HandOffChain | None:
    found = await info.context.trace_loaders.hand_off_chains.load((ticket_id, as_of_or_now(info, as_of)))
    return None if found is None else HandOffChain.from_record(found)


async def department_flows(
    info: Info, department_id: str, window: TimeWindow | None, as_of: datetime | None
) -> trace_model.DepartmentFlows | None:
    at_from, at_to = window_bounds(window, "window")
    key: tuple[Any, ...] = (department_id, at_from, at_to, as_of_or_now(info, as_of))
    return await info.context.trace_loaders.department_flows.load(key)


async def internal_customers(
    info: Info, department_id: str, window: TimeWindow | None, as_of: datetime | None
) -> list[DepartmentFlow]:
    flows = await department_flows(info, department_id, window, as_of)
    return [] if flows is None else [DepartmentFlow.from_record(flow) for flow in flows.internal_customers]


async def hands_work_to(
    info: Info, department_id: str, window: TimeWindow | None, as_of: datetime | None
) -> list[DepartmentFlow]:
    flows = await department_flows(info, department_id, window, as_of)
    return [] if flows is None else [DepartmentFlow.from_record(flow) for flow in flows.hands_work_to]
