"""Filter and sort inputs of the root lists, and their translation into store filters."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

import strawberry

from domain.errors import BadUserInputError
from resolvers.enums import Channel, DepartmentKind, Function, OrderStatus, Priority, Segment, TicketStatus, Tier


@strawberry.enum
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input(description="A half-open time window: from (inclusive) to (exclusive); either end may be open.")
class TimeWindow:
    from_: datetime | None = strawberry.field(name="from", default=None)
    to: datetime | None = None

    def bounds(self, argument: str) -> tuple[datetime | None, datetime | None]:
        start, end = _aware(self.from_), _aware(self.to)
        if start is not None and end is not None and start >= end:
            raise BadUserInputError(f"'{argument}': 'from' must be before 'to'", argument=argument)
        return start, end


def _aware(value: datetime | None) -> datetime | None:
    # A time given without a zone is read as UTC, like every time in the graph.
    return value if value is None or value.tzinfo is not None else value.replace(tzinfo=UTC)


def _values(members: list[Enum] | None) -> list[str] | None:
    return None if members is None else [member.value for member in members]


def compact(**filters: object) -> dict[str, object]:
    """Only the filters that were given: each one adds a fragment to the statement."""
    return {name: value for name, value in filters.items() if value is not None}


@strawberry.input
class CustomerFilter:
    name_contains: str | None = None
    email: str | None = None
    tiers: list[Tier] | None = None
    segments: list[Segment] | None = None
    since: TimeWindow | None = None
    owner_id: strawberry.ID | None = None

    def to_store(self) -> dict[str, object]:
        since_from, since_to = self.since.bounds("since") if self.since else (None, None)
        return compact(
            name_contains=self.name_contains,
            email=self.email,
            tiers=_values(self.tiers),  # type: ignore[arg-type]
            segments=_values(self.segments),  # type: ignore[arg-type]
            since_from=since_from,
            since_to=since_to,
            owner_id=self.owner_id,
        )


@strawberry.enum
class CustomerSortField(Enum):
    NAME = "NAME"
    SINCE = "SINCE"
    LIFETIME_VALUE = "LIFETIME_VALUE"
    ID = "ID"


@strawberry.input
class CustomerOrder:
    field: CustomerSortField
    direction: SortDirection = SortDirection.ASC


@strawberry.input
class OrderFilter:
    statuses: list[OrderStatus] | None = None
    placed: TimeWindow | None = None
    currency: str | None = None
    min_total: float | None = None
    customer_id: strawberry.ID | None = None

    def to_store(self) -> dict[str, object]:
        placed_from, placed_to = self.placed.bounds("placed") if self.placed else (None, None)
        return compact(
            statuses=_values(self.statuses),  # type: ignore[arg-type]
            placed_from=placed_from,
            placed_to=placed_to,
            currency=self.currency,
            min_total=self.min_total,
            customer_id=self.customer_id,
        )


@strawberry.enum
class OrderSortField(Enum):
    PLACED_AT = "PLACED_AT"
    TOTAL = "TOTAL"
    ID = "ID"


@strawberry.input
class OrderOrder:
    field: OrderSortField
    direction: SortDirection = SortDirection.DESC


@strawberry.input
class ProductFilter:
    name_contains: str | None = None
    category: str | None = None
    sku: str | None = None

    def to_store(self) -> dict[str, object]:
        return compact(name_contains=self.name_contains, category=self.category, sku=self.sku)


@strawberry.enum
class ProductSortField(Enum):
    NAME = "NAME"
    PRICE = "PRICE"
    SKU = "SKU"
    ID = "ID"


@strawberry.input
class ProductOrder:
    field: ProductSortField
    direction: SortDirection = SortDirection.ASC


@strawberry.input
class EmployeeFilter:
    name_contains: str | None = None
    email: str | None = None
    title_contains: str | None = None
    department_id: strawberry.ID | None = None
    functions: list[Function] | None = None

    def to_store(self) -> dict[str, object]:
        return compact(
            name_contains=self.name_contains,
            email=self.email,
            title_contains=self.title_contains,
            department_id=self.department_id,
            functions=_values(self.functions),  # type: ignore[arg-type]
        )


@strawberry.input
class DepartmentFilter:
    name_contains: str | None = None
    kind: DepartmentKind | None = None
    functions: list[Function] | None = None

    def to_store(self) -> dict[str, object]:
        return compact(
            name_contains=self.name_contains,
            kind=None if self.kind is None else self.kind.value,
            functions=_values(self.functions),  # type: ignore[arg-type]
        )


@strawberry.input
class InteractionFilter:
    channels: list[Channel] | None = None
    at: TimeWindow | None = None
    customer_id: strawberry.ID | None = None
    employee_id: strawberry.ID | None = None

    def to_store(self) -> dict[str, object]:
        at_from, at_to = self.at.bounds("at") if self.at else (None, None)
        return compact(
            channels=_values(self.channels),  # type: ignore[arg-type]
            at_from=at_from,
            at_to=at_to,
            customer_id=self.customer_id,
            employee_id=self.employee_id,
        )


@strawberry.input
class TicketFilter:
    statuses: list[TicketStatus] | None = None
    priorities: list[Priority] | None = None
    opened: TimeWindow | None = None
    customer_id: strawberry.ID | None = None

    def to_store(self) -> dict[str, object]:
        opened_from, opened_to = self.opened.bounds("opened") if self.opened else (None, None)
        return compact(
            statuses=_values(self.statuses),  # type: ignore[arg-type]
            priorities=_values(self.priorities),  # type: ignore[arg-type]
            opened_from=opened_from,
            opened_to=opened_to,
            customer_id=self.customer_id,
        )


@strawberry.enum
class TicketSortField(Enum):
    OPENED_AT = "OPENED_AT"
    PRIORITY = "PRIORITY"
    ID = "ID"


@strawberry.input
class TicketOrder:
    field: TicketSortField
    direction: SortDirection = SortDirection.DESC
