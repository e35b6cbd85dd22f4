"""Real crashes during a load: the loader process and the database JVM killed with SIGKILL.

A load is idempotent (it merges on ids) and writes each batch in one transaction, so neither
a loader killed between two statements nor a Neo4j killed in the middle of a batch may leave
anything that a second run does not complete or correct: after the crashes, loading again
must end with exactly the graph of a load that never stopped (every node and relationship
with all its properties, ``tests/graph/fingerprint.py``).
"""

from __future__ import annotations

from pathlib import Path

from neo4j import AsyncDriver

from graph.counts import graph_counts
from tests.commands import neo4j_variables, run_command, start_command
from tests.conftest import DEMO_PRESET, DEMO_SEED
from tests.crash.waiting import kill_loader_when, kill_neo4j_in_a_batch, uninterrupted_fingerprint
from tests.graph.fingerprint import fingerprint
from tests.own_neo4j import OwnNeo4j

LOAD = ["load", "--preset", DEMO_PRESET, "--seed", str(DEMO_SEED)]


async def test_a_load_survives_a_killed_loader_and_a_killed_database(
    own_neo4j: OwnNeo4j, demo_graph: AsyncDriver, tmp_path: Path
) -> None:
    # The session's demo graph is the same company loaded in one go, never interrupted.
    expected = await uninterrupted_fingerprint(demo_graph)
    full = await graph_counts(demo_graph, "neo4j")
    await own_neo4j.wipe()
    variables = neo4j_variables(own_neo4j.uri)

    # 1. kill -9 the loader once a third of the orders are in.
    loader = start_command([*LOAD, "--batch-size", "500"], tmp_path, variables)
    after_loader_killed = await kill_loader_when(own_neo4j, loader, "Order", full.nodes["Order"] // 3)
    assert 0 < after_loader_killed.total_nodes < full.total_nodes

    # 2. kill -9 the database while one of the loader's batches runs, further on than the first
    # crash, and start it again at once.
    loader = start_command([*LOAD, "--batch-size", "5000"], tmp_path, variables)
    after_database_killed = await kill_neo4j_in_a_batch(own_neo4j, loader, after_loader_killed.total_nodes)
    own_neo4j.start()
    ridden_out = loader.finish()
    # The driver retries a batch whose connection broke for up to 30 s: the loader either rode
    # the restart out or said the graph was unavailable and failed (exit 1), never a traceback.
    assert ridden_out.returncode in (0, 1), ridden_out.stderr
    assert "Traceback" not in ridden_out.stderr
    if ridden_out.returncode == 1:
        assert "the graph database is unavailable" in ridden_out.stderr

    # 3. Load again: the graph is the uninterrupted one, to the last property.
    again = run_command(LOAD, tmp_path, variables)
    assert again.returncode == 0, again.stderr
    async with own_neo4j.driver() as driver:
        assert await fingerprint(driver) == expected
    print(
        f"load: loader killed at {after_loader_killed.total_nodes:,} nodes, database killed in a batch at "
        f"{after_database_killed.total_nodes:,} nodes, the load then exited {ridden_out.returncode}; "
        f"loaded again: {full.total_nodes:,} nodes, {full.total_relationships:,} relationships, identical"
    )
