"""Signing keys, hand-made tokens and a real JWKS server on loopback, for the authentication tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from jwt.warnings import InsecureKeyLengthWarning

ISSUER = "https://id.example.test/"
AUDIENCE = "customer-graph"


@dataclass(frozen=True)
class KeyPair:
    """A private key, its algorithm and its public JWK (with a key id)."""

    algorithm: str
    private: Any
    kid: str = field(default_factory=lambda: secrets.token_hex(8))

    @property
    def jwk(self) -> dict[str, Any]:
        public = self.private.public_key()
        exporter = {"RS256": RSAAlgorithm, "ES256": ECAlgorithm, "EdDSA": OKPAlgorithm}[self.algorithm]
        jwk: dict[str, Any] = exporter.to_jwk(public, as_dict=True)
        jwk.update(kid=self.kid, use="sig")
        return jwk

    def sign(self, payload: Mapping[str, Any], **headers: Any) -> str:
        with warnings.catch_warnings():  # short test keys are on purpose
            warnings.simplefilter("ignore", InsecureKeyLengthWarning)
            return jwt.encode(
                dict(payload), self.private, algorithm=self.algorithm, headers={"kid": self.kid, **headers}
            )


def rsa_pair(bits: int = 2048) -> KeyPair:
    return KeyPair("RS256", rsa.generate_private_key(public_exponent=65537, key_size=bits))


def ec_pair() -> KeyPair:
    return KeyPair("ES256", ec.generate_private_key(ec.SECP256R1()))


def ed_pair() -> KeyPair:
    return KeyPair("EdDSA", ed25519.Ed25519PrivateKey.generate())


def claims(**overrides: Any) -> dict[str, Any]:
    """Valid claims for an admin who is employee E0001, issued now, for an hour."""
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": "E0001",
        "roles": ["admin"],
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
    }
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not None}


def segment(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def raw_token(header: Mapping[str, Any] | str, payload: Mapping[str, Any] | str, signature: bytes = b"") -> str:
    """A token made by hand: any header and payload (JSON text as given), any signature."""
    head = header if isinstance(header, str) else json.dumps(header)
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return f"{segment(head.encode())}.{segment(body.encode())}.{segment(signature)}"


def signed_raw(pair: KeyPair, payload: str) -> str:
    """A token whose payload is the given JSON text, as is, validly signed by an Ed25519 key."""
    assert pair.algorithm == "EdDSA"
    signing_input = f"{segment(json.dumps({'alg': 'EdDSA', 'kid': pair.kid}).encode())}.{segment(payload.encode())}"
    return f"{signing_input}.{segment(pair.private.sign(signing_input.encode()))}"


def hs256_raw(secret: bytes, header: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
    """An HS256 token keyed with any bytes (PyJWT refuses to key HMAC with a public key; attackers do not)."""
    signing_input = f"{segment(json.dumps(header).encode())}.{segment(json.dumps(payload).encode())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{segment(mac)}"


class JwksServer:
    """A JWKS endpoint on a free loopback port whose keys a test can rotate; it counts requests."""

    def __init__(self, *keys: KeyPair) -> None:
        self.keys: list[dict[str, Any]] = [key.jwk for key in keys]
        self.requests = 0
        self.status = 200
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests += 1
                body = json.dumps({"keys": owner.keys}).encode()
                self.send_response(owner.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/.well-known/jwks.json"

    def serve(self, *keys: KeyPair) -> None:
        """Rotate: from now on the endpoint lists these keys only."""
        self.keys = [key.jwk for key in keys]

    @contextmanager
    def running(self) -> Iterator[JwksServer]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join(timeout=5)
