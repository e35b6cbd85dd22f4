"""The playground hands a newcomer a working token per role, for real employees of the graph.

As a newcomer uses it: fetch the page, take a preset token from it, run a query with it.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
from neo4j import AsyncDriver

from server.app import create_app, started
from server.playground import playground_html, playground_routes
from server.playground_examples import EXAMPLE_QUERIES
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
    async with started(app) as served:
        transport = httpx.ASGITransport(app=served)
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


# The page's own script, run in Node with just enough of a browser around it: React, ReactDOM
# and GraphiQL are stand-ins that record what the page hands them.
PAGE_HARNESS = r"""
const fs = require("fs");
const [scriptPath, configPath] = process.argv.slice(2);
const elements = {};
function element(id) {
  elements[id] ??= {
    id, hidden: true, textContent: "", children: [], selectedIndex: 0, listeners: {},
    firstElementChild: { textContent: "" },
    appendChild(child) { this.children.push(child); },
    addEventListener(name, listener) { this.listeners[name] = listener; },
  };
  return elements[id];
}
element("playground-config").textContent = fs.readFileSync(configPath, "utf8");
global.document = { getElementById: element, createElement: () => ({}) };
const stored = {};
global.localStorage = { getItem: (key) => stored[key] ?? null, setItem: (key, value) => { stored[key] = value; } };
let props;
const sent = [];
global.React = { createElement: (component, given) => { props = given; return {}; } };
global.ReactDOM = { createRoot: () => ({ render: () => {} }) };
global.GraphiQL = {
  createFetcher: () => (params, options) => { sent.push(options.headers); return {}; },
  createLocalStorage: () => ({}),
};
(0, eval)(fs.readFileSync(scriptPath, "utf8"));
const picker = element("identity-role");
props.fetcher({ query: "{ __typename }" }, { headers: {} });
picker.selectedIndex = 2;
picker.listeners.change();
props.fetcher({ query: "{ __typename }" }, { headers: { "X-Request-Id": "r1" } });
props.fetcher({ query: "{ __typename }" }, { headers: { authorization: "Bearer mine" } });
props.fetcher({ query: "{ __typename }" });
console.log(JSON.stringify({
  sent, shown: !element("identity").hidden, options: picker.children.map((option) => option.textContent),
  description: element("identity-description").textContent, stored,
}));
"""


async def test_the_role_picker_sends_the_chosen_roles_token_unless_the_headers_tab_sets_one(
    demo_graph: AsyncDriver, tmp_path: Path
) -> None:
    async with playground(demo_graph, Settings(auth_dev_keys_dir=tmp_path / "dev-keys")) as http:
        page = (await http.get("/graphql", headers={"accept": "text/html"})).text
    found = CONFIG.search(page)
    assert found is not None
    identities = json.loads(found.group(1))["identities"]
    (tmp_path / "config.json").write_text(found.group(1))
    (tmp_path / "page.js").write_text(re.findall(r"<script>(.*?)</script>", page, re.S)[-1])
    (tmp_path / "harness.js").write_text(PAGE_HARNESS)
    node = shutil.which("node")
    assert node is not None, "node is needed for this test (Node.js 20+)"

    command = [node, "harness.js", "page.js", "config.json"]
    done = await asyncio.to_thread(subprocess.run, command, cwd=tmp_path, capture_output=True, text=True, check=False)

    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["shown"] and seen["options"] == [item["label"] for item in identities]
    assert seen["sent"][0] == {"Authorization": f"Bearer {identities[0]['token']}"}
    assert seen["sent"][1] == {"X-Request-Id": "r1", "Authorization": f"Bearer {identities[2]['token']}"}
    assert seen["sent"][2] == {"authorization": "Bearer mine"}  # the Headers tab wins
    assert seen["sent"][3] == {"Authorization": f"Bearer {identities[2]['token']}"}  # introspection too
    assert seen["description"] == identities[2]["description"]
    assert list(seen["stored"].values()) == [identities[2]["role"]]  # the choice outlives a reload
