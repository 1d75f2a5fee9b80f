"""Tests for service.evaluation.report: statuses, verdicts, the predicates on a report, and its
exact JSON.
"""

from __future__ import annotations

from datetime import date

import orjson
import pytest

from service.evaluation.evaluate import evaluate_trial
from service.evaluation.report import (
    DECEASED_ID,
    CriterionResult,
    DataProblem,
    Kind,
    SetAside,
    Status,
    TrialReport,
    Verdict,
    verdict_of,
)
from service.facts.base import Evidence
from service.records.bundle import record_from_bundle
from service.rulebook.book import Rulebook
from tests.golden_cases import PATIENT, base_path, cases, comparable, substitute

AS_OF = date(2026, 11, 20)


def result(
    cid: str,
    status: Status,
    kind: Kind = Kind.INCLUSION,
    missing: tuple[str, ...] = (),
) -> CriterionResult:
    """One criterion's result with made-up text."""
    return CriterionResult(cid, kind, "1", f"text {cid}", status, f"reason {cid}", (), missing)


def report(*criteria: CriterionResult) -> TrialReport:
    """A report of one made-up trial over the given criteria."""
    return TrialReport("NCT00000000", "A trial", "p1", AS_OF, "rules-1", "vs-1", criteria)


def test_statuses_are_in_the_order_reports_count_them() -> None:
    """Status members iterate met, not-met, unknown, review: the order of a report's counts."""
    assert [s.value for s in Status] == ["met", "not-met", "unknown", "review"]


def test_verdicts_are_in_the_order_reports_are_ranked() -> None:
    """Verdict ranks go eligible, insufficient-data, ineligible."""
    assert sorted(Verdict, key=lambda v: v.rank) == [
        Verdict.ELIGIBLE,
        Verdict.INSUFFICIENT_DATA,
        Verdict.INELIGIBLE,
    ]


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (True, Status.MET),
        (False, Status.NOT_MET),
        # Kleene's third value: neither true nor false on the data there is.
        (None, Status.UNKNOWN),
    ],
)
def test_status_of_a_three_valued_result(outcome: bool | None, expected: Status) -> None:
    """A rule's true, false or None becomes met, not-met or unknown."""
    assert Status.of(outcome) is expected


@pytest.mark.parametrize(
    ("verdict", "expected"),
    [
        (Verdict.ELIGIBLE, True),
        # Undecided only for want of data: still worth a card and a worklist row.
        (Verdict.INSUFFICIENT_DATA, True),
        (Verdict.INELIGIBLE, False),
    ],
)
def test_a_candidate_is_eligible_or_undecided(verdict: Verdict, expected: bool) -> None:
    """Cards and worklists show the patients who may join: every verdict but ineligible."""
    assert verdict.is_candidate is expected


@pytest.mark.parametrize(
    ("kind", "status", "bars", "passes"),
    [
        (Kind.INCLUSION, Status.MET, False, True),
        (Kind.INCLUSION, Status.NOT_MET, True, False),
        # The excluding condition is present.
        (Kind.EXCLUSION, Status.MET, True, False),
        # Good news, though "not met".
        (Kind.EXCLUSION, Status.NOT_MET, False, True),
        # Undecided and review criteria neither bar nor pass.
        (Kind.INCLUSION, Status.UNKNOWN, False, False),
        (Kind.EXCLUSION, Status.UNKNOWN, False, False),
        (Kind.INCLUSION, Status.REVIEW, False, False),
        (Kind.EXCLUSION, Status.REVIEW, False, False),
    ],
)
def test_what_a_status_means_depends_on_the_kind(
    kind: Kind, status: Status, bars: bool, passes: bool
) -> None:
    """A criterion bars the patient when an inclusion is not met or an exclusion is met; it
    passes when the reverse.
    """
    item = result("c", status, kind)
    assert item.bars is bars
    assert item.passes is passes


@pytest.mark.parametrize(
    ("status", "undecided", "needs_review"),
    [
        (Status.MET, False, False),
        (Status.NOT_MET, False, False),
        (Status.UNKNOWN, True, False),
        (Status.REVIEW, False, True),
    ],
)
def test_open_criteria_are_undecided_or_to_review(
    status: Status, undecided: bool, needs_review: bool
) -> None:
    """Unknown is undecided (data would decide it); review is for a person to confirm."""
    item = result("c", status)
    assert item.undecided is undecided
    assert item.needs_review is needs_review


def test_only_an_undecided_criterion_has_labs_to_obtain() -> None:
    """A decided criterion's missing list (if any) asks for nothing."""
    assert result("c", Status.UNKNOWN, missing=("ANC",)).to_obtain == ("ANC",)
    assert result("c", Status.MET, missing=("ANC",)).to_obtain == ()


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        # Nothing at all to say against the patient.
        ((), Verdict.ELIGIBLE),
        ((Status.MET, Status.REVIEW), Verdict.ELIGIBLE),
        ((Status.MET, Status.UNKNOWN, Status.REVIEW), Verdict.INSUFFICIENT_DATA),
        # A barrier decides, whatever else is unknown.
        ((Status.UNKNOWN, Status.NOT_MET), Verdict.INELIGIBLE),
    ],
)
def test_verdict_of_criteria(statuses: tuple[Status, ...], expected: Verdict) -> None:
    """Ineligible on any barrier; insufficient-data on any unknown; else eligible (review items
    stay open).
    """
    items = [result(f"inc-{i}", s) for i, s in enumerate(statuses)]
    assert verdict_of(items) is expected
    assert report(*items).verdict is expected


def test_counts_name_every_status_in_order() -> None:
    """counts has all four statuses, zeros included, in the enum's order."""
    counts = report(result("a", Status.UNKNOWN), result("b", Status.UNKNOWN)).counts
    assert list(counts.items()) == [
        (Status.MET, 0),
        (Status.NOT_MET, 0),
        (Status.UNKNOWN, 2),
        (Status.REVIEW, 0),
    ]


def test_a_report_sorts_its_criteria_by_what_they_mean() -> None:
    """barriers, passing, undecided and to_review each keep the trial's order."""
    r = report(
        result("inc-1", Status.MET),
        result("inc-2", Status.NOT_MET),
        result("exc-1", Status.MET, Kind.EXCLUSION),
        result("exc-2", Status.NOT_MET, Kind.EXCLUSION),
        result("inc-3", Status.UNKNOWN),
        result("inc-4", Status.REVIEW),
    )
    assert [c.id for c in r.barriers] == ["inc-2", "exc-1"]
    assert [c.id for c in r.passing] == ["inc-1", "exc-2"]
    assert [c.id for c in r.undecided] == ["inc-3"]
    assert [c.id for c in r.to_review] == ["inc-4"]
    assert r.to_confirm == 1


def test_labs_to_obtain_are_sorted_and_named_once() -> None:
    """A lab that would decide two criteria is listed once, in sorted order."""
    r = report(
        result("inc-1", Status.UNKNOWN, missing=("Platelets", "ANC")),
        result("inc-2", Status.UNKNOWN, missing=("ANC",)),
    )
    assert r.to_obtain == ["ANC", "Platelets"]


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (
            (Status.MET, Status.REVIEW, Status.REVIEW, Status.REVIEW),
            "no barrier found — 3 items to confirm",
        ),
        ((Status.REVIEW,), "no barrier found — 1 item to confirm"),
        ((Status.MET,), "eligible"),
        # Only an eligible verdict is reworded.
        ((Status.UNKNOWN, Status.REVIEW, Status.REVIEW), "insufficient-data"),
        ((Status.NOT_MET, Status.REVIEW), "ineligible"),
    ],
)
def test_verdict_text_for_eligible_with_open_items(
    statuses: tuple[Status, ...], expected: str
) -> None:
    """'eligible' with open review items reads 'no barrier found — N items to confirm'; other
    verdicts read as they are.
    """
    assert report(*[result(f"inc-{i}", s) for i, s in enumerate(statuses)]).verdict_text == expected


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        (result(DECEASED_ID, Status.MET, Kind.EXCLUSION), True),
        # The record cannot say whether the patient is alive: not deceased, and so still a card.
        (result(DECEASED_ID, Status.UNKNOWN, Kind.EXCLUSION), False),
        # A trial's own exclusion met is a barrier, not a death.
        (result("exc-1", Status.MET, Kind.EXCLUSION), False),
    ],
)
def test_deceased_is_the_records_own_criterion_met(first: CriterionResult, expected: bool) -> None:
    """A report says the patient is deceased only when its first criterion is exc-0 and met."""
    assert report(first, result("inc-1", Status.MET)).deceased is expected


def test_reports_rank_eligible_first_then_by_trial() -> None:
    """rank_key puts eligible before insufficient-data before ineligible, trials in id order
    within each.
    """
    unknown, barred = result("inc-1", Status.UNKNOWN), result("inc-1", Status.NOT_MET)
    reports = [
        TrialReport("NCT3", "", "p", AS_OF, "r", "v", (barred,)),
        TrialReport("NCT2", "", "p", AS_OF, "r", "v", (unknown,)),
        TrialReport("NCT1", "", "p", AS_OF, "r", "v", (unknown,)),
        TrialReport("NCT4", "", "p", AS_OF, "r", "v", ()),
    ]
    assert [r.trial_id for r in sorted(reports, key=lambda r: r.rank_key)] == [
        "NCT4",
        "NCT1",
        "NCT2",
        "NCT3",
    ]


def test_to_json_has_the_reports_members_in_order() -> None:
    """A report renders the API's members, in the order the goldens record, with plain-string
    values.
    """
    cited = Evidence("Observation/1", "ANC", 1.2, "10*9/L", "2026-11-01", None)
    body = TrialReport(
        "NCT00000000",
        "A trial",
        "p1",
        AS_OF,
        "rules-1",
        "vs-1",
        (
            CriterionResult(
                "inc-1", Kind.INCLUSION, "1", "ANC", Status.UNKNOWN, "stale", (cited,), ("ANC",)
            ),
        ),
        data_errors=(DataProblem("Condition", "timed out"),),
        data_quality=(SetAside("Observation/2", "Observation", "set aside, not read: x"),),
        data_notes=(DataProblem("Observation", "truncated"),),
    ).to_json()
    assert orjson.dumps(body) == orjson.dumps(
        {
            "trialId": "NCT00000000",
            "title": "A trial",
            "patientId": "p1",
            "asOf": "2026-11-20",
            "verdict": "insufficient-data",
            "rulesVersion": "rules-1",
            "valueSetsVersion": "vs-1",
            "counts": {"met": 0, "not-met": 0, "unknown": 1, "review": 0},
            "toConfirm": 0,
            "criteria": [
                {
                    "id": "inc-1",
                    "kind": "inclusion",
                    "source": "1",
                    "text": "ANC",
                    "status": "unknown",
                    "reason": "stale",
                    "evidence": [
                        {
                            "reference": "Observation/1",
                            "display": "ANC",
                            "value": 1.2,
                            "unit": "10*9/L",
                            "date": "2026-11-01",
                            "note": None,
                        }
                    ],
                    "missing": ["ANC"],
                }
            ],
            "dataErrors": [{"resourceType": "Condition", "message": "timed out"}],
            "dataQuality": [
                {
                    "reference": "Observation/2",
                    "resourceType": "Observation",
                    "message": "set aside, not read: x",
                }
            ],
            "dataNotes": [{"resourceType": "Observation", "message": "truncated"}],
        }
    )


def test_to_json_leaves_out_data_notes_when_there_are_none() -> None:
    """dataErrors, dataQuality and dataNotes appear only when they have something to say."""
    assert (
        set(report(result("inc-1", Status.MET)).to_json())
        & {
            "dataErrors",
            "dataQuality",
            "dataNotes",
        }
        == set()
    )


def test_to_json_values_are_plain_strings_not_enums() -> None:
    """The JSON holds str values, not the enums (data at the boundary, whatever serialises it)."""
    body = report(result("inc-1", Status.MET)).to_json()
    assert {type(body["verdict"]), type(body["criteria"][0]["status"])} == {str}
    assert {type(k) for k in body["counts"]} == {str}


def test_a_fixture_report_renders_its_golden_file_byte_for_byte(book: Rulebook) -> None:
    """The first (base) fixture case's to_json, written as the updater writes goldens, is its
    base golden's bytes.
    """
    case = cases()[0]
    trial = book.trial(case.trial)
    assert trial is not None
    record = record_from_bundle(orjson.loads(case.bundle_path.read_bytes()))
    body = comparable(evaluate_trial(book, trial, record, case.as_of).to_json())
    written = orjson.dumps(substitute(body, case.patient_id, PATIENT), option=orjson.OPT_INDENT_2)
    assert written + b"\n" == base_path(case.trial).read_bytes()
