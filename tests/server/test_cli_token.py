"""``python -m server token``: a token for an employee and roles, printed for a shell to take."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.access import Policy
from server.auth.dev_keys import DEV_ISSUER, load_dev_key
from server.auth.keys import StaticKeys
from server.auth.tokens import TokenRules, TokenVerifier
from server.settings import PROJECT_ROOT
from tests.auth_tokens import TEST_SECRET


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("CG_", "NEO4J_"))}
    clean.update(CG_AUTH_DEV_KEYS_DIR=str(tmp_path / "dev-keys"), **env)
    command = [sys.executable, "-m", "server", "token", *args]
    # Outside the checkout, so no .env applies; the policy is the shipped one.
    clean.setdefault("CG_POLICY_FILE", str(PROJECT_ROOT / "policy.toml"))
    return subprocess.run(command, cwd=tmp_path, env=clean, capture_output=True, text=True, timeout=120, check=False)


async def test_it_prints_a_development_token_the_service_accepts(tmp_path: Path) -> None:
    done = run(tmp_path, "--employee", "E0042", "--role", "service_agent", "--role", "analyst", "--ttl", "30m")

    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert "\n" not in token  # TOKEN=$(python -m server token ...) takes it as it is
    assert "token for E0042 as service_agent, analyst, valid for 30m" in done.stderr
    dev = load_dev_key(tmp_path / "dev-keys")
    assert dev is not None and isinstance(dev.private_key, Ed25519PrivateKey)
    claims = jwt.decode(token, dev.private_key.public_key(), algorithms=["EdDSA"])
    assert claims["sub"] == "E0042" and claims["iss"] == DEV_ISSUER
    assert claims["exp"] - claims["iat"] == 1800
    verifier = TokenVerifier(StaticKeys.public_key(dev.public_jwk), TokenRules(), Policy.unrestricted())
    assert (await verifier.verify(token)).subject == "E0042"


def test_with_a_shared_secret_it_signs_with_the_secret(tmp_path: Path) -> None:
    done = run(tmp_path, "--employee", "E7", "--role", "admin", CG_AUTH_SHARED_SECRET=TEST_SECRET)

    assert done.returncode == 0, done.stderr
    claims = jwt.decode(done.stdout.strip(), TEST_SECRET, algorithms=["HS256"])
    assert claims["roles"] == ["admin"] and claims["exp"] - claims["iat"] == 8 * 3600
    assert not (tmp_path / "dev-keys").exists()  # no development key was needed


@pytest.mark.parametrize(
    ("args", "env", "code", "message"),
    [
        (["--employee", "E1", "--role", "root"], {}, 2, "has no role root (roles: admin, analyst"),
        (["--employee", "E1", "--role", "admin", "--ttl", "soon"], {}, 2, "'soon' is not a duration"),
        (["--employee", "E1", "--role", "admin", "--ttl", "0s"], {}, 2, "more than 0 seconds"),
        (
            ["--employee", "E1", "--role", "admin"],
            {"CG_AUTH_ISSUER": "https://id.example.test/"},
            1,
            "tokens signed with the development key are refused",
        ),
        (
            ["--employee", "E1", "--role", "admin"],
            {"CG_AUTH_JWKS_URL": "https://id.example.test/jwks.json"},
            1,
            "this service cannot sign them",
        ),
    ],
)
def test_what_it_cannot_do_it_says_without_a_traceback(
    tmp_path: Path, args: list[str], env: dict[str, str], code: int, message: str
) -> None:
    done = run(tmp_path, *args, **env)

    assert done.returncode == code
    assert done.stdout == ""
    assert message in done.stderr and "Traceback" not in done.stderr
