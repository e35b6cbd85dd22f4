"""Cypher that writes the graph, one named statement per row kind.

Every statement takes a batch as ``$rows`` and is idempotent: nodes are merged on ``id``,
relationships on the endpoints plus what identifies them (a step, a hand-off time), so loading
the same rows twice changes nothing. Relationships that have one right answer (an employee's
department and manager, a customer's account owner) drop the stale one when it changes.
"""

from __future__ import annotations

from typing import LiteralString

MERGE_DEPARTMENTS: LiteralString = """
UNWIND $rows AS row
MERGE (d:Department {id: row.id})
SET d.name = row.name, d.kind = row.kind, d.function = row.function
"""

MERGE_EMPLOYEES: LiteralString = """
UNWIND $rows AS row
MATCH (d:Department {id: row.department_id})
MERGE (e:Employee {id: row.id})
SET e.name = row.name, e.email = row.email, e.title = row.title
MERGE (e)-[:WORKS_IN]->(d)
WITH e, d
OPTIONAL MATCH (e)-[stale:WORKS_IN]->(other:Department) WHERE other <> d
DELETE stale
"""

MERGE_REPORTS_TO: LiteralString = """
UNWIND $rows AS row
MATCH (e:Employee {id: row.employee_id})
MATCH (m:Employee {id: row.manager_id})
MERGE (e)-[:REPORTS_TO]->(m)
WITH e, m
OPTIONAL MATCH (e)-[stale:REPORTS_TO]->(other:Employee) WHERE other <> m
DELETE stale
"""

MERGE_PRODUCTS: LiteralString = """
UNWIND $rows AS row
MERGE (p:Product {id: row.id})
SET p.sku = row.sku, p.name = row.name, p.category = row.category, p.price = row.price
"""

MERGE_CUSTOMERS: LiteralString = """
UNWIND $rows AS row
MERGE (c:Customer {id: row.id})
SET c.name = row.name, c.email = row.email, c.segment = row.segment, c.tier = row.tier,
    c.lifetime_value = row.lifetime_value, c.since = row.since
WITH c, row
OPTIONAL MATCH (owner:Employee {id: row.owner_id})
FOREACH (_ IN CASE WHEN owner IS NULL THEN [] ELSE [1] END | MERGE (c)-[:OWNED_BY]->(owner))
WITH c, owner
OPTIONAL MATCH (c)-[stale:OWNED_BY]->(other:Employee) WHERE owner IS NULL OR other <> owner
DELETE stale
"""

MERGE_ORDERS: LiteralString = """
UNWIND $rows AS row
MATCH (c:Customer {id: row.customer_id})
MERGE (o:Order {id: row.id})
SET o.placed_at = row.placed_at, o.status = row.status, o.total = row.total,
    o.currency = row.currency
MERGE (c)-[:PLACED]->(o)
"""

MERGE_ORDER_LINES: LiteralString = """
UNWIND $rows AS row
MATCH (o:Order {id: row.order_id})
MATCH (p:Product {id: row.product_id})
MERGE (o)-[line:CONTAINS]->(p)
SET line.quantity = row.quantity, line.price = row.price
"""

MERGE_ORDER_STEPS: LiteralString = """
UNWIND $rows AS row
MATCH (o:Order {id: row.order_id})
MATCH (e:Employee {id: row.employee_id})
MERGE (o)-[h:HANDLED_BY {step: row.step}]->(e)
SET h.at = row.at
"""

MERGE_INTERACTIONS: LiteralString = """
UNWIND $rows AS row
MATCH (c:Customer {id: row.customer_id})
MATCH (e:Employee {id: row.employee_id})
MERGE (i:Interaction {id: row.id})
SET i.at = row.at, i.channel = row.channel, i.summary = row.summary
MERGE (c)-[:HAD]->(i)
MERGE (i)-[:WITH]->(e)
"""

MERGE_TICKETS: LiteralString = """
UNWIND $rows AS row
MATCH (c:Customer {id: row.customer_id})
MERGE (t:Ticket {id: row.id})
SET t.opened_at = row.opened_at, t.closed_at = row.closed_at, t.status = row.status,
    t.priority = row.priority, t.subject = row.subject
MERGE (c)-[:RAISED]->(t)
"""

MERGE_HAND_OFFS: LiteralString = """
UNWIND $rows AS row
MATCH (t:Ticket {id: row.ticket_id})
MATCH (e:Employee {id: row.employee_id})
MERGE (t)-[a:ASSIGNED_TO {at: row.at}]->(e)
SET a.by = row.by_id, a.reason = row.reason
"""

MERGE_CUSTOMER_IDENTITIES: LiteralString = """
UNWIND $rows AS row
MATCH (c:Customer {id: row.owner_id})
MERGE (x:ExternalId {id: row.system + ':' + row.key})
SET x.system = row.system, x.key = row.key
MERGE (c)-[:KNOWN_AS]->(x)
"""

MERGE_EMPLOYEE_IDENTITIES: LiteralString = """
UNWIND $rows AS row
MATCH (e:Employee {id: row.owner_id})
MERGE (x:ExternalId {id: row.system + ':' + row.key})
SET x.system = row.system, x.key = row.key
MERGE (e)-[:KNOWN_AS]->(x)
"""

# Which of a batch's referenced ids exist, one statement per label the loader can refer to.
EXISTING_IDS: dict[str, LiteralString] = {
    "Department": "UNWIND $ids AS id MATCH (n:Department {id: id}) RETURN collect(n.id) AS found",
    "Employee": "UNWIND $ids AS id MATCH (n:Employee {id: id}) RETURN collect(n.id) AS found",
    "Product": "UNWIND $ids AS id MATCH (n:Product {id: id}) RETURN collect(n.id) AS found",
    "Customer": "UNWIND $ids AS id MATCH (n:Customer {id: id}) RETURN collect(n.id) AS found",
    "Order": "UNWIND $ids AS id MATCH (n:Order {id: id}) RETURN collect(n.id) AS found",
    "Ticket": "UNWIND $ids AS id MATCH (n:Ticket {id: id}) RETURN collect(n.id) AS found",
}
