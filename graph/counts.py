"""How big the graph is: node counts per label and relationship counts per type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import LiteralString

from neo4j import AsyncDriver, RoutingControl

from graph.neo4j_errors import translated

# One branch per label and type of the model: the count store answers each without a scan.
NODE_COUNTS: LiteralString = """
MATCH (n:Customer) RETURN 'Customer' AS name, count(n) AS count
UNION ALL
MATCH (n:Order) RETURN 'Order' AS name, count(n) AS count
UNION ALL
MATCH (n:Product) RETURN 'Product' AS name, count(n) AS count
UNION ALL
MATCH (n:Employee) RETURN 'Employee' AS name, count(n) AS count
UNION ALL
MATCH (n:Department) RETURN 'Department' AS name, count(n) AS count
UNION ALL
MATCH (n:Interaction) RETURN 'Interaction' AS name, count(n) AS count
UNION ALL
MATCH (n:Ticket) RETURN 'Ticket' AS name, count(n) AS count
UNION ALL
MATCH (n:ExternalId) RETURN 'ExternalId' AS name, count(n) AS count
"""

RELATIONSHIP_COUNTS: LiteralString = """
MATCH ()-[r:PLACED]->() RETURN 'PLACED' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:CONTAINS]->() RETURN 'CONTAINS' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:HANDLED_BY]->() RETURN 'HANDLED_BY' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:WORKS_IN]->() RETURN 'WORKS_IN' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:REPORTS_TO]->() RETURN 'REPORTS_TO' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:HAD]->() RETURN 'HAD' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:WITH]->() RETURN 'WITH' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:RAISED]->() RETURN 'RAISED' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:ASSIGNED_TO]->() RETURN 'ASSIGNED_TO' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:OWNED_BY]->() RETURN 'OWNED_BY' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:KNOWN_AS]->() RETURN 'KNOWN_AS' AS name, count(r) AS count
"""


@dataclass(frozen=True, slots=True)
class GraphCounts:
    nodes: dict[str, int]
    relationships: dict[str, int]

    @property
    def total_nodes(self) -> int:
        return sum(self.nodes.values())

    @property
    def total_relationships(self) -> int:
        return sum(self.relationships.values())


async def graph_counts(driver: AsyncDriver, database: str) -> GraphCounts:
    async with translated():
        nodes, _, _ = await driver.execute_query(NODE_COUNTS, database_=database, routing_=RoutingControl.READ)
        rels, _, _ = await driver.execute_query(RELATIONSHIP_COUNTS, database_=database, routing_=RoutingControl.READ)
    return GraphCounts(
        nodes={record["name"]: record["count"] for record in nodes},
        relationships={record["name"]: record["count"] for record in rels},
    )
