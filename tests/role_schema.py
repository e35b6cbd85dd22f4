"""The schema as one role may read it: the ground the role fuzz generates its operations from.

``readable_schema`` keeps of the served schema only what ``policy.toml`` lets a set of roles
read, asking the app's own ``Grants`` (``readable``, ``reads_type``) as the read check does
(``resolvers.access``): a field stays when the roles read it and read something of the type it
returns; a type stays while some field of it does; a union keeps the members that stay. The
federation's ``_entities`` stays (it is open; the fields asked of each entity are checked) and
``_service`` goes (the schema's own text holds no data). Filters and sorts keep only what the
roles may compare, by the same tables the app checks them with (``FILTERED_FIELDS``, and
``DEMAND_GROUPS`` for what demand is grouped by), so
hypothesis-graphql generates operations the role is allowed to run: an operation answered
FORBIDDEN would test no row rule.
"""

from __future__ import annotations

import re
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
)

from domain.access import Grants
from resolvers.access import DEMAND_GROUPS, FILTERED_FIELDS, is_open

LEFT_OUT_ROOT_FIELDS = frozenset({"_service"})


def _composite(named: GraphQLNamedType) -> bool:
    return isinstance(named, GraphQLObjectType | GraphQLUnionType)


def _kept_fields(schema: GraphQLSchema, grants: Grants) -> dict[str, list[str]]:
    """The fields each object type keeps, worked out until no type loses another field."""
    kept = {
        name: [
            field
            for field in item.fields
            if (is_open(name, field) or grants.readable(name, field))
            and not (name == "Query" and field in LEFT_OUT_ROOT_FIELDS)
        ]
        for name, item in schema.type_map.items()
        if isinstance(item, GraphQLObjectType) and not name.startswith("__")
    }
    for name in list(kept):
        if name not in ("Query", "_Service") and not name.startswith("_") and not grants.reads_type(name):
            del kept[name]

    def stays(named: GraphQLNamedType) -> bool:
        if isinstance(named, GraphQLObjectType):
            return bool(kept.get(named.name))
        if isinstance(named, GraphQLUnionType):
            return any(kept.get(member.name) for member in named.types)
        return True

    changed = True
    while changed:
        changed = False
        for name, fields in kept.items():
            owner = schema.type_map[name]
            assert isinstance(owner, GraphQLObjectType)
            staying = [field for field in fields if stays(get_named_type(owner.fields[field].type))]
            if staying != fields:
                kept[name] = staying
                changed = True
    return {name: fields for name, fields in kept.items() if fields}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _comparable_inputs(schema: GraphQLSchema, grants: Grants) -> dict[str, GraphQLNamedType | None]:
    """Filter and sort inputs narrowed to what the roles may compare (None: nothing is left)."""
    narrowed: dict[str, GraphQLNamedType | None] = {}
    if grants.reads_everything and not grants.masks:
        return narrowed

    def comparable(listed: str, key: str) -> bool:
        field = FILTERED_FIELDS.get(listed, {}).get(key)
        return field is not None and grants.readable(listed, field) and grants.mask(listed, field) is None

    for listed in FILTERED_FIELDS:
        filter_type = schema.type_map.get(f"{listed}Filter")
        if isinstance(filter_type, GraphQLInputObjectType):
            fields = {
                name: field
                for name, field in filter_type.fields.items()
                if comparable(listed, _snake(name)) or comparable(listed, f"{_snake(name)}_from")
            }
            narrowed[filter_type.name] = GraphQLInputObjectType(filter_type.name, fields) if fields else None
        sort_type = schema.type_map.get(f"{listed}SortField")
        order_type = schema.type_map.get(f"{listed}Order")
        if isinstance(sort_type, GraphQLEnumType) and isinstance(order_type, GraphQLInputObjectType):
            values = {name: value for name, value in sort_type.values.items() if comparable(listed, f"sort:{name}")}
            sorts = GraphQLEnumType(sort_type.name, values) if values else None
            narrowed[sort_type.name] = sorts
            if sorts is None:
                narrowed[order_type.name] = None
            else:
                fields = dict(order_type.fields)
                fields["field"] = GraphQLInputField(GraphQLNonNull(sorts))
                narrowed[order_type.name] = GraphQLInputObjectType(order_type.name, fields)
    dimensions = schema.type_map.get("DemandDimension")
    if isinstance(dimensions, GraphQLEnumType):
        groupable = {
            name: value
            for name, value in dimensions.values.items()
            if grants.readable(*DEMAND_GROUPS[name]) and grants.mask(*DEMAND_GROUPS[name]) is None
        }
        narrowed[dimensions.name] = GraphQLEnumType(dimensions.name, groupable) if groupable else None
    return narrowed


def readable_schema(schema: GraphQLSchema, grants: Grants) -> GraphQLSchema:
    """``schema`` narrowed to what ``grants`` may read and compare (see the module docstring)."""
    kept = _kept_fields(schema, grants)
    inputs = _comparable_inputs(schema, grants)
    built: dict[str, GraphQLNamedType] = {}

    def rewrap(kind: Any) -> Any:
        if isinstance(kind, GraphQLNonNull):
            return GraphQLNonNull(rewrap(kind.of_type))
        if isinstance(kind, GraphQLList):
            return GraphQLList(rewrap(kind.of_type))
        if _composite(kind):
            return built[kind.name]
        return inputs.get(kind.name, kind)

    def arguments(field: GraphQLField) -> dict[str, GraphQLArgument]:
        return {
            name: GraphQLArgument(rewrap(argument.type), default_value=argument.default_value)
            for name, argument in field.args.items()
            if inputs.get(get_named_type(argument.type).name, True) is not None
        }

    def object_type(name: str) -> GraphQLObjectType:
        original = schema.type_map[name]
        assert isinstance(original, GraphQLObjectType)
        return GraphQLObjectType(
            name,
            lambda: {
                field: GraphQLField(rewrap(original.fields[field].type), arguments(original.fields[field]))
                for field in kept[name]
            },
        )

    for name in kept:
        built[name] = object_type(name)
    for name, item in schema.type_map.items():
        if isinstance(item, GraphQLUnionType):
            members = [built[member.name] for member in item.types if member.name in kept]
            if members:
                built[name] = GraphQLUnionType(name, members)
    query = built["Query"]
    assert isinstance(query, GraphQLObjectType)
    return GraphQLSchema(query=query, types=list(built.values()))
