"""DEMO system, not part of the product: the demo ERP's rows, from the demo company.

Orders, lines and their totals are the graph's own (``demo_company.company``, same preset and seed); a
shipment exists for every order that reached SHIPPED, dated by the order's SHIP step, and an
invoice for every INVOICED one, dated by its INVOICE step, with a payment state that follows
from its due date. Customers are kept under their ERP key (``K<n>``) with the master id they
have in the CRM and the graph. The ERP also holds a few orders placed in the last hours that
the graph has not seen yet, so a sync has something new to bring.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from demo_company.company import DEMO_NOW, PRESETS, DemoCompany, identity_key
from demo_systems.directory_records import Row, rng_for
from graph.model import OrderStatus, SourceSystem

CARRIERS = ("DHL Express", "UPS", "FedEx", "DB Schenker", "Kuehne+Nagel")
WAREHOUSES = ("Rotterdam", "Memphis", "Singapore")
SHIPPED = {OrderStatus.SHIPPED.value, OrderStatus.INVOICED.value}


@dataclass(slots=True)
class ErpRows:
    customers: list[Row] = field(default_factory=list)
    products: list[Row] = field(default_factory=list)
    orders: list[Row] = field(default_factory=list)
    lines: list[Row] = field(default_factory=list)
    shipments: list[Row] = field(default_factory=list)
    invoices: list[Row] = field(default_factory=list)


def _steps(company: DemoCompany) -> dict[tuple[str, str], datetime]:
    steps: dict[tuple[str, str], datetime] = {}
    for row in company.rows("order_step"):
        at = row["at"]
        if row["step"] in ("SHIP", "INVOICE") and isinstance(at, datetime):
            steps[(str(row["order_id"]), str(row["step"]))] = at
    return steps


def build_erp(preset: str, seed: int) -> ErpRows:
    company = DemoCompany(PRESETS[preset], seed)
    rng = rng_for(seed, "erp")
    erp = ErpRows()
    for customer in company.rows("customer"):
        customer_id = str(customer["id"])
        erp.customers.append(
            {
                "erp_key": identity_key(SourceSystem.ERP, customer_id),
                "customer_id": customer_id,
                "name": customer["name"],
                "payment_terms_days": rng.choice((14, 30, 30, 45, 60)),
            }
        )
    prices: dict[str, float] = {}
    for product in company.rows("product"):
        prices[str(product["id"])] = float(str(product["price"]))
        erp.products.append(
            {
                "product_id": product["id"],
                "sku": product["sku"],
                "name": product["name"],
                "warehouse": rng.choice(WAREHOUSES),
                "on_hand": rng.randint(0, 900),
                "reserved": rng.randint(0, 60),
                "reorder_point": rng.choice((25, 50, 100)),
            }
        )
    terms = {row["customer_id"]: row["payment_terms_days"] for row in erp.customers}
    steps = _steps(company)
    for order in company.rows("order"):
        order_id = str(order["id"])
        erp.orders.append(_order(order))
        ship_at = steps.get((order_id, "SHIP"))
        if order["status"] in SHIPPED and ship_at is not None:
            erp.shipments.append(_shipment(order_id, ship_at, len(erp.shipments) + 1, rng))
        invoice_at = steps.get((order_id, "INVOICE"))
        if order["status"] == OrderStatus.INVOICED.value and invoice_at is not None:
            days = int(str(terms.get(order["customer_id"], 30)))
            erp.invoices.append(_invoice(order, invoice_at, days, len(erp.invoices) + 1, rng))
    erp.lines = list(_lines(company.rows("order_line")))
    _add_new_orders(erp, prices, rng)
    return erp


def _order(order: Row) -> Row:
    customer_id = str(order["customer_id"])
    return {
        "order_id": order["id"],
        "erp_customer_key": identity_key(SourceSystem.ERP, customer_id),
        "placed_at": order["placed_at"],
        "status": order["status"],
        "total": order["total"],
        "currency": order["currency"],
    }


def _lines(rows: Iterator[Row]) -> Iterator[Row]:
    numbers: dict[str, int] = {}
    for row in rows:
        order_id = str(row["order_id"])
        numbers[order_id] = numbers.get(order_id, 0) + 1
        yield {
            "line_id": f"{order_id}/{numbers[order_id]:03d}",
            "order_id": order_id,
            "product_id": row["product_id"],
            "quantity": row["quantity"],
            "price": row["price"],
        }


def _shipment(order_id: str, shipped_at: datetime, number: int, rng: random.Random) -> Row:
    transit = timedelta(days=rng.uniform(1, 6))
    delivered = shipped_at + transit
    return {
        "shipment_id": f"SH{number:07d}",
        "order_id": order_id,
        "carrier": rng.choice(CARRIERS),
        "tracking_no": f"{number:010d}",
        "shipped_at": shipped_at,
        "eta": shipped_at + timedelta(days=3),
        "delivered_at": delivered if delivered < DEMO_NOW else None,
    }


def _invoice(order: Row, issued_at: datetime, terms_days: int, number: int, rng: random.Random) -> Row:
    due_at = issued_at + timedelta(days=terms_days)
    paid_at: datetime | None = None
    if due_at < DEMO_NOW and rng.random() < 0.94:
        paid_at = min(DEMO_NOW, issued_at + timedelta(days=rng.uniform(2, terms_days + 10)))
    elif due_at >= DEMO_NOW and rng.random() < 0.35:
        paid_at = min(DEMO_NOW, issued_at + timedelta(days=rng.uniform(1, 10)))
    state = "PAID" if paid_at is not None else ("OVERDUE" if due_at < DEMO_NOW else "OPEN")
    return {
        "invoice_no": f"INV-{number:07d}",
        "order_id": order["id"],
        "amount": order["total"],
        "currency": order["currency"],
        "issued_at": issued_at,
        "due_at": due_at,
        "paid_at": paid_at,
        "payment_state": state,
    }


def _add_new_orders(erp: ErpRows, prices: dict[str, float], rng: random.Random) -> None:
    """Orders placed in the last hours, which the graph has not seen yet."""
    last = str(erp.orders[-1]["order_id"])
    prefix = last.rstrip("0123456789")
    width = len(last) - len(prefix)
    products = sorted(prices)
    # An account bills in one currency: a new order takes the one of the customer's earlier orders.
    currencies = {row["erp_customer_key"]: row["currency"] for row in erp.orders}
    for offset in range(1, max(3, len(erp.orders) // 100) + 1):
        order_id = f"{prefix}{int(last[len(prefix) :]) + offset:0{width}d}"
        customer = rng.choice(erp.customers)
        lines = []
        for number, product_id in enumerate(rng.sample(products, rng.randint(1, 3)), start=1):
            quantity = rng.randint(1, 12)
            price = prices[product_id]
            line = {"order_id": order_id, "product_id": product_id, "quantity": quantity, "price": price}
            lines.append({"line_id": f"{order_id}/{number:03d}", **line})
        erp.lines.extend(lines)
        erp.orders.append(
            {
                "order_id": order_id,
                "erp_customer_key": customer["erp_key"],
                "placed_at": DEMO_NOW - timedelta(hours=rng.uniform(1, 20)),
                "status": OrderStatus.PLACED.value,
                "total": round(sum(float(str(line["price"])) * int(str(line["quantity"])) for line in lines), 2),
                "currency": currencies.get(customer["erp_key"], "EUR"),
            }
        )
