"""Row rules here and in @neo4j/graphql: the service agent's rule on both, and neither with rules, one run.

    .venv/bin/python -m bench.peer_rows_bench [--duration 6] [--rounds 2] [--concurrency 8] [--workers 2]

The three queries of ``bench.rows_bench`` (a point lookup, a customer 360, the first 50
customers by name), each asked five ways in alternating rounds, on the ``bench`` graph:

- ours, no rules: this service without a token (the anonymous admin);
- ours, service_agent: with a ``service_agent`` token (``policy.toml``'s rules, over ``SERVES``);
- peer, no auth: ``@neo4j/graphql`` with the type definitions of ``bench/compare.py``;
- peer, graph rule: the same with ``@authorization`` filter rules on Customer, Order,
  Interaction and Ticket read from the raw graph (a customer is visible when an employee of the
  caller's department had an interaction with them, handled a step of one of their orders, or
  owns the account: ``bench/peers/neo4j-graphql/rules-graph.graphql``), verifying an HS256
  token whose ``sub`` is the agent's employee id;
- peer, SERVES rule: the same rule read over the ``SERVES`` relationships our rules read
  (``rules-serves.graphql``), to tell the peer's way of checking from the data it checks.

Every way asks for the same customers: ones the agent's department serves by the peer's graph
rule (all of which it serves by ``SERVES`` too), so none answers "not found" faster. Before
timing, a few samples of each query are asked every way and compared (ids, names, counts).

A way whose first request takes longer than ``--slow-after`` seconds (the peer's list with
rules: it checks the rule from every customer outward before it sorts and pages) cannot be run
in a closed loop of a few seconds: it is timed once, on ``--slow-requests`` requests at a
concurrency of 2 (both cores), and its req/s is those requests over the wall time.

The 360 asks for no DateTime field: ``@neo4j/graphql`` projects DateTimes with APOC, which the
shared bench Neo4j may not have (``bench.compare`` installs it into a Neo4j of its own).
Prints p50, req/s, server CPU per request and the ratios; writes bench/results/peer_rows.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, LiteralString

import httpx
import jwt

from bench.auth_bench import _token, start_server
from bench.bench_graph import BENCH_HOME, ensure_bench_graph
from bench.http_client import Endpoint, GraphQLClient
from bench.load import Stats, measure, process_cpu_seconds
from bench.rows_bench import AGENT
from bench.systems import INSTALL_SCRIPT, PEER_DIR, free_port
from graph.driver import open_driver
from server.auth.config import signing_key
from server.settings import Settings

RESULTS = Path(__file__).parent / "results"
WAYS = ("ours, no rules", "ours, service_agent", "peer, no auth", "peer, graph rule", "peer, SERVES rule")
# Which peer server answers each peer way (AUTH_RULES of server.mjs; "" for none).
PEER_RULES = {"peer, no auth": "", "peer, graph rule": "graph", "peer, SERVES rule": "serves"}
OURS = {
    "point lookup": "query ($id: ID!) { customer(id: $id) { id name email tier } }",
    "customer 360": (
        "query ($id: ID!) { customer(id: $id) { id name email"
        " orders(first: 10) { totalCount nodes { id total status lines { quantity product { name } } } }"
        " interactions(first: 10) { totalCount nodes { id channel } }"
        " tickets(first: 10) { totalCount nodes { id status priority } } } }"
    ),
    "list of 50": "query { customers(first: 50) { nodes { id name email } } }",
}
PEER = {
    "point lookup": "query ($id: ID!) { customers(where: {id: {eq: $id}}) { id name email tier } }",
    "customer 360": (
        "query ($id: ID!) { customers(where: {id: {eq: $id}}) { id name email"
        " ordersConnection(first: 10, sort: [{node: {placedAt: DESC}}]) { totalCount edges { node {"
        " id total status productsConnection { edges { properties { quantity } node { name } } } } } }"
        " interactionsConnection(first: 10, sort: [{node: {at: DESC}}]) { totalCount edges { node { id channel } } }"
        " ticketsConnection(first: 10, sort: [{node: {openedAt: DESC}}]) { totalCount edges { node {"
        " id status priority } } } } }"
    ),
    "list of 50": "query { customers(limit: 50, sort: [{name: ASC}, {id: ASC}]) { id name email } }",
}
# Customers the caller's department serves by the peer's rule, found from the department outward.
SERVED_BY_GRAPH_RULE: LiteralString = """
MATCH (:Employee {id: $employee})-[:WORKS_IN]->(d:Department)<-[:WORKS_IN]-(colleague:Employee)
CALL (colleague) {
  MATCH (colleague)<-[:WITH]-(:Interaction)<-[:HAD]-(c:Customer) RETURN c
  UNION
  MATCH (colleague)<-[:HANDLED_BY]-(:Order)<-[:PLACED]-(c:Customer) RETURN c
  UNION
  MATCH (colleague)<-[:OWNED_BY]-(c:Customer) RETURN c
}
WITH DISTINCT d, c
RETURN c.id AS id, EXISTS { (d)-[:SERVES]->(c) } AS serves
ORDER BY id LIMIT 2000
"""


async def _agent(uri: str) -> tuple[dict[str, Any], list[str]]:
    driver = open_driver(uri, "neo4j", os.environ.get("CG_BENCH_NEO4J_PASSWORD", ""))
    try:
        records, _, _ = await driver.execute_query(AGENT)
        agent = dict(records[0])
        served, _, _ = await driver.execute_query(SERVED_BY_GRAPH_RULE, employee=agent["employee"])
    finally:
        await driver.close()
    missing = [record["id"] for record in served if not record["serves"]]
    if missing:
        raise SystemExit(f"customers the graph rule shows but SERVES does not (re-derive SERVES?): {missing[:5]}")
    return agent, [record["id"] for record in served]


def _start_peer(uri: str, workers: int, rules: str, secret: str, logs: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "NEO4J_URI": uri, "PORT": str(port), "WORKERS": str(workers), "NODE_ENV": "production"}
    env.pop("AUTH_RULES", None)
    if rules:
        env |= {"AUTH_RULES": rules, "JWT_SECRET": secret}
    log = logs / f"peer-{rules or 'plain'}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(["node", "server.mjs"], cwd=PEER_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            answer = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ __typename }"}, timeout=2)
            if answer.status_code == 200:
                return process, port
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    process.terminate()
    raise RuntimeError(f"the @neo4j/graphql peer ({rules or 'no auth'}) did not start: see {log}")


def _canonical(query: str, data: Any) -> Any:
    """The answer as plain data both APIs can give: nested lists as sorted ids (a connection of
    the peer sorts ties its own way) with their total counts."""
    if query == "list of 50":
        rows = data["customers"]
        return [row["id"] for row in (rows["nodes"] if isinstance(rows, dict) else rows)]
    found = data.get("customer") if "customer" in data else (data["customers"] or [None])[0]
    if found is None or query == "point lookup":
        return found
    lists = {}
    for name in ("orders", "interactions", "tickets"):
        if name in found:
            ids, total = [node["id"] for node in found[name]["nodes"]], found[name]["totalCount"]
        else:
            connection = found[f"{name}Connection"]
            ids, total = [edge["node"]["id"] for edge in connection["edges"]], connection["totalCount"]
        lists[name] = (total, sorted(ids))
    return {"id": found["id"], "name": found["name"], "email": found["email"], **lists}


class Ways:
    """One HTTP client per server and the request each way sends."""

    def __init__(self, ours_port: int, peer_ports: Mapping[str, int], tokens: Mapping[str, str], concurrency: int):
        self.clients = {"ours": GraphQLClient(Endpoint("127.0.0.1", ours_port), concurrency)}
        self.clients |= {
            way: GraphQLClient(Endpoint("127.0.0.1", port), concurrency) for way, port in peer_ports.items()
        }
        self.tokens = tokens

    def asking(self, way: str, query: str) -> Callable[[str], Awaitable[bytes]]:
        ours = way.startswith("ours")
        client = self.clients["ours" if ours else way]
        text, token = (OURS if ours else PEER)[query], self.tokens.get(way)

        async def ask(customer_id: str) -> bytes:
            variables: dict[str, object] = {} if query == "list of 50" else {"id": customer_id}
            return await client.execute(text, variables, token)

        return ask

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


async def _check(ways: Ways, ids: list[str], queries: list[str]) -> list[str]:
    """Ask a few samples every way; say where an answer differs from ours with the same rules."""
    notes = []
    for query in queries:
        for customer_id in ids[:3] if query != "list of 50" else ids[:1]:
            answers = {
                way: _canonical(query, json.loads(await ways.asking(way, query)(customer_id))["data"]) for way in WAYS
            }
            for way, same_as in (("peer, no auth", "ours, no rules"), ("peer, graph rule", "ours, service_agent"),
                                 ("peer, SERVES rule", "ours, service_agent")):  # fmt: skip
                theirs, ours = answers[way], answers[same_as]
                if theirs == ours:
                    continue
                if isinstance(theirs, list) and isinstance(ours, list):
                    only_ours, only_theirs = sorted(set(ours) - set(theirs)), sorted(set(theirs) - set(ours))
                    notes.append(f"{query}: only {same_as} has {only_ours}, only {way} has {only_theirs}")
                else:
                    notes.append(f"{query} {customer_id}: {way} {theirs} != {same_as} {ours}")
            if answers["ours, service_agent"] is None or answers["ours, service_agent"] == []:
                notes.append(f"{query} {customer_id}: the agent sees nothing, the bench would time empty answers")
    return notes


async def _measure_few(name: str, ask: Callable[[str], Awaitable[bytes]], sample: str, count: int,
                       meters: Mapping[str, Callable[[], float]]) -> Stats:  # fmt: skip
    """``count`` requests, two at a time; req/s over the wall time (for ways too slow to loop)."""
    stats, left = Stats(name), [count]
    at_start = {meter: read() for meter, read in meters.items()}
    started = time.perf_counter()

    async def loop() -> None:
        while left[0] > 0:
            left[0] -= 1
            begun = time.perf_counter()
            try:
                await ask(sample)
            except Exception:
                stats.errors += 1
                continue
            stats.latencies_ms.append((time.perf_counter() - begun) * 1000)

    await asyncio.gather(loop(), loop())
    stats.seconds = time.perf_counter() - started
    stats.cpu_seconds = {meter: read() - at_start[meter] for meter, read in meters.items()}
    return stats


async def run(ways: Ways, pids: Mapping[str, int], ids: list[str], args: argparse.Namespace) -> dict[str, Stats]:
    merged: dict[str, Stats] = {}
    slow: set[str] = set()
    for query in args.queries:
        for round_number in range(args.rounds):
            for way in WAYS if round_number % 2 == 0 else WAYS[::-1]:
                name, ask = f"{query}, {way}", ways.asking(way, query)
                if name in slow:
                    continue
                pid = pids["ours" if way.startswith("ours") else way]
                meters: dict[str, Callable[[], float]] = {"server": partial(process_cpu_seconds, pid)}
                if args.neo4j_pid:
                    meters["neo4j"] = partial(process_cpu_seconds, args.neo4j_pid, with_children=False)
                probe = time.perf_counter()
                await ask(ids[0])
                if time.perf_counter() - probe > args.slow_after:
                    slow.add(name)
                    print(f"{name}: first request {time.perf_counter() - probe:.1f} s, timing "
                          f"{args.slow_requests} requests two at a time, once", flush=True)  # fmt: skip
                    stats = await _measure_few(name, ask, ids[0], args.slow_requests, meters)
                else:
                    stats = await measure(name, ask, ids, concurrency=args.concurrency, duration=args.duration,
                                          warmup=2.0, cpu_meters=meters)  # fmt: skip
                cpu = "  ".join(f"{m} CPU {stats.cpu_ms_per_request(m):.2f} ms/req" for m in stats.cpu_seconds)
                print(f"{stats.line()}  {cpu}", flush=True)
                total = merged.setdefault(name, Stats(name))
                total.latencies_ms += stats.latencies_ms
                total.errors += stats.errors
                total.seconds += stats.seconds
                for meter, seconds in stats.cpu_seconds.items():
                    total.cpu_seconds[meter] = total.cpu_seconds.get(meter, 0.0) + seconds
    return merged


async def _checked_run(
    ways: Ways, pids: Mapping[str, int], ids: list[str], args: argparse.Namespace
) -> tuple[list[str], dict[str, Stats]]:
    try:
        notes = await _check(ways, ids, args.queries)
        for note in notes:
            print(f"!!! {note}", flush=True)
        return notes, await run(ways, pids, ids, args)
    finally:
        ways.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per way and round, after 2 s of warm-up")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of every way, alternating their order")
    parser.add_argument("--workers", type=int, default=2, help="server processes of each system")
    parser.add_argument("--slow-after", type=float, default=3.0, help="a first request slower than this: time a few")
    parser.add_argument("--slow-requests", type=int, default=2)
    parser.add_argument("--neo4j-pid", type=int, help="meter this Neo4j process's CPU too")
    parser.add_argument("--only", help="comma-separated queries to time (default: all three)")
    parser.add_argument("--results", type=Path, default=RESULTS / "peer_rows.json", help="where to write the figures")
    args = parser.parse_args()
    args.queries = [query.strip() for query in args.only.split(",")] if args.only else list(OURS)
    if unknown := set(args.queries) - set(OURS):
        parser.error(f"--only: unknown {', '.join(sorted(unknown))}; the queries are {', '.join(OURS)}")

    # The peer's npm packages from the committed lock (and APOC into the local bench Neo4j's
    # plugins, which bench.compare needs; this bench does not); quick once installed.
    subprocess.run(["bash", str(INSTALL_SCRIPT), str(BENCH_HOME / "plugins")], check=True)
    uri = ensure_bench_graph()
    agent, ids = asyncio.run(_agent(uri))
    print(f"agent {agent['employee']} of {agent['department']}: {len(ids):,} customers the peer's graph rule shows "
          f"(first 2,000 by id), all also served by SERVES", flush=True)  # fmt: skip
    secret = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    peer_token = jwt.encode({"sub": agent["employee"], "iat": now, "exp": int(now.timestamp()) + 7200}, secret, "HS256")
    servers: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="peer-rows-bench-") as work:
        try:
            signing = signing_key(Settings(auth_dev_keys_dir=Path(work)))
            ours_port = free_port()
            servers.append(start_server(uri, ours_port, args.workers, Path(work)))
            pids, peer_ports = {"ours": servers[0].pid}, {}
            for way, rules in PEER_RULES.items():
                process, peer_ports[way] = _start_peer(uri, args.workers, rules, secret, Path(work))
                servers.append(process)
                pids[way] = process.pid
            tokens = {"ours, service_agent": _token(signing, "service_agent", subject=agent["employee"])}
            tokens |= {way: peer_token for way, rules in PEER_RULES.items() if rules}
            notes, stats = asyncio.run(
                _checked_run(Ways(ours_port, peer_ports, tokens, args.concurrency), pids, ids, args)
            )
        finally:
            for process in servers:
                process.terminate()
            for process in servers:
                process.wait(30)
    _report(agent, len(ids), notes, stats, args)


def _report(
    agent: dict[str, Any], shown: int, notes: list[str], stats: dict[str, Stats], args: argparse.Namespace
) -> None:
    ratios: dict[str, dict[str, float]] = {}
    print("\nrequests/s (same run): ours no rules, ours agent | peer no auth, peer graph rule, peer SERVES rule")
    for query in args.queries:
        rps = {way: stats[f"{query}, {way}"].rps for way in WAYS}
        ratios[query] = {
            "ours/peer, no rules": rps["ours, no rules"] / rps["peer, no auth"],
            "ours/peer, agent vs graph rule": rps["ours, service_agent"] / rps["peer, graph rule"],
            "ours/peer, agent vs SERVES rule": rps["ours, service_agent"] / rps["peer, SERVES rule"],
            "ours, agent/no rules": rps["ours, service_agent"] / rps["ours, no rules"],
            "peer, graph rule/no auth": rps["peer, graph rule"] / rps["peer, no auth"],
            "peer, SERVES rule/no auth": rps["peer, SERVES rule"] / rps["peer, no auth"],
        }
        print(f"  {query:<13} " + "  ".join(f"{rps[way]:9.4g}" for way in WAYS))
        print("                " + "  ".join(f"{key} {value:.3g}x" for key, value in ratios[query].items()))
    args.results.parent.mkdir(parents=True, exist_ok=True)
    lock = json.loads((PEER_DIR / "package-lock.json").read_text())["packages"]["node_modules/@neo4j/graphql"]
    runs = [
        {"name": s.name, "p50_ms": s.p50, "rps": s.rps, "requests": s.requests, "errors": s.errors,
         **{f"{meter}_cpu_ms": s.cpu_ms_per_request(meter) for meter in s.cpu_seconds}}
        for s in stats.values()
    ]  # fmt: skip
    result = {
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "settings": {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()},
        "peer": f"@neo4j/graphql {lock['version']}",
        "agent": {**agent, "customers_shown_by_graph_rule_sampled": shown},
        "answers_differ": notes,
        "ratios": ratios,
        "runs": runs,
    }
    args.results.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
