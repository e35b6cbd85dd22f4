"""GraphQL types of the live state that systems of record hold, next to the graph's entities.

Each type is read at query time from a live source (``sources/``), through the request's
DataLoaders, and may be a few seconds old (each source has a short cache). Each comes with the
``LiveNeed`` it reads: lookups keyed by what, answering which fields. A record is read field by
field (``LiveRecord``): a value of the wrong type means the source answered garbage, which is
the source being unavailable, not a bug of ours, so it surfaces as ``SOURCE_UNAVAILABLE``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Annotated, Self, TypeVar

import strawberry

from domain.errors import SourceUnavailableError
from resolvers import cost
from resolvers.context import Info
from resolvers.enums import OrderStatus, Priority, TicketStatus
from resolvers.live_loaders import need
from resolvers.loaders import load_wrapped

if TYPE_CHECKING:
    from resolvers.types import Employee

LazyEmployee = Annotated["Employee", strawberry.lazy("resolvers.types")]
E = TypeVar("E", bound=Enum)
V = TypeVar("V")

LIVE = "Read live from {system}, the system of record, at query time (it may be a few seconds old)."


class LiveRecord:
    """One record of a live source (or a part of one), the key it was looked up by, and its
    fields, read with the type each must have."""

    __slots__ = ("_values", "key", "source")

    def __init__(self, source: str, key: str, values: Mapping[str, object]) -> None:
        self.source = source
        self.key = key
        self._values = values

    def _read(self, name: str, convert: Callable[[object], V], expected: str) -> V | None:
        value = self._values.get(name)
        if value is None:
            return None
        try:
            return convert(value)
        except (TypeError, ValueError):
            kind = type(value).__name__
            raise SourceUnavailableError(
                self.source, f"malformed answer: '{name}' is a {kind}, expected {expected}"
            ) from None

    def _required(self, name: str, value: V | None) -> V:
        if value is None:
            raise SourceUnavailableError(self.source, f"malformed answer: '{name}' is missing")
        return value

    def optional_text(self, name: str) -> str | None:
        return self._read(name, _text, "a string")

    def text(self, name: str) -> str:
        return self._required(name, self.optional_text(name))

    def integer(self, name: str) -> int:
        return self._required(name, self._read(name, _integer, "an integer"))

    def number(self, name: str) -> float:
        return self._required(name, self._read(name, _number, "a number"))

    def optional_time(self, name: str) -> datetime | None:
        return self._read(name, _time, "a date and time")

    def time(self, name: str) -> datetime:
        return self._required(name, self.optional_time(name))

    def optional_day(self, name: str) -> date | None:
        return self._read(name, _day, "a date")

    def day(self, name: str) -> date:
        return self._required(name, self.optional_day(name))

    def optional_choice(self, kind: type[E], name: str) -> E | None:
        return self._read(name, kind, " or ".join(str(member.value) for member in kind))

    def choice(self, kind: type[E], name: str) -> E:
        return self._required(name, self.optional_choice(kind, name))

    def optional_record(self, name: str) -> LiveRecord | None:
        found = self._read(name, _mapping, "an object")
        return None if found is None else LiveRecord(self.source, self.key, found)

    def records(self, name: str) -> list[LiveRecord]:
        items = self._read(name, _mappings, "a list of objects")
        return [LiveRecord(self.source, self.key, item) for item in items or ()]


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    raise TypeError


def _integer(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError


def _number(value: object) -> float:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return float(value)
    raise TypeError


def _time(value: object) -> datetime:
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(found, datetime):
        raise TypeError
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found


def _day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise TypeError


def _mapping(value: object) -> Mapping[str, object]:
    if isinstance(value, Mapping):
        return value
    raise TypeError


def _mappings(value: object) -> list[Mapping[str, object]]:
    if isinstance(value, list) and all(isinstance(item, Mapping) for item in value):
        return value
    raise TypeError


# -- ERP: orders, stock, customer accounts ---------------------------------------------------


@strawberry.enum(description="Whether an invoice is paid, as the ERP says.")
class PaymentState(StrEnum):
    OPEN = "OPEN"
    PAID = "PAID"
    OVERDUE = "OVERDUE"


@strawberry.type(description="The shipment of an order. " + LIVE.format(system="the ERP"))
class Shipment:
    carrier: str
    tracking_number: str
    shipped_at: datetime
    eta: datetime | None = strawberry.field(description="When the carrier expects to deliver.")
    delivered_at: datetime | None


@strawberry.type(description="The invoice of an order and its payment. " + LIVE.format(system="the ERP"))
class Invoice:
    number: str
    amount: float
    invoiced_at: datetime
    due_at: datetime
    paid_at: datetime | None
    payment_state: PaymentState


ORDER_LIVE = need(
    "Order",
    "id",
    (
        *("status", "total", "currency", "carrier", "tracking_no", "shipped_at", "eta", "delivered_at"),
        *("invoice_no", "invoice_amount", "invoiced_at", "due_at", "paid_at", "payment_state"),
    ),
)


@strawberry.type(
    description="An order as the ERP sees it now: status, shipment, invoice and payment. "
    + LIVE.format(system="the ERP")
)
class OrderLive:
    status: OrderStatus = strawberry.field(description="The ERP's status, which may be ahead of the graph's.")
    total: float
    currency: str
    shipment: Shipment | None = strawberry.field(description="Null until the order has shipped.")
    invoice: Invoice | None = strawberry.field(description="Null until the order is invoiced.")

    @classmethod
    def from_record(cls, record: LiveRecord) -> Self:
        shipment = None
        if record.optional_text("carrier") is not None:
            shipment = Shipment(
                carrier=record.text("carrier"),
                tracking_number=record.text("tracking_no"),
                shipped_at=record.time("shipped_at"),
                eta=record.optional_time("eta"),
                delivered_at=record.optional_time("delivered_at"),
            )
        invoice = None
        if record.optional_text("invoice_no") is not None:
            invoice = Invoice(
                number=record.text("invoice_no"),
                amount=record.number("invoice_amount"),
                invoiced_at=record.time("invoiced_at"),
                due_at=record.time("due_at"),
                paid_at=record.optional_time("paid_at"),
                payment_state=record.choice(PaymentState, "payment_state"),
            )
        return cls(
            status=record.choice(OrderStatus, "status"),
            total=record.number("total"),
            currency=record.text("currency"),
            shipment=shipment,
            invoice=invoice,
        )


PRODUCT_STOCK = need("Product", "id", ("warehouse", "on_hand", "reserved", "available", "reorder_point"))


@strawberry.type(description="Stock of a product in its warehouse. " + LIVE.format(system="the ERP"))
class ProductStock:
    warehouse: str
    on_hand: int
    reserved: int = strawberry.field(description="Promised to open orders.")
    available: int = strawberry.field(description="On hand and not reserved.")
    reorder_point: int
    below_reorder_point: bool = strawberry.field(
        description="Whether available stock is at or under the reorder point."
    )

    @classmethod
    def from_record(cls, record: LiveRecord) -> Self:
        available, reorder_point = record.integer("available"), record.integer("reorder_point")
        return cls(
            warehouse=record.text("warehouse"),
            on_hand=record.integer("on_hand"),
            reserved=record.integer("reserved"),
            available=available,
            reorder_point=reorder_point,
            below_reorder_point=available <= reorder_point,
        )


ERP_ACCOUNT = need(
    "Customer",
    "ERP",
    (
        *("payment_terms_days", "currency", "open_invoices", "open_balance", "overdue_invoices"),
        *("overdue_balance", "orders", "last_order_id", "last_order_status", "last_order_at"),
    ),
)


@strawberry.type(
    description="A customer's account in the ERP, by the customer's ERP key: what is unpaid and overdue, "
    "and the last order. " + LIVE.format(system="the ERP")
)
class ErpAccount:
    erp_key: str = strawberry.field(description="The customer's key in the ERP.")
    payment_terms_days: int
    currency: str | None = strawberry.field(description="The account's currency; null before its first order.")
    open_invoices: int = strawberry.field(description="Invoices not paid yet (overdue ones included).")
    open_balance: float = strawberry.field(description="The amount of the invoices not paid yet.")
    overdue_invoices: int
    overdue_balance: float
    orders: int = strawberry.field(description="Orders the ERP holds for the account, the newest included.")
    last_order_id: strawberry.ID | None
    last_order_status: OrderStatus | None
    last_order_at: datetime | None

    @classmethod
    def from_record(cls, record: LiveRecord) -> Self:
        last_order_id = record.optional_text("last_order_id")
        return cls(
            erp_key=record.key,
            payment_terms_days=record.integer("payment_terms_days"),
            currency=record.optional_text("currency"),
            open_invoices=record.integer("open_invoices"),
            open_balance=record.number("open_balance"),
            overdue_invoices=record.integer("overdue_invoices"),
            overdue_balance=record.number("overdue_balance"),
            orders=record.integer("orders"),
            last_order_id=None if last_order_id is None else strawberry.ID(last_order_id),
            last_order_status=record.optional_choice(OrderStatus, "last_order_status"),
            last_order_at=record.optional_time("last_order_at"),
        )


# -- helpdesk: tickets and customers ---------------------------------------------------------

TICKET_LIVE = need(
    "Ticket", "id", ("status", "priority", "updated_at", "closed_at", "assignee_employee_id", "assignee_name")
)


@strawberry.type(
    description="A ticket as the helpdesk sees it now: status, priority, last update and who holds it. "
    + LIVE.format(system="the helpdesk")
)
class TicketLive:
    status: TicketStatus = strawberry.field(description="The helpdesk's status, which may be ahead of the graph's.")
    priority: Priority
    updated_at: datetime = strawberry.field(description="The ticket's last change in the helpdesk.")
    closed_at: datetime | None
    assignee_name: str | None = strawberry.field(description="Who holds the ticket, as the helpdesk names them.")
    assignee_id: strawberry.Private[str | None]

    @classmethod
    def from_record(cls, record: LiveRecord) -> Self:
        return cls(
            status=record.choice(TicketStatus, "status"),
            priority=record.choice(Priority, "priority"),
            updated_at=record.time("updated_at"),
            closed_at=record.optional_time("closed_at"),
            assignee_name=record.optional_text("assignee_name"),
            assignee_id=record.optional_text("assignee_employee_id"),
        )

    @strawberry.field(description="Who holds the ticket now, as the helpdesk says (the graph's employee).")
    async def assignee(self, info: Info) -> LazyEmployee | None:
        from resolvers.types import Employee

        if self.assignee_id is None:
            return None
        return await load_wrapped(info.context.loaders.employee, self.assignee_id, Employee.from_record)


HELPDESK_SUMMARY = need(
    "Customer", "HELPDESK", ("open_tickets", "tickets_total", "oldest_open_since", "last_contact_at")
)


@strawberry.type(
    description="A customer's standing with the helpdesk, by the customer's helpdesk key: open tickets and the "
    "last contact. " + LIVE.format(system="the helpdesk")
)
class HelpdeskSummary:
    helpdesk_key: str = strawberry.field(description="The customer's key in the helpdesk.")
    open_tickets: int = strawberry.field(description="Tickets open, in progress or waiting.")
    tickets_total: int
    oldest_open_since: datetime | None = strawberry.field(description="When the oldest open ticket was opened.")
    last_contact_at: datetime | None = strawberry.field(description="The last change to any of the tickets.")

    @classmethod
    def from_record(cls, record: LiveRecord) -> Self:
        return cls(
            helpdesk_key=record.key,
            open_tickets=record.integer("open_tickets"),
            tickets_total=record.integer("tickets_total"),
            oldest_open_since=record.optional_time("oldest_open_since"),
            last_contact_at=record.optional_time("last_contact_at"),
        )


# -- HR: availability ------------------------------------------------------------------------


@strawberry.enum(description="Whether an employee can be reached now, as HR says.")
class Availability(StrEnum):
    AVAILABLE = "AVAILABLE"
    BUSY = "BUSY"
    AWAY = "AWAY"
    OUT_OF_OFFICE = "OUT_OF_OFFICE"


@strawberry.type(description="An absence. " + LIVE.format(system="the HR directory"))
class OutOfOffice:
    since: date
    until: date | None
    reason: str | None


EMPLOYEE_AVAILABILITY = need("Employee", "HR", ("availability", "out_of_office", "role", "department"))


@strawberry.type(
    description="Whether an employee can be reached now, and their role, by the employee's HR key. "
    + LIVE.format(system="the HR directory")
)
class EmployeeAvailability:
    hr_key: str = strawberry.field(description="The employee's key in the HR directory.")
    availability: Availability
    out_of_office: OutOfOffice | None = strawberry.field(description="The current absence, if any.")
    role: str
    department: str | None = strawberry.field(description="The department as HR names it.")

    @classmethod
    def from_record(cls, record: LiveRecord) -> Self:
        absence = record.optional_record("out_of_office")
        out_of_office = None
        if absence is not None:
            out_of_office = OutOfOffice(
                since=absence.day("from"), until=absence.optional_day("until"), reason=absence.optional_text("reason")
            )
        return cls(
            hr_key=record.key,
            availability=record.choice(Availability, "availability"),
            out_of_office=out_of_office,
            role=record.text("role"),
            department=record.optional_text("department"),
        )


# -- CRM: profile and pipeline ---------------------------------------------------------------


@strawberry.type(description="A sales opportunity still open. " + LIVE.format(system="the CRM"))
class Opportunity:
    id: strawberry.ID
    name: str
    stage: str
    amount: float
    close_date: date = strawberry.field(description="When the CRM expects it to close.")

    @classmethod
    def from_record(cls, record: LiveRecord) -> Self:
        return cls(
            id=strawberry.ID(record.text("id")),
            name=record.text("name"),
            stage=record.text("stage"),
            amount=record.number("amount"),
            close_date=record.day("closeDate"),
        )


@strawberry.type(description="A marketing campaign that reached the customer. " + LIVE.format(system="the CRM"))
class CampaignTouch:
    id: strawberry.ID
    name: str
    channel: str
    response: str = strawberry.field(description="How far the customer went: SENT, OPENED, CLICKED, RESPONDED.")

    @classmethod
    def from_record(cls, record: LiveRecord) -> Self:
        return cls(
            id=strawberry.ID(record.text("id")),
            name=record.text("name"),
            channel=record.text("channel"),
            response=record.text("response"),
        )


CRM_PROFILE = need("Customer", "CRM", ("lead_score", "open_opportunities", "campaigns"))


@strawberry.type(
    description="A customer's profile and pipeline in the CRM, by the customer's CRM key. "
    + LIVE.format(system="the CRM")
)
class CrmProfile:
    crm_key: str = strawberry.field(description="The customer's key in the CRM.")
    lead_score: int = strawberry.field(description="The CRM's score of the account, 0 to 100.")
    open_opportunities: list[Opportunity] = strawberry.field(directives=[cost.list_size(cost.LIVE_LIST_SIZE)])
    pipeline_value: float = strawberry.field(description="The amount of the open opportunities together.")
    campaigns: list[CampaignTouch] = strawberry.field(directives=[cost.list_size(cost.LIVE_LIST_SIZE)])

    @classmethod
    def from_record(cls, record: LiveRecord) -> Self:
        opportunities = [Opportunity.from_record(item) for item in record.records("open_opportunities")]
        return cls(
            crm_key=record.key,
            lead_score=record.integer("lead_score"),
            open_opportunities=opportunities,
            pipeline_value=round(sum(item.amount for item in opportunities), 2),
            campaigns=[CampaignTouch.from_record(item) for item in record.records("campaigns")],
        )
