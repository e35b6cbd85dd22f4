"""Neo4j and each system of record go down and come back while clients keep querying the real
server over sockets: every answer is complete or a coded partial one, never a 5xx or a hang,
``/readyz`` follows the database, and the service recovers by itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import AsyncDriver

from demo_company.company import PRESETS, DemoCompany, demo_stream
from demo_systems.launcher import DemoFleet
from graph.counts import graph_counts
from graph.load.loader import BulkLoader
from tests.auth_tokens import SECRET_ENV
from tests.commands import neo4j_variables
from tests.conftest import DEMO_PRESET, DEMO_SEED
from tests.federation.processes import Running, api_server, clean_environment
from tests.live_systems import LiveSystems, Postgres, sources_file_with
from tests.outage.scenario import run_outages
from tests.outage.traffic import COMPLETE, Traffic, failures
from tests.own_neo4j import OwnNeo4j

pytestmark = pytest.mark.e2e


async def holding_the_demo_company(own: OwnNeo4j, demo_graph: AsyncDriver) -> None:
    """The tests' own Neo4j with the company the demo systems serve (as the session's demo graph)."""
    wanted = await graph_counts(demo_graph, "neo4j")
    async with own.driver() as driver:
        if await graph_counts(driver, "neo4j") == wanted:
            return
    await own.wipe()
    async with own.driver() as driver:
        report = await BulkLoader(driver, "neo4j").load(demo_stream(DemoCompany(PRESETS[DEMO_PRESET], DEMO_SEED)))
        assert report.rows_rejected == 0


@pytest.fixture
async def served(
    own_neo4j: OwnNeo4j, demo_graph: AsyncDriver, live_systems: LiveSystems, tmp_path: Path
) -> Iterator[Running]:
    await holding_the_demo_company(own_neo4j, demo_graph)
    await live_systems.reset()
    sources = live_systems.environ("postgres")
    # Without the sources' caches, a short outage shows in the answers at once (the bench keeps them).
    sources_file = sources_file_with(tmp_path, sources, cache_ttl_s=0)
    env = clean_environment(
        **neo4j_variables(own_neo4j.uri), **sources, **SECRET_ENV, CG_SOURCES_FILE=str(sources_file)
    )
    env["CG_LOG_LEVEL"] = "warning"
    with api_server(env, tmp_path / "server.log", cwd=tmp_path) as running:
        yield running


async def test_outages_of_the_graph_and_of_each_source_answer_coded_partials_and_recover_by_themselves(
    served: Running, own_neo4j: OwnNeo4j, live_systems: LiveSystems, pg: Postgres
) -> None:
    fleet: DemoFleet = live_systems.fleet
    base_url = served.url.removesuffix("/graphql")
    async with Traffic(base_url, clients=4) as traffic:
        phases = await run_outages(traffic, own_neo4j, fleet, pg, steady_s=2.0, outage_s=3.0)

    print("\n" + "\n".join(phase.line() for phase in phases))
    by_name = {phase.name: phase for phase in phases}
    assert not [(phase.name, failures(phase.answers)) for phase in phases if failures(phase.answers)], served.output()[
        -4000:
    ]
    assert by_name["steady"].answers.keys() == {COMPLETE}
    # The database down: every query answers GRAPH_UNAVAILABLE, /readyz says 503; back: complete, 200.
    assert by_name["neo4j stopped"].concerned["GRAPH_UNAVAILABLE"] > 0, by_name["neo4j stopped"].line()
    assert 503 in by_name["neo4j stopped"].readiness
    assert by_name["neo4j started again"].concerned.keys() == {COMPLETE}
    assert 200 in by_name["neo4j started again"].readiness
    # A source down: its fields answer SOURCE_UNAVAILABLE, the rest complete, /readyz stays 200.
    for system in ("helpdesk", "hr", "crm", "erp (postgresql)"):
        down = by_name[f"{system} stopped"]
        assert down.concerned["SOURCE_UNAVAILABLE"] > 0, down.line()
        assert down.readiness == {200}, down.line()
        back = by_name[f"{system} started" if system.startswith("erp") else f"{system} started again"]
        assert back.concerned.keys() == {COMPLETE}, back.line()
    assert by_name["steady again"].answers.keys() == {COMPLETE}
