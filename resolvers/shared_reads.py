"""Reads in flight, shared: the subscribers told of one event read its entities once.

A subscription reads each event's entities afresh (``Context.renew_reads``): the ticket just
handed off must show its new holder, and a subscription that kept what it loaded would hold
more with every event for as long as its client stays. An event goes to every subscriber who
asked for it at the same moment, so without sharing each of them would send the same
statement: a hundred department subscribers, a hundred reads of one ticket.

``SharingStore`` wraps the process's store for subscriptions: a read that is already in
flight for the same rows (the same row rules and caller, the same method and arguments) is
awaited instead of sent again. Nothing is kept once a read finishes, so nothing grows: the
table holds only the reads in flight. A read runs in a task of its own and each caller awaits
it through ``asyncio.shield``: a subscriber that leaves mid-read (its client closed) stops
waiting without cancelling the read the others wait for.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from domain.budget import RequestBudget
from graph.row_rules import RowScope
from resolvers.ports import GraphStore


class ReadsInFlight:
    """The reads running now, by what they read; each dropped as it finishes.

    ``generation`` (the event hub's count of events dispatched) is part of every key: a read is
    shared only by readers of the same event. A read begun for an earlier event may have begun
    before this one's commit, and would show what the event changed as it was before.
    """

    def __init__(self, generation: Callable[[], Hashable] | None = None) -> None:
        self._generation = generation
        self._running: dict[Hashable, asyncio.Task[Any]] = {}
        self.shared = 0  # reads answered by one already in flight, since the start

    def __len__(self) -> int:
        return len(self._running)

    def share(self, key: Hashable, read: Callable[[], Awaitable[Any]]) -> Awaitable[Any]:
        """The answer of the read ``key`` in flight, or of ``read()`` started now."""
        if self._generation is not None:
            key = (self._generation(), key)
        task = self._running.get(key)
        if task is None:
            task = asyncio.ensure_future(read())
            self._running[key] = task
            task.add_done_callback(self._finished(key))
        else:
            self.shared += 1
        return asyncio.shield(task)

    def _finished(self, key: Hashable) -> Callable[[asyncio.Task[Any]], None]:
        def finished(task: asyncio.Task[Any]) -> None:
            if self._running.get(key) is task:
                del self._running[key]
            if not task.cancelled():
                task.exception()  # retrieved: every caller may have left before it failed

        return finished


class SharingStore:
    """A ``GraphStore`` whose reads share the identical ones in flight (see the module docstring).

    Narrowed with ``seeing``, it keeps sharing, keyed by the rules and the caller; narrowed with
    ``within`` (a request with a budget) it gives the plain store: a request reads alone.
    """

    def __init__(self, store: GraphStore, flights: ReadsInFlight, scope: Hashable = None) -> None:
        self._store = store
        self._flights = flights
        self._scope = scope

    def seeing(self, scope: RowScope, caller_id: str | None) -> GraphStore:
        return SharingStore(self._store.seeing(scope, caller_id), self._flights, (scope, caller_id))

    def within(self, budget: RequestBudget) -> GraphStore:
        return self._store.within(budget)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._store, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute

        def shared(*args: Any, **kwargs: Any) -> Awaitable[Any]:
            key = (self._scope, name, _frozen(args), _frozen(kwargs))
            try:
                hash(key)
            except TypeError:
                return attribute(*args, **kwargs)  # type: ignore[no-any-return]
            return self._flights.share(key, lambda: attribute(*args, **kwargs))

        return shared


def _frozen(value: Any) -> Any:
    """``value`` with its lists, tuples and dicts made hashable, to key a read by its arguments."""
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, dict):
        return tuple((key, _frozen(item)) for key, item in value.items())
    return value
