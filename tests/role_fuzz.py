"""The role fuzz: operations a row-ruled role may run, checked against the oracle's hidden ids.

For each role with row rules, acting as the employee the playground picks for it
(``graph.demo_callers``), ``tests/row_oracle.py`` works out in Cypher which customers, orders,
interactions and tickets the role must not see. hypothesis-graphql then generates operations
from the schema as the role may read it (``tests/role_schema.py``), asking for ids drawn from a
pool of visible and hidden ids of each label (lookups, filters, ``_entities``, ``journey``,
``handOffChain``, path ends...). Each runs over HTTP with the role's token, and:

- no string anywhere in the answer's ``data`` may be a hidden id (whatever field holds it: an
  ``id``, a path's ``startId``, an ERP's ``lastOrderId``; page cursors are positions, never ids);
- no error message or extension may name a hidden id the operation did not name itself;
- the answer is no 5xx and carries no ``INTERNAL_SERVER_ERROR``.

``with_admin`` also sends each operation as the admin and counts the hidden ids the admin's
answer holds: proof that the operations reach hidden rows, so a clean run means something.
Used by ``tests/server/test_role_fuzz.py`` (short) and ``bench/role_fuzz.py`` (long).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from graphql import GraphQLSchema
from hypothesis import HealthCheck, given, settings
from neo4j import AsyncDriver

from domain.access import Policy
from graph.demo_callers import demo_callers
from graph.store import Neo4jGraphStore
from tests.auth_tokens import bearer
from tests.fuzz_operations import ENTITIES, Operation, operations
from tests.role_schema import readable_schema
from tests.row_oracle import RowSplit, row_split, ruled_roles

# Fields read live from the systems of record, which the fuzz runs without: the graph is what
# row rules guard, and a source that cannot be reached only adds SOURCE_UNAVAILABLE errors.
LIVE_FIELDS = ("crm", "erpAccount", "helpdeskSummary", "live", "availability", "stock")
POOL_PER_SIDE = 25
# Pages of at most 8: nested lists of 30 would mostly be refused by the cost limit and check
# nothing, while a rule that lets hidden rows into a list shows in any page (most rows are hidden).
MAX_PAGE = 8  # visible and hidden ids of each label the operations ask for
REQUEST_TIMEOUT_S = 120.0
# What an id of a customer, order, interaction or ticket looks like inside a longer text.
_ID_IN_TEXT = re.compile(r"\b[COIT]\d{6,7}\b")


@dataclass(frozen=True)
class RoleTarget:
    """A row-ruled role, the employee it acts as, what it must not see and what it may ask."""

    role: str
    employee_id: str
    split: RowSplit
    schema: GraphQLSchema
    pools: dict[str, list[str]]
    entity_types: list[str]

    def headers(self) -> dict[str, str]:
        return bearer(self.role, subject=self.employee_id)


async def role_targets(driver: AsyncDriver, policy: Policy, served: GraphQLSchema) -> list[RoleTarget]:
    picks = await demo_callers(Neo4jGraphStore(driver, "neo4j"))
    targets = []
    for role in ruled_roles(sorted(policy.roles)):
        grants = policy.grants([role])
        caller = picks[role].employee_id
        split = await row_split(driver, role, caller)
        schema = readable_schema(served, grants)
        entity_types = [name for name in ENTITIES if grants.reads_type(name)]
        targets.append(RoleTarget(role, caller, split, schema, split.pool(POOL_PER_SIDE), entity_types))
    return targets


def strings_in(value: Any, at: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every string of a JSON answer, with where it sits (keys are response names, aliases included)."""
    if isinstance(value, str):
        yield at, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings_in(item, (*at, index))


@dataclass(frozen=True)
class Leak:
    role: str
    employee_id: str
    operation: Operation
    path: tuple[str | int, ...]
    hidden_id: str

    def __str__(self) -> str:
        where = ".".join(map(str, self.path))
        where = where if where.startswith("errors") else f"data.{where}"
        return (
            f"{self.role} (as {self.employee_id}) got hidden id {self.hidden_id} at {where}\n"
            f"{self.operation.query}\nvariables: {self.operation.variables}"
        )


@dataclass
class Tally:
    """What a run did: operations, ids compared, leaks, answers; what the admin saw of the hidden ids."""

    examples: int = 0
    strings_checked: int = 0
    ids_checked: int = 0  # strings that are ids of customers, orders, interactions or tickets
    leaks: list[Leak] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    admin_hidden_ids: int = 0  # hidden ids in the admin's answers to the same operations
    admin_answers_with_hidden: int = 0

    def add(self, other: Tally) -> None:
        self.examples += other.examples
        self.strings_checked += other.strings_checked
        self.ids_checked += other.ids_checked
        self.leaks += other.leaks
        self.server_errors += other.server_errors
        self.outcomes.update(other.outcomes)
        self.admin_hidden_ids += other.admin_hidden_ids
        self.admin_answers_with_hidden += other.admin_answers_with_hidden


def _outcome(response: httpx.Response) -> tuple[str, dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} not JSON", {}
    codes = sorted({(error.get("extensions") or {}).get("code", "?") for error in body.get("errors") or ()})
    return f"{response.status_code} {'+'.join(codes) or 'ok'}", body


async def probe(http: httpx.AsyncClient, target: RoleTarget, operation: Operation, *, with_admin: bool) -> Tally:
    """Run ``operation`` as the role (and as the admin, ``with_admin``) and check the role's answer."""
    payload = {"query": operation.query, "variables": operation.variables, "operationName": "Fuzz"}
    tally = Tally(examples=1)
    response = await http.post("/graphql", json=payload, headers=target.headers())
    found, body = _outcome(response)
    tally.outcomes[found] += 1
    if response.status_code >= 500 or "INTERNAL_SERVER_ERROR" in found:
        tally.server_errors.append(f"{target.role}: {found}\n{operation.query}\n{operation.variables}")
    hidden = target.split.all_hidden
    every = hidden | frozenset().union(*target.split.visible.values())
    for path, value in strings_in(body.get("data")):
        tally.strings_checked += 1
        if value in every:
            tally.ids_checked += 1
        if value in hidden:
            tally.leaks.append(Leak(target.role, target.employee_id, operation, path, value))
    asked = operation.query + json.dumps(operation.variables)
    for path, text in strings_in(body.get("errors"), ("errors",)):
        for value in _ID_IN_TEXT.findall(text):
            if value in hidden and value not in asked:
                tally.leaks.append(Leak(target.role, target.employee_id, operation, path, value))
    if with_admin:
        admin = await http.post("/graphql", json=payload, headers=bearer("admin"))
        seen = [value for _, value in strings_in(_outcome(admin)[1].get("data")) if value in hidden]
        tally.admin_hidden_ids += len(seen)
        tally.admin_answers_with_hidden += bool(seen)
    return tally


def fuzz(
    loop: asyncio.AbstractEventLoop,
    http: httpx.AsyncClient,
    target: RoleTarget,
    examples: int,
    *,
    with_admin: Callable[[], bool],
    on_example: Callable[[Tally], None],
) -> None:
    """Generate ``examples`` operations for the role and probe each on ``loop`` (call it from another
    thread: hypothesis drives a plain function, the app runs on the loop); the admin is asked too
    while ``with_admin()`` says so. ``on_example`` gets each example's tally; whatever it raises is
    hypothesis's failure (and is shrunk)."""

    @settings(max_examples=examples, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        operation=operations(
            target.schema,
            careful=True,
            leave_out=LIVE_FIELDS,
            ids=target.pools,
            entity_types=target.entity_types,
            select_ids=True,
            max_page=MAX_PAGE,
        ),
    )
    def probed(operation: Operation) -> None:
        running = asyncio.run_coroutine_threadsafe(probe(http, target, operation, with_admin=with_admin()), loop)
        on_example(running.result(timeout=REQUEST_TIMEOUT_S))

    probed()
