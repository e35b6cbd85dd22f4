"""Loading the graph from the command line: the demo company or files, with progress, and counts.

The CLI (``server/cli.py``) parses the arguments and calls these; each opens the graph at the
URI it is given (``server.graph_connection.connected_graph``), runs the bulk loader with the cycle
collector tuned for a load (``server.gc_tuning``) and closes its progress display however the
load ends.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from demo_company.company import PRESETS, DemoCompany, demo_stream
from graph.counts import GraphCounts, graph_counts
from graph.load import files
from graph.load.loader import BulkLoader, LoadReport, RawRows
from graph.load.rows import ROW_KINDS, RowKind
from server.gc_tuning import rare_collections
from server.graph_connection import connected_graph
from server.progress import LoadProgress, TotalProgress
from server.settings import Settings


def format_counts(counts: GraphCounts) -> str:
    lines = [f"{label:<14}{count:>12,}" for label, count in counts.nodes.items()]
    lines.append(f"{'nodes':<14}{counts.total_nodes:>12,}")
    lines += [f"{rel_type:<14}{count:>12,}" for rel_type, count in counts.relationships.items()]
    lines.append(f"{'relationships':<14}{counts.total_relationships:>12,}")
    return "\n".join(lines)


async def load_demo(settings: Settings, preset: str, seed: int, uri: str, *, one_line: bool = False) -> LoadReport:
    company = DemoCompany(PRESETS[preset], seed)
    totals = {kind.name: company.count(kind.name) for kind in ROW_KINDS}
    label = f"graph: loading the '{preset}' demo company"
    progress = TotalProgress(totals, label=label) if one_line else LoadProgress(totals)
    return await load_stream(settings, uri, demo_stream(company), progress)


async def load_files(settings: Settings, paths: Sequence[Path], uri: str) -> LoadReport:
    return await load_stream(settings, uri, files.stream(paths), LoadProgress())


async def load_stream(
    settings: Settings, uri: str, stream: Iterable[tuple[RowKind, RawRows]], progress: LoadProgress | TotalProgress
) -> LoadReport:
    """Load ``stream`` into the graph at ``uri``, showing ``progress``, with the collector tuned for a load."""
    async with connected_graph(settings, uri) as driver:
        loader = BulkLoader(driver, settings.neo4j_database, batch_size=settings.load_batch_size, on_progress=progress)
        try:
            with rare_collections():
                return await loader.load(stream)
        finally:
            progress.close()


async def show_counts(settings: Settings, uri: str) -> GraphCounts:
    async with connected_graph(settings, uri) as driver:
        return await graph_counts(driver, settings.neo4j_database)


def export_demo(preset: str, seed: int, folder: Path) -> None:
    company = DemoCompany(PRESETS[preset], seed)
    folder.mkdir(parents=True, exist_ok=True)
    for kind in ROW_KINDS:
        with (folder / f"{kind.name}.jsonl").open("w", encoding="utf-8") as handle:
            for row in company.rows(kind.name):
                handle.write(json.dumps(row, default=_json_value) + "\n")
        print(f"wrote {folder / (kind.name + '.jsonl')} ({company.count(kind.name):,} rows)")


def _json_value(value: object) -> str:
    isoformat = getattr(value, "isoformat", None)
    if isoformat is None:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")
    return str(isoformat())
