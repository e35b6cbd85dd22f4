"""Per-request DataLoaders: every relationship field of a query level becomes one Cypher call.

A new ``Loaders`` is made for each request, so caches never leak between users. Paged
relationships are keyed by ``(parent id, skip, limit)``; a batch with the same window (the
common case: every customer's first 5 orders) is one statement for all parents, and a
customer's relationships asked at the same level (orders, interactions, tickets) share it. A
page read with the nodes its items lead to (``Relation.*_WITH_*``), a customer read with its
account owner and an employee read with their department prime the loaders of those nodes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

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
from graph.reads import Page, Related, Relation
from resolvers.ports import GraphStore

PageKey = tuple[str, int, int]
K = TypeVar("K")
V = TypeVar("V")
R = TypeVar("R")
CustomerPageKey = tuple[Relation, str, int, int]


def _page_loader(
    store: GraphStore, relation: Relation, prime: Callable[[Related], None]
) -> DataLoader[PageKey, Page[Any]]:
    async def load_pages(keys: Sequence[PageKey]) -> list[Page[Any]]:
        by_window: dict[tuple[int, int], list[str]] = defaultdict(list)
        for parent_id, skip, limit in keys:
            by_window[(skip, limit)].append(parent_id)
        found: dict[PageKey, Page[Any]] = {}
        for (skip, limit), parent_ids in by_window.items():
            pages = await store.pages(relation, parent_ids, skip, limit)
            for parent_id, page in zip(parent_ids, pages, strict=True):
                found[(parent_id, skip, limit)] = page
                if page.related is not None:
                    prime(page.related)
        return [found[key] for key in keys]

    return DataLoader(load_fn=load_pages)


def _customer_page_loader(
    store: GraphStore, prime: Callable[[Related], None]
) -> DataLoader[CustomerPageKey, Page[Any]]:
    """Pages of customers' relationships: every relationship a query level asks for in one statement."""

    async def load_pages(keys: Sequence[CustomerPageKey]) -> list[Page[Any]]:
        by_window: dict[tuple[Relation, int, int], list[str]] = defaultdict(list)
        for relation, parent_id, skip, limit in keys:
            by_window[(relation, skip, limit)].append(parent_id)
        # One statement takes one window per relationship name (orders, interactions, tickets):
        # the usual level asks for one each, so it is one round trip; more make more rounds.
        rounds: list[list[tuple[Relation, int, int]]] = []
        for group in by_window:
            name = _name(group[0])
            for round_ in rounds:
                if all(_name(other[0]) != name for other in round_):
                    round_.append(group)
                    break
            else:
                rounds.append([group])
        found: dict[CustomerPageKey, Page[Any]] = {}
        for round_ in rounds:
            ids = list(dict.fromkeys(parent_id for group in round_ for parent_id in by_window[group]))
            pages = await store.customer_pages({relation: (skip, limit) for relation, skip, limit in round_}, ids)
            for relation, skip, limit in round_:
                for parent_id, page in zip(ids, pages[relation], strict=True):
                    found[(relation, parent_id, skip, limit)] = page
                    if page.related is not None:
                        prime(page.related)
        return [found[key] for key in keys]

    return DataLoader(load_fn=load_pages)


def _name(relation: Relation) -> str:
    page = relation.customer_page
    return relation.name if page is None else page.name


async def load_wrapped(loader: DataLoader[K, V | None], key: K | None, wrap: Callable[[V], R]) -> R | None:
    """The record of ``key`` read through ``loader`` (batched with the level's others), wrapped as
    its GraphQL type by ``wrap`` (its ``from_record``); ``None`` for no key or no record."""
    if key is None:
        return None
    record = await loader.load(key)
    return None if record is None else wrap(record)


def now_or_later(loader: DataLoader[K, V], key: K, then: Callable[[V], R]) -> R | Awaitable[R]:
    """``then(value)`` at once when ``loader`` already holds ``key`` (primed, or loaded earlier in
    the request), else an awaitable of it.

    A resolver returning this stays synchronous for graphql-core on a hit: no coroutine to
    drive and, in a list, no task per item to gather, which is most of what a field costs once
    its data was read ahead.
    """
    future = loader.cache_map.get(key) if loader.cache else None
    if future is not None and future.done() and not future.cancelled() and future.exception() is None:
        return then(future.result())
    return _later(loader.load(key), then)


def peek(loader: DataLoader[K, V], key: K) -> tuple[bool, V | None]:
    """Whether ``loader`` already holds a value for ``key``, and the value."""
    future = loader.cache_map.get(key) if loader.cache else None
    if future is not None and future.done() and not future.cancelled() and future.exception() is None:
        return True, future.result()
    return False, None


async def _later(pending: Awaitable[V], then: Callable[[V], R]) -> R:
    return then(await pending)


def _loader(load: Callable[[Sequence[str]], Awaitable[list[Any]]]) -> DataLoader[str, Any]:
    async def load_batch(keys: Sequence[str]) -> list[Any]:
        return await load(keys)

    return DataLoader(load_fn=load_batch)


class Loaders:
    """The DataLoaders of one request."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self.customer: DataLoader[str, Customer | None] = DataLoader(load_fn=self._load_customers)
        self.order: DataLoader[str, Order | None] = _loader(store.orders)
        self.product: DataLoader[str, Product | None] = _loader(store.products)
        self.employee: DataLoader[str, Employee | None] = DataLoader(load_fn=self._load_employees)
        self.department: DataLoader[str, Department | None] = _loader(store.departments)
        self.interaction: DataLoader[str, Interaction | None] = _loader(store.interactions)
        self.ticket: DataLoader[str, Ticket | None] = _loader(store.tickets)
        self.order_lines: DataLoader[str, list[OrderLine]] = _loader(store.order_lines)
        self.order_steps: DataLoader[str, list[OrderStepRecord]] = _loader(store.order_steps)
        self.hand_offs: DataLoader[str, list[HandOff]] = _loader(store.hand_offs)
        self.customer_identities: DataLoader[str, list[ExternalId]] = _loader(store.customer_identities)
        self.employee_identities: DataLoader[str, list[ExternalId]] = _loader(store.employee_identities)
        # Made on first use: a request pages few of these relationships, and each loader costs.
        self._pages: dict[Relation, DataLoader[PageKey, Page[Any]]] = {}
        self.customer_pages = _customer_page_loader(store, self.prime)

    def page(self, relation: Relation, key: PageKey) -> Awaitable[Page[Any]]:
        """The page ``key`` = (parent id, skip, limit) of ``relation``, batched with its siblings."""
        if relation.customer_page is not None:
            return self.customer_pages.load((relation, *key))
        return self._page_loader(relation).load(key)

    def page_now(self, relation: Relation, key: PageKey, then: Callable[[Page[Any]], R]) -> R | Awaitable[R]:
        """``then(page)`` at once when the page was read ahead, else an awaitable (see ``now_or_later``)."""
        if relation.customer_page is not None:
            return now_or_later(self.customer_pages, (relation, *key), then)
        return now_or_later(self._page_loader(relation), key, then)

    def _page_loader(self, relation: Relation) -> DataLoader[PageKey, Page[Any]]:
        loader = self._pages.get(relation)
        if loader is None:
            loader = self._pages[relation] = _page_loader(self._store, relation, self.prime)
        return loader

    async def customer_with_pages(self, customer_id: str, windows: dict[Relation, tuple[int, int]]) -> Customer | None:
        """A customer with the pages its query will ask for (``{relation: (skip, limit)}``), in one
        statement; the customer, owner and pages loaders are primed with what it read."""
        customer, owners, pages = await self._store.customer_with_pages(customer_id, windows)
        if customer is not None:
            self.customer.prime(customer_id, customer)
            self.prime(owners)
            for relation, page in pages.items():
                skip, limit = windows[relation]
                self.customer_pages.prime((relation, customer_id, skip, limit), page)
                if page.related is not None:
                    self.prime(page.related)
        return customer

    async def _load_customers(self, ids: Sequence[str]) -> list[Customer | None]:
        customers, owners = await self._store.customers_and_owners(ids)
        self.prime(owners)
        return customers

    async def _load_employees(self, ids: Sequence[str]) -> list[Employee | None]:
        employees, departments = await self._store.employees_and_departments(ids)
        self.prime(Related(departments=departments))
        return employees

    def prime(self, related: Related) -> None:
        """Cache what was read along with a lookup or page, so the fields asking for it next need no round trip."""
        for employee in related.employees:
            self.employee.prime(employee.id, employee)
        for department in related.departments:
            self.department.prime(department.id, department)
        for product in related.products:
            self.product.prime(product.id, product)
        for order_id, lines in related.order_lines.items():
            self.order_lines.prime(order_id, lines)
