from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from neo4j import AsyncDriver

from server.app import create_app
from server.settings import Settings

# npm packages never hold our tests, but some ship .py files; keep pytest out of them.
collect_ignore = ["apollo_client"]


@pytest.fixture
async def client(demo_graph: AsyncDriver) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the ASGI app, run with its lifespan, over the demo graph."""
    app = create_app(Settings(), driver=demo_graph)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
