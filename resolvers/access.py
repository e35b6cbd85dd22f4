"""The policy meets the GraphQL schema: checked at start, enforced before and during execution.

- ``policy_problems`` checks a policy against the schema when the service starts: every
  ``Type`` and ``Type.field`` it names exists, a field masked with ``null`` is nullable, one
  masked with ``redact`` holds text, row rules name graph labels.
- ``ReadCheck`` refuses an operation that selects a field (or a type) the caller's roles may
  not read, before anything runs: a graphql-core validation rule per role set, its verdict
  kept per document and role set. Introspection and the federation plumbing (``_service``,
  ``_entities`` itself; the fields asked of each entity are checked) stay open.
- ``entity_errors`` refuses ``_entities`` representations of a type the caller's roles read
  nothing of: even ``{ __typename }`` of such an entity would tell whether it exists.
- ``ensure_filterable`` refuses filtering or sorting a list by a field the caller may not
  read, or sees masked: a filter is an oracle for the value it compares.

Masking itself happens in ``resolvers.execution``, which asks ``Grants.masks``.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    GraphQLUnionType,
    OperationDefinitionNode,
    OperationType,
    Visitor,
    get_named_type,
    validate,
    value_from_ast_untyped,
    visit,
)
from graphql.language import VariableNode
from graphql.validation import ValidationContext, ValidationRule

from domain.access import Access, ForbiddenError, Grants, MaskMode, Policy
from graph.row_rules import RULED_LABELS, PatternError, parse_pattern

FORBIDDEN: Final = ForbiddenError.code
# Fields every authenticated caller may select: what a schema says of itself, what a gateway
# composes with, and the entry point of entity lookups (whose fields are checked as usual).
OPEN_TYPES: Final = frozenset({"_Service"})
OPEN_ROOT_FIELDS: Final = frozenset({"_service", "_entities"})
# Distinct forbidden fields reported for one operation; the rest are left out.
MAX_REPORTED: Final = 20
# Role sets whose verdict one cached document keeps.
VERDICTS_PER_DOCUMENT: Final = 16


def is_open(type_name: str, field_name: str) -> bool:
    if field_name.startswith("__") or type_name.startswith("__") or type_name in OPEN_TYPES:
        return True
    return type_name == "Query" and field_name in OPEN_ROOT_FIELDS


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    """Something in the policy that does not fit the schema: its role, section and entry."""

    role: str
    section: str  # "read", "write", "mask" or "rows"
    entry: str
    message: str


def graph_labels(schema: GraphQLSchema) -> frozenset[str]:
    """The types that are graph labels: the federation entities (``_Entity``)."""
    entity = schema.type_map.get("_Entity")
    return frozenset(member.name for member in entity.types) if isinstance(entity, GraphQLUnionType) else frozenset()


def policy_problems(policy: Policy, schema: GraphQLSchema) -> list[PolicyProblem]:
    problems: list[PolicyProblem] = []
    labels = graph_labels(schema)
    mutation = schema.mutation_type
    for role in policy.roles.values():
        for name in sorted(role.writes - {"*"}):
            if mutation is None or name not in mutation.fields:
                problems.append(PolicyProblem(role.name, "write", name, f"the schema has no mutation '{name}'"))
        for type_name in sorted(role.read_types):
            if not isinstance(schema.type_map.get(type_name), GraphQLObjectType | GraphQLInterfaceType):
                problems.append(PolicyProblem(role.name, "read", type_name, _unknown_type(schema, type_name)))
        for type_name, field_name in sorted(role.read_fields):
            message = _unknown_field(schema, type_name, field_name)
            if message is not None:
                problems.append(PolicyProblem(role.name, "read", f"{type_name}.{field_name}", message))
        for (type_name, field_name), mode in sorted(role.masks.items()):
            entry = f"{type_name}.{field_name}"
            message = _unknown_field(schema, type_name, field_name) or _unmaskable(schema, type_name, field_name, mode)
            if message is None and not role.reads(type_name, field_name):
                message = "the role does not read this field, so there is nothing to mask"
            if message is not None:
                problems.append(PolicyProblem(role.name, "mask", entry, message))
        for label in sorted(role.rows):
            message = _row_rule_problem(label, role.rows[label].patterns, labels)
            if message is not None:
                problems.append(PolicyProblem(role.name, "rows", label, message))
    return problems


def _row_rule_problem(label: str, patterns: tuple[str, ...], labels: frozenset[str]) -> str | None:
    if label not in labels:
        return f"'{label}' is not a graph label; row rules apply to {', '.join(sorted(RULED_LABELS))}"
    if label not in RULED_LABELS:
        return f"rows of '{label}' cannot be ruled; row rules apply to {', '.join(sorted(RULED_LABELS))}"
    for pattern in patterns:
        try:
            parsed = parse_pattern(pattern)
        except PatternError as error:
            return f"'{pattern}': {error}"
        unknown = sorted({hop.label for hop in parsed.hops if hop.label is not None} - labels)
        if unknown:
            return f"'{pattern}': {', '.join(unknown)} is not a graph label"
    return None


def _object_type(schema: GraphQLSchema, name: str) -> GraphQLObjectType | GraphQLInterfaceType | None:
    found = schema.type_map.get(name)
    return found if isinstance(found, GraphQLObjectType | GraphQLInterfaceType) else None


def _unknown_type(schema: GraphQLSchema, name: str) -> str:
    if name in schema.type_map:
        return f"'{name}' is not an object type (only object types and their fields are read)"
    return f"the schema has no type '{name}'"


def _unknown_field(schema: GraphQLSchema, type_name: str, field_name: str) -> str | None:
    owner = _object_type(schema, type_name)
    if owner is None:
        return _unknown_type(schema, type_name)
    if field_name not in owner.fields:
        return f"the type '{type_name}' has no field '{field_name}'"
    return None


def _unmaskable(schema: GraphQLSchema, type_name: str, field_name: str, mode: MaskMode) -> str | None:
    owner = _object_type(schema, type_name)
    assert owner is not None
    field_type = owner.fields[field_name].type
    if mode is MaskMode.NULL and isinstance(field_type, GraphQLNonNull):
        return "the field is non-null in the schema, so it cannot go out as null: mask it with 'redact'"
    inner = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    if isinstance(inner, GraphQLList):
        inner = inner.of_type.of_type if isinstance(inner.of_type, GraphQLNonNull) else inner.of_type
    if mode is MaskMode.REDACT and inner is not GraphQLString:
        return "only String fields (or lists of them) can be redacted: mask it with 'null'"
    return None


def _reads_some(grants: Grants, named: GraphQLNamedType, schema: GraphQLSchema) -> bool:
    """Whether the roles read any field of a composite type (any member, for a union)."""
    if named.name.startswith("_") or isinstance(named, GraphQLScalarType):
        return True
    if isinstance(named, GraphQLUnionType):
        return any(grants.reads_type(member.name) for member in named.types)
    if isinstance(named, GraphQLInterfaceType):
        implementations = schema.get_implementations(named).objects
        return grants.reads_type(named.name) or any(grants.reads_type(item.name) for item in implementations)
    if isinstance(named, GraphQLObjectType):
        return grants.reads_type(named.name)
    return True  # enums


def _forbidden(message: str, node: FieldNode) -> GraphQLError:
    return GraphQLError(message, node, extensions={"code": FORBIDDEN})


def read_rule(grants: Grants, schema: GraphQLSchema) -> type[ValidationRule]:
    """A validation rule that reports each field the roles of ``grants`` may not read."""
    roles = ", ".join(sorted(grants.role_names)) or "none"

    class ReadRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self._reported: set[str] = set()

        def enter_field(self, node: FieldNode, *_args: Any) -> Any:
            # Below a refused field nothing more is reported: one error per refused subtree.
            parent = self.context.get_parent_type()
            if parent is None:
                return None
            field_name = node.name.value
            if is_open(parent.name, field_name):
                return None
            if not grants.readable(parent.name, field_name):
                self._report(f"{parent.name}.{field_name}", node)
                return self.SKIP
            definition = self.context.get_field_def()
            if definition is not None:
                named = get_named_type(definition.type)
                if not _reads_some(grants, named, schema):
                    self._report(named.name, node)
                    return self.SKIP
            return None

        def _report(self, what: str, node: FieldNode) -> None:
            if what in self._reported or len(self._reported) >= MAX_REPORTED:
                return
            self._reported.add(what)
            self.report_error(_forbidden(f"your roles ({roles}) may not read {what}", node))

    return ReadRule


_Verdicts = OrderedDict[frozenset[str], list[GraphQLError]]


class ReadCheck:
    """Which fields of a document a role set may not read, kept per document and role set.

    The verdicts live as long as their document does (the document cache owns documents; this
    holds them weakly) and each document keeps those of its last few role sets. Documents are
    told apart by identity: graphql-core hashes a node by its whole content, which would cost
    every request time in proportion to its document.
    """

    def __init__(self, schema: GraphQLSchema) -> None:
        self._graphql_schema = schema
        self._rules: weakref.WeakKeyDictionary[Grants, type[ValidationRule]] = weakref.WeakKeyDictionary()
        self._verdicts: dict[
            int, tuple[weakref.ref[DocumentNode], OrderedDict[frozenset[str], list[GraphQLError]]]
        ] = {}

    def errors(self, document: DocumentNode, grants: Grants) -> list[GraphQLError]:
        # Reading everything is no licence to write: a mutation is always checked.
        if grants.reads_everything and not _writes(document):
            return []
        entry = self._verdicts.get(id(document))
        if entry is None or entry[0]() is not document:
            entry = self._verdicts[id(document)] = (weakref.ref(document, self._forget(id(document))), OrderedDict())
        verdicts = entry[1]
        found = verdicts.get(grants.role_names)
        if found is not None:
            return found
        rule = self._rules.get(grants)
        if rule is None:
            rule = self._rules[grants] = read_rule(grants, self._graphql_schema)
        found = verdicts[grants.role_names] = validate(self._graphql_schema, document, [rule])
        if len(verdicts) > VERDICTS_PER_DOCUMENT:
            verdicts.popitem(last=False)
        return found

    @property
    def documents(self) -> int:
        """How many documents have verdicts kept (for tests: they go with their documents)."""
        return len(self._verdicts)

    def _forget(self, key: int) -> Callable[[weakref.ref[DocumentNode]], None]:
        def forget(gone: weakref.ref[DocumentNode]) -> None:
            entry = self._verdicts.get(key)
            if entry is not None and entry[0] is gone:
                del self._verdicts[key]

        return forget


def _writes(document: DocumentNode) -> bool:
    return any(
        isinstance(definition, OperationDefinitionNode) and definition.operation is OperationType.MUTATION
        for definition in document.definitions
    )


def entity_errors(document: DocumentNode, variables: Mapping[str, Any] | None, grants: Grants) -> list[GraphQLError]:
    """FORBIDDEN for each entity type an ``_entities`` representation names that the roles read
    nothing of (the representations may come as a literal or in a variable)."""
    source = document.loc.source.body if document.loc is not None else ""
    if grants.reads_everything or "_entities" not in source:
        return []
    refused: dict[str, FieldNode] = {}
    for node in _entities_fields(document):
        argument = next((arg for arg in node.arguments or () if arg.name.value == "representations"), None)
        if argument is None:
            continue
        if isinstance(argument.value, VariableNode):
            value = (variables or {}).get(argument.value.name.value)
        else:
            value = value_from_ast_untyped(argument.value, dict(variables or {}))
        for representation in value if isinstance(value, list) else []:
            type_name = representation.get("__typename") if isinstance(representation, dict) else None
            if isinstance(type_name, str) and not grants.reads_type(type_name):
                refused.setdefault(type_name, node)
    roles = ", ".join(sorted(grants.role_names)) or "none"
    return [_forbidden(f"your roles ({roles}) may not read {name}", node) for name, node in sorted(refused.items())]


def _entities_fields(document: DocumentNode) -> list[FieldNode]:
    found: list[FieldNode] = []

    class Finder(Visitor):
        def enter_field(self, node: FieldNode, *_args: Any) -> Any:
            if node.name.value == "_entities":
                found.append(node)
            return self.SKIP  # entities are root fields: nothing below a field is one

    visit(document, Finder())
    return found


# What each list's filters and sorts compare, as fields of the listed type: the store's filter
# keys (``to_store``) and sort names. A test checks every filter input and sort is covered.
FILTERED_FIELDS: Final[Mapping[str, Mapping[str, str]]] = {
    "Customer": {
        "name_contains": "name", "email": "email", "tiers": "tier", "segments": "segment",
        "since_from": "since", "since_to": "since", "owner_id": "owner",
        "sort:NAME": "name", "sort:SINCE": "since", "sort:LIFETIME_VALUE": "lifetimeValue", "sort:ID": "id",
    },
    "Order": {
        "statuses": "status", "placed_from": "placedAt", "placed_to": "placedAt", "currency": "currency",
        "min_total": "total", "customer_id": "customer",
        "sort:PLACED_AT": "placedAt", "sort:TOTAL": "total", "sort:ID": "id",
    },
    "Product": {
        "name_contains": "name", "category": "category", "sku": "sku",
        "sort:NAME": "name", "sort:PRICE": "price", "sort:SKU": "sku", "sort:ID": "id",
    },
    "Employee": {
        "name_contains": "name", "email": "email", "title_contains": "title", "department_id": "department",
        "functions": "department", "sort:NAME": "name",
    },
    "Department": {"name_contains": "name", "kind": "kind", "functions": "function", "sort:NAME": "name"},
    "Interaction": {
        "channels": "channel", "at_from": "at", "at_to": "at", "customer_id": "customer", "employee_id": "employee",
        "sort:AT": "at",
    },
    "Ticket": {
        "statuses": "status", "priorities": "priority", "opened_from": "openedAt", "opened_to": "openedAt",
        "customer_id": "customer", "sort:OPENED_AT": "openedAt", "sort:PRIORITY": "priority", "sort:ID": "id",
    },
}  # fmt: skip


def ensure_filterable(access: Access, type_name: str, filters: Mapping[str, object], sort: str) -> None:
    """Raise ``ForbiddenError`` if a filter or the sort compares a field the caller cannot see as it is."""
    grants = access.grants
    if grants.reads_everything and not grants.masks.get(type_name):
        return
    compared = FILTERED_FIELDS.get(type_name, {})
    for key in (*filters, f"sort:{sort}"):
        field_name = compared.get(key)
        if field_name is None:
            raise ForbiddenError(f"filtering {type_name} by '{key}' is not covered by the access policy")
        if not grants.readable(type_name, field_name) or grants.mask(type_name, field_name) is not None:
            what = "sort" if key.startswith("sort:") else "filter"
            raise ForbiddenError(f"your roles may not {what} {type_name} by {field_name}", field=field_name)


# What grouping demand by a dimension tells of each order: its customer's tier, its products,
# the departments that handled it. Grouping by a field the caller cannot see as it is tells it.
DEMAND_GROUPS: Mapping[str, tuple[str, str]] = {
    "TIER": ("Customer", "tier"),
    "PRODUCT": ("Product", "id"),
    "DEPARTMENT": ("Department", "id"),
}


def ensure_groupable(access: Access, dimension: str) -> None:
    """Raise ``ForbiddenError`` if demand grouped by ``dimension`` would tell a field the caller
    cannot read (or sees masked): a one-order window would read it out."""
    type_name, field_name = DEMAND_GROUPS[dimension]
    if not access.readable(type_name, field_name) or access.mask(type_name, field_name) is not None:
        raise ForbiddenError(f"your roles may not group demand by {type_name}.{field_name}", field=field_name)
