"""Real tokens for the tests that are not about authentication: HS256 with a test-only secret.

``settings()`` is ``Settings`` with that secret configured; ``bearer()`` is the header of a token
the app verifies like any other (the admin role by default, so tests of other features see
everything, as they did before there was a policy). Subprocess servers get ``SECRET_ENV``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from server.auth.tokens import ClaimNames, SigningKey, mint_token
from server.settings import Settings

TEST_SECRET = "customer-graph-tests-only-shared-secret-5f1c"
SECRET_ENV = {"CG_AUTH_SHARED_SECRET": TEST_SECRET}
ADMIN_EMPLOYEE = "E0001"
CLAIMS = ClaimNames()


def settings(**overrides: Any) -> Settings:
    # No event hub in the apps the tests build in-process: its tail of the event log sends a
    # statement every poll, which the tests that count statements would count. The subscription
    # tests (tests/act) run servers of their own with it.
    return Settings(**{"auth_shared_secret": TEST_SECRET, "events_enabled": False, **overrides})


def token(
    *roles: str,
    subject: str = ADMIN_EMPLOYEE,
    ttl: timedelta = timedelta(hours=1),
    secret: str = TEST_SECRET,
    issuer: str | None = None,
    audience: str | None = None,
    claims: ClaimNames = CLAIMS,
) -> str:
    signing = SigningKey("HS256", secret, None, issuer)
    chosen: Sequence[str] = roles or ("admin",)
    return mint_token(signing, subject=subject, roles=chosen, ttl=ttl, claims=claims, audience=audience)


def bearer(*roles: str, subject: str = ADMIN_EMPLOYEE) -> dict[str, str]:
    return {"authorization": f"Bearer {token(*roles, subject=subject)}"}
