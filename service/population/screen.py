"""Population rows: each patient × trial result, by the evaluator's own criteria, from statuses
shared between the patients of a bucket.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from service.evaluation.evaluate import deceased_result, evaluate_criterion
from service.evaluation.report import CriterionResult, TrialReport
from service.population.shared_facts import ScreenFacts, SharedFacts, Signature
from service.records.record import PatientRecord
from service.rulebook.book import Criterion, Rulebook, Trial


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


class Screen:
    """Screen records against trials on one as-of date: the evaluator's criteria over facts, each
    criterion decided once per distinct set of fact statuses.

    A criterion's status is a function of its facts' statuses (shared_facts.signature), so a
    criterion result is shared by every patient whose facts have the same ones; its reason and
    evidence are left out (a row holds statuses, and the per-patient evaluation rebuilds the
    report).
    """

    def __init__(self, book: Rulebook, trials: list[Trial], as_of: date) -> None:
        self.book, self.trials, self.as_of = book, trials, as_of
        # By the criterion object: criterion ids repeat across trials (every trial has an inc-1).
        self._reads = {id(c): tuple(sorted(c.reads)) for trial in trials for c in trial.criteria}
        self._forget()

    def _forget(self) -> None:
        """Start the memos afresh (all at once: a row memo is keyed by its results' identities)."""
        self.shared = SharedFacts(self.book)
        self._results: dict[tuple[int, tuple[Signature, ...]], CriterionResult] = {}
        self._rows: dict[tuple[Any, ...], dict[str, Any]] = {}

    @property
    def size(self) -> int:
        """Return how many entries the memos hold (trie nodes, signatures, results, rows)."""
        return self.shared.size + len(self._results) + len(self._rows)

    def trim(self, limit: int) -> None:
        """Forget the memos when they hold more than ``limit`` entries (the worker's bound)."""
        if self.size > limit:
            self._forget()

    def rows(self, record: PatientRecord) -> list[dict[str, Any]]:
        """Return one row per trial for a record, in the trials' order."""
        facts = ScreenFacts(record, self.as_of, self.book, self.shared)
        vital = deceased_result(record, self.as_of)
        rows = []
        for trial in self.trials:
            results = [self._result(c, facts) for c in trial.criteria]
            key = (trial.id, vital.status if vital else None, *map(id, results))
            row = self._rows.get(key)
            if row is None:
                criteria = (vital, *results) if vital else tuple(results)
                row = self._rows[key] = row_from_report(
                    TrialReport(
                        trial.id, trial.title, "", self.as_of, self.book.version, "", criteria
                    )
                )
            rows.append(row)
        return rows

    def _result(self, criterion: Criterion, facts: ScreenFacts) -> CriterionResult:
        """Return a criterion's status and missing labs, from the memo when the facts' statuses
        were seen before.
        """
        key = (id(criterion), tuple(facts.signature_of(n) for n in self._reads[id(criterion)]))
        found = self._results.get(key)
        if found is None:
            full = evaluate_criterion(criterion, facts)
            found = self._results[key] = CriterionResult(
                full.id, full.kind, full.source, full.text, full.status, "", (), full.missing
            )
        return found
