"""API benchmark: customer 360 and a list of 50 customers, GraphQL end to end vs the raw driver.

    .venv/bin/python -m bench.api_bench [--concurrency 8] [--duration 15] [--workers 2]

Uses the `bench` preset graph (bench/bench_graph.py loads it once). Starts the real server
(``python -m server.workers``: uvicorn in each worker process, a listening socket each) and
drives it over HTTP from this process with a lean keep-alive client; in the same run,
fetches the same data with hand-written Cypher through the raw async driver. The queries,
samples and Cypher are those of bench/compare_queries.py (which checks that both give the
same data). Prints p50/p99 latency and requests/s for each, and the ratio; writes
bench/results/api.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from neo4j import RoutingControl

from bench.bench_graph import ensure_bench_graph
from bench.compare_queries import Workload, workloads
from bench.http_client import Endpoint, GraphQLClient
from bench.load import Stats, measure
from graph.driver import open_driver
from server.settings import PROJECT_ROOT

RESULTS = Path(__file__).parent / "results"
# The queries of bench/compare_queries.py this benchmark runs, by key, with their names here.
API_WORKLOADS = {"c360": "customer 360", "list50": "list of 50 customers"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(uri: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    # Requests carry no token: the anonymous role is the admin, who reads everything unmasked.
    env = {"CG_AUTH_ANONYMOUS_ROLE": "admin", **os.environ, "NEO4J_URI": uri, "CG_LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "server.workers", "server.main:app", "--port", str(port)]
    command += ["--workers", str(workers)]
    process = subprocess.Popen([*command, "--log-level", "warning"], cwd=PROJECT_ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the API server did not become ready")


async def run(uri: str, port: int, concurrency: int, duration: float) -> list[tuple[Stats, Stats]]:
    driver = open_driver(uri, "neo4j", os.environ.get("CG_BENCH_NEO4J_PASSWORD", ""))
    # A lean keep-alive HTTP client (as wrk would be): the client's own CPU shares the two cores
    # with the server and Neo4j, and it should weigh on the GraphQL side as little as possible.
    client = GraphQLClient(Endpoint("127.0.0.1", port), concurrency)
    options = {"concurrency": concurrency, "duration": duration}
    pairs = []
    try:
        for workload in workloads():
            if workload.key not in API_WORKLOADS:
                continue

            async def graphql(sample: Any, workload: Workload = workload) -> None:
                await client.execute(workload.ours, workload.ours_variables(sample))

            async def cypher(sample: Any, workload: Workload = workload) -> None:
                await driver.execute_query(
                    workload.cypher,
                    workload.cypher_parameters(sample),
                    database_="neo4j",
                    routing_=RoutingControl.READ,
                )

            title = API_WORKLOADS[workload.key]
            gql = await measure(f"{title}: GraphQL over HTTP", graphql, workload.samples, **options)
            raw = await measure(f"{title}: raw driver", cypher, workload.samples, **options)
            print(gql.line(), flush=True)
            print(raw.line(), flush=True)
            pairs.append((gql, raw))
    finally:
        client.close()
        await driver.close()
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument(
        "--workers", type=int, default=2, help="server processes (default 2: one per core, as deployed here)"
    )
    args = parser.parse_args()
    uri = ensure_bench_graph()
    port = free_port()
    server = start_server(uri, port, args.workers)
    try:
        pairs = asyncio.run(run(uri, port, args.concurrency, args.duration))
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"\nload average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; concurrency {args.concurrency}; "
        f"{args.workers} server process(es)"
    )
    results = []
    for gql, raw in pairs:
        ratio = gql.p50 / raw.p50
        print(
            f"{gql.name.split(':')[0]:<24} GraphQL p50 / raw p50 = {ratio:.2f}x (target <= 2x); "
            f"req/s ratio {gql.rps / raw.rps:.2f}"
        )
        results.append(
            {
                "query": gql.name.split(":")[0],
                "graphql": _figures(gql),
                "raw": _figures(raw),
                "p50_ratio": round(ratio, 2),
                "server_processes": args.workers,
                "concurrency": args.concurrency,
            }
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "api.json").write_text(json.dumps(results, indent=2) + "\n")


def _figures(stats: Stats) -> dict[str, float]:
    return {
        "p50_ms": round(stats.p50, 2),
        "p99_ms": round(stats.p99, 2),
        "rps": round(stats.rps, 1),
        "requests": stats.requests,
        "errors": stats.errors,
    }


if __name__ == "__main__":
    main()
