"""Kill a loading command, or the Neo4j under it, at a chosen point; the graph of a load that never stopped."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from neo4j import AsyncDriver

from graph.counts import GraphCounts, graph_counts
from tests.commands import Started
from tests.graph.fingerprint import fingerprint
from tests.own_neo4j import OwnNeo4j, running_batches

TIMEOUT_S = 240.0

# Fingerprints of the session's graphs, by what they hold: taking one reads the whole graph.
_fingerprints: dict[str, Any] = {}


async def uninterrupted_fingerprint(driver: AsyncDriver, name: str = "demo_graph") -> Any:
    if name not in _fingerprints:
        _fingerprints[name] = await fingerprint(driver)
    return _fingerprints[name]


async def kill_loader_when(own: OwnNeo4j, command: Started, label: str, at_least: int) -> GraphCounts:
    """SIGKILL the command once the graph holds ``at_least`` nodes of ``label``; the counts it left."""
    async with own.driver() as driver:
        deadline = time.monotonic() + TIMEOUT_S
        while (await graph_counts(driver, "neo4j")).nodes.get(label, 0) < at_least:
            _still_running(command, deadline)
            await asyncio.sleep(0.05)
        command.process.kill()
        done = command.finish()
        assert done.returncode == -9, done.stderr
        return await graph_counts(driver, "neo4j")


async def kill_neo4j_in_a_batch(own: OwnNeo4j, command: Started, beyond: int) -> GraphCounts:
    """SIGKILL the Neo4j JVM once the graph holds more than ``beyond`` nodes and Neo4j runs one of
    the command's write batches; the counts seen just before the kill."""
    async with own.driver() as driver:
        deadline = time.monotonic() + TIMEOUT_S
        counts = await graph_counts(driver, "neo4j")
        while counts.total_nodes <= beyond or await running_batches(driver) == 0:
            _still_running(command, deadline)
            await asyncio.sleep(0.02)
            counts = await graph_counts(driver, "neo4j")
    own.kill()
    return counts


def _still_running(command: Started, deadline: float) -> None:
    if command.process.poll() is not None:
        done = command.finish()
        raise AssertionError(f"the command ended before the point to kill it:\n{done.stdout}\n{done.stderr}")
    if time.monotonic() > deadline:
        raise AssertionError("the command did not reach the point to kill it in time")
