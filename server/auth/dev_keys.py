"""The development signing key: an Ed25519 key pair under ``.local/dev-keys``, made on first use.

When no issuer, JWKS URL or shared secret is configured, ``make run`` (``serve``), the app and
``python -m server token`` share this key: the server verifies with its public half, the CLI
and the playground sign with its private half. The file is written atomically and readable by
its owner only; several workers starting at once all end up with the same key.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from server.auth.keys import thumbprint

KEY_FILE: Final = "signing-key.pem"
# The issuer of development tokens: a token from a real identity provider never carries it.
DEV_ISSUER: Final = "customer-graph-dev"
DEV_ALGORITHM: Final = "EdDSA"


class DevKeyError(Exception):
    """The development key cannot be read or written."""


@dataclass(frozen=True, slots=True)
class DevKey:
    private_key: Ed25519PrivateKey
    path: Path

    @property
    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = OKPAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        jwk.update(alg=DEV_ALGORITHM, use="sig")
        jwk["kid"] = thumbprint(jwk)
        return jwk

    @property
    def kid(self) -> str:
        return str(self.public_jwk["kid"])


def load_dev_key(folder: Path) -> DevKey | None:
    """The key under ``folder``, or ``None`` if there is none yet."""
    path = folder / KEY_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DevKeyError(f"cannot read the development key {path}: {exc.strerror or exc}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except ValueError as exc:
        raise DevKeyError(f"{path} is not a PEM private key ({exc}); delete it to make a new one") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise DevKeyError(f"{path} is not an Ed25519 key; delete it to make a new one")
    return DevKey(key, path)


def ensure_dev_key(folder: Path) -> DevKey:
    """The key under ``folder``, made first if there is none (atomically: the first writer wins)."""
    found = load_dev_key(folder)
    if found is not None:
        return found
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".signing-key-")
        try:
            os.fchmod(handle, 0o600)
            os.write(handle, pem)
        finally:
            os.close(handle)
        try:
            os.link(temporary, folder / KEY_FILE)  # fails if another process got there first
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    except OSError as exc:
        raise DevKeyError(f"cannot write a development key under {folder}: {exc.strerror or exc}") from None
    made = load_dev_key(folder)
    assert made is not None
    return made
