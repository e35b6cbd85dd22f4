"""Cypher of the trace queries: journeys, contacts, hand-off chains, service levels, demand.

Per-entity traces take ``$ids`` (a DataLoader's batch) and return one row per id that exists,
so one statement serves a whole query level. Ordering, filtering, paging and aggregation run
in Neo4j: a journey is a ``UNION ALL`` of event kinds sorted once, counted and sliced there.
Optional filters are parameters that are ``null`` when not given, so each query has one text.
Waits are ``duration.inSeconds(...)`` as float seconds. Reads of row-ruled labels carry the
marks of ``graph.row_rules``: a trace counts and shows only what the caller may see. Shortest paths live in
``graph.trace.path_queries`` (their hop bound is part of the pattern text).
"""

from __future__ import annotations

from typing import LiteralString

# Every event of a customer: orders and their steps, interactions, tickets opened, handed off
# and closed. Ties at one instant sort by kind (the order of JourneyEventKind), then subject id.
JOURNEYS: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer {id: id})@where(Customer, c)
CALL (c) {
  CALL (c) {
    MATCH (c)-[:PLACED]->(o:Order)@where(Order, o, <-PLACED-Customer)
    RETURN o.placed_at AS at, 'ORDER_PLACED' AS kind, 0 AS rank, o.id AS ref, null AS e, o.id AS order_id,
           null AS ticket_id, null AS interaction_id, null AS step, null AS channel, o.status AS detail, null AS by_id
    UNION ALL
    MATCH (c)-[:PLACED]->(o:Order)-[h:HANDLED_BY]->(e:Employee)@where(Order, o, <-PLACED-Customer)
    RETURN h.at AS at, 'ORDER_STEP' AS kind, 1 AS rank, o.id AS ref, e, o.id AS order_id,
           null AS ticket_id, null AS interaction_id, h.step AS step, null AS channel, null AS detail, null AS by_id
    UNION ALL
    MATCH (c)-[:HAD]->(i:Interaction)-[:WITH]->(e:Employee)@where(Interaction, i, <-HAD-Customer)
    RETURN i.at AS at, 'INTERACTION' AS kind, 2 AS rank, i.id AS ref, e, null AS order_id,
           null AS ticket_id, i.id AS interaction_id, null AS step, i.channel AS channel, i.summary AS detail,
           null AS by_id
    UNION ALL
    MATCH (c)-[:RAISED]->(t:Ticket)@where(Ticket, t, <-RAISED-Customer)
    RETURN t.opened_at AS at, 'TICKET_OPENED' AS kind, 3 AS rank, t.id AS ref, null AS e, null AS order_id,
           t.id AS ticket_id, null AS interaction_id, null AS step, null AS channel, t.subject AS detail,
           null AS by_id
    UNION ALL
    MATCH (c)-[:RAISED]->(t:Ticket)-[a:ASSIGNED_TO]->(e:Employee)@where(Ticket, t, <-RAISED-Customer)
    RETURN a.at AS at, 'TICKET_HANDED_OFF' AS kind, 4 AS rank, t.id AS ref, e, null AS order_id,
           t.id AS ticket_id, null AS interaction_id, null AS step, null AS channel, a.reason AS detail,
           a.by AS by_id
    UNION ALL
    MATCH (c)-[:RAISED]->(t:Ticket) WHERE t.closed_at IS NOT NULL AND @visible(Ticket, t, <-RAISED-Customer)
    CALL (t) {
      OPTIONAL MATCH (t)-[a:ASSIGNED_TO]->(holder:Employee) WHERE a.at <= t.closed_at
      WITH holder ORDER BY a.at DESC LIMIT 1
      RETURN holder
    }
    RETURN t.closed_at AS at, 'TICKET_CLOSED' AS kind, 5 AS rank, t.id AS ref, holder AS e, null AS order_id,
           t.id AS ticket_id, null AS interaction_id, null AS step, null AS channel, t.status AS detail,
           null AS by_id
  }
  WITH at, kind, rank, ref, e, order_id, ticket_id, interaction_id, step, channel, detail, by_id
  WHERE ($at_from IS NULL OR at >= $at_from) AND ($at_to IS NULL OR at < $at_to)
    AND ($kinds IS NULL OR kind IN $kinds)
  OPTIONAL MATCH (e)-[:WORKS_IN]->(d:Department)
  WITH at, kind, rank, ref, e, d, order_id, ticket_id, interaction_id, step, channel, detail, by_id
  WHERE $department_ids IS NULL OR d.id IN $department_ids
  ORDER BY at, rank, ref, e.id
  RETURN collect({
    at: toString(at), kind: kind, employee_id: e.id, department_id: d.id, office: d.kind, order_id: order_id,
    ticket_id: ticket_id, interaction_id: interaction_id, step: step, channel: channel, detail: detail, by_id: by_id
  }) AS events
}
WITH id, c, size(events) AS total, events[$skip..$skip + $limit] AS page
// The employees of the page's events and their departments, which a journey query asks for
// next more often than not: the API primes its lookups with them instead of reading them later.
CALL (page) {
  UNWIND page AS event
  MATCH (e:Employee {id: event.employee_id})
  OPTIONAL MATCH (e)-[:WORKS_IN]->(d:Department)
  OPTIONAL MATCH (e)-[:REPORTS_TO]->(m:Employee)
  RETURN collect(DISTINCT e {.*, department_id: d.id, manager_id: m.id}) AS employees,
         collect(DISTINCT d {.*}) AS departments
}
// The customer as GET_CUSTOMERS reads it: a lookup that wants the journey needs no second statement.
OPTIONAL MATCH (c)-[:OWNED_BY]->(owner:Employee)
RETURN id, total, page, employees, departments, c {.*, since: toString(c.since), owner_id: owner.id} AS customer
"""

# Who touched a customer: each employee with their counts of contact by kind, then the same
# summed per department. Account ownership counts as a touch without a time.
CUSTOMER_CONTACTS: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer {id: id})@where(Customer, c)
CALL (c) {
  CALL (c) {
    MATCH (c)-[:HAD]->(i:Interaction)-[:WITH]->(e:Employee)@where(Interaction, i, <-HAD-Customer)
    RETURN e, 1 AS interactions, 0 AS order_steps, 0 AS hand_offs, 0 AS owner, i.at AS at
    UNION ALL
    MATCH (c)-[:PLACED]->(o:Order)-[h:HANDLED_BY]->(e:Employee)@where(Order, o, <-PLACED-Customer)
    RETURN e, 0 AS interactions, 1 AS order_steps, 0 AS hand_offs, 0 AS owner, h.at AS at
    UNION ALL
    MATCH (c)-[:RAISED]->(t:Ticket)-[a:ASSIGNED_TO]->(e:Employee)@where(Ticket, t, <-RAISED-Customer)
    RETURN e, 0 AS interactions, 0 AS order_steps, 1 AS hand_offs, 0 AS owner, a.at AS at
    UNION ALL
    MATCH (c)-[:OWNED_BY]->(e:Employee)
    RETURN e, 0 AS interactions, 0 AS order_steps, 0 AS hand_offs, 1 AS owner, null AS at
  }
  WITH e, sum(interactions) AS interactions, sum(order_steps) AS order_steps, sum(hand_offs) AS hand_offs,
       max(owner) = 1 AS owner, max(at) AS last_contact
  OPTIONAL MATCH (e)-[:WORKS_IN]->(d:Department)
  WITH e, d, interactions, order_steps, hand_offs, owner, last_contact,
       interactions + order_steps + hand_offs AS contacts
  ORDER BY contacts DESC, owner DESC, e.id
  RETURN collect({
    key_id: e.id, department_id: d.id, office: d.kind, interactions: interactions, order_steps: order_steps,
    hand_offs: hand_offs, owner: owner, last_contact: last_contact
  }) AS employees
}
CALL (employees) {
  UNWIND employees AS row
  WITH row.department_id AS department_id, head(collect(row.office)) AS office, count(*) AS people,
       sum(row.interactions) AS interactions, sum(row.order_steps) AS order_steps, sum(row.hand_offs) AS hand_offs,
       max(CASE WHEN row.owner THEN 1 ELSE 0 END) = 1 AS owner, max(row.last_contact) AS last_contact
  WHERE department_id IS NOT NULL
  ORDER BY interactions + order_steps + hand_offs DESC, owner DESC, department_id
  RETURN collect({
    key_id: department_id, department_id: department_id, office: office, employees: people,
    interactions: interactions, order_steps: order_steps, hand_offs: hand_offs, owner: owner,
    last_contact: last_contact
  }) AS departments
}
RETURN id, employees, departments
"""

# Who knows a customer best, as of $as_of: see graph.trace.store.FamiliarityWeights for the
# formula. Each contact counts its kind's weight, halved for every $half_life_days of age.
CUSTOMER_FAMILIARITY: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer {id: id})@where(Customer, c)
CALL (c) {
  CALL (c) {
    MATCH (c)-[:HAD]->(i:Interaction)-[:WITH]->(e:Employee)
      WHERE i.at <= $as_of AND @visible(Interaction, i, <-HAD-Customer)
    RETURN e, 'INTERACTION' AS via, i.at AS at
    UNION ALL
    MATCH (c)-[:PLACED]->(o:Order)-[h:HANDLED_BY]->(e:Employee)
      WHERE h.at <= $as_of AND @visible(Order, o, <-PLACED-Customer)
    RETURN e, 'ORDER_STEP' AS via, h.at AS at
    UNION ALL
    MATCH (c)-[:RAISED]->(t:Ticket)-[a:ASSIGNED_TO]->(e:Employee)
      WHERE a.at <= $as_of AND @visible(Ticket, t, <-RAISED-Customer)
    RETURN e, 'HAND_OFF' AS via, a.at AS at
    UNION ALL
    MATCH (c)-[:OWNED_BY]->(e:Employee)
    RETURN e, 'OWNER' AS via, null AS at
  }
  WITH e, via, at,
       CASE via WHEN 'INTERACTION' THEN $weights.interaction WHEN 'ORDER_STEP' THEN $weights.order_step
                WHEN 'HAND_OFF' THEN $weights.hand_off ELSE 0.0 END AS weight,
       CASE WHEN at IS NULL THEN 0.0
            ELSE duration.inSeconds(at, $as_of).seconds / 86400.0 END AS age_days
  WITH e, sum(weight * 0.5 ^ (age_days / $weights.half_life_days)) AS recency,
       max(CASE via WHEN 'OWNER' THEN 1 ELSE 0 END) = 1 AS owner,
       count(CASE via WHEN 'INTERACTION' THEN 1 END) AS interactions,
       count(CASE via WHEN 'ORDER_STEP' THEN 1 END) AS order_steps,
       count(CASE via WHEN 'HAND_OFF' THEN 1 END) AS hand_offs, max(at) AS last_contact
  WITH e, owner, interactions, order_steps, hand_offs, last_contact,
       recency + CASE WHEN owner THEN $weights.owner ELSE 0.0 END AS score
  ORDER BY score DESC, e.id
  LIMIT $limit
  RETURN collect({
    employee_id: e.id, score: score, owner: owner, interactions: interactions, order_steps: order_steps,
    hand_offs: hand_offs, last_contact: last_contact
  }) AS experts
}
RETURN id, experts
"""

# A ticket's hops as of $as_of: each waits until the next hop, the close, or $as_of.
HAND_OFF_CHAINS: LiteralString = """
UNWIND $ids AS id
MATCH (t:Ticket {id: id})@where(Ticket, t)
WITH id, t, CASE WHEN t.closed_at <= $as_of THEN t.closed_at END AS closed_at
CALL (t) {
  OPTIONAL MATCH (t)-[a:ASSIGNED_TO]->(e:Employee) WHERE a.at <= $as_of
  OPTIONAL MATCH (e)-[:WORKS_IN]->(d:Department)
  OPTIONAL MATCH (:Employee {id: a.by})-[:WORKS_IN]->(from:Department)
  WITH a, e, d, from ORDER BY a.at, e.id
  RETURN collect(CASE WHEN a IS NOT NULL THEN {
    at: a.at, employee_id: e.id, department_id: d.id, by_id: a.by, from_department_id: from.id, reason: a.reason
  } END) AS hops
}
CALL (hops, closed_at) {
  UNWIND range(0, size(hops) - 1) AS index
  WITH hops[index] AS hop,
       CASE WHEN index < size(hops) - 1 THEN hops[index + 1].at ELSE coalesce(closed_at, $as_of) END AS until
  RETURN collect(hop {.*, until: until, wait_seconds: duration.inSeconds(hop.at, until).seconds + 0.0}) AS chain
}
RETURN id, closed_at IS NOT NULL AS closed, chain AS hops
"""

# Hand-offs into a department from others (its internal customers) and out of it to others,
# with the wait at the receiving end of each hop (until the next hop, the close, or $as_of).
DEPARTMENT_FLOWS: LiteralString = """
UNWIND $ids AS id
MATCH (d:Department {id: id})
CALL (d) {
  MATCH (d)<-[:WORKS_IN]-(:Employee)<-[a:ASSIGNED_TO]-(t:Ticket)
  WHERE a.by IS NOT NULL AND a.at <= $as_of AND @visible(Ticket, t)
    AND ($at_from IS NULL OR a.at >= $at_from) AND ($at_to IS NULL OR a.at < $at_to)
  MATCH (:Employee {id: a.by})-[:WORKS_IN]->(other:Department)
  WHERE other <> d
  CALL (t, a) {
    OPTIONAL MATCH (t)-[next:ASSIGNED_TO]->() WHERE next.at > a.at AND next.at <= $as_of
    RETURN min(next.at) AS next_at
  }
  WITH other, t, duration.inSeconds(a.at, coalesce(next_at, CASE WHEN t.closed_at <= $as_of THEN t.closed_at END,
       $as_of)).seconds AS wait
  WITH other, count(*) AS hand_offs, count(DISTINCT t) AS tickets,
       percentileCont(wait, 0.5) AS median, percentileCont(wait, 0.9) AS p90
  ORDER BY hand_offs DESC, other.id
  RETURN collect({department_id: other.id, hand_offs: hand_offs, tickets: tickets, median_wait_seconds: median,
                  p90_wait_seconds: p90}) AS internal_customers
}
CALL (d) {
  MATCH (d)<-[:WORKS_IN]-(giver:Employee)<-[:ASSIGNED_TO]-(t:Ticket)
  WITH DISTINCT giver, t
  MATCH (t)-[a:ASSIGNED_TO]->(:Employee)-[:WORKS_IN]->(other:Department)
  WHERE a.by = giver.id AND other <> d AND a.at <= $as_of AND @visible(Ticket, t)
    AND ($at_from IS NULL OR a.at >= $at_from) AND ($at_to IS NULL OR a.at < $at_to)
  CALL (t, a) {
    OPTIONAL MATCH (t)-[next:ASSIGNED_TO]->() WHERE next.at > a.at AND next.at <= $as_of
    RETURN min(next.at) AS next_at
  }
  WITH other, t, duration.inSeconds(a.at, coalesce(next_at, CASE WHEN t.closed_at <= $as_of THEN t.closed_at END,
       $as_of)).seconds AS wait
  WITH other, count(*) AS hand_offs, count(DISTINCT t) AS tickets,
       percentileCont(wait, 0.5) AS median, percentileCont(wait, 0.9) AS p90
  ORDER BY hand_offs DESC, other.id
  RETURN collect({department_id: other.id, hand_offs: hand_offs, tickets: tickets, median_wait_seconds: median,
                  p90_wait_seconds: p90}) AS hands_work_to
}
RETURN id, internal_customers, hands_work_to
"""

# Tickets open at $as_of against their tier's targets ($targets: tier -> {respond, resolve}
# in seconds), worst first: breached, then at risk, then by the share of resolution time used.
# Open at $as_of: open now ($open_statuses, never closed) or closed after it; both found by index.
SERVICE_LEVELS: LiteralString = """
CALL () {
  MATCH (t:Ticket) WHERE t.status IN $open_statuses
  RETURN t
  UNION
  MATCH (t:Ticket) WHERE t.closed_at > $as_of
  RETURN t
}
WITH t WHERE t.opened_at <= $as_of AND (t.closed_at IS NULL OR t.closed_at > $as_of) AND @visible(Ticket, t)
MATCH (c:Customer)-[:RAISED]->(t)
WHERE $tiers IS NULL OR c.tier IN $tiers
CALL (t) {
  OPTIONAL MATCH (t)-[a:ASSIGNED_TO]->(e:Employee) WHERE a.at <= $as_of
  WITH a, e ORDER BY a.at, e.id
  RETURN head(collect(a.at)) AS responded_at, last(collect(a.at)) AS assigned_at, last(collect(e)) AS holder
}
OPTIONAL MATCH (holder)-[:WORKS_IN]->(d:Department)
WITH t, c.tier AS tier, $targets[c.tier] AS target, responded_at, holder, d,
     coalesce(assigned_at, t.opened_at) AS held_since
WHERE $department_id IS NULL OR d.id = $department_id
WITH t, tier, target, responded_at, holder, d, held_since,
     duration.inSeconds(t.opened_at, coalesce(responded_at, $as_of)).seconds + 0.0 AS response_elapsed,
     duration.inSeconds(t.opened_at, $as_of).seconds + 0.0 AS resolution_elapsed
WITH t, tier, target, holder, d, held_since, response_elapsed, resolution_elapsed,
     CASE WHEN response_elapsed > target.respond THEN 'BREACHED'
          WHEN responded_at IS NOT NULL THEN 'MET'
          WHEN response_elapsed >= $at_risk_share * target.respond THEN 'AT_RISK'
          ELSE 'ON_TRACK' END AS response_state,
     CASE WHEN resolution_elapsed > target.resolve THEN 'BREACHED'
          WHEN resolution_elapsed >= $at_risk_share * target.resolve THEN 'AT_RISK'
          ELSE 'ON_TRACK' END AS resolution_state
WITH t, tier, target, holder, d, held_since, response_elapsed, resolution_elapsed, response_state, resolution_state,
     CASE WHEN 'BREACHED' IN [response_state, resolution_state] THEN 'BREACHED'
          WHEN 'AT_RISK' IN [response_state, resolution_state] THEN 'AT_RISK'
          ELSE 'ON_TRACK' END AS state
WHERE state IN $states
ORDER BY CASE state WHEN 'BREACHED' THEN 0 WHEN 'AT_RISK' THEN 1 ELSE 2 END,
         resolution_elapsed / target.resolve DESC, t.id
WITH collect({
  ticket_id: t.id, tier: tier, state: state, opened_at: t.opened_at,
  respond_target: target.respond, response_elapsed: response_elapsed, response_state: response_state,
  resolve_target: target.resolve, resolution_elapsed: resolution_elapsed, resolution_state: resolution_state,
  assignee_id: holder.id, department_id: d.id, held_since: held_since,
  held_seconds: duration.inSeconds(held_since, $as_of).seconds + 0.0
}) AS rows
RETURN size(rows) AS total, rows[$skip..$skip + $limit] AS page
"""

# Demand and revenue for planning, by the period an order was placed in ($unit: 'week' or
# 'month'), in the order's currency. Cancelled orders are left out.
DEMAND_BY_PRODUCT: LiteralString = """
MATCH (o:Order)
WHERE o.placed_at >= $at_from AND o.placed_at < $at_to AND o.status <> 'CANCELLED' AND @visible(Order, o)
MATCH (o)-[line:CONTAINS]->(p:Product)
WITH date.truncate($unit, o.placed_at) AS period, p.id AS key, o.currency AS currency, o, line
RETURN period, key, currency, count(DISTINCT o) AS orders, sum(line.quantity) AS units,
       round(sum(line.quantity * line.price), 2) AS revenue, 0 AS order_steps
ORDER BY period, key, currency
"""

DEMAND_BY_TIER: LiteralString = """
MATCH (o:Order)
WHERE o.placed_at >= $at_from AND o.placed_at < $at_to AND o.status <> 'CANCELLED' AND @visible(Order, o)
MATCH (c:Customer)-[:PLACED]->(o)-[line:CONTAINS]->(:Product)
WITH date.truncate($unit, o.placed_at) AS period, c.tier AS key, o.currency AS currency, o, line
RETURN period, key, currency, count(DISTINCT o) AS orders, sum(line.quantity) AS units,
       round(sum(line.quantity * line.price), 2) AS revenue, 0 AS order_steps
ORDER BY period, key, currency
"""

# A department's demand: the orders whose steps its people handled, their units and revenue.
DEMAND_BY_DEPARTMENT: LiteralString = """
MATCH (o:Order)
WHERE o.placed_at >= $at_from AND o.placed_at < $at_to AND o.status <> 'CANCELLED' AND @visible(Order, o)
CALL (o) {
  MATCH (o)-[line:CONTAINS]->(:Product)
  RETURN sum(line.quantity) AS units, sum(line.quantity * line.price) AS revenue
}
MATCH (o)-[:HANDLED_BY]->(:Employee)-[:WORKS_IN]->(d:Department)
WITH date.truncate($unit, o.placed_at) AS period, d.id AS key, o.currency AS currency, o, units, revenue,
     count(*) AS steps
RETURN period, key, currency, count(o) AS orders, sum(units) AS units, round(sum(revenue), 2) AS revenue,
       sum(steps) AS order_steps
ORDER BY period, key, currency
"""
