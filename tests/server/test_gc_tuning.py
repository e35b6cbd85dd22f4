"""Loads run the cycle collector less often, set by the caller around them; the last one out restores it."""

from __future__ import annotations

import asyncio
import gc

from neo4j import AsyncDriver

import graph.load.loader
from demo_company.company import PRESETS, DemoCompany, demo_stream
from graph.load.loader import BulkLoader
from server.gc_tuning import LOAD_GC_THRESHOLD, rare_collections


async def test_concurrent_loads_run_the_collector_less_often_and_the_last_one_out_restores_it(
    empty_graph: AsyncDriver,
) -> None:
    before = gc.get_threshold()
    seen: list[int] = []

    def watched(stream):  # notes the collector's threshold as each kind starts
        for kind, rows in stream:
            seen.append(gc.get_threshold()[0])
            yield kind, rows

    async def load(batch_size: int) -> None:
        with rare_collections():
            await BulkLoader(empty_graph, "neo4j", batch_size=batch_size).load(
                watched(demo_stream(DemoCompany(PRESETS["tiny"], 11)))
            )

    await asyncio.gather(load(50), load(500))

    assert seen and min(seen) == max(before[0], LOAD_GC_THRESHOLD)
    assert gc.get_threshold() == before


def test_the_loader_in_graph_leaves_the_process_wide_threshold_alone() -> None:
    assert "gc" not in vars(graph.load.loader)
