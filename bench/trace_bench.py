"""Trace benchmark: each trace query end to end through the GraphQL schema vs its Cypher alone.

    .venv/bin/python -m bench.trace_bench [--samples 200]

Uses the `bench` preset graph (bench/bench_graph.py starts it and loads it once; or
CG_BENCH_NEO4J_URI). For each trace it picks real customers, tickets, departments and pairs
of entities (seeded), runs one request at a time through the service's execution path in-process
(``server.operations.OperationRunner.run``: documents parsed and validated once, as over HTTP)
with a fresh Context per request, recording every statement the request sent; then replays exactly those
statements, one after another, through the raw async driver. Prints p50/p99 of both, with
the load average (the machine may be busy with other work), and writes
bench/results/trace.json. Targets: p50 under 50 ms end to end for the first journey page,
who-touched, shortest path (up to 6 hops) and a ticket's hand-off chain.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, LiteralString

from neo4j import AsyncDriver, RoutingControl

from bench.bench_graph import ensure_bench_graph
from demo_company.company import DEMO_NOW
from domain.access import Access
from graph.driver import open_driver
from graph.store import Neo4jGraphStore
from resolvers.context import Context
from resolvers.schema import build_schema
from server.operations import OperationRunner

RESULTS = Path(__file__).parent / "results"
OPERATIONS = OperationRunner.of(build_schema())
AS_OF = DEMO_NOW.isoformat()
TARGET_MS = 50.0

JOURNEY = """
query ($id: ID!) {
  journey(customerId: $id, first: 20) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { at kind step channel detail office employee { id name } department { id name } }
  }
}
"""
WHO_TOUCHED = """
query ($id: ID!) {
  whoTouched(customerId: $id) {
    departments { department { id name } people contacts lastContact office accountOwner }
    employees { employee { id name } contacts lastContact accountOwner }
  }
}
"""
WHO_KNOWS_BEST = """
query ($id: ID!, $asOf: DateTime) {
  whoKnowsBest(customerId: $id, first: 5, asOf: $asOf) { rank score employee { id name } }
}
"""
PATH_NODES = """
nodes { __typename ... on Customer { id name } ... on Employee { id name } ... on Department { id name }
        ... on Order { id } ... on Ticket { id } ... on Interaction { id } ... on Product { id } }
relationships { type direction startId endId at }
"""
SHORTEST_PATH = (
    "query ($from: EntityRef!, $to: EntityRef!) { shortestPath(from: $from, to: $to, maxHops: 6) { length "
    + PATH_NODES
    + "} }"
)
ALL_SHORTEST_PATHS = (
    "query ($from: EntityRef!, $to: EntityRef!) { allShortestPaths(from: $from, to: $to, maxHops: 6, first: 10) "
    "{ length " + PATH_NODES + "} }"
)
HAND_OFF_CHAIN = """
query ($id: ID!, $asOf: DateTime) {
  handOffChain(ticketId: $id, asOf: $asOf) {
    closed totalWaitSeconds
    hops { at until waitSeconds reason employee { id name } department { id name } by { id } fromDepartment { id } }
  }
}
"""
DEPARTMENT_FLOWS = """
query ($id: ID!, $asOf: DateTime) {
  departmentFlows(departmentId: $id, asOf: $asOf) {
    internalCustomers { department { id name } handOffs tickets medianWaitSeconds p90WaitSeconds }
    handsWorkTo { department { id name } handOffs tickets medianWaitSeconds p90WaitSeconds }
  }
}
"""
SERVICE_LEVEL_ALERTS = """
query ($asOf: DateTime, $tiers: [Tier!]) {
  serviceLevelAlerts(asOf: $asOf, tiers: $tiers, first: 20) {
    totalCount
    nodes { ticket { id } tier state heldSeconds resolution { usedShare } assignee { id name } department { id } }
  }
}
"""
DEMAND = """
query ($by: DemandDimension!) {
  demand(window: {from: "2026-08-01T00:00:00Z", to: "2026-11-01T00:00:00Z"}, by: $by, granularity: WEEK) {
    period key currency orders units revenue orderSteps
  }
}
"""


class RecordingStore(Neo4jGraphStore):
    """The real store, noting every statement it sends so the raw run can send the same."""

    def __init__(self, driver: AsyncDriver, database: str) -> None:
        super().__init__(driver, database)
        self.statements: list[tuple[LiteralString, dict[str, Any]]] = []

    async def read(self, query: LiteralString, **parameters: Any) -> list[Mapping[str, Any]]:
        self.statements.append((query, parameters))
        return await super().read(query, **parameters)


def _ms(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def bench_one(driver: AsyncDriver, name: str, query: str, variables: list[dict[str, Any]]) -> dict[str, Any]:
    recorded: list[list[tuple[LiteralString, dict[str, Any]]]] = []
    graphql_ms: list[float] = []
    empty = 0
    for values in variables:
        store = RecordingStore(driver, "neo4j")
        started = time.perf_counter()
        result = await OPERATIONS.run(query, Context(store=store, access=Access.unrestricted()), values)
        graphql_ms.append((time.perf_counter() - started) * 1000)
        if result.errors:
            raise RuntimeError(f"{name}: {result.errors[0].message} for {values}")
        empty += not any(result.data.values()) if result.data else 1
        recorded.append(store.statements)
    raw_ms: list[float] = []
    for statements in recorded:
        started = time.perf_counter()
        for statement, parameters in statements:
            await driver.execute_query(statement, parameters, database_="neo4j", routing_=RoutingControl.READ)
        raw_ms.append((time.perf_counter() - started) * 1000)
    figures = {
        "trace": name,
        "samples": len(variables),
        "statements_per_request": round(statistics.mean(len(s) for s in recorded), 2),
        "graphql_p50_ms": round(statistics.median(graphql_ms), 1),
        "graphql_p99_ms": round(_ms(graphql_ms, 0.99), 1),
        "cypher_p50_ms": round(statistics.median(raw_ms), 1),
        "cypher_p99_ms": round(_ms(raw_ms, 0.99), 1),
        "empty_answers": empty,
    }
    print(
        f"{name:<30} GraphQL p50 {figures['graphql_p50_ms']:7.1f} p99 {figures['graphql_p99_ms']:7.1f} ms | "
        f"Cypher p50 {figures['cypher_p50_ms']:7.1f} p99 {figures['cypher_p99_ms']:7.1f} ms | "
        f"{figures['statements_per_request']} statements, n={len(variables)}, load {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    return figures


async def sample_ids(driver: AsyncDriver, count: int, seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    ids: dict[str, list[str]] = {}
    for label in ("Customer", "Employee", "Department", "Ticket"):
        records, _, _ = await driver.execute_query(
            "MATCH (n:" + label + ") RETURN n.id AS id ORDER BY id", database_="neo4j", routing_=RoutingControl.READ
        )
        every = [record["id"] for record in records]
        ids[label] = rng.sample(every, min(count, len(every)))
    return ids


async def run(uri: str, count: int, seed: int) -> list[dict[str, Any]]:
    driver = open_driver(uri, "neo4j", os.environ.get("CG_BENCH_NEO4J_PASSWORD", ""))
    try:
        ids = await sample_ids(driver, count, seed)
        rng = random.Random(seed)
        customers, tickets = ids["Customer"], ids["Ticket"]

        def ref(kind: str, id_: str) -> dict[str, str]:
            return {"kind": kind, "id": id_}

        kinds = [
            ("CUSTOMER", "Customer", "EMPLOYEE", "Employee"),
            ("CUSTOMER", "Customer", "CUSTOMER", "Customer"),
            ("TICKET", "Ticket", "DEPARTMENT", "Department"),
            ("EMPLOYEE", "Employee", "EMPLOYEE", "Employee"),
        ]
        pairs = [
            {"from": ref(fk, rng.choice(ids[fl])), "to": ref(tk, rng.choice(ids[tl]))}
            for fk, fl, tk, tl in (kinds[number % len(kinds)] for number in range(count))
        ]
        by_customer = [{"id": id_} for id_ in customers]
        plan: list[tuple[str, str, list[dict[str, Any]]]] = [
            ("journey (first page)", JOURNEY, by_customer),
            ("who touched", WHO_TOUCHED, by_customer),
            ("who knows best", WHO_KNOWS_BEST, [{"id": id_, "asOf": AS_OF} for id_ in customers]),
            ("shortest path (<= 6 hops)", SHORTEST_PATH, pairs),
            ("hand-off chain", HAND_OFF_CHAIN, [{"id": id_, "asOf": AS_OF} for id_ in tickets]),
            ("all shortest paths (<= 10)", ALL_SHORTEST_PATHS, pairs[: max(1, count // 4)]),
            ("department flows", DEPARTMENT_FLOWS, [{"id": id_, "asOf": AS_OF} for id_ in ids["Department"]]),
            ("service-level alerts", SERVICE_LEVEL_ALERTS,
             [{"asOf": AS_OF, "tiers": tiers} for tiers in (None, ["PLATINUM"], ["GOLD", "SILVER"], None, None)]),
            ("demand by week", DEMAND, [{"by": by} for by in ("DEPARTMENT", "PRODUCT", "TIER")]),
        ]  # fmt: skip
        print("warming up the page cache...", flush=True)
        for _, query, variables in plan:
            for values in variables[:20]:
                context = Context(store=Neo4jGraphStore(driver, "neo4j"), access=Access.unrestricted())
                await OPERATIONS.run(query, context, values)
        return [await bench_one(driver, name, query, variables) for name, query, variables in plan]
    finally:
        await driver.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    uri = ensure_bench_graph()
    print(f"bench graph at {uri}; load average {os.getloadavg()} on {os.cpu_count()} cores", flush=True)
    figures = asyncio.run(run(uri, args.samples, args.seed))
    load = os.getloadavg()
    print(f"\nload average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    for row in figures[:5]:
        if row["trace"] != "who knows best":
            verdict = "ok" if row["graphql_p50_ms"] < TARGET_MS else "MISSED"
            print(f"{row['trace']:<30} p50 {row['graphql_p50_ms']:.1f} ms (target < {TARGET_MS:.0f} ms): {verdict}")
    RESULTS.mkdir(exist_ok=True)
    payload = {"load_average": load, "cores": os.cpu_count(), "as_of": AS_OF, "traces": figures}
    (RESULTS / "trace.json").write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
