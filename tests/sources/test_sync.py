"""Sync from the real demo systems into a real Neo4j: complete, in load order, idempotent."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from neo4j import AsyncDriver
from pydantic import SecretStr

from demo_company.company import PRESETS, DemoCompany
from demo_systems.directory_records import build_crm, build_helpdesk, build_hr
from demo_systems.erp_data import build_erp
from demo_systems.launcher import DemoFleet, control
from domain.errors import SourceUnavailableError
from graph.counts import graph_counts
from graph.load.loader import BulkLoader
from graph.load.rows import ROW_KINDS_BY_NAME
from server.settings import Settings
from server.sources_config import DEFAULT_SOURCES_FILE, SourceRegistry
from server.sync import run_sync, sync_source, sync_sources
from sources.config import SourcesFile
from tests.sources.conftest import PRESET, SEED

DATABASE = "neo4j"
STANDING_KINDS = ("department", "employee", "reports_to", "product")


@pytest.fixture
async def company_graph(empty_graph: AsyncDriver) -> AsyncDriver:
    """The demo company's people and catalogue, but none of what the sources hold."""
    company = DemoCompany(PRESETS[PRESET], SEED)
    stream = [
        (ROW_KINDS_BY_NAME[kind], ((f"{kind}#{n}", row) for n, row in enumerate(company.rows(kind))))
        for kind in STANDING_KINDS
    ]
    report = await BulkLoader(empty_graph, DATABASE).load(stream)
    assert report.rows_rejected == 0
    return empty_graph


@pytest.fixture
async def registry(source_configs: dict[str, SourcesFile], clean_systems: None) -> AsyncIterator[SourceRegistry]:
    async with SourceRegistry.from_config(source_configs["sqlite"]) as opened:
        yield opened


async def test_syncing_twice_creates_everything_once(company_graph: AsyncDriver, registry: SourceRegistry) -> None:
    progress: list[tuple[str, int]] = []
    first = await sync_sources(
        registry.exporting(), company_graph, DATABASE, batch_size=100, on_progress=lambda *step: progress.append(step)
    )
    assert first.rows_rejected == 0, first.rejections[:5]
    counts = await graph_counts(company_graph, DATABASE)

    crm, erp, helpdesk = build_crm(PRESET, SEED), build_erp(PRESET, SEED), build_helpdesk(PRESET, SEED)
    employees = len(build_hr(PRESET, SEED))
    assert counts.nodes["Customer"] == len(crm)  # the demo's customers and the CRM's new ones
    assert counts.nodes["Order"] == len(erp.orders)
    assert counts.relationships["CONTAINS"] == len(erp.lines)
    assert counts.nodes["Ticket"] == len(helpdesk.tickets)
    assert counts.relationships["ASSIGNED_TO"] == len(helpdesk.hand_offs)
    identities = len(crm) + len(erp.customers) + len(helpdesk.customers) + employees + len(helpdesk.agents)
    assert counts.nodes["ExternalId"] == identities
    assert counts.relationships["KNOWN_AS"] == identities
    # Kinds went in load order, customers before the orders and tickets that point to them.
    labels = [label for label, _ in progress]
    assert labels.index("crm:customer") < labels.index("erp_orders:order") < labels.index("helpdesk:ticket")

    second = await sync_sources(registry.exporting(), company_graph, DATABASE, batch_size=100)
    assert second.rows_rejected == 0
    assert second.elements_created == 0
    assert sum(kind.relationships_deleted for kind in second.kinds) == 0
    assert second.rows_loaded == first.rows_loaded
    assert await graph_counts(company_graph, DATABASE) == counts


async def test_one_source_and_chosen_kinds_can_be_synced_alone(
    company_graph: AsyncDriver, registry: SourceRegistry
) -> None:
    report = await sync_source(registry["hr"], company_graph, DATABASE)
    assert [kind.kind for kind in report.kinds] == ["hr:employee_identity"]
    assert report.kinds[0].loaded == len(build_hr(PRESET, SEED))

    report = await sync_source(registry["crm"], company_graph, DATABASE, kinds=["customer"])
    assert [kind.kind for kind in report.kinds] == ["crm:customer"]
    counts = await graph_counts(company_graph, DATABASE)
    assert counts.nodes["Customer"] == len(build_crm(PRESET, SEED))
    assert counts.nodes["ExternalId"] == len(build_hr(PRESET, SEED))


async def test_rows_pointing_at_missing_nodes_are_rejected_and_reported(
    empty_graph: AsyncDriver, registry: SourceRegistry
) -> None:
    report = await sync_source(registry["helpdesk"], empty_graph, DATABASE, kinds=["ticket"])
    assert report.rows_loaded == 0
    assert report.rows_rejected == len(build_helpdesk(PRESET, SEED).tickets)
    assert "no Customer with that id" in report.rejections[0].reason
    assert report.rejections[0].origin.startswith("helpdesk:ticket#")


async def test_a_source_failing_mid_sync_raises_and_a_rerun_completes(
    company_graph: AsyncDriver, registry: SourceRegistry, demo_fleet: DemoFleet
) -> None:
    await control(demo_fleet.url("helpdesk"), fail="500")
    with pytest.raises(SourceUnavailableError) as failed:
        await sync_sources(registry.exporting(), company_graph, DATABASE)
    assert failed.value.source == "helpdesk"
    # What came before the failure stays written ...
    assert (await graph_counts(company_graph, DATABASE)).nodes["Customer"] == len(build_crm(PRESET, SEED))
    await control(demo_fleet.url("helpdesk"), fail=None)
    # ... and the next run finishes the job.
    report = await sync_sources(registry.exporting(), company_graph, DATABASE)
    assert report.rows_rejected == 0
    assert (await graph_counts(company_graph, DATABASE)).nodes["Ticket"] == len(build_helpdesk(PRESET, SEED).tickets)


async def test_the_sync_command_reads_the_configuration_and_writes_to_the_graph(
    company_graph: AsyncDriver, neo4j_uri: str, demo_fleet: DemoFleet, clean_systems: None
) -> None:
    settings = Settings().model_copy(
        update={
            "neo4j_uri": neo4j_uri,
            "neo4j_user": os.environ.get("CG_TEST_NEO4J_USER", "neo4j"),
            "neo4j_password": SecretStr(os.environ.get("CG_TEST_NEO4J_PASSWORD", "")),
            "neo4j_database": DATABASE,
        }
    )
    environ = {"CG_HR_URL": demo_fleet.url("hr")}
    report = await run_sync(settings, neo4j_uri, ["hr"], environ=environ, sources_file=DEFAULT_SOURCES_FILE)
    assert report.rows_rejected == 0
    assert report.rows_loaded == len(build_hr(PRESET, SEED))
    assert (await graph_counts(company_graph, DATABASE)).nodes["ExternalId"] == report.rows_loaded


async def test_unknown_kinds_are_refused(company_graph: AsyncDriver, registry: SourceRegistry) -> None:
    with pytest.raises(ValueError, match="unknown row kinds: invoice"):
        await sync_source(registry["erp_orders"], company_graph, DATABASE, kinds=["invoice"])
