"""Population screening against the real sekmet server: $export, screen, per-patient agreement,
then a --since-previous re-screen.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from service.evaluation.evaluate import evaluate_trials
from service.population.export import BulkExporter, ExportError
from service.population.run import ScreenOptions, run_screen
from service.population.screen import row_from_report
from service.records.fhir.client import FhirClient
from service.records.fhir.fetch import FetchOptions, fetch_record
from service.rulebook.book import Rulebook
from service.rulebook.search_plan import plan_searches

AS_OF = date(2026, 11, 20)
ROW_KEYS = ("verdict", "counts", "failed", "unknown", "review", "toObtain")
FHIR_JSON = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}


def _rows(run_dir: Path) -> dict[tuple[str, str], dict[str, Any]]:
    rows = [orjson.loads(line) for line in (run_dir / "results.ndjson").read_bytes().splitlines()]
    return {(r["patientId"], r["trialId"]): {k: r[k] for k in ROW_KEYS} for r in rows}


def _per_patient(
    book: Rulebook, client: FhirClient, patient_ids: set[str]
) -> dict[tuple[str, str], dict[str, Any]]:
    """Rows from the pull mode: each patient fetched by id and evaluated alone (what POST
    /eligibility does), without the date floor, since an export has none: with it, an Observation
    with no date is not fetched (README, ELIGIBILITY_FHIR_DATE_FLOOR).
    """
    trials = list(book.trials.values())
    searches = plan_searches(book, trials)
    out = {}
    for pid in sorted(patient_ids):
        record = fetch_record(
            client, searches, pid, AS_OF, FetchOptions(workers=4, date_floor=False)
        )
        for report in evaluate_trials(book, trials, record, AS_OF):
            row = row_from_report(report)
            out[(pid, report.trial_id)] = {k: row[k] for k in ROW_KEYS}
    return out


@pytest.fixture(scope="module")
def first_run(loaded_fhir: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A screen of the whole server by Patient/$export."""
    out = tmp_path_factory.mktemp("population") / "first"
    run_screen(
        ScreenOptions(out=out, as_of=AS_OF, fhir_base_url=loaded_fhir["base_url"], workers=2)
    )
    return out


def test_export_screen_equals_per_patient_evaluation(
    first_run: Path, loaded_fhir: dict[str, Any], book: Rulebook
) -> None:
    """Every patient × trial row of the exported screen equals evaluating that patient fetched by
    id; every loaded patient is there.
    """
    manifest = orjson.loads((first_run / "manifest.json").read_bytes())
    assert manifest["status"] == "completed"
    assert manifest["input"]["transactionTime"].endswith("Z")
    rows = _rows(first_run)
    patients = {pid for pid, _ in rows}
    assert set(loaded_fhir["synthea"].values()) | set(loaded_fhir["fixtures"]) <= patients
    assert rows == _per_patient(book, FhirClient(loaded_fhir["base_url"]), patients)


def _put(base: str, resource: dict[str, Any]) -> None:
    response = requests.put(
        f"{base}/{resource['resourceType']}/{resource['id']}",
        data=orjson.dumps(resource),
        headers=FHIR_JSON,
        timeout=30,
    )
    assert response.status_code in (200, 201), response.text[:300]


def test_rescreen_since_previous_names_exactly_the_changed_patients(
    first_run: Path, loaded_fhir: dict[str, Any], book: Rulebook, tmp_path: Path
) -> None:
    """After changing three patients' data, --since-previous re-evaluates exactly them, agrees
    with per-patient evaluation, and diffs.
    """
    base = loaded_fhir["base_url"]
    time.sleep(1.1)  # _since is "after transactionTime": the changes must carry a later instant
    fixtures = sorted(loaded_fhir["fixtures"])
    assert len(fixtures) >= 10
    changed = {fixtures[3], fixtures[len(fixtures) // 2], fixtures[-2]}
    http = requests.Session()
    a, b, c = sorted(changed)
    patient = http.get(f"{base}/Patient/{a}", headers=FHIR_JSON, timeout=30).json()
    _put(base, {**patient, "birthDate": "1931-01-01"})  # now too old for every trial
    obs = http.get(
        f"{base}/Observation", params={"patient": f"Patient/{b}"}, headers=FHIR_JSON, timeout=30
    ).json()["entry"][0]["resource"]
    _put(base, {**obs, "status": "entered-in-error"})
    _put(
        base,
        {
            "resourceType": "Condition",
            "id": f"{c}-pop-new",
            "subject": {"reference": f"Patient/{c}"},
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": "active",
                    }
                ]
            },
            "code": {
                "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "O09.90"}],
                "text": "Pregnancy",
            },
            "onsetDateTime": "2026-11-01",
        },
    )
    second = tmp_path / "second"
    manifest = run_screen(
        ScreenOptions(
            out=second, as_of=AS_OF, fhir_base_url=base, workers=2, since_previous=first_run
        )
    )
    assert (
        manifest["input"]["since"]
        == orjson.loads((first_run / "manifest.json").read_bytes())["input"]["transactionTime"]
    )
    diff = orjson.loads((second / "diff.json").read_bytes())
    assert set(diff["reevaluatedPatients"]) == changed
    rows, before = _rows(second), _rows(first_run)
    assert set(rows) == set(before)
    fresh = _per_patient(book, FhirClient(base), changed)
    assert {k: v for k, v in rows.items() if k[0] in changed} == fresh
    assert {k: v for k, v in rows.items() if k[0] not in changed} == {
        k: v for k, v in before.items() if k[0] not in changed
    }
    moved = {(d["patientId"], d["trialId"]) for d in diff["verdictChanges"]}
    assert moved == {k for k in rows if rows[k]["verdict"] != before[k]["verdict"]}


def test_failed_export_job_names_the_server_reason(
    loaded_fhir: dict[str, Any], tmp_path: Path
) -> None:
    """An export of an unknown Group fails at kick-off with the server's message (404), before
    any screening.
    """
    with pytest.raises(ExportError, match="404"):
        BulkExporter(FhirClient(loaded_fhir["base_url"])).export(
            tmp_path, ["Patient"], group="no-such-group"
        )
