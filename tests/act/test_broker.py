"""The Redis Streams event broker (``CG_EVENTS_BROKER``) against a real redis-server and two real
server processes on the session's Neo4j.

An event written through one process reaches the subscribers of both through the stream; an
SSE client resumes with ``Last-Event-ID``; Redis stopped and started again empty mid-stream
loses nothing and repeats nothing; an unreachable broker is a clear warning and a readiness
note, not a crash: the hub follows the graph's log meanwhile.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from neo4j import AsyncDriver
from redis.asyncio import Redis

from graph.events import Neo4jEventLog, append_events, event
from server.broker import RedisSource, Relay, seq_of
from server.settings import PROJECT_ROOT, Settings
from tests.act.clients import WsClient, sse_events
from tests.act.redis_server import RedisServer, free_port
from tests.act.test_subscriptions import JOURNEY, RECORD, Server, mutate, next_sse, stop_servers, wait_until_ready
from tests.act.world import Agent, find_agent, load_world
from tests.auth_tokens import SECRET_ENV, token
from tests.conftest import DATABASE, wipe

pytestmark = pytest.mark.e2e

STREAM = "customer-graph:events"


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
async def agent(driver: AsyncDriver) -> AsyncIterator[Agent]:
    await load_world(driver)  # before the servers start: they follow the log from its end
    yield await find_agent(driver)
    # The next module's servers take the log's end as they start, before their own world is
    # loaded (which empties the log and starts its numbers again): leave them no events ahead.
    await wipe(driver)


def start_servers(neo4j_uri: str, broker: str, count: int, logs: Path) -> list[tuple[subprocess.Popen[bytes], Server]]:
    environ = {
        **os.environ, **SECRET_ENV, "NEO4J_URI": neo4j_uri, "CG_SOURCES_ENABLED": "false",
        "CG_EVENTS_POLL_SECONDS": "0.05", "CG_EVENTS_BROKER": broker,
    }  # fmt: skip
    started = []
    for n in range(count):
        server = Server(free_port())
        command = [
            sys.executable, "-m", "server.workers", "server.main:app", "--workers", "1",
            "--port", str(server.port), "--log-level", "warning",
        ]  # fmt: skip
        with (logs / f"server-{n}.log").open("wb") as log:
            process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=environ, stderr=log)
        started.append((process, server))
    wait_until_ready(started)
    return started


@pytest.fixture(scope="module")
def launched(
    neo4j_uri: str, redis_server: RedisServer, agent: Agent, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[tuple[subprocess.Popen[bytes], Server]]]:
    started = start_servers(neo4j_uri, redis_server.url, 2, tmp_path_factory.mktemp("logs"))
    try:
        yield started
    finally:
        stop_servers(started)


@pytest.fixture(scope="module")
def servers(launched: list[tuple[subprocess.Popen[bytes], Server]]) -> tuple[Server, Server]:
    return launched[0][1], launched[1][1]


async def events_status(server: Server) -> str:
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.get(f"{server.http}/readyz")
    assert answer.status_code == 200, answer.text
    status: str = answer.json()["events"]
    return status


async def until_status(server: Server, words: str, wait_s: float = 30.0) -> None:
    deadline = time.monotonic() + wait_s
    while words not in (status := await events_status(server)):
        assert time.monotonic() < deadline, f"readyz still says {status!r}, not {words!r}"
        await asyncio.sleep(0.2)


async def stream_seqs(url: str) -> list[int]:
    redis = Redis.from_url(url)
    try:
        return [seq_of(entry_id) for entry_id, _ in await redis.xrange(STREAM)]
    finally:
        await redis.aclose()


async def record(server: Server, agent: Agent, summary: str) -> None:
    await mutate(server, RECORD, agent.employee_id, input={
        "customerId": agent.served_customer, "channel": "EMAIL", "summary": summary,
        "idempotencyKey": f"{summary}-{time.time_ns()}",
    })  # fmt: skip


async def details(ws: WsClient, operation: str, count: int) -> list[str]:
    got = []
    for _ in range(count):
        message = await ws.receive(operation, wait_s=30)
        assert message["type"] == "next", message
        got.append(message["payload"]["data"]["journeyEvents"]["detail"])
    return got


async def test_an_event_written_through_one_process_reaches_subscribers_of_both_through_the_stream(
    servers: tuple[Server, Server], agent: Agent, redis_server: RedisServer
) -> None:
    a, b = servers
    for server in servers:
        await until_status(server, "following the broker")
    admin = token("admin", subject=agent.employee_id)
    ws = await WsClient.connect(a.ws, admin)
    try:
        on_a = await ws.subscribe(JOURNEY, c=agent.served_customer)
        async with httpx.AsyncClient(timeout=30) as client:
            on_b = sse_events(client, f"{b.http}/graphql/stream", admin, JOURNEY, c=agent.served_customer)
            reading = asyncio.ensure_future(next_sse(on_b))
            await asyncio.sleep(1.0)
            await record(a, agent, "through the stream")
            assert await details(ws, on_a, 1) == ["through the stream"]
            _, event_id, data = await reading
            await on_b.aclose()
    finally:
        await ws.close()
    assert data["data"]["journeyEvents"]["detail"] == "through the stream"
    # The event went through Redis: the stream holds it under its own number.
    assert event_id is not None and int(event_id) in await stream_seqs(redis_server.url)


async def test_an_sse_client_resuming_with_its_last_event_id_misses_nothing(
    servers: tuple[Server, Server], agent: Agent
) -> None:
    a, b = servers
    admin = token("admin", subject=agent.employee_id)
    async with httpx.AsyncClient(timeout=30) as client:
        events = sse_events(client, f"{a.http}/graphql/stream", admin, JOURNEY, c=agent.served_customer)
        reading = asyncio.ensure_future(next_sse(events))
        await asyncio.sleep(1.0)
        await record(b, agent, "resume-one")
        _, last_id, _ = await reading
        await events.aclose()
        for summary in ("resume-two", "resume-three"):
            await record(b, agent, summary)
        resumed = sse_events(
            client, f"{a.http}/graphql/stream", admin, JOURNEY, last_event_id=last_id, c=agent.served_customer
        )
        got = [await next_sse(resumed), await next_sse(resumed)]
        # And live after the missed ones, through the stream.
        await record(b, agent, "resume-four")
        got.append(await next_sse(resumed))
        await resumed.aclose()
    assert [data["data"]["journeyEvents"]["detail"] for _, _, data in got] == [
        "resume-two", "resume-three", "resume-four",
    ]  # fmt: skip
    ids = [int(last_id or 0), *(int(event_id or 0) for _, event_id, _ in got)]
    assert ids == sorted(set(ids))


async def test_redis_stopped_and_started_again_empty_loses_and_repeats_nothing(
    servers: tuple[Server, Server], agent: Agent, redis_server: RedisServer
) -> None:
    a, b = servers
    admin = token("admin", subject=agent.employee_id)
    ws_a = await WsClient.connect(a.ws, admin)
    ws_b = await WsClient.connect(b.ws, admin)
    try:
        on_a = await ws_a.subscribe(JOURNEY, c=agent.served_customer)
        on_b = await ws_b.subscribe(JOURNEY, c=agent.served_customer)
        await asyncio.sleep(1.0)
        await record(a, agent, "before")
        assert await details(ws_a, on_a, 1) == ["before"] and await details(ws_b, on_b, 1) == ["before"]
        redis_server.stop()
        for n in range(3):
            await record(b if n % 2 else a, agent, f"while-down-{n}")
        for server in servers:
            await until_status(server, "unreachable")
        redis_server.start()  # on the same port, with nothing in it
        for server in servers:
            await until_status(server, "following the broker")
        for n in range(2):
            await record(a, agent, f"after-{n}")
        wanted = ["while-down-0", "while-down-1", "while-down-2", "after-0", "after-1"]
        assert await details(ws_a, on_a, 5) == wanted
        assert await details(ws_b, on_b, 5) == wanted
        await asyncio.sleep(2.0)  # anything delivered twice would have come by now
        assert ws_a.pending(on_a) == 0 and ws_b.pending(on_b) == 0
    finally:
        await ws_a.close()
        await ws_b.close()
    # The relay refilled the emptied stream and went on: the last events are in it, once each.
    seqs = await stream_seqs(redis_server.url)
    assert seqs == sorted(set(seqs)) and len(seqs) >= 2


async def relay_holder(url: str) -> int:
    """The pid of the worker process whose relay holds the lease (its token starts with it)."""
    redis = Redis.from_url(url)
    try:
        holder = await redis.get(f"{STREAM}:relay")
    finally:
        await redis.aclose()
    assert holder is not None, "no relay holds the lease"
    return int(holder.decode().partition(":")[0])


def parent_of(pid: int) -> int:
    # /proc/<pid>/stat: "pid (name) state ppid ...", the name in parentheses may hold spaces.
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


async def test_when_the_relays_process_dies_another_takes_over_and_nothing_is_lost(
    launched: list[tuple[subprocess.Popen[bytes], Server]], agent: Agent, redis_server: RedisServer
) -> None:
    # Kills one of the module's servers: the module's last test with them.
    holder = await relay_holder(redis_server.url)
    dying = next(n for n, (process, _) in enumerate(launched) if parent_of(holder) == process.pid)
    survivor = launched[1 - dying][1]
    ws = await WsClient.connect(survivor.ws, token("admin", subject=agent.employee_id))
    try:
        operation = await ws.subscribe(JOURNEY, c=agent.served_customer)
        await asyncio.sleep(1.0)
        await record(survivor, agent, "takeover-before")
        assert await details(ws, operation, 1) == ["takeover-before"]
        os.kill(holder, signal.SIGKILL)  # no shutdown: its lease is left to lapse
        for n in range(3):
            await record(survivor, agent, f"takeover-{n}")
        assert await details(ws, operation, 3) == ["takeover-0", "takeover-1", "takeover-2"]
        await asyncio.sleep(2.0)
        assert ws.pending(operation) == 0
    finally:
        await ws.close()
    assert parent_of(await relay_holder(redis_server.url)) == launched[1 - dying][0].pid
    assert "following the broker" in await events_status(survivor)


async def test_an_unreachable_broker_is_a_warning_and_a_readiness_note_not_a_crash(
    neo4j_uri: str, agent: Agent, tmp_path: Path
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    started = start_servers(neo4j_uri, closed, 1, tmp_path)
    try:
        process, server = started[0]
        status = await events_status(server)
        assert "unreachable" in status and "following the graph's event log directly" in status, status
        assert closed.removesuffix("/0") in status
        # Subscribers are served from the log meanwhile.
        ws = await WsClient.connect(server.ws, token("admin", subject=agent.employee_id))
        try:
            operation = await ws.subscribe(JOURNEY, c=agent.served_customer)
            await asyncio.sleep(1.0)
            await record(server, agent, "no broker")
            assert await details(ws, operation, 1) == ["no broker"]
        finally:
            await ws.close()
        await asyncio.sleep(3.0)  # several retries: still up, and still one warning per outage
        assert process.poll() is None
    finally:
        stop_servers(started)
    log = (tmp_path / "server-0.log").read_text()
    assert log.count("unreachable at start") == 1, log
    assert log.count("the event hub follows the graph's event log directly") == 1, log


def test_a_broker_setting_that_is_no_redis_url_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="expected a Redis URL"):
        Settings(events_broker="http://127.0.0.1:6379")
    assert Settings(events_broker="").events_broker == ""


async def test_two_relays_append_each_event_once_in_order_and_a_hole_is_read_from_the_log(
    driver: AsyncDriver, agent: Agent, redis_server: RedisServer
) -> None:
    redis = Redis.from_url(redis_server.url)
    log = Neo4jEventLog(driver, DATABASE)
    stream = f"relay-test-{time.time_ns()}"
    async with driver.session(database=DATABASE) as session:
        events = [event("INTERACTION", agent.served_customer, detail=f"relay-{n}") for n in range(5)]
        await session.execute_write(append_events, events)
    try:
        # Leases long enough that neither renews within the test, however slow the machine.
        first = Relay(redis, stream, log, poll_s=0.05, where="test", lease_s=600)
        second = Relay(redis, stream, log, poll_s=0.05, where="test", lease_s=600)
        await first.step()
        await second.step()
        assert first.held and not second.held  # one lease
        # The first one's lease lapses while it still believes it holds it: both append.
        await redis.delete(f"{stream}:relay")
        await second.step()
        first.cursor = 0  # as stale as it gets: everything it appends now is refused
        await first.step()
        assert first.refused == 1 and first.cursor is None
        seqs = [seq_of(entry_id) for entry_id, _ in await redis.xrange(stream)]
        latest = await log.latest()
        assert seqs == sorted(set(seqs)) and seqs[-1] == latest
        # A hub whose cursor is older than the stream's first entry reads the hole from the log.
        await redis.xtrim(stream, minid=f"{latest}-0", approximate=False)
        source = RedisSource(redis, stream, log, poll_s=0.05, where="test")
        cursor, read = latest - 3, []
        while cursor < latest:
            events = await source.read(cursor, 1000)
            read += [found.seq for found in events]
            cursor = read[-1]
        assert read == [latest - 2, latest - 1, latest] and source.filled == 2
        # A gap after the cursor's next event: that one now, the hole from the log on the next read.
        await redis.delete(stream)
        await redis.xadd(stream, {"e": (await log.after(latest - 3, 1))[0].as_json()}, id=f"{latest - 2}-0")
        await redis.xadd(stream, {"e": (await log.after(latest - 1, 1))[0].as_json()}, id=f"{latest}-0")
        assert [found.seq for found in await source.read(latest - 3, 1000)] == [latest - 2]
        assert [found.seq for found in await source.read(latest - 2, 1000)] == [latest - 1]
        assert [found.seq for found in await source.read(latest - 1, 1000)] == [latest]
        # Entries someone else put in the stream are skipped: what follows the cursor comes from the log.
        await redis.xadd(stream, {"e": "not an event"}, id=f"{latest + 1}-0")
        await redis.xadd(stream, {"x": "y"})  # numbered by the clock, far past every event
        assert await source.read(latest, 1000) == [] and source.skipped == 2
    finally:
        await redis.delete(stream, f"{stream}:relay")
        await redis.aclose()
