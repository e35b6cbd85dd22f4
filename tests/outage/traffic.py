"""Steady client traffic on the real server, each answer sorted by what it was.

Clients send a mix of queries (graph only, and graph plus each live source) over real sockets
in a closed loop while the test stops and starts what the service depends on. Each answer is
put in one class:

- ``complete``: 200, data, no error;
- ``GRAPH_UNAVAILABLE`` / ``SOURCE_UNAVAILABLE`` (or both, joined by ``+``): 200, coded errors
  of those kinds only, the rest of the answer served; ``REQUEST_TIMEOUT`` too, the request's
  deadline (``CG_REQUEST_TIMEOUT_S``) passing while a restarted Neo4j answers its first
  statements slowly;
- anything else is a failure: a 5xx, another error code, a transport error, or no answer
  within ``HANG_S`` (a hang).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx

from tests.auth_tokens import bearer

COMPLETE = "complete"
CODED = frozenset({"GRAPH_UNAVAILABLE", "SOURCE_UNAVAILABLE", "REQUEST_TIMEOUT"})
# A request must not wait on a dead or stalled dependency instead of answering that it is
# unavailable: one that takes SLOW_S is a failure, and no answer in GIVE_UP_S is a hang. The
# first statements after Neo4j starts again can take Neo4j itself several seconds on a busy
# machine (up to 12 s seen here with other test suites running); HANG_S bounds what the service
# itself may add (tests/outage/test_silent_graph.py).
HANG_S = 15.0
SLOW_S = 30.0
GIVE_UP_S = 90.0

# Which source system each query reads, besides the graph.
QUERIES: dict[str, tuple[str | None, str]] = {
    "customer": (
        None,
        '{ customer(id: "C000003") { id name owner { name } orders(first: 3) { totalCount nodes { id '
        "lines { quantity product { sku } } } } interactions(first: 3) { nodes { channel } } } }",
    ),
    "list": (None, "{ customers(first: 20, filter: {tiers: [GOLD]}) { totalCount nodes { id tier } } }"),
    "journey": (None, '{ journey(customerId: "C000007", first: 10) { totalCount nodes { at kind } } }'),
    "erp": (
        "erp",
        '{ order(id: "O0000002") { id status live { status total } } '
        'customer(id: "C000005") { id erpAccount { openInvoices } } }',
    ),
    "helpdesk": ("helpdesk", '{ ticket(id: "T000004") { id status live { status priority } } }'),
    "hr": ("hr", '{ employee(id: "E00003") { id name availability { availability role } } }'),
    "crm": ("crm", '{ customer(id: "C000009") { id name crm { crmKey leadScore } } }'),
}


@dataclass(frozen=True, slots=True)
class Answer:
    query: str
    started: float
    ended: float
    kind: str


def classify(status: int, body: object) -> str:
    """The class of one answer (see the module docstring)."""
    if status != 200 or not isinstance(body, dict):
        return f"failure: HTTP {status}"
    errors = body.get("errors") or []
    if not errors:
        return COMPLETE if body.get("data") is not None else "failure: no data and no error"
    codes = {str((error.get("extensions") or {}).get("code")) for error in errors}
    if not codes <= CODED:
        messages = "; ".join(str(error.get("message")) for error in errors[:3])
        return f"failure: {'+'.join(sorted(codes))} ({messages})"
    return "+".join(sorted(codes))


@dataclass
class Traffic:
    """``clients`` closed loops sending ``QUERIES`` in turn to ``base_url`` until stopped."""

    base_url: str
    clients: int = 4
    answers: list[Answer] = field(default_factory=list)
    ready: list[tuple[float, int]] = field(default_factory=list)
    _stopping: bool = False
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def __aenter__(self) -> Traffic:
        names = list(QUERIES)
        for number in range(self.clients):
            order = itertools.cycle(names[number % len(names) :] + names[: number % len(names)])
            self._tasks.append(asyncio.create_task(self._client(order)))
        self._tasks.append(asyncio.create_task(self._readiness()))
        return self

    async def __aexit__(self, *_: object) -> None:
        self._stopping = True
        await asyncio.gather(*self._tasks)

    async def _client(self, order: Iterable[str]) -> None:
        limits = httpx.Limits(max_connections=1)
        # An admin's token: the traffic is about outages, not about who may see what.
        async with httpx.AsyncClient(
            base_url=self.base_url, timeout=GIVE_UP_S, limits=limits, headers=bearer()
        ) as http:
            for name in order:
                if self._stopping:
                    return
                started = time.monotonic()
                try:
                    response = await http.post("/graphql", json={"query": QUERIES[name][1]})
                    kind = classify(response.status_code, response.json())
                except httpx.TimeoutException:
                    kind = f"failure: hang ({name})"
                except (httpx.TransportError, ValueError) as error:
                    kind = f"failure: {type(error).__name__}"
                ended = time.monotonic()
                if ended - started > SLOW_S and not kind.startswith("failure"):
                    kind = f"failure: slow {kind} ({name}, {ended - started:.0f}s)"
                self.answers.append(Answer(name, started, ended, kind))

    async def _readiness(self) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=HANG_S) as http:
            while not self._stopping:
                try:
                    status = (await http.get("/readyz")).status_code
                except httpx.HTTPError:
                    status = 0
                self.ready.append((time.monotonic(), status))
                await asyncio.sleep(0.2)

    def tally(self, since: float, until: float | None = None, queries: Iterable[str] | None = None) -> Counter[str]:
        """The classes of the answers to requests started in ``[since, until)``."""
        wanted = set(queries) if queries is not None else None
        return Counter(
            answer.kind
            for answer in self.answers
            if since <= answer.started and (until is None or answer.started < until)
            and (wanted is None or answer.query in wanted)
        )  # fmt: skip

    def slowest(self, since: float, until: float) -> float:
        """The longest wait for an answer to a request started in ``[since, until)``."""
        waits = [answer.ended - answer.started for answer in self.answers if since <= answer.started < until]
        return max(waits, default=0.0)

    def readiness(self, since: float, until: float) -> set[int]:
        return {status for at, status in self.ready if since <= at < until}

    async def wait_until(self, kind: str, queries: Iterable[str], within_s: float) -> float:
        """Wait until a request to ``queries`` started now or later is answered ``kind``; when it started."""
        wanted, since = set(queries), time.monotonic()
        deadline = since + within_s
        seen = 0
        while time.monotonic() < deadline:
            answers, seen = self.answers[seen:], len(self.answers)
            for answer in answers:
                if answer.started >= since and answer.query in wanted and answer.kind == kind:
                    return answer.started
            await asyncio.sleep(0.1)
        raise AssertionError(f"no {kind} answer to {sorted(wanted)} within {within_s:.0f}s: {self.tally(since)}")


def failures(counts: Counter[str]) -> dict[str, int]:
    return {kind: count for kind, count in counts.items() if kind.startswith("failure")}
