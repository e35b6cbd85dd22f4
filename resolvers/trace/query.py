"""Root fields that trace a customer's path through the organization.

Merged into ``Query`` by ``resolvers.schema``. Fields about one entity (journey, who touched
a customer, who knows them best, a ticket's hand-off chain, a department's flows) share their
DataLoaders with the entity fields of the same name; the analytic fields (paths, service
levels, demand) run one statement each. Unknown ids are ``NOT_FOUND``; bad arguments
(inverted windows, too many hops, oversize pages) are ``BAD_USER_INPUT``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypeVar

import strawberry

from domain.errors import BadUserInputError, NotFoundError
from graph.trace import model as trace_model
from graph.trace import path_queries
from resolvers import cost
from resolvers.access import ensure_groupable
from resolvers.context import Info
from resolvers.enums import Tier
from resolvers.errors import found
from resolvers.inputs import TimeWindow
from resolvers.pagination import DEFAULT_PAGE_SIZE, Connection, connection, forward_window, known_total
from resolvers.trace import fields as trace_fields
from resolvers.trace.fields import JourneyFilterInput, as_of_or_now
from resolvers.trace.reports import (
    DemandBucket,
    DemandDimension,
    EntityRef,
    Granularity,
    GraphPath,
    ServiceLevelState,
    TicketServiceLevel,
)
from resolvers.trace.types import CustomerContacts, CustomerExpert, DepartmentFlow, HandOffChain, JourneyEvent

T = TypeVar("T")

DEFAULT_MAX_HOPS = 6
DEFAULT_PATH_COUNT = 10
MAX_PATH_COUNT = 50
DEFAULT_ALERT_STATES = (trace_model.ServiceLevelState.BREACHED, trace_model.ServiceLevelState.AT_RISK)

WHO_KNOWS_BEST = """Employees ranked by how well they know the customer, best first.

score = 5 x [account owner] + sum over contacts up to asOf of weight x 0.5^(ageDays / 90),
where weight is 1.0 per interaction with the customer, 1.5 per hand-off of one of the
customer's tickets to the employee and 0.5 per order step the employee handled. Frequent
contact adds up; a contact loses half its weight every 90 days; ties go to the lower id."""


def _checked_hops(max_hops: int) -> int:
    if not 1 <= max_hops <= path_queries.MAX_HOPS:
        raise BadUserInputError(
            f"'maxHops' must be between 1 and {path_queries.MAX_HOPS}",
            argument="maxHops",
            maximum=path_queries.MAX_HOPS,
        )
    return max_hops


@strawberry.type(description="Hand-offs into and out of a department.")
class DepartmentFlows:
    internal_customers: list[DepartmentFlow] = strawberry.field(
        description="Departments that hand this one work, busiest first.", directives=[cost.list_size(cost.DEPARTMENTS)]
    )
    hands_work_to: list[DepartmentFlow] = strawberry.field(
        description="Departments this one hands work to.", directives=[cost.list_size(cost.DEPARTMENTS)]
    )


@strawberry.type
class TraceQuery:
    @strawberry.field(
        description="Every event of a customer's journey in time order, filtered and paged.",
        directives=[cost.page(trace_fields.JOURNEY_PAGE_SIZE), cost.weight(cost.JOURNEY_WEIGHT)],
    )
    async def journey(
        self,
        info: Info,
        customer_id: strawberry.ID,
        filter: JourneyFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[JourneyEvent] | None:
        return found(await trace_fields.journey(info, customer_id, filter, first, after), "customer", customer_id)

    @strawberry.field(
        description="Departments and employees that touched the customer: interactions, order steps, "
        "hand-offs of the customer's tickets and account ownership, with counts and last contact.",
        directives=[cost.weight(cost.CONTACTS_WEIGHT)],
    )
    async def who_touched(self, info: Info, customer_id: strawberry.ID) -> CustomerContacts | None:
        return found(await trace_fields.touched_by(info, customer_id), "customer", customer_id)

    @strawberry.field(
        description=WHO_KNOWS_BEST,
        directives=[cost.list_size(trace_fields.EXPERTS_DEFAULT, ["first"]), cost.weight(cost.EXPERT_WEIGHT)],
    )
    async def who_knows_best(
        self,
        info: Info,
        customer_id: strawberry.ID,
        first: int = trace_fields.EXPERTS_DEFAULT,
        as_of: datetime | None = None,
    ) -> list[CustomerExpert] | None:
        experts = await trace_fields.known_best_by(info, customer_id, first, as_of)
        return found(experts, "customer", customer_id)

    @strawberry.field(
        description="A shortest path between two entities over any relationship, in either direction; "
        "null when none is within maxHops (1 to 10).",
        directives=[cost.weight(cost.PATH_WEIGHT)],
    )
    async def shortest_path(
        self,
        info: Info,
        from_: Annotated[EntityRef, strawberry.argument(name="from")],
        to: EntityRef,
        max_hops: int = DEFAULT_MAX_HOPS,
    ) -> GraphPath | None:
        paths = await _paths(info, from_, to, max_hops, all_shortest=False, limit=1)
        return paths[0] if paths else None

    @strawberry.field(
        description="All shortest paths between two entities (up to 'first' of them) within maxHops.",
        directives=[cost.list_size(DEFAULT_PATH_COUNT, ["first"]), cost.weight(cost.PATHS_WEIGHT)],
    )
    async def all_shortest_paths(
        self,
        info: Info,
        from_: Annotated[EntityRef, strawberry.argument(name="from")],
        to: EntityRef,
        max_hops: int = DEFAULT_MAX_HOPS,
        first: int = DEFAULT_PATH_COUNT,
    ) -> list[GraphPath]:
        if not 1 <= first <= MAX_PATH_COUNT:
            raise BadUserInputError(f"'first' must be between 1 and {MAX_PATH_COUNT}", argument="first")
        return await _paths(info, from_, to, max_hops, all_shortest=True, limit=first)

    @strawberry.field(
        description="A ticket's hand-offs as of asOf (default now), with the wait at each hop.",
        directives=[cost.weight(cost.HAND_OFF_CHAIN_WEIGHT)],
    )
    async def hand_off_chain(
        self, info: Info, ticket_id: strawberry.ID, as_of: datetime | None = None
    ) -> HandOffChain | None:
        return found(await trace_fields.hand_off_chain(info, ticket_id, as_of), "ticket", ticket_id)

    @strawberry.field(
        description="Departments that hand this one work (its internal customers) and those it hands work to, "
        "from hand-offs in the window, with median and 90th-percentile waits at the receiving end.",
        directives=[cost.weight(cost.FLOWS_WEIGHT)],
    )
    async def department_flows(
        self, info: Info, department_id: strawberry.ID, window: TimeWindow | None = None, as_of: datetime | None = None
    ) -> DepartmentFlows | None:
        flows = found(
            await trace_fields.department_flows(info, department_id, window, as_of), "department", department_id
        )
        return DepartmentFlows(
            internal_customers=[DepartmentFlow.from_record(flow) for flow in flows.internal_customers],
            hands_work_to=[DepartmentFlow.from_record(flow) for flow in flows.hands_work_to],
        )

    @strawberry.field(
        description="Tickets open at asOf (default now) that breached or are about to breach their customer "
        "tier's response or resolution target, worst first, with where they sit now.",
        directives=[cost.page(DEFAULT_PAGE_SIZE), cost.weight(cost.SERVICE_LEVELS_WEIGHT)],
    )
    async def service_level_alerts(
        self,
        info: Info,
        as_of: datetime | None = None,
        tiers: list[Tier] | None = None,
        department_id: strawberry.ID | None = None,
        states: list[ServiceLevelState] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[TicketServiceLevel]:
        page_window = forward_window(first, after, info.context.max_page_size)
        page = await info.context.trace.service_levels(
            info.context.service_levels,
            as_of_or_now(info, as_of),
            tiers=tiers,
            department_id=department_id,
            states=DEFAULT_ALERT_STATES if states is None else states,
            skip=page_window.skip,
            limit=page_window.limit,
        )
        return connection(
            [TicketServiceLevel.from_record(item) for item in page.items],
            page_window.skip,
            has_next_page=page_window.skip + len(page.items) < page.total,
            count=known_total(page.total),
        )

    @strawberry.field(
        description="Demand and revenue of orders placed in the window (cancelled ones left out), by week or "
        "month and by department (orders its people handled), product or customer tier, per currency.",
        directives=[cost.list_size(cost.DEMAND_BUCKETS), cost.weight(cost.DEMAND_WEIGHT)],
    )
    async def demand(
        self,
        info: Info,
        window: TimeWindow,
        by: DemandDimension,
        granularity: Granularity = trace_model.Granularity.MONTH,
    ) -> list[DemandBucket]:
        at_from, at_to = window.bounds("window")
        if at_from is None or at_to is None:
            raise BadUserInputError("'window' needs both 'from' and 'to'", argument="window")
        ensure_groupable(info.context.access, by.value)
        buckets = await info.context.trace.demand(by, granularity, at_from, at_to)
        return [DemandBucket.from_record(bucket, by) for bucket in buckets]


async def _paths(
    info: Info, from_: EntityRef, to: EntityRef, max_hops: int, *, all_shortest: bool, limit: int
) -> list[GraphPath]:
    search = await info.context.trace.shortest_paths(
        from_.kind.value,
        from_.id,
        to.kind.value,
        to.id,
        _checked_hops(max_hops),
        all_shortest=all_shortest,
        limit=limit,
    )
    if not search.found_from:
        raise NotFoundError(f"no {from_.kind.value.lower()} with id '{from_.id}'", id=from_.id, argument="from")
    if not search.found_to:
        raise NotFoundError(f"no {to.kind.value.lower()} with id '{to.id}'", id=to.id, argument="to")
    return [GraphPath.from_record(path, GraphPath.labels_of(path)) for path in search.paths]
