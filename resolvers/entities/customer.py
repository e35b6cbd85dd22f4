"""A customer, the center of the graph, and the identities source systems know them by."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from graph import model
from resolvers import cost
from resolvers.context import Info
from resolvers.entities.paging import NESTED_PAGE_SIZE, nested_connection
from resolvers.enums import Segment, SourceSystem, Tier
from resolvers.live import fields as live_fields
from resolvers.live.crm import CRM_PROFILE, CrmProfile
from resolvers.live.erp import ERP_ACCOUNT, ErpAccount
from resolvers.live.helpdesk import HELPDESK_SUMMARY, HelpdeskSummary
from resolvers.loaders import load_wrapped
from resolvers.lookahead import customer_relation
from resolvers.pagination import Connection, connection, known_total
from resolvers.trace import fields as trace_fields
from resolvers.trace.fields import JourneyFilterInput
from resolvers.trace.types import CustomerContacts, CustomerExpert, JourneyEvent


@strawberry.type(description="The same customer or employee as a source system knows them.")
class ExternalIdentity:
    system: SourceSystem
    key: str


@strawberry.federation.type(keys=["id"], description="A customer: the center of the graph.")
class Customer:
    id: strawberry.ID
    name: str
    email: str
    segment: Segment
    tier: Tier
    lifetime_value: float
    since: datetime
    owner_id: strawberry.Private[str | None]

    @classmethod
    def from_record(cls, record: model.Customer) -> Self:
        return cls(
            id=strawberry.ID(record.id),
            name=record.name,
            email=record.email,
            segment=record.segment,
            tier=record.tier,
            lifetime_value=record.lifetime_value,
            since=record.since,
            owner_id=record.owner_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        return await load_wrapped(info.context.loaders.customer, id, cls.from_record)

    @strawberry.field(description="The account owner.")
    def owner(self, info: Info) -> Employee | None:
        return employee_now(info, self.owner_id)

    @strawberry.field(description="Orders, newest first.", directives=[cost.page(NESTED_PAGE_SIZE)])
    def orders(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Order]:
        # Lines asked for too: read them (and their products) with the page, not a level later.
        relation = customer_relation(info, "orders")
        return nested_connection(info, relation, self.id, first, after, Order.from_record)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Interactions on any channel with any employee, newest first.",
        directives=[cost.page(NESTED_PAGE_SIZE)],
    )
    def interactions(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Interaction]:
        # The employee asked for too: read it (and its department) with the page.
        relation = customer_relation(info, "interactions")
        return nested_connection(info, relation, self.id, first, after, Interaction.from_record)  # type: ignore[no-any-return]

    @strawberry.field(description="Support tickets, newest first.", directives=[cost.page(NESTED_PAGE_SIZE)])
    def tickets(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Ticket]:
        relation = customer_relation(info, "tickets")
        return nested_connection(info, relation, self.id, first, after, Ticket.from_record)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Keys of this customer in the systems of record.",
        directives=[cost.list_size(cost.IDENTITY_SYSTEMS)],
    )
    async def identities(self, info: Info) -> list[ExternalIdentity]:
        found = await info.context.loaders.customer_identities.load(self.id)
        return [ExternalIdentity(system=item.system, key=item.key) for item in found]

    @strawberry.field(
        description="The customer's profile and pipeline in the CRM, by their CRM key. Live: null, with a "
        "SOURCE_UNAVAILABLE error, when the CRM cannot answer; null without one when it does not know the customer.",
        directives=[cost.weight(cost.LIVE_WEIGHT)],
    )
    async def crm(self, info: Info) -> CrmProfile | None:
        return await live_fields.by_identity(
            info, CRM_PROFILE, "customer", self.id, SourceSystem.CRM, CrmProfile.from_record
        )

    @strawberry.field(
        description="The customer's account in the ERP (unpaid and overdue invoices, last order), by their ERP "
        "key. Live: null, with a SOURCE_UNAVAILABLE error, when the ERP cannot answer.",
        directives=[cost.weight(cost.LIVE_WEIGHT)],
    )
    async def erp_account(self, info: Info) -> ErpAccount | None:
        return await live_fields.by_identity(
            info, ERP_ACCOUNT, "customer", self.id, SourceSystem.ERP, ErpAccount.from_record
        )

    @strawberry.field(
        description="The customer's open tickets and last contact in the helpdesk, by their helpdesk key. Live: "
        "null, with a SOURCE_UNAVAILABLE error, when the helpdesk cannot answer.",
        directives=[cost.weight(cost.LIVE_WEIGHT)],
    )
    async def helpdesk_summary(self, info: Info) -> HelpdeskSummary | None:
        return await live_fields.by_identity(
            info, HELPDESK_SUMMARY, "customer", self.id, SourceSystem.HELPDESK, HelpdeskSummary.from_record
        )

    @strawberry.field(
        description="Every event of the customer's journey in time order, filtered and paged.",
        directives=[cost.page(trace_fields.JOURNEY_PAGE_SIZE), cost.weight(cost.JOURNEY_WEIGHT)],
    )
    async def journey(
        self, info: Info, filter: JourneyFilterInput | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[JourneyEvent]:
        found = await trace_fields.journey(info, self.id, filter, first, after)
        return found or connection([], 0, has_next_page=False, count=known_total(0))

    @strawberry.field(
        description="Departments and employees that touched this customer (see Query.whoTouched).",
        directives=[cost.weight(cost.CONTACTS_WEIGHT)],
    )
    async def touched_by(self, info: Info) -> CustomerContacts:
        return await trace_fields.touched_by(info, self.id) or CustomerContacts(departments=[], employees=[])

    @strawberry.field(
        description="Employees who know this customer best (scoring: see Query.whoKnowsBest).",
        directives=[cost.list_size(trace_fields.EXPERTS_DEFAULT, ["first"]), cost.weight(cost.EXPERT_WEIGHT)],
    )
    async def known_best_by(
        self, info: Info, first: int = trace_fields.EXPERTS_DEFAULT, as_of: datetime | None = None
    ) -> list[CustomerExpert]:
        return await trace_fields.known_best_by(info, self.id, first, as_of) or []


# The entities refer to each other; each module imports the others' types once its own
# are defined, and strawberry reads the annotations when the schema is built.
from resolvers.entities.employee import Employee, employee_now  # noqa: E402
from resolvers.entities.interaction import Interaction  # noqa: E402
from resolvers.entities.order import Order  # noqa: E402
from resolvers.entities.ticket import Ticket  # noqa: E402
