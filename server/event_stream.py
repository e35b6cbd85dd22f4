"""GraphQL over SSE on ``/graphql/stream`` (the protocol's "distinct connections mode").

``POST`` a GraphQL request (or ``GET`` with ``query``/``variables`` parameters; mutations only
by ``POST``) with ``Accept: text/event-stream`` and ``Authorization``, as over HTTP; the answer
is ``text/event-stream``: ``event: next`` with each result, its ``id:`` the event's number in
the log, then ``event: complete``. Reconnecting with ``Last-Event-ID`` resumes after that event:
what was missed within the log's retention window comes first. A comment line every
``keep_alive_s`` keeps proxies from closing a quiet stream. The token is checked again every
``token_check_s``: once it no longer verifies (it expired), the stream sends an
``UNAUTHENTICATED`` error and completes, as a socket closes with ``4403``. The operation
itself runs as over WebSocket (``server.subscriptions.SubscriptionRunner``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Final

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from domain.errors import CustomerGraphError
from resolvers.context import StreamCursor
from server.auth.middleware import Authenticator, access_of
from server.graphql_http import METHOD_NOT_ALLOWED, RequestError, read_body
from server.subscriptions import Payload, SubscriptionRunner, error_payload

EVENT_STREAM: Final = "text/event-stream"
# The largest Last-Event-ID a stream resumes after: an event number (Neo4j's 64-bit integer).
MAX_EVENT_ID: Final = 2**63 - 1


def _event_id(header: str | None) -> int | None:
    """The event a stream resumes after: ``Last-Event-ID`` when it is an event number (ASCII
    digits within 64 bits); anything else starts the stream from now, as no header does."""
    if header is None or not header.isascii() or not header.isdigit() or len(header) > 19:
        return None
    number = int(header)
    return number if number <= MAX_EVENT_ID else None


class EventStreamEndpoint:
    """GraphQL over SSE, distinct connections mode, on ``/graphql/stream``; see the module docstring."""

    def __init__(
        self, runner: SubscriptionRunner, authenticator: Authenticator, *, max_body_bytes: int,
        keep_alive_s: float = 15.0, token_check_s: float = 5.0,
    ) -> None:  # fmt: skip
        self._runner = runner
        self._authenticator = authenticator
        self._max_body_bytes = max_body_bytes
        self._keep_alive_s = keep_alive_s
        self._token_check_s = token_check_s

    async def handle(self, request: Request) -> Response:
        if EVENT_STREAM not in request.headers.get("accept", ""):
            return JSONResponse({"errors": error_payload(f"accept {EVENT_STREAM}")}, status_code=406)
        try:
            graphql_request = await self._request(request)
        except RequestError as error:  # a body over the limit: 413, as on /graphql
            return JSONResponse(
                {"errors": error_payload(error.message, error.code)}, status_code=error.status, headers=error.headers
            )
        except ValueError as error:
            return JSONResponse({"errors": error_payload(str(error))}, status_code=400)
        stream = StreamCursor(resume_after=_event_id(request.headers.get("last-event-id")))
        results = await self._runner.open(
            request, access_of(request), graphql_request, stream, read_only=request.method == "GET"
        )
        if isinstance(results, list):
            codes = {e.get("extensions", {}).get("code") for e in results}
            if METHOD_NOT_ALLOWED in codes:
                return JSONResponse({"errors": results}, status_code=405, headers={"Allow": "POST"})
            status = 403 if "FORBIDDEN" in codes else 400
            return JSONResponse({"errors": results}, status_code=status)
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        authorization = request.headers.getlist("authorization")
        events = self._events(results, stream, authorization)
        return StreamingResponse(events, media_type=EVENT_STREAM, headers=headers)

    async def _request(self, request: Request) -> object:
        if request.method == "GET":
            params = request.query_params
            variables = orjson.loads(params["variables"]) if params.get("variables") else None
            return {"query": params.get("query"), "variables": variables, "operationName": params.get("operationName")}
        try:
            body = await read_body(request, self._max_body_bytes)
            return orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise ValueError("the body is not JSON") from error

    async def _events(
        self, results: AsyncIterator[Payload], stream: StreamCursor, authorization: list[str]
    ) -> AsyncIterator[bytes]:
        iterator = aiter(results)
        waiting: asyncio.Task[Payload] | None = None
        checked = said = time.monotonic()
        try:
            while True:
                if waiting is None:
                    waiting = asyncio.ensure_future(anext(iterator))
                done, _ = await asyncio.wait({waiting}, timeout=min(self._keep_alive_s, self._token_check_s))
                if time.monotonic() - checked >= self._token_check_s:
                    # A stream lasts no longer than its caller's token, as a socket does (4403).
                    checked = time.monotonic()
                    if not await self._authenticator.still_verifies(authorization):
                        expired = error_payload("the token no longer verifies (it expired)", "UNAUTHENTICATED")
                        yield b"event: next\ndata: " + orjson.dumps({"errors": expired}) + b"\n\n"
                        break
                if not done:
                    if time.monotonic() - said >= self._keep_alive_s:
                        said = time.monotonic()
                        yield b": keep-alive\n\n"
                    continue
                try:
                    payload = waiting.result()
                except StopAsyncIteration:
                    break
                except CustomerGraphError as error:
                    body = orjson.dumps({"errors": error_payload(error.message, error.code)})
                    yield b"event: next\ndata: " + body + b"\n\n"
                    break
                finally:
                    waiting = None
                event_id = f"id: {stream.last_event_id}\n".encode() if stream.last_event_id is not None else b""
                said = time.monotonic()
                yield b"event: next\n" + event_id + b"data: " + orjson.dumps(payload) + b"\n\n"
            yield b"event: complete\ndata:\n\n"
        finally:
            if waiting is not None:
                waiting.cancel()
            close = getattr(iterator, "aclose", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()
