"""Load benchmark: the `bench` demo preset into an empty Neo4j, with throughput and memory.

    .venv/bin/python -m bench.load_bench [--preset bench] [--batch-size 10000] [--prepared]

Starts a fresh, empty embedded Neo4j in a temporary folder (or uses CG_LOAD_BENCH_NEO4J_URI,
which it wipes first),
loads the preset through the same BulkLoader the CLI uses, and prints nodes, relationships
and graph elements per second plus the loader's peak memory (max RSS). Results are also
written to bench/results/load-<preset>.json.

``--prepared`` splits the load in two: every batch is generated, parsed and made first
(``bench/prepared_load.py``, held in memory), then written (``load_prepared``), and the rates are
those of the writing alone. It tells the database's own write rate on this machine from what
the loader's reading and batching costs; the target is for the whole load, as run without it.
Its results go to bench/results/load-<preset>-prepared.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import socket
import tempfile
import time
from pathlib import Path

from bench.load import process_cpu_seconds
from bench.prepared_load import PreparedLoad, PreparingLoader
from demo_company.company import PRESETS, DemoCompany, demo_stream
from graph.constraints import apply_schema
from graph.driver import open_driver
from graph.load.loader import DEFAULT_BATCH_SIZE
from graph.load.rows import ROW_KINDS
from server import local_neo4j
from server.gc_tuning import rare_collections
from server.progress import LoadProgress, format_report

RESULTS = Path(__file__).parent / "results"
WIPE = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"


async def run(
    uri: str,
    preset: str,
    batch_size: int,
    concurrency: int,
    wipe: bool,
    neo4j_pid: int | None = None,
    prepared: bool = False,
) -> dict[str, object]:
    driver = open_driver(uri, "neo4j", os.environ.get("CG_BENCH_NEO4J_PASSWORD", ""))
    try:
        if wipe:
            # CALL ... IN TRANSACTIONS runs only in an auto-commit transaction, not in execute_query's.
            async with driver.session(database="neo4j") as session:
                await (await session.run(WIPE)).consume()
        await apply_schema(driver, "neo4j")
        company = DemoCompany(PRESETS[preset])
        totals = {kind.name: company.count(kind.name) for kind in ROW_KINDS}
        ready: PreparedLoad | None = None
        if prepared:
            preparing = LoadProgress(totals, verb="preparing")
            prepare_cpu = time.process_time()
            with rare_collections():
                ready = PreparingLoader(driver, "neo4j", batch_size=batch_size, on_progress=preparing).prepare(
                    demo_stream(company)
                )
            prepare_cpu = time.process_time() - prepare_cpu
            preparing.close()
        progress = LoadProgress(totals)
        started = time.perf_counter()
        loader_cpu = time.process_time()
        neo4j_cpu = process_cpu_seconds(neo4j_pid, with_children=False) if neo4j_pid else 0.0
        loader = PreparingLoader(driver, "neo4j", batch_size=batch_size, concurrency=concurrency, on_progress=progress)
        with rare_collections():
            report = await (loader.load_prepared(ready) if ready else loader.load(demo_stream(company)))
        seconds = time.perf_counter() - started
        loader_cpu = time.process_time() - loader_cpu
        neo4j_cpu = process_cpu_seconds(neo4j_pid, with_children=False) - neo4j_cpu if neo4j_pid else 0.0
        progress.close()
    finally:
        await driver.close()
    print(format_report(report))
    phases: dict[str, object] = {"mode": "streaming"}
    if ready is not None:
        phases = {
            "mode": "prepared (rates are the writing alone)",
            "batches": ready.batches,
            "prepare_seconds": round(ready.seconds, 1),
            "prepare_cpu_seconds": round(prepare_cpu, 1),
        }
    nodes = sum(kind.nodes_created for kind in report.kinds)
    relationships = sum(kind.relationships_created for kind in report.kinds)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "preset": preset,
        **phases,
        "batch_size": batch_size,
        "concurrency": concurrency,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "rows": report.rows_loaded,
        "rejected": report.rows_rejected,
        "nodes": nodes,
        "relationships": relationships,
        "seconds": round(seconds, 1),
        "nodes_per_second": round(nodes / seconds),
        "relationships_per_second": round(relationships / seconds),
        "elements_per_second": round((nodes + relationships) / seconds),
        "loader_peak_rss_mib": round(peak_mib),
        # CPU time spent, whatever else the machine was doing: what the load costs on each side.
        "loader_cpu_seconds": round(loader_cpu, 1),
        "neo4j_cpu_seconds": round(neo4j_cpu, 1) if neo4j_pid else "n/a",
    }


class _RetryCounter(logging.Handler):
    """Counts transactions the driver retried (deadlocks between concurrent batches)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.retries = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "will be retried" in record.getMessage():
            self.retries += 1


def reference_seconds() -> float:
    """Seconds this machine takes for a fixed pure-Python loop, best of three.

    Shared machines run at different speeds from hour to hour (the same load has taken from
    186 to 272 seconds here); this figure, taken before and after the load, tells a slow
    machine from a slow loader when two results are compared.
    """
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for number in range(10_000_000):
            total += number
        best = min(best, time.perf_counter() - started)
    return round(best, 2)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="bench", choices=sorted(PRESETS))
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--concurrency", type=int, default=2, help="concurrent write transactions")
    parser.add_argument("--prepared", action="store_true", help="make every batch first, then time the writing alone")
    args = parser.parse_args()
    reference_before = reference_seconds()
    retries = _RetryCounter()
    logging.getLogger("neo4j").addHandler(retries)
    given = os.environ.get("CG_LOAD_BENCH_NEO4J_URI")
    if given:
        figures = asyncio.run(
            run(given, args.preset, args.batch_size, args.concurrency, wipe=True, prepared=args.prepared)
        )
    else:
        with tempfile.TemporaryDirectory(prefix="cg-load-bench-") as home:
            local = local_neo4j.start(Path(home), _free_port(), heap_mb=6144, page_cache_mb=6144, bulk_load=True)
            try:
                figures = asyncio.run(
                    run(
                        local.uri,
                        args.preset,
                        args.batch_size,
                        args.concurrency,
                        wipe=False,
                        neo4j_pid=local.pid,
                        prepared=args.prepared,
                    )
                )
            finally:
                local_neo4j.stop(Path(home))
    figures["retried_transactions"] = retries.retries
    figures["reference_loop_seconds"] = f"{reference_before} before, {reference_seconds()} after"
    print()
    for key, value in figures.items():
        print(f"{key:>26}: {value:,}" if isinstance(value, int) else f"{key:>26}: {value}")
    target = 50_000
    if args.prepared:
        print(f"{'target':>26}: {target:,} elements/s, for the whole load: run without --prepared")
    else:
        verdict = "meets" if int(figures["elements_per_second"]) >= target else "MISSES"  # type: ignore[call-overload]
        print(f"{'target':>26}: {target:,} elements/s ({verdict})")
    RESULTS.mkdir(exist_ok=True)
    name = f"load-{args.preset}-prepared.json" if args.prepared else f"load-{args.preset}.json"
    (RESULTS / name).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
