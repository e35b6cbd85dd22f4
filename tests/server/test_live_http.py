"""The app's live sources over HTTP: built from the settings by the lifespan, health, partial results."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import httpx
from neo4j import AsyncDriver

from demo_systems.launcher import control
from server.app import create_app, started
from server.settings import Settings
from tests.auth_tokens import bearer, settings
from tests.live_systems import LiveSystems

QUERY = """
query ($id: ID!) {
  customer(id: $id) {
    id name
    crm { leadScore }
    erpAccount { erpKey }
    helpdeskSummary { helpdeskKey }
    tickets(first: 2) { nodes { id live { status } } }
  }
}
"""
GRAPHQL_RESPONSE = {"accept": "application/graphql-response+json"}


@asynccontextmanager
async def serving(
    driver: AsyncDriver, settings: Settings, environ: Mapping[str, str] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, driver=driver, environ=environ)
    async with started(app) as served:
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=bearer()) as http:
            yield http


async def test_the_lifespan_opens_the_configured_sources_and_the_api_reads_them(
    demo_graph: AsyncDriver, live_systems: LiveSystems
) -> None:
    await live_systems.reset()
    async with serving(demo_graph, settings(), live_systems.environ()) as http:
        answer = await http.post("/graphql", json={"query": QUERY, "variables": {"id": "C000015"}})
        health = await http.get("/healthz/sources")

    assert answer.status_code == 200
    body = answer.json()
    assert "errors" not in body, body
    customer = body["data"]["customer"]
    assert customer["erpAccount"] == {"erpKey": "K000015"}
    assert customer["helpdeskSummary"] == {"helpdeskKey": "HD-C000015"}
    assert customer["crm"]["leadScore"] >= 0
    assert all(ticket["live"]["status"] for ticket in customer["tickets"]["nodes"])
    assert health.status_code == 200
    report = health.json()
    assert report["status"] == "ok"
    assert [source["name"] for source in report["sources"]] == [
        *("erp_orders", "erp_stock", "erp_accounts", "helpdesk", "helpdesk_customers", "hr", "crm")
    ]
    assert all(source["ok"] and source["circuit"] == "CLOSED" for source in report["sources"])


async def test_a_failing_source_is_a_partial_result_and_a_degraded_health_but_ready(
    demo_graph: AsyncDriver, live_systems: LiveSystems
) -> None:
    await live_systems.reset()
    async with serving(demo_graph, settings(), live_systems.environ()) as http:
        await control(live_systems.url("crm"), fail="down")
        answer = await http.post(
            "/graphql", json={"query": QUERY, "variables": {"id": "C000015"}}, headers=GRAPHQL_RESPONSE
        )
        health = await http.get("/healthz/sources")
        ready = await http.get("/readyz")
        await control(live_systems.url("crm"), fail=None)

    assert answer.status_code == 200
    body = answer.json()
    customer = body["data"]["customer"]
    assert customer["crm"] is None
    assert customer["erpAccount"] and customer["helpdeskSummary"] and customer["name"]
    [error] = body["errors"]
    assert error["path"] == ["customer", "crm"]
    assert error["extensions"] == {"code": "SOURCE_UNAVAILABLE", "source": "crm"}
    assert error["message"].startswith("source 'crm' is unavailable: ")
    assert health.status_code == 200
    report = health.json()
    assert report["status"] == "degraded"
    assert [source["name"] for source in report["sources"] if not source["ok"]] == ["crm"]
    assert ready.status_code == 200


async def test_with_sources_off_live_fields_are_null_and_say_why(demo_graph: AsyncDriver) -> None:
    async with serving(demo_graph, settings(sources_enabled=False)) as http:
        answer = await http.post("/graphql", json={"query": QUERY, "variables": {"id": "C000015"}})
        health = await http.get("/healthz/sources")

    body = answer.json()
    assert body["data"]["customer"]["name"]
    assert body["data"]["customer"]["crm"] is None
    assert {error["extensions"]["code"] for error in body["errors"]} == {"SOURCE_UNAVAILABLE"}
    assert all("not configured" in error["message"] for error in body["errors"])
    assert health.json() == {"status": "ok", "sources": []}


async def test_sources_handed_in_are_used_as_they_are(demo_graph: AsyncDriver) -> None:
    app = create_app(settings(), driver=demo_graph, sources={})
    async with started(app) as served:
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=bearer()) as http:
            health = await http.get("/healthz/sources")
    assert health.json() == {"status": "ok", "sources": []}
