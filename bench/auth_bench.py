"""What authentication and the policy's checks cost a small query: tokens vs anonymous, one run.

    .venv/bin/python -m bench.auth_bench [--graph bench|small] [--duration 10] [--concurrency 8] [--workers 2]

One server (``python -m server.workers server.main:app``, development key in a folder of its
own, ``CG_AUTH_ANONYMOUS_ROLE=admin``) answers the same small query, an order by id with its
customer's name, asked five ways in alternating rounds:

- without a token: the anonymous admin, nothing to verify, nothing to check (the baseline);
- with an admin token: the token verified once, then found in the cache by its hash;
- with a back_office token: the same, and the operation checked against a read list (the
  verdict kept per document and role set);
- with an analyst token: the same as admin, with an executor that checks fields for masks;
- with a new admin token on every request: full EdDSA verification each time (the worst case,
  which a real client, reusing its token, does not meet).

Prints p50, req/s and the server's CPU per request for each, and each one's ratio to the
baseline; writes bench/results/auth.json. ``--graph small`` runs its own embedded Neo4j with
the small demo company (quick); the default reads the ``bench`` graph like the other benchmarks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from itertools import count
from pathlib import Path
from typing import Any

import httpx

from bench.bench_graph import ensure_bench_graph
from bench.http_client import Endpoint, GraphQLClient
from bench.load import Stats, measure, process_cpu_seconds
from graph.demo import PRESETS, DemoCompany
from graph.driver import open_driver
from graph.loader import BulkLoader
from graph.schema import apply_schema
from server import local_neo4j
from server.auth.config import signing_key
from server.auth.tokens import SigningKey, mint_token
from server.cli import demo_stream
from server.settings import PROJECT_ROOT, Settings

RESULTS = Path(__file__).parent / "results"
SMALL_HOME = PROJECT_ROOT / ".local" / "auth-bench-neo4j"
QUERY = "query ($id: ID!) { order(id: $id) { id status total placedAt customer { id name } } }"
ORDER_IDS = "MATCH (o:Order) RETURN o.id AS id ORDER BY o.id LIMIT 2000"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _small_graph_loaded(uri: str) -> None:
    driver = open_driver(uri, "neo4j", "")
    try:
        await apply_schema(driver, "neo4j")
        records, _, _ = await driver.execute_query("MATCH (n) RETURN count(n) > 0 AS loaded")
        if not records[0]["loaded"]:
            print("loading the small demo company...", flush=True)
            await BulkLoader(driver, "neo4j").load(demo_stream(DemoCompany(PRESETS["small"], 7)))
    finally:
        await driver.close()


def graph_uri(graph: str) -> str:
    if graph == "bench":
        return ensure_bench_graph()
    running = local_neo4j.running(SMALL_HOME)
    uri = running.uri if running else local_neo4j.start(SMALL_HOME, free_port(), heap_mb=1024, page_cache_mb=512).uri
    asyncio.run(_small_graph_loaded(uri))
    return uri


def start_server(uri: str, port: int, workers: int, keys: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "NEO4J_URI": uri,
        "CG_LOG_LEVEL": "warning",
        "CG_AUTH_ANONYMOUS_ROLE": "admin",
        "CG_AUTH_DEV_KEYS_DIR": str(keys),
        "CG_SOURCES_ENABLED": "false",
    }
    for name in ("CG_AUTH_JWKS_URL", "CG_AUTH_SHARED_SECRET", "CG_AUTH_ISSUER", "CG_AUTH_AUDIENCE"):
        env.pop(name, None)
    command = [sys.executable, "-m", "server.workers", "server.main:app", "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the API server did not become ready")


async def order_ids(uri: str) -> list[str]:
    driver = open_driver(uri, "neo4j", os.environ.get("CG_BENCH_NEO4J_PASSWORD", ""))
    try:
        records, _, _ = await driver.execute_query(ORDER_IDS)
        return [record["id"] for record in records]
    finally:
        await driver.close()


def _token(signing: SigningKey, role: str, subject: str = "E0001") -> str:
    return mint_token(signing, subject=subject, roles=[role], ttl=timedelta(hours=2))


async def run(
    uri: str, port: int, server: subprocess.Popen[bytes], signing: SigningKey, concurrency: int, duration: float
) -> list[Stats]:
    ids = await order_ids(uri)
    client = GraphQLClient(Endpoint("127.0.0.1", port), concurrency)
    # Enough distinct tokens that none repeats within a round (a few thousand requests a second).
    fresh = [_token(signing, "admin", subject=f"E{number:06d}") for number in range(int(duration * 4000) + 20000)]
    serial = count()
    tokens = {role: _token(signing, role) for role in ("admin", "back_office", "analyst")}

    def asking(token: Callable[[], str | None]) -> Callable[[str], Awaitable[object]]:
        async def ask(order_id: str) -> object:
            return await client.execute(QUERY, {"id": order_id}, token())

        return ask

    modes: list[tuple[str, Callable[[str], Awaitable[object]]]] = [
        ("no token (anonymous admin)", asking(lambda: None)),
        ("admin token", asking(lambda: tokens["admin"])),
        ("back_office token (read list)", asking(lambda: tokens["back_office"])),
        ("analyst token (masks)", asking(lambda: tokens["analyst"])),
        ("new admin token per request", asking(lambda: fresh[next(serial) % len(fresh)])),
    ]
    meters = {"server": lambda: process_cpu_seconds(server.pid)}
    results: dict[str, list[Stats]] = {}
    try:
        for round_number in range(2):  # two rounds, the second in reverse order
            order = modes if round_number == 0 else list(reversed(modes))
            for name, ask in order:
                stats = await measure(
                    name, ask, ids, concurrency=concurrency, duration=duration, warmup=2.0, cpu_meters=meters
                )
                print(f"{stats.line()}  server CPU {stats.cpu_ms_per_request('server'):.3f} ms/request", flush=True)
                results.setdefault(name, []).append(stats)
    finally:
        client.close()
    return [_merged(name, rounds) for name, rounds in results.items()]


def _merged(name: str, rounds: list[Stats]) -> Stats:
    merged = Stats(name)
    for stats in rounds:
        merged.latencies_ms += stats.latencies_ms
        merged.errors += stats.errors
        merged.seconds += stats.seconds
        for meter, seconds in stats.cpu_seconds.items():
            merged.cpu_seconds[meter] = merged.cpu_seconds.get(meter, 0.0) + seconds
    return merged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", choices=["bench", "small"], default="bench")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    uri = graph_uri(args.graph)
    with tempfile.TemporaryDirectory(prefix="auth-bench-keys-") as folder:
        keys = Path(folder)
        signing = signing_key(Settings(auth_dev_keys_dir=keys))
        port = free_port()
        server = start_server(uri, port, args.workers, keys)
        try:
            merged = asyncio.run(run(uri, port, server, signing, args.concurrency, args.duration))
        finally:
            server.terminate()
            server.wait(timeout=30)
    base = merged[0]
    print(
        f"\nload average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; concurrency {args.concurrency}; "
        f"{args.workers} server process(es); graph {args.graph}; both rounds together"
    )
    results: list[dict[str, Any]] = []
    for stats in merged:
        cpu = stats.cpu_ms_per_request("server")
        print(
            f"{stats.name:<32} p50 {stats.p50:6.2f} ms  {stats.rps:7.1f} req/s ({stats.rps / base.rps:5.1%} of the "
            f"baseline)  server CPU {cpu:.3f} ms/request (+{cpu - base.cpu_ms_per_request('server'):.3f})  "
            f"{stats.errors} errors"
        )
        results.append(
            {
                "mode": stats.name,
                "p50_ms": round(stats.p50, 3),
                "p99_ms": round(stats.p99, 3),
                "rps": round(stats.rps, 1),
                "rps_vs_baseline": round(stats.rps / base.rps, 3),
                "server_cpu_ms_per_request": round(cpu, 4),
                "errors": stats.errors,
            }
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "auth.json").write_text(json.dumps({"graph": args.graph, "modes": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
