"""The query set of bench/compare.py, written once per system, and how to compare the answers.

Each ``Workload`` is one question asked four ways: in this service's GraphQL (which the
naive peer serves too, with the same schema shape), in ``@neo4j/graphql``'s generated API
(or a ``@cypher`` field where it generates nothing), and as one hand-written Cypher statement
through the Python async driver. ``canonical_*`` turn each answer into the same plain
structure (times as UTC instants, one-element lists as their element) so that a sample can be
checked for equal data before anything is timed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, LiteralString

from graph.trace import path_queries
from resolvers.pagination import encode_cursor

Sample = Any


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    ours: str
    peer: str
    cypher: LiteralString
    samples: list[Sample]
    ours_variables: Callable[[Sample], dict[str, Any]]
    peer_variables: Callable[[Sample], dict[str, Any]]
    cypher_parameters: Callable[[Sample], dict[str, Any]]
    canonical_ours: Callable[[Any], Any]
    canonical_peer: Callable[[Any], Any]
    canonical_raw: Callable[[list[Any]], Any]
    peer_mapping: str


def instant(value: Any) -> str | None:
    """A time as an ISO UTC instant to the second, whatever form it came in."""
    if value is None:
        return None
    if hasattr(value, "to_native"):
        value = value.to_native()
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return str(value.astimezone(UTC).replace(microsecond=0).isoformat())


def _one(value: Any) -> Any:
    return value[0] if isinstance(value, list) and len(value) == 1 else value


# --- point lookup --------------------------------------------------------------------------

POINT_OURS = """
query Point($id: ID!) {
  customer(id: $id) { id name email tier segment lifetimeValue since }
}
"""
POINT_PEER = """
query Point($id: ID!) {
  customers(where: {id: {eq: $id}}) { id name email tier segment lifetimeValue since }
}
"""
POINT_CYPHER: LiteralString = """
MATCH (c:Customer {id: $id})
RETURN c {.id, .name, .email, .tier, .segment, lifetimeValue: c.lifetime_value, .since} AS customer
"""


def _point(customer: Any) -> Any:
    if customer is None:
        return None
    return {**customer, "since": instant(customer["since"])}


# --- customer 360 (as bench/api_bench.py) --------------------------------------------------

C360_OURS = """
query Customer360($id: ID!) {
  customer(id: $id) {
    id name tier
    owner { name department { name } }
    orders(first: 5) { nodes { id status total placedAt lines { quantity price product { id name sku } } } }
    interactions(first: 10) { nodes { at channel summary employee { name department { name kind } } } }
    tickets(first: 10) { nodes { id subject status priority } }
  }
}
"""
C360_PEER = """
query Customer360($id: ID!) {
  customers(where: {id: {eq: $id}}) {
    id name tier
    owner { name department { name } }
    orders(limit: 5, sort: [{placedAt: DESC}, {id: ASC}]) {
      id status total placedAt
      productsConnection(sort: [{node: {id: ASC}}]) { edges { properties { quantity price } node { id name sku } } }
    }
    interactions(limit: 10, sort: [{at: DESC}, {id: ASC}]) {
      at channel summary employee { name department { name kind } }
    }
    tickets(limit: 10, sort: [{openedAt: DESC}, {id: ASC}]) { id subject status priority openedAt }
  }
}
"""
C360_CYPHER: LiteralString = """
MATCH (c:Customer {id: $id})
OPTIONAL MATCH (c)-[:OWNED_BY]->(owner:Employee)-[:WORKS_IN]->(od:Department)
CALL (c) {
  MATCH (c)-[:PLACED]->(o:Order)
  WITH o ORDER BY o.placed_at DESC, o.id LIMIT 5
  CALL (o) {
    MATCH (o)-[l:CONTAINS]->(p:Product)
    WITH l, p ORDER BY p.id
    RETURN collect({quantity: l.quantity, price: l.price, product: p {.id, .name, .sku}}) AS lines
  }
  RETURN collect(o {.id, .status, .total, placedAt: o.placed_at, lines: lines}) AS orders
}
CALL (c) {
  MATCH (c)-[:HAD]->(i:Interaction)
  WITH i ORDER BY i.at DESC, i.id LIMIT 10
  MATCH (i)-[:WITH]->(e:Employee)-[:WORKS_IN]->(d:Department)
  RETURN collect(i {.at, .channel, .summary, employee: e {.name, department: d {.name, .kind}}}) AS interactions
}
CALL (c) {
  MATCH (c)-[:RAISED]->(t:Ticket)
  WITH t ORDER BY t.opened_at DESC, t.id LIMIT 10
  RETURN collect(t {.id, .subject, .status, .priority}) AS tickets
}
RETURN c {.id, .name, .tier, owner: owner {.name, department: od {.name}}, orders: orders,
          interactions: interactions, tickets: tickets} AS customer
"""


def _c360(customer: Any, orders: list[Any], interactions: list[Any], tickets: list[Any]) -> Any:
    owner = _one(customer["owner"])
    return {
        "id": customer["id"],
        "name": customer["name"],
        "tier": customer["tier"],
        "owner": None if owner is None else {"name": owner["name"], "department": _one(owner["department"])},
        "orders": [
            {
                "id": order["id"],
                "status": order["status"],
                "total": order["total"],
                "placedAt": instant(order["placedAt"]),
                "lines": [
                    {"quantity": line["quantity"], "price": line["price"], "product": dict(line["product"])}
                    for line in order["lines"]
                ],
            }
            for order in orders
        ],
        "interactions": [
            {
                "at": instant(item["at"]),
                "channel": item["channel"],
                "summary": item["summary"],
                "employee": {
                    "name": _one(item["employee"])["name"],
                    "department": dict(_one(_one(item["employee"])["department"])),
                },
            }
            for item in interactions
        ],
        "tickets": [{key: ticket[key] for key in ("id", "subject", "status", "priority")} for ticket in tickets],
    }


def _c360_ours(data: Any) -> Any:
    customer = data["customer"]
    return _c360(
        customer,
        customer["orders"]["nodes"],
        customer["interactions"]["nodes"],
        customer["tickets"]["nodes"],
    )


def _c360_peer(data: Any) -> Any:
    customer = _one(data["customers"])
    orders = [
        {
            **order,
            "lines": [{**edge["properties"], "product": edge["node"]} for edge in order["productsConnection"]["edges"]],
        }
        for order in customer["orders"]
    ]
    return _c360(customer, orders, customer["interactions"], customer["tickets"])


def _c360_raw(records: list[Any]) -> Any:
    customer = records[0]["customer"]
    return _c360(customer, customer["orders"], customer["interactions"], customer["tickets"])


# --- list of 50 customers with nested orders and interactions ------------------------------

LIST_OURS = """
query Customers($after: String) {
  customers(first: 50, after: $after) {
    nodes {
      id name tier
      orders(first: 3) { nodes { id total placedAt } }
      interactions(first: 3) { nodes { at channel } }
    }
  }
}
"""
LIST_PEER = """
query Customers($offset: Int) {
  customers(limit: 50, offset: $offset, sort: [{name: ASC}, {id: ASC}]) {
    id name tier
    orders(limit: 3, sort: [{placedAt: DESC}, {id: ASC}]) { id total placedAt }
    interactions(limit: 3, sort: [{at: DESC}, {id: ASC}]) { at channel }
  }
}
"""
LIST_CYPHER: LiteralString = """
MATCH (c:Customer) WHERE c.name IS NOT NULL
WITH c ORDER BY c.name, c.id SKIP $skip LIMIT 50
CALL (c) {
  MATCH (c)-[:PLACED]->(o:Order)
  WITH o ORDER BY o.placed_at DESC, o.id LIMIT 3
  RETURN collect(o {.id, .total, placedAt: o.placed_at}) AS orders
}
CALL (c) {
  MATCH (c)-[:HAD]->(i:Interaction)
  WITH i ORDER BY i.at DESC, i.id LIMIT 3
  RETURN collect(i {.at, .channel}) AS interactions
}
RETURN c {.id, .name, .tier, orders: orders, interactions: interactions} AS customer
"""


def _list(customers: list[Any], orders: Callable[[Any], list[Any]], interactions: Callable[[Any], list[Any]]) -> Any:
    return [
        {
            "id": customer["id"],
            "name": customer["name"],
            "tier": customer["tier"],
            "orders": [
                {"id": order["id"], "total": order["total"], "placedAt": instant(order["placedAt"])}
                for order in orders(customer)
            ],
            "interactions": [
                {"at": instant(item["at"]), "channel": item["channel"]} for item in interactions(customer)
            ],
        }
        for customer in customers
    ]


def _list_ours(data: Any) -> Any:
    return _list(data["customers"]["nodes"], lambda c: c["orders"]["nodes"], lambda c: c["interactions"]["nodes"])


def _list_peer(data: Any) -> Any:
    return _list(data["customers"], lambda c: c["orders"], lambda c: c["interactions"])


def _list_raw(records: list[Any]) -> Any:
    return _list([r["customer"] for r in records], lambda c: c["orders"], lambda c: c["interactions"])


# --- journey, first page -------------------------------------------------------------------

JOURNEY_OURS = """
query Journey($id: ID!) {
  customer(id: $id) {
    id
    journey(first: 20) {
      totalCount
      nodes { at kind step channel detail office employee { id name } department { id name } }
    }
  }
}
"""
JOURNEY_PEER = """
query Journey($id: ID!) {
  customers(where: {id: {eq: $id}}) {
    id
    journey(first: 20) {
      totalCount
      nodes { at kind step channel detail office employee { id name } department { id name } }
    }
  }
}
"""
# The events of graph/trace/queries.py JOURNEYS, for one customer, with the people inline.
JOURNEY_CYPHER: LiteralString = """
MATCH (c:Customer {id: $id})
CALL (c) {
  MATCH (c)-[:PLACED]->(o:Order)
  RETURN o.placed_at AS at, 'ORDER_PLACED' AS kind, 0 AS rank, o.id AS ref, null AS e,
         null AS step, null AS channel, o.status AS detail
  UNION ALL
  MATCH (c)-[:PLACED]->(o:Order)-[h:HANDLED_BY]->(e:Employee)
  RETURN h.at AS at, 'ORDER_STEP' AS kind, 1 AS rank, o.id AS ref, e, h.step AS step, null AS channel,
         null AS detail
  UNION ALL
  MATCH (c)-[:HAD]->(i:Interaction)-[:WITH]->(e:Employee)
  RETURN i.at AS at, 'INTERACTION' AS kind, 2 AS rank, i.id AS ref, e, null AS step, i.channel AS channel,
         i.summary AS detail
  UNION ALL
  MATCH (c)-[:RAISED]->(t:Ticket)
  RETURN t.opened_at AS at, 'TICKET_OPENED' AS kind, 3 AS rank, t.id AS ref, null AS e, null AS step,
         null AS channel, t.subject AS detail
  UNION ALL
  MATCH (c)-[:RAISED]->(t:Ticket)-[a:ASSIGNED_TO]->(e:Employee)
  RETURN a.at AS at, 'TICKET_HANDED_OFF' AS kind, 4 AS rank, t.id AS ref, e, null AS step,
         null AS channel, a.reason AS detail
  UNION ALL
  MATCH (c)-[:RAISED]->(t:Ticket) WHERE t.closed_at IS NOT NULL
  CALL (t) {
    OPTIONAL MATCH (t)-[a:ASSIGNED_TO]->(holder:Employee) WHERE a.at <= t.closed_at
    WITH holder ORDER BY a.at DESC LIMIT 1
    RETURN holder
  }
  RETURN t.closed_at AS at, 'TICKET_CLOSED' AS kind, 5 AS rank, t.id AS ref, holder AS e, null AS step,
         null AS channel, t.status AS detail
}
OPTIONAL MATCH (e)-[:WORKS_IN]->(d:Department)
WITH at, kind, rank, ref, e, d, step, channel, detail ORDER BY at, rank, ref, e.id
WITH collect({
  at: at, kind: kind, step: step, channel: channel, detail: detail, office: d.kind,
  employee: CASE WHEN e IS NULL THEN null ELSE e {.id, .name} END,
  department: CASE WHEN d IS NULL THEN null ELSE d {.id, .name} END
}) AS events
RETURN $id AS id, size(events) AS totalCount, events[0..20] AS nodes
"""


def _journey(customer_id: str, total: int, events: list[Any]) -> Any:
    return {
        "id": customer_id,
        "totalCount": total,
        "events": [
            {
                **event,
                "at": instant(event["at"]),
                "employee": None if event["employee"] is None else dict(event["employee"]),
                "department": None if event["department"] is None else dict(event["department"]),
            }
            for event in events
        ],
    }


def _journey_ours(data: Any) -> Any:
    customer = data["customer"]
    return _journey(customer["id"], customer["journey"]["totalCount"], customer["journey"]["nodes"])


def _journey_peer(data: Any) -> Any:
    customer = _one(data["customers"])
    return _journey(customer["id"], customer["journey"]["totalCount"], customer["journey"]["nodes"])


def _journey_raw(records: list[Any]) -> Any:
    row = records[0]
    return _journey(row["id"], row["totalCount"], row["nodes"])


# --- shortest path customer -> department ---------------------------------------------------

PATH_OURS = """
query Path($customer: ID!, $department: ID!) {
  shortestPath(from: {kind: CUSTOMER, id: $customer}, to: {kind: DEPARTMENT, id: $department}) {
    length
    nodes {
      __typename
      ... on Customer { id }
      ... on Employee { id }
      ... on Department { id }
      ... on Order { id }
      ... on Ticket { id }
      ... on Interaction { id }
      ... on Product { id }
    }
    relationships { type direction }
  }
}
"""
PATH_PEER = """
query Path($customer: ID!, $department: ID!) {
  shortestPath(fromCustomer: $customer, toDepartment: $department) {
    length
    nodes { label id }
    relationships { type direction }
  }
}
"""
PATH_CYPHER: LiteralString = path_queries.shortest_paths_query("CUSTOMER", "DEPARTMENT", 6, all_shortest=False)


def _path(length: int | None, nodes: list[tuple[str, str]]) -> Any:
    # Shortest paths of equal length may differ between runs: compare length and endpoints.
    if length is None:
        return None
    return {"length": length, "from": nodes[0], "to": nodes[-1]}


def _path_ours(data: Any) -> Any:
    path = data["shortestPath"]
    return None if path is None else _path(path["length"], [(n["__typename"], n["id"]) for n in path["nodes"]])


def _path_peer(data: Any) -> Any:
    path = data["shortestPath"]
    return None if path is None else _path(path["length"], [(n["label"], n["id"]) for n in path["nodes"]])


def _path_raw(records: list[Any]) -> Any:
    paths = records[0]["paths"]
    if not paths:
        return None
    nodes = [(n["label"], n["id"]) for n in paths[0]["nodes"]]
    return _path(len(paths[0]["relationships"]), nodes)


# --- the set -------------------------------------------------------------------------------


def workloads(seed: int = 42, customers: int = 100_000, departments: int = 40) -> list[Workload]:
    rng = random.Random(seed)
    customer_ids = [f"C{rng.randint(1, customers):06d}" for _ in range(500)]
    # Pages among the first 200 (offsets up to 9,950): deep offsets would make every system wait
    # on the same Neo4j sort and skip, which says nothing about the API layers.
    offsets = [50 * rng.randint(0, 199) for _ in range(200)]
    pairs = [(f"C{rng.randint(1, customers):06d}", f"D{rng.randint(1, departments):03d}") for _ in range(200)]
    by_id: dict[str, Callable[[Sample], dict[str, Any]]] = {"id": lambda cid: {"id": cid}}
    return [
        Workload(
            key="point",
            title="point lookup",
            ours=POINT_OURS,
            peer=POINT_PEER,
            cypher=POINT_CYPHER,
            samples=customer_ids,
            ours_variables=by_id["id"],
            peer_variables=by_id["id"],
            cypher_parameters=by_id["id"],
            canonical_ours=lambda data: _point(data["customer"]),
            canonical_peer=lambda data: _point(_one(data["customers"])),
            canonical_raw=lambda records: _point(records[0]["customer"]),
            peer_mapping="`customers(where: {id: {eq: $id}})`, a list of at most one",
        ),
        Workload(
            key="c360",
            title="customer 360",
            ours=C360_OURS,
            peer=C360_PEER,
            cypher=C360_CYPHER,
            samples=customer_ids,
            ours_variables=by_id["id"],
            peer_variables=by_id["id"],
            cypher_parameters=by_id["id"],
            canonical_ours=_c360_ours,
            canonical_peer=_c360_peer,
            canonical_raw=_c360_raw,
            peer_mapping=(
                "`customers(where: {id: {eq: $id}})` with `orders(limit: 5, sort: ...)`, order lines as "
                "`productsConnection { edges { properties { quantity price } node { ... } } }`, "
                "`interactions(limit: 10, sort: ...)`, `tickets(limit: 10, sort: ...)`. The tickets also select "
                "`openedAt`: @neo4j/graphql 7.6.3 sorts a relationship list on an `@alias`ed field by the "
                "projected GraphQL name, so unless that field is selected the sort key is null and the order wrong"
            ),
        ),
        Workload(
            key="list50",
            title="list of 50 customers (nested)",
            ours=LIST_OURS,
            peer=LIST_PEER,
            cypher=LIST_CYPHER,
            samples=offsets,
            ours_variables=lambda offset: {"after": encode_cursor(offset - 1) if offset else None},
            peer_variables=lambda offset: {"offset": offset},
            cypher_parameters=lambda offset: {"skip": offset},
            canonical_ours=_list_ours,
            canonical_peer=_list_peer,
            canonical_raw=_list_raw,
            peer_mapping=(
                "`customers(limit: 50, offset: $offset, sort: [{name: ASC}, {id: ASC}])` with "
                "`orders(limit: 3, sort: ...)` and `interactions(limit: 3, sort: ...)`"
            ),
        ),
        Workload(
            key="journey",
            title="journey, first page",
            ours=JOURNEY_OURS,
            peer=JOURNEY_PEER,
            cypher=JOURNEY_CYPHER,
            samples=customer_ids,
            ours_variables=by_id["id"],
            peer_variables=by_id["id"],
            cypher_parameters=by_id["id"],
            canonical_ours=_journey_ours,
            canonical_peer=_journey_peer,
            canonical_raw=_journey_raw,
            peer_mapping=(
                "no generated equivalent: a `@cypher` field `Customer.journey(first)` running this service's "
                "journey Cypher and returning the events as maps, people inline (no further resolvers)"
            ),
        ),
        Workload(
            key="path",
            title="shortest path customer -> department",
            ours=PATH_OURS,
            peer=PATH_PEER,
            cypher=PATH_CYPHER,
            samples=pairs,
            ours_variables=lambda pair: {"customer": pair[0], "department": pair[1]},
            peer_variables=lambda pair: {"customer": pair[0], "department": pair[1]},
            cypher_parameters=lambda pair: {"from_id": pair[0], "to_id": pair[1], "limit": 1},
            canonical_ours=_path_ours,
            canonical_peer=_path_peer,
            canonical_raw=_path_raw,
            peer_mapping=(
                "no generated equivalent: a root `@cypher` field `shortestPath(fromCustomer, toDepartment)` with "
                "the same `SHORTEST 1` pattern (6 hops), nodes as `{label, id}` maps instead of a union of entities"
            ),
        ),
    ]
