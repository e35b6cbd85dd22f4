"""Bearer tokens: verify one into a ``Caller``, or sign one (development key or shared secret).

Verification takes the token's header only to find its key (``KeySource``); PyJWT then checks
the signature with that key's one algorithm, and ``exp`` (required), ``nbf``, ``iat``, ``iss``
and ``aud`` with a small clock skew. Claims map to the caller by configurable names; role names
the policy does not know are dropped.

Every way a token can be wrong is a ``TokenError`` with a short description for the 401's
``WWW-Authenticate`` header (never the token itself). The work is bounded before it starts: a
token longer than ``MAX_TOKEN_CHARS`` is refused unread, and PyJWT parses JSON with the
interpreter's recursion guard, so deeply nested claims fail fast. Verified tokens are kept by
their SHA-256 in a bounded LRU, for their remaining lifetime but at most ``cache_seconds`` (so
a key the issuer withdraws stops working soon), which makes a repeated token cost a hash.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

import jwt
from jwt import exceptions as jwt_errors

from domain.access import Caller, Policy
from server.auth.keys import KeySource, NoKeyError

MAX_TOKEN_CHARS: Final = 8192
MAX_ROLES: Final = 64
MAX_NAME_CHARS: Final = 256
_MAX_CLAIM_DEPTH: Final = 8
_JWT = jwt.PyJWT(options={"enforce_minimum_key_length": True})


class TokenError(Exception):
    """The token does not authenticate anyone; ``description`` says why, briefly."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


@dataclass(frozen=True, slots=True)
class ClaimNames:
    """Which claims carry the subject, the employee id and the roles (dotted: nested)."""

    subject: str = "sub"
    employee: str = "sub"
    roles: str = "roles"


@dataclass(frozen=True, slots=True)
class TokenRules:
    """What a token must satisfy besides its signature."""

    issuer: str | None = None
    audience: str | None = None
    skew_s: float = 30.0
    claims: ClaimNames = ClaimNames()


def claim(payload: Mapping[str, Any], name: str) -> object:
    """A claim by its exact name, or else by a dotted path into nested objects."""
    if name in payload:
        return payload[name]
    value: object = payload
    for part in name.split(".")[:_MAX_CLAIM_DEPTH]:
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _role_names(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or len(value) > MAX_ROLES:
        raise TokenError("the roles claim is not a list of role names")
    if not all(isinstance(name, str) and 0 < len(name) <= MAX_NAME_CHARS for name in value):
        raise TokenError("the roles claim is not a list of role names")
    return value


def caller_from(payload: Mapping[str, Any], names: ClaimNames, policy: Policy) -> Caller:
    subject = claim(payload, names.subject)
    if not isinstance(subject, str) or not 0 < len(subject) <= MAX_NAME_CHARS:
        raise TokenError(f"the token has no subject ('{names.subject}')")
    employee = claim(payload, names.employee)
    employee_id = employee if isinstance(employee, str) and 0 < len(employee) <= MAX_NAME_CHARS else None
    roles = policy.known(_role_names(claim(payload, names.roles)))
    return Caller(subject=subject, roles=roles, employee_id=employee_id)


_DESCRIPTIONS: Final[Sequence[tuple[type[Exception], str]]] = (
    (jwt_errors.ExpiredSignatureError, "the token has expired"),
    (jwt_errors.ImmatureSignatureError, "the token is not valid yet"),
    (jwt_errors.InvalidAudienceError, "the token is not meant for this service (aud)"),
    (jwt_errors.InvalidIssuerError, "the token's issuer is not accepted"),
    (jwt_errors.InvalidSignatureError, "the token's signature does not verify"),
    (jwt_errors.InvalidAlgorithmError, "the token's algorithm is not accepted"),
    (jwt_errors.InvalidKeyError, "the token's key is not accepted"),
    (jwt_errors.DecodeError, "the token is malformed"),
)


def _described(error: Exception) -> str:
    if isinstance(error, jwt_errors.MissingRequiredClaimError):
        return f"the token has no '{error.claim}' claim"
    for kind, description in _DESCRIPTIONS:
        if isinstance(error, kind):
            return description
    return "the token is not valid"


class TokenVerifier:
    """Turns a bearer token into the ``Caller`` it names, or a ``TokenError``."""

    def __init__(
        self,
        keys: KeySource,
        rules: TokenRules,
        policy: Policy,
        *,
        cache_size: int = 10_000,
        cache_seconds: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self._rules = rules
        self._policy = policy
        self._cache_size = cache_size
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._verified: OrderedDict[bytes, tuple[Caller, float]] = OrderedDict()

    @property
    def cached(self) -> int:
        return len(self._verified)

    async def verify(self, token: str) -> Caller:
        if len(token) > MAX_TOKEN_CHARS:
            raise TokenError("the token is too long")
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        known = self._verified.get(digest)
        now = self._clock()
        if known is not None:
            caller, until = known
            if now < until:
                self._verified.move_to_end(digest)
                return caller
            del self._verified[digest]
        caller, expires = await self._verify(token)
        if self._cache_size > 0:
            self._verified[digest] = (caller, min(expires + self._rules.skew_s, now + self._cache_seconds))
            if len(self._verified) > self._cache_size:
                self._verified.popitem(last=False)
        return caller

    async def _verify(self, token: str) -> tuple[Caller, float]:
        rules = self._rules
        try:
            header = jwt.get_unverified_header(token)
            algorithm, kid = header.get("alg"), header.get("kid")
            if not isinstance(algorithm, str) or (kid is not None and not isinstance(kid, str)):
                raise TokenError("the token's header is malformed")
            key = await self.keys.key_for(kid, algorithm)
            payload = _JWT.decode(
                token,
                key=key,
                algorithms=[key.algorithm_name],
                audience=rules.audience,
                issuer=rules.issuer,
                leeway=rules.skew_s,
                options={"require": ["exp", *(["iss"] if rules.issuer else []), *(["aud"] if rules.audience else [])]},
            )
        except NoKeyError as error:
            raise TokenError(error.description) from None
        except jwt_errors.PyJWTError as error:
            raise TokenError(_described(error)) from None
        except (ValueError, TypeError, KeyError, RecursionError, OverflowError, UnicodeError):
            raise TokenError("the token is malformed") from None
        expires = payload.get("exp")
        if not isinstance(expires, int | float) or isinstance(expires, bool):
            raise TokenError("the token's expiry is not a number")
        return caller_from(payload, rules.claims, self._policy), float(expires)


@dataclass(frozen=True, slots=True)
class SigningKey:
    """What this service may sign tokens with: the development key or the shared secret."""

    algorithm: str
    key: Any
    kid: str | None
    issuer: str | None


def mint_token(
    signing: SigningKey,
    *,
    subject: str,
    roles: Sequence[str],
    ttl: timedelta,
    claims: ClaimNames = ClaimNames(),
    audience: str | None = None,
    extra: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> str:
    """A signed token for ``subject`` (also the employee id) with ``roles``, valid for ``ttl``."""
    issued = int(time.time() if now is None else now)
    payload: dict[str, Any] = {**(extra or {}), "iat": issued, "nbf": issued, "exp": issued + int(ttl.total_seconds())}
    payload[claims.subject] = subject
    payload[claims.employee] = subject
    payload[claims.roles] = list(roles)
    if signing.issuer is not None:
        payload["iss"] = signing.issuer
    if audience is not None:
        payload["aud"] = audience
    headers = {"kid": signing.kid} if signing.kid is not None else None
    return jwt.encode(payload, signing.key, algorithm=signing.algorithm, headers=headers)
