"""Cypher that writes the graph, one named statement per row kind.

Every statement takes a batch as ``$rows``, each row a list of values in the order of its
kind's fields (see ``graph.load.rows``: a list travels and unpacks faster than a map, whose keys
would be sent and decoded again for every row), and names the values first. It then does
two things in one round trip: it writes each row whose referenced nodes exist, and it
returns, for each row that refers to a node that does not exist, the row's position ``n`` in
the batch and the ``missing`` fields. A row is thus written whole or not at all, and the
good rows of a batch load.

References that many rows of a batch share (an order's steps, an employee's interactions,
the few hundred products) are looked up once per batch, not once per row: the loader sends
such a kind's distinct ids of that field as a table (``$order_ids`` for ``order_id``, see
``RowKind.tables``), each row carries its id's position in the table, and the statement
finds the table's nodes in one pass, in table order, before it unwinds the rows, which took
less of Neo4j's CPU than a lookup per row (``bench/load_bench.py``); interactions, whose
customers rarely repeat within a batch, table only their employee.

Order lines, order steps and hand-offs, relationships between a node of their own (an order,
a ticket) and shared ones, do not ``MERGE``: a ``MERGE`` that creates a relationship locks
both its nodes until the transaction ends, and the loader's two writers, kept apart on
orders and tickets, then queue on the products and employees they share (a ``CREATE`` locks
them only while it commits). Their statements lock only the order or ticket, with
``SET o:Order`` (adding a label the node already has takes its write lock and changes
nothing), look for the relationship and create it if it is missing. A second transaction
writing the same relationship waits on that lock and then finds it, so concurrent loads
still write it once; rows in one statement see each other's writes, since a ``CALL``
subquery runs row by row. With two writers this loaded order lines and steps faster than
``MERGE`` (``bench/load_bench.py``).

Times arrive as ``[epoch seconds, nanoseconds]`` (see ``graph.load.rows``) and become DateTimes
where they are named, with ``datetime.fromepoch``. Every write is idempotent: nodes are
merged on ``id``, relationships on their endpoints plus what identifies them (a step, a
hand-off time), so loading the same rows twice changes nothing. Relationships that have one
right answer (an employee's department and manager, a customer's account owner) drop the
stale one when it changes.

The statements of the big node kinds take two paths. A row whose node is not in the graph
yet creates the node and its relationships outright: a new node has no relationships to
merge with and none to drop, and ``CREATE`` skips those checks (about a tenth of the time of
a first load). A row whose node exists updates it and merges its relationships, as a
``MERGE`` would. Two rows with the same new id in one batch both take the first path; the
uniqueness constraint then fails the batch, and the loader splits it until each row goes
alone and the second takes the update path, so the graph ends as if merged row by row.
"""

from __future__ import annotations

from typing import LiteralString


def _find_table(label: LiteralString, table: LiteralString, found: LiteralString) -> LiteralString:
    """The nodes of a batch's table of distinct ids (see the module docstring), in table order.

    ``$<table>`` holds the ids; the nodes come out as ``found``, a list of one-item lists
    (``[null]`` for an id with no node), and the fragment leads the statements of the kinds
    that send that table.
    """
    return (
        "\nCALL () {\n  UNWIND range(0, size($" + table + ") - 1) AS i\n"
        "  OPTIONAL MATCH (n:" + label + " {id: $" + table + "[i]})\n"
        "  WITH i, n ORDER BY i\n  RETURN collect([n]) AS " + found + "\n}\n"
    )


_FIND_ORDERS = _find_table("Order", "order_ids", "orders")
_FIND_PRODUCTS = _find_table("Product", "product_ids", "products")
_FIND_EMPLOYEES = _find_table("Employee", "employee_ids", "employees")
_FIND_TICKETS = _find_table("Ticket", "ticket_ids", "tickets")
_FIND_CUSTOMER_OWNERS = _find_table("Customer", "owner_ids", "owners")

MERGE_DEPARTMENTS: LiteralString = """
UNWIND $rows AS row
WITH row[0] AS id, row[1] AS name, row[2] AS kind, row[3] AS function
MERGE (d:Department {id: id})
SET d.name = name, d.kind = kind, d.function = function
WITH id WHERE false
RETURN 0 AS n, [] AS missing
"""

MERGE_EMPLOYEES: LiteralString = """
UNWIND range(0, size($rows) - 1) AS n
WITH n, $rows[n] AS row
WITH n, row[0] AS id, row[1] AS name, row[2] AS email, row[3] AS title, row[4] AS department_id
OPTIONAL MATCH (d:Department {id: department_id})
CALL (*) {
  WITH * WHERE d IS NOT NULL
  MERGE (e:Employee {id: id})
  SET e.name = name, e.email = email, e.title = title
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
WITH n, row[0] AS employee_id, row[1] AS manager_id
OPTIONAL MATCH (e:Employee {id: employee_id})
OPTIONAL MATCH (m:Employee {id: manager_id})
CALL (e, m) {
  WITH * WHERE e IS NOT NULL AND m IS NOT NULL
  MERGE (e)-[:REPORTS_TO]->(m)
  WITH e, m
  OPTIONAL MATCH (e)-[stale:REPORTS_TO]->(other:Employee) WHERE other <> m
  DELETE stale
}
WITH n, e, m WHERE e IS NULL OR m IS NULL
RETURN n, [field IN [CASE WHEN e IS NULL THEN 'employee_id' END, CASE WHEN m IS NULL THEN 'manager_id' END]
           WHERE field IS NOT NULL] AS missing
"""

MERGE_PRODUCTS: LiteralString = """
UNWIND $rows AS row
WITH row[0] AS id, row[1] AS sku, row[2] AS name, row[3] AS category, row[4] AS price
MERGE (p:Product {id: id})
SET p.sku = sku, p.name = name, p.category = category, p.price = price
WITH id WHERE false
RETURN 0 AS n, [] AS missing
"""

MERGE_CUSTOMERS: LiteralString = """
UNWIND range(0, size($rows) - 1) AS n
WITH n, $rows[n] AS row
WITH n, row[0] AS id, row[1] AS name, row[2] AS email, row[3] AS segment, row[4] AS tier,
     row[5] AS lifetime_value, datetime.fromepoch(row[6][0], row[6][1]) AS since, row[7] AS owner_id
OPTIONAL MATCH (owner:Employee {id: owner_id})
OPTIONAL MATCH (old:Customer {id: id})
WITH *, owner_id IS NULL OR owner IS NOT NULL AS found
CALL (*) {
  WITH * WHERE found AND old IS NULL
  CREATE (c:Customer {id: id, name: name, email: email, segment: segment, tier: tier,
                      lifetime_value: lifetime_value, since: since})
  FOREACH (_ IN CASE WHEN owner IS NULL THEN [] ELSE [1] END | CREATE (c)-[:OWNED_BY]->(owner))
}
CALL (*) {
  WITH * WHERE found AND old IS NOT NULL
  SET old.name = name, old.email = email, old.segment = segment, old.tier = tier,
      old.lifetime_value = lifetime_value, old.since = since
  FOREACH (_ IN CASE WHEN owner IS NULL THEN [] ELSE [1] END | MERGE (old)-[:OWNED_BY]->(owner))
  WITH old, owner
  OPTIONAL MATCH (old)-[stale:OWNED_BY]->(other:Employee) WHERE owner IS NULL OR other <> owner
  DELETE stale
}
WITH n, found WHERE NOT found
RETURN n, ['owner_id'] AS missing
"""

MERGE_ORDERS: LiteralString = """
UNWIND range(0, size($rows) - 1) AS n
WITH n, $rows[n] AS row
WITH n, row[0] AS id, row[1] AS customer_id, datetime.fromepoch(row[2][0], row[2][1]) AS placed_at,
     row[3] AS status, row[4] AS total, row[5] AS currency
OPTIONAL MATCH (c:Customer {id: customer_id})
OPTIONAL MATCH (old:Order {id: id})
CALL (*) {
  WITH * WHERE c IS NOT NULL AND old IS NULL
  CREATE (c)-[:PLACED]->(:Order {id: id, placed_at: placed_at, status: status, total: total,
                                 currency: currency})
}
CALL (*) {
  WITH * WHERE c IS NOT NULL AND old IS NOT NULL
  SET old.placed_at = placed_at, old.status = status, old.total = total, old.currency = currency
  MERGE (c)-[:PLACED]->(old)
}
WITH n, c WHERE c IS NULL
RETURN n, ['customer_id'] AS missing
"""

MERGE_ORDER_LINES: LiteralString = (
    _FIND_ORDERS
    + _FIND_PRODUCTS
    + """
UNWIND range(0, size($rows) - 1) AS n
WITH n, $rows[n] AS row, orders, products
WITH n, row[0] AS order_id, row[1] AS product_id, row[2] AS quantity, row[3] AS price, orders, products
WITH n, orders[order_id][0] AS o, products[product_id][0] AS p, quantity, price
CALL (*) {
  WITH * WHERE o IS NOT NULL AND p IS NOT NULL
  SET o:Order
  WITH *
  OPTIONAL MATCH (o)-[old:CONTAINS]->(p)
  CALL (*) { WITH * WHERE old IS NULL CREATE (o)-[:CONTAINS {quantity: quantity, price: price}]->(p) }
  CALL (*) { WITH * WHERE old IS NOT NULL SET old.quantity = quantity, old.price = price }
}
WITH n, o, p WHERE o IS NULL OR p IS NULL
RETURN n, [field IN [CASE WHEN o IS NULL THEN 'order_id' END, CASE WHEN p IS NULL THEN 'product_id' END]
           WHERE field IS NOT NULL] AS missing
"""
)

MERGE_ORDER_STEPS: LiteralString = (
    _FIND_ORDERS
    + _FIND_EMPLOYEES
    + """
UNWIND range(0, size($rows) - 1) AS n
WITH n, $rows[n] AS row, orders, employees
WITH n, row[0] AS order_id, row[1] AS employee_id, row[2] AS step,
     datetime.fromepoch(row[3][0], row[3][1]) AS at, orders, employees
WITH n, orders[order_id][0] AS o, employees[employee_id][0] AS e, step, at
CALL (*) {
  WITH * WHERE o IS NOT NULL AND e IS NOT NULL
  SET o:Order
  WITH *
  OPTIONAL MATCH (o)-[old:HANDLED_BY {step: step}]->(e)
  CALL (*) { WITH * WHERE old IS NULL CREATE (o)-[:HANDLED_BY {step: step, at: at}]->(e) }
  CALL (*) { WITH * WHERE old IS NOT NULL SET old.at = at }
}
WITH n, o, e WHERE o IS NULL OR e IS NULL
RETURN n, [field IN [CASE WHEN o IS NULL THEN 'order_id' END, CASE WHEN e IS NULL THEN 'employee_id' END]
           WHERE field IS NOT NULL] AS missing
"""
)

MERGE_INTERACTIONS: LiteralString = (
    _FIND_EMPLOYEES
    + """
UNWIND range(0, size($rows) - 1) AS n
WITH n, $rows[n] AS row, employees
WITH n, row[0] AS id, row[1] AS customer_id, row[2] AS employee_id,
     datetime.fromepoch(row[3][0], row[3][1]) AS at, row[4] AS channel, row[5] AS summary, employees
WITH n, id, customer_id, employees[employee_id][0] AS e, at, channel, summary
OPTIONAL MATCH (c:Customer {id: customer_id})
OPTIONAL MATCH (old:Interaction {id: id})
CALL (*) {
  WITH * WHERE c IS NOT NULL AND e IS NOT NULL AND old IS NULL
  CREATE (c)-[:HAD]->(:Interaction {id: id, at: at, channel: channel, summary: summary})-[:WITH]->(e)
}
CALL (*) {
  WITH * WHERE c IS NOT NULL AND e IS NOT NULL AND old IS NOT NULL
  SET old.at = at, old.channel = channel, old.summary = summary
  MERGE (c)-[:HAD]->(old)
  MERGE (old)-[:WITH]->(e)
}
WITH n, c, e WHERE c IS NULL OR e IS NULL
RETURN n, [field IN [CASE WHEN c IS NULL THEN 'customer_id' END, CASE WHEN e IS NULL THEN 'employee_id' END]
           WHERE field IS NOT NULL] AS missing
"""
)

MERGE_TICKETS: LiteralString = """
UNWIND range(0, size($rows) - 1) AS n
WITH n, $rows[n] AS row
WITH n, row[0] AS id, row[1] AS customer_id, datetime.fromepoch(row[2][0], row[2][1]) AS opened_at,
     CASE WHEN row[3] IS NOT NULL THEN datetime.fromepoch(row[3][0], row[3][1]) END AS closed_at,
     row[4] AS status, row[5] AS priority, row[6] AS subject
OPTIONAL MATCH (c:Customer {id: customer_id})
OPTIONAL MATCH (old:Ticket {id: id})
CALL (*) {
  WITH * WHERE c IS NOT NULL AND old IS NULL
  CREATE (c)-[:RAISED]->(:Ticket {id: id, opened_at: opened_at, closed_at: closed_at,
                                  status: status, priority: priority, subject: subject})
}
CALL (*) {
  WITH * WHERE c IS NOT NULL AND old IS NOT NULL
  SET old.opened_at = opened_at, old.closed_at = closed_at, old.status = status,
      old.priority = priority, old.subject = subject
  MERGE (c)-[:RAISED]->(old)
}
WITH n, c WHERE c IS NULL
RETURN n, ['customer_id'] AS missing
"""

MERGE_HAND_OFFS: LiteralString = (
    _FIND_TICKETS
    + _FIND_EMPLOYEES
    + """
UNWIND range(0, size($rows) - 1) AS n
WITH n, $rows[n] AS row, tickets, employees
WITH n, row[0] AS ticket_id, row[1] AS employee_id, datetime.fromepoch(row[2][0], row[2][1]) AS at,
     row[3] AS by_id, row[4] AS reason, tickets, employees
WITH n, tickets[ticket_id][0] AS t, employees[employee_id][0] AS e, at, by_id, reason
OPTIONAL MATCH (by:Employee {id: by_id})
WITH n, at, by_id, reason, t, e, by_id IS NOT NULL AND by IS NULL AS by_missing
CALL (*) {
  WITH * WHERE t IS NOT NULL AND e IS NOT NULL AND NOT by_missing
  SET t:Ticket
  WITH *
  OPTIONAL MATCH (t)-[old:ASSIGNED_TO {at: at}]->(e)
  CALL (*) { WITH * WHERE old IS NULL CREATE (t)-[:ASSIGNED_TO {at: at, by: by_id, reason: reason}]->(e) }
  CALL (*) { WITH * WHERE old IS NOT NULL SET old.by = by_id, old.reason = reason }
}
WITH n, t, e, by_missing WHERE t IS NULL OR e IS NULL OR by_missing
RETURN n, [field IN [CASE WHEN t IS NULL THEN 'ticket_id' END, CASE WHEN e IS NULL THEN 'employee_id' END,
                     CASE WHEN by_missing THEN 'by_id' END] WHERE field IS NOT NULL] AS missing
"""
)

MERGE_CUSTOMER_IDENTITIES: LiteralString = (
    _FIND_CUSTOMER_OWNERS
    + """
UNWIND range(0, size($rows) - 1) AS n
WITH n, $rows[n] AS row, owners
WITH n, row[0] AS owner_id, row[1] AS system, row[2] AS key, owners
WITH n, owners[owner_id][0] AS c, system, key
OPTIONAL MATCH (old:ExternalId {id: system + ':' + key})
CALL (*) {
  WITH * WHERE c IS NOT NULL AND old IS NULL
  CREATE (c)-[:KNOWN_AS]->(:ExternalId {id: system + ':' + key, system: system, key: key})
}
CALL (*) {
  WITH * WHERE c IS NOT NULL AND old IS NOT NULL
  SET old.system = system, old.key = key
  MERGE (c)-[:KNOWN_AS]->(old)
}
WITH n, c WHERE c IS NULL
RETURN n, ['owner_id'] AS missing
"""
)

MERGE_EMPLOYEE_IDENTITIES: LiteralString = """
UNWIND range(0, size($rows) - 1) AS n
WITH n, $rows[n] AS row
WITH n, row[0] AS owner_id, row[1] AS system, row[2] AS key
OPTIONAL MATCH (e:Employee {id: owner_id})
OPTIONAL MATCH (old:ExternalId {id: system + ':' + key})
CALL (*) {
  WITH * WHERE e IS NOT NULL AND old IS NULL
  CREATE (e)-[:KNOWN_AS]->(:ExternalId {id: system + ':' + key, system: system, key: key})
}
CALL (*) {
  WITH * WHERE e IS NOT NULL AND old IS NOT NULL
  SET old.system = system, old.key = key
  MERGE (e)-[:KNOWN_AS]->(old)
}
WITH n, e WHERE e IS NULL
RETURN n, ['owner_id'] AS missing
"""
