"""DEMO systems only, not part of the product: the demo helpdesk's, HR's and CRM's records.

Built from the same demo company as the graph (``demo_company.company``, same preset and seed), so the
keys line up through the graph's ``ExternalId`` nodes: the helpdesk knows tickets by their
graph id, customers as ``HD-C<n>`` and agents as ``HD-A<n>``; HR knows people as ``HR<n>``;
the CRM knows accounts as ``CRM-<n>``. Like many systems synced from a master-data hub, each
record also carries the master id (the graph's ``C...``/``E...`` id) of the customer or
employee it is about, so a sync can write references without a look-up.

Each system also holds a few records the demo graph does not have yet (customers the CRM
signed, tickets the helpdesk opened in the last hours), so a sync has something new to bring.
Everything is deterministic in the preset and seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from demo_company.company import DEMO_NOW, PRESETS, DemoCompany, identity_key
from graph.model import OPEN_TICKET_STATUSES, SourceSystem, TicketStatus

Row = dict[str, object]
AVAILABILITY = (("AVAILABLE", 64), ("BUSY", 18), ("AWAY", 6), ("OUT_OF_OFFICE", 12))
OOO_REASONS = ("Vacation", "Parental leave", "Training", "Sick leave", "Conference")
STAGES = ("PROSPECTING", "QUALIFICATION", "PROPOSAL", "NEGOTIATION")
CAMPAIGNS = (
    ("CMP-01", "Spring controller launch", "EMAIL"),
    ("CMP-02", "Trade fair Hannover", "EVENT"),
    ("CMP-03", "Energy-saving retrofit webinar", "WEB"),
    ("CMP-04", "Key account summit", "EVENT"),
    ("CMP-05", "Service plan renewal", "EMAIL"),
    ("CMP-06", "Battery pack recall notice", "EMAIL"),
    ("CMP-07", "Partner newsletter Q3", "EMAIL"),
    ("CMP-08", "LinkedIn product series", "SOCIAL"),
)
CAMPAIGN_RESPONSES = ("SENT", "OPENED", "CLICKED", "RESPONDED")


def rng_for(seed: int, *parts: object) -> random.Random:
    return random.Random("/".join(map(str, ("demo_systems", seed, *parts))))  # demo data, not cryptography


def iso(value: object) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


def _next_id(last_id: str, offset: int) -> str:
    """The id ``offset`` places after ``last_id``, in the same prefix and width (C000050 -> C000051)."""
    prefix = last_id.rstrip("0123456789")
    digits = last_id[len(prefix) :]
    return f"{prefix}{int(digits) + offset:0{len(digits)}d}"


@dataclass(slots=True)
class Helpdesk:
    tickets: list[Row] = field(default_factory=list)
    hand_offs: list[Row] = field(default_factory=list)
    customers: list[Row] = field(default_factory=list)
    agents: list[Row] = field(default_factory=list)


def build_helpdesk(preset: str, seed: int) -> Helpdesk:
    company = DemoCompany(PRESETS[preset], seed)
    rng = rng_for(seed, "helpdesk")
    people = {row["id"]: row for row in company.rows("employee")}
    identities = list(company.rows("employee_identity"))
    agent_keys: dict[object, object] = {
        str(row["owner_id"]): row["key"] for row in identities if row["system"] == SourceSystem.HELPDESK.value
    }
    hand_offs = list(company.rows("hand_off"))
    tickets = list(company.rows("ticket"))
    customer_ids = [str(row["id"]) for row in company.rows("customer")]
    agents = sorted(str(employee_id) for employee_id in agent_keys)

    # A few tickets opened in the last hours, which the graph has not seen yet.
    last_ticket_id = str(tickets[-1]["id"])
    for offset in range(1, max(2, len(tickets) // 20) + 1):
        opened = DEMO_NOW - timedelta(hours=rng.uniform(1, 20))
        ticket_id = _next_id(last_ticket_id, offset)
        tickets.append(
            {
                "id": ticket_id,
                "customer_id": rng.choice(customer_ids),
                "opened_at": opened,
                "closed_at": None,
                "status": TicketStatus.OPEN.value,
                "priority": rng.choice(("NORMAL", "HIGH", "URGENT")),
                "subject": rng.choice(("Controller offline after update", "Invoice amount disputed", "Late delivery")),
            }
        )
        first = rng.choice(agents)
        hand_offs.append(
            {"ticket_id": ticket_id, "employee_id": first, "at": opened, "by_id": None, "reason": "triage"}
        )

    last_hop: dict[str, Row] = {}
    for hop in hand_offs:
        last_hop[str(hop["ticket_id"])] = hop
    helpdesk = Helpdesk(hand_offs=[_hand_off(hop, agent_keys) for hop in hand_offs])
    for ticket in tickets:
        helpdesk.tickets.append(_live_ticket(ticket, last_hop.get(str(ticket["id"])), people, agent_keys, rng))
    helpdesk.customers = [
        {"key": identity_key(SourceSystem.HELPDESK, customer_id), "customer_id": customer_id}
        for customer_id in customer_ids
    ]
    helpdesk.agents = [{"key": agent_keys[employee_id], "employee_id": employee_id} for employee_id in agents]
    return helpdesk


def customer_summaries(helpdesk: Helpdesk) -> list[Row]:
    """What the helpdesk says about each customer it knows, from the live tickets: how many are
    open, the oldest open one, and when the customer and the helpdesk were last in touch."""
    by_customer: dict[str, list[Row]] = {}
    for ticket in helpdesk.tickets:
        customer = ticket["customer"]
        assert isinstance(customer, dict)
        by_customer.setdefault(str(customer["customer_id"]), []).append(ticket)
    open_statuses = {status.value for status in OPEN_TICKET_STATUSES}
    summaries: list[Row] = []
    for customer in helpdesk.customers:
        tickets = by_customer.get(str(customer["customer_id"]), [])
        still_open = [ticket for ticket in tickets if ticket["status"] in open_statuses]
        summaries.append(
            {
                **customer,
                "open_tickets": len(still_open),
                "tickets_total": len(tickets),
                "oldest_open_since": iso(min((_time(ticket["opened_at"]) for ticket in still_open), default=None)),
                "last_contact_at": iso(max((_time(ticket["updated_at"]) for ticket in tickets), default=None)),
            }
        )
    return summaries


def _time(value: object) -> datetime:
    assert isinstance(value, str)
    return datetime.fromisoformat(value)


def _hand_off(hop: Row, agent_keys: dict[object, object]) -> Row:
    return {
        "ticket_id": hop["ticket_id"],
        "assignee": {"employee_id": hop["employee_id"], "agent_key": agent_keys.get(hop["employee_id"])},
        "by_employee_id": hop["by_id"],
        "at": iso(hop["at"]),
        "reason": hop["reason"],
    }


def _live_ticket(
    ticket: Row, hop: Row | None, people: dict[object, Row], agents: dict[object, object], rng: random.Random
) -> Row:
    status = str(ticket["status"])
    opened = ticket["opened_at"]
    assert isinstance(opened, datetime)
    updated = hop["at"] if hop is not None else opened
    assert isinstance(updated, datetime)
    closed = ticket["closed_at"]
    if isinstance(closed, datetime):
        updated = max(updated, closed)
    elif TicketStatus(status) in OPEN_TICKET_STATUSES and rng.random() < 0.3:
        # The helpdesk is live: some open tickets moved on since the graph was loaded.
        status = {"OPEN": "IN_PROGRESS", "IN_PROGRESS": "WAITING", "WAITING": "RESOLVED"}[status]
        updated = max(updated, DEMO_NOW - timedelta(minutes=rng.uniform(5, 600)))
    assignee = None
    if hop is not None:
        person = people.get(hop["employee_id"], {})
        assignee = {
            "employee_id": hop["employee_id"],
            "agent_key": agents.get(hop["employee_id"]),
            "name": person.get("name"),
        }
    customer_id = str(ticket["customer_id"])
    return {
        "id": ticket["id"],
        "customer": {"key": identity_key(SourceSystem.HELPDESK, customer_id), "customer_id": customer_id},
        "subject": ticket["subject"],
        "priority": ticket["priority"],
        "status": status,
        "opened_at": iso(opened),
        "closed_at": iso(closed),
        "updated_at": iso(updated),
        "assignee": assignee,
    }


def build_hr(preset: str, seed: int) -> list[Row]:
    company = DemoCompany(PRESETS[preset], seed)
    rng = rng_for(seed, "hr")
    departments = {row["id"]: row["name"] for row in company.rows("department")}
    managers = {row["employee_id"]: row["manager_id"] for row in company.rows("reports_to")}
    states = [state for state, _ in AVAILABILITY]
    weights = [weight for _, weight in AVAILABILITY]
    people: list[Row] = []
    for person in company.rows("employee"):
        employee_id = str(person["id"])
        availability = rng.choices(states, weights)[0]
        out_of_office = None
        if availability == "OUT_OF_OFFICE":
            start = DEMO_NOW.date() - timedelta(days=rng.randint(0, 6))
            out_of_office = {
                "from": start.isoformat(),
                "until": (start + timedelta(days=rng.randint(2, 15))).isoformat(),
                "reason": rng.choice(OOO_REASONS),
            }
        manager = managers.get(employee_id)
        people.append(
            {
                "hr_key": identity_key(SourceSystem.HR, employee_id),
                "employee_id": employee_id,
                "name": person["name"],
                "email": person["email"],
                "role": person["title"],
                "department": departments.get(person["department_id"]),
                "manager_hr_key": identity_key(SourceSystem.HR, str(manager)) if manager else None,
                "availability": availability,
                "out_of_office": out_of_office,
            }
        )
    return people


def build_crm(preset: str, seed: int) -> list[Row]:
    company = DemoCompany(PRESETS[preset], seed)
    rng = rng_for(seed, "crm")
    customers = list(company.rows("customer"))
    owners = sorted({str(row["owner_id"]) for row in customers if row["owner_id"]})
    # Customers the CRM signed in the last days, which the graph has not seen yet.
    last_customer_id = str(customers[-1]["id"])
    for offset in range(1, max(2, len(customers) // 100) + 1):
        customers.append(
            {
                "id": _next_id(last_customer_id, offset),
                "name": f"New Horizon Account {offset}",
                "email": f"buyer{offset}@new-horizon.example",
                "segment": rng.choice(("MID_MARKET", "SMB")),
                "tier": "BRONZE",
                "lifetime_value": 0.0,
                "since": DEMO_NOW - timedelta(days=rng.uniform(0.2, 3)),
                "owner_id": rng.choice(owners) if owners else None,
            }
        )
    return [_account(customer, rng) for customer in customers]


def _account(customer: Row, rng: random.Random) -> Row:
    customer_id = str(customer["id"])
    key = identity_key(SourceSystem.CRM, customer_id)
    opportunities = []
    for number in range(1, rng.choice((0, 0, 1, 1, 2, 3)) + 1):
        opportunities.append(
            {
                "id": f"OPP-{key[4:]}-{number}",
                "name": rng.choice(("Line upgrade", "Service plan", "Spare parts framework", "Retrofit")),
                "stage": rng.choice(STAGES),
                "amount": round(rng.uniform(2_000, 250_000), 2),
                "closeDate": (DEMO_NOW.date() + timedelta(days=rng.randint(7, 180))).isoformat(),
            }
        )
    campaigns = [
        {"id": code, "name": name, "channel": channel, "response": rng.choice(CAMPAIGN_RESPONSES)}
        for code, name, channel in rng.sample(CAMPAIGNS, rng.randint(0, 3))
    ]
    return {
        "key": key,
        "customerId": customer_id,
        "name": customer["name"],
        "email": customer["email"],
        "segment": customer["segment"],
        "tier": customer["tier"],
        "lifetimeValue": customer["lifetime_value"],
        "since": iso(customer["since"]),
        "ownerId": customer["owner_id"],
        "leadScore": rng.randint(5, 99),
        "openOpportunities": opportunities,
        "campaigns": campaigns,
    }
