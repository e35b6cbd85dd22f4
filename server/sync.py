"""Sync: pull from live sources what the graph keeps, and upsert it through the bulk loader.

A source that exports row kinds of ``graph.load.rows`` (customers, orders and their lines,
tickets and their hand-offs, identities) is read page by page and each page is written by
``graph.load.loader.BulkLoader``, which merges on ids: running a sync twice changes nothing the
second time, and a sync that stopped half-way finishes on the next run. Kinds go in the
graph's load order across all the sources of one run, so a CRM's new customers exist before
the ERP's orders and the helpdesk's tickets that point to them. Rows pointing at nodes the
graph lacks are rejected and reported, as with any load.

For the CLI: ``sync [NAME ...] [--kind KIND ...] [--sources-file FILE]`` ->
``uri = ensure_neo4j(settings)``, then
``report = asyncio.run(run_sync(settings, uri, names, environ=os.environ, sources_file=..., kinds=...))``,
print ``server.progress.format_report(report)``, exit 3 when ``report.rows_rejected``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from neo4j import AsyncDriver

from graph.load.loader import BulkLoader, KindReport, LoadReport, ProgressCallback, RawRows
from graph.load.rows import ROW_KINDS, RowKind
from graph.serves import refresh_serves
from server.gc_tuning import rare_collections
from server.graph_connection import connected_graph
from server.progress import LoadProgress
from server.settings import Settings
from server.sources_config import DEFAULT_SOURCES_FILE, SourceRegistry
from sources.port import ExportingSource


async def sync_sources(
    sources: Sequence[ExportingSource],
    driver: AsyncDriver,
    database: str,
    *,
    kinds: Sequence[str] | None = None,
    batch_size: int = 5000,
    on_progress: ProgressCallback | None = None,
) -> LoadReport:
    """Export every row kind the sources offer (or just ``kinds``), in load order, and upsert it.

    ``on_progress(label, rows_read)`` is called after each batch, with ``label`` as
    ``"<source>:<kind>"``. Raises ``SourceUnavailableError`` if a source fails mid-way; what
    was written until then stays written, and the next run picks it up idempotently.
    """
    unknown = set(kinds or ()) - {kind.name for kind in ROW_KINDS}
    if unknown:
        raise ValueError(f"unknown row kinds: {', '.join(sorted(unknown))}")
    loader = BulkLoader(driver, database, batch_size=batch_size, refresh_derived=False)
    report = LoadReport()
    for kind in ROW_KINDS:
        if kinds is not None and kind.name not in kinds:
            continue
        for source in sources:
            if kind.name in source.exports:
                await _sync_kind(source, kind, loader, report, batch_size, on_progress)
    # Once, after every kind: the relationships row rules read (see graph.serves).
    await refresh_serves(driver, database)
    report.seconds = sum(kind_report.seconds for kind_report in report.kinds)
    return report


async def sync_source(
    source: ExportingSource,
    driver: AsyncDriver,
    database: str,
    *,
    kinds: Sequence[str] | None = None,
    batch_size: int = 5000,
    on_progress: ProgressCallback | None = None,
) -> LoadReport:
    """Sync one source: ``sync_sources([source], ...)``."""
    return await sync_sources([source], driver, database, kinds=kinds, batch_size=batch_size, on_progress=on_progress)


async def _sync_kind(
    source: ExportingSource,
    kind: RowKind,
    loader: BulkLoader,
    report: LoadReport,
    batch_size: int,
    on_progress: ProgressCallback | None,
) -> None:
    label = f"{source.name}:{kind.name}"
    total = KindReport(kind=label)
    report.kinds.append(total)
    page: list[tuple[str, dict[str, object]]] = []
    number = 0
    async for record in source.export(kind.name):
        number += 1
        page.append((f"{label}#{number}", dict(record)))
        if len(page) >= batch_size:
            await _write(loader, kind, page, total, report, on_progress)
            page = []
    if page:
        await _write(loader, kind, page, total, report, on_progress)


async def _write(
    loader: BulkLoader,
    kind: RowKind,
    page: RawRows,
    total: KindReport,
    report: LoadReport,
    on_progress: ProgressCallback | None,
) -> None:
    written = await loader.load([(kind, page)])
    for part in written.kinds:
        total.read += part.read
        total.loaded += part.loaded
        total.rejected += part.rejected
        total.nodes_created += part.nodes_created
        total.relationships_created += part.relationships_created
        total.relationships_deleted += part.relationships_deleted
        total.properties_set += part.properties_set
        total.seconds += part.seconds
    report.rejections.extend(written.rejections)
    if on_progress is not None:
        on_progress(total.kind, total.read)


async def run_sync(
    settings: Settings,
    uri: str,
    names: Sequence[str] = (),
    *,
    environ: Mapping[str, str],
    sources_file: Path = DEFAULT_SOURCES_FILE,
    kinds: Sequence[str] | None = None,
) -> LoadReport:
    """The ``sync`` command: open the configured sources (all that export, or ``names``) and the
    graph at ``uri``, sync, and show progress on stderr."""
    registry = SourceRegistry.from_file(sources_file, environ)
    chosen = [registry[name] for name in names] if names else registry.exporting()
    progress = LoadProgress()
    async with registry, connected_graph(settings, uri) as driver:
        try:
            with rare_collections():
                return await sync_sources(
                    chosen,
                    driver,
                    settings.neo4j_database,
                    kinds=kinds,
                    batch_size=settings.load_batch_size,
                    on_progress=progress,
                )
        finally:
            progress.close()
