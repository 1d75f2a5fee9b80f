"""Shared test helpers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

ISSUER = "https://ehr.example.com/"


AUDIENCE = "https://cds.example.org/cds-services/trial-eligibility"


DROP = object()  # a claim override that removes the claim


@dataclass(frozen=True)
class Keys:
    """The CDS Client's published RSA and EC P-384 keys, and a stranger's RSA key that is not
    published.
    """

    rsa: rsa.RSAPrivateKey
    ec: ec.EllipticCurvePrivateKey
    stranger: rsa.RSAPrivateKey


def jwks(keys: Keys, *, with_rotated: bool = False) -> dict[str, Any]:
    """The client's JWK Set; `with_rotated` adds the RSA key again under a new kid, as after a
    key rotation.
    """
    rsa_jwk = jwt.algorithms.RSAAlgorithm.to_jwk(keys.rsa.public_key(), as_dict=True)
    ec_jwk = jwt.algorithms.ECAlgorithm.to_jwk(keys.ec.public_key(), as_dict=True)
    published = [
        {**rsa_jwk, "kid": "rsa-1", "alg": "RS384", "use": "sig"},
        {**ec_jwk, "kid": "ec-1", "use": "sig"},
    ]
    if with_rotated:
        published.append({**rsa_jwk, "kid": "rsa-2"})
    return {"keys": published}


def claims(**overrides: object) -> dict[str, Any]:
    """A valid payload, changed by `overrides` (DROP removes a claim)."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 240,
        "jti": str(uuid.uuid4()),
        "tenant": "org-1",
    }
    payload.update(overrides)
    return {name: value for name, value in payload.items() if value is not DROP}


def sign(
    key: Any,
    alg: str = "RS384",
    kid: str | None = "rsa-1",
    payload: dict[str, Any] | None = None,
    **header: object,
) -> str:
    """A JWT signed by PyJWT with `kid` and `typ: JWT` unless overridden (None drops a header)."""
    headers = {"typ": "JWT", **header} | ({"kid": kid} if kid is not None else {})
    return jwt.encode(payload or claims(), key, algorithm=alg, headers=headers)


def b64(data: dict[str, Any]) -> str:
    """base64url of compact JSON, unpadded, as in a JWS."""
    return (
        base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
        .rstrip(b"=")
        .decode()
    )


def unsigned(header: dict[str, Any], payload: dict[str, Any]) -> str:
    """A token with `alg: none` and an empty signature, crafted by hand (PyJWT will not verify
    one).
    """
    return f"{b64(header)}.{b64(payload)}."


def hmac_with_public_key(keys: Keys) -> str:
    """The classic confusion attack: HS256 keyed with the client's public key PEM, which anyone
    can fetch.
    """
    secret = keys.rsa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT', 'kid': 'rsa-1'})}.{b64(claims())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
