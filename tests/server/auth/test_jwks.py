"""Keys from a real JWKS endpoint: rotation, a refresh on an unknown key id, and its rate limit."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Iterator

import pytest

from domain.access import Policy
from server.auth.keys import JwksKeys, NoKeyError, parse_jwks
from server.auth.tokens import TokenError, TokenRules, TokenVerifier
from tests.server.auth.helpers import AUDIENCE, ISSUER, JwksServer, KeyPair, claims, ec_pair, ed_pair, rsa_pair

RULES = TokenRules(issuer=ISSUER, audience=AUDIENCE)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def first_key() -> KeyPair:
    return rsa_pair()


@pytest.fixture
def jwks(first_key: KeyPair) -> Iterator[JwksServer]:
    with JwksServer(first_key).running() as server:
        yield server


@pytest.fixture
async def keys(jwks: JwksServer) -> AsyncIterator[tuple[JwksKeys, Clock]]:
    clock = Clock()
    source = JwksKeys(jwks.url, min_refresh_s=30, max_age_s=600, clock=clock)
    await source.start()
    yield source, clock
    await source.close()


def verifier(source: JwksKeys) -> TokenVerifier:
    return TokenVerifier(source, RULES, Policy.unrestricted(), cache_size=0)


async def test_tokens_of_each_key_type_verify_against_the_key_set() -> None:
    pairs = [rsa_pair(), ec_pair(), ed_pair()]
    with JwksServer(*pairs).running() as server:
        source = JwksKeys(server.url)
        await source.start()
        try:
            for pair in pairs:
                caller = await verifier(source).verify(pair.sign(claims(sub=f"E-{pair.algorithm}")))
                assert caller.subject == f"E-{pair.algorithm}" and caller.roles == {"admin"}
        finally:
            await source.close()
    assert server.requests == 1


async def test_a_rotated_key_is_fetched_once_its_first_token_arrives(
    keys: tuple[JwksKeys, Clock], jwks: JwksServer, first_key: KeyPair
) -> None:
    source, clock = keys
    check = verifier(source)
    assert (await check.verify(first_key.sign(claims()))).subject == "E0001"
    assert jwks.requests == 1  # fetched at start

    new_key = ec_pair()
    jwks.serve(new_key)  # the issuer rotates: the old key is withdrawn
    clock.now += 31  # past the refresh interval
    assert (await check.verify(new_key.sign(claims(sub="E0002")))).subject == "E0002"
    assert jwks.requests == 2

    # The withdrawn key's tokens fail now (its kid is no longer in the set; no new fetch is due).
    with pytest.raises(TokenError, match="key id is unknown"):
        await check.verify(first_key.sign(claims()))
    assert jwks.requests == 2


async def test_random_key_ids_cannot_flood_the_issuer(keys: tuple[JwksKeys, Clock], jwks: JwksServer) -> None:
    source, clock = keys
    check = verifier(source)
    forger = rsa_pair()
    clock.now += 31

    async def attempt() -> str:
        token = KeyPair("RS256", forger.private, kid=secrets.token_hex(8)).sign(claims())
        try:
            await check.verify(token)
        except TokenError as error:
            return error.description
        return "accepted"

    outcomes = await asyncio.gather(*(attempt() for _ in range(300)))

    assert set(outcomes) == {"the token's key id is unknown"}
    assert jwks.requests == 2  # the start, and one refresh that every attempt shared
    clock.now += 10
    await attempt()
    assert jwks.requests == 2  # still within the interval
    clock.now += 25
    await attempt()
    assert jwks.requests == 3


async def test_an_old_key_set_is_refreshed_in_the_background(keys: tuple[JwksKeys, Clock], jwks: JwksServer) -> None:
    source, clock = keys
    clock.now += 601

    first = jwks.keys[0]["kid"]
    await source.key_for(first, "RS256")  # answered from the keys held
    for _ in range(50):
        if jwks.requests == 2:
            break
        await asyncio.sleep(0.02)
    assert jwks.requests == 2


async def test_an_unreachable_key_set_refuses_tokens_until_it_answers(first_key: KeyPair) -> None:
    clock = Clock()
    with JwksServer(first_key).running() as server:
        server.status = 503
        source = JwksKeys(server.url, min_refresh_s=30, clock=clock)
        await source.start()  # the service starts anyway
        try:
            with pytest.raises(TokenError, match="cannot be fetched"):
                await verifier(source).verify(first_key.sign(claims()))
            server.status = 200
            clock.now += 31
            assert (await verifier(source).verify(first_key.sign(claims()))).subject == "E0001"
        finally:
            await source.close()


def test_a_key_set_keeps_only_signing_keys_it_can_use() -> None:
    usable = rsa_pair()
    body = {
        "keys": [
            usable.jwk,
            {"kty": "oct", "k": "c2VjcmV0", "kid": "symmetric"},  # never from a JWKS
            {**ec_pair().jwk, "use": "enc", "kid": "encryption"},
            {"kty": "RSA", "kid": "broken", "n": "AQAB"},
            {**rsa_pair().jwk, "alg": "RS512", "kid": "other-alg"},
            "not a key",
        ]
    }
    keys = parse_jwks(json.dumps(body).encode())

    assert list(keys) == [usable.kid]


@pytest.mark.parametrize("body", [b"[]", b'{"keys": 1}', b"not json", b"{" * 10 + b"}" * 10])
def test_a_key_set_that_is_not_one_is_refused(body: bytes) -> None:
    with pytest.raises(ValueError):
        parse_jwks(body)


async def test_a_token_without_kid_needs_a_single_fitting_key() -> None:
    one, two = ed_pair(), ed_pair()
    with JwksServer(one, two).running() as server:
        source = JwksKeys(server.url)
        await source.start()
        try:
            with pytest.raises(NoKeyError, match="more than one key"):
                await source.key_for(None, "EdDSA")
        finally:
            await source.close()
