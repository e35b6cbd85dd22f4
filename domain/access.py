"""Who is calling, and what the policy lets them see: plain data, no framework.

``Caller`` is the authenticated identity (or the anonymous one). ``Policy`` holds what each
role of ``policy.toml`` may read, which fields it sees masked and its row rules (graph
patterns, kept here as text; compiling them into Cypher is the graph layer's job).
``Grants`` is the effective view of one *set* of roles, the union the policy describes:

- a field is readable when any of the roles reads it;
- it is masked only when every role that reads it masks it (the least strict mode wins:
  a role that sees it redacted beats one that sees null), or when the roles that read it
  unmasked each see fewer rows than the set: a service agent's unmasked emails (of the
  customers their department serves) and an analyst's rows (every customer, emails redacted)
  together show every customer with the email redacted, not every customer's email;
- a label's rows are the union of the roles' rules, among the roles that read the type at
  all; one such role without a rule sees every row, so the label is then unrestricted; a
  label none of the roles reads anything of has no visible row at all.

``Grants`` are built once per role set and cached by the policy; ``Access`` binds them to one
caller, which is all that changes from request to request.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from domain.errors import CustomerGraphError

EVERYTHING: Final = "*"
# The root of the mutations: a role runs those its ``write`` list names, whatever it reads.
WRITE_ROOT: Final = "Mutation"
REDACTED_TEXT: Final = "[redacted]"
# Role sets seen by one process: each distinct combination of roles is one entry.
MAX_CACHED_ROLE_SETS: Final = 256
_EMAIL = re.compile(r"^([^@\s])[^@\s]*@([^@\s]+)$")


class ForbiddenError(CustomerGraphError):
    """The caller's roles may not run this operation (nothing of it ran)."""

    code = "FORBIDDEN"


class ForbiddenFieldError(CustomerGraphError):
    """A masked field: the caller may read the object but not this field's value."""

    code = "FORBIDDEN_FIELD"


class MaskMode(StrEnum):
    """How a masked field goes out: ``null`` with a FORBIDDEN_FIELD error, or redacted text."""

    NULL = "null"
    REDACT = "redact"


def redact(value: str) -> str:
    """An email keeps its first letter and its domain (``j***@example.com``); other text goes."""
    match = _EMAIL.match(value)
    if match is not None:
        return f"{match.group(1)}***@{match.group(2)}"
    return REDACTED_TEXT


@dataclass(frozen=True, slots=True)
class Caller:
    """The identity a request runs as."""

    subject: str  # the token's subject, or "anonymous"
    roles: frozenset[str]  # role names as in policy.toml (unknown ones already dropped)
    employee_id: str | None  # the employee the caller is, if the token names one
    anonymous: bool = False


SYSTEM_CALLER: Final = Caller(subject="system", roles=frozenset(), employee_id=None)


@dataclass(frozen=True, slots=True)
class RowRuleText:
    """A role's row rule for one graph label: graph patterns, any of which lets a row through."""

    label: str
    patterns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RolePolicy:
    """One role of the policy, as written."""

    name: str
    reads_everything: bool = False
    read_types: frozenset[str] = frozenset()
    read_fields: frozenset[tuple[str, str]] = frozenset()
    masks: Mapping[tuple[str, str], MaskMode] = field(default_factory=dict)
    rows: Mapping[str, RowRuleText] = field(default_factory=dict)
    # The mutations the role may run (fields of ``Mutation``), and whether it may name another
    # employee as the one who acted (``recordInteraction``'s employee); otherwise it is the caller.
    writes: frozenset[str] = frozenset()
    acts_for_others: bool = False

    def reads(self, type_name: str, field_name: str) -> bool:
        if type_name == WRITE_ROOT:
            return field_name in self.writes or EVERYTHING in self.writes
        return self.reads_everything or type_name in self.read_types or (type_name, field_name) in self.read_fields

    def reads_type(self, type_name: str) -> bool:
        """Whether the role reads any field of the type."""
        if type_name == WRITE_ROOT:
            return bool(self.writes)
        if self.reads_everything or type_name in self.read_types:
            return True
        return any(owner == type_name for owner, _ in self.read_fields)


class Grants:
    """What one set of roles may read, together (see the module docstring for the union)."""

    def __init__(self, roles: Iterable[RolePolicy], labels: Iterable[str] = ()) -> None:
        self._roles = tuple(sorted(roles, key=lambda role: role.name))
        self._labels = frozenset(labels)
        self.role_names = frozenset(role.name for role in self._roles)
        self.reads_everything = any(role.reads_everything for role in self._roles)
        self.acts_for_others = any(role.acts_for_others for role in self._roles)
        self._readable: dict[tuple[str, str], bool] = {}
        self.row_rules: Mapping[str, tuple[str, ...]] = MappingProxyType(self._combined_rows())
        masks: dict[str, dict[str, MaskMode]] = {}
        for type_name, field_name in {key for role in self._roles for key in role.masks}:
            mode = self._combined_mask(type_name, field_name)
            if mode is not None:
                masks.setdefault(type_name, {})[field_name] = mode
        # By type, then field: the executor asks once per selection set.
        self.masks: Mapping[str, Mapping[str, MaskMode]] = MappingProxyType(
            {name: MappingProxyType(fields) for name, fields in masks.items()}
        )

    def readable(self, type_name: str, field_name: str) -> bool:
        key = (type_name, field_name)
        known = self._readable.get(key)
        if known is None:
            known = self._readable[key] = any(role.reads(type_name, field_name) for role in self._roles)
        return known

    def reads_type(self, type_name: str) -> bool:
        return any(role.reads_type(type_name) for role in self._roles)

    def mask(self, type_name: str, field_name: str) -> MaskMode | None:
        fields = self.masks.get(type_name)
        return None if fields is None else fields.get(field_name)

    def _combined_mask(self, type_name: str, field_name: str) -> MaskMode | None:
        key = (type_name, field_name)
        readers = [role for role in self._roles if role.reads(type_name, field_name)]
        masked = [mode for role in readers if (mode := role.masks.get(key)) is not None]
        if not masked or any(key not in role.masks and self._sees_every_row(role) for role in readers):
            return None
        return MaskMode.REDACT if MaskMode.REDACT in masked else MaskMode.NULL

    def _sees_every_row(self, role: RolePolicy) -> bool:
        """Whether the role alone sees every row the set sees, of every label. A role that reads
        a field unmasked lifts another's mask only then: a narrow role's unmasked view and a
        broad role's rows together would show values of rows that neither role shows unmasked."""
        for label in self._labels | {label for each in self._roles for label in each.rows}:
            combined = self.row_rules.get(label)
            own = role.rows.get(label)
            if own is None and role.reads_type(label):
                continue  # the role sees every row of the label
            if combined is None or not set(combined) <= set(own.patterns if own else ()):
                return False
        return True

    def _combined_rows(self) -> dict[str, tuple[str, ...]]:
        # A label is absent when its rows are unrestricted; an empty tuple lets no row through.
        rules: dict[str, tuple[str, ...]] = {}
        for label in sorted(self._labels | {label for role in self._roles for label in role.rows}):
            readers = [role for role in self._roles if role.reads_type(label)]
            if not readers:
                rules[label] = ()
            elif all(label in role.rows for role in readers):
                patterns = dict.fromkeys(pattern for role in readers for pattern in role.rows[label].patterns)
                rules[label] = tuple(patterns)
        return rules


class Policy:
    """Every role of the policy file; ``grants`` gives (and caches) the view of a set of them."""

    def __init__(self, roles: Mapping[str, RolePolicy], labels: Iterable[str] = ()) -> None:
        """``labels``: the graph's labels; those a role set reads nothing of get no visible row."""
        self.roles: Mapping[str, RolePolicy] = MappingProxyType(dict(roles))
        self.labels = frozenset(labels)
        self._grants: OrderedDict[frozenset[str], Grants] = OrderedDict()

    @classmethod
    def unrestricted(cls) -> Policy:
        """One role, ``admin``, that reads everything: for scripts and tests that are not about access."""
        return cls({"admin": RolePolicy("admin", reads_everything=True)})

    def known(self, role_names: Iterable[str]) -> frozenset[str]:
        """The names that are roles of this policy; others are ignored."""
        return frozenset(name for name in role_names if name in self.roles)

    def grants(self, role_names: Iterable[str]) -> Grants:
        key = self.known(role_names)
        grants = self._grants.get(key)
        if grants is None:
            grants = self._grants[key] = Grants((self.roles[name] for name in key), self.labels)
            if len(self._grants) > MAX_CACHED_ROLE_SETS:
                self._grants.popitem(last=False)
        else:
            self._grants.move_to_end(key)
        return grants


@dataclass(frozen=True, slots=True)
class Access:
    """One caller's view of the policy: what resolvers and stores consult."""

    caller: Caller
    grants: Grants

    @classmethod
    def unrestricted(cls, caller: Caller = SYSTEM_CALLER) -> Access:
        """Everything readable, nothing masked, no row rules (scripts, benchmarks, resolver tests)."""
        return cls(caller, _EVERYTHING)

    def readable(self, type_name: str, field_name: str) -> bool:
        return self.grants.readable(type_name, field_name)

    def mask(self, type_name: str, field_name: str) -> MaskMode | None:
        return self.grants.mask(type_name, field_name)

    @property
    def row_rules(self) -> Mapping[str, tuple[str, ...]]:
        return self.grants.row_rules

    def parameters(self) -> dict[str, object]:
        """The values compiled row rules read (``$caller_id``)."""
        return {"caller_id": self.caller.employee_id}


_EVERYTHING: Final = Grants(
    [RolePolicy("*", reads_everything=True, writes=frozenset({EVERYTHING}), acts_for_others=True)]
)
