"""DEMO system, not part of the product: a helpdesk with an HTTP/JSON API, on loopback.

Run ``python -m demo_systems.helpdesk --port 8701 [--preset tiny --seed 7 --token T]``. Every
API request needs ``Authorization: Bearer <token>`` (default ``demo-helpdesk-token``).

- ``GET /api/tickets?ids=T000001,T000002``: live state of the tickets it knows, as
  ``{"tickets": [...]}`` (one lookup per request, counted as ``lookup``);
- ``GET /api/customers?keys=HD-C000001,HD-C000002``: each known customer's open tickets, the
  oldest open one and the last contact, as ``{"customers": [...]}`` (``lookup``);
- ``GET /api/export/<kind>?limit=N&cursor=C``: every ticket, hand-off, customer or agent,
  a page at a time, as ``{"items": [...], "next_cursor": "..." | null}`` (``export``);
- ``GET /api/health`` (``health``); plus the test controls of ``demo_systems.web``;
- the write endpoints the graph's outbox delivers to, idempotent by key (``write``): see
  ``demo_systems.helpdesk_writes``.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from demo_systems.directory_records import Row, build_helpdesk, customer_summaries
from demo_systems.helpdesk_writes import HelpdeskWrites
from demo_systems.web import DemoServer, bearer, keys_of, next_cursor, page_bounds, serve, server_arguments

DEFAULT_PORT = 8701
DEFAULT_TOKEN = "demo-helpdesk-token"


def create_app(preset: str, seed: int, token: str = DEFAULT_TOKEN) -> Starlette:
    helpdesk = build_helpdesk(preset, seed)
    by_id = {str(ticket["id"]): ticket for ticket in helpdesk.tickets}
    by_customer_key = {str(summary["key"]): summary for summary in customer_summaries(helpdesk)}
    exports: dict[str, list[Row]] = {
        "tickets": helpdesk.tickets,
        "hand-offs": helpdesk.hand_offs,
        "customers": helpdesk.customers,
        "agents": helpdesk.agents,
    }
    server = DemoServer("helpdesk", auth=bearer(token))
    writes = HelpdeskWrites(server, by_id, helpdesk.hand_offs)

    async def tickets(request: Request) -> Response:
        found = [by_id[key] for key in keys_of(request, "ids") if key in by_id]
        return JSONResponse({"tickets": found})

    async def customers(request: Request) -> Response:
        found = [by_customer_key[key] for key in keys_of(request, "keys") if key in by_customer_key]
        return JSONResponse({"customers": found})

    async def export(request: Request) -> Response:
        items = exports.get(request.path_params["kind"])
        if items is None:
            return JSONResponse({"error": f"nothing to export as {request.path_params['kind']}"}, status_code=404)
        start, end = page_bounds(request, len(items))
        return JSONResponse({"items": items[start:end], "next_cursor": next_cursor(end, len(items))})

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "tickets": len(by_id)})

    return server.app(
        [
            Route("/api/tickets", server.api("lookup", tickets), methods=["GET"]),
            Route("/api/customers", server.api("lookup", customers), methods=["GET"]),
            Route("/api/export/{kind}", server.api("export", export), methods=["GET"]),
            Route("/api/health", server.api("health", health), methods=["GET"]),
            *writes.routes(),
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = server_arguments(__doc__.splitlines()[0], argv, default_port=DEFAULT_PORT)
    serve(create_app(args.preset, args.seed, args.token or DEFAULT_TOKEN), args.port)


if __name__ == "__main__":
    main()
