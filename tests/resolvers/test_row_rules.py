"""Row rules in the data path: what a caller may not see is never read, counted or walked through.

Hand-built graphs put a hidden entity where it would leak: on the only short path, in the middle
of a journey, behind a count, behind ``_entities``, behind a nested list. The expected ids are
worked out by hand from the graph below, not from the rules' own Cypher.

The service desk (``D-SERVICE``) talked to ``C-SEEN`` only; ``C-HIDDEN`` was served by sales and
engineering, ``C-QUIET`` by nobody. Both are owned by ``E-SALES``. As a service agent, ``E-SVC2``
(a colleague of ``E-SVC``) sees ``C-SEEN`` and its orders, interactions and tickets, and nothing
of the other two.
"""

from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver

from domain.access import Access, Caller, Policy, RolePolicy, RowRuleText
from graph.store import Neo4jGraphStore
from resolvers.access import graph_labels
from resolvers.context import Context
from resolvers.strawberry_internals import graphql_schema
from server.policy_config import PolicyFile
from server.settings import PROJECT_ROOT
from tests.bolt_counter import counting_statements
from tests.resolvers.helpers import OPERATIONS, SCHEMA
from tests.trace_world import World, at

SHIPPED = PolicyFile.load(PROJECT_ROOT / "policy.toml", graphql_schema(SCHEMA)).policy
# A role that sees every customer but only the orders its department handled: hidden rows then
# sit inside what a visible customer shows (its journey, its contacts, its counts).
ORDER_DESK = Policy(
    {
        "order_desk": RolePolicy(
            "order_desk",
            reads_everything=True,
            rows={
                "Order": RowRuleText(
                    "Order", ("(row)-[:HANDLED_BY]->(:Employee)-[:WORKS_IN]->(:Department)<-[:WORKS_IN]-(caller)",)
                )
            },
        )
    },
    labels=graph_labels(graphql_schema(SCHEMA)),
)


def world() -> World:
    return (
        World()
        .department("D-SALES", "SALES").department("D-SERVICE", "SERVICE").department("D-ENG", "ENGINEERING")
        .department("D-WH", "WAREHOUSE").department("D-FIN", "FINANCE")
        .employee("E-SALES", "D-SALES").employee("E-SVC", "D-SERVICE").employee("E-SVC2", "D-SERVICE")
        .employee("E-ENG", "D-ENG").employee("E-ENG2", "D-ENG", manager_id="E-SVC2")
        .employee("E-WH", "D-WH").employee("E-FIN", "D-FIN")
        .product("P1", 10.0)
        .customer("C-SEEN", owner_id="E-SALES").customer("C-HIDDEN", owner_id="E-SALES").customer("C-QUIET")
        .order("O1", "C-SEEN", at(0), lines=[("P1", 1, 10.0)], steps=[("PICK", "E-WH", at(1))])
        .order("O2", "C-SEEN", at(2), lines=[("P1", 2, 10.0)], steps=[("INVOICE", "E-FIN", at(3))])
        .order("O-H", "C-HIDDEN", at(4), lines=[("P1", 3, 10.0)], steps=[("PICK", "E-WH", at(5))])
        .interaction("I1", "C-SEEN", "E-SVC", at(6))
        .interaction("I-H", "C-HIDDEN", "E-ENG", at(7))
        .ticket("T1", "C-SEEN", at(8), hops=[("E-SVC", at(9))])
        .ticket("T-H", "C-HIDDEN", at(10), hops=[("E-SALES", at(11)), ("E-ENG", at(12))])
    )  # fmt: skip


async def ask(driver: AsyncDriver, query: str, access: Access, **variables: Any) -> dict[str, Any]:
    context = Context(store=Neo4jGraphStore(driver, "neo4j"), access=access)
    result = await OPERATIONS.run(query, context, variables or None)
    return {"data": result.data, "errors": [error.message for error in result.errors or []]}


def agent(employee_id: str = "E-SVC2") -> Access:
    return Access(Caller(employee_id, frozenset({"service_agent"}), employee_id), SHIPPED.grants(["service_agent"]))


def order_desk(employee_id: str) -> Access:
    return Access(Caller(employee_id, frozenset({"order_desk"}), employee_id), ORDER_DESK.grants(["order_desk"]))


ADMIN = Access.unrestricted()


async def test_a_hidden_customer_answers_exactly_as_a_missing_one(empty_graph: AsyncDriver) -> None:
    await world().load(empty_graph)
    query = "query($id: ID!) { customer(id: $id) { id name } }"

    hidden = await ask(empty_graph, query, agent(), id="C-HIDDEN")
    missing = await ask(empty_graph, query, agent(), id="C-NOPE")
    seen = await ask(empty_graph, query, agent(), id="C-SEEN")

    assert hidden["data"] == missing["data"] == {"customer": None}
    assert [message.replace("C-HIDDEN", "?") for message in hidden["errors"]] == [
        message.replace("C-NOPE", "?") for message in missing["errors"]
    ]
    assert seen["data"] == {"customer": {"id": "C-SEEN", "name": "Customer C-SEEN"}}
    assert (await ask(empty_graph, query, ADMIN, id="C-HIDDEN"))["data"]["customer"]["id"] == "C-HIDDEN"


async def test_lists_and_their_counts_hold_only_visible_rows(empty_graph: AsyncDriver) -> None:
    await world().load(empty_graph)
    query = """{
      customers(first: 10) { totalCount nodes { id } }
      orders(first: 10) { totalCount nodes { id } }
      interactions(first: 10) { totalCount nodes { id } }
      tickets(first: 10) { totalCount nodes { id } }
      filtered: customers(first: 10, filter: {tiers: [GOLD]}) { totalCount nodes { id } }
    }"""

    data = (await ask(empty_graph, query, agent()))["data"]
    admin = (await ask(empty_graph, query, ADMIN))["data"]

    def ids(part: dict[str, Any]) -> tuple[int, set[str]]:
        return part["totalCount"], {node["id"] for node in part["nodes"]}

    assert ids(data["customers"]) == ids(data["filtered"]) == (1, {"C-SEEN"})
    assert ids(data["orders"]) == (2, {"O1", "O2"})
    assert ids(data["interactions"]) == (1, {"I1"})
    assert ids(data["tickets"]) == (1, {"T1"})
    assert ids(admin["customers"]) == (3, {"C-SEEN", "C-HIDDEN", "C-QUIET"})
    assert ids(admin["orders"])[0] == 3


async def test_nested_lists_both_ways_leave_hidden_rows_out_of_pages_and_totals(empty_graph: AsyncDriver) -> None:
    await world().load(empty_graph)
    query = """{
      employee(id: "E-SALES") { accounts(first: 10) { totalCount nodes { id } } }
      eng: employee(id: "E-ENG") { interactions(first: 10) { totalCount nodes { id } } }
      product(id: "P1") { orders(first: 10) { totalCount nodes { id } } }
    }"""

    data = (await ask(empty_graph, query, agent()))["data"]
    admin = (await ask(empty_graph, query, ADMIN))["data"]

    assert data["employee"]["accounts"] == {"totalCount": 1, "nodes": [{"id": "C-SEEN"}]}
    assert data["eng"]["interactions"] == {"totalCount": 0, "nodes": []}
    assert data["product"]["orders"]["totalCount"] == 2
    assert {node["id"] for node in data["product"]["orders"]["nodes"]} == {"O1", "O2"}
    assert admin["employee"]["accounts"]["totalCount"] == 2 and admin["product"]["orders"]["totalCount"] == 3


async def test_entities_behind_the_gateway_are_null_when_hidden(empty_graph: AsyncDriver) -> None:
    await world().load(empty_graph)
    query = """query($reps: [_Any!]!) {
      _entities(representations: $reps) { ... on Customer { id } ... on Ticket { id } }
    }"""
    reps = [
        {"__typename": "Customer", "id": "C-SEEN"},
        {"__typename": "Customer", "id": "C-HIDDEN"},
        {"__typename": "Ticket", "id": "T-H"},
        {"__typename": "Ticket", "id": "T1"},
    ]

    data = (await ask(empty_graph, query, agent(), reps=reps))["data"]

    assert data["_entities"] == [{"id": "C-SEEN"}, None, None, {"id": "T1"}]


async def test_a_path_never_passes_through_a_hidden_entity(empty_graph: AsyncDriver) -> None:
    await world().load(empty_graph)
    query = """query($hops: Int!) {
      shortestPath(from: {kind: CUSTOMER, id: "C-SEEN"}, to: {kind: DEPARTMENT, id: "D-ENG"}, maxHops: $hops) {
        length nodes { ... on Customer { id } ... on Employee { id } ... on Department { id }
                       ... on Interaction { id } ... on Order { id } ... on Ticket { id } }
      }
      allShortestPaths(from: {kind: CUSTOMER, id: "C-SEEN"}, to: {kind: DEPARTMENT, id: "D-ENG"}, maxHops: $hops) {
        nodes { ... on Customer { id } ... on Order { id } ... on Ticket { id } ... on Interaction { id } }
      }
      toHidden: shortestPath(from: {kind: EMPLOYEE, id: "E-SALES"}, to: {kind: CUSTOMER, id: "C-HIDDEN"}) { length }
      itself: shortestPath(from: {kind: CUSTOMER, id: "C-SEEN"}, to: {kind: CUSTOMER, id: "C-SEEN"}) { length }
    }"""

    admin = (await ask(empty_graph, query, ADMIN, hops=6))["data"]
    seen = (await ask(empty_graph, query, agent(), hops=6))["data"]
    short = (await ask(empty_graph, query, agent(), hops=5))["data"]

    hidden = {"C-HIDDEN", "C-QUIET", "O-H", "I-H", "T-H"}
    # The shortest route runs through the hidden ticket (4 hops: C-SEEN, its owner, T-H, E-ENG,
    # D-ENG); the agent's goes round it, the long way.
    assert admin["shortestPath"]["length"] == 4
    assert hidden & {node.get("id") for node in admin["shortestPath"]["nodes"]}
    assert seen["shortestPath"]["length"] == 6
    route = [node["id"] for node in seen["shortestPath"]["nodes"]]
    # Through the desk's own interaction or ticket, the desk, and the engineer reporting to it.
    assert (
        route[0] == "C-SEEN"
        and route[1] in ("I1", "T1")
        and route[2:] == ["E-SVC", "D-SERVICE", "E-SVC2", "E-ENG2", "D-ENG"]
    )
    assert seen["allShortestPaths"] and not any(
        node.get("id") in hidden for path in seen["allShortestPaths"] for node in path["nodes"]
    )
    assert short["shortestPath"] is None and short["allShortestPaths"] == []
    # A hidden endpoint is not found, as a missing one is.
    assert seen["toHidden"] is None and admin["toHidden"]["length"] == 1
    assert seen["itself"]["length"] == 0


async def test_a_journey_shows_and_counts_only_visible_events(empty_graph: AsyncDriver) -> None:
    await world().load(empty_graph)
    query = """{
      journey(customerId: "C-SEEN", first: 50) { totalCount nodes { kind order { id } } }
      whoTouched(customerId: "C-SEEN") { employees { employee { id } orderSteps } }
      customer(id: "C-SEEN") { orders(first: 10) { totalCount nodes { id } } }
    }"""

    warehouse = (await ask(empty_graph, query, order_desk("E-WH")))["data"]
    admin = (await ask(empty_graph, query, ADMIN))["data"]

    def orders(data: dict[str, Any]) -> set[str]:
        return {node["order"]["id"] for node in data["journey"]["nodes"] if node["order"]}

    assert orders(admin) == {"O1", "O2"} and orders(warehouse) == {"O1"}
    # O2's placement and its invoicing step are gone, and the total says so.
    assert warehouse["journey"]["totalCount"] == admin["journey"]["totalCount"] - 2
    assert "E-FIN" not in {row["employee"]["id"] for row in warehouse["whoTouched"]["employees"]}
    assert "E-FIN" in {row["employee"]["id"] for row in admin["whoTouched"]["employees"]}
    assert warehouse["customer"]["orders"] == {"totalCount": 1, "nodes": [{"id": "O1"}]}


async def test_tickets_flows_service_levels_and_demand_leave_hidden_rows_out(empty_graph: AsyncDriver) -> None:
    await world().load(empty_graph)
    query = """{
      handOffChain(ticketId: "T-H", asOf: "2026-01-06T09:00:00Z") { closed }
      departmentFlows(departmentId: "D-ENG", asOf: "2026-01-06T09:00:00Z") {
        internalCustomers { department { id } handOffs }
      }
      serviceLevelAlerts(asOf: "2026-01-06T09:00:00Z", states: [ON_TRACK, AT_RISK, BREACHED]) {
        totalCount nodes { ticket { id } }
      }
      demand(window: {from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z"}, by: DEPARTMENT) { key orders }
    }"""

    seen = (await ask(empty_graph, query, agent()))["data"]
    admin = (await ask(empty_graph, query, ADMIN))["data"]

    assert seen["handOffChain"] is None and admin["handOffChain"] == {"closed": False}
    assert seen["departmentFlows"]["internalCustomers"] == []
    assert admin["departmentFlows"]["internalCustomers"] == [{"department": {"id": "D-SALES"}, "handOffs": 1}]
    assert {node["ticket"]["id"] for node in seen["serviceLevelAlerts"]["nodes"]} == {"T1"}
    assert seen["serviceLevelAlerts"]["totalCount"] == 1 and admin["serviceLevelAlerts"]["totalCount"] == 2
    # The warehouse handled O1 and O-H; the agent sees O1 only.
    assert {(row["key"], row["orders"]) for row in seen["demand"]} == {("D-WH", 1), ("D-FIN", 1)}
    assert {(row["key"], row["orders"]) for row in admin["demand"]} == {("D-WH", 2), ("D-FIN", 1)}


async def test_a_caller_without_an_employee_sees_no_ruled_row(empty_graph: AsyncDriver) -> None:
    await world().load(empty_graph)
    nobody = Access(Caller("svc", frozenset({"service_agent"}), None), SHIPPED.grants(["service_agent"]))

    data = await ask(empty_graph, "{ customers(first: 5) { totalCount } orders(first: 5) { totalCount } }", nobody)

    assert data["data"] == {"customers": {"totalCount": 0}, "orders": {"totalCount": 0}}


async def test_serves_follows_the_graph_when_it_changes(empty_graph: AsyncDriver) -> None:
    await world().load(empty_graph)
    # The service desk now talks to C-QUIET too: the next load makes it visible to the agent.
    await World().interaction("I-Q", "C-QUIET", "E-SVC", at(20)).load(empty_graph)

    data = (await ask(empty_graph, "{ customers(first: 10) { totalCount nodes { id } } }", agent()))["data"]

    assert data["customers"]["totalCount"] == 2
    assert {node["id"] for node in data["customers"]["nodes"]} == {"C-SEEN", "C-QUIET"}


async def test_a_served_department_lists_its_customers_from_the_index_in_every_order(empty_graph: AsyncDriver) -> None:
    # Seven customers the service desk served (names out of id order, two alike), five it did not.
    served = {f"C-S{n}": name for n, name in enumerate(["Mira", "Abel", "Zoe", "Abel", "Kai", "Lena", "Bo"])}
    built = world()
    for number, (customer_id, name) in enumerate(served.items()):
        built.customer(customer_id).interaction(f"I-S{number}", customer_id, "E-SVC", at(30 + number))
        built.rows["customer"][-1]["name"] = name
        built.rows["customer"][-1]["since"] = at(-500 + 37 * ((number * 3) % 7))
    for number in range(5):
        built.customer(f"C-X{number}").interaction(f"I-X{number}", f"C-X{number}", "E-ENG", at(50 + number))
    await built.load(empty_graph)
    visible = {*served, "C-SEEN"}
    query = """query($order: CustomerOrder, $after: String) {
      customers(first: 3, after: $after, orderBy: $order) {
        totalCount nodes { id } pageInfo { hasNextPage endCursor }
      }
    }"""

    async def every_page(access: Access, order: dict[str, str]) -> tuple[list[str], set[int]]:
        ids: list[str] = []
        totals: set[int] = set()
        after = None
        while True:
            page = (await ask(empty_graph, query, access, order=order, after=after))["data"]["customers"]
            ids += [node["id"] for node in page["nodes"]]
            totals.add(page["totalCount"])
            if not page["pageInfo"]["hasNextPage"]:
                return ids, totals
            after = page["pageInfo"]["endCursor"]

    for field in ("NAME", "SINCE", "ID", "LIFETIME_VALUE"):
        for direction in ("ASC", "DESC"):
            order = {"field": field, "direction": direction}
            everyone, _ = await every_page(ADMIN, order)
            with counting_statements() as statements:
                seen, totals = await every_page(agent(), order)
            # The admin's order, with the rows the agent may not see left out.
            assert seen == [customer for customer in everyone if customer in visible], order
            assert totals == {len(visible)}
            # Pages of an order the SERVES indexes hold come from them; the others check row by row.
            from_index = any("-[s:SERVES]->(n)" in statement for statement in statements)
            assert from_index == (field != "LIFETIME_VALUE"), (order, statements[:2])


async def test_two_roles_together_show_no_more_than_either(empty_graph: AsyncDriver) -> None:
    await world().load(empty_graph)
    roles = frozenset({"service_agent", "analyst"})
    both = Access(Caller("E-SVC2", roles, "E-SVC2"), SHIPPED.grants(roles))
    query = '{ seen: customer(id: "C-SEEN") { email } hidden: customer(id: "C-HIDDEN") { email } }'

    data = (await ask(empty_graph, query, both))["data"]

    # The analyst's rows (every customer) with the analyst's mask: the agent's unmasked view of
    # its own customers does not lift it for the customers only the analyst sees.
    assert data == {"seen": {"email": "c***@example.org"}, "hidden": {"email": "c***@example.org"}}


async def test_demand_is_not_grouped_by_a_field_the_caller_may_not_read(empty_graph: AsyncDriver) -> None:
    await world().load(empty_graph)
    back_office = Access(Caller("E-WH", frozenset({"back_office"}), "E-WH"), SHIPPED.grants(["back_office"]))
    window = '{from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z"}'

    by_tier = await ask(empty_graph, f"{{ demand(window: {window}, by: TIER) {{ key orders }} }}", back_office)
    by_department = await ask(
        empty_graph, f"{{ demand(window: {window}, by: DEPARTMENT) {{ key orders }} }}", back_office
    )

    # A one-order window would tell the customer's tier, which back office may not read.
    assert by_tier == {"data": None, "errors": ["your roles may not group demand by Customer.tier"]}
    # The warehouse handled O1 and O-H.
    assert by_department["data"] == {"demand": [{"key": "D-WH", "orders": 2}]}
