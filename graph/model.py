"""The customer graph's domain model: what each node and relationship means.

Records are plain, immutable, slotted dataclasses: the store builds one per row and the
GraphQL layer reads them, so they stay small and free of any framework. Times are aware
``datetime`` values in UTC; money is a ``float`` in the order's currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Tier(StrEnum):
    """Customer value tier: drives service levels."""

    PLATINUM = "PLATINUM"
    GOLD = "GOLD"
    SILVER = "SILVER"
    BRONZE = "BRONZE"


class Segment(StrEnum):
    ENTERPRISE = "ENTERPRISE"
    MID_MARKET = "MID_MARKET"
    SMB = "SMB"
    CONSUMER = "CONSUMER"


class DepartmentKind(StrEnum):
    FRONT_OFFICE = "FRONT_OFFICE"
    BACK_OFFICE = "BACK_OFFICE"


class Function(StrEnum):
    SALES = "SALES"
    MARKETING = "MARKETING"
    SERVICE = "SERVICE"
    MANUFACTURING = "MANUFACTURING"
    WAREHOUSE = "WAREHOUSE"
    FINANCE = "FINANCE"
    HR = "HR"
    ENGINEERING = "ENGINEERING"


FRONT_OFFICE_FUNCTIONS = frozenset({Function.SALES, Function.MARKETING, Function.SERVICE})


class OrderStatus(StrEnum):
    PLACED = "PLACED"
    IN_PRODUCTION = "IN_PRODUCTION"
    PICKING = "PICKING"
    SHIPPED = "SHIPPED"
    INVOICED = "INVOICED"
    CANCELLED = "CANCELLED"


class OrderStep(StrEnum):
    """The steps an order goes through, in this order, each handled by one employee."""

    SALE = "SALE"
    BUILD = "BUILD"
    PICK = "PICK"
    SHIP = "SHIP"
    INVOICE = "INVOICE"


class Channel(StrEnum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    CHAT = "CHAT"
    SOCIAL = "SOCIAL"
    MEETING = "MEETING"
    WEB = "WEB"
    PORTAL = "PORTAL"


class TicketStatus(StrEnum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    WAITING = "WAITING"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"


OPEN_TICKET_STATUSES = frozenset({TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.WAITING})


class Priority(StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


class SourceSystem(StrEnum):
    """Systems of record that know customers and employees under their own keys."""

    ERP = "ERP"
    CRM = "CRM"
    HR = "HR"
    HELPDESK = "HELPDESK"


@dataclass(frozen=True, slots=True)
class Department:
    id: str
    name: str
    kind: DepartmentKind
    function: Function


@dataclass(frozen=True, slots=True)
class Employee:
    id: str
    name: str
    email: str
    title: str
    department_id: str | None
    manager_id: str | None


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    sku: str
    name: str
    category: str
    price: float


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    name: str
    email: str
    segment: Segment
    tier: Tier
    lifetime_value: float
    since: datetime
    owner_id: str | None


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    customer_id: str
    placed_at: datetime
    status: OrderStatus
    total: float
    currency: str


@dataclass(frozen=True, slots=True)
class OrderLine:
    order_id: str
    product_id: str
    quantity: int
    price: float


@dataclass(frozen=True, slots=True)
class OrderStepRecord:
    order_id: str
    employee_id: str
    step: OrderStep
    at: datetime


@dataclass(frozen=True, slots=True)
class Interaction:
    id: str
    customer_id: str
    employee_id: str
    at: datetime
    channel: Channel
    summary: str


@dataclass(frozen=True, slots=True)
class Ticket:
    id: str
    customer_id: str
    opened_at: datetime
    closed_at: datetime | None
    status: TicketStatus
    priority: Priority
    subject: str


@dataclass(frozen=True, slots=True)
class HandOff:
    """One ``ASSIGNED_TO`` hop of a ticket: who got it, when, from whom and why."""

    ticket_id: str
    employee_id: str
    at: datetime
    by_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class ExternalId:
    system: SourceSystem
    key: str
    owner_id: str
