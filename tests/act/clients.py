"""Subscription clients over the real protocols, for the tests: graphql-transport-ws and GraphQL over SSE.

``WsClient`` speaks graphql-transport-ws message by message with the ``websockets`` library
(connection_init with the token, subscribe, next/error/complete), so tests can also send what
a hostile client would (``RawSocket`` sends exactly what it is told, ids of the test's
choosing); the published ``gql`` client is used beside it where a well-behaved
client is meant. ``sse_events`` reads a ``text/event-stream`` answer with ``httpx-sse`` and
yields each event as (event, id, data).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import websockets
from httpx_sse import aconnect_sse


class RawSocket:
    """A graphql-transport-ws client that sends exactly what it is told (ids of its choosing)."""

    def __init__(self, connection: websockets.ClientConnection) -> None:
        self.connection = connection

    @classmethod
    async def open(cls, url: str, bearer: str) -> RawSocket:
        connection = await websockets.connect(url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")])
        await connection.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {bearer}"}}))
        assert json.loads(await asyncio.wait_for(connection.recv(), 10))["type"] == "connection_ack"
        return cls(connection)

    async def subscribe(self, operation_id: str, query: str, **variables: Any) -> None:
        payload = {"query": query, "variables": variables}
        await self.connection.send(json.dumps({"id": operation_id, "type": "subscribe", "payload": payload}))

    async def complete(self, operation_id: str) -> None:
        await self.connection.send(json.dumps({"id": operation_id, "type": "complete"}))

    async def messages(self, quiet_s: float = 2.0) -> list[tuple[str, str]]:
        """(type, id) of what arrives until nothing has for ``quiet_s``; errors with their code."""
        seen = []
        with contextlib.suppress(TimeoutError):
            while True:
                message = json.loads(await asyncio.wait_for(self.connection.recv(), quiet_s))
                kind = message["type"]
                if kind == "error":
                    kind = f"error {message['payload'][0]['extensions']['code']}"
                seen.append((kind, message["id"]))
        return seen


class WsClient:
    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self._queues: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())
        self._next_id = 0

    @classmethod
    async def connect(cls, url: str, token: str) -> WsClient:
        connection = await websockets.connect(url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")])
        await connection.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        ack = json.loads(await asyncio.wait_for(connection.recv(), 10))
        assert ack["type"] == "connection_ack", ack
        return cls(connection)

    async def _read(self) -> None:
        async for text in self._connection:
            message = json.loads(text)
            queue = self._queues.get(message.get("id", ""))
            if queue is not None:
                queue.put_nowait(message)

    async def subscribe(self, query: str, **variables: Any) -> str:
        self._next_id += 1
        operation_id = str(self._next_id)
        self._queues[operation_id] = asyncio.Queue()
        payload = {"query": query, "variables": variables}
        await self._connection.send(json.dumps({"id": operation_id, "type": "subscribe", "payload": payload}))
        return operation_id

    async def receive(self, operation_id: str, wait_s: float = 20.0) -> dict[str, Any]:
        return await asyncio.wait_for(self._queues[operation_id].get(), wait_s)

    def pending(self, operation_id: str) -> int:
        return self._queues[operation_id].qsize()

    async def close(self) -> None:
        await self._connection.close()
        self._reader.cancel()


async def sse_events(
    client: httpx.AsyncClient, url: str, token: str, query: str, last_event_id: str | None = None, **variables: Any
) -> AsyncIterator[tuple[str, str | None, Any]]:
    """The events of a GraphQL-over-SSE stream, read by ``httpx-sse``: (event, id, data)."""
    # As bytes: a hostile client's Last-Event-ID may be any Latin-1 byte.
    headers: dict[str | bytes, str | bytes] = {b"authorization": f"Bearer {token}".encode()}
    if last_event_id is not None:
        headers[b"last-event-id"] = last_event_id.encode("latin-1")
    body = {"query": query, "variables": variables}
    async with aconnect_sse(client, "POST", url, json=body, headers=headers) as source:
        if source.response.status_code != 200:
            yield "refused", str(source.response.status_code), json.loads(await source.response.aread())
            return
        assert source.response.headers["content-type"].startswith("text/event-stream")
        async for sse in source.aiter_sse():
            yield sse.event, sse.id or None, json.loads(sse.data) if sse.data else None
