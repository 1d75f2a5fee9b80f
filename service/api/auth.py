"""Who may call the REST API: bearer JWTs from configured issuers (audience and scope checked),
or nobody checked ("none").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

import jwt
import requests

from service.cds.trust.jwt import (
    KEY_SHAPES,
    JwksCache,
    bearer_token,
    decode_token,
    unverified_parts,
)
from service.config import DEFAULTS
from service.errors import ConfigError, Forbidden, ServiceUnavailable, Unauthorized
from service.settings import ApiAuthSettings

log = logging.getLogger(__name__)

# Asymmetric algorithms only: an HMAC token "signed" with a public key must never verify.
ALGORITHMS = tuple(KEY_SHAPES)
REQUIRED_CLAIMS = ("iss", "aud", "exp")


def _refuse(reason: str, message: str) -> Unauthorized:
    return Unauthorized(f"API bearer token refused: {message}", details={"reason": reason})


def _refuse_token(reason: str, message: str) -> NoReturn:
    """Raise the 401 for a token PyJWT refused, worded for the API (the shared messages name the
    CDS Client).
    """
    raise _refuse(
        reason,
        message.replace("this CDS Service's endpoint", "this API")
        .replace("a trusted CDS Client", "a trusted issuer")
        .replace("the CDS Client's key", "the issuer's key"),
    )


def token_scopes(claims: Mapping[str, Any]) -> set[str]:
    """The scopes a token grants: `scope` (RFC 8693/9068, space-separated) or `scp` (a list or a
    string).
    """
    scopes: set[str] = set()
    for value in (claims.get("scope"), claims.get("scp")):
        if isinstance(value, str):
            scopes |= set(value.split())
        elif isinstance(value, list):
            scopes |= {v for v in value if isinstance(v, str)}
    return scopes


@dataclass
class ApiTokenVerifier:
    """Check a REST caller's bearer JWT: asymmetric alg, trusted issuer, its key, signature,
    audience, expiry and scope.
    """

    issuers: dict[str, str]
    audience: str
    scope: str = DEFAULTS["API_JWT_SCOPE"]
    leeway_seconds: int = 60
    session: requests.Session | None = None
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._jwks = JwksCache(self.session, clock=self.clock)

    def verify(self, authorization_header: str | None) -> dict[str, Any]:
        """Return the verified claims, or raise Unauthorized (401) or Forbidden (403, the scope
        is missing).
        """
        try:
            token = bearer_token(authorization_header)
            header, unverified = unverified_parts(token)
        except Unauthorized as exc:
            raise _refuse(exc.reason(), exc.message.split(": ", 1)[-1]) from exc
        alg, kid, issuer = header.get("alg"), header.get("kid"), unverified.get("iss")
        if alg not in ALGORITHMS:
            raise _refuse(
                "alg-not-allowed",
                f"alg {alg!r:.40} is not allowed; use an asymmetric algorithm such as RS256 or "
                "ES384",
            )
        if not isinstance(kid, str) or not kid:
            raise _refuse("missing-kid", "the token has no kid header")
        if not isinstance(issuer, str) or issuer not in self.issuers:
            raise _refuse("unknown-iss", "iss is not a trusted issuer")
        # Only the issuer's configured JWK Set: a jku or embedded jwk in the token is never
        # followed.
        try:
            key = self._jwks.key(self.issuers[issuer], kid, alg)
        except Unauthorized as exc:
            raise _refuse(
                exc.reason(), "the issuer's key for this token could not be found or used"
            ) from exc
        claims = self._decode(token, key, issuer)
        if self.scope not in token_scopes(claims):
            raise Forbidden(
                f"the token lacks the scope {self.scope!r} this API requires",
                details={"reason": "insufficient-scope", "scope": self.scope},
            )
        return claims

    def _decode(self, token: str, key: jwt.PyJWK, issuer: str) -> dict[str, Any]:
        return decode_token(
            token,
            key,
            algorithms=ALGORITHMS,
            required=REQUIRED_CLAIMS,
            issuer=issuer,
            audience=self.audience,
            leeway=self.leeway_seconds,
            refuse=_refuse_token,
        )


UNDECIDED_MESSAGE = (
    "ELIGIBILITY_FHIR_BASE_URL is set, so the REST API can read patient data: set "
    "ELIGIBILITY_API_AUTH=jwt "
    "(with ELIGIBILITY_API_JWT_ISSUERS and ELIGIBILITY_API_JWT_AUDIENCE), or "
    "ELIGIBILITY_API_AUTH=none explicitly"
)


@dataclass(frozen=True)
class ApiAuth:
    """How REST callers are checked: a verifier (mode jwt), nobody (none), or "undecided" (a FHIR
    server and no choice made).
    """

    mode: str
    verifier: ApiTokenVerifier | None = None

    def check(self, authorization_header: str | None) -> None:
        """Verify the caller, or raise 401/403; refuse every call while undecided (fail closed);
        nothing to do in mode none.
        """
        if self.mode == "undecided":
            raise ServiceUnavailable(
                "the REST API is not configured: " + UNDECIDED_MESSAGE,
                retry_after=3600,
                details={"reason": "api-auth-undecided"},
            )
        if self.verifier is not None:
            self.verifier.verify(authorization_header)

    def require_decided(self) -> None:
        """Refuse to serve (start-up) while the choice is undecided; gunicorn's entry point calls
        this.
        """
        if self.mode == "undecided":
            raise ConfigError(UNDECIDED_MESSAGE)


def api_auth(api: ApiAuthSettings, reaches_patient_data: bool) -> ApiAuth:
    """Build the REST API's check; with a FHIR server configured a mode must be chosen, and "none"
    is logged as a warning.

    The embedded demo (bundled fixtures only, no FHIR server) stays open unless API_AUTH says
    otherwise. Unset with a FHIR server is "undecided": service.server.wsgi (what gunicorn serves)
    then refuses to start.
    """
    if api.mode is None:
        # Fail closed: a FHIR server holds real patients, and the service reads them with its own
        # credentials. The app is still built (the CLI uses it without HTTP), but serves no REST
        # call, and service.server.wsgi refuses to start.
        return ApiAuth("undecided") if reaches_patient_data else ApiAuth("none")
    if api.mode == "none":
        if reaches_patient_data:
            log.warning(
                "REST API authentication is OFF (ELIGIBILITY_API_AUTH=none) while a FHIR server "
                "is configured: "
                "anyone who can reach the service can read any patient's eligibility"
            )
        return ApiAuth("none")
    return ApiAuth("jwt", ApiTokenVerifier(dict(api.issuers), str(api.audience), api.scope))


def check_current_request() -> None:
    """Check the current request's caller with the app's ApiAuth (the pages' before_request hook;
    the REST API does the same).
    """
    from flask import current_app, request

    auth: ApiAuth = current_app.extensions["api_auth"]
    auth.check(request.headers.get("Authorization"))
