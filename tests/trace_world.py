"""Small hand-built graphs for the trace tests, loaded through the real BulkLoader.

Times are hours after ``T0`` (a Monday), so expected answers can be worked out by hand.
A ticket's hops are handed over by the previous holder, as in the demo data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from neo4j import AsyncDriver

from domain.access import Access
from graph.load.loader import BulkLoader
from graph.load.rows import ROW_KINDS
from graph.store import Neo4jGraphStore
from graph.trace.service_levels import ServiceLevels
from resolvers.context import Context
from tests.resolvers.helpers import OPERATIONS

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
FRONT = {"SALES", "MARKETING", "SERVICE"}


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


class World:
    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, object]]] = defaultdict(list)

    def department(self, id: str, function: str) -> World:
        kind = "FRONT_OFFICE" if function in FRONT else "BACK_OFFICE"
        self.rows["department"].append(
            {"id": id, "name": f"{function.title()} {id}", "kind": kind, "function": function}
        )
        return self

    def employee(self, id: str, department_id: str, manager_id: str | None = None) -> World:
        self.rows["employee"].append(
            {"id": id, "name": f"Person {id}", "email": f"{id.lower()}@example.com", "title": "Staff",
             "department_id": department_id}
        )  # fmt: skip
        if manager_id is not None:
            self.rows["reports_to"].append({"employee_id": id, "manager_id": manager_id})
        return self

    def product(self, id: str, price: float) -> World:
        self.rows["product"].append({"id": id, "sku": f"SKU-{id}", "name": f"Product {id}", "category": "Tools",
                                     "price": price})  # fmt: skip
        return self

    def customer(self, id: str, tier: str = "GOLD", owner_id: str | None = None) -> World:
        self.rows["customer"].append(
            {"id": id, "name": f"Customer {id}", "email": f"{id.lower()}@example.org", "segment": "SMB", "tier": tier,
             "lifetime_value": 1000.0, "since": at(-1000), "owner_id": owner_id}
        )  # fmt: skip
        return self

    def order(
        self,
        id: str,
        customer_id: str,
        placed_at: datetime,
        lines: Sequence[tuple[str, int, float]] = (),
        steps: Sequence[tuple[str, str, datetime]] = (),
        status: str = "INVOICED",
        currency: str = "EUR",
    ) -> World:
        total = round(sum(quantity * price for _, quantity, price in lines), 2)
        self.rows["order"].append({"id": id, "customer_id": customer_id, "placed_at": placed_at, "status": status,
                                   "total": total, "currency": currency})  # fmt: skip
        for product_id, quantity, price in lines:
            self.rows["order_line"].append(
                {"order_id": id, "product_id": product_id, "quantity": quantity, "price": price}
            )
        for step, employee_id, when in steps:
            self.rows["order_step"].append({"order_id": id, "employee_id": employee_id, "step": step, "at": when})
        return self

    def interaction(self, id: str, customer_id: str, employee_id: str, when: datetime, channel: str = "EMAIL") -> World:
        self.rows["interaction"].append({"id": id, "customer_id": customer_id, "employee_id": employee_id, "at": when,
                                         "channel": channel, "summary": f"Talked ({id})"})  # fmt: skip
        return self

    def ticket(
        self,
        id: str,
        customer_id: str,
        opened_at: datetime,
        hops: Sequence[tuple[str, datetime]] = (),
        closed_at: datetime | None = None,
    ) -> World:
        status = "OPEN" if closed_at is None and len(hops) <= 1 else ("IN_PROGRESS" if closed_at is None else "CLOSED")
        self.rows["ticket"].append({"id": id, "customer_id": customer_id, "opened_at": opened_at,
                                    "closed_at": closed_at, "status": status, "priority": "HIGH",
                                    "subject": f"Subject {id}"})  # fmt: skip
        by: str | None = None
        for number, (employee_id, when) in enumerate(hops, start=1):
            self.rows["hand_off"].append({"ticket_id": id, "employee_id": employee_id, "at": when, "by_id": by,
                                          "reason": f"hop {number}"})  # fmt: skip
            by = employee_id
        return self

    async def load(self, driver: AsyncDriver) -> None:
        stream = [
            (kind, ((f"{kind.name}#{n}", row) for n, row in enumerate(self.rows.get(kind.name, []))))
            for kind in ROW_KINDS
        ]
        report = await BulkLoader(driver, "neo4j").load(stream)
        assert report.rows_rejected == 0, report.rejections


def organisation() -> World:
    """Five departments with one person each, plus a second service agent."""
    return (
        World()
        .department("D-SALES", "SALES").department("D-SERVICE", "SERVICE").department("D-ENG", "ENGINEERING")
        .department("D-FIN", "FINANCE").department("D-WH", "WAREHOUSE")
        .employee("E-SALES", "D-SALES").employee("E-SVC", "D-SERVICE").employee("E-SVC2", "D-SERVICE")
        .employee("E-ENG", "D-ENG").employee("E-FIN", "D-FIN").employee("E-WH", "D-WH")
    )  # fmt: skip


def journey_world() -> World:
    """Customer C1: an order, four interactions and a ticket that went service -> engineering -> service."""
    return (
        organisation()
        .product("P1", 10.0)
        .customer("C1", owner_id="E-SALES")
        .customer("C-EMPTY")
        .order("O1", "C1", at(0), lines=[("P1", 1, 10.0)],
               steps=[("SALE", "E-SALES", at(1)), ("PICK", "E-WH", at(30)), ("INVOICE", "E-FIN", at(50))])
        .interaction("I0", "C1", "E-SALES", at(0), "MEETING")
        .interaction("I1", "C1", "E-SVC", at(2), "PHONE")
        .interaction("I2", "C1", "E-ENG", at(40), "EMAIL")
        .interaction("I3", "C1", "E-SVC2", at(70), "CHAT")
        .ticket("T1", "C1", at(10), hops=[("E-SVC", at(11)), ("E-ENG", at(20)), ("E-SVC", at(45))], closed_at=at(60))
    )  # fmt: skip


async def run_with(
    driver: AsyncDriver,
    query: str,
    *,
    clock: Callable[[], datetime] | None = None,
    service_levels: ServiceLevels | None = None,
    **variables: Any,
) -> Any:
    """Like ``tests.resolvers.helpers.run``, with the context's clock and service levels chosen."""
    context = Context(store=Neo4jGraphStore(driver, "neo4j"), access=Access.unrestricted())
    if clock is not None:
        context.clock = clock
    if service_levels is not None:
        context.service_levels = service_levels
    return await OPERATIONS.run(query, context, variables or None)
