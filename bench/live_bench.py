"""Benchmark: a customer 360 over three live sources, end to end through the real server.

The graph is the ``bench`` company in the benchmarks' own Neo4j (``bench.bench_graph``); the
DEMO systems of record are generated from the same preset and seed, so every customer's
``ExternalId`` keys find their records: the CRM (GraphQL) and the helpdesk (HTTP/JSON) as
subprocesses, the ERP in a PostgreSQL cluster of the benchmarks' own. The service runs under
uvicorn in its own process, configured only through its environment, as in production.

Each source is given the same latency (100 ms by default) in the system itself. Then, for one
customer per request (so no cache helps), it prints:

- each source's own time for the lookup the query makes (one key, straight through the
  connector), and the slowest of them: the floor of a 360 whose sources overlap;
- the p50 (and p90, p99) of the 360 query end to end, over HTTP, against that floor
  (target: within 1.3x, i.e. parallel, not the sum of the three);
- with the helpdesk failing and its circuit open, the p50 of a query whose live field reads
  the helpdesk, end to end (target: under 5 ms), next to the same query without that field.

Run ``.venv/bin/python -m bench.live_bench [--latency-ms 100 --requests 50]``. The first run
seeds the bench ERP into PostgreSQL (a few minutes, once).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass

import httpx

from bench.bench_graph import ensure_bench_graph
from bench.sources_bench import BenchSystems, open_registry, set_latency
from demo_company.company import identity_key
from demo_systems.launcher import PROJECT_ROOT, control, free_port
from graph.model import SourceSystem

RESULTS = PROJECT_ROOT / "bench" / "results" / "live.json"
SOURCES = ("crm", "erp_accounts", "helpdesk_customers")
CUSTOMER_360 = """
query Customer360Live($id: ID!) {
  customer(id: $id) {
    id name tier
    crm { leadScore pipelineValue openOpportunities { name stage amount } }
    erpAccount { currency openInvoices openBalance overdueBalance lastOrderStatus lastOrderAt }
    helpdeskSummary { openTickets oldestOpenSince lastContactAt }
  }
}
"""
HELPDESK_ONLY = "query HelpdeskOnly($id: ID!) { customer(id: $id) { id name helpdeskSummary { openTickets } } }"
GRAPH_ONLY = "query GraphOnly($id: ID!) { customer(id: $id) { id name identities { system key } } }"


def customer_ids(start: int, count: int) -> list[str]:
    return [f"C{number:06d}" for number in range(start, start + count)]


def source_key(source: str, customer_id: str) -> str:
    system = {"crm": SourceSystem.CRM, "erp_accounts": SourceSystem.ERP, "helpdesk_customers": SourceSystem.HELPDESK}
    return identity_key(system[source], customer_id)


@dataclass(frozen=True, slots=True)
class Timing:
    p50_ms: float
    p90_ms: float
    p99_ms: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Timing:
        ordered = sorted(seconds)

        def at(share: float) -> float:
            return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000

        return cls(statistics.median(ordered) * 1000, at(0.9), at(0.99))


@dataclass(frozen=True, slots=True)
class Results:
    latency_ms: int
    requests: int
    sources_ms: dict[str, Timing]
    customer_360: Timing
    open_circuit: Timing
    graph_only: Timing

    @property
    def slowest_ms(self) -> float:
        return max(timing.p50_ms for timing in self.sources_ms.values())

    @property
    def ratio(self) -> float:
        return self.customer_360.p50_ms / self.slowest_ms


@contextmanager
def served(uri: str, environ: dict[str, str]) -> Iterator[str]:
    """The service under uvicorn on a free port, configured by its environment; its URL."""
    port = free_port()
    # Requests carry no token: the anonymous role is the admin, who reads everything unmasked.
    env = {"CG_AUTH_ANONYMOUS_ROLE": "admin", **os.environ, **environ, "NEO4J_URI": uri, "CG_LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "uvicorn", "--factory", "server.main:app", "--host", "127.0.0.1"]
    log = PROJECT_ROOT / ".local" / "live_bench_server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port)], cwd=PROJECT_ROOT, env=env, stdout=output, stderr=output
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not become ready:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


async def query(http: httpx.AsyncClient, document: str, customer_id: str) -> dict[str, object]:
    answer = await http.post("/graphql", json={"query": document, "variables": {"id": customer_id}})
    answer.raise_for_status()
    body: dict[str, object] = answer.json()
    return body


async def timed_queries(
    http: httpx.AsyncClient, document: str, customers: Sequence[str], *, expect_errors: bool = False
) -> list[float]:
    times = []
    for customer_id in customers:
        started = time.perf_counter()
        body = await query(http, document, customer_id)
        times.append(time.perf_counter() - started)
        if bool(body.get("errors")) != expect_errors:
            raise RuntimeError(f"unexpected answer for {customer_id}: {json.dumps(body)[:500]}")
    return times


async def sources_alone(systems: BenchSystems, customers: Sequence[str]) -> dict[str, Timing]:
    """Each source's own time for one customer's lookup, through the connector, cache off."""
    async with open_registry(systems, cache_ttl_s=0, timeout_s=5.0) as registry:
        for name in SOURCES:  # warm the pools and connections
            await registry[name].fetch([source_key(name, "C000001")])
        found = {}
        for name in SOURCES:
            times = []
            for customer_id in customers:
                started = time.perf_counter()
                await registry[name].fetch([source_key(name, customer_id)])
                times.append(time.perf_counter() - started)
            found[name] = Timing.of(times)
    return found


async def open_circuit(http: httpx.AsyncClient, systems: BenchSystems, customers: Sequence[str]) -> list[float]:
    """End-to-end times of a query whose live field reads a source whose circuit is open."""
    helpdesk = systems.fleet.url("helpdesk")
    await control(helpdesk, fail="500")
    try:
        tripping = iter(customer_ids(90_001, 100))
        while True:  # the configured failure threshold opens it after a few failed requests
            body = await query(http, HELPDESK_ONLY, next(tripping))
            if "circuit open" in json.dumps(body.get("errors")):
                break
        times = []
        for customer_id in customers:
            started = time.perf_counter()
            body = await query(http, HELPDESK_ONLY, customer_id)
            took = time.perf_counter() - started
            # A half-open probe (after the cool-down) is a real call, not a refusal: not counted.
            if "circuit open" in json.dumps(body.get("errors")):
                times.append(took)
        return times
    finally:
        await control(helpdesk, fail=None)


@asynccontextmanager
async def client(url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=url, timeout=30, verify=False) as http:
        yield http


async def measure(uri: str, *, latency_ms: int, requests: int) -> Results:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    async with BenchSystems(preset="bench", seed=7, database="erp_live_bench", names=("helpdesk", "crm")) as systems:
        with served(uri, systems.environ()) as url:
            async with client(url) as http:
                await timed_queries(http, CUSTOMER_360, customer_ids(80_001, 10))  # warm up, no latency
                await set_latency(systems, latency_ms, SOURCES)
                try:
                    alone = await sources_alone(systems, customer_ids(1_001, requests))
                    together = await timed_queries(http, CUSTOMER_360, customer_ids(2_001, requests))
                finally:
                    await set_latency(systems, 0, SOURCES)
                graph_only = await timed_queries(http, GRAPH_ONLY, customer_ids(3_001, requests))
                refused = await open_circuit(http, systems, customer_ids(4_001, requests))
    return Results(
        latency_ms,
        requests,
        alone,
        Timing.of(together),
        Timing.of(refused),
        Timing.of(graph_only),
    )


def report(results: Results) -> str:
    lines = [
        f"customer 360 over three live sources, {results.latency_ms} ms latency each, "
        f"{results.requests} requests, one customer each (no cache hits):"
    ]
    for name, timing in results.sources_ms.items():
        lines.append(f"  {name:<20} alone          p50 {timing.p50_ms:7.1f} ms")
    total = sum(timing.p50_ms for timing in results.sources_ms.values())
    lines.append(
        f"  slowest source                    p50 {results.slowest_ms:7.1f} ms   (the three in turn: {total:.1f} ms)"
    )
    end_to_end = results.customer_360
    lines.append(
        f"  360 query, end to end over HTTP   p50 {end_to_end.p50_ms:7.1f} ms   "
        f"p90 {end_to_end.p90_ms:.1f} ms, p99 {end_to_end.p99_ms:.1f} ms"
    )
    verdict = "ok" if results.ratio <= 1.3 else "OVER TARGET"
    lines.append(f"  ratio end-to-end / slowest source     {results.ratio:7.2f} x   (target <= 1.30: {verdict})")
    refused, graph = results.open_circuit, results.graph_only
    verdict = "ok" if refused.p50_ms < 5 else "OVER TARGET"
    lines.append(
        f"open circuit, end to end over HTTP    p50 {refused.p50_ms:7.2f} ms   p99 {refused.p99_ms:.2f} ms"
        f"   (target < 5 ms: {verdict})"
    )
    lines.append(f"  same query without the live field  p50 {graph.p50_ms:7.2f} ms   p99 {graph.p99_ms:.2f} ms")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    uri = ensure_bench_graph("bench")
    results = asyncio.run(measure(uri, latency_ms=args.latency_ms, requests=args.requests))
    print(report(results))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({**asdict(results), "ratio": results.ratio}, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(PROJECT_ROOT)}")
    missed = results.ratio > 1.3 or results.open_circuit.p50_ms >= 5
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
