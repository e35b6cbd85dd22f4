"""Anyone in the company: their department, manager, reports, interactions and accounts."""

from __future__ import annotations

from typing import Self

import strawberry

from graph import model
from graph.reads import Relation
from resolvers import cost
from resolvers.context import Info
from resolvers.entities.paging import NESTED_PAGE_SIZE, at_once, load_page, wrap_page
from resolvers.enums import SourceSystem
from resolvers.live import fields as live_fields
from resolvers.live.hr import EMPLOYEE_AVAILABILITY, EmployeeAvailability
from resolvers.loaders import now_or_later
from resolvers.pagination import Connection
from resolvers.trace.types import employee_by_id


@strawberry.federation.type(keys=["id"], description="Anyone in the company: everyone may serve a customer.")
class Employee:
    id: strawberry.ID
    name: str
    email: str
    title: str
    department_id: strawberry.Private[str | None]
    manager_id: strawberry.Private[str | None]

    @classmethod
    def from_record(cls, record: model.Employee) -> Self:
        return cls(
            id=strawberry.ID(record.id),
            name=record.name,
            email=record.email,
            title=record.title,
            department_id=record.department_id,
            manager_id=record.manager_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        return await employee_by_id(info, id)  # type: ignore[return-value]

    @strawberry.field
    def department(self, info: Info) -> Department | None:
        if self.department_id is None:
            return None
        return at_once(now_or_later(info.context.loaders.department, self.department_id, department_or_none))

    @strawberry.field(description="The person this employee reports to.")
    async def manager(self, info: Info) -> Employee | None:
        return await employee_by_id(info, self.manager_id)

    @strawberry.field(description="Direct reports, by name.", directives=[cost.page(NESTED_PAGE_SIZE)])
    async def reports(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Employee]:
        page, window = await load_page(info, Relation.EMPLOYEE_REPORTS, self.id, first, after)
        return wrap_page(page, window, Employee.from_record)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Interactions this employee had with customers, newest first.",
        directives=[cost.page(NESTED_PAGE_SIZE)],
    )
    async def interactions(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Interaction]:
        page, window = await load_page(info, Relation.EMPLOYEE_INTERACTIONS, self.id, first, after)
        return wrap_page(page, window, Interaction.from_record)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Customers whose account this employee owns, by name.", directives=[cost.page(NESTED_PAGE_SIZE)]
    )
    async def accounts(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Customer]:
        page, window = await load_page(info, Relation.EMPLOYEE_ACCOUNTS, self.id, first, after)
        return wrap_page(page, window, Customer.from_record)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Keys of this employee in the systems of record.",
        directives=[cost.list_size(cost.IDENTITY_SYSTEMS)],
    )
    async def identities(self, info: Info) -> list[ExternalIdentity]:
        found = await info.context.loaders.employee_identities.load(self.id)
        return [ExternalIdentity(system=item.system, key=item.key) for item in found]

    @strawberry.field(
        description="Whether the employee can be reached now (out of office, busy), from the HR directory by their "
        "HR key. Live: null, with a SOURCE_UNAVAILABLE error, when HR cannot answer.",
        directives=[cost.weight(cost.LIVE_WEIGHT)],
    )
    async def availability(self, info: Info) -> EmployeeAvailability | None:
        return await live_fields.by_identity(
            info, EMPLOYEE_AVAILABILITY, "employee", self.id, SourceSystem.HR, EmployeeAvailability.from_record
        )


def employee_now(info: Info, employee_id: str | None) -> Employee | None:
    """As ``resolvers.trace.types.employee_by_id``, at once when the employee was read ahead (see ``now_or_later``)."""
    if employee_id is None:
        return None
    return at_once(now_or_later(info.context.loaders.employee, employee_id, employee_or_none))


def employee_or_none(record: model.Employee | None) -> Employee | None:
    return None if record is None else Employee.from_record(record)


# The entities refer to each other; each module imports the others' types once its own
# are defined, and strawberry reads the annotations when the schema is built.
from resolvers.entities.customer import Customer, ExternalIdentity  # noqa: E402
from resolvers.entities.department import Department, department_or_none  # noqa: E402
from resolvers.entities.interaction import Interaction  # noqa: E402
