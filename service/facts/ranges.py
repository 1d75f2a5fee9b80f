"""A result's reference range as low/high Quantities: from referenceRange.low/high, or parsed
from its text when that is all there is.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, NamedTuple

from service.facts.readings import Reading
from service.facts.values import as_list, parse_date, parse_end_date

_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
# "3.5-5.0 g/dL", "0.6–1.2 mg/dL", "3.5 to 5.0", "7～40", "9~50" (Chinese laboratories write a
# tilde, often full-width); "<40", "≤ 40 U/L", ">3.5". ASCII digits only.
_BETWEEN = re.compile(
    rf"\s*({_NUMBER})\s*(?:-|–|—|to|~|～|〜|－)\s*({_NUMBER})\s*([^\s0-9].*?)?\s*", re.ASCII
)
_BOUND = re.compile(rf"\s*(<=|>=|<|>|≤|≥)\s*({_NUMBER})\s*([^\s0-9].*?)?\s*", re.ASCII)


Limits = tuple[dict[str, Any] | None, dict[str, Any] | None, str | None]


class Ranges(NamedTuple):
    """The reference ranges that apply to the patient, or why the result's ranges cannot say."""

    found: list[Limits]
    problem: str | None = None


# referenceRange.type codes (terminology.hl7.org referencerange-meaning) that name the normal range;
# "critical", "therapeutic" or "treatment" limits are not the ULN a criterion means.
_NORMAL_TYPES = {"normal", "recommended"}
# referenceRange.appliesTo sexes: SNOMED CT 248153007 / 248152002 (the R4 example value set) or
# the words.
_SEX_CODES = {"248153007": "male", "248152002": "female", "male": "male", "female": "female"}
_PREGNANT_CODES = {"77386006"}
_YEARS_PER = {
    "a": 1.0,
    "yr": 1.0,
    "year": 1.0,
    "years": 1.0,
    "mo": 1 / 12,
    "month": 1 / 12,
    "months": 1 / 12,
    "wk": 7 / 365.25,
    "week": 7 / 365.25,
    "weeks": 7 / 365.25,
    "d": 1 / 365.25,
    "day": 1 / 365.25,
    "days": 1 / 365.25,
}
_BY_SEX = re.compile(
    r"\s*(male|female|men|women|m|f|男性|女性|男|女)(?:\b|(?<=[男女性]))\s*[:：=]?\s*(.*)", re.I
)
_SEX_WORDS = {
    "male": "male",
    "men": "male",
    "m": "male",
    "female": "female",
    "women": "female",
    "f": "female",
    "男": "male",
    "男性": "male",
    "女": "female",
    "女性": "female",
}


def reference_ranges(reading: Reading, patient: dict[str, Any] | None = None) -> Ranges:
    """Return (low, high, text) for each range of the reading that applies to the patient (type
    normal, their sex, their age on the day); a range given only as text is parsed.

    Where several apply, those that name the patient's sex or age win over general ones; if they
    still disagree on the upper limit, or a range is only text that cannot be read, ``problem``
    says so and the caller must not guess (never the first listed, never a default).
    """
    sex = patient.get("gender") if patient else None
    years = _age_on(patient, reading.day) if patient else None
    tiers: dict[int, list[Limits]] = {}
    unread: list[str] = []
    for rng in as_list(
        reading.source.get("referenceRange") or reading.resource.get("referenceRange")
    ):
        if not isinstance(rng, dict) or not _is_normal(rng):
            continue
        specific = _applies(rng, sex, years)
        if specific is None:
            continue
        low, high = _quantity(rng.get("low")), _quantity(rng.get("high"))
        text = rng.get("text")
        if low is None and high is None and isinstance(text, str):
            low, high = parse_range_text(text)
            if low is None and high is None:
                low, high = _by_sex(text, sex)
            if low is None and high is None:
                unread.append(text)
                continue
            tiers.setdefault(specific, []).append((low, high, text))
            continue
        if low is not None or high is not None:
            tiers.setdefault(specific, []).append((low, high, None))
    if not tiers:
        return Ranges([], f"referenceRange text {unread[0]!r} cannot be read" if unread else None)
    found = tiers[max(tiers)]
    highs = {(h["value"], h.get("code") or h.get("unit")) for _l, h, _t in found if h}
    if len(highs) > 1:
        shown = ", ".join(f"{v:g} {u or ''}".strip() for v, u in sorted(highs, key=str))
        return Ranges(found, f"reference ranges that apply disagree on the upper limit ({shown})")
    return Ranges(found)


def _is_normal(rng: dict[str, Any]) -> bool:
    """Say whether a range is the normal range: no type, or a type that says so."""
    kind = rng.get("type")
    if not isinstance(kind, dict):
        return True
    codes = {c.get("code") for c in as_list(kind.get("coding")) if isinstance(c, dict)}
    text = str(kind.get("text") or "").lower()
    return bool(codes & _NORMAL_TYPES) or (not codes and ("normal" in text or "reference" in text))


def _applies(rng: dict[str, Any], sex: str | None, years: tuple[float, float] | None) -> int | None:
    """Return how specifically a range applies to the patient (0 general, 1 by sex or age, 2
    both), or None when it is for someone else; a sex or age the record does not give counts as
    applying (then the ranges disagree and nothing is guessed).
    """
    specific = 0
    sexes: set[str] = set()
    for concept in as_list(rng.get("appliesTo")):
        if not isinstance(concept, dict):
            continue
        codes = {str(c.get("code")) for c in as_list(concept.get("coding")) if isinstance(c, dict)}
        if codes & _PREGNANT_CODES:
            return None  # a pregnancy range: not the general one
        words = {str(concept.get("text") or "").strip().lower()}
        sexes |= {_SEX_CODES[c] for c in (codes | words) if c in _SEX_CODES}
    if sexes:
        if sex in ("male", "female") and sex not in sexes:
            return None
        specific += 1
    age = rng.get("age")
    if isinstance(age, dict):
        low, high = _years(age.get("low")), _years(age.get("high"))
        if years is not None and (
            (low is not None and years[1] < low) or (high is not None and years[0] > high)
        ):
            return None
        if low is not None or high is not None:
            specific += 1
    return specific


def _years(qty: object) -> float | None:
    """An age Quantity in years (unit a, mo, wk or d)."""
    value = _quantity(qty)
    if value is None:
        return None
    unit = str(value.get("code") or value.get("unit") or "a").lower()
    per = _YEARS_PER.get(unit)
    return float(value["value"]) * per if per else None


def _age_on(patient: dict[str, Any], day: date) -> tuple[float, float] | None:
    """The patient's age in (fractional) years on a day, as bounds for a partial birthDate."""
    raw = patient.get("birthDate")
    earliest, latest = parse_date(raw, date_only=True), parse_end_date(raw, date_only=True)
    if earliest is None or latest is None or latest > day:
        return None
    return (day - latest).days / 365.25, (day - earliest).days / 365.25


def _by_sex(text: str, sex: str | None) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Parse "Male 0.7-1.3 mg/dL; Female 0.5-1.0 mg/dL" for the patient's sex."""
    if sex not in ("male", "female"):
        return None, None
    for part in re.split(r"[;,|\n；，、]", text):
        labelled = _BY_SEX.fullmatch(part)
        if labelled and _SEX_WORDS[labelled.group(1).lower()] == sex:
            return parse_range_text(labelled.group(2))
    return None, None


def _quantity(value: object) -> dict[str, Any] | None:
    if (
        isinstance(value, dict)
        and isinstance(value.get("value"), (int, float))
        and not isinstance(value.get("value"), bool)
    ):
        return value
    return None


def parse_range_text(text: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Parse a range written as text into (low, high) Quantities; a unit in the text is kept,
    else the result's is meant.
    """
    between = _BETWEEN.fullmatch(text)
    if between:
        unit = between.group(3)
        return _made(between.group(1), unit), _made(between.group(2), unit)
    bound = _BOUND.fullmatch(text)
    if bound:
        made = _made(bound.group(2), bound.group(3))
        return (None, made) if bound.group(1) in ("<", "<=", "≤") else (made, None)
    return None, None


def _made(number: str, unit: str | None) -> dict[str, Any]:
    made: dict[str, Any] = {"value": float(number)}
    if unit:
        made["unit"] = unit
    return made
