"""The application factory: the one place that wires settings, Neo4j and the GraphQL schema.

``create_app(settings)`` opens the Neo4j driver in its lifespan (and closes it at shutdown);
tests and embedders may hand in an open ``driver`` instead, which the app then leaves open.
Every response carries an ``X-Request-Id`` (``server/request_id.py``); browsers on the origins
in ``settings.cors_allowed_origins`` may call the API (none by default: same origin only).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from neo4j import AsyncDriver
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from domain.errors import CustomerGraphError
from graph.driver import open_driver
from graph.schema import apply_schema
from graph.store import Neo4jGraphStore
from resolvers.context import Context
from resolvers.schema import build_schema
from server.ftv1 import INCLUDE_TRACE_HEADER
from server.graphql_http import GraphQLEndpoint
from server.request_id import REQUEST_ID_HEADER, RequestIdMiddleware
from server.settings import Settings

# What a browser client may send (and read) across origins: GraphQL over HTTP, the request id,
# Apollo's client-awareness headers and the trace request of a gateway running in a browser tab.
CORS_ALLOWED_HEADERS = [
    "accept",
    "content-type",
    REQUEST_ID_HEADER,
    INCLUDE_TRACE_HEADER,
    "apollographql-client-name",
    "apollographql-client-version",
]


@dataclass
class Services:
    """What the lifespan opened and the routes use."""

    store: Neo4jGraphStore | None = None


def create_app(
    settings: Settings,
    *,
    driver: AsyncDriver | None = None,
    playground: Callable[[], str] | None = None,
    extra_routes: Sequence[BaseRoute] = (),
) -> Starlette:
    services = Services()
    schema = build_schema()
    service_levels = settings.service_levels()

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        own_driver = driver is None
        active = driver or open_driver(
            settings.effective_neo4j_uri(), settings.neo4j_user, settings.neo4j_password.get_secret_value()
        )
        try:
            if own_driver:
                await apply_schema(active, settings.neo4j_database)
            services.store = Neo4jGraphStore(active, settings.neo4j_database)
            yield
        finally:
            services.store = None
            if own_driver:
                await active.close()

    def context_for(_: Request) -> Context:
        if services.store is None:
            raise RuntimeError("the app is not started: run it with its lifespan")
        return Context(store=services.store, max_page_size=settings.max_page_size, service_levels=service_levels)

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        try:
            if services.store is not None and await services.store.ping():
                return JSONResponse({"status": "ready", "graph": "ok"})
            reason = "not started"
        except CustomerGraphError as error:
            reason = error.message
        return JSONResponse({"status": "unavailable", "graph": reason}, status_code=503)

    async def home(_: Request) -> Response:
        return RedirectResponse("/graphql")

    endpoint = GraphQLEndpoint(schema._schema, context_for, playground)
    routes: list[BaseRoute] = [
        Route("/graphql", endpoint.handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/", home, methods=["GET"]),
        *extra_routes,
    ]
    middleware = [Middleware(RequestIdMiddleware)]
    if settings.cors_allowed_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_allowed_origins,
                allow_methods=["GET", "POST"],
                allow_headers=CORS_ALLOWED_HEADERS,
                expose_headers=[REQUEST_ID_HEADER],
                max_age=600,
            )
        )
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    app.router.redirect_slashes = False
    return app
