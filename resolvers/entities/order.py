"""An order, its lines (with their products) and the steps that handled it, by whom."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from graph import model
from resolvers import cost
from resolvers.context import Info
from resolvers.entities.paging import at_once
from resolvers.enums import OrderStatus, OrderStep
from resolvers.live import fields as live_fields
from resolvers.live.erp import ORDER_LIVE, OrderLive
from resolvers.loaders import load_wrapped, now_or_later
from resolvers.trace.types import employee_by_id


@strawberry.type(description="One product on an order.")
class OrderLine:
    quantity: int
    price: float
    product_id: strawberry.Private[str]

    @strawberry.field
    def product(self, info: Info) -> Product | None:
        return at_once(now_or_later(info.context.loaders.product, self.product_id, product_or_none))


@strawberry.type(description="One step of an order (sale, build, pick, ship, invoice) and who handled it.")
class OrderStepEvent:
    step: OrderStep
    at: datetime
    employee_id: strawberry.Private[str]

    @strawberry.field
    async def employee(self, info: Info) -> Employee | None:
        return await employee_by_id(info, self.employee_id)


@strawberry.federation.type(keys=["id"])
class Order:
    id: strawberry.ID
    placed_at: datetime
    status: OrderStatus
    total: float
    currency: str
    customer_id: strawberry.Private[str]

    @classmethod
    def from_record(cls, record: model.Order) -> Self:
        return cls(
            id=strawberry.ID(record.id),
            placed_at=record.placed_at,
            status=record.status,
            total=record.total,
            currency=record.currency,
            customer_id=record.customer_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        return await load_wrapped(info.context.loaders.order, id, cls.from_record)

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await load_wrapped(info.context.loaders.customer, self.customer_id, Customer.from_record)

    @strawberry.field(description="The products on this order.", directives=[cost.list_size(cost.LINES_PER_ORDER)])
    def lines(self, info: Info) -> list[OrderLine]:
        return at_once(now_or_later(info.context.loaders.order_lines, self.id, order_lines_of))

    @strawberry.field(
        description="Each step of the order in time order, with who handled it.",
        directives=[cost.list_size(len(OrderStep))],
    )
    async def steps(self, info: Info) -> list[OrderStepEvent]:
        found = await info.context.loaders.order_steps.load(self.id)
        return [OrderStepEvent(step=step.step, at=step.at, employee_id=step.employee_id) for step in found]

    @strawberry.field(
        description="The order as the ERP sees it now: status, shipment, invoice and payment. Live: null, with a "
        "SOURCE_UNAVAILABLE error, when the ERP cannot answer.",
        directives=[cost.weight(cost.LIVE_WEIGHT)],
    )
    async def live(self, info: Info) -> OrderLive | None:
        return await live_fields.by_graph_id(info, ORDER_LIVE, self.id, OrderLive.from_record)


def order_lines_of(found: list[model.OrderLine]) -> list[OrderLine]:
    return [OrderLine(quantity=line.quantity, price=line.price, product_id=line.product_id) for line in found]


# The entities refer to each other; each module imports the others' types once its own
# are defined, and strawberry reads the annotations when the schema is built.
from resolvers.entities.customer import Customer  # noqa: E402
from resolvers.entities.employee import Employee  # noqa: E402
from resolvers.entities.product import Product, product_or_none  # noqa: E402
