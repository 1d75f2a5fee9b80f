"""The screening fast path: each criterion's status from the same facts and formulas, without evidence text."""

from __future__ import annotations

from datetime import date
from typing import Any

from service.evaluate import STATUS_ORDER, verdict
from service.facts import FactSet
from service.facts.derived import data_for
from service.record import PatientRecord
from service.rulebook import Criterion, Rulebook, Trial


def criterion_status(criterion: Criterion, facts: FactSet) -> tuple[str, list[str]]:
    """Return (status, labs to obtain) exactly as evaluate_criterion decides them."""
    if criterion.formula is None:
        return "review", []
    used = [facts.get(name) for name in sorted(criterion.formula.reads)]
    result = criterion.formula.evaluate(data_for(used))
    status = "unknown" if result is None else "met" if result else "not-met"
    missing = sorted({f.missing for f in used if f.value is None and f.missing}) if result is None else []
    if status == criterion.review_when:
        status = "review"
    return status, missing


def screen_trial(trial: Trial, facts: FactSet) -> dict[str, Any]:
    """Return one patient × trial result row (without the patient's ids and dates): verdict, counts, criterion ids by status, labs."""
    items = []
    to_obtain: set[str] = set()
    for criterion in trial.criteria:
        status, missing = criterion_status(criterion, facts)
        items.append({"id": criterion.id, "kind": criterion.kind, "status": status})
        if status == "unknown":
            to_obtain.update(missing)
    return row_from_criteria(trial.id, items, sorted(to_obtain))


def row_from_criteria(trial_id: str, items: list[dict[str, Any]], to_obtain: list[str]) -> dict[str, Any]:
    """Summarise criterion statuses (``id``, ``kind``, ``status``) as a results row; shared by the fast and the full path."""
    return {
        "trialId": trial_id,
        "verdict": verdict(items),
        "counts": {status: sum(i["status"] == status for i in items) for status in STATUS_ORDER},
        "failed": [i["id"] for i in items if (i["kind"] == "inclusion" and i["status"] == "not-met") or (i["kind"] == "exclusion" and i["status"] == "met")],
        "unknown": [i["id"] for i in items if i["status"] == "unknown"],
        "review": [i["id"] for i in items if i["status"] == "review"],
        "toObtain": to_obtain,
    }


def row_from_report(report: dict[str, Any]) -> dict[str, Any]:
    """Summarise a full per-patient report the same way (the reference the fast path is checked against)."""
    criteria = report["criteria"]
    to_obtain = sorted({m for c in criteria if c["status"] == "unknown" for m in c.get("missing", [])})
    return row_from_criteria(report["trialId"], criteria, to_obtain)


def screen_record(book: Rulebook, trials: list[Trial], record: PatientRecord, as_of: date) -> list[dict[str, Any]]:
    """Screen one record against several trials over one set of facts."""
    facts = FactSet(record, as_of, book)
    return [screen_trial(trial, facts) for trial in trials]
