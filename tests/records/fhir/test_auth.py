"""Tests for service.records.fhir.auth: SMART Backend Services assertions and token caching,
bearer tokens, no auth.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs

import jwt
import pytest
import requests
import responses
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from service.errors import FhirAuthRefused, FhirTemporaryError
from service.records.fhir.auth import BearerToken, NoAuth, SmartBackendServices
from tests.helpers.fakes import Clock
from tests.helpers.fhir import pem

TOKEN_URL = "https://auth.example.org/oauth2/token"  # noqa: S105 - a URL, not a password
CLIENT_ID = "eligibility-service"
ACCESS_TOKEN = "access-token-7f3a9c"  # noqa: S105 - a test token
SCOPES = "system/Patient.read system/Observation.read"


@pytest.fixture(params=["RS384", "ES384"])
def algorithm(request: pytest.FixtureRequest) -> str:
    """Each algorithm SMART Backend Services allows."""
    return str(request.param)


@pytest.fixture
def private_key(
    algorithm: str, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    """The key that signs with the algorithm: RSA for RS384, P-384 for ES384."""
    return rsa_key if algorithm == "RS384" else ec_key


@pytest.fixture
def clock() -> Clock:
    """A wall clock stopped at the real current time (so PyJWT's own exp check agrees with it)."""
    return Clock(float(int(time.time())))


@pytest.fixture
def smart(
    algorithm: str, private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, clock: Clock
) -> SmartBackendServices:
    """SMART Backend Services with the fixture's algorithm and key, on the stopped clock."""
    return SmartBackendServices(
        token_url=TOKEN_URL,
        client_id=CLIENT_ID,
        private_key=pem(private_key),
        algorithm=algorithm,
        key_id="key-2026",
        scopes=SCOPES,
        clock=clock,
    )


def token_answer(token: str = ACCESS_TOKEN, expires_in: Any = 300) -> dict[str, Any]:
    """Return a token endpoint's success body."""
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": expires_in,
        "scope": SCOPES,
    }


def form_of(call: Any) -> dict[str, str]:
    """Return the form a token request posted, one value per field."""
    body = call.request.body
    fields = parse_qs(body if isinstance(body, str) else body.decode())
    return {name: values[0] for name, values in fields.items()}


# --- the token request --------------------------------------------------------------------------


def test_token_request_form(server: responses.RequestsMock, smart: SmartBackendServices) -> None:
    """The token request is a client_credentials grant with a JWT-bearer client assertion and the
    configured scopes.
    """
    server.post(TOKEN_URL, json=token_answer())
    assert smart.headers() == {"Authorization": f"Bearer {ACCESS_TOKEN}"}
    form = form_of(server.calls[0])
    assert form["grant_type"] == "client_credentials"
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert form["scope"] == SCOPES
    assert server.calls[0].request.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_client_assertion_verifies_with_the_public_key(
    server: responses.RequestsMock,
    smart: SmartBackendServices,
    algorithm: str,
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    clock: Clock,
) -> None:
    """The assertion is signed with the key and algorithm, names the client and the token URL,
    and lives at most five minutes.
    """
    server.post(TOKEN_URL, json=token_answer())
    smart.headers()
    assertion = form_of(server.calls[0])["client_assertion"]
    claims = jwt.decode(
        assertion,
        private_key.public_key(),
        algorithms=[algorithm],
        audience=TOKEN_URL,
        options={"require": ["iss", "sub", "aud", "exp", "jti"]},
    )
    assert claims["iss"] == claims["sub"] == CLIENT_ID
    assert claims["aud"] == TOKEN_URL
    assert clock.now < claims["exp"] <= clock.now + 300
    assert claims["jti"]
    header = jwt.get_unverified_header(assertion)
    assert header["alg"] == algorithm
    assert header["kid"] == "key-2026"
    assert header["typ"] == "JWT"


def test_each_assertion_has_a_new_jti(smart: SmartBackendServices) -> None:
    """Two assertions never share a jti (the server refuses a replayed one)."""
    first, second = (
        jwt.decode(smart.assertion(), options={"verify_signature": False}) for _ in range(2)
    )
    assert first["jti"] != second["jti"]


def test_jku_is_sent_when_configured(
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, algorithm: str
) -> None:
    """A configured jku (the client's JWK Set URL) is put in the assertion's header."""
    smart = SmartBackendServices(
        token_url=TOKEN_URL,
        client_id=CLIENT_ID,
        private_key=pem(private_key),
        algorithm=algorithm,
        key_id="k",
        jku="https://service.example.org/.well-known/jwks.json",
    )
    assert (
        jwt.get_unverified_header(smart.assertion())["jku"]
        == "https://service.example.org/.well-known/jwks.json"
    )


# --- caching ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expires_in", "advance", "requests_made"),
    [
        # Right away: the cached token.
        pytest.param(300, 0, 1, id="at-once"),
        # One second before the 60 s margin: still cached.
        pytest.param(300, 239, 1, id="before-margin"),
        # At the margin: renewed, so no request carries a token about to lapse.
        pytest.param(300, 240, 2, id="at-margin"),
        # Long after expiry: renewed.
        pytest.param(300, 3600, 2, id="expired"),
        # An hour-long token is kept for most of the hour.
        pytest.param(3600, 3000, 1, id="hour-token"),
        # No expires_in: assumed five minutes, not forever.
        pytest.param(None, 240, 2, id="no-expires-in"),
        # A nonsensical expires_in: assumed five minutes.
        pytest.param(-5, 239, 1, id="negative-expires-in"),
    ],
)
def test_token_is_cached_until_near_expiry(
    server: responses.RequestsMock,
    smart: SmartBackendServices,
    clock: Clock,
    expires_in: Any,
    advance: float,
    requests_made: int,
) -> None:
    """The token is reused until expires_in minus 60 s, then fetched again."""
    server.post(TOKEN_URL, json=token_answer("first", expires_in))
    server.post(TOKEN_URL, json=token_answer("second", expires_in))
    assert smart.headers()["Authorization"] == "Bearer first"
    clock.now += advance
    assert smart.headers()["Authorization"] == (
        "Bearer first" if requests_made == 1 else "Bearer second"
    )
    assert len(server.calls) == requests_made


def test_invalidate_forces_a_new_token(
    server: responses.RequestsMock, smart: SmartBackendServices
) -> None:
    """invalidate() drops the cached token: the next request fetches a new one."""
    server.post(TOKEN_URL, json=token_answer("first"))
    server.post(TOKEN_URL, json=token_answer("second"))
    assert smart.headers()["Authorization"] == "Bearer first"
    smart.invalidate()
    assert smart.headers()["Authorization"] == "Bearer second"
    assert len(server.calls) == 2


# --- token endpoint failures --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        # Unknown client or a signature the server cannot verify.
        pytest.param(
            401,
            {"error": "invalid_client"},
            FhirAuthRefused,
            r"\(401: invalid_client\)",
            id="401-invalid-client",
        ),
        # RFC 6749 also answers invalid_client with 400.
        pytest.param(
            400,
            {"error": "invalid_client", "error_description": "bad kid"},
            FhirAuthRefused,
            r"\(400: invalid_client\)",
            id="400-invalid-client",
        ),
        # Scopes the client may not have.
        pytest.param(
            400,
            {"error": "invalid_scope"},
            FhirAuthRefused,
            r"\(400: invalid_scope\)",
            id="400-invalid-scope",
        ),
        # Forbidden, without a body.
        pytest.param(403, None, FhirAuthRefused, r"\(403\)", id="403"),
        # A 200 without a token.
        pytest.param(
            200, {"token_type": "bearer"}, FhirAuthRefused, "no access_token", id="no-access-token"
        ),
        # A 200 with an empty token.
        pytest.param(
            200, {"access_token": ""}, FhirAuthRefused, "no access_token", id="empty-access-token"
        ),
        # A 200 that is not JSON.
        pytest.param(200, "<html>", FhirAuthRefused, "not JSON", id="not-json"),
        # The authorization server is down: worth trying again later.
        pytest.param(503, None, FhirTemporaryError, "answered 503", id="503"),
        # An internal error.
        pytest.param(500, {"error": "server_error"}, FhirTemporaryError, "answered 500", id="500"),
    ],
)
def test_token_endpoint_failure(
    server: responses.RequestsMock,
    smart: SmartBackendServices,
    status: int,
    body: Any,
    error: type[Exception],
    message: str,
) -> None:
    """A refusal by the token endpoint is FhirAuthRefused naming the OAuth error; an outage is
    FhirTemporaryError.
    """
    if isinstance(body, str):
        server.post(TOKEN_URL, status=status, body=body)
    else:
        server.post(TOKEN_URL, status=status, json=body)
    with pytest.raises(error, match=message) as caught:
        smart.headers()
    assert "PRIVATE KEY" not in str(caught.value)


def test_token_endpoint_unreachable(
    server: responses.RequestsMock, smart: SmartBackendServices
) -> None:
    """A connection failure to the token endpoint is FhirTemporaryError."""
    server.post(TOKEN_URL, body=requests.ConnectionError("refused"))
    with pytest.raises(FhirTemporaryError, match="could not be reached"):
        smart.headers()


def test_long_oauth_error_is_not_echoed(
    server: responses.RequestsMock, smart: SmartBackendServices
) -> None:
    """Only a short ASCII OAuth error code is quoted; anything longer (which could carry
    anything) is left out.
    """
    server.post(TOKEN_URL, status=400, json={"error": "x" * 100})
    with pytest.raises(FhirAuthRefused) as caught:
        smart.headers()
    assert "xxx" not in caught.value.message


def test_failed_token_request_is_not_cached(
    server: responses.RequestsMock, smart: SmartBackendServices
) -> None:
    """After a failed token request the next call tries again (nothing half-fetched is kept)."""
    server.post(TOKEN_URL, status=503)
    server.post(TOKEN_URL, json=token_answer())
    with pytest.raises(FhirTemporaryError):
        smart.headers()
    assert smart.headers() == {"Authorization": f"Bearer {ACCESS_TOKEN}"}


def test_token_endpoint_redirect_is_not_followed(
    server: responses.RequestsMock, smart: SmartBackendServices
) -> None:
    """A redirect from the token endpoint is not followed (the assertion would go elsewhere)."""
    server.post(TOKEN_URL, status=307, headers={"Location": "https://evil.example.com/token"})
    server.post("https://evil.example.com/token", json=token_answer())
    with pytest.raises(FhirTemporaryError, match="answered 307"):
        smart.headers()
    assert [call.request.url for call in server.calls] == [TOKEN_URL]


# --- construction -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "refused",
    [
        # A shared secret: not an asymmetric client assertion.
        pytest.param("HS256", id="HS256"),
        # Unsigned.
        pytest.param("none", id="none"),
        # Asymmetric, but not one SMART lists.
        pytest.param("RS256", id="RS256"),
        # Asymmetric, but not one SMART lists.
        pytest.param("ES256", id="ES256"),
        # Asymmetric, but not one SMART lists.
        pytest.param("PS384", id="PS384"),
    ],
)
def test_other_algorithms_are_refused_at_construction(
    rsa_key: rsa.RSAPrivateKey, refused: str
) -> None:
    """Only RS384 and ES384 are accepted; any other algorithm fails when the auth is built, not
    at the first request.
    """
    with pytest.raises(ValueError, match="RS384 or ES384"):
        SmartBackendServices(
            token_url=TOKEN_URL,
            client_id=CLIENT_ID,
            private_key=pem(rsa_key),
            algorithm=refused,
            key_id="k",
        )


@pytest.mark.parametrize(
    ("algorithm", "key"),
    [
        # An EC key cannot sign RS384.
        pytest.param("RS384", "ec", id="ec-key-for-rs384"),
        # An RSA key cannot sign ES384.
        pytest.param("ES384", "rsa", id="rsa-key-for-es384"),
        # Not a PEM at all.
        pytest.param("RS384", "garbage", id="not-pem"),
    ],
)
def test_unusable_key_is_refused_at_construction(
    rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey, algorithm: str, key: str
) -> None:
    """A key that cannot sign with the algorithm fails when the auth is built, without quoting
    the key.
    """
    text = {
        "ec": pem(ec_key),
        "rsa": pem(rsa_key),
        "garbage": "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n",
    }[key]
    with pytest.raises(ValueError, match=f"cannot sign {algorithm}") as caught:
        SmartBackendServices(
            token_url=TOKEN_URL,
            client_id=CLIENT_ID,
            private_key=text,
            algorithm=algorithm,
            key_id="k",
        )
    assert "PRIVATE KEY" not in str(caught.value)
    assert "c2VjcmV0" not in str(caught.value)


def test_repr_never_shows_the_key_or_token(
    server: responses.RequestsMock, smart: SmartBackendServices
) -> None:
    """repr and str of the auth name the endpoint and client, never the private key or the access
    token.
    """
    server.post(TOKEN_URL, json=token_answer())
    smart.headers()
    for text in (repr(smart), str(smart)):
        assert "PRIVATE KEY" not in text
        assert ACCESS_TOKEN not in text
        assert CLIENT_ID in text


# --- bearer and none ----------------------------------------------------------------------------


def test_bearer_token_header() -> None:
    """A bearer token is sent as is, and cannot be refreshed."""
    auth = BearerToken(ACCESS_TOKEN)
    assert auth.headers() == {"Authorization": f"Bearer {ACCESS_TOKEN}"}
    assert auth.refreshable is False
    auth.invalidate()
    assert auth.headers() == {"Authorization": f"Bearer {ACCESS_TOKEN}"}


@pytest.mark.parametrize(
    "token",
    [
        # Nothing.
        pytest.param("", id="empty"),
        # A header injection attempt.
        pytest.param("abc\r\nX-Admin: yes", id="crlf"),
        # A stray newline (a file read without stripping).
        pytest.param("abc\n", id="trailing-newline"),
        # A carriage return alone.
        pytest.param("abc\rdef", id="cr"),
    ],
)
def test_bearer_token_refuses_empty_or_multiline(token: str) -> None:
    """An empty or multi-line bearer token is refused when built."""
    with pytest.raises(ValueError, match="non-empty single line"):
        BearerToken(token)


def test_bearer_token_repr_hides_the_token() -> None:
    """repr of a bearer token never shows it."""
    assert ACCESS_TOKEN not in repr(BearerToken(ACCESS_TOKEN))


def test_no_auth() -> None:
    """NoAuth adds no header and cannot be refreshed."""
    auth = NoAuth()
    assert auth.headers() == {}
    assert auth.refreshable is False
    assert repr(auth) == "NoAuth()"
