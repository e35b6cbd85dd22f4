"""The graph's entities as GraphQL types, with their relationships both ways.

Each type is a federation entity keyed by ``id`` and is built from the model's record by
``from_record``. Scalar fields are plain attributes (no resolver call per field); every
relationship goes through the request's DataLoaders, so a query level costs one Cypher
statement per field however many parents it has.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Any, Self, TypeVar, cast

import strawberry

from graph import model
from graph.reads import Relation
from resolvers import cost
from resolvers.context import Info
from resolvers.enums import (
    Channel,
    DepartmentKind,
    Function,
    OrderStatus,
    OrderStep,
    Priority,
    Segment,
    SourceSystem,
    TicketStatus,
    Tier,
)
from resolvers.inputs import TimeWindow
from resolvers.live import fields as live_fields
from resolvers.live.crm import CRM_PROFILE, CrmProfile
from resolvers.live.erp import ERP_ACCOUNT, ORDER_LIVE, PRODUCT_STOCK, ErpAccount, OrderLive, ProductStock
from resolvers.live.helpdesk import HELPDESK_SUMMARY, TICKET_LIVE, HelpdeskSummary, TicketLive
from resolvers.live.hr import EMPLOYEE_AVAILABILITY, EmployeeAvailability
from resolvers.loaders import load_wrapped, now_or_later
from resolvers.lookahead import customer_relation
from resolvers.pagination import Connection, connection, forward_window, known_total
from resolvers.trace import fields as trace_fields
from resolvers.trace.fields import JourneyFilterInput
from resolvers.trace.types import (
    CustomerContacts,
    CustomerExpert,
    DepartmentFlow,
    HandOffChain,
    JourneyEvent,
    employee_by_id,
)

NESTED_PAGE_SIZE = 10
T = TypeVar("T")


async def _page(info: Info, relation: Relation, parent_id: str, first: int | None, after: str | None) -> Any:
    """A connection over one parent's related nodes, loaded in a batch with its siblings."""
    window = forward_window(first, after, info.context.max_page_size, NESTED_PAGE_SIZE)
    page = await info.context.loaders.page(relation, (parent_id, window.skip, window.limit + 1))
    return page, window


def _connection(
    info: Info, relation: Relation, parent_id: str, first: int | None, after: str | None, build: Any
) -> Any:
    """A connection over one parent's related nodes, batched with its siblings: at once (no
    coroutine for graphql-core to drive) when the page was read ahead with its parent."""
    window = forward_window(first, after, info.context.max_page_size, NESTED_PAGE_SIZE)
    return info.context.loaders.page_now(
        relation, (parent_id, window.skip, window.limit + 1), lambda page: _wrap(page, window, build)
    )


def _wrap(page: Any, window: Any, build: Any) -> Any:
    items = page.items[: window.limit]
    return connection(
        [build(item) for item in items],
        window.skip,
        has_next_page=len(page.items) > window.limit,
        count=known_total(page.total),
    )


@strawberry.type(description="The same customer or employee as a source system knows them.")
class ExternalIdentity:
    system: SourceSystem
    key: str


@strawberry.federation.type(keys=["id"], description="A customer: the center of the graph.")
class Customer:
    id: strawberry.ID
    name: str
    email: str
    segment: Segment
    tier: Tier
    lifetime_value: float
    since: datetime
    owner_id: strawberry.Private[str | None]

    @classmethod
    def from_record(cls, record: model.Customer) -> Self:
        return cls(
            id=strawberry.ID(record.id),
            name=record.name,
            email=record.email,
            segment=record.segment,
            tier=record.tier,
            lifetime_value=record.lifetime_value,
            since=record.since,
            owner_id=record.owner_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        return await load_wrapped(info.context.loaders.customer, id, cls.from_record)

    @strawberry.field(description="The account owner.")
    def owner(self, info: Info) -> Employee | None:
        return _employee_now(info, self.owner_id)

    @strawberry.field(description="Orders, newest first.", directives=[cost.page(NESTED_PAGE_SIZE)])
    def orders(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Order]:
        # Lines asked for too: read them (and their products) with the page, not a level later.
        relation = customer_relation(info, "orders")
        return _connection(info, relation, self.id, first, after, Order.from_record)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Interactions on any channel with any employee, newest first.",
        directives=[cost.page(NESTED_PAGE_SIZE)],
    )
    def interactions(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Interaction]:
        # The employee asked for too: read it (and its department) with the page.
        relation = customer_relation(info, "interactions")
        return _connection(info, relation, self.id, first, after, Interaction.from_record)  # type: ignore[no-any-return]

    @strawberry.field(description="Support tickets, newest first.", directives=[cost.page(NESTED_PAGE_SIZE)])
    def tickets(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Ticket]:
        relation = customer_relation(info, "tickets")
        return _connection(info, relation, self.id, first, after, Ticket.from_record)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Keys of this customer in the systems of record.",
        directives=[cost.list_size(cost.IDENTITY_SYSTEMS)],
    )
    async def identities(self, info: Info) -> list[ExternalIdentity]:
        found = await info.context.loaders.customer_identities.load(self.id)
        return [ExternalIdentity(system=item.system, key=item.key) for item in found]

    @strawberry.field(
        description="The customer's profile and pipeline in the CRM, by their CRM key. Live: null, with a "
        "SOURCE_UNAVAILABLE error, when the CRM cannot answer; null without one when it does not know the customer.",
        directives=[cost.weight(cost.LIVE_WEIGHT)],
    )
    async def crm(self, info: Info) -> CrmProfile | None:
        return await live_fields.by_identity(
            info, CRM_PROFILE, "customer", self.id, SourceSystem.CRM, CrmProfile.from_record
        )

    @strawberry.field(
        description="The customer's account in the ERP (unpaid and overdue invoices, last order), by their ERP "
        "key. Live: null, with a SOURCE_UNAVAILABLE error, when the ERP cannot answer.",
        directives=[cost.weight(cost.LIVE_WEIGHT)],
    )
    async def erp_account(self, info: Info) -> ErpAccount | None:
        return await live_fields.by_identity(
            info, ERP_ACCOUNT, "customer", self.id, SourceSystem.ERP, ErpAccount.from_record
        )

    @strawberry.field(
        description="The customer's open tickets and last contact in the helpdesk, by their helpdesk key. Live: "
        "null, with a SOURCE_UNAVAILABLE error, when the helpdesk cannot answer.",
        directives=[cost.weight(cost.LIVE_WEIGHT)],
    )
    async def helpdesk_summary(self, info: Info) -> HelpdeskSummary | None:
        return await live_fields.by_identity(
            info, HELPDESK_SUMMARY, "customer", self.id, SourceSystem.HELPDESK, HelpdeskSummary.from_record
        )

    @strawberry.field(
        description="Every event of the customer's journey in time order, filtered and paged.",
        directives=[cost.page(trace_fields.JOURNEY_PAGE_SIZE), cost.weight(cost.JOURNEY_WEIGHT)],
    )
    async def journey(
        self, info: Info, filter: JourneyFilterInput | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[JourneyEvent]:
        found = await trace_fields.journey(info, self.id, filter, first, after)
        return found or connection([], 0, has_next_page=False, count=known_total(0))

    @strawberry.field(
        description="Departments and employees that touched this customer (see Query.whoTouched).",
        directives=[cost.weight(cost.CONTACTS_WEIGHT)],
    )
    async def touched_by(self, info: Info) -> CustomerContacts:
        return await trace_fields.touched_by(info, self.id) or CustomerContacts(departments=[], employees=[])

    @strawberry.field(
        description="Employees who know this customer best (scoring: see Query.whoKnowsBest).",
        directives=[cost.list_size(trace_fields.EXPERTS_DEFAULT, ["first"]), cost.weight(cost.EXPERT_WEIGHT)],
    )
    async def known_best_by(
        self, info: Info, first: int = trace_fields.EXPERTS_DEFAULT, as_of: datetime | None = None
    ) -> list[CustomerExpert]:
        return await trace_fields.known_best_by(info, self.id, first, as_of) or []


@strawberry.federation.type(keys=["id"])
class Product:
    id: strawberry.ID
    sku: str
    name: str
    category: str
    price: float

    @classmethod
    def from_record(cls, record: model.Product) -> Self:
        return cls(
            id=strawberry.ID(record.id), sku=record.sku, name=record.name, category=record.category, price=record.price
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        return await load_wrapped(info.context.loaders.product, id, cls.from_record)

    @strawberry.field(
        description="Orders that contain this product, newest first.", directives=[cost.page(NESTED_PAGE_SIZE)]
    )
    async def orders(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Order]:
        page, window = await _page(info, Relation.PRODUCT_ORDERS, self.id, first, after)
        return _wrap(page, window, Order.from_record)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Stock in the warehouse, from the ERP. Live: null, with a SOURCE_UNAVAILABLE error, when the "
        "ERP cannot answer.",
        directives=[cost.weight(cost.LIVE_WEIGHT)],
    )
    async def stock(self, info: Info) -> ProductStock | None:
        return await live_fields.by_graph_id(info, PRODUCT_STOCK, self.id, ProductStock.from_record)


@strawberry.type(description="One product on an order.")
class OrderLine:
    quantity: int
    price: float
    product_id: strawberry.Private[str]

    @strawberry.field
    def product(self, info: Info) -> Product | None:
        return _now(now_or_later(info.context.loaders.product, self.product_id, _product_or_none))


@strawberry.type(description="One step of an order (sale, build, pick, ship, invoice) and who handled it.")
class OrderStepEvent:
    step: OrderStep
    at: datetime
    employee_id: strawberry.Private[str]

    @strawberry.field
    async def employee(self, info: Info) -> Employee | None:
        return await employee_by_id(info, self.employee_id)


@strawberry.federation.type(keys=["id"])
class Order:
    id: strawberry.ID
    placed_at: datetime
    status: OrderStatus
    total: float
    currency: str
    customer_id: strawberry.Private[str]

    @classmethod
    def from_record(cls, record: model.Order) -> Self:
        return cls(
            id=strawberry.ID(record.id),
            placed_at=record.placed_at,
            status=record.status,
            total=record.total,
            currency=record.currency,
            customer_id=record.customer_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        return await load_wrapped(info.context.loaders.order, id, cls.from_record)

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await load_wrapped(info.context.loaders.customer, self.customer_id, Customer.from_record)

    @strawberry.field(description="The products on this order.", directives=[cost.list_size(cost.LINES_PER_ORDER)])
    def lines(self, info: Info) -> list[OrderLine]:
        return _now(now_or_later(info.context.loaders.order_lines, self.id, _order_lines))

    @strawberry.field(
        description="Each step of the order in time order, with who handled it.",
        directives=[cost.list_size(len(OrderStep))],
    )
    async def steps(self, info: Info) -> list[OrderStepEvent]:
        found = await info.context.loaders.order_steps.load(self.id)
        return [OrderStepEvent(step=step.step, at=step.at, employee_id=step.employee_id) for step in found]

    @strawberry.field(
        description="The order as the ERP sees it now: status, shipment, invoice and payment. Live: null, with a "
        "SOURCE_UNAVAILABLE error, when the ERP cannot answer.",
        directives=[cost.weight(cost.LIVE_WEIGHT)],
    )
    async def live(self, info: Info) -> OrderLive | None:
        return await live_fields.by_graph_id(info, ORDER_LIVE, self.id, OrderLive.from_record)


@strawberry.federation.type(keys=["id"], description="A department of the front or back office.")
class Department:
    id: strawberry.ID
    name: str
    kind: DepartmentKind
    function: Function

    @classmethod
    def from_record(cls, record: model.Department) -> Self:
        return cls(id=strawberry.ID(record.id), name=record.name, kind=record.kind, function=record.function)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        return await load_wrapped(info.context.loaders.department, id, cls.from_record)

    @strawberry.field(
        description="People who work in this department, by name.", directives=[cost.page(NESTED_PAGE_SIZE)]
    )
    async def employees(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Employee]:
        page, window = await _page(info, Relation.DEPARTMENT_EMPLOYEES, self.id, first, after)
        return _wrap(page, window, Employee.from_record)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Departments that hand this one tickets (see Query.departmentFlows).",
        directives=[cost.list_size(cost.DEPARTMENTS), cost.weight(cost.FLOW_WEIGHT)],
    )
    async def internal_customers(
        self, info: Info, window: TimeWindow | None = None, as_of: datetime | None = None
    ) -> list[DepartmentFlow]:
        return await trace_fields.internal_customers(info, self.id, window, as_of)

    @strawberry.field(
        description="Departments this one hands tickets to (see Query.departmentFlows).",
        directives=[cost.list_size(cost.DEPARTMENTS), cost.weight(cost.FLOW_WEIGHT)],
    )
    async def hands_work_to(
        self, info: Info, window: TimeWindow | None = None, as_of: datetime | None = None
    ) -> list[DepartmentFlow]:
        return await trace_fields.hands_work_to(info, self.id, window, as_of)


@strawberry.federation.type(keys=["id"], description="Anyone in the company: everyone may serve a customer.")
class Employee:
    id: strawberry.ID
    name: str
    email: str
    title: str
    department_id: strawberry.Private[str | None]
    manager_id: strawberry.Private[str | None]

    @classmethod
    def from_record(cls, record: model.Employee) -> Self:
        return cls(
            id=strawberry.ID(record.id),
            name=record.name,
            email=record.email,
            title=record.title,
            department_id=record.department_id,
            manager_id=record.manager_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        return await employee_by_id(info, id)  # type: ignore[return-value]

    @strawberry.field
    def department(self, info: Info) -> Department | None:
        if self.department_id is None:
            return None
        return _now(now_or_later(info.context.loaders.department, self.department_id, _department_or_none))

    @strawberry.field(description="The person this employee reports to.")
    async def manager(self, info: Info) -> Employee | None:
        return await employee_by_id(info, self.manager_id)

    @strawberry.field(description="Direct reports, by name.", directives=[cost.page(NESTED_PAGE_SIZE)])
    async def reports(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Employee]:
        page, window = await _page(info, Relation.EMPLOYEE_REPORTS, self.id, first, after)
        return _wrap(page, window, Employee.from_record)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Interactions this employee had with customers, newest first.",
        directives=[cost.page(NESTED_PAGE_SIZE)],
    )
    async def interactions(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Interaction]:
        page, window = await _page(info, Relation.EMPLOYEE_INTERACTIONS, self.id, first, after)
        return _wrap(page, window, Interaction.from_record)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Customers whose account this employee owns, by name.", directives=[cost.page(NESTED_PAGE_SIZE)]
    )
    async def accounts(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Customer]:
        page, window = await _page(info, Relation.EMPLOYEE_ACCOUNTS, self.id, first, after)
        return _wrap(page, window, Customer.from_record)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Keys of this employee in the systems of record.",
        directives=[cost.list_size(cost.IDENTITY_SYSTEMS)],
    )
    async def identities(self, info: Info) -> list[ExternalIdentity]:
        found = await info.context.loaders.employee_identities.load(self.id)
        return [ExternalIdentity(system=item.system, key=item.key) for item in found]

    @strawberry.field(
        description="Whether the employee can be reached now (out of office, busy), from the HR directory by their "
        "HR key. Live: null, with a SOURCE_UNAVAILABLE error, when HR cannot answer.",
        directives=[cost.weight(cost.LIVE_WEIGHT)],
    )
    async def availability(self, info: Info) -> EmployeeAvailability | None:
        return await live_fields.by_identity(
            info, EMPLOYEE_AVAILABILITY, "employee", self.id, SourceSystem.HR, EmployeeAvailability.from_record
        )


@strawberry.federation.type(keys=["id"], description="A touchpoint: any channel, any employee.")
class Interaction:
    id: strawberry.ID
    at: datetime
    channel: Channel
    summary: str
    customer_id: strawberry.Private[str]
    employee_id: strawberry.Private[str]

    @classmethod
    def from_record(cls, record: model.Interaction) -> Self:
        return cls(
            id=strawberry.ID(record.id),
            at=record.at,
            channel=record.channel,
            summary=record.summary,
            customer_id=record.customer_id,
            employee_id=record.employee_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        return await load_wrapped(info.context.loaders.interaction, id, cls.from_record)

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await load_wrapped(info.context.loaders.customer, self.customer_id, Customer.from_record)

    @strawberry.field
    def employee(self, info: Info) -> Employee | None:
        return _employee_now(info, self.employee_id)


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


def _now(value: T | Awaitable[T]) -> T:
    """A value for a synchronous resolver that may instead be an awaitable, which graphql-core
    awaits: typed as the value, since that is the GraphQL type the field declares."""
    return cast(T, value)


def _employee_now(info: Info, employee_id: str | None) -> Employee | None:
    """As ``trace_types.employee_by_id``, at once when the employee was read ahead (see ``now_or_later``)."""
    if employee_id is None:
        return None
    return _now(now_or_later(info.context.loaders.employee, employee_id, _employee_or_none))


def _employee_or_none(record: model.Employee | None) -> Employee | None:
    return None if record is None else Employee.from_record(record)


def _department_or_none(record: model.Department | None) -> Department | None:
    return None if record is None else Department.from_record(record)


def _product_or_none(record: model.Product | None) -> Product | None:
    return None if record is None else Product.from_record(record)


def _order_lines(found: list[model.OrderLine]) -> list[OrderLine]:
    return [OrderLine(quantity=line.quantity, price=line.price, product_id=line.product_id) for line in found]
