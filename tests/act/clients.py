"""Subscription clients over the real protocols, for the tests: graphql-transport-ws and GraphQL over SSE.

``WsClient`` speaks graphql-transport-ws with the ``websockets`` library (connection_init with
the token, subscribe, next/error/complete); ``sse_events`` reads a ``text/event-stream``
answer with httpx and yields each event as (event, id, data).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import websockets


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
    # As bytes: a hostile client's Last-Event-ID may be any Latin-1 byte.
    headers = [(b"accept", b"text/event-stream"), (b"authorization", f"Bearer {token}".encode())]
    if last_event_id is not None:
        headers.append((b"last-event-id", last_event_id.encode("latin-1")))
    async with client.stream("POST", url, json={"query": query, "variables": variables}, headers=headers) as answer:
        if answer.status_code != 200:
            yield "refused", str(answer.status_code), json.loads(await answer.aread())
            return
        assert answer.headers["content-type"].startswith("text/event-stream")
        event, event_id, data = "message", None, []
        async for line in answer.aiter_lines():
            if line.startswith(":"):
                continue
            if line == "":
                if data:
                    yield event, event_id, json.loads("\n".join(data)) if "".join(data) else None
                elif event == "complete":
                    yield event, event_id, None
                event, event_id, data = "message", None, []
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "event":
                event = value
            elif name == "id":
                event_id = value
            elif name == "data":
                data.append(value)
