"""``python -m server.workers``: processes with their own sockets share the connections, and stop together."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from server.settings import PROJECT_ROOT

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _pid_over_a_new_connection(port: int) -> int | None:
    try:
        with httpx.Client(timeout=2) as client:  # a client of its own: a new connection each time
            return int(client.get(f"http://127.0.0.1:{port}/pid").text)
    except httpx.TransportError:
        return None


def test_workers_each_take_connections_and_stop_together_on_sigterm() -> None:
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "server.workers",
        "tests.server.pid_app:app",
        "--workers",
        "2",
        "--port",
        str(port),
    ]
    launcher = subprocess.Popen([*command, "--log-level", "warning"], cwd=PROJECT_ROOT)
    try:
        pids: set[int] = set()
        deadline = time.monotonic() + 60
        while len(pids) < 2 and time.monotonic() < deadline:
            pid = _pid_over_a_new_connection(port)
            if pid is None:
                time.sleep(0.2)
            else:
                pids.add(pid)
        # Both workers answered: new connections are spread over their sockets, not all on one.
        assert len(pids) == 2
        assert launcher.pid not in pids

        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(timeout=40) == 0
        assert _pid_over_a_new_connection(port) is None
    finally:
        if launcher.poll() is None:
            launcher.kill()


def test_a_worker_that_cannot_start_fails_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "server.workers", "tests.server.pid_app:no_such_factory", "--workers", "2",
         "--port", str(_free_port()), "--log-level", "critical"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "a worker stopped" in done.stderr
