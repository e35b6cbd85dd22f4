"""A complete, order-independent picture of a graph, to compare two loads exactly."""

from __future__ import annotations

from typing import Any, LiteralString

from neo4j import AsyncDriver

NODES: LiteralString = """
MATCH (n)
RETURN labels(n) AS labels, properties(n) AS properties
"""

RELATIONSHIPS: LiteralString = """
MATCH (a)-[r]->(b)
RETURN a.id AS start, type(r) AS type, properties(r) AS properties, b.id AS end
"""


def _frozen(value: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((key, repr(item)) for key, item in value.items()))


async def fingerprint(driver: AsyncDriver) -> tuple[list[Any], list[Any]]:
    nodes, _, _ = await driver.execute_query(NODES, database_="neo4j")
    rels, _, _ = await driver.execute_query(RELATIONSHIPS, database_="neo4j")
    node_set = sorted((tuple(sorted(r["labels"])), _frozen(r["properties"])) for r in nodes)
    rel_set = sorted((r["start"], r["type"], _frozen(r["properties"]), r["end"]) for r in rels)
    return node_set, rel_set
