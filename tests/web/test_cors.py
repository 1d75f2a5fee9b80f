"""CORS: the CDS Hooks endpoints answer browsers of the configured origins (preflight included);
the REST API only if configured.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from service import create_app
from service.config import origin_list
from service.errors import ConfigError

SANDBOX = "https://sandbox.cds-hooks.org"
PREFLIGHT = {
    "Origin": SANDBOX,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


def client_with(tmp_path: Path, **config: object) -> FlaskClient:
    """A test client of an app with extra settings."""
    return create_app(
        {"TESTING": True, "CDS_FEEDBACK_DB": str(tmp_path / "cds.sqlite3"), **config}
    ).test_client()


@pytest.mark.parametrize(
    "path",
    [
        "/cds-services",
        "/cds-services/trial-eligibility",
        "/cds-services/trial-eligibility/feedback",
    ],
)
def test_preflight_from_a_configured_origin_is_allowed(tmp_path: Path, path: str) -> None:
    """OPTIONS from a configured origin is a 204 allowing POST with Authorization and
    Content-Type, and no token is asked for.
    """
    response = client_with(tmp_path, CDS_CORS_ORIGINS=[SANDBOX]).options(path, headers=PREFLIGHT)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == SANDBOX
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert {"authorization", "content-type"} <= {
        h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")
    }


def test_a_call_from_a_configured_origin_may_read_the_answer_and_its_401(tmp_path: Path) -> None:
    """A hook call from a configured origin carries Access-Control-Allow-Origin, and exposes
    WWW-Authenticate on a 401.
    """
    response = client_with(tmp_path, CDS_CORS_ORIGINS=[SANDBOX]).post(
        "/cds-services/trial-eligibility", json={}, headers={"Origin": SANDBOX}
    )
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == SANDBOX
    assert "WWW-Authenticate" in response.headers["Access-Control-Expose-Headers"]


def test_another_origin_gets_no_cors_headers(tmp_path: Path) -> None:
    """An origin that is not configured gets no Access-Control-Allow-Origin (the browser then
    blocks it).
    """
    client = client_with(tmp_path, CDS_CORS_ORIGINS=[SANDBOX])
    response = client.options(
        "/cds-services/trial-eligibility", headers={**PREFLIGHT, "Origin": "https://evil.example"}
    )
    assert "Access-Control-Allow-Origin" not in response.headers
    assert (
        "Access-Control-Allow-Origin"
        not in client.get("/cds-services", headers={"Origin": "https://evil.example"}).headers
    )


def test_the_rest_api_has_no_cors_by_default(tmp_path: Path) -> None:
    """The CDS origins do not open the REST API: no CORS headers on /eligibility unless
    API_CORS_ORIGINS is set.
    """
    client = client_with(tmp_path, CDS_CORS_ORIGINS=[SANDBOX])
    response = client.options("/eligibility", headers=PREFLIGHT)
    assert "Access-Control-Allow-Origin" not in response.headers


def test_the_rest_api_allows_its_configured_origins(tmp_path: Path) -> None:
    """API_CORS_ORIGINS opens the REST API to those origins."""
    response = client_with(tmp_path, API_CORS_ORIGINS="https://app.example").get(
        "/trials", headers={"Origin": "https://app.example"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"


def test_star_allows_any_origin(tmp_path: Path) -> None:
    """CDS_CORS_ORIGINS=* answers any origin with Access-Control-Allow-Origin: *."""
    response = client_with(tmp_path, CDS_CORS_ORIGINS="*").get(
        "/cds-services", headers={"Origin": "https://any.example"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "value", [["https://sandbox.cds-hooks.org/path"], ["sandbox.cds-hooks.org"], 7]
)
def test_a_malformed_origin_is_a_config_error(value: object) -> None:
    """An origin with a path, without a scheme, or not a list is a ConfigError naming the
    setting.
    """
    with pytest.raises(ConfigError, match="CDS_CORS_ORIGINS"):
        origin_list(value, "CDS_CORS_ORIGINS")
