"""GraphQL over HTTP, as the GraphQL-over-HTTP specification describes it.

- ``POST`` with an ``application/json`` body, or ``GET`` with URL parameters (queries only:
  a mutation over ``GET`` is ``405``).
- The response type follows ``Accept``: ``application/graphql-response+json`` (with ``4xx``
  and no ``data`` for requests that cannot run) or ``application/json`` (always ``200`` once
  the request is well-formed); ``406`` when neither is acceptable.
- Malformed bodies and parameters are ``400`` with a JSON error, never a ``500``.
- ``apollo-federation-include-trace: ftv1`` (sent by an Apollo gateway that reports usage)
  adds ``extensions.ftv1``, the request's per-field timing for Apollo (``server/ftv1.py``; not
  to be confused with the customer traces of ``graph/trace/``).
- ``extensions.persistedQuery`` (automatic persisted queries) and the safelist are
  ``server/persisted_queries.py``'s: it turns a hash into a query, or refuses the request.
- ``GET`` responses carry ``Cache-Control``: the configured value when the query ran without
  errors (``no-store`` unless configured), ``no-store`` otherwise.
- ``authorize`` (the access policy) may refuse an operation before it runs: ``FORBIDDEN``
  errors, and ``403`` with ``application/graphql-response+json``.

The operation itself is prepared, costed and executed by ``server/operations.py``, the one
execution path of the service (parsing and validation cached by the document's text, so a
client repeating the same query pays for them once); responses are encoded with orjson.

Every request is held to its ``RequestLimits`` (``server/limits.py``): a body over the size
limit is refused while it streams in (``413``); a document over its token count, depth,
aliases, root fields or estimated cost is refused before it runs, each with its own
``extensions.code``; what runs does so within a deadline (``REQUEST_TIMEOUT`` past it), a cap
on Cypher statements at once and a cap on errors reported. Each response carries the
operation's estimated cost in ``extensions.cost``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any, Final

import orjson
from graphql import DocumentNode, ExecutionResult, GraphQLError, MiddlewareManager, OperationType, get_operation_ast
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from domain.budget import RequestBudget
from resolvers.errors import format_errors, log_failed_request
from server.ftv1 import FTV1, INCLUDE_TRACE_HEADER, Ftv1Recorder
from server.operations import OperationRunner, unknown_operation
from server.persisted_queries import PersistedOperation, PersistedQueries, PersistedQueryError

logger = logging.getLogger("customer_graph.http")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
MAX_BODY_BYTES = 1_000_000


METHOD_NOT_ALLOWED: Final = "METHOD_NOT_ALLOWED"


class RequestError(Exception):
    """The HTTP request itself is wrong: answered with ``status`` and a JSON error."""

    code = "BAD_REQUEST"

    def __init__(
        self, status: int, message: str, headers: Mapping[str, str] | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        if code is not None:
            self.code = code


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    # Named by ``extensions.persistedQuery``, if the request used it.
    persisted: PersistedOperation | None = None


def negotiate(accept: str) -> str | None:
    """The response media type for an ``Accept`` header; ``None`` if we can offer none."""
    if not accept.strip():
        return JSON
    for part in accept.split(","):
        media_type = part.split(";")[0].strip().lower()
        if media_type == GRAPHQL_RESPONSE:
            return GRAPHQL_RESPONSE
        if media_type in (JSON, "application/*", "*/*"):
            return JSON
    return None


def wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    params = request.query_params
    return request.method == "GET" and "text/html" in accept and "query" not in params and "extensions" not in params


async def read_request(
    request: Request, persisted: PersistedQueries, max_body_bytes: int = MAX_BODY_BYTES
) -> GraphQLRequest:
    if request.method == "GET":
        params = request.query_params
        return _graphql_request(
            params.get("query"),
            _json_param(params.get("variables"), "variables"),
            params.get("operationName"),
            _json_param(params.get("extensions"), "extensions"),
            persisted,
        )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        raise RequestError(415, "send the GraphQL request as application/json")
    body = await read_body(request, max_body_bytes)
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise RequestError(400, "the request body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise RequestError(400, "the request body must be a JSON object (batches are not supported)")
    return _graphql_request(
        payload.get("query"),
        payload.get("variables"),
        payload.get("operationName"),
        payload.get("extensions"),
        persisted,
    )


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The body, refused (``413``) as soon as it is known to be over ``max_bytes``: by its declared
    length, or while it streams in, so an oversize body is never held whole."""
    too_large = RequestError(413, f"the request body is over {max_bytes} bytes", code="PAYLOAD_TOO_LARGE")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _json_param(value: str | None, name: str) -> object:
    if value is None or value == "":
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        raise RequestError(400, f"'{name}' is not valid JSON") from None


def _graphql_request(
    query: object, variables: object, operation_name: object, extensions: object, persisted: PersistedQueries
) -> GraphQLRequest:
    if variables is not None and not isinstance(variables, dict):
        raise RequestError(400, "'variables' must be a JSON object")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError(400, "'operationName' must be a string")
    # The specification makes extensions a map: anything else is a bad request.
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestError(400, "'extensions' must be a JSON object")
    operation = persisted.lookup(query, extensions)
    if operation is not None:
        query = operation.query
    if not isinstance(query, str) or not query.strip():
        raise RequestError(400, "'query' must be a non-empty string")
    return GraphQLRequest(query, variables, operation_name, operation)


class GraphQLEndpoint:
    """The ``/graphql`` route: negotiates, validates, executes and encodes."""

    def __init__(
        self,
        operations: OperationRunner,
        context_factory: Callable[[Request, RequestBudget], object],
        playground: Callable[[Request], Awaitable[str] | str] | None = None,
        *,
        persisted: PersistedQueries | None = None,
        authorize: Callable[[Request, DocumentNode, dict[str, Any] | None], list[GraphQLError]] | None = None,
    ) -> None:
        self._operations = operations
        self._authorize = authorize
        self._persisted = persisted or PersistedQueries()
        self._context_factory = context_factory
        self._playground = playground
        self._limits = operations.limits

    async def handle(self, request: Request) -> Response:
        if request.method not in ("GET", "POST"):
            return _error_response(RequestError(405, "use GET or POST", {"Allow": "GET, POST"}, METHOD_NOT_ALLOWED))
        if self._playground is not None and wants_html(request):
            page = self._playground(request)
            return HTMLResponse(await page if isawaitable(page) else page)
        media_type = negotiate(request.headers.get("accept", ""))
        if media_type is None:
            return _error_response(RequestError(406, f"accept {GRAPHQL_RESPONSE} or {JSON}"))
        try:
            budget = self._limits.budget()
            graphql_request = await read_request(request, self._persisted, self._limits.max_body_bytes)
            self._persisted.admit(graphql_request.query, graphql_request.persisted)
            response = await self._run(request, graphql_request, media_type, budget)
        except (RequestError, PersistedQueryError) as error:
            response = _error_response(error)
        if request.method == "GET":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    async def _run(
        self, request: Request, graphql_request: GraphQLRequest, media_type: str, budget: RequestBudget
    ) -> Response:
        ftv1 = Ftv1Recorder() if request.headers.get(INCLUDE_TRACE_HEADER) == FTV1 else None
        prepared = self._operations.prepare(graphql_request.query)
        if prepared.document is None:
            return _result_response(ExecutionResult(None, prepared.errors), media_type, ftv1, request_failed=True)
        operation = get_operation_ast(prepared.document, graphql_request.operation_name)
        if request.method == "GET" and operation is not None and operation.operation is not OperationType.QUERY:
            only_queries = "only queries may be sent with GET; use POST"
            raise RequestError(405, only_queries, {"Allow": "POST"}, METHOD_NOT_ALLOWED)
        if prepared.errors:
            return _result_response(ExecutionResult(None, prepared.errors), media_type, ftv1, request_failed=True)
        if operation is None:
            error = unknown_operation()
            return _result_response(ExecutionResult(None, [error]), media_type, ftv1, request_failed=True)
        if operation.operation is OperationType.SUBSCRIPTION:
            error = GraphQLError(
                "subscriptions are served over WebSocket (graphql-transport-ws on /graphql) and SSE (/graphql/stream)",
                extensions={"code": "BAD_REQUEST"},
            )
            return _result_response(ExecutionResult(None, [error]), media_type, ftv1, request_failed=True)
        # The access policy first: a caller is told what they may not read, not what it would cost.
        denied = []
        if self._authorize is not None:
            denied = self._authorize(request, prepared.document, graphql_request.variables)
        if denied:
            result = ExecutionResult(None, denied)
            return _result_response(result, media_type, ftv1, request_failed=True, status=403)
        extensions: dict[str, Any] = {}
        checked = self._operations.cost(prepared.document, operation, graphql_request.variables)
        if checked is not None:
            extensions["cost"] = {"estimated": checked.estimate.cost, "limit": self._limits.max_cost}
            if checked.errors:
                result = ExecutionResult(None, checked.errors)
                return _result_response(result, media_type, ftv1, request_failed=True, extensions=extensions)
        self._persisted.remember(graphql_request.persisted)
        try:
            result = await self._operations.execute(
                prepared.document,
                self._context_factory(request, budget),
                variables=graphql_request.variables,
                operation_name=graphql_request.operation_name,
                middleware=None if ftv1 is None else MiddlewareManager(ftv1),
                timeout_s=budget.remaining(),
            )
        except TimeoutError:
            error = GraphQLError(
                f"the request did not finish within its {budget.timeout_s:g} s",
                extensions={"code": "REQUEST_TIMEOUT", "timeoutSeconds": budget.timeout_s},
            )
            result = ExecutionResult(None, [error])
            return _result_response(result, media_type, ftv1, request_failed=False, extensions=extensions)
        # Errors without a path come from variables that do not fit: nothing ran.
        errors = result.errors or []
        request_failed = result.data is None and bool(errors) and all(error.path is None for error in errors)
        response = _result_response(
            result, media_type, ftv1, request_failed=request_failed, extensions=extensions,
            omitted_errors=budget.omitted_errors,
        )  # fmt: skip
        if request.method == "GET" and not errors and ftv1 is None:
            # Of the request's headers, only these change what is answered: the caller's token
            # decides what they may see, so a shared cache must keep answers apart by it.
            response.headers["Cache-Control"] = self._persisted.get_cache_control
            response.headers["Vary"] = f"Accept, Authorization, {INCLUDE_TRACE_HEADER}"
        return response


def _result_response(
    result: ExecutionResult,
    media_type: str,
    ftv1: Ftv1Recorder | None,
    *,
    request_failed: bool,
    extensions: dict[str, Any] | None = None,
    omitted_errors: int = 0,
    status: int = 400,
) -> Response:
    body: dict[str, Any] = {}
    if result.errors or omitted_errors:
        errors = result.errors or []
        body["errors"] = format_errors(errors, omitted_errors)
        log_failed_request(errors, body["errors"], omitted_errors)
    if not request_failed:
        body["data"] = result.data
    extensions = dict(extensions or {})
    if ftv1 is not None:
        ftv1.add_errors(body.get("errors", ()))
        extensions[FTV1] = ftv1.encode()
    if extensions:
        body["extensions"] = extensions
    status = status if request_failed and media_type == GRAPHQL_RESPONSE else 200
    return Response(orjson.dumps(body), status_code=status, media_type=media_type)


def _error_response(error: RequestError | PersistedQueryError) -> Response:
    body = {"errors": [{"message": error.message, "extensions": {"code": error.code}}]}
    return Response(orjson.dumps(body), status_code=error.status, media_type=JSON, headers=error.headers)
