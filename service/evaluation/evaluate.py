"""Evaluate a trial's criteria over a patient's facts and build the report with verdict and
evidence.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from service.evaluation.report import (
    DECEASED_ID,
    DECEASED_SOURCE,
    DECEASED_TEXT,
    CriterionResult,
    DataProblem,
    Kind,
    SetAside,
    Status,
    TrialReport,
)
from service.facts import Fact, FactSet, unknown
from service.facts.derived import data_for
from service.facts.patient import deceased
from service.records.record import PatientRecord
from service.rulebook.book import Criterion, Rulebook, Trial
from service.rulebook.valuesets import value_sets_version


def evaluate_criterion(criterion: Criterion, facts: FactSet) -> CriterionResult:
    """Return one criterion's status, reason and evidence."""
    if criterion.formula is None:
        return CriterionResult(
            criterion.id,
            Kind(criterion.kind),
            criterion.source,
            criterion.text,
            Status.REVIEW,
            criterion.review,
        )
    used = [facts.get(name) for name in sorted(criterion.reads)]
    data = data_for(used)
    result = criterion.formula.evaluate(data)
    status = Status.of(result)
    # An unknown result is explained by the logic's own facts, not by those only reviewUnless reads.
    decisive = [f for f in used if f.name in criterion.formula.reads]
    if result is None:
        nulls = [f for f in decisive if f.value is None]
        # With no unknown fact, a value known only as a range (a partial birth date, a '<' result)
        # is the cause.
        ranged = [f for f in decisive if f.low is not None or f.high is not None]
        if nulls:
            reason = "; ".join(f.summary for f in nulls)
        elif ranged:
            reason = "; ".join(f.summary for f in ranged) + " — the range straddles the limit"
        else:
            reason = "the data on record cannot decide it"
    else:
        reason = "; ".join(f.summary for f in used)
    evidence = tuple(e for f in used for e in f.evidence)
    # What a clinician could obtain to decide an unknown criterion (missing or stale labs).
    missing = (
        tuple(sorted({f.missing for f in decisive if f.value is None and f.missing}))
        if result is None
        else ()
    )
    reason = f"{reason} [rule: {criterion.formula.text}]"
    doubted = _doubted_names(criterion, used, facts)
    if result is not None and doubted and _rests_on_names(criterion, used, doubted, result):
        status, reason = (
            Status.REVIEW,
            f"{status.value} only through a record matched by name, not by code: a person must "
            f"confirm ({reason})",
        )
    causes = [f for f in decisive if f.value is None or f.low is not None or f.high is not None]
    if result is None and causes and all(f.review for f in causes):
        # Undecided only because history a person must confirm was not found: review, not unknown.
        status, reason, missing = (
            Status.REVIEW,
            "; ".join(sorted({f.review for f in causes if f.review})) + f" ({reason})",
            (),
        )
    elif criterion.turns_to_review(status) and not (
        criterion.review_unless is not None and criterion.review_unless.evaluate(data) is True
    ):
        status, reason = Status.REVIEW, f"{criterion.review_reason} ({reason})"
    return CriterionResult(
        criterion.id,
        Kind(criterion.kind),
        criterion.source,
        criterion.text,
        status,
        reason,
        evidence,
        missing,
    )


# Kinds whose match by name decides no inclusion: a diagnosis named in a text may be denied or only
# suspected ("Suspected synovial sarcoma, biopsy pending" met an inclusion; "myocardial infarction
# excluded" failed "no history of MI"). A drug named in a medication record is the drug (apatinib
# and anlotinib have no RxNorm code), so it still decides an inclusion.
NAME_DOUBTED_KINDS = frozenset({"condition", "conditionCount", "pregnancy"})


def _doubted_names(criterion: Criterion, used: list[Fact], facts: FactSet) -> set[str]:
    """Return the name-only facts that cannot decide this criterion: any for a met exclusion,
    the diagnoses for an inclusion.
    """
    return {
        f.name
        for f in used
        if f.by_name
        and (criterion.kind == Kind.EXCLUSION or facts.kind_of(f.name) in NAME_DOUBTED_KINDS)
    }


def _rests_on_names(criterion: Criterion, used: list[Fact], named: set[str], result: bool) -> bool:
    """Whether a decided criterion would no longer be decided so with the name-only facts
    ``named`` set to unknown (an exclusion: only when met).
    """
    if criterion.formula is None or (criterion.kind == Kind.EXCLUSION and not result):
        return False
    doubted = [unknown(f.name, f.summary) if f.name in named else f for f in used]
    return criterion.formula.evaluate(data_for(doubted)) is not result


def deceased_result(record: PatientRecord, as_of: date) -> CriterionResult | None:
    """Return the record's own first criterion when the Patient is deceased (or the record cannot
    say).
    """
    fact = deceased(record.patient, as_of)
    if fact is None:
        return None
    return CriterionResult(
        DECEASED_ID,
        Kind.EXCLUSION,
        DECEASED_SOURCE,
        DECEASED_TEXT,
        Status.MET if fact.value else Status.UNKNOWN,
        fact.summary,
        fact.evidence,
    )


def evaluate_trial(
    book: Rulebook, trial: Trial, record: PatientRecord, as_of: date, facts: FactSet | None = None
) -> TrialReport:
    """Evaluate every criterion of a trial and return the report."""
    facts = facts or FactSet(record, as_of, book)
    criteria = [evaluate_criterion(c, facts) for c in trial.criteria]
    vital = deceased_result(record, as_of)
    if vital:
        criteria.insert(0, vital)  # said first: nothing else about a deceased patient matters
    return TrialReport(
        trial.id,
        trial.title,
        record.patient_id,
        as_of,
        book.version,
        value_sets_version(book.value_sets),
        tuple(criteria),
        data_errors=tuple(
            DataProblem(rtype, message) for rtype, message in sorted(record.failed.items())
        ),
        data_quality=tuple(_set_aside(item.to_json()) for item in record.unreadable),
        # Warnings the FHIR server or EHR attached to data that did arrive: shown, they decide
        # nothing.
        data_notes=tuple(
            DataProblem(rtype, note)
            for rtype, items in sorted(record.notes.items())
            for note in items
        ),
    )


def _set_aside(note: dict[str, Any]) -> SetAside:
    """Type a set-aside resource's note (its wording is the record checks' own)."""
    return SetAside(note["reference"], note["resourceType"], note["message"])


def evaluate_trials(
    book: Rulebook,
    trials: list[Trial],
    record: PatientRecord,
    as_of: date,
    facts: FactSet | None = None,
) -> list[TrialReport]:
    """Evaluate several trials over one set of facts; eligible first, then insufficient-data,
    then ineligible.
    """
    facts = facts or FactSet(record, as_of, book)
    reports = [evaluate_trial(book, trial, record, as_of, facts) for trial in trials]
    return sorted(reports, key=lambda r: r.rank_key)
