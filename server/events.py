"""The event hub of one API process: the event log tailed, and fanned out to its subscribers.

``EventHub.run`` follows the event log (``graph.events``) from where it stood when the process
started: it reads the events after its cursor, in commit order, from its ``EventSource``, and
offers each to every subscriber whose ``wants`` accepts it. Every process does the same, so an
event written through any process (a mutation, a webhook, a sync) reaches the subscribers of
all of them. The source is the log itself, polled every ``poll_s`` (``LogSource``, the default:
no server beside Neo4j), or a broker the log is relayed to (``server.broker``, Redis Streams,
when ``CG_EVENTS_BROKER`` is set): the hub does not care which, as both answer by the cursor.

Bounded everywhere:

- at most ``max_subscribers`` per process and ``max_per_caller`` of them for one caller (the
  token's subject), so one client cannot take every place (``MAX_SUBSCRIPTIONS_LIMIT`` beyond);
- each subscriber's queue holds ``max_queued`` events; a subscriber that falls further behind
  (a client that does not read) is dropped, and its stream ends with a
  ``SUBSCRIBER_TOO_SLOW`` error that says to resume from its last event id. The hub never
  waits for a subscriber, so one slow client cannot hold up the others.

A stream resumed after an event id (SSE's ``Last-Event-ID``) first reads what it missed from
the log, then continues live, skipping what it already had. Past the retention window the
missed events are gone, and the stream says so (``EVENTS_EXPIRED``) instead of skipping them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Final, Protocol

from neo4j import AsyncDriver

from domain.errors import CustomerGraphError, LimitExceededError
from graph.alerts import Crossing, crossed
from graph.event_model import EventFilter, GraphEvent
from graph.events import Neo4jEventLog
from graph.trace.service_levels import ServiceLevels
from server.broker import brokered
from server.settings import Settings

logger = logging.getLogger("customer_graph.events")

BATCH: Final = 1000
# Pages of the log read at once for resumed streams, per process.
MAX_REPLAYS: Final = 4
# How often a hub with nothing new asks whether the log started its numbers again.
RESTART_CHECK_S: Final = 5.0
# The thresholds crossed in (since, now] (graph.alerts.crossed, bound to a driver and targets).
Alerts = Callable[[datetime, datetime], Awaitable[list[Crossing]]]


class SubscriberTooSlowError(CustomerGraphError):
    code = "SUBSCRIBER_TOO_SLOW"


class EventsExpiredError(CustomerGraphError):
    code = "EVENTS_EXPIRED"


class EventSource(Protocol):
    """Where the hub reads committed events: the log itself, or a broker fed from it."""

    @property
    def status(self) -> str:
        """How the source is doing, in a few words (``/readyz`` shows it)."""
        ...

    async def read(self, cursor: int, limit: int) -> list[GraphEvent]:
        """Up to ``limit`` events after ``cursor``, in commit order, none skipped; when there
        are none yet, it waits a moment (about a second at most) before answering ``[]``."""
        ...


class LogSource:
    """The event log polled every ``poll_s``: no server beside Neo4j (the default)."""

    status = "following the graph's event log"

    def __init__(self, log: Neo4jEventLog, poll_s: float) -> None:
        self._log = log
        self._poll_s = poll_s
        self._caught_up = False

    async def read(self, cursor: int, limit: int) -> list[GraphEvent]:
        # A read that came back short means the log was caught up: wait before the next one.
        if self._caught_up:
            await asyncio.sleep(self._poll_s)
        events = await self._log.after(cursor, limit)
        self._caught_up = len(events) < limit
        return events


class _Restarted:
    """Queued for every subscriber when the log starts its numbers again: what follows is new,
    whatever its number."""


RESTARTED: Final = _Restarted()


class _Subscriber:
    __slots__ = ("dropped", "queue", "wants")

    def __init__(self, wants: Callable[[GraphEvent], bool], max_queued: int) -> None:
        self.wants = wants
        self.queue: asyncio.Queue[GraphEvent | _Restarted] = asyncio.Queue(max_queued)
        self.dropped = False

    def offer(self, item: GraphEvent | _Restarted) -> bool:
        """Queue ``item``; False (and dropped) when the subscriber is too far behind to take it."""
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.dropped = True
            return False
        return True


class EventHub:
    """See the module docstring."""

    def __init__(
        self,
        log: Neo4jEventLog,
        *,
        poll_s: float = 0.1,
        max_subscribers: int = 10_000,
        max_per_caller: int = 1_000,
        max_queued: int = 1_000,
        retention_s: float = 3_600.0,
        alerts: Alerts | None = None,
        alert_tick_s: float = 30.0,
        source: EventSource | None = None,
        restart_check_s: float = RESTART_CHECK_S,
    ) -> None:
        self._alerts = alerts
        self._alert_tick_s = alert_tick_s
        self._alerts_since: datetime | None = None
        self._log = log
        self._source = source or LogSource(log, poll_s)
        self._poll_s = poll_s
        self.max_subscribers = max_subscribers
        self.max_per_caller = max_per_caller
        self._per_caller: Counter[str] = Counter()
        self._max_queued = max_queued
        self._retention_s = retention_s
        self._subscribers: set[_Subscriber] = set()
        self._replays = asyncio.Semaphore(MAX_REPLAYS)
        self._restart_check_s = restart_check_s
        self._restart_checked = time.monotonic()
        self._behind_once = False
        self.cursor: int | None = None
        self.dropped = 0  # subscribers dropped for being too slow, since the start
        self.dispatched = 0  # events offered to the subscribers, since the start

    @property
    def source_status(self) -> str:
        return self._source.status

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    async def start(self) -> None:
        """Take the log's current end as the cursor: subscribers get what is committed from now on."""
        self.cursor = await self._log.latest()

    def dispatch(self, event: GraphEvent) -> None:
        self.dispatched += 1
        for subscriber in list(self._subscribers):
            if subscriber.wants(event) and not subscriber.offer(event):
                self._subscribers.discard(subscriber)
                self.dropped += 1

    async def poll(self) -> int:
        """Read and dispatch what was committed since the cursor; how many events."""
        if self.cursor is None:
            await self.start()
        assert self.cursor is not None
        events = await self._source.read(self.cursor, BATCH)
        for event in events:
            self.dispatch(event)
            self.cursor = event.seq
        if not events and time.monotonic() - self._restart_checked >= self._restart_check_s:
            await self._check_for_a_restarted_log()
        return len(events)

    async def _check_for_a_restarted_log(self) -> None:
        """A log whose last number is below the cursor started again (the graph was emptied and
        reloaded): nothing after the cursor would ever come. Follow it from its start."""
        self._restart_checked = time.monotonic()
        latest = await self._log.latest()
        if self.cursor is None or latest >= self.cursor:
            self._behind_once = False
            return
        if not self._behind_once:
            # Seen once: asked again at the next check before anything is done, so a read that
            # lagged behind (a cluster member catching up) is not taken for a restart.
            self._behind_once = True
            return
        self._behind_once = False
        if not isinstance(self._source, LogSource):
            # The broker's stream still holds the old numbers: only a restart sets both right.
            logger.warning(
                "the event log started its numbers again (last %d, this process read up to %d): "
                "restart the API processes so the broker's stream starts again too",
                latest,
                self.cursor,
            )
            return
        logger.warning(
            "the event log started its numbers again (last %d, this process read up to %d): "
            "following it from its start",
            latest,
            self.cursor,
        )
        self.cursor = 0
        for subscriber in list(self._subscribers):
            if not subscriber.offer(RESTARTED):
                self._subscribers.discard(subscriber)
                self.dropped += 1

    async def tick(self) -> int:
        """Log the service-level thresholds crossed since the last tick (``graph.alerts``); the
        log then tells every process's subscribers, as it does of any event. How many crossed."""
        if self._alerts is None:
            return 0
        now = datetime.now(UTC)
        since, self._alerts_since = self._alerts_since or now, now
        crossings = await self._alerts(since, now) if since < now else []
        await self._log.log_crossings(crossings)
        return len(crossings)

    async def run(self, stop: asyncio.Event) -> None:
        """Follow the source until ``stop``; tick the service-level clock; prune the log now and then.
        The source waits when it has nothing (a poll interval, a blocking read)."""
        pruned = time.monotonic()
        ticked = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() - ticked >= self._alert_tick_s:
                    ticked = time.monotonic()
                    await self.tick()
                await self.poll()
                if time.monotonic() - pruned > 60:
                    pruned = time.monotonic()
                    await self._log.prune(self._retention_s)
            except CustomerGraphError as error:
                logger.warning("event hub: %s; trying again", error.message)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._poll_s)

    def admit(self, caller: str) -> None:
        """``LimitExceededError`` unless the process has room for one more of ``caller``'s subscriptions."""
        if len(self._subscribers) >= self.max_subscribers:
            raise LimitExceededError(
                "MAX_SUBSCRIPTIONS_LIMIT",
                f"this server holds {self.max_subscribers} subscriptions already; try again later",
                limit=self.max_subscribers,
            )
        if self._per_caller[caller] >= self.max_per_caller:
            raise LimitExceededError(
                "MAX_SUBSCRIPTIONS_LIMIT",
                f"you hold {self.max_per_caller} subscriptions on this server already; end one first",
                limit=self.max_per_caller,
            )

    async def subscribe(
        self, wants: Callable[[GraphEvent], bool], after: int | None = None, caller: str = ""
    ) -> AsyncIterator[GraphEvent]:
        """The events ``wants`` accepts, live (or from after ``after``); see the module docstring."""
        self.admit(caller)
        subscriber = _Subscriber(wants, self._max_queued)
        self._subscribers.add(subscriber)
        self._per_caller[caller] += 1
        try:
            last = -1
            if after is not None:
                async for event in self._missed(after, wants):
                    last = event.seq
                    yield event
            while True:
                if subscriber.dropped:
                    raise SubscriberTooSlowError(
                        f"this subscription fell more than {self._max_queued} events behind and was dropped; "
                        f"subscribe again (with SSE, resume after event {last})",
                        lastEventId=last,
                    )
                item = await subscriber.queue.get()
                if isinstance(item, _Restarted):
                    last = -1
                elif not item.logged:
                    yield item
                elif item.seq > last:
                    last = item.seq
                    yield item
        finally:
            self._subscribers.discard(subscriber)
            self._per_caller[caller] -= 1
            if not self._per_caller[caller]:
                del self._per_caller[caller]

    async def _missed(self, after: int, wants: Callable[[GraphEvent], bool]) -> AsyncIterator[GraphEvent]:
        oldest = await self._log.oldest()
        latest = await self._log.latest()
        if after < latest and (oldest is None or after + 1 < oldest):
            raise EventsExpiredError(
                f"events after {after} are no longer kept (the log keeps {self._retention_s:g} seconds); "
                "subscribe again without a last event id",
            )
        # Only the wanted events are read when the subscriber says which in a way Neo4j can ask
        # (an EventFilter); a few replays at once per process, so resumed streams cannot take every
        # connection of the pool from the other requests.
        only = wants if isinstance(wants, EventFilter) else None
        cursor = after
        while True:
            async with self._replays:
                events = await self._log.after(cursor, BATCH, only)
            for event in events:
                cursor = event.seq
                if wants(event):
                    yield event
            if len(events) < BATCH:
                return


@asynccontextmanager
async def following(settings: Settings, driver: AsyncDriver, levels: ServiceLevels) -> AsyncIterator[EventHub | None]:
    """The process's hub, following the log for as long as the block lasts (``CG_EVENTS_ENABLED``)."""
    if not settings.events_enabled:
        yield None
        return
    database = settings.neo4j_database
    log = Neo4jEventLog(driver, database)
    async with brokered(settings, log) as broker:
        hub = EventHub(
            log,
            source=broker,
            poll_s=settings.events_poll_seconds,
            max_subscribers=settings.subscriptions_max_per_process,
            max_per_caller=settings.subscriptions_max_per_caller,
            max_queued=settings.subscriptions_queue_size,
            retention_s=settings.events_retention_seconds,
            alerts=functools.partial(crossed, driver, database, levels),
            alert_tick_s=settings.sla_alert_tick_seconds,
        )
        # The hub finds its cursor in its own task (``poll``): a graph that is down or silent at
        # start must not keep the API from starting, nor from stopping.
        stop = asyncio.Event()
        task = asyncio.create_task(hub.run(stop))
        try:
            yield hub
        finally:
            stop.set()
            await stopped(task)


async def stopped(task: asyncio.Task[None], grace_s: float = 5.0) -> None:
    """Let a loop told to stop finish its statement (cancelling one mid-flight leaves the driver a
    broken connection); cancel it only if it is still waiting after ``grace_s`` (a silent graph)."""
    try:
        await asyncio.wait_for(asyncio.shield(task), grace_s)
    except TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
