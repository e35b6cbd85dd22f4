"""Resolvers of the live fields: the graph's entities, with the state their systems of record hold.

``Order.live``, ``Product.stock`` and ``Ticket.live`` are looked up by the entity's graph id;
``Employee.availability`` and the customer's ``crm``, ``erpAccount`` and ``helpdeskSummary``
by the key the system knows them under, which the graph keeps as ``ExternalId`` nodes: one
batched identity lookup for all the parents of a level (shared by every live field of the
level), then one batched call per source, the sources called concurrently.

A source that fails nulls only the fields that read it, with a ``SOURCE_UNAVAILABLE`` error
naming it; a parent the source does not know, or that has no key in that system, gets null
without an error (missing data).
"""

from __future__ import annotations

from graph.model import SourceSystem
from resolvers.context import Info
from resolvers.live_loaders import LiveNeed
from resolvers.live_types import (
    CRM_PROFILE,
    EMPLOYEE_AVAILABILITY,
    ERP_ACCOUNT,
    HELPDESK_SUMMARY,
    ORDER_LIVE,
    PRODUCT_STOCK,
    TICKET_LIVE,
    CrmProfile,
    EmployeeAvailability,
    ErpAccount,
    HelpdeskSummary,
    LiveRecord,
    OrderLive,
    ProductStock,
    TicketLive,
)


async def _read(info: Info, wanted: LiveNeed, key: str | None) -> LiveRecord | None:
    """The record of ``key`` from the source serving ``wanted``, batched with the level's others."""
    lookup = info.context.live.lookup(wanted)
    if key is None:
        return None
    record = await lookup.loader.load(key)
    return None if record is None else LiveRecord(lookup.source, key, record)


async def _customer_key(info: Info, wanted: LiveNeed, customer_id: str, system: SourceSystem) -> str | None:
    info.context.live.lookup(wanted)  # no graph lookup for a field no source serves
    identities = await info.context.loaders.customer_identities.load(customer_id)
    return next((identity.key for identity in identities if identity.system == system), None)


async def _employee_key(info: Info, wanted: LiveNeed, employee_id: str, system: SourceSystem) -> str | None:
    info.context.live.lookup(wanted)
    identities = await info.context.loaders.employee_identities.load(employee_id)
    return next((identity.key for identity in identities if identity.system == system), None)


async def order_live(info: Info, order_id: str) -> OrderLive | None:
    found = await _read(info, ORDER_LIVE, order_id)
    return None if found is None else OrderLive.from_record(found)


async def product_stock(info: Info, product_id: str) -> ProductStock | None:
    found = await _read(info, PRODUCT_STOCK, product_id)
    return None if found is None else ProductStock.from_record(found)


async def ticket_live(info: Info, ticket_id: str) -> TicketLive | None:
    found = await _read(info, TICKET_LIVE, ticket_id)
    return None if found is None else TicketLive.from_record(found)


async def employee_availability(info: Info, employee_id: str) -> EmployeeAvailability | None:
    key = await _employee_key(info, EMPLOYEE_AVAILABILITY, employee_id, SourceSystem.HR)
    found = await _read(info, EMPLOYEE_AVAILABILITY, key)
    return None if found is None else EmployeeAvailability.from_record(found)


async def customer_crm(info: Info, customer_id: str) -> CrmProfile | None:
    key = await _customer_key(info, CRM_PROFILE, customer_id, SourceSystem.CRM)
    found = await _read(info, CRM_PROFILE, key)
    return None if found is None else CrmProfile.from_record(found)


async def customer_erp_account(info: Info, customer_id: str) -> ErpAccount | None:
    key = await _customer_key(info, ERP_ACCOUNT, customer_id, SourceSystem.ERP)
    found = await _read(info, ERP_ACCOUNT, key)
    return None if found is None else ErpAccount.from_record(found)


async def customer_helpdesk_summary(info: Info, customer_id: str) -> HelpdeskSummary | None:
    key = await _customer_key(info, HELPDESK_SUMMARY, customer_id, SourceSystem.HELPDESK)
    found = await _read(info, HELPDESK_SUMMARY, key)
    return None if found is None else HelpdeskSummary.from_record(found)
