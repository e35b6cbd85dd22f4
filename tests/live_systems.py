"""Real demo systems of record for every suite that reads live sources (a pytest plugin).

- ``pg``: a PostgreSQL cluster of the test session's own (``scripts/postgres.sh``, in
  ``.local/postgres-test/session-<pid>``, a free port, removed at the end), shared by the source
  tests and the GraphQL ones.
- ``live_systems``: the helpdesk, HR and CRM servers as subprocesses on free loopback ports and
  the ERP seeded in SQLite and in PostgreSQL, all generated from the same demo company as the
  ``demo_graph`` fixture (the ``small`` preset, seed 7), so the graph's ids and ``ExternalId``
  keys find their records; ``live_registry`` opens the shipped ``sources.toml`` pointed at them.
- ``ServerCount`` and friends: round trips counted by the systems themselves (their HTTP
  counters, PostgreSQL's ``pg_stat_statements``, SQLite's statement trace), never by our code.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util.concurrency import await_

from demo_systems.erp import erp_statement_count, seed_erp, set_erp_faults
from demo_systems.launcher import (
    PROJECT_ROOT,
    DemoFleet,
    control,
    counts,
    free_port,
    postgres,
    postgres_dsn,
    start_postgres,
)
from server.sources_config import DEFAULT_SOURCES_FILE, SourceRegistry
from sources.config import load_sources
from sources.sql import SqlSource

PG_HOME = PROJECT_ROOT / ".local" / "postgres-test"
# The company of tests/conftest.py's demo_graph.
LIVE_PRESET, LIVE_SEED = "small", 7
# Which demo system answers each configured source.
SYSTEM_OF = {"helpdesk": "helpdesk", "helpdesk_customers": "helpdesk", "hr": "hr", "crm": "crm"}


@dataclass(slots=True)
class Postgres:
    port: int
    home: Path

    def dsn(self, database: str) -> str:
        return postgres_dsn(self.port, database)

    def stop(self) -> None:
        postgres("stop", home=self.home, port=self.port)

    def start(self) -> None:
        self.port = start_postgres(home=self.home, port=self.port)


@pytest.fixture(scope="session")
def pg() -> Iterator[Postgres]:
    # A cluster per test session: two sessions at once (two people on one machine) must not
    # stop or restart each other's database.
    cluster = Postgres(free_port(), PG_HOME / f"session-{os.getpid()}")
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.home, ignore_errors=True)


@dataclass(slots=True)
class LiveSystems:
    fleet: DemoFleet
    erp_dsns: dict[str, str]
    erp_engines: dict[str, AsyncEngine]

    def environ(self, erp: str = "sqlite") -> dict[str, str]:
        """The variables that point the shipped ``sources.toml`` at these systems."""
        return {
            "CG_ERP_DSN": self.erp_dsns[erp],
            "CG_HELPDESK_URL": self.fleet.url("helpdesk"),
            "CG_HR_URL": self.fleet.url("hr"),
            "CG_CRM_URL": self.fleet.url("crm") + "/graphql",
        }

    def url(self, source: str) -> str:
        return self.fleet.url(SYSTEM_OF[source])

    async def set_latency(self, latency_ms: int) -> None:
        """Every system answers ``latency_ms`` late (the ERP only on PostgreSQL, its gate's job)."""
        await asyncio.gather(*(control(self.fleet.url(name), latency_ms=latency_ms) for name in self.fleet.systems))
        for engine in self.erp_engines.values():
            await set_erp_faults(engine, latency_ms=latency_ms)

    async def reset(self) -> None:
        """No latency, no faults, zeroed counters, everywhere."""
        await asyncio.gather(*(control(self.fleet.url(name), reset=True) for name in self.fleet.systems))
        for engine in self.erp_engines.values():
            await set_erp_faults(engine)


@pytest.fixture(scope="session")
async def live_systems(pg: Postgres, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveSystems]:
    dsns = {
        "sqlite": f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('erp-live') / 'erp.sqlite'}",
        "postgres": pg.dsn("erp_live"),
    }
    fleet = DemoFleet(preset=LIVE_PRESET, seed=LIVE_SEED)
    starting = asyncio.create_task(asyncio.to_thread(fleet.__enter__))
    try:
        for dsn in dsns.values():
            await seed_erp(dsn, LIVE_PRESET, LIVE_SEED)
    finally:
        await starting
    engines = {erp: create_async_engine(dsn, pool_pre_ping=True) for erp, dsn in dsns.items()}
    try:
        yield LiveSystems(fleet, dsns, engines)
    finally:
        for engine in engines.values():
            await engine.dispose()
        await asyncio.to_thread(fleet.close)


OpenRegistry = Callable[..., AbstractAsyncContextManager[SourceRegistry]]


@pytest.fixture
async def live_registry(live_systems: LiveSystems) -> OpenRegistry:
    """``async with live_registry(erp="postgres", timeout_s=0.3) as sources``: the shipped sources,
    pointed at the live systems, cache off unless asked, with resilience overrides. The systems
    start the test without latency, faults or counts."""
    await live_systems.reset()

    @asynccontextmanager
    async def open_registry(erp: str = "sqlite", **resilience: object) -> AsyncIterator[SourceRegistry]:
        config = load_sources(DEFAULT_SOURCES_FILE, live_systems.environ(erp))
        resilience = {"cache_ttl_s": 0, **resilience}
        changed = {
            name: entry.model_copy(update={"resilience": entry.resilience.model_copy(update=resilience)})
            for name, entry in config.sources.items()
        }
        async with SourceRegistry.from_config(config.model_copy(update={"sources": changed})) as registry:
            yield registry

    return open_registry


def sources_file_with(folder: Path, environ: dict[str, str], **resilience: float) -> Path:
    """A copy of the shipped ``sources.toml`` in ``folder`` whose sources all take ``resilience``
    (e.g. ``cache_ttl_s=0``), for a server started with ``CG_SOURCES_FILE``."""
    text = DEFAULT_SOURCES_FILE.read_text()
    for name, value in resilience.items():
        text = re.sub(rf"\b{name} = [0-9.]+", f"{name} = {value}", text)
    copy = folder / "sources.toml"
    copy.write_text(text)
    for source in load_sources(copy, environ).sources.values():
        assert all(getattr(source.resilience, name) == value for name, value in resilience.items()), source
    return copy


class ServerCount:
    """Lookups counted by the system itself: its HTTP counters, or the database's statements."""

    def __init__(self, read: Callable[[], Awaitable[int]]) -> None:
        self._read = read
        self._base = 0

    async def total(self) -> int:
        return await self._read()

    async def start(self) -> None:
        self._base = await self._read()

    async def since_start(self) -> int:
        return await self._read() - self._base


def http_count(url: str, counter: str = "lookup") -> ServerCount:
    async def read() -> int:
        return (await counts(url)).get(counter, 0)

    return ServerCount(read)


def sqlite_count(source: SqlSource, relation: str) -> ServerCount:
    """Statements the SQLite engine ran on this source's connections (its trace callback)."""
    statements: list[str] = []

    @event.listens_for(source.engine.sync_engine, "connect")
    def trace(dbapi_connection: object, _record: object) -> None:
        await_(dbapi_connection.driver_connection.set_trace_callback(statements.append))  # type: ignore[attr-defined]

    async def read() -> int:
        return sum(1 for statement in statements if f"FROM {relation}" in statement)

    return ServerCount(read)


def pg_count(engine: AsyncEngine, relation: str) -> ServerCount:
    """Statements PostgreSQL completed on ``relation`` (pg_stat_statements)."""

    async def read() -> int:
        return await erp_statement_count(engine, relation)

    return ServerCount(read)
