"""DEMO system, not part of the product: an HR directory with an HTTP/JSON API, on loopback.

Run ``python -m demo_systems.hr --port 8702 [--preset tiny --seed 7 --token K]``. Every API
request needs the header ``X-Api-Key: <key>`` (default ``demo-hr-key``).

- ``POST /api/people/lookup`` with ``{"keys": ["HR00001", ...]}``: availability,
  out-of-office and role of the people it knows by HR key, as ``{"people": [...]}`` (a read
  sent as POST, as many directory APIs do; counted as ``lookup``);
- ``GET /api/people?limit=N&cursor=C``: everyone, a page at a time, as
  ``{"people": [...], "next": "..." | null}`` (``export``);
- ``GET /api/health`` (``health``); plus the test controls of ``demo_systems.web``.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from demo_systems.directory_records import build_hr
from demo_systems.web import DemoServer, api_key, next_cursor, page_bounds, serve, server_arguments

DEFAULT_PORT = 8702
DEFAULT_KEY = "demo-hr-key"


def create_app(preset: str, seed: int, key: str = DEFAULT_KEY) -> Starlette:
    people = build_hr(preset, seed)
    by_key = {str(person["hr_key"]): person for person in people}
    server = DemoServer("hr", auth=api_key(key))

    async def lookup(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "expected a JSON body"}, status_code=400)
        keys = body.get("keys") if isinstance(body, dict) else None
        if not isinstance(keys, list):
            return JSONResponse({"error": "expected {'keys': [...]}"}, status_code=400)
        return JSONResponse({"people": [by_key[key] for key in keys if isinstance(key, str) and key in by_key]})

    async def export(request: Request) -> Response:
        start, end = page_bounds(request, len(people))
        return JSONResponse({"people": people[start:end], "next": next_cursor(end, len(people))})

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "people": len(people)})

    return server.app(
        [
            Route("/api/people/lookup", server.api("lookup", lookup), methods=["POST"]),
            Route("/api/people", server.api("export", export), methods=["GET"]),
            Route("/api/health", server.api("health", health), methods=["GET"]),
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = server_arguments(__doc__.splitlines()[0], argv, default_port=DEFAULT_PORT)
    serve(create_app(args.preset, args.seed, args.token or DEFAULT_KEY), args.port)


if __name__ == "__main__":
    main()
