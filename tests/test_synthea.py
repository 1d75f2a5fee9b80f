"""Real records: every Synthea patient runs against every trial without error, with verdicts a
clinician expects.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson
import pytest

from service.evaluation.evaluate import evaluate_trials
from service.evaluation.report import Status, TrialReport, Verdict
from service.facts import FactSet
from service.facts.values import parse_date
from service.records.bundle import record_from_bundle
from service.records.record import PatientRecord
from service.rulebook.book import Rulebook, load_rulebook
from tests.needs import synthea_dir

pytestmark = pytest.mark.needs("synthea")

RECORDS = sorted(synthea_dir().glob("*.json"))
STATUSES = {"met", "not-met", "unknown", "review"}


def _as_of(record: PatientRecord) -> date:
    """The day after the record's last dated Observation: an as-of date inside its data."""
    days = [parse_date(o.get("effectiveDateTime")) for o in record.of_type("Observation")]
    return max(d for d in days if d)


def _reports(book: Rulebook, path: Path) -> dict[str, TrialReport]:
    record = record_from_bundle(orjson.loads(path.read_bytes()))
    return {
        r.trial_id: r
        for r in evaluate_trials(book, list(book.trials.values()), record, _as_of(record))
    }


def test_the_synthea_records_are_there() -> None:
    """The eleven Synthea records are found (SYNTHEA_DIR or ../shared/fhir/synthea)."""
    assert len(RECORDS) == 11


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: p.name.split("_")[0])
def test_every_criterion_has_a_status_and_a_reason(book: Rulebook, path: Path) -> None:
    """All five trials evaluate; each criterion has a valid status and a readable reason."""
    reports = _reports(book, path)
    assert set(reports) == set(book.trials)
    for report in reports.values():
        for criterion in report.criteria:
            assert criterion.status in STATUSES
            assert len(criterion.reason) > 10, (report.trial_id, criterion.id)


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: p.name.split("_")[0])
def test_no_synthea_patient_is_eligible_for_the_nmo_trial(book: Rulebook, path: Path) -> None:
    """None has NMO: the NMO trial is never 'eligible', and its diagnosis criterion says no NMO
    is on record.
    """
    report = _reports(book, path)["NCT02021825"]
    assert report.verdict is not Verdict.ELIGIBLE
    diagnosis = next(c for c in report.criteria if c.id == "inc-3")
    assert diagnosis.status is Status.REVIEW
    assert "Neuromyelitis optica: no record" in diagnosis.reason


def _has_cancer(path: Path, book: Rulebook) -> bool:
    """Say whether a record holds a malignancy by the service's own value set (Synthea's colon,
    lung and prostate cancers).
    """
    record = record_from_bundle(orjson.loads(path.read_bytes()))
    return FactSet(record, _as_of(record), book).get("malignancy_on_record").value is True


def _cancer_by_record() -> dict[Path, bool]:
    """Decide each record's group once, with one rulebook (loading it per record and group cost
    ~4 s per collection).
    """
    if not RECORDS:
        return {}  # a fresh clone: the tests below say they need the records
    book = load_rulebook()
    return {path: _has_cancer(path, book) for path in RECORDS}


_CANCER = _cancer_by_record()
WITHOUT_CANCER = [p for p in RECORDS if not _CANCER[p]]
WITH_CANCER = [p for p in RECORDS if _CANCER[p]]


def test_some_synthea_records_have_cancer_and_some_do_not() -> None:
    """Both groups below are non-empty, so neither parametrised test is vacuous."""
    assert WITHOUT_CANCER
    assert WITH_CANCER


@pytest.mark.parametrize("path", WITHOUT_CANCER, ids=lambda p: p.name.split("_")[0])
def test_patients_without_cancer_are_ineligible_for_the_sarcoma_trials(
    book: Rulebook, path: Path
) -> None:
    """With no cancer on record at all, the sarcoma diagnosis criteria are not met, so the
    verdict is ineligible.
    """
    reports = _reports(book, path)
    for trial_id, criterion_id in (("NCT05617859", "inc-4a"), ("NCT03890068", "inc-5a")):
        criterion = next(c for c in reports[trial_id].criteria if c.id == criterion_id)
        assert criterion.status is Status.NOT_MET
        assert "no record" in criterion.reason
        assert reports[trial_id].verdict is Verdict.INELIGIBLE


@pytest.mark.parametrize("path", WITH_CANCER, ids=lambda p: p.name.split("_")[0])
def test_a_cancer_coded_by_site_only_leaves_the_sarcoma_type_to_review(
    book: Rulebook, path: Path
) -> None:
    """A colon or lung cancer coded without sarcoma histology may still be a sarcoma coded by
    site: review, never a hard no.
    """
    reports = _reports(book, path)
    for trial_id, criterion_id in (("NCT05617859", "inc-4a"), ("NCT03890068", "inc-5a")):
        criterion = next(c for c in reports[trial_id].criteria if c.id == criterion_id)
        assert criterion.status is Status.REVIEW, (trial_id, criterion.reason)
        assert "not found in the record: to confirm" in criterion.reason


@pytest.mark.parametrize("path", WITHOUT_CANCER, ids=lambda p: p.name.split("_")[0])
def test_patients_without_cancer_are_ineligible_for_nalirifox(book: Rulebook, path: Path) -> None:
    """With no cancer on record, NCT07077551 inc-3a (a high-grade neuroendocrine neoplasm) is not
    met.
    """
    report = _reports(book, path)["NCT07077551"]
    assert next(c for c in report.criteria if c.id == "inc-3a").status is Status.NOT_MET
    assert report.verdict is Verdict.INELIGIBLE


def test_a_colon_cancer_patient_has_another_malignancy_for_the_camps_trial(book: Rulebook) -> None:
    """A Synthea colon-cancer patient's active colon cancer counts as another malignancy, for the
    investigator to weigh.
    """
    colon = []
    for path in RECORDS:
        record = record_from_bundle(orjson.loads(path.read_bytes()))
        if any(
            "colon"
            in (c.get("code", {}).get("text") or c["code"]["coding"][0].get("display", "")).lower()
            and "malignant" in c["code"]["coding"][0].get("display", "").lower()
            and "secondary" not in c["code"]["coding"][0].get("display", "").lower()
            and (c.get("clinicalStatus") or {}).get("coding", [{}])[0].get("code") == "active"
            for c in record.of_type("Condition")
        ):
            colon.append(path)
    assert colon, "expected at least one Synthea patient with active colon cancer"
    for path in colon:
        criterion = next(c for c in _reports(book, path)["NCT06761417"].criteria if c.id == "exc-2")
        assert criterion.status is Status.REVIEW
        assert "colon" in criterion.reason.lower()
