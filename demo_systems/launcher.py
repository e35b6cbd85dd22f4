"""DEMO systems only, not part of the product: start, watch and stop the demo systems of record.

``python -m demo_systems start|stop|status`` runs them for a local session: the ERP database
(a SQLite file, or PostgreSQL through ``scripts/postgres.sh`` with ``--erp postgres``), and
the helpdesk, HR and CRM servers as separate processes on loopback, each on its own port,
waiting until every one answers. The functions below do the same for tests and benchmarks:
start a system on a free port, wait for it, inject latency and faults, read its counters,
stop it.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[1]
POSTGRES_SCRIPT = PROJECT_ROOT / "scripts" / "postgres.sh"
HTTP_SYSTEMS: dict[str, int] = {"helpdesk": 8701, "hr": 8702, "crm": 8703}
PG_USER, PG_PASSWORD = "cg", "cg-local"


class LaunchError(RuntimeError):
    """A demo system did not start or did not become ready."""


@dataclass(slots=True)
class RunningSystem:
    name: str
    port: int
    pid: int
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Starts a command in a session of its own, output to a log, and prints its pid: the process it
# starts outlives this one and is not our child, so nothing of ours waits for it or reaps it.
DAEMONIZE = """
import subprocess, sys
log = open(sys.argv[1], "ab")
process = subprocess.Popen(
    sys.argv[2:], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
)
print(process.pid)
"""


def start_system(
    name: str, port: int, *, preset: str, seed: int, log_path: Path | None = None, detach: bool = False
) -> RunningSystem:
    """Start ``python -m demo_systems.<name>`` on ``port``; does not wait for it (see wait_ready).

    A ``detach``-ed system keeps running after we exit (``python -m demo_systems start``);
    otherwise it is our child, for tests and benchmarks to stop.
    """
    if name not in HTTP_SYSTEMS:
        raise ValueError(f"no demo HTTP system '{name}'; there are {', '.join(HTTP_SYSTEMS)}")
    module = f"demo_systems.{name}"
    command = [sys.executable, "-m", module, "--port", str(port), "--preset", preset, "--seed", str(seed)]
    if detach:
        log = str(log_path) if log_path is not None else os.devnull
        done = subprocess.run(
            [sys.executable, "-c", DAEMONIZE, log, *command],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        if done.returncode != 0:
            raise LaunchError(f"could not start {name}: {done.stderr.strip()}")
        return RunningSystem(name, port, int(done.stdout.strip()), None, log_path)
    output = log_path.open("ab") if log_path is not None else subprocess.DEVNULL
    try:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=output, stderr=subprocess.STDOUT)
    finally:
        if log_path is not None and not isinstance(output, int):
            output.close()
    return RunningSystem(name, port, process.pid, process, log_path)


def wait_ready(systems: list[RunningSystem], timeout: float = 60.0) -> None:
    """Wait until every system answers ``GET /__health``; LaunchError if one dies or is late."""
    deadline = time.monotonic() + timeout
    waiting = list(systems)
    with httpx.Client(timeout=1.0, verify=False) as client:
        while waiting:
            for system in list(waiting):
                if system.process is not None and system.process.poll() is not None:
                    raise LaunchError(f"{system.name} exited with {system.process.returncode}{_log_tail(system)}")
                if system.process is None and not _alive(system.pid):
                    raise LaunchError(f"{system.name} exited{_log_tail(system)}")
                try:
                    if client.get(f"{system.url}/__health").status_code == 200:
                        waiting.remove(system)
                except httpx.TransportError:
                    pass
            if waiting and time.monotonic() > deadline:
                names = ", ".join(system.name for system in waiting)
                raise LaunchError(f"not ready after {timeout:g}s: {names}{_log_tail(waiting[0])}")
            if waiting:
                time.sleep(0.05)


def _log_tail(system: RunningSystem) -> str:
    if system.log_path is None or not system.log_path.exists():
        return ""
    lines = system.log_path.read_text(errors="replace").splitlines()[-15:]
    return "\n" + "\n".join(lines)


def stop_system(system: RunningSystem, timeout: float = 10.0) -> None:
    """Stop a system we started: SIGTERM, then SIGKILL if it lingers."""
    if system.process is not None:
        if system.process.poll() is None:
            system.process.terminate()
            try:
                system.process.wait(timeout)
            except subprocess.TimeoutExpired:
                system.process.kill()
                system.process.wait(timeout)
        return
    try:
        os.kill(system.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(system.pid):
        time.sleep(0.05)
    if _alive(system.pid):
        os.kill(system.pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours still answers kill(0); it is gone for our purposes.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (OSError, IndexError):
        return True


async def control(
    url: str,
    *,
    latency_ms: int | None = None,
    fail: str | bool | None = False,
    fail_count: int | None = None,
    reset: bool = False,
) -> dict[str, object]:
    """Change the test controls of a demo HTTP system (``fail=False`` leaves failures as they are)."""
    change: dict[str, object] = {"reset": reset}
    if latency_ms is not None:
        change["latency_ms"] = latency_ms
    if fail is not False:
        change["fail"] = fail
        change["fail_count"] = fail_count
    async with _loopback_client() as client:
        response = await client.post(f"{url}/__control", json=change)
        response.raise_for_status()
        state: dict[str, object] = response.json()
        return state


async def counts(url: str) -> dict[str, int]:
    """The request counters of a demo HTTP system, by endpoint kind."""
    async with _loopback_client() as client:
        response = await client.get(f"{url}/__stats")
        response.raise_for_status()
        found = response.json()["counts"]
    return {str(key): int(value) for key, value in found.items()}


def _loopback_client() -> httpx.AsyncClient:
    # Plain HTTP on loopback: no TLS, so no CA bundle to load (which costs ~80 ms per client).
    return httpx.AsyncClient(timeout=5.0, verify=False)


class DemoFleet:
    """The demo HTTP systems on free loopback ports for as long as the ``with`` block lasts."""

    def __init__(
        self,
        *,
        preset: str = "tiny",
        seed: int = 7,
        names: tuple[str, ...] = tuple(HTTP_SYSTEMS),
        ready_timeout: float = 60.0,
    ) -> None:
        self.preset = preset
        self.seed = seed
        self.names = names
        # A big preset takes the systems a while to generate their records.
        self.ready_timeout = ready_timeout
        self.systems: dict[str, RunningSystem] = {}

    def __enter__(self) -> Self:
        try:
            for name in self.names:
                self.systems[name] = start_system(name, free_port(), preset=self.preset, seed=self.seed)
            wait_ready(list(self.systems.values()), self.ready_timeout)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        for system in self.systems.values():
            stop_system(system)

    def restart(self, name: str) -> RunningSystem:
        """Start a stopped system again on the same port and wait for it."""
        old = self.systems[name]
        stop_system(old)
        self.systems[name] = start_system(name, old.port, preset=self.preset, seed=self.seed)
        wait_ready([self.systems[name]], self.ready_timeout)
        return self.systems[name]

    def url(self, name: str) -> str:
        return self.systems[name].url

    async def set_latency(self, name: str, latency_ms: int) -> None:
        await control(self.url(name), latency_ms=latency_ms)


def postgres(action: str, *, home: Path | None = None, port: int | None = None) -> str:
    """Run ``scripts/postgres.sh <action>`` (start, stop, status) and return what it printed."""
    env = dict(os.environ)
    if home is not None:
        env["CG_PG_HOME"] = str(home)
    if port is not None:
        env["CG_PG_PORT"] = str(port)
    done = subprocess.run(
        ["bash", str(POSTGRES_SCRIPT), action], env=env, capture_output=True, text=True, check=False, timeout=600
    )
    if done.returncode not in (0, 3):
        raise LaunchError(f"scripts/postgres.sh {action} failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def start_postgres(*, home: Path | None = None, port: int | None = None) -> int:
    """Start (or find running) the cluster in ``home``; returns the port it listens on, which is
    the one it already had if it was running."""
    said = postgres("start", home=home, port=port)
    found = re.search(r"127\.0\.0\.1:(\d+)", said)
    if found is None:
        raise LaunchError(f"scripts/postgres.sh start said: {said}")
    return int(found.group(1))


def postgres_dsn(port: int, database: str) -> str:
    return f"postgresql+asyncpg://{PG_USER}:{PG_PASSWORD}@127.0.0.1:{port}/{database}"
