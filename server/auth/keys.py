"""Where the keys that verify tokens come from: a JWKS URL, a shared secret, or development keys.

Every source answers ``key_for(kid, alg)`` with a ``PyJWK`` bound to one algorithm, so a token
is only ever checked with the algorithm its key was made for: an RSA key only with RS256, a
P-256 key only with ES256, an Ed25519 key only with EdDSA, the shared secret only with HS256.
``none`` is never accepted, and a JWKS never provides symmetric keys.

``JwksKeys`` fetches the issuer's key set over HTTP (httpx, async), keeps it, and fetches it
again when a token names a key it does not hold (the issuer rotated its keys) — at most once
per ``min_refresh_s``, and one fetch at a time however many requests wait for it, so tokens
with made-up key ids cannot turn the service into a flood against the issuer. A key set older
than ``max_age_s`` is refreshed in the background while the one held keeps serving.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol

import httpx
from jwt import PyJWK
from jwt.exceptions import PyJWTError

logger = logging.getLogger("customer_graph.auth")

KEY_ALGORITHMS: Final = frozenset({"RS256", "ES256", "EdDSA"})
SHARED_SECRET_ALGORITHM: Final = "HS256"
MAX_JWKS_BYTES: Final = 1_000_000
MAX_JWKS_KEYS: Final = 100


class NoKeyError(Exception):
    """No key verifies this token: the ``description`` goes into the 401's header."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class KeySource(Protocol):
    """Gives the key (bound to its algorithm) that should verify a token with this header."""

    async def key_for(self, kid: str | None, alg: str) -> PyJWK: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 thumbprint of a public JWK: its key id when it has none of its own."""
    required = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}
    members = {name: jwk[name] for name in required[str(jwk["kty"])]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return _b64url(hashlib.sha256(canonical).digest())


def _pick(keys: Mapping[str | None, PyJWK], kid: str | None, alg: str) -> PyJWK:
    if alg not in KEY_ALGORITHMS and alg != SHARED_SECRET_ALGORITHM:
        raise NoKeyError("the token's algorithm is not accepted")
    if kid is not None:
        key = keys.get(kid)
        if key is None:
            raise NoKeyError("the token's key id is unknown")
    else:
        fitting = [key for key in keys.values() if key.algorithm_name == alg]
        if len(fitting) != 1:
            raise NoKeyError("the token names no key id (kid) and more than one key could be meant")
        key = fitting[0]
    if key.algorithm_name != alg:
        raise NoKeyError("the token's algorithm does not fit its key")
    return key


class StaticKeys:
    """Keys known at start: the shared secret (HS256) or the development key (EdDSA)."""

    def __init__(self, keys: Mapping[str | None, PyJWK]) -> None:
        self._keys = dict(keys)

    @classmethod
    def shared_secret(cls, secret: str) -> StaticKeys:
        jwk = {"kty": "oct", "k": _b64url(secret.encode("utf-8"))}
        return cls({None: PyJWK(jwk, SHARED_SECRET_ALGORITHM)})

    @classmethod
    def public_key(cls, jwk: Mapping[str, Any]) -> StaticKeys:
        key = PyJWK(dict(jwk))
        return cls({str(jwk["kid"]): key})

    async def key_for(self, kid: str | None, alg: str) -> PyJWK:
        if None in self._keys:  # a shared secret: one key, whatever the token's kid says
            return _pick({None: self._keys[None]}, None, alg)
        return _pick(self._keys, kid, alg)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


def parse_jwks(body: bytes) -> dict[str | None, PyJWK]:
    """The usable signing keys of a JWKS document by key id; unusable ones are left out (logged)."""
    if len(body) > MAX_JWKS_BYTES:
        raise ValueError(f"the key set is over {MAX_JWKS_BYTES} bytes")
    document = json.loads(body)
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError("the key set has no 'keys' list")
    keys: dict[str | None, PyJWK] = {}
    for entry in entries[:MAX_JWKS_KEYS]:
        if not isinstance(entry, dict) or entry.get("kty") not in ("RSA", "EC", "OKP"):
            continue  # symmetric ("oct") or unknown key types are never taken from a JWKS
        if entry.get("use", "sig") != "sig":
            continue
        try:
            key = PyJWK(entry)
        except (PyJWTError, ValueError, TypeError) as exc:
            logger.warning("JWKS key %r left out: %s", entry.get("kid"), exc)
            continue
        if key.algorithm_name not in KEY_ALGORITHMS:
            logger.warning("JWKS key %r left out: algorithm %s is not accepted", entry.get("kid"), key.algorithm_name)
            continue
        kid = entry.get("kid")
        keys[kid if isinstance(kid, str) else thumbprint(entry)] = key
    return keys


class JwksKeys:
    """An issuer's key set from its JWKS URL, refreshed on an unknown key id (rate-limited)."""

    def __init__(
        self,
        url: str,
        *,
        min_refresh_s: float = 30.0,
        max_age_s: float = 600.0,
        timeout_s: float = 5.0,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._clock = clock
        self._min_refresh_s = min_refresh_s
        self._max_age_s = max_age_s
        self._timeout_s = timeout_s
        self._client = client
        self._own_client = client is None
        self._keys: dict[str | None, PyJWK] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()
        self._background: asyncio.Task[None] | None = None
        self.fetches = 0  # how often the key set was asked for: a flood of unknown kids must not move it

    async def start(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout_s, follow_redirects=False)
        try:
            await self._refresh(force=True)
        except Exception as exc:  # the service starts anyway; requests fetch again (rate-limited)
            logger.warning("the JWKS at %s could not be fetched at start: %s", self.url, exc)

    async def close(self) -> None:
        if self._background is not None:
            self._background.cancel()
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def key_for(self, kid: str | None, alg: str) -> PyJWK:
        now = self._clock()
        if self._fetched_at is None or (kid is not None and kid not in self._keys):
            await self._refresh_quietly()
        elif now - self._fetched_at > self._max_age_s and self._background is None:
            self._background = asyncio.create_task(self._refresh_in_background())
        if not self._keys:
            raise NoKeyError("the keys that verify tokens cannot be fetched")
        return _pick(self._keys, kid, alg)

    async def _refresh_quietly(self) -> None:
        try:
            await self._refresh(force=False)
        except Exception as exc:
            logger.warning("the JWKS at %s could not be fetched: %s", self.url, exc)

    async def _refresh_in_background(self) -> None:
        try:
            await self._refresh(force=False)
        except Exception as exc:
            logger.warning("the JWKS at %s could not be refreshed: %s", self.url, exc)
        finally:
            self._background = None

    async def _refresh(self, *, force: bool) -> None:
        async with self._lock:
            now = self._clock()
            # Whoever waited for the lock behind a fetch uses that fetch's keys.
            if not force and self._attempted_at is not None and now - self._attempted_at < self._min_refresh_s:
                return
            self._attempted_at = now
            self.fetches += 1
            assert self._client is not None, "start() the key source first"
            response = await self._client.get(self.url, headers={"accept": "application/json"})
            response.raise_for_status()
            self._keys = parse_jwks(response.content)
            self._fetched_at = self._clock()
            names = ", ".join(map(str, self._keys))
            logger.info("JWKS from %s: %d signing keys (%s)", self.url, len(self._keys), names)
