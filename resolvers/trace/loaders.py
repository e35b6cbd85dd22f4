"""Per-request DataLoaders of the traces that hang off entities.

A key is ``(entity id, *arguments)``: the batch is split by arguments (a journey's filter and
page window, an ``asOf``), and each group is one statement for all its ids. In the common
case (every customer of a list asking for the same first page) that is one statement per
field per query level.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from graph.trace.model import CustomerContacts, DepartmentFlows, Familiarity, HandOffChain, JourneyFilter, JourneyPage
from resolvers.ports import TraceStore

V = TypeVar("V")
Key = tuple[Any, ...]

JourneyKey = tuple[str, JourneyFilter, int, int]  # customer id, filter, skip, limit
FamiliarityKey = tuple[str, datetime, int]  # customer id, as of, limit
ChainKey = tuple[str, datetime]  # ticket id, as of
FlowKey = tuple[str, datetime | None, datetime | None, datetime]  # department id, from, to, as of


def grouped_loader(load: Callable[..., Awaitable[list[V]]]) -> DataLoader[Any, V]:
    """A loader of ``(id, *arguments)`` keys that calls ``load(ids, *arguments)`` once per arguments."""

    async def load_batch(keys: Sequence[Key]) -> list[V]:
        groups: dict[tuple[Hashable, ...], list[str]] = defaultdict(list)
        for key in keys:
            groups[key[1:]].append(key[0])
        found: dict[Key, V] = {}
        for arguments, ids in groups.items():
            values = await load(ids, *arguments)
            for id_, value in zip(ids, values, strict=True):
                found[(id_, *arguments)] = value
        return [found[key] for key in keys]

    return DataLoader(load_fn=load_batch)


class TraceLoaders:
    """The trace DataLoaders of one request."""

    def __init__(self, trace: TraceStore) -> None:
        self.journeys: DataLoader[JourneyKey, JourneyPage | None] = grouped_loader(trace.journeys)
        self.contacts: DataLoader[str, CustomerContacts | None] = DataLoader(load_fn=trace.contacts)
        self.familiarity: DataLoader[FamiliarityKey, list[Familiarity] | None] = grouped_loader(trace.familiarity)
        self.hand_off_chains: DataLoader[ChainKey, HandOffChain | None] = grouped_loader(trace.hand_off_chains)
        self.department_flows: DataLoader[FlowKey, DepartmentFlows | None] = grouped_loader(trace.department_flows)
