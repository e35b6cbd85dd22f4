"""Resolvers of the live fields: the graph's entities, with the state their systems of record hold.

``Order.live``, ``Product.stock`` and ``Ticket.live`` are looked up by the entity's graph id
(``by_graph_id``); ``Employee.availability`` and the customer's ``crm``, ``erpAccount`` and
``helpdeskSummary`` by the key the system knows them under (``by_identity``), which the graph
keeps as ``ExternalId`` nodes: one batched identity lookup for all the parents of a level
(shared by every live field of the level), then one batched call per source, the sources
called concurrently.

A source that fails nulls only the fields that read it, with a ``SOURCE_UNAVAILABLE`` error
naming it; a parent the source does not know, or that has no key in that system, gets null
without an error (missing data).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar

from graph.model import SourceSystem
from resolvers.context import Info
from resolvers.live.loaders import LiveNeed
from resolvers.live.record import LiveRecord

W = TypeVar("W")
Owner = Literal["customer", "employee"]


async def _read(info: Info, wanted: LiveNeed, key: str | None) -> LiveRecord | None:
    """The record of ``key`` from the source serving ``wanted``, batched with the level's others."""
    lookup = info.context.live.lookup(wanted)
    if key is None:
        return None
    record = await lookup.loader.load(key)
    return None if record is None else LiveRecord(lookup.source, key, record)


async def by_graph_id(info: Info, wanted: LiveNeed, graph_id: str, wrap: Callable[[LiveRecord], W]) -> W | None:
    """A live field looked up by the entity's graph id (an order, a product, a ticket)."""
    found = await _read(info, wanted, graph_id)
    return None if found is None else wrap(found)


async def by_identity(
    info: Info, wanted: LiveNeed, owner: Owner, owner_id: str, system: SourceSystem, wrap: Callable[[LiveRecord], W]
) -> W | None:
    """A live field looked up by the key the system knows a customer or an employee under."""
    info.context.live.lookup(wanted)  # no graph lookup for a field no source serves
    loaders = info.context.loaders
    identities = await (loaders.customer_identities if owner == "customer" else loaders.employee_identities).load(
        owner_id
    )
    key = next((identity.key for identity in identities if identity.system == system), None)
    found = await _read(info, wanted, key)
    return None if found is None else wrap(found)
