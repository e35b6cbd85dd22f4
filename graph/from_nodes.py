"""Turn the maps Neo4j returns into the model's records."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from graph.model import (
    Channel,
    Customer,
    Department,
    DepartmentKind,
    Employee,
    ExternalId,
    Function,
    HandOff,
    Interaction,
    Order,
    OrderLine,
    OrderStatus,
    OrderStep,
    OrderStepRecord,
    Priority,
    Product,
    Segment,
    SourceSystem,
    Ticket,
    TicketStatus,
    Tier,
)

R = TypeVar("R")
Node = Mapping[str, Any]
Convert = Callable[[Node], R]


def _time(value: Any) -> datetime:
    # The store's Cypher returns times as ISO strings (toString): the Python driver takes about
    # 40 microseconds to hydrate one Neo4j DateTime, parsing its string well under one.
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value.to_native()  # type: ignore[no-any-return]


def _optional_time(value: Any) -> datetime | None:
    return None if value is None else _time(value)


def customer(node: Node) -> Customer:
    return Customer(
        id=node["id"],
        name=node["name"],
        email=node["email"],
        segment=Segment(node["segment"]),
        tier=Tier(node["tier"]),
        lifetime_value=node["lifetime_value"],
        since=_time(node["since"]),
        owner_id=node.get("owner_id"),
    )


def order(node: Node) -> Order:
    return Order(
        id=node["id"],
        customer_id=node["customer_id"],
        placed_at=_time(node["placed_at"]),
        status=OrderStatus(node["status"]),
        total=node["total"],
        currency=node["currency"],
    )


def product(node: Node) -> Product:
    return Product(id=node["id"], sku=node["sku"], name=node["name"], category=node["category"], price=node["price"])


def employee(node: Node) -> Employee:
    return Employee(
        id=node["id"],
        name=node["name"],
        email=node["email"],
        title=node["title"],
        department_id=node.get("department_id"),
        manager_id=node.get("manager_id"),
    )


def department(node: Node) -> Department:
    return Department(
        id=node["id"], name=node["name"], kind=DepartmentKind(node["kind"]), function=Function(node["function"])
    )


def interaction(node: Node) -> Interaction:
    return Interaction(
        id=node["id"],
        customer_id=node["customer_id"],
        employee_id=node["employee_id"],
        at=_time(node["at"]),
        channel=Channel(node["channel"]),
        summary=node["summary"],
    )


def ticket(node: Node) -> Ticket:
    return Ticket(
        id=node["id"],
        customer_id=node["customer_id"],
        opened_at=_time(node["opened_at"]),
        closed_at=_optional_time(node.get("closed_at")),
        status=TicketStatus(node["status"]),
        priority=Priority(node["priority"]),
        subject=node["subject"],
    )


def order_line(item: Node) -> OrderLine:
    return OrderLine(
        order_id=item["order_id"], product_id=item["product_id"], quantity=item["quantity"], price=item["price"]
    )


def order_step(item: Node) -> OrderStepRecord:
    return OrderStepRecord(
        order_id=item["order_id"], employee_id=item["employee_id"], step=OrderStep(item["step"]), at=_time(item["at"])
    )


def hand_off(item: Node) -> HandOff:
    return HandOff(
        ticket_id=item["ticket_id"],
        employee_id=item["employee_id"],
        at=_time(item["at"]),
        by_id=item.get("by_id"),
        reason=item["reason"],
    )


def external_id(item: Node) -> ExternalId:
    return ExternalId(system=SourceSystem(item["system"]), key=item["key"], owner_id=item["owner_id"])
