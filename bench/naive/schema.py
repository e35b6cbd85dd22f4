"""The naive peer: our schema's shape with hand-written resolvers and no DataLoaders.

Every relationship field runs its own Cypher statement for its own parent, as resolvers
written without batching do: a list of 50 customers asking for their orders and
interactions costs 1 + 50 + 50 statements, where the service's DataLoaders need 3. The types,
field names, enums, cursors and scalars are the service's (``resolvers.enums``,
``resolvers.pagination``), so the same query returns the same JSON; only the fields the
benchmark queries use are here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, LiteralString

import strawberry
from neo4j import AsyncDriver, RoutingControl

from bench.naive import cypher
from graph.trace import path_queries
from graph.trace import queries as trace_queries
from resolvers.enums import (
    Channel,
    DepartmentKind,
    Function,
    OrderStatus,
    OrderStep,
    Priority,
    Segment,
    TicketStatus,
    Tier,
)
from resolvers.pagination import Connection, connection, forward_window, known_total
from resolvers.trace.reports import EntityKind, EntityRef, PathDirection, RelationshipType
from resolvers.trace.types import JourneyEventKind

NESTED_PAGE_SIZE = 10
LIST_PAGE_SIZE = 20
JOURNEY_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass
class NaiveContext:
    driver: AsyncDriver
    database: str = "neo4j"

    async def rows(self, query: LiteralString, **parameters: Any) -> list[Any]:
        records, _, _ = await self.driver.execute_query(
            query, parameters, database_=self.database, routing_=RoutingControl.READ
        )
        return records


NaiveInfo = strawberry.Info[NaiveContext, None]


def _time(value: Any) -> datetime:
    if isinstance(value, str):  # the journey's Cypher returns ISO strings
        return datetime.fromisoformat(value)
    return value.to_native()  # type: ignore[no-any-return]


async def _page(info: NaiveInfo, query: LiteralString, parent_id: str, first: int | None, after: str | None) -> Any:
    window = forward_window(first, after, MAX_PAGE_SIZE, NESTED_PAGE_SIZE)
    rows = await info.context.rows(query, id=parent_id, skip=window.skip, limit=window.limit + 1)
    return rows, window


def _connection(rows: list[Any], window: Any, build: Any, count: Any) -> Any:
    return connection(
        [build(row["node"]) for row in rows[: window.limit]],
        window.skip,
        has_next_page=len(rows) > window.limit,
        count=count,
    )


def _counter(info: NaiveInfo, query: LiteralString, parent_id: str) -> Any:
    async def count() -> int:
        rows = await info.context.rows(query, id=parent_id)
        return int(rows[0]["total"]) if rows else 0

    return count


@strawberry.type
class Department:
    id: strawberry.ID
    name: str
    kind: DepartmentKind
    function: Function

    @classmethod
    def of(cls, node: Any) -> Department:
        return cls(
            id=node["id"], name=node["name"], kind=DepartmentKind(node["kind"]), function=Function(node["function"])
        )


@strawberry.type
class Employee:
    id: strawberry.ID
    name: str
    email: str
    title: str

    @classmethod
    def of(cls, node: Any) -> Employee:
        return cls(id=node["id"], name=node["name"], email=node["email"], title=node["title"])

    @strawberry.field
    async def department(self, info: NaiveInfo) -> Department | None:
        rows = await info.context.rows(cypher.EMPLOYEE_DEPARTMENT, id=self.id)
        return Department.of(rows[0]["node"]) if rows else None


@strawberry.type
class Product:
    id: strawberry.ID
    sku: str
    name: str
    category: str
    price: float

    @classmethod
    def of(cls, node: Any) -> Product:
        return cls(id=node["id"], sku=node["sku"], name=node["name"], category=node["category"], price=node["price"])


@strawberry.type
class OrderLine:
    quantity: int
    price: float
    product_id: strawberry.Private[str]

    @strawberry.field
    async def product(self, info: NaiveInfo) -> Product | None:
        rows = await info.context.rows(cypher.PRODUCT, id=self.product_id)
        return Product.of(rows[0]["node"]) if rows else None


@strawberry.type
class Order:
    id: strawberry.ID
    placed_at: datetime
    status: OrderStatus
    total: float
    currency: str

    @classmethod
    def of(cls, node: Any) -> Order:
        return cls(
            id=node["id"],
            placed_at=_time(node["placed_at"]),
            status=OrderStatus(node["status"]),
            total=node["total"],
            currency=node["currency"],
        )

    @strawberry.field
    async def lines(self, info: NaiveInfo) -> list[OrderLine]:
        rows = await info.context.rows(cypher.ORDER_LINES, id=self.id)
        return [OrderLine(quantity=row["quantity"], price=row["price"], product_id=row["product_id"]) for row in rows]


@strawberry.type
class Interaction:
    id: strawberry.ID
    at: datetime
    channel: Channel
    summary: str

    @classmethod
    def of(cls, node: Any) -> Interaction:
        return cls(id=node["id"], at=_time(node["at"]), channel=Channel(node["channel"]), summary=node["summary"])

    @strawberry.field
    async def employee(self, info: NaiveInfo) -> Employee | None:
        rows = await info.context.rows(cypher.INTERACTION_EMPLOYEE, id=self.id)
        return Employee.of(rows[0]["node"]) if rows else None


@strawberry.type
class Ticket:
    id: strawberry.ID
    opened_at: datetime
    closed_at: datetime | None
    status: TicketStatus
    priority: Priority
    subject: str

    @classmethod
    def of(cls, node: Any) -> Ticket:
        closed = node.get("closed_at")
        return cls(
            id=node["id"],
            opened_at=_time(node["opened_at"]),
            closed_at=None if closed is None else _time(closed),
            status=TicketStatus(node["status"]),
            priority=Priority(node["priority"]),
            subject=node["subject"],
        )


@strawberry.type
class JourneyEvent:
    at: datetime
    kind: JourneyEventKind
    step: OrderStep | None
    channel: Channel | None
    detail: str | None
    office: DepartmentKind | None
    employee_id: strawberry.Private[str | None]
    department_id: strawberry.Private[str | None]

    @classmethod
    def of(cls, item: Any) -> JourneyEvent:
        return cls(
            at=_time(item["at"]),
            kind=JourneyEventKind(item["kind"]),
            step=None if item["step"] is None else OrderStep(item["step"]),
            channel=None if item["channel"] is None else Channel(item["channel"]),
            detail=item["detail"],
            office=None if item["office"] is None else DepartmentKind(item["office"]),
            employee_id=item["employee_id"],
            department_id=item["department_id"],
        )

    @strawberry.field
    async def employee(self, info: NaiveInfo) -> Employee | None:
        if self.employee_id is None:
            return None
        rows = await info.context.rows(cypher.EMPLOYEE, id=self.employee_id)
        return Employee.of(rows[0]["node"]) if rows else None

    @strawberry.field
    async def department(self, info: NaiveInfo) -> Department | None:
        if self.department_id is None:
            return None
        rows = await info.context.rows(cypher.DEPARTMENT, id=self.department_id)
        return Department.of(rows[0]["node"]) if rows else None


@strawberry.type
class Customer:
    id: strawberry.ID
    name: str
    email: str
    segment: Segment
    tier: Tier
    lifetime_value: float
    since: datetime

    @classmethod
    def of(cls, node: Any) -> Customer:
        return cls(
            id=node["id"],
            name=node["name"],
            email=node["email"],
            segment=Segment(node["segment"]),
            tier=Tier(node["tier"]),
            lifetime_value=node["lifetime_value"],
            since=_time(node["since"]),
        )

    @strawberry.field
    async def owner(self, info: NaiveInfo) -> Employee | None:
        rows = await info.context.rows(cypher.CUSTOMER_OWNER, id=self.id)
        return Employee.of(rows[0]["node"]) if rows else None

    @strawberry.field
    async def orders(self, info: NaiveInfo, first: int | None = None, after: str | None = None) -> Connection[Order]:
        rows, window = await _page(info, cypher.CUSTOMER_ORDERS, self.id, first, after)
        return _connection(rows, window, Order.of, _counter(info, cypher.CUSTOMER_ORDER_COUNT, self.id))  # type: ignore[no-any-return]

    @strawberry.field
    async def interactions(
        self, info: NaiveInfo, first: int | None = None, after: str | None = None
    ) -> Connection[Interaction]:
        rows, window = await _page(info, cypher.CUSTOMER_INTERACTIONS, self.id, first, after)
        count = _counter(info, cypher.CUSTOMER_INTERACTION_COUNT, self.id)
        return _connection(rows, window, Interaction.of, count)  # type: ignore[no-any-return]

    @strawberry.field
    async def tickets(self, info: NaiveInfo, first: int | None = None, after: str | None = None) -> Connection[Ticket]:
        rows, window = await _page(info, cypher.CUSTOMER_TICKETS, self.id, first, after)
        return _connection(rows, window, Ticket.of, _counter(info, cypher.CUSTOMER_TICKET_COUNT, self.id))  # type: ignore[no-any-return]

    @strawberry.field
    async def journey(
        self, info: NaiveInfo, first: int | None = None, after: str | None = None
    ) -> Connection[JourneyEvent]:
        window = forward_window(first, after, MAX_PAGE_SIZE, JOURNEY_PAGE_SIZE)
        rows = await info.context.rows(
            trace_queries.JOURNEYS,
            ids=[self.id],
            at_from=None,
            at_to=None,
            kinds=None,
            department_ids=None,
            skip=window.skip,
            limit=window.limit + 1,
        )
        page, total = (rows[0]["page"], rows[0]["total"]) if rows else ([], 0)
        return connection(
            [JourneyEvent.of(item) for item in page[: window.limit]],
            window.skip,
            has_next_page=len(page) > window.limit,
            count=known_total(total),
        )


PathNode = Annotated[
    Customer | Employee | Department | Order | Ticket | Product | Interaction,
    strawberry.union("PathNode"),
]

_PATH_NODES: dict[str, tuple[LiteralString, Any]] = {
    "Customer": (cypher.CUSTOMER, Customer.of),
    "Employee": (cypher.EMPLOYEE, Employee.of),
    "Department": (cypher.DEPARTMENT, Department.of),
    "Order": (cypher.ORDER, Order.of),
    "Ticket": (cypher.TICKET, Ticket.of),
    "Product": (cypher.PRODUCT, Product.of),
    "Interaction": (cypher.INTERACTION, Interaction.of),
}
_KIND_OF_LABEL = {kind.value.title(): kind for kind in EntityKind}


@strawberry.type
class PathRelationship:
    type: RelationshipType
    direction: PathDirection
    start_id: strawberry.ID
    start_kind: EntityKind
    end_id: strawberry.ID
    end_kind: EntityKind


@strawberry.type
class GraphPath:
    length: int
    relationships: list[PathRelationship]
    node_refs: strawberry.Private[list[tuple[str, str]]]

    @strawberry.field
    async def nodes(self, info: NaiveInfo) -> list[PathNode]:
        async def one(label: str, id_: str) -> Any:
            query, build = _PATH_NODES[label]
            rows = await info.context.rows(query, id=id_)
            return build(rows[0]["node"]) if rows else None

        found = await asyncio.gather(*(one(label, id_) for label, id_ in self.node_refs))
        return [node for node in found if node is not None]


def _graph_path(item: Any) -> GraphPath:
    refs = [(node["label"], node["id"]) for node in item["nodes"]]
    labels = dict((id_, label) for label, id_ in refs)
    relationships = [
        PathRelationship(
            type=RelationshipType(rel["type"]),
            direction=PathDirection.FORWARD if rel["start_id"] == refs[index][1] else PathDirection.BACKWARD,
            start_id=rel["start_id"],
            start_kind=_KIND_OF_LABEL[labels[rel["start_id"]]],
            end_id=rel["end_id"],
            end_kind=_KIND_OF_LABEL[labels[rel["end_id"]]],
        )
        for index, rel in enumerate(item["relationships"])
    ]
    return GraphPath(length=len(relationships), relationships=relationships, node_refs=refs)


@strawberry.type
class Query:
    @strawberry.field
    async def customer(self, info: NaiveInfo, id: strawberry.ID) -> Customer | None:
        rows = await info.context.rows(cypher.CUSTOMER, id=id)
        return Customer.of(rows[0]["node"]) if rows else None

    @strawberry.field
    async def customers(
        self, info: NaiveInfo, first: int | None = None, after: str | None = None
    ) -> Connection[Customer]:
        window = forward_window(first, after, MAX_PAGE_SIZE, LIST_PAGE_SIZE)
        rows = await info.context.rows(cypher.CUSTOMERS_BY_NAME, skip=window.skip, limit=window.limit + 1)

        async def count() -> int:
            return int((await info.context.rows(cypher.CUSTOMER_COUNT))[0]["total"])

        return _connection(rows, window, Customer.of, count)  # type: ignore[no-any-return]

    @strawberry.field
    async def shortest_path(
        self,
        info: NaiveInfo,
        from_: Annotated[EntityRef, strawberry.argument(name="from")],
        to: EntityRef,
        max_hops: int = 6,
    ) -> GraphPath | None:
        query = path_queries.shortest_paths_query(from_.kind.value, to.kind.value, max_hops, all_shortest=False)
        rows = await info.context.rows(query, from_id=from_.id, to_id=to.id, limit=1)
        paths = rows[0]["paths"] if rows else []
        return _graph_path(paths[0]) if paths else None


def build_naive_schema() -> strawberry.Schema:
    return strawberry.Schema(query=Query)
