"""The mutations on the real Neo4j: validation, transitions, idempotency, policy and row rules."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from neo4j import AsyncDriver

from tests.act.world import Agent, execute, find_agent, load_world
from tests.conftest import DATABASE, wipe

HAND_OFF = """
mutation($input: HandOffTicketInput!) {
  handOffTicket(input: $input) {
    replayed
    ticket { id status assignee { id } delivery { state change attempts } }
    handOff { reason employee { id } by { id } }
  }
}"""
CLOSE = "mutation($input: CloseTicketInput!) { closeTicket(input: $input) { replayed ticket { id status closedAt } } }"
OPEN = """
mutation($input: OpenTicketInput!) {
  openTicket(input: $input) { replayed ticket { id status subject customer { id } assignee { id } delivery { state } } }
}"""
RECORD = """
mutation($input: RecordInteractionInput!) {
  recordInteraction(input: $input) { replayed interaction { id channel summary employee { id } customer { id } } }
}"""
ASSIGN = """
mutation($input: AssignAccountOwnerInput!) {
  assignAccountOwner(input: $input) { replayed customer { id owner { id } } }
}"""


@pytest.fixture(scope="module")
async def world(driver: AsyncDriver) -> AsyncIterator[Agent]:
    await load_world(driver)
    yield await find_agent(driver)
    await wipe(driver)


async def count(driver: AsyncDriver, query: str, **parameters: object) -> int:
    records, _, _ = await driver.execute_query(query, parameters, database_=DATABASE)
    return int(records[0][0])


def codes(errors: list[dict[str, object]]) -> list[object]:
    return [error["code"] for error in errors]


async def test_a_hand_off_is_written_once_per_idempotency_key(driver: AsyncDriver, world: Agent) -> None:
    before = await count(driver, "MATCH (:Ticket {id: $id})-[a:ASSIGNED_TO]->() RETURN count(a)", id=world.open_ticket)
    variables = {
        "ticketId": world.open_ticket,
        "toEmployeeId": world.colleague,
        "reason": "needs billing",
        "idempotencyKey": "hand-off-1",
    }
    first, errors = await execute(driver, HAND_OFF, world.employee_id, "service_agent", input=variables)
    assert errors == []
    again, errors = await execute(driver, HAND_OFF, world.employee_id, "service_agent", input=variables)
    assert errors == []
    after = await count(driver, "MATCH (:Ticket {id: $id})-[a:ASSIGNED_TO]->() RETURN count(a)", id=world.open_ticket)
    assert after == before + 1
    assert first["handOffTicket"]["replayed"] is False and again["handOffTicket"]["replayed"] is True
    assert first["handOffTicket"]["ticket"]["assignee"] == {"id": world.colleague}
    assert again["handOffTicket"]["ticket"]["id"] == first["handOffTicket"]["ticket"]["id"]
    hand_off = first["handOffTicket"]["handOff"]
    assert hand_off == {"reason": "needs billing", "employee": {"id": world.colleague}, "by": {"id": world.employee_id}}
    assert first["handOffTicket"]["ticket"]["delivery"] == {"state": "PENDING", "change": "HAND_OFF", "attempts": 0}
    outbox = await count(
        driver, "MATCH (o:OutboxItem {ticket_id: $id, kind: 'HAND_OFF'}) RETURN count(o)", id=world.open_ticket
    )
    assert outbox == 1


async def test_concurrent_requests_with_one_key_write_once(driver: AsyncDriver, world: Agent) -> None:
    variables = {
        "customerId": world.served_customer,
        "channel": "PHONE",
        "summary": "called about the invoice",
        "idempotencyKey": "race-1",
    }
    before = await count(driver, "MATCH (:Customer {id: $id})-[:HAD]->(i) RETURN count(i)", id=world.served_customer)
    answers = await asyncio.gather(
        *(execute(driver, RECORD, world.employee_id, "service_agent", input=variables) for _ in range(6))
    )
    assert all(errors == [] for _, errors in answers), answers
    ids = {data["recordInteraction"]["interaction"]["id"] for data, _ in answers}
    assert len(ids) == 1
    assert sorted(data["recordInteraction"]["replayed"] for data, _ in answers) == [False] + [True] * 5
    after = await count(driver, "MATCH (:Customer {id: $id})-[:HAD]->(i) RETURN count(i)", id=world.served_customer)
    assert after == before + 1


async def test_a_key_reused_for_another_request_is_a_conflict(driver: AsyncDriver, world: Agent) -> None:
    base = {"customerId": world.served_customer, "channel": "EMAIL", "idempotencyKey": "reuse-1"}
    _, errors = await execute(driver, RECORD, world.employee_id, "service_agent", input={**base, "summary": "one"})
    assert errors == []
    data, errors = await execute(driver, RECORD, world.employee_id, "service_agent", input={**base, "summary": "two"})
    assert data is None and codes(errors) == ["CONFLICT"]


async def test_a_stale_expected_assignee_is_a_conflict_and_writes_nothing(driver: AsyncDriver, world: Agent) -> None:
    opened, errors = await execute(
        driver,
        OPEN,
        world.employee_id,
        "service_agent",
        input={
            "customerId": world.served_customer,
            "subject": "broken pump",
            "idempotencyKey": "open-stale",
            "assigneeId": world.employee_id,
        },
    )
    assert errors == []
    ticket = opened["openTicket"]["ticket"]
    assert ticket["assignee"] == {"id": world.employee_id} and ticket["status"] == "IN_PROGRESS"
    moved = {
        "ticketId": ticket["id"],
        "toEmployeeId": world.colleague,
        "reason": "back office",
        "expectedAssigneeId": world.employee_id,
        "idempotencyKey": "stale-1",
    }
    _, errors = await execute(driver, HAND_OFF, world.employee_id, "service_agent", input=moved)
    assert errors == []
    # A second client still saw the ticket with the agent.
    stale = {**moved, "toEmployeeId": world.employee_id, "reason": "mine again", "idempotencyKey": "stale-2"}
    data, errors = await execute(driver, HAND_OFF, world.employee_id, "service_agent", input=stale)
    assert data is None and codes(errors) == ["CONFLICT"]
    assert errors[0]["currentAssigneeId"] == world.colleague
    hops = await count(driver, "MATCH (:Ticket {id: $id})-[a:ASSIGNED_TO]->() RETURN count(a)", id=ticket["id"])
    assert hops == 2


async def test_racing_hand_offs_from_one_view_give_one_success(driver: AsyncDriver, world: Agent) -> None:
    opened, _ = await execute(
        driver,
        OPEN,
        world.employee_id,
        "service_agent",
        input={
            "customerId": world.served_customer,
            "subject": "race",
            "idempotencyKey": "open-race",
            "assigneeId": world.employee_id,
        },
    )
    ticket_id = opened["openTicket"]["ticket"]["id"]
    answers = await asyncio.gather(
        *(
            execute(
                driver,
                HAND_OFF,
                world.employee_id,
                "service_agent",
                input={
                    "ticketId": ticket_id,
                    "toEmployeeId": world.colleague,
                    "reason": f"race {n}",
                    "expectedAssigneeId": world.employee_id,
                    "idempotencyKey": f"race-hop-{n}",
                },
            )
            for n in range(4)
        )
    )
    outcomes = sorted("ok" if not errors else str(errors[0]["code"]) for _, errors in answers)
    assert outcomes == ["CONFLICT", "CONFLICT", "CONFLICT", "ok"]


async def test_closing_twice_is_a_conflict(driver: AsyncDriver, world: Agent) -> None:
    opened, _ = await execute(
        driver,
        OPEN,
        world.employee_id,
        "service_agent",
        input={"customerId": world.served_customer, "subject": "close me", "idempotencyKey": "open-close"},
    )
    ticket_id = opened["openTicket"]["ticket"]["id"]
    closed, errors = await execute(
        driver, CLOSE, world.employee_id, "service_agent", input={"ticketId": ticket_id, "idempotencyKey": "close-1"}
    )
    assert errors == [] and closed["closeTicket"]["ticket"]["status"] == "CLOSED"
    assert closed["closeTicket"]["ticket"]["closedAt"] is not None
    data, errors = await execute(
        driver, CLOSE, world.employee_id, "service_agent", input={"ticketId": ticket_id, "idempotencyKey": "close-2"}
    )
    assert data is None and codes(errors) == ["CONFLICT"]
    hop = {"ticketId": ticket_id, "toEmployeeId": world.colleague, "reason": "late", "idempotencyKey": "late-hop"}
    data, errors = await execute(driver, HAND_OFF, world.employee_id, "service_agent", input=hop)
    assert data is None and codes(errors) == ["CONFLICT"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ticketId", "T-NOPE"),
        ("toEmployeeId", "E-NOPE"),
        ("reason", "   "),
        ("reason", "a\u0000b"),
        ("reason", "looks \u202efine"),
        ("reason", "bell\u0007"),
        ("idempotencyKey", ""),
        ("idempotencyKey", "k" * 201),
        ("ticketId", "x" * 81),
        ("expectedAssigneeId", ""),
    ],
)
async def test_unknown_ids_and_bad_values_are_bad_user_input(
    driver: AsyncDriver, world: Agent, field: str, value: str
) -> None:
    variables = {
        "ticketId": world.open_ticket,
        "toEmployeeId": world.colleague,
        "reason": "r",
        "idempotencyKey": f"bad-{field}-{len(value)}",
        field: value,
    }
    data, errors = await execute(driver, HAND_OFF, world.employee_id, "service_agent", input=variables)
    assert data is None and codes(errors) == ["BAD_USER_INPUT"]


async def test_a_customer_or_ticket_out_of_sight_is_answered_as_unknown(driver: AsyncDriver, world: Agent) -> None:
    hop = {"ticketId": world.hidden_ticket, "toEmployeeId": world.colleague, "reason": "r", "idempotencyKey": "h1"}
    data, errors = await execute(driver, HAND_OFF, world.employee_id, "service_agent", input=hop)
    assert data is None and codes(errors) == ["BAD_USER_INPUT"]
    assert errors[0]["message"] == f"no ticket with id '{world.hidden_ticket}'"
    record = {"customerId": world.unserved_customer, "channel": "CHAT", "summary": "s", "idempotencyKey": "h2"}
    data, errors = await execute(driver, RECORD, world.employee_id, "service_agent", input=record)
    assert data is None and codes(errors) == ["BAD_USER_INPUT"]
    hops = await count(
        driver, "MATCH (:Ticket {id: $id})-[a:ASSIGNED_TO {reason: 'r'}]->() RETURN count(a)", id=world.hidden_ticket
    )
    assert hops == 0


async def test_the_policy_says_who_may_write(driver: AsyncDriver, world: Agent) -> None:
    close = {"ticketId": world.open_ticket, "idempotencyKey": "policy-1"}
    for roles in (("analyst",), ("back_office",), ("account_manager",), ()):
        data, errors = await execute(driver, CLOSE, world.employee_id, *roles, input=close)
        assert data is None and codes(errors) == ["FORBIDDEN"], roles
    # A token without an employee cannot be anyone's `by`.
    data, errors = await execute(driver, CLOSE, None, "admin", input=close)
    assert data is None and codes(errors) == ["FORBIDDEN"]
    status = await count(driver, "MATCH (t:Ticket {id: $id}) RETURN count(t.closed_at)", id=world.open_ticket)
    assert status == 0


async def test_recording_for_someone_else_needs_a_role_that_acts_for_others(driver: AsyncDriver, world: Agent) -> None:
    record = {
        "customerId": world.served_customer,
        "channel": "MEETING",
        "summary": "visit",
        "employeeId": world.colleague,
        "idempotencyKey": "for-other",
    }
    data, errors = await execute(driver, RECORD, world.employee_id, "service_agent", input=record)
    assert data is None and codes(errors) == ["FORBIDDEN"]
    data, errors = await execute(driver, RECORD, world.employee_id, "admin", input=record)
    assert errors == []
    assert data["recordInteraction"]["interaction"]["employee"] == {"id": world.colleague}


async def test_an_account_owner_replaces_the_one_before(driver: AsyncDriver, world: Agent) -> None:
    assign = {"customerId": world.unserved_customer, "employeeId": world.employee_id, "idempotencyKey": "own-1"}
    data, errors = await execute(driver, ASSIGN, world.colleague, "admin", input=assign)
    assert errors == []
    assert data["assignAccountOwner"]["customer"]["owner"] == {"id": world.employee_id}
    owners = await count(
        driver, "MATCH (:Customer {id: $id})-[o:OWNED_BY]->() RETURN count(o)", id=world.unserved_customer
    )
    assert owners == 1
    # The agent's department serves the customer now: the agent may act on them at once.
    record = {"customerId": world.unserved_customer, "channel": "PHONE", "summary": "hello", "idempotencyKey": "own-2"}
    _, errors = await execute(driver, RECORD, world.employee_id, "service_agent", input=record)
    assert errors == []
