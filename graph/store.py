"""The customer graph as the API reads it: batched, key-ordered reads on the async driver.

``Neo4jGraphStore`` is the one adapter of the graph port. Every method takes a batch of ids
(as a DataLoader hands it over) and answers in the same order, with ``None`` or an empty list
where nothing exists. Reads are routed as reads, so a cluster serves them from followers.
Vendor errors are translated at this edge into the project's own errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, LiteralString, TypeVar

from neo4j import AsyncDriver, RoutingControl

from graph import listing, queries, records
from graph.model import (
    Customer,
    Department,
    Employee,
    ExternalId,
    HandOff,
    Interaction,
    Order,
    OrderLine,
    OrderStepRecord,
    Product,
    Ticket,
)
from graph.neo4j_errors import translated
from graph.records import Convert

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One window of a parent's related nodes, and how many there are in all."""

    items: list[T]
    total: int


class Relation(Enum):
    """A paged one-to-many relationship: its Cypher and the record its items become."""

    CUSTOMER_ORDERS = (queries.CUSTOMER_ORDERS, records.order)
    CUSTOMER_INTERACTIONS = (queries.CUSTOMER_INTERACTIONS, records.interaction)
    CUSTOMER_TICKETS = (queries.CUSTOMER_TICKETS, records.ticket)
    EMPLOYEE_REPORTS = (queries.EMPLOYEE_REPORTS, records.employee)
    EMPLOYEE_INTERACTIONS = (queries.EMPLOYEE_INTERACTIONS, records.interaction)
    EMPLOYEE_ACCOUNTS = (queries.EMPLOYEE_ACCOUNTS, records.customer)
    DEPARTMENT_EMPLOYEES = (queries.DEPARTMENT_EMPLOYEES, records.employee)
    PRODUCT_ORDERS = (queries.PRODUCT_ORDERS, records.order)


class Entity(Enum):
    """A listable label: how to list it and the record its nodes become."""

    CUSTOMER = (listing.CUSTOMERS, records.customer)
    ORDER = (listing.ORDERS, records.order)
    PRODUCT = (listing.PRODUCTS, records.product)
    EMPLOYEE = (listing.EMPLOYEES, records.employee)
    DEPARTMENT = (listing.DEPARTMENTS, records.department)
    INTERACTION = (listing.INTERACTIONS, records.interaction)
    TICKET = (listing.TICKETS, records.ticket)


class Neo4jGraphStore:
    """Batched reads of the customer graph; see the module docstring."""

    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self._driver = driver
        self._database = database

    async def read(self, query: LiteralString, **parameters: Any) -> list[Mapping[str, Any]]:
        """Run one read statement and return its records as mappings."""
        async with translated():
            records_, _, _ = await self._driver.execute_query(
                query, parameters, database_=self._database, routing_=RoutingControl.READ
            )
        return records_  # type: ignore[return-value]

    async def ping(self) -> bool:
        rows = await self.read(queries.PING)
        return bool(rows and rows[0]["ok"] == 1)

    # --- lookups by id ------------------------------------------------------------------

    async def customers(self, ids: Sequence[str]) -> list[Customer | None]:
        return await self._lookup(queries.GET_CUSTOMERS, ids, records.customer)

    async def orders(self, ids: Sequence[str]) -> list[Order | None]:
        return await self._lookup(queries.GET_ORDERS, ids, records.order)

    async def products(self, ids: Sequence[str]) -> list[Product | None]:
        return await self._lookup(queries.GET_PRODUCTS, ids, records.product)

    async def employees(self, ids: Sequence[str]) -> list[Employee | None]:
        return await self._lookup(queries.GET_EMPLOYEES, ids, records.employee)

    async def departments(self, ids: Sequence[str]) -> list[Department | None]:
        return await self._lookup(queries.GET_DEPARTMENTS, ids, records.department)

    async def interactions(self, ids: Sequence[str]) -> list[Interaction | None]:
        return await self._lookup(queries.GET_INTERACTIONS, ids, records.interaction)

    async def tickets(self, ids: Sequence[str]) -> list[Ticket | None]:
        return await self._lookup(queries.GET_TICKETS, ids, records.ticket)

    # --- short lists per parent ---------------------------------------------------------

    async def order_lines(self, order_ids: Sequence[str]) -> list[list[OrderLine]]:
        return await self._items(queries.ORDER_LINES, order_ids, records.order_line)

    async def order_steps(self, order_ids: Sequence[str]) -> list[list[OrderStepRecord]]:
        return await self._items(queries.ORDER_STEPS, order_ids, records.order_step)

    async def hand_offs(self, ticket_ids: Sequence[str]) -> list[list[HandOff]]:
        return await self._items(queries.TICKET_HAND_OFFS, ticket_ids, records.hand_off)

    async def customer_identities(self, customer_ids: Sequence[str]) -> list[list[ExternalId]]:
        return await self._items(queries.CUSTOMER_IDENTITIES, customer_ids, records.external_id)

    async def employee_identities(self, employee_ids: Sequence[str]) -> list[list[ExternalId]]:
        return await self._items(queries.EMPLOYEE_IDENTITIES, employee_ids, records.external_id)

    # --- pages per parent, and root lists -----------------------------------------------

    async def pages(self, relation: Relation, ids: Sequence[str], skip: int, limit: int) -> list[Page[Any]]:
        query, convert = relation.value
        rows = await self.read(query, ids=list(ids), skip=skip, limit=limit)
        by_id = {row["id"]: Page([convert(node) for node in row["page"]], row["total"]) for row in rows}
        return [by_id.get(id_, Page([], 0)) for id_ in ids]

    async def list_nodes(
        self, entity: Entity, filters: Mapping[str, object], sort: str, descending: bool, skip: int, limit: int
    ) -> list[Any]:
        spec, convert = entity.value
        rows = await self.read(spec.page_query(filters, sort, descending), **filters, skip=skip, limit=limit)
        return [convert(row["node"]) for row in rows]

    async def count_nodes(self, entity: Entity, filters: Mapping[str, object]) -> int:
        spec, _ = entity.value
        rows = await self.read(spec.count_query(filters), **filters)
        return int(rows[0]["total"])

    async def _lookup(self, query: LiteralString, ids: Sequence[str], convert: Convert[T]) -> list[T | None]:
        rows = await self.read(query, ids=list(dict.fromkeys(ids)))
        by_id = {row["id"]: convert(row["node"]) for row in rows}
        return [by_id.get(id_) for id_ in ids]

    async def _items(self, query: LiteralString, ids: Sequence[str], convert: Convert[T]) -> list[list[T]]:
        rows = await self.read(query, ids=list(dict.fromkeys(ids)))
        by_id = {row["id"]: [convert(item) for item in row["items"]] for row in rows}
        return [by_id.get(id_, []) for id_ in ids]
