"""DEMO system, not part of the product: the helpdesk's write endpoints, idempotent by key.

The graph's outbox (``graph.outbox``) delivers ticket changes here:

- ``POST /api/tickets``: open a ticket ``{"id", "customer_id", "subject", "priority", "opened_at"}``;
- ``POST /api/tickets/<id>/hand-offs``: ``{"employee_id", "by_employee_id", "reason", "at"}``;
- ``POST /api/tickets/<id>/close``: ``{"by_employee_id", "resolution", "at"}``.

Each needs an ``Idempotency-Key`` header. A key seen before is answered with what it was
answered then, and the change is not applied again. The helpdesk tells how many
times each key was *applied* (``GET /__deliveries``, a test control that faults do not touch:
tests count exactly-once delivery here, at the system itself).
Answers: ``201`` applied, ``404`` unknown ticket, ``409`` a closed ticket, ``400`` a bad body.

**Webhooks.** ``POST /api/webhooks`` with ``{"url": ..., "secret": ...}`` registers a receiver:
every hand-off and close the helpdesk applies (whoever made it: an agent in the helpdesk or a
delivery from the graph) is posted to it as ``{"event_id", "kind", "ticket_id", "employee_id",
"by_employee_id", "reason", "at", "origin_key"}`` (``origin_key``: the idempotency key of the
write that made it), signed ``X-Helpdesk-Signature: sha256=<HMAC-SHA256 of the body>``, and
retried a few times if the receiver does not answer 2xx.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from collections import Counter, OrderedDict
from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from demo_systems.directory_records import Row
from demo_systems.web import DemoServer

MAX_KEYS = 200_000


class HelpdeskWrites:
    """The write routes over the helpdesk's tickets (``by_id``), and what each key was answered."""

    def __init__(self, server: DemoServer, by_id: dict[str, Row], hand_offs: list[Row]) -> None:
        self._server = server
        self._by_id = by_id
        self._hand_offs = hand_offs
        self._answers: OrderedDict[str, tuple[int, dict[str, Any]]] = OrderedDict()
        self.applied: Counter[str] = Counter()
        self._webhooks: list[tuple[str, str]] = []
        self._sending: set[asyncio.Task[None]] = set()

    def routes(self) -> list[Route]:
        api = self._server.api
        return [
            Route("/api/tickets", api("write", self._writing(self._open)), methods=["POST"]),
            Route("/api/tickets/{id}/hand-offs", api("write", self._writing(self._hand_off)), methods=["POST"]),
            Route("/api/tickets/{id}/close", api("write", self._writing(self._close)), methods=["POST"]),
            # A test control like /__stats: never delayed or failed, so tests can count during an outage.
            Route("/__deliveries", self._deliveries, methods=["GET"]),
            Route("/api/webhooks", api("write", self._register), methods=["POST"]),
        ]

    def _writing(self, change: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            key = request.headers.get("idempotency-key", "")
            if not 1 <= len(key) <= 200:
                return JSONResponse({"error": "an Idempotency-Key header is required"}, status_code=400)
            try:
                body = await request.json()
            except ValueError:
                return JSONResponse({"error": "expected a JSON object"}, status_code=400)
            # From here to the answer nothing awaits: two sends of one key cannot interleave.
            seen = self._answers.get(key)
            if seen is not None:
                return JSONResponse({**seen[1], "replayed": True}, status_code=seen[0])
            if not isinstance(body, dict):
                return JSONResponse({"error": "expected a JSON object"}, status_code=400)
            status, answer = change(request.path_params.get("id"), body)
            if status < 500:
                self._answers[key] = (status, answer)
                if len(self._answers) > MAX_KEYS:
                    self._answers.popitem(last=False)
            if status == 201:
                self.applied[key] += 1
                announced = answer.get("hand_off") or answer.get("closed")
                if announced is not None:
                    self._announce({**announced, "origin_key": key})
            return JSONResponse(answer, status_code=status)

        return endpoint

    def _open(self, _: str | None, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        ticket_id = str(body.get("id", ""))
        if not ticket_id or not body.get("customer_id"):
            return 400, {"error": "a ticket needs an id and a customer_id"}
        if ticket_id in self._by_id:
            return 409, {"error": f"ticket {ticket_id} exists"}
        self._by_id[ticket_id] = {
            "id": ticket_id, "status": "OPEN", "priority": body.get("priority", "NORMAL"),
            "subject": body.get("subject", ""), "opened_at": body.get("opened_at"), "updated_at": body.get("opened_at"),
            "assignee": None, "customer": {"customer_id": body["customer_id"]},
        }  # fmt: skip
        return 201, {"ticket": self._by_id[ticket_id]}

    def _hand_off(self, ticket_id: str | None, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        ticket = self._by_id.get(str(ticket_id))
        if ticket is None:
            return 404, {"error": f"no ticket {ticket_id}"}
        if ticket["status"] in ("CLOSED", "RESOLVED"):
            return 409, {"error": f"ticket {ticket_id} is closed"}
        if not body.get("employee_id"):
            return 400, {"error": "a hand-off needs an employee_id"}
        at = body.get("at") or datetime.now(UTC).isoformat()
        ticket["assignee"] = {"employee_id": body["employee_id"], "agent_key": None, "name": None}
        ticket["updated_at"] = at
        if ticket["status"] == "OPEN":
            ticket["status"] = "IN_PROGRESS"
        hop = {"ticket_id": ticket_id, "assignee": {"employee_id": body["employee_id"], "agent_key": None},
               "by_employee_id": body.get("by_employee_id"), "at": at, "reason": body.get("reason", "")}  # fmt: skip
        self._hand_offs.append(hop)
        change = {"kind": "HAND_OFF", "ticket_id": ticket_id, "employee_id": body["employee_id"],
                  "by_employee_id": body.get("by_employee_id"), "reason": body.get("reason", ""), "at": at}  # fmt: skip
        return 201, {"hand_off": change}

    def _close(self, ticket_id: str | None, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        ticket = self._by_id.get(str(ticket_id))
        if ticket is None:
            return 404, {"error": f"no ticket {ticket_id}"}
        if ticket["status"] == "CLOSED":
            return 409, {"error": f"ticket {ticket_id} is already closed"}
        ticket["status"] = "CLOSED"
        ticket["updated_at"] = body.get("at") or datetime.now(UTC).isoformat()
        closed = {"kind": "CLOSE", "ticket_id": ticket_id, "employee_id": None,
                  "by_employee_id": body.get("by_employee_id"), "reason": body.get("resolution", ""),
                  "at": ticket["updated_at"]}  # fmt: skip
        return 201, {"ticket": ticket, "closed": closed}

    async def _register(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not str(body.get("url", "")).startswith("http") or not body.get("secret"):
            return JSONResponse({"error": 'send {"url": "http...", "secret": "..."}'}, status_code=400)
        # One receiver per URL: registering it again (a restarted server) replaces its secret.
        url, secret = str(body["url"]), str(body["secret"])
        known = any(registered == url for registered, _ in self._webhooks)
        self._webhooks = [(registered, key) for registered, key in self._webhooks if registered != url]
        self._webhooks.append((url, secret))
        return JSONResponse({"webhooks": len(self._webhooks)}, status_code=200 if known else 201)

    def _announce(self, change: dict[str, Any]) -> None:
        for url, secret in self._webhooks:
            task = asyncio.create_task(_post_webhook(url, secret, {"event_id": f"HD-{uuid.uuid4().hex}", **change}))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _deliveries(self, request: Request) -> Response:
        return JSONResponse({"applied": dict(self.applied), "writes": sum(self.applied.values())})


async def _post_webhook(url: str, secret: str, event: dict[str, Any], attempts: int = 5) -> None:
    body = json.dumps(event).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"content-type": "application/json", "x-helpdesk-signature": signature}
    async with httpx.AsyncClient(timeout=5.0) as client:
        for attempt in range(attempts):
            try:
                answer = await client.post(url, content=body, headers=headers)
                if answer.status_code < 300:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2 * 2**attempt)
