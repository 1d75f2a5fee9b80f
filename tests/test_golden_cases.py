"""The lean golden form: a delta holds only what differs, and base + delta rebuilds the whole
report exactly.
"""

from __future__ import annotations

from typing import Any

from tests.golden_cases import DROPPED, PATIENT, lean, rebuilt, substitute

BASE: dict[str, Any] = {
    "verdict": "eligible",
    "patientId": PATIENT,
    "criteria": [
        {"id": "inc-1", "text": "Age 6-24", "status": "met", "evidence": [f"Patient/{PATIENT}"]},
        {"id": "inc-2", "text": "ANC", "status": "met", "evidence": []},
    ],
}


def test_an_unchanged_report_has_an_empty_delta() -> None:
    """The base against itself is {}."""
    assert lean(BASE, BASE) == {}


def test_a_delta_holds_only_the_changed_members_of_a_criterion() -> None:
    """One status change: the verdict and that criterion's status, not its text."""
    actual = {
        **BASE,
        "verdict": "ineligible",
        "criteria": [BASE["criteria"][0], {**BASE["criteria"][1], "status": "not-met"}],
    }
    assert lean(BASE, actual) == {
        "verdict": "ineligible",
        "criteria": {"inc-2": {"status": "not-met"}},
    }


def test_an_added_criterion_a_new_order_and_a_dropped_member_rebuild_exactly() -> None:
    """A criterion the base lacks is kept whole, the order is recorded, a dropped member is
    listed.
    """
    extra = {"id": "exc-0", "text": "Deceased", "status": "met", "evidence": []}
    without_evidence = {k: v for k, v in BASE["criteria"][0].items() if k != "evidence"}
    actual = {**BASE, "criteria": [extra, without_evidence, BASE["criteria"][1]]}
    delta = lean(BASE, actual)
    assert delta["criteriaOrder"] == ["exc-0", "inc-1", "inc-2"]
    assert delta["criteria"]["inc-1"] == {DROPPED: ["evidence"]}
    assert rebuilt(BASE, delta) == actual


def test_the_patient_placeholder_round_trips() -> None:
    """{patient} stands for the case's id in every string, and back."""
    real = substitute(BASE, PATIENT, "nct1-age-5")
    assert real["criteria"][0]["evidence"] == ["Patient/nct1-age-5"]
    assert substitute(real, "nct1-age-5", PATIENT) == BASE
