"""A small closed-loop load generator: fixed concurrency, warm-up, bounded duration, errors counted."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


@dataclass
class Stats:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

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
) -> Stats:
    """Run ``call`` on random samples from ``concurrency`` loops; record only after the warm-up."""
    stats = Stats(name)
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

    await asyncio.gather(*(loop() for _ in range(concurrency)))
    stats.seconds = time.perf_counter() - measuring_from
    return stats
