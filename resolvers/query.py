"""The root query: each kind by id, and each kind as a filtered, sorted, paged list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import strawberry

from domain.errors import BadUserInputError
from graph import model
from graph.reads import Entity
from resolvers import cost
from resolvers.access import ensure_filterable
from resolvers.context import Info
from resolvers.entities.customer import Customer
from resolvers.entities.department import Department
from resolvers.entities.employee import Employee
from resolvers.entities.interaction import Interaction
from resolvers.entities.order import Order
from resolvers.entities.paging import NESTED_PAGE_SIZE
from resolvers.entities.product import Product
from resolvers.entities.ticket import Ticket
from resolvers.errors import found
from resolvers.inputs import (
    CustomerFilter,
    CustomerOrder,
    CustomerSortField,
    DepartmentFilter,
    EmployeeFilter,
    InteractionFilter,
    OrderFilter,
    OrderOrder,
    OrderSortField,
    ProductFilter,
    ProductOrder,
    ProductSortField,
    SortDirection,
    TicketFilter,
    TicketOrder,
    TicketSortField,
)
from resolvers.lookahead import customer_pages_asked, journey_page_asked
from resolvers.pagination import DEFAULT_PAGE_SIZE, Connection, connection, window
from resolvers.trace import fields as trace_fields

T = TypeVar("T")


def _memoized(count: Callable[[], Awaitable[int]]) -> Callable[[], Awaitable[int]]:
    known: list[int] = []

    async def once() -> int:
        if not known:
            known.append(await count())
        return known[0]

    return once


async def _list(
    info: Info,
    entity: Entity,
    filters: dict[str, object],
    sort: str,
    descending: bool,
    build: Callable[[Any], T],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[T]:
    ensure_filterable(info.context.access, entity.name.title(), filters, sort)
    store = info.context.store
    count = _memoized(lambda: store.count_nodes(entity, filters))
    total = await count() if last is not None and before is None else None
    page = window(first, after, last, before, total, info.context.max_page_size)
    if last is None:
        rows = await store.list_nodes(entity, filters, sort, descending, page.skip, page.limit + 1)
        has_next = len(rows) > page.limit
        rows = rows[: page.limit]
    else:
        rows = await store.list_nodes(entity, filters, sort, descending, page.skip, page.limit)
        has_next = page.end is not None and page.end < await count()
    return connection([build(row) for row in rows], page.skip, has_next_page=has_next, count=count)


async def _customer_with_journey(info: Info, id: str, first: int | None, after: str | None) -> model.Customer | None:
    """The customer as their journey page reads them: the page Customer.journey then finds loaded."""
    try:
        key = trace_fields.journey_key(info, id, None, first, after)
    except BadUserInputError:
        return await info.context.loaders.customer.load(id)  # the journey field reports it
    page = await info.context.trace_loaders.journeys.load(key)
    if page is None or page.customer is None:
        return None
    info.context.loaders.customer.prime(id, page.customer)
    return page.customer


@strawberry.type
class Query:
    @strawberry.field(description="One customer by id.", directives=[cost.weight(cost.STATEMENT_WEIGHT)])
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        # The pages the query asks of this customer are read with it: a 360 view is one statement.
        windows = customer_pages_asked(info, NESTED_PAGE_SIZE)
        loaders = info.context.loaders
        if windows:
            record = await loaders.customer_with_pages(id, windows)
        elif (journey_page := journey_page_asked(info)) is not None:
            record = await _customer_with_journey(info, id, *journey_page)
        else:
            record = await loaders.customer.load(id)
        return Customer.from_record(found(record, "customer", id))

    @strawberry.field(
        description="Customers, filtered, sorted and paged.",
        directives=[cost.page(DEFAULT_PAGE_SIZE, ("first", "last")), cost.weight(cost.STATEMENT_WEIGHT)],
    )
    async def customers(
        self,
        info: Info,
        filter: Annotated[CustomerFilter | None, cost.scanning("customers")] = None,
        order_by: Annotated[CustomerOrder | None, cost.scanning("customers")] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Customer]:
        order = order_by or CustomerOrder(field=CustomerSortField.NAME)
        filters = filter.to_store() if filter else {}
        descending = order.direction is SortDirection.DESC
        return await _list(
            info, Entity.CUSTOMER, filters, order.field.value, descending, Customer.from_record,
            first, after, last, before,
        )  # fmt: skip

    @strawberry.field(description="One order by id.", directives=[cost.weight(cost.STATEMENT_WEIGHT)])
    async def order(self, info: Info, id: strawberry.ID) -> Order | None:
        return Order.from_record(found(await info.context.loaders.order.load(id), "order", id))

    @strawberry.field(
        description="Orders, filtered, sorted (newest first by default) and paged.",
        directives=[cost.page(DEFAULT_PAGE_SIZE, ("first", "last")), cost.weight(cost.STATEMENT_WEIGHT)],
    )
    async def orders(
        self,
        info: Info,
        filter: Annotated[OrderFilter | None, cost.scanning("orders")] = None,
        order_by: Annotated[OrderOrder | None, cost.scanning("orders")] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Order]:
        order = order_by or OrderOrder(field=OrderSortField.PLACED_AT)
        filters = filter.to_store() if filter else {}
        descending = order.direction is SortDirection.DESC
        return await _list(
            info, Entity.ORDER, filters, order.field.value, descending, Order.from_record, first, after, last, before
        )

    @strawberry.field(description="One product by id.", directives=[cost.weight(cost.STATEMENT_WEIGHT)])
    async def product(self, info: Info, id: strawberry.ID) -> Product | None:
        return Product.from_record(found(await info.context.loaders.product.load(id), "product", id))

    @strawberry.field(
        description="Products, filtered, sorted and paged.",
        directives=[cost.page(DEFAULT_PAGE_SIZE, ("first", "last")), cost.weight(cost.STATEMENT_WEIGHT)],
    )
    async def products(
        self,
        info: Info,
        filter: Annotated[ProductFilter | None, cost.scanning("products")] = None,
        order_by: Annotated[ProductOrder | None, cost.scanning("products")] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Product]:
        order = order_by or ProductOrder(field=ProductSortField.NAME)
        filters = filter.to_store() if filter else {}
        descending = order.direction is SortDirection.DESC
        return await _list(
            info, Entity.PRODUCT, filters, order.field.value, descending, Product.from_record,
            first, after, last, before,
        )  # fmt: skip

    @strawberry.field(description="One employee by id.", directives=[cost.weight(cost.STATEMENT_WEIGHT)])
    async def employee(self, info: Info, id: strawberry.ID) -> Employee | None:
        return Employee.from_record(found(await info.context.loaders.employee.load(id), "employee", id))

    @strawberry.field(
        description="Employees by name, filtered and paged.",
        directives=[cost.page(DEFAULT_PAGE_SIZE, ("first", "last")), cost.weight(cost.STATEMENT_WEIGHT)],
    )
    async def employees(
        self,
        info: Info,
        filter: Annotated[EmployeeFilter | None, cost.scanning("employees")] = None,
        direction: SortDirection = SortDirection.ASC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Employee]:
        filters = filter.to_store() if filter else {}
        descending = direction is SortDirection.DESC
        return await _list(
            info, Entity.EMPLOYEE, filters, "NAME", descending, Employee.from_record, first, after, last, before
        )

    @strawberry.field(description="One department by id.", directives=[cost.weight(cost.STATEMENT_WEIGHT)])
    async def department(self, info: Info, id: strawberry.ID) -> Department | None:
        return Department.from_record(found(await info.context.loaders.department.load(id), "department", id))

    @strawberry.field(
        description="Departments by name, filtered and paged.",
        directives=[cost.page(DEFAULT_PAGE_SIZE, ("first", "last")), cost.weight(cost.STATEMENT_WEIGHT)],
    )
    async def departments(
        self,
        info: Info,
        filter: Annotated[DepartmentFilter | None, cost.scanning("departments")] = None,
        direction: SortDirection = SortDirection.ASC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Department]:
        filters = filter.to_store() if filter else {}
        descending = direction is SortDirection.DESC
        return await _list(
            info, Entity.DEPARTMENT, filters, "NAME", descending, Department.from_record, first, after, last, before
        )

    @strawberry.field(description="One interaction by id.", directives=[cost.weight(cost.STATEMENT_WEIGHT)])
    async def interaction(self, info: Info, id: strawberry.ID) -> Interaction | None:
        return Interaction.from_record(found(await info.context.loaders.interaction.load(id), "interaction", id))

    @strawberry.field(
        description="Interactions, newest first by default, filtered and paged.",
        directives=[cost.page(DEFAULT_PAGE_SIZE, ("first", "last")), cost.weight(cost.STATEMENT_WEIGHT)],
    )
    async def interactions(
        self,
        info: Info,
        filter: Annotated[InteractionFilter | None, cost.scanning("interactions")] = None,
        direction: SortDirection = SortDirection.DESC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Interaction]:
        filters = filter.to_store() if filter else {}
        descending = direction is SortDirection.DESC
        return await _list(
            info, Entity.INTERACTION, filters, "AT", descending, Interaction.from_record, first, after, last, before
        )

    @strawberry.field(description="One ticket by id.", directives=[cost.weight(cost.STATEMENT_WEIGHT)])
    async def ticket(self, info: Info, id: strawberry.ID) -> Ticket | None:
        return Ticket.from_record(found(await info.context.loaders.ticket.load(id), "ticket", id))

    @strawberry.field(
        description="Tickets, filtered, sorted (newest first by default) and paged.",
        directives=[cost.page(DEFAULT_PAGE_SIZE, ("first", "last")), cost.weight(cost.STATEMENT_WEIGHT)],
    )
    async def tickets(
        self,
        info: Info,
        filter: Annotated[TicketFilter | None, cost.scanning("tickets")] = None,
        order_by: Annotated[TicketOrder | None, cost.scanning("tickets")] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Ticket]:
        order = order_by or TicketOrder(field=TicketSortField.OPENED_AT)
        filters = filter.to_store() if filter else {}
        descending = order.direction is SortDirection.DESC
        return await _list(
            info, Entity.TICKET, filters, order.field.value, descending, Ticket.from_record, first, after, last, before
        )
