"""The write matrix: every mutation for every role of the policy, and the delivery state it leaves,
over HTTP with each role's token.

A mutation the role's ``write`` list lacks is refused before it runs (``403 FORBIDDEN``, no
data); one it has runs, here with a ticket or customer that does not exist, so it answers
``BAD_USER_INPUT`` and writes nothing. ``Ticket.delivery`` (and ``TicketDelivery``) is read like
any field: by the roles that read tickets, of the tickets their row rules show.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import get_named_type
from neo4j import AsyncDriver

from graph.row_rules import row_scope
from server.app import create_app, started
from tests.act.world import POLICY, SCHEMA, Agent, execute, find_agent, load_world
from tests.auth_tokens import bearer, settings
from tests.conftest import wipe

ROLES = sorted(POLICY.roles)
MUTATIONS: dict[str, str] = {
    "recordInteraction": 'recordInteraction(input: {customerId: "C-NONE", channel: PHONE, summary: "s", '
    'idempotencyKey: "m"}) { replayed }',
    "openTicket": 'openTicket(input: {customerId: "C-NONE", subject: "s", idempotencyKey: "m"}) { replayed }',
    "handOffTicket": 'handOffTicket(input: {ticketId: "T-NONE", toEmployeeId: "E-NONE", reason: "r", '
    'idempotencyKey: "m"}) { replayed }',
    "closeTicket": 'closeTicket(input: {ticketId: "T-NONE", idempotencyKey: "m"}) { replayed }',
    "assignAccountOwner": 'assignAccountOwner(input: {customerId: "C-NONE", employeeId: "E-NONE", '
    'idempotencyKey: "m"}) { replayed }',
}
HAND_OFF = """mutation($input: HandOffTicketInput!) { handOffTicket(input: $input) { replayed } }"""
DELIVERY = "query($id: ID!) { ticket(id: $id) { delivery { deliveryId change state attempts reason deliveredAt } } }"


@pytest.fixture(scope="module")
async def served(driver: AsyncDriver) -> AsyncIterator[tuple[httpx.AsyncClient, Agent]]:
    await load_world(driver)
    world = await find_agent(driver)
    _, errors = await execute(
        driver, HAND_OFF, world.employee_id, "admin",
        input={"ticketId": world.open_ticket, "toEmployeeId": world.colleague, "reason": "matrix",
               "idempotencyKey": "matrix"},
    )  # fmt: skip
    assert errors == []
    app = create_app(settings(sources_enabled=False), driver=driver)
    async with started(app) as served_app:
        transport = httpx.ASGITransport(app=served_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as http:
            yield http, world
    await wipe(driver)


def test_the_matrix_covers_every_mutation_and_the_policy_names_only_mutations_that_exist() -> None:
    assert SCHEMA._schema.mutation_type is not None
    assert set(MUTATIONS) == set(SCHEMA._schema.mutation_type.fields)
    outcomes = {POLICY.grants([role]).readable("Mutation", name) for role in ROLES for name in MUTATIONS}
    assert outcomes == {True, False}


async def post(http: httpx.AsyncClient, role: str, employee: str, query: str, **variables: Any) -> httpx.Response:
    return await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={**bearer(role, subject=employee), "accept": "application/graphql-response+json"},
    )


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
@pytest.mark.parametrize("role", ROLES)
async def test_each_mutation_runs_only_for_the_roles_that_may_write_it(
    served: tuple[httpx.AsyncClient, Agent], role: str, mutation: str
) -> None:
    http, world = served
    answer = await post(http, role, world.employee_id, "mutation { " + MUTATIONS[mutation] + " }")
    body = answer.json()
    codes = [error["extensions"]["code"] for error in body.get("errors", [])]
    if POLICY.grants([role]).readable("Mutation", mutation):
        assert answer.status_code == 200 and codes == ["BAD_USER_INPUT"], body
        assert body["data"] is None
    else:
        assert answer.status_code == 403 and "data" not in body, body
        assert codes == ["FORBIDDEN"] and mutation in body["errors"][0]["message"]


async def visible_to(driver: AsyncDriver, role: str, employee_id: str, ticket_id: str) -> bool:
    """Whether the role's row rules show the ticket to the employee, as the reads compile them."""
    scope = row_scope(POLICY.grants([role]).row_rules)
    query = "MATCH (t:Ticket {id: $id}) RETURN @visible(Ticket, t) AS visible"
    records, _, _ = await driver.execute_query(scope.compile(query), id=ticket_id, caller_id=employee_id)
    return bool(records[0]["visible"])


@pytest.mark.parametrize("role", ROLES)
async def test_the_delivery_state_reads_as_tickets_do(
    driver: AsyncDriver, served: tuple[httpx.AsyncClient, Agent], role: str
) -> None:
    http, world = served
    grants = POLICY.grants([role])
    named = get_named_type(SCHEMA._schema.type_map["Ticket"].fields["delivery"].type)  # type: ignore[union-attr]
    seen = []
    for ticket in (world.open_ticket, world.hidden_ticket):
        body = (await post(http, role, world.employee_id, DELIVERY, id=ticket)).json()
        if not grants.readable("Query", "ticket") or not grants.reads_type(named.name):
            assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
            continue
        if not await visible_to(driver, role, world.employee_id, ticket):
            assert body["data"]["ticket"] is None
            continue
        seen.append(ticket)
        delivery = body["data"]["ticket"]["delivery"]
        if ticket == world.open_ticket:
            assert delivery["change"] == "HAND_OFF" and delivery["state"] == "PENDING" and delivery["attempts"] == 0
        else:
            assert delivery is None  # never changed through the API
    # The service agent sees the ticket handed off; the roles without row rules see both.
    if role == "service_agent":
        assert seen == [world.open_ticket]
    if role in ("admin", "analyst"):
        assert seen == [world.open_ticket, world.hidden_ticket]
