"""The long role fuzz: thousands of generated operations per row-ruled role, checked for leaks.

The property of ``tests/server/test_role_fuzz.py`` at length (``tests/role_fuzz.py``): for each
role with row rules (service agent, back office, account manager), acting as the employee the
playground picks for it, operations generated from the schema as the role may read it, asking
for visible and hidden ids alike, run over HTTP (the real app, in process) against the small
demo company in a real Neo4j; no answer may hold an id the oracle (``tests/row_oracle.py``,
the rules written out in Cypher from the raw graph) says the role must not see. Every operation
is also sent as the admin, to count the hidden ids the same operations reach.

Leaks and server errors are counted and printed with their operation, not stopped at. It prints,
per role: operations run, ids in answers checked, leaks found, and the hidden ids the admin's
answers held. Figures go to ``bench/results/role_fuzz.json``.

    .venv/bin/python -m bench.role_fuzz [--examples 500] [--roles service_agent ...] [--neo4j-uri bolt://...]

Without ``--neo4j-uri`` it starts its own embedded Neo4j on a free port in ``bench/work`` and
loads the demo company there (about a minute); with one, it loads the demo company into that
database unless it already holds it (it wipes a database holding anything else).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from neo4j import AsyncDriver

from demo_company.company import PRESETS, DemoCompany
from graph.constraints import apply_schema
from graph.counts import graph_counts
from graph.driver import open_driver
from resolvers.schema import build_schema
from resolvers.strawberry_internals import graphql_schema
from server import local_neo4j
from server.app import create_app, started
from server.policy_config import PolicyFile
from server.settings import PROJECT_ROOT
from tests.auth_tokens import settings
from tests.conftest import DEMO_PRESET, DEMO_SEED, ensure_demo
from tests.role_fuzz import RoleTarget, Tally, fuzz, role_targets

RESULTS = Path(__file__).resolve().parent / "results"
WORK = Path(__file__).resolve().parent / "work"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def own_neo4j() -> Iterator[str]:
    home = WORK / "role-fuzz-neo4j"
    local = local_neo4j.start(home, _free_port(), heap_mb=1024, page_cache_mb=512)
    try:
        yield local.uri
    finally:
        local_neo4j.stop(home)


async def demo_company(driver: AsyncDriver) -> None:
    await apply_schema(driver, "neo4j")
    company = DemoCompany(PRESETS[DEMO_PRESET], DEMO_SEED)
    counts = await graph_counts(driver, "neo4j")
    wanted = {label: company.count(label.lower()) for label in ("Customer", "Order", "Interaction", "Ticket")}
    if all(counts.nodes.get(label) == number for label, number in wanted.items()):
        return
    print("loading the small demo company (about a minute)", flush=True)
    await ensure_demo(driver)


async def run_role(http: httpx.AsyncClient, target: RoleTarget, examples: int) -> dict[str, Any]:
    tally = Tally()
    started = time.monotonic()

    def record(example: Tally) -> None:
        tally.add(example)
        for leak in example.leaks:
            print(f"!!! LEAK {leak}\n", flush=True)
        for error in example.server_errors:
            print(f"!!! SERVER ERROR {error}\n", flush=True)
        if tally.examples % 100 == 0:
            print(
                f"  {target.role}: {tally.examples} operations, {tally.ids_checked} ids checked, "
                f"{len(tally.leaks)} leaks ({time.monotonic() - started:.0f} s)",
                flush=True,
            )

    await asyncio.to_thread(
        fuzz, asyncio.get_running_loop(), http, target, examples, with_admin=lambda: True, on_example=record
    )
    return {
        "role": target.role,
        "employee": target.employee_id,
        "hidden": {label: len(ids) for label, ids in target.split.hidden.items()},
        "visible": {label: len(ids) for label, ids in target.split.visible.items()},
        "operations": tally.examples,
        "seconds": round(time.monotonic() - started, 1),
        "strings_checked": tally.strings_checked,
        "ids_checked": tally.ids_checked,
        "leaks": [str(leak) for leak in tally.leaks],
        "server_errors": tally.server_errors,
        "admin_hidden_ids": tally.admin_hidden_ids,
        "admin_answers_with_hidden": tally.admin_answers_with_hidden,
        "outcomes": dict(tally.outcomes.most_common()),
    }


async def run(uri: str, examples: int, roles: list[str] | None) -> list[dict[str, Any]]:
    schema = graphql_schema(build_schema())
    policy = PolicyFile.load(PROJECT_ROOT / "policy.toml", schema).policy
    driver = open_driver(uri, "neo4j", "")
    try:
        await demo_company(driver)
        app = create_app(settings(sources_enabled=False), driver=driver)
        async with started(app) as served:
            transport = httpx.ASGITransport(app=served)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=120) as http:
                targets = [t for t in await role_targets(driver, policy, schema) if not roles or t.role in roles]
                return [await run_role(http, target, examples) for target in targets]
    finally:
        await driver.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--examples", type=int, default=500, help="operations to generate per role")
    parser.add_argument("--roles", nargs="*", help="only these roles (default: every row-ruled role)")
    parser.add_argument("--neo4j-uri", help="a Neo4j to use (its database is loaded with the demo company)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.monotonic()
    if args.neo4j_uri:
        results = asyncio.run(run(args.neo4j_uri, args.examples, args.roles))
    else:
        with own_neo4j() as uri:
            results = asyncio.run(run(uri, args.examples, args.roles))
    print(f"\nrole fuzz, {args.examples} operations per role ({time.monotonic() - started:.0f} s in all):")
    for result in results:
        print(
            f"  {result['role']:16} as {result['employee']}: {result['operations']} operations in "
            f"{result['seconds']} s, {result['ids_checked']} ids checked ({result['strings_checked']} strings), "
            f"leaks {len(result['leaks'])}, server errors {len(result['server_errors'])}; the admin's answers "
            f"held {result['admin_hidden_ids']} hidden ids in {result['admin_answers_with_hidden']} operations"
        )
        print(f"  {'':16} hidden {result['hidden']}; answers {result['outcomes']}")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "role_fuzz.json"
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    path.write_text(json.dumps({"run": stamp, "examples": args.examples, "roles": results}, indent=2) + "\n")
    print(f"results: {path}")


if __name__ == "__main__":
    main()
