"""An ASGI app factory for the multi-process launcher's test: it answers with its process id."""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


def app() -> Starlette:
    async def pid(_: Request) -> PlainTextResponse:
        return PlainTextResponse(str(os.getpid()))

    return Starlette(routes=[Route("/pid", pid)])
