"""What the trace queries answer: a customer's path through the organization, as records.

Like ``graph.model``, these are plain frozen dataclasses built by the trace store and read by
the GraphQL layer. Waits and elapsed times are seconds (``float``); times are aware UTC
``datetime`` values; a department's ``kind`` says whether it is front or back office.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from graph.model import Channel, Customer, Department, DepartmentKind, Employee, OrderStep, Tier


class JourneyEventKind(StrEnum):
    """What happened on a customer's journey; ties at one instant are ordered as listed."""

    ORDER_PLACED = "ORDER_PLACED"
    ORDER_STEP = "ORDER_STEP"
    INTERACTION = "INTERACTION"
    TICKET_OPENED = "TICKET_OPENED"
    TICKET_HANDED_OFF = "TICKET_HANDED_OFF"
    TICKET_CLOSED = "TICKET_CLOSED"


@dataclass(frozen=True, slots=True)
class JourneyFilter:
    """Which events of a journey to keep; ``None`` keeps all. Hashable, so it can key a loader."""

    at_from: datetime | None = None
    at_to: datetime | None = None
    kinds: tuple[JourneyEventKind, ...] | None = None
    department_ids: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class JourneyEvent:
    """One event of a journey, with the employee and department involved when there is one."""

    at: datetime
    kind: JourneyEventKind
    employee_id: str | None
    department_id: str | None
    office: DepartmentKind | None
    order_id: str | None
    ticket_id: str | None
    interaction_id: str | None
    step: OrderStep | None
    channel: Channel | None
    detail: str | None
    by_id: str | None


@dataclass(frozen=True, slots=True)
class JourneyPage:
    events: list[JourneyEvent]
    total: int
    # The employees of these events and their departments, read along for the API's lookups.
    employees: list[Employee] = field(default_factory=list)
    departments: list[Department] = field(default_factory=list)
    # The customer whose journey it is, so that a lookup of them can be answered from the page.
    customer: Customer | None = None


@dataclass(frozen=True, slots=True)
class Touch:
    """How often one employee (or one department's people) dealt with a customer, and how."""

    key_id: str
    interactions: int
    order_steps: int
    hand_offs: int
    owner: bool
    last_contact: datetime | None
    department_id: str | None = None
    office: DepartmentKind | None = None
    employees: int = 1

    @property
    def contacts(self) -> int:
        return self.interactions + self.order_steps + self.hand_offs


@dataclass(frozen=True, slots=True)
class CustomerContacts:
    """Who touched a customer: departments and employees, most contacts first."""

    departments: list[Touch]
    employees: list[Touch]


@dataclass(frozen=True, slots=True)
class Familiarity:
    """One employee's standing with a customer: the score and what it is made of."""

    employee_id: str
    score: float
    owner: bool
    interactions: int
    order_steps: int
    hand_offs: int
    last_contact: datetime | None


@dataclass(frozen=True, slots=True)
class PathNode:
    label: str
    id: str
    # The entity itself (a graph.model record of the label's kind), as read along with the path.
    entity: object


@dataclass(frozen=True, slots=True)
class PathRelationship:
    """One relationship on a path, as stored (start -> end), with its properties."""

    type: str
    start_id: str
    end_id: str
    properties: dict[str, object]


@dataclass(frozen=True, slots=True)
class GraphPath:
    nodes: list[PathNode]
    relationships: list[PathRelationship]


@dataclass(frozen=True, slots=True)
class Hop:
    """One hop of a ticket's hand-off chain and how long the ticket waited there."""

    at: datetime
    until: datetime
    wait_seconds: float
    employee_id: str
    department_id: str | None
    by_id: str | None
    from_department_id: str | None
    reason: str
    current: bool


@dataclass(frozen=True, slots=True)
class HandOffChain:
    ticket_id: str
    closed: bool
    hops: list[Hop]


@dataclass(frozen=True, slots=True)
class DepartmentFlow:
    """Hand-offs between a department and one other, and how long tickets waited after them."""

    department_id: str
    hand_offs: int
    tickets: int
    median_wait_seconds: float
    p90_wait_seconds: float


@dataclass(frozen=True, slots=True)
class DepartmentFlows:
    internal_customers: list[DepartmentFlow]
    hands_work_to: list[DepartmentFlow]


class ServiceLevelState(StrEnum):
    """Where a service-level clock stands; ordered from worst to best."""

    BREACHED = "BREACHED"
    AT_RISK = "AT_RISK"
    ON_TRACK = "ON_TRACK"
    MET = "MET"


@dataclass(frozen=True, slots=True)
class ServiceLevelClock:
    target_seconds: float
    elapsed_seconds: float
    state: ServiceLevelState
    due_at: datetime


@dataclass(frozen=True, slots=True)
class TicketServiceLevel:
    """An open ticket measured against its customer's tier targets, and where it sits now."""

    ticket_id: str
    tier: Tier
    state: ServiceLevelState
    response: ServiceLevelClock
    resolution: ServiceLevelClock
    assignee_id: str | None
    department_id: str | None
    held_since: datetime
    held_seconds: float


@dataclass(frozen=True, slots=True)
class ServiceLevelPage:
    items: list[TicketServiceLevel]
    total: int


class DemandDimension(StrEnum):
    DEPARTMENT = "DEPARTMENT"
    PRODUCT = "PRODUCT"
    TIER = "TIER"


class Granularity(StrEnum):
    WEEK = "WEEK"
    MONTH = "MONTH"


@dataclass(frozen=True, slots=True)
class DemandBucket:
    """Orders placed in one period for one department, product or tier, in one currency."""

    period: date
    key: str
    currency: str
    orders: int
    units: int
    revenue: float
    order_steps: int


@dataclass(frozen=True, slots=True)
class PathSearch:
    """Whether both endpoints exist, and the shortest paths found between them."""

    found_from: bool
    found_to: bool
    paths: list[GraphPath]
