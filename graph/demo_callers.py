"""Real employees of the graph to act as in the playground, one per demo role.

The playground offers a token per role of the policy, each for an employee its role suits:
a service agent in a customer-service department who has talked to customers, an account
manager whose reports own accounts, a back-office employee of a warehouse who handled order
steps, an analyst in finance and, as the admin, the head of the company. Roles the demo does
not know get the first employee by id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import LiteralString

from graph.store import Neo4jGraphStore

ANYONE = "anyone"

DEMO_CALLERS: LiteralString = """
CALL () {
  MATCH (e:Employee)-[:WORKS_IN]->(:Department {function: 'SERVICE'})
  WHERE EXISTS { (e)<-[:WITH]-(:Interaction) }
  RETURN 'service_agent' AS role, e ORDER BY e.id LIMIT 1
  UNION ALL
  MATCH (e:Employee)<-[:REPORTS_TO]-(report:Employee)
  WHERE EXISTS { (report)<-[:OWNED_BY]-(:Customer) }
  WITH DISTINCT e
  RETURN 'account_manager' AS role, e ORDER BY EXISTS { (e)<-[:OWNED_BY]-(:Customer) } DESC, e.id LIMIT 1
  UNION ALL
  MATCH (e:Employee)-[:WORKS_IN]->(:Department {function: 'WAREHOUSE'})
  WHERE EXISTS { (e)<-[:HANDLED_BY]-(:Order) }
  RETURN 'back_office' AS role, e ORDER BY e.id LIMIT 1
  UNION ALL
  MATCH (e:Employee)-[:WORKS_IN]->(:Department {function: 'FINANCE'})
  RETURN 'analyst' AS role, e ORDER BY e.id LIMIT 1
  UNION ALL
  MATCH (e:Employee) WHERE NOT EXISTS { (e)-[:REPORTS_TO]->(:Employee) }
  RETURN 'admin' AS role, e ORDER BY e.id LIMIT 1
  UNION ALL
  MATCH (e:Employee)
  RETURN 'anyone' AS role, e ORDER BY e.id LIMIT 1
}
OPTIONAL MATCH (e)-[:WORKS_IN]->(d:Department)
RETURN role, e.id AS id, e.name AS name, e.title AS title, d.name AS department
"""


@dataclass(frozen=True, slots=True)
class DemoCaller:
    employee_id: str
    name: str
    title: str
    department: str | None


async def demo_callers(store: Neo4jGraphStore) -> dict[str, DemoCaller]:
    """An employee per demo role (and one under ``ANYONE``); empty for an empty graph."""
    rows = await store.read(DEMO_CALLERS)
    return {
        str(row["role"]): DemoCaller(str(row["id"]), str(row["name"]), str(row["title"]), row["department"])
        for row in rows
    }
