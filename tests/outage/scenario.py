"""Outages under traffic: stop Neo4j and start it again, then stop each source system in turn.

``run_outages`` drives the faults while ``Traffic`` keeps the clients going, and returns one
``Phase`` per stretch of time with the classes of its answers and what ``/readyz`` said; the
test asserts on them with short phases, ``bench/outage_bench.py`` prints them with long ones.
Nothing restarts the server: it must recover by itself once what it depends on is back.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from demo_systems.launcher import DemoFleet, stop_system
from tests.live_systems import Postgres
from tests.outage.traffic import COMPLETE, QUERIES, Traffic
from tests.own_neo4j import OwnNeo4j

GRAPH_QUERIES = [name for name, (source, _) in QUERIES.items() if source is None]
# Long enough for a source's circuit breaker to let a trial request through (cool_down_s in
# sources.toml) and for Neo4j to start and recover.
RECOVERY_TIMEOUT_S = 90.0
# After the first complete answer, requests already let through or turned away while a
# circuit was half-open may still answer unavailable: recovery is judged from this long after.
SETTLE_S = 1.0


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    seconds: float
    answers: Counter[str]
    readiness: frozenset[int]
    # The answers of the queries the fault concerns; and how long until the service answered
    # them completely again after the fault was undone (recovery phases).
    concerned: Counter[str]
    slowest_s: float
    recovered_s: float | None = None

    def line(self) -> str:
        counts = ", ".join(f"{kind} {count}" for kind, count in sorted(self.answers.items()))
        ready = "/".join(str(status) for status in sorted(self.readiness)) or "-"
        back = f", complete again after {self.recovered_s:.1f}s" if self.recovered_s is not None else ""
        return f"{self.name:<26}{self.seconds:6.1f}s  readyz {ready:<8} slowest {self.slowest_s:5.2f}s  {counts}{back}"


async def run_outages(
    traffic: Traffic,
    own: OwnNeo4j,
    fleet: DemoFleet,
    pg: Postgres,
    *,
    steady_s: float,
    outage_s: float,
    kill_neo4j: bool = False,
) -> list[Phase]:
    phases: list[Phase] = []

    async def steady(name: str) -> None:
        started = time.monotonic()
        await asyncio.sleep(steady_s)
        phases.append(_phase(traffic, name, started, list(QUERIES)))

    async def outage(name: str, stop: Callable[[], object], queries: list[str], code: str) -> None:
        started = time.monotonic()
        await asyncio.to_thread(stop)
        # The first coded answer shows the outage reached the clients (a request in flight when the
        # dependency stopped may take a while to end); then the outage lasts outage_s more.
        await traffic.wait_until(code, queries, RECOVERY_TIMEOUT_S)
        await asyncio.sleep(outage_s)
        phases.append(_phase(traffic, name, started, queries))

    async def recovery(name: str, start: Callable[[], object], queries: list[str]) -> None:
        started = time.monotonic()
        await asyncio.to_thread(start)
        back = await traffic.wait_until(COMPLETE, queries, RECOVERY_TIMEOUT_S)
        await asyncio.sleep(SETTLE_S)
        # Recovery is judged on the answers begun after settling: on a busy machine the first of
        # them can take longer than the steady phase, so wait for one to be answered at all.
        settled = time.monotonic()
        await traffic.wait_until(COMPLETE, queries, RECOVERY_TIMEOUT_S)
        await asyncio.sleep(steady_s)
        phases.append(_phase(traffic, name, started, queries, recovered_s=back - started, after=settled))

    # A server just started answers its first requests slowly: begin once it answers in full.
    await traffic.wait_until(COMPLETE, list(QUERIES), RECOVERY_TIMEOUT_S)
    await steady("steady")
    neo4j_down = "neo4j killed" if kill_neo4j else "neo4j stopped"
    await outage(neo4j_down, own.kill if kill_neo4j else own.stop, GRAPH_QUERIES, "GRAPH_UNAVAILABLE")
    await recovery("neo4j started again", own.start, GRAPH_QUERIES)
    for system in ("helpdesk", "hr", "crm"):
        queries = [name for name, (source, _) in QUERIES.items() if source == system]
        stop = lambda system=system: stop_system(fleet.systems[system])  # noqa: E731
        await outage(f"{system} stopped", stop, queries, "SOURCE_UNAVAILABLE")
        await recovery(f"{system} started again", lambda system=system: fleet.restart(system), queries)
    await outage("erp (postgresql) stopped", pg.stop, ["erp"], "SOURCE_UNAVAILABLE")
    await recovery("erp (postgresql) started", pg.start, ["erp"])
    await steady("steady again")
    return phases


def _phase(
    traffic: Traffic,
    name: str,
    started: float,
    queries: list[str],
    *,
    recovered_s: float | None = None,
    after: float | None = None,
) -> Phase:
    ended = time.monotonic()
    concerned_since = after if after is not None else started
    return Phase(
        name=name,
        seconds=ended - started,
        answers=traffic.tally(started, ended),
        readiness=frozenset(traffic.readiness(started, ended)),
        concerned=traffic.tally(concerned_since, ended, queries),
        slowest_s=traffic.slowest(started, ended),
        recovered_s=recovered_s,
    )
