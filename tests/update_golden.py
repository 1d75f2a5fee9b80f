"""Rewrite the lean goldens from the current rules: python -m tests.update_golden [TRIAL ...]
(review the diff!).

Per trial it writes tests/golden/<NCT>/base.json (the base case's whole report) and deltas.json (per
case what its report changes); see tests/golden_cases.py for the form.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson

from service.evaluation.evaluate import evaluate_trial
from service.records.bundle import record_from_bundle
from service.rulebook.book import Rulebook, load_rulebook
from tests.golden_cases import (
    PATIENT,
    Case,
    base_path,
    cases,
    comparable,
    deltas_path,
    lean,
    substitute,
)


def report_of(book: Rulebook, case: Case) -> dict[str, Any]:
    """Evaluate one case's Bundle and return its comparable report, its patient id written
    {patient}.
    """
    trial = book.trial(case.trial)
    assert trial is not None, case.trial
    record = record_from_bundle(orjson.loads(case.bundle_path.read_bytes()))
    report = comparable(evaluate_trial(book, trial, record, case.as_of).to_json())
    return substitute(report, case.patient_id, PATIENT)  # type: ignore[no-any-return]


def write_json(path: Any, document: Any) -> None:
    """Write a golden file: two-space indents and a final newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")


def main() -> None:
    """Evaluate every fixture case and write each trial's base report and deltas."""
    book = load_rulebook()
    only = set(sys.argv[1:])
    by_trial: dict[str, list[Case]] = {}
    for case in cases():
        if not only or case.trial in only:
            by_trial.setdefault(case.trial, []).append(case)
    for trial, trial_cases in by_trial.items():
        # The base case is the data file's first case (the eligible base patient, unchanged).
        reports = {case.name: report_of(book, case) for case in trial_cases}
        base = reports[trial_cases[0].name]
        write_json(base_path(trial), base)
        write_json(deltas_path(trial), {name: lean(base, r) for name, r in reports.items()})
        sys.stdout.write(f"wrote {trial}: base + {len(reports)} deltas\n")


if __name__ == "__main__":
    main()
