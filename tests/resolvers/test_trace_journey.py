"""A customer's journey: every event in time order, with who was involved, filtered and paged."""

from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver

from tests.bolt_counter import counting_statements
from tests.resolvers.helpers import run
from tests.trace_world import at, journey_world

JOURNEY = """
query ($id: ID!, $first: Int, $after: String, $filter: JourneyFilter) {
  journey(customerId: $id, first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    nodes {
      at kind step channel detail office
      employee { id } department { id } handedOffBy { id }
      order { id } ticket { id } interaction { id }
    }
  }
}
"""

# (hours after T0, kind, employee, department, office, subject id) as built by journey_world().
EXPECTED = [
    (0, "ORDER_PLACED", None, None, None, "O1"),
    (0, "INTERACTION", "E-SALES", "D-SALES", "FRONT_OFFICE", "I0"),
    (1, "ORDER_STEP", "E-SALES", "D-SALES", "FRONT_OFFICE", "O1"),
    (2, "INTERACTION", "E-SVC", "D-SERVICE", "FRONT_OFFICE", "I1"),
    (10, "TICKET_OPENED", None, None, None, "T1"),
    (11, "TICKET_HANDED_OFF", "E-SVC", "D-SERVICE", "FRONT_OFFICE", "T1"),
    (20, "TICKET_HANDED_OFF", "E-ENG", "D-ENG", "BACK_OFFICE", "T1"),
    (30, "ORDER_STEP", "E-WH", "D-WH", "BACK_OFFICE", "O1"),
    (40, "INTERACTION", "E-ENG", "D-ENG", "BACK_OFFICE", "I2"),
    (45, "TICKET_HANDED_OFF", "E-SVC", "D-SERVICE", "FRONT_OFFICE", "T1"),
    (50, "ORDER_STEP", "E-FIN", "D-FIN", "BACK_OFFICE", "O1"),
    (60, "TICKET_CLOSED", "E-SVC", "D-SERVICE", "FRONT_OFFICE", "T1"),
    (70, "INTERACTION", "E-SVC2", "D-SERVICE", "FRONT_OFFICE", "I3"),
]


def _summary(node: dict[str, Any]) -> tuple[object, ...]:
    subject = node["order"] or node["ticket"] or node["interaction"]
    return (
        node["at"],
        node["kind"],
        node["employee"] and node["employee"]["id"],
        node["department"] and node["department"]["id"],
        node["office"],
        subject["id"],
    )


def _expected(rows: list[tuple[Any, ...]]) -> list[tuple[object, ...]]:
    return [(at(hours).isoformat(), *rest) for hours, *rest in rows]


async def test_journey_interleaves_every_kind_of_event_in_time_order(empty_graph: AsyncDriver) -> None:
    await journey_world().load(empty_graph)

    result = await run(empty_graph, JOURNEY, id="C1", first=50)

    assert result.errors is None
    journey = result.data["journey"]
    assert journey["totalCount"] == 13
    assert [_summary(node) for node in journey["nodes"]] == _expected(EXPECTED)
    steps = [node["step"] for node in journey["nodes"] if node["kind"] == "ORDER_STEP"]
    assert steps == ["SALE", "PICK", "INVOICE"]
    hand_offs = [node for node in journey["nodes"] if node["kind"] == "TICKET_HANDED_OFF"]
    assert [node["handedOffBy"] and node["handedOffBy"]["id"] for node in hand_offs] == [None, "E-SVC", "E-ENG"]
    assert [node["detail"] for node in hand_offs] == ["hop 1", "hop 2", "hop 3"]
    assert journey["nodes"][1]["channel"] == "MEETING"
    assert journey["nodes"][0]["detail"] == "INVOICED"
    assert journey["nodes"][-2]["detail"] == "CLOSED"


async def test_journey_pages_walk_forward_with_cursors(empty_graph: AsyncDriver) -> None:
    await journey_world().load(empty_graph)

    pages, after = [], None
    while True:
        page = (await run(empty_graph, JOURNEY, id="C1", first=5, after=after)).data["journey"]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert [len(page["nodes"]) for page in pages] == [5, 5, 3]
    assert all(page["totalCount"] == 13 for page in pages)
    assert [not page["pageInfo"]["hasPreviousPage"] for page in pages] == [True, False, False]
    walked = [_summary(node) for page in pages for node in page["nodes"]]
    assert walked == _expected(EXPECTED)


async def test_journey_filters_by_kind_department_and_window(empty_graph: AsyncDriver) -> None:
    await journey_world().load(empty_graph)

    by_department = await run(empty_graph, JOURNEY, id="C1", filter={"departmentIds": ["D-ENG"]})
    by_kind = await run(
        empty_graph,
        JOURNEY,
        id="C1",
        filter={"kinds": ["TICKET_HANDED_OFF", "TICKET_CLOSED"], "departmentIds": ["D-SERVICE"]},
    )
    window = {"from": at(10).isoformat(), "to": at(45).isoformat()}
    in_window = await run(empty_graph, JOURNEY, id="C1", filter={"at": window}, first=2)

    engineering = by_department.data["journey"]
    assert [_summary(node) for node in engineering["nodes"]] == _expected([EXPECTED[6], EXPECTED[8]])
    assert engineering["totalCount"] == 2
    service_tickets = by_kind.data["journey"]
    assert [_summary(node) for node in service_tickets["nodes"]] == _expected([EXPECTED[5], EXPECTED[9], EXPECTED[11]])
    windowed = in_window.data["journey"]
    assert windowed["totalCount"] == 5  # 10h, 11h, 20h, 30h, 40h: 'to' is exclusive
    assert [_summary(node) for node in windowed["nodes"]] == _expected(EXPECTED[4:6])
    assert windowed["pageInfo"]["hasNextPage"]


async def test_customer_without_events_has_an_empty_journey(empty_graph: AsyncDriver) -> None:
    await journey_world().load(empty_graph)

    result = await run(empty_graph, JOURNEY, id="C-EMPTY")

    assert result.errors is None
    assert result.data["journey"] == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "endCursor": None},
        "nodes": [],
    }


async def test_journey_of_an_unknown_customer_is_not_found(empty_graph: AsyncDriver) -> None:
    await journey_world().load(empty_graph)

    result = await run(empty_graph, JOURNEY, id="C-NOPE")

    assert result.data == {"journey": None}
    assert result.errors[0].extensions == {"code": "NOT_FOUND", "id": "C-NOPE"}


async def test_inverted_journey_window_is_bad_user_input(empty_graph: AsyncDriver) -> None:
    window = {"from": at(10).isoformat(), "to": at(5).isoformat()}
    result = await run(empty_graph, JOURNEY, id="C1", filter={"at": window})

    assert result.errors[0].extensions == {"code": "BAD_USER_INPUT", "argument": "filter.at"}


async def test_journey_page_size_is_capped(empty_graph: AsyncDriver) -> None:
    result = await run(empty_graph, JOURNEY, max_page_size=10, id="C1", first=11)

    assert result.errors[0].extensions == {"code": "BAD_USER_INPUT", "argument": "first", "maximum": 10}


async def test_journeys_of_a_customer_list_cost_one_statement(empty_graph: AsyncDriver) -> None:
    world = journey_world()
    for number in range(20):
        world.customer(f"C-X{number:02d}").interaction(f"IX{number}", f"C-X{number:02d}", "E-SVC", at(number))
    await world.load(empty_graph)
    query = """
    query ($first: Int!) {
      customers(first: $first, orderBy: {field: ID}) {
        nodes { id journey(first: 3) { totalCount nodes { kind employee { id department { id } } } } }
      }
    }
    """
    with counting_statements() as few:
        small = await run(empty_graph, query, first=2)
    with counting_statements() as many:
        large = await run(empty_graph, query, first=22)

    assert small.errors is None and large.errors is None
    journeys = {node["id"]: node["journey"] for node in large.data["customers"]["nodes"]}
    assert journeys["C1"]["totalCount"] == 13
    assert journeys["C-X07"]["nodes"] == [
        {"kind": "INTERACTION", "employee": {"id": "E-SVC", "department": {"id": "D-SERVICE"}}}
    ]
    # The list, then the journeys, which read their events' employees and departments along.
    assert len(few) == len(many) == 2


CUSTOMER_WITH_JOURNEY = """
query ($id: ID!, $first: Int) {
  customer(id: $id) {
    id name tier since owner { id }
    journey(first: $first) { totalCount nodes { kind employee { id name } department { id } } }
  }
}
"""


async def test_a_customer_with_their_journey_costs_one_statement(empty_graph: AsyncDriver) -> None:
    await journey_world().load(empty_graph)

    with counting_statements() as together:
        result = await run(empty_graph, CUSTOMER_WITH_JOURNEY, id="C1", first=4)
    with counting_statements() as apart:
        alone = await run(empty_graph, '{ customer(id: "C1") { id name tier since owner { id } } }')

    assert result.errors is None and alone.errors is None
    customer = result.data["customer"]
    assert {key: customer[key] for key in ("id", "name", "tier", "since", "owner")} == alone.data["customer"]
    assert customer["journey"]["totalCount"] == 13
    assert [node["kind"] for node in customer["journey"]["nodes"]] == [row[1] for row in EXPECTED[:4]]
    assert customer["journey"]["nodes"][1]["employee"]["id"] == "E-SALES"
    # The customer, their journey page and its people: the statement that reads the journey.
    assert len(together) == 1
    assert len(apart) == 1


async def test_a_customer_looked_up_with_a_filtered_or_bad_journey_is_answered_as_before(
    empty_graph: AsyncDriver,
) -> None:
    await journey_world().load(empty_graph)
    filtered = """
    { customer(id: "C1") { id journey(filter: {kinds: [TICKET_OPENED]}) { totalCount nodes { kind } } } }
    """

    kept = await run(empty_graph, filtered)
    too_big = await run(empty_graph, CUSTOMER_WITH_JOURNEY, max_page_size=10, id="C1", first=11)
    unknown = await run(empty_graph, CUSTOMER_WITH_JOURNEY, id="C-NOPE", first=3)

    assert kept.errors is None
    assert kept.data["customer"]["journey"] == {"totalCount": 1, "nodes": [{"kind": "TICKET_OPENED"}]}
    assert too_big.data == {"customer": None}  # Customer.journey is non-null: the error nulls the customer
    assert too_big.errors[0].extensions == {"code": "BAD_USER_INPUT", "argument": "first", "maximum": 10}
    assert unknown.data == {"customer": None}
    assert unknown.errors[0].extensions == {"code": "NOT_FOUND", "id": "C-NOPE"}
