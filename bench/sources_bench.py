"""Benchmark: three live sources fetched concurrently, as a customer 360 would.

Starts the DEMO systems (the helpdesk and CRM servers as subprocesses, the ERP in a
PostgreSQL cluster of its own through ``scripts/postgres.sh``), gives each of the three
sources the same latency (100 ms by default, injected in the systems themselves), then
times, with the cache off:

- each source alone (one batch lookup), the slowest of which bounds a concurrent fetch;
- the three together through ``asyncio.gather``: end-to-end time, and its ratio to the
  slowest source (target: within 1.3x, i.e. the sources overlap instead of adding up);
- a source whose circuit is open: how fast it refuses (target: under 5 ms).

Run ``.venv/bin/python -m bench.sources_bench [--latency-ms 100 --rounds 20]``. The functions
(``BenchSystems``, ``set_latency``, ``open_registry``) are meant for reuse by the GraphQL-level
benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from demo_systems.erp import seed_erp, set_erp_faults
from demo_systems.launcher import (
    HTTP_SYSTEMS,
    PROJECT_ROOT,
    DemoFleet,
    control,
    free_port,
    postgres,
    postgres_dsn,
    start_postgres,
)
from domain.errors import SourceUnavailableError
from server.sources_config import DEFAULT_SOURCES_FILE, SourceRegistry
from sources.config import load_sources

PG_HOME = PROJECT_ROOT / ".local" / "postgres-bench"
# A customer 360: the CRM profile, the ERP orders and the helpdesk tickets of one customer.
CUSTOMER_360 = {
    "crm": ["CRM-000001", "CRM-000002", "CRM-000003"],
    "erp_orders": ["O0000001", "O0000002", "O0000003", "O0000004"],
    "helpdesk": ["T000001", "T000002"],
}
HTTP_SYSTEM = {"crm": "crm", "helpdesk": "helpdesk", "helpdesk_customers": "helpdesk", "hr": "hr"}


class BenchSystems:
    """The demo systems a benchmark needs, started on free loopback ports, stopped on exit."""

    def __init__(
        self,
        *,
        preset: str = "tiny",
        seed: int = 7,
        pg_home: Path = PG_HOME,
        database: str = "erp_bench",
        names: tuple[str, ...] = tuple(HTTP_SYSTEMS),
    ) -> None:
        # A bench-sized preset takes the systems a while to generate: wait for them longer.
        self.fleet = DemoFleet(preset=preset, seed=seed, names=names, ready_timeout=300.0)
        self.preset, self.seed = preset, seed
        self.pg_home, self.pg_port = pg_home, free_port()
        # One database per preset user: seeding another preset into it would rebuild it each run.
        self.database = database

    @property
    def erp_dsn(self) -> str:
        return postgres_dsn(self.pg_port, self.database)

    async def __aenter__(self) -> Self:
        self.pg_port = await asyncio.to_thread(start_postgres, home=self.pg_home, port=self.pg_port)
        try:
            await seed_erp(self.erp_dsn, self.preset, self.seed)
            await asyncio.to_thread(self.fleet.__enter__)
        except BaseException:
            await asyncio.to_thread(postgres, "stop", home=self.pg_home, port=self.pg_port)
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.fleet.close)
        await asyncio.to_thread(postgres, "stop", home=self.pg_home, port=self.pg_port)

    def environ(self) -> dict[str, str]:
        """The variables that point ``sources.toml`` at these systems."""
        urls = {"helpdesk": "CG_HELPDESK_URL", "hr": "CG_HR_URL", "crm": "CG_CRM_URL"}
        suffix = {"crm": "/graphql"}
        found = {urls[name]: self.fleet.url(name) + suffix.get(name, "") for name in self.fleet.systems}
        return {"CG_ERP_DSN": self.erp_dsn, **found}


async def set_latency(
    systems: BenchSystems, latency_ms: int, names: Sequence[str] = ("crm", "erp_orders", "helpdesk")
) -> None:
    """Give these sources' systems a fixed latency (0 removes it)."""
    for name in names:
        if name.startswith("erp"):
            await set_erp_faults(systems.erp_dsn, latency_ms=latency_ms)
        else:
            await control(systems.fleet.url(HTTP_SYSTEM.get(name, name)), latency_ms=latency_ms)


@asynccontextmanager
async def open_registry(systems: BenchSystems, **resilience: object) -> AsyncIterator[SourceRegistry]:
    """The shipped sources, pointed at the benchmark's systems, with resilience overrides."""
    config = load_sources(DEFAULT_SOURCES_FILE, systems.environ())
    changed = {
        name: entry.model_copy(update={"resilience": entry.resilience.model_copy(update=resilience)})
        for name, entry in config.sources.items()
    }
    async with SourceRegistry.from_config(config.model_copy(update={"sources": changed})) as registry:
        yield registry


async def timed(action: Callable[[], Awaitable[object]], rounds: int) -> list[float]:
    """Seconds each of ``rounds`` runs of ``action`` took."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await action()
        times.append(time.perf_counter() - started)
    return times


@dataclass(frozen=True, slots=True)
class Results:
    latency_ms: int
    alone_ms: dict[str, float]
    together_ms: float
    open_circuit_ms: tuple[float, float, float]  # median, p99, max

    @property
    def slowest_ms(self) -> float:
        return max(self.alone_ms.values())

    @property
    def ratio(self) -> float:
        return self.together_ms / self.slowest_ms


async def measure(systems: BenchSystems, *, latency_ms: int, rounds: int) -> Results:
    async with open_registry(systems, cache_ttl_s=0, timeout_s=5.0) as registry:
        sources = [registry[name] for name in CUSTOMER_360]
        # Warm up connections and pools, so the rounds time the lookups, not the handshakes.
        await asyncio.gather(*(source.fetch(CUSTOMER_360[source.name]) for source in sources))
        await set_latency(systems, latency_ms)
        alone = {
            source.name: statistics.median(await timed(lambda s=source: s.fetch(CUSTOMER_360[s.name]), rounds))
            for source in sources
        }

        async def customer_360() -> None:
            await asyncio.gather(*(source.fetch(CUSTOMER_360[source.name]) for source in sources))

        together = statistics.median(await timed(customer_360, rounds))
        await set_latency(systems, 0)
    open_circuit = await measure_open_circuit(systems)
    return Results(latency_ms, {k: v * 1000 for k, v in alone.items()}, together * 1000, open_circuit)


async def measure_open_circuit(systems: BenchSystems, refusals: int = 2000) -> tuple[float, float, float]:
    """Milliseconds a source with an open circuit takes to refuse: median, p99, max."""
    async with open_registry(systems, cache_ttl_s=0, failure_threshold=1, cool_down_s=600, retries=0) as registry:
        source = registry["helpdesk"]
        await control(systems.fleet.url("helpdesk"), fail="500")
        try:
            with suppress(SourceUnavailableError):
                await source.fetch(CUSTOMER_360["helpdesk"])
            times = []
            for _ in range(refusals):
                started = time.perf_counter()
                try:
                    await source.fetch(CUSTOMER_360["helpdesk"])
                except SourceUnavailableError:
                    times.append(time.perf_counter() - started)
        finally:
            await control(systems.fleet.url("helpdesk"), fail=None)
    if len(times) != refusals:
        raise RuntimeError("the circuit did not stay open")
    times.sort()
    return times[len(times) // 2] * 1000, times[int(len(times) * 0.99)] * 1000, times[-1] * 1000


def report(results: Results) -> str:
    lines = [f"three sources, {results.latency_ms} ms latency each, cache off (median of the rounds):"]
    for name, took in results.alone_ms.items():
        lines.append(f"  {name:<12} alone        {took:8.1f} ms")
    verdict = "ok" if results.ratio <= 1.3 else "OVER TARGET"
    lines.append(f"  slowest source           {results.slowest_ms:8.1f} ms")
    lines.append(f"  all three, concurrently  {results.together_ms:8.1f} ms")
    lines.append(f"  ratio end-to-end/slowest {results.ratio:8.2f} x   (target <= 1.30: {verdict})")
    median, p99, worst = results.open_circuit_ms
    verdict = "ok" if p99 < 5 else "OVER TARGET"
    lines.append(
        f"open circuit refuses in   {median * 1000:8.1f} us median, {p99 * 1000:.1f} us p99, {worst * 1000:.1f} us max"
        f"   (target < 5 ms: {verdict})"
    )
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> Results:
    async with BenchSystems(preset=args.preset) as systems:
        return await measure(systems, latency_ms=args.latency_ms, rounds=args.rounds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # the open-circuit run fails on purpose: no warnings
    results = asyncio.run(main_async(args))
    print(report(results))
    missed = results.ratio > 1.3 or results.open_circuit_ms[1] >= 5
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
