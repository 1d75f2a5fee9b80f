"""Every fixture patient's whole report equals its golden (base + delta), and fails exactly what
its manifest says.
"""

from __future__ import annotations

import orjson
import pytest

from service.evaluation.evaluate import evaluate_trial
from service.evaluation.report import Status, TrialReport, Verdict
from service.records.bundle import record_from_bundle
from service.rulebook.book import Rulebook
from tests.golden_cases import (
    Case,
    base_path,
    cases,
    comparable,
    deltas_path,
    golden_report,
)

CASES = cases()
TRIALS = sorted({c.trial for c in CASES})
# Each case's report is computed once and read by both tests below (the evaluation is what costs).
_REPORTS: dict[tuple[str, str], TrialReport] = {}


def _report(book: Rulebook, case: Case) -> TrialReport:
    key = (case.trial, case.name)
    if key not in _REPORTS:
        trial = book.trial(case.trial)
        assert trial is not None
        record = record_from_bundle(orjson.loads(case.bundle_path.read_bytes()))
        _REPORTS[key] = evaluate_trial(book, trial, record, case.as_of)
    return _REPORTS[key]


def test_there_are_cases_for_every_trial(book: Rulebook) -> None:
    """Each trial in the rulebook has fixture patients."""
    assert set(TRIALS) == set(book.trials)


@pytest.mark.parametrize("trial", TRIALS)
def test_the_deltas_name_exactly_the_trials_cases(trial: str) -> None:
    """deltas.json has one entry per case of the manifest (none stale, none missing), and the
    base case's is empty.
    """
    deltas = orjson.loads(deltas_path(trial).read_bytes())
    names = [c.name for c in CASES if c.trial == trial]
    assert list(deltas) == names
    assert deltas[names[0]] == {}
    assert orjson.loads(base_path(trial).read_bytes())["trialId"] == trial


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.trial}/{c.name}")
def test_report_matches_golden(book: Rulebook, case: Case) -> None:
    """The whole report equals the golden rebuilt from base + delta (parsed JSON, rules hash
    aside).
    """
    assert comparable(_report(book, case).to_json()) == golden_report(case)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.trial}/{c.name}")
def test_case_fails_exactly_what_its_manifest_says(book: Rulebook, case: Case) -> None:
    """The verdict, and the set of failed criteria (inclusion not-met, exclusion met), are as the
    manifest states.
    """
    report = _report(book, case)
    statuses = {c.id: c.status for c in report.criteria}
    assert report.verdict is Verdict(case.expect["verdict"])
    assert sorted(c.id for c in report.barriers) == sorted(case.expect.get("fails", []))
    pinned = case.expect.get("statuses", {})
    assert {cid: statuses.get(cid) for cid in pinned} == {
        cid: Status(status) for cid, status in pinned.items()
    }
