"""``X-Request-Id``: one id per request, taken from the caller or made here, echoed and logged.

A gateway or load balancer that already named the request sends its id in ``X-Request-Id``;
we keep it when it looks like an id (short, no spaces or control characters), so one id
follows a request through every service's logs, and make a new one otherwise. The id goes
back in the response's ``X-Request-Id`` and, through ``RequestIdLogFilter``, onto every log
record written while the request runs, as ``%(request_id)s``. The line logged for each request
ends with who made it, as authentication left it in the scope (``IDENTITY_SCOPE_KEY``).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
# Who made the request (``subject=... roles=...``), set by the authentication middleware.
IDENTITY_SCOPE_KEY = "customer_graph.identity"
# The pid tells the worker processes of `serve` apart.
LOG_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s [%(request_id)s] %(message)s"

# Visible ASCII without quotes, commas or semicolons, so an id can sit unquoted in a header or a log line.
_ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}")

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)
logger = logging.getLogger("customer_graph.requests")


def accepted_request_id(given: str | None) -> str:
    """The caller's id if it is a plain, short token; a new random one otherwise."""
    if given is not None and _ACCEPTED_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Gives each HTTP request its id, echoes it, and logs one line when the response starts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accepted_request_id(Headers(scope=scope).get(REQUEST_ID_HEADER))
        token = current_request_id.set(request_id)
        started = time.perf_counter()

        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
                elapsed_ms = (time.perf_counter() - started) * 1000
                who = scope.get(IDENTITY_SCOPE_KEY)
                line = "%s %s %d %.1fms" + (" %s" if who else "")
                arguments = (scope["method"], scope["path"], message["status"], elapsed_ms, *((who,) if who else ()))
                logger.info(line, *arguments)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if response_started:  # too late for another answer: the server closes the connection
                raise
            # Answer here rather than in Starlette's outer handler, so the 500 carries the id
            # that the log line above names, in GraphQL's error shape for GraphQL clients.
            await _internal_error(request_id)(scope, receive, send_with_id)
        finally:
            current_request_id.reset(token)


def _internal_error(request_id: str) -> JSONResponse:
    extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    return JSONResponse({"errors": [{"message": "Internal server error", "extensions": extensions}]}, status_code=500)


class RequestIdLogFilter(logging.Filter):
    """Adds ``request_id`` to every record (``-`` outside a request), for ``LOG_FORMAT``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get() or "-"
        return True


def configure_logging(level: str) -> None:
    """Log to stderr with the request id on each line; idempotent.

    Our own loggers (``customer_graph.*``) log at ``level``; libraries only their warnings,
    so the driver's notices (such as "index already exists" at every start) stay out.
    """
    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT)
    logging.getLogger("customer_graph").setLevel(level.upper())
    for handler in logging.getLogger().handlers:
        if not any(isinstance(existing, RequestIdLogFilter) for existing in handler.filters):
            handler.addFilter(RequestIdLogFilter())
