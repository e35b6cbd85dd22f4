"""GraphQL types of the traces that hang off entities: journeys, contacts, hand-off chains, flows.

These types point back at the entities of ``resolvers.entities`` (which in turn offers them as
fields of Customer, Ticket and Department), so the entity types are referenced lazily and
looked up through the request's DataLoaders: a list of events costs one statement per kind
of entity it names, however long it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeAlias, cast

import strawberry

from graph.trace import model as trace_model
from resolvers import cost
from resolvers.context import Info
from resolvers.enums import Channel, DepartmentKind, OrderStep
from resolvers.loaders import load_wrapped, peek

if TYPE_CHECKING:
    from resolvers.entities.department import Department
    from resolvers.entities.employee import Employee
    from resolvers.entities.interaction import Interaction
    from resolvers.entities.order import Order
    from resolvers.entities.ticket import Ticket

LazyEmployee = Annotated["Employee", strawberry.lazy("resolvers.entities.employee")]
LazyDepartment = Annotated["Department", strawberry.lazy("resolvers.entities.department")]
LazyOrder = Annotated["Order", strawberry.lazy("resolvers.entities.order")]
LazyTicket = Annotated["Ticket", strawberry.lazy("resolvers.entities.ticket")]
LazyInteraction = Annotated["Interaction", strawberry.lazy("resolvers.entities.interaction")]

strawberry.enum(trace_model.JourneyEventKind, description="What happened on a customer's journey, in tie order.")
JourneyEventKind: TypeAlias = trace_model.JourneyEventKind


async def employee_by_id(info: Info, employee_id: str | None) -> Employee | None:
    """The employee of the id, through the request's loader; the one way every type reads one."""
    from resolvers.entities.employee import Employee

    return await load_wrapped(info.context.loaders.employee, employee_id, Employee.from_record)


async def department_by_id(info: Info, department_id: str | None) -> Department | None:
    """The department of the id, through the request's loader."""
    from resolvers.entities.department import Department

    return await load_wrapped(info.context.loaders.department, department_id, Department.from_record)


@strawberry.type(description="One event of a customer's journey, with the employee and department involved.")
class JourneyEvent:
    at: datetime
    kind: JourneyEventKind
    step: OrderStep | None = strawberry.field(description="The order step, for ORDER_STEP events.")
    channel: Channel | None = strawberry.field(description="The channel, for INTERACTION events.")
    detail: str | None = strawberry.field(
        description="Order status, interaction summary, ticket subject, hand-off reason or closing status."
    )
    office: DepartmentKind | None = strawberry.field(
        description="Whether the department involved is front or back office; null when nobody was involved."
    )
    record: strawberry.Private[trace_model.JourneyEvent]

    @classmethod
    def from_record(cls, record: trace_model.JourneyEvent) -> JourneyEvent:
        return cls(
            at=record.at,
            kind=record.kind,
            step=record.step,
            channel=record.channel,
            detail=record.detail,
            office=record.office,
            record=record,
        )

    @strawberry.field(description="Who handled the step, had the interaction, got or closed the ticket.")
    def employee(self, info: Info) -> LazyEmployee | None:
        # At once when the journey read its people along (the usual case), else awaited.
        from resolvers.entities.employee import Employee

        employee_id = self.record.employee_id
        if employee_id is None:
            return None
        held, record = peek(info.context.loaders.employee, employee_id)
        if held:
            return None if record is None else Employee.from_record(record)
        return cast("Employee | None", employee_by_id(info, employee_id))

    @strawberry.field(description="The employee's department.")
    def department(self, info: Info) -> LazyDepartment | None:
        from resolvers.entities.department import Department

        department_id = self.record.department_id
        if department_id is None:
            return None
        held, record = peek(info.context.loaders.department, department_id)
        if held:
            return None if record is None else Department.from_record(record)
        return cast("Department | None", self._department_later(info, department_id))

    async def _department_later(self, info: Info, department_id: str) -> Department | None:
        if self.record.employee_id is not None:
            # The employee lookup reads their department too (and primes its loader): wait for
            # that one statement rather than send a second for the departments.
            await info.context.loaders.employee.load(self.record.employee_id)
        return await department_by_id(info, department_id)

    @strawberry.field(description="Who handed the ticket over, for TICKET_HANDED_OFF events after the first.")
    async def handed_off_by(self, info: Info) -> LazyEmployee | None:
        return await employee_by_id(info, self.record.by_id)

    @strawberry.field
    async def order(self, info: Info) -> LazyOrder | None:
        from resolvers.entities.order import Order

        return await load_wrapped(info.context.loaders.order, self.record.order_id, Order.from_record)

    @strawberry.field
    async def ticket(self, info: Info) -> LazyTicket | None:
        from resolvers.entities.ticket import Ticket

        return await load_wrapped(info.context.loaders.ticket, self.record.ticket_id, Ticket.from_record)

    @strawberry.field
    async def interaction(self, info: Info) -> LazyInteraction | None:
        from resolvers.entities.interaction import Interaction

        return await load_wrapped(info.context.loaders.interaction, self.record.interaction_id, Interaction.from_record)


@strawberry.type(description="How one employee dealt with a customer: counts by kind of contact.")
class EmployeeContact:
    interactions: int
    order_steps: int
    hand_offs: int = strawberry.field(description="Hand-offs of the customer's tickets to this employee.")
    contacts: int = strawberry.field(description="Interactions, order steps and hand-offs together.")
    account_owner: bool
    last_contact: datetime | None = strawberry.field(description="Null when the only link is account ownership.")
    office: DepartmentKind | None
    employee_id: strawberry.Private[str]
    department_id: strawberry.Private[str | None]

    @strawberry.field
    async def employee(self, info: Info) -> LazyEmployee | None:
        return await employee_by_id(info, self.employee_id)

    @strawberry.field
    async def department(self, info: Info) -> LazyDepartment | None:
        return await department_by_id(info, self.department_id)


@strawberry.type(description="How one department's people dealt with a customer, summed.")
class DepartmentContact:
    people: int = strawberry.field(description="How many of its employees were involved.")
    interactions: int
    order_steps: int
    hand_offs: int
    contacts: int
    account_owner: bool = strawberry.field(description="The account owner works in this department.")
    last_contact: datetime | None
    office: DepartmentKind | None
    department_id: strawberry.Private[str]

    @strawberry.field
    async def department(self, info: Info) -> LazyDepartment | None:
        return await department_by_id(info, self.department_id)


@strawberry.type(description="Who touched a customer, most contacts first.")
class CustomerContacts:
    departments: list[DepartmentContact] = strawberry.field(directives=[cost.list_size(cost.DEPARTMENTS)])
    employees: list[EmployeeContact] = strawberry.field(directives=[cost.list_size(cost.CONTACTS_PER_CUSTOMER)])

    @classmethod
    def from_record(cls, record: trace_model.CustomerContacts) -> CustomerContacts:
        return cls(
            departments=[
                DepartmentContact(
                    people=touch.employees,
                    interactions=touch.interactions,
                    order_steps=touch.order_steps,
                    hand_offs=touch.hand_offs,
                    contacts=touch.contacts,
                    account_owner=touch.owner,
                    last_contact=touch.last_contact,
                    office=touch.office,
                    department_id=touch.key_id,
                )
                for touch in record.departments
            ],
            employees=[
                EmployeeContact(
                    interactions=touch.interactions,
                    order_steps=touch.order_steps,
                    hand_offs=touch.hand_offs,
                    contacts=touch.contacts,
                    account_owner=touch.owner,
                    last_contact=touch.last_contact,
                    office=touch.office,
                    employee_id=touch.key_id,
                    department_id=touch.department_id,
                )
                for touch in record.employees
            ],
        )


@strawberry.type(description="An employee ranked by how well they know a customer (see whoKnowsBest).")
class CustomerExpert:
    rank: int
    score: float
    account_owner: bool
    interactions: int
    order_steps: int
    hand_offs: int
    last_contact: datetime | None
    employee_id: strawberry.Private[str]

    @classmethod
    def ranked(cls, records: list[trace_model.Familiarity]) -> list[CustomerExpert]:
        return [
            cls(
                rank=rank,
                score=round(record.score, 6),
                account_owner=record.owner,
                interactions=record.interactions,
                order_steps=record.order_steps,
                hand_offs=record.hand_offs,
                last_contact=record.last_contact,
                employee_id=record.employee_id,
            )
            for rank, record in enumerate(records, start=1)
        ]

    @strawberry.field
    async def employee(self, info: Info) -> LazyEmployee | None:
        return await employee_by_id(info, self.employee_id)


@strawberry.type(description="One hop of a ticket: to whom, from whom, when, and how long it waited there.")
class HandOffHop:
    position: int = strawberry.field(description="1 for the first assignment.")
    at: datetime
    until: datetime = strawberry.field(description="The next hop, the close, or asOf for the current holder.")
    wait_seconds: float = strawberry.field(description="Seconds the ticket sat at this hop.")
    reason: str
    current: bool = strawberry.field(description="The ticket is open and sits here now.")
    record: strawberry.Private[trace_model.Hop]

    @strawberry.field(description="Who got the ticket.")
    async def employee(self, info: Info) -> LazyEmployee | None:
        return await employee_by_id(info, self.record.employee_id)

    @strawberry.field(description="The department it went to.")
    async def department(self, info: Info) -> LazyDepartment | None:
        return await department_by_id(info, self.record.department_id)

    @strawberry.field(description="Who handed it over; null for the first assignment.")
    async def by(self, info: Info) -> LazyEmployee | None:
        return await employee_by_id(info, self.record.by_id)

    @strawberry.field(description="The department of who handed it over.")
    async def from_department(self, info: Info) -> LazyDepartment | None:
        return await department_by_id(info, self.record.from_department_id)


@strawberry.type(description="A ticket's hand-off chain as of a moment, with the wait at each hop.")
class HandOffChain:
    closed: bool = strawberry.field(description="The ticket was closed by asOf.")
    hops: list[HandOffHop] = strawberry.field(directives=[cost.list_size(cost.HAND_OFFS_PER_TICKET)])
    total_wait_seconds: float

    @classmethod
    def from_record(cls, record: trace_model.HandOffChain) -> HandOffChain:
        hops = [
            HandOffHop(
                position=position,
                at=hop.at,
                until=hop.until,
                wait_seconds=hop.wait_seconds,
                reason=hop.reason,
                current=hop.current,
                record=hop,
            )
            for position, hop in enumerate(record.hops, start=1)
        ]
        return cls(closed=record.closed, hops=hops, total_wait_seconds=sum(hop.wait_seconds for hop in hops))


@strawberry.type(
    description="Hand-offs between two departments and the waits at the receiving end (median, 90th percentile)."
)
class DepartmentFlow:
    hand_offs: int
    tickets: int
    median_wait_seconds: float
    p90_wait_seconds: float
    department_id: strawberry.Private[str]

    @classmethod
    def from_record(cls, record: trace_model.DepartmentFlow) -> DepartmentFlow:
        return cls(
            hand_offs=record.hand_offs,
            tickets=record.tickets,
            median_wait_seconds=record.median_wait_seconds,
            p90_wait_seconds=record.p90_wait_seconds,
            department_id=record.department_id,
        )

    @strawberry.field(description="The other department.")
    async def department(self, info: Info) -> LazyDepartment | None:
        return await department_by_id(info, self.department_id)
