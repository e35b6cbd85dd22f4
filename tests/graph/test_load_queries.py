"""Each write statement reads a row's values by position: its names must follow the kind's fields."""

from __future__ import annotations

import re

import pytest

from graph.rows import ROW_KINDS, RowKind

COLUMN = re.compile(r"row\[(\d+)\] AS (\w+)")


@pytest.mark.parametrize("kind", ROW_KINDS, ids=lambda kind: kind.name)
def test_the_statement_names_every_field_at_its_position(kind: RowKind) -> None:
    columns = COLUMN.findall(kind.write)

    assert [int(position) for position, _ in columns] == list(range(len(kind.fields)))
    assert tuple(name for _, name in columns) == kind.field_names


@pytest.mark.parametrize("kind", ROW_KINDS, ids=lambda kind: kind.name)
def test_the_statement_reads_no_field_by_name(kind: RowKind) -> None:
    # A leftover ``row.field`` would read a list as a map and fail on every batch.
    assert not re.search(r"\brow\.\w+", kind.write)
