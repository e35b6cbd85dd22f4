"""Each write statement reads a row's values by position: its names must follow the kind's fields."""

from __future__ import annotations

import re

import pytest

from graph.load import rows
from graph.load.rows import ROW_KINDS, RowKind

# ``row[3] AS name``, or for a time ``datetime.fromepoch(row[3][0], row[3][1]) AS name``, which
# an optional time wraps in ``CASE WHEN row[3] IS NOT NULL THEN ... END``.
COLUMN = re.compile(
    r"(?:CASE WHEN row\[\d+\] IS NOT NULL THEN )?(?:datetime\.fromepoch\()?"
    r"row\[(\d+)\](?:\[0\], row\[\d+\]\[1\]\)(?: END)?)? AS (\w+)"
)


@pytest.mark.parametrize("kind", ROW_KINDS, ids=lambda kind: kind.name)
def test_the_statement_names_every_field_at_its_position(kind: RowKind) -> None:
    columns = COLUMN.findall(kind.write)

    assert [int(position) for position, _ in columns] == list(range(len(kind.fields)))
    assert tuple(name for _, name in columns) == kind.field_names


@pytest.mark.parametrize("kind", ROW_KINDS, ids=lambda kind: kind.name)
def test_the_statement_reads_no_field_by_name(kind: RowKind) -> None:
    # A leftover ``row.field`` would read a list as a map and fail on every batch.
    assert not re.search(r"\brow\.\w+", kind.write)


@pytest.mark.parametrize("kind", ROW_KINDS, ids=lambda kind: kind.name)
def test_the_statement_turns_exactly_the_time_fields_into_datetimes(kind: RowKind) -> None:
    converted = {int(position) for position in re.findall(r"datetime\.fromepoch\(row\[(\d+)\]\[0\]", kind.write)}

    assert converted == {position for position, field in enumerate(kind.fields) if field.parse is rows._timestamp}
