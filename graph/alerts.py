"""Service-level alerts driven by the clock: tickets that crossed AT_RISK or BREACHED just now.

A ticket breaches when nobody touches it, so no write announces it: each API process asks the
graph every tick which open tickets crossed a threshold of their tier's targets
(``graph.trace.service_levels``) between the previous tick and now (``CROSSED``), and logs them
in the event log (``graph.events.Neo4jEventLog.log_crossings``, once each however many processes
saw them), which tells every subscriber as it tells of any event. The thresholds are those of
``Query.serviceLevels``: the response clock runs until the first assignment, the resolution
clock until the ticket is closed; a clock is at risk once it has used the at-risk share of its
target and breached once past it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import LiteralString

from neo4j import AsyncDriver, RoutingControl

from graph.model import OPEN_TICKET_STATUSES
from graph.neo4j_errors import translated
from graph.trace.service_levels import ServiceLevels

CROSSED: LiteralString = """
MATCH (t:Ticket) WHERE t.status IN $open_statuses AND t.closed_at IS NULL
  AND t.opened_at > $now - duration({seconds: $longest})
MATCH (c:Customer)-[:RAISED]->(t)
WITH t, c, $targets[c.tier] AS target
CALL (t) {
  OPTIONAL MATCH (t)-[a:ASSIGNED_TO]->(e:Employee)
  WITH a, e ORDER BY a.at, e.id
  RETURN head(collect(a.at)) AS responded_at, last(collect(e)) AS holder
}
OPTIONAL MATCH (holder)-[:WORKS_IN]->(d:Department)
WITH t, c, holder, d, responded_at, [
  {clock: 'RESPOND', state: 'AT_RISK', at: t.opened_at + duration({seconds: $at_risk_share * target.respond})},
  {clock: 'RESPOND', state: 'BREACHED', at: t.opened_at + duration({seconds: target.respond})},
  {clock: 'RESOLVE', state: 'AT_RISK', at: t.opened_at + duration({seconds: $at_risk_share * target.resolve})},
  {clock: 'RESOLVE', state: 'BREACHED', at: t.opened_at + duration({seconds: target.resolve})}
] AS thresholds
UNWIND thresholds AS x
WITH t, c, holder, d, x
WHERE x.at > $since AND x.at <= $now AND (x.clock = 'RESOLVE' OR responded_at IS NULL OR responded_at > x.at)
RETURN t.id AS ticket_id, c.id AS customer_id, c.tier AS tier, x.clock AS clock, x.state AS state, x.at AS at,
       holder.id AS employee_id, d.id AS department_id
ORDER BY x.at, t.id
"""


@dataclass(frozen=True, slots=True)
class Crossing:
    ticket_id: str
    customer_id: str
    tier: str
    clock: str  # RESPOND or RESOLVE
    state: str  # AT_RISK or BREACHED
    at: datetime
    employee_id: str | None
    department_id: str | None


async def crossed(
    driver: AsyncDriver, database: str, levels: ServiceLevels, since: datetime, now: datetime
) -> list[Crossing]:
    """The thresholds open tickets crossed in (``since``, ``now``], in time order."""
    parameters = levels.as_parameters()
    longest = max(target.resolve_seconds for target in levels.targets.values())
    async with translated():
        records, _, _ = await driver.execute_query(
            CROSSED,
            parameters,
            open_statuses=sorted(OPEN_TICKET_STATUSES),
            since=since,
            now=now,
            longest=longest,
            database_=database,
            routing_=RoutingControl.READ,
        )
    return [
        Crossing(
            r["ticket_id"],
            r["customer_id"],
            r["tier"],
            r["clock"],
            r["state"],
            r["at"].to_native(),
            r["employee_id"],
            r["department_id"],
        )
        for r in records
    ]
