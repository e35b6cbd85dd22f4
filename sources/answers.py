"""Turn what a source answered into records, checking the answer's shape on the way.

A record is a flat mapping from the field names the configuration declares to typed values:
strings, numbers, booleans, aware UTC datetimes, dates, or JSON lists and objects. Anything
that does not fit (a missing required field, a string where a number belongs, a list that is
not a list) raises MalformedAnswerError, which the connector reports as the source being
unavailable: a garbage answer must never reach a client as if it were data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sources.config import FieldSpec

Record = Mapping[str, object]

_MISSING = object()


class MalformedAnswerError(Exception):
    """The source answered, but not in the shape its configuration promises."""


def dig(document: object, path: str) -> object:
    """The value at a dotted path in nested mappings, or ``_MISSING``."""
    value = document
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def items_at(document: object, path: str) -> list[Mapping[str, object]]:
    """The list of objects at ``path``; anything else is a malformed answer."""
    found = dig(document, path)
    if found is _MISSING:
        raise MalformedAnswerError(f"no '{path}' in the answer")
    if not isinstance(found, list):
        raise MalformedAnswerError(f"'{path}' is {_kind(found)}, not a list")
    for index, item in enumerate(found):
        if not isinstance(item, Mapping):
            raise MalformedAnswerError(f"'{path}[{index}]' is {_kind(item)}, not an object")
    return found


def cursor_at(document: object, path: str) -> str | int | None:
    """The next page's cursor at ``path``: None (or absent) on the last page."""
    value = dig(document, path)
    if value is _MISSING or value is None:
        return None
    if isinstance(value, str | int) and not isinstance(value, bool) and value != "":
        return value
    raise MalformedAnswerError(f"'{path}' is {_kind(value)}, not a cursor")


def _kind(value: object) -> str:
    return "null" if value is None else f"a {type(value).__name__}"


def _string(value: object) -> object:
    if isinstance(value, str):
        return value
    raise TypeError


def _integer(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    raise TypeError


def _float(value: object) -> object:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return float(value)
    raise TypeError


def _boolean(value: object) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):  # SQLite has no boolean type
        return bool(value)
    raise TypeError


def _datetime(value: object) -> object:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        # SQLite and some APIs drop the zone: their times are UTC, as the graph's are.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    raise TypeError


def _date(value: object) -> object:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value[:10]) if len(value) >= 10 else date.fromisoformat(value)
    raise TypeError


def _list(value: object) -> object:
    if isinstance(value, list | tuple):
        return list(value)
    raise TypeError


def _object(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError


_CONVERTERS: dict[str, Callable[[object], object]] = {
    "str": _string,
    "int": _integer,
    "float": _float,
    "bool": _boolean,
    "datetime": _datetime,
    "date": _date,
    "list": _list,
    "object": _object,
    "any": lambda value: value,
}


@dataclass(frozen=True, slots=True)
class RecordShape:
    """The fields of a record and where each comes from; builds and checks records."""

    fields: Mapping[str, FieldSpec]

    @classmethod
    def of(cls, specs: Mapping[str, FieldSpec]) -> RecordShape:
        # A field without a path or a value is read from the place of the same name.
        resolved = {
            name: spec if spec.path is not None or spec.value is not None else spec.model_copy(update={"path": name})
            for name, spec in specs.items()
        }
        return cls(resolved)

    @property
    def paths(self) -> list[str]:
        return [spec.path for spec in self.fields.values() if spec.path is not None]

    def build(self, item: Mapping[str, object]) -> dict[str, object]:
        record: dict[str, object] = {}
        for name, spec in self.fields.items():
            if spec.path is None:
                record[name] = spec.value
                continue
            raw = dig(item, spec.path)
            if raw is _MISSING or raw is None:
                if not spec.optional:
                    raise MalformedAnswerError(f"field '{name}' ('{spec.path}') is missing")
                record[name] = None
                continue
            try:
                record[name] = _CONVERTERS[spec.type](raw)
            except (TypeError, ValueError):
                raise MalformedAnswerError(
                    f"field '{name}' ('{spec.path}') is {_kind(raw)}, expected {spec.type}"
                ) from None
        return record


def key_of(item: Mapping[str, object], key_field: str) -> str:
    key = dig(item, key_field)
    if isinstance(key, str) and key:
        return key
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key)
    raise MalformedAnswerError(f"a record has no usable key '{key_field}'")


def records_by_key(items: Iterable[Mapping[str, object]], key_field: str, shape: RecordShape) -> dict[str, Record]:
    """Records by the key each item carries; a key answered twice keeps its first record."""
    found: dict[str, Record] = {}
    for item in items:
        key = key_of(item, key_field)
        if key not in found:
            found[key] = shape.build(item)
    return found


def in_key_order(keys: Sequence[str], found: Mapping[str, Record | None]) -> list[Record | None]:
    return [found.get(key) for key in keys]
