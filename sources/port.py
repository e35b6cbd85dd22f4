"""The ports of live source systems: batch lookups by key, health, and export for a sync.

A resolver asks a source for many keys at once (one DataLoader batch) and gets one record or
``None`` per key, in key order; a source that is down, slow past its timeout, answering 5xx or
answering garbage, or whose circuit is open, raises ``SourceUnavailableError`` instead, so the
GraphQL layer can null just the fields that need it. Records are mappings of the field names
the configuration declares (see ``sources.config``) to typed values.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from sources.config import Entity, KeyKind
from sources.resilience import CircuitState

Record = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Serves:
    """What a source's lookups are keyed by: an entity and either its graph id or a system key.

    ``Serves("Customer", "CRM")`` takes the customer's CRM key (its ``ExternalId`` with system
    CRM); ``Serves("Order", "id")`` takes the order's graph id.
    """

    entity: Entity
    key: KeyKind


@dataclass(frozen=True, slots=True)
class SourceHealth:
    name: str
    ok: bool
    circuit: CircuitState
    latency_ms: float
    detail: str = ""


@runtime_checkable
class Source(Protocol):
    """A live system of record, looked up in batches by key (the DataLoader shape).

    ``fetch`` returns one entry per key, in the order of ``keys`` (duplicates included): the
    record, or ``None`` when the source does not know the key. It raises
    ``domain.errors.SourceUnavailableError`` when the source cannot answer; it never hangs
    past the source's timeout. ``health`` never raises.
    """

    @property
    def name(self) -> str: ...

    @property
    def serves(self) -> Serves: ...

    @property
    def fields(self) -> Sequence[str]: ...

    async def fetch(self, keys: Sequence[str]) -> list[Record | None]: ...

    async def health(self) -> SourceHealth: ...


@runtime_checkable
class ExportingSource(Source, Protocol):
    """A source that can also list what it holds, page by page, as rows for the graph.

    ``exports`` names the row kinds of ``graph.load.rows`` it can give (e.g. ``ticket``,
    ``hand_off``); ``export(kind)`` yields that kind's rows, one page at a time behind the scenes,
    with the row fields the configuration maps. The pages are idempotent reads: a failing page
    is retried, then raises ``SourceUnavailableError``.
    """

    @property
    def exports(self) -> Sequence[str]: ...

    def export(self, kind: str) -> AsyncIterator[Record]: ...
