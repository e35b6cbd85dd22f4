"""A bulk load in two halves, for the load bench only: batch every row first, then write.

``PreparingLoader.prepare`` reads, checks and batches every row, holding the batches in memory
and sending nothing; ``load_prepared`` then writes them as ``BulkLoader.load`` would. The two
halves tell how fast the database takes batches apart from what reading and batching them
costs (``bench.load_bench --prepared``). A real load gains nothing by it and would have to fit
in memory, so the product's loader (``graph/load/loader.py``) has one path, streaming, and this
subclass drives its two steps separately.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from graph.load.loader import BulkLoader, KindReport, LoadReport, RawRows
from graph.load.rows import RowKind


@dataclass(slots=True)
class PreparedLoad:
    """Batches made by ``PreparingLoader.prepare``, kind by kind, ready to write."""

    report: LoadReport = field(default_factory=LoadReport)
    # Each kind with its report and its batches, each batch with the writer (lane) it goes to.
    kinds: list[tuple[RowKind, KindReport, list[tuple[int, Any]]]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def batches(self) -> int:
        return sum(len(batches) for _, _, batches in self.kinds)


class PreparingLoader(BulkLoader):
    """``BulkLoader`` whose batching and writing can run one after the other (see the module)."""

    def prepare(self, stream: Iterable[tuple[RowKind, RawRows]]) -> PreparedLoad:
        """Read, check and batch every row now; progress reports the rows read of each kind."""
        prepared = PreparedLoad()
        started = time.perf_counter()
        for kind, kind_report, batches in self._kinds(stream, prepared.report):
            made = []
            for batch in batches:
                made.append(batch)
                if self._on_progress is not None:
                    self._on_progress(kind.name, kind_report.read)
            prepared.kinds.append((kind, kind_report, made))
        prepared.seconds = time.perf_counter() - started
        return prepared

    async def load_prepared(self, prepared: PreparedLoad) -> LoadReport:
        """Write what ``prepare`` made; the report also holds the rows ``prepare`` rejected."""
        kinds = ((kind, kind_report, iter(batches)) for kind, kind_report, batches in prepared.kinds)
        return await self._write_kinds(prepared.report, kinds)
