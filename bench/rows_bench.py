"""What row rules cost: each query as a service agent against the same query with no rules, one run.

    .venv/bin/python -m bench.rows_bench [--graph bench|small] [--duration 10] [--concurrency 8] [--workers 2]

One server (``python -m server.workers server.main:app``, development key in a folder of its
own, ``CG_AUTH_ANONYMOUS_ROLE=admin``) answers three queries, each asked two ways in alternating
rounds: without a token (the anonymous admin: no row rules, the baseline) and with a
``service_agent`` token for an employee of a customer-service department (the row rules of
``policy.toml`` compiled into every statement). Both ways ask for the same customers: ones the
agent's department serves, so neither answers "not found" faster.

- point lookup: a customer by id, with name, email and tier;
- customer 360: the customer with ten orders and their lines, ten interactions, ten tickets;
- list of 50: the first 50 customers by name, with their emails.

Prints p50, req/s and CPU per request (the server's, and Neo4j's when it is the project's own
or ``CG_BENCH_NEO4J_HOME`` names its folder) for each, the ratio of the agent's requests/s and
CPU to the baseline's, and the plan of the list's statement each way (which index it reads in
order); writes ``bench/results/rows.json``. On a busy machine requests/s swing between rounds;
CPU per request is the steadier figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.auth_bench import _merged, _token, free_port, graph_uri, start_server
from bench.bench_graph import BENCH_HOME
from bench.http_client import Endpoint, GraphQLClient
from bench.load import Stats, measure, process_cpu_seconds
from graph import listing
from graph.driver import open_driver
from graph.row_rules import UNRESTRICTED, row_scope
from resolvers.schema import build_schema
from resolvers.strawberry_internals import graphql_schema
from server import local_neo4j
from server.auth.config import signing_key
from server.policy_config import PolicyFile
from server.settings import PROJECT_ROOT, Settings

RESULTS = Path(__file__).parent / "results"
QUERIES = {
    "point lookup": "query ($id: ID!) { customer(id: $id) { id name email tier } }",
    "customer 360": (
        "query ($id: ID!) { customer(id: $id) { id name email"
        " orders(first: 10) { totalCount nodes { id total status lines { quantity product { name } } } }"
        " interactions(first: 10) { totalCount nodes { id channel at } }"
        " tickets(first: 10) { totalCount nodes { id status priority } } } }"
    ),
    "list of 50": "query { customers(first: 50) { nodes { id name email } } }",
}
# An agent of a customer-service department that talked to customers, as the playground picks one.
AGENT = """
MATCH (e:Employee)-[:WORKS_IN]->(d:Department {function: 'SERVICE'})
WHERE EXISTS { (e)<-[:WITH]-(:Interaction) }
WITH e, d ORDER BY e.id LIMIT 1
MATCH (d)-[:SERVES]->(c:Customer)
WITH e, d, count(c) AS served, COUNT { (:Customer) } AS customers
RETURN e.id AS employee, d.name AS department, served, customers
"""
SERVED = (
    "MATCH (:Employee {id: $employee})-[:WORKS_IN]->(:Department)-[:SERVES]->(c:Customer) RETURN c.id AS id LIMIT 2000"
)


async def _agent(uri: str) -> tuple[dict[str, Any], list[str], dict[str, list[str]]]:
    """The agent, the customers they may see, and the list statement's plan with and without rules."""
    driver = open_driver(uri, "neo4j", os.environ.get("CG_BENCH_NEO4J_PASSWORD", ""))
    try:
        records, _, _ = await driver.execute_query(AGENT)
        agent = dict(records[0])
        served, _, _ = await driver.execute_query(SERVED, employee=agent["employee"])
        policy = PolicyFile.load(PROJECT_ROOT / "policy.toml", graphql_schema(build_schema())).policy
        scope = row_scope(policy.grants(["service_agent"]).row_rules)
        page = listing.CUSTOMERS.page_query({}, "NAME", descending=False)
        # What the store sends for each (graph.store.list_nodes): the agent's one department
        # lists its customers from the SERVES index, in the same statement that finds it.
        scopes = scope.serving_scopes("Customer")
        served_page = listing.served_page_query("NAME", descending=False)
        agent_page = scopes + "\n" + served_page if scopes and served_page else scope.compile(page)
        plans = {}
        for name, statement in (("no rules", UNRESTRICTED.compile(page)), ("service_agent", agent_page)):
            async with driver.session(database="neo4j") as session:
                result = await session.run(
                    "EXPLAIN " + statement,
                    skip=0,
                    limit=50,
                    caller_id=agent["employee"],
                    scope=scopes[0] if scopes else None,
                )
                summary = await result.consume()
            plans[name] = _operators(summary.plan)
        return agent, [record["id"] for record in served], plans
    finally:
        await driver.close()


def _operators(plan: dict[str, Any], depth: int = 0) -> list[str]:
    details = plan.get("args", {}).get("Details", "")
    lines = ["  " * depth + plan["operatorType"].split("@")[0] + (f"  {details[:110]}" if details else "")]
    for child in plan.get("children", []):
        lines += _operators(child, depth + 1)
    return lines


async def run(port: int, server_pid: int, neo4j_pid: int | None, tokens: dict[str, str | None], ids: list[str],
              concurrency: int, duration: float, rounds: int) -> list[Stats]:  # fmt: skip
    client = GraphQLClient(Endpoint("127.0.0.1", port), concurrency)
    meters = {"server": lambda: process_cpu_seconds(server_pid)}
    if neo4j_pid is not None:
        meters["neo4j"] = lambda: process_cpu_seconds(neo4j_pid, with_children=False)
    results: dict[str, list[Stats]] = {}

    def asking(query: str, token: str | None) -> Callable[[str], Awaitable[object]]:
        async def ask(customer_id: str) -> object:
            return await client.execute(query, {"id": customer_id}, token)

        return ask

    try:
        for query_name, query in QUERIES.items():
            modes = [(f"{query_name}, {who}", asking(query, token)) for who, token in tokens.items()]
            for round_number in range(rounds):
                for name, ask in modes if round_number % 2 == 0 else list(reversed(modes)):
                    stats = await measure(
                        name, ask, ids, concurrency=concurrency, duration=duration, warmup=2.0, cpu_meters=meters
                    )
                    print(f"{stats.line()}  CPU ms/request: {_cpu(stats)}", flush=True)
                    results.setdefault(name, []).append(stats)
    finally:
        client.close()
    return [_merged(name, each) for name, each in results.items()]


def _cpu(stats: Stats) -> str:
    return ", ".join(f"{meter} {stats.cpu_ms_per_request(meter):.3f}" for meter in stats.cpu_seconds)


def _total_cpu(stats: Stats) -> float:
    return sum(stats.cpu_ms_per_request(meter) for meter in stats.cpu_seconds)


def _neo4j_pid() -> int | None:
    """The bench Neo4j's process, to meter its CPU: the project's own, or the one in
    ``CG_BENCH_NEO4J_HOME`` (a Neo4j the project started elsewhere)."""
    home = os.environ.get("CG_BENCH_NEO4J_HOME")
    running = local_neo4j.running(Path(home) if home else BENCH_HOME)
    return running.pid if running is not None else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", choices=["bench", "small"], default="bench")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of both ways, alternating their order")
    args = parser.parse_args()

    uri = graph_uri(args.graph)
    agent, ids, plans = asyncio.run(_agent(uri))
    print(
        f"agent {agent['employee']} of {agent['department']}: serves {agent['served']:,} of "
        f"{agent['customers']:,} customers ({agent['served'] / agent['customers']:.0%})",
        flush=True,
    )
    for name, lines in plans.items():
        print(f"plan of the list of 50, {name}:\n  " + "\n  ".join(lines), flush=True)
    with tempfile.TemporaryDirectory(prefix="rows-bench-keys-") as keys:
        signing = signing_key(Settings(auth_dev_keys_dir=Path(keys)))
        port = free_port()
        server = start_server(uri, port, args.workers, Path(keys))
        try:
            tokens = {"no rules": None, "service_agent": _token(signing, "service_agent", subject=agent["employee"])}
            stats = asyncio.run(
                run(port, server.pid, _neo4j_pid(), tokens, ids, args.concurrency, args.duration, args.rounds)
            )
        finally:
            server.terminate()
            server.wait(30)
    by_name = {each.name: each for each in stats}
    print("\nrequests/s, service_agent against no rules (same run):")
    ratios = {}
    for query_name in QUERIES:
        base, ruled = by_name[f"{query_name}, no rules"], by_name[f"{query_name}, service_agent"]
        ratios[query_name] = ruled.rps / base.rps if base.rps else 0.0
        print(
            f"  {query_name:<14} {base.rps:8.1f} -> {ruled.rps:8.1f}  ({ratios[query_name] - 1:+.1%});"
            f"  CPU ms/request {_total_cpu(base):.3f} -> {_total_cpu(ruled):.3f}"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "rows.json").write_text(
        json.dumps(
            {
                "graph": args.graph,
                "agent": agent,
                "ratios": ratios,
                "plans": plans,
                "runs": [
                    {"name": s.name, "p50_ms": s.p50, "rps": s.rps, "errors": s.errors,
                     "cpu_ms": {meter: s.cpu_ms_per_request(meter) for meter in s.cpu_seconds}}
                    for s in stats
                ],
            },
            indent=2,
        )
        + "\n"
    )  # fmt: skip


if __name__ == "__main__":
    main()
