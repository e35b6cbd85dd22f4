"""The explorer's reads: entities found by words, and the neighbourhood of one entity.

``Neo4jExploreStore`` runs the statements of ``graph.explore_queries`` through the request's
``Neo4jGraphStore`` (so through its budget and the caller's row rules) and turns their rows
into ``graph.model`` records, as the path search does: a hit or a neighbour is the same
record a lookup by id gives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graph import explore_queries, from_nodes
from graph.trace.store import CypherReader

Row = Mapping[str, Any]

ENTITY_OF_LABEL: Mapping[str, Callable[[Any], object]] = {
    "Customer": from_nodes.customer,
    "Employee": from_nodes.employee,
    "Department": from_nodes.department,
    "Order": from_nodes.order,
    "Interaction": from_nodes.interaction,
    "Ticket": from_nodes.ticket,
    "Product": from_nodes.product,
}


@dataclass(frozen=True, slots=True)
class FoundNode:
    """A node of the graph as the explorer read it: its label, id and ``graph.model`` record."""

    label: str
    id: str
    entity: object


@dataclass(frozen=True, slots=True)
class SearchHit:
    score: float
    node: FoundNode


@dataclass(frozen=True, slots=True)
class Edge:
    """A relationship between two nodes of a neighbourhood, as stored (start -> end)."""

    type: str
    start_id: str
    start_label: str
    end_id: str
    end_label: str
    properties: dict[str, object]


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    """The entity first, then its neighbours; the relationships among them; whether neighbours
    were left out because there were more than asked for."""

    nodes: list[FoundNode]
    edges: list[Edge]
    truncated: bool


class Neo4jExploreStore:
    """Search and neighbourhood reads; see the module docstring."""

    def __init__(self, store: CypherReader) -> None:
        self._store = store

    async def search(self, text: str, labels: Sequence[str], first: int) -> list[SearchHit]:
        """Entities of ``labels`` whose id, name or subject has words starting with each word of
        ``text``, best match first, at most ``first``; nothing when ``text`` holds no word.

        The best ``SEARCH_SCAN`` index hits are read first; when the caller may see fewer than
        ``first`` of them and the index has more, the search runs once more over the best
        ``SEARCH_WIDE_SCAN``: a caller who sees a small share of the matches still gets them,
        and no search reads more than the two bounds together."""
        terms = explore_queries.lucene_query(text)
        if terms is None or not labels:
            return []
        for scan in (explore_queries.SEARCH_SCAN, explore_queries.SEARCH_WIDE_SCAN):
            (row,) = await self._store.read(
                explore_queries.SEARCH, terms=terms, labels=list(labels), scan=scan, first=first
            )
            if len(row["hits"]) >= first or row["scanned"] < scan:
                break  # enough, or the index has no more
        return [SearchHit(float(found["score"]), _node(found["hit"])) for found in row["hits"]]

    async def neighbourhood(
        self, kind: str, id: str, rel_types: Sequence[str], first: int, edges: int
    ) -> Neighbourhood | None:
        """The entity ``kind``/``id``, up to ``first`` of its neighbours over ``rel_types`` and up
        to ``edges`` relationships among them; None when the caller sees no such entity."""
        unknown = set(rel_types) - explore_queries.EXPLORE_RELATIONSHIPS
        if unknown:
            raise ValueError(f"not relationships of the explorer: {sorted(unknown)}")
        rows = await self._store.read(
            explore_queries.NEIGHBOURHOOD[kind], id=id, types=list(rel_types), first=first, edges=edges
        )
        if not rows:
            return None
        row = rows[0]
        return Neighbourhood(
            nodes=[_node(item) for item in row["nodes"]],
            edges=[
                Edge(
                    type=item["type"],
                    start_id=item["start_id"],
                    start_label=item["start_label"],
                    end_id=item["end_id"],
                    end_label=item["end_label"],
                    properties=dict(item["properties"]),
                )
                for item in row["edges"]
            ],
            truncated=bool(row["truncated"]),
        )


def _node(item: Row) -> FoundNode:
    return FoundNode(item["label"], item["id"], ENTITY_OF_LABEL[item["label"]](item["node"]))
