"""Per-request DataLoaders over the live sources: one batched call per source per query level.

A live field says what it needs (``LiveNeed``): lookups keyed by an entity's graph id or by
its key in a system (``Customer`` by ``CRM`` key), answering some fields. The request's
``LiveLoaders`` picks the configured source that serves it (the first, in configuration
order, whose lookups take that key and whose records carry those fields) and keeps one
DataLoader per source, so every parent of a query level costs one ``Source.fetch`` together,
and loaders of different sources dispatch concurrently when sibling fields resolve together.

Which systems exist is configuration (``sources.toml``), not code: a field whose need no
source serves is null with a ``SOURCE_UNAVAILABLE`` error saying so. Within a request's
budget, a call gets no longer than the time the request has left: a source still silent at
the deadline nulls its fields with ``SOURCE_UNAVAILABLE``, and the rest of the answer goes out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from domain.budget import RequestBudget
from domain.errors import SourceUnavailableError
from sources.config import Entity, KeyKind
from sources.port import Record, Serves, Source


@dataclass(frozen=True, slots=True)
class LiveNeed:
    """What a live field reads: records of ``serves`` lookups carrying ``fields``."""

    serves: Serves
    fields: frozenset[str]

    @property
    def label(self) -> str:
        key = "id" if self.serves.key == "id" else f"{self.serves.key} key"
        return f"{self.serves.entity} by {key}"


def need(entity: Entity, key: KeyKind, fields: Sequence[str]) -> LiveNeed:
    return LiveNeed(Serves(entity, key), frozenset(fields))


@dataclass(frozen=True, slots=True)
class LiveLookup:
    """The source a field reads, by name (for errors), and its loader in this request."""

    source: str
    loader: DataLoader[str, Record | None]


def pick_source(sources: Mapping[str, Source], wanted: LiveNeed) -> Source | None:
    """The first configured source that serves ``wanted``, or None."""
    for source in sources.values():
        if source.serves == wanted.serves and wanted.fields <= set(source.fields):
            return source
    return None


class LiveLoaders:
    """The live-source DataLoaders of one request, made on first use."""

    def __init__(self, sources: Mapping[str, Source], budget: RequestBudget | None = None) -> None:
        self._sources = sources
        self._budget = budget
        self._picked: dict[LiveNeed, Source | None] = {}
        self._loaders: dict[str, DataLoader[str, Record | None]] = {}

    def lookup(self, wanted: LiveNeed) -> LiveLookup:
        """The source serving ``wanted`` and its loader; SourceUnavailableError if none serves it."""
        if wanted not in self._picked:
            self._picked[wanted] = pick_source(self._sources, wanted)
        source = self._picked[wanted]
        if source is None:
            fields = ", ".join(sorted(wanted.fields))
            raise SourceUnavailableError(
                wanted.label, f"not configured: no source serves {wanted.label} with the fields {fields}"
            )
        loader = self._loaders.get(source.name)
        if loader is None:
            loader = self._loaders[source.name] = DataLoader(load_fn=_within(source, self._budget))
        return LiveLookup(source.name, loader)


def _within(source: Source, budget: RequestBudget | None) -> Callable[[Sequence[str]], Awaitable[list[Record | None]]]:
    """``source.fetch``, cut short at the request's deadline when there is a budget."""
    if budget is None:
        return source.fetch

    async def fetch(keys: Sequence[str]) -> list[Record | None]:
        try:
            async with asyncio.timeout(budget.time_for(f"source '{source.name}' could answer")):
                return await source.fetch(keys)
        except TimeoutError:
            raise SourceUnavailableError(source.name, "no answer before the request's deadline") from None

    return fetch
