"""Tests for service.facts.values: reading FHIR R4 data types out of plain dicts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from service.facts.values import (
    choice_date,
    choice_end_date,
    choice_instant,
    choice_problem,
    codings,
    concept_text,
    date_problem,
    parse_date,
    parse_datetime,
    parse_end_date,
    status_code,
)
from service.records.entries import reference_of


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # A full date.
        pytest.param("2025-03-10", date(2025, 3, 10), id="date"),
        # A partial date takes its first day (month).
        pytest.param("2025-03", date(2025, 3, 1), id="year-month"),
        # ... (year).
        pytest.param("2025", date(2025, 1, 1), id="year"),
        # A dateTime keeps the local day it was recorded on, not the UTC day (which is 2025-03-10).
        pytest.param("2025-03-09T23:30:00-05:00", date(2025, 3, 9), id="late-evening-west-of-utc"),
        # ... east of UTC (the UTC day is 2025-03-09).
        pytest.param(
            "2025-03-10T01:00:00+08:00", date(2025, 3, 10), id="early-morning-east-of-utc"
        ),
        # An instant with Z.
        pytest.param("2025-03-10T08:00:00.000Z", date(2025, 3, 10), id="instant"),
        # A day that does not exist.
        pytest.param("2025-02-30", None, id="impossible-day"),
        # Not a date at all.
        pytest.param("yesterday", None, id="text"),
        # The empty string.
        pytest.param("", None, id="empty"),
        # Not a string.
        pytest.param(20250310, None, id="number"),
        # Missing.
        pytest.param(None, None, id="none"),
    ],
)
def test_parse_date(value: object, expected: date | None) -> None:
    """A FHIR date/dateTime/instant gives the calendar day it starts on, or None."""
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # A year ends on 31 December.
        pytest.param("2000", date(2000, 12, 31), id="year"),
        # February of a leap year has 29 days.
        pytest.param("2024-02", date(2024, 2, 29), id="leap-february"),
        # ... of another year 28.
        pytest.param("2023-02", date(2023, 2, 28), id="february"),
        # December rolls over the year correctly.
        pytest.param("2023-12", date(2023, 12, 31), id="december"),
        # A full date is its own end.
        pytest.param("2023-06-15", date(2023, 6, 15), id="full-date"),
        # Bad input.
        pytest.param("June", None, id="text"),
        # Missing.
        pytest.param(None, None, id="none"),
    ],
)
def test_parse_end_date(value: object, expected: date | None) -> None:
    """A partial date's last possible day, for bounds on age."""
    assert parse_end_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Z is UTC.
        pytest.param("2025-03-10T08:00:00Z", datetime(2025, 3, 10, 8, tzinfo=UTC), id="zulu"),
        # An offset is kept.
        pytest.param(
            "2025-03-10T08:00:00+08:00",
            datetime(2025, 3, 10, 8, tzinfo=timezone(timedelta(hours=8))),
            id="offset",
        ),
        # A date alone is not a dateTime.
        pytest.param("2025-03-10", None, id="date-only"),
        # Garbage with a T.
        pytest.param("2025-03-10Tnoon", None, id="garbage"),
        # Not a string.
        pytest.param(None, None, id="none"),
    ],
)
def test_parse_datetime(value: object, expected: datetime | None) -> None:
    """A full dateTime gives an aware datetime; anything else None."""
    assert parse_datetime(value) == expected


@pytest.mark.parametrize(
    ("resource", "start", "end"),
    [
        # effectiveDateTime.
        pytest.param(
            {"effectiveDateTime": "2025-03-01T10:00:00+01:00"},
            date(2025, 3, 1),
            date(2025, 3, 1),
            id="dateTime",
        ),
        # effectiveInstant.
        pytest.param(
            {"effectiveInstant": "2025-03-01T10:00:00Z"},
            date(2025, 3, 1),
            date(2025, 3, 1),
            id="instant",
        ),
        # A Period with both ends.
        pytest.param(
            {"effectivePeriod": {"start": "2025-01-01", "end": "2025-02-01"}},
            date(2025, 1, 1),
            date(2025, 2, 1),
            id="period",
        ),
        # A Period with only an end.
        pytest.param(
            {"effectivePeriod": {"end": "2025-02-01"}},
            date(2025, 2, 1),
            date(2025, 2, 1),
            id="period-end-only",
        ),
        # Nothing to read.
        pytest.param({"effectiveString": "last spring"}, None, None, id="none"),
        # A Period that is not an object.
        pytest.param({"effectivePeriod": "2025"}, None, None, id="bad-period"),
    ],
)
def test_choice_dates(resource: dict[str, Any], start: date | None, end: date | None) -> None:
    """effective[x] reads as its first and last day, from dateTime, instant or Period."""
    assert (choice_date(resource, "effective"), choice_end_date(resource, "effective")) == (
        start,
        end,
    )


@pytest.mark.parametrize(
    ("concept", "expected"),
    [
        # Every coding with a code, system and display defaulting to ''.
        pytest.param(
            {
                "coding": [
                    {"system": "http://loinc.org", "code": "751-8", "display": "ANC"},
                    {"code": "x"},
                ]
            },
            [("http://loinc.org", "751-8", "ANC"), ("", "x", "")],
            id="codings",
        ),
        # A coding without a code is skipped, and so is a coding that is not an object.
        pytest.param(
            {"coding": [{"system": "s", "display": "d"}, "751-8", {"code": 7}]}, [], id="skipped"
        ),
        # A concept with only text.
        pytest.param({"text": "ANC"}, [], id="text-only"),
        # Not a concept.
        pytest.param("751-8", [], id="string"),
        # coding: null.
        pytest.param({"coding": None}, [], id="null-coding"),
    ],
)
def test_codings(concept: object, expected: list[tuple[str, str, str]]) -> None:
    """codings() yields (system, code, display) for each usable coding only."""
    assert list(codings(concept)) == expected


@pytest.mark.parametrize(
    ("concept", "expected"),
    [
        # text wins.
        pytest.param(
            {"text": "Liver mets", "coding": [{"code": "1", "display": "Metastasis to liver"}]},
            "Liver mets",
            id="text",
        ),
        # Else the first display.
        pytest.param(
            {"coding": [{"code": "1", "display": "Metastasis to liver"}]},
            "Metastasis to liver",
            id="display",
        ),
        # Else the first code.
        pytest.param({"coding": [{"code": "94381002"}]}, "94381002", id="code"),
        # Nothing.
        pytest.param({}, "", id="empty"),
        # Not a concept.
        pytest.param(None, "", id="none"),
    ],
)
def test_concept_text(concept: object, expected: str) -> None:
    """concept_text() gives the text a person would read."""
    assert concept_text(concept) == expected


@pytest.mark.parametrize(
    ("concept", "expected"),
    [
        # The first code.
        pytest.param({"coding": [{"system": "s", "code": "refuted"}]}, "refuted", id="code"),
        # No coding.
        pytest.param({"text": "Refuted"}, None, id="text-only"),
        # Missing.
        pytest.param(None, None, id="none"),
    ],
)
def test_status_code(concept: object, expected: str | None) -> None:
    """status_code() reads the code of a status CodeableConcept."""
    assert status_code(concept) == expected


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        # Type/id.
        pytest.param(
            {"resourceType": "Observation", "id": "o1", "_fullUrl": "urn:uuid:1"},
            "Observation/o1",
            id="type-id",
        ),
        # No id: the entry's fullUrl.
        pytest.param(
            {"resourceType": "Observation", "_fullUrl": "urn:uuid:1"}, "urn:uuid:1", id="full-url"
        ),
        # Neither: the type alone.
        pytest.param({"resourceType": "Observation"}, "Observation", id="type-only"),
    ],
)
def test_reference_of(resource: dict[str, Any], expected: str) -> None:
    """reference_of() gives the literal reference a report cites."""
    assert reference_of(resource) == expected


@pytest.mark.parametrize(
    ("value", "date_only", "problem"),
    [
        # Full-width digits look like a date to a person and to ``\d``, not to FHIR.
        pytest.param("２０１１-０３-０２", True, "is not a FHIR date", id="full-width-digits"),
        # Hour 25.
        pytest.param("2026-11-18T25:00:00Z", False, "is not a FHIR dateTime", id="hour-25"),
        # An offset beyond ±14:00.
        pytest.param("2026-11-18T10:00:00+25:00", False, "is not a FHIR dateTime", id="offset-25"),
        # A placeholder year.
        pytest.param("0001-01-01", True, "placeholder", id="year-1"),
        # A dateTime where the element is a date (birthDate).
        pytest.param("2011-03-02T10:00:00", True, "is not a FHIR date", id="time-in-date"),
        # A day that does not exist.
        pytest.param("2026-02-30", False, "does not exist", id="february-30"),
        # Not a string.
        pytest.param(20261118, False, "is not a date string", id="number"),
    ],
)
def test_date_problem_names_invalid_dates(value: object, date_only: bool, problem: str) -> None:
    """An invalid date is named as such (and parse_date gives None for it)."""
    found = date_problem(value, date_only=date_only)
    assert found is not None
    assert problem in found
    assert parse_date(value, date_only=date_only) is None


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("2026", id="year"),
        pytest.param("2026-11", id="year-month"),
        pytest.param("2026-11-18T23:59:59.123+14:00", id="offset-14"),
        pytest.param("2026-11-18T10:00:00Z", id="zulu"),
        pytest.param(None, id="absent"),
    ],
)
def test_date_problem_accepts_valid_dates(value: object) -> None:
    """A valid (or absent) date has no problem."""
    assert date_problem(value) is None


def test_choice_problem_names_the_element() -> None:
    """A bad effectivePeriod.start is named with its element."""
    assert choice_problem({"effectivePeriod": {"start": "2026-11-18T25:00:00Z"}}, "effective") == (
        "effectivePeriod.start '2026-11-18T25:00:00Z' is not a FHIR dateTime (ASCII digits, hour "
        "00-23, offset at most ±14:00)"
    )


def test_choice_instant_orders_by_the_time_line() -> None:
    """An instant east of UTC is earlier on the time line than the same clock time in UTC."""
    east = choice_instant({"effectiveDateTime": "2026-11-18T09:00:00+08:00"}, "effective")
    utc = choice_instant({"effectiveInstant": "2026-11-18T02:00:00Z"}, "effective")
    assert east is not None
    assert utc is not None
    assert east < utc


def test_a_remembered_date_keeps_its_date_only_flag() -> None:
    """The date cache keys on the flag too: a dateTime read first as a dateTime is still refused
    as a plain date.
    """
    value = "2024-05-06T10:00:00Z"
    assert parse_date(value) == date(2024, 5, 6)
    assert parse_date(value, date_only=True) is None


def test_a_remembered_problem_is_the_same_on_every_call() -> None:
    """An invalid date string gives the same problem the second time, from the cache."""
    assert (
        date_problem("2024-02-30")
        == date_problem("2024-02-30")
        == ("'2024-02-30' names a day that does not exist")
    )
