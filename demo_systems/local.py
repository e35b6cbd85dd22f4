"""DEMO systems only, not part of the product: ``python -m demo_systems start|stop|status``.

``start`` seeds the ERP (a SQLite file in ``.local/demo_systems``, or a PostgreSQL database
through ``scripts/postgres.sh`` with ``--erp postgres``), starts the helpdesk, HR and CRM
servers in the background on ports 8701-8703 (``--base-port``), waits until all answer and
prints the environment that points ``sources.toml`` at them. It is idempotent: systems that
already run are left alone. ``stop`` stops the servers it started (by the pids it wrote);
``status`` says what runs. Use the same preset and seed as the graph (``CG_DEMO_PRESET``,
default ``demo``, seed 7) so the keys line up.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from pathlib import Path

import httpx

from demo_systems.erp import seed_erp
from demo_systems.launcher import (
    HTTP_SYSTEMS,
    PROJECT_ROOT,
    RunningSystem,
    postgres,
    postgres_dsn,
    start_system,
    stop_system,
    wait_ready,
)

STATE = PROJECT_ROOT / ".local" / "demo_systems"
PG_PORT = 55432
URL_VARIABLES = {"helpdesk": "CG_HELPDESK_URL", "hr": "CG_HR_URL", "crm": "CG_CRM_URL"}
URL_SUFFIX = {"crm": "/graphql"}


def _pid_file(name: str) -> Path:
    return STATE / f"{name}.pid"


def _recorded(name: str) -> RunningSystem | None:
    try:
        pid_text, port_text = _pid_file(name).read_text().split()
        pid, port = int(pid_text), int(port_text)
    except (OSError, ValueError):
        return None
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None
    # A recycled pid belongs to someone else: only a process running our module is ours.
    if f"demo_systems.{name}" not in command:
        return None
    return RunningSystem(name, port, pid, log_path=STATE / f"{name}.log")


def _healthy(system: RunningSystem) -> bool:
    try:
        return httpx.get(f"{system.url}/__health", timeout=1.0, verify=False).status_code == 200
    except httpx.TransportError:
        return False


def start(preset: str, seed: int, erp: str, base_port: int) -> int:
    STATE.mkdir(parents=True, exist_ok=True)
    if erp == "postgres":
        print(postgres("start"))
        dsn = postgres_dsn(PG_PORT, "erp_demo")
    else:
        dsn = f"sqlite+aiosqlite:///{STATE / 'erp.sqlite'}"
    seeded = asyncio.run(seed_erp(dsn, preset, seed))
    print(f"erp: {'seeded' if seeded else 'already seeded'} at {dsn}")
    started: list[RunningSystem] = []
    running: list[RunningSystem] = []
    for offset, name in enumerate(HTTP_SYSTEMS):
        current = _recorded(name)
        if current is not None and _healthy(current):
            running.append(current)
            continue
        log_path = STATE / f"{name}.log"
        system = start_system(name, base_port + offset, preset=preset, seed=seed, log_path=log_path, detach=True)
        _pid_file(name).write_text(f"{system.pid} {system.port}\n")
        started.append(system)
    wait_ready(started)
    for system in sorted([*started, *running], key=lambda item: item.port):
        state = "started" if system in started else "already running"
        print(f"{system.name}: {state} at {system.url} (pid {system.pid})")
    print("\nPoint sources.toml at them (these are its defaults when the ERP is the SQLite file):")
    print(f"export CG_ERP_DSN='{dsn}'")
    for system in sorted([*started, *running], key=lambda item: item.port):
        print(f"export {URL_VARIABLES[system.name]}='{system.url}{URL_SUFFIX.get(system.name, '')}'")
    return 0


def stop() -> int:
    for name in HTTP_SYSTEMS:
        system = _recorded(name)
        if system is None:
            print(f"{name}: not running")
        else:
            stop_system(system)
            print(f"{name}: stopped (pid {system.pid})")
        _pid_file(name).unlink(missing_ok=True)
    return 0


def status() -> int:
    down = 0
    for name in HTTP_SYSTEMS:
        system = _recorded(name)
        if system is not None and _healthy(system):
            print(f"{name}: running at {system.url} (pid {system.pid})")
        else:
            down += 1
            print(f"{name}: not running")
    return 0 if down == 0 else 3


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo_systems", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start_command = commands.add_parser("start", help="seed the ERP, start the demo servers, wait until ready")
    start_command.add_argument("--preset", default="demo", help="demo company preset, as the graph's (default demo)")
    start_command.add_argument("--seed", type=int, default=7)
    start_command.add_argument("--erp", choices=["sqlite", "postgres"], default="sqlite")
    start_command.add_argument("--base-port", type=int, default=min(HTTP_SYSTEMS.values()))
    commands.add_parser("stop", help="stop the demo servers")
    commands.add_parser("status", help="say which demo servers run")
    args = parser.parse_args(argv)
    if args.command == "start":
        return start(args.preset, args.seed, args.erp, args.base_port)
    if args.command == "stop":
        return stop()
    return status()
