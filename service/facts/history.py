"""History definitions: any Condition, medication, Procedure or allergy in a value set, optionally in a window."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from service.facts.base import Evidence, Fact, iso, unknown
from service.facts.context import Context
from service.fhir_values import as_list, choice_date, choice_end_date, codings, concept_text, parse_date, reference_of, status_code

MCODE_HISTOLOGY = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
INACTIVE_CONDITION = {"inactive", "remission", "resolved"}
UNCERTAIN_VERIFICATION = {"unconfirmed", "provisional", "differential"}
# Statuses meaning the thing did not happen (or the record is void).
VOID_STATUS = {
    "MedicationRequest": {"entered-in-error", "cancelled", "draft"},
    "MedicationStatement": {"entered-in-error", "not-taken"},
    "MedicationAdministration": {"entered-in-error", "not-done"},
    "Procedure": {"entered-in-error", "not-done", "preparation"},
}
MEDICATION_TYPES = ("MedicationAdministration", "MedicationStatement", "MedicationRequest")


@dataclass(frozen=True)
class Match:
    """A resource in a value set, with the days it covers and how it matched."""

    resource: dict[str, Any]
    start: date | None
    end: date | None  # None: ongoing (or unknown end)
    how: str
    display: str
    note: str | None = None


def _in_window(match: Match, start: date | None, as_of: date, onset_only: bool = False) -> bool | None:
    """Whether a match overlaps [start, as_of] (or began in it, for events); None when its dates cannot tell."""
    if match.start is not None and match.start > as_of:
        return False
    if start is None:
        return True
    if onset_only:
        return None if match.start is None else match.start >= start
    if match.end is not None:
        return match.end >= start
    if match.start is None:
        return None
    return match.start >= start or match.note == "ongoing"


def _decide(ctx: Context, name: str, definition: dict[str, Any], matches: list[Match], searched: str, uncertain: list[Match]) -> Fact:
    """Turn matches into a yes / no / unknown history fact with the search described."""
    label = definition.get("label", name)
    start = ctx.window_start(definition)
    window = "" if start is None else f" between {start.isoformat()} and {ctx.as_of.isoformat()}"
    onset_only = definition.get("windowBy") == "onset"
    inside = [m for m in matches if _in_window(m, start, ctx.as_of, onset_only)]
    undated = [m for m in matches if _in_window(m, start, ctx.as_of, onset_only) is None]
    if inside:
        first = inside[0]
        by = " (matched by name)" if first.how == "name" else ""
        summary = f"{label}: {first.display}{by}" + (f" on {iso(first.start)}" if first.start else "")
        return Fact(name, True, summary, tuple(_cite(m) for m in inside[:5]), by_name=all(m.how == "name" for m in inside))
    if undated:
        reason = f"{label}: {undated[0].display} is on record without a date, so the window{window} cannot be checked"
        return unknown(name, reason, tuple(_cite(m) for m in undated[:5]))
    if uncertain:
        first = uncertain[0]
        return unknown(name, f"{label}: {first.display} is recorded but {first.note}", tuple(_cite(m) for m in uncertain[:5]))
    outside = f"; {len(matches)} outside the window" if matches else ""
    note = f"searched {searched} for {ctx.value_set(definition).title}{window}: none found{outside}"
    return Fact(name, False, f"{label}: no record ({note})", (Evidence(note=note),) + tuple(_cite(m, "outside the window") for m in matches[:3]))


def _cite(match: Match, note: str | None = None) -> Evidence:
    extra = "matched by name in its text or display, not by a code in the value set" if match.how == "name" else None
    until = f"until {iso(match.end)}" if match.end and match.start and match.end != match.start else None
    text = "; ".join(t for t in (match.note, until, extra, note) if t) or None
    return Evidence(reference_of(match.resource), match.display, None, None, iso(match.start), text)


def _condition_concepts(condition: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    yield from codings(condition.get("code"))
    for ext in as_list(condition.get("extension")):
        if isinstance(ext, dict) and ext.get("url") == MCODE_HISTOLOGY:
            yield from codings(ext.get("valueCodeableConcept"))


def condition(ctx: Context, name: str, definition: dict[str, Any]) -> Fact:
    """Whether a Condition in the value set is on record (active only, if asked), in the window."""
    failed = ctx.failure("Condition")
    if failed:
        return unknown(name, f"{definition.get('label', name)}: Condition search failed ({failed}); not decided")
    matches, uncertain = _condition_matches(ctx, definition)
    return _decide(ctx, name, definition, matches, f"{len(ctx.record.of_type('Condition'))} Condition records", uncertain)


def _describe_condition(condition: dict[str, Any]) -> tuple[list[tuple[str, str, str]], list[str]]:
    return list(_condition_concepts(condition)), [concept_text(condition.get("code"))]


def _condition_matches(ctx: Context, definition: dict[str, Any]) -> tuple[list[Match], list[Match]]:
    value_set = ctx.value_set(definition)
    active_only = definition.get("activeOnly", False)
    matches: list[Match] = []
    uncertain: list[Match] = []
    conditions = ctx.record.of_type("Condition")
    for cond, how, _concepts, _texts in ctx.matching("Condition", conditions, _describe_condition, value_set):
        verification = status_code(cond.get("verificationStatus"))
        clinical = status_code(cond.get("clinicalStatus"))
        if verification in {"refuted", "entered-in-error"}:
            continue
        ended = clinical in INACTIVE_CONDITION
        if active_only and ended:
            continue
        start = choice_date(cond, "onset") or parse_date(cond.get("recordedDate"))
        end = choice_end_date(cond, "abatement") if ended else None
        if ended and end is None:
            end = start  # resolved with no abatement date: known to have been present at onset
        match = Match(cond, start, end, how, concept_text(cond.get("code")), None if ended else "ongoing")
        if verification in UNCERTAIN_VERIFICATION:
            uncertain.append(Match(cond, start, end, how, match.display, f"its verification status is {verification}"))
        else:
            matches.append(match)
    return matches, uncertain


def condition_count(ctx: Context, name: str, definition: dict[str, Any]) -> Fact:
    """Number of distinct episodes (Conditions by onset date) in the value set within the window."""
    failed = ctx.failure("Condition")
    label = definition.get("label", name)
    if failed:
        return unknown(name, f"{label}: Condition search failed ({failed}); not decided")
    matches, _uncertain = _condition_matches(ctx, definition)
    start = ctx.window_start(definition)
    days = sorted({m.start for m in matches if m.start and (start is None or m.start >= start) and m.start <= ctx.as_of})
    undated = [m for m in matches if m.start is None]
    summary = f"{label}: {len(days)} {ctx.window_text(definition)}"
    cited = tuple(_cite(m) for m in matches if m.start in days)
    if undated:
        # Undated episodes may or may not fall in the window: the count is a range, decided where it can be.
        summary += f", plus {len(undated)} episode(s) without an onset date"
        cited += tuple(_cite(m, "no onset date") for m in undated[:5])
        return Fact(name, len(days), summary, cited, len(days), len(days) + len(undated))
    searched = f"searched {len(ctx.record.of_type('Condition'))} Condition records for {ctx.value_set(definition).title}"
    return Fact(name, len(days), summary, cited or (Evidence(note=searched),))


def _medication_concepts(ctx: Context, resource: dict[str, Any]) -> tuple[list[tuple[str, str, str]], list[str]]:
    concepts = list(codings(resource.get("medicationCodeableConcept")))
    texts = [concept_text(resource.get("medicationCodeableConcept"))]
    medication = ctx.record.resolve(resource.get("medicationReference"))
    if medication:
        concepts += list(codings(medication.get("code")))
        texts.append(concept_text(medication.get("code")))
        for ingredient in as_list(medication.get("ingredient")):
            if not isinstance(ingredient, dict):
                continue
            concepts += list(codings(ingredient.get("itemCodeableConcept")))
            texts.append(concept_text(ingredient.get("itemCodeableConcept")))
    ref = resource.get("medicationReference")
    if isinstance(ref, dict) and isinstance(ref.get("display"), str):
        texts.append(ref["display"])
    return concepts, texts


def _medication_span(resource: dict[str, Any]) -> tuple[date | None, date | None, str | None]:
    """Return (start, end, note): an active order or statement is ongoing (no end) until its period ends."""
    ongoing = resource.get("status") in {"active", "on-hold", "intended"}
    if resource["resourceType"] == "MedicationRequest":
        day = parse_date(resource.get("authoredOn"))
        validity = (resource.get("dispenseRequest") or {}).get("validityPeriod") or {}
        end = parse_date(validity.get("end"))
        if ongoing and end is None:
            return day, None, "ongoing"
        return day, end or day, None
    start = choice_date(resource, "effective") or parse_date(resource.get("dateAsserted"))
    period = resource.get("effectivePeriod") or {}
    if ongoing and not period.get("end"):
        return start, None, "ongoing"
    return start, choice_end_date(resource, "effective"), None


def _medication_matches(ctx: Context, definition: dict[str, Any]) -> list[Match]:
    value_set = ctx.value_set(definition)
    matches = []
    for rtype in MEDICATION_TYPES:
        records = [r for r in ctx.record.of_type(rtype) if r.get("status") not in VOID_STATUS[rtype]]
        for resource, how, concepts, texts in ctx.matching(rtype, records, lambda r: _medication_concepts(ctx, r), value_set):
            start, end, note = _medication_span(resource)
            display = next((t for t in texts if t), "") or next((d or c for _s, c, d in concepts), "")
            matches.append(Match(resource, start, end, how, f"{display} ({rtype})", note))
    return matches


def _failed_types(ctx: Context, types: tuple[str, ...]) -> str | None:
    failures = [f"{t} search failed ({ctx.failure(t)})" for t in types if ctx.failure(t)]
    return "; ".join(failures) or None


def medication(ctx: Context, name: str, definition: dict[str, Any]) -> Fact:
    """Whether any medication record (request, statement, administration) is in the value set, in the window."""
    failed = _failed_types(ctx, MEDICATION_TYPES)
    if failed:
        return unknown(name, f"{definition.get('label', name)}: {failed}; not decided")
    total = sum(len(ctx.record.of_type(t)) for t in MEDICATION_TYPES)
    return _decide(ctx, name, definition, _medication_matches(ctx, definition), f"{total} medication records", [])


def medication_cycles(ctx: Context, name: str, definition: dict[str, Any]) -> Fact:
    """Number of treatment cycles: dated records in the value set, days within ``cycleGapDays`` joined."""
    label = definition.get("label", name)
    failed = _failed_types(ctx, MEDICATION_TYPES)
    if failed:
        return unknown(name, f"{label}: {failed}; not decided")
    matches = [m for m in _medication_matches(ctx, definition) if m.start is None or m.start <= ctx.as_of]
    administered = [m for m in matches if m.resource["resourceType"] == "MedicationAdministration"]
    # Administrations say what was given; orders and statements are used only when there are none.
    used = administered or matches
    if any(m.start is None for m in used):
        return unknown(name, f"{label}: a matching medication record has no date, so cycles cannot be counted")
    gap = timedelta(days=int(definition.get("cycleGapDays", 7)))
    cycles: list[date] = []
    for day in sorted({m.start for m in used if m.start}):
        if not cycles or day - cycles[-1] > gap:
            cycles.append(day)
    source = "administrations" if administered else "orders and statements"
    summary = f"{label}: {len(cycles)} cycle(s) from {len(used)} {source}" if used else f"{label}: none on record"
    cited = tuple(_cite(m) for m in used[:8]) or (Evidence(note=f"searched medication records for {ctx.value_set(definition).title}: none found"),)
    return Fact(name, len(cycles), summary, cited)


def procedure(ctx: Context, name: str, definition: dict[str, Any]) -> Fact:
    """Whether a Procedure in the value set was performed in the window."""
    failed = ctx.failure("Procedure")
    if failed:
        return unknown(name, f"{definition.get('label', name)}: Procedure search failed ({failed}); not decided")
    value_set = ctx.value_set(definition)
    matches = []
    for proc in ctx.record.of_type("Procedure"):
        if proc.get("status") in VOID_STATUS["Procedure"]:
            continue
        how = value_set.match(codings(proc.get("code")), [concept_text(proc.get("code"))] if value_set.names else [])
        if how:
            matches.append(Match(proc, choice_date(proc, "performed"), choice_end_date(proc, "performed"), how, concept_text(proc.get("code"))))
    return _decide(ctx, name, definition, matches, f"{len(ctx.record.of_type('Procedure'))} Procedure records", [])


def allergy(ctx: Context, name: str, definition: dict[str, Any]) -> Fact:
    """Whether an active AllergyIntolerance names a substance in the value set."""
    failed = ctx.failure("AllergyIntolerance")
    if failed:
        return unknown(name, f"{definition.get('label', name)}: AllergyIntolerance search failed ({failed}); not decided")
    value_set = ctx.value_set(definition)
    matches: list[Match] = []
    uncertain: list[Match] = []
    for item in ctx.record.of_type("AllergyIntolerance"):
        verification = status_code(item.get("verificationStatus"))
        if verification in {"refuted", "entered-in-error"}:
            continue
        if status_code(item.get("clinicalStatus")) in {"inactive", "resolved"}:
            continue
        concepts = list(codings(item.get("code")))
        texts = [concept_text(item.get("code"))]
        for reaction in as_list(item.get("reaction")):
            if not isinstance(reaction, dict):
                continue
            concepts += list(codings(reaction.get("substance")))
            texts.append(concept_text(reaction.get("substance")))
        how = value_set.match(concepts, texts)
        if how:
            onset = choice_date(item, "onset") or parse_date(item.get("recordedDate"))
            if verification in {"unconfirmed", "presumed"}:
                # "Known hypersensitivity": an unconfirmed allergy is for a person to check, not a verdict.
                uncertain.append(Match(item, onset, None, how, concept_text(item.get("code")), f"its verification status is {verification}"))
            else:
                matches.append(Match(item, onset, None, how, concept_text(item.get("code")), "ongoing"))
    return _decide(ctx, name, definition, matches, f"{len(ctx.record.of_type('AllergyIntolerance'))} AllergyIntolerance records", uncertain)


def immunization(ctx: Context, name: str, definition: dict[str, Any]) -> Fact:
    """Whether an Immunization with a vaccine in the value set was given in the window."""
    failed = ctx.failure("Immunization")
    if failed:
        return unknown(name, f"{definition.get('label', name)}: Immunization search failed ({failed}); not decided")
    value_set = ctx.value_set(definition)
    matches = []
    for item in ctx.record.of_type("Immunization"):
        if item.get("status") in {"entered-in-error", "not-done"}:
            continue
        if value_set.match(codings(item.get("vaccineCode"))):
            day = choice_date(item, "occurrence")
            matches.append(Match(item, day, day, "code", concept_text(item.get("vaccineCode"))))
    return _decide(ctx, name, definition, matches, f"{len(ctx.record.of_type('Immunization'))} Immunization records", [])
