"""The ``SERVES`` relationships: which departments have served which customers.

A department serves a customer when one of its employees had an interaction with them,
handled a step of one of their orders, was handed one of their tickets, or owns their
account. Row rules (``graph.row_rules``) that start from the caller's department read this one
hop, ``(customer)<-[:SERVES]-(department)``, instead of walking every interaction, order step
and hand-off of every customer a list passes (73 times the database hits for a list of 50 on
the ``bench`` graph when the rule walks them).

Each ``SERVES`` carries the department's id (``scope``) and the customer's sort keys (``cid``,
``name``, ``since``), indexed together (``graph.constraints``): a department's customers come out of
one index in a list's order, so a list of the customers a department serves reads one page of
the index instead of checking customer after customer.

``SERVES`` is derived data: ``refresh_serves`` recomputes it from the graph, adding what is
missing and removing what no longer holds, in transactions of ``batch`` customers, so it is
safe to run again after a failure part way (the loader runs it at the end of every load).
"""

from __future__ import annotations

from typing import LiteralString

from neo4j import AsyncDriver

from graph.neo4j_errors import translated

REFRESH_SERVES: LiteralString = """
MATCH (c:Customer)
CALL (c) {
  WITH c, COLLECT {
    MATCH (c)-[:HAD]->(:Interaction)-[:WITH]->(:Employee)-[:WORKS_IN]->(d:Department) RETURN d
    UNION
    MATCH (c)-[:PLACED]->(:Order)-[:HANDLED_BY]->(:Employee)-[:WORKS_IN]->(d:Department) RETURN d
    UNION
    MATCH (c)-[:RAISED]->(:Ticket)-[:ASSIGNED_TO]->(:Employee)-[:WORKS_IN]->(d:Department) RETURN d
    UNION
    MATCH (c)-[:OWNED_BY]->(:Employee)-[:WORKS_IN]->(d:Department) RETURN d
  } AS serving
  CALL (c, serving) {
    MATCH (c)<-[stale:SERVES]-(d:Department) WHERE NOT d IN serving
    DELETE stale
  }
  CALL (c, serving) {
    UNWIND serving AS d
    MERGE (d)-[s:SERVES]->(c)
    SET s.scope = d.id, s.cid = c.id, s.name = c.name, s.since = c.since
  }
} IN TRANSACTIONS OF $batch ROWS
"""


async def refresh_serves(driver: AsyncDriver, database: str, *, batch: int = 2000) -> None:
    """Bring every customer's ``SERVES`` relationships in line with the graph."""
    async with translated(), driver.session(database=database) as session:
        result = await session.run(REFRESH_SERVES, batch=batch)
        await result.consume()
