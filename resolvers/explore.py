"""Root fields of the relationship explorer: ``search`` and ``neighbourhood``.

Merged into ``Query`` by ``resolvers.schema``. Both read through the request's store, so the
caller's row rules are in their Cypher (a hidden entity is never a hit, a neighbour or a
centre: a hidden centre answers exactly as a missing one). Both are bounded: ``first`` has a
ceiling, the search reads at most ``SEARCH_SCAN`` then ``SEARCH_WIDE_SCAN`` index hits, a neighbourhood at most
``MAX_NEIGHBOURS`` nodes and four relationships per node.

A search compares what the user typed with names, subjects and ids: it is a filter, and a
filter is an oracle for the value it compares (``resolvers.access.ensure_filterable``). So a
kind is searched only when the caller reads its searched fields unmasked; asking for another
kind is ``FORBIDDEN``, leaving ``kinds`` out searches the kinds the caller may.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from domain.access import ForbiddenError
from domain.errors import BadUserInputError, NotFoundError
from graph import explore_queries
from graph.explore_store import Edge, FoundNode
from resolvers import cost
from resolvers.context import Info
from resolvers.enums import OrderStep
from resolvers.trace.reports import KIND_OF_LABEL, PATH_NODE_TYPES, EntityKind, EntityRef, PathNode, RelationshipType

DEFAULT_SEARCH_HITS = 10
MAX_SEARCH_HITS = 50
DEFAULT_NEIGHBOURS = 50
MAX_NEIGHBOURS = 1_000
EDGES_PER_NODE = 4
SEARCH_WEIGHT = 300  # a full-text query or two and the row rules of their hits
NEIGHBOURHOOD_WEIGHT = 500  # one statement: the neighbours and the relationships among them


@strawberry.enum(description="A kind of entity the search finds.")
class SearchKind(Enum):
    CUSTOMER = "CUSTOMER"
    EMPLOYEE = "EMPLOYEE"
    DEPARTMENT = "DEPARTMENT"
    ORDER = "ORDER"
    TICKET = "TICKET"
    PRODUCT = "PRODUCT"

    @property
    def label(self) -> str:
        return self.value.title()


def _entity(info: Info, node: FoundNode) -> Any:
    """The GraphQL object of a node read by the explorer; its loader is primed with it."""
    loader, build = PATH_NODE_TYPES[node.label]
    getattr(info.context.loaders, loader).prime(node.id, node.entity)
    return build(node.entity)


@strawberry.type(description="An entity found by a search, and how well it matched.")
class SearchHit:
    score: float = strawberry.field(description="The full-text score: higher is a better match.")
    found: strawberry.Private[FoundNode]

    @strawberry.field(description="The entity found.")
    def entity(self, info: Info) -> PathNode:
        return _entity(info, self.found)  # type: ignore[no-any-return]


@strawberry.type(description="A relationship between two entities of a neighbourhood, as stored (start -> end).")
class GraphEdge:
    type: RelationshipType
    start_id: strawberry.ID
    start_kind: EntityKind
    end_id: strawberry.ID
    end_kind: EntityKind
    at: datetime | None = strawberry.field(description="HANDLED_BY and ASSIGNED_TO: when.")
    step: OrderStep | None = strawberry.field(description="HANDLED_BY: which order step.")

    @classmethod
    def from_record(cls, edge: Edge) -> GraphEdge:
        at = edge.properties.get("at")
        step = edge.properties.get("step")
        return cls(
            type=RelationshipType(edge.type),
            start_id=strawberry.ID(edge.start_id),
            start_kind=KIND_OF_LABEL[edge.start_label],
            end_id=strawberry.ID(edge.end_id),
            end_kind=KIND_OF_LABEL[edge.end_label],
            at=None if at is None else at.to_native(),  # type: ignore[attr-defined]
            step=None if step is None else OrderStep(str(step)),
        )


@strawberry.type(description="An entity, its neighbours and the relationships among them.")
class Neighbourhood:
    truncated: bool = strawberry.field(description="Whether more neighbours than 'first' were left out.")
    relationships: list[GraphEdge] = strawberry.field(
        description="The relationships among the nodes (at most four per node).",
        directives=[cost.list_size(EDGES_PER_NODE * DEFAULT_NEIGHBOURS)],
    )
    found: strawberry.Private[list[FoundNode]]

    @strawberry.field(
        description="The entity first, then its neighbours.", directives=[cost.list_size(DEFAULT_NEIGHBOURS + 1)]
    )
    def nodes(self, info: Info) -> list[PathNode]:
        return [_entity(info, node) for node in self.found]


def searchable_labels(info: Info, kinds: list[SearchKind] | None) -> list[str]:
    """The labels to search: the kinds asked for (all by default) whose searched fields the
    caller reads unmasked; a kind asked for by name that the caller may not search is FORBIDDEN."""
    access = info.context.access
    allowed = [
        kind
        for kind in SearchKind
        if all(
            access.readable(kind.label, field) and access.mask(kind.label, field) is None
            for field in explore_queries.SEARCH_PROPERTIES[kind.label]
        )
    ]
    if kinds is None:
        return [kind.label for kind in allowed]
    refused = [kind.value for kind in kinds if kind not in allowed]
    if refused:
        raise ForbiddenError(f"your roles may not search {', '.join(refused)} by what the search compares")
    return list(dict.fromkeys(kind.label for kind in kinds))


@strawberry.type
class ExploreQuery:
    @strawberry.field(
        description="Entities whose id, name or (tickets) subject has words starting with each word of "
        "'text', best match first. Only letters and digits count: no query syntax.",
        directives=[cost.list_size(DEFAULT_SEARCH_HITS, ["first"]), cost.weight(SEARCH_WEIGHT)],
    )
    async def search(
        self, info: Info, text: str, kinds: list[SearchKind] | None = None, first: int = DEFAULT_SEARCH_HITS
    ) -> list[SearchHit]:
        if not 1 <= first <= MAX_SEARCH_HITS:
            raise BadUserInputError(f"'first' must be between 1 and {MAX_SEARCH_HITS}", argument="first")
        if len(text) > explore_queries.MAX_SEARCH_TEXT:
            raise BadUserInputError(
                f"'text' may be at most {explore_queries.MAX_SEARCH_TEXT} characters", argument="text"
            )
        labels = searchable_labels(info, kinds)
        hits = await info.context.store.explore().search(text, labels, first)
        return [SearchHit(score=hit.score, found=hit.node) for hit in hits]

    @strawberry.field(
        description="An entity with up to 'first' (1 to 1000) of its neighbours over the given relationship "
        "types (all by default), and the relationships among them.",
        directives=[
            cost.list_size(DEFAULT_NEIGHBOURS, ["first"], ["nodes", "relationships"]),
            cost.weight(NEIGHBOURHOOD_WEIGHT),
        ],
        metadata={cost.MAX_SIZE: MAX_NEIGHBOURS},
    )
    async def neighbourhood(
        self,
        info: Info,
        entity: EntityRef,
        relationship_types: list[RelationshipType] | None = None,
        first: int = DEFAULT_NEIGHBOURS,
    ) -> Neighbourhood | None:
        if not 1 <= first <= MAX_NEIGHBOURS:
            raise BadUserInputError(f"'first' must be between 1 and {MAX_NEIGHBOURS}", argument="first")
        types = [t.value for t in (relationship_types if relationship_types is not None else RelationshipType)]
        found = await info.context.store.explore().neighbourhood(
            entity.kind.value, entity.id, list(dict.fromkeys(types)), first, EDGES_PER_NODE * (first + 1)
        )
        if found is None:
            kind = entity.kind.value.lower()
            raise NotFoundError(f"no {kind} with id '{entity.id}'", id=entity.id, argument="entity")
        return Neighbourhood(
            truncated=found.truncated,
            relationships=[GraphEdge.from_record(edge) for edge in found.edges],
            found=found.nodes,
        )
