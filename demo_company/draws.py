"""How the demo generator draws: seeded generators, exact mixes, and when events happen.

Nothing here knows the domain; ``demo_company.org``, ``demo_company.orders`` and
``demo_company.service`` build on it.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

WEEK = 7 * 86400
MONDAY = 4 * 86400  # 1970-01-05, the first Monday of Unix time


def _week_shape() -> tuple[list[float], list[tuple[float, float, float]]]:
    """Business hours: 80% of activity on weekdays 07:00-19:00, 10% on weekday nights, 10% at weekends.

    Returned as the cumulative share at the start of each stretch of the week, and for each
    stretch its share, start and length in seconds, for mapping a uniform position onto it.
    """
    stretches: list[tuple[float, float, float]] = []
    for day in range(7):
        hours = ((0, 7, 0.10 / 60), (7, 19, 0.80 / 60), (19, 24, 0.10 / 60)) if day < 5 else ((0, 24, 0.10 / 48),)
        for first, last, per_hour in hours:
            stretches.append(((last - first) * per_hour, (day * 24 + first) * 3600.0, (last - first) * 3600.0))
    starts = list(accumulate((share for share, _, _ in stretches), initial=0.0))[:-1]
    return starts, stretches


WEEK_STARTS, WEEK_STRETCHES = _week_shape()


def seeded(seed: int, *parts: object) -> random.Random:
    """A generator of its own for one purpose; seeding from text is stable across processes."""
    return random.Random("/".join(map(str, (seed, *parts))))


def compose(rng: random.Random, shares: Sequence[float], n: int) -> list[int]:
    """How many of ``n`` things fall in each share: the rounded expectation, remainders drawn.

    Counts stay within one of ``share * n``, so large batches have exactly the intended mix and
    a batch of one is an ordinary weighted draw.
    """
    exact = [share * n for share in shares]
    counts = [int(value) for value in exact]
    rest = [value - count for value, count in zip(exact, counts, strict=True)]
    for _ in range(n - sum(counts)):
        open_rest = [(index, value) for index, value in enumerate(rest) if value > 0]
        if not open_rest:
            index = max(range(len(shares)), key=shares.__getitem__)
        else:
            draw = rng.random() * sum(value for _, value in open_rest)
            index = open_rest[-1][0]
            for candidate, value in open_rest:
                draw -= value
                if draw < 0:
                    index = candidate
                    break
        counts[index] += 1
        rest[index] = 0.0
    return counts


@dataclass(frozen=True, slots=True)
class Timeline:
    """Where ``events`` activities fall in the activity window, cut into blocks generated alone.

    Event ``i`` happens at a fixed fraction of the window plus jitter inside its own slot, so
    events are numbered in time order; the window is warped so that later slots are shorter
    (the business grows: about 1.7 times as many events a day at the end as at the start).
    """

    start: float
    end: float
    events: int
    block_size: int

    @classmethod
    def spread(cls, start: float, end: float, events: int, blocks: int) -> Timeline:
        return cls(start, end, events, max(1, -(-events // blocks)))

    @property
    def blocks(self) -> int:
        return -(-self.events // self.block_size)

    def block(self, number: int) -> range:
        return range(number * self.block_size, min(self.events, (number + 1) * self.block_size))

    def at(self, index: int, jitter: float) -> float:
        share = (index + jitter) / self.events
        uniform = self.start + (self.end - self.start) * (share + 0.25 * share * (1.0 - share))
        # Reshape within the week, which keeps the order of events: business hours get most.
        week_start = uniform - (uniform - MONDAY) % WEEK
        position = (uniform - week_start) / WEEK
        stretch = bisect_right(WEEK_STARTS, position) - 1
        share_of, offset, length = WEEK_STRETCHES[stretch]
        shaped = week_start + offset + length * (position - WEEK_STARTS[stretch]) / share_of
        return min(shaped, self.end)

    def age_days(self, number: int, now: float) -> float:
        """Age at ``now`` of the middle of block ``number``, in days."""
        span = self.block(number)
        return (now - self.at(span.start, len(span) / 2)) / 86400
