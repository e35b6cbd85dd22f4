"""A product of the catalogue, the orders it is on and its live stock."""

from __future__ import annotations

from typing import Self

import strawberry

from graph import model
from graph.reads import Relation
from resolvers import cost
from resolvers.context import Info
from resolvers.entities.paging import NESTED_PAGE_SIZE, load_page, wrap_page
from resolvers.live import fields as live_fields
from resolvers.live.erp import PRODUCT_STOCK, ProductStock
from resolvers.loaders import load_wrapped
from resolvers.pagination import Connection


@strawberry.federation.type(keys=["id"])
class Product:
    id: strawberry.ID
    sku: str
    name: str
    category: str
    price: float

    @classmethod
    def from_record(cls, record: model.Product) -> Self:
        return cls(
            id=strawberry.ID(record.id), sku=record.sku, name=record.name, category=record.category, price=record.price
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        return await load_wrapped(info.context.loaders.product, id, cls.from_record)

    @strawberry.field(
        description="Orders that contain this product, newest first.", directives=[cost.page(NESTED_PAGE_SIZE)]
    )
    async def orders(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Order]:
        page, window = await load_page(info, Relation.PRODUCT_ORDERS, self.id, first, after)
        return wrap_page(page, window, Order.from_record)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Stock in the warehouse, from the ERP. Live: null, with a SOURCE_UNAVAILABLE error, when the "
        "ERP cannot answer.",
        directives=[cost.weight(cost.LIVE_WEIGHT)],
    )
    async def stock(self, info: Info) -> ProductStock | None:
        return await live_fields.by_graph_id(info, PRODUCT_STOCK, self.id, ProductStock.from_record)


def product_or_none(record: model.Product | None) -> Product | None:
    return None if record is None else Product.from_record(record)


# The entities refer to each other; each module imports the others' types once its own
# are defined, and strawberry reads the annotations when the schema is built.
from resolvers.entities.order import Order  # noqa: E402
