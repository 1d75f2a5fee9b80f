"""Records by id come from the bundled fixtures when no FHIR server is configured: indexed once,
unknown ids refused.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson
import pytest

from service.errors import PatientNotFound
from service.facts import FactSet
from service.records.entries import is_fhir_id
from service.records.sources import ExportedPatient, FixturePatients
from service.rulebook.book import Rulebook
from tests.helpers import FIXTURES

AS_OF = date(2026, 11, 20)


def test_a_fixture_patient_is_found_by_its_patient_id(book: Rulebook) -> None:
    """The id of a fixture Bundle's Patient gives that Bundle's record."""
    record = (
        FixturePatients(FIXTURES)
        .find("nct06761417-eligible")
        .record(list(book.trials.values()), AS_OF)
    )
    assert record.patient["id"] == "nct06761417-eligible"
    assert record.resources["Observation"]


def test_an_unknown_id_is_patient_not_found_saying_no_server_is_configured(book: Rulebook) -> None:
    """An id no fixture has is PatientNotFound (404), and the message says where it looked."""
    with pytest.raises(PatientNotFound, match="no FHIR server is configured"):
        FixturePatients(FIXTURES).find("no-such-patient")


def test_the_index_reads_every_bundle_once_and_skips_manifests(tmp_path: Path) -> None:
    """The directory is scanned on first use only; manifest.json files are not patients."""
    trial = tmp_path / "NCT1"
    trial.mkdir()
    (trial / "a.json").write_bytes(
        orjson.dumps(
            {
                "resourceType": "Bundle",
                "entry": [{"resource": {"resourceType": "Patient", "id": "a"}}],
            }
        )
    )
    (trial / "manifest.json").write_bytes(
        orjson.dumps(
            {"patients": {"m": {}}, "entry": [{"resource": {"resourceType": "Patient", "id": "m"}}]}
        )
    )
    patients = FixturePatients(tmp_path)
    assert patients.index() == {"a": trial / "a.json"}
    (trial / "b.json").write_bytes(
        orjson.dumps(
            {
                "resourceType": "Bundle",
                "entry": [{"resource": {"resourceType": "Patient", "id": "b"}}],
            }
        )
    )
    assert set(patients.index()) == {"a"}


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("abc-1.2", True),
        ("A" * 64, True),
        ("A" * 65, False),
        ("", False),
        ("a_b", False),
        ("a/b", False),
        (7, False),
        (None, False),
    ],
)
def test_fhir_ids_are_1_to_64_letters_digits_dashes_and_dots(value: object, valid: bool) -> None:
    """is_fhir_id follows the FHIR R4 id datatype."""
    assert is_fhir_id(value) is valid


AS_OF = date(2026, 11, 20)
DOXORUBICIN = {
    "resourceType": "Medication",
    "id": "m1",
    "code": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "3639"}]},
}
IV_MIX = {
    "resourceType": "Medication",
    "id": "mix1",
    "code": {"text": "IV MIX 250 mL"},
    "ingredient": [{"itemReference": {"reference": "Medication/m1"}}],
}


def exported_mix_order() -> ExportedPatient:
    """Return an exported patient given an IV mix 10 days before the as-of date."""
    return ExportedPatient(
        patient={"resourceType": "Patient", "id": "p1", "gender": "female"},
        resources={
            "MedicationAdministration": [
                {
                    "resourceType": "MedicationAdministration",
                    "id": "ma1",
                    "status": "completed",
                    "subject": {"reference": "Patient/p1"},
                    "effectiveDateTime": "2026-11-10",
                    "medicationReference": {"reference": "Medication/mix1"},
                }
            ]
        },
        lines=2,
    )


@pytest.mark.parametrize(
    ("shared", "expected"),
    [
        # The export's Medications hold the mix and its ingredient: the drug decides.
        pytest.param([IV_MIX, DOXORUBICIN], True, id="ingredient-exported"),
        # The ingredient is not in the export: the drug given is unknown, never "no".
        pytest.param([IV_MIX], None, id="ingredient-missing"),
    ],
)
def test_an_exported_iv_mix_is_read_through_its_ingredient(
    book: Rulebook, shared: list[dict], expected: bool | None
) -> None:
    """An exported order of an IV mix reads its drug from the ingredient Medication in the
    system-level Medication export, as the pull reads it from the server.
    """
    medications = {f"Medication/{m['id']}": m for m in shared}
    trials = list(book.trials.values())
    record = exported_mix_order().record(trials, AS_OF, medications)
    assert FactSet(record, AS_OF, book).get("systemic_therapy_4w").value is expected
