"""The FHIR client's line and metrics per GET: resource type, status, tries, duration, outcome;
never the URL or the patient's id.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses
from prometheus_client import REGISTRY

from service.errors import FhirFatalError, FhirTemporaryError, PatientNotFound
from service.observability.logs import configure_logging
from service.records.fhir.client import ClientSettings, Deadline, FhirClient
from tests.helpers.fakes import BASE, Clock, observation, searchset
from tests.helpers.logs import log_lines

PATIENT_ID = "pt-8812-secret"


@pytest.fixture
def server() -> Iterator[responses.RequestsMock]:
    """The mocked HTTP layer of the client (a unit test of the HTTP client)."""
    configure_logging()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def client() -> FhirClient:
    """A client of BASE that does not really sleep between tries."""
    return FhirClient(BASE, settings=ClientSettings(tries=3, backoff=0.0), sleep=lambda _: None)


def deadline() -> Deadline:
    """A generous deadline on a clock that does not move."""
    return Deadline(30.0, clock=Clock())


def fetch_lines(capsys: pytest.CaptureFixture[str]) -> tuple[str, list[dict[str, object]]]:
    """The raw output, and the client's fetch lines in it."""
    raw, lines = log_lines(capsys)
    return raw, [line for line in lines if line.get("logger") == "service.records.fhir.fetch"]


def value(name: str, **labels: str) -> float:
    """A sample's current value (0 when never observed)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_search_page_is_one_line_with_type_status_tries_and_duration(
    server: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    """A search answered at once writes one line: resource type, 200, one try, a duration,
    outcome ok.
    """
    server.get(BASE + "Observation", json=searchset(observation("o1", PATIENT_ID)))
    log_lines(capsys)
    client().search("Observation", [("patient", f"Patient/{PATIENT_ID}")], deadline())
    raw, [line] = fetch_lines(capsys)
    assert {k: line[k] for k in ("event", "resource_type", "status", "tries", "outcome")} == {
        "event": "fhir fetch",
        "resource_type": "Observation",
        "status": 200,
        "tries": 1,
        "outcome": "ok",
    }
    assert isinstance(line["duration_ms"], float)
    assert PATIENT_ID not in raw
    assert "fhir.example.org" not in raw


def test_retries_are_counted_in_tries(
    server: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 503 then a 200 is one line with tries 2 and the final status."""
    server.get(BASE + "Condition", status=503)
    server.get(BASE + "Condition", json=searchset())
    log_lines(capsys)
    client().search("Condition", [("patient", f"Patient/{PATIENT_ID}")], deadline())
    raw, fetches = fetch_lines(capsys)
    assert [(f["tries"], f["status"], f["outcome"]) for f in fetches] == [(2, 200, "ok")]
    assert PATIENT_ID not in raw


def test_a_failed_fetch_is_a_warning_and_counted_by_type_and_error(
    server: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    """Three 503s: a warning line (tries 3, status 503) and one more fhir_fetch_failures_total
    for the type and error code.
    """
    server.get(BASE + "Procedure", status=503)
    before = value(
        "eligibility_fhir_fetch_failures_total",
        resource_type="Procedure",
        error="fhir-server-unavailable",
    )
    log_lines(capsys)
    with pytest.raises(FhirTemporaryError):
        client().search("Procedure", [("patient", f"Patient/{PATIENT_ID}")], deadline())
    _, fetches = fetch_lines(capsys)
    assert [(f["level"], f["tries"], f["status"], f["outcome"]) for f in fetches] == [
        ("warning", 3, 503, "fhir-server-unavailable")
    ]
    assert (
        value(
            "eligibility_fhir_fetch_failures_total",
            resource_type="Procedure",
            error="fhir-server-unavailable",
        )
        - before
        == 1.0
    )


def test_a_missing_patient_is_not_a_server_failure(
    server: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 404 Patient read is outcome not-found in the latency histogram, and no failure is
    counted.
    """
    server.get(BASE + f"Patient/{PATIENT_ID}", status=404)
    before = (
        value(
            "eligibility_fhir_fetch_duration_seconds_count",
            resource_type="Patient",
            outcome="not-found",
        ),
        value(
            "eligibility_fhir_fetch_failures_total",
            resource_type="Patient",
            error="fhir-server-error",
        ),
    )
    log_lines(capsys)
    with pytest.raises(PatientNotFound):
        client().read("Patient", PATIENT_ID, deadline())
    raw, fetches = fetch_lines(capsys)
    after = (
        value(
            "eligibility_fhir_fetch_duration_seconds_count",
            resource_type="Patient",
            outcome="not-found",
        ),
        value(
            "eligibility_fhir_fetch_failures_total",
            resource_type="Patient",
            error="fhir-server-error",
        ),
    )
    assert (after[0] - before[0], after[1] - before[1]) == (1.0, 0.0)
    assert [(f["level"], f["status"]) for f in fetches] == [("info", 404)]
    assert PATIENT_ID not in raw


def test_an_error_inside_a_200_searchset_is_counted_as_a_failure(
    server: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 200 searchset carrying an error OperationOutcome counts as a failed fetch
    (error-in-answer), never as "no records".
    """
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [
            {"severity": "error", "code": "processing", "diagnostics": f"Patient/{PATIENT_ID}"}
        ],
    }
    server.get(BASE + "MedicationRequest", json=searchset(outcome))
    before = value(
        "eligibility_fhir_fetch_failures_total",
        resource_type="MedicationRequest",
        error="error-in-answer",
    )
    log_lines(capsys)
    with pytest.raises(FhirFatalError):
        client().search("MedicationRequest", [("patient", f"Patient/{PATIENT_ID}")], deadline())
    raw, fetches = fetch_lines(capsys)
    assert (
        value(
            "eligibility_fhir_fetch_failures_total",
            resource_type="MedicationRequest",
            error="error-in-answer",
        )
        - before
        == 1.0
    )
    assert [(f["event"], f["level"]) for f in fetches] == [
        ("fhir fetch", "info"),
        ("fhir answer failed", "warning"),
    ]
    assert PATIENT_ID not in raw
