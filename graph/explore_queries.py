"""Cypher of the explorer: a full-text search over entities and the bounded neighbourhood of one.

The search reads the full-text index ``entity_search`` (created with the other indexes in
``graph.constraints``) with a Lucene query that ``lucene_query`` builds from words only: whatever
a user types, no Lucene operator, field, range, fuzzy or leading wildcard can reach the index.

Both statements carry the row-rule marks of ``graph.row_rules``: a hit or a neighbour of a
ruled label is kept only when the caller may see it, and so is the entity a neighbourhood is
drawn around. Labels come from fixed tables; relationship types travel as a parameter and are
checked against ``EXPLORE_RELATIONSHIPS`` before a statement runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final, LiteralString

from graph.row_rules import RULED_LABELS
from graph.trace.path_queries import ENDPOINT_LABELS, NODE_MAP

SEARCH_INDEX: Final = "entity_search"
# The labels and properties the index covers: names, a ticket's subject, and every id.
SEARCH_LABELS: Final = ("Customer", "Employee", "Department", "Order", "Ticket", "Product")
SEARCH_PROPERTIES: Final = {
    "Customer": ("id", "name"),
    "Employee": ("id", "name"),
    "Department": ("id", "name"),
    "Order": ("id",),
    "Ticket": ("id", "subject"),
    "Product": ("id", "name"),
}
CREATE_SEARCH_INDEX: LiteralString = (
    "CREATE FULLTEXT INDEX entity_search IF NOT EXISTS "
    "FOR (n:Customer|Employee|Department|Order|Ticket|Product) ON EACH [n.id, n.name, n.subject]"
)

MAX_SEARCH_TEXT: Final = 200
MAX_SEARCH_TERMS: Final = 6
MAX_TERM_LENGTH: Final = 40
# Index hits read before the row rules and kinds filter them: first SEARCH_SCAN, and when the
# caller sees too few of those, once more SEARCH_WIDE_SCAN (never an unbounded scan).
SEARCH_SCAN: Final = 500
SEARCH_WIDE_SCAN: Final = 5_000

# The relationships a neighbourhood may follow: the model's, without KNOWN_AS (identities)
# and SERVES (an index of the row rules, not a fact of the business).
EXPLORE_RELATIONSHIPS: Final = frozenset(
    {"PLACED", "CONTAINS", "HANDLED_BY", "WORKS_IN", "REPORTS_TO", "HAD", "WITH", "RAISED", "ASSIGNED_TO", "OWNED_BY"}
)

_WORD = re.compile(r"\w+")


def lucene_query(text: str) -> str | None:
    """A Lucene query that finds entities whose indexed text has words starting with each word
    of ``text`` (all of them), or None when ``text`` holds no word.

    Only runs of letters, digits and ``_`` survive, lowercased (so ``AND``, ``OR`` and ``NOT``
    are words, not operators), at most ``MAX_SEARCH_TERMS`` of them, each cut to
    ``MAX_TERM_LENGTH``. A word of one character is matched as a whole word: as a prefix it
    would match a large share of the index for nothing.
    """
    words = [word.lower()[:MAX_TERM_LENGTH] for word in _WORD.findall(text)][:MAX_SEARCH_TERMS]
    if not words:
        return None
    return " AND ".join(word if len(word) < 2 else word + "*" for word in words)


# Whether the caller may see the node ``n``: each ruled label's mark (graph.row_rules).
_VISIBLE_N: LiteralString = """(NOT n:Customer OR @visible(Customer, n))
  AND (NOT n:Order OR @visible(Order, n))
  AND (NOT n:Interaction OR @visible(Interaction, n))
  AND (NOT n:Ticket OR @visible(Ticket, n))"""

# A search over the best $scan index hits: how many the index gave (fewer than $scan: it has no
# more), and the best $first of them the caller may see. (Not a page from an offset: Lucene
# breaks ties of score differently for different limits, so pages could repeat a hit.)
SEARCH: LiteralString = (
    """
CALL db.index.fulltext.queryNodes('entity_search', $terms, {limit: $scan}) YIELD node, score
WITH collect([node, score]) AS read
CALL (read) {
  UNWIND read AS pair
  WITH pair[0] AS n, pair[1] AS score
  WITH n, score WHERE head(labels(n)) IN $labels AND """
    + _VISIBLE_N
    + """
  WITH n, score ORDER BY score DESC, n.id LIMIT $first
  RETURN collect({score: score, hit: """
    + NODE_MAP
    + """}) AS hits
}
RETURN size(read) AS scanned, hits
"""
)

# The entity's visible neighbours over the given relationship types (at most $first of
# them, nearest first in the store's order), and the relationships among all of those nodes
# (at most $edges), so a neighbourhood shows how its members hang together, not only a star.
_NEIGHBOURHOOD_REST: LiteralString = (
    """
CALL (center) {
  MATCH (center)-[r]-(n)
  WHERE type(r) IN $types AND n <> center AND """
    + _VISIBLE_N
    + """
  WITH DISTINCT n LIMIT $first + 1
  RETURN collect(n) AS found
}
WITH center, found[..$first] AS around, size(found) > $first AS truncated
WITH center, around, truncated, [center] + around AS members
CALL (members) {
  UNWIND members AS a
  MATCH (a)-[r]->(b)
  WHERE type(r) IN $types AND b IN members
  WITH r LIMIT $edges
  RETURN collect({type: type(r), start_id: startNode(r).id, end_id: endNode(r).id,
                  start_label: head(labels(startNode(r))), end_label: head(labels(endNode(r))),
                  properties: properties(r)}) AS edges
}
UNWIND [center] + around AS n
WITH edges, truncated, collect("""
    + NODE_MAP
    + """) AS nodes
RETURN nodes, edges, truncated
"""
)


def _neighbourhood(label: LiteralString) -> LiteralString:
    ruled: LiteralString = "@where(" + label + ", center)" if label in RULED_LABELS else ""
    return "MATCH (center:" + label + " {id: $id})" + ruled + _NEIGHBOURHOOD_REST


NEIGHBOURHOOD: Mapping[str, LiteralString] = {kind: _neighbourhood(label) for kind, label in ENDPOINT_LABELS.items()}
"""The neighbourhood statement per entity kind (``CUSTOMER``, ``EMPLOYEE``...). Parameters:
``$id``, ``$types`` (a list of ``EXPLORE_RELATIONSHIPS``), ``$first`` (neighbours),
``$edges`` (relationships). No row when the entity does not exist or the caller may not see it."""
