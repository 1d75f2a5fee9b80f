"""Childbearing potential and pregnancy: derived from sex, age and documented sterility, and
decided by tests in the trial's window.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from service.rulebook.book import Rulebook
from tests.helpers.records import (
    AS_OF,
    LOINC,
    SNOMED,
    concept,
    condition,
    day,
    fact,
    lab,
    observation,
    patient,
    procedure,
)

ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
URINE_HCG = "2106-3"
SERUM_HCG = "2118-8"
BETA_HCG = "21198-7"
NEGATIVE = concept(SNOMED, "260385009", "Negative")
POSITIVE = concept(SNOMED, "10828004", "Positive")


def born(years: int) -> str:
    """Return a birth date making the patient ``years`` old on the as-of date."""
    return date(AS_OF.year - years, 1, 1).isoformat()


def woman(years: int = 34) -> dict[str, Any]:
    """Return a female Patient of that age."""
    return patient(born(years), "female")


def hcg(
    code: str, answer: dict[str, Any], days_before: int, at: str | None = None
) -> dict[str, Any]:
    """Return a coded hCG result, late on the day (or at a given local time, e.g.
    '08:00:00+08:00').
    """
    obs = observation(code, days_before, valueCodeableConcept=answer)
    if at is not None:
        obs["effectiveDateTime"] = f"{day(days_before)}T{at}"
    return obs


@pytest.mark.parametrize(
    ("years", "expected"),
    [
        (7, False),  # before 8: premenarchal
        (9, None),  # 8-11: menarche to confirm
        (34, True),  # 12-49: childbearing potential
        (52, None),  # 50-59: menopause to confirm
        (68, False),  # 60 and over: postmenopausal
    ],
)
def test_childbearing_potential_follows_the_age_bands(
    book: Rulebook, years: int, expected: bool | None
) -> None:
    """A woman with nothing documented has childbearing potential by age band; the bands' edges
    are review.
    """
    result = fact(book, "childbearing_potential", subject=woman(years))
    assert result.value is expected
    assert (result.review is not None) == (expected is None)


def test_a_man_has_no_childbearing_potential(book: Rulebook) -> None:
    """A male patient is not of childbearing potential, so pregnancy is no without a test."""
    assert fact(book, "childbearing_potential").value is False
    assert fact(book, "pregnant").value is False


def test_unknown_gender_leaves_childbearing_potential_to_confirm(book: Rulebook) -> None:
    """Patient.gender 'unknown' is review, never assumed male."""
    result = fact(book, "childbearing_potential", subject=patient(born(30), "unknown"))
    assert result.value is None
    assert result.review
    assert "to confirm" in result.review


@pytest.mark.parametrize(
    "documented",
    [
        condition(ICD10, "Z78.0"),  # asymptomatic menopausal state
        condition(SNOMED, "307429007"),  # after menopause
        condition(ICD10, "Z90.710"),  # acquired absence of cervix and uterus
        condition(ICD10, "Z90.722"),  # both ovaries absent
        procedure("236886002", 800),  # hysterectomy
    ],
)
def test_documented_menopause_or_sterilising_surgery_ends_childbearing_potential(
    book: Rulebook, documented: dict[str, Any]
) -> None:
    """A 34-year-old with menopause, a hysterectomy or both ovaries removed on record is not of
    childbearing potential.
    """
    assert fact(book, "childbearing_potential", documented, subject=woman()).value is False


@pytest.mark.parametrize(
    "text",
    ["Laparoscopic bilateral salpingo-oophorectomy", "Hysterectomy"],
)
def test_sterilising_surgery_named_only_in_text_is_review(book: Rulebook, text: str) -> None:
    """A surgery known only from a record's text (a local code) does not rule pregnancy out: a
    person confirms it, and the pregnancy test is still asked for.
    """
    surgery = {**procedure("999", 800), "code": concept(None, None, text=text)}
    potential = fact(book, "childbearing_potential", surgery, subject=woman())
    assert potential.value is None
    assert "matched by name only" in str(potential.review)
    pregnant = fact(book, "pregnant", surgery, subject=woman())
    assert (pregnant.value, pregnant.missing) == (None, "pregnancy test")


def test_a_consult_about_a_hysterectomy_still_asks_for_a_pregnancy_test(book: Rulebook) -> None:
    """A completed Procedure named "Hysterectomy consult" (a local code) does not rule pregnancy
    out.
    """
    consult = {**procedure("999", 800), "code": concept(None, None, text="Hysterectomy consult")}
    pregnant = fact(book, "pregnant", consult, subject=woman())
    assert (pregnant.value, pregnant.missing) == (None, "pregnancy test")


def test_removal_of_the_cervix_alone_keeps_childbearing_potential(book: Rulebook) -> None:
    """Z90.712 (cervix absent, uterus remaining) does not end childbearing potential."""
    assert (
        fact(book, "childbearing_potential", condition(ICD10, "Z90.712"), subject=woman()).value
        is True
    )


def test_a_woman_without_a_test_is_unknown_asking_for_a_test(book: Rulebook) -> None:
    """For a woman of childbearing potential no pregnancy test is unknown, and the card asks for
    one.
    """
    result = fact(book, "pregnant", subject=woman())
    assert (result.value, result.missing, result.review) == (None, "pregnancy test", None)


def test_edge_of_the_age_band_without_a_test_is_review(book: Rulebook) -> None:
    """A woman of 52 with no test: confirm childbearing potential or obtain a test (review)."""
    result = fact(book, "pregnant", subject=woman(52))
    assert result.value is None
    assert result.review
    assert "or obtain a pregnancy test" in result.review


def test_a_negative_test_in_the_window_is_not_pregnant(book: Rulebook) -> None:
    """A negative urine hCG 3 days before is 'not pregnant' where the window is 7 days."""
    assert fact(book, "pregnant", hcg(URINE_HCG, NEGATIVE, 3), subject=woman()).value is False


def test_a_negative_test_outside_the_window_is_unknown(book: Rulebook) -> None:
    """A negative hCG 8 days before is outside the 7-day window: unknown."""
    assert fact(book, "pregnant", hcg(URINE_HCG, NEGATIVE, 8), subject=woman()).value is None


def test_a_urine_test_does_not_answer_a_serum_test(book: Rulebook) -> None:
    """Where the document asks for a serum test, a negative urine test does not rule pregnancy
    out.
    """
    assert (
        fact(book, "pregnant_serum_7d", hcg(URINE_HCG, NEGATIVE, 1), subject=woman()).value is None
    )


@pytest.mark.parametrize(
    ("days_before", "at", "expected"),
    [
        (2, "08:00:00+08:00", False),  # 64 hours before the end of the as-of day: inside 72 hours
        (3, "08:00:00+08:00", None),  # 88 hours: outside, although 'within 3 calendar days'
        (2, None, False),  # late on the day 2 days before
    ],
)
def test_seventy_two_hours_are_measured_from_the_observation_time(
    book: Rulebook, days_before: int, at: str | None, expected: bool | None
) -> None:
    """The 72-hour window counts hours from the test's time to the end of the as-of day, not
    calendar days.
    """
    assert (
        fact(
            book, "pregnant_serum_72h", hcg(SERUM_HCG, NEGATIVE, days_before, at), subject=woman()
        ).value
        is expected
    )


def test_a_date_only_test_counts_from_the_start_of_its_day(book: Rulebook) -> None:
    """A test dated without a time is taken at its earliest moment: exactly 72 hours before the
    end of the as-of day still counts.
    """
    obs = hcg(SERUM_HCG, NEGATIVE, 2)
    obs["effectiveDateTime"] = day(2)
    assert fact(book, "pregnant_serum_72h", obs, subject=woman()).value is False


def test_a_positive_test_is_not_forgotten(book: Rulebook) -> None:
    """A positive hCG 100 days ago with nothing since is still a pregnancy."""
    assert fact(book, "pregnant", hcg(URINE_HCG, POSITIVE, 100), subject=woman()).value is True


def test_a_later_negative_test_refutes_a_positive_one(book: Rulebook) -> None:
    """A positive hCG 100 days ago followed by a negative one 2 days ago is not a pregnancy."""
    result = fact(
        book,
        "pregnant",
        hcg(URINE_HCG, POSITIVE, 100),
        hcg(URINE_HCG, NEGATIVE, 2),
        subject=woman(),
    )
    assert result.value is False


def test_a_positive_test_counts_whatever_the_recorded_gender(book: Rulebook) -> None:
    """A positive hCG is a pregnancy even when Patient.gender is unknown."""
    assert (
        fact(
            book, "pregnant", hcg(URINE_HCG, POSITIVE, 2), subject=patient(born(30), "unknown")
        ).value
        is True
    )


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (120, "m[IU]/mL", True),  # 25 or more: positive
        (3, "[IU]/L", False),  # below 5 (IU/L = mIU/mL): negative
    ],
)
def test_a_quantitative_hcg_is_read_against_its_cut_offs(
    book: Rulebook, value: float, unit: str, expected: bool
) -> None:
    """A serum beta-hCG is positive from 25 mIU/mL and negative below 5."""
    assert fact(book, "pregnant", lab(BETA_HCG, value, unit), subject=woman()).value is expected


def test_an_equivocal_quantitative_hcg_is_review(book: Rulebook) -> None:
    """A beta-hCG of 12 mIU/mL (between 5 and 25) is equivocal: repeat the test (review)."""
    result = fact(book, "pregnant", lab(BETA_HCG, 12, "m[IU]/mL"), subject=woman())
    assert result.value is None
    assert result.review
    assert "equivocal" in result.review


def test_a_pregnancy_status_observation_counts(book: Rulebook) -> None:
    """A recorded pregnancy status 'Pregnant' (LOINC 82810-3 = LA15173-0) is a pregnancy."""
    status = observation("82810-3", 1, valueCodeableConcept=concept(LOINC, "LA15173-0", "Pregnant"))
    assert fact(book, "pregnant", status, subject=woman()).value is True


def test_a_self_reported_not_pregnant_status_is_not_a_test(book: Rulebook) -> None:
    """A pregnancy status 'Not pregnant' does not replace the negative test a woman of
    childbearing potential needs.
    """
    status = observation(
        "82810-3", 1, valueCodeableConcept=concept(LOINC, "LA26683-5", "Not pregnant")
    )
    assert fact(book, "pregnant", status, subject=woman()).value is None


def test_an_active_pregnancy_condition_counts(book: Rulebook) -> None:
    """An active pregnancy on the problem list with no later test is a pregnancy."""
    assert (
        fact(
            book, "pregnant", condition(SNOMED, "77386006", onset_days_before=60), subject=woman()
        ).value
        is True
    )


def test_a_pregnancy_condition_contradicted_by_a_later_negative_test_is_review(
    book: Rulebook,
) -> None:
    """A problem-list pregnancy followed by a negative test is a stale entry to confirm, not a
    hard exclusion.
    """
    result = fact(
        book,
        "pregnant",
        condition(SNOMED, "77386006", onset_days_before=60),
        hcg(URINE_HCG, NEGATIVE, 2),
        subject=woman(),
    )
    assert result.value is None
    assert result.review
    assert "later test is negative" in result.review


def test_a_pregnancy_condition_older_than_a_pregnancy_is_review(book: Rulebook) -> None:
    """A pregnancy active on the problem list for more than 300 days is to confirm."""
    result = fact(
        book, "pregnant", condition(SNOMED, "77386006", onset_days_before=400), subject=woman()
    )
    assert result.value is None
    assert result.review
    assert "longer than a pregnancy lasts" in result.review


def test_a_failed_search_is_unknown(book: Rulebook) -> None:
    """A failed Observation search leaves pregnancy undecided, whoever the patient is."""
    result = fact(book, "pregnant", subject=woman(), failed={"Observation": "timeout"})
    assert result.value is None
    assert "timeout" in result.summary


def test_lactation_is_asked_for_a_woman_of_childbearing_potential(book: Rulebook) -> None:
    """Lactation not on record is review for a woman of 34, and no for a man."""
    asked = fact(book, "lactation", subject=woman())
    assert asked.value is None
    assert bool(asked.review)
    assert fact(book, "lactation").value is False


def test_recorded_lactation_is_yes(book: Rulebook) -> None:
    """Breastfeeding on record answers lactation yes."""
    assert fact(book, "lactation", condition(SNOMED, "413712001"), subject=woman()).value is True


def negative_then(later: dict[str, Any]) -> list[dict[str, Any]]:
    """Return a negative urine test two days before the as-of date, then ``later``."""
    return [hcg(URINE_HCG, NEGATIVE, 2), later]


def test_a_quantitative_hcg_in_miu_per_ml_as_labs_print_it_is_read(book: Rulebook) -> None:
    """A β-hCG of 1200 "mIU/mL" (no UCUM code) after a negative test: pregnant."""
    beta = lab(BETA_HCG, 1200, "mIU/mL", 1)
    del beta["valueQuantity"]["code"], beta["valueQuantity"]["system"]
    assert fact(book, "pregnant", *negative_then(beta), subject=woman()).value is True


def test_an_unreadable_result_after_a_negative_test_is_review(book: Rulebook) -> None:
    """A β-hCG ">1000" sent as text after a negative test: never passed over for the negative."""
    beta = observation(BETA_HCG, 1, valueString=">1000")
    result = fact(book, "pregnant", *negative_then(beta), subject=woman())
    assert result.value is None
    assert "cannot be read as positive or negative" in str(result.review)


def test_results_are_ordered_in_utc_when_they_carry_offsets(book: Rulebook) -> None:
    """A negative at 09:00+08:00 (01:00 UTC) came before a positive at 03:00Z: pregnant."""
    negative = hcg(URINE_HCG, NEGATIVE, 1, at="09:00:00+08:00")
    positive = hcg(URINE_HCG, POSITIVE, 1, at="03:00:00Z")
    assert fact(book, "pregnant", negative, positive, subject=woman()).value is True


def test_a_provisional_pregnancy_after_a_negative_test_is_review(book: Rulebook) -> None:
    """A pregnancy on the problem list as provisional is neither yes nor passed over."""
    provisional = condition(SNOMED, "77386006", onset_days_before=1, verification="provisional")
    result = fact(book, "pregnant", *negative_then(provisional), subject=woman())
    assert result.value is None
    assert "provisional" in str(result.review)


@pytest.mark.parametrize(
    "finding",
    [
        condition(SNOMED, "60001007", onset_days_before=1),  # Not pregnant (finding)
        condition(SNOMED, "127365008", onset_days_before=1),  # Gravida 2 (finding)
        condition(SNOMED, "16538005", onset_days_before=1),  # Early postpartum state (finding)
    ],
)
def test_a_finding_that_says_not_pregnant_now_is_no_pregnancy(
    book: Rulebook, finding: dict[str, Any]
) -> None:
    """A "not pregnant" finding, a gravida count or the postpartum state on the problem list is no
    pregnancy: without a test, a test is still asked for.
    """
    result = fact(book, "pregnant", finding, subject=woman())
    assert (result.value, result.missing) == (None, "pregnancy test")


def test_a_pregnancy_named_only_in_text_rests_on_its_name(book: Rulebook) -> None:
    """A local-code Condition whose text says pregnancy is a yes that rests on a name (so an
    exclusion met by it goes to review).
    """
    named = condition(None, None, text="Pregnancy, 8 weeks", onset_days_before=1)
    result = fact(book, "pregnant", named, subject=woman())
    assert (result.value, result.by_name) == (True, True)


@pytest.mark.parametrize(
    "unreadable",
    [
        observation(BETA_HCG, 1, valueString=5),  # valueString that is a number
        condition(
            SNOMED, "77386006", onset_days_before=1, clinical=None, clinicalStatus=["active"]
        ),
    ],
)
def test_a_result_set_aside_as_unreadable_leaves_pregnancy_unknown(
    book: Rulebook, unreadable: dict[str, Any]
) -> None:
    """An hCG result or a pregnancy Condition set aside for a wrongly typed element could be the
    positive one: pregnancy is not decided by the older negative test.
    """
    result = fact(book, "pregnant", *negative_then(unreadable), subject=woman())
    assert result.value is None
    assert "could not be read" in result.summary
