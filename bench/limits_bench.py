"""What the operation limits cost, and how well the cost estimate tracks the time a query takes.

Two parts, on the bench graph (``bench/bench_graph.py``), with two copies of the service
running side by side (``python -m server.workers``, two workers each): one with the
operation limits and the cost estimate on (the default), one with them off
(``CG_OPERATION_LIMITS_ENABLED=false``).

1. Overhead: the query set of ``make bench`` (point lookup, customer 360, list of 50, journey,
   shortest path) against both, in alternating rounds (on, off, off, on, ...) so that the
   shared machine's drift weighs on both; requests per second and the service's CPU per
   request of each. Target: at most 3% fewer requests per second with the limits on. On a
   busy 2-core machine those figures move by more than that from one round to the next, so
   the bench also times, in this process, what the limits add to a request (the document's
   measures are cached with it; per request: the cost check, a cache hit for a repeated
   query, and the ``extensions.cost`` of the answer) against the CPU a request takes.
2. Correlation: a few hundred queries generated from the schema (``tests/fuzz_operations.py``
   in its careful mode: ids that exist, small pages; live fields left out, since the live
   sources are off here), each estimated in this process with the served cost model and timed
   against the limits-off copy (so expensive ones run too): the fastest of three runs after a
   warm-up run (the least disturbed by the other work of a shared machine). Queries answered
   with errors are left out. Spearman's rank correlation between the estimate and the time;
   aim: at least 0.7.

    .venv/bin/python -m bench.limits_bench [--duration 24] [--queries 300] [--skip-overhead]

Figures go to ``bench/results/limits.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from graphql import get_operation_ast, parse
from hypothesis import HealthCheck, given, settings

from bench.bench_graph import ensure_bench_graph
from bench.compare_queries import Workload, workloads
from bench.http_client import Endpoint, GraphQLClient
from bench.load import Stats, measure, process_cpu_seconds
from bench.systems import free_port
from resolvers.cost import CostModel
from resolvers.schema import build_schema
from resolvers.strawberry_internals import graphql_schema
from server.settings import PROJECT_ROOT, Settings
from tests.fuzz_operations import Operation, operations

RESULTS = Path(__file__).resolve().parent / "results"
LIVE_FIELDS = ("crm", "erpAccount", "helpdeskSummary", "live", "stock", "availability")
ROOTS = (
    "customer", "customers", "order", "orders", "product", "products", "employee", "employees", "department",
    "departments", "interaction", "interactions", "ticket", "tickets", "journey", "whoTouched", "whoKnowsBest",
    "shortestPath", "allShortestPaths", "handOffChain", "departmentFlows", "serviceLevelAlerts",
)  # fmt: skip


@dataclass
class Service:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start(name: str, uri: str, workers: int, logs: Path, **settings: str) -> Service:
    port = free_port()
    env = {**os.environ, "NEO4J_URI": uri, "CG_LOG_LEVEL": "warning", "CG_SOURCES_ENABLED": "false"}
    env.update({f"CG_{key.upper()}": value for key, value in settings.items()})
    command = [
        sys.executable, "-m", "server.workers", "server.main:app", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--log-level", "warning",
    ]  # fmt: skip
    with (logs / f"limits-{name}.log").open("wb") as out:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    service = Service(name, port, process)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the {name} service exited; see {logs / f'limits-{name}.log'}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return service
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    service.stop()
    raise RuntimeError(f"the {name} service did not get ready")


async def overhead(
    services: dict[str, Service], duration: float, rounds: int, concurrency: int
) -> list[dict[str, Any]]:
    clients = {name: GraphQLClient(Endpoint("127.0.0.1", s.port), concurrency) for name, s in services.items()}
    rows: list[dict[str, Any]] = []
    try:
        for workload in workloads():
            parts: dict[str, list[Stats]] = {name: [] for name in services}
            order = list(services)
            for round_ in range(rounds):
                for name in order if round_ % 2 == 0 else order[::-1]:
                    parts[name].append(
                        await _round(workload, clients[name], services[name], duration / rounds, concurrency)
                    )
            row: dict[str, Any] = {"workload": workload.title}
            for name, measured in parts.items():
                done = sum(stats.requests for stats in measured)
                seconds = sum(stats.seconds for stats in measured)
                cpu = sum(stats.cpu_seconds.get("service", 0.0) for stats in measured)
                row[name] = {
                    "rps": round(done / seconds, 1),
                    "p50_ms": round(statistics.median([ms for stats in measured for ms in stats.latencies_ms]), 2),
                    "service_cpu_ms_per_request": round(1000 * cpu / done, 3),
                    "errors": sum(stats.errors for stats in measured),
                }
            row["fewer_rps_percent"] = round(100 * (1 - row["on"]["rps"] / row["off"]["rps"]), 2)
            row["more_cpu_percent"] = round(
                100 * (row["on"]["service_cpu_ms_per_request"] / row["off"]["service_cpu_ms_per_request"] - 1), 2
            )
            rows.append(row)
            print(
                f"{workload.title:<34} on {row['on']['rps']:7.1f} req/s  off {row['off']['rps']:7.1f} req/s  "
                f"({row['fewer_rps_percent']:+.1f}% fewer)  service CPU/request "
                f"{row['on']['service_cpu_ms_per_request']:.3f} vs {row['off']['service_cpu_ms_per_request']:.3f} ms "
                f"({row['more_cpu_percent']:+.1f}%)",
                flush=True,
            )
    finally:
        for client in clients.values():
            client.close()
    return rows


async def _round(
    workload: Workload, client: GraphQLClient, service: Service, seconds: float, concurrency: int
) -> Stats:
    async def call(sample: Any) -> None:
        await client.execute(workload.ours, workload.ours_variables(sample))

    return await measure(
        workload.title,
        call,
        workload.samples,
        concurrency=concurrency,
        warmup=1.0,
        duration=seconds,
        cpu_meters={"service": lambda: process_cpu_seconds(service.process.pid)},
    )


def added_per_request(repeat: int = 20_000) -> dict[str, float]:
    """Microseconds the limits add to one request of each bench query, timed in this process."""
    from server.limits import CostGuard, RequestLimits

    schema = graphql_schema(build_schema())
    limits = RequestLimits.of(Settings())
    guard = CostGuard(CostModel.of(schema, Settings().max_page_size), limits)
    added: dict[str, float] = {}
    for workload in workloads():
        document = parse(workload.ours)
        operation = get_operation_ast(document)
        assert operation is not None
        variables = workload.ours_variables(workload.samples[0])
        guard.check(document, operation, variables)  # the first request of a query estimates it
        started = time.perf_counter()
        for _ in range(repeat):
            checked = guard.check(document, operation, variables)
            orjson.dumps({"cost": {"estimated": checked.estimate.cost, "limit": limits.max_cost}})
        added[workload.title] = round((time.perf_counter() - started) / repeat * 1e6, 2)
    return added


def generated(count: int) -> list[Operation]:
    schema = graphql_schema(build_schema())
    found: list[Operation] = []

    # Derandomized: the same queries every run, so that runs compare.
    @settings(
        max_examples=count, database=None, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
    )
    @given(operation=operations(schema, careful=True, fields=ROOTS, leave_out=LIVE_FIELDS))
    def collect(operation: Operation) -> None:
        found.append(operation)

    collect()
    return found


async def correlation(service: Service, count: int) -> dict[str, Any]:
    schema = graphql_schema(build_schema())
    model = CostModel.of(schema, Settings().max_page_size)
    client = GraphQLClient(Endpoint("127.0.0.1", service.port), 1)
    pairs: list[tuple[int, float]] = []
    roots: list[list[str]] = []
    refused = 0
    try:
        for operation in generated(count):
            document = parse(operation.query)
            chosen = get_operation_ast(document)
            assert chosen is not None
            cost = model.estimate(document, chosen, operation.variables).cost
            body = orjson.dumps({"query": operation.query, "variables": operation.variables})
            status, answer = await client.post_raw(body)  # warm-up: plans, caches
            if status != 200 or b'"errors"' in answer:
                refused += 1
                continue
            times = []
            for _ in range(3):
                started = time.perf_counter()
                await client.post_raw(body)
                times.append((time.perf_counter() - started) * 1000)
            pairs.append((cost, min(times)))
            roots.append(
                sorted({field.name.value for field in chosen.selection_set.selections if hasattr(field, "name")})
            )
    finally:
        client.close()
    rho = spearman([cost for cost, _ in pairs], [ms for _, ms in pairs])
    return {
        "generated": count,
        "answered_with_errors": refused,
        "measured": len(pairs),
        "spearman": round(rho, 3),
        "pairs": [
            {"cost": cost, "ms": round(ms, 2), "roots": fields} for (cost, ms), fields in zip(pairs, roots, strict=True)
        ],
    }


def _ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1  # ties share their mean rank
        start = end + 1
    return ranks


def spearman(xs: list[float], ys: list[float]) -> float:
    """Spearman's rank correlation: Pearson's correlation of the ranks, ties averaged."""
    rx, ry = _ranks(xs), _ranks(ys)
    mean_x, mean_y = statistics.fmean(rx), statistics.fmean(ry)
    covariance = sum((a - mean_x) * (b - mean_y) for a, b in zip(rx, ry, strict=True))
    spread = (sum((a - mean_x) ** 2 for a in rx) * sum((b - mean_y) ** 2 for b in ry)) ** 0.5
    return covariance / spread if spread else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=float, default=24.0, help="measured seconds per query per copy")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per query")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queries", type=int, default=300, help="generated queries for the correlation")
    parser.add_argument("--skip-overhead", action="store_true")
    parser.add_argument("--skip-correlation", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    uri = ensure_bench_graph()
    logs = Path(__file__).resolve().parent / "work"
    logs.mkdir(parents=True, exist_ok=True)
    load_before = Path("/proc/loadavg").read_text().split()[0]
    services = {
        "on": start("on", uri, args.workers, logs),
        "off": start("off", uri, args.workers, logs, operation_limits_enabled="false"),
    }
    results: dict[str, Any] = {
        "run": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": vars(args) | {"out": str(args.out)},
    }
    try:
        if not args.skip_overhead:
            rows = asyncio.run(overhead(services, args.duration, args.rounds, args.concurrency))
            total_on = statistics.geometric_mean([row["on"]["rps"] for row in rows])
            total_off = statistics.geometric_mean([row["off"]["rps"] for row in rows])
            results["overhead"] = {
                "queries": rows,
                "fewer_rps_percent_geomean": round(100 * (1 - total_on / total_off), 2),
            }
            added = added_per_request()
            for row in rows:
                row["limits_us_per_request"] = added[row["workload"]]
                row["limits_share_of_cpu_percent"] = round(
                    100 * added[row["workload"]] / 1000 / row["off"]["service_cpu_ms_per_request"], 3
                )
                print(
                    f"{row['workload']:<34} the limits add {row['limits_us_per_request']:.1f} µs to a request: "
                    f"{row['limits_share_of_cpu_percent']:.2f}% of its service CPU",
                    flush=True,
                )
            fewer = results["overhead"]["fewer_rps_percent_geomean"]
            print(
                f"\nlimits on vs off, geometric mean over the query set: {fewer:+.2f}% fewer req/s (target: at most 3%)"
            )
        if not args.skip_correlation:
            found = asyncio.run(correlation(services["off"], args.queries))
            results["correlation"] = found
            print(
                f"\ncost estimate vs measured time: {found['measured']} generated queries measured "
                f"({found['answered_with_errors']} left out, answered with errors): "
                f"Spearman {found['spearman']:.3f} (aim: 0.7)"
            )
    finally:
        for service in services.values():
            service.stop()
    results["load"] = [load_before, Path("/proc/loadavg").read_text().split()[0]]
    print(f"load average {results['load'][0]} -> {results['load'][1]} on {os.cpu_count()} cores")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "limits.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {path}")


if __name__ == "__main__":
    main()
