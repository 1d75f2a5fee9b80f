"""Tests for service.records.record: turning a Bundle into one patient's record of plain dicts."""

from __future__ import annotations

from typing import Any

import pytest

from service.errors import InvalidBundle
from service.records.bundle import record_from_bundle
from service.records.entries import READ_TYPES, index_resources
from service.records.record import PatientRecord
from service.rulebook.kinds import RESOURCE_TYPES

PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female"}


def entry(resource: dict[str, Any], full_url: str | None = None) -> dict[str, Any]:
    """Return a Bundle entry for a resource."""
    return {"resource": resource, **({"fullUrl": full_url} if full_url else {})}


def bundle(*entries: dict[str, Any], kind: str = "collection") -> dict[str, Any]:
    """Return a Bundle of entries."""
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def observation(oid: str, subject: str | None) -> dict[str, Any]:
    """Return a minimal Observation about a subject (or about nobody)."""
    obs: dict[str, Any] = {"resourceType": "Observation", "id": oid, "status": "final"}
    if subject:
        obs["subject"] = {"reference": subject}
    return obs


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # Not an object.
        pytest.param([PATIENT], "not a FHIR Bundle", id="list"),
        # Some other resource.
        pytest.param(PATIENT, "not a FHIR Bundle", id="patient"),
        # A Bundle type FHIR does not define.
        pytest.param(
            {"resourceType": "Bundle", "type": "pile", "entry": []},
            "Bundle.type 'pile'",
            id="bad-type",
        ),
        # A Bundle type that is an object (a 500 before: unhashable).
        pytest.param(
            {"resourceType": "Bundle", "type": {}, "entry": []}, "Bundle.type {}", id="type-object"
        ),
        # entry that is not a list.
        pytest.param(
            {"resourceType": "Bundle", "type": "collection", "entry": {"resource": PATIENT}},
            "Bundle.entry must be a list",
            id="entry-object",
        ),
        # An entry without a resource.
        pytest.param(
            bundle(entry(PATIENT), {"fullUrl": "urn:uuid:1"}),
            "Bundle.entry[1] has no resource",
            id="no-resource",
        ),
        # A resource without resourceType.
        pytest.param(
            bundle(entry(PATIENT), entry({"id": "x"})),
            "Bundle.entry[1] has no resource with a resourceType",
            id="no-resource-type",
        ),
        # An entry that is not an object.
        pytest.param(bundle("Patient/p1"), "Bundle.entry[0]", id="entry-string"),  # type: ignore[arg-type]
        # No Patient.
        pytest.param(
            bundle(entry(observation("o1", None))),
            "exactly one Patient; it holds 0",
            id="no-patient",
        ),
        # Two Patients.
        pytest.param(
            bundle(entry(PATIENT), entry({**PATIENT, "id": "p2"})),
            "exactly one Patient; it holds 2",
            id="two-patients",
        ),
    ],
)
def test_rejects_unusable_bundles(body: object, message: str) -> None:
    """A body that is not a one-patient Bundle raises InvalidBundle saying why."""
    with pytest.raises(InvalidBundle) as info:
        record_from_bundle(body)
    assert message in info.value.message


def test_invalid_bundle_is_422() -> None:
    """InvalidBundle maps to HTTP 422."""
    assert InvalidBundle.status == 422


@pytest.mark.parametrize("kind", ["collection", "searchset", "transaction", "batch", "document"])
def test_accepts_bundle_types(kind: str) -> None:
    """Collection, searchset, transaction, batch and document Bundles are all read."""
    assert record_from_bundle(bundle(entry(PATIENT), kind=kind)).patient_id == "p1"


@pytest.mark.parametrize(
    ("subject", "kept"),
    [
        # A relative reference to the patient.
        pytest.param("Patient/p1", True, id="relative"),
        # An absolute reference to the patient on some server.
        pytest.param("https://fhir.example.org/r4/Patient/p1", True, id="absolute"),
        # The patient entry's urn:uuid fullUrl.
        pytest.param("urn:uuid:patient-1", True, id="urn-uuid"),
        # Another patient.
        pytest.param("Patient/p2", False, id="other-patient"),
        # Another patient's urn.
        pytest.param("urn:uuid:patient-2", False, id="other-urn"),
        # No subject at all (a Medication, say): kept.
        pytest.param(None, True, id="no-subject"),
    ],
)
def test_keeps_only_the_patients_resources(subject: str | None, kept: bool) -> None:
    """Resources about another patient are dropped; those about this one or nobody are kept."""
    record = record_from_bundle(
        bundle(entry(PATIENT, "urn:uuid:patient-1"), entry(observation("o1", subject)))
    )
    assert (len(record.of_type("Observation")) == 1) is kept


def test_patient_reference_in_patient_element() -> None:
    """A resource naming its patient in 'patient' (AllergyIntolerance) is kept."""
    allergy = {
        "resourceType": "AllergyIntolerance",
        "id": "a1",
        "patient": {"reference": "Patient/p1"},
    }
    assert record_from_bundle(bundle(entry(PATIENT), entry(allergy))).of_type(
        "AllergyIntolerance"
    ) == [allergy]


def test_absolute_patient_full_url_matches_relative_reference() -> None:
    """A patient whose fullUrl is absolute owns resources referring to it as Patient/id."""
    patient = {"resourceType": "Patient"}  # no id: only the fullUrl identifies it
    record = record_from_bundle(
        bundle(
            entry(patient, "https://fhir.example.org/r4/Patient/p9"),
            entry(observation("o1", "Patient/p9")),
        )
    )
    assert len(record.of_type("Observation")) == 1


def test_patient_is_not_among_resources() -> None:
    """The Patient is held apart from the other resources."""
    record = record_from_bundle(bundle(entry(PATIENT)))
    assert (record.patient["id"], record.of_type("Patient")) == ("p1", [])


def test_full_url_kept_beside_resource() -> None:
    """An entry's fullUrl is kept on the resource as _fullUrl, for citing and resolving."""
    record = record_from_bundle(
        bundle(entry(PATIENT), entry(observation("o1", "Patient/p1"), "urn:uuid:obs-1"))
    )
    assert record.of_type("Observation")[0]["_fullUrl"] == "urn:uuid:obs-1"


def test_input_bundle_is_not_modified() -> None:
    """Reading a Bundle leaves the caller's dicts as they were."""
    obs = observation("o1", "Patient/p1")
    record_from_bundle(bundle(entry(PATIENT), entry(obs, "urn:uuid:obs-1")))
    assert "_fullUrl" not in obs


@pytest.mark.parametrize(
    ("reference", "found"),
    [
        # Type/id.
        pytest.param("Medication/m1", True, id="type-id"),
        # A Reference object.
        pytest.param({"reference": "Medication/m1"}, True, id="reference-object"),
        # The entry's fullUrl.
        pytest.param("urn:uuid:med-1", True, id="full-url"),
        # A resource not in the record.
        pytest.param("Medication/m2", False, id="missing"),
        # A Reference with only a display.
        pytest.param({"display": "doxorubicin"}, False, id="display-only"),
        # A versioned relative reference.
        pytest.param("Medication/m1/_history/3", True, id="versioned"),
        # An absolute URL ending in Type/id.
        pytest.param("https://ehr.example.org/fhir/Medication/m1", True, id="absolute"),
        # A contained reference, with no referrer holding it.
        pytest.param("#m1", False, id="contained-without-referrer"),
        # Not a reference.
        pytest.param(None, False, id="none"),
    ],
)
def test_resolve(reference: object, found: bool) -> None:
    """resolve() finds a resource by Type/id or fullUrl, else None."""
    medication = {"resourceType": "Medication", "id": "m1"}
    record = record_from_bundle(bundle(entry(PATIENT), entry(medication, "urn:uuid:med-1")))
    resolved = record.resolve(reference)
    assert (resolved is not None and resolved["id"] == "m1") if found else resolved is None


def test_of_type_missing_is_empty() -> None:
    """A type with no resources gives an empty list."""
    assert record_from_bundle(bundle(entry(PATIENT))).of_type("Condition") == []


def test_patient_id_falls_back_to_full_url() -> None:
    """A Patient without an id is identified by its fullUrl."""
    assert (
        record_from_bundle(
            bundle(entry({"resourceType": "Patient"}, "urn:uuid:patient-1"))
        ).patient_id
        == "urn:uuid:patient-1"
    )


def test_record_has_no_failures_by_default() -> None:
    """A record read from a Bundle has no failed searches."""
    assert record_from_bundle(bundle(entry(PATIENT))).failed == {}


def test_index_resources_by_id_and_full_url() -> None:
    """index_resources() keys a resource by Type/id and by its fullUrl."""
    resource = {"resourceType": "Medication", "id": "m1", "_fullUrl": "urn:uuid:1"}
    assert index_resources([resource]) == {"Medication/m1": resource, "urn:uuid:1": resource}


def test_record_built_directly() -> None:
    """A PatientRecord can be built by hand (as the FHIR-server fetch layer does)."""
    record = PatientRecord(patient={"id": "p1"}, failed={"Observation": "HTTP 500"})
    assert (record.patient_id, record.failed["Observation"], record.of_type("Observation")) == (
        "p1",
        "HTTP 500",
        [],
    )


def test_unread_resource_types_skipped() -> None:
    """Resource types no definition reads (Encounter, Claim) are left out of the record."""
    encounter = {"resourceType": "Encounter", "id": "e1", "subject": {"reference": "Patient/p1"}}
    record = record_from_bundle(
        bundle(entry(PATIENT), entry(encounter), entry(observation("o1", "Patient/p1")))
    )
    assert (record.of_type("Encounter"), len(record.of_type("Observation"))) == ([], 1)


def test_every_resource_type_a_definition_reads_is_kept() -> None:
    """record_from_bundle skips unread types; it must keep each type a definition kind reads (and
    Medication for references).
    """
    read = {rtype for types in RESOURCE_TYPES.values() for rtype in types}
    assert read | {"Medication"} <= READ_TYPES


def test_resolve_contained_medication_in_the_referrer() -> None:
    """A '#id' reference resolves to the referrer's contained resource."""
    order = {
        "resourceType": "MedicationRequest",
        "id": "r1",
        "contained": [{"resourceType": "Medication", "id": "d"}],
    }
    record = record_from_bundle(bundle(entry(PATIENT)))
    assert record.resolve({"reference": "#d"}, order) == {"resourceType": "Medication", "id": "d"}


def test_unreadable_resource_is_set_aside_from_of_type() -> None:
    """An Observation whose status is a list is not returned by of_type and is listed as
    unreadable.
    """
    bad = {**observation("o1", "Patient/p1"), "status": ["final"]}
    record = record_from_bundle(bundle(entry(PATIENT), entry(bad)))
    assert (record.of_type("Observation"), [u.problem for u in record.unreadable]) == (
        [],
        ["Observation.status is a list, not a string"],
    )


def test_unreadable_medication_does_not_resolve() -> None:
    """A Medication whose code is wrongly typed is not resolved (its drug is unknown, not read)."""
    medication = {"resourceType": "Medication", "id": "m1", "code": {"coding": {"code": "3639"}}}
    record = record_from_bundle(bundle(entry(PATIENT), entry(medication)))
    assert record.resolve("Medication/m1") is None


def _record_with_medication(full_url: str | None) -> Any:
    """A record of one Patient and one Medication (with that fullUrl, or none)."""
    medication: dict[str, Any] = {
        "resource": {"resourceType": "Medication", "id": "m1", "code": {"text": "doxorubicin"}}
    }
    if full_url:
        medication["fullUrl"] = full_url
    return record_from_bundle(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": {"resourceType": "Patient", "id": "p1"}}, medication],
        }
    )


def test_an_absolute_reference_to_another_server_misses_a_local_resource_of_its_id() -> None:
    """https://b/fhir/Medication/m1 is not the Bundle's https://a/fhir/Medication/m1: unresolved
    (its facts unknown), never the wrong drug.
    """
    record = _record_with_medication("https://a/fhir/Medication/m1")
    assert record.resolve("https://b/fhir/Medication/m1") is None
    assert record.resolve("https://a/fhir/Medication/m1")["id"] == "m1"
    assert record.resolve("Medication/m1")["id"] == "m1"


def test_an_absolute_reference_reaches_a_resource_that_says_nothing_of_its_server() -> None:
    """A Medication with no fullUrl (a prefetch, a fetched search) is reached by an absolute
    URL's Type/id, versioned or not.
    """
    record = _record_with_medication(None)
    assert record.resolve("https://a/fhir/Medication/m1")["id"] == "m1"
    assert record.resolve("https://a/fhir/Medication/m1/_history/3")["id"] == "m1"


@pytest.mark.parametrize(
    ("link_type", "failed"),
    [
        pytest.param("replaced-by", True, id="merged-away"),
        pytest.param("refer", True, id="one-of-several-records"),
        pytest.param("replaces", False, id="the-surviving-record"),
        pytest.param("seealso", False, id="see-also"),
    ],
)
def test_a_patient_record_merged_into_another_decides_nothing_as_absent(
    link_type: str, failed: bool
) -> None:
    """Patient.link replaced-by (a merge) or refer: the data may be under the other record, so
    every clinical type is failed.
    """
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "link": [{"other": {"reference": "Patient/p2"}, "type": link_type}],
    }
    record = record_from_bundle(
        {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient}]}
    )
    if failed:
        assert set(record.failed) == READ_TYPES - {"Patient", "Medication"}
        assert all("another record of the same person" in why for why in record.failed.values())
        # The other record's id is never quoted: reasons reach logs and pages.
        assert not any("p2" in why for why in record.failed.values())
    else:
        assert record.failed == {}
