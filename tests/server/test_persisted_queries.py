"""Automatic persisted queries, GET by hash and the safelist, through the ASGI app on the demo graph."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query
from neo4j import AsyncDriver
from pydantic import ValidationError

from server import cli
from server.app import create_app, started
from server.persisted_queries import DONT_CACHE, ApqStore
from server.playground import playground_html
from server.playground_examples import EXAMPLE_QUERIES
from server.safelist import (
    VERDICT_CACHE_SIZE,
    VERDICT_MAX_TEXT,
    ManifestError,
    Safelist,
    listed_operation,
    manifest_json,
    read_manifest,
)
from server.settings import PLAYGROUND_MANIFEST, Settings
from tests import auth_tokens

QUERY = 'query CustomerTier { customer(id: "C000001") { id tier } }'
QUERY_HASH = hashlib.sha256(QUERY.encode()).hexdigest()
GRAPHQL_RESPONSE = "application/graphql-response+json"


def persisted(sha256_hash: str = QUERY_HASH, version: object = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256_hash}}


@asynccontextmanager
async def served(driver: AsyncDriver, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app with these settings (and the playground page), run with its lifespan."""
    app = create_app(
        auth_tokens.settings(**settings),
        driver=driver,
        sources={},
        playground=lambda identities: playground_html("/graphql", EXAMPLE_QUERIES, identities),
    )
    async with started(app) as served:
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=auth_tokens.bearer()
        ) as http:
            yield http


@pytest.fixture(scope="module")
async def http(driver: AsyncDriver) -> AsyncIterator[httpx.AsyncClient]:
    """The app with default settings, for requests refused before the graph is read."""
    async with served(driver) as client:
        yield client


def code_of(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


async def test_apq_handshake_unknown_hash_then_query_and_hash_then_hash_alone(demo_graph: AsyncDriver) -> None:
    async with served(demo_graph) as http:
        first = await http.post("/graphql", json={"extensions": persisted()})
        assert first.status_code == 200
        assert first.json() == {
            "errors": [{"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]
        }
        assert first.headers["cache-control"] == DONT_CACHE

        registered = await http.post("/graphql", json={"query": QUERY, "extensions": persisted()})
        assert registered.status_code == 200
        assert registered.json()["data"]["customer"]["id"] == "C000001"

        by_hash = await http.post("/graphql", json={"extensions": persisted()}, headers={"accept": GRAPHQL_RESPONSE})
        assert by_hash.status_code == 200
        assert by_hash.json() == registered.json()


async def test_get_by_hash_runs_the_stored_query_and_is_not_cached_by_default(demo_graph: AsyncDriver) -> None:
    async with served(demo_graph) as http:
        await http.post("/graphql", json={"query": QUERY, "extensions": persisted()})
        response = await http.get("/graphql", params={"extensions": json.dumps(persisted())})

    assert response.status_code == 200
    assert response.json()["data"]["customer"]["id"] == "C000001"
    assert response.headers["cache-control"] == "no-store"


async def test_get_by_hash_carries_the_configured_cache_control_only_without_errors(demo_graph: AsyncDriver) -> None:
    query = QUERY
    failing = "query Bad($n: Int) { customers(first: $n) { totalCount } }"
    async with served(demo_graph, get_cache_control="public, max-age=60") as http:
        await http.post("/graphql", json={"query": query})  # a plain POST registers nothing
        ok = await http.get("/graphql", params={"query": query})
        bad = await http.get("/graphql", params={"query": failing, "variables": '{"n": 100000}'})
        post = await http.post("/graphql", json={"query": query})

    assert ok.json()["data"]["customer"]["id"] == "C000001"
    assert ok.headers["cache-control"] == "public, max-age=60"
    assert "Accept" in ok.headers["vary"]
    assert bad.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert bad.headers["cache-control"] == "no-store"
    assert "cache-control" not in post.headers


async def test_a_hash_that_is_not_the_querys_is_refused_and_nothing_is_stored(demo_graph: AsyncDriver) -> None:
    other = "0" * 64
    async with served(demo_graph) as http:
        mismatch = await http.post("/graphql", json={"query": QUERY, "extensions": persisted(other)})
        after = await http.post("/graphql", json={"extensions": persisted(other)})

    assert mismatch.status_code == 400
    assert code_of(mismatch) == "PERSISTED_QUERY_HASH_MISMATCH"
    assert code_of(after) == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_query_that_fails_validation_is_not_stored(demo_graph: AsyncDriver) -> None:
    invalid = "query Nope { customer(id: 1) { nope } }"
    sha256_hash = hashlib.sha256(invalid.encode()).hexdigest()
    async with served(demo_graph) as http:
        first = await http.post("/graphql", json={"query": invalid, "extensions": persisted(sha256_hash)})
        again = await http.post("/graphql", json={"extensions": persisted(sha256_hash)})

    assert code_of(first) == "GRAPHQL_VALIDATION_FAILED"
    assert code_of(again) == "PERSISTED_QUERY_NOT_FOUND"


async def test_mutations_stay_refused_over_get_even_by_hash(demo_graph: AsyncDriver, tmp_path: Path) -> None:
    mutation = "mutation Touch { __typename }"
    manifest = tmp_path / "manifest.json"
    touch = listed_operation(mutation)
    manifest.write_text(manifest_json([touch]))
    sha256_hash = hashlib.sha256(mutation.encode()).hexdigest()
    async with served(demo_graph, persisted_query_manifests=[manifest]) as http:
        listed = await http.get("/graphql", params={"extensions": json.dumps(persisted(touch.id))})
        sent = await http.get("/graphql", params={"query": mutation, "extensions": json.dumps(persisted(sha256_hash))})

    assert listed.status_code == 405
    assert sent.status_code == 405
    assert code_of(listed) == code_of(sent) == "METHOD_NOT_ALLOWED"


async def test_with_apq_off_a_hash_is_not_supported_unless_a_manifest_lists_it(demo_graph: AsyncDriver) -> None:
    example = listed_operation(EXAMPLE_QUERIES[0][1])
    async with served(demo_graph, apq_enabled=False, persisted_query_manifests=[]) as http:
        bare = await http.post("/graphql", json={"extensions": persisted()})
        with_query = await http.post("/graphql", json={"query": QUERY, "extensions": persisted()})
    async with served(demo_graph, apq_enabled=False) as http:
        unlisted = await http.post("/graphql", json={"extensions": persisted()})
        listed = await http.post("/graphql", json={"extensions": persisted(example.id)})
        plain = await http.post("/graphql", json={"query": QUERY})
    async with served(demo_graph, apq_enabled=False, safelist_required=True) as http:
        not_in_list = await http.post("/graphql", json={"extensions": persisted()})
        listed_only = await http.post("/graphql", json={"extensions": persisted(example.id)})

    assert bare.status_code == 200
    assert bare.json()["errors"] == [
        {"message": "PersistedQueryNotSupported", "extensions": {"code": "PERSISTED_QUERY_NOT_SUPPORTED"}}
    ]
    assert code_of(with_query) == "PERSISTED_QUERY_NOT_SUPPORTED"
    # A manifest is loaded (the playground's, by default): its ids run, other hashes still get
    # NOT_SUPPORTED, on which APQ clients fall back to sending queries in full.
    assert unlisted.status_code == 200
    assert code_of(unlisted) == "PERSISTED_QUERY_NOT_SUPPORTED"
    assert listed.json()["data"]["customer"]["id"] == "C000001"
    assert plain.json()["data"]["customer"]["id"] == "C000001"
    # With the safelist required, an id outside it is refused as Apollo's router refuses it.
    assert not_in_list.status_code == 404
    assert code_of(not_in_list) == "PERSISTED_QUERY_NOT_IN_LIST"
    assert listed_only.json()["data"]["customer"]["id"] == "C000001"


HUGE = "a" * 50_000  # a URL of about this much still fits httpx
MALFORMED_EXTENSIONS = {
    "version 2": persisted(version=2),
    "version as a string": persisted(version="1"),
    "version true": persisted(version=True),
    "no version": {"persistedQuery": {"sha256Hash": QUERY_HASH}},
    "non-hex hash": persisted("z" * 64),
    "hash of 63 digits": persisted(QUERY_HASH[:63]),
    "hash of 65 digits": persisted(QUERY_HASH + "0"),
    "empty hash": persisted(""),
    "huge hash": persisted(HUGE),
    "hash as a number": {"persistedQuery": {"version": 1, "sha256Hash": 12345}},
    "hash as an object": {"persistedQuery": {"version": 1, "sha256Hash": {"a": 1}}},
    "persistedQuery a list": {"persistedQuery": [1, QUERY_HASH]},
    "persistedQuery a string": {"persistedQuery": QUERY_HASH},
    "persistedQuery a number": {"persistedQuery": 1},
    "persistedQuery empty": {"persistedQuery": {}},
}


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("extensions", MALFORMED_EXTENSIONS.values(), ids=MALFORMED_EXTENSIONS.keys())
async def test_malformed_persisted_queries_are_coded_400s(
    http: httpx.AsyncClient, method: str, extensions: dict[str, Any]
) -> None:
    if method == "POST":
        response = await http.post("/graphql", json={"extensions": extensions})
    else:
        response = await http.get("/graphql", params={"extensions": json.dumps(extensions)})

    assert response.status_code == 400
    assert code_of(response) == "BAD_REQUEST"
    assert HUGE not in response.text
    assert len(response.content) < 500


@pytest.mark.parametrize(
    "payload",
    [
        {"extensions": [persisted()]},
        {"extensions": "persistedQuery"},
        {"extensions": 7},
        {"query": 12, "extensions": persisted()},
        {"query": ["a"], "extensions": persisted()},
    ],
)
async def test_extensions_and_queries_of_the_wrong_type_are_400s(
    http: httpx.AsyncClient, payload: dict[str, Any]
) -> None:
    response = await http.post("/graphql", json=payload)

    assert response.status_code == 400
    assert code_of(response) == "BAD_REQUEST"


async def test_get_with_extensions_that_are_not_json_is_a_400(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", params={"extensions": '{"persistedQuery":'})
    page = await http.get("/graphql", params={"extensions": "{}"}, headers={"accept": "text/html"})

    assert response.status_code == 400
    assert code_of(response) == "BAD_REQUEST"
    # A browser asking by hash gets an answer, not the playground page.
    assert page.headers["content-type"] != "text/html; charset=utf-8"


def _playground_tabs(page: str) -> list[str]:
    config = re.search(r'<script id="playground-config" type="application/json">(.*?)</script>', page, re.S)
    assert config is not None
    return [tab["query"] for tab in json.loads(config.group(1))["tabs"]]


async def test_the_playground_keeps_working_with_the_safelist_required(demo_graph: AsyncDriver) -> None:
    async with served(demo_graph, safelist_required=True) as http:
        page = await http.get("/graphql", headers={"accept": "text/html"})
        tabs = _playground_tabs(page.text)
        answers = [await http.post("/graphql", json={"query": tab}) for tab in tabs]
        schema = await http.post("/graphql", json={"query": get_introspection_query(input_value_deprecation=True)})

    assert page.status_code == 200
    assert len(tabs) == len(EXAMPLE_QUERIES)
    for tab, answer in zip(tabs, answers, strict=True):
        assert tab.startswith("# ")  # the page's tabs are not the listed bodies as they stand
        if "\nsubscription " in tab:
            # The page streams it from /graphql/stream; here, past the safelist, the answer says so.
            assert answer.status_code == 200, answer.text
            assert [error["extensions"]["code"] for error in answer.json()["errors"]] == ["BAD_REQUEST"]
            assert "/graphql/stream" in answer.json()["errors"][0]["message"]
            continue
        assert answer.status_code == 200, answer.text
        assert answer.json().get("data") is not None, answer.text
        codes = {error["extensions"]["code"] for error in answer.json().get("errors", [])}
        assert codes <= {"SOURCE_UNAVAILABLE"}, answer.text  # the live example has no sources here
    assert schema.json()["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_the_safelist_refuses_every_operation_outside_the_manifest(demo_graph: AsyncDriver) -> None:
    listed = listed_operation(EXAMPLE_QUERIES[2][1])
    edited = listed.body.replace("totalCount", "totalCount __typename", 1)
    outsiders = [
        QUERY,
        edited,
        "{ customer(id: ",  # not even a document: refused, not parsed for the caller
        "query { " + "a: __typename " * 50_000 + "}",
        "mutation M { __typename }",
        listed.body + "\nquery Extra { __typename }",
    ]
    async with served(demo_graph, safelist_required=True) as http:
        refused = [await http.post("/graphql", json={"query": query}) for query in outsiders]
        register = await http.post("/graphql", json={"query": QUERY, "extensions": persisted()})
        after = await http.post("/graphql", json={"extensions": persisted()})
        by_id = await http.get("/graphql", params={"extensions": json.dumps(persisted(listed.id))})
        by_body = await http.post("/graphql", json={"query": listed.body})
        plain_typename = await http.post("/graphql", json={"query": "{ __typename }"})
    async with served(demo_graph, safelist_required=True, safelist_allows_introspection=False) as http:
        introspection = await http.post("/graphql", json={"query": get_introspection_query()})

    for response in [*refused, register, introspection]:
        assert response.status_code == 403, response.text
        assert code_of(response) == "QUERY_NOT_IN_SAFELIST"
        assert response.headers["cache-control"] == DONT_CACHE
    assert code_of(after) == "PERSISTED_QUERY_NOT_FOUND"  # the refused registration was not kept
    assert by_id.json()["data"]["customers"]["totalCount"] > 0
    assert by_body.json() == by_id.json()
    assert plain_typename.json()["data"] == {"__typename": "Query"}


async def test_apq_under_a_required_safelist_keeps_only_listed_queries(demo_graph: AsyncDriver) -> None:
    listed = listed_operation(EXAMPLE_QUERIES[3][1])
    spaced = "# from a client that prints differently\n" + listed.body.replace("\n", " ")
    sha256_hash = hashlib.sha256(spaced.encode()).hexdigest()
    async with served(demo_graph, safelist_required=True) as http:
        unknown = await http.post("/graphql", json={"extensions": persisted(sha256_hash)})
        registered = await http.post("/graphql", json={"query": spaced, "extensions": persisted(sha256_hash)})
        by_hash = await http.post("/graphql", json={"extensions": persisted(sha256_hash)})

    assert code_of(unknown) == "PERSISTED_QUERY_NOT_FOUND"
    assert registered.json()["data"]["department"]["id"] == "D001"
    assert by_hash.json() == registered.json()


def test_the_store_is_bounded_in_bytes_and_drops_the_least_recently_used() -> None:
    store = ApqStore(max_bytes=1_000)
    queries = {f"{index:064x}": "{ __typename }" + " " * 100 for index in range(10)}
    for sha256_hash, query in queries.items():
        store.put(sha256_hash, query)
        assert store.size_bytes <= 1_000
    kept = [sha256_hash for sha256_hash in queries if store.get(sha256_hash) is not None]
    assert 0 < len(kept) < len(queries)
    assert kept == list(queries)[-len(kept) :]  # the newest stay

    oldest = kept[0]
    store.get(oldest)  # used again: now the newest
    store.put("f" * 64, "{ __typename }")
    assert store.get(oldest) is not None
    assert store.get(kept[1]) is None

    store.put("e" * 64, "x" * 2_000)  # larger than the whole store: not kept, nothing evicted
    assert store.get("e" * 64) is None
    assert store.get(oldest) is not None


def test_the_safelist_keeps_verdicts_on_few_short_bodies_only() -> None:
    safelist = Safelist([listed_operation(EXAMPLE_QUERIES[3][1])], allow_introspection=True)
    large = [f"# {index}\n{{ __typename }}" + " " * VERDICT_MAX_TEXT for index in range(20)]
    small = [f"query Q{index} {{ __typename }}" for index in range(VERDICT_CACHE_SIZE + 50)]

    assert all(safelist.allows(query) for query in large)  # introspection only: let through
    assert all(safelist.allows(query) for query in small)
    assert not safelist.allows(EXAMPLE_QUERIES[2][1])
    # What the cache holds (a private detail, looked at for its bound): only short bodies, and few.
    verdicts = safelist._verdicts
    assert len(verdicts) == VERDICT_CACHE_SIZE
    assert all(len(query) <= VERDICT_MAX_TEXT for query in verdicts)


def test_the_shipped_manifest_lists_the_playground_examples() -> None:
    operations = read_manifest(PLAYGROUND_MANIFEST)
    assert cli.main(["export-manifest", "--check"]) == 0
    assert [operation.name for operation in operations] == [
        listed_operation(query).name for _, query in EXAMPLE_QUERIES
    ]
    for operation in operations:
        assert operation.id == hashlib.sha256(operation.body.encode()).hexdigest()


BAD_MANIFESTS = {
    "not JSON": ("{", "not valid JSON"),
    "a list": ("[]", "must be a JSON object"),
    "wrong format": ('{"format": "relay", "version": 1, "operations": []}', "format"),
    "wrong version": ('{"format": "apollo-persisted-query-manifest", "version": 2, "operations": []}', "version"),
    "no operations": ('{"format": "apollo-persisted-query-manifest", "version": 1}', "'operations' must be a list"),
    "no body": (
        '{"format": "apollo-persisted-query-manifest", "version": 1, '
        '"operations": [{"id": "a", "name": "A", "type": "query"}]}',
        "operation 0 (a): 'body' must be a string",
    ),
    "body not GraphQL": (
        '{"format": "apollo-persisted-query-manifest", "version": 1, '
        '"operations": [{"id": "a", "name": "A", "type": "query", "body": "query {"}]}',
        "'body' is not a GraphQL document",
    ),
    "unknown type": (
        '{"format": "apollo-persisted-query-manifest", "version": 1, '
        '"operations": [{"id": "a", "name": "A", "type": "fetch", "body": "{ a }"}]}',
        "'type' must be one of",
    ),
    "one id, two bodies": (
        '{"format": "apollo-persisted-query-manifest", "version": 1, "operations": ['
        '{"id": "a", "name": "A", "type": "query", "body": "{ a }"}, '
        '{"id": "a", "name": "A", "type": "query", "body": "{ b }"}]}',
        "listed twice with different bodies",
    ),
}


@pytest.mark.parametrize(("text", "message"), BAD_MANIFESTS.values(), ids=BAD_MANIFESTS.keys())
def test_a_malformed_manifest_stops_the_app_with_a_message_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(text)

    with pytest.raises(ManifestError, match=re.escape(message)) as raised:
        create_app(Settings(persisted_query_manifests=[manifest]))
    assert "listed twice" in message or str(manifest) in str(raised.value)


def test_a_missing_manifest_or_a_safelist_without_one_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="not found"):
        create_app(Settings(persisted_query_manifests=[tmp_path / "nowhere.json"]))
    with pytest.raises(ValidationError, match="CG_SAFELIST_REQUIRED needs"):
        Settings(safelist_required=True, persisted_query_manifests=[])
