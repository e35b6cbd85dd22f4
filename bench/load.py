"""A small closed-loop load generator: fixed concurrency, warm-up, bounded duration, errors counted."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


@dataclass
class Stats:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    # CPU seconds each metered process spent during the measured window (see ``measure``).
    cpu_seconds: dict[str, float] = field(default_factory=dict)

    def cpu_ms_per_request(self, meter: str) -> float:
        done = self.requests + self.errors
        return 1000 * self.cpu_seconds[meter] / done if meter in self.cpu_seconds and done else float("nan")

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    def percentile(self, share: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def p99(self) -> float:
        return self.percentile(0.99)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        return (
            f"{self.name:<34} p50 {self.p50:7.1f} ms  p99 {self.p99:7.1f} ms  "
            f"{self.rps:7.1f} req/s  {self.requests:6d} ok  {self.errors} errors"
        )


async def measure(
    name: str,
    call: Callable[[T], Awaitable[object]],
    samples: Sequence[T],
    *,
    concurrency: int = 8,
    warmup: float = 3.0,
    duration: float = 15.0,
    seed: int = 1,
    cpu_meters: Mapping[str, Callable[[], float]] | None = None,
) -> Stats:
    """Run ``call`` on random samples from ``concurrency`` loops; record only after the warm-up.

    ``cpu_meters`` (name: a function giving a process's CPU seconds so far) are read when the
    warm-up ends and when the run does: ``Stats.cpu_seconds`` holds what each spent between.
    """
    stats = Stats(name)
    meters = dict(cpu_meters or {})
    at_start: dict[str, float] = {}
    rng = random.Random(seed)
    started = time.perf_counter()
    measuring_from = started + warmup
    stop_at = measuring_from + duration

    async def loop() -> None:
        while (now := time.perf_counter()) < stop_at:
            sample = samples[rng.randrange(len(samples))]
            try:
                await call(sample)
            except Exception:
                if now >= measuring_from:
                    stats.errors += 1
                continue
            if now >= measuring_from:
                stats.latencies_ms.append((time.perf_counter() - now) * 1000)

    async def read_meters_after_warmup() -> None:
        await asyncio.sleep(warmup)
        at_start.update({meter: read() for meter, read in meters.items()})

    await asyncio.gather(read_meters_after_warmup(), *(loop() for _ in range(concurrency)))
    stats.seconds = time.perf_counter() - measuring_from
    stats.cpu_seconds = {meter: read() - at_start[meter] for meter, read in meters.items() if meter in at_start}
    return stats


def process_cpu_seconds(pid: int, *, with_children: bool = True) -> float:
    """User plus system CPU seconds of a running process and (by default) its live child processes."""
    pids = [pid]
    if with_children:
        with contextlib.suppress(OSError):
            pids += [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    total = 0.0
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a child that just ended
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total
