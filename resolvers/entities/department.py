"""A department of the front or back office, its employees and the flows between departments."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from graph import model
from graph.reads import Relation
from resolvers import cost
from resolvers.context import Info
from resolvers.entities.paging import NESTED_PAGE_SIZE, load_page, wrap_page
from resolvers.enums import DepartmentKind, Function
from resolvers.inputs import TimeWindow
from resolvers.loaders import load_wrapped
from resolvers.pagination import Connection
from resolvers.trace import fields as trace_fields
from resolvers.trace.types import DepartmentFlow


@strawberry.federation.type(keys=["id"], description="A department of the front or back office.")
class Department:
    id: strawberry.ID
    name: str
    kind: DepartmentKind
    function: Function

    @classmethod
    def from_record(cls, record: model.Department) -> Self:
        return cls(id=strawberry.ID(record.id), name=record.name, kind=record.kind, function=record.function)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        return await load_wrapped(info.context.loaders.department, id, cls.from_record)

    @strawberry.field(
        description="People who work in this department, by name.", directives=[cost.page(NESTED_PAGE_SIZE)]
    )
    async def employees(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Employee]:
        page, window = await load_page(info, Relation.DEPARTMENT_EMPLOYEES, self.id, first, after)
        return wrap_page(page, window, Employee.from_record)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Departments that hand this one tickets (see Query.departmentFlows).",
        directives=[cost.list_size(cost.DEPARTMENTS), cost.weight(cost.FLOW_WEIGHT)],
    )
    async def internal_customers(
        self, info: Info, window: TimeWindow | None = None, as_of: datetime | None = None
    ) -> list[DepartmentFlow]:
        return await trace_fields.internal_customers(info, self.id, window, as_of)

    @strawberry.field(
        description="Departments this one hands tickets to (see Query.departmentFlows).",
        directives=[cost.list_size(cost.DEPARTMENTS), cost.weight(cost.FLOW_WEIGHT)],
    )
    async def hands_work_to(
        self, info: Info, window: TimeWindow | None = None, as_of: datetime | None = None
    ) -> list[DepartmentFlow]:
        return await trace_fields.hands_work_to(info, self.id, window, as_of)


def department_or_none(record: model.Department | None) -> Department | None:
    return None if record is None else Department.from_record(record)


# The entities refer to each other; each module imports the others' types once its own
# are defined, and strawberry reads the annotations when the schema is built.
from resolvers.entities.employee import Employee  # noqa: E402
