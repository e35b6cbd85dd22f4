"""Live fields through GraphQL, on the real demo systems of record and the real Neo4j.

The graph is the ``small`` demo company; the systems of record (``tests/live_systems.py``) are
generated from the same company, so the values each field must show are computed here from
the same generators the systems serve. Round trips are counted by the systems themselves.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pytest
from neo4j import AsyncDriver
from strawberry.types import ExecutionResult

from demo_systems.directory_records import build_crm, build_helpdesk, build_hr, customer_summaries
from demo_systems.erp_data import build_erp
from domain.access import Access, Caller
from graph.demo_callers import demo_callers
from graph.store import Neo4jGraphStore
from resolvers.context import Context
from resolvers.strawberry_internals import graphql_schema
from server.policy_config import PolicyFile
from server.settings import PROJECT_ROOT
from sources.port import Source
from sources.sql import SqlSource
from tests.bolt_counter import counting_statements
from tests.live_systems import LIVE_PRESET, LIVE_SEED, LiveSystems, OpenRegistry, http_count, pg_count, sqlite_count
from tests.resolvers.helpers import OPERATIONS, SCHEMA


async def run_live(driver: AsyncDriver, sources: Mapping[str, Source], query: str, **variables: Any) -> ExecutionResult:
    context = Context(store=Neo4jGraphStore(driver, "neo4j"), access=Access.unrestricted(), sources=sources)
    return await OPERATIONS.run(query, context, variables or None)


SHIPPED_POLICY = PolicyFile.load(PROJECT_ROOT / "policy.toml", graphql_schema(SCHEMA)).policy


def at(value: object) -> str:
    """A time as the API shows it."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.isoformat()


@pytest.fixture(scope="module")
def erp() -> Any:
    return build_erp(LIVE_PRESET, LIVE_SEED)


ORDER_LIVE = """
query ($id: ID!) {
  order(id: $id) {
    id
    live {
      status total currency
      shipment { carrier trackingNumber shippedAt eta deliveredAt }
      invoice { number amount invoicedAt dueAt paidAt paymentState }
    }
  }
}
"""


async def test_an_orders_live_state_is_what_the_erp_holds(
    demo_graph: AsyncDriver, live_registry: OpenRegistry, erp: Any
) -> None:
    invoices = {row["order_id"]: row for row in erp.invoices}
    shipments = {row["order_id"]: row for row in erp.shipments}
    unpaid = next(row for row in erp.invoices if row["paid_at"] is None)
    placed = next(row for row in erp.orders if row["status"] == "PLACED")
    async with live_registry() as sources:
        for order_id in (unpaid["order_id"], placed["order_id"]):
            result = await run_live(demo_graph, sources, ORDER_LIVE, id=order_id)
            assert result.errors is None, result.errors
            order = next(row for row in erp.orders if row["order_id"] == order_id)
            live = result.data["order"]["live"]
            assert (live["status"], live["total"], live["currency"]) == (
                order["status"],
                float(order["total"]),
                order["currency"],
            )
            shipment, invoice = shipments.get(order_id), invoices.get(order_id)
            if shipment is None:
                assert live["shipment"] is None
            else:
                assert live["shipment"]["carrier"] == shipment["carrier"]
                assert live["shipment"]["trackingNumber"] == shipment["tracking_no"]
                assert live["shipment"]["shippedAt"] == at(shipment["shipped_at"])
            if invoice is None:
                assert live["invoice"] is None
            else:
                assert live["invoice"]["number"] == invoice["invoice_no"]
                assert live["invoice"]["amount"] == float(invoice["amount"])
                assert live["invoice"]["dueAt"] == at(invoice["due_at"])
                assert live["invoice"]["paidAt"] is None
                assert live["invoice"]["paymentState"] == invoice["payment_state"]


async def test_stock_tickets_and_availability_are_what_their_systems_hold(
    demo_graph: AsyncDriver, live_registry: OpenRegistry, erp: Any
) -> None:
    product = erp.products[0]
    ticket = next(row for row in build_helpdesk(LIVE_PRESET, LIVE_SEED).tickets if row["assignee"])
    person = next(row for row in build_hr(LIVE_PRESET, LIVE_SEED) if row["out_of_office"])
    query = """
    query ($product: ID!, $ticket: ID!, $employee: ID!) {
      product(id: $product) { stock { warehouse onHand reserved available reorderPoint belowReorderPoint } }
      ticket(id: $ticket) { live { status priority updatedAt closedAt assigneeName assignee { id name } } }
      employee(id: $employee) { availability { hrKey availability role department outOfOffice { since until reason } } }
    }
    """
    async with live_registry() as sources:
        result = await run_live(
            demo_graph,
            sources,
            query,
            product=product["product_id"],
            ticket=ticket["id"],
            employee=person["employee_id"],
        )

    assert result.errors is None, result.errors
    available = product["on_hand"] - product["reserved"]
    assert result.data["product"]["stock"] == {
        "warehouse": product["warehouse"],
        "onHand": product["on_hand"],
        "reserved": product["reserved"],
        "available": available,
        "reorderPoint": product["reorder_point"],
        "belowReorderPoint": available <= product["reorder_point"],
    }
    live = result.data["ticket"]["live"]
    assert (live["status"], live["priority"], live["updatedAt"]) == (
        ticket["status"],
        ticket["priority"],
        at(ticket["updated_at"]),
    )
    assert live["assigneeName"] == ticket["assignee"]["name"] == live["assignee"]["name"]
    assert live["assignee"]["id"] == ticket["assignee"]["employee_id"]
    absence = person["out_of_office"]
    assert result.data["employee"]["availability"] == {
        "hrKey": person["hr_key"],
        "availability": person["availability"],
        "role": person["role"],
        "department": person["department"],
        "outOfOffice": {"since": absence["from"], "until": absence["until"], "reason": absence["reason"]},
    }


CUSTOMER_LIVE = """
query ($id: ID!) {
  customer(id: $id) {
    id name
    crm { crmKey leadScore pipelineValue openOpportunities { id stage amount closeDate } campaigns { id response } }
    erpAccount {
      erpKey paymentTermsDays currency openInvoices openBalance overdueInvoices overdueBalance
      orders lastOrderId lastOrderStatus lastOrderAt
    }
    helpdeskSummary { helpdeskKey openTickets ticketsTotal oldestOpenSince lastContactAt }
  }
}
"""


async def test_a_customers_crm_erp_and_helpdesk_state_is_what_those_systems_hold(
    demo_graph: AsyncDriver, live_registry: OpenRegistry, erp: Any
) -> None:
    unpaid = next(row for row in erp.invoices if row["paid_at"] is None)
    erp_key = next(row for row in erp.orders if row["order_id"] == unpaid["order_id"])["erp_customer_key"]
    customer_id = next(row for row in erp.customers if row["erp_key"] == erp_key)["customer_id"]
    account = next(row for row in build_crm(LIVE_PRESET, LIVE_SEED) if row["customerId"] == customer_id)
    summary = next(
        row for row in customer_summaries(build_helpdesk(LIVE_PRESET, LIVE_SEED)) if row["customer_id"] == customer_id
    )
    mine = sorted(
        (row for row in erp.orders if row["erp_customer_key"] == erp_key),
        key=lambda row: (row["placed_at"], row["order_id"]),
    )
    orders = {row["order_id"] for row in mine}
    open_invoices = [row for row in erp.invoices if row["order_id"] in orders and row["paid_at"] is None]
    overdue = [row for row in open_invoices if row["payment_state"] == "OVERDUE"]

    async with live_registry() as sources:
        result = await run_live(demo_graph, sources, CUSTOMER_LIVE, id=customer_id)

    assert result.errors is None, result.errors
    customer = result.data["customer"]
    assert customer["crm"]["crmKey"] == account["key"]
    assert customer["crm"]["leadScore"] == account["leadScore"]
    opportunities = account["openOpportunities"]
    assert customer["crm"]["openOpportunities"] == [
        {"id": item["id"], "stage": item["stage"], "amount": item["amount"], "closeDate": item["closeDate"]}
        for item in opportunities
    ]
    assert customer["crm"]["pipelineValue"] == pytest.approx(sum(item["amount"] for item in opportunities))
    assert [item["id"] for item in customer["crm"]["campaigns"]] == [item["id"] for item in account["campaigns"]]
    assert customer["erpAccount"] == {
        "erpKey": erp_key,
        "paymentTermsDays": next(row for row in erp.customers if row["erp_key"] == erp_key)["payment_terms_days"],
        "currency": mine[-1]["currency"],
        "openInvoices": len(open_invoices),
        "openBalance": pytest.approx(sum(float(row["amount"]) for row in open_invoices)),
        "overdueInvoices": len(overdue),
        "overdueBalance": pytest.approx(sum(float(row["amount"]) for row in overdue)),
        "orders": len(mine),
        "lastOrderId": mine[-1]["order_id"],
        "lastOrderStatus": mine[-1]["status"],
        "lastOrderAt": at(mine[-1]["placed_at"]),
    }
    assert customer["helpdeskSummary"] == {
        "helpdeskKey": summary["key"],
        "openTickets": summary["open_tickets"],
        "ticketsTotal": summary["tickets_total"],
        "oldestOpenSince": summary["oldest_open_since"] and at(summary["oldest_open_since"]),
        "lastContactAt": summary["last_contact_at"] and at(summary["last_contact_at"]),
    }


TWENTY_ORDERS = "{ orders(first: 20) { nodes { id live { status } } } }"


@pytest.mark.parametrize("erp_kind", ["sqlite", "postgres"])
async def test_the_live_status_of_twenty_orders_is_one_erp_statement(
    erp_kind: str, demo_graph: AsyncDriver, live_registry: OpenRegistry, live_systems: LiveSystems, erp: Any
) -> None:
    async with live_registry(erp=erp_kind) as sources:
        source = sources["erp_orders"]
        assert isinstance(source, SqlSource)
        if erp_kind == "sqlite":
            statements = sqlite_count(source, "erp_order_status")
        else:
            statements = pg_count(live_systems.erp_engines["postgres"], "erp_order_status")
        await statements.start()
        result = await run_live(demo_graph, sources, TWENTY_ORDERS)
        counted = await statements.since_start()

    assert result.errors is None, result.errors
    nodes = result.data["orders"]["nodes"]
    assert len(nodes) == 20
    status = {row["order_id"]: row["status"] for row in erp.orders}
    assert [node["live"]["status"] for node in nodes] == [status[node["id"]] for node in nodes]
    assert counted == 1


async def test_a_level_is_one_call_per_source_however_many_parents(
    demo_graph: AsyncDriver, live_registry: OpenRegistry, live_systems: LiveSystems
) -> None:
    # The tickets of 10 customers (one level) and 5 orders of each (one level), with their live
    # state; 20 products with their stock, beside them.
    query = """
    {
      customers(first: 10) {
        nodes {
          tickets(first: 5) { nodes { id live { status assignee { name } } } }
          orders(first: 5) { nodes { id live { status } } }
        }
      }
      products(first: 20) { nodes { id stock { available } } }
    }
    """
    tickets = http_count(live_systems.url("helpdesk"))
    async with live_registry() as sources:
        source = sources["erp_orders"]
        stock = sources["erp_stock"]
        assert isinstance(source, SqlSource) and isinstance(stock, SqlSource)
        order_statements = sqlite_count(source, "erp_order_status")
        stock_statements = sqlite_count(stock, "erp_stock")
        await tickets.start()
        result = await run_live(demo_graph, sources, query)
        counted = (await tickets.since_start(), await order_statements.total(), await stock_statements.total())

    assert result.errors is None, result.errors
    customers = result.data["customers"]["nodes"]
    assert sum(len(customer["orders"]["nodes"]) for customer in customers) > 10
    assert sum(len(customer["tickets"]["nodes"]) for customer in customers) > 1
    assert all(product["stock"] for product in result.data["products"]["nodes"])
    assert counted == (1, 1, 1)


CUSTOMERS_360 = """
query ($first: Int!) {
  customers(first: $first) {
    nodes { id name crm { leadScore } erpAccount { openBalance } helpdeskSummary { openTickets } }
  }
}
"""
CUSTOMERS_CRM_ONLY = "query ($first: Int!) { customers(first: $first) { nodes { id name crm { leadScore } } } }"


async def test_a_customer_360_calls_its_three_sources_once_each_and_at_the_same_time(
    demo_graph: AsyncDriver, live_registry: OpenRegistry, live_systems: LiveSystems
) -> None:
    latency = 0.3
    crm, helpdesk = http_count(live_systems.url("crm"), "graphql"), http_count(live_systems.url("helpdesk_customers"))
    accounts = pg_count(live_systems.erp_engines["postgres"], "erp_customer_account")
    async with live_registry(erp="postgres", timeout_s=3.0) as sources:
        # Warm the pools and the graph's plans, then count and time a cold request.
        await run_live(demo_graph, sources, CUSTOMERS_360, first=2)
        with counting_statements() as crm_only:
            await run_live(demo_graph, sources, CUSTOMERS_CRM_ONLY, first=10)
        await live_systems.set_latency(int(latency * 1000))
        for counter in (crm, helpdesk, accounts):
            await counter.start()
        started = time.perf_counter()
        with counting_statements() as all_three:
            result = await run_live(demo_graph, sources, CUSTOMERS_360, first=10)
        took = time.perf_counter() - started
        counted = (await crm.since_start(), await helpdesk.since_start(), await accounts.since_start())

    assert result.errors is None, result.errors
    nodes = result.data["customers"]["nodes"]
    assert len(nodes) == 10
    assert all(node["crm"] and node["erpAccount"] and node["helpdeskSummary"] for node in nodes)
    assert counted == (1, 1, 1)
    # The identities of the ten customers are one graph lookup, shared by the three fields.
    assert len(all_three) == len(crm_only)
    # Three sources at 300 ms each: together about 300 ms, not 900.
    assert latency <= took < 2 * latency, took


async def test_the_live_fields_of_a_customer_the_caller_may_not_see_are_never_fetched(
    demo_graph: AsyncDriver, live_registry: OpenRegistry, live_systems: LiveSystems
) -> None:
    agent = (await demo_callers(Neo4jGraphStore(demo_graph, "neo4j")))["service_agent"].employee_id
    access = Access(Caller(agent, frozenset({"service_agent"}), agent), SHIPPED_POLICY.grants(["service_agent"]))
    records, _, _ = await demo_graph.execute_query(
        """
        MATCH (c:Customer) WHERE EXISTS { (c)-[:KNOWN_AS]->(:ExternalId {system: 'CRM'}) }
        WITH c, EXISTS { (:Employee {id: $agent})-[:WORKS_IN]->(d:Department) WHERE (d)-[:SERVES]->(c) } AS served
        ORDER BY c.id
        RETURN collect(CASE WHEN served THEN c.id END)[0] AS seen,
               collect(CASE WHEN NOT served THEN c.id END)[0] AS hidden
        """,
        agent=agent,
    )
    seen, hidden = records[0]["seen"], records[0]["hidden"]
    query = "query($id: ID!) { customer(id: $id) { crm { leadScore } helpdeskSummary { openTickets } } }"
    crm, helpdesk = http_count(live_systems.url("crm"), "graphql"), http_count(live_systems.url("helpdesk_customers"))

    async with live_registry() as sources:

        async def calls_for(customer_id: str) -> tuple[int, int]:
            for counter in (crm, helpdesk):
                await counter.start()
            context = Context(store=Neo4jGraphStore(demo_graph, "neo4j"), access=access, sources=sources)
            result = await OPERATIONS.run(query, context, {"id": customer_id})
            assert result.errors is None or customer_id == hidden, result.errors
            return await crm.since_start(), await helpdesk.since_start()

        hidden_calls = await calls_for(hidden)
        seen_calls = await calls_for(seen)

    assert hidden_calls == (0, 0)
    assert seen_calls == (1, 1)  # the same query for a customer the agent serves does reach both
