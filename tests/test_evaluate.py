"""Evaluation: a criterion undecided only by history a person must confirm is review; the verdict as people read it."""

from __future__ import annotations

from datetime import date

from service.evaluate import evaluate_trial, verdict_text
from service.record import record_from_bundle
from service.rulebook import Rulebook
from tests.facts.records import bundle, patient


def _report(book: Rulebook, trial: str, gender: str = "male", birth_date: str = "1980-01-01") -> dict:
    record = record_from_bundle(bundle(subject=patient(birth_date, gender)))
    found = book.trial(trial)
    assert found is not None
    return evaluate_trial(book, found, record, date(2026, 11, 20))


def test_required_history_not_on_record_is_review_not_ineligible(book: Rulebook) -> None:
    """NALIRIFOX inc-4 (one prior line) with no treatment on record is review: it may have been given elsewhere."""
    criterion = next(c for c in _report(book, "NCT07077551")["criteria"] if c["id"] == "inc-4")
    assert criterion["status"] == "review" and criterion["missing"] == []
    assert "not found in the record: to confirm" in criterion["reason"]


def test_a_missing_pregnancy_test_is_unknown_and_names_the_test(book: Rulebook) -> None:
    """NMO exc-4a for a woman of 34 with no test: unknown, with 'pregnancy test' to obtain."""
    criterion = next(c for c in _report(book, "NCT02021825", "female", "1992-05-14")["criteria"] if c["id"] == "exc-4a")
    assert (criterion["status"], criterion["missing"]) == ("unknown", ["pregnancy test"])


def test_report_counts_the_items_to_confirm(book: Rulebook) -> None:
    """The report carries toConfirm, the number of criteria in review."""
    report = _report(book, "NCT07077551")
    assert report["toConfirm"] == report["counts"]["review"] > 0


def test_verdict_text_for_eligible_with_open_items() -> None:
    """'eligible' with open review items reads 'no barrier found — N items to confirm'; other verdicts read as they are."""
    assert verdict_text({"verdict": "eligible", "toConfirm": 3}) == "no barrier found — 3 items to confirm"
    assert verdict_text({"verdict": "eligible", "toConfirm": 1}) == "no barrier found — 1 item to confirm"
    assert verdict_text({"verdict": "eligible", "toConfirm": 0}) == "eligible"
    assert verdict_text({"verdict": "insufficient-data", "toConfirm": 2}) == "insufficient-data"
