"""Cypher for shortest paths between two entities, assembled from fixed fragments only.

Neo4j needs a quantified pattern's upper bound written into the query text, and the
endpoint labels must be in it for the lookup by ``id`` to use the uniqueness index. Both come
from fixed tables here: the label from ``ENDPOINT_LABELS`` (keyed by the entity kind), the
bound from ``HOP_BOUNDS`` (a validated integer picks one of the literals "1".."10"). The ids
and the result limit travel as parameters. Paths follow every relationship of the model,
in either direction, except ``KNOWN_AS`` (identities hang off one owner each: never a way
through). Interactions, orders and tickets are nodes, so a customer reaches the people who
served them through those events: two hops, not one. The GQL path selectors ``SHORTEST 1``
and ``ALL SHORTEST`` (Neo4j 5.21+) are used rather than ``shortestPath()``, which refuses a
path from a node to itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import LiteralString

from graph.row_rules import RULED_LABELS

MAX_HOPS = 10

ENDPOINT_LABELS: Mapping[str, LiteralString] = {
    "CUSTOMER": "Customer",
    "EMPLOYEE": "Employee",
    "DEPARTMENT": "Department",
    "ORDER": "Order",
    "TICKET": "Ticket",
    "PRODUCT": "Product",
    "INTERACTION": "Interaction",
}

HOP_BOUNDS: tuple[LiteralString, ...] = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "10")

PATH_RELATIONSHIPS: LiteralString = (
    "PLACED|CONTAINS|HANDLED_BY|WORKS_IN|REPORTS_TO|HAD|WITH|RAISED|ASSIGNED_TO|OWNED_BY"
)

# Each node as the lookup of its kind in graph.queries reads it (times as text, the ids of its
# one-to-one neighbours), so that the entities along a path (or in the explorer's answers, which
# use it too) need no further statement.
NODE_MAP: LiteralString = """{label: head(labels(n)), id: n.id, node: CASE head(labels(n))
    WHEN 'Customer' THEN n {.*, since: toString(n.since), owner_id: head([(n)-[:OWNED_BY]->(o:Employee) | o.id])}
    WHEN 'Employee' THEN n {.*, department_id: head([(n)-[:WORKS_IN]->(d:Department) | d.id]),
                            manager_id: head([(n)-[:REPORTS_TO]->(m:Employee) | m.id])}
    WHEN 'Order' THEN n {.*, placed_at: toString(n.placed_at), customer_id: head([(c:Customer)-[:PLACED]->(n) | c.id])}
    WHEN 'Interaction' THEN n {.*, at: toString(n.at), customer_id: head([(c:Customer)-[:HAD]->(n) | c.id]),
                               employee_id: head([(n)-[:WITH]->(e:Employee) | e.id])}
    WHEN 'Ticket' THEN n {.*, opened_at: toString(n.opened_at), closed_at: toString(n.closed_at),
                          customer_id: head([(c:Customer)-[:RAISED]->(n) | c.id])}
    ELSE n {.*}
  END}"""

_PATH_MAPS: LiteralString = (
    """
RETURN found_from, found_to, [p IN paths | {
  nodes: [n IN nodes(p) | """
    + NODE_MAP
    + """],
  relationships: [r IN relationships(p) | {
    type: type(r), start_id: startNode(r).id, end_id: endNode(r).id, properties: properties(r)
  }]
}] AS paths
"""
)


def shortest_paths_query(
    from_kind: str, to_kind: str, max_hops: int, *, all_shortest: bool, restricted: bool = False
) -> LiteralString:
    """The statement finding one shortest path (or all of them, up to ``$limit``) within ``max_hops``.

    Parameters: ``$from_id``, ``$to_id``, ``$limit``. Returns one row: whether each endpoint
    exists and the paths found. A path from a node to itself is that node alone (length 0).

    ``restricted``: the caller sees only some rows (``graph.row_rules``), and a path may pass
    only through nodes they see. Neo4j 5.26 cannot check a subquery inside the quantified
    pattern of ``SHORTEST`` ("not in the slot configuration"), while ``shortestPath()`` checks
    a predicate on all of a path's nodes during its search (the shortest path that satisfies
    it, not the shortest path filtered afterwards); a path from a node to itself is then found
    apart, as ``shortestPath()`` refuses one.
    """
    if not 1 <= max_hops <= MAX_HOPS:
        raise ValueError(f"max_hops must be between 1 and {MAX_HOPS}")
    from_label, to_label = ENDPOINT_LABELS[from_kind], ENDPOINT_LABELS[to_kind]
    endpoints: LiteralString = (
        "OPTIONAL MATCH (a:" + from_label + " {id: $from_id})" + _visible(from_label, "a") + "\n"
        "OPTIONAL MATCH (b:" + to_label + " {id: $to_id})" + _visible(to_label, "b") + "\n"
    )
    if restricted:
        function: LiteralString = "allShortestPaths" if all_shortest else "shortestPath"
        search: LiteralString = (
            "CALL (a, b) {\n"
            "  CALL (a, b) {\n"
            "    WITH a, b WHERE a IS NOT NULL AND a = b\n"
            "    MATCH p = (a)\n"
            "    RETURN p\n"
            "    UNION\n"
            "    WITH a, b WHERE a IS NOT NULL AND b IS NOT NULL AND a <> b\n"
            "    MATCH p = "
            + function
            + "((a)-[:"
            + PATH_RELATIONSHIPS
            + "*1.."
            + HOP_BOUNDS[max_hops - 1]
            + "]-(b))\n"
            "    WHERE @nodes(p)\n"
            "    RETURN p\n"
            "  }\n"
            "  WITH p LIMIT $limit\n"
            "  RETURN collect(p) AS paths\n"
            "}\n"
        )
    else:
        selector: LiteralString = "ALL SHORTEST" if all_shortest else "SHORTEST 1"
        search = (
            "CALL (a, b) {\n"
            "  WITH a, b WHERE a IS NOT NULL AND b IS NOT NULL\n"
            "  MATCH p = " + selector + " (a)-[:" + PATH_RELATIONSHIPS + "]-{0," + HOP_BOUNDS[max_hops - 1] + "}(b)\n"
            "  WITH p LIMIT $limit\n"
            "  RETURN collect(p) AS paths\n"
            "}\n"
        )
    return endpoints + search + "WITH a IS NOT NULL AS found_from, b IS NOT NULL AS found_to, paths" + _PATH_MAPS


def _visible(label: LiteralString, node: LiteralString) -> LiteralString:
    """The row-rule mark for an endpoint of a ruled label (see ``graph.row_rules``)."""
    return "@where(" + label + ", " + node + ")" if label in RULED_LABELS else ""
