"""The demo patients: served by id by the embedded default beside every fixture case, with the
verdicts they show.
"""

from __future__ import annotations

from datetime import date

import pytest

from service.evaluation.evaluate import evaluate_trial
from service.records.sources import FixturePatients
from service.rulebook.book import Rulebook
from tests.golden_cases import cases
from tests.helpers import FIXTURES

AS_OF = date(2026, 11, 20)
# Each demo patient, the trial it was written for, and the verdict its description promises.
DEMOS = {
    "demo-mei-chen": ("NCT06761417", "eligible"),
    "demo-wei-zhang": ("NCT07077551", "ineligible"),
    "demo-lina-wang": ("NCT02021825", "eligible"),
    "demo-hua-li": ("NCT03890068", "eligible"),
}


def test_the_embedded_default_serves_the_demo_patients_and_every_fixture_case() -> None:
    """The fixture index knows each demo id and each test case's id (tests and users ask for
    both).
    """
    index = FixturePatients(FIXTURES).index()
    every_case = {c.patient_id for c in cases()}
    assert len(every_case) == 801
    assert every_case - set(index) == set()
    assert set(DEMOS) - set(index) == set()


@pytest.mark.parametrize("patient_id", sorted(DEMOS))
def test_a_demo_patient_has_a_plain_name_and_its_promised_verdict(
    book: Rulebook, patient_id: str
) -> None:
    """A demo patient reads as a person (not 'Fixture …') and gets the verdict its description
    states.
    """
    trial_id, verdict = DEMOS[patient_id]
    trial = book.trial(trial_id)
    assert trial is not None
    record = FixturePatients(FIXTURES).find(patient_id).record([trial], AS_OF)
    assert record.patient["name"][0]["family"] != "Fixture"
    assert evaluate_trial(book, trial, record, AS_OF).verdict == verdict
