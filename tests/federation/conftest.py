"""Fixtures for the federation tests: the Node harness, our API under uvicorn, a second
subgraph and an Apollo gateway over both, each started once per session on loopback.

The servers only read the graph; each test asks for ``demo_graph`` so the demo company is
loaded when it runs, whatever other suites did to the database before.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from neo4j import AsyncDriver

from server.app import create_app, started
from tests.auth_tokens import bearer, settings, token
from tests.federation.processes import Running, api_environment, api_server, install_harness, node_server

# npm packages never hold our tests, but some ship .py files; keep pytest out of them.
collect_ignore = ["harness"]

# The ids the loyalty subgraph's topLoyaltyMembers returns, in its order.
TOP_LOYALTY_MEMBERS = ["C000003", "C000001", "C000002"]


@pytest.fixture(scope="session")
def harness() -> Path:
    return install_harness()


@pytest.fixture(scope="session")
def api(neo4j_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """Our API, run as in production: ``uvicorn --factory server.main:app``."""
    folder = tmp_path_factory.mktemp("api")
    # Run outside the checkout, so a developer's .env cannot change what is tested.
    env = api_environment(neo4j_uri, log_level="info")
    with api_server(env, folder / "uvicorn.log", cwd=folder) as running:
        yield running


@pytest.fixture(scope="session")
def loyalty(harness: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    log = tmp_path_factory.mktemp("loyalty") / "loyalty.log"
    with node_server("loyalty.mjs", [",".join(TOP_LOYALTY_MEMBERS)], log) as running:
        yield running


@pytest.fixture(scope="session")
def gateway(api: Running, loyalty: Running, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    log = tmp_path_factory.mktemp("gateway") / "gateway.log"
    # Composing asks each subgraph for its SDL with the gateway's own token, which has no role.
    composition = {"COMPOSITION_AUTHORIZATION": f"Bearer {token('gateway-composition', subject='gateway')}"}
    with node_server("gateway.mjs", [f"customers={api.url}", f"loyalty={loyalty.url}"], log, composition) as running:
        yield running


@pytest.fixture
async def client(demo_graph: AsyncDriver) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the ASGI app, run with its lifespan, over the demo graph, with an admin token."""
    app = create_app(settings(), driver=demo_graph)
    async with started(app) as served:
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=bearer()) as http:
            yield http
