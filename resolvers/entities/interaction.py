"""A touchpoint: one interaction of a customer with an employee, on any channel."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from graph import model
from resolvers.context import Info
from resolvers.enums import Channel
from resolvers.loaders import load_wrapped


@strawberry.federation.type(keys=["id"], description="A touchpoint: any channel, any employee.")
class Interaction:
    id: strawberry.ID
    at: datetime
    channel: Channel
    summary: str
    customer_id: strawberry.Private[str]
    employee_id: strawberry.Private[str]

    @classmethod
    def from_record(cls, record: model.Interaction) -> Self:
        return cls(
            id=strawberry.ID(record.id),
            at=record.at,
            channel=record.channel,
            summary=record.summary,
            customer_id=record.customer_id,
            employee_id=record.employee_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        return await load_wrapped(info.context.loaders.interaction, id, cls.from_record)

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await load_wrapped(info.context.loaders.customer, self.customer_id, Customer.from_record)

    @strawberry.field
    def employee(self, info: Info) -> Employee | None:
        return employee_now(info, self.employee_id)


# The entities refer to each other; each module imports the others' types once its own
# are defined, and strawberry reads the annotations when the schema is built.
from resolvers.entities.customer import Customer  # noqa: E402
from resolvers.entities.employee import Employee, employee_now  # noqa: E402
