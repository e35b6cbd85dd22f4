"""What a read of the customer graph asks for and what it answers, apart from any driver.

``Relation`` names a paged one-to-many relationship and ``Entity`` a listable label, each with
its Cypher and the record its nodes become; ``Page`` and ``Related`` are what a paged read
answers: a window of a parent's nodes and the nodes read with it because the query asks for
them next. The resolvers speak these words to the graph port (``resolvers/ports.py``), the
Neo4j adapter (``graph/store.py``) runs them; nothing here imports the driver.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Generic, LiteralString, TypeVar

from graph import from_nodes, listing, queries
from graph.model import Department, Employee, OrderLine, Product

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Related:
    """Nodes a page was read with because the query asks for them next (see ``Relation``)."""

    employees: list[Employee] = field(default_factory=list)
    departments: list[Department] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    order_lines: dict[str, list[OrderLine]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One window of a parent's related nodes, how many there are in all, and what came with it."""

    items: list[T]
    total: int
    related: Related | None = None


@dataclass(frozen=True, slots=True)
class CustomerPage:
    """One of a customer's relationships as a fragment of ``queries.customer_pages_query``.

    ``name`` prefixes its parameters (``$<name>_skip``, ``$<name>_limit``) and columns
    (``<name>_page``, ``<name>_total``); ``reads_ahead`` names what else it reads: ``lines``
    (columns ``_lines``, ``_products``) or ``people`` (``_employees``, ``_departments``).
    """

    name: LiteralString
    fragment: LiteralString
    reads_ahead: str | None = None

    def columns(self) -> tuple[LiteralString, ...]:
        extra: dict[str | None, tuple[LiteralString, ...]] = {
            None: (),
            "lines": (self.name + "_lines", self.name + "_products"),
            "people": (self.name + "_employees", self.name + "_departments"),
        }
        return (self.name + "_page", self.name + "_total", *extra[self.reads_ahead])


class Relation(Enum):
    """A paged one-to-many relationship: its Cypher and the record its items become.

    A customer's relationships are fragments (``CustomerPage``) that one statement joins for
    every relationship a query level asks of the same customers. The ``_WITH_...`` members
    read the same page together with the nodes its items lead to (an order's lines and
    products; an interaction's employee and department): a resolver that sees them asked for
    picks one, and the DataLoaders are primed with them instead of reading them level by level.
    """

    CUSTOMER_ORDERS = (CustomerPage("orders", queries.CUSTOMER_ORDERS_PAGE), from_nodes.order)
    CUSTOMER_ORDERS_WITH_LINES = (
        CustomerPage("orders", queries.CUSTOMER_ORDERS_WITH_LINES_PAGE, "lines"),
        from_nodes.order,
    )
    CUSTOMER_INTERACTIONS = (CustomerPage("interactions", queries.CUSTOMER_INTERACTIONS_PAGE), from_nodes.interaction)
    CUSTOMER_INTERACTIONS_WITH_PEOPLE = (
        CustomerPage("interactions", queries.CUSTOMER_INTERACTIONS_WITH_PEOPLE_PAGE, "people"),
        from_nodes.interaction,
    )
    CUSTOMER_TICKETS = (CustomerPage("tickets", queries.CUSTOMER_TICKETS_PAGE), from_nodes.ticket)
    EMPLOYEE_REPORTS = (queries.EMPLOYEE_REPORTS, from_nodes.employee)
    EMPLOYEE_INTERACTIONS = (queries.EMPLOYEE_INTERACTIONS, from_nodes.interaction)
    EMPLOYEE_ACCOUNTS = (queries.EMPLOYEE_ACCOUNTS, from_nodes.customer)
    DEPARTMENT_EMPLOYEES = (queries.DEPARTMENT_EMPLOYEES, from_nodes.employee)
    PRODUCT_ORDERS = (queries.PRODUCT_ORDERS, from_nodes.order)

    @property
    def customer_page(self) -> CustomerPage | None:
        part = self.value[0]
        return part if isinstance(part, CustomerPage) else None


class Entity(Enum):
    """A listable label: how to list it and the record its nodes become."""

    CUSTOMER = (listing.CUSTOMERS, from_nodes.customer)
    ORDER = (listing.ORDERS, from_nodes.order)
    PRODUCT = (listing.PRODUCTS, from_nodes.product)
    EMPLOYEE = (listing.EMPLOYEES, from_nodes.employee)
    DEPARTMENT = (listing.DEPARTMENTS, from_nodes.department)
    INTERACTION = (listing.INTERACTIONS, from_nodes.interaction)
    TICKET = (listing.TICKETS, from_nodes.ticket)
