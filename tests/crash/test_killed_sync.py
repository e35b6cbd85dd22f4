"""Real crashes during a sync from the demo systems: the sync process and the database killed.

A sync pulls pages from the systems of record and writes them through the bulk loader, so it
inherits the loader's promise: killed at any point, running it again ends with exactly the
graph of a sync that never stopped.
"""

from __future__ import annotations

from pathlib import Path

from demo_company.company import PRESETS, DemoCompany
from graph.counts import graph_counts
from graph.load.loader import BulkLoader
from graph.load.rows import ROW_KINDS_BY_NAME
from tests.commands import neo4j_variables, run_command, start_command
from tests.crash.waiting import kill_loader_when, kill_neo4j_in_a_batch
from tests.graph.fingerprint import fingerprint
from tests.live_systems import LIVE_PRESET, LIVE_SEED, LiveSystems
from tests.own_neo4j import OwnNeo4j

# What the graph holds before a sync: the company's people and catalogue (the sources hold the rest).
STANDING_KINDS = ("department", "employee", "reports_to", "product")


async def standing_company(own: OwnNeo4j) -> None:
    await own.wipe()
    company = DemoCompany(PRESETS[LIVE_PRESET], LIVE_SEED)
    stream = [
        (ROW_KINDS_BY_NAME[kind], ((f"{kind}#{n}", row) for n, row in enumerate(company.rows(kind))))
        for kind in STANDING_KINDS
    ]
    async with own.driver() as driver:
        report = await BulkLoader(driver, "neo4j").load(stream)
    assert report.rows_rejected == 0


async def graph_of(own: OwnNeo4j) -> object:
    async with own.driver() as driver:
        return await fingerprint(driver)


async def test_a_sync_survives_a_killed_sync_and_a_killed_database(
    own_neo4j: OwnNeo4j, live_systems: LiveSystems, tmp_path: Path
) -> None:
    await live_systems.reset()
    variables = {**neo4j_variables(own_neo4j.uri), **live_systems.environ("postgres")}
    await standing_company(own_neo4j)
    uninterrupted = run_command(["sync"], tmp_path, variables)
    assert uninterrupted.returncode == 0, uninterrupted.stderr
    expected = await graph_of(own_neo4j)
    async with own_neo4j.driver() as driver:
        full = await graph_counts(driver, "neo4j")

    await standing_company(own_neo4j)
    # 1. kill -9 the sync once a third of the orders are in.
    small_batches = {**variables, "CG_LOAD_BATCH_SIZE": "200"}
    sync = start_command(["sync"], tmp_path, small_batches)
    after_sync_killed = await kill_loader_when(own_neo4j, sync, "Order", full.nodes["Order"] // 3)
    assert after_sync_killed.nodes["Order"] < full.nodes["Order"]

    # 2. kill -9 the database in one of the sync's batches, further on, and start it again at once.
    sync = start_command(["sync"], tmp_path, {**variables, "CG_LOAD_BATCH_SIZE": "1000"})
    after_database_killed = await kill_neo4j_in_a_batch(own_neo4j, sync, after_sync_killed.total_nodes)
    own_neo4j.start()
    ridden_out = sync.finish()
    assert ridden_out.returncode in (0, 1), ridden_out.stderr
    assert "Traceback" not in ridden_out.stderr
    if ridden_out.returncode == 1:
        assert "the graph database is unavailable" in ridden_out.stderr

    # 3. Sync again: the graph is the one of the sync that never stopped.
    again = run_command(["sync"], tmp_path, variables)
    assert again.returncode == 0, again.stderr
    assert await graph_of(own_neo4j) == expected
    print(
        f"sync: killed at {after_sync_killed.total_nodes:,} nodes, database killed in a batch at "
        f"{after_database_killed.total_nodes:,} nodes, the sync then exited {ridden_out.returncode}; "
        f"synced again: {full.total_nodes:,} nodes, {full.total_relationships:,} relationships, identical"
    )
