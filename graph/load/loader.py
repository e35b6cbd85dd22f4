"""Bulk loading: rows in, idempotent ``UNWIND`` batches out, one transaction per batch.

Rows arrive per kind, in load order, each with its origin (``file:line`` or a generator
position) so that a bad row can be reported where it came from. A row is checked twice:
its fields and types before it is batched, and the nodes it refers to by the batch's own
write statement, so a row is written whole or not at all and the good rows of a batch still
load. Batches of one kind are written by a few concurrent transactions while the next ones
are parsed, the writers kept apart on the nodes the rows change (see ``_batches``); a kind
is finished before the next begins, so references always point back.
Because every write merges on ids, a load that was interrupted and is run again ends with
the same graph as one that never stopped.
"""

from __future__ import annotations

import asyncio
import operator
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from neo4j import AsyncDriver, AsyncManagedTransaction
from neo4j.exceptions import ClientError

from graph.load.rows import Row, RowError, RowKind, TypedRows
from graph.neo4j_errors import translated
from graph.serves import refresh_serves

# Rows per write transaction: the fastest of the sizes tried side by side on the `bench` preset
# (``bench/load_bench.py --batch-size``; the README's Benchmarks section has the figures).
DEFAULT_BATCH_SIZE = 10_000

Origin = str
# Rows to parse, each with where it came from; or rows already typed (see ``TypedRows``).
RawRows = Iterable[tuple[Origin, dict[str, object]]] | TypedRows


@dataclass(frozen=True, slots=True)
class Rejection:
    origin: Origin
    kind: str
    reason: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.kind}: {self.reason}"


@dataclass(slots=True)
class KindReport:
    kind: str
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    nodes_created: int = 0
    relationships_created: int = 0
    relationships_deleted: int = 0
    properties_set: int = 0
    seconds: float = 0.0


@dataclass(slots=True)
class LoadReport:
    kinds: list[KindReport] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows_loaded(self) -> int:
        return sum(kind.loaded for kind in self.kinds)

    @property
    def rows_rejected(self) -> int:
        return sum(kind.rejected for kind in self.kinds)

    @property
    def elements_created(self) -> int:
        return sum(kind.nodes_created + kind.relationships_created for kind in self.kinds)


# Called after each batch with (kind, rows of this kind done so far): written or rejected.
ProgressCallback = Callable[[str, int], None]


@dataclass(slots=True)
class _Batch:
    kind: RowKind
    rows: list[Row] = field(default_factory=list)
    origins: list[Origin] = field(default_factory=list)
    # The write statement's parameters, made with the batch when it is ready (see ``_ready``).
    parameters: dict[str, object] | None = None


class BulkLoader:
    """Loads rows into Neo4j in batches; see the module docstring for the guarantees."""

    def __init__(
        self,
        driver: AsyncDriver,
        database: str,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        concurrency: int = 2,
        on_progress: ProgressCallback | None = None,
        keep_rejections: int = 10_000,
        refresh_derived: bool = True,
    ) -> None:
        """``refresh_derived``: bring the derived ``SERVES`` relationships (``graph.serves``) in
        line at the end of each load; a caller that loads in many small parts (the sync) turns
        it off and calls ``refresh_serves`` once after the last."""
        if batch_size < 1 or concurrency < 1:
            raise ValueError("batch_size and concurrency must be at least 1")
        self._concurrency = concurrency
        self._driver = driver
        self._database = database
        self._batch_size = batch_size
        self._on_progress = on_progress
        self._keep_rejections = keep_rejections
        self._refresh_derived = refresh_derived
        # Rows are rejected both in the thread that parses them (``_parsed``) and on the event
        # loop when a batch's write finds bad references (``_write``); a ``+=`` and a length
        # check followed by an append are not atomic across threads, so they share this lock.
        self._rejecting = threading.Lock()

    async def load(self, stream: Iterable[tuple[RowKind, RawRows]]) -> LoadReport:
        report = LoadReport()
        return await self._write_kinds(report, self._kinds(stream, report))

    def _kinds(
        self, stream: Iterable[tuple[RowKind, RawRows]], report: LoadReport
    ) -> Iterator[tuple[RowKind, KindReport, Iterator[tuple[int, _Batch]]]]:
        """Each kind of the stream with its report, added to ``report``, and its batches made as read."""
        for kind, raw_rows in stream:
            kind_report = KindReport(kind=kind.name)
            report.kinds.append(kind_report)
            yield kind, kind_report, self._batches(kind, raw_rows, kind_report, report)

    async def _write_kinds(
        self, report: LoadReport, kinds: Iterable[tuple[RowKind, KindReport, Iterator[tuple[int, _Batch]]]]
    ) -> LoadReport:
        """Write the kinds one after the other, timing each and the whole."""
        started = time.perf_counter()
        for kind, kind_report, batches in kinds:
            kind_started = time.perf_counter()
            await self._load_kind(kind, batches, kind_report, report)
            kind_report.seconds = time.perf_counter() - kind_started
        if self._refresh_derived:
            await refresh_serves(self._driver, self._database)
        report.seconds = time.perf_counter() - started
        return report

    async def _load_kind(
        self, kind: RowKind, batches: Iterator[tuple[int, _Batch]], kind_report: KindReport, report: LoadReport
    ) -> None:
        """Take batches here while ``concurrency`` writers send earlier ones to Neo4j, each its own lane."""
        lanes: list[asyncio.Queue[_Batch | None]] = [asyncio.Queue(maxsize=1) for _ in range(self._concurrency)]

        async def writer(lane: asyncio.Queue[_Batch | None]) -> None:
            while (batch := await lane.get()) is not None:
                async with translated():
                    await self._write(batch, kind_report, report)
                if self._on_progress is not None:
                    self._on_progress(kind.name, kind_report.loaded + kind_report.rejected)

        try:
            async with asyncio.TaskGroup() as writers:
                for lane in lanes:
                    writers.create_task(writer(lane))
                # Rows are read, parsed and batched in a thread: done here, making a batch would hold
                # the event loop for its whole length, and the writers could neither hand Neo4j
                # their next batch nor take its answer meanwhile, leaving Neo4j idle.
                # The next batch is made while this one waits for its lane.
                ahead = asyncio.ensure_future(asyncio.to_thread(next, batches, None))
                while (made := await ahead) is not None:
                    ahead = asyncio.ensure_future(asyncio.to_thread(next, batches, None))
                    number, batch = made
                    await lanes[number].put(batch)
                for lane in lanes:
                    await lane.put(None)
        except BaseExceptionGroup as failed:
            # A writer failed and the others were stopped: surface the first cause as it is.
            raise failed.exceptions[0] from None

    def _batches(
        self, kind: RowKind, raw_rows: RawRows, kind_report: KindReport, report: LoadReport
    ) -> Iterator[tuple[int, _Batch]]:
        """Full batches with the lane (writer) each goes to, then each lane's rest.

        Concurrent writers must not change the same node: each would wait for the other's commit.
        A kind partitioned by a reference (see ``RowKind.partition``) gives each of its nodes to
        one lane, the one with the fewest rows when the node is first seen. Kinds without a
        partition take turns.
        """
        lanes = self._concurrency
        position = kind.position(kind.partition) if kind.partition else None
        groups = _Groups(lanes)
        pending = [_Batch(kind) for _ in range(lanes)]
        turn = 0
        for origin, row in self._parsed(kind, raw_rows, kind_report, report):
            lane = groups.of(row[position]) if position is not None else turn
            batch = pending[lane]
            batch.rows.append(row)
            batch.origins.append(origin)
            if len(batch.rows) >= self._batch_size:
                yield lane, _ready(batch)
                pending[lane] = _Batch(kind)
                turn = (turn + 1) % lanes
        for lane, batch in enumerate(pending):
            if batch.rows:
                yield lane, _ready(batch)

    def _parsed(
        self, kind: RowKind, raw_rows: RawRows, kind_report: KindReport, report: LoadReport
    ) -> Iterator[tuple[Origin, Row]]:
        """The rows that parse, with their origins; those that do not are rejected here."""
        if isinstance(raw_rows, TypedRows):
            for origin, row in raw_rows.numbered():
                kind_report.read += 1
                yield origin, row
            return
        parse = kind.parse
        for origin, raw in raw_rows:
            kind_report.read += 1
            try:
                row = parse(raw)
            except RowError as exc:
                self._reject(report, kind_report, Rejection(origin, kind.name, str(exc)))
                continue
            yield origin, row

    async def _write(self, batch: _Batch, kind_report: KindReport, report: LoadReport) -> None:
        try:
            async with self._driver.session(database=self._database) as session:
                parameters = batch.parameters or _parameters(batch.kind, batch.rows)
                outcome = await session.execute_write(_write_batch, batch.kind, batch.rows, parameters)
        except ClientError as exc:
            # Something in the batch the checks did not foresee: split it to isolate the bad rows.
            if len(batch.rows) == 1:
                self._reject(report, kind_report, Rejection(batch.origins[0], batch.kind.name, exc.message or str(exc)))
                return
            middle = len(batch.rows) // 2
            for part in (slice(0, middle), slice(middle, None)):
                await self._write(_Batch(batch.kind, batch.rows[part], batch.origins[part]), kind_report, report)
            return
        missing, counters = outcome
        for index, reason in missing:
            self._reject(report, kind_report, Rejection(batch.origins[index], batch.kind.name, reason))
        kind_report.loaded += len(batch.rows) - len(missing)
        kind_report.nodes_created += counters.nodes_created
        kind_report.relationships_created += counters.relationships_created
        kind_report.relationships_deleted += counters.relationships_deleted
        kind_report.properties_set += counters.properties_set

    def _reject(self, report: LoadReport, kind_report: KindReport, rejection: Rejection) -> None:
        with self._rejecting:
            kind_report.rejected += 1
            if len(report.rejections) < self._keep_rejections:
                report.rejections.append(rejection)


class _Sent(list[Any]):
    """A batch's rows or one of its tables as the driver sends them, with a short ``repr``.

    The driver formats every RUN's parameters for its debug log before it asks whether debug
    logging is on; for a batch of thousands of rows that text cost more than packing them.
    """

    def __repr__(self) -> str:
        return f"<{len(self)} items>"


class _Groups:
    """Which of ``count`` groups each node (by id) belongs to; a new node joins the smallest."""

    def __init__(self, count: int) -> None:
        self._group_of: dict[object, int] = {}
        self._rows = [0] * count

    def of(self, node_id: object) -> int:
        if node_id is None:  # the row changes no node the kind is split by: any group will do
            group = self._rows.index(min(self._rows))
        elif (group := self._group_of.get(node_id, -1)) < 0:
            group = self._group_of[node_id] = self._rows.index(min(self._rows))
        self._rows[group] += 1
        return group


def _ready(batch: _Batch) -> _Batch:
    """The batch as it goes to a writer: sorted for locking, its parameters made."""
    ordered = _lock_ordered(batch)
    ordered.parameters = _parameters(ordered.kind, ordered.rows)
    return ordered


def _parameters(kind: RowKind, rows: list[Row]) -> dict[str, object]:
    """The write statement's parameters: the rows and, for each tabled reference, its table.

    A table lists the batch's distinct ids of that field in the order the rows first use them,
    and the rows sent carry each id's position in it (see ``RowKind.tables``). The batch's own
    rows keep the ids, for the reasons of rejections.
    """
    if not kind.tables:
        return {"rows": _Sent(rows)}
    sent = [row.copy() for row in rows]
    parameters: dict[str, object] = {}
    for name in kind.tables:
        position = kind.position(name)
        table: dict[object, int] = {}
        for row in sent:
            row[position] = table.setdefault(row[position], len(table))
        parameters[f"{name}s"] = _Sent(table)
    parameters["rows"] = _Sent(sent)
    return parameters


def _lock_ordered(batch: _Batch) -> _Batch:
    """The batch sorted by the shared nodes it refers to.

    Concurrent batches then take their locks on shared nodes in the same order, which keeps
    them from deadlocking each other. The nodes a kind is partitioned by are not shared
    between concurrent writers, so they do not take part, and a kind that refers to nothing
    else keeps its order. The sort is stable: rows that share their nodes keep theirs.
    """
    fields = [reference.field for reference in batch.kind.references if reference.field != batch.kind.partition]
    if not fields:
        return batch
    rows = batch.rows
    keys: list[Any] = list(map(_sort_key(batch.kind, fields), rows))
    order = sorted(range(len(rows)), key=keys.__getitem__)
    return _Batch(batch.kind, [rows[i] for i in order], [batch.origins[i] for i in order])


def _sort_key(kind: RowKind, fields: list[str]) -> Callable[[Row], Any]:
    """The fields' values of a row, fast; an optional reference left empty sorts first."""
    positions = [kind.position(field) for field in fields]
    if all(kind.fields[position].required for position in positions):
        return operator.itemgetter(*positions)
    return lambda row: tuple(row[position] or "" for position in positions)


async def _write_batch(
    tx: AsyncManagedTransaction, kind: RowKind, rows: list[Row], parameters: dict[str, object]
) -> tuple[list[tuple[int, str]], Any]:
    """Write the batch in one statement; it reports the rows whose references point nowhere."""
    result = await tx.run(kind.write, parameters)
    missing: list[tuple[int, str]] = []
    labels = {reference.field: reference.label for reference in kind.references}
    async for record in result:
        row = rows[record["n"]]
        reasons = [
            f"{field} '{row[kind.position(field)]}': no {labels[field]} with that id" for field in record["missing"]
        ]
        missing.append((record["n"], "; ".join(reasons)))
    summary = await result.consume()
    return missing, summary.counters
