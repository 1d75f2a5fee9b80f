"""Tests for service.evaluation.evaluate: review from reviewWhen/reviewUnless and from history to
confirm, unknowns and their labs.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from service.evaluation.evaluate import evaluate_criterion, evaluate_trial
from service.evaluation.report import Status, TrialReport
from service.records.bundle import record_from_bundle
from service.rulebook.book import Criterion, Rulebook
from service.rulebook.kleene import Formula
from tests.helpers.records import bundle, condition, facts, lab, medication, patient

AS_OF = date(2025, 3, 10)
AST = "1920-8"
LIVER_METS = ("http://snomed.info/sct", "94381002")


def ast(value: float) -> dict[str, Any]:
    """Return an AST result with the lab's upper limit 40 U/L."""
    return lab(
        AST,
        value,
        "U/L",
        referenceRange=[
            {
                "high": {
                    "value": 40,
                    "unit": "U/L",
                    "system": "http://unitsofmeasure.org",
                    "code": "U/L",
                }
            }
        ],
    )


# AST ≤ 2.5 × ULN, or ≤ 5 × with liver metastases; between the two limits with none coded → review.
RELAXED = Criterion(
    "inc-1",
    "inclusion",
    "1",
    "AST ≤ 2.5 × ULN (≤ 5 × ULN with liver metastases)",
    Formula(
        {
            "or": [
                {"<=": [{"var": "ast_x_uln"}, 2.5]},
                {"and": [{"var": "liver_metastases"}, {"<=": [{"var": "ast_x_uln"}, 5]}]},
            ]
        }
    ),
    None,
    review_when="not-met",
    review_reason="between the limits, no liver metastasis coded",
    review_unless=Formula({">": [{"var": "ast_x_uln"}, 5]}),
)


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        # 2 × ULN: met under the strict limit.
        pytest.param([ast(80)], "met", id="strict"),
        # 3 × ULN, no liver metastasis coded: review, not ineligible.
        pytest.param([ast(120)], "review", id="between-no-mets"),
        # 3 × ULN with liver metastases: met under the relaxed limit.
        pytest.param([ast(120), condition(*LIVER_METS)], "met", id="between-with-mets"),
        # 6 × ULN: above even the relaxed limit, reviewUnless holds, so not-met stays.
        pytest.param([ast(240)], "not-met", id="above-both"),
        # No AST: unknown (reviewUnless never turns unknown into review).
        pytest.param([], "unknown", id="missing"),
    ],
)
def test_review_unless_keeps_a_decided_result(
    book: Rulebook, resources: list[dict[str, Any]], expected: str
) -> None:
    """reviewWhen turns its status into review except where reviewUnless is definitely true."""
    assert evaluate_criterion(RELAXED, facts(book, *resources, as_of=AS_OF)).status == expected


def test_review_unless_unknown_still_reviews(book: Rulebook) -> None:
    """An unknown reviewUnless does not keep the result decided: review."""
    criterion = Criterion(
        "exc-1",
        "exclusion",
        "1",
        "Severe liver disorder",
        Formula({"var": "liver_metastases"}),
        None,
        review_when="met",
        review_reason="grade to confirm",
        review_unless=Formula({">": [{"var": "ast_x_uln"}, 10]}),
    )
    assert (
        evaluate_criterion(criterion, facts(book, condition(*LIVER_METS), as_of=AS_OF)).status
        is Status.REVIEW
    )


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        # Found: met becomes review.
        pytest.param([condition(*LIVER_METS)], "review", id="met"),
        # Not found: not-met becomes review too.
        pytest.param([], "review", id="not-met"),
    ],
)
def test_review_when_either(book: Rulebook, resources: list[dict[str, Any]], expected: str) -> None:
    """reviewWhen 'either' turns met and not-met into review, with the computed reason kept."""
    criterion = Criterion(
        "inc-1",
        "inclusion",
        "1",
        "Liver metastases",
        Formula({"var": "liver_metastases"}),
        None,
        review_when="either",
        review_reason="a code does not verify it",
    )
    result = evaluate_criterion(criterion, facts(book, *resources, as_of=AS_OF))
    assert result.status == expected
    assert (result.reason or "").startswith("a code does not verify it (")


def test_review_when_either_keeps_unknown(book: Rulebook) -> None:
    """reviewWhen 'either' leaves an unknown result unknown (missing data is obtained, not
    reviewed).
    """
    criterion = Criterion(
        "inc-1",
        "inclusion",
        "1",
        "AST",
        Formula({"<=": [{"var": "ast_x_uln"}, 2.5]}),
        None,
        review_when="either",
        review_reason="confirm",
    )
    assert evaluate_criterion(criterion, facts(book, as_of=AS_OF)).status is Status.UNKNOWN


def _report(
    book: Rulebook, trial: str, gender: str = "male", birth_date: str = "1980-01-01"
) -> TrialReport:
    record = record_from_bundle(bundle(subject=patient(birth_date, gender)))
    found = book.trial(trial)
    assert found is not None
    return evaluate_trial(book, found, record, date(2026, 11, 20))


def test_required_history_not_on_record_is_review_not_ineligible(book: Rulebook) -> None:
    """NALIRIFOX inc-4 (one prior line) with no treatment on record is review: it may have been
    given elsewhere.
    """
    criterion = next(c for c in _report(book, "NCT07077551").criteria if c.id == "inc-4")
    assert criterion.status is Status.REVIEW
    assert criterion.missing == ()
    assert "not found in the record: to confirm" in (criterion.reason or "")


def test_a_missing_pregnancy_test_is_unknown_and_names_the_test(book: Rulebook) -> None:
    """NMO exc-4a for a woman of 34 with no test: unknown, with 'pregnancy test' to obtain."""
    criterion = next(
        c for c in _report(book, "NCT02021825", "female", "1992-05-14").criteria if c.id == "exc-4a"
    )
    assert criterion.status is Status.UNKNOWN
    assert criterion.missing == ("pregnancy test",)


def test_report_counts_the_items_to_confirm(book: Rulebook) -> None:
    """The report carries toConfirm, the number of criteria in review."""
    report = _report(book, "NCT07077551").to_json()
    assert report["toConfirm"] == report["counts"]["review"] > 0


# Anlotinib named in a statement's text only, 60 days before.
ANLOTINIB = medication(
    "MedicationStatement", 60, medicationCodeableConcept={"text": "Anlotinib 12 mg"}
)


def _criterion(kind: str, logic: dict[str, Any]) -> Criterion:
    """Return a criterion of a kind over one rule, with no review settings."""
    return Criterion("c-1", kind, "1", "a criterion", Formula(logic), None)


@pytest.mark.parametrize(
    ("kind", "logic", "resource", "expected"),
    [
        # A diagnosis named only in a text may be suspected: an inclusion resting on it is review.
        pytest.param(
            "inclusion",
            {"var": "has_soft_tissue_sarcoma"},
            condition(None, None, text="Suspected synovial sarcoma, biopsy pending"),
            "review",
            id="inclusion-met-by-a-named-diagnosis",
        ),
        # ... or denied: "no history of MI" failed by a text that excludes the MI is review too.
        pytest.param(
            "inclusion",
            {"!": {"var": "history_mi"}},
            condition(None, None, text="Chest pain; myocardial infarction excluded"),
            "review",
            id="inclusion-failed-by-a-named-diagnosis",
        ),
        # A drug named in a medication record is the drug (anlotinib has no RxNorm code): it
        # decides an inclusion.
        pytest.param(
            "inclusion", {"var": "prior_anlotinib"}, ANLOTINIB, "met", id="inclusion-named-drug"
        ),
        # A met exclusion resting on any name is review, as before.
        pytest.param(
            "exclusion", {"var": "prior_anlotinib"}, ANLOTINIB, "review", id="exclusion-named-drug"
        ),
        # A diagnosis coded is decided, whatever the kind.
        pytest.param(
            "inclusion",
            {"var": "history_mi"},
            condition("http://snomed.info/sct", "22298006"),
            "met",
            id="inclusion-met-by-code",
        ),
    ],
)
def test_a_name_only_match_decides_only_what_it_safely_can(
    book: Rulebook, kind: str, logic: dict[str, Any], resource: dict[str, Any], expected: str
) -> None:
    """A name in a text is review for a met exclusion and for an inclusion resting on a diagnosis;
    a drug's name still decides an inclusion.
    """
    result = evaluate_criterion(_criterion(kind, logic), facts(book, resource, as_of=AS_OF))
    assert result.status.value == expected
    if expected == "review":
        assert "only through a record matched by name" in (result.reason or "")
