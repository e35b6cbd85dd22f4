"""Webhooks from the helpdesk: a change made in the helpdesk itself reaches the graph at once.

``POST /webhooks/helpdesk`` takes what the helpdesk posts when a ticket is handed off or closed
there (see ``demo_systems.helpdesk_writes``), signed with ``CG_HELPDESK_WEBHOOK_SECRET``
(``X-Helpdesk-Signature: sha256=<HMAC-SHA256 of the body>``; no bearer token: the signature is
the authentication, and without a secret configured the route answers 404). The change is
written as the helpdesk's (``graph.writes.Neo4jWriteStore.from_helpdesk``: no row rules, the
helpdesk's own ``by``, the webhook's event id as the idempotency key, so a retried webhook
writes once) with its events, so subscribers are told as of any write. Changes the helpdesk
made because this service delivered them are recognised by their key and left alone.

Answers: ``200`` with ``{"applied": true|false, "reason"}`` once the change is handled
(a change the graph cannot take, such as an unknown ticket, is answered so too: sending it
again would change nothing), ``401`` for a bad signature, ``400`` for a body of the wrong shape.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.errors import BadUserInputError, ConflictError
from graph.row_rules import UNRESTRICTED
from graph.store import Neo4jGraphStore
from graph.write_model import Actor
from graph.writes import Neo4jWriteStore
from server.graphql_http import RequestError, read_body

MAX_BODY_BYTES = 64_000
SUBJECT = "helpdesk-webhook"


class HelpdeskWebhook:
    def __init__(self, secret: str | None, store: Callable[[Request], Neo4jGraphStore | None]) -> None:
        self._secret = secret.encode() if secret else None
        self._store = store

    async def handle(self, request: Request) -> Response:
        store = self._store(request)
        if self._secret is None or store is None:
            return JSONResponse({"error": "no webhook is configured here"}, status_code=404)
        try:
            body = await read_body(request, MAX_BODY_BYTES)
        except RequestError as error:
            return JSONResponse({"error": error.message}, status_code=error.status)
        expected = "sha256=" + hmac.new(self._secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("x-helpdesk-signature", "")):
            return JSONResponse({"error": "bad signature"}, status_code=401)
        try:
            change: Any = orjson.loads(body)
        except orjson.JSONDecodeError:
            change = None
        fields = ("event_id", "kind", "ticket_id")
        if not isinstance(change, dict) or not all(isinstance(change.get(name), str) for name in fields):
            return JSONResponse({"error": "expected an object with event_id, kind and ticket_id"}, status_code=400)
        by_id = change.get("by_employee_id")
        writer = Neo4jWriteStore(
            store.driver, store.database, UNRESTRICTED, Actor(SUBJECT, by_id if isinstance(by_id, str) else None)
        )
        employee_id = change.get("employee_id")
        origin = change.get("origin_key")
        try:
            result = await writer.from_helpdesk(
                change["event_id"][:200],
                change["kind"],
                change["ticket_id"][:80],
                employee_id if isinstance(employee_id, str) else None,
                str(change.get("reason") or "")[:500],
                origin if isinstance(origin, str) else None,
            )
        except (BadUserInputError, ConflictError) as refused:
            return JSONResponse({"applied": False, "reason": refused.message})
        return JSONResponse({**result.answer, "replayed": result.replayed})
