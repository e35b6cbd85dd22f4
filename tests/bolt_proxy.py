"""A TCP proxy in front of Neo4j that counts the Bolt RUN messages passing through it.

``tests/bolt_counter.py`` counts what a driver in the test's own process sends; a server
running in another process needs counting on the wire. The proxy forwards bytes both ways
unchanged and reads the client's side of each connection as Bolt frames it: the 20-byte
opening (magic and version proposals), the version and capabilities a manifest-style
handshake (Bolt 5.7+) adds, then chunked messages, each a PackStream structure whose
signature byte names it (``0x10`` is RUN: one per Cypher statement).

It runs on plain threads and blocking sockets, and closes every socket it opened before
``with`` ends: nothing of it is left for the garbage collector to find (and warn about)
during some later test, as an event loop's abandoned tasks and streams could be.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import BinaryIO

RUN = 0x10
_OPENING = 20  # magic (4) and four version proposals (4 each)
_MANIFEST = 0xFF
_ACCEPT_POLL_S = 0.2


class BoltProxy:
    """``with BoltProxy(port) as proxy``: listen on ``proxy.port``, forward to Neo4j, count RUNs."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self._target = (target_host, target_port)
        self._runs = 0
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(_ACCEPT_POLL_S)
        self._connections: set[_Connection] = set()
        self._acceptor = threading.Thread(target=self._accept, name="bolt-proxy-accept", daemon=True)
        self.port: int = self._listener.getsockname()[1]

    @property
    def runs(self) -> int:
        with self._lock:
            return self._runs

    def counted(self) -> None:
        with self._lock:
            self._runs += 1

    def __enter__(self) -> BoltProxy:
        self._acceptor.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._closing.set()
        self._acceptor.join(10)
        self._listener.close()
        with self._lock:
            left = list(self._connections)
        for connection in left:
            connection.end()
        for connection in left:
            connection.join(10)

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self._target, timeout=10)
            except OSError:
                client.close()  # Neo4j unreachable: this connection just ends
                continue
            connection = _Connection(self, client, server)
            with self._lock:
                self._connections.add(connection)
            connection.start()

    def forget(self, connection: _Connection) -> None:
        with self._lock:
            self._connections.discard(connection)


class _Connection:
    """One client's connection and Neo4j's, with a thread for each direction."""

    def __init__(self, proxy: BoltProxy, client: socket.socket, server: socket.socket) -> None:
        for side in (client, server):
            side.settimeout(None)
        self._proxy = proxy
        self._client = client
        self._server = server
        self._manifest: bool | None = None
        self._answered = threading.Event()  # Neo4j's first four bytes are in: manifest or not
        self._pumps = [
            threading.Thread(target=self._client_side, name="bolt-proxy-client", daemon=True),
            threading.Thread(target=self._server_side, name="bolt-proxy-server", daemon=True),
        ]
        self._ended = 0
        self._lock = threading.Lock()

    def start(self) -> None:
        for pump in self._pumps:
            pump.start()

    def join(self, timeout: float) -> None:
        for pump in self._pumps:
            pump.join(timeout)

    def end(self) -> None:
        """Wake both directions: a read on either socket returns at once with nothing."""
        for side in (self._client, self._server):
            with contextlib.suppress(OSError):
                side.shutdown(socket.SHUT_RDWR)

    def _pump_ended(self) -> None:
        # When one side ends (its peer closed), the other is stopped: nothing waits on a
        # connection that is gone. The second direction to end closes both sockets.
        self.end()
        self._answered.set()
        with self._lock:
            self._ended += 1
            last = self._ended == len(self._pumps)
        if last:
            self._client.close()
            self._server.close()
            self._proxy.forget(self)

    def _server_side(self) -> None:
        try:
            with self._server.makefile("rb") as reader:
                response = reader.read(4)
                self._manifest = len(response) == 4 and response[-1] == _MANIFEST
                self._answered.set()
                self._client.sendall(response)
                while data := reader.read1(65536):
                    self._client.sendall(data)
        except OSError:
            pass
        finally:
            self._pump_ended()

    def _client_side(self) -> None:
        try:
            with self._client.makefile("rb") as reader:
                self._forward_frames(reader)
        except (OSError, EOFError):
            pass
        finally:
            self._pump_ended()

    def _forward_frames(self, reader: BinaryIO) -> None:
        send = self._server.sendall
        send(_exactly(reader, _OPENING))
        self._answered.wait()
        if self._manifest:
            send(_exactly(reader, 4))  # the version chosen
            send(_varint(reader))  # the capabilities chosen
        starts_message = True
        while True:
            header = _exactly(reader, 2)
            size = int.from_bytes(header, "big")
            chunk = _exactly(reader, size) if size else b""
            if starts_message and size >= 2 and chunk[1] == RUN:
                self._proxy.counted()
            starts_message = size == 0  # an empty chunk ends a message
            send(header + chunk)


def _exactly(reader: BinaryIO, size: int) -> bytes:
    data = reader.read(size)
    if len(data) < size:
        raise EOFError
    return data


def _varint(reader: BinaryIO) -> bytes:
    data = b""
    while True:
        byte = _exactly(reader, 1)
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
