"""Pure helpers that read FHIR R4 data types out of plain dicts; bad input gives None, never raises."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def parse_date(value: object) -> date | None:
    """Return the calendar date a FHIR date/dateTime/instant starts on, or None.

    CAUTION: a dateTime's own offset is kept (the local calendar day it was
    recorded on), which is what a clinician reads on the chart. Partial dates
    (``2024`` or ``2024-05``) take their first day.
    """
    if not isinstance(value, str):
        return None
    match = _DATE_RE.match(value)
    if not match:
        return None
    year, month, day = match.group(1), match.group(2) or "01", match.group(3) or "01"
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_end_date(value: object) -> date | None:
    """Return the last calendar day a partial FHIR date can mean (``2024`` → 2024-12-31)."""
    start = parse_date(value)
    if start is None or not isinstance(value, str):
        return None
    if len(value) == 4:
        return date(start.year, 12, 31)
    if len(value) == 7:
        next_month = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        return next_month - timedelta(days=1)
    return start


def parse_datetime(value: object) -> datetime | None:
    """Return an aware datetime for a full FHIR dateTime/instant, or None."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
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
    """Read a ``prefix[x]`` choice element as the latest date it covers (a Period's end)."""
    period = resource.get(prefix + "Period")
    if isinstance(period, dict):
        return parse_date(period.get("end")) or parse_date(period.get("start"))
    return choice_date(resource, prefix)


def as_list(value: object) -> list[Any]:
    """Return a FHIR repeating element as a list; anything that is not a list (bad input) as empty."""
    return value if isinstance(value, list) else []


def codings(concept: object) -> Iterator[tuple[str, str, str]]:
    """Yield (system, code, display) for each coding of a CodeableConcept."""
    if not isinstance(concept, dict):
        return
    for coding in as_list(concept.get("coding")):
        if isinstance(coding, dict) and isinstance(coding.get("code"), str):
            yield str(coding.get("system") or ""), coding["code"], str(coding.get("display") or "")


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


def reference_of(resource: dict[str, Any]) -> str:
    """Return the literal reference a report cites for a resource (``Type/id``)."""
    rid = resource.get("id")
    rtype = resource.get("resourceType", "Resource")
    return f"{rtype}/{rid}" if rid else str(resource.get("_fullUrl") or rtype)
