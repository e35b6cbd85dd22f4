"""Root lists: filter, sort and page one label, from fixed Cypher fragments.

The statement is put together from fragments chosen by name out of fixed tables (the label,
one ``WHERE`` fragment per filter given, one sort expression); a user's values only ever
travel as parameters. Sorting on an indexed property lets Neo4j read the index in order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import LiteralString


@dataclass(frozen=True, slots=True)
class Listing:
    """How to list one label: the match, the node projection, its filters and sort keys."""

    # The row-ruled label (see graph.row_rules) the list pages through, if it is one.
    label: LiteralString | None
    match: LiteralString
    projection: LiteralString
    filters: Mapping[str, LiteralString]
    sorts: Mapping[str, LiteralString]
    # Sorts on an indexed property that every node has. Without filters, the page query adds
    # "<key> IS NOT NULL" (always true) so the planner reads that index in order and stops after
    # the page, instead of sorting every node of the label (slow on the bench graph). With
    # filters the planner is left to start from the most selective one.
    index_ordered: frozenset[str] = frozenset()
    # The count of every node of the list, without filters, from Neo4j's counts store (one
    # label, or one relationship type with the label at one end): counting the list's match
    # node by node grows with the label, for any client asking for a totalCount. Only where
    # the model makes the two counts equal.
    count_all: LiteralString | None = None

    def where(self, filters: Mapping[str, object]) -> LiteralString:
        unknown = set(filters) - set(self.filters)
        if unknown:
            raise ValueError(f"unknown filters: {sorted(unknown)}")
        fragments = [self.filters[name] for name in sorted(filters)]
        if self.label is not None:
            fragments.append("@visible(" + self.label + ", n)")
        return ("WHERE " + " AND ".join(fragments)) if fragments else ""

    def page_query(self, filters: Mapping[str, object], sort: str, descending: bool) -> LiteralString:
        key = self.sorts[sort]
        direction: LiteralString = "DESC" if descending else "ASC"
        order: LiteralString = f"WITH * ORDER BY {key} {direction}, n.id {direction} SKIP $skip LIMIT $limit"
        where = self.where(filters)
        if not filters and sort in self.index_ordered:
            where = "WHERE " + key + " IS NOT NULL"
            if self.label is not None:
                where += " AND @visible(" + self.label + ", n)"
        return "\n".join([self.match, where, order, self.projection])

    def count_query(self, filters: Mapping[str, object], *, restricted: bool = False) -> LiteralString:
        """The count of the list; ``restricted``: the caller sees only some of the label's rows,
        so the counts store, which counts them all, cannot answer it."""
        if not filters and self.count_all is not None and not restricted:
            return self.count_all
        return self.match + "\n" + self.where(filters) + "\nRETURN count(n) AS total"


CUSTOMERS = Listing(
    label="Customer",
    match="MATCH (n:Customer)",
    projection=(
        "OPTIONAL MATCH (n)-[:OWNED_BY]->(owner:Employee)\n"
        "RETURN n {.*, since: toString(n.since), owner_id: owner.id} AS node"
    ),
    filters={
        "name_contains": "toLower(n.name) CONTAINS toLower($name_contains)",
        "email": "n.email = $email",
        "tiers": "n.tier IN $tiers",
        "segments": "n.segment IN $segments",
        "since_from": "n.since >= $since_from",
        "since_to": "n.since < $since_to",
        "owner_id": "EXISTS { (n)-[:OWNED_BY]->(:Employee {id: $owner_id}) }",
    },
    sorts={"NAME": "n.name", "SINCE": "n.since", "LIFETIME_VALUE": "n.lifetime_value", "ID": "n.id"},
    index_ordered=frozenset({"NAME", "SINCE", "ID"}),
)

ORDERS = Listing(
    label="Order",
    match="MATCH (c:Customer)-[:PLACED]->(n:Order)",
    projection="RETURN n {.*, placed_at: toString(n.placed_at), customer_id: c.id} AS node",
    filters={
        "statuses": "n.status IN $statuses",
        "placed_from": "n.placed_at >= $placed_from",
        "placed_to": "n.placed_at < $placed_to",
        "currency": "n.currency = $currency",
        "min_total": "n.total >= $min_total",
        "customer_id": "c.id = $customer_id",
    },
    sorts={"PLACED_AT": "n.placed_at", "TOTAL": "n.total", "ID": "n.id"},
    index_ordered=frozenset({"PLACED_AT", "ID"}),
    # PLACED only ever goes from a customer to an order.
    count_all="MATCH ()-[:PLACED]->(n:Order) RETURN count(*) AS total",
)

PRODUCTS = Listing(
    label=None,
    match="MATCH (n:Product)",
    projection="RETURN n {.*} AS node",
    filters={
        "name_contains": "toLower(n.name) CONTAINS toLower($name_contains)",
        "category": "n.category = $category",
        "sku": "n.sku = $sku",
    },
    sorts={"NAME": "n.name", "PRICE": "n.price", "SKU": "n.sku", "ID": "n.id"},
    index_ordered=frozenset({"SKU", "ID"}),
)

EMPLOYEES = Listing(
    label=None,
    match="MATCH (n:Employee)-[:WORKS_IN]->(d:Department)",
    projection=(
        "OPTIONAL MATCH (n)-[:REPORTS_TO]->(m:Employee)\nRETURN n {.*, department_id: d.id, manager_id: m.id} AS node"
    ),
    filters={
        "name_contains": "toLower(n.name) CONTAINS toLower($name_contains)",
        "email": "n.email = $email",
        "title_contains": "toLower(n.title) CONTAINS toLower($title_contains)",
        "department_id": "d.id = $department_id",
        "functions": "d.function IN $functions",
    },
    sorts={"NAME": "n.name", "ID": "n.id"},
    index_ordered=frozenset({"NAME", "ID"}),
)

DEPARTMENTS = Listing(
    label=None,
    match="MATCH (n:Department)",
    projection="RETURN n {.*} AS node",
    filters={
        "name_contains": "toLower(n.name) CONTAINS toLower($name_contains)",
        "kind": "n.kind = $kind",
        "functions": "n.function IN $functions",
    },
    sorts={"NAME": "n.name", "ID": "n.id"},
)

INTERACTIONS = Listing(
    label="Interaction",
    match="MATCH (c:Customer)-[:HAD]->(n:Interaction)-[:WITH]->(e:Employee)",
    projection="RETURN n {.*, at: toString(n.at), customer_id: c.id, employee_id: e.id} AS node",
    filters={
        "channels": "n.channel IN $channels",
        "at_from": "n.at >= $at_from",
        "at_to": "n.at < $at_to",
        "customer_id": "c.id = $customer_id",
        "employee_id": "e.id = $employee_id",
    },
    sorts={"AT": "n.at", "ID": "n.id"},
    index_ordered=frozenset({"AT", "ID"}),
    # HAD only ever goes from a customer to an interaction, and every interaction is WITH one
    # employee (the loader and the sync refuse one without).
    count_all="MATCH ()-[:HAD]->(n:Interaction) RETURN count(*) AS total",
)

TICKETS = Listing(
    label="Ticket",
    match="MATCH (c:Customer)-[:RAISED]->(n:Ticket)",
    projection=(
        "RETURN n {.*, opened_at: toString(n.opened_at), closed_at: toString(n.closed_at), customer_id: c.id} AS node"
    ),
    filters={
        "statuses": "n.status IN $statuses",
        "priorities": "n.priority IN $priorities",
        "opened_from": "n.opened_at >= $opened_from",
        "opened_to": "n.opened_at < $opened_to",
        "customer_id": "c.id = $customer_id",
    },
    sorts={
        "OPENED_AT": "n.opened_at",
        "PRIORITY": "CASE n.priority WHEN 'LOW' THEN 0 WHEN 'NORMAL' THEN 1 WHEN 'HIGH' THEN 2 ELSE 3 END",
        "ID": "n.id",
    },
    index_ordered=frozenset({"OPENED_AT", "ID"}),
)


# The customers one department serves, in a list's order, read from the SERVES indexes
# (graph.constraints, graph.serves): the sort keys each relationship carries, by sort. A page of the
# customers a caller's department serves is then one index range, like the unruled list's.
_SERVED_KEYS: Mapping[str, tuple[LiteralString, ...]] = {
    "NAME": ("s.name", "s.cid"),
    "SINCE": ("s.since", "s.cid"),
    "ID": ("s.cid",),
}


def served_page_query(sort: str, descending: bool) -> LiteralString | None:
    """The rest of a statement that began with ``RowScope.serving_scopes`` (``scopes`` bound):
    when the caller has exactly one department, a page of the customers it serves, sorted and
    projected as ``CUSTOMERS.page_query`` does (ties broken by id), as ``nodes``; ``served``
    says whether it did. None for a sort the SERVES indexes do not hold.

    Ordering by the scope first (one value) lets the planner read the index in order and stop
    after the page: without it, it sorted every customer of the department."""
    keys = _SERVED_KEYS.get(sort)
    if keys is None:
        return None
    direction: LiteralString = " DESC" if descending else " ASC"
    present = " AND ".join(key + " IS NOT NULL" for key in keys)
    order = ", ".join(key + direction for key in ("s.scope", *keys))
    # Named, or the planner may take the (scope, cid) index for every sort and sort the page.
    index = "s:SERVES(" + ", ".join(["scope", *(key.removeprefix("s.") for key in keys)]) + ")"
    return (
        "CALL (scopes) {\n"
        "  WITH scopes WHERE size(scopes) = 1\n"
        "  MATCH ()-[s:SERVES]->(n) USING INDEX " + index + "\n"
        "  WHERE s.scope = scopes[0] AND " + present + "\n"
        "  WITH n, s ORDER BY " + order + " SKIP $skip LIMIT $limit\n"
        "  OPTIONAL MATCH (n)-[:OWNED_BY]->(owner:Employee)\n"
        "  RETURN collect(n {.*, since: toString(n.since), owner_id: owner.id}) AS nodes\n"
        "}\n"
        "RETURN size(scopes) = 1 AS served, nodes"
    )


def _served_count(count: LiteralString) -> LiteralString:
    return (
        "CALL (scopes) {\n"
        "  WITH scopes WHERE size(scopes) = 1\n"
        "  MATCH (d:Department {id: scopes[0]})\n" + count + "\n"
        "}\n"
        "RETURN size(scopes) = 1 AS served, total"
    )


# The rest of a statement that began with ``RowScope.serving_scopes``: how many customers the
# caller's one department serves (its degree, from the counts Neo4j keeps), and how many orders,
# interactions or tickets those customers have (the sum of their degrees: for a caller who sees
# exactly those, graph.row_rules.RowScope.implied, counting them row by row read every order of
# the graph, seconds on the bench graph).
SERVED_COUNTS: Mapping[str, LiteralString] = {
    "Customer": _served_count("  RETURN sum(COUNT { (d)-[:SERVES]->() }) AS total"),
    "Order": _served_count("  MATCH (d)-[:SERVES]->(c) RETURN sum(COUNT { (c)-[:PLACED]->() }) AS total"),
    "Interaction": _served_count("  MATCH (d)-[:SERVES]->(c) RETURN sum(COUNT { (c)-[:HAD]->() }) AS total"),
    "Ticket": _served_count("  MATCH (d)-[:SERVES]->(c) RETURN sum(COUNT { (c)-[:RAISED]->() }) AS total"),
}
# The relationship from a customer to each of the others.
FROM_CUSTOMER: Mapping[str, str] = {"Order": "PLACED", "Interaction": "HAD", "Ticket": "RAISED"}
