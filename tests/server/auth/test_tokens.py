"""The token verifier on its own: claims to a caller, and a cache of verified tokens that stays bounded."""

from __future__ import annotations

import time
from datetime import timedelta

from jwt import PyJWK

from domain.access import Policy, RolePolicy
from server.auth.keys import StaticKeys
from server.auth.tokens import ClaimNames, SigningKey, TokenRules, TokenVerifier, mint_token
from tests.auth_tokens import TEST_SECRET

POLICY = Policy({name: RolePolicy(name, reads_everything=True) for name in ("analyst", "service_agent")})
SIGNING = SigningKey("HS256", TEST_SECRET, None, None)


class CountingKeys(StaticKeys):
    """The shared secret, counting how often a token had to be verified for real."""

    def __init__(self) -> None:
        super().__init__(StaticKeys.shared_secret(TEST_SECRET)._keys)
        self.lookups = 0

    async def key_for(self, kid: str | None, alg: str) -> PyJWK:
        self.lookups += 1
        return await super().key_for(kid, alg)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def token(subject: str = "E0042", roles: tuple[str, ...] = ("analyst",), ttl_s: int = 600, now: float = 0) -> str:
    return mint_token(SIGNING, subject=subject, roles=roles, ttl=timedelta(seconds=ttl_s), now=now or None)


async def test_claims_map_to_the_caller_and_unknown_roles_are_dropped() -> None:
    verifier = TokenVerifier(StaticKeys.shared_secret(TEST_SECRET), TokenRules(), POLICY)

    caller = await verifier.verify(token(roles=("analyst", "root", "service_agent")))

    assert caller.subject == "E0042" and caller.employee_id == "E0042" and not caller.anonymous
    assert caller.roles == {"analyst", "service_agent"}


async def test_claim_names_are_configurable_and_may_be_nested() -> None:
    names = ClaimNames(subject="sub", employee="https://example.com/employee", roles="realm_access.roles")
    signing_claims = {"https://example.com/employee": "E0100", "realm_access": {"roles": ["service_agent"]}}
    text = mint_token(
        SIGNING, subject="auth0|abc", roles=[], ttl=timedelta(minutes=5), claims=ClaimNames(roles="unused"),
        extra=signing_claims,
    )  # fmt: skip
    verifier = TokenVerifier(StaticKeys.shared_secret(TEST_SECRET), TokenRules(claims=names), POLICY)

    caller = await verifier.verify(text)

    assert (caller.subject, caller.employee_id, caller.roles) == ("auth0|abc", "E0100", {"service_agent"})


async def test_roles_may_come_as_one_space_separated_string() -> None:
    text = mint_token(SIGNING, subject="E1", roles=[], ttl=timedelta(minutes=5), extra={"scope": "analyst other"})
    verifier = TokenVerifier(
        StaticKeys.shared_secret(TEST_SECRET), TokenRules(claims=ClaimNames(roles="scope")), POLICY
    )

    assert (await verifier.verify(text)).roles == {"analyst"}


async def test_a_repeated_token_is_verified_once_and_the_cache_stays_bounded() -> None:
    keys = CountingKeys()
    verifier = TokenVerifier(keys, TokenRules(), POLICY, cache_size=5)

    same = token()
    for _ in range(10):
        await verifier.verify(same)
    assert keys.lookups == 1
    for number in range(20):
        await verifier.verify(token(subject=f"E{number:04d}"))
    assert verifier.cached == 5


async def test_a_cached_token_leaves_the_cache_once_it_expires() -> None:
    keys = CountingKeys()
    clock = Clock(time.time())
    verifier = TokenVerifier(keys, TokenRules(skew_s=30), POLICY, clock=clock)
    text = token(ttl_s=60, now=clock.now)

    await verifier.verify(text)
    clock.now += 60 + 29
    await verifier.verify(text)
    assert keys.lookups == 1  # still within its life and the skew: from the cache
    clock.now += 2
    await verifier.verify(text)  # past them: verified again (by PyJWT, whose clock is the real one)
    assert keys.lookups == 2


async def test_a_cached_token_is_verified_again_after_the_cache_lifetime() -> None:
    keys = CountingKeys()
    clock = Clock(time.time())
    verifier = TokenVerifier(keys, TokenRules(), POLICY, cache_seconds=300, clock=clock)
    text = token(ttl_s=3600)

    await verifier.verify(text)
    clock.now += 301
    await verifier.verify(text)

    assert keys.lookups == 2
