"""Who touched a customer, and who knows them best (recency, frequency, ownership, hand-offs)."""

from __future__ import annotations

import pytest
from neo4j import AsyncDriver

from tests.bolt_counter import counting_statements
from tests.resolvers.helpers import run
from tests.trace_world import at, journey_world

TOUCHED = """
query ($id: ID!) {
  whoTouched(customerId: $id) {
    departments { department { id } people interactions orderSteps handOffs contacts accountOwner lastContact office }
    employees { employee { id } department { id } interactions orderSteps handOffs contacts accountOwner lastContact }
  }
}
"""

BEST = """
query ($id: ID!, $first: Int!, $asOf: DateTime) {
  whoKnowsBest(customerId: $id, first: $first, asOf: $asOf) {
    rank score accountOwner interactions orderSteps handOffs lastContact employee { id }
  }
}
"""


def decayed(weight: float, hours_old: float) -> float:
    """One contact's share of the score: the weight halves every 90 days."""
    return weight * 0.5 ** (hours_old / 24 / 90)


async def test_who_touched_counts_every_kind_of_contact(empty_graph: AsyncDriver) -> None:
    await journey_world().load(empty_graph)

    result = await run(empty_graph, TOUCHED, id="C1")

    assert result.errors is None
    employees = [
        (e["employee"]["id"], e["department"]["id"], e["interactions"], e["orderSteps"], e["handOffs"], e["contacts"],
         e["accountOwner"], e["lastContact"])
        for e in result.data["whoTouched"]["employees"]
    ]  # fmt: skip
    assert employees == [
        ("E-SVC", "D-SERVICE", 1, 0, 2, 3, False, at(45).isoformat()),
        ("E-SALES", "D-SALES", 1, 1, 0, 2, True, at(1).isoformat()),
        ("E-ENG", "D-ENG", 1, 0, 1, 2, False, at(40).isoformat()),
        ("E-FIN", "D-FIN", 0, 1, 0, 1, False, at(50).isoformat()),
        ("E-SVC2", "D-SERVICE", 1, 0, 0, 1, False, at(70).isoformat()),
        ("E-WH", "D-WH", 0, 1, 0, 1, False, at(30).isoformat()),
    ]
    departments = [
        (d["department"]["id"], d["people"], d["interactions"], d["orderSteps"], d["handOffs"], d["contacts"],
         d["accountOwner"], d["lastContact"], d["office"])
        for d in result.data["whoTouched"]["departments"]
    ]  # fmt: skip
    assert departments == [
        ("D-SERVICE", 2, 2, 0, 2, 4, False, at(70).isoformat(), "FRONT_OFFICE"),
        ("D-SALES", 1, 1, 1, 0, 2, True, at(1).isoformat(), "FRONT_OFFICE"),
        ("D-ENG", 1, 1, 0, 1, 2, False, at(40).isoformat(), "BACK_OFFICE"),
        ("D-FIN", 1, 0, 1, 0, 1, False, at(50).isoformat(), "BACK_OFFICE"),
        ("D-WH", 1, 0, 1, 0, 1, False, at(30).isoformat(), "BACK_OFFICE"),
    ]


async def test_owner_without_other_contact_is_listed_without_a_last_contact(empty_graph: AsyncDriver) -> None:
    await journey_world().customer("C-OWNED", owner_id="E-FIN").load(empty_graph)

    owned = (await run(empty_graph, TOUCHED, id="C-OWNED")).data["whoTouched"]
    empty = (await run(empty_graph, TOUCHED, id="C-EMPTY")).data["whoTouched"]

    assert [(e["employee"]["id"], e["contacts"], e["accountOwner"], e["lastContact"]) for e in owned["employees"]] == [
        ("E-FIN", 0, True, None)
    ]
    assert [(d["department"]["id"], d["accountOwner"]) for d in owned["departments"]] == [("D-FIN", True)]
    assert empty == {"departments": [], "employees": []}


async def test_who_knows_best_ranks_by_the_documented_score(empty_graph: AsyncDriver) -> None:
    await journey_world().load(empty_graph)
    now = 100

    result = await run(empty_graph, BEST, id="C1", first=3, asOf=at(now).isoformat())

    assert result.errors is None
    best = result.data["whoKnowsBest"]
    # Owner bonus 5; interactions 1.0, hand-offs to them 1.5, order steps 0.5; half-life 90 days.
    sales = 5 + decayed(1.0, now - 0) + decayed(0.5, now - 1)
    service = decayed(1.0, now - 2) + decayed(1.5, now - 11) + decayed(1.5, now - 45)
    engineering = decayed(1.0, now - 40) + decayed(1.5, now - 20)
    assert [(b["rank"], b["employee"]["id"]) for b in best] == [(1, "E-SALES"), (2, "E-SVC"), (3, "E-ENG")]
    assert [b["score"] for b in best] == pytest.approx([sales, service, engineering], abs=1e-6)
    assert (best[0]["accountOwner"], best[0]["interactions"], best[0]["orderSteps"]) == (True, 1, 1)
    assert (best[1]["handOffs"], best[1]["lastContact"]) == (2, at(45).isoformat())


async def test_who_knows_best_only_counts_contacts_up_to_as_of(empty_graph: AsyncDriver) -> None:
    await journey_world().load(empty_graph)

    early = (await run(empty_graph, BEST, id="C1", first=10, asOf=at(5).isoformat())).data["whoKnowsBest"]

    # By 5h only the owner's meeting and sale and service's phone call had happened.
    assert [(b["employee"]["id"], b["interactions"], b["orderSteps"]) for b in early] == [
        ("E-SALES", 1, 1),
        ("E-SVC", 1, 0),
    ]
    assert early[1]["score"] == pytest.approx(decayed(1.0, 3), abs=1e-6)


async def test_unknown_customer_and_bad_count_are_clear_errors(empty_graph: AsyncDriver) -> None:
    await journey_world().load(empty_graph)

    touched = await run(empty_graph, TOUCHED, id="C-NOPE")
    best = await run(empty_graph, BEST, id="C-NOPE", first=3)
    too_many = await run(empty_graph, BEST, id="C1", first=51)

    assert touched.data == {"whoTouched": None}
    assert touched.errors[0].extensions == {"code": "NOT_FOUND", "id": "C-NOPE"}
    assert best.errors[0].extensions == {"code": "NOT_FOUND", "id": "C-NOPE"}
    assert too_many.errors[0].extensions == {"code": "BAD_USER_INPUT", "argument": "first", "maximum": 50}


async def test_contacts_of_a_customer_list_are_batched(empty_graph: AsyncDriver) -> None:
    await journey_world().load(empty_graph)
    query = """
    query ($asOf: DateTime!) {
      customers(first: 10) {
        nodes { id touchedBy { departments { contacts } } knownBestBy(first: 2, asOf: $asOf) { employee { id } } }
      }
    }
    """
    with counting_statements() as statements:
        result = await run(empty_graph, query, asOf=at(100).isoformat())

    assert result.errors is None
    by_id = {node["id"]: node for node in result.data["customers"]["nodes"]}
    assert [d["contacts"] for d in by_id["C1"]["touchedBy"]["departments"]] == [4, 2, 2, 1, 1]
    assert by_id["C-EMPTY"] == {"id": "C-EMPTY", "touchedBy": {"departments": []}, "knownBestBy": []}
    # The list, the contacts, the rankings, the employees.
    assert len(statements) == 4
