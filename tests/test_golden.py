"""Every fixture patient's report equals its reviewed golden report, and fails exactly what its manifest says."""

from __future__ import annotations

import orjson
import pytest

from service.evaluation.evaluate import evaluate_trial
from service.evaluation.report import Status, TrialReport, Verdict
from service.records.bundle import record_from_bundle
from service.rulebook.book import Rulebook
from tests.golden_cases import Case, cases, comparable

CASES = cases()


def _report(book: Rulebook, case: Case) -> TrialReport:
    trial = book.trial(case.trial)
    assert trial is not None
    return evaluate_trial(
        book, trial, record_from_bundle(orjson.loads(case.bundle_path.read_bytes())), case.as_of
    )


def test_there_are_cases_for_every_trial(book: Rulebook) -> None:
    """Each trial in the rulebook has fixture patients."""
    assert {c.trial for c in CASES} == set(book.trials)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.trial}/{c.name}")
def test_report_matches_golden(book: Rulebook, case: Case) -> None:
    """The report equals the golden file (compared as parsed JSON, rules hash aside)."""
    assert comparable(_report(book, case).to_json()) == orjson.loads(case.golden_path.read_bytes())


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.trial}/{c.name}")
def test_case_fails_exactly_what_its_manifest_says(book: Rulebook, case: Case) -> None:
    """The verdict, and the set of failed criteria (inclusion not-met, exclusion met), are as the manifest states."""
    report = _report(book, case)
    statuses = {c.id: c.status for c in report.criteria}
    assert report.verdict is Verdict(case.expect["verdict"])
    assert sorted(c.id for c in report.barriers) == sorted(case.expect.get("fails", []))
    pinned = case.expect.get("statuses", {})
    assert {cid: statuses.get(cid) for cid in pinned} == {
        cid: Status(status) for cid, status in pinned.items()
    }
