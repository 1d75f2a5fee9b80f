"""What REST API callers send is parsed and checked: the trial list, exactly one of Bundle or
patient id.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from service.api.requests import patient_source, trials_for
from service.errors import BadRequest, UnknownTrial
from service.records.sources import FixturePatients
from service.rulebook.book import Rulebook
from tests.helpers import FIXTURES

TODAY = date(2026, 12, 2)

PATIENT = {"resourceType": "Patient", "id": "p1", "birthDate": "1990-01-01", "gender": "female"}
BUNDLE = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": PATIENT}]}


def test_trials_default_to_every_trial(book: Rulebook) -> None:
    """No 'trials' member means all trials of the rulebook, in its order."""
    assert [t.id for t in trials_for(book, {})] == list(book.trials)


def test_repeated_trial_ids_are_evaluated_once(book: Rulebook) -> None:
    """The same id named twice gives one trial (a long list of repeats cannot hold a worker)."""
    assert [t.id for t in trials_for(book, {"trials": ["NCT06761417", "NCT06761417"]})] == [
        "NCT06761417"
    ]


def test_an_unknown_trial_is_named_with_the_known_ones(book: Rulebook) -> None:
    """An id the rulebook does not have is UnknownTrial naming it."""
    with pytest.raises(UnknownTrial, match="NCT00000000"):
        trials_for(book, {"trials": ["NCT00000000"]})


@pytest.mark.parametrize("wanted", ["NCT06761417", [1, 2], {"id": "NCT06761417"}])
def test_trials_that_are_not_a_list_of_ids_are_refused(book: Rulebook, wanted: Any) -> None:
    """'trials' must be a list of strings."""
    with pytest.raises(BadRequest, match="must be a list of trial ids"):
        trials_for(book, {"trials": wanted})


@pytest.mark.parametrize("body", [{}, {"bundle": BUNDLE, "patientId": "p1"}])
def test_a_record_needs_exactly_one_of_bundle_or_patient_id(
    book: Rulebook, body: dict[str, Any]
) -> None:
    """Neither or both of 'bundle' and 'patientId' is a BadRequest saying exactly one is needed."""
    with pytest.raises(BadRequest, match="exactly one of 'bundle'"):
        patient_source(body, FixturePatients(FIXTURES))


@pytest.mark.parametrize("patient_id", ["", "a/b", "x" * 65, 42, "../etc", "..", "."])
def test_a_patient_id_that_is_not_a_fhir_id_is_refused_before_any_lookup(
    book: Rulebook, patient_id: Any
) -> None:
    """Only 1-64 letters, digits, '-' or '.' reach a patient source."""
    with pytest.raises(BadRequest, match="must be a FHIR id"):
        patient_source({"patientId": patient_id}, FixturePatients(FIXTURES))


def test_a_bundle_becomes_the_record_of_its_patient(book: Rulebook) -> None:
    """A body's Bundle is read into the record of its one Patient."""
    record = patient_source({"bundle": BUNDLE}, FixturePatients(FIXTURES)).record(
        list(book.trials.values()), TODAY
    )
    assert record.patient["id"] == "p1"
