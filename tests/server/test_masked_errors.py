"""A resolver's unexpected error looks the same over HTTP as in-process: one masker, one message and code."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import pytest
from neo4j import AsyncDriver

from graph.model import Order
from graph.store import Neo4jGraphStore
from resolvers.errors import MASKED_MESSAGE
from tests.resolvers.helpers import run

QUERY = '{ order(id: "O-1") { id } customers(first: 1) { nodes { id } } }'
SECRET = "password=hunter2 at db-7"


@pytest.fixture
def broken_orders(monkeypatch: pytest.MonkeyPatch) -> None:
    async def orders(self: Neo4jGraphStore, ids: Sequence[str]) -> list[Order | None]:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(Neo4jGraphStore, "orders", orders)


@pytest.mark.usefixtures("broken_orders")
async def test_a_masked_resolver_error_is_the_same_over_http_as_in_process(
    client: httpx.AsyncClient, demo_graph: AsyncDriver
) -> None:
    response = await client.post("/graphql", json={"query": QUERY})
    in_process = await run(demo_graph, QUERY)

    assert response.status_code == 200
    assert SECRET not in response.text
    body = response.json()
    [over_http] = body["errors"]
    assert over_http["message"] == MASKED_MESSAGE
    assert over_http["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert over_http["path"] == ["order"]
    # The rest of the response is served.
    assert body["data"]["order"] is None and len(body["data"]["customers"]["nodes"]) == 1

    [masked] = in_process.errors
    assert masked.formatted == over_http
    assert in_process.data == body["data"]
