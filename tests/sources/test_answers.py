"""How answers become records: types normalised across drivers, bad shapes refused."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from sources.answers import MalformedAnswerError, RecordShape, cursor_at, items_at, records_by_key
from sources.config import FieldSpec

SHAPE = RecordShape.of(
    {
        "status": FieldSpec(type="str"),
        "total": FieldSpec(path="amount.value", type="float"),
        "count": FieldSpec(path="count", type="int", optional=True),
        "paid": FieldSpec(path="paid", type="bool", optional=True),
        "at": FieldSpec(path="at", type="datetime", optional=True),
        "due": FieldSpec(path="due", type="date", optional=True),
        "system": FieldSpec(value="ERP"),
    }
)


def test_values_are_normalised_whatever_the_driver_returns() -> None:
    record = SHAPE.build(
        {
            "status": "PAID",
            "amount": {"value": Decimal("12.50")},
            "count": Decimal("3"),
            "paid": 1,
            "at": "2026-10-01 10:00:00.000000",
            "due": "2026-11-01T00:00:00+00:00",
        }
    )
    assert record == {
        "status": "PAID",
        "total": 12.5,
        "count": 3,
        "paid": True,
        "at": datetime(2026, 10, 1, 10, tzinfo=UTC),
        "due": date(2026, 11, 1),
        "system": "ERP",
    }


def test_optional_fields_may_be_missing_and_required_ones_may_not() -> None:
    assert SHAPE.build({"status": "OPEN", "amount": {"value": 1}})["count"] is None
    with pytest.raises(MalformedAnswerError, match=r"field 'total' \('amount\.value'\) is missing"):
        SHAPE.build({"status": "OPEN"})


@pytest.mark.parametrize(
    "item",
    [
        {"status": 7, "amount": {"value": 1}},
        {"status": "OPEN", "amount": {"value": "12"}},
        {"status": "OPEN", "amount": {"value": True}},
        {"status": "OPEN", "amount": {"value": 1}, "count": 1.5},
        {"status": "OPEN", "amount": {"value": 1}, "at": "yesterday"},
        {"status": "OPEN", "amount": "12"},
    ],
)
def test_values_of_the_wrong_type_are_malformed(item: dict[str, object]) -> None:
    with pytest.raises(MalformedAnswerError):
        SHAPE.build(item)


@pytest.mark.parametrize("answer", [{}, {"items": {}}, {"items": [1]}, {"items": "x"}, [], "x"])
def test_answers_without_a_list_of_objects_are_malformed(answer: object) -> None:
    with pytest.raises(MalformedAnswerError):
        items_at(answer, "items")


def test_records_are_found_by_the_key_they_carry() -> None:
    shape = RecordShape.of({"name": FieldSpec(type="str")})
    found = records_by_key([{"id": "a", "name": "A"}, {"id": 7, "name": "B"}, {"id": "a", "name": "C"}], "id", shape)
    assert found == {"a": {"name": "A"}, "7": {"name": "B"}}
    with pytest.raises(MalformedAnswerError, match="no usable key"):
        records_by_key([{"name": "A"}], "id", shape)


def test_cursors() -> None:
    assert cursor_at({"page": {"next": "abc"}}, "page.next") == "abc"
    assert cursor_at({"page": {"next": None}}, "page.next") is None
    assert cursor_at({}, "page.next") is None
    with pytest.raises(MalformedAnswerError):
        cursor_at({"next": ["x"]}, "next")


def test_a_field_has_a_path_or_a_value_not_both() -> None:
    with pytest.raises(ValueError, match="not both"):
        FieldSpec(path="a", value="b")
