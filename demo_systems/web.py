"""DEMO systems only, not part of the product: what every demo HTTP server has in common.

Each demo server counts the requests its API receives (per endpoint kind: ``lookup``,
``export``, ``health``, ``write``), so tests can count round trips at the server, not in the
connector. Test controls, answered only on loopback:

- ``POST /__control`` with JSON ``{"latency_ms": 100}`` delays every API answer;
  ``{"fail": "down" | "500" | "malformed" | "wrong_shape"}`` makes every API answer fail
  (503, 500, a truncated JSON body, or valid JSON of the wrong shape), for the next
  ``fail_count`` requests or until ``{"fail": null}``; ``{"reset": true}`` clears faults and
  counters. The answer is the state after the change.
- ``GET /__stats``: the counters and the faults in force.
- ``GET /__health``: readiness, never delayed or failed (the launcher waits on it).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Endpoint = Callable[[Request], Awaitable[Response]]
FAIL_MODES = ("down", "500", "malformed", "wrong_shape")
DEFAULT_PRESET = "tiny"
DEFAULT_SEED = 7


@dataclass(slots=True)
class Faults:
    latency_ms: int = 0
    fail: str | None = None
    # Requests left to fail; None: until cleared.
    fail_count: int | None = None

    def take(self) -> str | None:
        """The failure for this request, if any, counting it against ``fail_count``."""
        if self.fail is None:
            return None
        mode = self.fail
        if self.fail_count is not None:
            self.fail_count -= 1
            if self.fail_count <= 0:
                self.fail, self.fail_count = None, None
        return mode


class DemoServer:
    """The counters, faults and control routes of one demo system; API routes are added to it."""

    def __init__(self, name: str, *, auth: Callable[[Request], bool] | None = None) -> None:
        self.name = name
        self.counts: Counter[str] = Counter()
        self.faults = Faults()
        self._auth = auth

    def api(self, counter: str, handler: Endpoint) -> Endpoint:
        """Wrap an API endpoint: count it, check auth, then apply the faults in force."""

        async def endpoint(request: Request) -> Response:
            self.counts[counter] += 1
            self.counts["requests"] += 1
            if self._auth is not None and not self._auth(request):
                return JSONResponse({"error": "unauthorized"}, status_code=401)
            fault = self.faults.take()
            if self.faults.latency_ms:
                await asyncio.sleep(self.faults.latency_ms / 1000)
            if fault == "down":
                return JSONResponse({"error": f"{self.name} is down"}, status_code=503, headers={"Connection": "close"})
            if fault == "500":
                return JSONResponse({"error": "internal error"}, status_code=500)
            if fault == "malformed":
                return Response(b'{"items": [{"id": "X1", "sta', media_type="application/json")
            if fault == "wrong_shape":
                return JSONResponse({"data": "garbage", "items": 42})
            return await handler(request)

        return endpoint

    def app(self, routes: Sequence[Route]) -> Starlette:
        control = [
            Route("/__control", self._control, methods=["POST"]),
            Route("/__stats", self._stats, methods=["GET"]),
            Route("/__health", self._health, methods=["GET"]),
        ]
        return Starlette(routes=[*control, *routes])

    def state(self) -> dict[str, object]:
        faults = {"latency_ms": self.faults.latency_ms, "fail": self.faults.fail, "fail_count": self.faults.fail_count}
        return {"system": self.name, "counts": dict(self.counts), "faults": faults}

    async def _control(self, request: Request) -> Response:
        if not _on_loopback(request):
            return JSONResponse({"error": "test controls answer on loopback only"}, status_code=403)
        try:
            change = await request.json()
        except ValueError:
            return JSONResponse({"error": "expected a JSON object"}, status_code=400)
        if not isinstance(change, dict):
            return JSONResponse({"error": "expected a JSON object"}, status_code=400)
        if change.get("reset"):
            self.faults = Faults()
            self.counts.clear()
        if "latency_ms" in change:
            self.faults.latency_ms = max(0, int(change["latency_ms"] or 0))
        if "fail" in change:
            mode = change["fail"]
            if mode is not None and mode not in FAIL_MODES:
                return JSONResponse({"error": f"fail must be one of {FAIL_MODES} or null"}, status_code=400)
            self.faults.fail = mode
            count = change.get("fail_count")
            self.faults.fail_count = int(count) if mode is not None and count is not None else None
        return JSONResponse(self.state())

    async def _stats(self, request: Request) -> Response:
        if not _on_loopback(request):
            return JSONResponse({"error": "test controls answer on loopback only"}, status_code=403)
        return JSONResponse(self.state())

    async def _health(self, request: Request) -> Response:
        return JSONResponse({"ok": True, "system": self.name})


def _on_loopback(request: Request) -> bool:
    if request.client is None:
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


def bearer(token: str) -> Callable[[Request], bool]:
    expected = f"Bearer {token}"
    return lambda request: request.headers.get("authorization") == expected


def api_key(key: str) -> Callable[[Request], bool]:
    return lambda request: request.headers.get("x-api-key") == key


def keys_of(request: Request, param: str = "ids") -> list[str]:
    return [key for key in request.query_params.get(param, "").split(",") if key]


def page_bounds(request: Request, total: int, *, default_limit: int = 100, max_limit: int = 1000) -> tuple[int, int]:
    """(start, end) of the page a ``limit``/``cursor`` request asks for; the cursor is an offset."""
    try:
        limit = min(max_limit, max(1, int(request.query_params.get("limit", default_limit))))
        start = max(0, int(request.query_params.get("cursor", 0)))
    except ValueError:
        return 0, 0
    return start, min(total, start + limit)


def next_cursor(end: int, total: int) -> str | None:
    return str(end) if end < total else None


def server_arguments(description: str, argv: Sequence[str] | None, *, default_port: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=default_port)
    parser.add_argument("--preset", default=DEFAULT_PRESET, help="demo company preset (demo_company.company.PRESETS)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--token", help="the credential API requests must carry (default: the demo one)")
    return parser.parse_args(argv)


def serve(app: Starlette, port: int) -> None:
    """Run on loopback until SIGINT/SIGTERM."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run()
