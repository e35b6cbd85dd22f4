"""Cypher of the naive peer: one statement per field per parent, as hand-written resolvers do.

Each statement answers for a single parent (``$id``); nothing is batched. Ordering and paging
match the service's (graph/queries.py, graph/listing.py) so the same query gives the same data.
"""

from __future__ import annotations

from typing import LiteralString

CUSTOMER: LiteralString = "MATCH (n:Customer {id: $id}) RETURN n {.*} AS node"
EMPLOYEE: LiteralString = "MATCH (n:Employee {id: $id}) RETURN n {.*} AS node"
DEPARTMENT: LiteralString = "MATCH (n:Department {id: $id}) RETURN n {.*} AS node"
PRODUCT: LiteralString = "MATCH (n:Product {id: $id}) RETURN n {.*} AS node"
ORDER: LiteralString = "MATCH (n:Order {id: $id}) RETURN n {.*} AS node"
TICKET: LiteralString = "MATCH (n:Ticket {id: $id}) RETURN n {.*} AS node"
INTERACTION: LiteralString = "MATCH (n:Interaction {id: $id}) RETURN n {.*} AS node"

CUSTOMERS_BY_NAME: LiteralString = """
MATCH (n:Customer)
WITH n ORDER BY n.name ASC, n.id ASC SKIP $skip LIMIT $limit
RETURN n {.*} AS node
"""
CUSTOMER_COUNT: LiteralString = "MATCH (n:Customer) RETURN count(n) AS total"

CUSTOMER_OWNER: LiteralString = "MATCH (:Customer {id: $id})-[:OWNED_BY]->(n:Employee) RETURN n {.*} AS node"
EMPLOYEE_DEPARTMENT: LiteralString = "MATCH (:Employee {id: $id})-[:WORKS_IN]->(n:Department) RETURN n {.*} AS node"
INTERACTION_EMPLOYEE: LiteralString = "MATCH (:Interaction {id: $id})-[:WITH]->(n:Employee) RETURN n {.*} AS node"

CUSTOMER_ORDERS: LiteralString = """
MATCH (:Customer {id: $id})-[:PLACED]->(n:Order)
WITH n ORDER BY n.placed_at DESC, n.id SKIP $skip LIMIT $limit
RETURN n {.*} AS node
"""
CUSTOMER_INTERACTIONS: LiteralString = """
MATCH (:Customer {id: $id})-[:HAD]->(n:Interaction)
WITH n ORDER BY n.at DESC, n.id SKIP $skip LIMIT $limit
RETURN n {.*} AS node
"""
CUSTOMER_TICKETS: LiteralString = """
MATCH (:Customer {id: $id})-[:RAISED]->(n:Ticket)
WITH n ORDER BY n.opened_at DESC, n.id SKIP $skip LIMIT $limit
RETURN n {.*} AS node
"""
CUSTOMER_ORDER_COUNT: LiteralString = "MATCH (c:Customer {id: $id}) RETURN COUNT { (c)-[:PLACED]->() } AS total"
CUSTOMER_INTERACTION_COUNT: LiteralString = "MATCH (c:Customer {id: $id}) RETURN COUNT { (c)-[:HAD]->() } AS total"
CUSTOMER_TICKET_COUNT: LiteralString = "MATCH (c:Customer {id: $id}) RETURN COUNT { (c)-[:RAISED]->() } AS total"

ORDER_LINES: LiteralString = """
MATCH (:Order {id: $id})-[line:CONTAINS]->(p:Product)
RETURN line.quantity AS quantity, line.price AS price, p.id AS product_id
ORDER BY p.id
"""
