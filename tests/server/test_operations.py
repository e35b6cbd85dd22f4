"""The one execution path in-process: refusals before anything runs, one cache, one masker.

A small strawberry schema whose resolvers note each call, so a test can tell an operation that
was refused before it ran from one that ran; the cost check runs on the service's own schema
(a refusal needs no graph).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator

import pytest
import strawberry
from graphql import DocumentNode, ExecutionResult, GraphQLError

from domain.errors import NotFoundError
from resolvers.cost import CostModel
from resolvers.errors import MASKED_MESSAGE
from resolvers.schema import build_schema
from resolvers.strawberry_internals import graphql_schema
from server.limits import COST_TOO_EXPENSIVE, RequestLimits
from server.operations import OperationRunner

CALLS: list[str] = []


@strawberry.type
class Query:
    @strawberry.field
    def greeting(self, info: strawberry.Info) -> str:
        CALLS.append("greeting")
        return f"hello {info.context['who']}"

    @strawberry.field
    def missing(self) -> str | None:
        CALLS.append("missing")
        raise NotFoundError("no greeting with id 'G-9'", id="G-9")

    @strawberry.field
    def broken(self) -> str | None:
        CALLS.append("broken")
        raise RuntimeError("password=hunter2")


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncGenerator[int, None]:
        for tick in range(2):
            yield tick


SCHEMA = strawberry.Schema(query=Query, subscription=Subscription)


@pytest.fixture(autouse=True)
def no_calls() -> None:
    CALLS.clear()


async def test_an_operation_runs_with_the_context_it_is_given() -> None:
    result = await OperationRunner.of(SCHEMA).run("query Hi { greeting }", {"who": "Ada"}, operation_name="Hi")
    assert result.errors is None
    assert result.data == {"greeting": "hello Ada"}


async def test_an_unexpected_error_is_masked_and_logged_a_public_one_kept(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="customer_graph.errors"):
        result = await OperationRunner.of(SCHEMA).run("{ missing broken }", {"who": "Ada"})
    assert result.data == {"missing": None, "broken": None}
    by_path = {tuple(error.path or ()): error for error in result.errors or []}
    assert by_path[("broken",)].message == MASKED_MESSAGE
    assert by_path[("broken",)].extensions == {"code": "INTERNAL_SERVER_ERROR"}
    assert by_path[("missing",)].extensions == {"code": "NOT_FOUND", "id": "G-9"}
    assert "password=hunter2" not in str([error.formatted for error in result.errors or []])
    # The cause is not lost: the log has it, as over HTTP.
    assert "password=hunter2" in caplog.text


@pytest.mark.parametrize(
    ("query", "operation_name", "expected"),
    [
        ("{ greeting", None, "Syntax Error"),
        ("{ nothing }", None, "Cannot query field 'nothing'"),
        ("query A { greeting } query B { greeting }", "C", "the operation to run is unknown"),
        ("subscription { ticks }", None, "a subscription streams its results"),
    ],
)
async def test_what_cannot_run_is_refused_before_any_resolver(
    query: str, operation_name: str | None, expected: str
) -> None:
    result = await OperationRunner.of(SCHEMA).run(query, {"who": "Ada"}, operation_name=operation_name)
    assert result.data is None
    assert result.errors and expected in result.errors[0].message
    assert CALLS == []


async def test_the_access_policy_refuses_before_any_resolver() -> None:
    seen: list[DocumentNode] = []

    def authorize(document: DocumentNode, variables: dict[str, object] | None) -> list[GraphQLError]:
        seen.append(document)
        return [GraphQLError("your roles may not read Query.greeting", extensions={"code": "FORBIDDEN"})]

    result = await OperationRunner.of(SCHEMA).run("{ greeting }", {"who": "Ada"}, authorize=authorize)
    assert result.data is None
    assert [error.extensions for error in result.errors or []] == [{"code": "FORBIDDEN"}]
    assert len(seen) == 1 and CALLS == []


async def test_a_document_is_parsed_and_validated_once() -> None:
    runner = OperationRunner.of(SCHEMA)
    first, again = runner.prepare("{ greeting }"), runner.prepare("{ greeting }")
    assert first is again and first.document is not None and first.errors == []
    assert (await runner.run("{ greeting }", {"who": "Ada"})).data == {"greeting": "hello Ada"}


async def test_an_operation_over_the_cost_limit_is_refused_with_its_code() -> None:
    schema = build_schema()
    runner = OperationRunner.of(
        schema,
        limits=RequestLimits(max_cost=10),
        cost_model=CostModel.of(graphql_schema(schema), 100),
    )
    result = await runner.run("{ customers(first: 100) { nodes { id orders(first: 50) { nodes { id } } } } }")
    assert result.data is None
    assert [(error.extensions or {}).get("code") for error in result.errors or []] == [COST_TOO_EXPENSIVE]


async def test_a_subscription_streams_through_the_runner() -> None:
    runner = OperationRunner.of(SCHEMA)
    prepared = runner.prepare("subscription { ticks }")
    assert prepared.document is not None
    results = await runner.subscribe(prepared.document, None)
    assert not isinstance(results, ExecutionResult), results
    assert [result.data async for result in results] == [{"ticks": 0}, {"ticks": 1}]
