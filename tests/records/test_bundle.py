"""Tests for service.records.bundle: a posted Bundle that says it is only part of a search."""

from __future__ import annotations

from typing import Any

import pytest

from service.errors import InvalidBundle
from service.records.bundle import record_from_bundle, searchset_gap

PATIENT = {"resourceType": "Patient", "id": "p1"}
CONDITION = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"}}


def _searchset(**extra: Any) -> dict[str, Any]:
    entries = [
        {"resource": PATIENT, "search": {"mode": "match"}},
        {"resource": CONDITION, "search": {"mode": "match"}},
    ]
    return {"resourceType": "Bundle", "type": "searchset", "entry": entries, **extra}


def test_a_whole_searchset_has_no_gap() -> None:
    """Two matches, total 2, no next link: nothing is failed."""
    bundle = _searchset(total=2)
    assert searchset_gap(bundle) is None
    assert record_from_bundle(bundle).failed == {}


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        pytest.param({"link": [{"relation": "next", "url": "x"}]}, "next link", id="next-link"),
        pytest.param({"link": [{"relation": "NEXT", "url": "x"}]}, "next link", id="NEXT-link"),
        pytest.param({"total": 500}, "total is 500", id="total-above-matches"),
    ],
)
def test_a_partial_searchset_fails_every_type(extra: dict[str, Any], said: str) -> None:
    """A next page or a total above the matches: every type is failed, never 'nothing found'."""
    record = record_from_bundle(_searchset(**extra))
    assert said in record.failed["Condition"]
    assert "MedicationAdministration" in record.failed


def test_an_error_outcome_entry_fails_the_searchset() -> None:
    """An OperationOutcome entry with an error says the search did not fully run."""
    bundle = _searchset()
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout"}],
    }
    bundle["entry"].append({"resource": outcome, "search": {"mode": "outcome"}})
    assert "error 'timeout'" in record_from_bundle(bundle).failed["Condition"]


def test_a_collection_is_not_read_as_a_search() -> None:
    """Only a searchset's total and links speak for completeness."""
    bundle = {**_searchset(total=500), "type": "collection"}
    assert record_from_bundle(bundle).failed == {}


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        pytest.param({"link": "next"}, "Bundle.link must be a list", id="link-not-a-list"),
        pytest.param({"total": "500"}, "Bundle.total must be a whole number", id="total-text"),
        pytest.param({"total": -1}, "Bundle.total must be a whole number", id="total-negative"),
    ],
)
def test_unreadable_completeness_is_refused(extra: dict[str, Any], said: str) -> None:
    """A searchset whose link or total cannot be read is a bad Bundle (422), not a whole one."""
    with pytest.raises(InvalidBundle, match=said):
        record_from_bundle(_searchset(**extra))


def test_a_dstu2_medication_order_makes_the_orders_unknown() -> None:
    """A MedicationOrder (DSTU2's MedicationRequest) is not read: its type is failed, never "no
    order on record".
    """
    order = {
        "resourceType": "MedicationOrder",
        "id": "mo1",
        "patient": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"text": "mitoxantrone"},
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": PATIENT}, {"resource": order}],
    }
    record = record_from_bundle(bundle)
    assert set(record.failed) == {"MedicationRequest"}
    assert "MedicationOrder" in record.failed["MedicationRequest"]


def test_another_patients_medication_order_fails_nothing() -> None:
    """A MedicationOrder of someone else is not this patient's record."""
    order = {"resourceType": "MedicationOrder", "id": "mo1", "patient": {"reference": "Patient/x"}}
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": PATIENT}, {"resource": order}],
    }
    assert record_from_bundle(bundle).failed == {}


def test_a_misspelt_resource_type_is_a_bad_bundle() -> None:
    """A "condition" entry is refused (422), not skipped as if the Condition were absent."""
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": PATIENT}, {"resource": {**CONDITION, "resourceType": "condition"}}],
    }
    with pytest.raises(InvalidBundle, match="'condition' is not a FHIR resource type"):
        record_from_bundle(bundle)


def _collection(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def _condition_version(version: str, verification: str) -> dict[str, Any]:
    return {
        **CONDITION,
        "meta": {"versionId": version},
        "verificationStatus": {"coding": [{"code": verification}]},
    }


def test_of_two_versions_of_a_resource_the_later_is_read() -> None:
    """A Condition sent twice, version 2 entered-in-error: only version 2 is read, as from a
    server (the Bundle read both, so the withdrawn heart failure still excluded: probe R).
    """
    record = record_from_bundle(
        _collection(
            PATIENT,
            _condition_version("2", "entered-in-error"),
            _condition_version("1", "confirmed"),
        )
    )
    assert [c["meta"]["versionId"] for c in record.of_type("Condition")] == ["2"]


def test_two_differing_copies_with_nothing_to_order_them_fail_their_type() -> None:
    """Two different copies of one Condition, no version or date to tell the current one: the
    Conditions are unknown, never one of them picked.
    """
    record = record_from_bundle(
        _collection(
            PATIENT,
            {**CONDITION, "verificationStatus": {"coding": [{"code": "confirmed"}]}},
            {**CONDITION, "verificationStatus": {"coding": [{"code": "refuted"}]}},
        )
    )
    assert "Condition/c1" in record.failed["Condition"]
