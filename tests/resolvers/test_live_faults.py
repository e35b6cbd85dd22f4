"""Partial results: a failing source nulls only the fields that read it, and the rest is served.

Faults are real: a demo system's process stopped and started again, latency past the
source's timeout and garbage answers injected in the systems themselves, a circuit opened by
real failures. Each failing field is null with an error whose ``extensions`` say
``SOURCE_UNAVAILABLE`` and name the source; every other field keeps its value.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from neo4j import AsyncDriver

from demo_systems.erp import set_erp_faults
from demo_systems.launcher import control, stop_system
from domain.access import Access
from domain.budget import RequestBudget
from graph.store import Neo4jGraphStore
from resolvers.context import Context
from tests.live_systems import LiveSystems, OpenRegistry, http_count
from tests.resolvers.helpers import OPERATIONS
from tests.resolvers.test_live import run_live

CUSTOMER_360 = """
query ($id: ID!) {
  customer(id: $id) {
    id name tier
    crm { leadScore }
    erpAccount { openBalance }
    helpdeskSummary { openTickets }
    orders(first: 3) { nodes { id status live { status } } }
    tickets(first: 3) { nodes { id status live { status } } }
  }
}
"""
CUSTOMER = "C000015"  # has orders and tickets in the small demo company
FAST = {"timeout_s": 0.3, "connect_timeout_s": 0.2, "backoff_s": 0.01, "backoff_max_s": 0.02}


def unavailable(result: Any) -> dict[str, set[tuple[str | int, ...]]]:
    """The paths of the SOURCE_UNAVAILABLE errors, by source."""
    found: dict[str, set[tuple[str | int, ...]]] = {}
    for error in result.errors or ():
        assert error.extensions["code"] == "SOURCE_UNAVAILABLE", error
        found.setdefault(error.extensions["source"], set()).add(tuple(error.path))
    return found


def assert_served_without(customer: dict[str, Any], *nulled: str) -> None:
    """Everything of the 360 is there but the ``nulled`` parts."""
    assert customer["id"] == CUSTOMER and customer["name"] and customer["tier"]
    for field in ("crm", "erpAccount", "helpdeskSummary"):
        assert (customer[field] is None) == (field in nulled), field
    orders, tickets = customer["orders"]["nodes"], customer["tickets"]["nodes"]
    assert orders and tickets
    assert all(order["status"] and ((order["live"] is None) == ("orders.live" in nulled)) for order in orders)
    assert all(ticket["status"] and ((ticket["live"] is None) == ("tickets.live" in nulled)) for ticket in tickets)


async def test_all_sources_up_serve_the_whole_360(demo_graph: AsyncDriver, live_registry: OpenRegistry) -> None:
    async with live_registry(**FAST) as sources:
        result = await run_live(demo_graph, sources, CUSTOMER_360, id=CUSTOMER)
    assert result.errors is None, result.errors
    assert_served_without(result.data["customer"])


async def test_a_stopped_system_nulls_only_its_fields_and_they_come_back_with_it(
    demo_graph: AsyncDriver, live_registry: OpenRegistry, live_systems: LiveSystems
) -> None:
    async with live_registry(**FAST, failure_threshold=1, cool_down_s=0.2) as sources:
        await asyncio.to_thread(stop_system, live_systems.fleet.systems["helpdesk"])
        try:
            down = await run_live(demo_graph, sources, CUSTOMER_360, id=CUSTOMER)
        finally:
            await asyncio.to_thread(live_systems.fleet.restart, "helpdesk")
        await asyncio.sleep(0.25)  # the circuit's cool-down: the next call is its probe
        back = await run_live(demo_graph, sources, CUSTOMER_360, id=CUSTOMER)

    assert_served_without(down.data["customer"], "helpdeskSummary", "tickets.live")
    paths = unavailable(down)
    assert set(paths) == {"helpdesk", "helpdesk_customers"}
    assert paths["helpdesk_customers"] == {("customer", "helpdeskSummary")}
    assert len(paths["helpdesk"]) == len(down.data["customer"]["tickets"]["nodes"])
    assert back.errors is None, back.errors
    assert_served_without(back.data["customer"])


async def test_a_source_slower_than_its_timeout_is_null_within_the_timeout(
    demo_graph: AsyncDriver, live_registry: OpenRegistry, live_systems: LiveSystems
) -> None:
    async with live_registry(**FAST) as sources:
        await run_live(demo_graph, sources, CUSTOMER_360, id=CUSTOMER)  # warm up connections
        await control(live_systems.url("crm"), latency_ms=3000)
        started = time.perf_counter()
        result = await run_live(demo_graph, sources, CUSTOMER_360, id=CUSTOMER)
        took = time.perf_counter() - started

    assert_served_without(result.data["customer"], "crm")
    assert set(unavailable(result)) == {"crm"}
    assert "no answer within 0.3s" in result.errors[0].message
    # The timeout, plus the graph lookups and some slack for a busy machine; not the 3 s.
    assert 0.3 <= took < 0.8, took


async def test_garbage_answers_null_only_the_fields_that_read_them(
    demo_graph: AsyncDriver, live_registry: OpenRegistry, live_systems: LiveSystems
) -> None:
    async with live_registry(**FAST) as sources:
        await control(live_systems.url("helpdesk"), fail="wrong_shape")
        await set_erp_faults(live_systems.erp_engines["sqlite"], fail="malformed")
        result = await run_live(demo_graph, sources, CUSTOMER_360, id=CUSTOMER)

    # The ERP's malformed rows break the orders' status and the accounts' invoice counts.
    assert_served_without(result.data["customer"], "helpdeskSummary", "tickets.live", "orders.live", "erpAccount")
    assert set(unavailable(result)) == {"helpdesk", "helpdesk_customers", "erp_orders", "erp_accounts"}
    assert all("malformed answer" in error.message for error in result.errors)


async def test_an_open_circuit_answers_at_once_without_calling_the_system(
    demo_graph: AsyncDriver, live_registry: OpenRegistry, live_systems: LiveSystems
) -> None:
    query = "query ($id: ID!) { customer(id: $id) { id name crm { leadScore } } }"
    calls = http_count(live_systems.url("crm"), "graphql")
    async with live_registry(**FAST, retries=0, failure_threshold=2, cool_down_s=60) as sources:
        await control(live_systems.url("crm"), fail="500")
        for _ in range(2):
            await run_live(demo_graph, sources, query, id=CUSTOMER)
        await control(live_systems.url("crm"), fail=None)
        baseline = "query ($id: ID!) { customer(id: $id) { id name identities { key } } }"
        await run_live(demo_graph, sources, baseline, id=CUSTOMER)
        await calls.start()
        started = time.perf_counter()
        result = await run_live(demo_graph, sources, query, id=CUSTOMER)
        took = time.perf_counter() - started
        started = time.perf_counter()
        await run_live(demo_graph, sources, baseline, id=CUSTOMER)
        graph_only = time.perf_counter() - started

    assert result.data["customer"]["name"] and result.data["customer"]["crm"] is None
    assert set(unavailable(result)) == {"crm"}
    assert "circuit open" in result.errors[0].message
    assert await calls.since_start() == 0
    # The refusal costs nothing next to the graph lookups the field needs anyway.
    assert took < graph_only + 0.1, (took, graph_only)


async def test_a_field_no_source_serves_is_null_with_an_error_saying_so(demo_graph: AsyncDriver) -> None:
    result = await run_live(demo_graph, {}, CUSTOMER_360, id=CUSTOMER)

    assert_served_without(
        result.data["customer"], "crm", "erpAccount", "helpdeskSummary", "orders.live", "tickets.live"
    )
    paths = unavailable(result)
    assert paths["Customer by CRM key"] == {("customer", "crm")}
    assert paths["Order by id"] == {("customer", "orders", "nodes", index, "live") for index in range(3)}
    assert all("not configured" in error.message for error in result.errors)


async def test_a_source_still_silent_at_the_request_deadline_nulls_only_its_fields(
    demo_graph: AsyncDriver, live_registry: OpenRegistry, live_systems: LiveSystems
) -> None:
    # The CRM's own timeout (3 s) is longer than what is left of the request (0.8 s).
    async with live_registry(timeout_s=3.0) as sources:
        await run_live(demo_graph, sources, CUSTOMER_360, id=CUSTOMER)  # warm up connections
        await control(live_systems.url("crm"), latency_ms=2500)
        budget = RequestBudget(timeout_s=0.8, max_statements=8, max_errors=50)
        store = Neo4jGraphStore(demo_graph, "neo4j").within(budget)
        context = Context(store=store, access=Access.unrestricted(), sources=sources, budget=budget)
        result = await OPERATIONS.run(CUSTOMER_360, context, {"id": CUSTOMER})

    assert_served_without(result.data["customer"], "crm")
    assert set(unavailable(result)) == {"crm"}
    assert "no answer before the request's deadline" in result.errors[0].message
