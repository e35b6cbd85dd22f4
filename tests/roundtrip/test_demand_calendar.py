"""Demand buckets around daylight-saving changes and year ends, for orders written in any offset.

Times are stored as UTC instants (see the README), so an order belongs to the ISO week (from
Monday) and the month of its instant in UTC, whatever offset it was written in and whatever
the clocks of some zone did that night: two orders an hour apart stay an hour apart across a
DST change, and nothing is counted twice or lost at a year end.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j import AsyncDriver

from tests.conftest import wipe
from tests.resolvers.helpers import run
from tests.trace_world import World, organisation

DEMAND = """
query ($window: TimeWindow!, $granularity: Granularity!) {
  demand(window: $window, by: TIER, granularity: $granularity) { period key orders units revenue }
}
"""
# Where calendars and clocks jump: year ends, EU and US daylight-saving changes, a month end.
EDGES = [
    datetime(2026, 1, 1, tzinfo=UTC),
    datetime(2027, 1, 1, tzinfo=UTC),
    datetime(2026, 3, 29, 1, tzinfo=UTC),  # EU clocks forward
    datetime(2026, 10, 25, 1, tzinfo=UTC),  # EU clocks back
    datetime(2026, 3, 8, 7, tzinfo=UTC),  # US Eastern clocks forward
    datetime(2026, 11, 1, 6, tzinfo=UTC),  # US Eastern clocks back
    datetime(2026, 6, 1, tzinfo=UTC),
]
# The zones' offsets on either side of those changes, and the far ends.
OFFSETS = [0, 60, 120, -300, -240, 345, 570, 840, -720]
WINDOW = {"from": "2025-12-01T00:00:00+14:00", "to": "2027-02-01T00:00:00-12:00"}

orders = st.lists(
    st.tuples(
        st.sampled_from(EDGES),
        st.integers(-2 * 24 * 60, 2 * 24 * 60),  # minutes around the edge
        st.sampled_from(OFFSETS),
        st.integers(1, 5),  # units
    ),
    min_size=1,
    max_size=12,
)


def written(instant: datetime, offset_minutes: int) -> str:
    """The instant as a local time with its offset, as a file from that zone would hold it."""
    return instant.astimezone(timezone(timedelta(minutes=offset_minutes))).isoformat()


def expected(placed: list[tuple[datetime, int]], granularity: str) -> list[tuple[str, int, int, float]]:
    buckets: Counter[date] = Counter()
    units: Counter[date] = Counter()
    for instant, quantity in placed:
        day = instant.astimezone(UTC).date()
        period = day - timedelta(days=day.weekday()) if granularity == "WEEK" else day.replace(day=1)
        buckets[period] += 1
        units[period] += quantity
    return [(period.isoformat(), buckets[period], units[period], units[period] * 10.0) for period in sorted(buckets)]


@settings(
    max_examples=int(os.environ.get("CG_ROUNDTRIP_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(drawn=orders, granularity=st.sampled_from(["WEEK", "MONTH"]))
async def test_each_order_counts_once_in_the_week_and_month_of_its_utc_instant(
    empty_graph: AsyncDriver, drawn: list[tuple[datetime, int, int, int]], granularity: str
) -> None:
    await wipe(empty_graph)
    world: World = organisation().product("P1", 10.0).customer("C1", "GOLD")
    placed = []
    for number, (edge, minutes, offset, quantity) in enumerate(drawn):
        instant = edge + timedelta(minutes=minutes)
        world.order(f"O{number}", "C1", written(instant, offset), lines=[("P1", quantity, 10.0)])  # type: ignore[arg-type]
        placed.append((instant, quantity))
    await world.load(empty_graph)

    result = await run(empty_graph, DEMAND, window=WINDOW, granularity=granularity)

    assert result.errors is None, result.errors
    shown = [(b["period"], b["orders"], b["units"], b["revenue"]) for b in result.data["demand"]]
    assert shown == expected(placed, granularity)


async def test_a_new_year_order_written_in_berlin_time_counts_in_the_utc_december_and_week(
    empty_graph: AsyncDriver,
) -> None:
    # 00:30 on New Year's Day in Berlin is 23:30 on 31 December in UTC: December, and the ISO
    # week that began on Monday 29 December 2025.
    world = organisation().product("P1", 10.0).customer("C1", "GOLD")
    world.order("O1", "C1", "2026-01-01T00:30:00+01:00", lines=[("P1", 1, 10.0)])  # type: ignore[arg-type]
    world.order("O2", "C1", "2026-01-01T01:30:00+01:00", lines=[("P1", 2, 10.0)])  # type: ignore[arg-type]
    await world.load(empty_graph)

    months = await run(empty_graph, DEMAND, window=WINDOW, granularity="MONTH")
    weeks = await run(empty_graph, DEMAND, window=WINDOW, granularity="WEEK")

    assert [(b["period"], b["orders"]) for b in months.data["demand"]] == [("2025-12-01", 1), ("2026-01-01", 1)]
    assert [(b["period"], b["orders"]) for b in weeks.data["demand"]] == [("2025-12-29", 2)]
