"""Cypher the API reads with: batched lookups by id and per-parent pages of relationships.

Every lookup takes ``$ids`` and returns one row per id that exists, as ``id`` and a ``node``
map that already carries the ids of the node's one-to-one neighbours (an order's customer,
an employee's department and manager), so the API can follow them through other batched
lookups. Pages of relationships take ``$ids``, ``$skip`` and ``$limit`` and return, per
parent, the ``page`` and the ``total`` (a degree count, answered without a scan).

Reads of the row-ruled labels carry the marks of ``graph.row_rules`` (``@where``,
``@visible``), which the store compiles into the caller's row rules; counts of them count the
visible rows only.

Times come back as ISO strings (``toString``): the Python driver takes about 40 microseconds
to hydrate one Neo4j DateTime, ``graph.from_nodes`` well under one to parse its string.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import LiteralString

# With each customer's account owner and the owner's department: one map each, and the
# account owner is the neighbour a customer query asks for most.
GET_CUSTOMERS: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer {id: id})@where(Customer, c)
OPTIONAL MATCH (c)-[:OWNED_BY]->(owner:Employee)
OPTIONAL MATCH (owner)-[:WORKS_IN]->(d:Department)
OPTIONAL MATCH (owner)-[:REPORTS_TO]->(m:Employee)
RETURN id, c {.*, since: toString(c.since), owner_id: owner.id} AS node,
       owner {.*, department_id: d.id, manager_id: m.id} AS owner, d {.*} AS department
"""

GET_ORDERS: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer)-[:PLACED]->(o:Order {id: id})@where(Order, o)
RETURN id, o {.*, placed_at: toString(o.placed_at), customer_id: c.id} AS node
"""

GET_PRODUCTS: LiteralString = """
UNWIND $ids AS id
MATCH (p:Product {id: id})
RETURN id, p {.*} AS node
"""

# With each employee's department too: a query asks for it next more often than not.
GET_EMPLOYEES: LiteralString = """
UNWIND $ids AS id
MATCH (e:Employee {id: id})
OPTIONAL MATCH (e)-[:WORKS_IN]->(d:Department)
OPTIONAL MATCH (e)-[:REPORTS_TO]->(m:Employee)
RETURN id, e {.*, department_id: d.id, manager_id: m.id} AS node, d {.*} AS department
"""

GET_DEPARTMENTS: LiteralString = """
UNWIND $ids AS id
MATCH (d:Department {id: id})
RETURN id, d {.*} AS node
"""

GET_INTERACTIONS: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer)-[:HAD]->(i:Interaction {id: id})-[:WITH]->(e:Employee)@where(Interaction, i)
RETURN id, i {.*, at: toString(i.at), customer_id: c.id, employee_id: e.id} AS node
"""

GET_TICKETS: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer)-[:RAISED]->(t:Ticket {id: id})@where(Ticket, t)
RETURN id, t {.*, opened_at: toString(t.opened_at), closed_at: toString(t.closed_at), customer_id: c.id} AS node
"""

# --- Pages of one-to-many relationships, per parent -------------------------------------

# A customer's pages (orders, interactions, tickets) are fragments that ``customer_pages``
# joins into one statement for all the customers and relationships a query level asks for:
# the 360 view's three pages are one round trip, not three. Each fragment pages with its own
# parameters ($<name>_skip, $<name>_limit) and adds columns <name>_page and <name>_total. The
# _WITH_ fragments also read what the items lead to, for a query that asks for it next (in the
# page's order): each order's lines and products; each interaction's employee and department.
CUSTOMER_PAGES_MATCH: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer {id: id})@where(Customer, c)"""

CUSTOMER_ORDERS_PAGE: LiteralString = """
CALL (c) {
  MATCH (c)-[:PLACED]->(o:Order)@where(Order, o, <-PLACED-Customer)
  WITH o ORDER BY o.placed_at DESC, o.id SKIP $orders_skip LIMIT $orders_limit
  RETURN collect(o {.*, placed_at: toString(o.placed_at), customer_id: c.id}) AS orders_page
}
WITH *, COUNT { (c)-[:PLACED]->(o)@where(Order, o, <-PLACED-Customer) } AS orders_total"""

CUSTOMER_ORDERS_WITH_LINES_PAGE: LiteralString = """
CALL (c) {
  MATCH (c)-[:PLACED]->(o:Order)@where(Order, o, <-PLACED-Customer)
  WITH o ORDER BY o.placed_at DESC, o.id SKIP $orders_skip LIMIT $orders_limit
  CALL (o) {
    MATCH (o)-[line:CONTAINS]->(p:Product)
    WITH line, p ORDER BY p.id
    RETURN collect({order_id: o.id, product_id: p.id, quantity: line.quantity, price: line.price}) AS lines,
           collect(p {.*}) AS products
  }
  RETURN collect(o {.*, placed_at: toString(o.placed_at), customer_id: c.id}) AS orders_page,
         collect(lines) AS orders_lines, collect(products) AS orders_products
}
WITH *, COUNT { (c)-[:PLACED]->(o)@where(Order, o, <-PLACED-Customer) } AS orders_total"""

CUSTOMER_INTERACTIONS_PAGE: LiteralString = """
CALL (c) {
  MATCH (c)-[:HAD]->(i:Interaction)@where(Interaction, i, <-HAD-Customer)
  WITH i ORDER BY i.at DESC, i.id SKIP $interactions_skip LIMIT $interactions_limit
  MATCH (i)-[:WITH]->(e:Employee)
  RETURN collect(i {.*, at: toString(i.at), customer_id: c.id, employee_id: e.id}) AS interactions_page
}
WITH *, COUNT { (c)-[:HAD]->(i)@where(Interaction, i, <-HAD-Customer) } AS interactions_total"""

CUSTOMER_INTERACTIONS_WITH_PEOPLE_PAGE: LiteralString = """
CALL (c) {
  MATCH (c)-[:HAD]->(i:Interaction)@where(Interaction, i, <-HAD-Customer)
  WITH i ORDER BY i.at DESC, i.id SKIP $interactions_skip LIMIT $interactions_limit
  MATCH (i)-[:WITH]->(e:Employee)
  OPTIONAL MATCH (e)-[:WORKS_IN]->(d:Department)
  OPTIONAL MATCH (e)-[:REPORTS_TO]->(m:Employee)
  RETURN collect(i {.*, at: toString(i.at), customer_id: c.id, employee_id: e.id}) AS interactions_page,
         collect(e {.*, department_id: d.id, manager_id: m.id}) AS interactions_employees,
         collect(d {.*}) AS interactions_departments
}
WITH *, COUNT { (c)-[:HAD]->(i)@where(Interaction, i, <-HAD-Customer) } AS interactions_total"""

CUSTOMER_TICKETS_PAGE: LiteralString = """
CALL (c) {
  MATCH (c)-[:RAISED]->(t:Ticket)@where(Ticket, t, <-RAISED-Customer)
  WITH t ORDER BY t.opened_at DESC, t.id SKIP $tickets_skip LIMIT $tickets_limit
  RETURN collect(t {.*, opened_at: toString(t.opened_at), closed_at: toString(t.closed_at), customer_id: c.id})
         AS tickets_page
}
WITH *, COUNT { (c)-[:RAISED]->(t)@where(Ticket, t, <-RAISED-Customer) } AS tickets_total"""


# The customer itself with its owner and the owner's department (as GET_CUSTOMERS reads them),
# for a lookup that reads the customer's pages in the same statement: a customer 360 is then
# one round trip.
CUSTOMER_AND_OWNER_PART: LiteralString = """
OPTIONAL MATCH (c)-[:OWNED_BY]->(owner:Employee)
OPTIONAL MATCH (owner)-[:WORKS_IN]->(od:Department)
OPTIONAL MATCH (owner)-[:REPORTS_TO]->(om:Employee)
WITH id, c, c {.*, since: toString(c.since), owner_id: owner.id} AS node,
     owner {.*, department_id: od.id, manager_id: om.id} AS owner, od {.*} AS department"""
CUSTOMER_AND_OWNER_COLUMNS: tuple[LiteralString, ...] = ("node", "owner", "department")


def customer_pages_query(fragments: Sequence[LiteralString], columns: Sequence[LiteralString]) -> LiteralString:
    """One statement paging several relationships of each customer in ``$ids``: the fragments
    above, in order, returning ``id`` and the given columns (all named by the fragments)."""
    return CUSTOMER_PAGES_MATCH + "".join(fragments) + "\nRETURN id, " + ", ".join(columns)


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
  MATCH (i:Interaction)-[:WITH]->(e)@where(Interaction, i)
  WITH i ORDER BY i.at DESC, i.id SKIP $skip LIMIT $limit
  MATCH (c:Customer)-[:HAD]->(i)
  RETURN collect(i {.*, at: toString(i.at), customer_id: c.id, employee_id: e.id}) AS page
}
RETURN id, page, COUNT { (e)<-[:WITH]-(i)@where(Interaction, i) } AS total
"""

EMPLOYEE_ACCOUNTS: LiteralString = """
UNWIND $ids AS id
MATCH (e:Employee {id: id})
CALL (e) {
  MATCH (c:Customer)-[:OWNED_BY]->(e)@where(Customer, c)
  WITH c ORDER BY c.name, c.id SKIP $skip LIMIT $limit
  RETURN collect(c {.*, since: toString(c.since), owner_id: e.id}) AS page
}
RETURN id, page, COUNT { (e)<-[:OWNED_BY]-(c)@where(Customer, c) } AS total
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
  MATCH (o:Order)-[:CONTAINS]->(p)@where(Order, o)
  WITH o ORDER BY o.placed_at DESC, o.id SKIP $skip LIMIT $limit
  MATCH (c:Customer)-[:PLACED]->(o)
  RETURN collect(o {.*, placed_at: toString(o.placed_at), customer_id: c.id}) AS page
}
RETURN id, page, COUNT { (p)<-[:CONTAINS]-(o)@where(Order, o) } AS total
"""

# --- Short, bounded lists per parent (no paging needed) --------------------------------

ORDER_LINES: LiteralString = """
UNWIND $ids AS id
MATCH (o:Order {id: id})-[line:CONTAINS]->(p:Product)@where(Order, o)
WITH id, line, p ORDER BY p.id
RETURN id, collect({order_id: id, product_id: p.id, quantity: line.quantity, price: line.price}) AS items
"""

ORDER_STEPS: LiteralString = """
UNWIND $ids AS id
MATCH (o:Order {id: id})-[h:HANDLED_BY]->(e:Employee)@where(Order, o)
WITH id, h, e ORDER BY h.at
RETURN id, collect({order_id: id, employee_id: e.id, step: h.step, at: toString(h.at)}) AS items
"""

TICKET_HAND_OFFS: LiteralString = """
UNWIND $ids AS id
MATCH (t:Ticket {id: id})-[a:ASSIGNED_TO]->(e:Employee)@where(Ticket, t)
WITH id, a, e ORDER BY a.at
RETURN id, collect({ticket_id: id, employee_id: e.id, at: toString(a.at), by_id: a.by, reason: a.reason}) AS items
"""

CUSTOMER_IDENTITIES: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer {id: id})-[:KNOWN_AS]->(x:ExternalId)@where(Customer, c)
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
