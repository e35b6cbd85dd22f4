"""What one request may spend: time, Cypher statements at once, and errors to report.

A request starts with a ``RequestBudget``. The graph store runs each statement inside it: it
waits for one of ``max_statements`` slots (so a request of ten thousand aliases cannot take
every connection of the driver's pool from the other requests) and gives Neo4j the time left
before the deadline as the transaction's timeout (so the database stops the work too, not
only the client). Live sources get the same time left as their deadline. The executor stops
locating errors past ``max_errors`` and counts the rest, which the response reports in one
summarising error.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from domain.errors import RequestTimeoutError

# Neo4j takes whole milliseconds; a statement gets at least this much, so that a request at
# its last millisecond fails with a timeout rather than running unbounded (a zero timeout
# means "no timeout" to Neo4j).
_MIN_STATEMENT_SECONDS = 0.001


@dataclass
class RequestBudget:
    """The limits of one request (see the module docstring); not shared between requests."""

    timeout_s: float
    max_statements: int
    max_errors: int
    started: float = field(default_factory=time.monotonic)
    omitted_errors: int = 0
    statements: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.statements = asyncio.Semaphore(self.max_statements)

    @property
    def deadline(self) -> float:
        return self.started + self.timeout_s

    def remaining(self) -> float:
        """Seconds left before the deadline (negative once it passed)."""
        return self.deadline - time.monotonic()

    def time_for(self, what: str) -> float:
        """The time ``what`` may take: what is left, or ``RequestTimeoutError`` when nothing is."""
        left = self.remaining()
        if left <= 0:
            raise RequestTimeoutError(f"the request ran out of time ({self.timeout_s:g} s) before {what}")
        return max(left, _MIN_STATEMENT_SECONDS)
