"""Rewrite the golden reports from the current rules: python -m tests.update_golden [TRIAL ...] (review the diff!)."""

from __future__ import annotations

import sys

import orjson

from service.evaluation.evaluate import evaluate_trial
from service.records.bundle import record_from_bundle
from service.rulebook.book import load_rulebook
from tests.golden_cases import cases, comparable


def main() -> None:
    """Evaluate every fixture case and write its golden report."""
    book = load_rulebook()
    only = set(sys.argv[1:])
    for case in cases():
        if only and case.trial not in only:
            continue
        trial = book.trial(case.trial)
        assert trial is not None, case.trial
        record = record_from_bundle(orjson.loads(case.bundle_path.read_bytes()))
        report = comparable(evaluate_trial(book, trial, record, case.as_of).to_json())
        case.golden_path.parent.mkdir(parents=True, exist_ok=True)
        case.golden_path.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")


if __name__ == "__main__":
    main()
