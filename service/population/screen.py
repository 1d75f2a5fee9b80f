"""Population rows: each patient × trial result summarised from the evaluator's own report."""

from __future__ import annotations

from datetime import date
from typing import Any

from service.evaluation.evaluate import evaluate_trial
from service.evaluation.report import TrialReport
from service.facts import FactSet
from service.records.record import PatientRecord
from service.rulebook.book import Rulebook, Trial


def row_from_report(report: TrialReport) -> dict[str, Any]:
    """Summarise a per-patient report as a results row: verdict, counts, and the ids that fail, are
    unknown or need review.

    A row is the data results.ndjson holds, so its values are plain strings, as when it is read
    back.
    """
    return {
        "trialId": report.trial_id,
        "verdict": report.verdict.value,
        "counts": {status.value: n for status, n in report.counts.items()},
        "failed": [c.id for c in report.barriers],
        "unknown": [c.id for c in report.undecided],
        "review": [c.id for c in report.to_review],
        "toObtain": report.to_obtain,
    }


def screen_record(
    book: Rulebook, trials: list[Trial], record: PatientRecord, as_of: date
) -> list[dict[str, Any]]:
    """Screen one record against several trials over one set of facts, through the per-patient
    evaluator itself.

    A separate status-only path saved about 13 % and drifted from the evaluator as soon as review
    rules grew (reviewUnless, absence 'review', name-only exclusions, the deceased check): the rows
    must equal the reports.
    """
    facts = FactSet(record, as_of, book)
    return [row_from_report(evaluate_trial(book, trial, record, as_of, facts)) for trial in trials]
