"""GraphQL types of the root-level traces: paths between entities, service levels, demand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, TypeAlias

import strawberry

from graph import model
from graph.trace import model as trace_model
from graph.trace import path_queries
from resolvers import cost
from resolvers.context import Info
from resolvers.entities.customer import Customer
from resolvers.entities.department import Department
from resolvers.entities.employee import Employee
from resolvers.entities.interaction import Interaction
from resolvers.entities.order import Order
from resolvers.entities.product import Product
from resolvers.entities.ticket import Ticket
from resolvers.enums import OrderStep, Tier
from resolvers.loaders import load_wrapped
from resolvers.trace.types import department_by_id, employee_by_id

strawberry.enum(
    trace_model.ServiceLevelState,
    description="BREACHED: past the target; AT_RISK: past the at-risk share of it; MET: stopped in time.",
)
ServiceLevelState: TypeAlias = trace_model.ServiceLevelState
strawberry.enum(trace_model.DemandDimension, description="What demand is broken down by.")
DemandDimension: TypeAlias = trace_model.DemandDimension
strawberry.enum(trace_model.Granularity, description="Calendar buckets in UTC: ISO weeks or months.")
Granularity: TypeAlias = trace_model.Granularity


@strawberry.enum(description="A kind of entity a path may start or end at.")
class EntityKind(Enum):
    CUSTOMER = "CUSTOMER"
    EMPLOYEE = "EMPLOYEE"
    DEPARTMENT = "DEPARTMENT"
    ORDER = "ORDER"
    TICKET = "TICKET"
    PRODUCT = "PRODUCT"
    INTERACTION = "INTERACTION"


KIND_OF_LABEL = {kind.value.title(): kind for kind in EntityKind}


@strawberry.input(description="An entity named by kind and id.")
class EntityRef:
    kind: EntityKind
    id: strawberry.ID


@strawberry.enum(description="The relationships of the graph a path may follow.")
class RelationshipType(Enum):
    PLACED = "PLACED"
    CONTAINS = "CONTAINS"
    HANDLED_BY = "HANDLED_BY"
    WORKS_IN = "WORKS_IN"
    REPORTS_TO = "REPORTS_TO"
    HAD = "HAD"
    WITH = "WITH"
    RAISED = "RAISED"
    ASSIGNED_TO = "ASSIGNED_TO"
    OWNED_BY = "OWNED_BY"


@strawberry.enum(description="How a relationship lies along a path read from its start.")
class PathDirection(Enum):
    FORWARD = "FORWARD"
    BACKWARD = "BACKWARD"


PathNode = Annotated[
    Customer | Employee | Department | Order | Ticket | Product | Interaction,
    strawberry.union("PathNode", description="Any entity a path passes through."),
]

# Each node label: the request loader its entity primes, and how its record becomes the entity.
PATH_NODE_TYPES: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "Customer": ("customer", Customer.from_record),
    "Employee": ("employee", Employee.from_record),
    "Department": ("department", Department.from_record),
    "Order": ("order", Order.from_record),
    "Ticket": ("ticket", Ticket.from_record),
    "Product": ("product", Product.from_record),
    "Interaction": ("interaction", Interaction.from_record),
}


@strawberry.type(description="One relationship of a path, as stored (start -> end), with its properties.")
class PathRelationship:
    type: RelationshipType
    direction: PathDirection = strawberry.field(
        description="FORWARD when stored from the node before it on the path to the node after it."
    )
    start_id: strawberry.ID
    start_kind: EntityKind
    end_id: strawberry.ID
    end_kind: EntityKind
    at: datetime | None = strawberry.field(description="HANDLED_BY and ASSIGNED_TO: when.")
    step: OrderStep | None = strawberry.field(description="HANDLED_BY: which order step.")
    reason: str | None = strawberry.field(description="ASSIGNED_TO: why it was handed over.")
    by_id: strawberry.ID | None = strawberry.field(description="ASSIGNED_TO: who handed it over.")
    quantity: int | None = strawberry.field(description="CONTAINS: how many.")
    price: float | None = strawberry.field(description="CONTAINS: unit price.")


@strawberry.type(description="A path between two entities: its nodes in order and the relationships between them.")
class GraphPath:
    length: int = strawberry.field(description="Number of relationships; 0 for a path from a node to itself.")
    relationships: list[PathRelationship] = strawberry.field(directives=[cost.list_size(path_queries.MAX_HOPS)])
    record: strawberry.Private[trace_model.GraphPath]

    @classmethod
    def from_record(cls, record: trace_model.GraphPath, labels: dict[str, str]) -> GraphPath:
        relationships = []
        for index, rel in enumerate(record.relationships):
            properties = rel.properties
            at = properties.get("at")
            relationships.append(
                PathRelationship(
                    type=RelationshipType(rel.type),
                    direction=PathDirection.FORWARD
                    if rel.start_id == record.nodes[index].id
                    else PathDirection.BACKWARD,
                    start_id=strawberry.ID(rel.start_id),
                    start_kind=KIND_OF_LABEL[labels[rel.start_id]],
                    end_id=strawberry.ID(rel.end_id),
                    end_kind=KIND_OF_LABEL[labels[rel.end_id]],
                    at=None if at is None else at.to_native(),  # type: ignore[attr-defined]
                    step=None if properties.get("step") is None else OrderStep(str(properties["step"])),
                    reason=properties.get("reason"),  # type: ignore[arg-type]
                    by_id=properties.get("by"),  # type: ignore[arg-type]
                    quantity=properties.get("quantity"),  # type: ignore[arg-type]
                    price=properties.get("price"),  # type: ignore[arg-type]
                )
            )
        return cls(length=len(record.relationships), relationships=relationships, record=record)

    @staticmethod
    def labels_of(record: trace_model.GraphPath) -> dict[str, str]:
        return {node.id: node.label for node in record.nodes}

    @strawberry.field(
        description="The entities along the path, from the start to the end.",
        directives=[cost.list_size(path_queries.MAX_HOPS + 1)],
    )
    def nodes(self, info: Info) -> list[PathNode]:
        # The path statement reads its entities along; they prime the lookups of the fields
        # asked of them next.
        loaders = info.context.loaders
        for node in self.record.nodes:
            getattr(loaders, PATH_NODE_TYPES[node.label][0]).prime(node.id, node.entity)
        return [PATH_NODE_TYPES[node.label][1](node.entity) for node in self.record.nodes]


@strawberry.type(description="One service-level clock of a ticket: response or resolution.")
class ServiceLevelClock:
    target_seconds: float
    elapsed_seconds: float = strawberry.field(description="Until the clock stopped, or until asOf.")
    state: ServiceLevelState
    due_at: datetime
    used_share: float = strawberry.field(description="elapsed / target: 1.0 is the deadline.")

    @classmethod
    def from_record(cls, record: trace_model.ServiceLevelClock) -> ServiceLevelClock:
        return cls(
            target_seconds=record.target_seconds,
            elapsed_seconds=record.elapsed_seconds,
            state=record.state,
            due_at=record.due_at,
            used_share=round(record.elapsed_seconds / record.target_seconds, 6),
        )


@strawberry.type(description="An open ticket against its customer's tier targets, and where it sits now.")
class TicketServiceLevel:
    tier: Tier
    state: ServiceLevelState = strawberry.field(description="The worse of the two clocks.")
    response: ServiceLevelClock
    resolution: ServiceLevelClock
    held_since: datetime = strawberry.field(description="Since when the current holder has it (or since opened).")
    held_seconds: float
    ticket_id: strawberry.Private[str]
    assignee_id: strawberry.Private[str | None]
    department_id: strawberry.Private[str | None]

    @classmethod
    def from_record(cls, record: trace_model.TicketServiceLevel) -> TicketServiceLevel:
        return cls(
            tier=record.tier,
            state=record.state,
            response=ServiceLevelClock.from_record(record.response),
            resolution=ServiceLevelClock.from_record(record.resolution),
            held_since=record.held_since,
            held_seconds=record.held_seconds,
            ticket_id=record.ticket_id,
            assignee_id=record.assignee_id,
            department_id=record.department_id,
        )

    @strawberry.field
    async def ticket(self, info: Info) -> Ticket | None:
        return await load_wrapped(info.context.loaders.ticket, self.ticket_id, Ticket.from_record)

    @strawberry.field(description="Who holds the ticket now; null while nobody was assigned.")
    async def assignee(self, info: Info) -> Employee | None:
        return await employee_by_id(info, self.assignee_id)

    @strawberry.field(description="The department the ticket sits in now.")
    async def department(self, info: Info) -> Department | None:
        return await department_by_id(info, self.department_id)


@strawberry.type(description="Orders placed in one period for one department, product or tier, in one currency.")
class DemandBucket:
    period: date = strawberry.field(description="First day of the week (Monday) or month, in UTC.")
    key: str = strawberry.field(description="The department id, product id or tier name.")
    currency: str
    orders: int
    units: int
    revenue: float = strawberry.field(description="Sum of quantity x unit price, in the currency.")
    order_steps: int = strawberry.field(description="DEPARTMENT: steps its people handled; otherwise 0.")
    dimension: strawberry.Private[trace_model.DemandDimension]

    @classmethod
    def from_record(cls, record: trace_model.DemandBucket, dimension: trace_model.DemandDimension) -> DemandBucket:
        return cls(
            period=record.period,
            key=record.key,
            currency=record.currency,
            orders=record.orders,
            units=record.units,
            revenue=record.revenue,
            order_steps=record.order_steps,
            dimension=dimension,
        )

    @strawberry.field
    async def department(self, info: Info) -> Department | None:
        if self.dimension is not trace_model.DemandDimension.DEPARTMENT:
            return None
        return await department_by_id(info, self.key)

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        if self.dimension is not trace_model.DemandDimension.PRODUCT:
            return None
        return await load_wrapped(info.context.loaders.product, self.key, Product.from_record)

    @strawberry.field
    def tier(self) -> Tier | None:
        return model.Tier(self.key) if self.dimension is trace_model.DemandDimension.TIER else None
