"""The REST API: health, trials, eligibility reports, and a JSON error for every bad request."""

from __future__ import annotations

import io
import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
import time_machine
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from service import create_app
from service.rulebook.book import Rulebook
from tests.helpers import ROOT

TRIAL = "NCT06761417"
AS_OF = "2020-01-01"
PATIENT = {"resourceType": "Patient", "id": "p1", "birthDate": "1990-01-01", "gender": "female"}
ENDPOINTS = [f"/trials/{TRIAL}/eligibility", "/eligibility"]


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    """A collection Bundle of the given resources."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def assert_json_error(response: TestResponse, status: int, code: str) -> dict[str, Any]:
    """Check an error response: the status, an RFC 9457 problem+json body (type, title, status,
    detail, error, message[, details]); return it.
    """
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    body = orjson.loads(response.get_data())
    assert set(body) - {"details"} == {"type", "title", "status", "detail", "error", "message"}
    assert body["error"] == code
    assert body["status"] == status
    assert body["type"] == f"urn:trial-eligibility:problem:{code}"
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["message"] == body["detail"]
    return body


def rule_documents() -> list[dict[str, Any]]:
    """The trial rule files, read as plain JSON (independently of the rulebook code)."""
    return [
        orjson.loads(p.read_bytes()) for p in sorted((ROOT / "rules" / "trials").glob("*.json"))
    ]


# --- health and trials ----------------------------------------------------------------------------


def test_health_says_ok_with_the_rules_version(client: FlaskClient, book: Rulebook) -> None:
    """GET /health is 200 with status ok, the rulebook's version and its number of trials."""
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "rulesVersion": book.version,
        "trials": len(book.trials),
    }


def test_trials_lists_every_trial_in_the_rulebook(client: FlaskClient, book: Rulebook) -> None:
    """GET /trials lists each trial of the rulebook once, with its title, phase, version and url."""
    body = client.get("/trials").get_json()
    assert body["rulesVersion"] == book.version
    assert [t["id"] for t in body["trials"]] == list(book.trials)
    for summary in body["trials"]:
        trial = book.trials[summary["id"]]
        assert (summary["title"], summary["phase"], summary["version"], summary["url"]) == (
            trial.title,
            trial.phase,
            trial.version,
            trial.url,
        )


def test_trials_counts_criteria_by_kind_and_by_computable_or_review(client: FlaskClient) -> None:
    """Each trial's counts match its rule file: inclusion / exclusion by kind, computable (logic)
    / review.
    """
    counts = {t["id"]: t["counts"] for t in client.get("/trials").get_json()["trials"]}
    assert len(rule_documents()) == len(counts) == 5
    for document in rule_documents():
        criteria = document["criteria"]
        assert counts[document["id"]] == {
            "inclusion": sum(c["kind"] == "inclusion" for c in criteria),
            "exclusion": sum(c["kind"] == "exclusion" for c in criteria),
            "computable": sum("logic" in c for c in criteria),
            "review": sum("review" in c for c in criteria),
        }, document["id"]


def test_trial_shows_its_criteria_in_rule_file_order(client: FlaskClient) -> None:
    """GET /trials/{id} lists the rule file's criteria in order; computable ones with logic and
    definitions, others with why.
    """
    assert len(rule_documents()) == 5
    for document in rule_documents():
        body = client.get(f"/trials/{document['id']}").get_json()
        assert body["source"] == document["source"]
        assert [c["id"] for c in body["criteria"]] == [c["id"] for c in document["criteria"]]
        for shown, written in zip(body["criteria"], document["criteria"], strict=True):
            assert (shown["kind"], shown["source"], shown["text"]) == (
                written["kind"],
                written["source"],
                written["text"],
            )
            if "logic" in written:
                assert shown["logic"] == written["logic"]
                assert shown["definitions"]
                assert "review" not in shown
            else:
                assert shown["review"] == written["review"]
                assert "logic" not in shown


def test_unknown_trial_is_a_json_404_naming_it(client: FlaskClient) -> None:
    """GET /trials/{id} for an unknown id is a JSON 404 whose message names the id."""
    body = assert_json_error(client.get("/trials/NCT99999999"), 404, "unknown-trial")
    assert "NCT99999999" in body["message"]


def test_eligibility_for_an_unknown_trial_is_a_json_404(client: FlaskClient) -> None:
    """POST /trials/{id}/eligibility for an unknown id is a JSON 404 naming the id (the body is
    not even read).
    """
    body = assert_json_error(
        client.post("/trials/NCT99999999/eligibility", json={"bundle": bundle(PATIENT)}),
        404,
        "unknown-trial",
    )
    assert "NCT99999999" in body["message"]


# --- bad requests ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    """A bad request body and the error it must get."""

    name: str
    status: int
    code: str
    says: str  # a fragment the message must contain
    json: Any = None
    raw: bytes | None = None

    def send(self, client: FlaskClient, path: str) -> TestResponse:
        """Send the request to a path and return the response."""
        if self.raw is not None:
            return client.post(path, data=self.raw, content_type="application/json")
        return client.post(path, json=self.json)


BAD_BODIES = [
    # Not JSON at all.
    Bad("not-json", 400, "bad-request", "not valid JSON", raw=b"{bundle: nope"),
    # Bad UTF-8 inside an entry no record reads (the fast decode skips it; it is still refused).
    Bad(
        "bad-utf8-in-a-claim",
        400,
        "bad-request",
        "not valid JSON",
        raw=b'{"bundle": {"resourceType": "Bundle", "type": "collection", "entry": '
        b'[{"resource": {"resourceType": "Claim", "id": "c\xff"}}]}}',
    ),
    # No body.
    Bad("empty", 400, "bad-request", "empty", raw=b""),
    # JSON, but not an object.
    Bad("array", 400, "bad-request", "JSON object", json=[bundle(PATIENT)]),
    Bad("string", 400, "bad-request", "JSON object", raw=b'"hello"'),
    Bad("number", 400, "bad-request", "JSON object", raw=b"42"),
    Bad("null", 400, "bad-request", "JSON object", raw=b"null"),
    # An object without 'bundle'.
    Bad("no-bundle", 400, "bad-request", "'bundle'", json={"asOf": AS_OF}),
    # 'bundle' is not a FHIR Bundle.
    Bad("bundle-is-patient", 422, "invalid-bundle", "Bundle", json={"bundle": PATIENT}),
    Bad("bundle-is-string", 422, "invalid-bundle", "Bundle", json={"bundle": "Bundle"}),
    Bad("bundle-is-null", 422, "invalid-bundle", "Bundle", json={"bundle": None}),
    Bad(
        "bundle-without-type",
        422,
        "invalid-bundle",
        "Bundle.type",
        json={"bundle": {"resourceType": "Bundle", "entry": [{"resource": PATIENT}]}},
    ),
    Bad(
        "entry-without-resource",
        422,
        "invalid-bundle",
        "entry[1]",
        json={"bundle": {**bundle(PATIENT), "entry": [{"resource": PATIENT}, {}]}},
    ),
    # A Bundle, but not for exactly one patient.
    Bad("zero-patients", 422, "invalid-bundle", "holds 0", json={"bundle": bundle()}),
    Bad(
        "two-patients",
        422,
        "invalid-bundle",
        "holds 2",
        json={"bundle": bundle(PATIENT, {**PATIENT, "id": "p2"})},
    ),
    # asOf that is not a YYYY-MM-DD date.
    Bad(
        "asof-month-13",
        400,
        "bad-request",
        "asOf",
        json={"bundle": bundle(PATIENT), "asOf": "2020-13-01"},
    ),
    Bad(
        "asof-us-style",
        400,
        "bad-request",
        "asOf",
        json={"bundle": bundle(PATIENT), "asOf": "01/02/2020"},
    ),
    Bad(
        "asof-number",
        400,
        "bad-request",
        "asOf",
        json={"bundle": bundle(PATIENT), "asOf": 20200101},
    ),
    Bad("asof-empty", 400, "bad-request", "asOf", json={"bundle": bundle(PATIENT), "asOf": ""}),
]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("bad", BAD_BODIES, ids=lambda b: b.name)
def test_bad_body_gets_a_json_error(client: FlaskClient, bad: Bad, path: str) -> None:
    """A bad body gets its status (400 for the request, 422 for an unusable Bundle) and a JSON
    error saying what is wrong.
    """
    body = assert_json_error(bad.send(client, path), bad.status, bad.code)
    assert bad.says in body["message"]


@pytest.mark.parametrize(
    ("trials", "status", "says"),
    [
        # One unknown id among known ones: 404 naming it.
        ([TRIAL, "NCT99999999"], 404, "NCT99999999"),
        # Not a list.
        (TRIAL, 400, "'trials'"),
        # A list, but not of strings.
        ([TRIAL, 7], 400, "'trials'"),
    ],
)
def test_bad_trials_list_gets_a_json_error(
    client: FlaskClient, trials: Any, status: int, says: str
) -> None:
    """POST /eligibility with a bad 'trials' member: an unknown id is a 404, a malformed list a
    400.
    """
    response = client.post(
        "/eligibility", json={"bundle": bundle(PATIENT), "asOf": AS_OF, "trials": trials}
    )
    body = assert_json_error(response, status, "unknown-trial" if status == 404 else "bad-request")
    assert says in body["message"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_over_size_body_is_a_json_413(path: str) -> None:
    """A body over MAX_CONTENT_LENGTH is a JSON 413 naming the limit, not Werkzeug's HTML page."""
    client = create_app({"TESTING": True, "MAX_CONTENT_LENGTH": 1000}).test_client()
    padded = bundle({**PATIENT, "text": {"status": "generated", "div": "x" * 2000}})
    body = assert_json_error(
        client.post(path, json={"bundle": padded, "asOf": AS_OF}), 413, "payload-too-large"
    )
    assert "1000" in body["message"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_chunked_body_over_the_limit_is_a_413_not_a_truncated_json_error(path: str) -> None:
    """A chunked body (no Content-Length, the server terminates the stream) over the limit is a
    413, not cut at the limit and read as bad JSON.
    """
    client = create_app({"TESTING": True, "MAX_CONTENT_LENGTH": 1000}).test_client()
    padded = orjson.dumps(
        {
            "bundle": bundle({**PATIENT, "text": {"status": "generated", "div": "x" * 2000}}),
            "asOf": AS_OF,
        }
    )
    response = client.post(
        path,
        input_stream=io.BytesIO(padded),
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert_json_error(response, 413, "payload-too-large")


def test_chunked_body_under_the_limit_is_read_whole() -> None:
    """A chunked body under the limit is read to its end and evaluated."""
    client = create_app({"TESTING": True, "MAX_CONTENT_LENGTH": 100_000}).test_client()
    body = orjson.dumps(
        {
            "bundle": bundle(PATIENT, {"resourceType": "Condition", "id": "c" * 50_000}),
            "asOf": AS_OF,
            "trials": [TRIAL],
        }
    )
    response = client.post(
        "/eligibility",
        input_stream=io.BytesIO(body),
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert [r["trialId"] for r in response.get_json()["reports"]] == [TRIAL]


def test_repeated_trial_ids_are_evaluated_once(client: FlaskClient) -> None:
    """100,000 copies of one trial id give one report, in well under a second (it once held a
    worker past its timeout).
    """
    started = time.monotonic()
    response = client.post(
        "/eligibility", json={"bundle": bundle(PATIENT), "asOf": AS_OF, "trials": [TRIAL] * 100_000}
    )
    assert response.status_code == 200
    assert [r["trialId"] for r in response.get_json()["reports"]] == [TRIAL]
    assert time.monotonic() - started < 5


def test_more_distinct_trial_ids_than_trials_served_is_a_400(
    client: FlaskClient, book: Rulebook
) -> None:
    """A 'trials' list naming more distinct ids than the service serves is refused with 400
    before any is looked up.
    """
    wanted = [f"NCT{n:08d}" for n in range(len(book.trials) + 1)]
    body = assert_json_error(
        client.post("/eligibility", json={"bundle": bundle(PATIENT), "trials": wanted}),
        400,
        "bad-request",
    )
    assert str(len(book.trials)) in body["detail"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_body_under_the_size_limit_is_accepted(path: str) -> None:
    """A body under MAX_CONTENT_LENGTH is evaluated as usual."""
    client = create_app({"TESTING": True, "MAX_CONTENT_LENGTH": 1000}).test_client()
    response = client.post(path, json={"bundle": bundle(PATIENT), "asOf": AS_OF})
    assert response.status_code == 200
    assert response.get_json()["patientId"] == PATIENT["id"]


REQUESTS = [
    # Every bad body, on both eligibility endpoints.
    *[
        ("POST", path, {"data": b.raw} if b.raw is not None else {"json": b.json})
        for b in BAD_BODIES
        for path in ENDPOINTS
    ],
    # Unknown routes and trials.
    ("GET", "/nowhere", {}),
    ("GET", "/trials/", {}),
    ("GET", "/trials/NCT99999999", {}),
    ("POST", "/trials/NCT99999999/eligibility", {"data": b"not json"}),
    # Wrong methods.
    ("GET", "/eligibility", {}),
    ("GET", f"/trials/{TRIAL}/eligibility", {}),
    ("POST", "/health", {}),
    ("DELETE", f"/trials/{TRIAL}", {}),
    # A body that is not UTF-8, and a form post.
    ("POST", "/eligibility", {"data": b"\xff\xfe\x00garbage"}),
    ("POST", "/eligibility", {"data": {"bundle": "x"}}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), REQUESTS)
def test_no_error_is_html_or_a_500(
    client: FlaskClient, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    """Every error response is problem+json with a 4xx status: never an HTML page, never a 500."""
    response = client.open(path, method=method, **kwargs)
    assert 400 <= response.status_code < 500
    assert "<html" not in response.get_data(as_text=True).lower()
    assert_json_error(response, response.status_code, response.get_json()["error"])


# --- eligibility ----------------------------------------------------------------------------------


def test_trial_eligibility_report_is_for_the_trial_patient_and_date(
    client: FlaskClient, book: Rulebook
) -> None:
    """POST /trials/{id}/eligibility reports every criterion of that trial, for that patient, as
    of asOf.
    """
    report = client.post(
        f"/trials/{TRIAL}/eligibility", json={"bundle": bundle(PATIENT), "asOf": AS_OF}
    ).get_json()
    assert (report["trialId"], report["patientId"], report["asOf"], report["rulesVersion"]) == (
        TRIAL,
        "p1",
        AS_OF,
        book.version,
    )
    assert [c["id"] for c in report["criteria"]] == [c.id for c in book.trials[TRIAL].criteria]
    assert sum(report["counts"].values()) == len(report["criteria"])


def test_age_is_decided_from_the_birth_date_as_of_the_date(client: FlaskClient) -> None:
    """A 30-year-old fails the 6-24 age criterion of NCT06761417, so the trial's verdict is
    ineligible.
    """
    report = client.post(
        f"/trials/{TRIAL}/eligibility", json={"bundle": bundle(PATIENT), "asOf": AS_OF}
    ).get_json()
    age = next(c for c in report["criteria"] if c["id"] == "inc-2a")
    assert age["status"] == "not-met"
    assert report["verdict"] == "ineligible"


def test_eligibility_evaluates_every_trial_by_default(client: FlaskClient, book: Rulebook) -> None:
    """POST /eligibility without 'trials' reports on every trial, once each."""
    body = client.post("/eligibility", json={"bundle": bundle(PATIENT), "asOf": AS_OF}).get_json()
    assert (body["patientId"], body["asOf"], body["rulesVersion"]) == ("p1", AS_OF, book.version)
    assert sorted(r["trialId"] for r in body["reports"]) == sorted(book.trials)


def test_eligibility_evaluates_only_the_trials_asked_for(client: FlaskClient) -> None:
    """POST /eligibility with 'trials' reports on exactly those."""
    body = client.post(
        "/eligibility", json={"bundle": bundle(PATIENT), "asOf": AS_OF, "trials": [TRIAL]}
    ).get_json()
    assert [r["trialId"] for r in body["reports"]] == [TRIAL]


def _trial_document(trial_id: str, logic: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": trial_id,
        "title": f"Test trial {trial_id}",
        "phase": "Phase 2",
        "version": "1.0.0",
        "source": {"document": "tests/api/test_blueprint.py"},
        "criteria": [
            {
                "id": "inc-1",
                "kind": "inclusion",
                "source": "Inclusion 1",
                "text": "test",
                "logic": logic,
            }
        ],
    }


@pytest.fixture
def ordering_client(tmp_path: Path) -> FlaskClient:
    """An app whose rulebook has trials with known verdicts for PATIENT (30 years old, no labs),
    ids not in verdict order.
    """
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    for path in (rules / "trials").glob("*.json"):
        path.unlink()
    trials = {
        "NCT00000001": {">": [{"var": "age_years"}, 150]},  # ineligible: too young
        "NCT00000002": {">=": [{"var": "age_years"}, 18]},  # eligible
        "NCT00000003": {">": [{"var": "anc"}, 1.5]},  # insufficient-data: no ANC on record
        "NCT00000004": {"<=": [{"var": "age_years"}, 120]},  # eligible
    }
    for trial_id, logic in trials.items():
        (rules / "trials" / f"{trial_id}.json").write_bytes(
            orjson.dumps(_trial_document(trial_id, logic))
        )
    return create_app({"TESTING": True, "RULES_DIR": str(rules)}).test_client()


def test_eligibility_orders_eligible_then_insufficient_data_then_ineligible(
    ordering_client: FlaskClient,
) -> None:
    """POST /eligibility lists eligible reports first, then insufficient-data, then ineligible;
    by trial id within each.
    """
    body = ordering_client.post(
        "/eligibility", json={"bundle": bundle(PATIENT), "asOf": AS_OF}
    ).get_json()
    assert [(r["trialId"], r["verdict"]) for r in body["reports"]] == [
        ("NCT00000002", "eligible"),
        ("NCT00000004", "eligible"),
        ("NCT00000003", "insufficient-data"),
        ("NCT00000001", "ineligible"),
    ]


def test_eligibility_orders_the_trials_asked_for_by_verdict_too(
    ordering_client: FlaskClient,
) -> None:
    """The order of 'trials' in the request does not set the order of the reports; the verdict
    does.
    """
    asked = ["NCT00000001", "NCT00000003", "NCT00000002"]
    body = ordering_client.post(
        "/eligibility", json={"bundle": bundle(PATIENT), "asOf": AS_OF, "trials": asked}
    ).get_json()
    assert [r["verdict"] for r in body["reports"]] == [
        "eligible",
        "insufficient-data",
        "ineligible",
    ]


# Auckland is UTC+13 on this day: at 08:30 there it is still 29 February in UTC.
FROZEN = datetime(2024, 3, 1, 8, 30, tzinfo=ZoneInfo("Pacific/Auckland"))


@pytest.mark.parametrize("path", ENDPOINTS)
def test_as_of_defaults_to_today(client: FlaskClient, path: str) -> None:
    """Without asOf, the report is as of today, the server's local date (not the UTC date)."""
    with time_machine.travel(FROZEN, tick=False):
        body = client.post(path, json={"bundle": bundle(PATIENT)}).get_json()
    assert body["asOf"] == "2024-03-01"


def test_as_of_null_is_the_same_as_absent(client: FlaskClient) -> None:
    """asOf: null means today, like an absent asOf."""
    with time_machine.travel(FROZEN, tick=False):
        body = client.post(
            f"/trials/{TRIAL}/eligibility", json={"bundle": bundle(PATIENT), "asOf": None}
        ).get_json()
    assert body["asOf"] == "2024-03-01"


def test_as_of_is_used_when_given(client: FlaskClient) -> None:
    """A given asOf wins over today, and ages are computed on it."""
    with time_machine.travel(FROZEN, tick=False):
        report = client.post(
            f"/trials/{TRIAL}/eligibility", json={"bundle": bundle(PATIENT), "asOf": "2000-01-02"}
        ).get_json()
    assert report["asOf"] == "2000-01-02"
    # Ten years old on 2000-01-02: within 6-24.
    assert next(c for c in report["criteria"] if c["id"] == "inc-2a")["status"] == "met"


# --- patients by id (bundled fixtures: no FHIR server configured) ---------------------------------

BY_ID_CASES = [
    # An eligible base patient and one failing a single lab criterion, of two trials.
    ("NCT06761417", "eligible"),
    ("NCT06761417", "anc-missing"),
    ("NCT02021825", "eligible"),
    ("NCT05617859", "eligible"),
]


@pytest.mark.parametrize(("trial", "case"), BY_ID_CASES)
def test_patient_id_resolves_against_the_bundled_fixtures(
    client: FlaskClient, trial: str, case: str
) -> None:
    """With no FHIR server, {"patientId"} evaluates the bundled fixture of that id: the same
    report as posting its Bundle.
    """
    manifest = orjson.loads((ROOT / "fhir_fixtures" / trial / "manifest.json").read_bytes())
    bundle_body = orjson.loads((ROOT / "fhir_fixtures" / trial / f"{case}.json").read_bytes())
    by_id = client.post(
        f"/trials/{trial}/eligibility",
        json={"patientId": f"{trial.lower()}-{case}", "asOf": manifest["asOf"]},
    )
    by_bundle = client.post(
        f"/trials/{trial}/eligibility", json={"bundle": bundle_body, "asOf": manifest["asOf"]}
    )
    assert by_id.status_code == 200, by_id.get_data(as_text=True)[:300]
    assert by_id.get_json() == by_bundle.get_json()
    assert by_id.get_json()["patientId"] == f"{trial.lower()}-{case}"


@pytest.mark.parametrize("path", ENDPOINTS)
def test_unknown_patient_id_is_a_json_404(client: FlaskClient, path: str) -> None:
    """An id no fixture has is a 404 naming the id, not an empty (all-unknown) report."""
    body = assert_json_error(
        client.post(path, json={"patientId": "nobody-here"}), 404, "patient-not-found"
    )
    assert "nobody-here" in body["message"]


BAD_IDS = [
    # Not a FHIR id: a path, a query, too long, empty, not a string.
    "../etc/passwd",
    "a?b=c",
    "x" * 65,
    "",
    42,
    None,
]


@pytest.mark.parametrize("patient_id", BAD_IDS)
def test_malformed_patient_id_is_a_400(client: FlaskClient, patient_id: Any) -> None:
    """A patientId that is not a FHIR id is refused before any lookup or request."""
    assert_json_error(
        client.post("/eligibility", json={"patientId": patient_id}), 400, "bad-request"
    )


def test_bundle_and_patient_id_together_is_a_400(client: FlaskClient) -> None:
    """A body with both a bundle and a patientId is ambiguous: 400, naming both."""
    body = assert_json_error(
        client.post("/eligibility", json={"bundle": bundle(PATIENT), "patientId": "p1"}),
        400,
        "bad-request",
    )
    assert "bundle" in body["message"]
    assert "patientId" in body["message"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_an_entry_no_record_reads_is_not_built(client: FlaskClient, path: str) -> None:
    """A Claim holding a number too large for a double (1e400, valid JSON) is skipped, not
    built: the patient is evaluated, where parsing every entry refused the body.
    """
    raw = orjson.dumps({"asOf": AS_OF, "bundle": bundle(PATIENT)}).replace(
        b'"entry":[', b'"entry":[{"resource":{"resourceType":"Claim","total":1e400}},', 1
    )
    response = client.post(path, data=raw, content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)
