"""Cypher that writes the graph, one named statement per row kind.

Every statement takes a batch as ``$rows`` and does two things in one round trip: it writes
each row whose referenced nodes exist, and it returns, for each row that refers to a node
that does not exist, the row's position ``n`` in the batch and the ``missing`` fields. A row
is thus written whole or not at all, and the good rows of a batch load.

Times arrive as ISO 8601 text (see ``graph.rows``) and become DateTimes here, with
``datetime()``. Every write is idempotent: nodes are merged on ``id``, relationships on their endpoints plus
what identifies them (a step, a hand-off time), so loading the same rows twice changes
nothing. Relationships that have one right answer (an employee's department and manager, a
customer's account owner) drop the stale one when it changes.
"""

from __future__ import annotations

from typing import LiteralString

MERGE_DEPARTMENTS: LiteralString = """
UNWIND $rows AS row
MERGE (d:Department {id: row.id})
SET d.name = row.name, d.kind = row.kind, d.function = row.function
WITH row WHERE false
RETURN 0 AS n, [] AS missing
"""

MERGE_EMPLOYEES: LiteralString = """
UNWIND range(0, size($rows) - 1) AS n
WITH n, $rows[n] AS row
OPTIONAL MATCH (d:Department {id: row.department_id})
CALL (row, d) {
  WITH * WHERE d IS NOT NULL
  MERGE (e:Employee {id: row.id})
  SET e.name = row.name, e.email = row.email, e.title = row.title
  MERGE (e)-[:WORKS_IN]->(d)
  WITH e, d
  OPTIONAL MATCH (e)-[stale:WORKS_IN]->(other:Department) WHERE other <> d
  DELETE stale
}
WITH n, d WHERE d IS NULL
RETURN n, ['department_id'] AS missing
"""

MERGE_REPORTS_TO: LiteralString = """
UNWIND range(0, size($rows) - 1) AS n
WITH n, $rows[n] AS row
OPTIONAL MATCH (e:Employee {id: row.employee_id})
OPTIONAL MATCH (m:Employee {id: row.manager_id})
CALL (e, m) {
  WITH * WHERE e IS NOT NULL AND m IS NOT NULL
  MERGE (e)-[:REPORTS_TO]->(m)
  WITH e, m
  OPTIONAL MATCH (e)-[stale:REPORTS_TO]->(other:Employee) WHERE other <> m
  DELETE stale
}
WITH n, [field IN [CASE WHEN e IS NULL THEN 'employee_id' END, CASE WHEN m IS NULL THEN 'manager_id' END]
         WHERE field IS NOT NULL] AS missing
WHERE size(missing) > 0
RETURN n, missing
"""

MERGE_PRODUCTS: LiteralString = """
UNWIND $rows AS row
MERGE (p:Product {id: row.id})
SET p.sku = row.sku, p.name = row.name, p.category = row.category, p.price = row.price
WITH row WHERE false
RETURN 0 AS n, [] AS missing
"""

MERGE_CUSTOMERS: LiteralString = """
UNWIND range(0, size($rows) - 1) AS n
WITH n, $rows[n] AS row
OPTIONAL MATCH (owner:Employee {id: row.owner_id})
CALL (row, owner) {
  WITH * WHERE row.owner_id IS NULL OR owner IS NOT NULL
  MERGE (c:Customer {id: row.id})
  SET c.name = row.name, c.email = row.email, c.segment = row.segment, c.tier = row.tier,
      c.lifetime_value = row.lifetime_value, c.since = datetime(row.since)
  FOREACH (_ IN CASE WHEN owner IS NULL THEN [] ELSE [1] END | MERGE (c)-[:OWNED_BY]->(owner))
  WITH c, owner
  OPTIONAL MATCH (c)-[stale:OWNED_BY]->(other:Employee) WHERE owner IS NULL OR other <> owner
  DELETE stale
}
WITH n, row, owner WHERE row.owner_id IS NOT NULL AND owner IS NULL
RETURN n, ['owner_id'] AS missing
"""

MERGE_ORDERS: LiteralString = """
UNWIND range(0, size($rows) - 1) AS n
WITH n, $rows[n] AS row
OPTIONAL MATCH (c:Customer {id: row.customer_id})
CALL (row, c) {
  WITH * WHERE c IS NOT NULL
  MERGE (o:Order {id: row.id})
  SET o.placed_at = datetime(row.placed_at), o.status = row.status, o.total = row.total, o.currency = row.currency
  MERGE (c)-[:PLACED]->(o)
}
WITH n, c WHERE c IS NULL
RETURN n, ['customer_id'] AS missing
"""

MERGE_ORDER_LINES: LiteralString = """
UNWIND range(0, size($rows) - 1) AS n
WITH n, $rows[n] AS row
OPTIONAL MATCH (o:Order {id: row.order_id})
OPTIONAL MATCH (p:Product {id: row.product_id})
CALL (row, o, p) {
  WITH * WHERE o IS NOT NULL AND p IS NOT NULL
  MERGE (o)-[line:CONTAINS]->(p)
  SET line.quantity = row.quantity, line.price = row.price
}
WITH n, [field IN [CASE WHEN o IS NULL THEN 'order_id' END, CASE WHEN p IS NULL THEN 'product_id' END]
         WHERE field IS NOT NULL] AS missing
WHERE size(missing) > 0
RETURN n, missing
"""

MERGE_ORDER_STEPS: LiteralString = """
UNWIND range(0, size($rows) - 1) AS n
WITH n, $rows[n] AS row
OPTIONAL MATCH (o:Order {id: row.order_id})
OPTIONAL MATCH (e:Employee {id: row.employee_id})
CALL (row, o, e) {
  WITH * WHERE o IS NOT NULL AND e IS NOT NULL
  MERGE (o)-[h:HANDLED_BY {step: row.step}]->(e)
  SET h.at = datetime(row.at)
}
WITH n, [field IN [CASE WHEN o IS NULL THEN 'order_id' END, CASE WHEN e IS NULL THEN 'employee_id' END]
         WHERE field IS NOT NULL] AS missing
WHERE size(missing) > 0
RETURN n, missing
"""

MERGE_INTERACTIONS: LiteralString = """
UNWIND range(0, size($rows) - 1) AS n
WITH n, $rows[n] AS row
OPTIONAL MATCH (c:Customer {id: row.customer_id})
OPTIONAL MATCH (e:Employee {id: row.employee_id})
CALL (row, c, e) {
  WITH * WHERE c IS NOT NULL AND e IS NOT NULL
  MERGE (i:Interaction {id: row.id})
  SET i.at = datetime(row.at), i.channel = row.channel, i.summary = row.summary
  MERGE (c)-[:HAD]->(i)
  MERGE (i)-[:WITH]->(e)
}
WITH n, [field IN [CASE WHEN c IS NULL THEN 'customer_id' END, CASE WHEN e IS NULL THEN 'employee_id' END]
         WHERE field IS NOT NULL] AS missing
WHERE size(missing) > 0
RETURN n, missing
"""

MERGE_TICKETS: LiteralString = """
UNWIND range(0, size($rows) - 1) AS n
WITH n, $rows[n] AS row
OPTIONAL MATCH (c:Customer {id: row.customer_id})
CALL (row, c) {
  WITH * WHERE c IS NOT NULL
  MERGE (t:Ticket {id: row.id})
  SET t.opened_at = datetime(row.opened_at), t.closed_at = datetime(row.closed_at), t.status = row.status,
      t.priority = row.priority, t.subject = row.subject
  MERGE (c)-[:RAISED]->(t)
}
WITH n, c WHERE c IS NULL
RETURN n, ['customer_id'] AS missing
"""

MERGE_HAND_OFFS: LiteralString = """
UNWIND range(0, size($rows) - 1) AS n
WITH n, $rows[n] AS row
OPTIONAL MATCH (t:Ticket {id: row.ticket_id})
OPTIONAL MATCH (e:Employee {id: row.employee_id})
OPTIONAL MATCH (by:Employee {id: row.by_id})
WITH n, row, t, e, row.by_id IS NOT NULL AND by IS NULL AS by_missing
CALL (row, t, e, by_missing) {
  WITH * WHERE t IS NOT NULL AND e IS NOT NULL AND NOT by_missing
  MERGE (t)-[a:ASSIGNED_TO {at: datetime(row.at)}]->(e)
  SET a.by = row.by_id, a.reason = row.reason
}
WITH n, [field IN [CASE WHEN t IS NULL THEN 'ticket_id' END, CASE WHEN e IS NULL THEN 'employee_id' END,
                   CASE WHEN by_missing THEN 'by_id' END] WHERE field IS NOT NULL] AS missing
WHERE size(missing) > 0
RETURN n, missing
"""

MERGE_CUSTOMER_IDENTITIES: LiteralString = """
UNWIND range(0, size($rows) - 1) AS n
WITH n, $rows[n] AS row
OPTIONAL MATCH (c:Customer {id: row.owner_id})
CALL (row, c) {
  WITH * WHERE c IS NOT NULL
  MERGE (x:ExternalId {id: row.system + ':' + row.key})
  SET x.system = row.system, x.key = row.key
  MERGE (c)-[:KNOWN_AS]->(x)
}
WITH n, c WHERE c IS NULL
RETURN n, ['owner_id'] AS missing
"""

MERGE_EMPLOYEE_IDENTITIES: LiteralString = """
UNWIND range(0, size($rows) - 1) AS n
WITH n, $rows[n] AS row
OPTIONAL MATCH (e:Employee {id: row.owner_id})
CALL (row, e) {
  WITH * WHERE e IS NOT NULL
  MERGE (x:ExternalId {id: row.system + ':' + row.key})
  SET x.system = row.system, x.key = row.key
  MERGE (e)-[:KNOWN_AS]->(x)
}
WITH n, e WHERE e IS NULL
RETURN n, ['owner_id'] AS missing
"""
