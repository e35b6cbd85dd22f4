"""The graph every benchmark reads: the `bench` demo preset in its own embedded Neo4j.

``ensure_bench_graph()`` starts (or reuses) an embedded Neo4j kept in ``.local/bench-neo4j``
on port 7688 and loads the preset once; later runs find it loaded and start in seconds. With
``CG_BENCH_NEO4J_URI`` set it uses that server instead (and loads it if it is empty). A lock
file keeps two benchmarks from loading at the same time.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from pathlib import Path

from demo_company.company import PRESETS, DemoCompany, demo_stream
from graph.constraints import apply_schema
from graph.counts import graph_counts
from graph.driver import open_driver
from graph.load.loader import BulkLoader
from graph.load.rows import ROW_KINDS
from graph.serves import refresh_serves
from server import local_neo4j
from server.gc_tuning import rare_collections
from server.progress import LoadProgress, format_report
from server.settings import PROJECT_ROOT

BENCH_HOME = PROJECT_ROOT / ".local" / "bench-neo4j"
BENCH_PORT = 7688
WIPE = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"


def bench_uri() -> str:
    given = os.environ.get("CG_BENCH_NEO4J_URI")
    if given:
        return given
    current = local_neo4j.running(BENCH_HOME)
    if current is not None:
        return current.uri
    local = local_neo4j.start(BENCH_HOME, BENCH_PORT, heap_mb=4096, page_cache_mb=6144)
    return local.uri


async def _load_if_needed(uri: str, preset: str) -> None:
    company = DemoCompany(PRESETS[preset])
    driver = open_driver(uri, "neo4j", os.environ.get("CG_BENCH_NEO4J_PASSWORD", ""))
    try:
        await apply_schema(driver, "neo4j")
        counts = await graph_counts(driver, "neo4j")
        wanted = {"Customer": company.count("customer"), "Interaction": company.count("interaction")}
        if all(counts.nodes.get(label) == number for label, number in wanted.items()):
            records, _, _ = await driver.execute_query("RETURN EXISTS { ()-[:SERVES]->() } AS derived")
            if not records[0]["derived"]:  # loaded before the loader kept SERVES
                print("bench graph: deriving the SERVES relationships (once; a minute or two)", flush=True)
                await refresh_serves(driver, "neo4j")
            return
        print(f"bench graph: loading the '{preset}' preset into {uri} (once; several minutes)", flush=True)
        if counts.total_nodes:
            async with driver.session(database="neo4j") as session:
                await (await session.run(WIPE)).consume()
        progress = LoadProgress({kind.name: company.count(kind.name) for kind in ROW_KINDS})
        loader = BulkLoader(driver, "neo4j", batch_size=10_000, on_progress=progress)
        with rare_collections():
            report = await loader.load(demo_stream(company))
        progress.close()
        print(format_report(report), flush=True)
    finally:
        await driver.close()


def ensure_bench_graph(preset: str = "bench") -> str:
    """The Bolt URI of a Neo4j holding the preset, loading it first if needed."""
    uri = bench_uri()
    BENCH_HOME.mkdir(parents=True, exist_ok=True)
    with Path(BENCH_HOME / "load.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        asyncio.run(_load_if_needed(uri, preset))
    return uri


if __name__ == "__main__":
    print(ensure_bench_graph())
