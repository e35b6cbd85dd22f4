"""How tokens are verified and signed, as the settings say: one place decides, everything asks.

Three ways, in this order:

- ``CG_AUTH_JWKS_URL``: an identity provider's keys (RS256, ES256 or EdDSA). This service
  verifies tokens but cannot sign any.
- ``CG_AUTH_SHARED_SECRET``: HS256 with a secret shared with whoever issues tokens; the
  ``token`` command signs with it too.
- neither: the development key (``server.auth.dev_keys``), made on first use. It is refused
  as soon as the service is configured for production (``CG_AUTH_ISSUER`` or a JWKS URL set):
  then the start stops with ``AuthConfigError`` rather than accept tokens anyone with the
  checkout could sign.
"""

from __future__ import annotations

from domain.access import Policy
from server.auth.dev_keys import DEV_ALGORITHM, DEV_ISSUER, ensure_dev_key
from server.auth.keys import SHARED_SECRET_ALGORITHM, JwksKeys, KeySource, StaticKeys
from server.auth.tokens import ClaimNames, SigningKey, TokenRules, TokenVerifier
from server.settings import Settings

PRODUCTION_REFUSES_DEV_KEYS = (
    "CG_AUTH_ISSUER is set (production), so tokens signed with the development key are refused: "
    "set CG_AUTH_JWKS_URL or CG_AUTH_SHARED_SECRET to say how tokens are verified"
)


class AuthConfigError(ValueError):
    """The settings do not say a usable way to verify (or sign) tokens."""


def claim_names(settings: Settings) -> ClaimNames:
    return ClaimNames(
        subject=settings.auth_subject_claim, employee=settings.auth_employee_claim, roles=settings.auth_roles_claim
    )


def key_source(settings: Settings) -> KeySource:
    if settings.auth_jwks_url is not None:
        return JwksKeys(
            settings.auth_jwks_url,
            min_refresh_s=settings.auth_jwks_min_refresh_seconds,
            max_age_s=settings.auth_jwks_max_age_seconds,
        )
    if settings.auth_shared_secret is not None:
        return StaticKeys.shared_secret(settings.auth_shared_secret.get_secret_value())
    if settings.auth_production:
        raise AuthConfigError(PRODUCTION_REFUSES_DEV_KEYS)
    return StaticKeys.public_key(ensure_dev_key(settings.auth_dev_keys_dir).public_jwk)


def token_verifier(settings: Settings, policy: Policy) -> TokenVerifier:
    rules = TokenRules(
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        skew_s=settings.auth_clock_skew_seconds,
        claims=claim_names(settings),
    )
    return TokenVerifier(
        key_source(settings),
        rules,
        policy,
        cache_size=settings.auth_token_cache_size,
        cache_seconds=settings.auth_token_cache_seconds,
    )


def signing_key(settings: Settings) -> SigningKey:
    """What ``token`` and the playground sign with; ``AuthConfigError`` where this service cannot sign."""
    if settings.auth_jwks_url is not None:
        raise AuthConfigError(
            "tokens come from the identity provider (CG_AUTH_JWKS_URL): get one there; this service cannot sign them"
        )
    if settings.auth_shared_secret is not None:
        secret = settings.auth_shared_secret.get_secret_value()
        return SigningKey(SHARED_SECRET_ALGORITHM, secret, None, settings.auth_issuer)
    if settings.auth_production:
        raise AuthConfigError(PRODUCTION_REFUSES_DEV_KEYS)
    dev = ensure_dev_key(settings.auth_dev_keys_dir)
    return SigningKey(DEV_ALGORITHM, dev.private_key, dev.kid, DEV_ISSUER)
