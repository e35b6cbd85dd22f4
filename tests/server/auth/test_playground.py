"""The playground hands a newcomer a working token per role, for real employees of the graph.

As a newcomer uses it: fetch the page, take a preset token from it, run a query with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
from neo4j import AsyncDriver

from server.app import create_app
from server.playground import EXAMPLE_QUERIES, playground_html, playground_routes
from server.settings import Settings
from tests.auth_tokens import settings as secret_settings

CONFIG = re.compile(r'<script id="playground-config" type="application/json">(.*?)</script>', re.S)


@asynccontextmanager
async def playground(driver: AsyncDriver, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        settings,
        driver=driver,
        sources={},
        playground=lambda identities: playground_html("/graphql", EXAMPLE_QUERIES, identities),
        extra_routes=playground_routes(),
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def page_config(http: httpx.AsyncClient) -> dict[str, Any]:
    page = await http.get("/graphql", headers={"accept": "text/html"})  # no token: the page is open
    assert page.status_code == 200
    found = CONFIG.search(page.text)
    assert found is not None
    config: dict[str, Any] = json.loads(found.group(1))
    return config


async def employee(driver: AsyncDriver, employee_id: str) -> dict[str, Any]:
    records, _, _ = await driver.execute_query(
        """
        MATCH (e:Employee {id: $id})-[:WORKS_IN]->(d:Department)
        RETURN d.function AS function,
               EXISTS { (e)<-[:WITH]-(:Interaction) } AS talked,
               EXISTS { (e)<-[:HANDLED_BY]-(:Order) } AS handled,
               EXISTS { (e)<-[:REPORTS_TO]-(:Employee)<-[:OWNED_BY]-(:Customer) } AS reports_own,
               EXISTS { (e)-[:REPORTS_TO]->(:Employee) } AS has_manager
        """,
        id=employee_id,
    )
    return dict(records[0])


async def test_the_page_offers_a_token_per_role_for_an_employee_that_suits_it(
    demo_graph: AsyncDriver, tmp_path: Path
) -> None:
    async with playground(demo_graph, Settings(auth_dev_keys_dir=tmp_path / "dev-keys")) as http:
        identities = (await page_config(http))["identities"]

        assert [item["role"] for item in identities] == [
            "admin", "analyst", "service_agent", "back_office", "account_manager"
        ]  # fmt: skip
        by_role = {item["role"]: item for item in identities}
        facts = {role: await employee(demo_graph, item["subject"]) for role, item in by_role.items()}
        assert facts["service_agent"]["function"] == "SERVICE" and facts["service_agent"]["talked"]
        assert facts["back_office"]["function"] == "WAREHOUSE" and facts["back_office"]["handled"]
        assert facts["account_manager"]["reports_own"]
        assert facts["analyst"]["function"] == "FINANCE"
        assert not facts["admin"]["has_manager"]
        for role, item in by_role.items():
            claims = jwt.decode(item["token"], options={"verify_signature": False})
            assert claims["roles"] == [role] and claims["sub"] == item["subject"]
            assert item["subject"] in item["label"] and item["description"]


async def test_a_preset_token_taken_from_the_page_runs_a_query_as_its_role(
    demo_graph: AsyncDriver, tmp_path: Path
) -> None:
    query = '{ customer(id: "C000001") { name email } }'
    async with playground(demo_graph, Settings(auth_dev_keys_dir=tmp_path / "dev-keys")) as http:
        tokens = {item["role"]: item["token"] for item in (await page_config(http))["identities"]}
        answers = {
            role: (await http.post("/graphql", json={"query": query}, headers={"authorization": f"Bearer {token}"}))
            for role, token in tokens.items()
        }

    assert all(answer.status_code == 200 for answer in answers.values())
    admin = answers["admin"].json()["data"]["customer"]
    assert admin["name"] and "***" not in admin["email"]
    assert answers["analyst"].json()["data"]["customer"]["email"].startswith(admin["email"][0] + "***@")
    assert answers["back_office"].json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_page_mints_no_token_unless_development_keys_are_in_use(demo_graph: AsyncDriver) -> None:
    async with playground(demo_graph, secret_settings()) as http:
        config = await page_config(http)

    assert config["identities"] == []
