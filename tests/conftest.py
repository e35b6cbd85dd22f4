"""Test fixtures shared by every suite: a real Neo4j for the whole session.

Tests never touch NEO4J_URI, which may point at a database someone cares about: they use
CG_TEST_NEO4J_URI when it is set (a throwaway database they will wipe) and otherwise start
the project's embedded Neo4j on a free loopback port in a temporary folder. Without either,
the tests that need Neo4j fail rather than skip.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Iterator
from typing import LiteralString

import pytest
from neo4j import AsyncDriver

from demo_company.company import PRESETS, DemoCompany, demo_stream
from graph.constraints import apply_schema
from graph.driver import open_driver
from graph.load.loader import BulkLoader
from server import local_neo4j

# Demo systems of record and PostgreSQL, for the suites that read live sources; a Neo4j the
# crash, outage and command-line tests may stop and kill.
pytest_plugins = ("tests.live_systems", "tests.own_neo4j")

WIPE_GRAPH: LiteralString = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
DATABASE = "neo4j"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def neo4j_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("CG_TEST_NEO4J_URI")
    if given:
        yield given
        return
    home = tmp_path_factory.mktemp("neo4j")
    local = local_neo4j.start(home, _free_port(), heap_mb=1024, page_cache_mb=512)
    try:
        yield local.uri
    finally:
        local_neo4j.stop(home)


@pytest.fixture(scope="session")
async def driver(neo4j_uri: str) -> AsyncIterator[AsyncDriver]:
    user = os.environ.get("CG_TEST_NEO4J_USER", "neo4j")
    password = os.environ.get("CG_TEST_NEO4J_PASSWORD", "")
    async_driver = open_driver(neo4j_uri, user, password)
    await async_driver.verify_connectivity()
    await apply_schema(async_driver, DATABASE)
    yield async_driver
    await async_driver.close()


# Which demo preset the session's database holds now, so read-only suites load it only once.
_loaded: dict[str, str | None] = {"preset": None}

DEMO_PRESET = "small"
DEMO_SEED = 7


async def wipe(driver: AsyncDriver) -> None:
    # CALL ... IN TRANSACTIONS needs an auto-commit transaction: session.run gives one.
    async with driver.session(database=DATABASE) as session:
        await (await session.run(WIPE_GRAPH)).consume()
    _loaded["preset"] = None


@pytest.fixture
async def empty_graph(driver: AsyncDriver) -> AsyncDriver:
    """The session's driver, on a database emptied for this test."""
    await wipe(driver)
    return driver


async def ensure_demo(driver: AsyncDriver) -> AsyncDriver:
    """The driver, on a database holding the small demo company (loaded unless it already is)."""
    if _loaded["preset"] != DEMO_PRESET:
        await wipe(driver)
        company = DemoCompany(PRESETS[DEMO_PRESET], DEMO_SEED)
        report = await BulkLoader(driver, DATABASE).load(demo_stream(company))
        assert report.rows_rejected == 0, report.rejections[:5]
        _loaded["preset"] = DEMO_PRESET
    return driver


@pytest.fixture
async def demo_graph(driver: AsyncDriver) -> AsyncDriver:
    """The session's driver, on a database holding the small demo company (read-only tests)."""
    return await ensure_demo(driver)
