"""Tests for service.facts.ranges: which of a result's reference ranges applies to the patient."""

from __future__ import annotations

from datetime import date
from typing import Any

from service.facts.ranges import reference_ranges
from service.facts.readings import Reading

DAY = date(2026, 11, 17)
SNOMED = "http://snomed.info/sct"
MALE = {"coding": [{"system": SNOMED, "code": "248153007"}]}
FEMALE = {"coding": [{"system": SNOMED, "code": "248152002"}]}
PREGNANT = {"coding": [{"system": SNOMED, "code": "77386006"}]}


def _mg(value: float) -> dict[str, Any]:
    return {"value": value, "unit": "mg/dL"}


def _reading(*ranges: dict[str, Any]) -> Reading:
    obs = {"resourceType": "Observation", "id": "c", "referenceRange": list(ranges)}
    return Reading(obs, DAY, obs, "Creatinine")


def _highs(reading: Reading, patient: dict[str, Any] | None) -> list[float]:
    return [h["value"] for _l, h, _t in reference_ranges(reading, patient).found if h]


WOMAN = {"gender": "female", "birthDate": "1968-05-14"}
MAN = {"gender": "male", "birthDate": "1968-05-14"}


def test_the_range_of_the_patients_sex_is_used_whatever_its_place() -> None:
    """A woman's ULN is the female range's, even when the male range is listed first."""
    reading = _reading(
        {"high": _mg(1.3), "appliesTo": [MALE]}, {"high": _mg(1.0), "appliesTo": [FEMALE]}
    )
    assert _highs(reading, WOMAN) == [1.0]
    assert _highs(reading, MAN) == [1.3]


def test_a_sex_specific_range_wins_over_a_general_one() -> None:
    """A range that names the patient's sex beats one that names none."""
    reading = _reading({"high": _mg(1.2)}, {"high": _mg(1.0), "appliesTo": [{"text": "Female"}]})
    assert _highs(reading, WOMAN) == [1.0]
    assert _highs(reading, MAN) == [1.2]


def test_sex_specific_ranges_that_disagree_are_a_problem_when_the_sex_is_unknown() -> None:
    """With no sex on record, ranges for each sex leave the ULN undecided."""
    reading = _reading(
        {"high": _mg(1.3), "appliesTo": [MALE]}, {"high": _mg(1.0), "appliesTo": [FEMALE]}
    )
    ranges = reference_ranges(reading, {"gender": "unknown", "birthDate": "1968-05-14"})
    assert ranges.problem is not None
    assert "disagree" in ranges.problem


def test_the_range_for_the_patients_age_on_the_day_is_used() -> None:
    """A 15-year-old gets the 13-17 range, an adult the adult one."""
    years = {"unit": "a", "code": "a"}
    reading = _reading(
        {"high": _mg(1.2), "age": {"low": {"value": 18, **years}}},
        {"high": _mg(0.7), "age": {"low": {"value": 13, **years}, "high": {"value": 17, **years}}},
    )
    assert _highs(reading, {"gender": "female", "birthDate": "2011-03-02"}) == [0.7]
    assert _highs(reading, WOMAN) == [1.2]


def test_critical_and_pregnancy_ranges_are_not_the_normal_range() -> None:
    """Critical limits and a pregnancy range are never the ULN."""
    reading = _reading(
        {"high": _mg(20), "type": {"text": "critical"}},
        {"high": _mg(0.8), "appliesTo": [PREGNANT]},
        {"high": _mg(1.2), "type": {"coding": [{"code": "normal"}]}},
    )
    assert _highs(reading, WOMAN) == [1.2]


def test_a_range_text_split_by_sex_is_read_for_the_patients_sex() -> None:
    """'Male 0.7-1.3; Female 0.5-1.0' gives each sex its own limit."""
    reading = _reading({"text": "Male 0.7-1.3 mg/dL; Female 0.5-1.0 mg/dL"})
    assert _highs(reading, WOMAN) == [1.0]
    assert _highs(reading, MAN) == [1.3]


def test_a_range_text_that_cannot_be_read_is_a_problem_not_an_absent_range() -> None:
    """Unreadable range text is reported, unlike a result with no range at all."""
    ranges = reference_ranges(_reading({"text": "see report"}), WOMAN)
    assert ranges.found == []
    assert ranges.problem == "referenceRange text 'see report' cannot be read"
    assert reference_ranges(_reading(), WOMAN).problem is None


def test_a_range_written_with_a_tilde_is_read() -> None:
    """Chinese laboratories write '7～40' (full-width tilde) or '9~50': the ULN is read (probe O:
    an ALT with only such a range was unknown).
    """
    assert _highs(_reading({"text": "7～40"}), WOMAN) == [40.0]
    assert _highs(_reading({"text": "9~50 U/L"}), MAN) == [50.0]


def test_a_range_text_split_by_sex_in_chinese_is_read_for_the_patients_sex() -> None:
    """'男 9-50；女 7-40' (men, women; full-width semicolon) gives each sex its own limit."""
    reading = _reading({"text": "男 9-50；女 7-40"})
    assert _highs(reading, WOMAN) == [40.0]
    assert _highs(reading, MAN) == [50.0]
    assert _highs(_reading({"text": "男性：9～50，女性：7～40"}), WOMAN) == [40.0]
