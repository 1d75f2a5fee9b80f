"""Evaluate a trial's criteria over a patient's facts and build the report with verdict and evidence."""

from __future__ import annotations

from datetime import date
from typing import Any

from service.facts import Fact, FactSet, unknown
from service.facts.derived import data_for
from service.facts.patient import deceased_criterion
from service.records.record import PatientRecord
from service.rulebook.book import Criterion, Rulebook, Trial
from service.rulebook.valuesets import value_sets_version

STATUS_ORDER = ("met", "not-met", "unknown", "review")
VERDICT_ORDER = {"eligible": 0, "insufficient-data": 1, "ineligible": 2}


def evaluate_criterion(criterion: Criterion, facts: FactSet) -> dict[str, Any]:
    """Return one criterion's status, reason and evidence."""
    base = {
        "id": criterion.id,
        "kind": criterion.kind,
        "source": criterion.source,
        "text": criterion.text,
    }
    if criterion.formula is None:
        return {
            **base,
            "status": "review",
            "reason": criterion.review,
            "evidence": [],
            "missing": [],
        }
    used = [facts.get(name) for name in sorted(criterion.reads)]
    data = data_for(used)
    result = criterion.formula.evaluate(data)
    status = "unknown" if result is None else "met" if result else "not-met"
    # An unknown result is explained by the logic's own facts, not by those only reviewUnless reads.
    decisive = [f for f in used if f.name in criterion.formula.reads]
    if result is None:
        nulls = [f for f in decisive if f.value is None]
        # With no unknown fact, a value known only as a range (a partial birth date, a '<' result) is the cause.
        ranged = [f for f in decisive if f.low is not None or f.high is not None]
        if nulls:
            reason = "; ".join(f.summary for f in nulls)
        elif ranged:
            reason = "; ".join(f.summary for f in ranged) + " — the range straddles the limit"
        else:
            reason = "the data on record cannot decide it"
    else:
        reason = "; ".join(f.summary for f in used)
    evidence = [e.to_json() for f in used for e in f.evidence]
    # What a clinician could obtain to decide an unknown criterion (missing or stale labs).
    missing = (
        sorted({f.missing for f in decisive if f.value is None and f.missing})
        if result is None
        else []
    )
    reason = f"{reason} [rule: {criterion.formula.text}]"
    if criterion.kind == "exclusion" and result and _rests_on_names(criterion, used):
        status, reason = (
            "review",
            f"met only through a record matched by name, not by code: a person must confirm ({reason})",
        )
    causes = [f for f in decisive if f.value is None or f.low is not None or f.high is not None]
    if result is None and causes and all(f.review for f in causes):
        # Undecided only because history a person must confirm was not found: review, not unknown.
        status, reason, missing = (
            "review",
            "; ".join(sorted({f.review for f in causes if f.review})) + f" ({reason})",
            [],
        )
    elif criterion.turns_to_review(status) and not (
        criterion.review_unless is not None and criterion.review_unless.evaluate(data) is True
    ):
        status, reason = "review", f"{criterion.review_reason} ({reason})"
    return {**base, "status": status, "reason": reason, "evidence": evidence, "missing": missing}


def _rests_on_names(criterion: Criterion, used: list[Fact]) -> bool:
    """Whether a met exclusion would no longer be met with its name-only matches set to unknown."""
    named = {f.name for f in used if f.by_name}
    if not named or criterion.formula is None:
        return False
    doubted = [unknown(f.name, f.summary) if f.name in named else f for f in used]
    return criterion.formula.evaluate(data_for(doubted)) is not True


def bars(item: dict[str, Any]) -> bool:
    """Say whether a reported criterion keeps the patient out: an inclusion not met, or an exclusion met."""
    return (item["kind"], item["status"]) in (("inclusion", "not-met"), ("exclusion", "met"))


def verdict(criteria: list[dict[str, Any]]) -> str:
    """Ineligible on any failed inclusion or met exclusion; eligible when nothing is unknown."""
    if any(bars(item) for item in criteria):
        return "ineligible"
    if any(item["status"] == "unknown" for item in criteria):
        return "insufficient-data"
    return "eligible"


def evaluate_trial(
    book: Rulebook, trial: Trial, record: PatientRecord, as_of: date, facts: FactSet | None = None
) -> dict[str, Any]:
    """Evaluate every criterion of a trial and return the report."""
    facts = facts or FactSet(record, as_of, book)
    criteria = [evaluate_criterion(c, facts) for c in trial.criteria]
    vital = deceased_criterion(record.patient, as_of)
    if vital:
        criteria.insert(0, vital)  # said first: nothing else about a deceased patient matters
    report = {
        "trialId": trial.id,
        "title": trial.title,
        "patientId": record.patient_id,
        "asOf": as_of.isoformat(),
        "verdict": verdict(criteria),
        "rulesVersion": book.version,
        "valueSetsVersion": value_sets_version(book.value_sets),
        "counts": {status: sum(c["status"] == status for c in criteria) for status in STATUS_ORDER},
        # Criteria a person must still confirm: "eligible" with these open reads "no barrier found — N items to confirm".
        "toConfirm": sum(c["status"] == "review" for c in criteria),
        "criteria": criteria,
    }
    if record.failed:
        report["dataErrors"] = [
            {"resourceType": rtype, "message": message}
            for rtype, message in sorted(record.failed.items())
        ]
    if record.unreadable:
        report["dataQuality"] = [item.to_json() for item in record.unreadable]
    if record.notes:
        # Warnings the FHIR server or EHR attached to data that did arrive: shown, they decide nothing.
        report["dataNotes"] = [
            {"resourceType": rtype, "message": note}
            for rtype, items in sorted(record.notes.items())
            for note in items
        ]
    return report


def verdict_text(report: dict[str, Any]) -> str:
    """Return the verdict as people read it: "eligible" with open review items is "no barrier found — N items to confirm"."""
    open_items = report.get("toConfirm", 0)
    if report["verdict"] == "eligible" and open_items:
        return f"no barrier found — {open_items} item{'s' if open_items != 1 else ''} to confirm"
    return str(report["verdict"])


def evaluate_trials(
    book: Rulebook,
    trials: list[Trial],
    record: PatientRecord,
    as_of: date,
    facts: FactSet | None = None,
) -> list[dict[str, Any]]:
    """Evaluate several trials over one set of facts; eligible first, then insufficient-data, then ineligible."""
    facts = facts or FactSet(record, as_of, book)
    reports = [evaluate_trial(book, trial, record, as_of, facts) for trial in trials]
    return sorted(reports, key=lambda r: (VERDICT_ORDER[r["verdict"]], r["trialId"]))
