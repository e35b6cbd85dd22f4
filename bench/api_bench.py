"""API benchmark: customer 360 and a list of 50 customers, GraphQL end to end vs the raw driver.

    .venv/bin/python -m bench.api_bench [--concurrency 8] [--duration 15]

Uses the `bench` preset graph (bench/bench_graph.py loads it once). Starts the real server
under uvicorn in its own process and drives it over HTTP from this process; in the same run,
fetches the same data with hand-written Cypher through the raw async driver. Prints p50/p99
latency and requests/s for each, and the ratio; writes bench/results/api.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, LiteralString

import httpx
from neo4j import RoutingControl

from bench.bench_graph import ensure_bench_graph
from bench.load import Stats, measure
from graph.driver import open_driver
from resolvers.pagination import encode_cursor
from server.settings import PROJECT_ROOT

RESULTS = Path(__file__).parent / "results"

CUSTOMER_360 = """
query Customer360($id: ID!) {
  customer(id: $id) {
    id name tier
    owner { name department { name } }
    orders(first: 5) { nodes { id status total placedAt lines { quantity price product { id name sku } } } }
    interactions(first: 10) { nodes { at channel summary employee { name department { name kind } } } }
    tickets(first: 10) { nodes { id subject status priority } }
  }
}
"""

CUSTOMER_360_CYPHER: LiteralString = """
MATCH (c:Customer {id: $id})
OPTIONAL MATCH (c)-[:OWNED_BY]->(owner:Employee)-[:WORKS_IN]->(od:Department)
CALL (c) {
  MATCH (c)-[:PLACED]->(o:Order)
  WITH o ORDER BY o.placed_at DESC, o.id LIMIT 5
  CALL (o) {
    MATCH (o)-[l:CONTAINS]->(p:Product)
    RETURN collect({quantity: l.quantity, price: l.price, product: p {.id, .name, .sku}}) AS lines
  }
  RETURN collect(o {.id, .status, .total, .placed_at, lines: lines}) AS orders
}
CALL (c) {
  MATCH (c)-[:HAD]->(i:Interaction)
  WITH i ORDER BY i.at DESC, i.id LIMIT 10
  MATCH (i)-[:WITH]->(e:Employee)-[:WORKS_IN]->(d:Department)
  RETURN collect(i {.at, .channel, .summary, employee: e {.name, department: d {.name, .kind}}}) AS interactions
}
CALL (c) {
  MATCH (c)-[:RAISED]->(t:Ticket)
  WITH t ORDER BY t.opened_at DESC, t.id LIMIT 10
  RETURN collect(t {.id, .subject, .status, .priority}) AS tickets
}
RETURN c {.id, .name, .tier, owner: owner {.name, department: od {.name}}, orders: orders,
          interactions: interactions, tickets: tickets} AS customer
"""

LIST_50 = """
query Customers($after: String) {
  customers(first: 50, after: $after) {
    nodes {
      id name tier
      orders(first: 3) { nodes { id total placedAt } }
      interactions(first: 3) { nodes { at channel } }
    }
  }
}
"""

LIST_50_CYPHER: LiteralString = """
MATCH (c:Customer) WHERE c.name IS NOT NULL
WITH c ORDER BY c.name, c.id SKIP $skip LIMIT 50
CALL (c) {
  MATCH (c)-[:PLACED]->(o:Order)
  WITH o ORDER BY o.placed_at DESC, o.id LIMIT 3
  RETURN collect(o {.id, .total, .placed_at}) AS orders
}
CALL (c) {
  MATCH (c)-[:HAD]->(i:Interaction)
  WITH i ORDER BY i.at DESC, i.id LIMIT 3
  RETURN collect(i {.at, .channel}) AS interactions
}
RETURN c {.id, .name, .tier, orders: orders, interactions: interactions} AS customer
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(uri: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NEO4J_URI": uri, "CG_LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "uvicorn", "--factory", "server.main:app", "--port", str(port)]
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
    rng = random.Random(42)
    customer_ids = [f"C{rng.randint(1, 100_000):06d}" for _ in range(500)]
    offsets = [rng.randint(0, 99_000) for _ in range(200)]
    driver = open_driver(uri, "neo4j", os.environ.get("CG_BENCH_NEO4J_PASSWORD", ""))
    url = f"http://127.0.0.1:{port}/graphql"
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as http:

        async def graphql(query: str, variables: dict[str, Any]) -> None:
            response = await http.post(url, json={"query": query, "variables": variables})
            body = response.json()
            if response.status_code != 200 or body.get("errors"):
                raise RuntimeError(str(body)[:300])

        async def cypher(query: LiteralString, **parameters: Any) -> None:
            await driver.execute_query(query, parameters, database_="neo4j", routing_=RoutingControl.READ)

        async def gql_360(cid: str) -> None:
            await graphql(CUSTOMER_360, {"id": cid})

        async def raw_360(cid: str) -> None:
            await cypher(CUSTOMER_360_CYPHER, id=cid)

        async def gql_list(offset: int) -> None:
            await graphql(LIST_50, {"after": encode_cursor(offset - 1) if offset else None})

        async def raw_list(offset: int) -> None:
            await cypher(LIST_50_CYPHER, skip=offset)

        options = {"concurrency": concurrency, "duration": duration}
        pairs = []
        for gql_name, gql_call, raw_call, samples in (
            ("customer 360", gql_360, raw_360, customer_ids),
            ("list of 50 customers", gql_list, raw_list, offsets),
        ):
            gql = await measure(f"{gql_name}: GraphQL over HTTP", gql_call, samples, **options)  # type: ignore[arg-type]
            raw = await measure(f"{gql_name}: raw driver", raw_call, samples, **options)  # type: ignore[arg-type]
            print(gql.line(), flush=True)
            print(raw.line(), flush=True)
            pairs.append((gql, raw))
    await driver.close()
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=15.0)
    args = parser.parse_args()
    uri = ensure_bench_graph()
    port = free_port()
    server = start_server(uri, port)
    try:
        pairs = asyncio.run(run(uri, port, args.concurrency, args.duration))
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"\nload average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; concurrency {args.concurrency}")
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
