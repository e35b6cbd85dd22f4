"""Demo orders, their lines and their steps, streamed block by block.

Orders are numbered in time order and cut into blocks (about 2,000 in all). Each block draws
from generators of its own: a *plan* (how many orders of each status and line count, from the
block's age alone), a *core* (time and customer of each order), *lines* and *steps*. Asking
for one kind regenerates only what it needs, and ``count`` needs only the plans, so counting
half a million orders' steps takes milliseconds. Rows come typed, as ``graph.load.rows`` parses
them (values in field order, times as ``[epoch seconds, 0]``): the loader takes them as they
are, and ``DemoCompany.rows`` turns them into mappings for everyone else.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterator
from random import Random

from demo_company.draws import Timeline, compose, seeded
from demo_company.org import CURRENCIES, World
from graph.load.rows import Row
from graph.model import Function, OrderStatus, OrderStep

STATUSES = (
    OrderStatus.PLACED,
    OrderStatus.IN_PRODUCTION,
    OrderStatus.PICKING,
    OrderStatus.SHIPPED,
    OrderStatus.INVOICED,
    OrderStatus.CANCELLED,
)
CANCELLED = STATUSES.index(OrderStatus.CANCELLED)
STEP_COUNTS = (1, 2, 3, 4, 5, 1)
STEPS = tuple(step.value for step in OrderStep)
STEP_FUNCTIONS = (Function.SALES, Function.MANUFACTURING, Function.WAREHOUSE, Function.WAREHOUSE, Function.FINANCE)
# Each step after the previous one: a minimum plus an exponential wait with this mean (seconds).
STEP_MINIMUM = (300.0, 12 * 3600.0, 2 * 3600.0, 3600.0, 1800.0)
STEP_MEAN = (2 * 3600.0, 3 * 86400.0, 86400.0, 10 * 3600.0, 1.5 * 86400.0)
# When (in days) half the orders have reached BUILD, PICK, SHIP, INVOICE; and how many ever do.
STEP_MIDPOINT = (3.6, 4.7, 5.2, 6.8)
STEP_COMPLETION = (0.998, 0.996, 0.993, 0.985)
CANCEL_SHARE = 0.03
LINE_SHARES = (0.40, 0.30, 0.18, 0.12)
QUANTITY_MAX = (40, 15, 6, 2)  # by segment
OWNER_SELLS = 0.75


def status_shares(age_days: float) -> list[float]:
    """Expected share of each status among orders of this age."""
    reached = [1.0]
    for midpoint, completion in zip(STEP_MIDPOINT, STEP_COMPLETION, strict=True):
        z = max(-50.0, min(50.0, (age_days - midpoint) / (0.3 * midpoint)))
        reached.append(min(reached[-1], completion / (1.0 + math.exp(-z))))
    reached.append(0.0)
    kept = 1.0 - CANCEL_SHARE
    return [kept * (reached[step] - reached[step + 1]) for step in range(5)] + [CANCEL_SHARE]


class Orders:
    def __init__(self, seed: int, timeline: Timeline, now: float) -> None:
        self._seed = seed
        self._timeline = timeline
        self._now = now

    def count(self, kind: str) -> int:
        if kind == "order":
            return self._timeline.events
        total = 0
        for number in range(self._timeline.blocks):
            statuses, lines = self._plan(number)
            if kind == "order_line":
                total += sum(count * (lines_each + 1) for lines_each, count in enumerate(lines))
            else:
                total += sum(count * steps for count, steps in zip(statuses, STEP_COUNTS, strict=True))
        return total

    def orders(self, world: World) -> Iterator[Row]:
        customers = world.customers
        for number in range(self._timeline.blocks):
            rng = seeded(self._seed, "order_line", number)
            for index, placed, customer, status, line_count in self._core(number, world):
                lines = self._lines(rng, world, customer, line_count)
                yield [
                    f"O{index + 1:07d}",
                    customers.ids[customer],
                    [placed, 0],
                    STATUSES[status].value,
                    round(sum(quantity * price for _, quantity, price in lines), 2),
                    CURRENCIES[customers.currency[customer]],
                ]

    def order_lines(self, world: World) -> Iterator[Row]:
        products = world.catalogue.products
        for number in range(self._timeline.blocks):
            rng = seeded(self._seed, "order_line", number)
            for index, _, customer, _, line_count in self._core(number, world):
                order_id = f"O{index + 1:07d}"
                for product, quantity, price in self._lines(rng, world, customer, line_count):
                    yield [order_id, products[product].id, quantity, price]

    def order_steps(self, world: World) -> Iterator[Row]:
        customers, organisation = world.customers, world.organisation
        latest = self._now - 60
        for number in range(self._timeline.blocks):
            rng = seeded(self._seed, "order_step", number)
            random, expovariate = rng.random, rng.expovariate
            for index, placed, customer, status, _ in self._core(number, world):
                order_id = f"O{index + 1:07d}"
                region = customers.region[customer]
                owner = customers.owner[customer]
                offsets, offset = [], 0.0
                for step in range(STEP_COUNTS[status]):
                    offset += STEP_MINIMUM[step] + expovariate(1.0 / STEP_MEAN[step])
                    offsets.append(offset)
                # An order whose steps would run past now is squeezed into the time it has had.
                squeeze = min(1.0, (latest - placed) / offset)
                previous = placed
                for step, offset in enumerate(offsets):
                    at = max(int(placed + offset * squeeze), previous + 1)
                    previous = at
                    if step == 0 and owner is not None and random() < OWNER_SELLS:
                        employee = owner
                    else:
                        pool = organisation.desk(STEP_FUNCTIONS[step], region)
                        employee = pool[int(random() * len(pool))]
                    yield [order_id, employee, STEPS[step], [at, 0]]

    def _plan(self, number: int) -> tuple[list[int], list[int]]:
        rng = seeded(self._seed, "order_plan", number)
        size = len(self._timeline.block(number))
        statuses = compose(rng, status_shares(self._timeline.age_days(number, self._now)), size)
        return statuses, compose(rng, LINE_SHARES, size)

    def _core(self, number: int, world: World) -> list[tuple[int, int, int, int, int]]:
        """(index, placed at, customer, status, line count) of each order in the block."""
        status_counts, line_counts = self._plan(number)
        rng = seeded(self._seed, "order", number)
        statuses = [status for status, count in enumerate(status_counts) for _ in range(count)]
        rng.shuffle(statuses)
        # Within a block, the older orders are the further along; cancellations fall anywhere.
        slots = [slot for slot, status in enumerate(statuses) if status != CANCELLED]
        progressed = sorted((statuses[slot] for slot in slots), reverse=True)
        for slot, status in zip(slots, progressed, strict=True):
            statuses[slot] = status
        line_numbers = [lines + 1 for lines, count in enumerate(line_counts) for _ in range(count)]
        rng.shuffle(line_numbers)
        since, weights = world.customers.since, world.customers_by_orders
        block, at, random = self._timeline.block(number), self._timeline.at, rng.random
        core = []
        for slot, index in enumerate(block):
            placed = int(at(index, random()))
            known = bisect_right(since, placed)
            customer = min(bisect_right(weights, random() * weights[known - 1], 0, known), known - 1)
            core.append((index, placed, customer, statuses[slot], line_numbers[slot]))
        return core

    @staticmethod
    def _lines(rng: Random, world: World, customer: int, count: int) -> list[tuple[int, int, float]]:
        """(product, quantity, unit price) of distinct products, priced for the customer."""
        customers, catalogue = world.customers, world.catalogue
        prices = catalogue.prices[customers.currency[customer]][customers.tier[customer]]
        most = QUANTITY_MAX[customers.segment[customer]]
        lines: list[tuple[int, int, float]] = []
        chosen: list[int] = []
        for _ in range(count):
            product, tries = catalogue.popular(rng), 0
            while product in chosen:
                tries += 1
                product = catalogue.popular(rng) if tries < 8 else int(rng.random() * len(prices))
            chosen.append(product)
            lines.append((product, 1 + int(rng.random() ** 3 * most), prices[product]))
        return lines
