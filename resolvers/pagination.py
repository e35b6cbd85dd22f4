"""Relay cursor connections: opaque cursors, page windows, and the generic GraphQL types.

A cursor encodes a position in a stable ordering (every list sorts on its key and then on
``id``), so ``after``/``before`` are positions and a page is a window ``[skip, skip+limit)``.
Page sizes are capped; asking for more is a ``BAD_USER_INPUT`` error, not a silent cut.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import strawberry

from domain.errors import BadUserInputError

T = TypeVar("T")

CURSOR_PREFIX = "cursor:"
DEFAULT_PAGE_SIZE = 20
# More items than any list of the graph holds; beyond, a cursor is forged.
MAX_POSITION = 2**31 - 1
_MAX_CURSOR_LENGTH = 64


@functools.lru_cache(maxsize=4096)
def encode_cursor(position: int) -> str:
    # Every edge of every page gets one: the positions of first pages repeat across requests.
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{position}".encode()).decode()


def decode_cursor(cursor: str, argument: str) -> int:
    """The position a cursor names; ``BadUserInputError`` for anything this API did not give out.

    Positions stop at ``MAX_POSITION``: a forged cursor near the 64-bit limit would otherwise
    reach Neo4j as a ``SKIP`` that overflows once the page's limit is added to it.
    """
    if len(cursor) <= _MAX_CURSOR_LENGTH:
        try:
            text = base64.urlsafe_b64decode(cursor.encode()).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            text = ""
        digits = text.removeprefix(CURSOR_PREFIX) if text.startswith(CURSOR_PREFIX) else ""
        # ASCII digits only: int() would also take "+5", " 5" or other scripts' digits.
        if digits.isascii() and digits.isdigit() and int(digits) <= MAX_POSITION:
            return int(digits)
    raise BadUserInputError(f"'{argument}' is not a cursor this API gave out", argument=argument)


@dataclass(frozen=True, slots=True)
class Window:
    """Rows ``[skip, skip + limit)`` of an ordering; ``end`` bounds it when ``before`` was given."""

    skip: int
    limit: int
    end: int | None = None


def _check_size(value: int | None, argument: str, cap: int) -> None:
    if value is not None and not 0 <= value <= cap:
        raise BadUserInputError(f"'{argument}' must be between 0 and {cap}", argument=argument, maximum=cap)


def forward_window(first: int | None, after: str | None, cap: int, default: int = DEFAULT_PAGE_SIZE) -> Window:
    """The window for ``first``/``after`` paging."""
    _check_size(first, "first", cap)
    start = decode_cursor(after, "after") + 1 if after is not None else 0
    return Window(skip=start, limit=min(default, cap) if first is None else first)


def window(
    first: int | None, after: str | None, last: int | None, before: str | None, total: int | None, cap: int
) -> Window:
    """The window for full Relay paging; ``last`` needs ``total`` unless ``before`` is given."""
    if first is not None and last is not None:
        raise BadUserInputError("give 'first' or 'last', not both", argument="last")
    _check_size(last, "last", cap)
    start = decode_cursor(after, "after") + 1 if after is not None else 0
    end = decode_cursor(before, "before") if before is not None else None
    if last is None:
        forward = forward_window(first, after, cap)
        limit = forward.limit if end is None else max(0, min(forward.limit, end - start))
        return Window(skip=start, limit=limit, end=end)
    if end is None:
        if total is None:
            raise ValueError("paging with 'last' and no 'before' needs the total")
        end = total
    skip = max(start, end - last)
    return Window(skip=skip, limit=max(0, end - skip), end=end)


@strawberry.type(description="Where a page sits in the whole list (Relay).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of a list, with cursors to move on and the size of the whole list.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="The nodes of this page, without their cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="How many items the whole list has, across all pages.")
    async def total_count(self) -> int:
        return await self._count()


def connection(nodes: list[T], skip: int, *, has_next_page: bool, count: Callable[[], Awaitable[int]]) -> Connection[T]:
    """Build a connection from the nodes at positions ``skip, skip + 1, ...`` of the ordering."""
    edges = [Edge(cursor=encode_cursor(skip + index), node=node) for index, node in enumerate(nodes)]
    info = PageInfo(
        has_next_page=has_next_page,
        has_previous_page=skip > 0,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return Connection(edges=edges, page_info=info, _count=count)


def known_total(total: int) -> Callable[[], Awaitable[int]]:
    async def count() -> int:
        return total

    return count
