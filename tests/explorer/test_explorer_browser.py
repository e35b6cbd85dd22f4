"""The explorer in a real browser: Debian's chromium, headless, against the real server and Neo4j.

For two roles with different policies (the admin, who sees everything, and a service agent, who
sees only the customers their department serves), the page is driven as a reader would drive it
(typing in the search box, clicking nodes on the canvas and entities in the views, pasting the
token into the header preset) and what it draws is checked against the API's own answers to
the same calls with the same token. The service agent's drawing is also checked to hold nothing
of a customer the agent may not see, which the admin's drawing of the same neighbourhood shows.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from graph.demo_callers import ANYONE, demo_callers
from graph.store import Neo4jGraphStore
from tests.auth_tokens import token
from tests.browser import ExplorerPage, chromium

NODE = """__typename ... on Customer { id } ... on Employee { id } ... on Department { id } ... on Order { id }
  ... on Ticket { id } ... on Product { id } ... on Interaction { id }"""
EDGE = "type startId startKind endId endKind"
FIRST = 60  # the page's neighbourhood size


def key(entity: dict[str, Any]) -> str:
    return f"{entity['__typename'].upper()}:{entity['id']}"


class Api:
    """The API with one role's token: the reference the drawing is checked against."""

    def __init__(self, base_url: str, bearer: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30, headers={"authorization": f"Bearer {bearer}"})

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *_: object) -> None:
        self.http.close()

    def raw(self, query: str, **variables: Any) -> dict[str, Any]:
        return dict(self.http.post("/graphql", json={"query": query, "variables": variables}).json())

    def call(self, query: str, **variables: Any) -> dict[str, Any]:
        body = self.raw(query, **variables)
        assert "errors" not in body, body
        return dict(body["data"])

    def neighbourhood(self, node_key: str) -> tuple[set[str], set[str]]:
        kind, id_ = node_key.split(":", 1)
        data = self.call(
            f"query($e: EntityRef!) {{ neighbourhood(entity: $e, first: {FIRST}) {{ nodes {{ {NODE} }} "
            f"relationships {{ {EDGE} }} }} }}",
            e={"kind": kind, "id": id_},
        )["neighbourhood"]
        nodes = {key(node) for node in data["nodes"]}
        edges = {
            f"{edge['startKind']}:{edge['startId']} {edge['type']} {edge['endKind']}:{edge['endId']}"
            for edge in data["relationships"]
        }
        return nodes, edges


async def _callers(driver: Any) -> dict[str, str]:
    picks = await demo_callers(Neo4jGraphStore(driver, "neo4j"))
    return {role: (picks.get(role) or picks[ANYONE]).employee_id for role in ("admin", "service_agent")}


@pytest.mark.e2e
async def test_the_explorer_draws_what_each_role_may_see(explorer_server: str, demo_graph: Any) -> None:
    employees = await _callers(demo_graph)
    with (
        Api(explorer_server, token("service_agent", subject=employees["service_agent"])) as agent_api,
        Api(explorer_server, token("admin", subject=employees["admin"])) as admin_api,
    ):
        _explore_as_both(explorer_server, employees, agent_api, admin_api)


def _explore_as_both(explorer_server: str, employees: dict[str, str], agent_api: Api, admin_api: Api) -> None:
    # A customer the agent sees, whose account owner also owns customers the agent does not see.
    seen = {node["id"] for node in agent_api.call("{ customers(first: 100) { nodes { id } } }")["customers"]["nodes"]}
    customer = _customer_with_hidden_siblings(admin_api, seen)
    owner = f"EMPLOYEE:{customer['owner']['id']}"
    # What the admin's drawing of the owner's neighbourhood holds and the agent may not see.
    hidden = {node for node in admin_api.neighbourhood(owner)[0] - agent_api.neighbourhood(owner)[0]}
    assert any(node.startswith("CUSTOMER:") for node in hidden)
    for node in hidden:
        kind, id_ = node.split(":", 1)
        field = kind.lower()
        answer = agent_api.raw(f'{{ {field}(id: "{id_}") {{ id }} }}')
        assert answer["data"] == {field: None}, answer

    with chromium() as browser:
        for role, api in (("admin", admin_api), ("service_agent", agent_api)):
            page = ExplorerPage(browser, explorer_server)
            page.open(token(role, subject=employees[role]))
            _search_and_draw(page, api, customer)
            _expand_owner_on_click(page, api, customer, hidden if role == "service_agent" else None)
            _path(page, api, customer, owner)
            _journey(page, api, customer)
            _hand_offs(page, api, customer)
            assert page.errors() == [], role
            browser.delete_all_cookies()
            browser.execute_script("sessionStorage.clear(); localStorage.clear();")


def _customer_with_hidden_siblings(admin: Api, seen: set[str]) -> dict[str, Any]:
    query = """query($id: ID!) { customer(id: $id) { id name owner { id department { id }
      accounts(first: 100) { nodes { id } } } tickets(first: 5) { nodes { id handOffs { at } } } } }"""
    for customer_id in sorted(seen):
        found = admin.call(query, id=customer_id)["customer"]
        owner = found["owner"]
        if owner is None or not any(len(t["handOffs"]) > 1 for t in found["tickets"]["nodes"]):
            continue
        if {account["id"] for account in owner["accounts"]["nodes"]} - seen:
            return dict(found)
    raise AssertionError("the demo company has no customer this test can use")


def _search_and_draw(page: ExplorerPage, api: Api, customer: dict[str, Any]) -> None:
    centre = f"CUSTOMER:{customer['id']}"
    hits = page.search(customer["id"])
    assert hits[0] == centre
    page.choose_hit(centre)
    nodes, edges = api.neighbourhood(centre)
    drawn = page.drawn()
    assert set(drawn["nodes"]) == nodes
    assert set(drawn["edges"]) == edges
    assert page.selected() == centre
    assert f"focus={centre}" in page.browser.current_url


def _expand_owner_on_click(page: ExplorerPage, api: Api, customer: dict[str, Any], hidden: set[str] | None) -> None:
    centre = f"CUSTOMER:{customer['id']}"
    owner = f"EMPLOYEE:{customer['owner']['id']}"
    before = page.drawn()
    page.click_node(owner)
    owner_nodes, owner_edges = api.neighbourhood(owner)
    centre_nodes, centre_edges = api.neighbourhood(centre)
    drawn = page.drawn()
    assert set(drawn["nodes"]) == centre_nodes | owner_nodes
    # Relationships among the two neighbourhoods' nodes that neither answer carried are not drawn.
    assert set(drawn["edges"]) == centre_edges | owner_edges
    assert len(drawn["nodes"]) > len(before["nodes"])
    assert page.selected() == owner
    assert f"open={owner}" in page.browser.current_url
    # The owner's department, when drawn, holds its employees (a compound node).
    department = f"DEPARTMENT:{customer['owner']['department']['id']}"
    if department in drawn["nodes"]:
        assert drawn["parents"][owner] == department
    if hidden is not None:
        assert not hidden & set(drawn["nodes"])
    else:
        assert {"CUSTOMER:" + account["id"] for account in customer["owner"]["accounts"]["nodes"]} & set(drawn["nodes"])
    # The list view shows the same selection: the owner and what is drawn around it.
    listed = page.view("list").find_elements(By.CSS_SELECTOR, "ul.entities button")
    assert {b.get_attribute("data-key") for b in listed} == set(page.script(
        "return window.explorer.graph.neighbours(arguments[0])", owner))  # fmt: skip


def _path(page: ExplorerPage, api: Api, customer: dict[str, Any], owner: str) -> None:
    # The owner's department came with the owner's neighbourhood (WORKS_IN).
    department = f"DEPARTMENT:{customer['owner']['department']['id']}"
    page.select(f"CUSTOMER:{customer['id']}")
    page.by_id("graph").send_keys("f")  # the keyboard's way to pick the path's start
    page.select(owner)
    page.by_id("graph").send_keys(Keys.ARROW_RIGHT)  # to a neighbour of the owner
    assert page.selected() in page.script("return window.explorer.graph.neighbours(arguments[0])", owner)
    page.select(department)
    page.by_id("path-to").click()
    page.by_id("path-one").click()
    page.idle()
    kind, id_ = department.split(":", 1)
    path = api.call(
        f"""query($f: EntityRef!, $t: EntityRef!) {{ shortestPath(from: $f, to: $t, maxHops: 8) {{
          nodes {{ {NODE} }} relationships {{ {EDGE} }} }} }}""",
        f={"kind": "CUSTOMER", "id": customer["id"]},
        t={"kind": kind, "id": id_},
    )["shortestPath"]
    highlighted = set(page.drawn()["path"])
    expected_nodes = {key(node) for node in path["nodes"]}
    expected_edges = {
        f"{edge['type']}:{edge['startKind']}:{edge['startId']}->{edge['endKind']}:{edge['endId']}"
        for edge in path["relationships"]
    }
    assert highlighted == expected_nodes | expected_edges
    assert "path" in page.status() and "length" in page.status()


def _journey(page: ExplorerPage, api: Api, customer: dict[str, Any]) -> None:
    page.select(f"CUSTOMER:{customer['id']}")
    pane = page.view("journey")
    journey = api.call(
        "query($id: ID!) { journey(customerId: $id, first: 100) { nodes { at kind department { id kind } } } }",
        id=customer["id"],
    )["journey"]["nodes"]
    marks = pane.find_elements(By.CSS_SELECTOR, ".swimlanes .event")
    assert len(marks) == len(journey)
    lanes = pane.find_elements(By.CSS_SELECTOR, ".swimlanes .lane")
    offices = [lane.get_attribute("class").split()[1] if len(lane.get_attribute("class").split()) > 1 else "none"
               for lane in lanes]  # fmt: skip
    assert offices == sorted(offices, key=["front", "back", "none"].index)  # front office above back office
    departments = {event["department"]["id"] for event in journey if event["department"]}
    assert len(lanes) == len(departments) + any(event["department"] is None for event in journey)
    # A click on an event selects what it is about in the graph.
    target = next(mark for mark in marks if mark.get_attribute("data-key"))
    wanted = target.get_attribute("data-key")
    target.click()
    page.idle()
    assert page.selected() == wanted


def _hand_offs(page: ExplorerPage, api: Api, customer: dict[str, Any]) -> None:
    ticket = next(t for t in customer["tickets"]["nodes"] if len(t["handOffs"]) > 1)
    ticket_key = f"TICKET:{ticket['id']}"
    assert page.search(ticket["id"])[0] == ticket_key
    page.choose_hit(ticket_key)
    pane = page.view("handoffs")
    chain = api.call(
        "query($id: ID!) { handOffChain(ticketId: $id) { hops { waitSeconds employee { id } } } }", id=ticket["id"]
    )["handOffChain"]
    hops = pane.find_elements(By.CSS_SELECTOR, "ol.hops > li")
    assert len(hops) == len(chain["hops"])
    for hop, expected in zip(hops, chain["hops"], strict=True):
        assert "waited" in hop.text
        employee = expected["employee"]
        if employee is not None:
            assert (
                hop.find_element(By.CSS_SELECTOR, "button.entity").get_attribute("data-key")
                == f"EMPLOYEE:{employee['id']}"
            )
    first = hops[0].find_element(By.CSS_SELECTOR, "button.entity")
    wanted = first.get_attribute("data-key")
    first.click()
    page.idle()
    assert page.selected() == wanted
