"""The authorization matrix: every field of the schema, for every role of the policy, over HTTP.

The cells are generated from the schema and ``policy.toml``, not written by hand: every field of
every object type (the root fields as fields of ``Query``), for each role. Each cell is one
operation that reaches the field by the shortest path of fields the role may read (or, when the
role reaches the type by none, the shortest path at all) and selects it; it runs over HTTP, with
the role's token, against the real Neo4j holding the demo company and the demo systems of record.

What a cell must show follows from the policy (``expected``), and each outcome has its check:

- ``DENIED``: the operation is refused before it runs (``FORBIDDEN``, no data);
- ``MASKED``: the field goes out as its mask says, everywhere it occurs: redacted (the admin's
  value, redacted) or null with one ``FORBIDDEN_FIELD`` error per occurrence;
- ``ALLOWED``: the field's values are the admin's, with no access error.

- ``FILTERED``: a role with row rules reads the field, and its answer is a part of the admin's:
  rows left out (a hidden entity is null), counts no larger, nothing the admin would not see
  (``part_of``); paths are other paths, checked by the leak tests of ``tests/resolvers/test_row_rules.py``.
 A cell whose field occurs nowhere in the demo data (a list that is empty for the ids
chosen) would check nothing but the verdict: the ids are chosen so that every field occurs, and
a field that stops occurring fails the test.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_composite_type,
)
from neo4j import AsyncDriver

from demo_company.company import DEMO_NOW
from domain.access import Grants, MaskMode, Policy, redact
from graph.demo_callers import ANYONE, demo_callers
from graph.row_rules import RULED_LABELS
from graph.store import Neo4jGraphStore
from resolvers.access import is_open
from resolvers.schema import build_schema
from resolvers.strawberry_internals import graphql_schema
from server.app import create_app, started
from server.policy_config import PolicyFile
from server.settings import PROJECT_ROOT
from tests.auth_tokens import bearer, settings
from tests.conftest import ensure_demo
from tests.live_systems import LiveSystems

SCHEMA: GraphQLSchema = graphql_schema(build_schema())
POLICY: Policy = PolicyFile.load(PROJECT_ROOT / "policy.toml", SCHEMA).policy
ROLES = sorted(POLICY.roles)
AS_OF = DEMO_NOW.isoformat()
# The federation plumbing is its own cell; it is no step on a path.
NOT_A_STEP = frozenset({"_entities", "_service"})


class Outcome(Enum):
    ALLOWED = "allowed"
    FILTERED = "filtered"
    MASKED = "masked"
    DENIED = "denied"


@dataclass(frozen=True)
class Step:
    field: str
    on: str | None = None  # the member type selected below a union-typed field


@dataclass(frozen=True)
class Cell:
    type_name: str
    field: str


def _reachable_from_query() -> set[str]:
    seen, queue = {"Query"}, deque(["Query"])
    while queue:
        owner = SCHEMA.type_map[queue.popleft()]
        for field in getattr(owner, "fields", {}).values():
            named = get_named_type(field.type)
            for member in named.types if isinstance(named, GraphQLUnionType) else [named]:
                if isinstance(member, GraphQLObjectType) and member.name not in seen:
                    seen.add(member.name)
                    queue.append(member.name)
    return seen


# The mutations, what they answer and the delivery state they leave have their own matrix, on a
# graph of their own (tests/act/test_write_matrix.py): they write, and this one reads the demo.
# Subscriptions stream (tests/act/test_subscriptions.py checks their policy and row rules): the
# types only they return are left out here too.
_ROOTS = [root for root in (SCHEMA.mutation_type, SCHEMA.subscription_type) if root is not None]
WRITE_TYPES = frozenset(
    {"Mutation", "Subscription", "TicketDelivery"}
    | {get_named_type(field.type).name for root in _ROOTS for field in root.fields.values()} - _reachable_from_query()
)
WRITE_FIELDS = frozenset({("Ticket", "delivery")})


def object_types() -> list[GraphQLObjectType]:
    return [
        item
        for name, item in SCHEMA.type_map.items()
        if isinstance(item, GraphQLObjectType) and not name.startswith("_") and name not in WRITE_TYPES
    ]


def cells() -> list[Cell]:
    return [
        Cell(item.name, field)
        for item in object_types()
        for field in item.fields
        if (item.name, field) not in WRITE_FIELDS
    ]


def _reads_some(grants: Grants, field: GraphQLField) -> bool:
    named = get_named_type(field.type)
    if isinstance(named, GraphQLUnionType):
        return any(grants.reads_type(member.name) for member in named.types)
    return not isinstance(named, GraphQLObjectType) or named.name.startswith("_") or grants.reads_type(named.name)


def paths(grants: Grants | None) -> dict[str, tuple[Step, ...]]:
    """The shortest path from the root to each object type, through fields ``grants`` may read
    (through any field, without grants)."""

    def usable(owner: str, name: str, field: GraphQLField) -> bool:
        if owner == "Query" and name in NOT_A_STEP:
            return False
        return grants is None or (grants.readable(owner, name) and _reads_some(grants, field))

    found: dict[str, tuple[Step, ...]] = {"Query": ()}
    queue: deque[str] = deque(["Query"])
    while queue:
        owner = queue.popleft()
        owner_type = SCHEMA.type_map[owner]
        assert isinstance(owner_type, GraphQLObjectType)
        for name, field in owner_type.fields.items():
            if not usable(owner, name, field):
                continue
            named = get_named_type(field.type)
            members = named.types if isinstance(named, GraphQLUnionType) else [named]
            for member in members:
                if not isinstance(member, GraphQLObjectType) or member.name in found:
                    continue
                if grants is not None and not grants.reads_type(member.name):
                    continue
                on = member.name if isinstance(named, GraphQLUnionType) else None
                found[member.name] = (*found[owner], Step(name, on))
                queue.append(member.name)
    return found


ADMIN_PATHS = paths(None)
ROLE_PATHS = {role: paths(POLICY.grants([role])) for role in ROLES}


def route(role: str, cell: Cell) -> tuple[tuple[Step, ...], bool]:
    """The path the role's operation takes to the cell's type, and whether the role may read it."""
    own = ROLE_PATHS[role].get(cell.type_name)
    return (own, True) if own is not None else (ADMIN_PATHS[cell.type_name], False)


def expected(role: str, cell: Cell) -> Outcome:
    grants = POLICY.grants([role])
    _, readable_path = route(role, cell)
    filtered = bool(RULED_LABELS & grants.row_rules.keys())  # some rows of a ruled label are out of sight
    if is_open(cell.type_name, cell.field):
        return Outcome.FILTERED if filtered else Outcome.ALLOWED
    field = SCHEMA.type_map[cell.type_name].fields[cell.field]  # type: ignore[union-attr]
    if not readable_path or not grants.readable(cell.type_name, cell.field) or not _reads_some(grants, field):
        return Outcome.DENIED
    if grants.mask(cell.type_name, cell.field) is not None:
        return Outcome.MASKED
    if filtered:
        return Outcome.FILTERED
    return Outcome.ALLOWED


# --- the operations ------------------------------------------------------------------------


@dataclass(frozen=True)
class Ids:
    """Entities of the demo company with something on every path."""

    customer: str
    order: str
    product: str
    employee: str
    department: str
    interaction: str
    ticket: str


def _root_arguments(ids: Ids) -> dict[str, str]:
    by_id = {
        "customer": ids.customer, "order": ids.order, "product": ids.product, "employee": ids.employee,
        "department": ids.department, "interaction": ids.interaction, "ticket": ids.ticket,
    }  # fmt: skip
    arguments = {name: f'id: "{value}"' for name, value in by_id.items()}
    ends = f'from: {{kind: CUSTOMER, id: "{ids.customer}"}}, to: {{kind: DEPARTMENT, id: "{ids.department}"}}'
    arguments.update(
        journey=f'customerId: "{ids.customer}"',
        whoTouched=f'customerId: "{ids.customer}"',
        whoKnowsBest=f'customerId: "{ids.customer}"',
        handOffChain=f'ticketId: "{ids.ticket}"',
        departmentFlows=f'departmentId: "{ids.department}"',
        shortestPath=ends,
        allShortestPaths=ends,
        search=f'text: "{ids.customer}"',
        neighbourhood=f'entity: {{kind: CUSTOMER, id: "{ids.customer}"}}',
        demand='window: {from: "2025-01-01T00:00:00Z", to: "2026-11-01T00:00:00Z"}, by: DEPARTMENT',
        _entities=f'representations: [{{__typename: "Customer", id: "{ids.customer}"}}]',
    )
    return arguments


def _arguments(owner: str, name: str, field: GraphQLField, roots: dict[str, str], page: int = 3) -> str:
    given = [roots[name]] if owner == "Query" and name in roots else []
    if "first" in field.args:
        given.append(f"first: {page}")
    if "asOf" in field.args:
        given.append(f'asOf: "{AS_OF}"')
    if owner == "Query" and name in ("shortestPath", "allShortestPaths"):
        given.append("maxHops: 4")
    return f"({', '.join(given)})" if given else ""


def operation(path: tuple[Step, ...], cell: Cell, ids: Ids, page: int = 3) -> str:
    """The cell's operation; lists take ``first: page``."""
    roots = _root_arguments(ids)
    owner = "Query"
    opened: list[str] = []
    text = ""
    for step in path:
        field = SCHEMA.type_map[owner].fields[step.field]  # type: ignore[union-attr]
        text += f"{step.field}{_arguments(owner, step.field, field, roots, page)} {{ "
        opened.append("}")
        owner = get_named_type(field.type).name
        if step.on is not None:
            text += f"... on {step.on} {{ "
            opened.append("}")
            owner = step.on
    target = SCHEMA.type_map[cell.type_name].fields[cell.field]  # type: ignore[union-attr]
    below = " { __typename }" if is_composite_type(get_named_type(target.type)) else ""
    text += f"{cell.field}{_arguments(cell.type_name, cell.field, target, roots, page)}{below} "
    return "{ " + text + " ".join(opened) + " }"


def occurrences(data: Any, path: tuple[Step, ...], field: str) -> Iterator[tuple[list[str | int], Any]]:
    """Each object at the end of ``path`` in the answer: its path, and its value of ``field``."""

    def walk(value: Any, at: list[str | int], rest: tuple[Step, ...]) -> Iterator[tuple[list[str | int], Any]]:
        if value is None:
            return
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(item, [*at, index], rest)
            return
        if not rest:
            if field in value:
                yield [*at, field], value[field]
            return
        step = rest[0]
        if step.field in value:
            yield from walk(value[step.field], [*at, step.field], rest[1:])

    yield from walk(data, [], path)


# --- the checks ----------------------------------------------------------------------------


def _codes(body: dict[str, Any]) -> set[str]:
    return {error.get("extensions", {}).get("code", "") for error in body.get("errors", [])}


def check_denied(body: dict[str, Any], admin: dict[str, Any], path: tuple[Step, ...], cell: Cell) -> str | None:
    if _codes(body) != {"FORBIDDEN"} or body.get("data") is not None:
        return f"expected FORBIDDEN before anything ran, got {body}"
    return None


def check_allowed(body: dict[str, Any], admin: dict[str, Any], path: tuple[Step, ...], cell: Cell) -> str | None:
    if _codes(body) & {"FORBIDDEN", "FORBIDDEN_FIELD", "UNAUTHENTICATED"}:
        return f"expected the field, got {body.get('errors')}"
    seen = list(occurrences(body.get("data"), path, cell.field))
    real = list(occurrences(admin.get("data"), path, cell.field))
    if seen != real:
        return f"expected the admin's values {real[:3]}, got {seen[:3]}"
    return None


# Under row rules an answer holds a part of the admin's: fewer rows, smaller counts. Aggregates
# of the rows seen (sums, medians, scores, a path's length) and page cursors may differ either way.
COUNTS = frozenset({"totalCount", "interactions", "orderSteps", "handOffs", "contacts", "orders", "units", "tickets"})
ANY_VALUE = frozenset({
    "revenue", "medianWaitSeconds", "p90WaitSeconds", "score", "length", "lastContact", "cursor", "startCursor",
    "endCursor", "hasNextPage", "hasPreviousPage", "totalWaitSeconds", "accountOwner", "employees",
})  # fmt: skip
# A path the caller may see is another path than the admin's: the leak tests check those.
OTHER_ANSWER = frozenset({"shortestPath", "allShortestPaths"})


def part_of(seen: Any, real: Any, key: str = "") -> bool:
    """Whether ``seen`` is the part of ``real`` a caller under row rules may get (see above)."""
    if seen is None or key in OTHER_ANSWER:
        return True
    if key in ANY_VALUE and not isinstance(seen, dict | list):
        return True
    if key in COUNTS and isinstance(seen, int) and isinstance(real, int):
        return 0 <= seen <= real
    if isinstance(seen, dict):
        return isinstance(real, dict) and all(
            name in real and part_of(value, real[name], name) for name, value in seen.items()
        )
    if isinstance(seen, list):
        if not isinstance(real, list):
            return False
        left = list(real)
        for item in seen:
            match = next((index for index, other in enumerate(left) if part_of(item, other, key)), None)
            if match is None:
                return False
            del left[match]
        return True
    return bool(seen == real)


def check_filtered(body: dict[str, Any], admin: dict[str, Any], path: tuple[Step, ...], cell: Cell) -> str | None:
    if _codes(body) & {"FORBIDDEN", "FORBIDDEN_FIELD", "UNAUTHENTICATED"}:
        return f"expected the field, got {body.get('errors')}"
    if not part_of(body.get("data"), admin.get("data")):
        return (
            f"expected a part of the admin's answer {str(admin.get('data'))[:300]}, got {str(body.get('data'))[:300]}"
        )
    return None


def check_masked_as(mode: MaskMode) -> Callable[..., str | None]:
    def check(body: dict[str, Any], admin: dict[str, Any], path: tuple[Step, ...], cell: Cell) -> str | None:
        real = list(occurrences(admin.get("data"), path, cell.field))
        seen = list(occurrences(body.get("data"), path, cell.field))
        if mode is MaskMode.REDACT:
            wanted = [(at, None if value is None else _redacted(value)) for at, value in real]
            return None if seen == wanted else f"expected {wanted[:3]}, got {seen[:3]}"
        errors = [error for error in body.get("errors", []) if error["extensions"]["code"] == "FORBIDDEN_FIELD"]
        if [(at, None) for at, _ in real] != seen or sorted(map(str, (e["path"] for e in errors))) != sorted(
            map(str, (at for at, _ in real))
        ):
            return f"expected null with FORBIDDEN_FIELD at {[at for at, _ in real][:3]}, got {seen[:3]} {errors[:3]}"
        return None

    return check


def _redacted(value: Any) -> Any:
    return [redact(item) for item in value] if isinstance(value, list) else redact(value)


CHECKS: dict[Outcome, Callable[..., str | None]] = {
    Outcome.DENIED: check_denied,
    Outcome.ALLOWED: check_allowed,
    Outcome.FILTERED: check_filtered,
}


# --- running it ----------------------------------------------------------------------------


@dataclass
class Matrix:
    http: httpx.AsyncClient
    ids: Ids
    subjects: dict[str, str]  # the employee each role's token names
    admin_answers: dict[str, dict[str, Any]]

    async def ask(self, query: str, role: str) -> dict[str, Any]:
        headers = bearer(role, subject=self.subjects[role])
        response = await self.http.post("/graphql", json={"query": query}, headers=headers)
        assert response.status_code in (200, 403), response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def admin(self, query: str) -> dict[str, Any]:
        if query not in self.admin_answers:
            self.admin_answers[query] = await self.ask(query, "admin")
        return self.admin_answers[query]


async def _ids(http: httpx.AsyncClient, driver: AsyncDriver) -> Ids:
    async def one(query: str) -> str:
        records, _, _ = await driver.execute_query(query)
        return str(records[0]["id"])

    customer = await one(
        "MATCH (c:Customer)-[:RAISED]->(t:Ticket)-[:ASSIGNED_TO]->() WITH c, t, count(*) AS hops WHERE hops >= 2"
        " AND EXISTS { (c)-[:HAD]->() } AND EXISTS { (c)-[:OWNED_BY]->() } AND EXISTS { (c)-[:PLACED]->() }"
        " RETURN c.id AS id ORDER BY c.id LIMIT 1"
    )
    ticket = await one(
        f"MATCH (:Customer {{id: '{customer}'}})-[:RAISED]->(t:Ticket)-[:ASSIGNED_TO]->() WITH t, count(*) AS hops"
        " WHERE hops >= 2 RETURN t.id AS id ORDER BY t.id LIMIT 1"
    )
    order = await one("MATCH (o:Order {status: 'INVOICED'})-[:CONTAINS]->() RETURN o.id AS id ORDER BY o.id LIMIT 1")
    department = await one(
        "MATCH (d:Department {function: 'SERVICE'})<-[:WORKS_IN]-(:Employee)<-[:ASSIGNED_TO]-() RETURN d.id AS id"
        " ORDER BY d.id LIMIT 1"
    )
    interaction = await one("MATCH (i:Interaction) RETURN i.id AS id ORDER BY i.id LIMIT 1")
    product = await one("MATCH (p:Product)<-[:CONTAINS]-() RETURN p.id AS id ORDER BY p.id LIMIT 1")
    # An employee with reports, accounts and interactions, who is out of office with a reason in HR.
    candidates = (
        await http.post(
            "/graphql",
            json={"query": "{ employees(first: 100) { nodes { id availability { outOfOffice { reason } } } } }"},
            headers=bearer("admin"),
        )
    ).json()["data"]["employees"]["nodes"]
    away = [item["id"] for item in candidates if ((item["availability"] or {}).get("outOfOffice") or {}).get("reason")]
    assert away, "no employee of the demo HR is out of office with a reason"
    employee = away[0]
    return Ids(customer, order, product, employee, department, interaction, ticket)


@pytest.fixture(scope="module")
async def matrix(driver: AsyncDriver, live_systems: LiveSystems) -> AsyncIterator[Matrix]:
    await ensure_demo(driver)
    await live_systems.reset()
    app = create_app(settings(), driver=driver, environ=live_systems.environ())
    async with started(app) as served:
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as http:
            ids = await _ids(http, driver)
            # Each role acts as an employee it suits, as in the playground (what row rules will read).
            picks = await demo_callers(Neo4jGraphStore(driver, "neo4j"))
            yield Matrix(http, ids, {role: (picks.get(role) or picks[ANYONE]).employee_id for role in ROLES}, {})


CELLS = cells()
TYPES = sorted({cell.type_name for cell in CELLS})


def test_the_matrix_covers_every_field_of_every_type_for_every_role(capsys: pytest.CaptureFixture[str]) -> None:
    fields = sum(len(item.fields) for item in object_types()) - len(WRITE_FIELDS)
    counts = {outcome: sum(expected(role, cell) is outcome for role in ROLES for cell in CELLS) for outcome in Outcome}
    with capsys.disabled():
        summary = ", ".join(f"{outcome.value} {count}" for outcome, count in counts.items())
        size = f"{len(CELLS)} fields x {len(ROLES)} roles = {len(CELLS) * len(ROLES)} cells"
        print(f"\nauthorization matrix: {size} ({summary})")

    assert len(CELLS) == fields and set(ROLES) == {
        "admin",
        "analyst",
        "service_agent",
        "back_office",
        "account_manager",
    }
    assert all(cell.type_name in ADMIN_PATHS for cell in CELLS)  # every type is reachable from the root
    assert all(counts.values())


@pytest.mark.parametrize("type_name", TYPES)
@pytest.mark.parametrize("role", ROLES)
async def test_each_field_answers_as_the_policy_says(matrix: Matrix, role: str, type_name: str) -> None:
    async def run(cell: Cell) -> str | None:
        path, _ = route(role, cell)
        outcome = expected(role, cell)
        # Under row rules the role's first rows are further down the admin's list: both read whole pages.
        query = operation(path, cell, matrix.ids, page=50 if outcome is Outcome.FILTERED else 3)
        if outcome is Outcome.MASKED:
            mode = POLICY.grants([role]).mask(cell.type_name, cell.field)
            assert mode is not None
            check = check_masked_as(mode)
        else:
            check = CHECKS[outcome]
        admin = await matrix.admin(query)  # the admin reads everything: the same operation is the reference
        assert "errors" not in admin, (query, admin)
        if not any(True for _ in occurrences(admin.get("data"), path, cell.field)):
            return f"{cell.type_name}.{cell.field}: no value in the demo data for {query}: pick other ids"
        problem = check(await matrix.ask(query, role), admin, path, cell)
        return None if problem is None else f"{cell.type_name}.{cell.field} ({outcome.value}) {query}\n    {problem}"

    # A few cells at once: while one waits for Neo4j, another is checked.
    slots = asyncio.Semaphore(4)

    async def in_turn(cell: Cell) -> str | None:
        async with slots:
            return await run(cell)

    outcomes = await asyncio.gather(*(in_turn(cell) for cell in CELLS if cell.type_name == type_name))
    failures = [problem for problem in outcomes if problem is not None]
    assert not failures, f"{role}:\n" + "\n".join(failures)
