"""The helpdesk's write API, as the outbox delivers to it: one change per call, by key.

``HelpdeskWriter.send`` posts one ticket change (open, hand-off, close) with the delivery's id
as its ``Idempotency-Key``, and says what came of it: ``Sent.DELIVERED`` (the helpdesk applied
it, now or at an earlier send of the same key), ``Sent.RETRY`` (the helpdesk could not be
reached, timed out, or answered 5xx or 429: nothing says it refused the change) or
``Sent.REFUSED`` (any other 4xx: the change itself is wrong for the helpdesk, and sending it
again would change nothing), each with a reason fit for the API's delivery state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from urllib.parse import quote

import httpx

from sources.config import Resilience
from sources.http_client import open_client


class Sent(StrEnum):
    DELIVERED = "DELIVERED"
    RETRY = "RETRY"
    REFUSED = "REFUSED"


@dataclass(frozen=True, slots=True)
class SendOutcome:
    sent: Sent
    reason: str | None = None


class TicketChangeSink(Protocol):
    """Where ticket changes go: the system of record that owns tickets."""

    async def send(self, delivery_id: str, kind: str, ticket_id: str, payload: str) -> SendOutcome: ...


def _path(kind: str, ticket_id: str) -> str:
    if kind == "OPEN":
        return "/api/tickets"
    if kind == "HAND_OFF":
        return f"/api/tickets/{quote(ticket_id, safe='')}/hand-offs"
    if kind == "CLOSE":
        return f"/api/tickets/{quote(ticket_id, safe='')}/close"
    raise ValueError(f"no helpdesk endpoint for a {kind} change")


class HelpdeskWriter:
    """Ticket changes to the helpdesk over HTTP/JSON; see the module docstring."""

    def __init__(
        self, base_url: str, token: str, *, timeout_s: float = 5.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        resilience = Resilience(timeout_s=timeout_s, connect_timeout_s=min(timeout_s, 2.0))
        headers = {"Authorization": f"Bearer {token}"}
        self._client = open_client(resilience, base_url=base_url, headers=headers, transport=transport)

    async def send(self, delivery_id: str, kind: str, ticket_id: str, payload: str) -> SendOutcome:
        try:
            response = await self._client.post(
                _path(kind, ticket_id),
                content=payload.encode(),
                headers={"Idempotency-Key": delivery_id, "Content-Type": "application/json"},
            )
        except httpx.TimeoutException:
            return SendOutcome(Sent.RETRY, "the helpdesk did not answer in time")
        except httpx.TransportError as exc:
            return SendOutcome(Sent.RETRY, f"cannot reach the helpdesk: {exc or type(exc).__name__}")
        status = response.status_code
        if 200 <= status < 300:
            return SendOutcome(Sent.DELIVERED)
        if status >= 500 or status in (408, 429):
            return SendOutcome(Sent.RETRY, f"the helpdesk answered HTTP {status}")
        return SendOutcome(Sent.REFUSED, f"the helpdesk refused the change (HTTP {status}): {_error_of(response)}")

    async def close(self) -> None:
        await self._client.aclose()


def _error_of(response: httpx.Response) -> str:
    try:
        body = json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:200]
    error = body.get("error") if isinstance(body, dict) else None
    return str(error)[:200] if error is not None else response.text[:200]
