"""Live fields of the HR directory: whether an employee can be reached now, and their absences."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Self

import strawberry

from resolvers.live.loaders import need
from resolvers.live.record import LIVE, LiveRecord


@strawberry.enum(description="Whether an employee can be reached now, as HR says.")
class Availability(StrEnum):
    AVAILABLE = "AVAILABLE"
    BUSY = "BUSY"
    AWAY = "AWAY"
    OUT_OF_OFFICE = "OUT_OF_OFFICE"


@strawberry.type(description="An absence. " + LIVE.format(system="the HR directory"))
class OutOfOffice:
    since: date
    until: date | None
    reason: str | None


EMPLOYEE_AVAILABILITY = need("Employee", "HR", ("availability", "out_of_office", "role", "department"))


@strawberry.type(
    description="Whether an employee can be reached now, and their role, by the employee's HR key. "
    + LIVE.format(system="the HR directory")
)
class EmployeeAvailability:
    hr_key: str = strawberry.field(description="The employee's key in the HR directory.")
    availability: Availability
    out_of_office: OutOfOffice | None = strawberry.field(description="The current absence, if any.")
    role: str
    department: str | None = strawberry.field(description="The department as HR names it.")

    @classmethod
    def from_record(cls, record: LiveRecord) -> Self:
        absence = record.optional_record("out_of_office")
        out_of_office = None
        if absence is not None:
            out_of_office = OutOfOffice(
                since=absence.day("from"), until=absence.optional_day("until"), reason=absence.optional_text("reason")
            )
        return cls(
            hr_key=record.key,
            availability=record.choice(Availability, "availability"),
            out_of_office=out_of_office,
            role=record.text("role"),
            department=record.optional_text("department"),
        )
