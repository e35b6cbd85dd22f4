"""Live fields of the CRM: a customer's lead score, open opportunities and the campaigns that
reached them."""

from __future__ import annotations

from datetime import date
from typing import Self

import strawberry

from resolvers import cost
from resolvers.live.loaders import need
from resolvers.live.record import LIVE, LiveRecord


@strawberry.type(description="A sales opportunity still open. " + LIVE.format(system="the CRM"))
class Opportunity:
    id: strawberry.ID
    name: str
    stage: str
    amount: float
    close_date: date = strawberry.field(description="When the CRM expects it to close.")

    @classmethod
    def from_record(cls, record: LiveRecord) -> Self:
        return cls(
            id=strawberry.ID(record.text("id")),
            name=record.text("name"),
            stage=record.text("stage"),
            amount=record.number("amount"),
            close_date=record.day("closeDate"),
        )


@strawberry.type(description="A marketing campaign that reached the customer. " + LIVE.format(system="the CRM"))
class CampaignTouch:
    id: strawberry.ID
    name: str
    channel: str
    response: str = strawberry.field(description="How far the customer went: SENT, OPENED, CLICKED, RESPONDED.")

    @classmethod
    def from_record(cls, record: LiveRecord) -> Self:
        return cls(
            id=strawberry.ID(record.text("id")),
            name=record.text("name"),
            channel=record.text("channel"),
            response=record.text("response"),
        )


CRM_PROFILE = need("Customer", "CRM", ("lead_score", "open_opportunities", "campaigns"))


@strawberry.type(
    description="A customer's profile and pipeline in the CRM, by the customer's CRM key. "
    + LIVE.format(system="the CRM")
)
class CrmProfile:
    crm_key: str = strawberry.field(description="The customer's key in the CRM.")
    lead_score: int = strawberry.field(description="The CRM's score of the account, 0 to 100.")
    open_opportunities: list[Opportunity] = strawberry.field(directives=[cost.list_size(cost.LIVE_LIST_SIZE)])
    pipeline_value: float = strawberry.field(description="The amount of the open opportunities together.")
    campaigns: list[CampaignTouch] = strawberry.field(directives=[cost.list_size(cost.LIVE_LIST_SIZE)])

    @classmethod
    def from_record(cls, record: LiveRecord) -> Self:
        opportunities = [Opportunity.from_record(item) for item in record.records("open_opportunities")]
        return cls(
            crm_key=record.key,
            lead_score=record.integer("lead_score"),
            open_opportunities=opportunities,
            pipeline_value=round(sum(item.amount for item in opportunities), 2),
            campaigns=[CampaignTouch.from_record(item) for item in record.records("campaigns")],
        )
