"""What a business event is, and the port a subscriber reads events through.

Kept apart from the Neo4j event log (``graph.events``) so the resolvers can name events and
their feed without the driver.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class GraphEvent:
    """One business event: ``kind`` (``INTERACTION``, ``TICKET_OPENED``, ``HAND_OFF``,
    ``TICKET_CLOSED``, ``ACCOUNT_OWNER``), the customer it concerns, the ticket, the employee it
    went to and their department, who did it, and a short ``detail`` (summary or reason)."""

    seq: int
    kind: str
    at: datetime
    customer_id: str | None
    ticket_id: str | None = None
    employee_id: str | None = None
    by_id: str | None = None
    department_id: str | None = None
    office: str | None = None
    detail: str | None = None
    channel: str | None = None
    interaction_id: str | None = None
    # Service-level alerts (graph.alerts): found by the clock, logged once by whichever process saw them.
    tier: str | None = None
    clock: str | None = None
    state: str | None = None

    @property
    def logged(self) -> bool:
        """Whether the event is in the log (has a sequence number); alerts are not."""
        return self.seq > 0

    @classmethod
    def from_node(cls, node: Mapping[str, Any]) -> GraphEvent:
        at = node["at"]
        return cls(
            seq=int(node["seq"]), kind=str(node["kind"]), at=at.to_native() if hasattr(at, "to_native") else at,
            customer_id=node.get("customer_id"), ticket_id=node.get("ticket_id"), employee_id=node.get("employee_id"),
            by_id=node.get("by_id"), department_id=node.get("department_id"), office=node.get("office"),
            detail=node.get("detail"), channel=node.get("channel"), interaction_id=node.get("interaction_id"),
            tier=node.get("tier"), clock=node.get("clock"), state=node.get("state"),
        )  # fmt: skip

    def as_json(self) -> str:
        fields = {
            "seq": self.seq, "kind": self.kind, "at": self.at.isoformat(), "customer_id": self.customer_id,
            "ticket_id": self.ticket_id, "employee_id": self.employee_id, "by_id": self.by_id,
            "department_id": self.department_id, "office": self.office, "detail": self.detail,
            "channel": self.channel, "interaction_id": self.interaction_id, "tier": self.tier, "clock": self.clock,
            "state": self.state,
        }  # fmt: skip
        return json.dumps(fields)


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events a subscriber wants: a kind among ``kinds``, and every id or tier given equal.

    Called on an event, it answers for the live feed; a replay of the log (a resumed stream)
    hands the same conditions to Neo4j (``parameters``), so only the wanted events leave the
    database, not the whole window for Python to sift.
    """

    kinds: frozenset[str]
    customer_id: str | None = None
    employee_id: str | None = None
    department_id: str | None = None
    tiers: frozenset[str] | None = None

    def __call__(self, event: GraphEvent) -> bool:
        return (
            event.kind in self.kinds
            and (self.customer_id is None or event.customer_id == self.customer_id)
            and (self.employee_id is None or event.employee_id == self.employee_id)
            and (self.department_id is None or event.department_id == self.department_id)
            and (self.tiers is None or event.tier in self.tiers)
        )

    def parameters(self) -> dict[str, Any]:
        """The conditions as the log's filtered read takes them (``graph.events.AFTER_MATCHING``)."""
        return {
            "kinds": sorted(self.kinds),
            "customer": self.customer_id,
            "employee": self.employee_id,
            "department": self.department_id,
            "tiers": None if self.tiers is None else sorted(self.tiers),
        }


class EventFeed(Protocol):
    """Events as they are committed, for one subscriber (the port ``server.events`` fills).

    ``subscribe(wants, after, caller)`` yields the events ``wants`` accepts, in order: from the
    event after ``after`` when given (a resumed stream), else from now on. It raises
    ``domain.errors.LimitExceededError`` when the process has no room for one more subscriber,
    or for one more of ``caller``'s (the token's subject), and while iterating when the
    subscriber fell too far behind (its queue is bounded).
    """

    def admit(self, caller: str) -> None:
        """``LimitExceededError`` unless there is room for one more of ``caller``'s subscriptions:
        asked first, so a caller over its share costs no read of the graph."""
        ...

    def subscribe(
        self, wants: Callable[[GraphEvent], bool], after: int | None = None, caller: str = ""
    ) -> AsyncIterator[GraphEvent]: ...
