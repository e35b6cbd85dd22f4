"""Subscriptions across two real server processes, over WebSocket and SSE, on the real Neo4j.

Two servers (``python -m server.workers server.main:app``, one process each, their own ports)
share the Neo4j of the session. An event written through either reaches the subscribers of
both, by the event log each of them tails. Subscribers see only what their row rules let them
see; what the policy does not let them read is refused before it runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
import websockets
from gql import Client as GqlClient
from gql import GraphQLRequest
from gql.transport.websockets import WebsocketsTransport
from neo4j import AsyncDriver

from demo_systems.launcher import DemoFleet
from graph.events import GraphEvent
from server.events import EventHub, SubscriberTooSlowError
from server.serve import register_demo_webhook
from server.settings import PROJECT_ROOT, Settings
from tests.act.clients import RawSocket, WsClient, sse_events
from tests.act.world import WORLD_PRESET, WORLD_SEED, Agent, find_agent, load_world
from tests.auth_tokens import SECRET_ENV, token
from tests.conftest import DATABASE

pytestmark = pytest.mark.e2e

HAND_OFFS = """subscription($e: ID, $d: ID) {
  handOffs(employeeId: $e, departmentId: $d) { reason ticket { id } employee { id } by { id } }
}"""
JOURNEY = (
    "subscription($c: ID!) { journeyEvents(customerId: $c) { kind detail channel ticket { id } employee { id } } }"
)
ALERTS = "subscription($tiers: [Tier!]) { serviceLevelAlerts(tiers: $tiers) { clock state tier ticket { id } } }"
HAND_OFF = "mutation($input: HandOffTicketInput!) { handOffTicket(input: $input) { replayed } }"
RECORD = "mutation($input: RecordInteractionInput!) { recordInteraction(input: $input) { replayed } }"
OPEN = "mutation($input: OpenTicketInput!) { openTicket(input: $input) { ticket { id } } }"
WEBHOOK_SECRET = "act-tests-webhook-secret"
MAX_PER_CALLER = 8  # subscriptions one caller may hold on one of the test servers
# Every tier: respond within 3.6 s, resolve within 7.2 s, so the clock crosses thresholds in a test.
FAST_TARGETS = {tier: 0.001 for tier in ("PLATINUM", "GOLD", "SILVER", "BRONZE")}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Server:
    port: int

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"


def wait_until_ready(started: list[tuple[subprocess.Popen[bytes], Server]], within_s: float = 90.0) -> None:
    """Wait until every server started answers ``/readyz`` with 200; fail if one exits or is late."""
    deadline = time.monotonic() + within_s
    for process, server in started:
        while True:
            assert process.poll() is None, "a server did not start"
            assert time.monotonic() < deadline, "a server was not ready in time"
            try:
                if httpx.get(f"{server.http}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)


def stop_servers(started: list[tuple[subprocess.Popen[bytes], Server]]) -> None:
    """Stop the servers started: asked first, killed if one is still there after 30 s."""
    for process, _ in started:
        process.terminate()
    for process, _ in started:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def servers(neo4j_uri: str) -> Iterator[tuple[Server, Server]]:
    environ = {
        **os.environ,
        **SECRET_ENV,
        "NEO4J_URI": neo4j_uri,
        "CG_SOURCES_ENABLED": "false",
        "CG_EVENTS_POLL_SECONDS": "0.05",
        "CG_SLA_ALERT_TICK_SECONDS": "0.5",
        "CG_SLA_RESPOND_HOURS": json.dumps(FAST_TARGETS),
        "CG_SLA_RESOLVE_HOURS": json.dumps({t: 0.002 for t in FAST_TARGETS}),
        "CG_SUBSCRIPTIONS_MAX_PER_CONNECTION": "3",
        "CG_SUBSCRIPTIONS_MAX_PER_CALLER": str(MAX_PER_CALLER),
        "CG_HELPDESK_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "CG_AUTH_CLOCK_SKEW_SECONDS": "0",  # a token expires when it says, for the expiry test
    }
    started: list[tuple[subprocess.Popen[bytes], Server]] = []
    try:
        for _ in range(2):
            server = Server(_free_port())
            command = [
                sys.executable,
                "-m",
                "server.workers",
                "server.main:app",
                "--workers",
                "1",
                "--port",
                str(server.port),
                "--log-level",
                "warning",
            ]
            started.append((subprocess.Popen(command, cwd=PROJECT_ROOT, env=environ), server))
        wait_until_ready(started)
        yield started[0][1], started[1][1]
    finally:
        stop_servers(started)


@dataclass(frozen=True)
class Scene:
    agent: Agent
    outsider: str  # an employee of another department than the agent's
    outsider_department: str


@pytest.fixture(scope="module")
async def scene(driver: AsyncDriver) -> Scene:
    await load_world(driver)
    agent = await find_agent(driver)
    records, _, _ = await driver.execute_query(
        "MATCH (:Employee {id: $id})-[:WORKS_IN]->(mine:Department) MATCH (e:Employee)-[:WORKS_IN]->(d:Department)"
        " WHERE d <> mine RETURN e.id AS e, d.id AS d ORDER BY e.id LIMIT 1",
        id=agent.employee_id,
        database_=DATABASE,
    )
    return Scene(agent, records[0]["e"], records[0]["d"])


async def mutate(server: Server, query: str, employee: str, **variables: object) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.post(
            f"{server.http}/graphql",
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {token('admin', subject=employee)}"},
        )
    body = answer.json()
    assert answer.status_code == 200 and "errors" not in body, body


async def next_sse(events: AsyncIterator[tuple[str, str | None, object]]) -> tuple[str, str | None, object]:
    return await asyncio.wait_for(anext(events), 20)


async def test_an_event_written_through_one_process_reaches_subscribers_of_both(
    servers: tuple[Server, Server], scene: Scene
) -> None:
    a, b = servers
    agent = scene.agent
    admin = token("admin", subject=agent.employee_id)
    ws = await WsClient.connect(a.ws, admin)
    try:
        hand_offs = await ws.subscribe(HAND_OFFS, d=scene.outsider_department)
        async with httpx.AsyncClient(timeout=30) as client:
            journey = sse_events(client, f"{b.http}/graphql/stream", admin, JOURNEY, c=agent.served_customer)
            # The SSE subscription is live once its request is in: give the servers a moment.
            reading = asyncio.ensure_future(next_sse(journey))
            await asyncio.sleep(1.0)
            await mutate(
                b,
                HAND_OFF,
                agent.employee_id,
                input={
                    "ticketId": agent.open_ticket,
                    "toEmployeeId": scene.outsider,
                    "reason": "across",
                    "idempotencyKey": "x1",
                },
            )
            message = await ws.receive(hand_offs)
            assert message["type"] == "next"
            assert message["payload"]["data"]["handOffs"] == {
                "reason": "across",
                "ticket": {"id": agent.open_ticket},
                "employee": {"id": scene.outsider},
                "by": {"id": agent.employee_id},
            }
            event, event_id, data = await reading
            assert event == "next" and event_id is not None and int(event_id) > 0
            assert data["data"]["journeyEvents"]["kind"] == "TICKET_HANDED_OFF"  # type: ignore[index]
            # And the other way round: written through A, read on B.
            await mutate(
                a,
                RECORD,
                agent.employee_id,
                input={
                    "customerId": agent.served_customer,
                    "channel": "CHAT",
                    "summary": "hello",
                    "idempotencyKey": "x2",
                },
            )
            event, later_id, data = await next_sse(journey)
            assert data["data"]["journeyEvents"] == {  # type: ignore[index]
                "kind": "INTERACTION",
                "detail": "hello",
                "channel": "CHAT",
                "ticket": None,
                "employee": {"id": agent.employee_id},
            }
            assert int(later_id or 0) > int(event_id)
            await journey.aclose()
    finally:
        await ws.close()


async def test_the_published_gql_client_subscribes_over_graphql_transport_ws(
    servers: tuple[Server, Server], scene: Scene
) -> None:
    a, b = servers
    agent = scene.agent
    # Handed to the agent: the next tests' subscribers follow the outsider, and an event that
    # reaches a busy server late must not land among theirs.
    admin = token("admin", subject=agent.employee_id)
    transport = WebsocketsTransport(
        url=a.ws, subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        init_payload={"Authorization": f"Bearer {admin}"},
    )  # fmt: skip
    async with GqlClient(transport=transport) as session:
        stream = session.subscribe(GraphQLRequest(HAND_OFFS, variable_values={"e": agent.employee_id}))
        first = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(1.0)
        assert not first.done()
        opened = f"gql-{time.time_ns()}"
        await mutate(b, OPEN, agent.employee_id, input={
            "customerId": agent.served_customer, "subject": "gql", "idempotencyKey": opened,
            "assigneeId": agent.employee_id})  # fmt: skip
        got = await asyncio.wait_for(first, 20)
        assert got["handOffs"]["employee"] == {"id": agent.employee_id}
        assert got["handOffs"]["reason"] == "opened"
        await stream.aclose()


async def test_subscribers_see_only_what_their_row_rules_show(servers: tuple[Server, Server], scene: Scene) -> None:
    a, b = servers
    agent = scene.agent
    agent_ws = await WsClient.connect(a.ws, token("service_agent", subject=agent.employee_id))
    admin_ws = await WsClient.connect(b.ws, token("admin", subject=agent.employee_id))
    try:
        mine = await agent_ws.subscribe(HAND_OFFS, e=scene.outsider)
        everything = await admin_ws.subscribe(HAND_OFFS, e=scene.outsider)
        hidden = await agent_ws.subscribe(JOURNEY, c=agent.unserved_customer)
        refused = await agent_ws.receive(hidden)
        assert refused["type"] in ("next", "error")
        errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
        assert [error["extensions"]["code"] for error in errors] == ["BAD_USER_INPUT"]
        await asyncio.sleep(0.5)
        # A ticket of a customer the agent's department does not serve, handed to someone outside it.
        async with httpx.AsyncClient(timeout=30) as client:
            answer = await client.post(
                f"{b.http}/graphql",
                json={"query": OPEN, "variables": {"input": {
                    "customerId": agent.unserved_customer, "subject": "not yours", "idempotencyKey": "hidden-open"}}},
                headers={"authorization": f"Bearer {token('admin', subject=agent.employee_id)}"},
            )  # fmt: skip
        hidden_ticket = answer.json()["data"]["openTicket"]["ticket"]["id"]
        await mutate(
            b,
            HAND_OFF,
            agent.employee_id,
            input={
                "ticketId": hidden_ticket,
                "toEmployeeId": scene.outsider,
                "reason": "hidden",
                "idempotencyKey": "r1",
            },
        )
        opened = f"row-{time.time_ns()}"
        await mutate(
            b,
            OPEN,
            agent.employee_id,
            input={
                "customerId": agent.served_customer,
                "subject": "seen",
                "idempotencyKey": opened,
                "assigneeId": scene.outsider,
            },
        )
        first_admin = await admin_ws.receive(everything)
        assert first_admin["payload"]["data"]["handOffs"]["reason"] == "hidden"
        first_agent = await agent_ws.receive(mine)
        # The agent's first event is the one they may see: the hidden ticket's never came.
        assert first_agent["payload"]["data"]["handOffs"]["reason"] == "opened"
        assert agent_ws.pending(mine) == 0
    finally:
        await agent_ws.close()
        await admin_ws.close()


async def test_each_event_is_read_as_the_graph_is_now_not_as_the_subscription_first_saw_it(
    servers: tuple[Server, Server], scene: Scene
) -> None:
    a, b = servers
    agent = scene.agent
    opened = f"fresh-{time.time_ns()}"
    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.post(
            f"{a.http}/graphql",
            json={"query": OPEN, "variables": {"input": {"customerId": agent.served_customer, "subject": "fresh",
                                                          "idempotencyKey": opened, "assigneeId": scene.outsider}}},
            headers={"authorization": f"Bearer {token('admin', subject=agent.employee_id)}"},
        )  # fmt: skip
    ticket = answer.json()["data"]["openTicket"]["ticket"]["id"]
    ws = await WsClient.connect(b.ws, token("admin", subject=agent.employee_id))
    try:
        journey = await ws.subscribe(
            "subscription($c: ID!) { journeyEvents(customerId: $c) { kind detail ticket { id assignee { id } } } }",
            c=agent.served_customer,
        )
        await asyncio.sleep(0.5)
        holders = []
        for n, to in enumerate((agent.employee_id, scene.outsider)):
            change = {"ticketId": ticket, "toEmployeeId": to, "reason": "fresh", "idempotencyKey": f"{opened}-{n}"}
            await mutate(a, HAND_OFF, agent.employee_id, input=change)
            while True:
                event = (await ws.receive(journey))["payload"]["data"]["journeyEvents"]
                # Only this test's hand-offs: the one made when the ticket opened may come late.
                if (
                    event["kind"] == "TICKET_HANDED_OFF"
                    and event["ticket"]["id"] == ticket
                    and event["detail"] == "fresh"
                ):
                    holders.append(event["ticket"]["assignee"]["id"])
                    break
        # The second event shows the ticket's holder after the second hand-off: nothing loaded for the
        # first event was kept for the next.
        assert holders == [agent.employee_id, scene.outsider]
    finally:
        await ws.close()


async def test_what_the_policy_does_not_let_a_role_read_is_refused_before_it_runs(
    servers: tuple[Server, Server], scene: Scene
) -> None:
    a, _ = servers
    back_office = token("back_office", subject=scene.agent.employee_id)
    ws = await WsClient.connect(a.ws, back_office)
    try:
        refused = await ws.receive(await ws.subscribe(JOURNEY, c=scene.agent.served_customer))
        assert refused["type"] == "error"
        assert {error["extensions"]["code"] for error in refused["payload"]} == {"FORBIDDEN"}
    finally:
        await ws.close()
    async with httpx.AsyncClient(timeout=30) as client:
        events = sse_events(client, f"{a.http}/graphql/stream", back_office, JOURNEY, c=scene.agent.served_customer)
        kind, status, body = await next_sse(events)
        assert (kind, status) == ("refused", "403")
        assert {error["extensions"]["code"] for error in body["errors"]} == {"FORBIDDEN"}  # type: ignore[index]


async def test_a_bad_token_closes_the_socket_and_a_connection_holds_a_bounded_number_of_operations(
    servers: tuple[Server, Server], scene: Scene
) -> None:
    a, _ = servers
    with pytest.raises(Exception, match="4403"):
        bad = await WsClient.connect(a.ws, "not-a-token")
        await bad.receive(await bad.subscribe(JOURNEY, c=scene.agent.served_customer), wait_s=5)
    ws = await WsClient.connect(a.ws, token("admin", subject=scene.agent.employee_id))
    try:
        ids = [await ws.subscribe(HAND_OFFS, e=scene.outsider) for _ in range(4)]
        over = await ws.receive(ids[-1])
        assert over["type"] == "error" and over["payload"][0]["extensions"]["code"] == "MAX_SUBSCRIPTIONS_LIMIT"
    finally:
        await ws.close()


async def test_an_sse_client_that_reconnects_with_its_last_event_id_misses_nothing(
    servers: tuple[Server, Server], scene: Scene
) -> None:
    a, b = servers
    agent = scene.agent
    admin = token("admin", subject=agent.employee_id)
    async with httpx.AsyncClient(timeout=30) as client:
        events = sse_events(client, f"{a.http}/graphql/stream", admin, JOURNEY, c=agent.served_customer)
        reading = asyncio.ensure_future(next_sse(events))
        await asyncio.sleep(1.0)
        await mutate(
            b,
            RECORD,
            agent.employee_id,
            input={
                "customerId": agent.served_customer,
                "channel": "EMAIL",
                "summary": "one",
                "idempotencyKey": "sse-1",
            },
        )
        _, last_id, data = await reading
        assert data["data"]["journeyEvents"]["detail"] == "one"  # type: ignore[index]
        await events.aclose()
        # Gone: two more events happen meanwhile.
        for n in ("two", "three"):
            await mutate(
                b,
                RECORD,
                agent.employee_id,
                input={
                    "customerId": agent.served_customer,
                    "channel": "EMAIL",
                    "summary": n,
                    "idempotencyKey": f"sse-{n}",
                },
            )
        resumed = sse_events(
            client, f"{a.http}/graphql/stream", admin, JOURNEY, last_event_id=last_id, c=agent.served_customer
        )
        got = [await next_sse(resumed), await next_sse(resumed)]
        await resumed.aclose()
    assert [data["data"]["journeyEvents"]["detail"] for _, _, data in got] == ["two", "three"]  # type: ignore[index]
    assert int(got[0][1] or 0) > int(last_id or 0) and int(got[1][1] or 0) > int(got[0][1] or 0)


async def test_a_ticket_nobody_touches_raises_its_service_level_alerts_by_the_clock_once_and_in_the_log(
    servers: tuple[Server, Server], scene: Scene
) -> None:
    a, b = servers
    agent = scene.agent
    ws = await WsClient.connect(a.ws, token("admin", subject=agent.employee_id))
    try:
        alerts = await ws.subscribe(ALERTS)
        await asyncio.sleep(0.5)
        async with httpx.AsyncClient(timeout=30) as client:
            answer = await client.post(
                f"{b.http}/graphql",
                json={
                    "query": OPEN,
                    "variables": {
                        "input": {
                            "customerId": agent.served_customer,
                            "subject": "quiet",
                            "idempotencyKey": f"quiet-{time.time_ns()}",
                        }
                    },
                },
                headers={"authorization": f"Bearer {token('admin', subject=agent.employee_id)}"},
            )
        ticket_id = answer.json()["data"]["openTicket"]["ticket"]["id"]
        seen = []
        while ("RESPOND", "BREACHED") not in seen:
            message = await ws.receive(alerts, wait_s=30)
            alert = message["payload"]["data"]["serviceLevelAlerts"]
            if alert["ticket"]["id"] == ticket_id:
                seen.append((alert["clock"], alert["state"]))
        assert seen == [("RESPOND", "AT_RISK"), ("RESPOND", "BREACHED")]
    finally:
        await ws.close()
    # Both servers tick, yet each crossing is in the log once, and a stream resumed from the
    # start of the log on the other server gets them again, in order.
    async with httpx.AsyncClient(timeout=30) as client:
        resumed = sse_events(client, f"{b.http}/graphql/stream", token("admin", subject=agent.employee_id),
                             ALERTS, last_event_id="0")  # fmt: skip
        replayed: list[tuple[str, str]] = []
        while ("RESPOND", "BREACHED") not in replayed:
            kind, event_id, data = await next_sse(resumed)
            assert kind == "next" and event_id is not None
            alert = data["data"]["serviceLevelAlerts"]  # type: ignore[index]
            if alert["ticket"]["id"] == ticket_id:
                replayed.append((alert["clock"], alert["state"]))
        assert replayed == [("RESPOND", "AT_RISK"), ("RESPOND", "BREACHED")]
        await resumed.aclose()  # type: ignore[attr-defined]


async def test_a_subscriber_that_falls_behind_is_dropped_with_a_clear_error() -> None:
    hub = EventHub(log=None, max_queued=3)  # type: ignore[arg-type]
    stream = hub.subscribe(lambda event: True)
    first = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)
    assert hub.subscribers == 1
    for seq in range(1, 6):  # the subscriber reads none of them
        hub.dispatch(GraphEvent(seq=seq, kind="INTERACTION", at=None, customer_id="C1"))  # type: ignore[arg-type]
    assert hub.subscribers == 0 and hub.dropped == 1
    assert (await first).seq == 1  # what was queued before it overflowed
    with pytest.raises(SubscriberTooSlowError, match="fell more than 3 events behind"):
        await anext(stream)


@pytest.fixture(scope="module")
def helpdesk() -> Iterator[str]:
    with DemoFleet(preset=WORLD_PRESET, seed=WORLD_SEED, names=("helpdesk",)) as fleet:
        yield fleet.url("helpdesk")


async def test_a_hand_off_made_in_the_helpdesk_reaches_the_graph_and_subscribers_by_webhook(
    servers: tuple[Server, Server], scene: Scene, helpdesk: str, driver: AsyncDriver
) -> None:
    a, b = servers
    agent = scene.agent
    desk = {"authorization": "Bearer demo-helpdesk-token"}
    # As `serve` does once the demo systems run; twice, as a restarted server would.
    serving = Settings(host="127.0.0.1", port=a.port, helpdesk_webhook_secret=WEBHOOK_SECRET)
    assert register_demo_webhook(serving, {"CG_HELPDESK_URL": helpdesk})
    assert register_demo_webhook(serving, {"CG_HELPDESK_URL": helpdesk})
    async with httpx.AsyncClient(timeout=30) as client:
        again = await client.post(
            f"{helpdesk}/api/webhooks", headers=desk,
            json={"url": f"{a.http}/webhooks/helpdesk", "secret": WEBHOOK_SECRET},
        )  # fmt: skip
        assert (again.status_code, again.json()) == (200, {"webhooks": 1})  # one receiver per URL
        forged = await client.post(f"{a.http}/webhooks/helpdesk", content=b"{}", headers={"x-helpdesk-signature": "x"})
        assert forged.status_code == 401
        holder, _, _ = await driver.execute_query(
            "MATCH (:Ticket {id: $id})-[a:ASSIGNED_TO]->(e) RETURN e.id AS e ORDER BY a.at DESC LIMIT 1",
            id=agent.open_ticket, database_=DATABASE,
        )  # fmt: skip
        current = holder[0]["e"] if holder else None
        to = next(e for e in (agent.colleague, agent.employee_id, scene.outsider) if e != current)
        ws = await WsClient.connect(b.ws, token("admin", subject=agent.employee_id))
        try:
            followed = await ws.subscribe(HAND_OFFS, e=to)
            await asyncio.sleep(0.5)
            made = await client.post(
                f"{helpdesk}/api/tickets/{agent.open_ticket}/hand-offs",
                headers={**desk, "idempotency-key": f"desk-{time.time_ns()}"},
                json={"employee_id": to, "by_employee_id": agent.colleague, "reason": "from the desk"},
            )  # fmt: skip
            assert made.status_code == 201
            message = await ws.receive(followed)
        finally:
            await ws.close()
    assert message["payload"]["data"]["handOffs"] == {
        "reason": "from the desk", "ticket": {"id": agent.open_ticket}, "employee": {"id": to},
        "by": {"id": agent.colleague},
    }  # fmt: skip
    hops, _, _ = await driver.execute_query(
        "MATCH (:Ticket {id: $id})-[a:ASSIGNED_TO {reason: 'from the desk'}]->(e) RETURN count(a) AS n, e.id AS e",
        id=agent.open_ticket, database_=DATABASE,
    )  # fmt: skip
    assert hops[0]["n"] == 1 and hops[0]["e"] == to


async def test_the_stream_refuses_what_a_hostile_client_sends_without_an_internal_error(
    servers: tuple[Server, Server], scene: Scene
) -> None:
    a, _ = servers
    agent = scene.agent
    admin = token("admin", subject=agent.employee_id)
    record = {
        "customerId": agent.served_customer, "channel": "EMAIL", "summary": "by GET", "idempotencyKey": "stream-get",
    }  # fmt: skip
    async with httpx.AsyncClient(timeout=30) as client:
        # A mutation over GET: refused as over /graphql, and not written.
        refused = await client.get(
            f"{a.http}/graphql/stream",
            params={"query": RECORD, "variables": json.dumps({"input": record})},
            headers={"accept": "text/event-stream", "authorization": f"Bearer {admin}"},
        )
        assert (refused.status_code, refused.headers.get("allow")) == (405, "POST")
        assert refused.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
        written = await client.post(
            f"{a.http}/graphql",
            json={"query": RECORD, "variables": {"input": record}},
            headers={"authorization": f"Bearer {admin}"},
        )
        assert written.json()["data"] == {"recordInteraction": {"replayed": False}}  # the GET wrote nothing
        # A Last-Event-ID that is no event number (non-ASCII digits, past 64 bits) starts from now.
        for header in ("\u00b2", "\u00b9\u00b2", "9" * 30, str(2**63), "-1", "abc"):
            answer = [
                event
                async for event in sse_events(
                    client, f"{a.http}/graphql/stream", admin, "{ __typename }", last_event_id=header
                )
            ]
            assert [kind for kind, _, _ in answer] == ["next", "complete"], (header, answer)


async def test_a_socket_that_sends_binary_frames_or_initialises_twice_is_closed_with_the_protocols_codes(
    servers: tuple[Server, Server], scene: Scene
) -> None:
    a, _ = servers
    admin = token("admin", subject=scene.agent.employee_id)
    protocol = [websockets.Subprotocol("graphql-transport-ws")]
    init = json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {admin}"}})
    for first_binary in (True, False):
        async with websockets.connect(a.ws, subprotocols=protocol) as connection:
            if not first_binary:
                await connection.send(init)
                assert json.loads(await asyncio.wait_for(connection.recv(), 10))["type"] == "connection_ack"
            await connection.send(b"\x00\x01")
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(connection.recv(), 10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
    async with websockets.connect(a.ws, subprotocols=protocol) as connection:
        await connection.send(init)
        assert json.loads(await asyncio.wait_for(connection.recv(), 10))["type"] == "connection_ack"
        await connection.send(init)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(connection.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4429
    # A query over the socket runs once within a request budget, and answers.
    ws = await WsClient.connect(a.ws, admin)
    try:
        operation = await ws.subscribe("{ __typename }")
        assert (await ws.receive(operation))["payload"] == {"data": {"__typename": "Query"}}
        assert (await ws.receive(operation))["type"] == "complete"
    finally:
        await ws.close()


async def test_an_operation_name_that_names_nothing_is_refused_alike_over_http_sse_and_websocket(
    servers: tuple[Server, Server], scene: Scene
) -> None:
    a, _ = servers
    admin = token("admin", subject=scene.agent.employee_id)
    request = {"query": "query A { __typename } query B { __typename }", "operationName": "C"}
    headers = {"authorization": f"Bearer {admin}"}
    async with httpx.AsyncClient(timeout=30) as client:
        over_http = (await client.post(f"{a.http}/graphql", json=request, headers=headers)).json()["errors"]
        stream = await client.post(
            f"{a.http}/graphql/stream", json=request, headers={**headers, "accept": "text/event-stream"}
        )
        assert stream.status_code == 400  # refused before any stream opens
        over_sse = stream.json()["errors"]
    protocol = [websockets.Subprotocol("graphql-transport-ws")]
    async with websockets.connect(a.ws, subprotocols=protocol) as connection:
        await connection.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {admin}"}}))
        assert json.loads(await asyncio.wait_for(connection.recv(), 10))["type"] == "connection_ack"
        await connection.send(json.dumps({"id": "1", "type": "subscribe", "payload": request}))
        answer = json.loads(await asyncio.wait_for(connection.recv(), 10))
        assert answer["type"] == "error"
        over_ws = answer["payload"]
    expected = [
        {
            "message": "the operation to run is unknown: give a valid 'operationName'",
            "extensions": {"code": "BAD_USER_INPUT"},
        }
    ]
    assert over_http == over_sse == over_ws == expected


async def test_one_caller_holds_at_most_its_share_of_subscriptions_and_reused_ids_leave_none_behind(
    servers: tuple[Server, Server], scene: Scene
) -> None:
    a, _ = servers
    agent = scene.agent
    flooder = token("admin", subject=scene.outsider)
    # Subscribe and complete one id again and again, back to back: each complete ends its
    # operation, and the next one of that id is tracked (and ended with its socket).
    storm = await RawSocket.open(a.ws, flooder)
    for _ in range(30):
        await storm.subscribe("same", JOURNEY, c=agent.served_customer)
        await storm.complete("same")
    await storm.subscribe("same", JOURNEY, c=agent.served_customer)
    # Three sockets of three operations each: one more than the caller's share.
    sockets = [storm, await RawSocket.open(a.ws, flooder), await RawSocket.open(a.ws, flooder)]
    for n, raw in enumerate(sockets):
        for m in range(3 if n else 2):
            await raw.subscribe(f"op-{m}", JOURNEY, c=agent.served_customer)
    # Another caller is not refused meanwhile.
    other = await RawSocket.open(a.ws, token("admin", subject=agent.employee_id))
    await other.subscribe("mine", JOURNEY, c=agent.served_customer)
    await asyncio.sleep(1.0)
    # Over its share, the caller is refused before anything is looked up: an unknown customer is
    # not even asked of the graph.
    ghost = await RawSocket.open(a.ws, flooder)
    await ghost.subscribe("ghost", JOURNEY, c="NO-SUCH")
    assert await ghost.messages() == [("error MAX_SUBSCRIPTIONS_LIMIT", "ghost")]
    await mutate(a, RECORD, agent.employee_id, input={
        "customerId": agent.served_customer, "channel": "EMAIL", "summary": "share", "idempotencyKey": "share-1",
    })  # fmt: skip
    seen = [(n, kind, id) for n, raw in enumerate(sockets) for kind, id in await raw.messages()]
    # Told by id: the customer's other events (a clock crossing a target) may come meanwhile.
    assert len({(n, id) for n, kind, id in seen if kind == "next"}) == MAX_PER_CALLER, seen
    assert [kind for _, kind, _ in seen if kind != "next"] == ["error MAX_SUBSCRIPTIONS_LIMIT"], seen
    assert ("next", "mine") in await other.messages()
    for raw in [*sockets, other, ghost]:
        await raw.connection.close()
    # Closed sockets leave no subscription behind: the caller has its whole share again.
    await asyncio.sleep(1.0)
    again = [await RawSocket.open(a.ws, flooder) for _ in range(3)]
    for n, raw in enumerate(again):
        for m in range(3 if n else 2):
            await raw.subscribe(f"again-{m}", JOURNEY, c=agent.served_customer)
    await asyncio.sleep(1.0)
    await mutate(a, RECORD, agent.employee_id, input={
        "customerId": agent.served_customer, "channel": "EMAIL", "summary": "again", "idempotencyKey": "share-2",
    })  # fmt: skip
    seen = [(n, kind, id) for n, raw in enumerate(again) for kind, id in await raw.messages()]
    assert len({(n, id) for n, kind, id in seen if kind == "next"}) == MAX_PER_CALLER, seen
    assert [kind for _, kind, _ in seen if kind != "next"] == [], seen
    for raw in again:
        await raw.connection.close()


async def test_a_subscription_to_what_does_not_exist_is_refused_even_for_an_admin(
    servers: tuple[Server, Server], scene: Scene
) -> None:
    a, _ = servers
    raw = await RawSocket.open(a.ws, token("admin", subject=scene.agent.employee_id))
    asked = {
        "customer": (JOURNEY, {"c": "NO-SUCH"}),
        "employee": (HAND_OFFS, {"e": "NO-SUCH"}),
        "department": (HAND_OFFS, {"d": "NO-SUCH"}),
        "alerts' department": (
            "subscription($d: ID) { serviceLevelAlerts(departmentId: $d) { tier } }",
            {"d": "NO-SUCH"},
        ),
    }
    try:
        for name, (query, variables) in asked.items():
            payload = {"query": query, "variables": variables}
            await raw.connection.send(json.dumps({"id": name, "type": "subscribe", "payload": payload}))
            answer = json.loads(await asyncio.wait_for(raw.connection.recv(), 10))
            assert answer["type"] == "error" and answer["id"] == name, answer
            assert [error["extensions"]["code"] for error in answer["payload"]] == ["BAD_USER_INPUT"], answer
            assert "no " in answer["payload"][0]["message"] and "'NO-SUCH'" in answer["payload"][0]["message"]
    finally:
        await raw.connection.close()


async def test_a_stream_ends_once_its_token_expires(servers: tuple[Server, Server], scene: Scene) -> None:
    a, _ = servers
    brief = token("service_agent", subject=scene.agent.employee_id, ttl=timedelta(seconds=2))
    async with httpx.AsyncClient(timeout=30) as client:
        stream = sse_events(client, f"{a.http}/graphql/stream", brief, HAND_OFFS, e=scene.agent.employee_id)
        # Nothing is handed to the agent meanwhile: what comes is the refusal, then the end.
        event, _, data = await next_sse(stream)
        assert event == "next"
        assert data == {
            "errors": [
                {"message": "the token no longer verifies (it expired)", "extensions": {"code": "UNAUTHENTICATED"}}
            ]
        }
        assert (await next_sse(stream))[0] == "complete"


async def test_a_message_over_the_body_limit_is_refused_on_both_transports(
    servers: tuple[Server, Server], scene: Scene
) -> None:
    a, _ = servers
    admin = token("admin", subject=scene.agent.employee_id)
    oversize = {"query": "{ __typename }", "variables": {"pad": "x" * 1_500_000}}
    async with httpx.AsyncClient(timeout=30) as client:
        refused = await client.post(
            f"{a.http}/graphql/stream",
            json=oversize,
            headers={"authorization": f"Bearer {admin}", "accept": "text/event-stream"},
        )
    assert refused.status_code == 413
    assert refused.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    raw = await RawSocket.open(a.ws, admin)
    await raw.connection.send(json.dumps({"id": "big", "type": "subscribe", "payload": oversize}))
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(raw.connection.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009  # message too big


async def test_a_socket_is_closed_once_its_token_expires(servers: tuple[Server, Server], scene: Scene) -> None:
    a, _ = servers
    brief = token("service_agent", subject=scene.agent.employee_id, ttl=timedelta(seconds=2))
    protocol = [websockets.Subprotocol("graphql-transport-ws")]
    async with websockets.connect(a.ws, subprotocols=protocol) as connection:
        await connection.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {brief}"}}))
        assert json.loads(await asyncio.wait_for(connection.recv(), 10))["type"] == "connection_ack"
        subscribe = {"query": HAND_OFFS, "variables": {"e": scene.agent.employee_id}}
        await connection.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:  # nothing is handed to the agent meanwhile: the only way out is the close
                await asyncio.wait_for(connection.recv(), 20)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
