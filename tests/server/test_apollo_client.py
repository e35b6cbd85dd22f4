"""Apollo Client's persisted-queries link, unchanged, against the real server on a socket.

``apollo_client/apq.mjs`` runs operations through ``@apollo/client`` (pinned in its
package-lock.json) with ``PersistedQueryLink`` and ``useGETForHashedQueries``, and reports every
HTTP exchange; the server runs as in production (``uvicorn --factory server.main:app``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from neo4j import AsyncDriver

from server.persisted_queries import DONT_CACHE
from server.playground_examples import EXAMPLE_QUERIES
from server.safelist import ManifestOperation, listed_operation, manifest_json
from server.settings import PLAYGROUND_MANIFEST, PROJECT_ROOT
from tests.auth_tokens import token
from tests.federation.processes import Running, api_environment, api_server

pytestmark = pytest.mark.e2e

CLIENT_DIR = Path(__file__).resolve().parent / "apollo_client"
INSTALL_SCRIPT = PROJECT_ROOT / "scripts" / "install_apollo_client.sh"
TIER = "query CustomerTier($id: ID!) { customer(id: $id) { id name tier } }"
OUTSIDER = "query Outsider { customers(first: 2) { nodes { id email } } }"
SHA256 = re.compile(r"[0-9a-f]{64}")
# The playground's queries (its subscription streams over SSE, which Apollo Client's link does not).
EXAMPLE_QUERY_BODIES = [query for _, query in EXAMPLE_QUERIES if not query.startswith("subscription")]


@pytest.fixture(scope="module")
def apollo_client() -> Path:
    done = subprocess.run(["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{INSTALL_SCRIPT.name} failed:\n{done.stderr[-4000:]}"
    return CLIENT_DIR


def _node(args: list[str], clients: list[list[dict[str, Any]]], tmp_path: Path) -> Any:
    node = shutil.which("node")
    assert node is not None, "node is needed for this test (Node.js 20+)"
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"clients": clients}))
    env = {**os.environ, "APOLLO_CLIENT_AUTHORIZATION": f"Bearer {token()}"}
    done = subprocess.run(
        [node, "apq.mjs", *args, str(plan)],
        cwd=CLIENT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert done.returncode == 0, f"apq.mjs failed:\n{done.stderr[-4000:]}"
    return json.loads(done.stdout)


def run_clients(url: str, clients: list[list[dict[str, Any]]], tmp_path: Path) -> dict[str, Any]:
    """Each list of operations run by an Apollo Client of its own: outcomes and HTTP exchanges."""
    report: dict[str, Any] = _node([url], clients, tmp_path)
    return report


def client_manifest(queries: list[str], tmp_path: Path) -> tuple[Path, list[ManifestOperation]]:
    """The manifest Apollo's generator writes for an app that sends these queries with Apollo
    Client: each document as the client sends it (``__typename`` added), under its SHA-256."""
    bodies: list[str] = _node(["--print"], [[{"query": query} for query in queries]], tmp_path)[0]
    operations = []
    for body in bodies:
        named = listed_operation(body)
        operations.append(ManifestOperation(hashlib.sha256(body.encode()).hexdigest(), named.name, named.type, body))
    path = tmp_path / "client-manifest.json"
    path.write_text(manifest_json(operations))
    return path, operations


@contextmanager
def served(neo4j_uri: str, tmp_path: Path, **settings: str) -> Iterator[Running]:
    env = api_environment(neo4j_uri, log_level="warning", sources_enabled="false", **settings)
    with api_server(env, tmp_path / "uvicorn.log", cwd=tmp_path) as running:
        yield running


def exchanges(report: dict[str, Any], client: int) -> list[tuple[str, bool, int, list[str | None]]]:
    """(method, whether the query text was sent, status, error codes) of one client's requests."""
    return [
        (sent["method"], sent["query"], sent["status"], sent["codes"])
        for sent in report["wire"]
        if sent["client"] == client
    ]


def test_the_apq_link_registers_once_then_sends_hashes_by_get(
    apollo_client: Path, neo4j_uri: str, demo_graph: AsyncDriver, tmp_path: Path
) -> None:
    first = {"query": TIER, "variables": {"id": "C000001"}}
    second = {"query": TIER, "variables": {"id": "C000002"}}
    with served(neo4j_uri, tmp_path) as api:
        report = run_clients(api.url, [[first, first, second], [first]], tmp_path)

    assert exchanges(report, 0) == [
        ("GET", False, 200, ["PERSISTED_QUERY_NOT_FOUND"]),  # the hash alone, unknown yet
        ("POST", True, 200, []),  # the link's retry: the query with its hash
        ("GET", False, 200, []),  # from then on, the hash alone
        ("GET", False, 200, []),
    ]
    # Another client (a new page load) is answered by hash at once: the server kept the query.
    assert exchanges(report, 1) == [("GET", False, 200, [])]
    hashes = {sent["hash"] for sent in report["wire"]}
    assert len(hashes) == 1
    assert SHA256.fullmatch(hashes.pop() or "")
    assert report["wire"][0]["cacheControl"] == DONT_CACHE
    assert report["wire"][2]["cacheControl"] == "no-store"

    outcomes = report["results"]
    assert [outcome["data"]["customer"]["id"] for outcome in outcomes[0]] == ["C000001", "C000001", "C000002"]
    assert outcomes[1][0]["data"] == outcomes[0][0]["data"]
    assert all(outcome["error"] is None for client in outcomes for outcome in client)


def test_with_the_safelist_required_listed_operations_run_and_no_other(
    apollo_client: Path, neo4j_uri: str, demo_graph: AsyncDriver, tmp_path: Path
) -> None:
    manifest, listed = client_manifest(EXAMPLE_QUERY_BODIES, tmp_path)
    operations = [{"query": query} for query in EXAMPLE_QUERY_BODIES]
    outsiders = [{"query": OUTSIDER}, {"query": EXAMPLE_QUERIES[2][1].replace("totalCount", "totalCount id", 1)}]
    manifests = json.dumps([str(PLAYGROUND_MANIFEST), str(manifest)])
    with served(neo4j_uri, tmp_path, safelist_required="true", persisted_query_manifests=manifests) as api:
        report = run_clients(api.url, [[*operations, *outsiders], outsiders[:1]], tmp_path)

    outcomes = report["results"][0]
    for operation, outcome in zip(listed, outcomes, strict=False):
        assert outcome["data"] is not None, (operation.name, outcome)
        # The live example reads systems of record, which are off here: only those fields fail.
        assert set(outcome["codes"]) <= {"SOURCE_UNAVAILABLE"}, (operation.name, outcome)
    for outcome in outcomes[len(listed) :]:
        assert outcome["data"] is None
        assert outcome["codes"] == ["QUERY_NOT_IN_SAFELIST"]

    wire = exchanges(report, 0)
    # The link hashes the document it sends, which is how the manifest lists it: every listed
    # operation is found by its hash at once, with a GET.
    assert [exchange[:3] for exchange in wire[: len(listed)]] == [("GET", False, 200)] * len(listed)
    assert all(set(codes) <= {"SOURCE_UNAVAILABLE"} for *_, codes in wire[: len(listed)])
    assert [sent["hash"] for sent in report["wire"][: len(listed)]] == [operation.id for operation in listed]
    assert wire[len(listed) :] == [
        ("GET", False, 200, ["PERSISTED_QUERY_NOT_FOUND"]),
        ("POST", True, 403, ["QUERY_NOT_IN_SAFELIST"]),
    ] * len(outsiders)
    # A refused query is not kept: the next client is asked for it again, and refused again.
    assert exchanges(report, 1) == wire[len(listed) : len(listed) + 2]


def test_with_the_safelist_required_and_apq_off_unlisted_hashes_are_refused(
    apollo_client: Path, neo4j_uri: str, demo_graph: AsyncDriver, tmp_path: Path
) -> None:
    manifest, listed = client_manifest([EXAMPLE_QUERIES[0][1]], tmp_path)
    settings = {"safelist_required": "true", "apq_enabled": "false", "persisted_query_manifests": f'["{manifest}"]'}
    with served(neo4j_uri, tmp_path, **settings) as api:
        report = run_clients(api.url, [[{"query": EXAMPLE_QUERIES[0][1]}, {"query": OUTSIDER}]], tmp_path)

    listed_outcome, outsider_outcome = report["results"][0]
    assert listed_outcome["data"]["customer"]["id"] == "C000001"
    assert outsider_outcome["data"] is None
    assert outsider_outcome["codes"] == ["PERSISTED_QUERY_NOT_IN_LIST"]
    assert exchanges(report, 0) == [("GET", False, 200, []), ("GET", False, 404, ["PERSISTED_QUERY_NOT_IN_LIST"])]
    assert report["wire"][0]["hash"] == listed[0].id


def test_with_apq_off_the_link_falls_back_to_full_queries(
    apollo_client: Path, neo4j_uri: str, demo_graph: AsyncDriver, tmp_path: Path
) -> None:
    first = {"query": TIER, "variables": {"id": "C000001"}}
    with served(neo4j_uri, tmp_path, apq_enabled="false") as api:
        report = run_clients(api.url, [[first, first]], tmp_path)

    assert exchanges(report, 0) == [
        ("GET", False, 200, ["PERSISTED_QUERY_NOT_SUPPORTED"]),
        ("POST", True, 200, []),  # the retry, without the hash
        ("POST", True, 200, []),  # the link stays off: full queries from then on
    ]
    assert [sent["hash"] for sent in report["wire"][1:]] == [None, None]
    assert [outcome["data"]["customer"]["id"] for outcome in report["results"][0]] == ["C000001", "C000001"]
