"""A deceased patient is never eligible: the report says so first, and no CDS card is shown."""

from __future__ import annotations

from typing import Any

import pytest

from service.cds.cards import cards_for
from service.evaluation.evaluate import evaluate_trial
from service.evaluation.report import DECEASED_ID, Status, TrialReport, Verdict
from service.records.bundle import record_from_bundle
from service.rulebook.book import Rulebook
from tests.helpers.records import AS_OF, bundle, day, patient

TRIAL = "NCT02021825"


def report_for(book: Rulebook, **deceased: Any) -> TrialReport:
    """Evaluate one trial for a Patient with the given deceased[x]."""
    record = record_from_bundle(bundle(subject={**patient(), **deceased}))
    return evaluate_trial(book, book.trials[TRIAL], record, AS_OF)


@pytest.mark.parametrize(
    "deceased",
    [
        # Recorded as deceased, no date.
        pytest.param({"deceasedBoolean": True}, id="boolean"),
        # Died before the as-of date.
        pytest.param({"deceasedDateTime": day(30) + "T10:00:00Z"}, id="dated-before"),
        # Died on the as-of date.
        pytest.param({"deceasedDateTime": day(0)}, id="dated-same-day"),
    ],
)
def test_deceased_patient_is_ineligible_said_first(
    book: Rulebook, deceased: dict[str, Any]
) -> None:
    """The first criterion says the patient died, cites Patient.deceased, and the verdict is
    ineligible.
    """
    report = report_for(book, **deceased)
    first = report.criteria[0]
    assert report.verdict is Verdict.INELIGIBLE
    assert first.id == DECEASED_ID
    assert first.status is Status.MET
    assert first.evidence[0].display == "Patient.deceased"
    assert report.deceased


@pytest.mark.parametrize(
    "alive",
    [
        # deceasedBoolean false.
        pytest.param({"deceasedBoolean": False}, id="false"),
        # A death recorded after the as-of date: alive on that day.
        pytest.param({"deceasedDateTime": day(-5)}, id="dated-after"),
        # Nothing recorded.
        pytest.param({}, id="absent"),
    ],
)
def test_living_patient_has_no_deceased_criterion(book: Rulebook, alive: dict[str, Any]) -> None:
    """A patient alive on the as-of date gets only the trial's own criteria."""
    report = report_for(book, **alive)
    assert report.criteria
    assert all(c.id != DECEASED_ID for c in report.criteria)


def test_invalid_death_date_is_unknown(book: Rulebook) -> None:
    """A deceasedDateTime that is not a date leaves vital status unknown, never 'alive'."""
    first = report_for(book, deceasedDateTime="2025-03-01T25:00:00Z").criteria[0]
    assert first.id == DECEASED_ID
    assert first.status is Status.UNKNOWN


def test_no_card_for_a_deceased_patient_even_when_ineligible_cards_are_shown(
    book: Rulebook,
) -> None:
    """cards_for shows no card for a deceased patient, with show_ineligible on."""
    report = report_for(book, deceasedBoolean=True)
    living = report_for(book)
    assert cards_for([report], "hook", {}, show_ineligible=True) == []
    assert len(cards_for([living], "hook", {}, show_ineligible=True)) == 1
