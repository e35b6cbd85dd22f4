"""What every resolver can reach during one request.

``caller`` and ``access`` are who the request runs as and what the policy lets them see; they
have no defaults, so nothing builds a context without deciding that (``Access.unrestricted()``
for scripts and tests that are not about access). The store given is narrowed to the rows the
access lets the caller see, and the trace store is the one that store brings, under the
same rules. The store is a port (``resolvers.ports.GraphStore``): the composition root picks
its adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import strawberry

from domain.access import Access, Caller
from domain.budget import RequestBudget
from graph.event_model import EventFeed
from graph.row_rules import row_scope
from graph.trace.service_levels import DEFAULT_SERVICE_LEVELS, ServiceLevels
from resolvers.live.loaders import LiveLoaders
from resolvers.loaders import Loaders
from resolvers.ports import GraphStore, TraceStore
from resolvers.trace.loaders import TraceLoaders
from sources.port import Source


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class StreamCursor:
    """A subscription's place in the event log, for a transport that resumes (SSE's Last-Event-ID):
    resume after ``resume_after``; the id of the last event sent is ``last_event_id``."""

    resume_after: int | None = None
    last_event_id: int | None = None


@dataclass
class Context:
    store: GraphStore
    access: Access
    max_page_size: int = 100
    service_levels: ServiceLevels = DEFAULT_SERVICE_LEVELS
    # "Now" for traces taken without an explicit asOf; tests and demos pin it.
    clock: Callable[[], datetime] = utc_now
    # The live systems of record by name (none: every live field is null, "not configured").
    sources: Mapping[str, Source] = field(default_factory=dict)
    # What the request may spend (time, statements at once, errors); the store given should be
    # bounded by the same budget (``store.within(budget)``). None: unbounded (tests, scripts).
    budget: RequestBudget | None = None
    # Events as they are committed, for subscriptions (resolvers.subscriptions); none over HTTP.
    events: EventFeed | None = None
    stream: StreamCursor | None = None
    caller: Caller = field(init=False)
    loaders: Loaders = field(init=False)
    trace: TraceStore = field(init=False)
    trace_loaders: TraceLoaders = field(init=False)
    live: LiveLoaders = field(init=False)

    def __post_init__(self) -> None:
        self.caller = self.access.caller
        # The caller's row rules go into every statement the store sends (graph.row_rules).
        self.store = self.store.seeing(row_scope(self.access.row_rules), self.caller.employee_id)
        self.trace = self.store.traces()
        self.renew_reads()

    def renew_reads(self) -> None:
        """New loaders, forgetting what the old ones loaded. A subscription renews them for each
        event: it reads the event's entities as they are now and keeps nothing between events."""
        self.loaders = Loaders(self.store)
        self.trace_loaders = TraceLoaders(self.trace)
        self.live = LiveLoaders(self.sources, self.budget)


Info = strawberry.Info[Context, None]
