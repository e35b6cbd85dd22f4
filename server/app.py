"""The application factory: the one place that wires settings, Neo4j and the GraphQL schema.

``create_app(settings)`` opens the Neo4j driver in its lifespan (and closes it at shutdown);
tests and embedders may hand in an open ``driver`` instead, which the app then leaves open.
The live sources the live fields read are built from ``settings.sources_file`` (its ``${VAR}``
references filled from the ``environ`` the composition root passes) and opened and closed by
the lifespan too, unless ``sources`` are handed in (then they are the caller's to close).
What the lifespan opened reaches the routes as Starlette's lifespan state (``Services``, read
with ``services_of(request)``), so nothing in the app changes after it is built.
``/readyz`` is about Neo4j only; ``/healthz/sources`` reports each source without failing.
Every response carries an ``X-Request-Id`` (``server/request_id.py``); browsers on the origins
in ``settings.cors_allowed_origins`` may call the API (none by default: same origin only).
Persisted queries and the safelist follow the settings (``persisted_queries_for``); a manifest
that cannot be used stops ``create_app`` with a ``ManifestError``.

Every request but the health routes and the playground's page and assets is authenticated
(``server/auth/``, wired by ``AccessControl``): its caller and their ``Access`` under
``policy.toml`` go into the resolvers' ``Context``, and an operation selecting what the caller's
roles may not read is refused before it runs. A policy that does not fit the schema stops
``create_app`` with a ``PolicyError``, settings that give no usable way to verify tokens with an
``AuthConfigError``. ``playground`` renders the page from the playground's identities (a token
per role, only with development keys); ``explorer`` renders ``/explore`` from the same.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from neo4j import AsyncDriver
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from domain.access import Access
from domain.budget import RequestBudget
from domain.errors import CustomerGraphError
from graph.constraints import apply_schema
from graph.driver import open_driver
from graph.store import Neo4jGraphStore
from graph.trace.service_levels import ServiceLevels
from resolvers.context import Context, StreamCursor
from resolvers.cost import CostModel
from resolvers.schema import build_schema
from resolvers.shared_reads import ReadsInFlight, SharingStore
from resolvers.strawberry_internals import graphql_schema
from server.auth.access_control import AccessControl
from server.auth.middleware import access_of
from server.delivery import delivering
from server.event_stream import EventStreamEndpoint
from server.events import EventHub, following
from server.ftv1 import INCLUDE_TRACE_HEADER
from server.graphql_http import GraphQLEndpoint
from server.limits import RequestLimits
from server.operations import OperationRunner
from server.persisted_queries import PersistedQueries
from server.request_id import REQUEST_ID_HEADER, RequestIdMiddleware
from server.safelist import Safelist
from server.settings import Settings
from server.sources_config import SourceRegistry
from server.subscriptions import SubscriptionRunner, WebSocketEndpoint
from server.webhooks import HelpdeskWebhook
from sources.port import Source

logger = logging.getLogger("customer_graph")

# What a browser client may send (and read) across origins: GraphQL over HTTP, the request id,
# Apollo's client-awareness headers and the trace request of a gateway running in a browser tab.
CORS_ALLOWED_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    REQUEST_ID_HEADER,
    INCLUDE_TRACE_HEADER,
    "apollographql-client-name",
    "apollographql-client-version",
]


@dataclass(frozen=True, slots=True)
class Services:
    """What the lifespan opened, handed to each request as Starlette's lifespan state."""

    store: Neo4jGraphStore
    sources: Mapping[str, Source] = field(default_factory=dict)
    events: EventHub | None = None
    # Subscriptions' reads in flight, shared by the subscribers told of one event.
    reads: ReadsInFlight = field(default_factory=ReadsInFlight)


def services_of(connection: HTTPConnection) -> Services | None:
    """The services of a started app; ``None`` when it runs without its lifespan."""
    services: Services | None = getattr(connection.state, "services", None)
    return services


def store_of(connection: HTTPConnection) -> Neo4jGraphStore | None:
    services = services_of(connection)
    return services.store if services is not None else None


@asynccontextmanager
async def live_sources(
    settings: Settings, given: Mapping[str, Source] | None, environ: Mapping[str, str]
) -> AsyncIterator[Mapping[str, Source]]:
    """The sources handed in, or the configured ones opened for as long as the block lasts."""
    if given is not None:
        yield given
    elif not settings.sources_enabled:
        yield {}
    else:
        async with SourceRegistry.from_file(settings.sources_file, environ) as registry:
            # Debug: with several workers it would come once per process at every start.
            logger.debug("live sources from %s: %s", settings.sources_file, ", ".join(registry) or "none")
            yield registry


def persisted_queries_for(settings: Settings) -> PersistedQueries:
    """APQ and the safelist as the settings ask; ``ManifestError`` if a manifest is unusable."""
    safelist = None
    if settings.persisted_query_manifests:
        safelist = Safelist.from_files(
            settings.persisted_query_manifests, allow_introspection=settings.safelist_allows_introspection
        )
    return PersistedQueries(
        apq_enabled=settings.apq_enabled,
        apq_cache_bytes=settings.apq_cache_bytes,
        safelist=safelist,
        safelist_required=settings.safelist_required,
        get_cache_control=settings.get_cache_control,
    )


@dataclass(frozen=True, slots=True)
class _Wiring:
    """What ``create_app`` was given and built once: the lifespan, each request's ``Context``
    and the playground's page are made from it."""

    settings: Settings
    access: AccessControl
    service_levels: ServiceLevels
    driver: AsyncDriver | None
    sources: Mapping[str, Source] | None
    environ: Mapping[str, str]
    playground: Callable[[Sequence[Mapping[str, str]]], str] | None
    explorer: Callable[[Sequence[Mapping[str, str]]], str] | None

    @asynccontextmanager
    async def lifespan(self, _: Starlette) -> AsyncIterator[dict[str, Services]]:
        settings = self.settings
        own_driver = self.driver is None
        active = self.driver or open_driver(
            settings.effective_neo4j_uri(), settings.neo4j_user, settings.neo4j_password.get_secret_value()
        )
        try:
            if own_driver:
                await apply_schema(active, settings.neo4j_database)
            await self.access.start()
            async with (
                live_sources(settings, self.sources, self.environ) as opened,
                delivering(settings, active),
                following(settings, active, self.service_levels) as hub,
            ):
                # Subscribers share a read only among those reading for the same event (the
                # hub's count of events dispatched): a read begun before an event's commit
                # must not answer for it.
                reads = ReadsInFlight(generation=(lambda: hub.dispatched) if hub is not None else None)
                store = Neo4jGraphStore(active, settings.neo4j_database)
                yield {"services": Services(store, opened, hub, reads)}
        finally:
            await self.access.close()
            if own_driver:
                await active.close()

    def context_for(self, request: Request, budget: RequestBudget) -> Context:
        services = services_of(request)
        if services is None:
            raise RuntimeError("the app is not started: run it with its lifespan")
        return Context(
            store=services.store.within(budget),
            access=access_of(request),
            max_page_size=self.settings.max_page_size,
            service_levels=self.service_levels,
            sources=services.sources,
            budget=budget,
        )

    def subscription_context(
        self, connection: HTTPConnection, access: Access, stream: StreamCursor | None, budget: RequestBudget | None
    ) -> Context:
        """The context of an operation sent over WebSocket or SSE: a query or mutation runs within
        its ``budget`` as over HTTP; a subscription has none (it lasts as long as its client)."""
        services = services_of(connection)
        if services is None:
            raise RuntimeError("the app is not started: run it with its lifespan")
        return Context(
            store=SharingStore(services.store, services.reads) if budget is None else services.store.within(budget),
            access=access,
            max_page_size=self.settings.max_page_size,
            service_levels=self.service_levels,
            sources=services.sources,
            budget=budget,
            events=services.events,
            stream=stream,
        )

    async def page(self, request: Request) -> str:
        assert self.playground is not None
        services = services_of(request)
        return self.playground(await self.access.playground_identities(services.store if services else None))

    async def explore(self, request: Request) -> Response:
        # The explorer's page (server/explorer.py), with the playground's tokens.
        if self.explorer is None:
            return PlainTextResponse("Not Found", status_code=404)
        services = services_of(request)
        # With development keys the page carries tokens: no cache keeps a copy.
        body = self.explorer(await self.access.playground_identities(services.store if services else None))
        return HTMLResponse(body, headers={"Cache-Control": "no-store"})


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    services = services_of(request)
    try:
        if services is not None and await services.store.ping():
            # The events' source is reported, not required: with the broker down the hub follows the log.
            events = {} if services.events is None else {"events": services.events.source_status}
            return JSONResponse({"status": "ready", "graph": "ok", **events})
        reason = "not started"
    except CustomerGraphError as error:
        reason = error.message
    return JSONResponse({"status": "unavailable", "graph": reason}, status_code=503)


async def sources_health(request: Request) -> Response:
    # A source that is down nulls some fields; it does not make the service unready: always 200.
    services = services_of(request)
    sources = services.sources if services is not None else {}
    checks = await asyncio.gather(*(source.health() for source in sources.values()))
    report = [
        {
            "name": check.name,
            "ok": check.ok,
            "circuit": check.circuit.value,
            "latency_ms": round(check.latency_ms, 1),
            "detail": check.detail,
        }
        for check in checks
    ]
    status = "ok" if all(check.ok for check in checks) else "degraded"
    return JSONResponse({"status": status, "sources": report})


async def home(_: Request) -> Response:
    return RedirectResponse("/graphql")


@asynccontextmanager
async def started(app: Starlette) -> AsyncIterator[ASGIApp]:
    """The app with its lifespan run, as an ASGI app that hands each request the lifespan's state.

    An ASGI server (uvicorn) does this itself; tests, benches and embedders that call the app
    in-process (``httpx.ASGITransport``) run it through this instead.
    """
    async with app.router.lifespan_context(app) as state:

        async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] in ("http", "websocket"):
                scope = {**scope, "state": dict(state or {})}
            await app(scope, receive, send)

        yield with_state


def create_app(
    settings: Settings,
    *,
    driver: AsyncDriver | None = None,
    sources: Mapping[str, Source] | None = None,
    environ: Mapping[str, str] | None = None,
    playground: Callable[[Sequence[Mapping[str, str]]], str] | None = None,
    explorer: Callable[[Sequence[Mapping[str, str]]], str] | None = None,
    extra_routes: Sequence[BaseRoute] = (),
) -> Starlette:
    schema = build_schema()
    persisted = persisted_queries_for(settings)
    wiring = _Wiring(
        settings=settings,
        access=AccessControl(
            settings, graphql_schema(schema), playground=playground is not None or explorer is not None
        ),
        service_levels=settings.service_levels(),
        driver=driver,
        sources=sources,
        environ=environ or {},
        playground=playground,
        explorer=explorer,
    )
    # The one execution path: HTTP, WebSocket and SSE share its documents and cost estimates.
    operations = OperationRunner.of(
        schema,
        limits=RequestLimits.of(settings),
        cost_model=CostModel.of(graphql_schema(schema), settings.max_page_size),
    )
    endpoint = GraphQLEndpoint(
        operations,
        wiring.context_for,
        wiring.page if playground is not None else None,
        persisted=persisted,
        authorize=wiring.access.authorize,
    )
    runner = SubscriptionRunner(operations, wiring.access, wiring.subscription_context, persisted)
    websocket = WebSocketEndpoint(
        runner,
        wiring.access,
        max_per_connection=settings.subscriptions_max_per_connection,
        max_message_bytes=settings.max_body_bytes,
    )
    event_stream = EventStreamEndpoint(runner, wiring.access.authenticator, max_body_bytes=settings.max_body_bytes)
    secret = settings.helpdesk_webhook_secret
    webhook = HelpdeskWebhook(secret.get_secret_value() if secret else None, store_of)
    routes: list[BaseRoute] = [
        Route("/graphql", endpoint.handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        WebSocketRoute("/graphql", websocket.handle),
        Route("/graphql/stream", event_stream.handle, methods=["GET", "POST"]),
        Route("/webhooks/helpdesk", webhook.handle, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/healthz/sources", sources_health, methods=["GET"]),
        Route("/", home, methods=["GET"]),
        Route("/explore", wiring.explore, methods=["GET"]),
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
                expose_headers=[REQUEST_ID_HEADER, "www-authenticate"],
                max_age=600,
            )
        )
    middleware.append(wiring.access.middleware())
    app = Starlette(routes=routes, lifespan=wiring.lifespan, middleware=middleware)
    app.router.redirect_slashes = False
    return app
