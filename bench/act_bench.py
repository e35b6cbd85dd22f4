"""Subscriptions under load, and mutation throughput against the raw driver (issue: act and be told).

    .venv/bin/python -m bench.act_bench [--subscribers 1000] [--rate 10] [--seconds 600] [--workers 2]
                                        [--broker none|redis|both]

What it does, all on loopback, in processes of its own:

1. starts an embedded Neo4j in a temporary folder (or uses ``--neo4j-uri``), loads the ``tiny``
   demo company and serves the API from ``--workers`` processes (``python -m server.workers``);
2. opens ``--subscribers`` WebSocket subscriptions (graphql-transport-ws, one connection each),
   mixed: ``handOffs(departmentId:)``, ``handOffs(employeeId:)`` and ``journeyEvents(customerId:)``
   over the company's departments, employees and customers, spread over the workers' sockets;
3. writes hand-offs through the API at ``--rate`` per second for ``--seconds``, each to an
   employee other than the ticket's holder, and counts what every subscriber should get;
4. prints p50/p95/p99 latency from the event's time in the log (``at``, taken in the writing
   transaction, before its commit: so an upper bound of commit-to-client) to the client's
   receipt, events lost (expected minus received, per subscriber), duplicates, and each worker's
   RSS at the start and end of the soak (after the subscribers connected);
5. measures mutation throughput: the same hand-offs through ``handOffTicket`` over HTTP, through
   the API's write store in this process (the same transaction without HTTP, token or GraphQL)
   and through the raw driver (the graph change alone: one ``CREATE`` of ``ASSIGNED_TO``), side
   by side, 8 at a time.

With ``--broker redis`` the workers take their events from a Redis stream (``CG_EVENTS_BROKER``,
a ``redis-server`` the bench starts on a free port) instead of each polling the log; ``both``
runs the whole bench once per mode, one after the other, and prints their figures side by side.

Results go to stdout and ``bench/results/act.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import websockets

from demo_company.company import PRESETS, DemoCompany, demo_stream
from domain.errors import CustomerGraphError
from graph.constraints import apply_schema
from graph.driver import open_driver
from graph.load.loader import BulkLoader
from graph.row_rules import UNRESTRICTED
from graph.write_model import Actor
from graph.writes import Neo4jWriteStore
from server import local_neo4j
from server.auth.tokens import ClaimNames, SigningKey, mint_token
from server.settings import PROJECT_ROOT

SECRET = "act-bench-shared-secret-of-at-least-32-bytes"
RESULTS = PROJECT_ROOT / "bench" / "results" / "act.json"
HAND_OFF = "mutation($input: HandOffTicketInput!) { handOffTicket(input: $input) { replayed } }"
SUB_HAND_OFFS_DEPT = "subscription($d: ID) { handOffs(departmentId: $d) { at ticket { id } } }"
SUB_HAND_OFFS_EMP = "subscription($e: ID) { handOffs(employeeId: $e) { at ticket { id } } }"
SUB_JOURNEY = "subscription($c: ID!) { journeyEvents(customerId: $c) { at kind ticket { id } } }"
RAW_HAND_OFF = """
MATCH (t:Ticket {id: $ticket_id}), (e:Employee {id: $employee_id})
CREATE (t)-[:ASSIGNED_TO {at: datetime(), by: $by_id, reason: $reason}]->(e)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def admin_token(employee: str) -> str:
    return mint_token(SigningKey("HS256", SECRET, None, None), subject=employee, roles=["admin"],
                      ttl=__import__("datetime").timedelta(hours=4), claims=ClaimNames())  # fmt: skip


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def worker_pids(launcher: int) -> list[int]:
    children = Path(f"/proc/{launcher}/task/{launcher}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def start_server(command: list[str], environ: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        return subprocess.Popen(command, cwd=PROJECT_ROOT, env=environ, stdout=log, stderr=log)


def _growth_after(samples: list[tuple[float, int]], end: int, warmup_s: float) -> float | None:
    warm = next((rss for at, rss in samples if at >= warmup_s), None)
    return None if warm is None else round(100 * (end / warm - 1), 2)


def quantile_ms(values: list[float], q: float) -> float | None:
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1) if values else None


class Subscriber:
    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        self.received: Counter[str] = Counter()  # ticket hand-off ids seen (ticket:at)
        self.latencies: list[float] = []


async def subscriber_task(url: str, token: str, sub: Subscriber, ready: asyncio.Event, counter: list[int]) -> None:
    query, variables = {
        "dept": (SUB_HAND_OFFS_DEPT, {"d": sub.key}),
        "emp": (SUB_HAND_OFFS_EMP, {"e": sub.key}),
        "journey": (SUB_JOURNEY, {"c": sub.key}),
    }[sub.kind]
    async with websockets.connect(url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
                                  max_queue=None, ping_interval=None) as ws:  # fmt: skip
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}))
        counter[0] += 1
        if counter[0] >= counter[1]:
            ready.set()
        async for text in ws:
            received = time.time()
            message = json.loads(text)
            if message.get("type") != "next":
                print("subscriber got", message, file=sys.stderr)
                continue
            data = next(iter(message["payload"]["data"].values()))
            if sub.kind == "journey" and data["kind"] != "TICKET_HANDED_OFF":
                continue
            at = datetime.fromisoformat(data["at"]).timestamp()
            sub.latencies.append(received - at)
            sub.received[f"{data['ticket']['id']}@{data['at']}"] += 1


def start_redis(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(home),
               "--save", "", "--appendonly", "no", "--loglevel", "warning"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    for _ in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"redis://127.0.0.1:{port}/0"
        time.sleep(0.1)
    raise RuntimeError("redis-server did not start")


async def main(args: argparse.Namespace, broker: bool = False) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="act-bench-neo4j-"))
    redis = None
    neo4j = None
    if args.neo4j_uri:
        uri = args.neo4j_uri
    else:
        neo4j = local_neo4j.start(home, free_port(), heap_mb=1024, page_cache_mb=512)
        uri = neo4j.uri
    driver = open_driver(uri, "neo4j", "")
    await apply_schema(driver, "neo4j")
    await driver.execute_query("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
    report = await BulkLoader(driver, "neo4j").load(demo_stream(DemoCompany(PRESETS["tiny"], 7)))
    print(f"loaded the tiny company ({report.rows_rejected} rows rejected)", flush=True)
    records, _, _ = await driver.execute_query(
        "MATCH (c:Customer)-[:RAISED]->(t:Ticket) WHERE t.status IN ['OPEN', 'IN_PROGRESS', 'WAITING'] "
        "OPTIONAL MATCH (t)-[a:ASSIGNED_TO]->(h:Employee) WITH c, t, h ORDER BY a.at "
        "RETURN t.id AS ticket, c.id AS customer, last(collect(h.id)) AS holder"
    )
    tickets = {r["ticket"]: {"customer": r["customer"], "holder": r["holder"]} for r in records}
    people, _, _ = await driver.execute_query(
        "MATCH (e:Employee)-[:WORKS_IN]->(d:Department) RETURN e.id AS e, d.id AS d"
    )
    department_of = {r["e"]: r["d"] for r in people}
    employees = sorted(department_of)
    departments = sorted(set(department_of.values()))
    customers = sorted({t["customer"] for t in tickets.values()})
    port = free_port()
    environ = {**os.environ, "NEO4J_URI": uri, "CG_AUTH_SHARED_SECRET": SECRET, "CG_SOURCES_ENABLED": "false",
               "CG_SUBSCRIPTIONS_MAX_PER_PROCESS": "20000", "CG_SUBSCRIPTIONS_MAX_PER_CALLER": "20000"}  # fmt: skip
    if broker:
        redis, environ["CG_EVENTS_BROKER"] = start_redis(home)
    command = [sys.executable, "-m", "server.workers", "server.main:app", "--workers", str(args.workers),
               "--port", str(port), "--log-level", "warning"]  # fmt: skip
    launcher = start_server(command, environ, home / "server.log")
    token = admin_token(employees[0])
    results: dict[str, Any] = {}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for _ in range(300):
                try:
                    ready_answer = await http.get("/readyz")
                    if ready_answer.status_code == 200:
                        print(f"ready; events: {ready_answer.json().get('events')}", flush=True)
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
            rng = random.Random(7)
            subs = []
            for n in range(args.subscribers):
                kind = ("dept", "emp", "journey")[n % 3]
                key = rng.choice({"dept": departments, "emp": employees, "journey": customers}[kind])
                subs.append(Subscriber(kind, key))
            ready = asyncio.Event()
            counter = [0, len(subs)]
            url = f"ws://127.0.0.1:{port}/graphql"
            tasks = []
            for sub in subs:
                tasks.append(asyncio.create_task(subscriber_task(url, token, sub, ready, counter)))
                if len(tasks) % 50 == 0:
                    await asyncio.sleep(0.05)
            await asyncio.wait_for(ready.wait(), 120)
            await asyncio.sleep(2.0)
            pids = worker_pids(launcher.pid)
            rss_start = {pid: rss_kb(pid) for pid in pids}
            print(f"{len(subs)} subscribers connected to {len(pids)} workers; writing {args.rate}/s for "
                  f"{args.seconds}s", flush=True)  # fmt: skip
            written: list[tuple[str, str]] = []  # (ticket, employee)
            failures = 0
            started = time.monotonic()
            rss_samples: list[tuple[float, int]] = []
            n = 0
            headers = {"authorization": f"Bearer {token}"}
            while time.monotonic() - started < args.seconds:
                due = started + n / args.rate
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                ticket = rng.choice(sorted(tickets))
                holder = tickets[ticket]["holder"]
                to = rng.choice([e for e in employees if e != holder])
                change = {"ticketId": ticket, "toEmployeeId": to, "reason": "bench", "idempotencyKey": f"bench-{n}"}
                answer = await http.post(
                    "/graphql", headers=headers, json={"query": HAND_OFF, "variables": {"input": change}}
                )
                body = answer.json()
                if "errors" in body:
                    failures += 1
                else:
                    tickets[ticket]["holder"] = to
                    written.append((ticket, to))
                n += 1
                if n % max(1, int(args.rate * 10)) == 0:
                    rss_samples.append((time.monotonic() - started, sum(rss_kb(pid) for pid in pids)))
            await asyncio.sleep(3.0)  # the last events on their way
            rss_end = {pid: rss_kb(pid) for pid in pids}
            for task in tasks:
                task.cancel()
            expected_by_sub = []
            lost = duplicates = 0
            for sub in subs:
                if sub.kind == "dept":
                    expected = sum(1 for _, to in written if department_of[to] == sub.key)
                elif sub.kind == "emp":
                    expected = sum(1 for _, to in written if to == sub.key)
                else:
                    expected = sum(1 for ticket, _ in written if tickets[ticket]["customer"] == sub.key)
                got = sum(sub.received.values())
                distinct = len(sub.received)
                duplicates += got - distinct
                lost += max(0, expected - distinct)
                expected_by_sub.append(expected)
            latencies = sorted(lat for sub in subs for lat in sub.latencies)
            results["subscriptions"] = {
                "broker": "redis" if broker else "none",
                "subscribers": len(subs), "workers": len(pids), "rate_per_s": args.rate, "seconds": args.seconds,
                "hand_offs_written": len(written), "write_failures": failures,
                "deliveries_expected": sum(expected_by_sub), "deliveries_received": sum(len(s.latencies) for s in subs),
                "lost": lost, "duplicates": duplicates,
                "latency_ms": {"p50": quantile_ms(latencies, 0.5), "p95": quantile_ms(latencies, 0.95),
                               "p99": quantile_ms(latencies, 0.99),
                               "max": round(latencies[-1] * 1000, 1) if latencies else None},
                "rss_kb_start": sum(rss_start.values()), "rss_kb_end": sum(rss_end.values()),
                "rss_growth_pct": round(100 * (sum(rss_end.values()) / max(1, sum(rss_start.values())) - 1), 2),
                # From the first sample a minute in: the first events warm caches (compiled
                # selections, connection pools), which is not growth that goes on.
                "rss_growth_after_warmup_pct": _growth_after(rss_samples, sum(rss_end.values()), 60.0),
                "rss_samples_kb": rss_samples,
            }  # fmt: skip
            print(json.dumps(results["subscriptions"], indent=2), flush=True)

            # Mutation throughput, side by side: the API's handOffTicket and the raw driver.
            async def through_api(count: int) -> float:
                semaphore = asyncio.Semaphore(8)
                picks = sorted(tickets)

                async def one(i: int) -> None:
                    async with semaphore:
                        ticket = picks[i % len(picks)]
                        to = employees[(i * 7 + 1) % len(employees)]
                        await http.post("/graphql", headers=headers, json={"query": HAND_OFF, "variables": {"input": {
                            "ticketId": ticket, "toEmployeeId": to, "reason": "throughput",
                            "idempotencyKey": f"tp-{time.time_ns()}-{i}"}}})  # fmt: skip

                begun = time.perf_counter()
                await asyncio.gather(*(one(i) for i in range(count)))
                return count / (time.perf_counter() - begun)

            async def through_driver(count: int) -> float:
                semaphore = asyncio.Semaphore(8)
                picks = sorted(tickets)

                async def one(i: int) -> None:
                    async with semaphore:
                        await driver.execute_query(RAW_HAND_OFF, ticket_id=picks[i % len(picks)],
                                                   employee_id=employees[(i * 7 + 1) % len(employees)],
                                                   by_id=employees[0], reason="throughput")  # fmt: skip

                begun = time.perf_counter()
                await asyncio.gather(*(one(i) for i in range(count)))
                return count / (time.perf_counter() - begun)

            async def through_store(count: int) -> float:
                # The API's write itself (receipt, locked read, hand-off, outbox, events) without
                # HTTP, the token or GraphQL: where the API's time goes.
                semaphore = asyncio.Semaphore(8)
                picks = sorted(tickets)
                writer = Neo4jWriteStore(driver, "neo4j", UNRESTRICTED, Actor(employees[0], employees[0]))

                async def one(i: int) -> None:
                    async with semaphore:
                        ticket, to = picks[i % len(picks)], employees[(i * 7 + 1) % len(employees)]
                        with contextlib.suppress(CustomerGraphError):  # CONFLICT: already holds it
                            await writer.hand_off_ticket(f"st-{time.time_ns()}-{i}", ticket, to, "throughput", None)

                begun = time.perf_counter()
                await asyncio.gather(*(one(i) for i in range(count)))
                return count / (time.perf_counter() - begun)

            rounds = []
            for _ in range(3):
                api = await through_api(args.throughput_writes)
                store = await through_store(args.throughput_writes)
                raw = await through_driver(args.throughput_writes)
                rounds.append((api, store, raw))
            api_rate = statistics.median(r[0] for r in rounds)
            store_rate = statistics.median(r[1] for r in rounds)
            raw_rate = statistics.median(r[2] for r in rounds)
            results["mutations"] = {
                "writes_per_round": args.throughput_writes, "api_per_s": round(api_rate, 1),
                "write_store_per_s": round(store_rate, 1), "raw_driver_per_s": round(raw_rate, 1),
                "raw_over_api": round(raw_rate / api_rate, 2), "raw_over_write_store": round(raw_rate / store_rate, 2),
                "rounds_api_store_raw": [[round(a, 1), round(w, 1), round(r, 1)] for a, w, r in rounds],
            }  # fmt: skip
            print(json.dumps(results["mutations"], indent=2), flush=True)
    finally:
        launcher.terminate()
        try:
            launcher.wait(timeout=60)
        except subprocess.TimeoutExpired:
            launcher.kill()
        await driver.close()
        if neo4j is not None:
            local_neo4j.stop(home)
        if redis is not None:
            redis.terminate()
            redis.wait(timeout=30)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=10.0, help="hand-offs written per second")
    parser.add_argument("--seconds", type=float, default=600.0, help="the soak")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--throughput-writes", type=int, default=200)
    parser.add_argument("--neo4j-uri", default=None)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--broker", choices=("none", "redis", "both"), default="none")
    arguments = parser.parse_args()
    modes = {"none": [False], "redis": [True], "both": [False, True]}[arguments.broker]
    runs = {("redis" if mode else "none"): asyncio.run(main(arguments, mode)) for mode in modes}
    outcome = runs if len(runs) > 1 else next(iter(runs.values()))
    if len(runs) > 1:
        print("broker  p50 ms  p95 ms  p99 ms  lost  duplicates  received/expected")
        for name, run in runs.items():
            sub = run["subscriptions"]
            latency = sub["latency_ms"]
            print(f"{name:6}  {latency['p50']}  {latency['p95']}  {latency['p99']}  {sub['lost']}  "
                  f"{sub['duplicates']}  {sub['deliveries_received']}/{sub['deliveries_expected']}")  # fmt: skip
    arguments.results.write_text(json.dumps(outcome, indent=2) + "\n")
    print(f"wrote {arguments.results}")
