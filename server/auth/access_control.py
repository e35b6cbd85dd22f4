"""Identity and access as the app wires them: one object built from the settings and the schema.

``AccessControl`` loads and checks ``policy.toml`` (``PolicyError``), settles how tokens are
verified (``AuthConfigError``), and gives the app what it plugs in: the middleware that
authenticates requests, the check that refuses an operation before it runs, and the
playground's tokens (only with development keys). Its key source is started and stopped with
the app's lifespan (a JWKS is fetched at start).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema
from starlette.middleware import Middleware
from starlette.requests import Request

from domain.access import Access
from graph.store import Neo4jGraphStore
from resolvers.access import ReadCheck, entity_errors
from server.auth.config import claim_names, signing_key, token_verifier
from server.auth.middleware import Authenticator, AuthMiddleware, access_of
from server.auth.playground import PlaygroundIdentities, as_config
from server.graphql_http import wants_html
from server.policy_config import load_policy
from server.settings import Settings


class AccessControl:
    def __init__(self, settings: Settings, schema: GraphQLSchema, *, playground: bool) -> None:
        self.policy_file = load_policy(settings, schema)
        policy = self.policy_file.policy
        self.verifier = token_verifier(settings, policy)
        self.authenticator = Authenticator(self.verifier, policy, settings.auth_anonymous_role)
        self._read_check = ReadCheck(schema)
        self._playground = playground
        self._identities = None
        if playground and settings.auth_uses_dev_keys:
            self._identities = PlaygroundIdentities(
                signing_key(settings),
                self.policy_file.descriptions,
                claims=claim_names(settings),
                audience=settings.auth_audience,
            )

    async def start(self) -> None:
        await self.verifier.keys.start()

    async def close(self) -> None:
        await self.verifier.keys.close()

    def middleware(self) -> Middleware:
        return Middleware(AuthMiddleware, authenticator=self.authenticator, is_open=self._is_open)

    def authorize(
        self, request: Request, document: DocumentNode, variables: Mapping[str, Any] | None
    ) -> list[GraphQLError]:
        """FORBIDDEN errors for what the request's caller may not read in ``document`` (none: it may run)."""
        return self.check(access_of(request), document, variables)

    def check(self, access: Access, document: DocumentNode, variables: Mapping[str, Any] | None) -> list[GraphQLError]:
        """As ``authorize``, for a caller known otherwise (a WebSocket's ``connection_init``)."""
        grants = access.grants
        return self._read_check.errors(document, grants) or entity_errors(document, variables, grants)

    async def playground_identities(self, store: Neo4jGraphStore | None) -> list[dict[str, str]]:
        """A token per role for the playground page; none unless development keys are in use."""
        return as_config(await self._identities.current(store)) if self._identities is not None else []

    def _is_open(self, request: Request) -> bool:
        # The playground's page: GraphiQL then sends the token the reader picks.
        return self._playground and request.url.path == "/graphql" and wants_html(request)
