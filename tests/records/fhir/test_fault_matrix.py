"""The FHIR fault matrix: under every failure shape of every search, no criterion is decided from
data that did not arrive.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from service import create_app
from service.rulebook.book import Rulebook
from tests.helpers.faultmatrix import (
    FAULTS,
    FaultFhirServer,
    MatrixResult,
    fixture_patient,
    run_matrix,
    synthea_patient,
)
from tests.needs import synthea_dir

# Hangs and endless next links cost seconds per search: they run on two types here (every type in
# `python -m tests.helpers.faultmatrix`).
SLOW = ("hang", "next-endless")


def assert_nothing_decided_from_missing_data(result: MatrixResult) -> None:
    """Every faulted search is reported, and every criterion reading its type is unknown or as
    with the full data.
    """
    assert result.compared > 0
    assert result.unreported == []
    assert result.wrong == []


def test_every_fault_on_every_search_of_a_fixture_patient(book: Rulebook) -> None:
    """NCT03890068/eligible-male (the red-team's patient; data of every type): each fault kind on
    each search type decides nothing.
    """
    result = run_matrix(
        book,
        [fixture_patient("NCT03890068", "eligible-male")],
        tuple(f for f in FAULTS if f not in SLOW),
    )
    # Nine search types: Observation, Condition, the four medication types, Procedure,
    # AllergyIntolerance, Immunization.
    assert result.evaluations == (len(FAULTS) - len(SLOW)) * 9
    assert_nothing_decided_from_missing_data(result)


def test_hangs_and_endless_pages_decide_nothing(book: Rulebook) -> None:
    """A hung search and a next link that never ends, on Observation and Condition, leave their
    criteria unknown.
    """
    result = run_matrix(
        book,
        [fixture_patient("NCT03890068", "eligible-male")],
        SLOW,
        only=("Condition", "Observation"),
    )
    assert result.evaluations == 4
    assert_nothing_decided_from_missing_data(result)


@pytest.mark.parametrize("fault", ["oo-in-bundle", "oo-instead", "wrong-type", "page2-oo"])
@pytest.mark.needs("synthea")
def test_outcome_faults_on_a_synthea_record(book: Rulebook, fault: str) -> None:
    """Fletcher_Hyatt (Synthea; where the red team found exclusions flipped met -> not-met):
    error outcomes on any search decide nothing.
    """
    paths = sorted(synthea_dir().glob("Fletcher_Hyatt_*.json"))
    assert paths, f"no Fletcher_Hyatt record in {synthea_dir()}; set SYNTHEA_DIR"
    result = run_matrix(book, [synthea_patient(paths[0])], (fault,))
    assert_nothing_decided_from_missing_data(result)


@pytest.mark.parametrize(
    ("fault", "status", "error"),
    [
        # A hung Patient read: the README promises 504 (it was 502).
        pytest.param("hang", 504, "fhir-deadline-exceeded", id="hang"),
        # An OperationOutcome with a 200 instead of the Patient.
        pytest.param("oo-instead", 502, "fhir-server-error", id="oo-instead"),
        # A server error on every try.
        pytest.param("503", 502, "fhir-server-unavailable", id="503"),
    ],
)
def test_patient_read_faults_through_the_api(
    tmp_path: Path, fault: str, status: int, error: str
) -> None:
    """A faulted Patient read answers the documented status and error code, with no report."""
    patient = fixture_patient("NCT03890068", "eligible-male")
    with FaultFhirServer(patient.resources) as server:
        app = create_app(
            {
                "TESTING": True,
                "API_AUTH": "none",
                "FHIR_BASE_URL": server.base_url,
                "FHIR_TIMEOUT": 0.3,
                "FHIR_TRIES": 2,
                "FHIR_BACKOFF": 0.01,
                "CDS_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
            }
        )
        server.inject(fault, "Patient")
        response = app.test_client().post(
            "/trials/NCT03890068/eligibility",
            json={"patientId": patient.id, "asOf": patient.as_of.isoformat()},
        )
    assert (response.status_code, response.get_json()["error"]) == (status, error)
