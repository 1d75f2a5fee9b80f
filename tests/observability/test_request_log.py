"""The JSON request line: its fields, the request id, the refusal reason, and nothing that
identifies the patient.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from service import create_app
from service.cds.issued import patient_hash
from tests.helpers.logs import log_lines, request_lines

TRIAL = "NCT06761417"
AS_OF = "2020-01-01"
FIXTURE_PATIENT = "nct06761417-eligible"
# A patient whose id, name and birth date are distinctive enough to be found anywhere in the log.
ODD_ID = "zq-7731-patient"
ODD_FAMILY = "Quixotexyz"
ODD_BIRTH = "1975-05-05"
PATIENT = {
    "resourceType": "Patient",
    "id": ODD_ID,
    "birthDate": ODD_BIRTH,
    "gender": "female",
    "name": [{"family": ODD_FAMILY, "given": ["Zebulon"]}],
}
BUNDLE = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": PATIENT}]}
# Shaped like a JWT (header.payload.signature): it is refused, and must not be written anywhere.
# S105: a test token.
TOKEN = (
    "eyJhbGciOiJSUzM4NCIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0"  # noqa: S105
    ".eyJpc3MiOiJodHRwczovL2VociIsInN1YiI6InNlY3JldCJ9"
    ".c2lnbmF0dXJlLXNlY3JldC14eXo"
)
HASH_KEY = "a-key-of-at-least-sixteen-characters"


def app_for(tmp_path: Path, **config: Any):  # type: ignore[no-untyped-def]
    """An app with its CDS store under tmp_path."""
    return create_app({"TESTING": True, "CDS_FEEDBACK_DB": str(tmp_path / "cds.sqlite3"), **config})


def test_one_line_per_request_with_its_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An evaluation writes one request line: method, route template, status, duration, trial
    ids, request id.
    """
    client = app_for(tmp_path).test_client()
    log_lines(capsys)
    response = client.post(f"/trials/{TRIAL}/eligibility", json={"bundle": BUNDLE, "asOf": AS_OF})
    _, lines = log_lines(capsys)
    [line] = request_lines(lines)
    assert response.status_code == 200
    assert {k: line[k] for k in ("method", "route", "status", "trial_ids", "level")} == {
        "method": "POST",
        "route": "/trials/<trial_id>/eligibility",
        "status": 200,
        "trial_ids": [TRIAL],
        "level": "info",
    }
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] > 0
    assert line["request_id"] == response.headers["X-Request-ID"]


def test_a_sane_request_id_is_kept_and_echoed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A caller's X-Request-ID of letters, digits and ._- is used in the log and echoed in the
    answer.
    """
    client = app_for(tmp_path).test_client()
    log_lines(capsys)
    response = client.get("/health", headers={"X-Request-ID": "lb-2026.12_02-abc"})
    _, lines = log_lines(capsys)
    assert response.headers["X-Request-ID"] == "lb-2026.12_02-abc"
    assert [line["request_id"] for line in request_lines(lines)] == ["lb-2026.12_02-abc"]


@pytest.mark.parametrize(
    "sent",
    ["has space", 'quote"d', "x" * 129, "semi;colon", ""],
    ids=["space", "quote", "too-long", "semicolon", "empty"],
)
def test_an_unsafe_request_id_is_replaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sent: str
) -> None:
    """An X-Request-ID that is not a plain token of at most 128 characters is replaced by a made
    one (never logged as sent).
    """
    client = app_for(tmp_path).test_client()
    log_lines(capsys)
    response = client.get("/health", headers={"X-Request-ID": sent})
    raw, lines = log_lines(capsys)
    made = response.headers["X-Request-ID"]
    assert made != sent
    assert len(made) == 32
    assert [line["request_id"] for line in request_lines(lines)] == [made]
    assert sent not in raw or sent == ""


def test_the_route_template_never_the_raw_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown path is logged as <unmatched>, a known one by its template; the path's own text
    is in no line.
    """
    client = app_for(tmp_path).test_client()
    log_lines(capsys)
    client.get(f"/trials/{ODD_ID}")
    client.get(f"/nothing/{ODD_ID}")
    _, lines = log_lines(capsys)
    assert [(line["route"], line["status"]) for line in request_lines(lines)] == [
        ("/trials/<trial_id>", 404),
        ("<unmatched>", 404),
    ]
    assert all(ODD_ID not in str(line) for line in lines)


def test_a_refusal_logs_its_problem_type_and_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 4xx request line carries the problem type, title and reason (the error code)."""
    client = app_for(tmp_path).test_client()
    log_lines(capsys)
    client.post(f"/trials/{TRIAL}/eligibility", json={"bundle": BUNDLE, "asOf": "2020-13-01"})
    _, lines = log_lines(capsys)
    [line] = request_lines(lines)
    assert {k: line[k] for k in ("status", "problem_type", "title", "reason")} == {
        "status": 400,
        "problem_type": "urn:trial-eligibility:problem:bad-request",
        "title": "Bad Request",
        "reason": "bad-request",
    }


def test_a_cds_jwt_refusal_logs_the_jwt_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CDS call with a JWT from no trusted issuer is logged with the verifier's reason, not
    only "unauthorized".
    """
    client = app_for(tmp_path).test_client()
    log_lines(capsys)
    response = client.post(
        "/cds-services/trial-eligibility",
        json={"hook": "patient-view"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    _, lines = log_lines(capsys)
    [line] = request_lines(lines)
    assert response.status_code == 401
    assert (line["route"], line["status"], line["reason"]) == (
        "/cds-services/<service_id>",
        401,
        response.get_json()["details"]["reason"],
    )
    assert line["reason"] not in ("", "unauthorized", "other")


def test_no_patient_id_name_birth_date_or_token_anywhere_in_the_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Real requests (inline Bundle, by id, a refused CDS call with a token, a bad request) leave
    no identifier in the whole output.
    """
    client = app_for(tmp_path, CDS_PATIENT_HASH_KEY=HASH_KEY).test_client()
    log_lines(capsys)
    client.post("/eligibility", json={"bundle": BUNDLE, "asOf": AS_OF})
    client.post(f"/trials/{TRIAL}/eligibility", json={"patientId": FIXTURE_PATIENT, "asOf": AS_OF})
    client.post("/eligibility", json={"patientId": ODD_ID, "asOf": AS_OF})  # not a fixture: 404
    client.post(
        "/cds-services/trial-eligibility",
        json={"hook": "patient-view", "context": {"patientId": ODD_ID}},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    client.get(f"/health?access_token={TOKEN}")
    client.get(f"/patients/{ODD_ID}/{ODD_BIRTH}")  # no such route: its path is never written
    raw, lines = log_lines(capsys)
    assert len(request_lines(lines)) == 6
    for secret in (
        ODD_ID,
        FIXTURE_PATIENT,
        ODD_FAMILY,
        "Zebulon",
        ODD_BIRTH,
        TOKEN,
        TOKEN.split(".")[1],
        TOKEN.split(".")[2],
        "2011-03-02",
    ):
        assert secret not in raw, secret


def test_the_patient_is_correlated_by_the_keyed_hash_of_issued_cards(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With CDS_PATIENT_HASH_KEY set, an evaluation's line has the same HMAC issued cards store;
    without it, no patient field.
    """
    keyed = app_for(tmp_path, CDS_PATIENT_HASH_KEY=HASH_KEY).test_client()
    plain = app_for(tmp_path / "plain").test_client()
    log_lines(capsys)
    keyed.post("/eligibility", json={"bundle": BUNDLE, "asOf": AS_OF})
    plain.post("/eligibility", json={"bundle": BUNDLE, "asOf": AS_OF})
    _, lines = log_lines(capsys)
    first, second = request_lines(lines)
    assert first["patient_hash"] == patient_hash(HASH_KEY.encode(), ODD_ID)
    assert "patient_hash" not in second


def test_stdlib_logging_calls_are_json_lines_with_the_request_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plain `logging` call inside a request (the refusal warning) is a JSON line carrying that
    request's id.
    """
    client = app_for(tmp_path).test_client()
    log_lines(capsys)
    response = client.get("/trials/NCT00000000", headers={"X-Request-ID": "rid-1"})
    _, lines = log_lines(capsys)
    warnings = [line for line in lines if line.get("logger") == "service.web.errorhandlers"]
    assert response.status_code == 404
    assert [(w["level"], w["request_id"]) for w in warnings] == [("warning", "rid-1")]
    assert warnings[0]["event"].startswith("refused GET")


def test_outside_a_request_a_stdlib_line_is_json_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A module's logging call outside any request is one JSON object with level, logger and
    time, and no request id.
    """
    app_for(tmp_path)
    log_lines(capsys)
    logging.getLogger("service.somewhere").warning("something %s", "happened")
    _, lines = log_lines(capsys)
    [line] = lines
    assert (line["event"], line["level"], line["logger"], "request_id" in line) == (
        "something happened",
        "warning",
        "service.somewhere",
        False,
    )
    assert line["ts"].endswith("Z")


def test_creating_apps_again_does_not_duplicate_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each create_app replaces the JSON handler: one call, one line, however many apps were
    built.
    """
    app_for(tmp_path / "a")
    client = app_for(tmp_path / "b").test_client()
    log_lines(capsys)
    client.get("/health")
    _, lines = log_lines(capsys)
    assert len(request_lines(lines)) == 1


def test_an_unknown_log_level_stops_start_up(tmp_path: Path) -> None:
    """ELIGIBILITY_LOG_LEVEL that names no level is a start-up error naming the setting."""
    with pytest.raises(Exception, match="ELIGIBILITY_LOG_LEVEL must be one of"):
        app_for(tmp_path, LOG_LEVEL="chatty")


def test_log_level_warning_drops_the_info_request_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """At LOG_LEVEL=WARNING a 200's info request line is not written, a refusal's warning is."""
    client = app_for(tmp_path, LOG_LEVEL="WARNING").test_client()
    log_lines(capsys)
    client.get("/health")
    client.get("/trials/NCT00000000")
    _, lines = log_lines(capsys)
    app_for(tmp_path)  # back to INFO for the tests that follow
    assert [line["logger"] for line in lines] == ["service.web.errorhandlers"]
