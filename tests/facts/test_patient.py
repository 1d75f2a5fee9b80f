"""Tests for service.facts.patient: age in whole years on the as-of date, and administrative sex."""

from __future__ import annotations

from datetime import date

import pytest

from service.facts.patient import whole_years
from service.rulebook.book import Rulebook
from tests.helpers.records import fact, patient


@pytest.mark.parametrize(
    ("born", "on", "expected"),
    [
        # The birthday itself counts.
        pytest.param(date(1965, 3, 10), date(2025, 3, 10), 60, id="birthday"),
        # The day before the birthday.
        pytest.param(date(1965, 3, 10), date(2025, 3, 9), 59, id="day-before"),
        # Born 29 February: not yet on 28 February of a common year.
        pytest.param(date(2000, 2, 29), date(2025, 2, 28), 24, id="leapling-28-feb"),
        # ... a year older on 1 March.
        pytest.param(date(2000, 2, 29), date(2025, 3, 1), 25, id="leapling-1-mar"),
        # ... and on 29 February of a leap year.
        pytest.param(date(2000, 2, 29), date(2024, 2, 29), 24, id="leapling-leap-year"),
        # Born on the as-of day.
        pytest.param(date(2025, 3, 10), date(2025, 3, 10), 0, id="newborn"),
    ],
)
def test_whole_years(born: date, on: date, expected: int) -> None:
    """Completed years of age count the birthday itself."""
    assert whole_years(born, on) == expected


@pytest.mark.parametrize(
    ("birth_date", "as_of", "expected"),
    [
        # Birthday on the as-of date.
        pytest.param("2001-03-10", date(2025, 3, 10), 24, id="birthday-on-as-of"),
        # The day before it.
        pytest.param("2001-03-11", date(2025, 3, 10), 23, id="day-before-birthday"),
    ],
)
def test_age_on_as_of_date(book: Rulebook, birth_date: str, as_of: date, expected: int) -> None:
    """Age is whole years on the as-of date, counting a birthday on that date."""
    result = fact(book, "age_years", subject=patient(birth_date), as_of=as_of)
    assert (result.value, result.bounds()) == (expected, (expected, expected))


def test_age_evidence_cites_birth_date(book: Rulebook) -> None:
    """The evidence cites Patient.birthDate and the day the age is taken on."""
    evidence = fact(
        book, "age_years", subject=patient("2001-03-10"), as_of=date(2025, 3, 10)
    ).evidence[0]
    assert (evidence.reference, evidence.display, evidence.value, evidence.note) == (
        "Patient/p1",
        "Patient.birthDate",
        "2001-03-10",
        "age on 2025-03-10",
    )


@pytest.mark.parametrize(
    ("birth_date", "as_of", "bounds"),
    [
        # Only the year: 24 if born after 15 June 2000, else 25.
        pytest.param("2000", date(2025, 6, 15), (24, 25), id="year"),
        # Only the month: 24 if born after 15 March 2000.
        pytest.param("2000-03", date(2025, 3, 15), (24, 25), id="year-month"),
    ],
)
def test_partial_birth_date_gives_bounds(
    book: Rulebook, birth_date: str, as_of: date, bounds: tuple[int, int]
) -> None:
    """A partial birthDate gives the two possible ages as bounds (value: the lower)."""
    result = fact(book, "age_years", subject=patient(birth_date), as_of=as_of)
    assert result.value == bounds[0]
    assert result.bounds() == bounds
    assert "partial" in result.summary


def test_partial_birth_date_that_decides(book: Rulebook) -> None:
    """A year of birth decides the age when every day of that year gives the same age."""
    result = fact(book, "age_years", subject=patient("2000"), as_of=date(2025, 12, 31))
    assert (result.value, result.low, result.high) == (25, None, None)


def test_missing_birth_date_is_unknown(book: Rulebook) -> None:
    """No birthDate: age is unknown, and the date of birth is named as missing."""
    result = fact(book, "age_years", subject=patient(None))
    assert (result.value, result.summary, result.missing) == (
        None,
        "age: the Patient has no birthDate",
        "date of birth",
    )


def test_unreadable_birth_date_is_unknown(book: Rulebook) -> None:
    """A birthDate that is not a date gives an unknown age."""
    assert fact(book, "age_years", subject=patient("unknown")).value is None


def test_birth_after_as_of_is_unknown(book: Rulebook) -> None:
    """A birthDate after the as-of date gives an unknown age, saying so."""
    result = fact(book, "age_years", subject=patient("2030-01-01"), as_of=date(2025, 3, 10))
    assert (result.value, result.summary) == (
        None,
        "age: birthDate 2030-01-01 is after the as-of date 2025-03-10",
    )


@pytest.mark.parametrize("gender", ["male", "female"])
def test_sex_known(book: Rulebook, gender: str) -> None:
    """Administrative gender male or female is the sex."""
    assert fact(book, "sex", subject=patient(gender=gender)).value == gender


@pytest.mark.parametrize(
    ("gender", "shown"),
    [
        # 'other' does not choose a sex-specific limit.
        pytest.param("other", "other", id="other"),
        # 'unknown' neither.
        pytest.param("unknown", "unknown", id="unknown"),
        # Missing.
        pytest.param(None, "missing", id="missing"),
    ],
)
def test_sex_other_is_unknown(book: Rulebook, gender: str | None, shown: str) -> None:
    """Gender other, unknown or missing is an unknown sex, and the reason says which."""
    result = fact(book, "sex", subject=patient(gender=gender))
    assert (result.value, result.summary) == (
        None,
        f"sex: Patient.gender is {shown}, so a sex-specific limit cannot be chosen",
    )


@pytest.mark.parametrize(
    ("birth_date", "problem"),
    [
        # Full-width digits.
        pytest.param("２０１１-０３-０２", "is not a FHIR date", id="full-width-digits"),
        # A dateTime where FHIR requires a date.
        pytest.param("2011-03-02T10:00:00", "is not a FHIR date", id="time-in-date"),
        # A placeholder year.
        pytest.param("0001-01-01", "placeholder", id="year-1"),
    ],
)
def test_invalid_birth_date_is_unknown_with_reason(
    book: Rulebook, birth_date: str, problem: str
) -> None:
    """An invalid birthDate gives no age (never 'age 2025 years'), and the reason says why."""
    result = fact(book, "age_years", subject=patient(birth_date=birth_date))
    assert result.value is None
    assert problem in result.summary
