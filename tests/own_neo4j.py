"""A Neo4j of the tests' own, to stop, kill -9 and start again (a pytest plugin).

The session's Neo4j (``neo4j_uri`` in ``tests/conftest.py``) serves every other suite and must
stay up. The crash, outage and command-line tests need one they may take down: ``own_neo4j``
is the project's embedded Neo4j (``server/local_neo4j.py``) in a temporary home on a free
port, started on first use and stopped at the end of the session. ``kill()`` sends SIGKILL to
the JVM by the pid the launcher recorded in its home; ``start()`` brings it back on the same
port with the same data, which Neo4j recovers from its transaction log.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import LiteralString

import pytest
from neo4j import AsyncDriver

from graph.constraints import apply_schema
from graph.driver import open_driver
from server import local_neo4j
from tests.conftest import WIPE_GRAPH
from tests.federation.processes import free_port

# Small enough to sit beside the session's Neo4j and other people's test runs.
HEAP_MB, PAGE_CACHE_MB = 768, 256

# The loader's write statements all unwind a batch given as $rows.
RUNNING_BATCHES: LiteralString = """
SHOW TRANSACTIONS YIELD currentQuery, status
WHERE currentQuery CONTAINS 'UNWIND $rows' AND status = 'Running'
RETURN count(*) AS running
"""


@dataclass(slots=True)
class OwnNeo4j:
    home: Path
    port: int
    heap_mb: int = HEAP_MB
    page_cache_mb: int = PAGE_CACHE_MB

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The JVM's pid as the launcher recorded it, while it runs."""
        current = local_neo4j.running(self.home)
        return current.pid if current is not None else None

    def start(self) -> None:
        local_neo4j.start(self.home, self.port, heap_mb=self.heap_mb, page_cache_mb=self.page_cache_mb)

    def stop(self) -> None:
        local_neo4j.stop(self.home)

    def kill(self) -> int:
        """SIGKILL the JVM (no shutdown, no checkpoint) and wait until it is gone; its pid."""
        pid = self.pid
        assert pid is not None, "the tests' own Neo4j is not running"
        os.kill(pid, signal.SIGKILL)
        if not local_neo4j.reap(pid, timeout=30):  # another process started it: wait for it to go
            deadline = time.monotonic() + 30
            while self.pid is not None and time.monotonic() < deadline:
                time.sleep(0.1)
        assert self.pid is None
        return pid

    @asynccontextmanager
    async def driver(self) -> AsyncIterator[AsyncDriver]:
        """A driver of the test's own on this Neo4j, the model's schema applied."""
        driver = open_driver(self.uri, "neo4j", "")
        try:
            await apply_schema(driver, "neo4j")
            yield driver
        finally:
            await driver.close()

    async def wipe(self) -> None:
        async with self.driver() as driver, driver.session(database="neo4j") as session:
            await (await session.run(WIPE_GRAPH)).consume()


async def running_batches(driver: AsyncDriver) -> int:
    """The loader's write transactions Neo4j is running right now."""
    records, _, _ = await driver.execute_query(RUNNING_BATCHES, database_="neo4j")
    return int(records[0]["running"])


@pytest.fixture(scope="session")
def _own_neo4j_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnNeo4j]:
    own = OwnNeo4j(tmp_path_factory.mktemp("own-neo4j"), free_port())
    try:
        yield own
    finally:
        own.stop()


@pytest.fixture
def own_neo4j(_own_neo4j_home: OwnNeo4j) -> OwnNeo4j:
    """The tests' own Neo4j, running (started again if a test before left it down)."""
    _own_neo4j_home.start()
    return _own_neo4j_home
