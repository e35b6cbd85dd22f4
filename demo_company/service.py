"""Demo interactions and tickets with their hand-off chains, streamed block by block.

Like orders, both are numbered in time order and generated in blocks with generators of their
own. A ticket's hand-off count comes from its block's plan (so ``count`` stays cheap); its
waits have a heavy tail, and a share of tickets is left stuck open, more of them for high-value
customers, so that service-level breaches exist to be found.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from itertools import accumulate
from random import Random

from demo_company import text
from demo_company.draws import Timeline, compose, seeded
from demo_company.org import Organisation, World
from graph.load.rows import Row as TypedRow
from graph.model import Channel, Function, Priority, TicketStatus

Row = dict[str, object]
DAY = 86400.0

# Who customers deal with, and on which channels each function is reached.
CONTACT_MIX: dict[Function, float] = {
    Function.SERVICE: 28,
    Function.SALES: 26,
    Function.FINANCE: 12,
    Function.ENGINEERING: 10,
    Function.MARKETING: 9,
    Function.WAREHOUSE: 8,
    Function.MANUFACTURING: 4,
    Function.HR: 3,
}
CHANNEL_MIX: dict[Function, dict[Channel, float]] = {
    Function.SALES: {Channel.MEETING: 28, Channel.PHONE: 30, Channel.EMAIL: 30, Channel.CHAT: 5, Channel.SOCIAL: 7},
    Function.MARKETING: {Channel.SOCIAL: 30, Channel.WEB: 35, Channel.EMAIL: 25, Channel.MEETING: 10},
    Function.SERVICE: {
        Channel.PHONE: 30,
        Channel.EMAIL: 22,
        Channel.CHAT: 22,
        Channel.PORTAL: 16,
        Channel.WEB: 5,
        Channel.SOCIAL: 5,
    },
    Function.MANUFACTURING: {Channel.MEETING: 35, Channel.EMAIL: 40, Channel.PHONE: 25},
    Function.WAREHOUSE: {Channel.PHONE: 40, Channel.EMAIL: 30, Channel.PORTAL: 25, Channel.CHAT: 5},
    Function.FINANCE: {Channel.EMAIL: 50, Channel.PORTAL: 30, Channel.PHONE: 20},
    Function.HR: {Channel.EMAIL: 60, Channel.MEETING: 30, Channel.PHONE: 10},
    Function.ENGINEERING: {
        Channel.EMAIL: 35,
        Channel.MEETING: 25,
        Channel.PORTAL: 20,
        Channel.PHONE: 10,
        Channel.CHAT: 10,
    },
}
OWNER_MEETS = 0.6

PRIORITIES = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)
PRIORITY_MIX = ((5, 40, 35, 20), (10, 50, 30, 10), (20, 55, 20, 5), (25, 60, 12, 3))  # by tier
# Further hand-offs after triage: shares of 0..6, and the most a ticket of this age (days) has had.
EXTRA_SHARES = (0.12, 0.25, 0.28, 0.17, 0.10, 0.05, 0.03)
EXTRA_CAPS = ((0.25, 1), (1.0, 2), (3.0, 3), (7.0, 4))
# Where a ticket goes next from each function.
NEXT: dict[Function, tuple[tuple[Function, float], ...]] = {
    Function.SERVICE: (
        (Function.ENGINEERING, 35),
        (Function.FINANCE, 20),
        (Function.WAREHOUSE, 15),
        (Function.SERVICE, 15),
        (Function.SALES, 8),
        (Function.MANUFACTURING, 7),
    ),
    Function.ENGINEERING: (
        (Function.SERVICE, 40),
        (Function.ENGINEERING, 20),
        (Function.MANUFACTURING, 20),
        (Function.FINANCE, 10),
        (Function.WAREHOUSE, 10),
    ),
    Function.FINANCE: ((Function.SERVICE, 35), (Function.SALES, 25), (Function.FINANCE, 25), (Function.WAREHOUSE, 15)),
    Function.WAREHOUSE: (
        (Function.SERVICE, 40),
        (Function.FINANCE, 25),
        (Function.WAREHOUSE, 20),
        (Function.MANUFACTURING, 15),
    ),
    Function.MANUFACTURING: ((Function.ENGINEERING, 35), (Function.SERVICE, 35), (Function.WAREHOUSE, 30)),
    Function.SALES: ((Function.SERVICE, 40), (Function.FINANCE, 40), (Function.SALES, 20)),
}
NEXT_FUNCTIONS = {source: [function for function, _ in hops] for source, hops in NEXT.items()}
NEXT_TOTALS = {source: list(accumulate(weight for _, weight in hops)) for source, hops in NEXT.items()}
TOPIC_FIRST = 0.75  # how often the first escalation goes to the function the topic belongs to
HAND_OFF_WAIT_MEDIAN, HAND_OFF_WAIT_SIGMA, HAND_OFF_WAIT_MAX = 4 * 3600.0, 1.4, 21 * DAY
RESOLVE_MEDIAN, RESOLVE_SIGMA = 10 * 3600.0, 1.2
# Chance a ticket is left stuck open: recent weeks, high tiers (PLATINUM, GOLD), older history.
STUCK_RECENT, STUCK_RECENT_HIGH_TIER, STUCK_OLD, STUCK_WINDOW = 0.05, 0.12, 0.005, (14 * DAY, 180 * DAY)


def _draw(rng: Random, cumulative: Sequence[float]) -> int:
    return bisect_right(cumulative, rng.random() * cumulative[-1])


def extra_shares(age_days: float) -> list[float]:
    """Shares of 0..6 further hand-offs for tickets of this age: young ones have had fewer."""
    cap = next((most for younger_than, most in EXTRA_CAPS if age_days < younger_than), len(EXTRA_SHARES) - 1)
    kept = [share if extra <= cap else 0.0 for extra, share in enumerate(EXTRA_SHARES)]
    return [share / sum(kept) for share in kept]


class Interactions:
    def __init__(self, seed: int, timeline: Timeline) -> None:
        self._seed = seed
        self._timeline = timeline

    def count(self) -> int:
        return self._timeline.events

    def rows(self, world: World) -> Iterator[TypedRow]:
        """Interactions typed as ``graph.load.rows`` parses them (times as ``[epoch seconds, 0]``),
        the biggest kind: the loader takes them as they are (see ``DemoCompany.typed_rows``)."""
        customers, organisation = world.customers, world.organisation
        functions = list(CONTACT_MIX)
        function_totals = list(accumulate(CONTACT_MIX.values()))
        channels = [[channel.value for channel in CHANNEL_MIX[function]] for function in functions]
        channel_totals = [list(accumulate(CHANNEL_MIX[function].values())) for function in functions]
        summaries = self._summaries(world, functions)
        sales = functions.index(Function.SALES)
        since, weights = customers.since, world.customers_by_contacts
        for number in range(self._timeline.blocks):
            rng = seeded(self._seed, "interaction", number)
            random, at = rng.random, self._timeline.at
            for index in self._timeline.block(number):
                when = int(at(index, random()))
                known = bisect_right(since, when)
                customer = min(bisect_right(weights, random() * weights[known - 1], 0, known), known - 1)
                function = bisect_right(function_totals, random() * function_totals[-1])
                channel = bisect_right(channel_totals[function], random() * channel_totals[function][-1])
                owner = customers.owner[customer]
                if function == sales and owner is not None and random() < OWNER_MEETS:
                    employee = owner
                else:
                    pool = organisation.pool(functions[function], customers.region[customer])
                    employee = pool[int(random() * len(pool))]
                options = summaries[function][channel]
                yield [
                    f"I{index + 1:07d}",
                    customers.ids[customer],
                    employee,
                    [when, 0],
                    channels[function][channel],
                    options[int(random() * len(options))],
                ]

    def _summaries(self, world: World, functions: list[Function]) -> list[list[list[str]]]:
        """Ready-made summaries per function and channel, naming a few popular products."""
        rng = seeded(self._seed, "interaction_text")
        table = []
        for function in functions:
            topics = [
                topic.format(product=product)
                for topic in text.TOPICS[function]
                for product in (world.catalogue.names(rng, 3) if "{product}" in topic else [""])
            ]
            table.append(
                [
                    [text.CHANNEL_PHRASES[channel].format(topic=topic) for topic in topics]
                    for channel in CHANNEL_MIX[function]
                ]
            )
        return table


class Tickets:
    def __init__(self, seed: int, timeline: Timeline, now: float) -> None:
        self._seed = seed
        self._timeline = timeline
        self._now = now

    def count(self, kind: str) -> int:
        if kind == "ticket":
            return self._timeline.events
        return sum(
            count * (extra + 1)
            for number in range(self._timeline.blocks)
            for extra, count in enumerate(self._plan(number))
        )

    def tickets(self, world: World) -> Iterator[Row]:
        for ticket, _ in self._generate(world):
            yield ticket

    def hand_offs(self, world: World) -> Iterator[Row]:
        for _, chain in self._generate(world):
            yield from chain

    def _plan(self, number: int) -> list[int]:
        rng = seeded(self._seed, "ticket_plan", number)
        return compose(rng, extra_shares(self._timeline.age_days(number, self._now)), len(self._timeline.block(number)))

    def _generate(self, world: World) -> Iterator[tuple[Row, list[Row]]]:
        customers, organisation, catalogue = world.customers, world.organisation, world.catalogue
        topic_totals = list(accumulate(text.TICKET_TOPIC_WEIGHTS))
        priority_totals = [list(accumulate(mix)) for mix in PRIORITY_MIX]
        since, weights, now = customers.since, world.customers_by_tickets, self._now
        for number in range(self._timeline.blocks):
            rng = seeded(self._seed, "ticket", number)
            extras = [extra for extra, count in enumerate(self._plan(number)) for _ in range(count)]
            rng.shuffle(extras)
            for slot, index in enumerate(self._timeline.block(number)):
                opened = int(self._timeline.at(index, rng.random()))
                known = bisect_right(since, opened)
                customer = min(bisect_right(weights, rng.random() * weights[known - 1], 0, known), known - 1)
                region, tier = customers.region[customer], customers.tier[customer]
                topic_function, subjects = text.TICKET_TOPICS[_draw(rng, topic_totals)]
                subject = rng.choice(subjects).format(
                    product=catalogue.products[catalogue.popular(rng)].name, code=rng.randint(10000, 99999)
                )
                hops = self._hops(rng, organisation, region, topic_function, extras[slot])
                offset = hops[-1][2]
                squeeze = min(1.0, (now - 60 - opened) / offset)
                chain: list[Row] = []
                previous, by_id = opened, None
                for employee, _, hop_offset, reason in hops:
                    at = max(int(opened + hop_offset * squeeze), previous + 1)
                    chain.append(
                        {
                            "ticket_id": f"T{index + 1:06d}",
                            "employee_id": employee,
                            "at": datetime.fromtimestamp(at, UTC),
                            "by_id": by_id,
                            "reason": reason,
                        }
                    )
                    previous, by_id = at, employee
                closes = previous + 1800 + int(rng.lognormvariate(math.log(RESOLVE_MEDIAN), RESOLVE_SIGMA))
                status, closed_at = self._outcome(rng, now - opened, tier, len(hops), closes)
                ticket: Row = {
                    "id": f"T{index + 1:06d}",
                    "customer_id": customers.ids[customer],
                    "opened_at": datetime.fromtimestamp(opened, UTC),
                    "closed_at": None if closed_at is None else datetime.fromtimestamp(closed_at, UTC),
                    "status": status.value,
                    "priority": PRIORITIES[_draw(rng, priority_totals[tier])].value,
                    "subject": subject,
                }
                yield ticket, chain

    @staticmethod
    def _hops(
        rng: Random, organisation: Organisation, region: str, topic_function: Function, extras: int
    ) -> list[tuple[str, Function, float, str]]:
        """The chain as (employee, function, seconds after opening, reason): triage, then ``extras`` more."""
        service = organisation.first_line(region)
        offset = 60 + rng.expovariate(1 / 1800)
        hops = [(rng.choice(service), Function.SERVICE, offset, rng.choice(text.TRIAGE_REASONS))]
        for extra in range(extras):
            current, function = hops[-1][0], hops[-1][1]
            target: Function
            if extra == 0 and rng.random() < TOPIC_FIRST:
                target = topic_function
            else:
                target = NEXT_FUNCTIONS[function][_draw(rng, NEXT_TOTALS[function])]
            pool = organisation.pool(target, region)
            employee = rng.choice(pool)
            for _ in range(5):
                if employee != current:
                    break
                employee = rng.choice(pool)
            if employee == current:
                target, employee = (
                    Function.SERVICE,
                    rng.choice([other for other in service if other != current] or pool),
                )
            reasons = text.SAME_FUNCTION_REASONS if target is function else text.HAND_OFF_REASONS[target]
            wait = rng.lognormvariate(math.log(HAND_OFF_WAIT_MEDIAN), HAND_OFF_WAIT_SIGMA)
            offset += 300 + min(wait, HAND_OFF_WAIT_MAX)
            hops.append((employee, target, offset, rng.choice(reasons)))
        return hops

    def _outcome(self, rng: Random, age: float, tier: int, hops: int, closes: int) -> tuple[TicketStatus, int | None]:
        low, high = STUCK_WINDOW
        if low <= age <= high:
            stuck = rng.random() < (STUCK_RECENT_HIGH_TIER if tier <= 1 else STUCK_RECENT)
        else:
            stuck = age > high and rng.random() < STUCK_OLD
        if stuck:
            return (TicketStatus.WAITING if rng.random() < 0.6 else TicketStatus.IN_PROGRESS), None
        if closes > self._now:
            if hops == 1:
                return TicketStatus.OPEN, None
            return (TicketStatus.IN_PROGRESS if rng.random() < 0.5 else TicketStatus.WAITING), None
        return (TicketStatus.RESOLVED if self._now - closes < 5 * DAY else TicketStatus.CLOSED), closes
