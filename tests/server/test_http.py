"""GraphQL over HTTP through the ASGI app: negotiation, status codes, bad input."""

from __future__ import annotations

import httpx
import pytest

GRAPHQL_RESPONSE = "application/graphql-response+json"
QUERY = '{ customer(id: "C000001") { id tier } }'


async def test_post_returns_data_as_graphql_response_json(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": QUERY}, headers={"accept": GRAPHQL_RESPONSE})

    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json()["data"]["customer"]["id"] == "C000001"


async def test_get_runs_queries_with_variables(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql",
        params={"query": "query ($id: ID!) { customer(id: $id) { id } }", "variables": '{"id": "C000002"}'},
        headers={"accept": "application/json"},
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["data"] == {"customer": {"id": "C000002"}}


async def test_graphql_answers_without_redirect(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ __typename }"})

    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"}


@pytest.mark.parametrize(
    ("accept", "status"),
    [(GRAPHQL_RESPONSE, 400), ("application/json", 200)],
)
async def test_validation_errors_are_4xx_without_data_only_for_graphql_response_json(
    client: httpx.AsyncClient, accept: str, status: int
) -> None:
    response = await client.post("/graphql", json={"query": "{ customer { nope } }"}, headers={"accept": accept})

    assert response.status_code == status
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_syntax_error_is_parse_failed(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ customer("}, headers={"accept": GRAPHQL_RESPONSE})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_wrong_variable_type_is_bad_user_input(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "query ($n: Int) { customers(first: $n) { totalCount } }", "variables": {"n": "many"}},
        headers={"accept": GRAPHQL_RESPONSE},
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_oversize_page_is_a_field_error_with_200(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ customers(first: 1000) { totalCount } }"})

    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_unknown_id_is_null_with_not_found(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": '{ ticket(id: "T404") { id } }'})

    assert response.json()["data"] == {"ticket": None}
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[]", "application/json", 400),
        (b'{"query": 42}', "application/json", 400),
        (b'{"query": "{ __typename }", "variables": []}', "application/json", 400),
        (b"query=%7B__typename%7D", "application/x-www-form-urlencoded", 415),
        (b"{ __typename }", "text/plain", 415),
    ],
)
async def test_malformed_requests_get_json_errors_never_500(
    client: httpx.AsyncClient, content: bytes, content_type: str, status: int
) -> None:
    response = await client.post("/graphql", content=content, headers={"content-type": content_type})

    assert response.status_code == status
    assert response.json()["errors"][0]["message"]


async def test_mutation_over_get_is_405(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "mutation { __typename }"})

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"  # as on /graphql/stream


async def test_unacceptable_accept_is_406(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": QUERY}, headers={"accept": "text/csv"})

    assert response.status_code == 406


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["graph"] == "ok"
