"""A believable demo company, generated deterministically and streamed row by row.

``DemoCompany(preset, seed).rows(kind)`` yields rows of any kind in ``graph.load.rows.ROW_KINDS``,
each of which passes that kind's ``parse`` unchanged; ``typed_rows(kind)`` yields them parsed,
which the big kinds are made as; ``count(kind)`` says how many without generating them. The
same preset and seed always give the same rows, whatever order the kinds are asked for in:
every part draws from a ``random.Random`` of its own, seeded from the seed, the kind and the
block. Small kinds (departments, employees, products, customers) are built once and held;
the big ones (orders, lines, steps, interactions, tickets, hand-offs) are generated a block
at a time. All times lie before ``DEMO_NOW``, the demo company's "now".

The work is split one way: this module (API, presets, identities) uses ``demo_company.orders``
(orders, lines, steps) and ``demo_company.service`` (interactions, tickets, hand-offs), which use
``demo_company.org`` (departments, people, products, customers), which uses ``demo_company.text``
(names and word tables); all of them draw through ``demo_company.draws``.

Identity keys, derived from the number ``n`` in the graph id (``C000042`` -> 42,
``E00042`` -> 42), so a demo source system can be keyed without reading the graph:

=========  ==============================  ==================================
system     customers (all of them)         employees
=========  ==============================  ==================================
CRM        ``CRM-<n:06>``  (CRM-000042)    -
ERP        ``K<n:06>``     (K000042)       -
HELPDESK   ``HD-C<n:06>``  (HD-C000042)    ``HD-A<n:05>`` (HD-A00042), SERVICE staff only
HR         -                               ``HR<n:05>``   (HR00042), everyone
=========  ==============================  ==================================

``identity_key(system, owner_id)`` computes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from demo_company import text
from demo_company.draws import Timeline
from demo_company.orders import Orders
from demo_company.org import SEGMENTS, TIERS, Catalogue, Customers, Organisation, World
from demo_company.service import Interactions, Tickets
from graph.load.rows import ROW_KINDS, ROW_KINDS_BY_NAME, RowKind, TypedRows
from graph.load.rows import Row as TypedRow
from graph.model import FRONT_OFFICE_FUNCTIONS, DepartmentKind, Function, SourceSystem

Row = dict[str, object]

DEMO_NOW = datetime(2026, 11, 1, tzinfo=UTC)
ACTIVITY_DAYS = 3 * 365  # orders, interactions and tickets fall in the last three years
DAY = 86400.0
# Relative weight of a customer by tier (PLATINUM..BRONZE) and segment (ENTERPRISE..CONSUMER).
ORDER_WEIGHTS = ((8.0, 4.0, 2.0, 1.0), (2.0, 1.5, 1.0, 0.5))
CONTACT_WEIGHTS = ((10.0, 5.0, 2.0, 1.0), (1.5, 1.2, 1.0, 0.6))
TICKET_WEIGHTS = ((6.0, 4.0, 2.0, 1.0), (1.5, 1.2, 1.0, 0.7))


@dataclass(frozen=True, slots=True)
class Preset:
    """How big a demo company is: row counts of the kinds that set the scale."""

    name: str
    customers: int
    orders: int
    employees: int
    interactions: int
    tickets: int
    products: int
    departments: int


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "tiny", customers=50, orders=200, employees=40, interactions=400, tickets=40, products=20, departments=8
        ),
        Preset(
            "small",
            customers=1_000,
            orders=5_000,
            employees=200,
            interactions=10_000,
            tickets=600,
            products=100,
            departments=40,
        ),
        Preset(
            "demo",
            customers=10_000,
            orders=50_000,
            employees=600,
            interactions=100_000,
            tickets=5_000,
            products=250,
            departments=40,
        ),
        Preset(
            "bench",
            customers=100_000,
            orders=500_000,
            employees=2_000,
            interactions=1_000_000,
            tickets=50_000,
            products=500,
            departments=40,
        ),
    )
}

CUSTOMER_KEYS = {SourceSystem.CRM: "CRM-{:06d}", SourceSystem.ERP: "K{:06d}", SourceSystem.HELPDESK: "HD-C{:06d}"}
EMPLOYEE_KEYS = {SourceSystem.HR: "HR{:05d}", SourceSystem.HELPDESK: "HD-A{:05d}"}


def identity_key(system: SourceSystem, owner_id: str) -> str:
    """The key under which ``system`` knows the demo customer or employee ``owner_id``."""
    keys = CUSTOMER_KEYS if owner_id.startswith("C") else EMPLOYEE_KEYS
    if system not in keys:
        raise ValueError(f"{system.value} does not know {owner_id}")
    return keys[system].format(int(owner_id[1:]))


class DemoCompany:
    """The rows of one demo company: a preset's sizes, made concrete by a seed."""

    def __init__(self, preset: Preset, seed: int = 7) -> None:
        if not len(Function) <= preset.departments <= len(text.DEPARTMENTS):
            raise ValueError(f"departments must be between {len(Function)} and {len(text.DEPARTMENTS)}")
        if preset.employees < len(text.EXECUTIVES) + 2 * preset.departments:
            raise ValueError("too few employees: every department needs a head and one more person")
        if preset.products < 4 or preset.customers < 1:
            raise ValueError("a demo company needs at least four products and one customer")
        self.preset = preset
        self.seed = seed
        self._now = DEMO_NOW.timestamp()
        start, end = self._now - ACTIVITY_DAYS * DAY, self._now - 2 * 3600
        self._orders = Orders(seed, Timeline.spread(start, end, preset.orders, 2000), self._now)
        self._interactions = Interactions(seed, Timeline.spread(start, end, preset.interactions, 1000))
        self._tickets = Tickets(seed, Timeline.spread(start, end, preset.tickets, 2000), self._now)
        self._organisation: Organisation | None = None
        self._catalogue: Catalogue | None = None
        self._world: World | None = None
        self._generators: dict[str, Callable[[], Iterator[Row]]] = {
            "department": self._departments,
            "employee": self._employees,
            "reports_to": self._reports_to,
            "product": self._products,
            "customer": self._customers,
            "ticket": lambda: self._tickets.tickets(self._built()),
            "hand_off": lambda: self._tickets.hand_offs(self._built()),
            "customer_identity": self._customer_identities,
            "employee_identity": self._employee_identities,
        }
        self._typed: dict[str, Callable[[], Iterator[TypedRow]]] = {
            "order": lambda: self._orders.orders(self._built()),
            "order_line": lambda: self._orders.order_lines(self._built()),
            "order_step": lambda: self._orders.order_steps(self._built()),
            "interaction": lambda: self._interactions.rows(self._built()),
        }

    def rows(self, kind: str) -> Iterator[Row]:
        """Rows of ``kind``, generated as they are read; the same on every call."""
        if kind in self._typed:
            return map(ROW_KINDS_BY_NAME[kind].as_raw, self._typed[kind]())
        if kind not in self._generators:
            raise ValueError(f"unknown row kind '{kind}'")
        return self._generators[kind]()

    def typed_rows(self, kind: str) -> Iterator[TypedRow]:
        """Rows of ``kind`` as its ``parse`` returns them: what ``rows`` gives, parsed.

        The big kinds (orders, their lines and steps, interactions: most of the ``bench``
        preset's rows) are generated in that form, and the loader takes them without parsing
        (see ``graph.load.rows.TypedRows``), which saves the loader's CPU the parsing would cost.
        """
        if kind in self._typed:
            return self._typed[kind]()
        return map(ROW_KINDS_BY_NAME[kind].parse, self.rows(kind))

    def count(self, kind: str) -> int:
        """How many rows ``rows(kind)`` yields, without generating the big kinds."""
        preset = self.preset
        counts: dict[str, Callable[[], int]] = {
            "department": lambda: preset.departments,
            "employee": lambda: preset.employees,
            "reports_to": lambda: preset.employees - len(text.EXECUTIVES),
            "product": lambda: preset.products,
            "customer": lambda: preset.customers,
            "order": lambda: self._orders.count("order"),
            "order_line": lambda: self._orders.count("order_line"),
            "order_step": lambda: self._orders.count("order_step"),
            "interaction": self._interactions.count,
            "ticket": lambda: self._tickets.count("ticket"),
            "hand_off": lambda: self._tickets.count("hand_off"),
            "customer_identity": lambda: len(CUSTOMER_KEYS) * preset.customers,
            "employee_identity": lambda: preset.employees + len(self._service_staff()),
        }
        if kind not in counts:
            raise ValueError(f"unknown row kind '{kind}'")
        return counts[kind]()

    def _organised(self) -> Organisation:
        if self._organisation is None:
            self._organisation = Organisation(self.seed, self.preset.departments, self.preset.employees)
        return self._organisation

    def _catalogued(self) -> Catalogue:
        if self._catalogue is None:
            self._catalogue = Catalogue(self.seed, self.preset.products)
        return self._catalogue

    def _built(self) -> World:
        if self._world is None:
            organisation = self._organised()
            start = self._now - ACTIVITY_DAYS * DAY
            customers = Customers(self.seed, self.preset.customers, self._now, start, organisation)
            self._world = World(
                organisation,
                self._catalogued(),
                customers,
                customers.cumulative(*ORDER_WEIGHTS),
                customers.cumulative(*CONTACT_WEIGHTS),
                customers.cumulative(*TICKET_WEIGHTS),
            )
        return self._world

    def _service_staff(self) -> list[str]:
        return [person.id for person in self._organised().people if person.unit.function is Function.SERVICE]

    def _departments(self) -> Iterator[Row]:
        for unit in self._organised().units:
            front = unit.function in FRONT_OFFICE_FUNCTIONS
            kind = DepartmentKind.FRONT_OFFICE if front else DepartmentKind.BACK_OFFICE
            yield {"id": unit.id, "name": unit.name, "kind": kind.value, "function": unit.function.value}

    def _employees(self) -> Iterator[Row]:
        for person in self._organised().people:
            yield {
                "id": person.id,
                "name": person.name,
                "email": person.email,
                "title": person.title,
                "department_id": person.unit.id,
            }

    def _reports_to(self) -> Iterator[Row]:
        for person in self._organised().people:
            if person.manager_id is not None:
                yield {"employee_id": person.id, "manager_id": person.manager_id}

    def _products(self) -> Iterator[Row]:
        for product in self._catalogued().products:
            yield {
                "id": product.id,
                "sku": product.sku,
                "name": product.name,
                "category": product.category,
                "price": product.price,
            }

    def _customers(self) -> Iterator[Row]:
        customers = self._built().customers
        for index, customer_id in enumerate(customers.ids):
            yield {
                "id": customer_id,
                "name": customers.names[index],
                "email": customers.emails[index],
                "segment": SEGMENTS[customers.segment[index]].value,
                "tier": TIERS[customers.tier[index]].value,
                "lifetime_value": customers.lifetime_value[index],
                "since": datetime.fromtimestamp(customers.since[index], UTC),
                "owner_id": customers.owner[index],
            }

    def _customer_identities(self) -> Iterator[Row]:
        for number in range(1, self.preset.customers + 1):
            owner_id = f"C{number:06d}"
            for system, key in CUSTOMER_KEYS.items():
                yield {"owner_id": owner_id, "system": system.value, "key": key.format(number)}

    def _employee_identities(self) -> Iterator[Row]:
        service = set(self._service_staff())
        for person in self._organised().people:
            number = int(person.id[1:])
            yield {
                "owner_id": person.id,
                "system": SourceSystem.HR.value,
                "key": EMPLOYEE_KEYS[SourceSystem.HR].format(number),
            }
            if person.id in service:
                key = EMPLOYEE_KEYS[SourceSystem.HELPDESK].format(number)
                yield {"owner_id": person.id, "system": SourceSystem.HELPDESK.value, "key": key}


def demo_stream(company: DemoCompany) -> Iterator[tuple[RowKind, TypedRows]]:
    """Every kind of the company, in load order, as the loader's typed rows."""
    for kind in ROW_KINDS:
        yield kind, TypedRows(f"demo:{kind.name}", company.typed_rows(kind.name))
