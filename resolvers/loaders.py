"""Per-request DataLoaders: every relationship field of a query level becomes one Cypher call.

A new ``Loaders`` is made for each request, so caches never leak between users. Paged
relationships are keyed by ``(parent id, skip, limit)``; a batch with the same window (the
common case: every customer's first 5 orders) is one statement for all parents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from graph.model import (
    Customer,
    Department,
    Employee,
    ExternalId,
    HandOff,
    Interaction,
    Order,
    OrderLine,
    OrderStepRecord,
    Product,
    Ticket,
)
from graph.store import Neo4jGraphStore, Page, Relation

PageKey = tuple[str, int, int]


def _page_loader(store: Neo4jGraphStore, relation: Relation) -> DataLoader[PageKey, Page[Any]]:
    async def load_pages(keys: Sequence[PageKey]) -> list[Page[Any]]:
        by_window: dict[tuple[int, int], list[str]] = defaultdict(list)
        for parent_id, skip, limit in keys:
            by_window[(skip, limit)].append(parent_id)
        found: dict[PageKey, Page[Any]] = {}
        for (skip, limit), parent_ids in by_window.items():
            pages = await store.pages(relation, parent_ids, skip, limit)
            for parent_id, page in zip(parent_ids, pages, strict=True):
                found[(parent_id, skip, limit)] = page
        return [found[key] for key in keys]

    return DataLoader(load_fn=load_pages)


def _loader(load: Callable[[Sequence[str]], Awaitable[list[Any]]]) -> DataLoader[str, Any]:
    async def load_batch(keys: Sequence[str]) -> list[Any]:
        return await load(keys)

    return DataLoader(load_fn=load_batch)


class Loaders:
    """The DataLoaders of one request."""

    def __init__(self, store: Neo4jGraphStore) -> None:
        self.customer: DataLoader[str, Customer | None] = _loader(store.customers)
        self.order: DataLoader[str, Order | None] = _loader(store.orders)
        self.product: DataLoader[str, Product | None] = _loader(store.products)
        self.employee: DataLoader[str, Employee | None] = _loader(store.employees)
        self.department: DataLoader[str, Department | None] = _loader(store.departments)
        self.interaction: DataLoader[str, Interaction | None] = _loader(store.interactions)
        self.ticket: DataLoader[str, Ticket | None] = _loader(store.tickets)
        self.order_lines: DataLoader[str, list[OrderLine]] = _loader(store.order_lines)
        self.order_steps: DataLoader[str, list[OrderStepRecord]] = _loader(store.order_steps)
        self.hand_offs: DataLoader[str, list[HandOff]] = _loader(store.hand_offs)
        self.customer_identities: DataLoader[str, list[ExternalId]] = _loader(store.customer_identities)
        self.employee_identities: DataLoader[str, list[ExternalId]] = _loader(store.employee_identities)
        self.pages: dict[Relation, DataLoader[PageKey, Page[Any]]] = {
            relation: _page_loader(store, relation) for relation in Relation
        }
