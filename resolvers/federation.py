"""Federation's ``_entities``: each representation checked before it is looked up.

strawberry's own resolver trusts a gateway to send well-formed representations: one without
``__typename`` raised a ``KeyError``, an unknown type name a lookup error, and an ``id`` that
is an object reached the DataLoader as a key it cannot hash; each answered
``INTERNAL_SERVER_ERROR``. Here every representation must be an object naming one of our
entity types in ``__typename`` with an ``id`` that is a string or an integer; one that is not
is null with a short ``BAD_USER_INPUT`` error at its index, and the others resolve as before,
through the entity types' ``resolve_reference`` and so through the request's DataLoaders.
How many representations one request may send is checked before it runs (``server/limits``).
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.federation.schema import FederationAny

from domain.errors import BadUserInputError
from resolvers.context import Info
from resolvers.errors import shortened
from resolvers.strawberry_internals import entity_types


class FederatedSchema(strawberry.federation.Schema):
    """strawberry's federation schema with the checked ``_entities`` (see the module docstring)."""

    _entity_origins: dict[str, Any] | None = None

    def entities_resolver(self, info: Info, representations: list[FederationAny]) -> list[FederationAny]:
        origins = self._origins()
        results: list[FederationAny] = []
        for representation in representations:
            try:
                origin, id_ = _reference(representation, origins)
            except BadUserInputError as error:
                results.append(FederationAny(error))
                continue
            try:
                results.append(FederationAny(origin.resolve_reference(info=info, id=strawberry.ID(id_))))
            except Exception as error:  # reported for this representation only
                results.append(FederationAny(error))
        return results

    def _origins(self) -> dict[str, Any]:
        if self._entity_origins is None:
            self._entity_origins = entity_types(self)
        return self._entity_origins


def _reference(representation: object, origins: dict[str, Any]) -> tuple[Any, str]:
    """The entity type and id a representation names; ``BadUserInputError`` when it names none."""
    if not isinstance(representation, dict):
        raise _bad("a representation must be an object with '__typename' and 'id'")
    type_name = representation.get("__typename")
    if not isinstance(type_name, str):
        raise _bad("a representation needs '__typename', the name of an entity type")
    origin = origins.get(type_name)
    if origin is None:
        raise _bad(shortened(f"'{type_name}' is not an entity of this service; entities: {', '.join(sorted(origins))}"))
    id_ = representation.get("id")
    if isinstance(id_, bool) or not isinstance(id_, str | int):
        raise _bad(f"a {type_name} representation needs 'id', a string or an integer")
    return origin, str(id_)


def _bad(message: str) -> BadUserInputError:
    return BadUserInputError(message, argument="representations")
