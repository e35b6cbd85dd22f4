"""Live fields of the ERP, the system of record of orders, stock and customer accounts: an
order's status, shipment and invoice, a product's stock, a customer's account and credit."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Self

import strawberry

from resolvers.enums import OrderStatus
from resolvers.live.loaders import need
from resolvers.live.record import LIVE, LiveRecord


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
