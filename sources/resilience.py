"""The parts that keep a slow or broken source from hurting its callers.

A circuit breaker that stops calling a source after a run of failures and lets one probe
through after a cool-down; a small per-key cache whose entries expire after a few seconds;
and the backoff between retries. All of them take a clock, so tests can move time without
sleeping, and none does any I/O.
"""

from __future__ import annotations

import random
import time
from collections import OrderedDict
from collections.abc import Callable
from enum import StrEnum
from typing import Generic, TypeVar

Clock = Callable[[], float]
V = TypeVar("V")


class CircuitState(StrEnum):
    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"


class CircuitOpen(Exception):
    """The breaker refused the call: the source failed recently and its cool-down is not over."""

    def __init__(self, retry_in: float) -> None:
        super().__init__(f"circuit open after repeated failures; next probe in {retry_in:.1f}s")
        self.retry_in = retry_in


class CircuitBreaker:
    """Closed: calls go through. After ``failure_threshold`` failures in a row: open, and every
    call is refused at once. After ``cool_down`` seconds: half-open, one call goes through as a
    probe (others are still refused); its success closes the circuit, its failure opens it
    again for another cool-down.

    The owner calls ``acquire()`` before a call and then exactly one of ``succeeded()``,
    ``failed()`` or ``abandoned()`` (the call was cancelled: it says nothing of the source).
    """

    def __init__(self, failure_threshold: int, cool_down: float, *, clock: Clock = time.monotonic) -> None:
        self._threshold = failure_threshold
        self._cool_down = cool_down
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self._probing or self._clock() - self._opened_at >= self._cool_down:
            return CircuitState.HALF_OPEN
        return CircuitState.OPEN

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def acquire(self) -> None:
        """Allow a call, or raise CircuitOpen; in the half-open state only one probe at a time."""
        if self._opened_at is None:
            return
        waited = self._clock() - self._opened_at
        if self._probing or waited < self._cool_down:
            raise CircuitOpen(max(0.0, self._cool_down - waited))
        self._probing = True

    def succeeded(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._probing = False

    def failed(self) -> None:
        self._failures += 1
        if self._probing or self._failures >= self._threshold:
            self._opened_at = self._clock()
        self._probing = False

    def abandoned(self) -> None:
        self._probing = False


class TtlCache(Generic[V]):
    """Values by key for ``ttl`` seconds, at most ``max_entries`` of them (oldest evicted first)."""

    def __init__(self, ttl: float, max_entries: int, *, clock: Clock = time.monotonic) -> None:
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, V]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self._ttl > 0 and self._max_entries > 0

    def get(self, key: str) -> tuple[bool, V | None]:
        """(True, value) for a fresh entry, (False, None) otherwise."""
        entry = self._entries.get(key)
        if entry is None:
            return False, None
        expires, value = entry
        if self._clock() >= expires:
            del self._entries[key]
            return False, None
        return True, value

    def put(self, key: str, value: V) -> None:
        if not self.enabled:
            return
        self._entries[key] = (self._clock() + self._ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def backoff_delay(attempt: int, base: float, cap: float, *, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (1, 2, ...): exponential, with jitter in its upper half.

    Jitter keeps many callers that failed together from retrying in lock-step.
    """
    ceiling = min(cap, base * (2 ** (attempt - 1)))
    return (rng or _JITTER).uniform(ceiling / 2, ceiling)


_JITTER = random.Random()  # jitter, not cryptography
