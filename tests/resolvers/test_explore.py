"""The explorer's root fields: search and neighbourhood, on the hand-built graph of the row-rule tests.

The service agent ``E-SVC2`` sees ``C-SEEN`` with its orders ``O1``, ``O2``, interaction ``I1`` and
ticket ``T1``, and nothing of ``C-HIDDEN`` (``O-H``, ``I-H``, ``T-H``) or ``C-QUIET``; the expected
ids below are read off that graph by hand.
"""

from __future__ import annotations

from typing import Any

import pytest
from neo4j import AsyncDriver

from domain.access import Access, Caller, MaskMode, Policy, RolePolicy
from graph import explore_queries
from graph.explore_queries import lucene_query
from resolvers.access import graph_labels
from resolvers.strawberry_internals import graphql_schema
from tests.resolvers.helpers import OPERATIONS, SCHEMA
from tests.resolvers.test_row_rules import ADMIN, agent, ask, world

SEARCH = """query($text: String!, $kinds: [SearchKind!], $first: Int) {
  search(text: $text, kinds: $kinds, first: $first) {
    score
    entity { __typename ... on Customer { id } ... on Employee { id } ... on Department { id }
             ... on Order { id } ... on Ticket { id } ... on Product { id } }
  }
}"""

NEIGHBOURHOOD = """query($kind: EntityKind!, $id: ID!, $types: [RelationshipType!], $first: Int) {
  neighbourhood(entity: {kind: $kind, id: $id}, relationshipTypes: $types, first: $first) {
    truncated
    nodes { __typename ... on Customer { id } ... on Employee { id } ... on Department { id }
            ... on Order { id } ... on Ticket { id } ... on Product { id } ... on Interaction { id } }
    relationships { type startId startKind endId endKind }
  }
}"""


def hit_ids(answer: dict[str, Any]) -> list[str]:
    assert not answer["errors"], answer["errors"]
    return [hit["entity"]["id"] for hit in answer["data"]["search"]]


def node_ids(answer: dict[str, Any]) -> set[str]:
    assert not answer["errors"], answer["errors"]
    return {node["id"] for node in answer["data"]["neighbourhood"]["nodes"]}


def test_the_lucene_query_keeps_words_only() -> None:
    assert lucene_query("Customer C-SEEN") == "customer* AND c AND seen*"
    assert lucene_query('name:x* OR "y" AND -z~2') == "name* AND x AND or* AND y AND and* AND z"
    assert lucene_query("*?~^:()[]{}!&&||") is None
    assert lucene_query(" ".join(f"w{n}" for n in range(20))) == " AND ".join(f"w{n}*" for n in range(6))


async def test_search_finds_entities_by_words_of_their_name_subject_or_id(empty_graph: AsyncDriver) -> None:
    await world().load(empty_graph)

    assert set(hit_ids(await ask(empty_graph, SEARCH, ADMIN, text="custom"))) == {"C-SEEN", "C-HIDDEN", "C-QUIET"}
    assert hit_ids(await ask(empty_graph, SEARCH, ADMIN, text="Customer quiet")) == ["C-QUIET"]
    assert hit_ids(await ask(empty_graph, SEARCH, ADMIN, text="subject T1")) == ["T1"]
    assert hit_ids(await ask(empty_graph, SEARCH, ADMIN, text="o2")) == ["O2"]
    people = await ask(empty_graph, SEARCH, ADMIN, text="person e", kinds=["EMPLOYEE"], first=50)
    assert set(hit_ids(people)) == {"E-SALES", "E-SVC", "E-SVC2", "E-ENG", "E-ENG2", "E-WH", "E-FIN"}
    assert len(hit_ids(await ask(empty_graph, SEARCH, ADMIN, text="person", first=2))) == 2


async def test_a_hidden_entity_is_never_a_search_hit(empty_graph: AsyncDriver) -> None:
    await world().load(empty_graph)

    for text in ("customer", "c hidden", "o", "t", "subject", "i"):
        admin = hit_ids(await ask(empty_graph, SEARCH, ADMIN, text=text, first=50))
        seen = hit_ids(await ask(empty_graph, SEARCH, agent(), text=text, first=50))
        assert set(seen) <= set(admin)
        assert not set(seen) & {"C-HIDDEN", "C-QUIET", "O-H", "T-H"}, (text, seen)
    assert set(hit_ids(await ask(empty_graph, SEARCH, agent(), text="customer"))) == {"C-SEEN"}
    assert set(hit_ids(await ask(empty_graph, SEARCH, agent(), text="subject"))) == {"T1"}
    assert hit_ids(await ask(empty_graph, SEARCH, agent(), text="C-HIDDEN")) == []


async def test_a_search_reads_wider_when_the_caller_sees_too_few_and_never_past_its_bound(
    empty_graph: AsyncDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world().load(empty_graph)
    monkeypatch.setattr(explore_queries, "SEARCH_SCAN", 1)  # one index hit, then three
    monkeypatch.setattr(explore_queries, "SEARCH_WIDE_SCAN", 3)

    # Three customers match; the agent sees one of them, wherever it ranks.
    assert hit_ids(await ask(empty_graph, SEARCH, agent(), text="customer")) == ["C-SEEN"]
    assert len(hit_ids(await ask(empty_graph, SEARCH, ADMIN, text="customer", first=50))) == 3

    monkeypatch.setattr(explore_queries, "SEARCH_WIDE_SCAN", 2)
    assert len(hit_ids(await ask(empty_graph, SEARCH, ADMIN, text="customer", first=50))) == 2


@pytest.mark.parametrize(
    "text",
    [
        "*", "?", "~", "\\", '"', "C-SEEN OR *", "name:Customer*", "(customer", "customer)", "[a TO z]",
        "{a TO z}", "customer~2", "cust*mer", "/.*/", "a^100", "AND", "OR NOT", "&& ||", "!x", "\x00", "é ü ß 名前",
        "x" * 200, " ".join(["a"] * 100), "\u2028", "customer" + "\x00" * 50,
    ],
)  # fmt: skip
async def test_hostile_search_text_is_words_or_nothing(empty_graph: AsyncDriver, text: str) -> None:
    await world().load(empty_graph)

    answer = await ask(empty_graph, SEARCH, agent(), text=text)

    assert answer["errors"] == []
    assert not {hit["entity"]["id"] for hit in answer["data"]["search"]} & {"C-HIDDEN", "C-QUIET"}


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"text": "x" * 201}, "'text' may be at most 200 characters"),
        ({"text": "customer", "first": 0}, "'first' must be between 1 and 50"),
        ({"text": "customer", "first": 51}, "'first' must be between 1 and 50"),
    ],
)
async def test_oversize_searches_are_bad_user_input(
    empty_graph: AsyncDriver, variables: dict[str, Any], message: str
) -> None:
    result = await OPERATIONS.run(SEARCH, _context(empty_graph, ADMIN), variables)

    assert result.data is None
    assert [(error.message, error.extensions["code"]) for error in result.errors or []] == [  # type: ignore[index]
        (message, "BAD_USER_INPUT")
    ]


def _context(driver: AsyncDriver, access: Access) -> Any:
    from graph.store import Neo4jGraphStore
    from resolvers.context import Context

    return Context(store=Neo4jGraphStore(driver, "neo4j"), access=access)


async def test_a_kind_whose_searched_field_is_masked_is_not_searched(empty_graph: AsyncDriver) -> None:
    await world().load(empty_graph)
    role = RolePolicy("names_hidden", reads_everything=True, masks={("Customer", "name"): MaskMode.REDACT})
    masked = Policy({"names_hidden": role}, labels=graph_labels(graphql_schema(SCHEMA)))
    access = Access(Caller("E-SVC", frozenset({"names_hidden"}), "E-SVC"), masked.grants(["names_hidden"]))

    everything = await ask(empty_graph, SEARCH, access, text="c", first=50)
    refused = await ask(empty_graph, SEARCH, access, text="customer", kinds=["CUSTOMER"])

    assert not {"C-SEEN", "C-HIDDEN", "C-QUIET"} & set(hit_ids(everything))
    assert refused["data"] is None
    assert refused["errors"] == ["your roles may not search CUSTOMER by what the search compares"]


async def test_the_neighbourhood_holds_the_entity_its_neighbours_and_the_relationships_among_them(
    empty_graph: AsyncDriver,
) -> None:
    await world().load(empty_graph)

    answer = await ask(empty_graph, NEIGHBOURHOOD, ADMIN, kind="CUSTOMER", id="C-SEEN")
    neighbourhood = answer["data"]["neighbourhood"]

    assert neighbourhood["nodes"][0] == {"__typename": "Customer", "id": "C-SEEN"}
    assert node_ids(answer) == {"C-SEEN", "O1", "O2", "I1", "T1", "E-SALES"}
    edges = {(edge["startId"], edge["type"], edge["endId"]) for edge in neighbourhood["relationships"]}
    assert edges == {
        ("C-SEEN", "PLACED", "O1"), ("C-SEEN", "PLACED", "O2"), ("C-SEEN", "HAD", "I1"),
        ("C-SEEN", "RAISED", "T1"), ("C-SEEN", "OWNED_BY", "E-SALES"),
    }  # fmt: skip
    assert neighbourhood["truncated"] is False
    only_orders = await ask(empty_graph, NEIGHBOURHOOD, ADMIN, kind="CUSTOMER", id="C-SEEN", types=["PLACED"])
    assert node_ids(only_orders) == {"C-SEEN", "O1", "O2"}
    two = await ask(empty_graph, NEIGHBOURHOOD, ADMIN, kind="CUSTOMER", id="C-SEEN", first=2)
    assert len(node_ids(two)) == 3 and two["data"]["neighbourhood"]["truncated"] is True


async def test_the_relationships_among_the_neighbours_are_drawn_too(empty_graph: AsyncDriver) -> None:
    await world().employee("E-SVC3", "D-SERVICE", manager_id="E-SVC2").load(empty_graph)

    desk = await ask(empty_graph, NEIGHBOURHOOD, ADMIN, kind="DEPARTMENT", id="D-SERVICE")

    edges = {(e["startId"], e["type"], e["endId"]) for e in desk["data"]["neighbourhood"]["relationships"]}
    assert edges == {
        ("E-SVC", "WORKS_IN", "D-SERVICE"), ("E-SVC2", "WORKS_IN", "D-SERVICE"), ("E-SVC3", "WORKS_IN", "D-SERVICE"),
        ("E-SVC3", "REPORTS_TO", "E-SVC2"),
    }  # fmt: skip


async def test_a_hidden_entity_is_never_in_a_neighbourhood(empty_graph: AsyncDriver) -> None:
    await world().load(empty_graph)

    owner_admin = node_ids(await ask(empty_graph, NEIGHBOURHOOD, ADMIN, kind="EMPLOYEE", id="E-SALES"))
    owner_agent = node_ids(await ask(empty_graph, NEIGHBOURHOOD, agent(), kind="EMPLOYEE", id="E-SALES"))
    product_agent = node_ids(await ask(empty_graph, NEIGHBOURHOOD, agent(), kind="PRODUCT", id="P1"))
    engineer_agent = node_ids(await ask(empty_graph, NEIGHBOURHOOD, agent(), kind="EMPLOYEE", id="E-ENG"))

    assert {"C-SEEN", "C-HIDDEN", "T-H"} <= owner_admin
    assert owner_agent == {"E-SALES", "C-SEEN", "D-SALES"}
    assert product_agent == {"P1", "O1", "O2"}
    assert engineer_agent == {"E-ENG", "D-ENG"}  # I-H and the hand-off of T-H are hidden


async def test_a_hidden_centre_answers_exactly_as_a_missing_one(empty_graph: AsyncDriver) -> None:
    await world().load(empty_graph)

    hidden = await ask(empty_graph, NEIGHBOURHOOD, agent(), kind="ORDER", id="O-H")
    missing = await ask(empty_graph, NEIGHBOURHOOD, agent(), kind="ORDER", id="O-NOPE")

    assert hidden["data"] == missing["data"] == {"neighbourhood": None}
    assert [m.replace("O-H", "?") for m in hidden["errors"]] == [m.replace("O-NOPE", "?") for m in missing["errors"]]
    assert node_ids(await ask(empty_graph, NEIGHBOURHOOD, ADMIN, kind="ORDER", id="O-H")) == {
        "O-H", "C-HIDDEN", "P1", "E-WH",
    }  # fmt: skip


@pytest.mark.parametrize("first", [0, -1, 1001])
async def test_an_oversize_neighbourhood_is_bad_user_input(empty_graph: AsyncDriver, first: int) -> None:
    answer = await ask(empty_graph, NEIGHBOURHOOD, ADMIN, kind="CUSTOMER", id="C-SEEN", first=first)

    assert answer["data"] == {"neighbourhood": None}
    assert answer["errors"] == ["'first' must be between 1 and 1000"]


async def test_relationship_types_outside_the_enum_are_refused_before_anything_runs(empty_graph: AsyncDriver) -> None:
    answer = await ask(empty_graph, NEIGHBOURHOOD, ADMIN, kind="CUSTOMER", id="C-SEEN", types=["KNOWN_AS"])

    assert answer["data"] is None
    assert "KNOWN_AS" in answer["errors"][0]
