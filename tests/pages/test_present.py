"""Tests for service.pages.present: banner, To obtain, To confirm and the one-line why, from a
report.
"""

from __future__ import annotations

from datetime import date

import pytest

from service.evaluation.report import CriterionResult, Kind, Status, TrialReport, Verdict
from service.facts.base import Evidence
from service.pages.present import (
    banner,
    effect,
    evidence_line,
    reason_text,
    to_confirm,
    to_obtain,
    why_line,
)


def crit(
    cid: str,
    status: str,
    kind: str = "inclusion",
    missing: list[str] | None = None,
    reason: str = "r",
) -> CriterionResult:
    """One criterion of a report."""
    return CriterionResult(
        cid, Kind(kind), "1", f"text {cid}", Status(status), reason, (), tuple(missing or ())
    )


def report(verdict: str, *criteria: CriterionResult) -> TrialReport:
    """A report over its criteria, whose verdict (computed from them) is the one the test names."""
    built = TrialReport("NCT00000000", "A trial", "p1", date(2026, 11, 20), "r", "v", criteria)
    assert built.verdict is Verdict(verdict)
    return built


@pytest.mark.parametrize(
    ("kind", "status", "expected"),
    [
        ("inclusion", "met", "passes"),
        ("inclusion", "not-met", "excludes"),
        ("exclusion", "met", "excludes"),  # the excluding condition is present
        ("exclusion", "not-met", "passes"),  # good news, though "not met"
        ("exclusion", "unknown", "undecided"),
        ("inclusion", "review", "review"),
    ],
)
def test_effect_reads_status_with_kind(kind: str, status: str, expected: str) -> None:
    """What a status means for the patient depends on whether the criterion includes or excludes."""
    assert effect(crit("x", status, kind)) == expected


def test_why_line_names_missing_labs_and_items_to_confirm() -> None:
    """The one-line why counts and names the missing labs, then the items to confirm."""
    r = report(
        "insufficient-data",
        crit("inc-1", "unknown", missing=["ANC"]),
        crit("inc-2", "unknown", missing=["Platelets", "ANC"]),
        *[crit(f"inc-r{i}", "review") for i in range(7)],
    )
    assert why_line(r) == "2 labs missing: ANC, Platelets · 7 items to confirm"


def test_why_line_of_an_ineligible_report_names_the_barriers() -> None:
    """An ineligible report's why starts with the criteria that exclude."""
    r = report(
        "ineligible",
        crit("inc-1", "not-met"),
        crit("exc-2", "met", "exclusion"),
        crit("exc-3", "not-met", "exclusion"),
    )
    assert why_line(r) == "Excluded by inc-1, exc-2 · Nothing left to confirm"


def test_eligible_banner_says_what_is_left_to_confirm() -> None:
    """The eligible banner never says a bare 'eligible': it says no barrier was found and counts
    items to confirm.
    """
    r = report("eligible", crit("inc-1", "met"), *[crit(f"r{i}", "review") for i in range(7)])
    assert banner(r) == "No barrier found in the computed criteria — 7 items to confirm"


def test_to_obtain_groups_criteria_by_lab() -> None:
    """Each lab is listed once with the unknown criteria it would decide; met criteria's labs are
    not listed.
    """
    r = report(
        "insufficient-data",
        crit("inc-1", "unknown", missing=["ANC"]),
        crit("inc-2", "unknown", missing=["ANC"]),
        crit("inc-3", "met", missing=["WBC"]),
    )
    assert to_obtain(r) == [{"label": "ANC", "criteria": ["inc-1", "inc-2"]}]


def test_to_confirm_keeps_the_review_reason_without_the_rule() -> None:
    """A review item carries its reason, less the trailing JsonLogic rule."""
    r = report(
        "eligible",
        crit(
            "exc-9",
            "review",
            "exclusion",
            reason="Arrhythmia on record: treated? (x [rule: a or b])",
        ),
    )
    assert to_confirm(r)[0]["reason"] == "Arrhythmia on record: treated? (x)"
    assert (
        reason_text(crit("i", "met", reason="ANC 2.1 on 2026-11-17 [rule: anc >= 1.5]"))
        == "ANC 2.1 on 2026-11-17"
    )


def test_evidence_value_shows_its_unit_readably() -> None:
    """An evidence value is shown with its unit as people write it; a dimensionless '1' unit is
    dropped.
    """
    assert evidence_line(Evidence(value=2.1, unit="10*9/L"))["value"] == "2.1 × 10⁹/L"
    assert evidence_line(Evidence(value=1, unit="1"))["value"] == "1"
