"""How the entity types read their pages and hand values to graphql-core, written once."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar, cast

from graph.reads import Relation
from resolvers.context import Info
from resolvers.pagination import connection, forward_window, known_total

NESTED_PAGE_SIZE = 10
T = TypeVar("T")


async def load_page(info: Info, relation: Relation, parent_id: str, first: int | None, after: str | None) -> Any:
    """A connection over one parent's related nodes, loaded in a batch with its siblings."""
    window = forward_window(first, after, info.context.max_page_size, NESTED_PAGE_SIZE)
    page = await info.context.loaders.page(relation, (parent_id, window.skip, window.limit + 1))
    return page, window


def nested_connection(
    info: Info, relation: Relation, parent_id: str, first: int | None, after: str | None, build: Any
) -> Any:
    """A connection over one parent's related nodes, batched with its siblings: at once (no
    coroutine for graphql-core to drive) when the page was read ahead with its parent."""
    window = forward_window(first, after, info.context.max_page_size, NESTED_PAGE_SIZE)
    return info.context.loaders.page_now(
        relation, (parent_id, window.skip, window.limit + 1), lambda page: wrap_page(page, window, build)
    )


def wrap_page(page: Any, window: Any, build: Any) -> Any:
    items = page.items[: window.limit]
    return connection(
        [build(item) for item in items],
        window.skip,
        has_next_page=len(page.items) > window.limit,
        count=known_total(page.total),
    )


def at_once(value: T | Awaitable[T]) -> T:
    """A value for a synchronous resolver that may instead be an awaitable, which graphql-core
    awaits: typed as the value, since that is the GraphQL type the field declares."""
    return cast(T, value)
