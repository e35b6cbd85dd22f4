"""Send queries one at a time, then all at once from many clients, and compare the answers.

Anything a request leaves behind for another (a DataLoader or cache shared by mistake, a
request id or an error attached to the wrong request) shows as an answer that differs from
the one the same query got alone. Each request carries its own ``X-Request-Id``, which must
come back on its own response.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.auth_tokens import bearer

TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: Any
    request_id_kept: bool


@dataclass
class Together:
    answers: dict[tuple[int, int], Answer] = field(default_factory=dict)
    seconds: float = 0.0

    def mismatches(self, alone: list[Answer]) -> list[str]:
        found = []
        for (index, round_), answer in sorted(self.answers.items()):
            if not answer.request_id_kept:
                found.append(f"query {index} round {round_}: the response carried another request's id")
            if (answer.status, _normal(answer.body)) != (alone[index].status, _normal(alone[index].body)):
                found.append(
                    f"query {index} round {round_}: {answer.status} {str(answer.body)[:300]}\n"
                    f"  alone: {alone[index].status} {str(alone[index].body)[:300]}"
                )
        return found


def _normal(body: Any) -> Any:
    """The answer with its errors in one order: GraphQL lists them as they happen, and fields
    that resolve side by side may fail in either order (seen: two NOT_FOUND roots)."""
    if not isinstance(body, dict) or not body.get("errors"):
        return body
    return {**body, "errors": sorted(body["errors"], key=lambda error: json.dumps(error, sort_keys=True))}


async def _send(http: httpx.AsyncClient, query: str) -> Answer:
    request_id = uuid.uuid4().hex
    response = await http.post("/graphql", json={"query": query}, headers={"x-request-id": request_id})
    return Answer(response.status_code, response.json(), response.headers.get("x-request-id") == request_id)


async def answers_alone(base_url: str, queries: list[str]) -> list[Answer]:
    async with httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT_S, headers=bearer()) as http:
        return [await _send(http, query) for query in queries]


async def answers_together(base_url: str, queries: list[str], *, clients: int, rounds: int, seed: int) -> Together:
    """Every query ``rounds`` times, shuffled, over ``clients`` connections at once."""
    work = [(index, round_) for round_ in range(rounds) for index in range(len(queries))]
    random.Random(seed).shuffle(work)
    pending: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
    for item in work:
        pending.put_nowait(item)
    together = Together()

    async def client() -> None:
        # One connection per client, each its own: the workers' sockets spread them over the processes.
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT_S, limits=limits, headers=bearer()) as http:
            while not pending.empty():
                index, round_ = pending.get_nowait()
                together.answers[(index, round_)] = await _send(http, queries[index])

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(clients)))
    together.seconds = time.monotonic() - started
    return together
