"""Benchmark this service against its peers on one Neo4j and one data set, with a report and charts.

    .venv/bin/python -m bench.compare [--duration 10] [--concurrency 8] [--workers 1] [--only point,c360]
        [--systems ours] [--baseline COMMIT_OR_FOLDER]
    make bench [BENCH_ARGS="--systems ours --baseline d6c5f51"]

1. Reuses the `bench` preset graph (bench/bench_graph.py loads it only if it is missing).
2. Installs the peers (scripts/install_bench_peers.sh: @neo4j/graphql from the committed npm lock,
   APOC core for it from Maven Central) and starts, each in its own process on loopback: this
   service (uvicorn), the naive strawberry server (bench/naive) and @neo4j/graphql (@apollo/server).
3. Checks that every system returns the same data for a sample of each query (loudly if not).
4. Runs each query against each system and the raw driver, one after the other: warm-up, then
   a fixed duration at fixed concurrency, errors counted; records the load average around each.
5. Writes bench/results/compare.md, compare.json and the PNG charts.

Every server runs ``--workers`` processes (default 2, one per core): uvicorn workers for this
service and the naive peer, node:cluster workers for @neo4j/graphql.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from neo4j import READ_ACCESS, RoutingControl

from bench import report
from bench.bench_graph import BENCH_HOME, ensure_bench_graph
from bench.compare_queries import Workload, workloads
from bench.http_client import Endpoint, GraphQLClient
from bench.load import Stats, measure, process_cpu_seconds
from bench.systems import BASELINE, LABELS, NAIVE, OURS, PEER, PEER_DIR, RAW, Server, prepare_peers, start_servers
from graph.counts import graph_counts
from graph.driver import open_driver
from graph.row_rules import UNRESTRICTED
from server import local_neo4j
from server.settings import PROJECT_ROOT

RESULTS = Path(__file__).parent / "results"
CHECK_SAMPLES = 5


def _load() -> float:
    return os.getloadavg()[0]


def _describe(value: Any) -> str:
    text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return text if len(text) < 300 else text[:300] + "..."


def _difference(left: Any, right: Any, path: str = "") -> str:
    """Where two canonical answers first differ, as a path and both values."""
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right)):
            if left.get(key) != right.get(key):
                return _difference(left.get(key), right.get(key), f"{path}.{key}")
    elif isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return f"{path}: {len(left)} items != {len(right)} items"
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            if a != b:
                return _difference(a, b, f"{path}[{index}]")
    return f"{path or 'answer'}: {_describe(left)} != {_describe(right)}"


async def _check(
    workload: Workload, clients: dict[str, GraphQLClient], driver: Any, systems: list[str]
) -> tuple[list[str], list[str]]:
    """Ask every system the first samples and compare the canonical answers with the raw driver's."""
    mismatches: list[str] = []
    compared = 0
    for sample in workload.samples[:CHECK_SAMPLES]:
        answers: dict[str, Any] = {}
        records, _, _ = await driver.execute_query(
            UNRESTRICTED.compile(workload.cypher),
            workload.cypher_parameters(sample),
            database_="neo4j",
            routing_=RoutingControl.READ,
        )
        answers[RAW] = workload.canonical_raw(records) if records else None
        for system in systems:
            if system == RAW:
                continue
            client = clients[system]
            if system == PEER:
                body = await client.result(workload.peer, workload.peer_variables(sample))
                canonical = workload.canonical_peer
            else:
                body = await client.result(workload.ours, workload.ours_variables(sample))
                canonical = workload.canonical_ours
            if body.get("errors"):
                mismatches.append(f"{workload.title} / {LABELS[system]} / {sample}: errors {_describe(body['errors'])}")
                continue
            answers[system] = canonical(body["data"])
        for system, answer in answers.items():
            if answer != answers[RAW]:
                mismatches.append(
                    f"{workload.title} / {LABELS[system]} vs raw driver / sample {sample}: "
                    + _difference(answer, answers[RAW])
                )
        compared += 1
    names = ", ".join(LABELS[s] for s in systems)
    checks = [f"{workload.title}: {compared} samples, {names} against the raw driver: " + (
        "same data" if not mismatches else f"{len(mismatches)} MISMATCH(ES)"
    )]  # fmt: skip
    return checks, mismatches


async def _run(uri: str, servers: dict[str, Server], chosen: list[Workload], systems: list[str], args: Any) -> Any:
    run = report.Run(
        started=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        settings={
            "command": " ".join(["python -m bench.compare", *sys.argv[1:]]),
            "concurrency": args.concurrency,
            "duration": args.duration,
            "warmup": args.warmup,
            "rounds": args.rounds,
            "workers": args.workers,
        },
        environment=await _environment(uri),
        mappings={w.key: w.peer_mapping for w in chosen},
    )
    driver = open_driver(uri, "neo4j", os.environ.get("CG_BENCH_NEO4J_PASSWORD", ""))
    # The bench Neo4j's process, when it is the local one (not a server given by URI).
    neo4j = local_neo4j.running(BENCH_HOME) if not os.environ.get("CG_BENCH_NEO4J_URI") else None
    clients = {
        name: GraphQLClient(Endpoint("127.0.0.1", server.port), args.concurrency) for name, server in servers.items()
    }
    try:
        for workload in chosen:
            checks, mismatches = await _check(workload, clients, driver, systems)
            run.checks += checks
            run.mismatches += mismatches
            for line in mismatches:
                print(f"!!! MISMATCH: {line}", file=sys.stderr, flush=True)
        for workload in chosen:
            # Rounds in alternating order (A B C, C B A, ...), each a share of the duration, so
            # that a change of load on the shared machine during a query weighs on every system.
            parts: dict[str, list[report.Measured]] = {system: [] for system in systems}
            for round_ in range(args.rounds):
                for system in systems if round_ % 2 == 0 else systems[::-1]:
                    meters = _cpu_meters(system, servers, neo4j)
                    parts[system].append(await _measure(workload, system, clients, driver, args, meters))
            for system in systems:
                item = _combined(parts[system])
                run.measured.append(item)
                print(f"{item.stats.line()}  load {item.load_before:.2f}->{item.load_after:.2f}", flush=True)
                if item.first_error:
                    print(f"    first error: {item.first_error}", flush=True)
    finally:
        for client in clients.values():
            client.close()
        await driver.close()
    run.environment["load_end"] = f"{_load():.2f}"
    return run


def _combined(parts: list[report.Measured]) -> report.Measured:
    first = parts[0]
    stats = Stats(first.stats.name)
    for part in parts:
        stats.latencies_ms += part.stats.latencies_ms
        stats.errors += part.stats.errors
        stats.seconds += part.stats.seconds
        for meter, seconds in part.stats.cpu_seconds.items():
            stats.cpu_seconds[meter] = stats.cpu_seconds.get(meter, 0.0) + seconds
    error = next((part.first_error for part in parts if part.first_error), None)
    loads = [part.load_before for part in parts] + [part.load_after for part in parts]
    return report.Measured(first.workload, first.title, first.system, stats, min(loads), max(loads), error)


def _cpu_meters(system: str, servers: dict[str, Server], neo4j: local_neo4j.LocalNeo4j | None) -> dict[str, Any]:
    """What CPU to meter while a system is measured: its server's processes (for the raw driver,
    this benchmark process, where the driver runs) and Neo4j's."""
    meters: dict[str, Any] = {}
    if system == RAW:
        meters[report.SERVICE_CPU] = time.process_time
    elif system in servers:
        pid = servers[system].process.pid
        meters[report.SERVICE_CPU] = lambda: process_cpu_seconds(pid)
    if neo4j is not None:
        meters[report.NEO4J_CPU] = lambda: process_cpu_seconds(neo4j.pid, with_children=False)
    return meters


async def _measure(
    workload: Workload, system: str, clients: dict[str, GraphQLClient], driver: Any, args: Any, meters: dict[str, Any]
) -> Any:
    errors: list[str] = []

    if system == RAW:

        async def call(sample: Any) -> None:
            # The cheapest way through the driver: an auto-commit read, records fully fetched.
            async with driver.session(database="neo4j", default_access_mode=READ_ACCESS) as session:
                result = await session.run(UNRESTRICTED.compile(workload.cypher), workload.cypher_parameters(sample))
                await result.fetch(1_000_000)

    else:
        client = clients[system]
        query = workload.peer if system == PEER else workload.ours
        variables = workload.peer_variables if system == PEER else workload.ours_variables

        async def call(sample: Any) -> None:
            await client.execute(query, variables(sample))

    async def recorded(sample: Any) -> None:
        try:
            await call(sample)
        except Exception as error:
            if not errors:
                errors.append(f"{type(error).__name__}: {str(error)[:300]}")
            raise

    before = _load()
    stats = await measure(
        f"{workload.title}: {LABELS[system]}",
        recorded,
        workload.samples,
        concurrency=args.concurrency,
        warmup=args.warmup,
        duration=args.duration / args.rounds,
        cpu_meters=meters,
    )
    return report.Measured(workload.key, workload.title, system, stats, before, _load(), errors[0] if errors else None)


async def _environment(uri: str) -> dict[str, Any]:
    driver = open_driver(uri, "neo4j", os.environ.get("CG_BENCH_NEO4J_PASSWORD", ""))
    try:
        counts = await graph_counts(driver, "neo4j")
        records, _, _ = await driver.execute_query("CALL dbms.components() YIELD versions RETURN versions[0] AS v")
        neo4j_version = records[0]["v"]
    finally:
        await driver.close()
    lock = orjson.loads((PEER_DIR / "package-lock.json").read_bytes())["packages"]
    peer_versions = ", ".join(
        f"{name} {lock[f'node_modules/{name}']['version']}"
        for name in ("@neo4j/graphql", "@apollo/server", "graphql", "neo4j-driver")
    )
    node = await asyncio.to_thread(_node_version)
    return {
        "graph": ", ".join(f"{count:,} {label}" for label, count in counts.nodes.items() if count) + " nodes",
        "neo4j": neo4j_version,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "node": node,
        "peer_versions": peer_versions,
        "load_start": f"{_load():.2f}",
    }


def _node_version() -> str:
    return subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()


def baseline_checkout(given: str) -> Path:
    """The folder of the baseline's checkout: ``given`` if it is a folder, else that commit unpacked.

    A commit is unpacked with ``git archive`` into ``bench/work/baseline-<hash>`` (once per hash);
    it runs on this checkout's virtualenv, so it must take the same packages.
    """
    folder = Path(given)
    if folder.is_dir():
        return folder
    resolved = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "rev-parse", "--verify", f"{given}^{{commit}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if resolved.returncode != 0:
        raise SystemExit(f"--baseline {given!r} is neither a folder nor a commit of this repository")
    commit = resolved.stdout.strip()
    target = PROJECT_ROOT / "bench" / "work" / f"baseline-{commit[:12]}"
    if not (target / "pyproject.toml").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(PROJECT_ROOT), "archive", commit], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    print(f"baseline: {commit[:12]} in {target}", flush=True)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=float, default=12.0, help="measured seconds per query per system")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds before each round")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per query (duration split)")
    parser.add_argument("--workers", type=int, default=2, help="server processes per system (2 cores: 2)")
    parser.add_argument("--only", default="", help="comma-separated query keys: point,c360,list50,journey,path")
    parser.add_argument("--systems", default=",".join([OURS, NAIVE, PEER, RAW]))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--baseline",
        help="a commit of this repository (hash, tag, branch) or the folder of another checkout: its service "
        "runs too, side by side with this one, on the same graph and queries",
    )
    args = parser.parse_args()

    chosen = [w for w in workloads() if not args.only or w.key in args.only.split(",")]
    systems = [s for s in [OURS, NAIVE, PEER, RAW] if s in args.systems.split(",")]
    baseline = baseline_checkout(args.baseline) if args.baseline else None
    if baseline is not None:
        systems.insert(1, BASELINE)
    # Only @neo4j/graphql needs its packages and APOC; without it any Neo4j holding the graph will do.
    uri = prepare_peers(ensure_bench_graph()) if PEER in systems else ensure_bench_graph()
    started = time.monotonic()
    logs = PROJECT_ROOT / "bench" / "work"
    servers = start_servers(uri, [s for s in systems if s != RAW], args.workers, logs, baseline)
    try:
        run = asyncio.run(_run(uri, servers, chosen, systems, args))
    finally:
        for server in servers.values():
            server.stop()
    path = report.write(run, args.out)
    print(f"\nload average {run.environment['load_start']} -> {run.environment['load_end']} on {os.cpu_count()} cores")
    print("\n".join(report.ratio_rows(run)))
    print(f"\nreport: {path} ({time.monotonic() - started:.0f} s)")
    if run.mismatches:
        print(f"\n!!! {len(run.mismatches)} MISMATCH(ES) between systems: see the report", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
