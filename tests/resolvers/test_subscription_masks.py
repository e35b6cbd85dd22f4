"""A masked field of a subscription's event answers as over HTTP: null with its FORBIDDEN_FIELD error.

graphql-core runs each event in a copy of the subscription's executor; the copy once kept the
original's masked ``execute_field``, bound to the original, so the error went to the
subscription's executor (never sent, and kept for as long as the subscription lasted) and the
client saw a bare null.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field

import strawberry
from graphql import ExecutionResult

from domain.access import MaskMode
from server.operations import OperationRunner

EVENTS = 3


@strawberry.type
class Note:
    n: int
    secret: str | None
    shown: str


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def notes(self) -> AsyncGenerator[Note, None]:
        for n in range(EVENTS):
            yield Note(n=n, secret=f"secret {n}", shown=f"shown {n}")


OPERATIONS = OperationRunner.of(strawberry.Schema(query=Query, subscription=Subscription))


@dataclass
class Grants:
    masks: dict[str, dict[str, MaskMode]] = field(default_factory=lambda: {"Note": {"secret": MaskMode.NULL}})


@dataclass
class Access:
    grants: Grants = field(default_factory=Grants)


@dataclass
class MaskedContext:
    """What the executor reads of a request's context: the caller's masks."""

    access: Access = field(default_factory=Access)


async def test_each_event_carries_the_error_of_its_masked_field() -> None:
    prepared = OPERATIONS.prepare("subscription { notes { n secret shown } }")
    assert prepared.document is not None and not prepared.errors, prepared.errors
    stream = await OPERATIONS.subscribe(prepared.document, MaskedContext())
    assert not isinstance(stream, ExecutionResult), stream.errors
    results = [result async for result in stream]

    assert [result.data for result in results] == [
        {"notes": {"n": n, "secret": None, "shown": f"shown {n}"}} for n in range(EVENTS)
    ]
    for result in results:
        assert [(error.path, (error.extensions or {}).get("code")) for error in result.errors or []] == [
            (["notes", "secret"], "FORBIDDEN_FIELD")
        ]
