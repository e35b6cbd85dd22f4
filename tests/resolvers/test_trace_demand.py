"""Demand and revenue for planning: exact buckets per department, product and tier."""

from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver

from tests.resolvers.helpers import run
from tests.trace_world import World, organisation

DEMAND = """
query ($window: TimeWindow!, $by: DemandDimension!, $granularity: Granularity!) {
  demand(window: $window, by: $by, granularity: $granularity) {
    period key currency orders units revenue orderSteps
    department { id } product { id } tier
  }
}
"""

WINDOW = {"from": "2026-01-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"}


def t(day: str) -> str:
    return f"2026-{day}T10:00:00+00:00"


def sales() -> World:
    world = organisation().product("P1", 10.0).product("P2", 20.0)
    world.customer("C-PLAT", "PLATINUM").customer("C-BRNZ", "BRONZE")
    steps_o1 = [("SALE", "E-SALES", t("01-05")), ("PICK", "E-WH", t("01-06"))]
    steps_o3 = [("SALE", "E-SALES", t("01-14")), ("PICK", "E-WH", t("01-15")), ("SHIP", "E-WH", t("01-16"))]
    world.order("O1", "C-PLAT", t("01-05"), lines=[("P1", 2, 10.0), ("P2", 1, 20.0)], steps=steps_o1)
    world.order("O2", "C-BRNZ", t("01-07"), lines=[("P1", 1, 10.0)], steps=[("SALE", "E-SALES", t("01-07"))])
    world.order("O3", "C-PLAT", t("01-14"), lines=[("P2", 3, 20.0)], steps=steps_o3)
    world.order("O4", "C-BRNZ", t("02-02"), lines=[("P1", 5, 11.0)], steps=[("SALE", "E-SALES", t("02-02"))],
                currency="USD")  # fmt: skip
    # Cancelled, or placed outside the window: left out.
    world.order("O5", "C-PLAT", t("01-06"), lines=[("P1", 9, 10.0)], status="CANCELLED")
    world.order("O6", "C-PLAT", t("03-10"), lines=[("P1", 9, 10.0)])
    return world


def _buckets(result: Any) -> list[tuple[object, ...]]:
    assert result.errors is None, result.errors
    return [
        (b["period"], b["key"], b["currency"], b["orders"], b["units"], b["revenue"], b["orderSteps"])
        for b in result.data["demand"]
    ]


async def test_demand_by_product_and_month(empty_graph: AsyncDriver) -> None:
    await sales().load(empty_graph)

    result = await run(empty_graph, DEMAND, window=WINDOW, by="PRODUCT", granularity="MONTH")

    assert _buckets(result) == [
        ("2026-01-01", "P1", "EUR", 2, 3, 30.0, 0),
        ("2026-01-01", "P2", "EUR", 2, 4, 80.0, 0),
        ("2026-02-01", "P1", "USD", 1, 5, 55.0, 0),
    ]
    assert [b["product"]["id"] for b in result.data["demand"]] == ["P1", "P2", "P1"]
    assert {b["department"] for b in result.data["demand"]} == {None}


async def test_demand_by_tier_and_week(empty_graph: AsyncDriver) -> None:
    await sales().load(empty_graph)

    result = await run(empty_graph, DEMAND, window=WINDOW, by="TIER", granularity="WEEK")

    # Weeks start on Monday: 5 Jan, 12 Jan, 2 Feb 2026.
    assert _buckets(result) == [
        ("2026-01-05", "BRONZE", "EUR", 1, 1, 10.0, 0),
        ("2026-01-05", "PLATINUM", "EUR", 1, 3, 40.0, 0),
        ("2026-01-12", "PLATINUM", "EUR", 1, 3, 60.0, 0),
        ("2026-02-02", "BRONZE", "USD", 1, 5, 55.0, 0),
    ]
    assert [b["tier"] for b in result.data["demand"]] == ["BRONZE", "PLATINUM", "PLATINUM", "BRONZE"]


async def test_demand_by_department_counts_the_orders_its_people_handled(empty_graph: AsyncDriver) -> None:
    await sales().load(empty_graph)

    result = await run(empty_graph, DEMAND, window=WINDOW, by="DEPARTMENT", granularity="MONTH")

    assert _buckets(result) == [
        ("2026-01-01", "D-SALES", "EUR", 3, 7, 110.0, 3),
        ("2026-01-01", "D-WH", "EUR", 2, 6, 100.0, 3),
        ("2026-02-01", "D-SALES", "USD", 1, 5, 55.0, 1),
    ]
    assert [b["department"]["id"] for b in result.data["demand"]] == ["D-SALES", "D-WH", "D-SALES"]


async def test_a_window_without_orders_has_no_demand(empty_graph: AsyncDriver) -> None:
    await sales().load(empty_graph)
    window = {"from": "2025-01-01T00:00:00Z", "to": "2025-06-01T00:00:00Z"}

    result = await run(empty_graph, DEMAND, window=window, by="TIER", granularity="MONTH")

    assert result.errors is None and result.data == {"demand": []}


async def test_demand_needs_a_closed_forward_window(empty_graph: AsyncDriver) -> None:
    inverted = {"from": "2026-03-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}

    backwards = await run(empty_graph, DEMAND, window=inverted, by="TIER", granularity="MONTH")
    open_ended = await run(empty_graph, DEMAND, window={"from": "2026-01-01T00:00:00Z"}, by="TIER", granularity="WEEK")

    assert backwards.errors[0].extensions == {"code": "BAD_USER_INPUT", "argument": "window"}
    assert "'from' must be before 'to'" in backwards.errors[0].message
    assert open_ended.errors[0].extensions == {"code": "BAD_USER_INPUT", "argument": "window"}
