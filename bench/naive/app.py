"""The naive peer's ASGI app: the naive schema behind the service's own GraphQL-over-HTTP endpoint.

Served through ``server.graphql_http`` (orjson, parse and validation cache), like the service,
so the two differ only in their resolvers: what batching buys, not which HTTP layer is faster.

    NEO4J_URI=bolt://127.0.0.1:7688 uvicorn --factory bench.naive.app:app --port 8001
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench.naive.schema import NaiveContext, build_naive_schema
from graph.driver import open_driver
from server.graphql_http import GraphQLEndpoint
from server.operations import OperationRunner
from server.settings import Settings


def app() -> Starlette:
    settings = Settings()
    contexts: list[NaiveContext] = []

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        driver = open_driver(
            settings.effective_neo4j_uri(), settings.neo4j_user, settings.neo4j_password.get_secret_value()
        )
        contexts.append(NaiveContext(driver, settings.neo4j_database))
        try:
            yield
        finally:
            contexts.clear()
            await driver.close()

    async def readyz(_: Request) -> Response:
        await contexts[0].rows("RETURN 1 AS ok")
        return JSONResponse({"status": "ready"})

    # graphql-core's own executor, as before the service had its own: the peer stays naive.
    operations = OperationRunner.of(build_naive_schema(), executor_class=None)
    endpoint = GraphQLEndpoint(operations, lambda _, __: contexts[0])
    routes = [Route("/graphql", endpoint.handle, methods=["GET", "POST"]), Route("/readyz", readyz, methods=["GET"])]
    served = Starlette(routes=routes, lifespan=lifespan)
    gc.collect()
    gc.freeze()  # as server.main does: no full collections through the start-up objects
    return served
