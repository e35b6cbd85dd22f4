"""One contract for every source adapter, run against the real demo systems.

Parametrized over the ERP on SQLite and on PostgreSQL (the same SQL adapter and config on
both), the helpdesk and HR directory (HTTP/JSON) and the CRM (GraphQL). Round trips are
counted by the systems themselves: the HTTP servers' counters, PostgreSQL's
pg_stat_statements, SQLite's statement trace.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from demo_systems.directory_records import build_crm, build_helpdesk, build_hr, customer_summaries
from demo_systems.erp_data import build_erp
from demo_systems.launcher import DemoFleet
from sources.guarded import GuardedSource
from sources.port import ExportingSource, Source
from sources.resilience import CircuitState
from sources.sql import SqlSource
from tests.live_systems import SYSTEM_OF, ServerCount, http_count, pg_count, sqlite_count
from tests.sources.conftest import PRESET, SEED, Connect


@dataclass(frozen=True)
class Case:
    source: str
    erp: str = "sqlite"
    relation: str = ""

    @property
    def id(self) -> str:
        return f"{self.source}-{self.erp}" if self.relation else self.source


CASES = [
    Case("erp_orders", "sqlite", "erp_order_status"),
    Case("erp_orders", "postgres", "erp_order_status"),
    Case("erp_stock", "sqlite", "erp_stock"),
    Case("erp_stock", "postgres", "erp_stock"),
    Case("erp_accounts", "sqlite", "erp_customer_account"),
    Case("erp_accounts", "postgres", "erp_customer_account"),
    Case("helpdesk"),
    Case("helpdesk_customers"),
    Case("hr"),
    Case("crm"),
]


@pytest.fixture(scope="module")
def expected() -> dict[str, dict[str, dict[str, Any]]]:
    """Two known keys per source and the values the source must answer for them."""
    erp = build_erp(PRESET, SEED)
    shipments = {row["order_id"]: row for row in erp.shipments}
    invoices = {row["order_id"]: row for row in erp.invoices}
    orders = {}
    for order in (erp.orders[0], erp.orders[-1]):
        shipment, invoice = shipments.get(order["order_id"], {}), invoices.get(order["order_id"], {})
        orders[str(order["order_id"])] = {
            "status": order["status"],
            "total": float(order["total"]),
            "currency": order["currency"],
            "carrier": shipment.get("carrier"),
            "payment_state": invoice.get("payment_state"),
        }
    stock = {
        str(product["product_id"]): {
            "warehouse": product["warehouse"],
            "on_hand": product["on_hand"],
            "available": int(product["on_hand"]) - int(product["reserved"]),
        }
        for product in erp.products[:2]
    }
    accounts_by_key = {}
    for customer in (erp.customers[0], erp.customers[-1]):
        key = customer["erp_key"]
        mine = {row["order_id"] for row in erp.orders if row["erp_customer_key"] == key}
        unpaid = [row for row in erp.invoices if row["order_id"] in mine and row["paid_at"] is None]
        accounts_by_key[str(key)] = {
            "customer_id": customer["customer_id"],
            "payment_terms_days": customer["payment_terms_days"],
            "orders": len(mine),
            "open_invoices": len(unpaid),
        }
    desk = build_helpdesk(PRESET, SEED)
    summaries = customer_summaries(desk)
    helpdesk_customers = {
        str(summary["key"]): {
            "customer_id": summary["customer_id"],
            "open_tickets": summary["open_tickets"],
            "tickets_total": summary["tickets_total"],
        }
        for summary in (summaries[0], summaries[-1])
    }
    helpdesk = desk.tickets
    tickets = {
        str(ticket["id"]): {
            "status": ticket["status"],
            "priority": ticket["priority"],
            "assignee_employee_id": (ticket["assignee"] or {}).get("employee_id"),
        }
        for ticket in (helpdesk[0], helpdesk[-1])
    }
    hr = build_hr(PRESET, SEED)
    away = next(person for person in hr if person["out_of_office"])
    people = {
        str(person["hr_key"]): {
            "availability": person["availability"],
            "role": person["role"],
            "out_of_office": person["out_of_office"],
            "employee_id": person["employee_id"],
        }
        for person in (hr[0], away)
    }
    crm = build_crm(PRESET, SEED)
    accounts = {
        str(account["key"]): {
            "customer_id": account["customerId"],
            "lead_score": account["leadScore"],
            "open_opportunities": account["openOpportunities"],
        }
        for account in (crm[1], crm[-1])
    }
    return {
        "erp_orders": orders,
        "erp_stock": stock,
        "erp_accounts": accounts_by_key,
        "helpdesk": tickets,
        "helpdesk_customers": helpdesk_customers,
        "hr": people,
        "crm": accounts,
    }


@pytest.fixture(params=CASES, ids=lambda case: case.id)
def case(request: pytest.FixtureRequest) -> Case:
    param: Case = request.param
    return param


@pytest.fixture
async def source(case: Case, connect: Connect) -> GuardedSource:
    return await connect(case.source, erp=case.erp)


def count_at_server(
    case: Case, source: GuardedSource, demo_fleet: DemoFleet, erp_controls: dict[str, AsyncEngine]
) -> ServerCount:
    if case.relation and case.erp == "postgres":
        return pg_count(erp_controls["postgres"], case.relation)
    if case.relation:
        assert isinstance(source, SqlSource)
        return sqlite_count(source, case.relation)
    return http_count(demo_fleet.url(SYSTEM_OF[case.source]))


@pytest.fixture
async def server_count(
    case: Case, source: GuardedSource, demo_fleet: DemoFleet, erp_controls: dict[str, AsyncEngine]
) -> ServerCount:
    count = count_at_server(case, source, demo_fleet, erp_controls)
    await count.start()
    return count


def _matches(record: object, wanted: dict[str, Any]) -> bool:
    assert isinstance(record, dict)
    return {field: record[field] for field in wanted} == wanted


async def test_the_adapter_satisfies_the_ports(source: GuardedSource) -> None:
    assert isinstance(source, Source)
    assert isinstance(source, ExportingSource)


async def test_known_keys_answer_their_records(
    case: Case, source: GuardedSource, expected: dict[str, dict[str, dict[str, Any]]]
) -> None:
    wanted = expected[case.source]
    records = await source.fetch(list(wanted))
    for record, values in zip(records, wanted.values(), strict=True):
        assert _matches(record, values), (record, values)


async def test_unknown_keys_resolve_to_none_in_key_order(
    case: Case, source: GuardedSource, expected: dict[str, dict[str, dict[str, Any]]]
) -> None:
    first, second = expected[case.source]
    records = await source.fetch([second, "NO-SUCH-KEY", first, second])
    assert records[1] is None
    assert _matches(records[0], expected[case.source][second])
    assert _matches(records[2], expected[case.source][first])
    assert records[3] == records[0]


async def test_a_batch_is_one_call_at_the_server(
    case: Case, source: GuardedSource, server_count: ServerCount, expected: dict[str, dict[str, dict[str, Any]]]
) -> None:
    keys = [*expected[case.source], "NO-SUCH-KEY"]
    await source.fetch(keys)
    assert await server_count.since_start() == 1


async def test_fresh_cached_keys_make_no_call(
    case: Case, source: GuardedSource, server_count: ServerCount, expected: dict[str, dict[str, dict[str, Any]]]
) -> None:
    first, second = expected[case.source]
    before = await source.fetch([first, "NO-SUCH-KEY"])
    again = await source.fetch([first, "NO-SUCH-KEY"])
    assert again == before
    assert await server_count.since_start() == 1
    # Only the key missing from the cache goes out.
    both = await source.fetch([first, second])
    assert both[0] == before[0]
    assert await server_count.since_start() == 2
    assert source.stats.cache_hits == 3


async def test_big_batches_are_split_into_max_batch_calls(
    case: Case,
    connect: Connect,
    demo_fleet: DemoFleet,
    erp_controls: dict[str, AsyncEngine],
    expected: dict[str, dict[str, dict[str, Any]]],
) -> None:
    source = await connect(case.source, erp=case.erp, max_batch=2, cache_ttl_s=0)
    count = count_at_server(case, source, demo_fleet, erp_controls)
    await count.start()
    records = await source.fetch([*expected[case.source], "NO-1", "NO-2", "NO-3"])
    assert [record is None for record in records] == [False, False, True, True, True]
    assert await count.since_start() == 3


async def test_an_empty_batch_makes_no_call(source: GuardedSource, server_count: ServerCount) -> None:
    assert await source.fetch([]) == []
    assert await server_count.since_start() == 0


async def test_health_is_ok_and_the_circuit_closed(source: GuardedSource) -> None:
    health = await source.health()
    assert health.ok, health.detail
    assert health.name == source.name
    assert health.circuit is CircuitState.CLOSED


EXPORTING = [case for case in CASES if case.source not in ("erp_stock", "erp_accounts", "helpdesk_customers")]


@pytest.mark.parametrize("exporting", EXPORTING, ids=lambda case: case.id)
async def test_exports_page_through_every_record(exporting: Case, connect: Connect, demo_fleet: DemoFleet) -> None:
    source = await connect(exporting.source, erp=exporting.erp, page_size=7)
    assert source.exports
    pages = None if exporting.relation else http_count(demo_fleet.url(exporting.source), "export")
    if pages is not None:
        await pages.start()
    sizes: dict[str, int] = {}
    for kind in source.exports:
        rows = [row async for row in source.export(kind)]
        assert rows, kind
        assert all(set(row) == set(rows[0]) for row in rows)
        sizes[kind] = len(rows)
        # Pages neither repeat nor skip rows: every row is distinct.
        assert len({tuple(sorted(map(str, row.values()))) for row in rows}) == len(rows)
    if pages is not None:
        assert await pages.since_start() == sum(math.ceil(size / 7) for size in sizes.values())
