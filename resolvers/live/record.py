"""The live state that systems of record hold, next to the graph's entities: how it is read.

The GraphQL types of each system are in the modules beside this one (``erp``, ``helpdesk``,
``hr``, ``crm``), the fields that read them in ``fields``. Each type is read at query time from a
live source (``sources/``), through the request's
DataLoaders, and may be a few seconds old (each source has a short cache). Each comes with the
``LiveNeed`` it reads: lookups keyed by what, answering which fields. A record is read field by
field (``LiveRecord``): a value of the wrong type means the source answered garbage, which is
the source being unavailable, not a bug of ours, so it surfaces as ``SOURCE_UNAVAILABLE``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import TypeVar

from domain.errors import SourceUnavailableError

E = TypeVar("E", bound=Enum)
V = TypeVar("V")

LIVE = "Read live from {system}, the system of record, at query time (it may be a few seconds old)."


class LiveRecord:
    """One record of a live source (or a part of one), the key it was looked up by, and its
    fields, read with the type each must have."""

    __slots__ = ("_values", "key", "source")

    def __init__(self, source: str, key: str, values: Mapping[str, object]) -> None:
        self.source = source
        self.key = key
        self._values = values

    def _read(self, name: str, convert: Callable[[object], V], expected: str) -> V | None:
        value = self._values.get(name)
        if value is None:
            return None
        try:
            return convert(value)
        except (TypeError, ValueError):
            kind = type(value).__name__
            raise SourceUnavailableError(
                self.source, f"malformed answer: '{name}' is a {kind}, expected {expected}"
            ) from None

    def _required(self, name: str, value: V | None) -> V:
        if value is None:
            raise SourceUnavailableError(self.source, f"malformed answer: '{name}' is missing")
        return value

    def optional_text(self, name: str) -> str | None:
        return self._read(name, _text, "a string")

    def text(self, name: str) -> str:
        return self._required(name, self.optional_text(name))

    def integer(self, name: str) -> int:
        return self._required(name, self._read(name, _integer, "an integer"))

    def number(self, name: str) -> float:
        return self._required(name, self._read(name, _number, "a number"))

    def optional_time(self, name: str) -> datetime | None:
        return self._read(name, _time, "a date and time")

    def time(self, name: str) -> datetime:
        return self._required(name, self.optional_time(name))

    def optional_day(self, name: str) -> date | None:
        return self._read(name, _day, "a date")

    def day(self, name: str) -> date:
        return self._required(name, self.optional_day(name))

    def optional_choice(self, kind: type[E], name: str) -> E | None:
        return self._read(name, kind, " or ".join(str(member.value) for member in kind))

    def choice(self, kind: type[E], name: str) -> E:
        return self._required(name, self.optional_choice(kind, name))

    def optional_record(self, name: str) -> LiveRecord | None:
        found = self._read(name, _mapping, "an object")
        return None if found is None else LiveRecord(self.source, self.key, found)

    def records(self, name: str) -> list[LiveRecord]:
        items = self._read(name, _mappings, "a list of objects")
        return [LiveRecord(self.source, self.key, item) for item in items or ()]


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    raise TypeError


def _integer(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError


def _number(value: object) -> float:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return float(value)
    raise TypeError


def _time(value: object) -> datetime:
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(found, datetime):
        raise TypeError
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found


def _day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise TypeError


def _mapping(value: object) -> Mapping[str, object]:
    if isinstance(value, Mapping):
        return value
    raise TypeError


def _mappings(value: object) -> list[Mapping[str, object]]:
    if isinstance(value, list) and all(isinstance(item, Mapping) for item in value):
        return value
    raise TypeError
