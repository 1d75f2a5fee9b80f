"""Evaluation by patient id against a real FHIR server gives the same reports as evaluating the
Bundles.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

from service import create_app
from service.evaluation.evaluate import evaluate_trial, evaluate_trials
from service.evaluation.report import TrialReport
from service.records.bundle import record_from_bundle
from service.records.fhir.client import FhirClient
from service.records.fhir.fetch import FetchOptions, fetch_record
from service.rulebook.book import Rulebook
from service.rulebook.search_plan import plan_searches
from tests.golden_cases import cases, swept_cases
from tests.needs import synthea_dir

SYNTHEA_AS_OF = date(2020, 1, 1)


def comparable(report: TrialReport) -> dict[str, Any]:
    """A report's JSON without the rules hash (the same on both sides anyway)."""
    return {k: v for k, v in report.to_json().items() if k != "rulesVersion"}


def decisions(report: TrialReport) -> dict[str, Any]:
    """What a report decides: its verdict and each criterion's status, without the patient id or
    the references.
    """
    return {
        "verdict": report.verdict,
        "statuses": {c.id: c.status for c in report.criteria},
    }


@pytest.fixture(scope="module")
def client(loaded_fhir: dict[str, Any]) -> FhirClient:
    """A client of the loaded test server."""
    return FhirClient(loaded_fhir["base_url"])


def test_every_fixture_patient_by_id_gets_the_report_of_its_bundle(
    book: Rulebook, client: FhirClient
) -> None:
    """Fetched without date floors, every (swept: tests/golden_cases.py) fixture patient's report
    equals the report from its Bundle, member for member.
    """
    options = FetchOptions(date_floor=False)
    differing = []
    for case in swept_cases():
        trial = book.trials[case.trial]
        bundle_report = evaluate_trial(
            book, trial, record_from_bundle(orjson.loads(case.bundle_path.read_bytes())), case.as_of
        )
        patient_id = f"{case.trial.lower()}-{case.name}"
        record = fetch_record(client, plan_searches(book, [trial]), patient_id, case.as_of, options)
        if comparable(evaluate_trial(book, trial, record, case.as_of)) != comparable(bundle_report):
            differing.append(f"{case.trial}/{case.name}")
    assert not differing, f"{len(differing)} reports differ, e.g. {differing[:5]}"


def has_undated_observation(bundle: dict[str, Any]) -> bool:
    """Say whether a Bundle holds an Observation with no date at all, which no date-floored search
    can return (README, ELIGIBILITY_FHIR_DATE_FLOOR).
    """
    return any(
        entry["resource"]["resourceType"] == "Observation"
        and not any(key.startswith("effective") or key == "issued" for key in entry["resource"])
        for entry in bundle["entry"]
    )


def test_date_floors_change_no_decision(book: Rulebook, client: FhirClient) -> None:
    """With the date floor (the default), every swept fixture patient gets the same verdict and
    statuses as from its Bundle.

    Only the wording of an unknown's reason may differ: a result older than the longest window is
    not fetched, so the report cannot say how stale it was. A patient whose record holds an
    Observation with no date is left out: `date=ge...` cannot return it (the test above fetches
    those without the floor and gets the Bundle's report).
    """
    differing = []
    for case in swept_cases():
        trial = book.trials[case.trial]
        bundle = orjson.loads(case.bundle_path.read_bytes())
        if has_undated_observation(bundle):
            continue
        bundle_report = evaluate_trial(book, trial, record_from_bundle(bundle), case.as_of)
        record = fetch_record(
            client, plan_searches(book, [trial]), f"{case.trial.lower()}-{case.name}", case.as_of
        )
        if decisions(evaluate_trial(book, trial, record, case.as_of)) != decisions(bundle_report):
            differing.append(f"{case.trial}/{case.name}")
    assert not differing, f"{len(differing)} decisions differ, e.g. {differing[:5]}"


def test_the_undated_fixture_cases_are_the_ones_the_floor_test_leaves_out() -> None:
    """The floor test leaves out exactly the fixture cases written to hold an undated result, so
    it skips nothing else by accident.
    """
    left_out = sorted(
        case.name
        for case in cases()
        if has_undated_observation(orjson.loads(case.bundle_path.read_bytes()))
    )
    assert left_out == ["anc-newer-low-undated", "hcg-positive-undated-after-negative"]


def synthea_paths() -> list[Path]:
    """The Synthea records."""
    return sorted(synthea_dir().glob("*.json"))


@pytest.mark.needs("synthea")
@pytest.mark.parametrize("path", synthea_paths(), ids=lambda p: p.stem.split("_")[0])
def test_synthea_record_by_id_decides_as_its_bundle(
    book: Rulebook, client: FhirClient, loaded_fhir: dict[str, Any], path: Path
) -> None:
    """A Synthea record stored on the server (ids reassigned by it) decides every criterion of
    all five trials as its Bundle does.
    """
    trials = list(book.trials.values())
    from_bundle = evaluate_trials(
        book, trials, record_from_bundle(orjson.loads(path.read_bytes())), SYNTHEA_AS_OF
    )
    record = fetch_record(
        client,
        plan_searches(book, trials),
        loaded_fhir["synthea"][path.stem],
        SYNTHEA_AS_OF,
        FetchOptions(date_floor=False),
    )
    assert not record.failed
    from_server = evaluate_trials(book, trials, record, SYNTHEA_AS_OF)
    assert [decisions(r) for r in from_server] == [decisions(r) for r in from_bundle]
    # The evidence cites the same values and dates (the references differ: the server chose the
    # ids).
    strip = [
        [[(e.display, e.value, e.unit, e.date) for e in c.evidence] for c in r.criteria]
        for r in from_server
    ]
    assert strip == [
        [[(e.display, e.value, e.unit, e.date) for e in c.evidence] for c in r.criteria]
        for r in from_bundle
    ]


@pytest.mark.needs("synthea")
def test_the_api_evaluates_by_id_from_the_configured_server(loaded_fhir: dict[str, Any]) -> None:
    """POST /eligibility {"patientId"} with ELIGIBILITY_FHIR_BASE_URL set fetches from that
    server (not the fixtures).
    """
    app = create_app(
        {"TESTING": True, "FHIR_BASE_URL": loaded_fhir["base_url"], "API_AUTH": "none"}
    )
    _stem, server_id = next(iter(sorted(loaded_fhir["synthea"].items())))
    response = app.test_client().post(
        "/eligibility", json={"patientId": server_id, "asOf": SYNTHEA_AS_OF.isoformat()}
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["patientId"] == server_id
    assert len(body["reports"]) == 5
    assert all("dataErrors" not in report for report in body["reports"])


def test_the_api_answers_404_for_an_id_the_server_does_not_have(
    loaded_fhir: dict[str, Any],
) -> None:
    """An id the FHIR server does not know is a 404 patient-not-found (the server's 404), not an
    empty report.
    """
    app = create_app(
        {"TESTING": True, "FHIR_BASE_URL": loaded_fhir["base_url"], "API_AUTH": "none"}
    )
    response = app.test_client().post(
        "/eligibility", json={"patientId": "no-such-patient-anywhere"}
    )
    assert response.status_code == 404
    assert response.get_json()["error"] == "patient-not-found"
