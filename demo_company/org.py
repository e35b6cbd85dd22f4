"""The demo company's standing data: departments, people, catalogue and customers.

These kinds are small (a few thousand people, a hundred thousand customers at most), so they
are built once per generator and held in memory; the streaming kinds in ``demo_company.orders``
and ``demo_company.service`` draw on them. Every builder takes its own ``random.Random`` seeded
from the company seed and its kind's name, so the result never depends on what else was
generated first.
"""

from __future__ import annotations

import random
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from demo_company import text
from demo_company.draws import compose, seeded
from graph.model import Function, Segment, Tier

TIERS = (Tier.PLATINUM, Tier.GOLD, Tier.SILVER, Tier.BRONZE)
TIER_SHARES = (0.025, 0.095, 0.25, 0.63)
SEGMENTS = (Segment.ENTERPRISE, Segment.MID_MARKET, Segment.SMB, Segment.CONSUMER)
# Segment mix within each tier, in TIERS order.
SEGMENT_MIX = ((60, 30, 10, 0), (35, 40, 20, 5), (12, 38, 40, 10), (2, 16, 54, 28))
REGION_MIX = (45, 40, 15)
HQ_REGION_MIX = (60, 25, 15)
CURRENCIES = ("EUR", "USD", "GBP", "CHF")
EUR_RATE = (1.0, 1.08, 0.86, 0.95)
CURRENCY_MIX = {text.EMEA: (75, 0, 15, 10), text.AMERICAS: (0, 100, 0, 0), text.APAC: (30, 70, 0, 0)}
TIER_DISCOUNT = (0.12, 0.08, 0.04, 0.0)
YEAR = 365.25 * 86400


def ascii_slug(words: str, separator: str = "") -> str:
    plain = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", separator, plain).strip(separator)


def pick_region(rng: random.Random, mix: Sequence[float]) -> str:
    return rng.choices(text.REGIONS, weights=mix)[0]


@dataclass(frozen=True, slots=True)
class Unit:
    """A department as the generator knows it."""

    id: str
    name: str
    function: Function
    region: str | None


@dataclass(frozen=True, slots=True)
class Person:
    """An employee as the generator knows them."""

    id: str
    name: str
    email: str
    title: str
    unit: Unit
    manager_id: str | None


class Organisation:
    """Departments and people: an executive board, a head per department, team leads, staff."""

    def __init__(self, seed: int, departments: int, employees: int) -> None:
        self._rng = seeded(seed, "employee")
        self._emails: set[str] = set()
        self.units = [
            Unit(f"D{number:03d}", name, function, region)
            for number, (name, function, region) in enumerate(text.DEPARTMENTS[:departments], start=1)
        ]
        self.people: list[Person] = []
        executive_of: dict[Function, str] = {}
        for title, functions in text.EXECUTIVES:
            home = next(unit for unit in self.units if unit.function in functions)
            executive = self._hire(title, home, None)
            executive_of.update(dict.fromkeys(functions, executive.id))
        self.executives = len(self.people)
        for unit, size in zip(self.units, self._headcounts(employees - self.executives), strict=True):
            self._staff(unit, size, executive_of[unit.function])
        staff = self.people[self.executives :]
        self._pools = self._serving(staff)
        self._owners = self._serving([person for person in staff if person.title in text.ACCOUNT_OWNER_TITLES])
        self._desks = self._serving(
            [
                person
                for person in staff
                if person.unit.function is Function.SALES or person.unit.name in text.ORDER_DESKS
            ]
        )
        self._first_line = self._serving([person for person in staff if person.unit.name in text.FIRST_LINE])

    def pool(self, function: Function, region: str | None) -> list[str]:
        """Who serves a customer of ``region`` in ``function``: its regional and global departments.

        Where the region has no department of its own in that function, everyone in the function.
        """
        return self._pools[(function, region)]

    def desk(self, function: Function, region: str | None) -> list[str]:
        """Who works on an order step: plants, warehouses, billing; not planning or returns."""
        return self._desks.get((function, region)) or self.pool(function, region)

    def first_line(self, region: str) -> list[str]:
        """Who triages a new ticket from a customer of ``region``."""
        return self._first_line.get((Function.SERVICE, region)) or self.pool(Function.SERVICE, region)

    def owners(self, region: str) -> list[str]:
        """Sales people who may own an account in ``region``."""
        return self._owners.get((Function.SALES, region)) or self.pool(Function.SALES, region)

    @staticmethod
    def _serving(people: list[Person]) -> dict[tuple[Function, str | None], list[str]]:
        serving: dict[tuple[Function, str | None], list[str]] = {}
        for function in Function:
            everyone = [person for person in people if person.unit.function is function]
            if not everyone:
                continue
            serving[(function, None)] = [person.id for person in everyone]
            for region in text.REGIONS:
                if any(person.unit.region == region for person in everyone):
                    serving[(function, region)] = [
                        person.id for person in everyone if person.unit.region in (region, None)
                    ]
                else:
                    serving[(function, region)] = serving[(function, None)]
        return serving

    def _headcounts(self, staff: int) -> list[int]:
        # Two people per department at least; the rest by the function's weight, rounded so the
        # total is exact.
        weights = [text.STAFFING[unit.function] for unit in self.units]
        spare = staff - 2 * len(self.units)
        exact = [spare * weight / sum(weights) for weight in weights]
        sizes = [2 + int(value) for value in exact]
        by_remainder = sorted(range(len(exact)), key=lambda index: (int(exact[index]) - exact[index], index))
        for index in by_remainder[: staff - sum(sizes)]:
            sizes[index] += 1
        return sizes

    def _staff(self, unit: Unit, size: int, executive_id: str) -> None:
        head = self._hire(f"Head of {unit.name}", unit, executive_id)
        leads = [self._hire(f"Team Lead, {unit.name}", unit, head.id) for _ in range((size - 1) // 10)]
        titles = text.TITLES[unit.function]
        for number in range(size - 1 - len(leads)):
            manager = leads[number % len(leads)].id if leads else head.id
            title = titles[min(int(self._rng.expovariate(1.0)), len(titles) - 1)]
            self._hire(title, unit, manager)

    def _hire(self, title: str, unit: Unit, manager_id: str | None) -> Person:
        rng = self._rng
        region = unit.region or pick_region(rng, HQ_REGION_MIX)
        first, last = rng.choice(text.FIRST_NAMES[region]), rng.choice(text.LAST_NAMES[region])
        local = f"{ascii_slug(first)}.{ascii_slug(last)}"
        email, copy = f"{local}@{text.COMPANY_DOMAIN}", 1
        while email in self._emails:
            copy += 1
            email = f"{local}{copy}@{text.COMPANY_DOMAIN}"
        self._emails.add(email)
        person = Person(f"E{len(self.people) + 1:05d}", f"{first} {last}", email, title, unit, manager_id)
        self.people.append(person)
        return person


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    sku: str
    name: str
    category: str
    price: float


class Catalogue:
    """Products with list prices in EUR and a skewed popularity, as real catalogues have."""

    def __init__(self, seed: int, size: int) -> None:
        rng = seeded(seed, "product")
        self.products: list[Product] = []
        names: set[str] = set()
        popularity: list[float] = []
        for index in range(size):
            entry = text.CATALOGUE[index] if index < len(text.CATALOGUE) else None
            if entry is None:
                entry = rng.choices(text.CATALOGUE, weights=[item[5] for item in text.CATALOGUE])[0]
            code, category, kinds, low, high, weight = entry
            name = ""
            while not name or name in names:
                series = rng.choice(text.SERIES)
                name = f"{series} {series[0]}{rng.randint(1, 99) * 10} {rng.choice(kinds)}"
            names.add(name)
            raw = low * (high / low) ** rng.random()
            price = max(round(round(raw, -1 if raw >= 100 else 0) - 0.01, 2), 0.99)
            number = index + 1
            self.products.append(Product(f"P{number:05d}", f"BW-{code}-{number:05d}", name, category, price))
            popularity.append(weight * rng.paretovariate(1.2))
        self.cumulative = list(accumulate(popularity))
        # Unit prices by currency and tier: list price converted, less the tier's discount.
        self.prices = [
            [
                [round(product.price * rate * (1.0 - discount), 2) for product in self.products]
                for discount in TIER_DISCOUNT
            ]
            for rate in EUR_RATE
        ]

    def popular(self, rng: random.Random) -> int:
        """Index of a product drawn by popularity."""
        return bisect_right(self.cumulative, rng.random() * self.cumulative[-1])

    def names(self, rng: random.Random, count: int) -> list[str]:
        return [self.products[self.popular(rng)].name for _ in range(count)]


class Customers:
    """Customers in value tiers, numbered in the order they became customers (oldest first).

    Numbering by ``since`` lets an activity at time ``t`` draw only among customers who already
    existed: they are a prefix of the list.
    """

    def __init__(self, seed: int, size: int, now: float, activity_start: float, organisation: Organisation) -> None:
        rng = seeded(seed, "customer")
        tiers = [tier for tier, count in enumerate(compose(rng, TIER_SHARES, size)) for _ in range(count)]
        rng.shuffle(tiers)
        drafts: list[tuple[float, int, int, str]] = []
        for tier in tiers:
            segment = rng.choices(range(4), weights=SEGMENT_MIX[tier])[0]
            years = (0.08, 0.5, 1.0, 2.0)[3 - tier] + (6.0 + 2 * (3 - tier)) * rng.random() ** 1.4
            drafts.append((now - years * YEAR, tier, segment, pick_region(rng, REGION_MIX)))
        drafts.sort()
        if drafts and drafts[0][0] > activity_start:
            # Someone must have been a customer when the activity window opens.
            drafts[0] = (activity_start - 30 * 86400, *drafts[0][1:])
        emails: set[str] = set()
        self.ids: list[str] = []
        self.names: list[str] = []
        self.emails: list[str] = []
        self.since: list[int] = []
        self.tier: list[int] = []
        self.segment: list[int] = []
        self.region: list[str] = []
        self.currency: list[int] = []
        self.lifetime_value: list[float] = []
        self.owner: list[str | None] = []
        for number, (since, tier, segment, region) in enumerate(drafts, start=1):
            name, email = self._name(rng, segment, region, emails)
            low = (1_000_000.0, 250_000.0, 50_000.0, 500.0)[tier]
            high = (10_000_000.0, 1_000_000.0, 250_000.0, 50_000.0)[tier]
            owned = rng.random() < (1.0, 0.95, 0.85, 0.35)[segment]
            owners = organisation.owners(region)
            self.ids.append(f"C{number:06d}")
            self.names.append(name)
            self.emails.append(email)
            self.since.append(int(since))
            self.tier.append(tier)
            self.segment.append(segment)
            self.region.append(region)
            self.currency.append(rng.choices(range(4), weights=CURRENCY_MIX[region])[0])
            self.lifetime_value.append(round(low * (high / low) ** rng.random(), 2))
            self.owner.append(owners[int(rng.random() * len(owners))] if owned else None)

    def cumulative(self, tier_weights: Sequence[float], segment_weights: Sequence[float]) -> list[float]:
        """Running totals of each customer's weight, for drawing among a prefix with bisect."""
        return list(
            accumulate(
                tier_weights[tier] * segment_weights[segment]
                for tier, segment in zip(self.tier, self.segment, strict=True)
            )
        )

    @staticmethod
    def _name(rng: random.Random, segment: int, region: str, taken: set[str]) -> tuple[str, str]:
        if SEGMENTS[segment] is Segment.CONSUMER:
            first, last = rng.choice(text.FIRST_NAMES[region]), rng.choice(text.LAST_NAMES[region])
            name = f"{first} {last}"
            local, domain = f"{ascii_slug(first)}.{ascii_slug(last)}", rng.choice(text.CONSUMER_DOMAINS)
            mailbox = f"{local}@{domain}"
            copy = 1
            while mailbox in taken:
                copy += 1
                mailbox = f"{local}{copy}@{domain}"
        else:
            stem = rng.choice(text.COMPANY_STEMS) + rng.choice(text.COMPANY_ENDINGS)
            trade = f"{stem} {rng.choice(text.INDUSTRIES)}"
            name = f"{trade} {rng.choice(text.COMPANY_SUFFIXES[region])}"
            box, slug = rng.choice(text.COMPANY_MAILBOXES), ascii_slug(trade, "-")
            mailbox = f"{box}@{slug}.example"
            copy = 1
            while mailbox in taken:
                copy += 1
                mailbox = f"{box}@{slug}-{copy}.example"
        taken.add(mailbox)
        return name, mailbox


@dataclass(frozen=True, slots=True)
class World:
    """The standing data the streaming kinds draw on."""

    organisation: Organisation
    catalogue: Catalogue
    customers: Customers
    # Running totals of customer weights: who orders, who gets in touch, who raises tickets.
    customers_by_orders: list[float]
    customers_by_contacts: list[float]
    customers_by_tickets: list[float]
