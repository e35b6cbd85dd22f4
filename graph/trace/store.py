"""Traces through the customer graph: the Neo4j adapter of the trace port (``resolvers.ports.TraceStore``).

``Neo4jTraceStore`` answers the questions that follow a customer through the organization:
the journey, who touched the customer and who knows them best, paths between entities,
hand-off chains and the flows between departments, service levels and demand. Per-entity
traces take a batch of ids (as a DataLoader hands them over) and answer in the same order,
with ``None`` where the entity does not exist; analytic traces answer one question per call.
Each method is one read statement, routed as a read through ``Neo4jGraphStore.read`` (which
translates the driver's errors and applies the request's budget and row rules; it is handed in
as a ``CypherReader`` by ``Neo4jGraphStore.traces()``); ordering, paging and aggregation run in
Cypher.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, LiteralString, Protocol

from graph import from_nodes
from graph.model import OPEN_TICKET_STATUSES, Channel, DepartmentKind, OrderStep, Tier
from graph.row_rules import RowScope
from graph.trace import path_queries
from graph.trace import queries as trace_queries
from graph.trace.model import (
    CustomerContacts,
    DemandBucket,
    DemandDimension,
    DepartmentFlow,
    DepartmentFlows,
    Familiarity,
    Granularity,
    GraphPath,
    HandOffChain,
    Hop,
    JourneyEvent,
    JourneyEventKind,
    JourneyFilter,
    JourneyPage,
    PathNode,
    PathRelationship,
    PathSearch,
    ServiceLevelClock,
    ServiceLevelPage,
    ServiceLevelState,
    TicketServiceLevel,
    Touch,
)
from graph.trace.service_levels import ServiceLevels

Row = Mapping[str, Any]

DEMAND_QUERIES: Mapping[DemandDimension, LiteralString] = {
    DemandDimension.DEPARTMENT: trace_queries.DEMAND_BY_DEPARTMENT,
    DemandDimension.PRODUCT: trace_queries.DEMAND_BY_PRODUCT,
    DemandDimension.TIER: trace_queries.DEMAND_BY_TIER,
}


@dataclass(frozen=True, slots=True)
class FamiliarityWeights:
    """How "who knows this customer best" is scored.

    ``score = owner_bonus * [is account owner]
    + sum over contacts up to asOf of weight(kind) * 0.5 ** (age_days / half_life_days)``

    where a contact is an interaction with the customer (weight 1.0), a hand-off of one of the
    customer's tickets to the employee (1.5: working a case teaches the most) or an order step
    the employee handled (0.5: back-office work, rarely a conversation). A contact loses half
    its weight every 90 days, so frequency counts and recent contact counts more; owning the
    account is worth 5 recent interactions.
    """

    interaction: float = 1.0
    hand_off: float = 1.5
    order_step: float = 0.5
    owner: float = 5.0
    half_life_days: float = 90.0

    def as_parameter(self) -> dict[str, float]:
        return {
            "interaction": self.interaction,
            "hand_off": self.hand_off,
            "order_step": self.order_step,
            "owner": self.owner,
            "half_life_days": self.half_life_days,
        }


FAMILIARITY = FamiliarityWeights()


class CypherReader(Protocol):
    """What the trace adapter reads through: ``Neo4jGraphStore``, with its budget and row rules."""

    scope: RowScope

    async def read(self, query: LiteralString, **parameters: Any) -> list[Mapping[str, Any]]: ...


class Neo4jTraceStore:
    """Trace reads of the customer graph; see the module docstring."""

    def __init__(self, store: CypherReader, familiarity: FamiliarityWeights = FAMILIARITY) -> None:
        self._store = store
        self._familiarity = familiarity

    async def journeys(
        self, customer_ids: Sequence[str], where: JourneyFilter, skip: int, limit: int
    ) -> list[JourneyPage | None]:
        rows = await self._store.read(
            trace_queries.JOURNEYS,
            ids=_unique(customer_ids),
            at_from=where.at_from,
            at_to=where.at_to,
            kinds=None if where.kinds is None else [kind.value for kind in where.kinds],
            department_ids=None if where.department_ids is None else list(where.department_ids),
            skip=skip,
            limit=limit,
        )
        found = {
            row["id"]: JourneyPage(
                [_event(item) for item in row["page"]],
                row["total"],
                employees=[from_nodes.employee(node) for node in row["employees"]],
                departments=[from_nodes.department(node) for node in row["departments"]],
                customer=from_nodes.customer(row["customer"]),
            )
            for row in rows
        }
        return [found.get(id_) for id_ in customer_ids]

    async def contacts(self, customer_ids: Sequence[str]) -> list[CustomerContacts | None]:
        rows = await self._store.read(trace_queries.CUSTOMER_CONTACTS, ids=_unique(customer_ids))
        found = {
            row["id"]: CustomerContacts(
                departments=[_touch(item) for item in row["departments"]],
                employees=[_touch(item) for item in row["employees"]],
            )
            for row in rows
        }
        return [found.get(id_) for id_ in customer_ids]

    async def familiarity(
        self, customer_ids: Sequence[str], as_of: datetime, limit: int
    ) -> list[list[Familiarity] | None]:
        rows = await self._store.read(
            trace_queries.CUSTOMER_FAMILIARITY,
            ids=_unique(customer_ids),
            as_of=as_of,
            limit=limit,
            weights=self._familiarity.as_parameter(),
        )
        found = {row["id"]: [_familiar(item) for item in row["experts"]] for row in rows}
        return [found.get(id_) for id_ in customer_ids]

    async def shortest_paths(
        self, from_kind: str, from_id: str, to_kind: str, to_id: str, max_hops: int, *, all_shortest: bool, limit: int
    ) -> PathSearch:
        query = path_queries.shortest_paths_query(
            from_kind, to_kind, max_hops, all_shortest=all_shortest, restricted=bool(self._store.scope.restricted)
        )
        rows = await self._store.read(query, from_id=from_id, to_id=to_id, limit=limit)
        row = rows[0]
        return PathSearch(row["found_from"], row["found_to"], [_path(item) for item in row["paths"]])

    async def hand_off_chains(self, ticket_ids: Sequence[str], as_of: datetime) -> list[HandOffChain | None]:
        rows = await self._store.read(trace_queries.HAND_OFF_CHAINS, ids=_unique(ticket_ids), as_of=as_of)
        found = {row["id"]: _chain(row) for row in rows}
        return [found.get(id_) for id_ in ticket_ids]

    async def department_flows(
        self, department_ids: Sequence[str], at_from: datetime | None, at_to: datetime | None, as_of: datetime
    ) -> list[DepartmentFlows | None]:
        rows = await self._store.read(
            trace_queries.DEPARTMENT_FLOWS, ids=_unique(department_ids), at_from=at_from, at_to=at_to, as_of=as_of
        )
        found = {
            row["id"]: DepartmentFlows(
                internal_customers=[_flow(item) for item in row["internal_customers"]],
                hands_work_to=[_flow(item) for item in row["hands_work_to"]],
            )
            for row in rows
        }
        return [found.get(id_) for id_ in department_ids]

    async def service_levels(
        self,
        levels: ServiceLevels,
        as_of: datetime,
        *,
        tiers: Sequence[Tier] | None,
        department_id: str | None,
        states: Sequence[ServiceLevelState],
        skip: int,
        limit: int,
    ) -> ServiceLevelPage:
        rows = await self._store.read(
            trace_queries.SERVICE_LEVELS,
            **levels.as_parameters(),
            open_statuses=[status.value for status in OPEN_TICKET_STATUSES],
            as_of=as_of,
            tiers=None if tiers is None else [tier.value for tier in tiers],
            department_id=department_id,
            states=[state.value for state in states],
            skip=skip,
            limit=limit,
        )
        return ServiceLevelPage([_service_level(item) for item in rows[0]["page"]], rows[0]["total"])

    async def demand(
        self, dimension: DemandDimension, granularity: Granularity, at_from: datetime, at_to: datetime
    ) -> list[DemandBucket]:
        rows = await self._store.read(
            DEMAND_QUERIES[dimension], at_from=at_from, at_to=at_to, unit=granularity.value.lower()
        )
        return [
            DemandBucket(
                period=row["period"].to_native(),
                key=row["key"],
                currency=row["currency"],
                orders=row["orders"],
                units=row["units"],
                revenue=row["revenue"],
                order_steps=row["order_steps"],
            )
            for row in rows
        ]


def _unique(ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _time(value: Any) -> datetime:
    # Some queries return times as ISO strings (toString), far cheaper for the driver.
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value.to_native()  # type: ignore[no-any-return]


def _optional_time(value: Any) -> datetime | None:
    return None if value is None else _time(value)


def _optional(enum: Any, value: str | None) -> Any:
    return None if value is None else enum(value)


def _event(item: Row) -> JourneyEvent:
    return JourneyEvent(
        at=_time(item["at"]),
        kind=JourneyEventKind(item["kind"]),
        employee_id=item["employee_id"],
        department_id=item["department_id"],
        office=_optional(DepartmentKind, item["office"]),
        order_id=item["order_id"],
        ticket_id=item["ticket_id"],
        interaction_id=item["interaction_id"],
        step=_optional(OrderStep, item["step"]),
        channel=_optional(Channel, item["channel"]),
        detail=item["detail"],
        by_id=item["by_id"],
    )


def _touch(item: Row) -> Touch:
    return Touch(
        key_id=item["key_id"],
        interactions=item["interactions"],
        order_steps=item["order_steps"],
        hand_offs=item["hand_offs"],
        owner=item["owner"],
        last_contact=_optional_time(item["last_contact"]),
        department_id=item["department_id"],
        office=_optional(DepartmentKind, item["office"]),
        employees=item.get("employees", 1),
    )


def _familiar(item: Row) -> Familiarity:
    return Familiarity(
        employee_id=item["employee_id"],
        score=item["score"],
        owner=item["owner"],
        interactions=item["interactions"],
        order_steps=item["order_steps"],
        hand_offs=item["hand_offs"],
        last_contact=_optional_time(item["last_contact"]),
    )


_ENTITY_OF_LABEL: Mapping[str, Callable[[Row], object]] = {
    "Customer": from_nodes.customer,
    "Employee": from_nodes.employee,
    "Department": from_nodes.department,
    "Order": from_nodes.order,
    "Interaction": from_nodes.interaction,
    "Ticket": from_nodes.ticket,
    "Product": from_nodes.product,
}


def _path(item: Row) -> GraphPath:
    return GraphPath(
        nodes=[
            PathNode(node["label"], node["id"], _ENTITY_OF_LABEL[node["label"]](node["node"])) for node in item["nodes"]
        ],
        relationships=[
            PathRelationship(rel["type"], rel["start_id"], rel["end_id"], dict(rel["properties"]))
            for rel in item["relationships"]
        ],
    )


def _chain(row: Row) -> HandOffChain:
    hops = row["hops"]
    return HandOffChain(
        ticket_id=row["id"],
        closed=row["closed"],
        hops=[
            Hop(
                at=_time(hop["at"]),
                until=_time(hop["until"]),
                wait_seconds=hop["wait_seconds"],
                employee_id=hop["employee_id"],
                department_id=hop["department_id"],
                by_id=hop["by_id"],
                from_department_id=hop["from_department_id"],
                reason=hop["reason"],
                current=index == len(hops) - 1 and not row["closed"],
            )
            for index, hop in enumerate(hops)
        ],
    )


def _flow(item: Row) -> DepartmentFlow:
    return DepartmentFlow(
        department_id=item["department_id"],
        hand_offs=item["hand_offs"],
        tickets=item["tickets"],
        median_wait_seconds=item["median_wait_seconds"],
        p90_wait_seconds=item["p90_wait_seconds"],
    )


def _clock(opened_at: datetime, target: float, elapsed: float, state: str) -> ServiceLevelClock:
    return ServiceLevelClock(target, elapsed, ServiceLevelState(state), opened_at + timedelta(seconds=target))


def _service_level(item: Row) -> TicketServiceLevel:
    opened_at = _time(item["opened_at"])
    return TicketServiceLevel(
        ticket_id=item["ticket_id"],
        tier=Tier(item["tier"]),
        state=ServiceLevelState(item["state"]),
        response=_clock(opened_at, item["respond_target"], item["response_elapsed"], item["response_state"]),
        resolution=_clock(opened_at, item["resolve_target"], item["resolution_elapsed"], item["resolution_state"]),
        assignee_id=item["assignee_id"],
        department_id=item["department_id"],
        held_since=_time(item["held_since"]),
        held_seconds=item["held_seconds"],
    )
