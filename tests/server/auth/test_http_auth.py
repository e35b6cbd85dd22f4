"""Every way a request can fail to authenticate answers 401, with the header and code it should.

The app verifies tokens with the keys of a real JWKS endpoint on loopback (RS256, ES256 and
EdDSA keys), an issuer and an audience, as a production set-up would. Each hostile class of
token (garbage, oversized, unsigned, re-signed with another algorithm, deeply nested JSON,
forged key ids) is one parametrized case: a 401, never a 500, and never the token echoed back.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from neo4j import AsyncDriver

from server.app import create_app, started
from server.auth.config import AuthConfigError, signing_key
from server.auth.middleware import REALM
from server.auth.tokens import MAX_TOKEN_CHARS, mint_token
from server.settings import Settings
from tests.server.auth.helpers import (
    AUDIENCE,
    ISSUER,
    JwksServer,
    KeyPair,
    claims,
    ec_pair,
    ed_pair,
    hs256_raw,
    raw_token,
    rsa_pair,
    signed_raw,
)

QUERY = {"query": "{ __typename }"}


@dataclass(frozen=True)
class Keys:
    rsa: KeyPair
    ec: KeyPair
    ed: KeyPair
    weak: KeyPair  # RSA 1024: listed by the issuer, refused by us


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys(rsa_pair(), ec_pair(), ed_pair(), rsa_pair(1024))


@pytest.fixture(scope="module")
def jwks(keys: Keys) -> Iterator[JwksServer]:
    with JwksServer(keys.rsa, keys.ec, keys.ed, keys.weak).running() as server:
        yield server


def production(jwks: JwksServer, **overrides: Any) -> Settings:
    return Settings(
        auth_jwks_url=jwks.url,
        auth_issuer=ISSUER,
        auth_audience=AUDIENCE,
        auth_jwks_min_refresh_seconds=3600,
        **overrides,
    )


@pytest.fixture
async def http(driver: AsyncDriver, jwks: JwksServer) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(production(jwks), driver=driver, sources={})
    async with started(app) as served:
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_tokens_of_every_accepted_key_type_run_the_query(http: httpx.AsyncClient, keys: Keys) -> None:
    for pair in (keys.rsa, keys.ec, keys.ed):
        response = await http.post("/graphql", json=QUERY, headers=bearer(pair.sign(claims())))
        assert response.status_code == 200, response.text
        assert response.json()["data"] == {"__typename": "Query"}


async def test_an_expired_token_within_the_clock_skew_still_passes(http: httpx.AsyncClient, keys: Keys) -> None:
    now = int(time.time())
    token = keys.rsa.sign(claims(iat=now - 3600, nbf=now - 3600, exp=now - 10))

    assert (await http.post("/graphql", json=QUERY, headers=bearer(token))).status_code == 200


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _bad_tokens(keys: Keys) -> dict[str, tuple[dict[str, str], str | None]]:
    """Each case: the request's headers and the error description (None: no token was sent)."""
    now = int(time.time())
    rsa, ec, ed = keys.rsa, keys.ec, keys.ed
    public_pem = rsa.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header, _, signature = rsa.sign(claims()).split(".")
    other_payload = raw_token({}, claims(roles=["admin", "root"])).split(".")[1]
    deep_header = f'{{"alg": "RS256", "x": {_nested(2500)}}}'
    deep_claims = json.dumps(claims())[:-1] + f', "x": {_nested(2500)}}}'
    roles_wrong = "the roles claim is not a list of role names"
    return {
        "no header": ({}, None),
        "another scheme": ({"authorization": "Basic dXNlcjpwYXNz"}, None),
        "bearer without a token": ({"authorization": "Bearer"}, "the token is malformed"),
        "characters no token has": ({"authorization": "Bearer <script>"}, "the token is malformed"),
        "not a JWT": (bearer("abc.def"), "the token is malformed"),
        "garbage segments": (bearer("a.b.c"), "the token is malformed"),
        "over the size limit": (bearer("a" * (MAX_TOKEN_CHARS + 1)), "the token is too long"),
        "expired": (bearer(rsa.sign(claims(exp=now - 120))), "the token has expired"),
        "not valid yet (nbf)": (bearer(rsa.sign(claims(nbf=now + 600))), "the token is not valid yet"),
        "issued in the future (iat)": (bearer(rsa.sign(claims(iat=now + 600))), "the token is not valid yet"),
        "no expiry": (bearer(rsa.sign(claims(exp=None))), "the token has no 'exp' claim"),
        "another issuer": (bearer(rsa.sign(claims(iss="https://evil.example/"))), "the token's issuer is not accepted"),
        "no issuer": (bearer(rsa.sign(claims(iss=None))), "the token has no 'iss' claim"),
        "another audience": (bearer(rsa.sign(claims(aud="billing"))), "the token is not meant for this service (aud)"),
        "no audience": (bearer(rsa.sign(claims(aud=None))), "the token has no 'aud' claim"),
        "a payload swapped under the signature": (
            bearer(f"{header}.{other_payload}.{signature}"),
            "the token's signature does not verify",
        ),
        "signed by another key under a known kid": (
            bearer(KeyPair("RS256", rsa_pair().private, kid=rsa.kid).sign(claims())),
            "the token's signature does not verify",
        ),
        "alg none": (
            bearer(raw_token({"alg": "none", "kid": rsa.kid}, claims())),
            "the token's algorithm is not accepted",
        ),
        "HS256 keyed with the RSA public key": (
            bearer(hs256_raw(public_pem, {"alg": "HS256", "kid": rsa.kid}, claims())),
            "the token's algorithm does not fit its key",
        ),
        "ES256 under an RSA kid": (
            bearer(KeyPair("ES256", ec.private, kid=rsa.kid).sign(claims())),
            "the token's algorithm does not fit its key",
        ),
        "an algorithm off the list": (
            bearer(raw_token({"alg": "PS256", "kid": rsa.kid}, claims(), b"x" * 256)),
            "the token's algorithm is not accepted",
        ),
        "an unknown kid": (
            bearer(KeyPair("RS256", rsa.private, kid="no-such-key").sign(claims())),
            "the token's key id is unknown",
        ),
        "no kid among several keys": (
            bearer(jwt.encode(claims(), rsa.private, algorithm="RS256")),
            "the token names no key id (kid) and more than one key could be meant",
        ),
        "a kid that is not a string": (
            bearer(raw_token({"alg": "RS256", "kid": 7}, claims())),
            "the token is not valid",
        ),
        "a key shorter than 2048 bits": (bearer(keys.weak.sign(claims())), "the token's key is not accepted"),
        "a header nested deeper than JSON parsing allows": (
            bearer(raw_token(deep_header, claims())),
            "the token is malformed",
        ),
        "signed claims nested deeper than JSON parsing allows": (
            bearer(signed_raw(ed, deep_claims)),
            "the token is malformed",
        ),
        "roles that are an object": (bearer(rsa.sign(claims(roles={"admin": True}))), roles_wrong),
        "roles nested in lists": (bearer(rsa.sign(claims(roles=[["admin"]]))), roles_wrong),
        "too many roles": (bearer(rsa.sign(claims(roles=[f"r{n}" for n in range(100)]))), roles_wrong),
        "no subject": (bearer(rsa.sign(claims(sub=None))), "the token has no subject ('sub')"),
        "a subject that is a number": (bearer(rsa.sign(claims(sub=42))), "the token is not valid"),
    }


CASES = list(_bad_tokens(Keys(rsa_pair(), ec_pair(), ed_pair(), rsa_pair(1024))))


@pytest.mark.parametrize("case", CASES)
async def test_a_missing_or_bad_token_answers_401_with_a_bearer_challenge(
    http: httpx.AsyncClient, keys: Keys, case: str
) -> None:
    headers, description = _bad_tokens(keys)[case]

    response = await http.post("/graphql", json=QUERY, headers=headers)

    assert response.status_code == 401, response.text
    body = response.json()
    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert "data" not in body
    challenge = response.headers["www-authenticate"]
    if description is None:
        assert challenge == f'Bearer realm="{REALM}"'
    else:
        assert challenge == f'Bearer realm="{REALM}", error="invalid_token", error_description="{description}"'
        assert description in body["errors"][0]["message"]
    sent = headers.get("authorization", "")
    token = sent.split(" ", 1)[-1]
    assert len(token) < 10 or token not in response.text  # never echoed


async def test_two_authorization_headers_are_refused(http: httpx.AsyncClient, keys: Keys) -> None:
    token = keys.rsa.sign(claims())
    response = await http.post(
        "/graphql", json=QUERY, headers=[("authorization", f"Bearer {token}"), ("authorization", f"Bearer {token}")]
    )

    assert response.status_code == 401
    assert "more than one Authorization header" in response.headers["www-authenticate"]


async def test_get_requests_need_a_token_too(http: httpx.AsyncClient, keys: Keys) -> None:
    refused = await http.get("/graphql", params={"query": "{ __typename }"})
    answered = await http.get("/graphql", params={"query": "{ __typename }"}, headers=bearer(keys.ed.sign(claims())))

    assert refused.status_code == 401
    assert answered.status_code == 200


async def test_health_routes_stay_open_and_other_paths_are_closed(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).status_code == 200
    assert (await http.get("/readyz")).status_code == 200
    assert (await http.get("/healthz/sources")).status_code == 200
    assert (await http.get("/", follow_redirects=False)).status_code in (302, 307)
    # A path nobody serves does not tell a caller without a token that it does not exist.
    assert (await http.get("/admin")).status_code == 401


async def test_a_random_kid_flood_fetches_the_key_set_at_most_once(
    driver: AsyncDriver, keys: Keys, jwks: JwksServer
) -> None:
    app = create_app(production(jwks), driver=driver, sources={})
    async with started(app) as served:
        before = jwks.requests
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            for number in range(200):
                forged = KeyPair("RS256", keys.rsa.private, kid=f"forged-{number}").sign(claims())
                response = await http.post("/graphql", json=QUERY, headers=bearer(forged))
                assert response.status_code == 401
    assert jwks.requests - before <= 2  # the fetch at start, and one refresh for the whole flood


async def test_development_keys_are_refused_in_production(
    driver: AsyncDriver, jwks: JwksServer, tmp_path: Path
) -> None:
    dev = Settings(auth_dev_keys_dir=tmp_path / "dev-keys")
    dev_token = mint_token(signing_key(dev), subject="E0001", roles=["admin"], ttl=timedelta(hours=1))
    # With only an issuer set, the service will not start on development keys.
    with pytest.raises(AuthConfigError, match="development key are refused"):
        create_app(Settings(auth_issuer=ISSUER, auth_dev_keys_dir=tmp_path / "dev-keys"), driver=driver)
    # With a JWKS, a token signed with the development key is just a token of an unknown key.
    app = create_app(production(jwks, auth_dev_keys_dir=tmp_path / "dev-keys"), driver=driver, sources={})
    async with started(app) as served:
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.post("/graphql", json=QUERY, headers=bearer(dev_token))
    assert response.status_code == 401
