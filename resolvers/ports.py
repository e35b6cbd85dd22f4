"""The ports the resolvers read the graph through: what they need, in batch terms.

``GraphStore`` is every read the DataLoaders and root fields make of the customer graph,
``TraceStore`` the trace questions (journeys, contacts, paths, hand-off chains, flows, service
levels, demand) and ``ExploreStore`` the explorer's search and neighbourhood. They are shaped
for DataLoaders: a batch of ids in, answers in the same order, ``None`` or an empty list where
nothing exists. The resolvers know only these Protocols; the composition root
(``server/app.py``) picks the adapters, ``graph.store.Neo4jGraphStore`` and the trace and
explore adapters it brings (``traces()``, ``explore()``), which satisfy them structurally. A
store is narrowed per request: ``within`` bounds its statements by the request's budget,
``seeing`` applies the caller's row rules to every statement it sends, and the stores it gives
read under both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from domain.budget import RequestBudget
from graph.explore_store import Neighbourhood, SearchHit
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
    Tier,
)
from graph.reads import Entity, Page, Related, Relation
from graph.row_rules import RowScope
from graph.trace.model import (
    CustomerContacts,
    DemandBucket,
    DemandDimension,
    DepartmentFlows,
    Familiarity,
    Granularity,
    HandOffChain,
    JourneyFilter,
    JourneyPage,
    PathSearch,
    ServiceLevelPage,
    ServiceLevelState,
)
from graph.trace.service_levels import ServiceLevels
from graph.write_model import Actor, Delivery, WriteResult


class TraceStore(Protocol):
    """The trace questions; per-entity ones take a batch of ids, analytic ones one question."""

    async def journeys(
        self, customer_ids: Sequence[str], where: JourneyFilter, skip: int, limit: int
    ) -> list[JourneyPage | None]: ...

    async def contacts(self, customer_ids: Sequence[str]) -> list[CustomerContacts | None]: ...

    async def familiarity(
        self, customer_ids: Sequence[str], as_of: datetime, limit: int
    ) -> list[list[Familiarity] | None]: ...

    async def shortest_paths(
        self, from_kind: str, from_id: str, to_kind: str, to_id: str, max_hops: int, *, all_shortest: bool, limit: int
    ) -> PathSearch: ...

    async def hand_off_chains(self, ticket_ids: Sequence[str], as_of: datetime) -> list[HandOffChain | None]: ...

    async def department_flows(
        self, department_ids: Sequence[str], at_from: datetime | None, at_to: datetime | None, as_of: datetime
    ) -> list[DepartmentFlows | None]: ...

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
    ) -> ServiceLevelPage: ...

    async def demand(
        self, dimension: DemandDimension, granularity: Granularity, at_from: datetime, at_to: datetime
    ) -> list[DemandBucket]: ...


class ExploreStore(Protocol):
    """The explorer's reads: words to entities, and an entity's neighbourhood."""

    async def search(self, text: str, labels: Sequence[str], first: int) -> list[SearchHit]: ...

    async def neighbourhood(
        self, kind: str, id: str, rel_types: Sequence[str], first: int, edges: int
    ) -> Neighbourhood | None: ...


class WriteStore(Protocol):
    """The writes of one actor: each under an idempotency ``key``, in one transaction with its
    events and (tickets) its outbox item."""

    async def record_interaction(
        self, key: str, customer_id: str, employee_id: str, channel: str, summary: str
    ) -> WriteResult: ...

    async def open_ticket(
        self, key: str, customer_id: str, subject: str, priority: str, assignee_id: str | None
    ) -> WriteResult: ...

    async def hand_off_ticket(
        self, key: str, ticket_id: str, employee_id: str, reason: str, expected_assignee_id: str | None
    ) -> WriteResult: ...

    async def close_ticket(self, key: str, ticket_id: str, resolution: str) -> WriteResult: ...

    async def assign_account_owner(self, key: str, customer_id: str, employee_id: str) -> WriteResult: ...


class GraphStore(Protocol):
    """Batched reads of the customer graph, and the narrowing of a store to one request."""

    @property
    def scope(self) -> RowScope: ...

    def writes(self, actor: Actor) -> WriteStore: ...

    async def deliveries(self, ticket_ids: Sequence[str]) -> list[Delivery | None]: ...

    async def sees(self, label: str, id: str) -> bool: ...

    def within(self, budget: RequestBudget) -> GraphStore: ...

    def seeing(self, scope: RowScope, caller_id: str | None) -> GraphStore: ...

    def traces(self) -> TraceStore: ...

    def explore(self) -> ExploreStore: ...

    async def customers_and_owners(self, ids: Sequence[str]) -> tuple[list[Customer | None], Related]: ...

    async def employees_and_departments(self, ids: Sequence[str]) -> tuple[list[Employee | None], list[Department]]: ...

    async def orders(self, ids: Sequence[str]) -> list[Order | None]: ...

    async def products(self, ids: Sequence[str]) -> list[Product | None]: ...

    async def departments(self, ids: Sequence[str]) -> list[Department | None]: ...

    async def interactions(self, ids: Sequence[str]) -> list[Interaction | None]: ...

    async def tickets(self, ids: Sequence[str]) -> list[Ticket | None]: ...

    async def order_lines(self, order_ids: Sequence[str]) -> list[list[OrderLine]]: ...

    async def order_steps(self, order_ids: Sequence[str]) -> list[list[OrderStepRecord]]: ...

    async def hand_offs(self, ticket_ids: Sequence[str]) -> list[list[HandOff]]: ...

    async def customer_identities(self, customer_ids: Sequence[str]) -> list[list[ExternalId]]: ...

    async def employee_identities(self, employee_ids: Sequence[str]) -> list[list[ExternalId]]: ...

    async def pages(self, relation: Relation, ids: Sequence[str], skip: int, limit: int) -> list[Page[Any]]: ...

    async def customer_pages(
        self, windows: Mapping[Relation, tuple[int, int]], ids: Sequence[str]
    ) -> dict[Relation, list[Page[Any]]]: ...

    async def customer_with_pages(
        self, customer_id: str, windows: Mapping[Relation, tuple[int, int]]
    ) -> tuple[Customer | None, Related, dict[Relation, Page[Any]]]: ...

    async def list_nodes(
        self, entity: Entity, filters: Mapping[str, object], sort: str, descending: bool, skip: int, limit: int
    ) -> list[Any]: ...

    async def count_nodes(self, entity: Entity, filters: Mapping[str, object]) -> int: ...
