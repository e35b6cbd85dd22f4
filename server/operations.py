"""The one way an operation runs: over HTTP, over WebSocket and SSE, and in-process.

Every GraphQL operation the service answers goes through an ``OperationRunner``, in these
steps (each transport adds what is its own around them: HTTP its media types, persisted
queries, access policy and Apollo's ftv1 middleware; WebSocket and SSE their messages):

1. ``prepare``: the document by its text from the ``DocumentCache``: parsed within the token
   limit and measured against the shape limits (``resolvers/documents.py``), then validated;
   a client repeating a query pays for that once.
2. ``cost``: the estimated cost checked (``server/limits.CostGuard``), when limits ask for it.
3. ``execute`` or ``subscribe``: graphql-core's own on the graphql-core schema strawberry
   builds, with ``resolvers.execution.PlainFieldExecutor``, within a deadline if one is given.

``run`` is the in-process entry point (tests, benchmarks, scripts): the same steps, the same
cache and executor, and every error that is not public replaced by ``resolvers.errors.masked``,
the masker ``format_error`` applies over HTTP, so a result reads in-process as it does over
the wire. Strawberry's ``Schema.execute`` is not used anywhere: it would parse and validate on
every call, without our limits, and mask errors by a hook of its own; graphql-core's
``execute`` on the same schema calls the same resolvers (``tests/test_one_execution_path.py``
keeps every other module from calling an executor directly).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    ExecutionResult,
    Executor,
    GraphQLError,
    GraphQLSchema,
    MiddlewareManager,
    OperationDefinitionNode,
    OperationType,
    execute,
    get_operation_ast,
    specified_rules,
    subscribe,
    validate,
)
from graphql.validation import MaxIntrospectionDepthRule

from resolvers.cost import CostModel
from resolvers.documents import DocumentLimits, parse_document, shape_errors, token_count
from resolvers.errors import format_errors, log_failed_request, masked
from resolvers.execution import PlainFieldExecutor
from resolvers.strawberry_internals import graphql_schema
from server.limits import CostCheck, CostGuard, RequestLimits

# graphql-core's rules, and its recommended bound on how deep introspection lists may nest.
VALIDATION_RULES = (*specified_rules, MaxIntrospectionDepthRule)

UNKNOWN_OPERATION = "the operation to run is unknown: give a valid 'operationName'"


def unknown_operation() -> GraphQLError:
    """The same refusal over HTTP, WebSocket and SSE when ``operationName`` names no operation."""
    return GraphQLError(UNKNOWN_OPERATION, extensions={"code": "BAD_USER_INPUT"})


Variables = dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Prepared:
    document: DocumentNode | None
    errors: list[GraphQLError]


class DocumentCache:
    """Parsed, measured and validated documents by query text; least recently used ones go first.

    Bounded in entries and in the tokens of their documents together: a parsed document holds
    a few hundred bytes per token, so a few hundred distinct documents of the largest size
    allowed must not hold hundreds of megabytes (``max_tokens`` ~ 40 MB).
    """

    def __init__(
        self, schema: GraphQLSchema, size: int = 512, limits: DocumentLimits | None = None, max_tokens: int = 100_000
    ) -> None:
        self._graphql_schema = schema
        self._size = size
        self._max_tokens = max_tokens
        self._tokens = 0
        self._weights: dict[str, int] = {}
        self._limits = limits or DocumentLimits()
        self._documents: OrderedDict[str, Prepared] = OrderedDict()

    def prepare(self, query: str) -> Prepared:
        prepared = self._documents.get(query)
        if prepared is not None:
            self._documents.move_to_end(query)
            return prepared
        try:
            document = parse_document(query, self._limits.max_tokens)
        except GraphQLError as error:
            prepared = Prepared(None, [error])
        else:
            # A document over a limit is refused before validation, which can be slow on it.
            refused = shape_errors(document, self._limits)
            prepared = Prepared(document, refused or list(validate(self._graphql_schema, document, VALIDATION_RULES)))
        weight = token_count(prepared.document) if prepared.document is not None else 1
        self._documents[query] = prepared
        self._weights[query] = weight
        self._tokens += weight
        while len(self._documents) > self._size or self._tokens > self._max_tokens:
            evicted, _ = self._documents.popitem(last=False)
            self._tokens -= self._weights.pop(evicted)
        return prepared


class OperationRunner:
    """Prepares, checks and runs operations on one schema (see the module docstring).

    One runner serves a process's every transport, so they share the cache of documents and
    of cost estimates. ``executor_class`` is ``PlainFieldExecutor`` unless a caller (the naive
    peer of the benchmarks) asks for graphql-core's own with ``None``.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        *,
        limits: RequestLimits | None = None,
        cost_model: CostModel | None = None,
        executor_class: type[Executor[Any]] | None = PlainFieldExecutor,
    ) -> None:
        self._graphql_schema = schema
        self._executor_class = executor_class
        self.limits = limits or RequestLimits()
        self._cache = DocumentCache(schema, limits=self.limits.document)
        self._costs = CostGuard(cost_model, self.limits) if cost_model and self.limits.checks_cost else None

    @classmethod
    def of(cls, schema: strawberry.Schema, **options: Any) -> OperationRunner:
        """A runner for a strawberry schema: the graphql-core schema it built is what runs."""
        return cls(graphql_schema(schema), **options)

    @property
    def graphql_schema(self) -> GraphQLSchema:
        return self._graphql_schema

    def prepare(self, query: str) -> Prepared:
        """The document of ``query``, or the errors that keep it from running (cached by text)."""
        return self._cache.prepare(query)

    def cost(
        self, document: DocumentNode, operation: OperationDefinitionNode, variables: Variables
    ) -> CostCheck | None:
        """The operation's estimated cost and the limits it breaks; ``None`` when cost is not checked."""
        if self._costs is None:
            return None
        return self._costs.check(document, operation, variables)

    async def execute(
        self,
        document: DocumentNode,
        context: object,
        *,
        variables: Variables = None,
        operation_name: str | None = None,
        middleware: MiddlewareManager | None = None,
        timeout_s: float | None = None,
    ) -> ExecutionResult:
        """Run a query or mutation of a prepared document; ``TimeoutError`` past ``timeout_s``
        (what was still running is cancelled: its Neo4j statements had that much time too)."""
        async with asyncio.timeout(timeout_s):
            outcome = execute(
                self._graphql_schema,
                document,
                context_value=context,
                variable_values=variables,
                operation_name=operation_name,
                middleware=middleware,
                executor_class=self._executor_class,
            )
            return await outcome if isawaitable(outcome) else outcome

    async def subscribe(
        self, document: DocumentNode, context: object, *, variables: Variables = None, operation_name: str | None = None
    ) -> AsyncIterator[ExecutionResult] | ExecutionResult:
        """The results of a subscription, or the result whose errors refuse it."""
        outcome = subscribe(
            self._graphql_schema,
            document,
            context_value=context,
            variable_values=variables,
            operation_name=operation_name,
            executor_class=self._executor_class,
        )
        return await outcome if isawaitable(outcome) else outcome

    async def run(
        self,
        query: str,
        context: object = None,
        variables: Variables = None,
        operation_name: str | None = None,
        *,
        authorize: Callable[[DocumentNode, Variables], list[GraphQLError]] | None = None,
    ) -> ExecutionResult:
        """Run a query or mutation in-process, through the steps HTTP takes (module docstring).

        ``authorize`` (the access policy, as ``AccessControl.check`` gives it) may refuse the
        operation before it runs, as over HTTP; without it, only the context's grants apply
        (its masks and row rules), as when a resolver runs."""
        prepared = self.prepare(query)
        result = self._refusal(prepared, operation_name, variables, authorize)
        if result is None:
            assert prepared.document is not None
            result = await self.execute(prepared.document, context, variables=variables, operation_name=operation_name)
        if result.errors:
            log_failed_request(result.errors, format_errors(result.errors))
            result = ExecutionResult(result.data, [masked(error) for error in result.errors], result.extensions)
        return result

    def _refusal(
        self,
        prepared: Prepared,
        operation_name: str | None,
        variables: Variables,
        authorize: Callable[[DocumentNode, Variables], list[GraphQLError]] | None,
    ) -> ExecutionResult | None:
        """The result that refuses the operation before it runs, if it may not run."""
        if prepared.document is None or prepared.errors:
            return ExecutionResult(None, prepared.errors)
        operation = get_operation_ast(prepared.document, operation_name)
        if operation is None:
            return ExecutionResult(None, [unknown_operation()])
        if operation.operation is OperationType.SUBSCRIPTION:
            refused = "a subscription streams its results: run it with OperationRunner.subscribe"
            return ExecutionResult(None, [GraphQLError(refused, extensions={"code": "BAD_REQUEST"})])
        denied = authorize(prepared.document, variables) if authorize is not None else []
        if denied:
            return ExecutionResult(None, denied)
        checked = self.cost(prepared.document, operation, variables)
        if checked is not None and checked.errors:
            return ExecutionResult(None, checked.errors)
        return None
