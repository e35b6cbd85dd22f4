"""The demo ERP's seeding and controls, scripts/postgres.sh, and the demo launcher's CLI."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from demo_systems import local
from demo_systems.erp import seed_erp, set_erp_faults
from demo_systems.launcher import HTTP_SYSTEMS, POSTGRES_SCRIPT, PROJECT_ROOT, free_port


async def test_seeding_is_idempotent_and_the_views_answer(tmp_path: Path) -> None:
    dsn = f"sqlite+aiosqlite:///{tmp_path / 'erp.sqlite'}"
    assert await seed_erp(dsn, "tiny", 7) is True
    assert await seed_erp(dsn, "tiny", 7) is False
    assert await seed_erp(dsn, "tiny", 8) is True  # another seed rebuilds
    engine = create_async_engine(dsn)
    try:
        async with engine.connect() as connection:
            status = await connection.scalar(text("SELECT status FROM erp_order_status WHERE order_id = 'O0000001'"))
            assert status in ("PLACED", "IN_PRODUCTION", "PICKING", "SHIPPED", "INVOICED", "CANCELLED")
        await set_erp_faults(engine, fail="malformed")
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT status FROM erp_order_status LIMIT 1")) is None
    finally:
        await engine.dispose()


def run_script(action: str, home: Path, port: int) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "CG_PG_HOME": str(home), "CG_PG_PORT": str(port)}
    return subprocess.run(["bash", str(POSTGRES_SCRIPT), action], env=env, capture_output=True, text=True, check=False)


def test_the_postgres_script_is_idempotent() -> None:
    home, port = PROJECT_ROOT / ".local" / "postgres-script-test", free_port()
    run_script("stop", home, port)
    try:
        first = run_script("start", home, port)
        assert first.returncode == 0, first.stderr
        started = time.perf_counter()
        again = run_script("start", home, port)
        assert again.returncode == 0 and "running on 127.0.0.1:" in again.stdout
        assert time.perf_counter() - started < 2.0
        assert run_script("status", home, port).returncode == 0
    finally:
        assert run_script("stop", home, port).stdout.strip() == "stopped"
    assert run_script("stop", home, port).stdout.strip() == "not running"
    assert run_script("status", home, port).returncode == 3


def test_the_launcher_starts_waits_for_and_stops_every_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(local, "STATE", tmp_path)
    base = free_port()
    while not all(_free(base + offset) for offset in range(len(HTTP_SYSTEMS))):
        base = free_port()
    try:
        assert local.main(["start", "--preset", "tiny", "--base-port", str(base)]) == 0
        for offset in range(len(HTTP_SYSTEMS)):
            assert httpx.get(f"http://127.0.0.1:{base + offset}/__health").status_code == 200
        assert local.main(["start", "--preset", "tiny", "--base-port", str(base)]) == 0
        assert "already running" in capsys.readouterr().out
        assert local.main(["status"]) == 0
    finally:
        assert local.main(["stop"]) == 0
    assert local.main(["status"]) == 3
    assert (tmp_path / "erp.sqlite").exists()


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
