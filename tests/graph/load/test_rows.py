"""Row checks before a row is batched: times travel as [epoch seconds, nanoseconds] in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from graph.load.rows import ROW_KINDS_BY_NAME, RowError

STEP = ROW_KINDS_BY_NAME["order_step"]


def step_at(at: object) -> object:
    row = STEP.parse({"order_id": "O1", "employee_id": "E1", "step": "SALE", "at": at})
    return row[STEP.position("at")]


@pytest.mark.parametrize(
    ("given", "pair"),
    [
        ("1970-01-01T00:00:00+00:00", [0, 0]),
        ("2026-10-01T12:00:00.250+02:00", [1_790_848_800, 250_000_000]),  # the same instant as 10:00Z
        ("2026-10-01T10:00:00.25", [1_790_848_800, 250_000_000]),  # no zone: taken as UTC
        ("1969-12-31T23:59:59.999999Z", [-1, 999_999_000]),  # before 1970 the nanoseconds stay positive
        (datetime(2026, 10, 1, 10, tzinfo=UTC), [1_790_848_800, 0]),
    ],
)
def test_a_time_becomes_epoch_seconds_and_nanoseconds_in_utc(given: object, pair: list[int]) -> None:
    assert step_at(given) == pair


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("yesterday", "field 'at': expected an ISO 8601 date-time"),
        (1_790_848_800, "field 'at': expected an ISO 8601 date-time"),
        ("", "missing required field 'at'"),
        (None, "missing required field 'at'"),
    ],
)
def test_a_value_that_is_no_time_is_refused(given: object, reason: str) -> None:
    with pytest.raises(RowError) as refused:
        step_at(given)

    assert str(refused.value) == reason
