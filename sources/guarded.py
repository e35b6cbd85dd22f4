"""What every connector does around its protocol: cache, breaker, deadline, retries, errors.

A connector subclasses ``GuardedSource`` and only says how to look keys up, read one export
page and ping its system, raising ``SourceCallError`` for a failure it has translated at its
edge (transient or not). This base turns every way a call can go wrong into
``SourceUnavailableError`` for the caller:

- fresh cached keys are answered without a call; the rest go out as one request per
  ``max_batch`` keys;
- an open circuit refuses at once (no I/O, microseconds), a half-open one lets one probe out;
- the whole call, retries included, must finish within ``timeout_s``;
- transient failures of idempotent reads are retried with jittered exponential backoff,
  writes and non-idempotent requests never are;
- a malformed answer counts as a failure, like a timeout or a 5xx.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType
from typing import Self, TypeVar

from domain.errors import SourceUnavailableError
from sources.answers import MalformedAnswerError, RecordShape
from sources.config import ExportBase, Resilience, SourceBase
from sources.port import Record, Serves, SourceHealth
from sources.resilience import CircuitBreaker, CircuitOpen, CircuitState, Clock, TtlCache, backoff_delay

T = TypeVar("T")
log = logging.getLogger(__name__)


class SourceCallError(Exception):
    """A call failed in a way the connector understood; ``transient`` ones are worth a retry."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


@dataclass(frozen=True, slots=True)
class ExportPage:
    records: list[Record]
    next_cursor: object | None


@dataclass(slots=True)
class SourceStats:
    """What a connector did, for metrics and benchmarks: counted on the caller's side."""

    calls: int = 0
    attempts: int = 0
    retries: int = 0
    failures: int = 0
    rejected_by_circuit: int = 0
    cache_hits: int = 0
    last_reasons: list[str] = field(default_factory=list)


class GuardedSource(ABC):
    """The shared behaviour of every connector; see the module docstring."""

    def __init__(
        self, name: str, config: SourceBase, exports: Mapping[str, ExportBase], *, clock: Clock = time.monotonic
    ) -> None:
        self._name = name
        self._serves = Serves(config.entity, config.key)
        self._shape = RecordShape.of(config.field_specs())
        self._export_shapes = {kind: RecordShape.of(spec.field_specs()) for kind, spec in exports.items()}
        self._resilience: Resilience = config.resilience
        self._breaker = CircuitBreaker(config.resilience.failure_threshold, config.resilience.cool_down_s, clock=clock)
        self._cache: TtlCache[Record | None] = TtlCache(
            config.resilience.cache_ttl_s, config.resilience.cache_max_entries, clock=clock
        )
        self.stats = SourceStats()

    # -- what a connector provides -------------------------------------------------------

    @abstractmethod
    async def _lookup(self, keys: Sequence[str]) -> dict[str, Record]:
        """Records of the keys the system knows (at most ``max_batch`` keys: one request)."""

    @abstractmethod
    async def _export_page(self, kind: str, cursor: object | None) -> ExportPage:
        """One page of an export; ``cursor`` is None for the first page."""

    @abstractmethod
    async def _ping(self) -> None:
        """A cheap request that succeeds when the system answers."""

    @property
    def lookup_is_idempotent(self) -> bool:
        return True

    @abstractmethod
    async def open(self) -> None:
        """Open clients or pools; called once before the first call, a no-op when open."""

    @abstractmethod
    async def aclose(self) -> None:
        """Close what ``open`` opened; a no-op when closed."""

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # -- the port ------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def serves(self) -> Serves:
        return self._serves

    @property
    def fields(self) -> Sequence[str]:
        return list(self._shape.fields)

    @property
    def exports(self) -> Sequence[str]:
        return list(self._export_shapes)

    @property
    def circuit(self) -> CircuitState:
        return self._breaker.state

    async def fetch(self, keys: Sequence[str]) -> list[Record | None]:
        found: dict[str, Record | None] = {}
        missing: list[str] = []
        for key in dict.fromkeys(keys):
            hit, record = self._cache.get(key)
            if hit:
                found[key] = record
                self.stats.cache_hits += 1
            else:
                missing.append(key)
        if missing:
            fetched = await self._call(lambda: self._lookup_in_batches(missing), idempotent=self.lookup_is_idempotent)
            for key in missing:
                record = fetched.get(key)
                found[key] = record
                self._cache.put(key, record)
        return [found[key] for key in keys]

    async def export(self, kind: str) -> AsyncIterator[Record]:
        if kind not in self._export_shapes:
            exported = ", ".join(sorted(self._export_shapes)) or "nothing"
            raise ValueError(f"source '{self._name}' does not export '{kind}'; it exports {exported}")
        cursor: object | None = None
        seen: set[str] = set()
        while True:
            page = await self._call(partial(self._export_page, kind, cursor), idempotent=True)
            for record in page.records:
                yield record
            if page.next_cursor is None:
                return
            if repr(page.next_cursor) in seen:
                # A cursor that comes back would page forever.
                raise SourceUnavailableError(self._name, f"export '{kind}' repeated the cursor {page.next_cursor!r}")
            seen.add(repr(page.next_cursor))
            cursor = page.next_cursor

    async def health(self) -> SourceHealth:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._resilience.timeout_s):
                await self._ping()
        except TimeoutError:
            ok, detail = False, f"no answer within {self._resilience.timeout_s:g}s"
        except (SourceCallError, MalformedAnswerError) as exc:
            ok, detail = False, str(exc)
        else:
            ok, detail = True, ""
        latency_ms = (time.perf_counter() - started) * 1000
        return SourceHealth(self._name, ok, self._breaker.state, latency_ms, detail)

    def clear_cache(self) -> None:
        self._cache.clear()

    # -- the guard -----------------------------------------------------------------------

    def _build_page(self, kind: str, items: Sequence[Mapping[str, object]], next_cursor: object | None) -> ExportPage:
        shape = self._export_shapes[kind]
        return ExportPage([shape.build(item) for item in items], next_cursor)

    async def _lookup_in_batches(self, keys: Sequence[str]) -> dict[str, Record]:
        size = self._resilience.max_batch
        if len(keys) <= size:
            return await self._lookup(keys)
        chunks = [keys[start : start + size] for start in range(0, len(keys), size)]
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(self._lookup(chunk)) for chunk in chunks]
        except BaseExceptionGroup as failures:
            raise failures.exceptions[0] from None
        merged: dict[str, Record] = {}
        for task in tasks:
            merged.update(task.result())
        return merged

    async def _call(self, operation: Callable[[], Awaitable[T]], *, idempotent: bool) -> T:
        self.stats.calls += 1
        try:
            self._breaker.acquire()
        except CircuitOpen as exc:
            self.stats.rejected_by_circuit += 1
            raise SourceUnavailableError(self._name, str(exc)) from None
        timeout = self._resilience.timeout_s
        try:
            async with asyncio.timeout(timeout):
                result = await self._attempts(operation, idempotent=idempotent)
        except TimeoutError:
            raise self._failed(f"no answer within {timeout:g}s") from None
        except SourceCallError as exc:
            raise self._failed(exc.reason) from exc
        except MalformedAnswerError as exc:
            raise self._failed(f"malformed answer: {exc}") from exc
        except BaseException:
            self._breaker.abandoned()
            raise
        self._breaker.succeeded()
        return result

    async def _attempts(self, operation: Callable[[], Awaitable[T]], *, idempotent: bool) -> T:
        attempts = 1 + self._resilience.retries if idempotent else 1
        attempt = 1
        while True:
            self.stats.attempts += 1
            try:
                return await operation()
            except SourceCallError as exc:
                if not exc.transient or attempt >= attempts:
                    raise
                delay = backoff_delay(attempt, self._resilience.backoff_s, self._resilience.backoff_max_s)
                log.info("source %s: %s; retry %d in %.0f ms", self._name, exc.reason, attempt, delay * 1000)
                self.stats.retries += 1
                attempt += 1
                await asyncio.sleep(delay)

    def _failed(self, reason: str) -> SourceUnavailableError:
        self._breaker.failed()
        self.stats.failures += 1
        self.stats.last_reasons = [*self.stats.last_reasons[-9:], reason]
        log.warning("source %s unavailable: %s", self._name, reason)
        return SourceUnavailableError(self._name, reason)
