"""Cypher the API reads with: batched lookups by id and per-parent pages of relationships.

Every lookup takes ``$ids`` and returns one row per id that exists, as ``id`` and a ``node``
map that already carries the ids of the node's one-to-one neighbours (an order's customer,
an employee's department and manager), so the API can follow them through other batched
lookups. Pages of relationships take ``$ids``, ``$skip`` and ``$limit`` and return, per
parent, the ``page`` and the ``total`` (a degree count, answered without a scan).
"""

from __future__ import annotations

from typing import LiteralString

GET_CUSTOMERS: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer {id: id})
OPTIONAL MATCH (c)-[:OWNED_BY]->(owner:Employee)
RETURN id, c {.*, owner_id: owner.id} AS node
"""

GET_ORDERS: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer)-[:PLACED]->(o:Order {id: id})
RETURN id, o {.*, customer_id: c.id} AS node
"""

GET_PRODUCTS: LiteralString = """
UNWIND $ids AS id
MATCH (p:Product {id: id})
RETURN id, p {.*} AS node
"""

GET_EMPLOYEES: LiteralString = """
UNWIND $ids AS id
MATCH (e:Employee {id: id})
OPTIONAL MATCH (e)-[:WORKS_IN]->(d:Department)
OPTIONAL MATCH (e)-[:REPORTS_TO]->(m:Employee)
RETURN id, e {.*, department_id: d.id, manager_id: m.id} AS node
"""

GET_DEPARTMENTS: LiteralString = """
UNWIND $ids AS id
MATCH (d:Department {id: id})
RETURN id, d {.*} AS node
"""

GET_INTERACTIONS: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer)-[:HAD]->(i:Interaction {id: id})-[:WITH]->(e:Employee)
RETURN id, i {.*, customer_id: c.id, employee_id: e.id} AS node
"""

GET_TICKETS: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer)-[:RAISED]->(t:Ticket {id: id})
RETURN id, t {.*, customer_id: c.id} AS node
"""

# --- Pages of one-to-many relationships, per parent -------------------------------------

CUSTOMER_ORDERS: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer {id: id})
CALL (c) {
  MATCH (c)-[:PLACED]->(o:Order)
  WITH o ORDER BY o.placed_at DESC, o.id SKIP $skip LIMIT $limit
  RETURN collect(o {.*, customer_id: c.id}) AS page
}
RETURN id, page, COUNT { (c)-[:PLACED]->() } AS total
"""

CUSTOMER_INTERACTIONS: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer {id: id})
CALL (c) {
  MATCH (c)-[:HAD]->(i:Interaction)
  WITH i ORDER BY i.at DESC, i.id SKIP $skip LIMIT $limit
  MATCH (i)-[:WITH]->(e:Employee)
  RETURN collect(i {.*, customer_id: c.id, employee_id: e.id}) AS page
}
RETURN id, page, COUNT { (c)-[:HAD]->() } AS total
"""

CUSTOMER_TICKETS: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer {id: id})
CALL (c) {
  MATCH (c)-[:RAISED]->(t:Ticket)
  WITH t ORDER BY t.opened_at DESC, t.id SKIP $skip LIMIT $limit
  RETURN collect(t {.*, customer_id: c.id}) AS page
}
RETURN id, page, COUNT { (c)-[:RAISED]->() } AS total
"""

EMPLOYEE_REPORTS: LiteralString = """
UNWIND $ids AS id
MATCH (m:Employee {id: id})
CALL (m) {
  MATCH (e:Employee)-[:REPORTS_TO]->(m)
  WITH e ORDER BY e.name, e.id SKIP $skip LIMIT $limit
  OPTIONAL MATCH (e)-[:WORKS_IN]->(d:Department)
  RETURN collect(e {.*, department_id: d.id, manager_id: m.id}) AS page
}
RETURN id, page, COUNT { (m)<-[:REPORTS_TO]-() } AS total
"""

EMPLOYEE_INTERACTIONS: LiteralString = """
UNWIND $ids AS id
MATCH (e:Employee {id: id})
CALL (e) {
  MATCH (i:Interaction)-[:WITH]->(e)
  WITH i ORDER BY i.at DESC, i.id SKIP $skip LIMIT $limit
  MATCH (c:Customer)-[:HAD]->(i)
  RETURN collect(i {.*, customer_id: c.id, employee_id: e.id}) AS page
}
RETURN id, page, COUNT { (e)<-[:WITH]-() } AS total
"""

EMPLOYEE_ACCOUNTS: LiteralString = """
UNWIND $ids AS id
MATCH (e:Employee {id: id})
CALL (e) {
  MATCH (c:Customer)-[:OWNED_BY]->(e)
  WITH c ORDER BY c.name, c.id SKIP $skip LIMIT $limit
  RETURN collect(c {.*, owner_id: e.id}) AS page
}
RETURN id, page, COUNT { (e)<-[:OWNED_BY]-() } AS total
"""

DEPARTMENT_EMPLOYEES: LiteralString = """
UNWIND $ids AS id
MATCH (d:Department {id: id})
CALL (d) {
  MATCH (e:Employee)-[:WORKS_IN]->(d)
  WITH e ORDER BY e.name, e.id SKIP $skip LIMIT $limit
  OPTIONAL MATCH (e)-[:REPORTS_TO]->(m:Employee)
  RETURN collect(e {.*, department_id: d.id, manager_id: m.id}) AS page
}
RETURN id, page, COUNT { (d)<-[:WORKS_IN]-() } AS total
"""

PRODUCT_ORDERS: LiteralString = """
UNWIND $ids AS id
MATCH (p:Product {id: id})
CALL (p) {
  MATCH (o:Order)-[:CONTAINS]->(p)
  WITH o ORDER BY o.placed_at DESC, o.id SKIP $skip LIMIT $limit
  MATCH (c:Customer)-[:PLACED]->(o)
  RETURN collect(o {.*, customer_id: c.id}) AS page
}
RETURN id, page, COUNT { (p)<-[:CONTAINS]-() } AS total
"""

# --- Short, bounded lists per parent (no paging needed) --------------------------------

ORDER_LINES: LiteralString = """
UNWIND $ids AS id
MATCH (o:Order {id: id})-[line:CONTAINS]->(p:Product)
WITH id, line, p ORDER BY p.id
RETURN id, collect({order_id: id, product_id: p.id, quantity: line.quantity, price: line.price}) AS items
"""

ORDER_STEPS: LiteralString = """
UNWIND $ids AS id
MATCH (o:Order {id: id})-[h:HANDLED_BY]->(e:Employee)
WITH id, h, e ORDER BY h.at
RETURN id, collect({order_id: id, employee_id: e.id, step: h.step, at: h.at}) AS items
"""

TICKET_HAND_OFFS: LiteralString = """
UNWIND $ids AS id
MATCH (t:Ticket {id: id})-[a:ASSIGNED_TO]->(e:Employee)
WITH id, a, e ORDER BY a.at
RETURN id, collect({ticket_id: id, employee_id: e.id, at: a.at, by_id: a.by, reason: a.reason}) AS items
"""

CUSTOMER_IDENTITIES: LiteralString = """
UNWIND $ids AS id
MATCH (:Customer {id: id})-[:KNOWN_AS]->(x:ExternalId)
WITH id, x ORDER BY x.system, x.key
RETURN id, collect({system: x.system, key: x.key, owner_id: id}) AS items
"""

EMPLOYEE_IDENTITIES: LiteralString = """
UNWIND $ids AS id
MATCH (:Employee {id: id})-[:KNOWN_AS]->(x:ExternalId)
WITH id, x ORDER BY x.system, x.key
RETURN id, collect({system: x.system, key: x.key, owner_id: id}) AS items
"""

PING: LiteralString = "RETURN 1 AS ok"
