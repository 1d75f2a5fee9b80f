"""Childbearing potential and pregnancy: derived from sex, age and documented sterility, and from
tests within a trial's window.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

from service.facts import units
from service.facts.base import Evidence, Fact, iso, show, unknown
from service.facts.context import Context
from service.facts.history import Match, condition_matches
from service.facts.observations import NEGATIVE_CODES, POSITIVE_CODES
from service.facts.readings import Reading, cite_value, readings, reports_value, undated
from service.facts.values import as_list, codings, concept_text, parse_datetime
from service.records.entries import reference_of
from service.rulebook.definitions import Definition, definition_from
from service.rulebook.valuesets import REVIEW_MATCHES

# Pregnancy status answers (LOINC 82810-3 answer list LL4129-4 and the SNOMED CT findings HL7 and
# WHO use with it; verified in WHO smart-example-immz pregnancystatus-values and RKI HIV-PrEP
# pregnancy status value sets).
PREGNANT_ANSWERS = {"LA15173-0", "77386006"}
NOT_PREGNANT_ANSWERS = {"LA26683-5", "60001007"}
# 阳性 / 阴性: positive / negative as Chinese laboratories report them (probe N).
_POSITIVE_TEXT = re.compile(r"^\s*((positive|pos|detected|reactive|pregnant)\b|阳性)", re.I)
_NEGATIVE_TEXT = re.compile(
    r"^\s*(negative|neg|not detected|non-?reactive|not pregnant|阴性)\s*$", re.I
)
# Patient extensions that record a sex assigned at birth (US Core birth sex, valueCode F; US Core
# sex, SNOMED CT 248152002 female): a patient recorded male may still be able to become pregnant.
_BIRTH_SEX = {
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex": {"F"},
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-sex": {"248152002", "F"},
}
HCG_UNIT = "m[IU]/mL"  # = IU/L


def childbearing_potential(ctx: Context, name: str, definition: Definition) -> Fact:
    """Whether a woman may become pregnant: female, in an age band, and no documented menopause
    or sterilising surgery.
    """
    label = definition.document.get("label", name)
    inputs = definition["inputs"]
    sex, age = ctx.fact(inputs["sex"]), ctx.fact(inputs["age"])
    if sex.value == "male":
        born = _female_at_birth(ctx.record.patient)
        if born:
            why = f"Patient.gender is male and the record's {born} is female"
            return Fact(
                name,
                None,
                f"{label}: to confirm ({why})",
                sex.evidence,
                review=f"{label} to confirm: {why}",
            )
        return Fact(name, False, f"{label}: no (male)", sex.evidence)
    documented = [
        ctx.fact(other) for role, other in sorted(inputs.items()) if role not in ("age", "sex")
    ]
    found = [f for f in documented if f.value is True]
    # Sterility known only from a record's text ("hysterectomy consult") does not rule pregnancy
    # out: a person confirms it.
    sterile = [f for f in found if not f.by_name]
    if found and not sterile:
        return Fact(
            name,
            None,
            f"{label}: to confirm ({found[0].summary})",
            tuple(e for f in found for e in f.evidence),
            review=f"{label} to confirm: {found[0].summary}, matched by name only, not by code",
        )
    if sterile:
        return Fact(
            name,
            False,
            f"{label}: no ({sterile[0].summary})",
            tuple(e for f in sterile for e in f.evidence),
        )
    searched = "; ".join(f.summary for f in documented)
    evidence = (*sex.evidence, *age.evidence, *(e for f in documented for e in f.evidence[:1]))
    if sex.value is None:
        return Fact(
            name,
            None,
            f"{label}: {sex.summary}",
            evidence,
            review=f"{label} to confirm ({sex.summary})",
        )
    if age.value is None:
        return unknown(name, f"{label}: {age.summary}", evidence, missing=age.missing)
    young, old = age.bounds()
    bands = [_band(definition["ageBands"], years) for years in (young, old)]
    if bands[0] is not bands[1]:
        why = "the age is known only as a range that spans two age bands"
        return Fact(
            name,
            None,
            f"{label}: to confirm ({age.summary}: {why})",
            evidence,
            review=f"{label} to confirm ({why})",
        )
    band = bands[0]
    detail = f"female, {age.summary}; {searched}"
    if band["potential"] == "yes":
        return Fact(name, True, f"{label}: yes ({detail})", evidence)
    if band["potential"] == "no":
        return Fact(name, False, f"{label}: no ({detail}: {band['why']})", evidence)
    return Fact(
        name,
        None,
        f"{label}: to confirm ({detail})",
        evidence,
        review=f"{label} to confirm: {band['why'].rstrip('.')}",
    )


def _female_at_birth(patient: dict[str, Any]) -> str | None:
    """Name the Patient extension that records a female sex at birth, or None."""
    for item in as_list(patient.get("extension")):
        if not isinstance(item, dict) or item.get("url") not in _BIRTH_SEX:
            continue
        coded = item.get("valueCoding")
        value = coded.get("code") if isinstance(coded, dict) else item.get("valueCode")
        if value in _BIRTH_SEX[item["url"]]:
            return str(item["url"]).rsplit("/", 1)[-1]
    return None


def _band(bands: list[dict[str, Any]], years: int) -> dict[str, Any]:
    """Return the age band a whole-years age falls in (each band runs to the next one's start)."""
    chosen = bands[0]
    for band in sorted(bands, key=lambda b: b["fromYears"]):
        if years >= band["fromYears"]:
            chosen = band
    return chosen


def _when(reading: Reading) -> datetime:
    """Return a reading's wall-clock time; a date without a time counts as its first moment (the
    earliest it can be).
    """
    moment = parse_datetime(reading.resource.get("effectiveDateTime"))
    return moment.replace(tzinfo=None) if moment else datetime.combine(reading.day, time.min)


def _instant(reading: Reading) -> datetime:
    """Return a reading's time for ordering results: in UTC when it has an offset (a negative at
    09:00+08:00 came before a positive at 03:00Z), else its wall-clock time.
    """
    moment = parse_datetime(reading.resource.get("effectiveDateTime"))
    if moment is not None and moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return _when(reading)


def _known_after(one: Reading, other: Reading) -> bool:
    """Say whether one result is known to come after another: a later time when both give one,
    else a later day (a date-only result may have been taken at any time of its day).
    """
    if _has_time(one) and _has_time(other):
        return _instant(one) > _instant(other)
    return one.day > other.day


def _has_time(reading: Reading) -> bool:
    return parse_datetime(reading.resource.get("effectiveDateTime")) is not None


# C901: each way a record states a pregnancy outcome is one branch
def _outcome(reading: Reading, limit: dict[str, Any] | None) -> tuple[str, str] | None:  # noqa: C901
    """Read one result as ('positive' | 'negative' | 'equivocal', shown), or None when it says
    neither.
    """
    source = reading.source
    if source.get("dataAbsentReason"):
        return None
    if isinstance(source.get("valueBoolean"), bool):
        return ("positive" if source["valueBoolean"] else "negative"), str(
            source["valueBoolean"]
        ).lower()
    for _s, code, display in codings(source.get("valueCodeableConcept")):
        if code in PREGNANT_ANSWERS or code in POSITIVE_CODES:
            return "positive", display or code
        if code in NOT_PREGNANT_ANSWERS or code in NEGATIVE_CODES:
            return "negative", display or code
    text = source.get("valueString") or concept_text(source.get("valueCodeableConcept"))
    if isinstance(text, str) and text:
        if _NEGATIVE_TEXT.match(text):
            return "negative", text
        if _POSITIVE_TEXT.match(text):
            return "positive", text
    qty = source.get("valueQuantity")
    if isinstance(qty, dict) and isinstance(qty.get("value"), (int, float)) and limit:
        unit = qty.get("code") or qty.get("unit") or ""
        value = units.convert(float(qty["value"]), unit, limit["unit"])
        if value is None and units.normalise(unit) in ("[iu]/l", "iu/l"):
            value = float(qty["value"])  # IU/L equals mIU/mL
        if value is None:
            return None
        shown = f"{qty.get('comparator', '')}{show(qty['value'], unit)}"
        if value >= limit["positiveFrom"] and qty.get("comparator") not in ("<", "<="):
            return "positive", shown
        if value < limit["negativeBelow"] or (
            qty.get("comparator") in ("<", "<=") and value <= limit["negativeBelow"]
        ):
            return "negative", shown
        return "equivocal", shown
    for _s, code, _d in codings((as_list(source.get("interpretation")) or [None])[0]):
        if code in POSITIVE_CODES:
            return "positive", f"interpretation {code}"
        if code in NEGATIVE_CODES:
            return "negative", f"interpretation {code}"
    return None


def _cite_condition(match: Match, note: str | None) -> Evidence:
    return Evidence(reference_of(match.resource), match.display, None, None, iso(match.start), note)


def _cite(reading: Reading, shown: str, note: str | None = None) -> Evidence:
    return Evidence(
        reference_of(reading.resource), reading.label, shown, None, iso(reading.day), note
    )


# C901: positive, refuted, not of childbearing potential, negative in the window, unknown: read top
# to bottom
def pregnancy(ctx: Context, name: str, definition: Definition) -> Fact:  # noqa: C901
    """Whether the patient is pregnant: a positive finding not refuted later, else no or unknown.

    No for a woman not of childbearing potential or with a negative test in the trial's window;
    otherwise unknown ("To obtain: pregnancy test").
    """
    label = definition.document.get("label", name)
    failed = [
        f"{t} search failed ({ctx.failure(t)})"
        for t in ("Observation", "Condition")
        if ctx.failure(t)
    ]
    if failed:
        return unknown(name, f"{label}: {'; '.join(failed)}; not decided")
    # A test or pregnancy Condition set aside as unreadable could be the positive one: as latest()
    # does for a lab, it is never passed over for an older negative.
    blocked = ctx.blocked(("Observation",), ctx.value_set(definition)) or ctx.blocked(
        ("Condition",), ctx.value_sets[definition["conditionValueSet"]]
    )
    if blocked:
        return unknown(name, f"{label}: {blocked}; not decided")
    limit = definition.document.get("positiveLimit")
    found, pending, _notes = readings(ctx, definition)
    # A preliminary or registered positive is not final, yet it must not be passed over: pregnancy
    # stays undecided.
    for reading in pending:
        outcome = _outcome(reading, limit)
        if (
            ctx.in_window(definition, reading.day)
            and outcome is not None
            and outcome[0] == "positive"
        ):
            return Fact(
                name,
                None,
                f"{label}: unknown ({reading.label} {outcome[1]} on {reading.day.isoformat()} is "
                "not final yet)",
                (
                    _cite(
                        reading, outcome[1], "a preliminary positive result: not final, not ignored"
                    ),
                ),
                missing="pregnancy test",
            )
    # A positive with no date it can be placed by may be the newest result: never passed over.
    for obs, why in undated(ctx, definition):
        shown_as = concept_text(obs.get("code"))
        outcome = _outcome(Reading(obs, ctx.as_of, obs, shown_as), limit)
        if outcome is not None and outcome[0] == "positive":
            return unknown(
                name,
                f"{label}: unknown ({shown_as} {outcome[1]} has no date it can be placed by: "
                f"{why})",
                (Evidence(reference_of(obs), shown_as, outcome[1], None, None, why),),
            )
    read = [(r, _outcome(r, limit)) for r in found if ctx.in_window(definition, r.day)]
    results = [(r, *o) for r, o in read if o is not None]
    results.sort(key=lambda item: _instant(item[0]), reverse=True)
    # Results in the window that report something this definition cannot read (a unit it cannot
    # convert, ">1000" as text): never passed over for an older negative.
    unread = [r for r, o in read if o is None and reports_value(r)]
    named = _named_tests(ctx, definition, {id(r.resource) for r in (*found, *pending)})

    def negative_after(moment: datetime) -> tuple[Reading, str, str] | None:
        return next(
            (
                item
                for item in results
                if item[1] == "negative"
                and _instant(item[0]) > moment
                and _is_test(ctx, definition, item[0])
            ),
            None,
        )

    def negatives_beside(positive: Reading) -> tuple[tuple[Reading, str, str] | None, ...]:
        # (a negative test known to be later, one on the same day that cannot be ordered against it)
        tests = [i for i in results if i[1] == "negative" and _is_test(ctx, definition, i[0])]
        later = next((i for i in tests if _known_after(i[0], positive)), None)
        tied = next(
            (
                i
                for i in tests
                if i[0].day == positive.day
                and not _known_after(i[0], positive)
                and not _known_after(positive, i[0])
            ),
            None,
        )
        return later, tied

    positive = next((item for item in results if item[1] == "positive"), None)
    refuting, tied = negatives_beside(positive[0]) if positive else (None, None)
    standing = positive if positive and not refuting else None
    # A raised hCG in someone who cannot be pregnant (a boy, a girl of 7) is read as the tumour
    # marker it also is (germ cell tumours, hepatoblastoma), not as a pregnancy: see below.
    marker: tuple[Reading, str] | None = None
    if standing:
        reading, _o, shown = standing
        potential = ctx.fact(definition["inputs"]["childbearingPotential"])
        if potential.value is False and _is_test(ctx, definition, reading):
            marker = (reading, shown)
    if standing and not marker and tied:
        # A date-only result may have been taken before or after a same-day test: which one is
        # current cannot be told, so neither "pregnant" nor "not pregnant" is decided.
        reading, _o, shown = standing
        other, _n, other_shown = tied
        why = (
            f"{reading.label} {shown} and {other.label} {other_shown} on "
            f"{reading.day.isoformat()} cannot be ordered in time"
        )
        return Fact(
            name,
            None,
            f"{label}: to confirm ({why})",
            (_cite(reading, shown), _cite(other, other_shown)),
            review=f"{label} to confirm: {why}",
        )
    if standing and not marker:
        reading, _o, shown = standing
        return Fact(
            name,
            True,
            f"{label}: yes ({reading.label} {shown} on {reading.day.isoformat()}, no later "
            "negative test)",
            (
                _cite(
                    reading,
                    shown,
                    "a positive finding stands until a later negative test refutes it",
                ),
            ),
        )
    # The pregnancy's condition codes, read as an active-condition definition of their own.
    as_condition = definition_from(
        name, {"kind": "condition", "valueSet": definition["conditionValueSet"], "activeOnly": True}
    )
    matches, uncertain = condition_matches(ctx, as_condition)
    # A condition active since before the window has lasted longer than a pregnancy does.
    persist_from = ctx.window_start(definition)
    for match in matches:
        start = datetime.combine(match.start, time.min) if match.start else None
        cited = _cite_condition(match, "active pregnancy on the problem list")
        refuted = negative_after(start) if start else None
        if refuted:
            reading, _o, shown = refuted
            why = (
                f"{match.display} is active on the problem list (since {iso(match.start)}) but a "
                "later test is negative "
                f"({shown} on {reading.day.isoformat()})"
            )
            return Fact(
                name,
                None,
                f"{label}: to confirm ({why})",
                (cited, _cite(reading, shown)),
                review=f"{label} to confirm: {why}",
            )
        if match.start is not None and persist_from is not None and match.start < persist_from:
            why = (
                f"{match.display} has been active on the problem list since "
                f"{match.start.isoformat()}, longer than a pregnancy lasts"
            )
            return Fact(
                name,
                None,
                f"{label}: to confirm ({why})",
                (cited,),
                review=f"{label} to confirm: {why}",
            )
        return Fact(
            name,
            True,
            f"{label}: yes ({match.display}, "
            f"active{' since ' + match.start.isoformat() if match.start else ''})",
            (cited,),
            # A pregnancy named only in a record's text: an exclusion resting on it goes to review.
            by_name=match.how in REVIEW_MATCHES,
        )
    if uncertain:
        # A pregnancy recorded as provisional or unconfirmed is neither a yes nor passed over.
        match = uncertain[0]
        why = (
            f"{match.display} is on the problem list"
            f"{' since ' + match.start.isoformat() if match.start else ''} ({match.note})"
        )
        return Fact(
            name,
            None,
            f"{label}: to confirm ({why})",
            (_cite_condition(match, match.note),),
            review=f"{label} to confirm: {why}",
        )
    potential = ctx.fact(definition["inputs"]["childbearingPotential"])
    if potential.value is False and marker:
        reading, shown = marker
        raised = f"{reading.label} {shown} on {reading.day.isoformat()} is positive"
        shown_both = (*potential.evidence, _cite(reading, shown, "hCG is also a tumour marker"))
        if ctx.record.patient.get("gender") == "male":
            return Fact(
                name,
                False,
                f"{label}: no ({potential.summary}; {raised}, read as a tumour marker, not a "
                "pregnancy)",
                shown_both,
            )
        why = f"{raised} in a woman recorded as not of childbearing potential ({potential.summary})"
        return Fact(
            name,
            None,
            f"{label}: to confirm ({why})",
            shown_both,
            review=f"{label} to confirm: {why}; a tumour marker or a pregnancy",
        )
    if potential.value is False:
        return Fact(name, False, f"{label}: no ({potential.summary})", potential.evidence)
    window, in_window = _window(ctx, definition)
    tests = [item for item in results if _is_test(ctx, definition, item[0]) and in_window(item[0])]
    # Results not older than the newest negative test that cannot rule pregnancy in or out: a name
    # without a code first, then a value that cannot be read (each with what it says of itself).
    doubts = [
        (r, "is named as a pregnancy test but not coded as one", "named as a pregnancy test")
        for r in named
    ] + [
        (
            r,
            "reports a value that cannot be read as positive or negative",
            "cannot be read as positive or negative",
        )
        for r in unread
    ]
    newer = [d for d in doubts if not tests or _instant(d[0]) >= _instant(tests[0][0])]
    if tests and tests[0][1] == "negative" and newer:
        reading, _o, shown = tests[0]
        doubt, says, note = newer[0]
        why = (
            f"{doubt.label} of {doubt.day.isoformat()} {says}, and it is not older than the "
            f"negative {reading.label} of {reading.day.isoformat()}"
        )
        return Fact(
            name,
            None,
            f"{label}: to confirm ({why})",
            (cite_value(doubt, note), _cite(reading, shown)),
            review=f"{label} to confirm: {why}",
        )
    if tests and tests[0][1] == "negative":
        reading, _o, shown = tests[0]
        return Fact(
            name,
            False,
            f"{label}: no (negative {reading.label} {shown} on {reading.day.isoformat()}, "
            f"{window})",
            (_cite(reading, shown, window),),
        )
    if tests and tests[0][1] == "equivocal":
        reading, _o, shown = tests[0]
        why = (
            f"{reading.label} {shown} on {reading.day.isoformat()} is equivocal "
            f"({limit['source'] if limit else ''})"
        )
        return Fact(
            name,
            None,
            f"{label}: to confirm ({why})",
            (_cite(reading, shown),),
            review=f"{label} to confirm: {why}; repeat the test",
        )
    searched = f"no negative {ctx.value_sets[definition['negativeValueSet']].title} {window}"
    if potential.value is None and potential.review:
        return Fact(
            name,
            None,
            f"{label}: unknown ({searched}; {potential.summary})",
            potential.evidence,
            missing="pregnancy test",
            review=f"{potential.review}, or obtain a pregnancy test",
        )
    return unknown(
        name,
        f"{label}: unknown ({searched}; {potential.summary})",
        (Evidence(note=searched), *potential.evidence),
        missing="pregnancy test",
    )


def _named_tests(ctx: Context, definition: Definition, coded: set[int]) -> list[Reading]:
    """Return the results in the window named as pregnancy tests but not coded as one (an EHR's
    local code, a point-of-care test by text) that report something, newest first.
    """
    named = definition.document.get("namedTestValueSet")
    if not named:
        return []
    found, pending, _notes = readings(ctx, definition, ctx.value_sets[named])
    return sorted(
        (
            r
            for r in (*found, *pending)
            if id(r.resource) not in coded and ctx.in_window(definition, r.day) and reports_value(r)
        ),
        key=_instant,
        reverse=True,
    )


def _is_test(ctx: Context, definition: Definition, reading: Reading) -> bool:
    """Say whether a reading is one of the tests whose negative rules pregnancy out (not a
    self-reported status).
    """
    value_set = ctx.value_sets[definition["negativeValueSet"]]
    return bool(
        value_set.match(
            codings(reading.source.get("code")), [concept_text(reading.source.get("code"))]
        )
    )


def _window(ctx: Context, definition: Definition) -> tuple[str, Any]:
    """Describe the negative-test window and return a test for it: hours from the Observation's
    time, or days.
    """
    hours = definition.document.get("negativeWithinHours")
    if hours is not None:
        # Measured to the end of the as-of day, the latest the first dose could be given that day: a
        # test accepted here is within the hours of any dosing time on that day.
        end = datetime.combine(ctx.as_of + timedelta(days=1), time.min)
        return (
            f"in the {hours} hours before the end of {ctx.as_of.isoformat()}",
            lambda r: timedelta(0) <= end - _when(r) <= timedelta(hours=hours),
        )
    days = int(definition["negativeWithinDays"])
    start = ctx.as_of - timedelta(days=days)
    return (
        f"in the {days} days before {ctx.as_of.isoformat()}",
        lambda r: start <= r.day <= ctx.as_of,
    )
