"""A subscription keeps nothing of the events it delivered: its memory stays flat however long it runs.

graphql-core runs each event of a subscription in a copy of the subscription's executor; the
copies once shared a memo of collected subfields keyed by lists every event makes anew, so a
subscription grew by about 2 KB per event for as long as its client stayed. Here a
subscription delivers hundreds of events through ``PlainFieldExecutor`` while the objects
graphql-core collects per event are counted: they must not pile up.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncGenerator
from inspect import isawaitable

import strawberry
from graphql import ExecutionResult, parse, subscribe
from graphql.execution.collect_fields import CollectedFields

from resolvers.execution import PlainFieldExecutor
from resolvers.strawberry_internals import graphql_schema

EVENTS = 400


@strawberry.type
class Inner:
    m: int


@strawberry.type
class Tick:
    n: int

    @strawberry.field
    def inner(self) -> Inner:
        return Inner(m=self.n * 2)


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncGenerator[Tick, None]:
        for n in range(EVENTS):
            yield Tick(n=n)


SCHEMA = graphql_schema(strawberry.Schema(query=Query, subscription=Subscription))


def _collected() -> int:
    gc.collect()
    return sum(1 for thing in gc.get_objects() if isinstance(thing, CollectedFields))


async def test_a_long_subscription_does_not_keep_what_each_event_collected() -> None:
    outcome = subscribe(SCHEMA, parse("subscription { ticks { n inner { m } } }"), executor_class=PlainFieldExecutor)
    stream = await outcome if isawaitable(outcome) else outcome
    assert not isinstance(stream, ExecutionResult), stream.errors
    seen: list[int] = []
    counts: list[int] = []
    async for result in stream:
        assert result.errors is None
        seen.append(result.data["ticks"]["inner"]["m"])
        if len(seen) in (50, EVENTS):
            counts.append(_collected())  # the stream is still open: its executor is alive

    assert seen == [n * 2 for n in range(EVENTS)]
    assert counts[1] - counts[0] < 20, f"collected fields grew from {counts[0]} to {counts[1]} over 350 events"
