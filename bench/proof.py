"""The long runs of the proofs that nothing is lost, printing what happened (figures, not asserts).

    .venv/bin/python -m bench.proof crash [--preset demo] [--rounds 6] [--seed 1]
    .venv/bin/python -m bench.proof outage [--outage-s 30] [--steady-s 10] [--clients 8] [--kill]
    .venv/bin/python -m bench.proof concurrency [--queries 400] [--rounds 3] [--clients 32] [--workers 2]
    .venv/bin/python -m bench.proof roundtrip [--examples 1000]

The tests in tests/crash, tests/outage, tests/concurrency and tests/roundtrip run short versions
of these in ``make check``; this script reuses their helpers with long loads, long outages and
many clients. Each run starts what it needs in a temporary folder on free loopback ports (its
own embedded Neo4j, the demo systems of record, a PostgreSQL cluster) and stops it at the end.

- crash: loads the preset once without interruption and takes the graph's fingerprint; then,
  round after round, starts the load and kills it at a random moment (kill -9 of the loader,
  or of the Neo4j JVM while a batch runs, started again at once), and finally loads again:
  prints each fault, where it struck and whether the last load gave the identical graph.
- outage: the real server (uvicorn) over the small demo company with the shipped sources.toml
  (caches on), clients in closed loops, Neo4j stopped (or killed with ``--kill``) and started,
  each source system stopped and started: prints every phase's answers by kind.
- concurrency: generated queries sent alone, then many times at once over ``--clients``
  connections to ``--workers`` processes: prints mismatches and rates.
- roundtrip: the Hypothesis properties with ``--examples`` examples each.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from demo_company.company import PRESETS, DemoCompany, demo_stream
from demo_systems.erp import seed_erp
from demo_systems.launcher import DemoFleet
from graph.counts import graph_counts
from graph.load.loader import BulkLoader
from server.settings import PROJECT_ROOT
from tests.auth_tokens import SECRET_ENV
from tests.commands import neo4j_variables, run_command, start_command
from tests.concurrency.equivalence import answers_alone, answers_together
from tests.concurrency.queries import generated_queries
from tests.federation.processes import api_server, clean_environment, free_port
from tests.graph.fingerprint import fingerprint
from tests.live_systems import Postgres, sources_file_with
from tests.outage.scenario import run_outages
from tests.outage.traffic import Traffic
from tests.own_neo4j import OwnNeo4j, running_batches

SMALL, SEED = "small", 7


async def crash(preset: str, rounds: int, seed: int, folder: Path) -> None:
    own = OwnNeo4j(folder / "neo4j", free_port(), heap_mb=2048, page_cache_mb=1024)
    own.start()
    try:
        variables = neo4j_variables(own.uri)
        load = ["load", "--preset", preset, "--seed", str(SEED)]
        started = time.monotonic()
        assert run_command(load, folder, variables, timeout=3600).returncode == 0
        whole_s = time.monotonic() - started
        async with own.driver() as driver:
            expected, full = await fingerprint(driver), await graph_counts(driver, "neo4j")
        print(f"uninterrupted load of '{preset}': {whole_s:.1f}s, {full.total_nodes:,} nodes, "
              f"{full.total_relationships:,} relationships")  # fmt: skip
        await own.wipe()
        rng = random.Random(seed)
        print(f"{'round':<6}{'fault':<30}{'after':>8}{'nodes then':>14}{'load exit':>11}")
        for number in range(1, rounds + 1):
            fault = "kill -9 loader" if number % 2 else "kill -9 neo4j in a batch"
            delay = rng.uniform(0.1, 0.9) * whole_s
            loader = start_command([*load, "--batch-size", str(rng.choice([1000, 5000, 10000]))], folder, variables)
            await asyncio.sleep(delay)
            async with own.driver() as driver:
                if fault == "kill -9 loader":
                    loader.process.kill()
                else:
                    while await running_batches(driver) == 0 and loader.process.poll() is None:  # noqa: ASYNC110
                        await asyncio.sleep(0.02)
                nodes = (await graph_counts(driver, "neo4j")).total_nodes
            if fault != "kill -9 loader":
                own.kill()
                own.start()
            exit_code = loader.finish(timeout=3600).returncode
            print(f"{number:<6}{fault:<30}{delay:>7.1f}s{nodes:>14,}{exit_code:>11}")
        started = time.monotonic()
        final = run_command(load, folder, variables, timeout=3600)
        async with own.driver() as driver:
            identical = await fingerprint(driver) == expected
        print(f"loaded again: exit {final.returncode} in {time.monotonic() - started:.1f}s; "
              f"graph identical to the uninterrupted load: {identical}")  # fmt: skip
    finally:
        own.stop()


@dataclass
class Systems:
    own: OwnNeo4j
    fleet: DemoFleet
    pg: Postgres
    sources: dict[str, str]


@asynccontextmanager
async def systems(folder: Path) -> AsyncIterator[Systems]:
    """The small demo company in a Neo4j of our own, the demo systems and the ERP in PostgreSQL."""
    own = OwnNeo4j(folder / "neo4j", free_port(), heap_mb=1024, page_cache_mb=512)
    pg = Postgres(free_port(), PROJECT_ROOT / ".local" / "postgres-bench" / f"proof-{os.getpid()}")
    own.start()
    pg.start()
    try:
        async with own.driver() as driver:
            report = await BulkLoader(driver, "neo4j").load(demo_stream(DemoCompany(PRESETS[SMALL], SEED)))
            assert report.rows_rejected == 0
        await seed_erp(pg.dsn("erp_proof"), SMALL, SEED)
        with DemoFleet(preset=SMALL, seed=SEED) as fleet:
            sources = {
                "CG_ERP_DSN": pg.dsn("erp_proof"),
                "CG_HELPDESK_URL": fleet.url("helpdesk"),
                "CG_HR_URL": fleet.url("hr"),
                "CG_CRM_URL": fleet.url("crm") + "/graphql",
            }
            yield Systems(own, fleet, pg, sources)
    finally:
        own.stop()
        pg.stop()


async def outage(folder: Path, *, clients: int, steady_s: float, outage_s: float, kill: bool) -> None:
    async with systems(folder) as running:
        env = clean_environment(
            **neo4j_variables(running.own.uri), **running.sources, **SECRET_ENV, CG_LOG_LEVEL="warning"
        )
        with api_server(env, folder / "server.log", cwd=folder) as server:
            base_url = server.url.removesuffix("/graphql")
            async with Traffic(base_url, clients=clients) as traffic:
                phases = await run_outages(
                    traffic, running.own, running.fleet, running.pg, steady_s=steady_s, outage_s=outage_s,
                    kill_neo4j=kill,
                )  # fmt: skip
    print(f"{clients} clients, outages of {outage_s:g}s, sources.toml as shipped (caches on)")
    for phase in phases:
        print(phase.line())
    total: Counter[str] = Counter()
    for phase in phases:
        total.update(phase.answers)
    print("all answers: " + ", ".join(f"{kind} {count}" for kind, count in sorted(total.items())))


async def concurrency(folder: Path, *, queries: int, rounds: int, clients: int, workers: int) -> None:
    async with systems(folder) as running:
        sources_file = sources_file_with(folder, running.sources, timeout_s=20.0)
        env = clean_environment(
            **neo4j_variables(running.own.uri), **running.sources, **SECRET_ENV, CG_SOURCES_FILE=str(sources_file),
            CG_LOG_LEVEL="warning",
        )  # fmt: skip
        with api_server(env, folder / "server.log", cwd=folder, workers=workers) as server:
            base_url = server.url.removesuffix("/graphql")
            generated = generated_queries(queries, seed=20)
            started = time.monotonic()
            alone = await answers_alone(base_url, generated)
            alone_s = time.monotonic() - started
            together = await answers_together(base_url, generated, clients=clients, rounds=rounds, seed=21)
    mismatches = together.mismatches(alone)
    kinds = Counter(
        "complete" if not a.body.get("errors") else a.body["errors"][0]["extensions"]["code"] for a in alone
    )
    print(f"{queries} generated queries ({dict(kinds)}), {workers} workers")
    print(f"alone, one at a time: {alone_s:.1f}s ({queries / alone_s:.0f}/s)")
    rate = len(together.answers) / together.seconds
    print(f"together, {rounds} rounds over {clients} clients: {together.seconds:.1f}s ({rate:.0f}/s); "
          f"answers differing from alone: {len(mismatches)}")  # fmt: skip
    for mismatch in mismatches[:10]:
        print("  " + mismatch)


def roundtrip(examples: int) -> None:
    env = {**os.environ, "CG_ROUNDTRIP_EXAMPLES": str(examples)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics",
               "tests/roundtrip"]  # fmt: skip
    done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if "Received notification" not in line]
    print("\n".join(lines[-40:]))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.proof", description=(__doc__ or "").splitlines()[0])
    runs = parser.add_subparsers(dest="run", required=True)
    crash_run = runs.add_parser("crash")
    crash_run.add_argument("--preset", default="demo", choices=sorted(PRESETS))
    crash_run.add_argument("--rounds", type=int, default=6)
    crash_run.add_argument("--seed", type=int, default=1)
    outage_run = runs.add_parser("outage")
    outage_run.add_argument("--clients", type=int, default=8)
    outage_run.add_argument("--steady-s", type=float, default=10.0)
    outage_run.add_argument("--outage-s", type=float, default=30.0)
    outage_run.add_argument("--kill", action="store_true", help="kill -9 Neo4j instead of stopping it")
    concurrency_run = runs.add_parser("concurrency")
    concurrency_run.add_argument("--queries", type=int, default=400)
    concurrency_run.add_argument("--rounds", type=int, default=3)
    concurrency_run.add_argument("--clients", type=int, default=32)
    concurrency_run.add_argument("--workers", type=int, default=2)
    roundtrip_run = runs.add_parser("roundtrip")
    roundtrip_run.add_argument("--examples", type=int, default=1000)
    args = parser.parse_args()
    if args.run == "roundtrip":
        roundtrip(args.examples)
        return
    with tempfile.TemporaryDirectory(prefix="proof-") as folder:
        if args.run == "crash":
            asyncio.run(crash(args.preset, args.rounds, args.seed, Path(folder)))
        elif args.run == "outage":
            asyncio.run(outage(Path(folder), clients=args.clients, steady_s=args.steady_s, outage_s=args.outage_s,
                               kill=args.kill))  # fmt: skip
        else:
            asyncio.run(concurrency(Path(folder), queries=args.queries, rounds=args.rounds, clients=args.clients,
                                    workers=args.workers))  # fmt: skip


if __name__ == "__main__":
    main()
