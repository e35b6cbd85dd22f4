"""Headers around the GraphQL endpoint: X-Request-Id, CORS, and Apollo's trace request."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import httpx
import pytest
from neo4j import AsyncDriver
from starlette.requests import Request
from starlette.responses import Response

from server.app import create_app, started
from server.settings import Settings
from tests.auth_tokens import bearer, settings

QUERY = {"query": '{ customer(id: "C000001") { id } }'}
STUDIO = "https://studio.apollographql.com"


@pytest.fixture
async def cors_client(demo_graph: AsyncDriver) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(cors_allowed_origins=[STUDIO]), driver=demo_graph)
    async with started(app) as served:
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=bearer()) as http:
            yield http


async def test_a_given_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json=QUERY, headers={"x-request-id": "req-42.a:b"})

    assert response.headers["x-request-id"] == "req-42.a:b"


@pytest.mark.parametrize("given", [None, "", "has spaces", "x" * 129, 'quote"d'])
async def test_a_missing_or_odd_request_id_is_replaced_by_a_new_one(
    client: httpx.AsyncClient, given: str | None
) -> None:
    headers = {} if given is None else {"x-request-id": given}

    first = await client.post("/graphql", json=QUERY, headers=headers)
    second = await client.post("/graphql", json=QUERY, headers=headers)

    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_errors_and_other_routes_carry_a_request_id_too(client: httpx.AsyncClient) -> None:
    assert (await client.post("/graphql", content=b"{", headers={"content-type": "application/json"})).headers[
        "x-request-id"
    ]
    assert (await client.get("/healthz")).headers["x-request-id"]


async def test_an_unhandled_error_answers_500_with_the_request_id_it_was_logged_under(
    demo_graph: AsyncDriver, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings(), driver=demo_graph)

    async def broken(request: Request) -> Response:
        raise RuntimeError("a bug")

    app.add_route("/broken", broken)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        response = await http.get("/broken", headers={"x-request-id": "req-500", **bearer()})

    assert response.status_code == 500
    assert response.headers["x-request-id"] == "req-500"
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-500"}
    assert "a bug" not in response.text  # the cause goes to the log, not to the caller
    logged = [record for record in caplog.records if record.getMessage() == "unhandled error in GET /broken"]
    assert logged and logged[0].exc_info is not None


async def test_no_cors_headers_unless_origins_are_configured(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json=QUERY, headers={"origin": STUDIO})

    assert "access-control-allow-origin" not in response.headers


async def test_cors_preflight_from_an_allowed_origin(cors_client: httpx.AsyncClient) -> None:
    response = await cors_client.options(
        "/graphql",
        headers={
            "origin": STUDIO,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type, x-request-id",
        },
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == STUDIO
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "x-request-id" in response.headers["access-control-allow-headers"].lower()
    assert "authorization" in response.headers["access-control-allow-headers"].lower()


async def test_cors_answer_exposes_the_request_id_to_allowed_origins_only(cors_client: httpx.AsyncClient) -> None:
    allowed = await cors_client.post("/graphql", json=QUERY, headers={"origin": STUDIO})
    other = await cors_client.post("/graphql", json=QUERY, headers={"origin": "https://elsewhere.example"})

    assert allowed.headers["access-control-allow-origin"] == STUDIO
    assert "x-request-id" in allowed.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-origin" not in other.headers


def test_cors_origins_are_read_from_the_environment_as_a_json_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CG_CORS_ALLOWED_ORIGINS", f'["{STUDIO}", "http://localhost:3000"]')

    assert Settings().cors_allowed_origins == [STUDIO, "http://localhost:3000"]


async def test_ftv1_trace_only_when_asked_for(client: httpx.AsyncClient) -> None:
    plain = await client.post("/graphql", json=QUERY)
    traced = await client.post("/graphql", json=QUERY, headers={"apollo-federation-include-trace": "ftv1"})

    assert "ftv1" not in plain.json().get("extensions", {})
    trace = base64.b64decode(traced.json()["extensions"]["ftv1"], validate=True)
    # The response name and parent type of the field are in the encoded Trace.Node.
    assert b"customer" in trace and b"Query" in trace
    assert traced.json()["data"] == plain.json()["data"]


@pytest.mark.parametrize("extensions", ['"x"', "1", "true", "[]"])
async def test_extensions_that_are_not_a_map_are_a_bad_request(client: httpx.AsyncClient, extensions: str) -> None:
    body = b'{"query": "{ __typename }", "extensions": ' + extensions.encode() + b"}"

    response = await client.post("/graphql", content=body, headers={"content-type": "application/json"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "'extensions' must be a JSON object"
