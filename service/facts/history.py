"""History definitions: any Condition, medication, Procedure or allergy in a value set,
optionally in a window.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import partial
from typing import Any

from service.facts.base import Evidence, Fact, iso, unknown
from service.facts.context import Context
from service.facts.spans import (
    ENDED_UNDATED,
    OPEN_ORDER_DAYS,
    OPEN_ORDER_DOUBT_DAYS,
    OPEN_ORDER_NOTE,
    OPEN_STATEMENT_NOTE,
    WHILE_ACTIVE_NOTE,
    date_problem_of,
    medication_span,
    onset_span,
)
from service.facts.values import (
    as_list,
    choice_date,
    choice_end_date,
    codings,
    concept_text,
    parse_date,
    parse_end_date,
    status_code,
)
from service.records.entries import reference_of
from service.rulebook.definitions import Definition
from service.rulebook.kinds import MEDICATION_TYPES
from service.rulebook.valuesets import REVIEW_MATCHES, ValueSet, canonical_system

MCODE_HISTOLOGY = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
)
INACTIVE_CONDITION = {"inactive", "remission", "resolved"}
UNCERTAIN_VERIFICATION = {"unconfirmed", "provisional", "differential"}
# Statuses meaning the thing did not happen (or the record is void).
VOID_STATUS = {
    "MedicationRequest": {"entered-in-error", "cancelled", "draft"},
    # "intended": a drug the patient is to take, not one taken (R4 medication-statement-status).
    "MedicationStatement": {"entered-in-error", "not-taken", "intended"},
    "MedicationAdministration": {"entered-in-error", "not-done"},
    # R4 medicationdispense-status: nothing was handed over.
    "MedicationDispense": {"entered-in-error", "cancelled", "declined"},
    "Procedure": {"entered-in-error", "not-done", "preparation"},
}


@dataclass(frozen=True)
class Match:
    """A resource in a value set, with the days it covers and how it matched."""

    resource: dict[str, Any]
    start: date | None
    end: date | None  # None: ongoing (or unknown end)
    how: str
    display: str
    note: str | None = None
    # The latest day the onset can have been, when only a bound is known (an onset age, a
    # recordedDate); None: ``start``.
    latest_onset: date | None = None
    # A course (a Procedure with a performedPeriod): it is in a window when any part of it is, even
    # for event windows.
    course: bool = False


def _in_window(
    match: Match, start: date | None, as_of: date, onset_only: bool = False
) -> bool | None:
    """Whether a match overlaps [start, as_of] (or began in it, for events); None when its dates
    cannot tell.
    """
    if match.start is not None and match.start > as_of:
        return False
    if start is None:
        return True
    latest = match.latest_onset or match.start
    if onset_only and not match.course:
        if latest is not None and latest < start:
            return False
        if match.start is None or match.start < start <= (match.latest_onset or match.start):
            return None  # known only as a span of days that straddles the window's first day
        return match.start >= start
    if match.end is not None:
        if match.end >= start:
            return True
        # Known present only at an onset (or an order's writing) that is a span of days reaching
        # into the window: it may have been there. An order past its 90-day bound yet never
        # ended, and recent, may still be given. A real end before the window is before it,
        # whenever the onset.
        return (
            None
            if _may_still_run(match, start)
            or (
                match.latest_onset is not None
                and match.latest_onset >= start
                and match.end == match.start
            )
            else False
        )
    if match.note == ENDED_UNDATED:
        if match.start is not None and match.start >= start:
            return True
        # A finished course or drug with only a start: as long as an open order at most, while a
        # condition that ended on an undated day may have lasted years.
        if (
            match.start is not None
            and match.resource.get("resourceType") != "Condition"
            and match.start + timedelta(days=OPEN_ORDER_DAYS) < start
        ):
            return False
        return None
    if latest is None:
        return None
    return latest >= start or match.note == "ongoing"


def _may_still_run(match: Match, start: date) -> bool:
    """Say whether an order or statement still 'active' with no end was written recently enough
    before a window to be running in it.
    """
    written = match.latest_onset or match.start
    return (
        still_active(match)
        and written is not None
        and written + timedelta(days=OPEN_ORDER_DOUBT_DAYS) >= start
    )


def still_active(match: Match) -> bool:
    """Say whether a match is an order or statement still 'active' with no end of its own."""
    return bool(match.note) and str(match.note).startswith((OPEN_ORDER_NOTE, OPEN_STATEMENT_NOTE))


def _dated(matches: list[Match], ctx: Context | None = None) -> list[Match]:
    """Return the matches with any whose dates cannot be read made undated, saying why: an
    invalid date never places it in a window.
    """
    checked = []
    for match in matches:
        problem = (
            date_problem_of(match.resource)
            if ctx is None
            # A resource matches many definitions (73 orders in three therapy value sets): its
            # dates are checked once.
            else ctx.remember(
                ("date problem", id(match.resource)), partial(date_problem_of, match.resource)
            )
        )
        checked.append(
            replace(
                match, start=None, end=None, latest_onset=None, note=f"date set aside: {problem}"
            )
            if problem
            else match
        )
    return checked


def _decide(
    ctx: Context,
    name: str,
    definition: Definition,
    matches: list[Match],
    searched: str,
    uncertain: list[Match],
) -> Fact:
    """Turn matches into a yes / no / unknown history fact with the search described."""
    matches, uncertain = _dated(matches, ctx), _dated(uncertain, ctx)
    label = definition.document.get("label", name)
    start = ctx.window_start(definition)
    window = "" if start is None else f" between {start.isoformat()} and {ctx.as_of.isoformat()}"
    onset_only = definition.document.get("windowBy") == "onset"
    inside = [m for m in matches if _in_window(m, start, ctx.as_of, onset_only)]
    undated = [m for m in matches if _in_window(m, start, ctx.as_of, onset_only) is None]
    if inside:
        first = inside[0]
        by = _BY.get(first.how, "")
        summary = f"{label}: {first.display}{by}" + (
            f" on {iso(first.start)}" if first.start else ""
        )
        return Fact(
            name,
            True,
            summary,
            tuple(_cite(m) for m in inside[:5]),
            by_name=all(m.how in REVIEW_MATCHES for m in inside),
        )
    if undated:
        first = undated[0]
        reason = (
            f"{label}: {first.display} is still active with no end (since {iso(first.start)}), "
            f"so whether it is given{window} is not known"
            if still_active(first)
            else f"{label}: {first.display} is on record without a date, so the "
            f"window{window} cannot be checked"
        )
        return unknown(name, reason, tuple(_cite(m) for m in undated[:5]))
    if uncertain:
        first = uncertain[0]
        return unknown(
            name,
            f"{label}: {first.display} is recorded but {first.note}",
            tuple(_cite(m) for m in uncertain[:5]),
        )
    outside = f"; {len(matches)} outside the window" if matches else ""
    note = f"searched {searched} for {ctx.value_set(definition).title}{window}: none found{outside}"
    return absent(
        ctx, name, definition, note, tuple(_cite(m, "outside the window") for m in matches[:3])
    )


def _policy(ctx: Context, definition: Definition) -> tuple[str, str]:
    """Return (absence policy, why): "review" holds only while its gate (``absenceReviewWhen``)
    is on record, else "no".
    """
    policy, why = (
        definition.document.get("absence", "no"),
        definition.document.get("absenceWhy", ""),
    )
    gate = definition.document.get("absenceReviewWhen")
    if policy == "review" and gate:
        gating = ctx.fact(gate)
        if gating.value is not True:
            # E.g. no cancer on record at all: the tumour type is not merely coded elsewhere, it is
            # absent.
            return (
                "no",
                f"{why.rstrip('.')}; but this applies only with "
                f"{gating.summary.split(':')[0].lower()} on record, and there is none",
            )
    return policy, why


def absent(
    ctx: Context, name: str, definition: Definition, note: str, cited: tuple[Evidence, ...] = ()
) -> Fact:
    """Answer a history question where nothing was found, as the definition's absence policy says.

    "no": closed world (a no record is a no); "unknown": the state must be established, so it is
    unknown and the card asks for it; "review": a person must confirm it (the record may not hold
    it), never a hard no.
    """
    label = definition.document.get("label", name)
    policy, why = _policy(ctx, definition)
    evidence = (Evidence(note=f"{note}; nothing found means {policy}: {why}"), *cited)
    if policy == "unknown":
        return unknown(
            name,
            f"{label}: not on record ({note}), and it must be established, not assumed absent",
            evidence,
            missing=label,
        )
    if policy == "review":
        return Fact(
            name,
            None,
            f"{label}: not found in the record ({note})",
            evidence,
            review=f"{label} not found in the record: to confirm ({why})",
        )
    return Fact(name, False, f"{label}: no record ({note})", evidence)


def _open_count(
    ctx: Context,
    name: str,
    definition: Definition,
    count: int,
    summary: str,
    cited: tuple[Evidence, ...],
) -> Fact:
    """A count where records may be missing (absence not "no"): known only as at least ``count``."""
    label = definition.document.get("label", name)
    policy, why = _policy(ctx, definition)
    if policy == "no":
        return Fact(
            name, count, summary, (*cited, Evidence(note=f"nothing more found means no: {why}"))
        )
    evidence = (*cited, Evidence(note=f"{count} found; more may be recorded elsewhere ({why})"))
    if policy == "review":
        return Fact(
            name,
            count,
            summary + " (at least; more may be recorded elsewhere)",
            evidence,
            count,
            1e300,
            review=f"{label}: {count} on record, more may be recorded elsewhere: to confirm "
            f"({why})",
        )
    return Fact(name, count, summary + " (at least)", evidence, count, 1e300, missing=label)


def _note_bounds_it(match: Match) -> bool:
    """Say whether a still-active order's note already says how long it counts."""
    note = str(match.note)
    return still_active(match) and ("until" in note or WHILE_ACTIVE_NOTE in note)


# What a summary and its evidence say of a match that only puts a record to review.
_BY = {"name": " (matched by name)", "range": " (matched by its code's section)"}
_HOW_CITED = {
    "name": "matched by name in its text or display, not by a code in the value set",
    "range": "matched by its code's section of the classification (a CPT or ICD-10-PCS code not "
    "in the value set), not by a code in the value set",
}


def _cite(match: Match, note: str | None = None) -> Evidence:
    extra = _HOW_CITED.get(match.how)
    until = (
        f"until {iso(match.end)}"
        # An order's note already says until when it counts; a long-term one counts while active.
        if match.end and match.start and match.end != match.start and not _note_bounds_it(match)
        else None
    )
    text = "; ".join(t for t in (match.note, until, extra, note) if t) or None
    return Evidence(reference_of(match.resource), match.display, None, None, iso(match.start), text)


# ICD-O-3 behaviour /3 is "malignant, primary site": a morphology alone (Condition.code or the mCODE
# histology extension) is a malignant neoplasm, read as SNOMED CT 363346000 |Malignant neoplastic
# disease| so value sets that include it see the cancer; exclusions (sarcoma morphologies and the
# like) still veto on the morphology code itself.
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
MALIGNANT_BEHAVIOUR = (
    "http://snomed.info/sct",
    "363346000",
    "Malignant neoplastic disease (ICD-O-3 behaviour /3)",
)
# Personal-history codes (Z85, SNOMED "History of malignant neoplasm") say a cancer happened, not
# when: they are read as a malignancy with an unknown date that is not active, never as a cancer
# diagnosed on the day the history was noted.
PERSONAL_HISTORY = "personal_history_of_malignancy"


def _condition_concepts(ctx: Context, condition: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    own = list(codings(condition.get("code")))
    for ext in as_list(condition.get("extension")):
        if isinstance(ext, dict) and ext.get("url") == MCODE_HISTOLOGY:
            own += codings(ext.get("valueCodeableConcept"))
    yield from own
    if any(
        canonical_system(system) == ICDO3 and code.strip().endswith("/3")
        for system, code, _d in own
    ) or _personal_history(ctx, condition):
        yield MALIGNANT_BEHAVIOUR


def _personal_history(ctx: Context, condition: dict[str, Any]) -> bool:
    # Asked of each Condition by its description and by every value set it matches: once each.
    def ask() -> bool:
        history = ctx.value_sets.get(PERSONAL_HISTORY)
        return bool(history and history.match(codings(condition.get("code"))))

    return ctx.remember(("personal history", id(condition)), ask)


def condition(ctx: Context, name: str, definition: Definition) -> Fact:
    """Whether a Condition in the value set is on record (active only, if asked), in the window."""
    blocked = ctx.blocked(("Condition",), ctx.value_set(definition))
    if blocked:
        return unknown(name, f"{definition.document.get('label', name)}: {blocked}; not decided")
    matches, uncertain = _condition_matches(ctx, definition)
    return _decide(
        ctx,
        name,
        definition,
        matches,
        f"{len(ctx.record.of_type('Condition'))} Condition records",
        uncertain,
    )


def _describe_condition(
    ctx: Context, condition: dict[str, Any]
) -> tuple[list[tuple[str, str, str]], list[str]]:
    return list(_condition_concepts(ctx, condition)), [concept_text(condition.get("code"))]


def _condition_matches(ctx: Context, definition: Definition) -> tuple[list[Match], list[Match]]:
    value_set = ctx.value_set(definition)
    active_only = bool(definition.document.get("activeOnly", False))
    # Several definitions read one value set (other malignancy in each trial's window): matched
    # once per record.
    matches, uncertain = ctx.remember(
        ("condition matches", id(value_set), active_only),
        lambda: _find_condition_matches(ctx, value_set, active_only),
    )
    return list(matches), list(uncertain)


def _abatement_given(cond: dict[str, Any]) -> bool:
    """Say whether a Condition records an abatement of any kind (a date, an age, a text, true)."""
    return any(
        key.startswith("abatement") and value not in (None, False, "", {})
        for key, value in cond.items()
    )


def _find_condition_matches(
    ctx: Context, value_set: ValueSet, active_only: bool
) -> tuple[list[Match], list[Match]]:
    """Return (usable, uncertain) Conditions in a value set, active ones only if asked."""
    matches: list[Match] = []
    uncertain: list[Match] = []
    conditions = ctx.record.of_type("Condition")
    for cond, how, _concepts, _texts in ctx.matching(
        "Condition", conditions, lambda c: _describe_condition(ctx, c), value_set
    ):
        verification = status_code(cond.get("verificationStatus"))
        clinical = status_code(cond.get("clinicalStatus"))
        if verification in {"refuted", "entered-in-error"}:
            continue
        history = _personal_history(ctx, cond)
        abated = _abatement_given(cond)
        # R4 con-4: an abated condition is not active, whether or not clinicalStatus says so.
        ended = clinical in INACTIVE_CONDITION or history or (clinical is None and abated)
        if active_only and ended:
            continue
        start, latest = onset_span(ctx, cond)
        end = choice_end_date(cond, "abatement") if ended else None
        undated_end = ended and end is None and abated and not history
        if ended and end is None and not history and not undated_end:
            end = start  # resolved with no abatement date: known to have been present at onset
        note = (
            "a personal-history code: when the cancer was diagnosed or treated is not recorded"
            if history
            else ENDED_UNDATED
            if undated_end
            else None
            if ended
            else "ongoing"
        )
        if history:
            start, latest, end = None, None, None
        match = Match(cond, start, end, how, concept_text(cond.get("code")), note, latest)
        if verification in UNCERTAIN_VERIFICATION:
            uncertain.append(
                Match(
                    cond,
                    start,
                    end,
                    how,
                    match.display,
                    f"its verification status is {verification}",
                    latest,
                )
            )
        else:
            matches.append(match)
    return matches, uncertain


def condition_matches(ctx: Context, definition: Definition) -> tuple[list[Match], list[Match]]:
    """Return (usable, uncertain) Condition matches of a definition's value set (for kinds that
    weigh them against tests).
    """
    return _condition_matches(ctx, definition)


def condition_count(ctx: Context, name: str, definition: Definition) -> Fact:
    """Number of distinct episodes (Conditions by onset date) in the value set within the window."""
    blocked = ctx.blocked(("Condition",), ctx.value_set(definition))
    label = definition.document.get("label", name)
    if blocked:
        return unknown(name, f"{label}: {blocked}; not decided")
    matches, _uncertain = _condition_matches(ctx, definition)
    matches = _dated(matches, ctx)
    start = ctx.window_start(definition)
    dated = sorted({m.start for m in matches if m.start and m.start <= ctx.as_of})
    gap = definition.document.get("episodeGapDays")
    first_of = {day: day for day in dated}
    if gap:
        # Records of one episode (emergency, ward, clinic) less than ``gap`` days after the
        # episode's first record are that episode. All dated records are grouped before the window
        # cut: a follow-up inside the window of an episode that began before it is no new episode.
        first = None
        for day in dated:
            if first is None or (day - first).days >= gap:
                first = day
            first_of[day] = first
    days = sorted({f for f in first_of.values() if start is None or f >= start})
    recorded = {day for day, f in first_of.items() if f in days}
    undated = [m for m in matches if m.start is None]
    summary = f"{label}: {len(days)} {ctx.window_text(definition)}"
    if gap and len(recorded) > len(days):
        summary += (
            f" ({len(recorded)} onset dates; those less than {gap} days after an "
            "episode's first record counted as that episode)"
        )
    cited = tuple(_cite(m) for m in matches if m.start in recorded)
    if undated:
        # Undated episodes may or may not fall in the window: the count is a range, decided where it
        # can be.
        summary += f", plus {len(undated)} episode(s) without an onset date"
        cited += tuple(_cite(m, "no onset date") for m in undated[:5])
        return Fact(name, len(days), summary, cited, len(days), len(days) + len(undated))
    searched = (
        f"searched {len(ctx.record.of_type('Condition'))} Condition records for "
        f"{ctx.value_set(definition).title}"
    )
    if definition.document.get("absence", "no") != "no":
        return _open_count(
            ctx, name, definition, len(days), summary, cited or (Evidence(note=searched),)
        )
    return Fact(name, len(days), summary, cited or (Evidence(note=searched),))


def _medication_concepts(
    ctx: Context, resource: dict[str, Any]
) -> tuple[list[tuple[str, str, str]], list[str]]:
    concepts = list(codings(resource.get("medicationCodeableConcept")))
    texts = [concept_text(resource.get("medicationCodeableConcept"))]
    medication = ctx.record.resolve(resource.get("medicationReference"), resource)
    if medication:
        concepts += list(codings(medication.get("code")))
        texts.append(concept_text(medication.get("code")))
        for ingredient in as_list(medication.get("ingredient")):
            if not isinstance(ingredient, dict):
                continue
            concepts += list(codings(ingredient.get("itemCodeableConcept")))
            texts.append(concept_text(ingredient.get("itemCodeableConcept")))
            # An IV mix (Epic's "IV MIX 250 mL") names its drugs as Medications it references.
            item = _ingredient(ctx, ingredient, medication, resource)
            if item:
                concepts += list(codings(item.get("code")))
                texts.append(concept_text(item.get("code")))
    ref = resource.get("medicationReference")
    if isinstance(ref, dict) and isinstance(ref.get("display"), str):
        texts.append(ref["display"])
    # The dose form and route, which say a drug is not systemic ("Ophthalmic" only in
    # Medication.form or the dosage's route: probe P read cyclosporine eye drops as systemic);
    # after the drug's own texts, which name the record.
    forms = [concept_text(medication.get("form"))] if medication else []
    for dosage in as_list(resource.get("dosageInstruction") or resource.get("dosage")):
        if isinstance(dosage, dict):
            forms.append(concept_text(dosage.get("route")))
    texts += [f for f in forms if f]
    return concepts, texts


# Canonical code systems some value set reads, per value-set table (a table does not change once
# loaded; walking its ~67,000 codes costs ~17 ms). The table is held with its entry, so its id
# cannot be reused by another while the entry stands.
_READ_SYSTEMS: dict[int, tuple[dict[str, ValueSet], frozenset[str]]] = {}


def read_systems(value_sets: dict[str, ValueSet]) -> frozenset[str]:
    """Return the code systems any value set holds codes, prefixes or ranges of."""
    entry = _READ_SYSTEMS.get(id(value_sets))
    if entry is not None and entry[0] is value_sets:
        return entry[1]
    found = frozenset(
        system
        for value_set in value_sets.values()
        for system in (
            *(s for s, _c in value_set.codes),
            *(s for s, _p in value_set.prefixes),
            *(r[0] for r in value_set.review_ranges),
        )
    )
    if len(_READ_SYSTEMS) >= 64:
        _READ_SYSTEMS.clear()  # tests build many small tables; a service has one or two
    _READ_SYSTEMS[id(value_sets)] = (value_sets, found)
    return found


def unread_code(ctx: Context, concept: object) -> str | None:
    """Return "system code" for a concept known only by codes of systems no value set reads, with
    no text or display to match by name (an NDC alone), else None: what it is cannot be read.
    """
    found = list(codings(concept))
    if not found or not isinstance(concept, dict) or concept.get("text"):
        return None
    if any(display for _s, _c, display in found):
        return None
    systems = read_systems(ctx.value_sets)
    if any(canonical_system(system) in systems for system, _c, _d in found):
        return None
    system, code, _display = found[0]
    return f"{system or 'no system'} {code}"


def _unresolved(ctx: Context, resource: dict[str, Any]) -> str | None:
    """Return the medicationReference of a record whose drug cannot be read (not in the record,
    nor contained), or the code of a drug coded only in a system no value set reads, else None.
    """
    if resource.get("medicationCodeableConcept"):
        unread = unread_code(ctx, resource["medicationCodeableConcept"])
        return f"coded only as {unread}, a code system no value set reads" if unread else None
    ref = resource.get("medicationReference")
    target = ref.get("reference") if isinstance(ref, dict) else None
    medication = ctx.record.resolve(ref, resource)
    if medication is None:
        return str(target or "a medicationReference without a reference")
    # A mix whose ingredient Medication is not in the record: its drug may be any.
    for ingredient in as_list(medication.get("ingredient")):
        item = ingredient.get("itemReference") if isinstance(ingredient, dict) else None
        if isinstance(item, dict) and _ingredient(ctx, ingredient, medication, resource) is None:
            return str(item.get("reference") or "an ingredient itemReference without a reference")
    return None


def _ingredient(
    ctx: Context, ingredient: dict[str, Any], medication: dict[str, Any], order: dict[str, Any]
) -> dict[str, Any] | None:
    """Return the Medication an ingredient references, or None: a "#id" of a Medication contained
    in the order points into the order's contained list (FHIR's rule for contained resources).
    """
    reference = ingredient.get("itemReference")
    return ctx.record.resolve(reference, medication) or ctx.record.resolve(reference, order)


def _medication_matches(ctx: Context, definition: Definition) -> tuple[list[Match], list[Match]]:
    """Return the medication records in the value set, and those whose drug cannot be read (they
    may be in it).
    """
    value_set = ctx.value_set(definition)
    open_days = int(definition.document.get("openOrderDays", OPEN_ORDER_DAYS))
    # Therapy definitions share value sets (systemic therapy in 4 weeks, ever, per trial): matched
    # once per record.
    matches, unreadable = ctx.remember(
        ("medication matches", id(value_set), open_days),
        lambda: _find_medication_matches(ctx, value_set, open_days),
    )
    return list(matches), list(unreadable)


# MedicationRequest intents that order nothing: a plan, a proposal or an option is not a drug given.
NOT_AN_ORDER = {"proposal", "plan", "option"}


def _live_medications(ctx: Context, rtype: str) -> list[dict[str, Any]]:
    """Return a medication type's records that are not void (nor only planned), the same list on
    every call.
    """
    return ctx.remember(
        ("live medications", rtype),
        lambda: [
            r
            for r in ctx.record.of_type(rtype)
            if r.get("status") not in VOID_STATUS[rtype]
            # The record checks type a MedicationRequest's intent as a string (hashable).
            and not (rtype == "MedicationRequest" and r.get("intent") in NOT_AN_ORDER)
            # An order NOT to give the drug (doNotPerform, R4) is no record of it given.
            and r.get("doNotPerform") is not True
        ],
    )


def _medication_item(
    ctx: Context,
    resource: dict[str, Any],
    concepts: list[tuple[str, str, str]],
    texts: list[str],
    open_days: int,
) -> tuple[date | None, date | None, str | None, str, date | None]:
    """Return a medication record's (start, end, note, display, last day it can have been
    written), worked out once per record and open-order bound.
    """

    def work_out() -> tuple[date | None, date | None, str | None, str, date | None]:
        start, end, note = medication_span(resource, open_days)
        display = next((t for t in texts if t), "") or next((d or c for _s, c, d in concepts), "")
        return start, end, note, display, _authored_last(resource)

    return ctx.remember(("medication item", id(resource), open_days), work_out)


def _unresolved_of(ctx: Context, rtype: str) -> list[tuple[dict[str, Any], str]]:
    """Return a medication type's live records whose drug cannot be read, with their reference,
    found once per record.
    """

    def find() -> list[tuple[dict[str, Any], str]]:
        found = []
        for resource in _live_medications(ctx, rtype):
            target = _unresolved(ctx, resource)
            if target:
                found.append((resource, target))
        return found

    return ctx.remember(("unresolved medications", rtype), find)


def _authored_last(resource: dict[str, Any]) -> date | None:
    """The last day an order written only as a month or year ("2026-11") can have been written."""
    if resource.get("resourceType") != "MedicationRequest":
        return None
    first, last = parse_date(resource.get("authoredOn")), parse_end_date(resource.get("authoredOn"))
    return last if first is not None and last is not None and last > first else None


def _find_medication_matches(
    ctx: Context, value_set: ValueSet, open_days: int
) -> tuple[list[Match], list[Match]]:
    """Return the medication records in a value set, and those whose drug cannot be read."""
    matches: list[Match] = []
    unreadable: list[Match] = []
    for rtype in MEDICATION_TYPES:
        records = _live_medications(ctx, rtype)
        matched = ctx.matching(rtype, records, lambda r: _medication_concepts(ctx, r), value_set)
        for resource, how, concepts, texts in matched:
            start, end, note, display, latest = _medication_item(
                ctx, resource, concepts, texts, open_days
            )
            matches.append(Match(resource, start, end, how, f"{display} ({rtype})", note, latest))
        hit = {id(item[0]) for item in matched}
        for resource, target in _unresolved_of(ctx, rtype):
            if id(resource) not in hit:
                start, end, _note = medication_span(resource, open_days)
                unreadable.append(
                    Match(
                        resource,
                        start,
                        end,
                        "reference",
                        f"{target} ({rtype})",
                        f"its drug is {target}, so what was given is unknown"
                        if resource.get("medicationCodeableConcept")
                        else f"its drug ({target}) is not in the record, so what was given is "
                        "unknown",
                    )
                )
    return matches, unreadable


def medication(ctx: Context, name: str, definition: Definition) -> Fact:
    """Whether any medication record (request, statement, administration) is in the value set, in
    the window.
    """
    failed = ctx.blocked(MEDICATION_TYPES, ctx.value_set(definition))
    if failed:
        return unknown(name, f"{definition.document.get('label', name)}: {failed}; not decided")
    total = sum(len(ctx.record.of_type(t)) for t in MEDICATION_TYPES)
    matches, unreadable = _medication_matches(ctx, definition)
    start = ctx.window_start(definition)
    # A drug that cannot be read may be in the value set: in the window (or undated), it leaves the
    # answer unknown, never "no".
    possible = [m for m in unreadable if _in_window(m, start, ctx.as_of) is not False]
    fact = _decide(ctx, name, definition, matches, f"{total} medication records", possible)
    if fact.value is True or definition.procedure_value_set is None:
        return fact
    return _given_as_procedure(
        ctx, definition, fact, ctx.value_sets[definition.procedure_value_set]
    )


def _given_as_procedure(
    ctx: Context, definition: Definition, fact: Fact, value_set: ValueSet
) -> Fact:
    """A therapy not found as a drug, looked for as a procedure that gave one: a chemotherapy
    session coded in CPT, SNOMED CT or ICD-10-PCS names no drug, so one in the window (or undated)
    is for review, never "no".
    """
    label = definition.document.get("label", fact.name)
    blocked = ctx.blocked(("Procedure",), value_set)
    if blocked:
        return unknown(
            fact.name,
            f"{label}: {blocked}, and a procedure that gave it may be on record; not decided",
            fact.evidence,
        )
    start = ctx.window_start(definition)
    inside = [
        m
        for m in _dated(_performed(ctx, value_set), ctx)
        if _in_window(m, start, ctx.as_of) is not False
    ]
    if not inside:
        return fact
    first = inside[0]
    when = f"on {iso(first.start)}" if first.start else "without a date"
    return Fact(
        fact.name,
        None,
        f"{label}: {first.display} {when}, a procedure that does not say which drug was given",
        (
            *(_cite(m, "a procedure: which drug it gave is not recorded") for m in inside[:5]),
            *fact.evidence,
        ),
        review=f"{label}: {first.display} {when} is recorded as a procedure, not as a drug: "
        "to confirm what was given",
    )


def medication_cycles(ctx: Context, name: str, definition: Definition) -> Fact:
    """Number of treatment cycles: dated records in the value set, days within ``cycleGapDays``
    joined.
    """
    label = definition.document.get("label", name)
    failed = ctx.blocked(MEDICATION_TYPES, ctx.value_set(definition))
    if failed:
        return unknown(name, f"{label}: {failed}; not decided")
    found, unreadable = _medication_matches(ctx, definition)
    matches = [m for m in _dated(found, ctx) if m.start is None or m.start <= ctx.as_of]
    if any(m.start is None or m.start <= ctx.as_of for m in unreadable):
        first = next(m for m in unreadable if m.start is None or m.start <= ctx.as_of)
        return unknown(
            name,
            f"{label}: {first.display}: {first.note}; cycles cannot be counted",
            (_cite(first),),
        )
    administered = [m for m in matches if m.resource["resourceType"] == "MedicationAdministration"]
    # Administrations say what was given; orders and statements are used only when there are none.
    used = administered or matches
    if any(m.start is None for m in used):
        return unknown(
            name, f"{label}: a matching medication record has no date, so cycles cannot be counted"
        )
    gap = timedelta(days=int(definition.document.get("cycleGapDays", 7)))
    cycles: list[date] = []
    for day in sorted({m.start for m in used if m.start}):
        if not cycles or day - cycles[-1] > gap:
            cycles.append(day)
    source = "administrations" if administered else "orders and statements"
    summary = (
        f"{label}: {len(cycles)} cycle(s) from {len(used)} {source}"
        if used
        else f"{label}: none on record"
    )
    cited = tuple(_cite(m) for m in used[:8]) or (
        Evidence(
            note=f"searched medication records for {ctx.value_set(definition).title}: none found"
        ),
    )
    if definition.document.get("absence", "no") != "no":
        return _open_count(ctx, name, definition, len(cycles), summary, cited)
    return Fact(name, len(cycles), summary, cited)


def procedure(ctx: Context, name: str, definition: Definition) -> Fact:
    """Whether a Procedure in the value set was performed in the window (a course with a
    performedPeriod: any part of it).
    """
    value_set = ctx.value_set(definition)
    blocked = ctx.blocked(("Procedure",), value_set)
    if blocked:
        return unknown(name, f"{definition.document.get('label', name)}: {blocked}; not decided")
    return _decide(
        ctx,
        name,
        definition,
        _performed(ctx, value_set),
        f"{len(ctx.record.of_type('Procedure'))} Procedure records",
        [],
    )


def _performed(ctx: Context, value_set: ValueSet) -> list[Match]:
    """Return the performed Procedures in a value set, matched once per record and value set
    (surgery in 28 days, major surgery in 4 weeks, a chemotherapy session read for a therapy).
    """
    return list(
        ctx.remember(
            ("procedure matches", id(value_set)), lambda: _procedure_matches(ctx, value_set)
        )
    )


def _procedure_matches(ctx: Context, value_set: ValueSet) -> list[Match]:
    """Return the performed Procedures in a value set, each with the days it covers."""
    matches = []
    performed = ctx.remember(
        ("live procedures",),
        lambda: [
            p
            for p in ctx.record.of_type("Procedure")
            if p.get("status") not in VOID_STATUS["Procedure"]
        ],
    )
    # Texts only for a value set with names (so an excluded set's names never see them), and each
    # distinct code matched once (Context.matching): a record repeats the same few procedures.
    named = bool(value_set.names)
    for proc, how, _concepts, _texts in ctx.matching(
        "Procedure by name" if named else "Procedure by code",
        performed,
        _describe_procedure if named else _procedure_codes,
        value_set,
    ):
        course = isinstance(proc.get("performedPeriod"), dict)
        start, end = choice_date(proc, "performed"), choice_end_date(proc, "performed")
        note, latest = None, None
        if course and not isinstance(proc["performedPeriod"].get("end"), str):
            if proc.get("status") == "in-progress":
                end = ctx.as_of  # a course still under way reaches the as-of date
            else:
                note, end = ENDED_UNDATED, None  # a course that ended, on a day not recorded
        elif not course and start is not None and end is not None and end > start:
            latest, end = end, start  # "2026-10": done on one day of the month, which is not known
        matches.append(
            Match(
                proc, start, end, how, concept_text(proc.get("code")), note, latest, course=course
            )
        )
    return matches


def _describe_procedure(proc: dict[str, Any]) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Return a Procedure's codings and its text, for a value set with names."""
    return list(codings(proc.get("code"))), [concept_text(proc.get("code"))]


def _procedure_codes(proc: dict[str, Any]) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Return a Procedure's codings alone, for a value set of codes."""
    return list(codings(proc.get("code"))), []


def _describe_allergy(item: dict[str, Any]) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Return an allergy's substance and its reactions' substances, codings and texts."""
    concepts = list(codings(item.get("code")))
    texts = [concept_text(item.get("code"))]
    for reaction in as_list(item.get("reaction")):
        if isinstance(reaction, dict):
            concepts += list(codings(reaction.get("substance")))
            texts.append(concept_text(reaction.get("substance")))
    return concepts, texts


def _describe_immunization(item: dict[str, Any]) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Return an Immunization's vaccine codings and text (a vaccine known only by its text or a
    code system the set does not hold, an NDC, is matched by name: review).
    """
    concept = item.get("vaccineCode")
    return list(codings(concept)), [concept_text(concept)]


def allergy(ctx: Context, name: str, definition: Definition) -> Fact:
    """Whether an active AllergyIntolerance names a substance in the value set."""
    value_set = ctx.value_set(definition)
    blocked = ctx.blocked(("AllergyIntolerance",), value_set)
    if blocked:
        return unknown(name, f"{definition.document.get('label', name)}: {blocked}; not decided")
    matches: list[Match] = []
    uncertain: list[Match] = []
    for item in ctx.record.of_type("AllergyIntolerance"):
        verification = status_code(item.get("verificationStatus"))
        if verification in {"refuted", "entered-in-error"}:
            continue
        if status_code(item.get("clinicalStatus")) in {"inactive", "resolved"}:
            continue
        how = value_set.match(*_describe_allergy(item))
        if how:
            onset = choice_date(item, "onset") or parse_date(item.get("recordedDate"))
            doubt = (
                f"its verification status is {verification}"
                if verification in {"unconfirmed", "presumed"}
                # An intolerance (nausea, say) is a non-immune reaction, not the hypersensitivity
                # the documents name: a person judges it.
                else "it is recorded as an intolerance, not an allergy"
                if item.get("type") == "intolerance"
                else None
            )
            if doubt:
                # "Known hypersensitivity": an unconfirmed allergy or an intolerance is for a
                # person to check, not a verdict.
                uncertain.append(
                    Match(item, onset, None, how, concept_text(item.get("code")), doubt)
                )
            else:
                matches.append(
                    Match(item, onset, None, how, concept_text(item.get("code")), "ongoing")
                )
    if uncertain and not matches:
        # Not missing data (unknown): the record is there, and what it means is a person's call.
        label, first = definition.document.get("label", name), uncertain[0]
        found = f"{label}: {first.display} is recorded but {first.note}"
        return Fact(
            name, None, found, tuple(_cite(m) for m in uncertain[:5]), review=f"{found}: to confirm"
        )
    return _decide(
        ctx,
        name,
        definition,
        matches,
        f"{len(ctx.record.of_type('AllergyIntolerance'))} AllergyIntolerance records",
        uncertain,
    )


def immunization(ctx: Context, name: str, definition: Definition) -> Fact:
    """Whether an Immunization with a vaccine in the value set was given in the window."""
    value_set = ctx.value_set(definition)
    blocked = ctx.blocked(("Immunization",), value_set)
    if blocked:
        return unknown(name, f"{definition.document.get('label', name)}: {blocked}; not decided")
    matches, unreadable = [], []
    for item in ctx.record.of_type("Immunization"):
        if item.get("status") in {"entered-in-error", "not-done"}:
            continue
        how = value_set.match(*_describe_immunization(item))
        day = choice_date(item, "occurrence")
        if how:
            matches.append(Match(item, day, day, how, concept_text(item.get("vaccineCode"))))
            continue
        unread = unread_code(ctx, item.get("vaccineCode"))
        if unread and (day is None or ctx.in_window(definition, day)):
            # An NDC alone: the vaccine may be in the set, so its absence is not established.
            unreadable.append(
                Match(
                    item,
                    day,
                    day,
                    "code",
                    unread,
                    "its vaccine is coded only in a code "
                    "system no value set reads, so which vaccine it was is unknown",
                )
            )
    return _decide(
        ctx,
        name,
        definition,
        matches,
        f"{len(ctx.record.of_type('Immunization'))} Immunization records",
        unreadable,
    )
