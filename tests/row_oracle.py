"""What each row-ruled role must not see, worked out in Cypher from the raw graph.

The oracle of the role fuzz (``tests/server/test_role_fuzz.py``, ``bench/role_fuzz.py``). Each
role's rule from ``policy.toml`` is written out again here by hand, as a statement over the
relationships the data itself holds, without the rule compiler (``graph.row_rules``) and
without the derived ``SERVES`` relationships, so a fault in either shows up as a difference:

- ``service_agent``: a customer is visible when someone of the caller's department (the caller
  included) had an interaction with them, handled a step of one of their orders, was handed one
  of their tickets or owns their account (what ``SERVES`` is derived from);
- ``back_office``: an order is visible when someone of the caller's department handled a step
  of it, a customer when they placed such an order; the role reads nothing of interactions and
  tickets, so none of those is visible;
- ``account_manager``: a customer is visible when the caller or one of the caller's direct
  reports owns their account.

Where a rule names customers only, an order, interaction or ticket is visible exactly when the
customer who placed, had or raised it is (one without a customer is not). Each statement
returns the ids the role must NOT see, by label.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import LiteralString

from neo4j import AsyncDriver

LABELS = ("Customer", "Order", "Interaction", "Ticket")

# The hidden rows of a rule that names customers: the hidden customers themselves, and what
# they placed, had and raised, plus orders, interactions and tickets with no customer at all.
_BELOW_HIDDEN_CUSTOMERS: LiteralString = """
WITH c WHERE NOT seen
CALL (c) {
  RETURN 'Customer' AS label, c.id AS id
  UNION ALL
  MATCH (c)-[:PLACED]->(o:Order) RETURN 'Order' AS label, o.id AS id
  UNION ALL
  MATCH (c)-[:HAD]->(i:Interaction) RETURN 'Interaction' AS label, i.id AS id
  UNION ALL
  MATCH (c)-[:RAISED]->(t:Ticket) RETURN 'Ticket' AS label, t.id AS id
}
RETURN label, id
UNION ALL
MATCH (o:Order) WHERE NOT EXISTS { (:Customer)-[:PLACED]->(o) } RETURN 'Order' AS label, o.id AS id
UNION ALL
MATCH (i:Interaction) WHERE NOT EXISTS { (:Customer)-[:HAD]->(i) } RETURN 'Interaction' AS label, i.id AS id
UNION ALL
MATCH (t:Ticket) WHERE NOT EXISTS { (:Customer)-[:RAISED]->(t) } RETURN 'Ticket' AS label, t.id AS id
"""

# Two MATCH clauses, not one pattern: in one pattern the caller's own WORKS_IN could not be
# walked twice, and the caller would not count as someone of their department.
HIDDEN_FROM_SERVICE_AGENT: LiteralString = (
    """
OPTIONAL MATCH (:Employee {id: $caller_id})-[:WORKS_IN]->(home:Department)
OPTIONAL MATCH (colleague:Employee)-[:WORKS_IN]->(home)
WITH collect(DISTINCT colleague) AS team
MATCH (c:Customer)
WITH c,
  EXISTS { MATCH (c)-[:HAD]->(:Interaction)-[:WITH]->(e:Employee) WHERE e IN team }
  OR EXISTS { MATCH (c)-[:PLACED]->(:Order)-[:HANDLED_BY]->(e:Employee) WHERE e IN team }
  OR EXISTS { MATCH (c)-[:RAISED]->(:Ticket)-[:ASSIGNED_TO]->(e:Employee) WHERE e IN team }
  OR EXISTS { MATCH (c)-[:OWNED_BY]->(e:Employee) WHERE e IN team } AS seen
"""
    + _BELOW_HIDDEN_CUSTOMERS
)

HIDDEN_FROM_ACCOUNT_MANAGER: LiteralString = (
    """
OPTIONAL MATCH (caller:Employee {id: $caller_id})
OPTIONAL MATCH (report:Employee)-[:REPORTS_TO]->(caller)
WITH collect(DISTINCT caller) + collect(DISTINCT report) AS owners
MATCH (c:Customer)
WITH c, EXISTS { MATCH (c)-[:OWNED_BY]->(e:Employee) WHERE e IN owners } AS seen
"""
    + _BELOW_HIDDEN_CUSTOMERS
)

HIDDEN_FROM_BACK_OFFICE: LiteralString = """
OPTIONAL MATCH (:Employee {id: $caller_id})-[:WORKS_IN]->(home:Department)
OPTIONAL MATCH (colleague:Employee)-[:WORKS_IN]->(home)
WITH collect(DISTINCT colleague) AS team
CALL (team) {
  MATCH (o:Order) WHERE NOT EXISTS { MATCH (o)-[:HANDLED_BY]->(e:Employee) WHERE e IN team }
  RETURN 'Order' AS label, o.id AS id
  UNION ALL
  MATCH (c:Customer)
  WHERE NOT EXISTS { MATCH (c)-[:PLACED]->(:Order)-[:HANDLED_BY]->(e:Employee) WHERE e IN team }
  RETURN 'Customer' AS label, c.id AS id
  UNION ALL
  MATCH (i:Interaction) RETURN 'Interaction' AS label, i.id AS id
  UNION ALL
  MATCH (t:Ticket) RETURN 'Ticket' AS label, t.id AS id
}
RETURN label, id
"""

HIDDEN_BY_ROLE: Mapping[str, LiteralString] = {
    "service_agent": HIDDEN_FROM_SERVICE_AGENT,
    "back_office": HIDDEN_FROM_BACK_OFFICE,
    "account_manager": HIDDEN_FROM_ACCOUNT_MANAGER,
}

ALL_IDS: LiteralString = """
MATCH (n) WHERE n:Customer OR n:Order OR n:Interaction OR n:Ticket
RETURN [label IN labels(n) WHERE label IN ['Customer', 'Order', 'Interaction', 'Ticket']][0] AS label, n.id AS id
"""


@dataclass(frozen=True, slots=True)
class RowSplit:
    """The ids of each ruled label, split into those a caller may and may not see."""

    hidden: Mapping[str, frozenset[str]]
    visible: Mapping[str, frozenset[str]]

    @property
    def all_hidden(self) -> frozenset[str]:
        return frozenset().union(*self.hidden.values())

    def pool(self, per_side: int) -> dict[str, list[str]]:
        """Up to ``per_side`` visible and as many hidden ids of each label, spread over the id range,
        by the lower-case label (the argument naming of ``tests/fuzz_operations.py``)."""
        return {
            label.lower(): [*_spread(self.visible[label], per_side), *_spread(self.hidden[label], per_side)]
            for label in LABELS
        }


def _spread(ids: frozenset[str], count: int) -> list[str]:
    ordered = sorted(ids)
    if len(ordered) <= count:
        return ordered
    step = len(ordered) / count
    return [ordered[int(index * step)] for index in range(count)]


async def _by_label(driver: AsyncDriver, query: LiteralString, **parameters: str) -> dict[str, set[str]]:
    records, _, _ = await driver.execute_query(query, parameters, database_="neo4j")
    found: dict[str, set[str]] = {label: set() for label in LABELS}
    for record in records:
        found[record["label"]].add(record["id"])
    return found


async def row_split(driver: AsyncDriver, role: str, caller_id: str) -> RowSplit:
    """What ``role``, acting as the employee ``caller_id``, may and may not see (see the docstring)."""
    hidden = await _by_label(driver, HIDDEN_BY_ROLE[role], caller_id=caller_id)
    every = await _by_label(driver, ALL_IDS)
    return RowSplit(
        hidden={label: frozenset(hidden[label]) for label in LABELS},
        visible={label: frozenset(every[label] - hidden[label]) for label in LABELS},
    )


def ruled_roles(roles: Sequence[str]) -> list[str]:
    """The roles of ``roles`` the oracle knows a rule for."""
    return [role for role in roles if role in HIDDEN_BY_ROLE]
