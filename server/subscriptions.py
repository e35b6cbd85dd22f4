"""Subscriptions over WebSocket (``graphql-transport-ws``) and Server-Sent Events (GraphQL over SSE).

Both transports run an operation the same way (``SubscriptionRunner.open``): the document is
parsed, measured and validated as over HTTP (the same limits and cache), checked against the
caller's policy (``FORBIDDEN`` before anything runs) and its estimated cost, then subscribed to
with a context of its own: the caller's row rules, masks and the process's event hub. A query
or mutation sent this way runs once and completes, as the protocols allow.

**WebSocket** ``/graphql``, subprotocol ``graphql-transport-ws`` (what the ``graphql-ws``
client speaks): the token comes in ``connection_init``'s payload (``{"Authorization": "Bearer
..."}``) or the upgrade request's ``Authorization`` header; a bad one closes with ``4403``,
no ``connection_init`` within ``init_timeout_s`` closes with ``4408``. Each ``subscribe``
runs in its own task; at most ``max_per_connection`` at once (an ``error`` message beyond),
and the hub caps the process (``MAX_SUBSCRIPTIONS_LIMIT``).

**SSE** ``/graphql/stream`` (the GraphQL over SSE protocol's "distinct connections mode"):
``POST`` a GraphQL request (or ``GET`` with ``query``/``variables`` parameters) with ``Accept:
text/event-stream`` and ``Authorization``, as over HTTP; the answer is ``text/event-stream``:
``event: next`` with each result, its ``id:`` the event's number in the log, then ``event:
complete``. Reconnecting with ``Last-Event-ID`` resumes after that event: what was missed within
the log's retention window comes first. A comment line every ``keep_alive_s`` keeps proxies
from closing a quiet stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from inspect import isawaitable
from typing import Any, Final

import orjson
from graphql import ExecutionResult, GraphQLSchema, OperationType, execute, get_operation_ast, subscribe
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from domain.access import Access
from domain.budget import RequestBudget
from domain.errors import CustomerGraphError
from resolvers.context import Context, StreamCursor
from resolvers.cost import CostModel
from resolvers.errors import format_errors
from resolvers.execution import PlainFieldExecutor
from server.auth.access_control import AccessControl
from server.auth.middleware import Unauthenticated, access_of
from server.graphql_http import DocumentCache, read_body
from server.limits import CostGuard, RequestLimits
from server.persisted_queries import PersistedQueries, PersistedQueryError

logger = logging.getLogger("customer_graph.subscriptions")

PROTOCOL: Final = "graphql-transport-ws"
METHOD_NOT_ALLOWED: Final = "METHOD_NOT_ALLOWED"
# The largest Last-Event-ID a stream resumes after: an event number (Neo4j's 64-bit integer).
MAX_EVENT_ID: Final = 2**63 - 1
EVENT_STREAM: Final = "text/event-stream"

Payload = dict[str, Any]


def _error_payload(message: str, code: str = "BAD_REQUEST") -> list[Payload]:
    return [{"message": message, "extensions": {"code": code}}]


def _result(result: ExecutionResult) -> Payload:
    payload: Payload = {"data": result.data}
    if result.errors:
        payload["errors"] = format_errors(result.errors)
    return payload


class SubscriptionRunner:
    """One operation of either transport, from its request to its stream of results."""

    def __init__(
        self,
        schema: GraphQLSchema,
        access: AccessControl,
        context_for: Callable[[HTTPConnection, Access, StreamCursor | None, RequestBudget | None], Context],
        limits: RequestLimits,
        cost_model: CostModel | None,
        persisted: PersistedQueries | None = None,
    ) -> None:
        self._schema = schema
        self._persisted = persisted
        self._access = access
        self._context_for = context_for
        self._limits = limits
        self._cache = DocumentCache(schema, limits=limits.document)
        self._costs = CostGuard(cost_model, limits) if cost_model and limits.checks_cost else None

    async def open(
        self,
        connection: HTTPConnection,
        access: Access,
        request: object,
        stream: StreamCursor | None = None,
        *,
        read_only: bool = False,
    ) -> AsyncIterator[Payload] | list[Payload]:
        """The results of the operation ``request`` asks for, or the errors that refuse it.

        A query or mutation runs once within a request budget, as over HTTP (its deadline and
        its share of statements); ``read_only`` (a GET) refuses mutations."""
        if not isinstance(request, dict) or not isinstance(request.get("query"), str):
            return _error_payload("send a GraphQL request: an object with a 'query' string")
        variables = request.get("variables")
        operation_name = request.get("operationName")
        if variables is not None and not isinstance(variables, dict):
            return _error_payload("'variables' must be an object")
        if operation_name is not None and not isinstance(operation_name, str):
            return _error_payload("'operationName' must be a string")
        if self._persisted is not None:
            try:
                # With the safelist required, only listed operations may subscribe, as over HTTP.
                self._persisted.admit(request["query"], None)
            except PersistedQueryError as refused:
                return _error_payload(refused.message, refused.code)
        prepared = self._cache.prepare(request["query"])
        if prepared.document is None or prepared.errors:
            return format_errors(prepared.errors)
        operation = get_operation_ast(prepared.document, operation_name)
        if operation is None:
            return _error_payload("the operation to run is unknown: give a valid 'operationName'", "BAD_USER_INPUT")
        if read_only and operation.operation is OperationType.MUTATION:
            return _error_payload("only queries and subscriptions may be sent with GET; use POST", METHOD_NOT_ALLOWED)
        denied = self._access.check(access, prepared.document, variables)
        if denied:
            return format_errors(denied)
        if self._costs is not None:
            checked = self._costs.check(prepared.document, operation, variables)
            if checked.errors:
                return format_errors(checked.errors)
        once = operation.operation is not OperationType.SUBSCRIPTION
        budget = self._limits.budget() if once else None
        context = self._context_for(connection, access, stream, budget)
        arguments: dict[str, Any] = {
            "context_value": context, "variable_values": variables, "operation_name": operation_name,
            "executor_class": PlainFieldExecutor,
        }  # fmt: skip
        if budget is not None:
            try:
                async with asyncio.timeout(budget.remaining()):
                    outcome = execute(self._schema, prepared.document, **arguments)
                    single = await outcome if isawaitable(outcome) else outcome
            except TimeoutError:
                return _error_payload(
                    f"the request did not finish within its {budget.timeout_s:g} s", "REQUEST_TIMEOUT"
                )
            assert isinstance(single, ExecutionResult)
            return _once(_result(single))
        outcome_stream = subscribe(self._schema, prepared.document, **arguments)
        results = await outcome_stream if isawaitable(outcome_stream) else outcome_stream
        if isinstance(results, ExecutionResult):
            return format_errors(results.errors or [])
        return _mapped(results)


async def _once(payload: Payload) -> AsyncIterator[Payload]:
    yield payload


async def _mapped(results: AsyncIterator[ExecutionResult]) -> AsyncIterator[Payload]:
    try:
        async for result in results:
            yield _result(result)
    finally:
        close = getattr(results, "aclose", None)
        if close is not None:
            await close()


def _event_id(header: str | None) -> int | None:
    """The event a stream resumes after: ``Last-Event-ID`` when it is an event number (ASCII
    digits within 64 bits); anything else starts the stream from now, as no header does."""
    if header is None or not header.isascii() or not header.isdigit() or len(header) > 19:
        return None
    number = int(header)
    return number if number <= MAX_EVENT_ID else None


def _forget(operations: dict[str, asyncio.Task[None]], operation_id: str) -> Callable[[asyncio.Task[None]], None]:
    def forget(_: asyncio.Task[None]) -> None:
        operations.pop(operation_id, None)

    return forget


class WebSocketEndpoint:
    """``graphql-transport-ws`` on ``/graphql``; see the module docstring."""

    def __init__(
        self, runner: SubscriptionRunner, access: AccessControl, *, max_per_connection: int = 50,
        init_timeout_s: float = 10.0,
    ) -> None:  # fmt: skip
        self._runner = runner
        self._access = access
        self._max = max_per_connection
        self._init_timeout_s = init_timeout_s

    async def handle(self, websocket: WebSocket) -> None:
        if PROTOCOL not in websocket.scope.get("subprotocols", []):
            await websocket.close(code=4406, reason="Subprotocol not acceptable")
            return
        await websocket.accept(subprotocol=PROTOCOL)
        operations: dict[str, asyncio.Task[None]] = {}
        send_lock = asyncio.Lock()

        async def send(message: Payload) -> None:
            async with send_lock:
                await websocket.send_text(orjson.dumps(message).decode())

        try:
            access = await self._connection_init(websocket)
            if access is None:
                return
            await send({"type": "connection_ack"})
            while True:
                message = await self._receive(websocket)
                if message is None:
                    return
                kind = message.get("type")
                if kind == "ping":
                    await send({"type": "pong"})
                elif kind == "pong":
                    continue
                elif kind == "subscribe":
                    operation_id = message.get("id")
                    if not isinstance(operation_id, str) or not operation_id:
                        await websocket.close(code=4400, reason="a subscribe message needs an id")
                        return
                    if operation_id in operations:
                        await websocket.close(code=4409, reason=f"Subscriber for {operation_id[:40]} already exists")
                        return
                    if len(operations) >= self._max:
                        errors = _error_payload(
                            f"at most {self._max} operations per connection", "MAX_SUBSCRIPTIONS_LIMIT"
                        )
                        await send({"id": operation_id, "type": "error", "payload": errors})
                        continue
                    task = asyncio.create_task(self._run(websocket, operation_id, access, message.get("payload"), send))
                    operations[operation_id] = task
                    task.add_done_callback(_forget(operations, operation_id))
                elif kind == "connection_init":
                    await websocket.close(code=4429, reason="Too many initialisation requests")
                    return
                elif kind == "complete":
                    running = operations.pop(str(message.get("id")), None)
                    if running is not None:
                        running.cancel()
                else:
                    await websocket.close(code=4400, reason="unknown message type")
                    return
        except WebSocketDisconnect:
            pass
        finally:
            for task in list(operations.values()):
                task.cancel()
            await asyncio.gather(*operations.values(), return_exceptions=True)

    async def _receive(self, websocket: WebSocket) -> Payload | None:
        frame = await websocket.receive()
        if frame["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(frame.get("code", 1000))
        text = frame.get("text")
        if text is None:
            await websocket.close(code=4400, reason="messages are JSON text frames")
            return None
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            message = None
        if not isinstance(message, dict):
            await websocket.close(code=4400, reason="messages are JSON objects")
            return None
        return message

    async def _connection_init(self, websocket: WebSocket) -> Access | None:
        try:
            async with asyncio.timeout(self._init_timeout_s):
                message = await self._receive(websocket)
        except TimeoutError:
            await websocket.close(code=4408, reason="Connection initialisation timeout")
            return None
        if message is None:
            return None
        if message.get("type") != "connection_init":
            await websocket.close(code=4401, reason="Unauthorized")
            return None
        params = message.get("payload") or {}
        header = params.get("Authorization") or params.get("authorization") if isinstance(params, dict) else None
        given = [header] if isinstance(header, str) else websocket.headers.getlist("authorization")
        try:
            return await self._access.authenticator.access(given)
        except Unauthenticated:
            await websocket.close(code=4403, reason="Forbidden")
            return None

    async def _run(
        self, websocket: WebSocket, operation_id: str, access: Access, request: object, send: Callable[[Payload], Any]
    ) -> None:
        try:
            results = await self._runner.open(websocket, access, request)
            if isinstance(results, list):
                await send({"id": operation_id, "type": "error", "payload": results})
                return
            async for payload in results:
                await send({"id": operation_id, "type": "next", "payload": payload})
            await send({"id": operation_id, "type": "complete"})
        except asyncio.CancelledError:
            raise
        except CustomerGraphError as error:
            await send({"id": operation_id, "type": "error", "payload": _error_payload(error.message, error.code)})
        except WebSocketDisconnect:
            return
        except Exception:
            logger.exception("subscription %s failed", operation_id)
            with contextlib.suppress(Exception):
                await send(
                    {
                        "id": operation_id,
                        "type": "error",
                        "payload": _error_payload("internal error", "INTERNAL_SERVER_ERROR"),
                    }
                )


class EventStreamEndpoint:
    """GraphQL over SSE, distinct connections mode, on ``/graphql/stream``; see the module docstring."""

    def __init__(self, runner: SubscriptionRunner, *, max_body_bytes: int, keep_alive_s: float = 15.0) -> None:
        self._runner = runner
        self._max_body_bytes = max_body_bytes
        self._keep_alive_s = keep_alive_s

    async def handle(self, request: Request) -> Response:
        if EVENT_STREAM not in request.headers.get("accept", ""):
            return JSONResponse({"errors": _error_payload(f"accept {EVENT_STREAM}")}, status_code=406)
        try:
            graphql_request = await self._request(request)
        except ValueError as error:
            return JSONResponse({"errors": _error_payload(str(error))}, status_code=400)
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
        return StreamingResponse(self._events(results, stream), media_type=EVENT_STREAM, headers=headers)

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

    async def _events(self, results: AsyncIterator[Payload], stream: StreamCursor) -> AsyncIterator[bytes]:
        iterator = aiter(results)
        waiting: asyncio.Task[Payload] | None = None
        try:
            while True:
                if waiting is None:
                    waiting = asyncio.ensure_future(anext(iterator))
                done, _ = await asyncio.wait({waiting}, timeout=self._keep_alive_s)
                if not done:
                    yield b": keep-alive\n\n"
                    continue
                try:
                    payload = waiting.result()
                except StopAsyncIteration:
                    break
                except CustomerGraphError as error:
                    body = orjson.dumps({"errors": _error_payload(error.message, error.code)})
                    yield b"event: next\ndata: " + body + b"\n\n"
                    break
                finally:
                    waiting = None
                event_id = f"id: {stream.last_event_id}\n".encode() if stream.last_event_id is not None else b""
                yield b"event: next\n" + event_id + b"data: " + orjson.dumps(payload) + b"\n\n"
            yield b"event: complete\ndata:\n\n"
        finally:
            if waiting is not None:
                waiting.cancel()
            close = getattr(iterator, "aclose", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()
