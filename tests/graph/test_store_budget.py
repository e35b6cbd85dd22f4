"""A store bounded by a request's budget: statements time out in Neo4j and queue for their slots."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, LiteralString

import pytest
from neo4j import AsyncDriver

from domain.budget import RequestBudget
from domain.errors import RequestTimeoutError
from graph.store import Neo4jGraphStore
from tests.bolt_counter import counting_statements

# Minutes of work for Neo4j if nothing stops it.
SLOW: LiteralString = "UNWIND range(1, 2000000000) AS x WITH x WHERE x % 1000003 = 0 RETURN count(x) AS n"
QUICK: LiteralString = "RETURN $n AS n"


async def test_a_statement_past_the_deadline_is_stopped_by_neo4j(driver: AsyncDriver) -> None:
    store = Neo4jGraphStore(driver, "neo4j").within(RequestBudget(timeout_s=0.5, max_statements=8, max_errors=50))

    with pytest.raises(RequestTimeoutError, match="stopped a statement"):
        await store.read(SLOW)


async def test_a_request_out_of_time_sends_no_statement(driver: AsyncDriver) -> None:
    budget = RequestBudget(timeout_s=0.001, max_statements=8, max_errors=50)
    await asyncio.sleep(0.01)
    store = Neo4jGraphStore(driver, "neo4j").within(budget)

    with counting_statements() as statements, pytest.raises(RequestTimeoutError, match="ran out of time"):
        await store.read(QUICK, n=1)

    assert statements == []


class _Watched(Neo4jGraphStore):
    """A store that notes how many of its statements are running at once."""

    running = 0
    most = 0

    async def _run(self, query: LiteralString, parameters: dict[str, Any], budget: Any) -> list[Mapping[str, Any]]:
        _Watched.running += 1
        _Watched.most = max(_Watched.most, _Watched.running)
        try:
            await asyncio.sleep(0.02)  # long enough for the others to pile up
            return await super()._run(query, parameters, budget)
        finally:
            _Watched.running -= 1


async def test_one_request_runs_at_most_its_statement_slots_at_once(driver: AsyncDriver) -> None:
    store = _Watched(driver, "neo4j", RequestBudget(timeout_s=10, max_statements=3, max_errors=50))

    rows = await asyncio.gather(*(store.read(QUICK, n=n) for n in range(20)))

    assert [found[0]["n"] for found in rows] == list(range(20))
    assert _Watched.most == 3
