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

import strawberry
from graphql import ExecutionResult
from graphql.execution.collect_fields import CollectedFields

from server.operations import OperationRunner

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


# Through the service's one execution path, with its executor (PlainFieldExecutor).
OPERATIONS = OperationRunner.of(strawberry.Schema(query=Query, subscription=Subscription))


def _collected() -> int:
    gc.collect()
    return sum(1 for thing in gc.get_objects() if isinstance(thing, CollectedFields))


async def test_a_long_subscription_does_not_keep_what_each_event_collected() -> None:
    prepared = OPERATIONS.prepare("subscription { ticks { n inner { m } } }")
    assert prepared.document is not None and not prepared.errors, prepared.errors
    stream = await OPERATIONS.subscribe(prepared.document, None)
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
