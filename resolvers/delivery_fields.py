"""``Ticket.delivery``: whether the helpdesk has the ticket's newest change yet.

Tickets belong to the helpdesk; a change made here reaches it through the outbox
(``graph.outbox``). The field reads the newest outbox item of each ticket of a request in one
statement (a DataLoader per request, kept beside the request's context).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from datetime import datetime

import strawberry
from strawberry.dataloader import DataLoader

from graph import write_model as outbox
from resolvers.context import Context, Info
from resolvers.loaders import Loaders

strawberry.enum(outbox.DeliveryState, description="Where a change stands on its way to its system of record.")
strawberry.enum(outbox.OutboxKind, name="TicketChangeKind", description="A change of a ticket the helpdesk is told of.")

# Keyed by the request's loaders (a context compares by value; its loaders are its own).
_loaders: weakref.WeakKeyDictionary[Loaders, DataLoader[str, outbox.Delivery | None]] = weakref.WeakKeyDictionary()


@strawberry.type(description="The newest change of a ticket made through this API, on its way to the helpdesk.")
class TicketDelivery:
    delivery_id: strawberry.ID = strawberry.field(description="Also the idempotency key the helpdesk receives.")
    change: outbox.OutboxKind
    state: outbox.DeliveryState
    attempts: int
    reason: str | None = strawberry.field(description="Why the last attempt failed (or why it was given up).")
    delivered_at: datetime | None


def _loader(context: Context) -> DataLoader[str, outbox.Delivery | None]:
    found = _loaders.get(context.loaders)
    if found is None:
        store = context.store

        async def load(ticket_ids: Sequence[str]) -> list[outbox.Delivery | None]:
            return await store.deliveries(ticket_ids)

        found = _loaders[context.loaders] = DataLoader(load_fn=load)
    return found


async def ticket_delivery(info: Info, ticket_id: str) -> TicketDelivery | None:
    delivery = await _loader(info.context).load(ticket_id)
    if delivery is None:
        return None
    return TicketDelivery(
        delivery_id=strawberry.ID(delivery.delivery_id),
        change=delivery.kind,
        state=delivery.state,
        attempts=delivery.attempts,
        reason=delivery.reason,
        delivered_at=delivery.delivered_at,
    )
