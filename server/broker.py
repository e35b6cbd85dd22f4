"""The Redis Streams event broker (``CG_EVENTS_BROKER``): the log relayed once, read by every process.

Without a broker every API process polls the graph's event log (``server.events.LogSource``):
N processes, N pollers. With one, a single ``Relay`` tails the log and appends each event to a
Redis stream, and each process's hub waits on that stream (``RedisSource``, XREAD BLOCK), so
the graph is polled once however many processes serve subscribers. The log stays the record:

- **Order and no duplicates.** The relay appends event *n* with the stream id ``n-0``. Redis
  refuses an id that is not above the stream's last, so a second relay (two processes that
  both believed they held the lease for a moment) cannot repeat nor reorder anything: refused,
  it takes the stream's end as its cursor and carries on.
- **One relay.** The process holding the lease (``SET NX PX``, renewed while held, released at
  shutdown) relays; the others take it over when it lapses (a process that died).
- **Nothing lost.** Sequence numbers have no holes (``graph.events``), so a hub that sees event
  *n* right after *m < n - 1* knows what it missed and reads *m+1..n-1* from the log before going
  on. A relay taking over starts from the stream's end; a stream that is gone (Redis restarted
  without its data) is refilled with the log's last ``REPLAY`` events.
- **Broker down.** The hub logs one clear warning, follows the log directly (as without a
  broker) and tries Redis again with a backoff up to ``MAX_BACKOFF_S``; once it answers, the hub
  reads the stream again from its cursor. Subscribers see a delay at most, never a gap; the API
  starts, and answers, with the broker down (``/readyz`` says so under ``events``).
- **Bounded.** The stream is capped near ``STREAM_MAXLEN`` entries: it is a live buffer, not
  the history. A client resuming with ``Last-Event-ID`` reads the log, which keeps the
  retention window (``CG_EVENTS_RETENTION_SECONDS``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError, ResponseError
from redis.typing import EncodableT, FieldT

from domain.errors import CustomerGraphError
from graph.event_model import GraphEvent
from graph.events import Neo4jEventLog
from server.settings import Settings

logger = logging.getLogger("customer_graph.events")

BATCH: Final = 1000
STREAM_MAXLEN: Final = 100_000
REPLAY: Final = 10_000
LEASE_S: Final = 5.0
BLOCK_S: Final = 1.0
MAX_BACKOFF_S: Final = 10.0
FIELD: Final = b"e"
# The lease is renewed, or given back, only by the relay that holds it (its token).
RENEW: Final = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
)
RELEASE: Final = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def where(url: str) -> str:
    """The broker's address for messages: the URL without its credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def encoded(event: GraphEvent) -> dict[FieldT, EncodableT]:
    return {FIELD: event.as_json().encode()}


def decoded(entry_id: bytes, fields: dict[bytes, bytes]) -> GraphEvent | None:
    """The event of a stream entry; ``None`` for an entry the relay did not write (its id is not
    its event's number, or it does not parse): skipped, and the hole it leaves is read from the log."""
    try:
        node: dict[str, Any] = json.loads(fields[FIELD])
        event = GraphEvent.from_node({**node, "at": datetime.fromisoformat(node["at"])})
    except (KeyError, TypeError, ValueError):
        return None
    return event if entry_id == f"{event.seq}-0".encode() else None


def seq_of(entry_id: bytes | str) -> int:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(text.partition("-")[0])


class Backoff:
    """One outage of the broker: a warning when it starts, a note when it ends, doubling waits."""

    def __init__(self, name: str, where: str, meanwhile: str) -> None:
        self._name = name
        self._meanwhile = meanwhile
        self._where = where
        self.down: str | None = None
        self._since = 0.0
        self._wait = 0.0
        self.retry_at = 0.0

    def failed(self, error: Exception) -> None:
        now = time.monotonic()
        if self.down is None:
            self._since = now
            logger.warning(
                "event broker %s unreachable (%s): the %s %s until it answers; trying again with a backoff "
                "up to %gs", self._where, error, self._name, self._meanwhile, MAX_BACKOFF_S,
            )  # fmt: skip
        self.down = str(error) or type(error).__name__
        self._wait = min(max(self._wait * 2, 0.25), MAX_BACKOFF_S)
        self.retry_at = now + self._wait

    def answered(self) -> None:
        if self.down is not None:
            logger.warning(
                "event broker %s answers again after %.1fs: the %s uses it again",
                self._where, time.monotonic() - self._since, self._name,
            )  # fmt: skip
        self.down = None
        self._wait = 0.0


class RedisSource:
    """The hub's ``EventSource`` with a broker: the stream, from the hub's cursor (see the module)."""

    def __init__(self, redis: Redis, stream: str, log: Neo4jEventLog, *, poll_s: float, where: str) -> None:
        self._redis = redis
        self._stream = stream
        self._log = log
        self._poll_s = poll_s
        self._where = where
        self._outage = Backoff("event hub", where, "follows the graph's event log directly")
        self.filled = 0  # events read from the log to fill a hole in what the stream gave
        self.skipped = 0  # stream entries that held no event of the relay's

    @property
    def status(self) -> str:
        if self._outage.down is not None:
            return f"broker {self._where} unreachable ({self._outage.down}): following the graph's event log directly"
        return f"following the broker {self._where}"

    async def read(self, cursor: int, limit: int) -> list[GraphEvent]:
        if self._outage.down is not None and time.monotonic() < self._outage.retry_at:
            await asyncio.sleep(self._poll_s)
            return await self._log.after(cursor, limit)
        try:
            reply = await self._redis.xread(
                {self._stream: f"{cursor}-0"}, count=limit, block=int(BLOCK_S * 1000)
            )  # fmt: skip
        except RedisError as error:
            self._outage.failed(error)
            return await self._log.after(cursor, limit)
        self._outage.answered()
        entries = [(entry_id, decoded(entry_id, fields)) for _, batch in reply for entry_id, fields in batch]
        events = [event for _, event in entries if event is not None]
        if len(events) < len(entries):
            if not self.skipped:
                first = next(entry_id for entry_id, event in entries if event is None)
                logger.warning("event broker: stream entries that hold no event skipped, e.g. %r", first)
            self.skipped += len(entries) - len(events)
            if not events:
                # Only such entries past the cursor: the log has what comes next (and no busy loop).
                await asyncio.sleep(self._poll_s)
                return await self._log.after(cursor, limit)
        # What follows the cursor without a gap; the rest waits for the next read.
        run: list[GraphEvent] = []
        for event in events:
            if event.seq != cursor + 1 + len(run):
                break
            run.append(event)
        if events and not run:
            # A hole (a stream refilled, or trimmed past this cursor): the log has what is missing.
            filled = await self._log.after(cursor, min(limit, events[0].seq - cursor - 1))
            self.filled += len(filled)
            return filled or events
        return run


class Relay:
    """Appends the log to the stream while this process holds the relay lease (see the module)."""

    def __init__(
        self, redis: Redis, stream: str, log: Neo4jEventLog, *, poll_s: float, where: str, lease_s: float = LEASE_S
    ) -> None:
        self._redis = redis
        self._stream = stream
        self._lease = f"{stream}:relay"
        self._lease_s = lease_s
        self._log = log
        self._poll_s = poll_s
        self._token = f"{os.getpid()}:{uuid.uuid4().hex}"
        self._renew = redis.register_script(RENEW)
        self._release = redis.register_script(RELEASE)
        self._outage = Backoff("relay", where, "keeps its place in the log")
        self._renewed = 0.0
        self.held = False
        self.cursor: int | None = None
        self.relayed = 0
        self.refused = 0

    async def step(self) -> int:
        """Hold (or try to take) the lease; while held, append what the log has past the cursor."""
        if not self.held or time.monotonic() - self._renewed > self._lease_s / 3:
            await self._hold()
        if not self.held:
            return 0
        if self.cursor is None:
            self.cursor = await self._resume_point()
        events = await self._log.after(self.cursor, BATCH)
        if not events:
            return 0
        async with self._redis.pipeline(transaction=False) as pipe:
            for event in events:
                pipe.xadd(
                    self._stream, encoded(event), id=f"{event.seq}-0", maxlen=STREAM_MAXLEN, approximate=True
                )  # fmt: skip
            results = await pipe.execute(raise_on_error=False)
        for event, result in zip(events, results, strict=True):
            if isinstance(result, ResponseError):
                # Another relay appended it first: go on from the stream's end.
                self.refused += 1
                self.cursor = None
                break
            if isinstance(result, Exception):
                raise result
            self.cursor = event.seq
            self.relayed += 1
        return len(events)

    async def _hold(self) -> None:
        ms = int(self._lease_s * 1000)
        if self.held:
            self.held = bool(await self._renew(keys=[self._lease], args=[self._token, ms]))
        else:
            self.held = bool(await self._redis.set(self._lease, self._token, nx=True, px=ms))
            self.cursor = None  # taken: start from the stream's end, whoever relayed before
        self._renewed = time.monotonic()

    async def _resume_point(self) -> int:
        # The stream first: read after the log, a relay that overlaps could put it ahead of it.
        last = await self._redis.xrevrange(self._stream, count=1)
        latest = await self._log.latest()
        if last and seq_of(last[0][0]) <= latest:
            return seq_of(last[0][0])
        if last:
            # The stream is ahead of the log: the graph was emptied or restored. Start it afresh.
            logger.warning("event broker: the stream is ahead of the graph's event log; starting it afresh")
            await self._redis.delete(self._stream)
        oldest = await self._log.oldest()
        return max(latest - REPLAY, (latest + 1 if oldest is None else oldest) - 1)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            wait = self._poll_s
            try:
                if await self.step() >= BATCH:
                    wait = 0
                elif not self.held:
                    wait = max(self._lease_s / 5, self._poll_s)  # another relays: look again now and then
                self._outage.answered()
            except RedisError as error:
                self.held = False
                self._outage.failed(error)
                wait = max(self._outage.retry_at - time.monotonic(), self._poll_s)
            except CustomerGraphError as error:
                logger.warning("event relay: %s; trying again", error.message)
            if wait:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
        if self.held:
            with contextlib.suppress(RedisError):
                await self._release(keys=[self._lease], args=[self._token])


def connect(url: str) -> Redis:
    # No retries of its own (the hub and the relay have theirs, and follow the log meanwhile);
    # a read blocks for BLOCK_S, so the socket waits longer than that.
    client: Redis = Redis.from_url(
        url, socket_connect_timeout=2.0, socket_timeout=BLOCK_S + 5.0, retry=Retry(NoBackoff(), 0)
    )  # fmt: skip
    return client


@asynccontextmanager
async def brokered(settings: Settings, log: Neo4jEventLog) -> AsyncIterator[RedisSource | None]:
    """The broker's source for the hub, and this process's relay running, for as long as the
    block lasts; ``None`` without a broker (``CG_EVENTS_BROKER`` empty)."""
    if not settings.events_broker:
        yield None
        return
    address = where(settings.events_broker)
    redis = connect(settings.events_broker)
    try:
        await redis.ping()
        logger.info("event broker %s: following stream %s", address, settings.events_broker_stream)
    except RedisError as error:
        # Not fatal: the hub follows the log until the broker answers (and says so in /readyz).
        logger.warning(
            "event broker %s unreachable at start (%s): subscribers are served from the graph's event log "
            "directly until it answers", address, error,
        )  # fmt: skip
    stream = settings.events_broker_stream
    poll_s = settings.events_poll_seconds
    relay = Relay(redis, stream, log, poll_s=poll_s, where=address)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        yield RedisSource(redis, stream, log, poll_s=poll_s, where=address)
    finally:
        stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), 5.0)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await redis.aclose()
