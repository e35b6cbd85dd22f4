"""``GraphqlSource``: a system of record behind a remote GraphQL endpoint, over HTTP POST.

Lookups and export pages are GraphQL queries from the configuration, sent as
``{"query": ..., "variables": ...}``; the keys go in one list variable, so a batch is one
request. An answer with ``errors`` or without a ``data`` object counts as a failure. Queries
are reads and are retried on transient failures; ``execute`` also sends other operations,
and a mutation is never retried, since the first attempt may have been applied.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import httpx
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse

from sources.answers import MalformedAnswerError, cursor_at, items_at, records_by_key
from sources.config import GraphqlSourceConfig
from sources.guarded import ExportPage, GuardedSource, SourceCallError
from sources.http_client import json_body, open_client, translated
from sources.port import Record
from sources.resilience import Clock

PING_QUERY = "query Ping { __typename }"


def is_read_only(document: str) -> bool:
    """Whether every operation in a GraphQL document is a query (a read, safe to retry)."""
    try:
        parsed = parse(document)
    except GraphQLError as exc:
        raise ValueError(f"not a GraphQL document: {exc.message}") from None
    operations = [node for node in parsed.definitions if isinstance(node, OperationDefinitionNode)]
    if not operations:
        raise ValueError("the GraphQL document has no operation")
    return all(node.operation is OperationType.QUERY for node in operations)


class GraphqlSource(GuardedSource):
    """A remote GraphQL API as a live source: batch lookups by key, paged exports, health."""

    def __init__(
        self,
        name: str,
        config: GraphqlSourceConfig,
        *,
        clock: Clock = time.monotonic,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(name, config, config.exports, clock=clock)
        for what, document in [("lookup", config.lookup.query)] + [
            (f"export '{kind}'", spec.query) for kind, spec in config.exports.items()
        ]:
            if not is_read_only(document):
                raise ValueError(f"source '{name}': the {what} document must be a query")
        self._config = config
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            raise RuntimeError(f"source '{self._name}' is not open")
        return self._client

    async def open(self) -> None:
        if self._client is None:
            self._client = open_client(self._config.resilience, headers=self._config.headers, transport=self._transport)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def execute(self, document: str, variables: Mapping[str, object] | None = None) -> Mapping[str, object]:
        """Send any operation through the guard; returns its ``data``. Only queries are retried."""
        return await self._call(lambda: self._post(document, variables), idempotent=is_read_only(document))

    async def _post(self, document: str, variables: Mapping[str, object] | None) -> Mapping[str, object]:
        payload = {"query": document, "variables": dict(variables or {})}
        async with translated():
            response = await self.client.post(self._config.url, json=payload)
        body = json_body(response)
        if not isinstance(body, Mapping):
            raise MalformedAnswerError("the answer is not a JSON object")
        errors = body.get("errors")
        if errors is not None and not isinstance(errors, list):
            raise MalformedAnswerError("'errors' is not a list")
        if errors:
            messages = [str(error.get("message", error) if isinstance(error, Mapping) else error) for error in errors]
            raise SourceCallError(f"the system answered errors: {'; '.join(messages)[:300]}", transient=False)
        data = body.get("data")
        if not isinstance(data, Mapping):
            raise MalformedAnswerError("the answer has no 'data' object")
        return data

    async def _lookup(self, keys: Sequence[str]) -> dict[str, Record]:
        lookup = self._config.lookup
        data = await self._post(lookup.query, {lookup.keys_variable: list(keys)})
        return records_by_key(items_at(data, lookup.items), lookup.key_field, self._shape)

    async def _export_page(self, kind: str, cursor: object | None) -> ExportPage:
        spec = self._config.exports[kind]
        variables: dict[str, object] = {spec.page_size_variable: spec.page_size, spec.cursor_variable: cursor}
        data = await self._post(spec.query, variables)
        return self._build_page(kind, items_at(data, spec.items), cursor_at(data, spec.next_cursor))

    async def _ping(self) -> None:
        await self._post(PING_QUERY, None)
