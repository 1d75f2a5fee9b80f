"""Re-screening helpers: changed and expiring patients, and the diff between two runs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson

from service.population.rescreen import changed_patients, diff, expiring_patients


def _row(
    pid: str, trial: str, verdict: str, failed: list[str] = (), until: str | None = None
) -> dict:  # type: ignore[assignment]
    return {
        "patientId": pid,
        "trialId": trial,
        "verdict": verdict,
        "failed": list(failed),
        "validUntil": until,
    }


def test_changed_patients_are_read_from_any_resource(tmp_path: Path) -> None:
    """A changed Patient, or any resource pointing at one, names that patient; a Medication names
    none.
    """
    path = tmp_path / "Observation.ndjson"
    lines = [
        {"resourceType": "Patient", "id": "a"},
        {"resourceType": "Observation", "id": "o", "subject": {"reference": "Patient/b"}},
        {"resourceType": "Medication", "id": "m"},
    ]
    path.write_bytes(b"\n".join(orjson.dumps(x) for x in lines))
    assert changed_patients([path]) == {"a", "b"}


def test_expiring_patients_are_those_valid_before_the_new_date() -> None:
    """A row valid until the day before the new as-of expires; one valid through it, or with no
    limit, does not.
    """
    rows = [
        _row("a", "T", "eligible", until="2026-10-19"),
        _row("b", "T", "eligible", until="2026-10-20"),
        _row("c", "T", "eligible"),
    ]
    assert expiring_patients(rows, date(2026, 10, 20)) == {"a"}


def test_diff_names_new_candidates_and_who_dropped_out_why() -> None:
    """A patient becoming insufficient-data is a new candidate; one becoming ineligible dropped
    out, with the failed criteria.
    """
    before = [
        _row("a", "T", "ineligible", ["inc-1"]),
        _row("b", "T", "eligible"),
        _row("c", "T", "eligible"),
    ]
    after = [
        _row("a", "T", "insufficient-data"),
        _row("b", "T", "ineligible", ["exc-2"]),
        _row("c", "T", "eligible"),
    ]
    body = diff("prev", before, after, {"a", "b"})
    assert body["newCandidates"] == [
        {"patientId": "a", "trialId": "T", "verdict": "insufficient-data"}
    ]
    assert body["droppedOut"] == [
        {"patientId": "b", "trialId": "T", "why": "now fails exc-2", "failed": ["exc-2"]}
    ]
    assert [(c["patientId"], c["from"], c["to"]) for c in body["verdictChanges"]] == [
        ("a", "ineligible", "insufficient-data"),
        ("b", "eligible", "ineligible"),
    ]
    assert body["reevaluatedPatients"] == ["a", "b"]
    assert body["previousRun"] == "prev"


def test_diff_names_a_patient_who_left_the_input() -> None:
    """A candidate with no row in the new run dropped out as no longer in the input; a patient of
    a trial this run did not screen did not leave.
    """
    before = [_row("a", "T", "eligible"), _row("b", "T", "ineligible"), _row("c", "U", "eligible")]
    body = diff("prev", before, [], set(), ["T"])
    assert body["leftInput"] == ["a", "b"]
    assert body["droppedOut"] == [
        {"patientId": "a", "trialId": "T", "why": "no longer in the input", "failed": []}
    ]
    assert [(c["patientId"], c["from"], c["to"]) for c in body["verdictChanges"]] == [
        ("a", "eligible", None),
        ("b", "ineligible", None),
    ]
