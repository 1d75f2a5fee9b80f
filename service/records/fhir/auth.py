"""How the service authenticates to a FHIR server: none, a static bearer token, or SMART Backend
Services.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import jwt
import orjson
import requests

from service.config import DEFAULTS
from service.errors import FhirAuthRefused, FhirTemporaryError

SMART_ALGORITHMS = ("RS384", "ES384")
# Renew a cached token this many seconds before it expires, so no request carries one about to
# lapse.
EXPIRY_MARGIN = 60
ASSERTION_LIFETIME = 300  # SMART: the client assertion's exp at most five minutes ahead


class Auth(Protocol):
    """Supplies the Authorization header for each request."""

    refreshable: bool

    def headers(self) -> dict[str, str]:
        """Return the headers to add to a request."""

    def invalidate(self) -> None:
        """Forget a cached credential the server refused."""


class NoAuth:
    """An open server (a test server, or one behind a trusted network boundary)."""

    refreshable = False

    def headers(self) -> dict[str, str]:
        """Return no headers."""
        return {}

    def invalidate(self) -> None:
        """Nothing is cached."""

    def __repr__(self) -> str:
        return "NoAuth()"


class BearerToken:
    """A static bearer token (from configuration, or a CDS Hooks fhirAuthorization)."""

    refreshable = False

    def __init__(self, token: str) -> None:
        if not token or any(c in token for c in "\r\n"):
            raise ValueError("a bearer token must be a non-empty single line")
        self._token = token

    def headers(self) -> dict[str, str]:
        """Return the Authorization header."""
        return {"Authorization": f"Bearer {self._token}"}

    def invalidate(self) -> None:
        """A static token cannot be renewed."""

    def __repr__(self) -> str:
        return "BearerToken(***)"  # never the token


@dataclass
class SmartBackendServices:
    """SMART Backend Services: a signed JWT assertion exchanged for an access token, cached until
    it expires.
    """

    token_url: str
    client_id: str
    private_key: str = field(repr=False)  # PEM
    algorithm: str = "RS384"
    key_id: str | None = None
    # The default is the service's (config.DEFAULTS["FHIR_SMART_SCOPES"]): read access to exactly
    # the types the rules read.
    scopes: str = DEFAULTS["FHIR_SMART_SCOPES"]
    jku: str | None = None
    timeout: float = 10.0
    session: requests.Session | None = field(default=None, repr=False)
    clock: Callable[[], float] = time.time
    refreshable: bool = True

    def __post_init__(self) -> None:
        if self.algorithm not in SMART_ALGORITHMS:
            raise ValueError(
                f"SMART Backend Services signs with {' or '.join(SMART_ALGORITHMS)}, not "
                f"{self.algorithm!r}"
            )
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self.session = self.session or requests.Session()
        try:
            # Sign once now: a malformed key or one of the wrong type is a configuration error, not
            # a failed request later.
            self.assertion()
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise ValueError(
                f"the private key cannot sign {self.algorithm} assertions ({type(exc).__name__})"
            ) from exc

    def headers(self) -> dict[str, str]:
        """Return the Authorization header, fetching a new token when the cached one is (nearly)
        expired.
        """
        with self._lock:
            if self._token is None or self.clock() >= self._expires_at - EXPIRY_MARGIN:
                self._token, lifetime = self._request_token()
                self._expires_at = self.clock() + lifetime
            return {"Authorization": f"Bearer {self._token}"}

    def invalidate(self) -> None:
        """Drop the cached token so the next request fetches a new one."""
        with self._lock:
            self._token = None

    def assertion(self) -> str:
        """Return a fresh signed client assertion (RFC 7523), as SMART Backend Services
        specifies.
        """
        now = int(self.clock())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": self.token_url,
            "exp": now + ASSERTION_LIFETIME,
            "jti": str(uuid.uuid4()),
        }
        headers: dict[str, Any] = {"typ": "JWT"}
        if self.key_id:
            headers["kid"] = self.key_id
        if self.jku:
            headers["jku"] = self.jku
        return jwt.encode(claims, self.private_key, algorithm=self.algorithm, headers=headers)

    def _request_token(self) -> tuple[str, float]:
        form = {
            "grant_type": "client_credentials",
            "scope": self.scopes,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": self.assertion(),
        }
        assert self.session is not None  # noqa: S101 - set in __post_init__
        try:
            response = self.session.post(
                self.token_url,
                data=form,
                headers={"Accept": "application/json"},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise FhirTemporaryError("the FHIR authorization server could not be reached") from exc
        if response.status_code in (400, 401, 403):
            raise FhirAuthRefused(
                "the FHIR authorization server refused the service's credentials "
                f"({response.status_code}{_oauth_error(response)})",
                http_status=response.status_code,
            )
        if response.status_code != 200:
            raise FhirTemporaryError(
                f"the FHIR authorization server answered {response.status_code}",
                http_status=response.status_code,
            )
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise FhirAuthRefused(
                "the FHIR authorization server's token response is not JSON"
            ) from exc
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise FhirAuthRefused(
                "the FHIR authorization server's token response has no access_token"
            )
        expires_in = body.get("expires_in")
        # No expires_in: assume five minutes, the SMART-recommended lifetime, rather than forever.
        lifetime = (
            float(expires_in) if isinstance(expires_in, int | float) and expires_in > 0 else 300.0
        )
        return token, lifetime

    def __repr__(self) -> str:
        return (
            f"SmartBackendServices(token_url={self.token_url!r}, "
            f"client_id={self.client_id!r}, algorithm={self.algorithm!r})"
        )


def _oauth_error(response: requests.Response) -> str:
    """Return ': <error>' from an OAuth error body (a code, never a token), or ''."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return f": {error}" if isinstance(error, str) and error.isascii() and len(error) < 64 else ""
