"""Patient definitions: age in whole years on the as-of date, and administrative sex."""

from __future__ import annotations

from datetime import date
from typing import Any

from service.facts.base import Evidence, Fact, unknown
from service.facts.context import Context
from service.facts.values import date_problem, parse_date, parse_end_date
from service.records.entries import reference_of
from service.rulebook.definitions import Definition


def whole_years(born: date, on: date) -> int:
    """Return completed years of age on a day; the birthday itself counts (29 Feb born: 1 Mar in
    other years).
    """
    before_birthday = (on.month, on.day) < (born.month, born.day)
    return on.year - born.year - (1 if before_birthday else 0)


def age(ctx: Context, name: str, definition: Definition) -> Fact:
    """Age in whole years on the as-of date; a partial birthDate gives bounds."""
    patient = ctx.record.patient
    raw = patient.get("birthDate")
    problem = date_problem(raw, date_only=True)
    if problem:
        cited = (
            Evidence(
                reference_of(patient),
                "Patient.birthDate",
                raw if isinstance(raw, str) else None,
                None,
                None,
                f"set aside: {problem}",
            ),
        )
        return unknown(
            name,
            f"age: Patient.birthDate {problem}, so the age is unknown",
            cited,
            missing="date of birth",
        )
    earliest, latest = parse_date(raw, date_only=True), parse_end_date(raw, date_only=True)
    if earliest is None or latest is None:
        cited = (Evidence(reference_of(patient), "Patient.birthDate", None, None, None, "missing"),)
        return unknown(name, "age: the Patient has no birthDate", cited, missing="date of birth")
    if latest > ctx.as_of:
        return unknown(
            name, f"age: birthDate {raw} is after the as-of date {ctx.as_of.isoformat()}"
        )
    oldest, youngest = whole_years(earliest, ctx.as_of), whole_years(latest, ctx.as_of)
    evidence = (
        Evidence(
            reference_of(patient),
            "Patient.birthDate",
            raw,
            None,
            None,
            f"age on {ctx.as_of.isoformat()}",
        ),
    )
    if oldest == youngest:
        return Fact(
            name, oldest, f"age {oldest} years on {ctx.as_of.isoformat()} (born {raw})", evidence
        )
    # Only a year or month of birth: the age is one of two values.
    return Fact(
        name,
        youngest,
        f"age {youngest}–{oldest} years (birthDate {raw} is partial)",
        evidence,
        youngest,
        oldest,
    )


def sex(ctx: Context, name: str, definition: Definition) -> Fact:
    """Administrative gender 'male' or 'female'; other or unknown is unknown for sex-specific
    limits.
    """
    patient = ctx.record.patient
    gender = patient.get("gender")
    evidence = (Evidence(reference_of(patient), "Patient.gender", gender, None, None, None),)
    if gender in ("male", "female"):
        return Fact(name, gender, f"sex {gender}", evidence)
    return unknown(
        name,
        f"sex: Patient.gender is {gender or 'missing'}, so a sex-specific limit cannot be chosen",
        evidence,
    )


# Not a definition of the rulebook but the record's own fact: a deceased patient is never eligible.
DECEASED = "deceased"


def deceased(patient: dict[str, Any], as_of: date) -> Fact | None:
    """Return whether the Patient is deceased on the as-of date: true, or unknown when the record
    cannot say; None when alive.
    """
    flag, when = patient.get("deceasedBoolean"), patient.get("deceasedDateTime")
    cited = Evidence(
        reference_of(patient),
        "Patient.deceased",
        when if when is not None else flag,
        None,
        when if isinstance(when, str) else None,
        None,
    )
    if when is not None:
        day = parse_date(when)
        if day is None:
            reason = (
                f"Patient.deceasedDateTime {date_problem(when)}, so whether the patient is "
                "alive cannot be told"
            )
            return Fact(DECEASED, None, reason, (cited,))
        if day > as_of:
            return None  # recorded later than the as-of date: alive on that day
        return Fact(DECEASED, True, f"the patient died on {day.isoformat()}", (cited,))
    if flag is not None and not isinstance(flag, bool):
        reason = (
            f"Patient.deceasedBoolean is {flag!r}, not true or false, so whether the "
            "patient is alive cannot be told"
        )
        return Fact(DECEASED, None, reason, (cited,))
    if flag is True:
        return Fact(DECEASED, True, "the Patient is recorded as deceased", (cited,))
    return None
