"""A graph the mutation tests may change: the tiny demo company, loaded for them and wiped after.

The read-only suites share the session's demo graph (``tests.conftest.ensure_demo``); writes
would change what they read, so these tests load their own company and wipe it when done (the
next read-only suite then loads its own again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from neo4j import AsyncDriver

from demo_company.company import PRESETS, DemoCompany, demo_stream
from domain.access import Access, Caller, Policy
from graph.load.loader import BulkLoader
from graph.store import Neo4jGraphStore
from resolvers.context import Context
from resolvers.schema import build_schema
from server.operations import OperationRunner
from server.policy_config import PolicyFile
from server.settings import PROJECT_ROOT
from tests.conftest import DATABASE, wipe

SCHEMA = build_schema()
OPERATIONS = OperationRunner.of(SCHEMA)
POLICY: Policy = PolicyFile.load(PROJECT_ROOT / "policy.toml", OPERATIONS.graphql_schema).policy
WORLD_PRESET, WORLD_SEED = "tiny", 11


async def load_world(driver: AsyncDriver) -> None:
    await wipe(driver)
    report = await BulkLoader(driver, DATABASE).load(demo_stream(DemoCompany(PRESETS[WORLD_PRESET], WORLD_SEED)))
    assert report.rows_rejected == 0


@dataclass(frozen=True)
class Agent:
    """A service agent, a customer their department serves, one it does not, and their open tickets."""

    employee_id: str
    served_customer: str
    unserved_customer: str
    open_ticket: str
    hidden_ticket: str
    colleague: str


FIND_AGENT = """
MATCH (e:Employee)-[:WORKS_IN]->(d:Department)-[:SERVES]->(c:Customer)-[:RAISED]->(t:Ticket)
WHERE t.status IN ['OPEN', 'IN_PROGRESS', 'WAITING']
MATCH (other:Customer)-[:RAISED]->(hidden:Ticket) WHERE NOT (d)-[:SERVES]->(other)
MATCH (colleague:Employee)-[:WORKS_IN]->(:Department) WHERE colleague <> e
  AND NOT EXISTS { (t)-[:ASSIGNED_TO]->(colleague) }
RETURN e.id AS employee, c.id AS served, other.id AS unserved, t.id AS ticket, hidden.id AS hidden,
       colleague.id AS colleague
ORDER BY e.id, c.id, t.id, other.id, colleague.id LIMIT 1
"""


async def find_agent(driver: AsyncDriver) -> Agent:
    records, _, _ = await driver.execute_query(FIND_AGENT, database_=DATABASE)
    assert records, "the world has no service agent with a served customer's open ticket"
    r = records[0]
    return Agent(r["employee"], r["served"], r["unserved"], r["ticket"], r["hidden"], r["colleague"])


def context(driver: AsyncDriver, employee_id: str | None, *roles: str, subject: str | None = None) -> Context:
    caller = Caller(subject=subject or employee_id or "nobody", roles=frozenset(roles), employee_id=employee_id)
    access = Access(caller, POLICY.grants(roles))
    return Context(store=Neo4jGraphStore(driver, DATABASE), access=access)


async def execute(
    driver: AsyncDriver, query: str, employee_id: str | None, *roles: str, **variables: Any
) -> tuple[Any, list[dict[str, Any]]]:
    """The data and the errors (message and extensions) of ``query`` run as that caller."""
    result = await OPERATIONS.run(query, context(driver, employee_id, *roles), variables or None)
    errors = [{"message": e.message, **(e.extensions or {})} for e in result.errors or []]
    return result.data, errors
