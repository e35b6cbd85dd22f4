"""Documents measured before they are validated: each limit, each fragment measured once."""

from __future__ import annotations

import pytest
from graphql import GraphQLError, Source, get_introspection_query

from resolvers.documents import MAX_REPEATED_FIELD, DocumentLimits, IndexedSource, parse_document, shape_errors

LIMITS = DocumentLimits(max_tokens=3000, max_depth=12, max_aliases=30, max_root_fields=20)


def _codes(query: str, limits: DocumentLimits = LIMITS) -> list[str]:
    return [error.extensions["code"] for error in shape_errors(parse_document(query, limits.max_tokens), limits)]


def _nested(depth: int) -> str:
    """``customer { owner { manager { ... { id } } } }``: ``depth`` levels of fields (at least 3)."""
    inner = "id"
    for _ in range(depth - 3):
        inner = f"manager {{ {inner} }}"
    return f'{{ customer(id: "C1") {{ owner {{ {inner} }} }} }}'


@pytest.mark.parametrize("body", ["a\nb\r\nc\rd\n\ne", "\r\n\r\n", "no newline at all", "\n"])
def test_indexed_source_locates_like_graphql_core(body: str) -> None:
    indexed, plain = IndexedSource(body), Source(body)

    assert [indexed.get_location(at) for at in range(len(body) + 1)] == [
        plain.get_location(at) for at in range(len(body) + 1)
    ]


def test_a_document_over_the_token_limit_is_refused_while_parsed() -> None:
    with pytest.raises(GraphQLError) as refused:
        parse_document("{ " + "__typename " * 50 + "}", 20)

    assert refused.value.extensions["code"] == "MAX_TOKENS_LIMIT"
    assert refused.value.extensions["limit"] == 20


def test_depth_counts_nested_fields_up_to_the_limit() -> None:
    assert _codes(_nested(12)) == []
    assert _codes(_nested(13)) == ["MAX_DEPTH_LIMIT"]


def test_depth_follows_fragments_and_leaves_introspection_to_its_own_rule() -> None:
    deep = '{ customer(id: "C1") { ...A } }\nfragment A on Customer { owner { ...B } }\n'
    deep += "fragment B on Employee { " + "manager { " * 11 + "id" + " }" * 11 + " }"

    assert _codes(deep) == ["MAX_DEPTH_LIMIT"]
    assert _codes(get_introspection_query(descriptions=True)) == []


def test_aliases_count_each_time_their_fragment_is_spread() -> None:
    fragment = "fragment F on Customer { " + " ".join(f"a{i}: name" for i in range(10)) + " }"
    four_times = '{ a: customer(id: "1") { ...F } b: customer(id: "2") { ...F } c: customer(id: "3") { ...F } }'

    refused = shape_errors(parse_document(four_times + "\n" + fragment, None), LIMITS)

    assert [error.extensions["code"] for error in refused] == ["MAX_ALIASES_LIMIT"]
    assert refused[0].extensions["requested"] == 3 + 3 * 10


def test_root_fields_count_distinct_response_names() -> None:
    twenty = "{ " + " ".join(f'c{i}: customer(id: "{i}") {{ id }}' for i in range(20)) + " }"
    limits = DocumentLimits(max_root_fields=20)

    assert _codes(twenty, limits) == []
    assert _codes(twenty.replace("c0:", 'c0: customer(id: "x") { id } c20:'), limits) == ["MAX_ROOT_FIELDS_LIMIT"]


def test_a_field_repeated_past_the_limit_is_refused_but_typename_is_not_counted() -> None:
    repeated = "{ customers { nodes { " + "owner { name } " * (MAX_REPEATED_FIELD + 1) + "} } }"
    typenames = "{ customers { nodes { " + "__typename " * 500 + "} } }"

    assert _codes(repeated) == ["MAX_REPEATED_FIELD_LIMIT"]
    assert _codes(typenames) == []


def test_an_exponential_fragment_document_is_measured_once_per_fragment() -> None:
    # 2^40 aliased fields if each spread were walked: measured in one pass per fragment.
    levels = 40
    bomb = '{ customer(id: "C1") { ...F0 } }\n' + "\n".join(
        f"fragment F{i} on Customer {{ a: owner {{ id }} ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    bomb += f"\nfragment F{levels} on Customer {{ id }}"

    refused = shape_errors(parse_document(bomb, None), LIMITS)

    assert refused[0].extensions["code"] == "MAX_ALIASES_LIMIT"
    assert refused[0].extensions["requested"] == 2**levels - 1


def test_a_fragment_chain_too_deep_to_measure_is_refused_not_crashed() -> None:
    chain = '{ customer(id: "C1") { ...F0 } }\n' + "\n".join(
        f"fragment F{i} on Customer {{ ...F{i + 1} }}" for i in range(2000)
    )
    chain += "\nfragment F2000 on Customer { id }"

    assert _codes(chain, DocumentLimits(max_depth=12)) == ["MAX_DEPTH_LIMIT"]
