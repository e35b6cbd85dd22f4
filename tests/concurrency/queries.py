"""Generated queries over the small demo company: several roots, nested relationships, live
fields, existing and missing ids, traces with a fixed ``asOf``, so that the same query always
has the same answer and many of them share the entities a DataLoader batches or a cache keeps.
"""

from __future__ import annotations

import random

from demo_company.company import DEMO_NOW, PRESETS

PRESET = PRESETS["small"]
AS_OF = DEMO_NOW.isoformat()

EMPLOYEE = "id name title department { id name kind } manager { id name }"
CUSTOMER_FIELDS = [
    "name email tier segment lifetimeValue since",
    f"owner {{ {EMPLOYEE} }}",
    "orders(first: 3) { totalCount nodes { id status total lines { quantity price product { id sku } } } }",
    # Aliased: the same field twice with other arguments would not validate.
    "firstOrders: orders(first: 2) { nodes { id steps { step at employee { id department { name } } } } }",
    "interactions(first: 4) { totalCount nodes { id at channel employee { id name department { function } } } }",
    "tickets(first: 3) { totalCount nodes { id status priority handOffs { at reason employee { id } by { id } } } }",
    "identities { system key }",
    "journey(first: 5) { totalCount pageInfo { hasNextPage endCursor } nodes { at kind office employee { id } } }",
    "touchedBy { departments { department { id } contacts lastContact } }",
    f'knownBestBy(first: 3, asOf: "{AS_OF}") {{ rank score employee {{ id }} }}',
    "crm { crmKey leadScore pipelineValue openOpportunities { id stage amount } }",
    "erpAccount { erpKey openInvoices openBalance lastOrderId }",
    "helpdeskSummary { helpdeskKey openTickets ticketsTotal }",
]
ORDER_FIELDS = [
    "placedAt status total currency",
    "customer { id name tier owner { id } }",
    "lines { quantity price product { id name price } }",
    "steps { step at employee { id department { id } } }",
    "live { status total shipment { carrier trackingNumber } invoice { number paymentState } }",
]
EMPLOYEE_FIELDS = [
    "name email title",
    "department { id name employees(first: 3) { totalCount nodes { id } } }",
    "manager { id name manager { id } }",
    "reports(first: 3) { totalCount nodes { id name } }",
    "accounts(first: 3) { totalCount nodes { id tier } }",
    "interactions(first: 3) { nodes { id channel customer { id } } }",
    "availability { availability role outOfOffice { since until } }",
]
TICKET_FIELDS = [
    "openedAt closedAt status priority subject",
    "customer { id name }",
    "handOffs { at reason employee { id name } by { id } }",
    f'handOffChain(asOf: "{AS_OF}") {{ closed totalWaitSeconds hops {{ position waitSeconds employee {{ id }} }} }}',
    "live { status priority assigneeName }",
]
TIERS = ["PLATINUM", "GOLD", "SILVER", "BRONZE"]


def _id(rng: random.Random, prefix: str, width: int, count: int) -> str:
    # About one id in ten names nothing: a NOT_FOUND error must stay with its own request.
    number = rng.randint(1, count) if rng.random() > 0.1 else count + rng.randint(1, 1000)
    return f"{prefix}{number:0{width}d}"


def _pick(rng: random.Random, fields: list[str]) -> str:
    return " ".join(rng.sample(fields, rng.randint(1, 3)))


def _root(rng: random.Random) -> str:
    kind = rng.randrange(9)
    if kind == 0:
        return f'customer(id: "{_id(rng, "C", 6, PRESET.customers)}") {{ id {_pick(rng, CUSTOMER_FIELDS)} }}'
    if kind == 1:
        return f'order(id: "{_id(rng, "O", 7, PRESET.orders)}") {{ id {_pick(rng, ORDER_FIELDS)} }}'
    if kind == 2:
        return f'employee(id: "{_id(rng, "E", 5, PRESET.employees)}") {{ id {_pick(rng, EMPLOYEE_FIELDS)} }}'
    if kind == 3:
        return f'ticket(id: "{_id(rng, "T", 6, PRESET.tickets)}") {{ id {_pick(rng, TICKET_FIELDS)} }}'
    if kind == 4:
        tiers = ", ".join(rng.sample(TIERS, rng.randint(1, 2)))
        field = rng.choice(["ID", "NAME", "LIFETIME_VALUE"])
        return (
            f"customers(first: {rng.randint(1, 15)}, filter: {{tiers: [{tiers}]}}, "
            f"orderBy: {{field: {field}, direction: {rng.choice(['ASC', 'DESC'])}}}) "
            f"{{ totalCount pageInfo {{ endCursor }} nodes {{ id {_pick(rng, CUSTOMER_FIELDS)} }} }}"
        )
    if kind == 5:
        return (
            f'journey(customerId: "{_id(rng, "C", 6, PRESET.customers)}", first: {rng.randint(1, 20)}) '
            "{ totalCount nodes { at kind step channel detail employee { id name } department { id } } }"
        )
    if kind == 6:
        return (
            f'whoKnowsBest(customerId: "{_id(rng, "C", 6, PRESET.customers)}", first: {rng.randint(1, 5)}, '
            f'asOf: "{AS_OF}") {{ rank score accountOwner interactions employee {{ id name }} }}'
        )
    if kind == 7:
        return (
            f'serviceLevelAlerts(asOf: "{AS_OF}", first: {rng.randint(1, 10)}, tiers: [{rng.choice(TIERS)}]) '
            "{ totalCount nodes { ticket { id } state tier heldSeconds assignee { id } } }"
        )
    by, granularity = rng.choice(["DEPARTMENT", "PRODUCT", "TIER"]), rng.choice(["WEEK", "MONTH"])
    month = rng.randint(1, 5)
    window = f'{{from: "2026-0{month}-01T00:00:00Z", to: "2026-0{month + 1}-01T00:00:00Z"}}'
    return f"demand(window: {window}, by: {by}, granularity: {granularity}) {{ period key currency orders revenue }}"


def generated_queries(count: int, seed: int) -> list[str]:
    """``count`` queries of one to three aliased roots each."""
    rng = random.Random(seed)
    return [
        "{ " + " ".join(f"r{number}: {_root(rng)}" for number in range(rng.randint(1, 3))) + " }" for _ in range(count)
    ]
