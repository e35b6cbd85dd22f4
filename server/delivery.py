"""The delivery worker: the outbox's ticket changes, delivered to the helpdesk.

Every ``serve`` worker process runs one (``CG_OUTBOX_DELIVERY``, on under ``serve``), and
``python -m server.delivery`` runs one on its own. Any number may run at once, in any number
of processes: each claims items with a lease (``graph.outbox``), so an item is worked on by
one worker at a time, and one whose worker died is taken up again once its lease runs out.

For each claimed item: send it (``sources.helpdesk_writes``; the item's id is the helpdesk's
idempotency key, so a second send after a cut-off first one is not applied twice), then:

- delivered: mark it so;
- the helpdesk could not be reached or answered 5xx: put it back with an exponential backoff
  (``backoff_base_ms`` doubling per attempt, up to ``backoff_max_ms``, with jitter so that many
  items queued in an outage do not all come back at once) and the reason, until
  ``max_attempts``, then mark it failed;
- the helpdesk refused it (4xx): mark it failed with the helpdesk's reason.

A graph that cannot be reached stops nothing: the worker logs it and tries again later.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import signal
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from neo4j import AsyncDriver

from domain.errors import CustomerGraphError
from graph.driver import open_driver
from graph.outbox import Neo4jOutbox, OutboxItem
from server.events import stopped
from server.settings import Settings
from sources.helpdesk_writes import HelpdeskWriter, Sent, TicketChangeSink

logger = logging.getLogger("customer_graph.delivery")


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    lease_s: float = 30.0
    max_attempts: int = 12
    poll_s: float = 1.0
    backoff_base_ms: int = 500
    backoff_max_ms: int = 60_000
    batch: int = 8

    @classmethod
    def of(cls, settings: Settings) -> DeliveryPolicy:
        return cls(
            lease_s=settings.outbox_lease_seconds,
            max_attempts=settings.outbox_max_attempts,
            poll_s=settings.outbox_poll_seconds,
            backoff_base_ms=settings.outbox_backoff_base_ms,
        )

    def backoff_ms(self, attempts: int) -> int:
        ceiling = min(self.backoff_max_ms, self.backoff_base_ms * 2 ** max(0, attempts - 1))
        return int(ceiling / 2 + random.random() * ceiling / 2)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class DeliveryWorker:
    """Claims due outbox items and delivers them; see the module docstring."""

    def __init__(
        self, outbox: Neo4jOutbox, sink: TicketChangeSink, policy: DeliveryPolicy, name: str | None = None
    ) -> None:
        self._outbox = outbox
        self._sink = sink
        self._policy = policy
        self.name = name or worker_name()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for work now (a write was just committed by this process)."""
        self._wake.set()

    async def run_once(self) -> int:
        """Claim a batch and deliver it; the number of items worked on."""
        lease_ms = int(self._policy.lease_s * 1000)
        items = await self._outbox.claim(self.name, lease_ms, self._policy.batch)
        await asyncio.gather(*(self._deliver(item) for item in items))
        return len(items)

    async def _deliver(self, item: OutboxItem) -> None:
        outcome = await self._sink.send(item.id, item.kind.value, item.ticket_id, item.payload)
        if outcome.sent is Sent.DELIVERED:
            await self._outbox.delivered(item.id)
            logger.info("delivered %s (%s of %s) on attempt %d", item.id, item.kind, item.ticket_id, item.attempts)
        elif outcome.sent is Sent.REFUSED or item.attempts >= self._policy.max_attempts:
            reason = outcome.reason or "refused"
            if outcome.sent is Sent.RETRY:
                reason = f"gave up after {item.attempts} attempts: {reason}"
            await self._outbox.failed(item.id, reason)
            logger.warning("delivery %s of %s failed: %s", item.id, item.ticket_id, reason)
        else:
            await self._outbox.retry(item.id, outcome.reason or "retry", self._policy.backoff_ms(item.attempts))

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set: at once while there is work, else every ``poll_s``."""
        while not stop.is_set():
            try:
                worked = await self.run_once()
            except CustomerGraphError as error:
                logger.warning("delivery worker %s: %s; trying again", self.name, error.message)
                worked = 0
            if worked:
                continue
            self._wake.clear()
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
            await asyncio.wait(waits, timeout=self._policy.poll_s, return_when=asyncio.FIRST_COMPLETED)
            for waiting in waits:
                waiting.cancel()


async def deliver_forever(settings: Settings) -> None:
    """``python -m server.delivery``: one worker until SIGTERM or SIGINT."""
    driver = open_driver(
        settings.effective_neo4j_uri(), settings.neo4j_user, settings.neo4j_password.get_secret_value()
    )
    writer = HelpdeskWriter(settings.helpdesk_url, settings.helpdesk_token.get_secret_value(),
                            timeout_s=min(5.0, settings.outbox_lease_seconds / 2))  # fmt: skip
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    worker = DeliveryWorker(Neo4jOutbox(driver, settings.neo4j_database), writer, DeliveryPolicy.of(settings))
    print(f"delivery worker {worker.name}: delivering to {settings.helpdesk_url}", flush=True)
    try:
        await worker.run(stop)
    finally:
        await writer.close()
        await driver.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(deliver_forever(Settings()))


@asynccontextmanager
async def delivering(settings: Settings, driver: AsyncDriver) -> AsyncIterator[DeliveryWorker | None]:
    """A delivery worker running beside the API for as long as the block lasts, if the settings
    ask for one (``CG_OUTBOX_DELIVERY``); stopped (its current sends finished) at the end."""
    if not settings.outbox_delivery:
        yield None
        return
    writer = HelpdeskWriter(settings.helpdesk_url, settings.helpdesk_token.get_secret_value(),
                            timeout_s=min(5.0, settings.outbox_lease_seconds / 2))  # fmt: skip
    worker = DeliveryWorker(Neo4jOutbox(driver, settings.neo4j_database), writer, DeliveryPolicy.of(settings))
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield worker
    finally:
        # A send in flight is cut off: its item's lease runs out and another worker sends it
        # again, under the same idempotency key.
        stop.set()
        await stopped(task)
        await writer.close()
