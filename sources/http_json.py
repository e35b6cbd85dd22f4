"""``HttpSource``: a system of record behind an HTTP/JSON API, reached with httpx.

A lookup is one request per batch: ``GET <path>?ids=a,b,c`` (or ``POST <path>`` with a JSON
body ``{"ids": [...]}``), answered by a JSON object whose ``items`` path holds the records
found, each carrying its key. An export follows cursor pagination: ``GET <path>?limit=N``,
then ``&cursor=<next_cursor>`` until the answer's next cursor is null. Auth headers come from
the configuration (with secrets interpolated from the environment).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import httpx

from sources.answers import cursor_at, items_at, records_by_key
from sources.config import HttpSourceConfig
from sources.guarded import ExportPage, GuardedSource
from sources.http_client import json_body, open_client, translated
from sources.port import Record
from sources.resilience import Clock


class HttpSource(GuardedSource):
    """An HTTP/JSON API as a live source: batch lookups by key, paged exports, health."""

    def __init__(
        self,
        name: str,
        config: HttpSourceConfig,
        *,
        clock: Clock = time.monotonic,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(name, config, config.exports, clock=clock)
        self._config = config
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    @property
    def lookup_is_idempotent(self) -> bool:
        return self._config.lookup.is_idempotent

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            raise RuntimeError(f"source '{self._name}' is not open")
        return self._client

    async def open(self) -> None:
        if self._client is None:
            self._client = open_client(
                self._config.resilience,
                base_url=self._config.base_url,
                headers=self._config.headers,
                transport=self._transport,
            )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _lookup(self, keys: Sequence[str]) -> dict[str, Record]:
        lookup = self._config.lookup
        async with translated():
            if lookup.method == "GET":
                response = await self.client.get(lookup.path, params={lookup.keys_param: ",".join(keys)})
            else:
                response = await self.client.post(lookup.path, json={lookup.keys_param: list(keys)})
        return records_by_key(items_at(json_body(response), lookup.items), lookup.key_field, self._shape)

    async def _export_page(self, kind: str, cursor: object | None) -> ExportPage:
        spec = self._config.exports[kind]
        params: dict[str, str | int] = {spec.page_size_param: spec.page_size}
        if cursor is not None:
            params[spec.cursor_param] = str(cursor)
        async with translated():
            response = await self.client.get(spec.path, params=params)
        document = json_body(response)
        items = items_at(document, spec.items)
        return self._build_page(kind, items, cursor_at(document, spec.next_cursor))

    async def _ping(self) -> None:
        async with translated():
            response = await self.client.get(self._config.health_path)
        json_body(response)
