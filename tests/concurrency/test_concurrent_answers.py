"""Many clients at once on the real server run with several workers: every answer is the one
the same query gets when sent alone (no DataLoader, cache, error or request id leaks between
requests)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import AsyncDriver

from tests.concurrency.equivalence import answers_alone, answers_together
from tests.concurrency.queries import generated_queries
from tests.federation.processes import Running, api_environment, api_server
from tests.live_systems import LiveSystems, sources_file_with

pytestmark = pytest.mark.e2e

WORKERS = 2


@pytest.fixture
async def served(
    neo4j_uri: str, demo_graph: AsyncDriver, live_systems: LiveSystems, tmp_path: Path
) -> Iterator[Running]:
    await live_systems.reset()
    sources = live_systems.environ("sqlite")
    # Generous source timeouts: a source slowed by the load must not change an answer (that is
    # not what this test is about); caches on, as shipped, since a cache leak is.
    sources_file = sources_file_with(tmp_path, sources, timeout_s=20.0)
    env = {**api_environment(neo4j_uri, log_level="warning", sources_file=str(sources_file)), **sources}
    with api_server(env, tmp_path / "server.log", cwd=tmp_path, workers=WORKERS) as running:
        yield running


async def test_concurrent_answers_equal_the_answers_to_the_same_queries_sent_alone(served: Running) -> None:
    base_url = served.url.removesuffix("/graphql")
    queries = generated_queries(60, seed=20)

    alone = await answers_alone(base_url, queries)
    together = await answers_together(base_url, queries, clients=12, rounds=3, seed=21)

    kinds = Counter(
        "complete" if not answer.body.get("errors") else answer.body["errors"][0]["extensions"]["code"]
        for answer in alone
    )
    print(f"\n{len(queries)} queries x 3 rounds over 12 clients and {WORKERS} workers in {together.seconds:.1f}s; "
          f"alone: {dict(kinds)}")  # fmt: skip
    # The generated queries are valid, and the mix holds both full answers and NOT_FOUND ones.
    assert all(answer.status == 200 for answer in alone)
    assert set(kinds) == {"complete", "NOT_FOUND"}, kinds
    assert len(together.answers) == 3 * len(queries)
    mismatches = together.mismatches(alone)
    assert not mismatches, "\n".join(mismatches[:10])
