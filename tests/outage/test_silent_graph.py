"""A Neo4j that takes connections but never answers (a JVM still starting, stalled, or a peer
behind a broken network) must cost a request a few seconds and a GRAPH_UNAVAILABLE, not hold it
for as long as the driver's defaults would (30 s): clients and proxies give up before that."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from graph.driver import open_driver
from server.app import create_app, started
from tests import auth_tokens
from tests.outage.traffic import HANG_S


@pytest.fixture
def silent_neo4j() -> Iterator[str]:
    """A loopback port whose connections are accepted by the kernel and never answered."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"bolt://127.0.0.1:{listener.getsockname()[1]}"


async def test_a_graph_that_never_answers_is_unavailable_within_seconds(silent_neo4j: str) -> None:
    settings = auth_tokens.settings(neo4j_uri=silent_neo4j, sources_enabled=False)
    driver = open_driver(silent_neo4j, settings.neo4j_user, "")
    app = create_app(settings, driver=driver)
    try:
        async with (
            started(app) as served,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=served),
                base_url="http://testserver",
                timeout=None,
                headers=auth_tokens.bearer(),
            ) as http,
        ):
            began = time.monotonic()
            answer, ready = await asyncio.wait_for(
                asyncio.gather(
                    http.post("/graphql", json={"query": '{ customer(id: "C000001") { id } }'}),
                    http.get("/readyz"),
                ),
                timeout=2 * HANG_S,
            )
            waited = time.monotonic() - began
    finally:
        await driver.close()

    assert answer.status_code == 200
    assert answer.json()["errors"][0]["extensions"]["code"] == "GRAPH_UNAVAILABLE"
    assert ready.status_code == 503
    # The bound of a hang in the outage tests; the driver's defaults wait 30 s.
    assert waited < HANG_S
