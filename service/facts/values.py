"""Pure helpers that read FHIR R4 data types out of plain dicts; bad input gives None, never
raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

# The FHIR R4 date/dateTime/instant grammar, ASCII digits only (``\d`` would accept full-width
# digits). Hours 00-23, offsets up to 14:00. CAUTION: a time without an offset is accepted (the FHIR
# grammar requires one); it is read as the local day it names, and it orders only against other
# naive times.
_DATE_RE = re.compile(r"([0-9]{4})(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12][0-9]|3[01]))?)?", re.ASCII)
_DATETIME_RE = re.compile(
    r"([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]|60)(\.[0-9]+)?)?"
    r"(Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?",
    re.ASCII,
)
# No patient's record holds a date before this year: an earlier one (0001-01-01) is a placeholder,
# not a date.
EARLIEST_YEAR = 1900
# Distinct date strings remembered per process: a record repeats the same days, and a worker reads
# many records.
DATE_CACHE = 1 << 16


def date_problem(value: object, *, date_only: bool = False) -> str | None:
    """Say why a present value is not a usable FHIR date/dateTime (None when it is usable or
    absent).

    ``date_only`` is for elements of type ``date`` (birthDate), where a time is not allowed.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        return f"{value!r} is not a date string"
    return _string_date_problem(value, date_only)


@lru_cache(maxsize=DATE_CACHE)
def _string_date_problem(value: str, date_only: bool) -> str | None:
    """Say why a date string is not a usable FHIR date/dateTime (remembered: a pure function of
    the string).
    """
    if _DATE_RE.fullmatch(value):
        day = _from_parts(value)
        if day is None:
            return f"{value!r} names a day that does not exist"
        return (
            f"{value!r} is before {EARLIEST_YEAR}, a placeholder rather than a date"
            if day.year < EARLIEST_YEAR
            else None
        )
    if date_only:
        return f"{value!r} is not a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD)"
    if not _DATETIME_RE.fullmatch(value):
        return f"{value!r} is not a FHIR dateTime (ASCII digits, hour 00-23, offset at most ±14:00)"
    day = _from_parts(value[:10])
    if day is None:
        return f"{value!r} names a day that does not exist"
    return (
        f"{value!r} is before {EARLIEST_YEAR}, a placeholder rather than a date"
        if day.year < EARLIEST_YEAR
        else None
    )


def _from_parts(value: str) -> date | None:
    match = _DATE_RE.match(value)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2) or 1), int(match.group(3) or 1))
    except ValueError:
        return None


def parse_date(value: object, *, date_only: bool = False) -> date | None:
    """Return the calendar date a FHIR date/dateTime/instant starts on, or None when it is absent or
    invalid.

    CAUTION: a dateTime's own offset is kept (the local calendar day it was
    recorded on), which is what a clinician reads on the chart. Partial dates
    (``2024`` or ``2024-05``) take their first day.
    """
    if not isinstance(value, str):
        return None
    return _string_date(value, date_only)


@lru_cache(maxsize=DATE_CACHE)
def _string_date(value: str, date_only: bool) -> date | None:
    """Return the day a date string starts on, or None (remembered: dates are immutable values)."""
    if _string_date_problem(value, date_only):
        return None
    return _from_parts(value)


def parse_end_date(value: object, *, date_only: bool = False) -> date | None:
    """Return the last calendar day a partial FHIR date can mean (``2024`` → 2024-12-31)."""
    start = parse_date(value, date_only=date_only)
    if start is None or not isinstance(value, str):
        return None
    if len(value) == 4:
        return date(start.year, 12, 31)
    if len(value) == 7:
        next_month = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        return next_month - timedelta(days=1)
    return start


def parse_datetime(value: object) -> datetime | None:
    """Return an aware datetime for a full, valid FHIR dateTime/instant with an offset, or None."""
    if not isinstance(value, str) or "T" not in value:
        return None
    return _string_datetime(value)


@lru_cache(maxsize=DATE_CACHE)
def _string_datetime(value: str) -> datetime | None:
    """Return the aware datetime a dateTime string names, or None (remembered: datetimes are
    immutable values).
    """
    if _string_date_problem(value, False):
        return None
    match = _DATETIME_RE.fullmatch(value)
    if match is None or match.group(8) is None:
        return None  # no offset: not an instant on the time line
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None  # a leap second (:60)


def choice_problem(resource: dict[str, Any], prefix: str) -> str | None:
    """Say why a ``prefix[x]`` date element that is present cannot be read (None when it can, or
    is absent).
    """
    for suffix in ("DateTime", "Instant", "Date"):
        problem = date_problem(resource.get(prefix + suffix))
        if problem:
            return f"{prefix}{suffix} {problem}"
    period = resource.get(prefix + "Period")
    if period is not None:
        if not isinstance(period, dict):
            return f"{prefix}Period is not a Period"
        for end in ("start", "end"):
            problem = date_problem(period.get(end))
            if problem:
                return f"{prefix}Period.{end} {problem}"
    return None


def choice_date(resource: dict[str, Any], prefix: str) -> date | None:
    """Read a ``prefix[x]`` choice element (dateTime, Period, instant) as its start date."""
    for suffix in ("DateTime", "Instant", "Date"):
        found = parse_date(resource.get(prefix + suffix))
        if found:
            return found
    period = resource.get(prefix + "Period")
    if isinstance(period, dict):
        return parse_date(period.get("start")) or parse_date(period.get("end"))
    return None


def choice_end_date(resource: dict[str, Any], prefix: str) -> date | None:
    """Read a ``prefix[x]`` choice element as the latest date it covers (a Period's end, a
    partial date's last day).
    """
    period = resource.get(prefix + "Period")
    if isinstance(period, dict):
        return parse_end_date(period.get("end")) or parse_end_date(period.get("start"))
    for suffix in ("DateTime", "Instant", "Date"):
        found = parse_end_date(resource.get(prefix + suffix))
        if found:
            return found
    return None


def choice_instant(resource: dict[str, Any], prefix: str) -> datetime | None:
    """Read a ``prefix[x]`` element as the instant it starts at, when it has a time with an
    offset (to order same-day results).
    """
    for suffix in ("DateTime", "Instant"):
        found = parse_datetime(resource.get(prefix + suffix))
        if found:
            return found
    period = resource.get(prefix + "Period")
    if isinstance(period, dict):
        return parse_datetime(period.get("start")) or parse_datetime(period.get("end"))
    return None


def as_list(value: object) -> list[Any]:
    """Return a FHIR repeating element as a list; anything that is not a list (bad input) as
    empty.
    """
    return value if isinstance(value, list) else []


def codings(concept: object) -> Iterator[tuple[str, str, str]]:
    """Yield (system, code, display) for each coding of a CodeableConcept."""
    if not isinstance(concept, dict):
        return
    found = concept.get("coding")
    if not isinstance(found, list):
        return
    # The most called reader (~2,000 times a hook call): each element read once, and a string
    # taken as it is (str() of it is itself).
    for coding in found:
        if isinstance(coding, dict):
            code = coding.get("code")
            if isinstance(code, str):
                system, display = coding.get("system"), coding.get("display")
                yield (
                    system if type(system) is str else str(system or ""),
                    code,
                    display if type(display) is str else str(display or ""),
                )


def concept_text(concept: object) -> str:
    """Return the human text of a CodeableConcept: its text, else the first display."""
    if not isinstance(concept, dict):
        return ""
    if isinstance(concept.get("text"), str):
        return str(concept["text"])
    for _system, code, display in codings(concept):
        return display or code
    return ""


def status_code(concept: object) -> str | None:
    """Return the first code of a status CodeableConcept (clinicalStatus, verificationStatus)."""
    for _system, code, _display in codings(concept):
        return code
    return None
