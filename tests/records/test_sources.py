"""Records by id come from the bundled fixtures when no FHIR server is configured: indexed once,
unknown ids refused.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson
import pytest

from service.errors import PatientNotFound
from service.records.entries import is_fhir_id
from service.records.sources import FixturePatients
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
