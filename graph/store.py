"""The customer graph as the API reads it: batched, key-ordered reads on the async driver.

``Neo4jGraphStore`` is the Neo4j adapter of the graph port (``resolvers.ports.GraphStore``,
which it satisfies structurally; the words of a read, ``Relation``, ``Page`` and the like, are
in ``graph.reads``), and ``traces()`` gives the trace adapter over it. Every method takes a batch of ids
(as a DataLoader hands it over) and answers in the same order, with ``None`` or an empty list
where nothing exists. Reads are routed as reads, so a cluster serves them from followers.
Vendor errors are translated at this edge into the project's own errors.

``within(budget)`` gives the same store for one request: each statement then waits for one of
the request's statement slots and gets the time left before its deadline as the Neo4j
transaction timeout (see ``domain.budget``). ``seeing(scope, caller_id)`` gives it the
caller's row rules: every statement passes through ``RowScope.compile`` on its way out, so
the rules are part of the Cypher itself (see ``graph.row_rules``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, LiteralString, TypeVar

from neo4j import READ_ACCESS, AsyncDriver, Query
from neo4j.exceptions import DriverError, Neo4jError

from domain.budget import RequestBudget
from graph import from_nodes, listing, queries
from graph.explore_store import Neo4jExploreStore
from graph.from_nodes import Convert
from graph.model import (
    Customer,
    Department,
    Employee,
    ExternalId,
    HandOff,
    Interaction,
    Order,
    OrderLine,
    OrderStepRecord,
    Product,
    Ticket,
)
from graph.neo4j_errors import translated
from graph.outbox import delivery_states
from graph.reads import CustomerPage, Entity, Page, Related, Relation
from graph.row_rules import UNRESTRICTED, RowScope
from graph.trace.store import Neo4jTraceStore
from graph.write_model import Actor, Delivery
from graph.writes import Neo4jWriteStore

T = TypeVar("T")

VISIBLE_CUSTOMER: LiteralString = """
OPTIONAL MATCH (c:Customer {id: $id}) WHERE @visible(Customer, c) RETURN c IS NOT NULL AS visible
"""
VISIBLE_TICKET: LiteralString = """
OPTIONAL MATCH (t:Ticket {id: $id}) WHERE @visible(Ticket, t) RETURN t IS NOT NULL AS visible
"""


class Neo4jGraphStore:
    """Batched reads of the customer graph; see the module docstring."""

    def __init__(
        self,
        driver: AsyncDriver,
        database: str,
        budget: RequestBudget | None = None,
        scope: RowScope = UNRESTRICTED,
        caller_id: str | None = None,
    ) -> None:
        self._driver = driver
        self._database = database
        self._budget = budget
        self.scope = scope
        self._caller_id = caller_id

    @property
    def driver(self) -> AsyncDriver:
        """The driver, for the adapters that write (``graph.writes``) in the same database."""
        return self._driver

    @property
    def database(self) -> str:
        return self._database

    @property
    def caller_id(self) -> str | None:
        return self._caller_id

    def within(self, budget: RequestBudget) -> Neo4jGraphStore:
        """This store for one request: its statements bounded by the request's budget."""
        return Neo4jGraphStore(self._driver, self._database, budget, self.scope, self._caller_id)

    def seeing(self, scope: RowScope, caller_id: str | None) -> Neo4jGraphStore:
        """This store reading only the rows ``scope`` lets the caller (an employee id, if any) see."""
        return Neo4jGraphStore(self._driver, self._database, self._budget, scope, caller_id)

    def explore(self) -> Neo4jExploreStore:
        """The explorer's adapter over this store (search, neighbourhood), under the same rules."""
        return Neo4jExploreStore(self)

    def traces(self) -> Neo4jTraceStore:
        """The trace adapter over this store: its statements under the same budget and row rules."""
        return Neo4jTraceStore(self)

    def writes(self, actor: Actor) -> Neo4jWriteStore:
        """The writes ``actor`` makes through this store, under its row rules."""
        return Neo4jWriteStore(self._driver, self._database, self.scope, actor)

    async def deliveries(self, ticket_ids: Sequence[str]) -> list[Delivery | None]:
        """Where each ticket's newest change stands on its way to the helpdesk (None: never written through)."""
        return await delivery_states(self._driver, self._database, ticket_ids)

    async def sees(self, label: str, id: str) -> bool:
        """Whether the caller may see the customer or ticket ``id`` (``label``) under this store's rules."""
        rows = await self.read(VISIBLE_CUSTOMER if label == "Customer" else VISIBLE_TICKET, id=id)
        return bool(rows and rows[0]["visible"])

    async def read(self, query: LiteralString, **parameters: Any) -> list[Mapping[str, Any]]:
        """Run one read statement and return its records as mappings.

        An auto-commit transaction in a read session: one round trip (RUN and PULL pipelined)
        where ``execute_query``'s managed transaction needs a second for COMMIT, and about a
        third less of the driver's CPU per statement, which is what bounds this service's
        throughput. The driver retries only managed transactions, so a read that fails with a
        retryable error (a cluster member going away) is retried here, once.
        """
        query = self.scope.compile(query)
        if self.scope.uses_caller:
            parameters["caller_id"] = self._caller_id
        if self._budget is None:
            return await self._read(query, parameters, None)
        async with self._budget.statements:
            return await self._read(query, parameters, self._budget)

    async def _read(
        self, query: LiteralString, parameters: dict[str, Any], budget: RequestBudget | None
    ) -> list[Mapping[str, Any]]:
        async with translated():
            started = time.monotonic()
            try:
                return await self._run(query, parameters, budget)
            except (Neo4jError, DriverError) as error:
                # Retry only with time left for an attempt as long as the first: a graph that
                # never answers would otherwise turn its GRAPH_UNAVAILABLE into a REQUEST_TIMEOUT.
                if not error.is_retryable() or (
                    budget is not None and budget.remaining() <= time.monotonic() - started
                ):
                    raise
            return await self._run(query, parameters, budget)

    async def _run(
        self, query: LiteralString, parameters: dict[str, Any], budget: RequestBudget | None
    ) -> list[Mapping[str, Any]]:
        timeout = None if budget is None else budget.time_for("a graph statement could run")
        async with self._driver.session(database=self._database, default_access_mode=READ_ACCESS) as session:
            result = await session.run(Query(query, timeout=timeout), parameters)
            return [record async for record in result]

    async def ping(self) -> bool:
        rows = await self.read(queries.PING)
        return bool(rows and rows[0]["ok"] == 1)

    # --- lookups by id ------------------------------------------------------------------

    async def customers_and_owners(self, ids: Sequence[str]) -> tuple[list[Customer | None], Related]:
        """Customers by id, and their account owners with the owners' departments, in one statement."""
        rows = await self.read(queries.GET_CUSTOMERS, ids=list(dict.fromkeys(ids)))
        by_id = {row["id"]: from_nodes.customer(row["node"]) for row in rows}
        owners = {row["owner"]["id"]: row for row in rows if row["owner"] is not None}
        related = Related(
            employees=[from_nodes.employee(row["owner"]) for row in owners.values()],
            departments=[from_nodes.department(row["department"]) for row in owners.values() if row["department"]],
        )
        return [by_id.get(id_) for id_ in ids], related

    async def orders(self, ids: Sequence[str]) -> list[Order | None]:
        return await self._lookup(queries.GET_ORDERS, ids, from_nodes.order)

    async def products(self, ids: Sequence[str]) -> list[Product | None]:
        return await self._lookup(queries.GET_PRODUCTS, ids, from_nodes.product)

    async def employees_and_departments(self, ids: Sequence[str]) -> tuple[list[Employee | None], list[Department]]:
        """Employees by id, and the departments they work in, read in the same statement."""
        rows = await self.read(queries.GET_EMPLOYEES, ids=list(dict.fromkeys(ids)))
        by_id = {row["id"]: from_nodes.employee(row["node"]) for row in rows}
        departments = {row["department"]["id"]: row["department"] for row in rows if row["department"] is not None}
        return [by_id.get(id_) for id_ in ids], [from_nodes.department(node) for node in departments.values()]

    async def departments(self, ids: Sequence[str]) -> list[Department | None]:
        return await self._lookup(queries.GET_DEPARTMENTS, ids, from_nodes.department)

    async def interactions(self, ids: Sequence[str]) -> list[Interaction | None]:
        return await self._lookup(queries.GET_INTERACTIONS, ids, from_nodes.interaction)

    async def tickets(self, ids: Sequence[str]) -> list[Ticket | None]:
        return await self._lookup(queries.GET_TICKETS, ids, from_nodes.ticket)

    # --- short lists per parent ---------------------------------------------------------

    async def order_lines(self, order_ids: Sequence[str]) -> list[list[OrderLine]]:
        return await self._items(queries.ORDER_LINES, order_ids, from_nodes.order_line)

    async def order_steps(self, order_ids: Sequence[str]) -> list[list[OrderStepRecord]]:
        return await self._items(queries.ORDER_STEPS, order_ids, from_nodes.order_step)

    async def hand_offs(self, ticket_ids: Sequence[str]) -> list[list[HandOff]]:
        return await self._items(queries.TICKET_HAND_OFFS, ticket_ids, from_nodes.hand_off)

    async def customer_identities(self, customer_ids: Sequence[str]) -> list[list[ExternalId]]:
        return await self._items(queries.CUSTOMER_IDENTITIES, customer_ids, from_nodes.external_id)

    async def employee_identities(self, employee_ids: Sequence[str]) -> list[list[ExternalId]]:
        return await self._items(queries.EMPLOYEE_IDENTITIES, employee_ids, from_nodes.external_id)

    # --- pages per parent, and root lists -----------------------------------------------

    async def pages(self, relation: Relation, ids: Sequence[str], skip: int, limit: int) -> list[Page[Any]]:
        if relation.customer_page is not None:
            return (await self.customer_pages({relation: (skip, limit)}, ids))[relation]
        query, convert = relation.value
        rows = await self.read(query, ids=list(ids), skip=skip, limit=limit)
        by_id = {row["id"]: Page([convert(node) for node in row["page"]], row["total"]) for row in rows}
        return [by_id.get(id_, Page([], 0)) for id_ in ids]

    async def customer_pages(
        self, windows: Mapping[Relation, tuple[int, int]], ids: Sequence[str]
    ) -> dict[Relation, list[Page[Any]]]:
        """Pages of several relationships of each customer, each with its ``(skip, limit)``, in one statement.

        The relationships must be customer relationships with distinct names (one way of
        reading orders, one of interactions...), as a query level asks for them.
        """
        rows, parts = await self._customer_pages(windows, ids, with_customer=False)
        return _pages_by_relation(rows, parts, ids)

    async def customer_with_pages(
        self, customer_id: str, windows: Mapping[Relation, tuple[int, int]]
    ) -> tuple[Customer | None, Related, dict[Relation, Page[Any]]]:
        """One customer, its account owner (and their department) and the given pages, in one statement."""
        rows, parts = await self._customer_pages(windows, [customer_id], with_customer=True)
        if not rows:
            return None, Related(), {}
        row = rows[0]
        owner = row["owner"]
        related = Related(
            employees=[] if owner is None else [from_nodes.employee(owner)],
            departments=[] if row["department"] is None else [from_nodes.department(row["department"])],
        )
        pages = {relation: pages[0] for relation, pages in _pages_by_relation(rows, parts, [customer_id]).items()}
        return from_nodes.customer(row["node"]), related, pages

    async def _customer_pages(
        self, windows: Mapping[Relation, tuple[int, int]], ids: Sequence[str], *, with_customer: bool
    ) -> tuple[list[Mapping[str, Any]], list[tuple[Relation, CustomerPage]]]:
        parts: list[tuple[Relation, CustomerPage]] = []
        for relation in windows:
            part = relation.customer_page
            if part is None or any(part.name == other.name for _, other in parts):
                raise ValueError(f"not one page per customer relationship: {[each.name for each in windows]}")
            parts.append((relation, part))
        parameters: dict[str, Any] = {"ids": list(dict.fromkeys(ids))}
        fragments: list[LiteralString] = [queries.CUSTOMER_AND_OWNER_PART] if with_customer else []
        columns: list[LiteralString] = list(queries.CUSTOMER_AND_OWNER_COLUMNS) if with_customer else []
        for relation, part in parts:
            skip, limit = windows[relation]
            parameters[part.name + "_skip"] = skip
            parameters[part.name + "_limit"] = limit
            fragments.append(part.fragment)
            columns += part.columns()
        rows = await self.read(queries.customer_pages_query(fragments, columns), **parameters)
        return rows, parts

    async def list_nodes(
        self, entity: Entity, filters: Mapping[str, object], sort: str, descending: bool, skip: int, limit: int
    ) -> list[Any]:
        spec, convert = entity.value
        served = listing.served_page_query(sort, descending) if entity is Entity.CUSTOMER and not filters else None
        found = await self._served("Customer", served, skip=skip, limit=limit) if served is not None else None
        if found is not None:
            return [convert(node) for node in found["nodes"]]
        rows = await self.read(spec.page_query(filters, sort, descending), **filters, skip=skip, limit=limit)
        return [convert(row["node"]) for row in rows]

    async def count_nodes(self, entity: Entity, filters: Mapping[str, object]) -> int:
        spec, _ = entity.value
        label = spec.label
        if not filters and label is not None and self._counted_from_serves(label):
            found = await self._served("Customer", listing.SERVED_COUNTS[label])
            if found is not None:
                return int(found["total"])
        restricted = label is not None and self.scope.restricts(label)
        rows = await self.read(spec.count_query(filters, restricted=restricted), **filters)
        return int(rows[0]["total"])

    def _counted_from_serves(self, label: str) -> bool:
        """Whether the caller's rows of ``label`` are the customers of their department's
        ``SERVES``, or those customers' orders, interactions or tickets."""
        if label == "Customer":
            return True
        rel_type = listing.FROM_CUSTOMER.get(label)
        return rel_type is not None and self.scope.restricts(label) and self.scope.implied(label, rel_type, "Customer")

    async def _served(self, label: str, rest: LiteralString, **parameters: Any) -> Mapping[str, Any] | None:
        """The answer of ``rest`` after the caller's departments (``RowScope.serving_scopes``), in
        one statement, when the row rule of ``label`` reads ``SERVES`` and the caller has exactly
        one department; None otherwise (the caller's rows are then read row by row)."""
        scopes = self.scope.serving_scopes(label)
        if scopes is None:
            return None
        rows = await self.read(scopes + "\n" + rest, **parameters)
        return rows[0] if rows and rows[0]["served"] else None

    async def _lookup(self, query: LiteralString, ids: Sequence[str], convert: Convert[T]) -> list[T | None]:
        rows = await self.read(query, ids=list(dict.fromkeys(ids)))
        by_id = {row["id"]: convert(row["node"]) for row in rows}
        return [by_id.get(id_) for id_ in ids]

    async def _items(self, query: LiteralString, ids: Sequence[str], convert: Convert[T]) -> list[list[T]]:
        rows = await self.read(query, ids=list(dict.fromkeys(ids)))
        by_id = {row["id"]: [convert(item) for item in row["items"]] for row in rows}
        return [by_id.get(id_, []) for id_ in ids]


def _pages_by_relation(
    rows: list[Mapping[str, Any]], parts: list[tuple[Relation, CustomerPage]], ids: Sequence[str]
) -> dict[Relation, list[Page[Any]]]:
    found: dict[Relation, list[Page[Any]]] = {}
    for relation, part in parts:
        convert = relation.value[1]
        by_id = {row["id"]: _customer_page(row, part, convert) for row in rows}
        found[relation] = [by_id.get(id_, Page([], 0)) for id_ in ids]
    return found


def _customer_page(row: Mapping[str, Any], part: CustomerPage, convert: Convert[Any]) -> Page[Any]:
    page = row[part.name + "_page"]
    related = None
    if part.reads_ahead == "lines":
        related = Related(
            products=[from_nodes.product(node) for products in row[part.name + "_products"] for node in products],
            order_lines={
                order["id"]: [from_nodes.order_line(line) for line in lines]
                for order, lines in zip(page, row[part.name + "_lines"], strict=True)
            },
        )
    elif part.reads_ahead == "people":
        related = Related(
            employees=[from_nodes.employee(node) for node in row[part.name + "_employees"]],
            departments=[from_nodes.department(node) for node in row[part.name + "_departments"]],
        )
    return Page([convert(node) for node in page], row[part.name + "_total"], related)
