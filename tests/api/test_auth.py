"""REST API authentication: bearer JWTs (issuer, key, audience, scope) or none; with a FHIR
server, none only when said.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import create_app
from service.errors import ConfigError
from service.server.wsgi import serve_app
from tests.helpers.cds import LocalServer
from tests.helpers.jwt import Keys, hmac_with_public_key

ISSUER = "https://idp.hospital.example"
AUDIENCE = "https://eligibility.hospital.example"
SCOPE = "eligibility.evaluate"
BODY = {"patientId": "nct06761417-age-30", "asOf": "2020-01-01"}


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory, jwks_server: LocalServer) -> Flask:
    """An app with API_AUTH=jwt trusting one issuer."""
    return create_app(
        {
            "TESTING": True,
            "CDS_FEEDBACK_DB": str(tmp_path_factory.mktemp("auth") / "cds.sqlite3"),
            "API_AUTH": "jwt",
            "API_JWT_ISSUERS": {ISSUER: f"{jwks_server.url}/jwks.json"},
            "API_JWT_AUDIENCE": AUDIENCE,
        }
    )


@pytest.fixture
def client(secured: Flask) -> FlaskClient:
    """A test client of the secured app."""
    return secured.test_client()


def token(key: Any, alg: str = "RS384", kid: str = "rsa-1", **overrides: Any) -> str:
    """An access token for the API, changed by `overrides`."""
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 300,
        "scope": f"openid {SCOPE}",
        "sub": "svc-1",
        **overrides,
    }
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid})


def bearer(value: str) -> dict[str, str]:
    """An Authorization header."""
    return {"Authorization": f"Bearer {value}"}


def test_a_valid_token_is_accepted(client: FlaskClient, keys: Keys) -> None:
    """An RS384 token from the trusted issuer, with the audience and scope, gets the report."""
    response = client.post("/eligibility", json=BODY, headers=bearer(token(keys.rsa)))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["patientId"] == "nct06761417-age-30"


def test_an_es384_token_with_scp_list_is_accepted(client: FlaskClient, keys: Keys) -> None:
    """An ES384 token carrying its scopes as an scp list is accepted too."""
    response = client.get(
        "/trials", headers=bearer(token(keys.ec, "ES384", "ec-1", scope=None, scp=[SCOPE]))
    )
    assert response.status_code == 200
    assert len(response.get_json()["trials"]) == 5


def test_no_token_is_a_401_with_www_authenticate(client: FlaskClient) -> None:
    """No Authorization header: 401 naming the Bearer scheme in WWW-Authenticate (RFC 6750
    section 3).
    """
    response = client.post("/eligibility", json=BODY)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer realm=")
    assert response.get_json()["details"]["reason"] == "missing-authorization"


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        # Signed by a key the issuer never published.
        ("stranger", "unknown-kid"),
        # For another API.
        ("wrong-aud", "wrong-aud"),
        # From an issuer not configured.
        ("unknown-iss", "unknown-iss"),
        # Expired beyond the leeway.
        ("expired", "expired"),
        # HMAC keyed with the public key.
        ("hmac", "alg-not-allowed"),
    ],
)
def test_a_bad_token_is_a_401_saying_why(
    client: FlaskClient, keys: Keys, case: str, reason: str
) -> None:
    """Each failed check is a 401 with invalid_token in WWW-Authenticate and the check in
    details.reason.
    """
    value = {
        "stranger": lambda: token(keys.stranger, kid="other"),
        "wrong-aud": lambda: token(keys.rsa, aud="https://other.example"),
        "unknown-iss": lambda: token(keys.rsa, iss="https://evil.example"),
        "expired": lambda: token(keys.rsa, exp=int(time.time()) - 600),
        "hmac": lambda: hmac_with_public_key(keys),
    }[case]()
    response = client.post("/eligibility", json=BODY, headers=bearer(value))
    assert response.status_code == 401
    assert response.get_json()["details"]["reason"] == reason
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_token_without_the_scope_is_a_403(client: FlaskClient, keys: Keys) -> None:
    """A valid token without the API's scope is 403 insufficient_scope naming the scope."""
    response = client.post(
        "/eligibility", json=BODY, headers=bearer(token(keys.rsa, scope="openid profile"))
    )
    assert response.status_code == 403
    assert f'scope="{SCOPE}"' in response.headers["WWW-Authenticate"]


def test_the_pages_need_a_token_too(client: FlaskClient, keys: Keys) -> None:
    """A patient page is refused without a token (401 naming Bearer) and served with one: pages
    reach patient data too.
    """
    refused = client.get("/ui/patients/nct06761417-eligible")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer realm=")
    served = client.get("/ui/patients/nct06761417-eligible", headers=bearer(token(keys.rsa)))
    assert served.status_code == 200
    assert "nct06761417-eligible" in served.get_data(as_text=True)


def test_population_screens_need_a_token_too(client: FlaskClient) -> None:
    """Starting a population screen without a token is a 401: a screen reads every patient of a
    hospital.
    """
    response = client.post(
        "/population-screens", json={"asOf": "2026-11-20", "input": {"ndjson": "file:///tmp/none"}}
    )
    assert response.status_code == 401
    assert response.get_json()["details"]["reason"] == "missing-authorization"


def test_health_needs_no_token(client: FlaskClient) -> None:
    """GET /health answers without credentials (liveness probes carry none)."""
    assert client.get("/health").status_code == 200


def test_the_demo_without_a_fhir_server_is_open_by_default(tmp_path: Path) -> None:
    """With no FHIR server (bundled fixtures only) and API_AUTH unset, the REST API needs no
    token.
    """
    app = create_app({"TESTING": True, "CDS_FEEDBACK_DB": str(tmp_path / "cds.sqlite3")})
    assert app.test_client().post("/eligibility", json=BODY).status_code == 200


def test_a_fhir_server_without_api_auth_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FHIR_BASE_URL set and API_AUTH unset: the served app (service.server.wsgi) does not start,
    naming ELIGIBILITY_API_AUTH.
    """
    monkeypatch.setenv("ELIGIBILITY_FHIR_BASE_URL", "http://127.0.0.1:9/fhir")
    monkeypatch.setenv("ELIGIBILITY_CDS_FEEDBACK_DB", str(tmp_path / "cds.sqlite3"))
    monkeypatch.delenv("ELIGIBILITY_API_AUTH", raising=False)
    with pytest.raises(ConfigError, match="ELIGIBILITY_API_AUTH"):
        serve_app()


def test_an_undecided_app_built_in_process_refuses_every_rest_call(tmp_path: Path) -> None:
    """Built directly (as the CLI does) with a FHIR server and no API_AUTH, the app answers REST
    calls 503, never a report.
    """
    app = create_app(
        {
            "TESTING": True,
            "CDS_FEEDBACK_DB": str(tmp_path / "cds.sqlite3"),
            "FHIR_BASE_URL": "http://127.0.0.1:9/fhir",
        }
    )
    response = app.test_client().post("/eligibility", json=BODY)
    assert response.status_code == 503
    assert response.get_json()["details"]["reason"] == "api-auth-undecided"


def test_api_auth_none_with_a_fhir_server_starts_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """FHIR_BASE_URL with API_AUTH=none set explicitly starts, and logs a warning that the API is
    open.
    """
    with caplog.at_level(logging.WARNING, logger="service.api.auth"):
        create_app(
            {
                "TESTING": True,
                "CDS_FEEDBACK_DB": str(tmp_path / "cds.sqlite3"),
                "FHIR_BASE_URL": "http://127.0.0.1:9/fhir",
                "API_AUTH": "none",
            }
        )
    assert any("ELIGIBILITY_API_AUTH=none" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("config", "names"),
    [
        ({"API_AUTH": "maybe"}, "ELIGIBILITY_API_AUTH"),
        ({"API_AUTH": "jwt", "API_JWT_AUDIENCE": AUDIENCE}, "ELIGIBILITY_API_JWT_ISSUERS"),
        (
            {"API_AUTH": "jwt", "API_JWT_ISSUERS": {ISSUER: "http://127.0.0.1:9/jwks.json"}},
            "ELIGIBILITY_API_JWT_AUDIENCE",
        ),
    ],
)
def test_bad_api_auth_settings_are_config_errors(
    tmp_path: Path, config: dict[str, Any], names: str
) -> None:
    """An unknown mode, or jwt without issuers or audience, stops start-up naming the setting."""
    with pytest.raises(ConfigError, match=names):
        create_app({"TESTING": True, "CDS_FEEDBACK_DB": str(tmp_path / "cds.sqlite3"), **config})
