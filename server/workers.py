"""Serve an ASGI app factory from several processes, each with its own listening socket.

    python -m server.workers server.main:app --workers 2 --host 127.0.0.1 --port 8000

``uvicorn --workers`` shares one listening socket between its workers, and the kernel hands
each new connection to whichever worker wakes first: a burst of keep-alive connections (a
proxy's pool, a load generator) can all land on one worker while the others idle. Measured
here with 8 connections and 2 workers: in two of three trials one worker took all 8. Here each
worker binds its own socket to the address with ``SO_REUSEPORT`` (Linux), and the kernel
spreads new connections over the sockets by a hash of the client's address and port.

The factory is built in each worker, with its settings from the environment as
``uvicorn --factory`` would (``customer-graph serve`` hands in a picklable callable instead,
carrying the settings it resolved). Each worker reports once it has started, so the launcher
can say when all of them serve. SIGTERM or SIGINT stops every worker; if one worker dies the
others are stopped and the command fails.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import queue
import signal
import socket
import sys
import time
from collections.abc import Callable, Sequence
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from types import FrameType

import uvicorn

# "module:function" (uvicorn's factory string) or a picklable callable returning the ASGI app.
AppFactory = str | Callable[[], object]
# The largest WebSocket message uvicorn reads before the app sees it (its own default is 16 MiB):
# the service's request body limit (CG_MAX_BODY_BYTES), so a socket carries no more than a POST.
WS_MAX_BYTES = 1_000_000


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` that other processes may bind too (``SO_REUSEPORT``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


class PortInUseError(OSError):
    """Another process listens on the address: workers would share it with that process."""


def ensure_port_free(host: str, port: int) -> None:
    """Raise ``PortInUseError`` if something listens on ``host:port``.

    ``SO_REUSEPORT`` lets any process of the same user bind a port whose sockets all carry the
    option: a second server started by mistake would quietly take half the connections. Bound
    without the option, this probe fails on any port in use.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise PortInUseError(f"{host}:{port} is already in use ({error.strerror})") from None


class _ReportingServer(uvicorn.Server):
    """A uvicorn server that puts its pid on ``ready`` once its app has started and it listens."""

    def __init__(self, config: uvicorn.Config, ready: Queue[int]) -> None:
        super().__init__(config)
        self._ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._ready.put(os.getpid())


def _worker(factory: AppFactory, host: str, port: int, log_level: str, ws_max_bytes: int, ready: Queue[int]) -> None:
    sock = listening_socket(host, port)
    config = uvicorn.Config(
        factory, factory=True, host=host, port=port, log_level=log_level, access_log=False, ws_max_size=ws_max_bytes
    )
    _ReportingServer(config, ready).run(sockets=[sock])


def serve(
    factory: AppFactory,
    *,
    workers: int,
    host: str,
    port: int,
    log_level: str,
    ws_max_bytes: int = WS_MAX_BYTES,
    on_ready: Callable[[list[int]], None] | None = None,
) -> int:
    """Run ``workers`` processes serving ``factory`` until stopped; the exit code of the command.

    ``on_ready`` is called once, with the workers' pids, when every worker serves.
    ``PortInUseError`` if something already listens on the address.
    """
    ensure_port_free(host, port)
    context = multiprocessing.get_context("spawn")
    processes: list[BaseProcess] = []
    ready: Queue[int] = context.Queue()
    started: list[int] = []
    stopping = False

    def stop(_signal: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(workers):
        arguments = (factory, host, port, log_level, ws_max_bytes, ready)
        process = context.Process(target=_worker, args=arguments, daemon=True)
        process.start()
        processes.append(process)
    failed = False
    while not stopping:
        if any(not worker.is_alive() for worker in processes):
            failed = True
            print("server.workers: a worker stopped; stopping the others", file=sys.stderr, flush=True)
            break
        if len(started) < workers:
            started += _drain(ready)
            if len(started) == workers and on_ready is not None:
                on_ready(sorted(started))
        time.sleep(0.2)
    for worker in processes:
        if worker.is_alive():
            worker.terminate()  # uvicorn shuts down gracefully on SIGTERM
    for worker in processes:
        worker.join(timeout=30)
        if worker.is_alive():
            worker.kill()
    return 1 if failed else 0


def _drain(ready: Queue[int]) -> list[int]:
    pids: list[int] = []
    while True:
        try:
            pids.append(ready.get_nowait())
        except queue.Empty:
            return pids


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.workers", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("factory", help="module:function returning the ASGI app, e.g. server.main:app")
    parser.add_argument("--workers", type=int, default=2, help="processes to run (default 2)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    parser.add_argument(
        "--ws-max-bytes",
        type=int,
        default=WS_MAX_BYTES,
        help=f"the largest WebSocket message a worker reads (default {WS_MAX_BYTES:,}, as CG_MAX_BODY_BYTES)",
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if not hasattr(socket, "SO_REUSEPORT"):
        parser.error("this platform has no SO_REUSEPORT; use uvicorn --workers instead")

    def announce(pids: list[int]) -> None:
        print(f"server.workers: {len(pids)} workers serve http://{args.host}:{args.port}", flush=True)

    try:
        return serve(
            args.factory,
            workers=args.workers,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            ws_max_bytes=args.ws_max_bytes,
            on_ready=announce,
        )
    except PortInUseError as error:
        print(f"server.workers: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
