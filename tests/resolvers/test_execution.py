"""PlainFieldExecutor answers exactly as graphql-core's own executor does, only faster.

Each query runs twice over the same small schema and objects: as strawberry builds the
schema, with graphql-core's executor, and as this service runs it (fields resolved directly,
``PlainFieldExecutor``). Data, errors, their paths and the order of keys must be the same, including
the cases our executor hands back to graphql-core (null in a non-null field, a value the
type refuses, a missing attribute).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
import strawberry
from graphql.execution.incremental import IncrementalExecutor

from resolvers.execution import PlainFieldExecutor, resolve_fields_directly
from resolvers.strawberry_internals import graphql_schema
from server.operations import OperationRunner


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Leaf:
    name: str
    colour: Colour
    size: int | None = None


@strawberry.type
class Branch:
    id: strawberry.ID
    label: str
    weight: float | None
    leaves: list[Leaf | None]  # an item that fails is null, the others stay
    tags: list[str] = field(default_factory=list)

    @strawberry.field
    def shout(self) -> str:
        return self.label.upper()

    @strawberry.field
    async def later(self) -> str:
        return f"later {self.id}"

    @strawberry.field
    def where(self, info: strawberry.Info) -> str:
        return f"{info.field_name} of {self.id} at {info.path.as_list()}"

    @strawberry.field
    def broken(self) -> str | None:
        raise ValueError(f"no luck for {self.id}")


@dataclass
class Broken:
    """Holds values that do not fit the schema, as a bug in a resolver might return."""

    name: Any
    colour: Any
    size: Any = None


def _branches() -> list[Any]:
    return [
        Branch(
            id=strawberry.ID("b1"),
            label="oak",
            weight=1.5,
            leaves=[Leaf(name="l1", colour=Colour.RED, size=3)],
            tags=["x"],
        ),
        Branch(id=strawberry.ID("b2"), label="elm", weight=None, leaves=[Leaf(name="l2", colour=Colour.BLUE)]),
        Branch(
            id=strawberry.ID("b3"),
            label="ash",
            weight=2.0,
            leaves=[
                Broken(name=None, colour=Colour.RED),  # null for a non-null field
                Broken(name="ok", colour="purple"),  # a value the enum refuses
                Broken(name="ok", colour=Colour.BLUE, size="not a number"),
            ],
        ),
    ]


@strawberry.type
class Query:
    @strawberry.field
    def branches(self) -> list[Branch]:
        return _branches()

    @strawberry.field
    async def branch(self) -> Branch | None:
        return _branches()[0]


# As strawberry builds it, and with the fields resolved directly, as this service runs it.
PRISTINE = strawberry.Schema(query=Query)
SCHEMA = strawberry.Schema(query=Query)
resolve_fields_directly(SCHEMA)

QUERIES = [
    "{ branches { id label weight tags leaves { name colour size } } }",
    "{ branches { shout second: label first: id leaves { c: colour n: name } later } }",
    "{ branches { id where here: where broken later } }",
    "{ branch { label ...F leaves { ... on Leaf { size name } } } } fragment F on Branch { id label weight }",
    "{ branches { __typename id label @skip(if: true) weight @include(if: true) } }",
    "{ branches { leaves { name } } }",
    "{ branches { leaves { colour } } }",
    "{ branches { leaves { size } } }",
]


async def _run(query: str, executor: type[Any], schema: strawberry.Schema = SCHEMA) -> str:
    # Through the service's execution path, with the executor under test; unmasked errors.
    runner = OperationRunner.of(schema, executor_class=executor)
    prepared = runner.prepare(query)
    assert prepared.document is not None and not prepared.errors, prepared.errors
    result = await runner.execute(prepared.document, None)
    errors = [{"message": e.message, "path": e.path, "locations": e.locations} for e in result.errors or []]
    # json.dumps keeps key order, so a reordered response fails the comparison.
    return json.dumps({"data": result.data, "errors": errors}, default=str)


@pytest.mark.parametrize("query", QUERIES)
async def test_answers_as_graphql_core_does(query: str) -> None:
    ours = await _run(query, PlainFieldExecutor)
    theirs = await _run(query, IncrementalExecutor, PRISTINE)
    assert ours == theirs


async def test_fields_it_reads_directly_are_not_called() -> None:
    calls = 0
    plain = graphql_schema(SCHEMA).type_map["Leaf"].fields["name"]  # type: ignore[union-attr]
    original = plain.resolve

    def counting(source: Any, info: Any) -> Any:
        nonlocal calls
        calls += 1
        return original(source, info)  # type: ignore[misc]

    counting.__plain_attribute__ = "name"  # type: ignore[attr-defined]
    plain.resolve = counting
    try:
        ours = json.loads(await _run("{ branch { leaves { name } } }", PlainFieldExecutor))
        theirs = json.loads(await _run("{ branch { leaves { name } } }", IncrementalExecutor))
    finally:
        plain.resolve = original
    assert ours == theirs == {"data": {"branch": {"leaves": [{"name": "l1"}]}}, "errors": []}
    assert calls == 1  # graphql-core's executor called it; ours read the attribute


async def test_refused_values_are_reported_at_their_path() -> None:
    answer = json.loads(await _run("{ branches { leaves { colour } } }", PlainFieldExecutor))
    assert answer["data"]["branches"][2]["leaves"] == [{"colour": "RED"}, None, {"colour": "BLUE"}]
    assert [error["path"] for error in answer["errors"]] == [["branches", 2, "leaves", 1, "colour"]]
