"""Subscriptions over WebSocket (``graphql-transport-ws``) and Server-Sent Events (GraphQL over SSE).

Both transports run an operation the same way (``SubscriptionRunner.open``), through the
service's one execution path (``server/operations.py``): the document is parsed, measured and
validated as over HTTP (the same limits and cache), checked against the
caller's policy (``FORBIDDEN`` before anything runs) and its estimated cost, then subscribed to
with a context of its own: the caller's row rules, masks and the process's event hub. A query
or mutation sent this way runs once, within a request budget as over HTTP (its deadline, its
share of statements), and completes, as the protocols allow.

**WebSocket** ``/graphql``, subprotocol ``graphql-transport-ws`` (what the ``graphql-ws``
client speaks): the token comes in ``connection_init``'s payload (``{"Authorization": "Bearer
..."}``) or the upgrade request's ``Authorization`` header; a bad one closes with ``4403``,
no ``connection_init`` within ``init_timeout_s`` closes with ``4408``. Each ``subscribe``
runs in its own task; at most ``max_per_connection`` at once (an ``error`` message beyond),
and the hub caps the process (``MAX_SUBSCRIPTIONS_LIMIT``). The token is checked again every
``token_check_s``: once it no longer verifies (it expired) the socket closes with ``4403``.
A binary frame or anything but a JSON object closes with ``4400``, a second
``connection_init`` with ``4429``, a message over ``max_message_bytes`` (the request body
limit, ``CG_MAX_BODY_BYTES``) with ``1009``. Each caller holds at most
``subscriptions_max_per_caller`` subscriptions per process, whatever its connections.

GraphQL over SSE (``server.event_stream``) runs its operations through the same runner.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, Final

import orjson
from graphql import ExecutionResult, OperationType, get_operation_ast
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from domain.access import Access
from domain.budget import RequestBudget
from domain.errors import CustomerGraphError
from resolvers.context import Context, StreamCursor
from resolvers.errors import format_errors
from server.auth.access_control import AccessControl
from server.auth.middleware import Unauthenticated
from server.graphql_http import METHOD_NOT_ALLOWED
from server.operations import OperationRunner, unknown_operation
from server.persisted_queries import PersistedQueries, PersistedQueryError

logger = logging.getLogger("customer_graph.subscriptions")

PROTOCOL: Final = "graphql-transport-ws"

Payload = dict[str, Any]


def error_payload(message: str, code: str = "BAD_REQUEST") -> list[Payload]:
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
        operations: OperationRunner,
        access: AccessControl,
        context_for: Callable[[HTTPConnection, Access, StreamCursor | None, RequestBudget | None], Context],
        persisted: PersistedQueries | None = None,
    ) -> None:
        self._operations = operations
        self._persisted = persisted
        self._access = access
        self._context_for = context_for
        self._limits = operations.limits

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
            return error_payload("send a GraphQL request: an object with a 'query' string")
        variables = request.get("variables")
        operation_name = request.get("operationName")
        if variables is not None and not isinstance(variables, dict):
            return error_payload("'variables' must be an object")
        if operation_name is not None and not isinstance(operation_name, str):
            return error_payload("'operationName' must be a string")
        if self._persisted is not None:
            try:
                # With the safelist required, only listed operations may subscribe, as over HTTP.
                self._persisted.admit(request["query"], None)
            except PersistedQueryError as refused:
                return error_payload(refused.message, refused.code)
        prepared = self._operations.prepare(request["query"])
        if prepared.document is None or prepared.errors:
            return format_errors(prepared.errors)
        operation = get_operation_ast(prepared.document, operation_name)
        if operation is None:
            return format_errors([unknown_operation()])
        if read_only and operation.operation is OperationType.MUTATION:
            return error_payload("only queries and subscriptions may be sent with GET; use POST", METHOD_NOT_ALLOWED)
        denied = self._access.check(access, prepared.document, variables)
        if denied:
            return format_errors(denied)
        checked = self._operations.cost(prepared.document, operation, variables)
        if checked is not None and checked.errors:
            return format_errors(checked.errors)
        once = operation.operation is not OperationType.SUBSCRIPTION
        budget = self._limits.budget() if once else None
        context = self._context_for(connection, access, stream, budget)
        arguments: dict[str, Any] = {"variables": variables, "operation_name": operation_name}
        if budget is not None:
            try:
                single = await self._operations.execute(
                    prepared.document, context, **arguments, timeout_s=budget.remaining()
                )
            except TimeoutError:
                return error_payload(f"the request did not finish within its {budget.timeout_s:g} s", "REQUEST_TIMEOUT")
            return _once(_result(single))
        results = await self._operations.subscribe(prepared.document, context, **arguments)
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


def _forget(operations: dict[str, asyncio.Task[None]], operation_id: str) -> Callable[[asyncio.Task[None]], None]:
    def forget(ended: asyncio.Task[None]) -> None:
        # Only this task's own entry: after a ``complete``, the client may reuse the id for a new
        # operation before the cancelled one has ended, and that one must stay tracked.
        if operations.get(operation_id) is ended:
            del operations[operation_id]

    return forget


class WebSocketEndpoint:
    """``graphql-transport-ws`` on ``/graphql``; see the module docstring."""

    def __init__(
        self, runner: SubscriptionRunner, access: AccessControl, *, max_per_connection: int = 50,
        init_timeout_s: float = 10.0, token_check_s: float = 5.0, max_message_bytes: int = 1_000_000,
    ) -> None:  # fmt: skip
        self._token_check_s = token_check_s
        self._max_message_bytes = max_message_bytes
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
        watch: asyncio.Task[None] | None = None

        async def send(message: Payload) -> None:
            async with send_lock:
                if websocket.application_state is not WebSocketState.CONNECTED:
                    raise WebSocketDisconnect(1000)  # closed meanwhile (an expired token): nothing to send
                await websocket.send_text(orjson.dumps(message).decode())

        try:
            initialised = await self._connection_init(websocket)
            if initialised is None:
                return
            access, authorization = initialised
            watch = asyncio.create_task(self._watch_token(websocket, authorization))
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
                        errors = error_payload(
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
            if watch is not None:
                watch.cancel()
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
        if len(text) > self._max_message_bytes or len(text.encode()) > self._max_message_bytes:
            # As a POST body over the limit: not parsed. 1009 is WebSocket's "message too big".
            await websocket.close(code=1009, reason=f"a message may hold at most {self._max_message_bytes} bytes")
            return None
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            message = None
        if not isinstance(message, dict):
            await websocket.close(code=4400, reason="messages are JSON objects")
            return None
        return message

    async def _watch_token(self, websocket: WebSocket, authorization: list[str]) -> None:
        """Close the socket with ``4403`` once the token it was opened with no longer verifies
        (expired, or its key withdrawn): a subscription lasts no longer than its caller's token."""
        while True:
            await asyncio.sleep(self._token_check_s)
            if not await self._access.authenticator.still_verifies(authorization):
                with contextlib.suppress(Exception):
                    await websocket.close(code=4403, reason="Forbidden: the token expired")
                return

    async def _connection_init(self, websocket: WebSocket) -> tuple[Access, list[str]] | None:
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
            return await self._access.authenticator.access(given), given
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
            await send({"id": operation_id, "type": "error", "payload": error_payload(error.message, error.code)})
        except WebSocketDisconnect:
            return
        except Exception:
            logger.exception("subscription %s failed", operation_id)
            with contextlib.suppress(Exception):
                await send(
                    {
                        "id": operation_id,
                        "type": "error",
                        "payload": error_payload("internal error", "INTERNAL_SERVER_ERROR"),
                    }
                )
