"""Row kinds the bulk loader accepts: their fields, types, references and write statement.

A row is a flat mapping (one JSON Lines object, one CSV record, one dict from the demo
generator). Each kind names its fields with a type, the other nodes it refers to (checked to
exist before writing, in the same transaction) and the Cypher that merges it. Kinds are listed
in load order: every reference points to a kind that comes earlier.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import LiteralString

from graph.load import queries as q
from graph.model import (
    Channel,
    DepartmentKind,
    Function,
    OrderStatus,
    OrderStep,
    Priority,
    Segment,
    SourceSystem,
    TicketStatus,
    Tier,
)

# A row as the loader sends it: its values in the order of its kind's fields.
Row = list[object]

# Set by a reader on a raw row it could not decode; the loader rejects the row with this text.
UNREADABLE = "__unreadable__"


class RowError(ValueError):
    """A row that cannot be loaded; the message says which field and why."""


def _text(value: object) -> str:
    if isinstance(value, str) and value.strip():
        return value
    raise RowError("expected a non-empty string")


def _integer(value: object) -> int:
    if isinstance(value, bool):
        raise RowError("expected an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise RowError("expected an integer")


def _number(value: object) -> float:
    if value.__class__ is float:  # the common case first: every row of a load passes here
        return value
    if isinstance(value, bool):
        raise RowError("expected a number")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise RowError("expected a number")


def _timestamp(value: object) -> list[int] | None:
    """An ISO 8601 time (or a ``datetime``) as ``[epoch seconds, nanoseconds]`` in UTC.

    Cypher makes the DateTime with ``datetime.fromepoch(at[0], at[1])``. Times travel as
    two integers on purpose: the Python driver spends tens of microseconds packing each
    ``datetime``, and Neo4j parses ISO text about ten times slower than it reads a pair (over
    four million times in a ``bench`` load). Every stored time is thus in UTC: the same
    instant as the offset it was given in, and comparable with all the others.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise RowError("expected an ISO 8601 date-time") from None
    if isinstance(value, datetime):
        # A time without a zone is taken as UTC.
        since = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)) - _EPOCH
        return [since.days * 86_400 + since.seconds, since.microseconds * 1_000]
    raise RowError("expected an ISO 8601 date-time")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _choice(enum: type[Enum]) -> Callable[[object], str]:
    allowed = {member.value for member in enum}

    def parse(value: object) -> str:
        if value.__class__ is str and value in allowed:  # the common case, before the slower checks
            return value
        if isinstance(value, Enum):
            value = value.value
        if isinstance(value, str) and value in allowed:
            return value
        raise RowError(f"expected one of {', '.join(sorted(allowed))}")

    return parse


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    parse: Callable[[object], object]
    required: bool = True


@dataclass(frozen=True, slots=True)
class Reference:
    """A field that holds the id of a node which must already exist."""

    field: str
    label: str


@dataclass(frozen=True, slots=True)
class RowKind:
    name: str
    fields: tuple[Field, ...]
    references: tuple[Reference, ...]
    write: LiteralString
    # The reference whose nodes a row's write changes (it adds relationships to them). The
    # loader keeps concurrent writers apart on it, so that two transactions do not wait on, or
    # deadlock over, the same node (see ``graph.load.loader``). Order lines and steps are split by
    # order, hand-offs by ticket: their statements lock only that node (see
    # ``graph.load.queries``), so the writers do not wait on the products and employees they
    # share. Interactions are split by customer alone: a new interaction locks neither its
    # customer nor its employee before commit. Splitting them by both at once, in phases with
    # a wait for both writers at the end of each, was no faster on the `bench` and `demo`
    # presets (``bench/load_bench.py``).
    partition: str | None = None
    # Required references sent as a per-batch table of distinct ids, each row giving its id's
    # position in it (see ``graph.load.queries``): those that many rows of a batch share.
    tables: tuple[str, ...] = ()

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields)

    def position(self, field_name: str) -> int:
        """Where the value of ``field_name`` sits in a parsed row."""
        return self.field_names.index(field_name)

    def parse(self, raw: Mapping[str, object]) -> Row:
        """Return the row's typed values in field order, or raise RowError naming the bad field."""
        unreadable = raw.get(UNREADABLE)
        if unreadable is not None:
            raise RowError(str(unreadable))
        row: Row = []
        for field in self.fields:
            value = raw.get(field.name)
            if value is None or value == "":
                if field.required:
                    raise RowError(f"missing required field '{field.name}'")
                row.append(None)
                continue
            try:
                row.append(field.parse(value))
            except RowError as exc:
                raise RowError(f"field '{field.name}': {exc}") from None
        return row

    def as_raw(self, row: Row) -> dict[str, object]:
        """The mapping that ``parse`` turns into ``row``: the inverse of ``parse``.

        Times become ``datetime``s in UTC; every other value is already what a reader gives.
        """
        raw: dict[str, object] = {}
        for field, value in zip(self.fields, row, strict=True):
            if field.parse is _timestamp and isinstance(value, list):
                seconds, nanoseconds = value
                value = datetime.fromtimestamp(seconds, UTC).replace(microsecond=nanoseconds // 1_000)
            raw[field.name] = value
        return raw


@dataclass(frozen=True, slots=True)
class TypedRows:
    """Rows already in their kind's typed form, as ``RowKind.parse`` returns them.

    The demo generator makes its big kinds so (see ``demo_company.company``): the loader takes them
    without parsing them again, which is a third of its work on such rows, and still checks
    their references. Row ``n`` (from 1) comes from ``<origin>#<n>``.
    """

    origin: str
    rows: Iterable[Row]

    def numbered(self) -> Iterator[tuple[str, Row]]:
        origin = self.origin
        for number, row in enumerate(self.rows, start=1):
            yield f"{origin}#{number}", row


def _kind(
    name: str,
    write: LiteralString,
    *fields: Field,
    refs: tuple[Reference, ...] = (),
    partition: str | None = None,
    tables: tuple[str, ...] = (),
) -> RowKind:
    references = {reference.field for reference in refs}
    if partition is not None and partition not in references:
        raise ValueError(f"{name}: partition by one of its references")
    required = {field.name for field in fields if field.required}
    if not (references & required).issuperset(tables):
        raise ValueError(f"{name}: only required references can be sent as tables")
    return RowKind(name=name, fields=fields, references=refs, write=write, partition=partition, tables=tables)


def _ref(field: str, label: str) -> Reference:
    return Reference(field=field, label=label)


ROW_KINDS: tuple[RowKind, ...] = (
    _kind(
        "department",
        q.MERGE_DEPARTMENTS,
        Field("id", _text),
        Field("name", _text),
        Field("kind", _choice(DepartmentKind)),
        Field("function", _choice(Function)),
    ),
    _kind(
        "employee",
        q.MERGE_EMPLOYEES,
        Field("id", _text),
        Field("name", _text),
        Field("email", _text),
        Field("title", _text),
        Field("department_id", _text),
        refs=(_ref("department_id", "Department"),),
        partition="department_id",
    ),
    _kind(
        "reports_to",
        q.MERGE_REPORTS_TO,
        Field("employee_id", _text),
        Field("manager_id", _text),
        refs=(_ref("employee_id", "Employee"), _ref("manager_id", "Employee")),
    ),
    _kind(
        "product",
        q.MERGE_PRODUCTS,
        Field("id", _text),
        Field("sku", _text),
        Field("name", _text),
        Field("category", _text),
        Field("price", _number),
    ),
    _kind(
        "customer",
        q.MERGE_CUSTOMERS,
        Field("id", _text),
        Field("name", _text),
        Field("email", _text),
        Field("segment", _choice(Segment)),
        Field("tier", _choice(Tier)),
        Field("lifetime_value", _number),
        Field("since", _timestamp),
        Field("owner_id", _text, required=False),
        refs=(_ref("owner_id", "Employee"),),
        partition="owner_id",
    ),
    _kind(
        "order",
        q.MERGE_ORDERS,
        Field("id", _text),
        Field("customer_id", _text),
        Field("placed_at", _timestamp),
        Field("status", _choice(OrderStatus)),
        Field("total", _number),
        Field("currency", _text),
        refs=(_ref("customer_id", "Customer"),),
        partition="customer_id",
    ),
    _kind(
        "order_line",
        q.MERGE_ORDER_LINES,
        Field("order_id", _text),
        Field("product_id", _text),
        Field("quantity", _integer),
        Field("price", _number),
        refs=(_ref("order_id", "Order"), _ref("product_id", "Product")),
        partition="order_id",
        tables=("order_id", "product_id"),
    ),
    _kind(
        "order_step",
        q.MERGE_ORDER_STEPS,
        Field("order_id", _text),
        Field("employee_id", _text),
        Field("step", _choice(OrderStep)),
        Field("at", _timestamp),
        refs=(_ref("order_id", "Order"), _ref("employee_id", "Employee")),
        partition="order_id",
        tables=("order_id", "employee_id"),
    ),
    _kind(
        "interaction",
        q.MERGE_INTERACTIONS,
        Field("id", _text),
        Field("customer_id", _text),
        Field("employee_id", _text),
        Field("at", _timestamp),
        Field("channel", _choice(Channel)),
        Field("summary", _text),
        refs=(_ref("customer_id", "Customer"), _ref("employee_id", "Employee")),
        partition="customer_id",
        tables=("employee_id",),
    ),
    _kind(
        "ticket",
        q.MERGE_TICKETS,
        Field("id", _text),
        Field("customer_id", _text),
        Field("opened_at", _timestamp),
        Field("closed_at", _timestamp, required=False),
        Field("status", _choice(TicketStatus)),
        Field("priority", _choice(Priority)),
        Field("subject", _text),
        refs=(_ref("customer_id", "Customer"),),
        partition="customer_id",
    ),
    _kind(
        "hand_off",
        q.MERGE_HAND_OFFS,
        Field("ticket_id", _text),
        Field("employee_id", _text),
        Field("at", _timestamp),
        Field("by_id", _text, required=False),
        Field("reason", _text),
        refs=(_ref("ticket_id", "Ticket"), _ref("employee_id", "Employee"), _ref("by_id", "Employee")),
        partition="ticket_id",
        tables=("ticket_id", "employee_id"),
    ),
    _kind(
        "customer_identity",
        q.MERGE_CUSTOMER_IDENTITIES,
        Field("owner_id", _text),
        Field("system", _choice(SourceSystem)),
        Field("key", _text),
        refs=(_ref("owner_id", "Customer"),),
        partition="owner_id",
        tables=("owner_id",),
    ),
    _kind(
        "employee_identity",
        q.MERGE_EMPLOYEE_IDENTITIES,
        Field("owner_id", _text),
        Field("system", _choice(SourceSystem)),
        Field("key", _text),
        refs=(_ref("owner_id", "Employee"),),
        partition="owner_id",
    ),
)

ROW_KINDS_BY_NAME: dict[str, RowKind] = {kind.name: kind for kind in ROW_KINDS}
