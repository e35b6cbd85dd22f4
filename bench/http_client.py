"""A lean HTTP/1.1 keep-alive client for the load generator: POST JSON, read the whole answer.

httpx costs a few hundred microseconds of Python per request, which on a 2-core machine is
CPU taken from the servers being measured; this client writes one request and reads one
response (``Content-Length`` or chunked) on connections it keeps open, so the load generator
stays a small share of the machine. One connection per concurrent loop, as a closed loop needs.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import orjson


class HttpError(RuntimeError):
    """A response that is not a 200 with a GraphQL result free of errors."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int
    path: str = "/graphql"


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def post(self, endpoint: Endpoint, body: bytes, headers: str = "") -> tuple[int, bytes]:
        head = (
            f"POST {endpoint.path} HTTP/1.1\r\nHost: {endpoint.host}:{endpoint.port}\r\n"
            f"Content-Type: application/json\r\nAccept: application/json\r\n{headers}"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        length = -1
        chunked = False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            return status, b"".join(parts)
        if length < 0:
            raise HttpError("a response without Content-Length or chunked encoding")
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


class GraphQLClient:
    """Keeps up to ``size`` open connections to one endpoint and posts GraphQL requests on them."""

    def __init__(self, endpoint: Endpoint, size: int) -> None:
        self.endpoint = endpoint
        self._size = size
        self._idle: asyncio.Queue[Connection] = asyncio.Queue()
        self._opened = 0

    async def _open(self) -> Connection:
        self._opened += 1
        try:
            reader, writer = await asyncio.open_connection(self.endpoint.host, self.endpoint.port)
        except OSError:
            self._opened -= 1
            raise
        return Connection(reader, writer)

    async def post_raw(self, body: bytes, headers: str = "") -> tuple[int, bytes]:
        """``headers``: more header lines, each ending in CRLF (``authorization: Bearer ...\\r\\n``)."""
        reused = not (self._idle.empty() and self._opened < self._size)
        connection = await self._idle.get() if reused else await self._open()
        try:
            answer = await connection.post(self.endpoint, body, headers)
        except (ConnectionError, asyncio.IncompleteReadError):
            connection.close()
            self._opened -= 1
            if not reused:
                raise
            # A kept-alive connection the server closed while idle: retry once on a fresh one,
            # as HTTP clients do for idempotent requests.
            connection = await self._open()
            try:
                answer = await connection.post(self.endpoint, body, headers)
            except BaseException:
                connection.close()
                self._opened -= 1
                raise
        except BaseException:
            connection.close()
            self._opened -= 1
            raise
        self._idle.put_nowait(connection)
        return answer

    async def execute(self, query: str, variables: dict[str, object], token: str | None = None) -> bytes:
        """Post a request (with ``token`` as its bearer token); return the raw body of a 200
        without ``errors``, raise otherwise."""
        headers = f"Authorization: Bearer {token}\r\n" if token is not None else ""
        status, body = await self.post_raw(orjson.dumps({"query": query, "variables": variables}), headers)
        # A GraphQL error list is a top-level "errors" key: cheaper to look for than to parse.
        if status != 200 or b'"errors"' in body:
            raise HttpError(f"HTTP {status}: {body[:300]!r}")
        return body

    async def result(self, query: str, variables: dict[str, object]) -> dict[str, object]:
        status, body = await self.post_raw(orjson.dumps({"query": query, "variables": variables}))
        decoded = orjson.loads(body)
        if status != 200 or not isinstance(decoded, dict):
            raise HttpError(f"HTTP {status}: {body[:300]!r}")
        return decoded

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get_nowait().close()
