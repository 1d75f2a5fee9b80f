"""Every answer: no caching, no sniffing; credentials in a query string refused; refused calls
logged with their reason.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from service import create_app
from tests.helpers.cds import LocalServer

JWT = "eyJhbGciOiJSUzM4NCJ9.eyJpc3MiOiJodHRwczovL2VociJ9.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/health"),
        ("GET", "/trials"),
        ("POST", "/eligibility"),
        ("GET", "/trials/NCT00000000"),
    ],
)
def test_answers_are_not_cached_nor_sniffed(client: FlaskClient, method: str, path: str) -> None:
    """Answers (reports and errors alike) carry Cache-Control: no-store and
    X-Content-Type-Options: nosniff.
    """
    response = client.open(
        path, method=method, json={"patientId": "nct06761417-age-30"} if method == "POST" else None
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "query", [f"access_token={JWT}", f"jwt={JWT}", "ACCESS_TOKEN=abc", f"x={JWT}", "token=opaque"]
)
def test_a_token_in_the_query_string_is_refused(client: FlaskClient, query: str) -> None:
    """A credential in the query string (by parameter name, or any JWT) is a 400
    credentials-in-query, before any other check.
    """
    response = client.post(f"/cds-services/trial-eligibility?{query}", json={})
    assert response.status_code == 400
    assert response.get_json()["error"] == "credentials-in-query"


def test_an_ordinary_query_string_is_accepted(client: FlaskClient) -> None:
    """A query string without credentials does not trip the check."""
    assert client.get("/health?verbose=1").status_code == 200


def test_a_refused_call_is_logged_with_its_reason_and_without_the_query(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A 401 leaves one warning line naming method, route template, status and reason; the query
    string (and its token) is not in it.
    """
    with caplog.at_level(logging.WARNING, logger="service.web.errorhandlers"):
        client.post("/cds-services/trial-eligibility?x=1", json={"hook": "patient-view"})
    lines = [r.getMessage() for r in caplog.records if r.name == "service.web.errorhandlers"]
    assert len(lines) == 1
    assert "POST /cds-services/<service_id> -> 401 unauthorized (missing-authorization)" in lines[0]
    assert "x=1" not in lines[0]


def test_a_bad_request_is_logged_with_its_message(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A 400 is logged with the service's own message (which quotes no patient data)."""
    with caplog.at_level(logging.WARNING, logger="service.web.errorhandlers"):
        client.post("/eligibility", data=b"{not json", content_type="application/json")
    assert any(
        "400 bad-request" in r.getMessage() and "not valid JSON" in r.getMessage()
        for r in caplog.records
    )


def test_a_missing_patient_is_logged_without_its_id(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A 404 for a patient id is logged by code only: the id is patient data."""
    with caplog.at_level(logging.WARNING, logger="service.web.errorhandlers"):
        response = client.post("/eligibility", json={"patientId": "secret-patient-42"})
    assert response.status_code == 404
    messages = [r.getMessage() for r in caplog.records if r.name == "service.web.errorhandlers"]
    assert messages
    assert all("secret-patient-42" not in m for m in messages)


def test_a_fhir_servers_error_text_is_not_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A FHIR server that echoes the patient's name in its OperationOutcome: the name reaches no
    log line (only the search and status).
    """
    echo = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "invalid",
                "diagnostics": "Invalid search for patient pt-echo name=Hyatt birthDate=1975-05-05",
            }
        ],
    }
    patient = {
        "resourceType": "Patient",
        "id": "pt-echo",
        "birthDate": "1975-05-05",
        "gender": "female",
    }
    with LocalServer(
        lambda path, params: (200, patient) if path.endswith("/Patient/pt-echo") else (400, echo)
    ) as fhir:
        app = create_app(
            {
                "TESTING": True,
                "CDS_FEEDBACK_DB": str(tmp_path / "cds.sqlite3"),
                "FHIR_BASE_URL": f"{fhir.url}/fhir",
                "API_AUTH": "none",
            }
        )
        with caplog.at_level(logging.DEBUG):
            response = app.test_client().post(
                "/eligibility",
                json={"patientId": "pt-echo", "asOf": "2026-01-01", "trials": ["NCT06761417"]},
            )
    assert response.status_code == 200
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "fhir search failed" in logged
    assert "Hyatt" not in logged
    assert "1975-05-05" not in logged
