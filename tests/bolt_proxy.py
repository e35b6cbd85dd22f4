"""A TCP proxy in front of Neo4j that counts the Bolt RUN messages passing through it.

``tests/bolt_counter.py`` counts what a driver in the test's own process sends; a server
running in another process needs counting on the wire. The proxy forwards bytes both ways
unchanged and reads the client's side of each connection as Bolt frames it: the 20-byte
opening (magic and version proposals), the version and capabilities a manifest-style
handshake (Bolt 5.7+) adds, then chunked messages, each a PackStream structure whose
signature byte names it (``0x10`` is RUN: one per Cypher statement).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

RUN = 0x10
_OPENING = 20  # magic (4) and four version proposals (4 each)
_MANIFEST = 0xFF


class BoltProxy:
    """``with BoltProxy(port) as proxy``: listen on ``proxy.port``, forward to Neo4j, count RUNs."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self._target = (target_host, target_port)
        self._runs = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="bolt-proxy", daemon=True)
        self._server: asyncio.Server
        self.port = 0

    @property
    def runs(self) -> int:
        with self._lock:
            return self._runs

    def __enter__(self) -> BoltProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the Bolt proxy did not start")
        return self

    def __exit__(self, *_: object) -> None:
        # Close every connection and end every task on the proxy's loop before stopping it, so
        # no stream is left for the garbage collector to find unclosed in some later test.
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._connection, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            # A connection accepted after the shutdown's last look still has its task: end it here,
            # so no connection coroutine is left for the collector to find suspended.
            left = asyncio.all_tasks(self._loop)
            for task in left:
                task.cancel()
            if left:
                self._loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
            self._loop.close()

    async def _shutdown(self) -> None:
        self._server.close()
        # A connection accepted just before the close gets its task a loop turn later, after a
        # first look at the tasks: keep ending them until a turn finds none left.
        for _ in range(100):
            await asyncio.sleep(0)
            others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            if not others:
                return
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)

    async def _connection(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        writers = [client_writer]
        try:
            server_reader, server_writer = await asyncio.open_connection(*self._target)
            writers.append(server_writer)
            manifest: asyncio.Future[bool] = self._loop.create_future()
            pumps = [
                asyncio.create_task(self._client_side(client_reader, server_writer, manifest)),
                asyncio.create_task(self._server_side(server_reader, client_writer, manifest)),
            ]
            try:
                # When one side ends (its peer closed), the other is stopped: nothing waits on a
                # connection that is gone.
                await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in pumps:
                    task.cancel()
                await asyncio.gather(*pumps, return_exceptions=True)
        except (OSError, asyncio.CancelledError):
            pass  # Neo4j unreachable, or the proxy shutting down: the connection just ends
        finally:
            for writer in writers:
                writer.close()
                with contextlib.suppress(OSError, asyncio.CancelledError):
                    await writer.wait_closed()

    async def _server_side(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, manifest: asyncio.Future[bool]
    ) -> None:
        try:
            response = await reader.readexactly(4)
            manifest.set_result(response[-1] == _MANIFEST)
            writer.write(response)
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if not manifest.done():
                manifest.set_result(False)

    async def _client_side(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, manifest: asyncio.Future[bool]
    ) -> None:
        try:
            writer.write(await reader.readexactly(_OPENING))
            if await manifest:
                writer.write(await reader.readexactly(4))  # the version chosen
                writer.write(await _varint(reader))  # the capabilities chosen
            starts_message = True
            while True:
                header = await reader.readexactly(2)
                size = int.from_bytes(header, "big")
                chunk = await reader.readexactly(size) if size else b""
                if starts_message and size >= 2 and chunk[1] == RUN:
                    with self._lock:
                        self._runs += 1
                starts_message = size == 0  # an empty chunk ends a message
                writer.write(header + chunk)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass


async def _varint(reader: asyncio.StreamReader) -> bytes:
    data = b""
    while True:
        byte = await reader.readexactly(1)
        data += byte
        if not byte[0] & 0x80:
            return data


@contextlib.contextmanager
def counting_runs(proxy: BoltProxy) -> Iterator[list[int]]:
    """``with counting_runs(proxy) as runs``: ``runs[0]`` is the RUNs sent in the block, once it ends."""
    found = [0]
    before = proxy.runs
    try:
        yield found
    finally:
        found[0] = proxy.runs - before
