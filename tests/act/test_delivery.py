"""Write-through to the real demo helpdesk: every change delivered once, whatever happens.

The helpdesk runs as its own server (``demo_systems.helpdesk``) and counts, per idempotency
key, how many times it *applied* a change (``GET /__deliveries``): exactly-once is checked
there, at the system of record, not in our code.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from neo4j import AsyncDriver

from demo_systems.launcher import PROJECT_ROOT, DemoFleet, control, counts
from graph.outbox import Neo4jOutbox
from server.delivery import DeliveryPolicy, DeliveryWorker
from sources.helpdesk_writes import HelpdeskWriter, Sent
from tests.act.world import WORLD_PRESET, WORLD_SEED, Agent, execute, find_agent, load_world
from tests.conftest import DATABASE, wipe

TOKEN = "demo-helpdesk-token"
HAND_OFF = """
mutation($input: HandOffTicketInput!) {
  handOffTicket(input: $input) { ticket { id delivery { deliveryId state change attempts reason } } }
}"""
OPEN = "mutation($input: OpenTicketInput!) { openTicket(input: $input) { ticket { id delivery { deliveryId } } } }"
CLOSE = "mutation($input: CloseTicketInput!) { closeTicket(input: $input) { ticket { id delivery { deliveryId } } } }"
DELIVERY = "query($id: ID!) { ticket(id: $id) { delivery { deliveryId state change attempts reason deliveredAt } } }"
FAST = DeliveryPolicy(lease_s=2.0, max_attempts=50, poll_s=0.1, backoff_base_ms=0)


@pytest.fixture(scope="module")
def helpdesk() -> Iterator[str]:
    with DemoFleet(preset=WORLD_PRESET, seed=WORLD_SEED, names=("helpdesk",)) as fleet:
        yield fleet.url("helpdesk")


@pytest.fixture(scope="module")
async def world(driver: AsyncDriver) -> AsyncIterator[Agent]:
    await load_world(driver)
    yield await find_agent(driver)
    await wipe(driver)


@pytest.fixture
async def writer(helpdesk: str) -> AsyncIterator[HelpdeskWriter]:
    await control(helpdesk, reset=True, fail=None)
    sink = HelpdeskWriter(helpdesk, TOKEN, timeout_s=1.0)
    yield sink
    await sink.close()


async def applied(helpdesk: str) -> dict[str, int]:
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{helpdesk}/__deliveries")
        answer.raise_for_status()
        found: dict[str, int] = answer.json()["applied"]
        return found


async def drain(worker: DeliveryWorker, outbox: Neo4jOutbox, deadline_s: float = 30.0) -> None:
    """Run the worker until nothing is pending (the test's own, bounded wait)."""
    deadline = time.monotonic() + deadline_s
    while (await outbox.counts()).get("PENDING", 0):
        assert time.monotonic() < deadline, await outbox.counts()
        if not await worker.run_once():
            await asyncio.sleep(0.1)


async def hand_off(driver: AsyncDriver, world: Agent, ticket_id: str, to: str, key: str) -> str:
    data, errors = await execute(
        driver,
        HAND_OFF,
        world.employee_id,
        "admin",
        input={"ticketId": ticket_id, "toEmployeeId": to, "reason": "to you", "idempotencyKey": key},
    )
    assert errors == [], errors
    return str(data["handOffTicket"]["ticket"]["delivery"]["deliveryId"])


async def test_a_hand_off_reaches_the_helpdesk_once_and_the_ticket_says_so(
    driver: AsyncDriver, world: Agent, helpdesk: str, writer: HelpdeskWriter
) -> None:
    outbox = Neo4jOutbox(driver, DATABASE)
    delivery_id = await hand_off(driver, world, world.open_ticket, world.colleague, "deliver-1")
    pending, _ = await execute(driver, DELIVERY, world.employee_id, "admin", id=world.open_ticket)
    assert pending["ticket"]["delivery"]["state"] == "PENDING"
    await drain(DeliveryWorker(outbox, writer, FAST), outbox)
    done, _ = await execute(driver, DELIVERY, world.employee_id, "admin", id=world.open_ticket)
    delivery = done["ticket"]["delivery"]
    assert delivery["deliveryId"] == delivery_id and delivery["state"] == "DELIVERED"
    assert delivery["attempts"] == 1 and delivery["reason"] is None and delivery["deliveredAt"] is not None
    assert (await applied(helpdesk))[delivery_id] == 1
    async with httpx.AsyncClient(headers={"authorization": f"Bearer {TOKEN}"}) as client:
        live = (await client.get(f"{helpdesk}/api/tickets", params={"ids": world.open_ticket})).json()["tickets"][0]
    assert live["assignee"]["employee_id"] == world.colleague


async def test_a_second_send_of_one_delivery_is_not_applied_again(
    driver: AsyncDriver, world: Agent, helpdesk: str, writer: HelpdeskWriter
) -> None:
    # What a worker whose lease ran out after the helpdesk applied its send does: send again.
    delivery_id = await hand_off(driver, world, world.open_ticket, world.employee_id, "twice-1")
    payload = json.dumps({"employee_id": world.employee_id, "reason": "again"})
    first = await writer.send(delivery_id, "HAND_OFF", world.open_ticket, payload)
    second = await writer.send(delivery_id, "HAND_OFF", world.open_ticket, payload)
    assert first.sent is Sent.DELIVERED and second.sent is Sent.DELIVERED
    assert (await applied(helpdesk))[delivery_id] == 1
    outbox = Neo4jOutbox(driver, DATABASE)
    await drain(DeliveryWorker(outbox, writer, FAST), outbox)
    assert (await applied(helpdesk))[delivery_id] == 1


async def test_changes_queued_while_the_helpdesk_is_down_are_each_delivered_once_when_it_is_back(
    driver: AsyncDriver, world: Agent, helpdesk: str, writer: HelpdeskWriter
) -> None:
    outbox = Neo4jOutbox(driver, DATABASE)
    worker = DeliveryWorker(outbox, writer, FAST)
    await drain(worker, outbox)
    earlier = await applied(helpdesk)
    await control(helpdesk, fail="down")
    written: list[str] = []
    for n in range(4):
        opened, errors = await execute(
            driver,
            OPEN,
            world.employee_id,
            "admin",
            input={
                "customerId": world.served_customer,
                "subject": f"outage {n}",
                "idempotencyKey": f"down-open-{n}",
                "assigneeId": world.employee_id,
            },
        )
        assert errors == []
        ticket_id = opened["openTicket"]["ticket"]["id"]
        written.append(await hand_off(driver, world, ticket_id, world.colleague, f"down-hop-{n}"))
        closed, errors = await execute(
            driver,
            CLOSE,
            world.employee_id,
            "admin",
            input={"ticketId": ticket_id, "idempotencyKey": f"down-close-{n}"},
        )
        assert errors == []
        written.append(closed["closeTicket"]["ticket"]["delivery"]["deliveryId"])
    for _ in range(3):
        await worker.run_once()
    while_down, _ = await execute(driver, DELIVERY, world.employee_id, "admin", id=ticket_id)
    delivery = while_down["ticket"]["delivery"]
    # The close waits behind the ticket's open and hand-off, which are failing for now.
    assert delivery["state"] == "PENDING" and delivery["change"] == "CLOSE"
    states, _, _ = await driver.execute_query(
        "MATCH (o:OutboxItem) WHERE o.state = 'PENDING' AND o.attempts > 0 RETURN o.last_error AS reason LIMIT 1",
        database_=DATABASE,
    )
    assert states and "HTTP 503" in states[0]["reason"]
    assert (await applied(helpdesk)) == earlier
    await control(helpdesk, fail=None)
    await drain(worker, outbox)
    found = {key: times for key, times in (await applied(helpdesk)).items() if key not in earlier}
    assert all(found.get(delivery_id) == 1 for delivery_id in written), found
    # 4 opens, 8 hand-offs (the first assignment and the one above), 4 closes, each once.
    assert sum(found.values()) == 16 and set(found.values()) == {1}
    assert (await outbox.counts()).get("PENDING", 0) == 0


async def test_a_change_the_helpdesk_refuses_fails_with_its_reason(
    driver: AsyncDriver, world: Agent, helpdesk: str, writer: HelpdeskWriter
) -> None:
    outbox = Neo4jOutbox(driver, DATABASE)
    await drain(DeliveryWorker(outbox, writer, FAST), outbox)
    # Closed in the helpdesk itself; the graph does not know yet.
    async with httpx.AsyncClient(headers={"authorization": f"Bearer {TOKEN}", "idempotency-key": "hd-own"}) as client:
        answer = await client.post(f"{helpdesk}/api/tickets/{world.open_ticket}/close", json={})
        assert answer.status_code == 201
    _, errors = await execute(
        driver, CLOSE, world.employee_id, "admin", input={"ticketId": world.open_ticket, "idempotencyKey": "refused"}
    )
    assert errors == []
    await drain(DeliveryWorker(outbox, writer, FAST), outbox)
    data, _ = await execute(driver, DELIVERY, world.employee_id, "admin", id=world.open_ticket)
    delivery = data["ticket"]["delivery"]
    assert delivery["state"] == "FAILED" and delivery["change"] == "CLOSE"
    assert "HTTP 409" in delivery["reason"] and "already closed" in delivery["reason"]


async def test_a_worker_killed_mid_delivery_leaves_its_change_to_another_delivered_once(
    driver: AsyncDriver, world: Agent, helpdesk: str, writer: HelpdeskWriter, neo4j_uri: str
) -> None:
    outbox = Neo4jOutbox(driver, DATABASE)
    await drain(DeliveryWorker(outbox, writer, FAST), outbox)
    opened, _ = await execute(
        driver,
        OPEN,
        world.employee_id,
        "admin",
        input={"customerId": world.served_customer, "subject": "killed", "idempotencyKey": "kill-open"},
    )
    ticket_id = opened["openTicket"]["ticket"]["id"]
    await drain(DeliveryWorker(outbox, writer, FAST), outbox)
    delivery_id = await hand_off(driver, world, ticket_id, world.colleague, "kill-hop")
    await control(helpdesk, latency_ms=1500)
    before = (await counts(helpdesk)).get("write", 0)
    environ = {
        **os.environ,
        "NEO4J_URI": neo4j_uri,
        "CG_HELPDESK_URL": helpdesk,
        "CG_OUTBOX_LEASE_SECONDS": "2",
        "CG_OUTBOX_POLL_SECONDS": "0.1",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.delivery", cwd=PROJECT_ROOT, env=environ,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while (await counts(helpdesk)).get("write", 0) == before:  # the send reached the helpdesk
            assert process.returncode is None and time.monotonic() < deadline
            await asyncio.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(process.wait(), 10)
    finally:
        if process.returncode is None:
            process.kill()
            await asyncio.wait_for(process.wait(), 10)
    assert process.returncode == -signal.SIGKILL
    leased, _, _ = await driver.execute_query(
        "MATCH (o:OutboxItem {id: $id}) RETURN o.state AS state, o.attempts AS attempts, o.leased_by AS by",
        id=delivery_id,
        database_=DATABASE,
    )
    assert (
        leased[0]["state"] == "PENDING" and leased[0]["attempts"] == 1 and leased[0]["by"].endswith(f":{process.pid}")
    )
    await control(helpdesk, latency_ms=0)
    await drain(DeliveryWorker(outbox, writer, FAST), outbox)
    data, _ = await execute(driver, DELIVERY, world.employee_id, "admin", id=ticket_id)
    assert data["ticket"]["delivery"]["state"] == "DELIVERED" and data["ticket"]["delivery"]["attempts"] == 2
    assert (await applied(helpdesk))[delivery_id] == 1
