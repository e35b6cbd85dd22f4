"""The words of a write: who acts, what a write answered, and where a change stands on its way
to its system of record. Apart from ``graph.writes`` and ``graph.outbox`` so the resolvers can
use them without the driver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class OutboxKind(StrEnum):
    OPEN = "OPEN"
    HAND_OFF = "HAND_OFF"
    CLOSE = "CLOSE"


class DeliveryState(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a write answered: the ids it touched (``answer``) and whether it was a replay."""

    answer: Mapping[str, Any]
    replayed: bool


@dataclass(frozen=True, slots=True)
class Actor:
    """Who writes: the caller's subject (it scopes their idempotency keys) and employee."""

    subject: str
    employee_id: str | None  # None: a system of record that did not say who acted


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where the newest change of a ticket stands on its way to the helpdesk."""

    delivery_id: str
    kind: OutboxKind
    state: DeliveryState
    attempts: int
    reason: str | None
    delivered_at: datetime | None
