"""Progress of long loads: a bar per row kind on a terminal, a line every few seconds elsewhere."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from tqdm import tqdm

from graph.load.loader import LoadReport


class LoadProgress:
    """A loader ``on_progress`` callback that shows how far each row kind has got."""

    def __init__(
        self,
        totals: dict[str, int] | None = None,
        *,
        stream: TextIO = sys.stderr,
        every: float = 5.0,
        verb: str = "loading",
    ) -> None:
        self._totals = totals or {}
        self._verb = verb
        self._stream = stream
        self._every = every
        self._interactive = stream.isatty()
        self._kind: str | None = None
        self._bar: tqdm[Any] | None = None
        self._last_line = 0.0

    def __call__(self, kind: str, done: int) -> None:
        if kind != self._kind:
            self.close()
            self._kind = kind
            if self._interactive:
                self._bar = tqdm(
                    total=self._totals.get(kind), desc=f"{self._verb} {kind:<17}", unit=" rows", file=self._stream
                )
        if self._bar is not None:
            self._bar.update(done - self._bar.n)
            return
        now = time.monotonic()
        if now - self._last_line >= self._every:
            self._last_line = now
            total = self._totals.get(kind)
            share = f" ({done / total:.0%})" if total else ""
            of_total = f"/{total:,}" if total else ""
            print(f"{self._verb} {kind}: {done:,}{of_total} rows{share}", file=self._stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class TotalProgress:
    """A loader ``on_progress`` callback with one bar (or a line every few seconds) for the whole
    load, for a start-up step that should take one line, not one per row kind."""

    def __init__(self, totals: dict[str, int], *, stream: TextIO = sys.stderr, every: float = 5.0, label: str) -> None:
        self._total = sum(totals.values())
        self._stream = stream
        self._every = every
        self._label = label
        self._kind: str | None = None
        self._done_before = 0  # rows of the kinds already finished
        self._done = 0
        self._last_line = time.monotonic()
        self._bar: tqdm[Any] | None = None
        if stream.isatty():
            self._bar = tqdm(total=self._total, desc=label, unit=" rows", file=stream, leave=False)

    def __call__(self, kind: str, done: int) -> None:
        if kind != self._kind:
            self._done_before += self._done
            self._kind = kind
        self._done = done
        position = self._done_before + done
        if self._bar is not None:
            self._bar.update(position - self._bar.n)
            return
        now = time.monotonic()
        if now - self._last_line >= self._every:
            self._last_line = now
            share = position / self._total if self._total else 0.0
            print(f"{self._label}: {position:,}/{self._total:,} rows ({share:.0%})", file=self._stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def format_summary(report: LoadReport) -> str:
    """The report's last line: rows loaded and rejected, what was created, how fast."""
    rate = report.elements_created / report.seconds if report.seconds else 0.0
    return (
        f"loaded {report.rows_loaded:,} rows, rejected {report.rows_rejected:,}; created "
        f"{report.elements_created:,} nodes and relationships in {report.seconds:.1f}s ({rate:,.0f}/s)"
    )


def format_report(report: LoadReport, *, show_rejections: int = 20) -> str:
    lines = [f"{'kind':<18}{'read':>11}{'loaded':>11}{'rejected':>10}{'nodes+':>11}{'rels+':>11}{'seconds':>9}"]
    for kind in report.kinds:
        lines.append(
            f"{kind.kind:<18}{kind.read:>11,}{kind.loaded:>11,}{kind.rejected:>10,}"
            f"{kind.nodes_created:>11,}{kind.relationships_created:>11,}{kind.seconds:>9.1f}"
        )
    lines.append(format_summary(report))
    for rejection in report.rejections[:show_rejections]:
        lines.append(f"  rejected {rejection}")
    if report.rows_rejected > show_rejections:
        lines.append(f"  ... and {report.rows_rejected - show_rejections:,} more rejected rows")
    return "\n".join(lines)
