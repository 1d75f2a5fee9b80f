"""The screening fast path gives exactly the statuses, verdicts, labs and dates of the full
per-patient evaluation.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson
import pytest

from service.evaluation.evaluate import evaluate_trials
from service.population.screen import row_from_report, screen_record
from service.records.bundle import record_from_bundle
from service.rulebook.book import Rulebook
from tests.needs import synthea_dir

FIXTURES = Path(__file__).resolve().parents[2] / "fhir_fixtures"


def _compare(
    book: Rulebook, bundle: dict, as_of: date, trial_ids: list[str] | None = None
) -> list[str]:
    """Return the trials whose fast row differs from the row of the full report."""
    record = record_from_bundle(bundle)
    trials = [book.trials[t] for t in trial_ids or sorted(book.trials)]
    full = {r.trial_id: row_from_report(r) for r in evaluate_trials(book, trials, record, as_of)}
    fast = {r["trialId"]: r for r in screen_record(book, trials, record, as_of)}
    return [t for t in full if full[t] != fast[t]]


def test_fast_path_equals_full_path_on_every_fixture(book: Rulebook) -> None:
    """Every fixture patient, on its trial's as-of date, gets the same row from both paths for
    its trial (all trials: Synthea, test_run).
    """
    compared, differing = 0, []
    for folder in sorted(FIXTURES.glob("NCT*")):
        as_of = date.fromisoformat(orjson.loads((folder / "manifest.json").read_bytes())["asOf"])
        for path in sorted(folder.glob("*.json")):
            if path.name == "manifest.json":
                continue
            compared += 1
            differing += [
                f"{path.name}:{t}"
                for t in _compare(book, orjson.loads(path.read_bytes()), as_of, [folder.name])
            ]
    assert compared > 400
    assert differing == []


@pytest.mark.needs("synthea")
def test_fast_path_equals_full_path_on_every_synthea_record(book: Rulebook) -> None:
    """Every Synthea record gets the same row from both paths, on two as-of dates."""
    paths = sorted(synthea_dir().glob("*.json"))
    assert len(paths) >= 10
    differing = [
        f"{p.name}:{t}"
        for p in paths
        for day in (date(2026, 10, 10), date(2019, 6, 1))
        for t in _compare(book, orjson.loads(p.read_bytes()), day)
    ]
    assert differing == []


def test_fast_path_rows_carry_statuses(book: Rulebook) -> None:
    """A fast row lists every criterion that is not plainly passed, so the statuses can be
    recovered from it.
    """
    path = next(p for p in sorted(FIXTURES.glob("NCT06761417/*.json")) if p.name != "manifest.json")
    record = record_from_bundle(orjson.loads(path.read_bytes()))
    row = screen_record(book, [book.trials["NCT06761417"]], record, date(2026, 10, 10))[0]
    assert sum(row["counts"].values()) == len(book.trials["NCT06761417"].criteria)
    assert len(row["unknown"]) == row["counts"]["unknown"]
    assert len(row["review"]) == row["counts"]["review"]
