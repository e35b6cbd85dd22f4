"""Who a request runs as: the anonymous role when configured, and the log line that names the caller."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from neo4j import AsyncDriver

from server.app import create_app, started
from tests.auth_tokens import bearer, settings, token

EMAIL = '{ customer(id: "C000001") { email } }'


@asynccontextmanager
async def serving(driver: AsyncDriver, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(**overrides), driver=driver, sources={})
    async with started(app) as served:
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def test_without_an_anonymous_role_a_request_without_token_is_refused(demo_graph: AsyncDriver) -> None:
    async with serving(demo_graph) as http:
        response = await http.post("/graphql", json={"query": EMAIL})

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_with_an_anonymous_role_a_request_without_token_gets_that_role(demo_graph: AsyncDriver) -> None:
    async with serving(demo_graph, auth_anonymous_role="analyst") as http:
        anonymous = await http.post("/graphql", json={"query": EMAIL})
        with_token = await http.post("/graphql", json={"query": EMAIL}, headers=bearer("admin"))
        bad_token = await http.post("/graphql", json={"query": EMAIL}, headers={"authorization": "Bearer x.y.z"})

    assert anonymous.status_code == 200
    assert "***@" in anonymous.json()["data"]["customer"]["email"]  # the analyst's mask
    assert "***@" not in with_token.json()["data"]["customer"]["email"]
    assert bad_token.status_code == 401  # a bad token is never taken for no token


async def test_an_anonymous_back_office_may_not_read_emails(demo_graph: AsyncDriver) -> None:
    async with serving(demo_graph, auth_anonymous_role="back_office") as http:
        response = await http.post("/graphql", json={"query": EMAIL})

    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def _request_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "customer_graph.requests"]


async def test_the_request_log_line_names_the_subject_and_roles(
    demo_graph: AsyncDriver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="customer_graph.requests")
    expired = token("admin", ttl=timedelta(seconds=-3600))
    requests: list[Callable[[httpx.AsyncClient], Any]] = [
        lambda http: http.post(
            "/graphql", json={"query": EMAIL}, headers=bearer("service_agent", "analyst", subject="E42")
        ),
        lambda http: http.post("/graphql", json={"query": EMAIL}),
        lambda http: http.post("/graphql", json={"query": EMAIL}, headers={"authorization": f"Bearer {expired}"}),
        lambda http: http.get("/healthz"),
    ]
    async with serving(demo_graph) as http:
        for send in requests:
            await send(http)
    async with serving(demo_graph, auth_anonymous_role="analyst") as http:
        await http.post("/graphql", json={"query": EMAIL}, headers={"x-request-id": "anon-1"})

    lines = _request_lines(caplog)
    assert lines[0].startswith("POST /graphql 200 ") and lines[0].endswith(" subject=E42 roles=analyst,service_agent")
    assert lines[1].startswith("POST /graphql 401 ") and lines[1].endswith(" unauthenticated (no token)")
    assert lines[2].endswith(" unauthenticated (the token has expired)")
    assert lines[3].startswith("GET /healthz 200 ") and "subject" not in lines[3]
    assert lines[4].endswith(" subject=anonymous roles=analyst")
    assert expired not in caplog.text


async def test_a_subject_with_odd_characters_is_quoted_in_the_log(
    demo_graph: AsyncDriver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="customer_graph.requests")
    async with serving(demo_graph) as http:
        await http.post("/graphql", json={"query": "{ __typename }"}, headers=bearer("admin", subject="a b\nINFO fake"))

    assert _request_lines(caplog)[-1].endswith(' subject="a b\\nINFO fake" roles=admin')
