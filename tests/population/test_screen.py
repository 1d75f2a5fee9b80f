"""The screening fast path gives exactly the statuses, verdicts and labs of the full per-patient
evaluation, with its memos shared across every patient screened.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import orjson
import pytest

from service.evaluation.evaluate import evaluate_trials
from service.facts import FactSet
from service.population.screen import Screen, row_from_report
from service.population.shared_facts import ScreenFacts, SharedFacts
from service.records.bundle import record_from_bundle
from service.rulebook.book import Rulebook
from tests.needs import synthea_dir

FIXTURES = Path(__file__).resolve().parents[2] / "fhir_fixtures"


def _fixture_paths(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.glob("*.json")) if p.name != "manifest.json"]


def _differing(
    book: Rulebook, paths: Iterable[Path], as_of: date, trial_ids: list[str] | None = None
) -> tuple[int, list[str]]:
    """Screen the records with one Screen (its memos shared across them) and return how many were
    compared and the record × trial rows that differ from the full reports' rows.
    """
    trials = [book.trials[t] for t in trial_ids or sorted(book.trials)]
    screen = Screen(book, trials, as_of)
    compared, differing = 0, []
    for path in paths:
        record = record_from_bundle(orjson.loads(path.read_bytes()))
        full = {
            r.trial_id: row_from_report(r) for r in evaluate_trials(book, trials, record, as_of)
        }
        fast = {row["trialId"]: row for row in screen.rows(record)}
        compared += 1
        differing += [f"{path.name}:{t}" for t in full if full[t] != fast[t]]
    return compared, differing


def test_fast_path_equals_full_path_on_every_fixture(book: Rulebook) -> None:
    """Every fixture patient, screened in one bucket per trial on its as-of date, gets the full
    path's row.
    """
    compared, differing = 0, []
    for folder in sorted(FIXTURES.glob("NCT*")):
        as_of = date.fromisoformat(orjson.loads((folder / "manifest.json").read_bytes())["asOf"])
        count, found = _differing(book, _fixture_paths(folder), as_of, [folder.name])
        compared, differing = compared + count, differing + found
    assert compared > 400
    assert differing == []


def test_fast_path_equals_full_path_on_every_fixture_for_every_trial(book: Rulebook) -> None:
    """Every fixture patient of every trial, screened together against all five trials, gets the
    full path's rows.
    """
    paths = [p for folder in sorted(FIXTURES.glob("NCT*")) for p in _fixture_paths(folder)]
    compared, differing = _differing(book, paths, date(2026, 10, 10))
    assert compared == len(paths)
    assert differing == []


@pytest.mark.needs("synthea")
def test_fast_path_equals_full_path_on_every_synthea_record(book: Rulebook) -> None:
    """Every Synthea record, screened together against all five trials on two as-of dates, gets
    the full path's rows.
    """
    paths = sorted(synthea_dir().glob("*.json"))
    assert len(paths) >= 10
    differing = [
        item
        for day in (date(2026, 10, 10), date(2019, 6, 1))
        for item in _differing(book, paths, day)[1]
    ]
    assert differing == []


def test_fast_path_rows_carry_statuses(book: Rulebook) -> None:
    """A fast row lists every criterion that is not plainly passed, so the statuses can be
    recovered from it.
    """
    path = _fixture_paths(FIXTURES / "NCT06761417")[0]
    record = record_from_bundle(orjson.loads(path.read_bytes()))
    row = Screen(book, [book.trials["NCT06761417"]], date(2026, 10, 10)).rows(record)[0]
    assert sum(row["counts"].values()) == len(book.trials["NCT06761417"].criteria)
    assert len(row["unknown"]) == row["counts"]["unknown"]
    assert len(row["review"]) == row["counts"]["review"]


def _b12_bundle(patient_id: str, *observation: dict) -> dict:
    """A woman's Bundle with the given B12 Observations (and nothing else)."""
    patient = {
        "resourceType": "Patient",
        "id": patient_id,
        "gender": "female",
        "birthDate": "1970-01-01",
    }
    subject = {"reference": f"Patient/{patient_id}"}
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": patient}]
        + [{"resource": {**o, "subject": subject}} for o in observation],
    }


def test_an_absent_result_and_an_unusable_one_are_told_apart(book: Rulebook) -> None:
    """A low-B12 exclusion is not met with no B12 on record but unknown with an unusable one, even
    after the first patient's answer is memoised.
    """
    unusable = {
        "resourceType": "Observation",
        "id": "b12",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2132-9"}]},
        "effectiveDateTime": "2026-10-01",
        "dataAbsentReason": {"text": "haemolysed"},
    }
    trial = book.trials["NCT02021825"]
    screen = Screen(book, [trial], date(2026, 11, 20))
    rows = [
        screen.rows(record_from_bundle(bundle))[0]
        for bundle in (_b12_bundle("none"), _b12_bundle("unusable", unusable))
    ]
    assert ("exc-2f" in rows[0]["unknown"], "exc-2f" in rows[1]["unknown"]) == (False, True)


def test_a_trimmed_screen_forgets_its_memos_and_still_agrees(book: Rulebook) -> None:
    """Over its limit a Screen drops every memo at once, and the rows it gives afterwards are the
    full path's.
    """
    paths = _fixture_paths(FIXTURES / "NCT06761417")[:6]
    trials = [book.trials["NCT06761417"]]
    screen = Screen(book, trials, date(2026, 10, 10))
    records = [record_from_bundle(orjson.loads(p.read_bytes())) for p in paths]
    for record in records[:3]:
        screen.rows(record)
    filled = screen.size
    screen.trim(filled)  # at the limit: kept
    kept = screen.size
    screen.trim(0)
    assert (filled > 0, kept, screen.size) == (True, filled, 0)
    full = [
        [row_from_report(report) for report in evaluate_trials(book, trials, r, screen.as_of)]
        for r in records
    ]
    assert [screen.rows(r) for r in records] == full


def _cited_nothing_when_nothing_to_match(book: Rulebook, paths: Iterable[Path]) -> list[str]:
    """Return the record × definition pairs the fast path calls empty whose own fact cites a
    resource.
    """
    found = []
    for path in paths:
        record = record_from_bundle(orjson.loads(path.read_bytes()))
        facts = ScreenFacts(record, date(2026, 10, 10), book, SharedFacts(book))
        for name, plan in facts._shared.plans.items():
            if plan.mode != "matched" or not facts._nothing_to_match(plan):
                continue
            own = FactSet(record, date(2026, 10, 10), book).get(name)
            if any(e.reference for e in own.evidence):
                found.append(f"{path.name}:{name}")
    return found


def test_what_the_fast_path_calls_empty_cites_nothing(book: Rulebook) -> None:
    """Wherever the fast path finds no item a definition could match, that definition's own fact
    cites no resource (on every fixture, and on the Synthea records when present).
    """
    paths = [p for folder in sorted(FIXTURES.glob("NCT*")) for p in _fixture_paths(folder)]
    synthea = sorted(synthea_dir().glob("*.json")) if synthea_dir().exists() else []
    assert _cited_nothing_when_nothing_to_match(book, [*paths, *synthea]) == []


def test_an_allergy_named_only_in_its_reaction_is_not_empty(book: Rulebook) -> None:
    """An allergy coded only as a drug class, its study drug named in reaction.substance, is
    matched by the fast path as by the fact function.
    """
    allergy = {
        "resourceType": "AllergyIntolerance",
        "id": "a1",
        "patient": {"reference": "Patient/p1"},
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"text": "Antineoplastic drug allergy"},
        "reaction": [
            {"substance": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01EX08"}]}}
        ],
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01"}},
            {"resource": allergy},
        ],
    }
    record = record_from_bundle(bundle)
    facts = ScreenFacts(record, date(2026, 10, 10), book, SharedFacts(book))
    plan = facts._shared.plans["allergy_study_drug_nct05617859"]
    own = FactSet(record, date(2026, 10, 10), book).get("allergy_study_drug_nct05617859")
    assert (facts._nothing_to_match(plan), own.value) == (False, True)
