from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from neo4j import AsyncDriver

from server.app import create_app, started
from tests.auth_tokens import bearer, settings

# npm packages never hold our tests, but some ship .py files; keep pytest out of them.
collect_ignore = ["apollo_client"]


@pytest.fixture
async def client(demo_graph: AsyncDriver) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the ASGI app, run with its lifespan, over the demo graph, with an admin token."""
    app = create_app(settings(), driver=demo_graph)
    async with started(app) as served:
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=bearer()) as http:
            yield http
