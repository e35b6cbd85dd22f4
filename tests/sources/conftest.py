"""Real demo systems for the source tests: HTTP servers as subprocesses, PostgreSQL, SQLite.

The helpdesk, HR and CRM servers run as their own processes on free loopback ports for the
session; PostgreSQL is the tests' own cluster (the ``pg`` fixture of ``tests/live_systems.py``);
the ERP is seeded into it and into a SQLite file. Sources are built from the shipped
``sources.toml``, pointed at these systems through its ``${...}`` variables, with test-sized
resilience settings.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from demo_systems.erp import seed_erp, set_erp_faults
from demo_systems.launcher import DemoFleet, control
from server.sources_config import DEFAULT_SOURCES_FILE, build_source
from sources.config import SourcesFile, load_sources
from sources.guarded import GuardedSource
from tests.live_systems import Postgres

PRESET, SEED = "tiny", 7
ERPS = ("sqlite", "postgres")


@pytest.fixture(scope="session")
def demo_fleet() -> Iterator[DemoFleet]:
    with DemoFleet(preset=PRESET, seed=SEED) as fleet:
        yield fleet


@pytest.fixture(scope="session")
async def erp_dsns(pg: Postgres, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    dsns = {
        "sqlite": f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('erp') / 'erp.sqlite'}",
        "postgres": pg.dsn("erp_test"),
    }
    for dsn in dsns.values():
        await seed_erp(dsn, PRESET, SEED)
    return dsns


@pytest.fixture(scope="session")
def source_configs(demo_fleet: DemoFleet, erp_dsns: dict[str, str]) -> dict[str, SourcesFile]:
    """The shipped sources.toml, once per ERP database, pointed at the test systems."""
    environ = {
        "CG_HELPDESK_URL": demo_fleet.url("helpdesk"),
        "CG_HR_URL": demo_fleet.url("hr"),
        "CG_CRM_URL": demo_fleet.url("crm") + "/graphql",
    }
    return {erp: load_sources(DEFAULT_SOURCES_FILE, {**environ, "CG_ERP_DSN": dsn}) for erp, dsn in erp_dsns.items()}


@pytest.fixture(scope="session")
async def erp_controls(erp_dsns: dict[str, str]) -> AsyncIterator[dict[str, AsyncEngine]]:
    """An engine per ERP database for the tests' own statements (faults, statement counts)."""
    engines = {erp: create_async_engine(dsn, pool_pre_ping=True) for erp, dsn in erp_dsns.items()}
    yield engines
    for engine in engines.values():
        await engine.dispose()


@pytest.fixture
async def clean_systems(demo_fleet: DemoFleet, erp_controls: dict[str, AsyncEngine]) -> None:
    """Every test starts with no latency, no faults and zeroed counters."""
    await asyncio.gather(*(control(demo_fleet.url(name), reset=True) for name in demo_fleet.systems))
    for engine in erp_controls.values():
        await set_erp_faults(engine)


Connect = Callable[..., Awaitable[GuardedSource]]


@pytest.fixture
async def connect(source_configs: dict[str, SourcesFile], clean_systems: None) -> AsyncIterator[Connect]:
    """``await connect("helpdesk", erp="sqlite", retries=0, ...)``: an open source, closed after.

    The demo systems it talks to start without latency, faults or counts.
    """
    opened: list[GuardedSource] = []

    async def make(
        name: str,
        *,
        erp: str = "sqlite",
        lookup: dict[str, object] | None = None,
        page_size: int | None = None,
        **resilience: object,
    ) -> GuardedSource:
        config = source_configs[erp].sources[name]
        changes: dict[str, object] = {"resilience": config.resilience.model_copy(update=resilience)}
        if lookup:
            changes["lookup"] = config.lookup.model_copy(update=lookup)
        if page_size is not None:
            changes["exports"] = {
                kind: spec.model_copy(update={"page_size": page_size}) for kind, spec in config.exports.items()
            }
        source = build_source(name, config.model_copy(update=changes))
        await source.open()
        opened.append(source)
        return source

    yield make
    for source in opened:
        await source.aclose()
