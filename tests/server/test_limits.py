"""Operation limits over HTTP: each refused before any Cypher runs, with its own code; bad input coded."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from neo4j import AsyncDriver

from resolvers.cost import STATEMENT_WEIGHT
from server.app import create_app, started
from tests import auth_tokens
from tests.bolt_counter import counting_statements

GRAPHQL_RESPONSE = {"accept": "application/graphql-response+json"}
Client = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client_with(demo_graph: AsyncDriver) -> Client:
    """``async with client_with(max_depth=3) as http``: the app with these settings."""

    @asynccontextmanager
    async def open_client(**settings: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(auth_tokens.settings(sources_enabled=False, **settings), driver=demo_graph)
        async with started(app) as served:
            transport = httpx.ASGITransport(app=served)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver", headers=auth_tokens.bearer()
            ) as http:
                yield http

    return open_client


async def _refused(http: httpx.AsyncClient, payload: dict[str, Any]) -> dict[str, Any]:
    with counting_statements() as statements:
        response = await http.post("/graphql", json=payload, headers=GRAPHQL_RESPONSE)
    assert statements == [], "a refused operation runs no Cypher"
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    (error,) = [error for error in body["errors"] if error["extensions"]["code"] != "MAX_ROOT_FIELDS_LIMIT"] or body[
        "errors"
    ]
    return error  # type: ignore[no-any-return]


def _nested(levels: int) -> str:
    inner = "id"
    for _ in range(levels):
        inner = f"orders(first: 1) {{ nodes {{ customer {{ {inner} }} }} }}"
    return f'{{ customer(id: "C000001") {{ {inner} }} }}'


# 100 customers, 100 orders each, and each order's customer with 100 orders again.
FAN_OUT = (
    "{ customers(first: 100) { nodes { orders(first: 100) { nodes { "
    "customer { orders(first: 100) { nodes { id } } } } } } } }"
)
LIMITED = [
    ("MAX_DEPTH_LIMIT", {"query": _nested(5)}, {"max_depth": 12}),
    (
        "MAX_ALIASES_LIMIT",
        {"query": "{ " + " ".join(f'a{i}: customer(id: "C1") {{ id }}' for i in range(31)) + " }"},
        {},
    ),
    (
        "MAX_ROOT_FIELDS_LIMIT",
        {"query": "{ " + " ".join(f"f{i}: __typename" for i in range(25)) + " }"},
        {"max_aliases": 100},
    ),
    ("MAX_TOKENS_LIMIT", {"query": "{ " + "__typename " * 4000 + "}"}, {}),
    ("MAX_REPEATED_FIELD_LIMIT", {"query": '{ customer(id: "C1") { ' + "owner { id } " * 40 + "} }"}, {}),
    (
        "COST_ESTIMATED_TOO_EXPENSIVE",
        {"query": FAN_OUT},
        {},
    ),
    (
        "MAX_REPRESENTATIONS_LIMIT",
        {
            "query": "query ($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id } } }",
            "variables": {"r": [{"__typename": "Customer", "id": f"C{i:06d}"} for i in range(501)]},
        },
        {},
    ),
]


@pytest.mark.parametrize(("code", "payload", "settings"), LIMITED, ids=[case[0] for case in LIMITED])
async def test_each_limit_refuses_before_anything_runs_with_its_own_code(
    client_with: Client, code: str, payload: dict[str, Any], settings: dict[str, Any]
) -> None:
    async with client_with(**settings) as http:
        error = await _refused(http, payload)

    assert error["extensions"]["code"] == code
    assert isinstance(error["extensions"]["limit"], int)
    assert len(error["message"]) < 200


async def test_the_estimated_cost_comes_back_in_the_extensions(client_with: Client) -> None:
    async with client_with() as http:
        response = await http.post(
            "/graphql", json={"query": '{ customer(id: "C000001") { orders(first: 5) { nodes { id } } } }'}
        )

    assert response.json()["extensions"]["cost"] == {"estimated": STATEMENT_WEIGHT + 1 + 5, "limit": 100_000}


async def test_with_operation_limits_off_nothing_is_estimated_or_refused(client_with: Client) -> None:
    async with client_with(operation_limits_enabled=False) as http:
        response = await http.post("/graphql", json={"query": _nested(5)})

    body = response.json()
    assert "errors" not in body and "extensions" not in body
    assert body["data"]["customer"]["orders"]["nodes"]


async def test_a_body_over_the_limit_is_refused_while_it_streams_in(client_with: Client) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }", "pad": "'
        for _ in range(100):
            yield b"x" * 1000

    async with client_with(max_body_bytes=10_000) as http:
        streamed = await http.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
        declared = await http.post(
            "/graphql", content=b"{" + b" " * 20_000 + b"}", headers={"content-type": "application/json"}
        )

    for response in (streamed, declared):
        assert response.status_code == 413
        assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_request_past_its_deadline_answers_request_timeout(client_with: Client) -> None:
    query = '{ shortestPath(from: {kind: CUSTOMER, id: "C000001"}, to: {kind: DEPARTMENT, id: "D001"}) { length } }'
    async with client_with(request_timeout_s=0.000_001) as http:
        response = await http.post("/graphql", json={"query": query}, headers=GRAPHQL_RESPONSE)

    assert response.status_code == 200
    body = response.json()
    # Stopped by the deadline around the whole execution, or by the statement's own share of it.
    assert body["data"] in (None, {"shortestPath": None})
    assert [error["extensions"]["code"] for error in body["errors"]] == ["REQUEST_TIMEOUT"]


async def test_a_flood_of_failing_fields_answers_a_capped_list_and_logs_one_line(
    client_with: Client, caplog: pytest.LogCaptureFixture
) -> None:
    failing = " ".join(f'a{i}: journey(customerId: "C000001", first: 5000) {{ totalCount }}' for i in range(20))
    async with client_with(max_errors=5) as http:
        with caplog.at_level(logging.INFO, logger="customer_graph.errors"):
            response = await http.post("/graphql", json={"query": "{ " + failing + " }"})

    body = response.json()
    assert len(body["errors"]) == 6
    assert {error["extensions"]["code"] for error in body["errors"][:5]} == {"BAD_USER_INPUT"}
    assert body["errors"][5]["extensions"] == {"code": "TOO_MANY_ERRORS", "omitted": 15}
    assert body["data"] == {f"a{i}": None for i in range(20)}
    logged = [record for record in caplog.records if record.name == "customer_graph.errors"]
    assert len(logged) == 1


def _cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"cursor:{position}".encode()).decode()


EDGE_INPUTS = [
    (
        "a forged cursor at the 64-bit limit",
        "query ($c: String) { customers(first: 2, after: $c) { nodes { id } } }",
        {"c": _cursor(2**63 - 1)},
    ),
    (
        "a forged cursor past it",
        "query ($c: String) { orders(last: 2, before: $c) { nodes { id } } }",
        {"c": _cursor(2**64 + 5)},
    ),
    (
        "a nested forged cursor",
        'query ($c: String) { customer(id: "C000001") { orders(first: 1, after: $c) { nodes { id } } } }',
        {"c": _cursor(2**63)},
    ),
    (
        "a DateTime before year 1 in UTC",
        'query ($t: DateTime) { whoKnowsBest(customerId: "C000001", asOf: $t) { score } }',
        {"t": "0001-01-01T00:00:00+01:00"},
    ),
    (
        "a DateTime after year 9999 in UTC",
        'query ($t: DateTime) { handOffChain(ticketId: "T000001", asOf: $t) { closed } }',
        {"t": "9999-12-31T23:59:59-01:00"},
    ),
    (
        "a DateTime window at the edges",
        "query ($t: DateTime) { customers(filter: {since: {from: $t}}) { nodes { id } } }",
        {"t": "0001-01-01T00:00:00+14:00"},
    ),
    (
        "a DateTime offset beyond 18 hours",
        'query ($t: DateTime) { departmentFlows(departmentId: "D001", asOf: $t) { handsWorkTo { tickets } } }',
        {"t": "2024-06-01T00:00:00+20:55"},
    ),
    (
        "a literal DateTime at the edge",
        '{ demand(window: {from: "0001-01-01T00:00:00+01:00", to: "2020-01-01T00:00:00Z"}, by: TIER) { currency } }',
        None,
    ),
    (
        "a representation without __typename",
        "query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }",
        {"r": [{"id": "C000001"}]},
    ),
    (
        "a representation of an unknown type",
        "query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }",
        {"r": [{"__typename": "Query", "id": "1"}]},
    ),
    (
        "a representation with an object id",
        "query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }",
        {"r": [{"__typename": "Customer", "id": {"$gt": ""}}]},
    ),
    (
        "a representation that is not an object",
        "query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }",
        {"r": ["Customer:C000001"]},
    ),
]


@pytest.mark.parametrize(("case", "query", "variables"), EDGE_INPUTS, ids=[case[0] for case in EDGE_INPUTS])
async def test_edge_inputs_are_bad_user_input_with_a_short_message(
    client_with: Client, case: str, query: str, variables: dict[str, Any] | None
) -> None:
    async with client_with() as http:
        response = await http.post("/graphql", json={"query": query, "variables": variables})

    assert response.status_code == 200, case
    errors = response.json()["errors"]
    assert {error["extensions"]["code"] for error in errors} == {"BAD_USER_INPUT"}, errors
    assert all(len(error["message"]) < 300 for error in errors)


async def test_echoed_input_is_cut_short(client_with: Client) -> None:
    async with client_with() as http:
        response = await http.post(
            "/graphql",
            json={"query": "query ($id: ID!) { customer(id: $id) { id } }", "variables": {"id": "Q" * 100_000}},
        )

    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert len(response.content) < 1_000
