"""The demo systems hold the demo company's data under the keys the graph knows them by."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from demo_company.company import DEMO_NOW, PRESETS, DemoCompany
from demo_systems.directory_records import Helpdesk, build_crm, build_helpdesk, build_hr
from demo_systems.erp_data import ErpRows, build_erp
from graph.load.rows import ROW_KINDS_BY_NAME

PRESET, SEED = "tiny", 7


@pytest.fixture(scope="module")
def company() -> DemoCompany:
    return DemoCompany(PRESETS[PRESET], SEED)


@pytest.fixture(scope="module")
def erp() -> ErpRows:
    return build_erp(PRESET, SEED)


@pytest.fixture(scope="module")
def helpdesk() -> Helpdesk:
    return build_helpdesk(PRESET, SEED)


def identities(company: DemoCompany, system: str) -> dict[str, str]:
    rows: Iterator[dict[str, object]] = iter([*company.rows("customer_identity"), *company.rows("employee_identity")])
    return {str(row["key"]): str(row["owner_id"]) for row in rows if row["system"] == system}


def test_every_system_key_is_an_identity_of_the_demo_graph(
    company: DemoCompany, erp: ErpRows, helpdesk: Helpdesk
) -> None:
    crm_keys, erp_keys = identities(company, "CRM"), identities(company, "ERP")
    hr_keys, helpdesk_keys = identities(company, "HR"), identities(company, "HELPDESK")
    customers = company.count("customer")
    accounts = build_crm(PRESET, SEED)
    # Every demo customer, plus the CRM's new ones, which the graph does not know yet.
    assert {str(a["key"]): str(a["customerId"]) for a in accounts[:customers]} == crm_keys
    assert all(str(a["key"]) not in crm_keys for a in accounts[customers:])
    assert {str(c["erp_key"]): str(c["customer_id"]) for c in erp.customers} == erp_keys
    assert {str(p["hr_key"]): str(p["employee_id"]) for p in build_hr(PRESET, SEED)} == hr_keys
    known = {str(c["key"]): str(c["customer_id"]) for c in helpdesk.customers}
    known |= {str(a["key"]): str(a["employee_id"]) for a in helpdesk.agents}
    assert known == helpdesk_keys


def test_the_erp_holds_the_graph_orders_and_a_few_new_ones(company: DemoCompany, erp: ErpRows) -> None:
    orders = {str(row["id"]): row for row in company.rows("order")}
    assert {str(o["order_id"]) for o in erp.orders[: len(orders)]} == set(orders)
    for order in erp.orders[: len(orders)]:
        assert order["total"] == orders[str(order["order_id"])]["total"]
        assert order["status"] == orders[str(order["order_id"])]["status"]
    new = erp.orders[len(orders) :]
    assert new and all(str(o["order_id"]) not in orders and o["status"] == "PLACED" for o in new)


def test_shipments_and_invoices_follow_the_order_steps(company: DemoCompany, erp: ErpRows) -> None:
    steps = {(str(r["order_id"]), str(r["step"])): r["at"] for r in company.rows("order_step")}
    for shipment in erp.shipments:
        assert shipment["shipped_at"] == steps[(str(shipment["order_id"]), "SHIP")]
    for invoice in erp.invoices:
        assert invoice["issued_at"] == steps[(str(invoice["order_id"]), "INVOICE")]
        assert invoice["payment_state"] in ("PAID", "OPEN", "OVERDUE")
        due = invoice["due_at"]
        assert isinstance(due, datetime)
        if invoice["payment_state"] == "OVERDUE":
            assert due < DEMO_NOW


def test_helpdesk_tickets_name_their_current_assignee(company: DemoCompany, helpdesk: Helpdesk) -> None:
    tickets = {str(t["id"]) for t in company.rows("ticket")}
    last_hop = {str(h["ticket_id"]): h["assignee"] for h in helpdesk.hand_offs}
    for ticket in helpdesk.tickets:
        assignee = ticket["assignee"]
        assert isinstance(assignee, dict)
        assert assignee["employee_id"] == last_hop[str(ticket["id"])]["employee_id"]  # type: ignore[index]
    assert len(helpdesk.tickets) > len(tickets)  # a few opened since the graph was loaded


def test_exported_rows_are_the_graphs_rows(company: DemoCompany, erp: ErpRows, helpdesk: Helpdesk) -> None:
    """What the ERP and the helpdesk export (for ``sync``) parses as the graph's own rows: the
    same values for what the graph holds, and valid rows for what is new since."""
    lines, tickets = ROW_KINDS_BY_NAME["order_line"], ROW_KINDS_BY_NAME["ticket"]
    hand_offs = ROW_KINDS_BY_NAME["hand_off"]
    graph_lines = [lines.parse(row) for row in company.rows("order_line")]
    exported_lines = [lines.parse(line) for line in erp.lines]
    assert exported_lines[: len(graph_lines)] == graph_lines
    assert len(exported_lines) > len(graph_lines)  # the lines of the orders placed since

    graph_tickets = {row["id"]: tickets.parse(row) for row in company.rows("ticket")}
    exported_tickets = {
        str(ticket["id"]): tickets.parse({**ticket, "customer_id": ticket["customer"]["customer_id"]})  # type: ignore[index]
        for ticket in helpdesk.tickets
    }
    # The helpdesk holds the live status (a waiting ticket may have been resolved since the graph
    # was loaded, which is what sync brings in); the rest is the graph's.
    status, closed = tickets.position("status"), tickets.position("closed_at")
    assert {id_: _without(exported_tickets[id_], status, closed) for id_ in graph_tickets} == {
        id_: _without(row, status, closed) for id_, row in graph_tickets.items()
    }
    assert sum(exported_tickets[id_] != row for id_, row in graph_tickets.items()) < len(graph_tickets) // 4
    assert set(exported_tickets) > set(graph_tickets)

    graph_hops = [hand_offs.parse(row) for row in company.rows("hand_off")]
    exported_hops = [
        hand_offs.parse({**hop, "employee_id": hop["assignee"]["employee_id"], "by_id": hop["by_employee_id"]})  # type: ignore[index]
        for hop in helpdesk.hand_offs
    ]
    assert [hop for hop in exported_hops if hop[0] in graph_tickets] == graph_hops


def _without(row: list[object], *positions: int) -> list[object]:
    return [value for position, value in enumerate(row) if position not in positions]


def test_the_data_is_the_same_on_every_build() -> None:
    assert build_hr(PRESET, SEED) == build_hr(PRESET, SEED)
    assert build_crm(PRESET, SEED) == build_crm(PRESET, SEED)
    assert build_helpdesk(PRESET, SEED) == build_helpdesk(PRESET, SEED)
