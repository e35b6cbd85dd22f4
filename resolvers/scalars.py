"""Scalars whose input is checked to the end: a value that parses but cannot be used is bad input.

strawberry's ``DateTime`` accepts any ISO 8601 text, ``0001-01-01T00:00:00+01:00`` included,
whose instant in UTC is before year 1: Python cannot represent it, so the first conversion to
UTC (comparing it, or handing it to the Neo4j driver) raised ``OverflowError`` deep in a
resolver, an ``INTERNAL_SERVER_ERROR``. This ``DateTime`` is the same scalar for clients (same
name, same ISO text out) but refuses such values where they come in, with ``BAD_USER_INPUT``,
and reads a time without a zone as UTC, as every time in the graph is. Offsets must be within
±18:00, the range Neo4j (Java) keeps: Python takes up to ±24:00, and a value past ±18:00 made
Neo4j refuse the whole statement's parameters. A cursor's counterpart
is ``resolvers.pagination.decode_cursor``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dateutil.parser  # type: ignore[import-untyped]  # strawberry's own DateTime parser
import strawberry
from strawberry.types.scalar import ScalarDefinition

from domain.errors import BadUserInputError
from resolvers.errors import shortened

# Longer than any ISO 8601 date and time with fractions and an offset.
_MAX_DATETIME_TEXT = 64
_MAX_OFFSET = timedelta(hours=18)


def parse_datetime(value: object) -> datetime:
    """An aware ``datetime`` for an ISO 8601 text whose instant Python can hold; ``BadUserInputError`` otherwise."""
    if not isinstance(value, str) or len(value) > _MAX_DATETIME_TEXT:
        raise BadUserInputError("a DateTime is an ISO 8601 text such as '2024-05-01T09:30:00Z'")
    try:
        parsed: datetime = dateutil.parser.isoparse(value)
    except (ValueError, OverflowError):
        raise BadUserInputError(shortened(f"'{value}' is not an ISO 8601 date and time")) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    offset = parsed.utcoffset()
    if offset is not None and abs(offset) > _MAX_OFFSET:
        raise BadUserInputError(f"'{value}' has an offset beyond ±18:00")
    try:
        parsed.astimezone(UTC)
    except OverflowError:
        raise BadUserInputError(f"'{value}' is outside the years 1 to 9999 once in UTC") from None
    return parsed


# For StrawberryConfig.scalar_map: Python's datetime is this DateTime.
SCALAR_MAP: dict[object, ScalarDefinition] = {
    datetime: strawberry.scalar(
        name="DateTime",
        description="Date with time (isoformat)",
        serialize=datetime.isoformat,
        parse_value=parse_datetime,
    )
}
