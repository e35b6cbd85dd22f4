"""Authentication at the edge: every request names its caller before it reaches the API.

``AuthMiddleware`` reads ``Authorization: Bearer <token>`` and turns it into the request's
``Access`` (the caller and what the policy lets their roles see), kept in the ASGI scope for
the endpoint (``access_of``). What it lets through without a token is a short allow-list: the
health routes, the playground and explorer pages and their assets. Everything else, ``/graphql`` first, needs
a valid token, or the anonymous role when one is configured (a *bad* token is refused even
then). A refusal is ``401`` with ``WWW-Authenticate: Bearer realm="customer-graph"`` (plus
``error="invalid_token"`` and a short description when a token was sent) and a GraphQL-shaped
body with the code ``UNAUTHENTICATED``. Either way, the request's log line says who it was
(``server.request_id``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

import orjson
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from domain.access import Access, Caller, Policy
from server.auth.tokens import TokenError, TokenVerifier
from server.request_id import IDENTITY_SCOPE_KEY

ACCESS_SCOPE_KEY: Final = "customer_graph.access"
REALM: Final = "customer-graph"
# The helpdesk's webhook authenticates by its signature (server/webhooks.py), not a token.
OPEN_PATHS: Final = frozenset({"/healthz", "/readyz", "/healthz/sources", "/", "/explore", "/webhooks/helpdesk"})
OPEN_PREFIXES: Final = ("/playground/assets/", "/explore/assets/")
_BEARER = re.compile(r"^[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9\-._~+/]+=*) *$")
# Visible ASCII without spaces or quotes: a subject like that goes into the log line as it is.
_PLAIN = re.compile(r"^[A-Za-z0-9._:/+=@|-]{1,128}$")


class Unauthenticated(Exception):
    def __init__(self, message: str, description: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.description = description  # set when a token was sent and is not valid

    @property
    def challenge(self) -> str:
        if self.description is None:
            return f'Bearer realm="{REALM}"'
        return f'Bearer realm="{REALM}", error="invalid_token", error_description="{self.description}"'


class Authenticator:
    """The ``Access`` of a request's ``Authorization`` header(s)."""

    def __init__(self, verifier: TokenVerifier, policy: Policy, anonymous_role: str | None = None) -> None:
        self.verifier = verifier
        self.policy = policy
        self._anonymous: Access | None = None
        if anonymous_role is not None:
            caller = Caller(subject="anonymous", roles=frozenset({anonymous_role}), employee_id=None, anonymous=True)
            self._anonymous = Access(caller, policy.grants(caller.roles))

    async def access(self, authorization: list[str]) -> Access:
        if not authorization:
            if self._anonymous is not None:
                return self._anonymous
            raise Unauthenticated("this API needs a bearer token: send 'Authorization: Bearer <token>'")
        if len(authorization) > 1:
            raise Unauthenticated("send one Authorization header", "more than one Authorization header")
        match = _BEARER.match(authorization[0])
        if match is None:
            if not authorization[0].lower().startswith("bearer"):
                raise Unauthenticated("this API takes bearer tokens: send 'Authorization: Bearer <token>'")
            raise Unauthenticated("the bearer token is not valid: the token is malformed", "the token is malformed")
        try:
            caller = await self.verifier.verify(match.group(1))
        except TokenError as error:
            raise Unauthenticated(f"the bearer token is not valid: {error.description}", error.description) from None
        return Access(caller, self.policy.grants(caller.roles))

    async def still_verifies(self, authorization: list[str]) -> bool:
        """Whether a long-lived connection's token still verifies (it may have expired since)."""
        try:
            await self.access(authorization)
        except Unauthenticated:
            return False
        return True


def identity(caller: Caller) -> str:
    """How a caller appears in the log line: ``subject=E0042 roles=analyst,service_agent``."""
    subject = caller.subject if _PLAIN.match(caller.subject) else orjson.dumps(caller.subject[:128]).decode()
    return f"subject={subject} roles={','.join(sorted(caller.roles)) or '-'}"


def access_of(request: Request) -> Access:
    """The request's ``Access``, as the middleware left it."""
    access = request.scope.get(ACCESS_SCOPE_KEY)
    if not isinstance(access, Access):
        raise RuntimeError("the request was not authenticated: is AuthMiddleware installed?")
    return access


class AuthMiddleware:
    """Authenticates every HTTP request but those ``is_open`` lets through (see the module docstring)."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator, is_open: Callable[[Request], bool]) -> None:
        """``is_open`` may let more ``GET`` requests through (the playground's page)."""
        self.app = app
        self.authenticator = authenticator
        self.is_open = is_open

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if (
            path in OPEN_PATHS
            or path.startswith(OPEN_PREFIXES)
            or (scope["method"] == "GET" and self.is_open(Request(scope)))
        ):
            await self.app(scope, receive, send)
            return
        try:
            access = await self.authenticator.access(Headers(scope=scope).getlist("authorization"))
        except Unauthenticated as refused:
            reason = refused.description or "no token"
            scope[IDENTITY_SCOPE_KEY] = f"unauthenticated ({reason})"
            body = {"errors": [{"message": refused.message, "extensions": {"code": "UNAUTHENTICATED"}}]}
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"www-authenticate", refused.challenge.encode("latin-1")),
                        (b"cache-control", b"no-store"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": orjson.dumps(body)})
            return
        scope[ACCESS_SCOPE_KEY] = access
        scope[IDENTITY_SCOPE_KEY] = identity(access.caller)
        await self.app(scope, receive, send)
